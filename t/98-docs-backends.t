# The examples of docs/backends.md, run as written (only URLs, paths and
# ports replaced): each worker config file against the mock server, with
# an agent of the handle its section names; the memory example through
# scripts/run with OPENAI_BASE_URL at the mock; the Letta section's
# nginx.conf with nginx -t, its worker config against the mock Letta
# server, and scripts/run with LETTA_URL at it.

use strict;
use warnings;
use Test::More;
use Cwd ();
use lib 't/lib';
use AgentAsync::WorkerTest;
use AgentAsync::RunTest qw();
use AgentAsync::MockLLM;
use AgentAsync::Seed qw(create_agent create_run run_key json);

plan skip_all => 'scripts/run uses the plain build; tested in the plain pass'
    if ($ENV{AGENT_ASYNC_WORKER_BIN} // '') =~ m{/build/san/};

my $doc = AgentAsync::RunTest::slurp('docs/backends.md');
my $dir = tmpdir();

redis_start();
my $r = redis();
my $port = mock_start();

sub write_file {
    my ($path, $text) = @_;
    open my $f, '>', $path or die "$path: $!";
    print $f $text;
    close $f;
}

# section => the handle its text gives agents
my %handle = ('OpenAI' => 'openai/gpt-4o-mini',
              'llama.cpp (`llama-server`)' => 'llamacpp/qwen2.5-7b-instruct',
              'vLLM' => 'vllm/Qwen/Qwen2.5-7B-Instruct',
              'Ollama' => 'ollama/qwen2.5:7b');

for my $section (sort keys %handle) {
    my ($body) = $doc =~ /^## \Q$section\E\n(.*?)(?=^## )/ms;
    ok defined $body, "section $section";
    my ($conf) = ($body // '') =~ /^```conf\n(.*?)^```$/ms;
    ok defined $conf, "$section: a config file";
    like $body, qr/"model": "\Q$handle{$section}\E"/, "$section: names $handle{$section}";
    $conf =~ s{https?://[^/\s]+/v1}{http://127.0.0.1:$port/v1}g;
    write_file("$dir/openai.key", "sk-docs\n");
    $conf =~ s{/etc/agent-async/openai\.key}{$dir/openai.key};
    write_file("$dir/w.conf", $conf);

    my $w = worker_start(config => "$dir/w.conf");
    my ($prov, $model) = split m{/}, $handle{$section}, 2;
    my $a = create_agent($r, model => $model, llm => { model_endpoint_type => $prov });
    mock_script({ text => "answer from $section" });
    my $run = create_run($r, $a, input => 'hi');
    is wait_status(run_key('aa:', $run), 10, qw(completed failed)), 'completed',
        "$section: a run completes with this config";
    my ($m) = grep { $_->{message_type} eq 'assistant_message' }
        map { json->decode($_) } @{ $r->cmd('LRANGE', run_key("aa:", $run) . ":messages", 0, -1) };
    is $m->{content}, "answer from $section", "$section: the model's answer";
    is mock_requests()->[0]{body}{model}, $model, "$section: model $model sent";
    is worker_stop($w), 0, "$section: worker exits";
}

# the memory example, through nginx
my $s = AgentAsync::RunTest::run_start(env => {
    OPENAI_BASE_URL => "http://127.0.0.1:$port/v1" });
ok AgentAsync::RunTest::run_ready($s), 'scripts/run: running';
my ($sh) = $doc =~ /^## An agent with memory, from the API\n.*?^```sh\n(.*?)^```$/ms;
ok defined $sh, 'the memory example';
write_file("$dir/memory.sh", "export TOKEN=\$(cat $s->{var}/token)\n"
           . "API=http://127.0.0.1:$s->{port}/v1\n" . $sh);
mock_script({ tool_calls => [ { name => 'memory_replace', arguments =>
                '{"label":"human","old_string":"unknown","new_string":"Ann"}' } ] },
            { text => 'Hello Ann!' });
my $out = `bash -e $dir/memory.sh 2>&1`;
is $?, 0, 'it runs' or diag $out;
is $out, "Hello Ann!\nName: Ann\n", 'it prints the answer, then the edited block';
like mock_requests()->[0]{body}{messages}[0]{content},
    qr/<persona>\n<description>\n\n<\/description>\n<metadata>\n- read_only=true/,
    'the blocks are in the prompt';
kill 'TERM', $s->{pid};
is AgentAsync::RunTest::run_exit($s), 0, 'stopped';

# in front of a Letta server (the mock last started is the one scripted)
mock_start('letta');
my $letta = mock_base();
my ($ls) = $doc =~ /^## In front of a Letta server\n(.*?)(?=^## )/ms;
ok defined $ls, 'the Letta section';
my ($ngx) = ($ls // '') =~ /^```nginx\n(.*?)^```$/ms;
ok defined $ngx, 'Letta: an nginx.conf';
ok $ngx =~ s{/path/to/checkout/}{Cwd::getcwd() . '/'}e, 'Letta: it loads the module';
like $ngx, qr/^\s*agent_async_agents upstream;/m, 'Letta: upstream agents';
$ngx =~ s{http://letta:8283}{$letta}g;
$ngx =~ s{listen 8080}{'listen 127.0.0.1:' . free_port()}e;
mkdir "$dir/letta-nginx";
mkdir "$dir/letta-nginx/logs";
write_file("$dir/letta-nginx/nginx.conf", $ngx);
$out = `/usr/sbin/nginx -t -p $dir/letta-nginx -e $dir/letta-nginx/logs/error.log -c $dir/letta-nginx/nginx.conf -g 'pid $dir/letta-nginx/nginx.pid;' 2>&1`;
is $?, 0, 'Letta: nginx -t' or diag $out;

my ($lconf) = ($ls // '') =~ /^```conf\n(.*?)^```$/ms;
ok defined $lconf, 'Letta: a worker config';
like $lconf, qr/^backend letta$/m, 'Letta: the letta backend';
$lconf =~ s{http://letta:8283}{$letta}g;
write_file("$dir/letta.token", "docs-letta-token\n");
$lconf =~ s{/etc/agent-async/letta\.token}{$dir/letta.token};
write_file("$dir/letta.conf", $lconf);
my $w = worker_start(config => "$dir/letta.conf");
my $ghost = 'agent-' . AgentAsync::Seed::uuid4();
mock_script({ reply => 'answer from Letta' });
my $run = create_run($r, $ghost, input => 'hi', upstream => 1);
is wait_status(run_key('aa:', $run), 10, qw(completed failed)),
    'completed', 'Letta: a run completes with this config';
my ($lm) = grep { $_->{message_type} eq 'assistant_message' }
    map { json->decode($_) } @{ $r->cmd('LRANGE', run_key("aa:", $run) . ":messages", 0, -1) };
is $lm->{content}, 'answer from Letta', 'Letta: the upstream\'s answer';
is mock_requests()->[0]{authorization}, 'Bearer docs-letta-token',
    'Letta: the token of the file';
is worker_stop($w), 0, 'Letta: worker exits';

# scripts/run with LETTA_URL: the whole way, through nginx
$s = AgentAsync::RunTest::run_start(env => {
    LETTA_URL => $letta, LETTA_TOKEN => 'run-letta-token' });
ok AgentAsync::RunTest::run_ready($s), 'scripts/run LETTA_URL: running';
my $tok = AgentAsync::RunTest::token_of($s);
mock_script({ echo => JSON::PP::true });
my ($code, $b) = AgentAsync::RunTest::api($s, $tok, 'POST',
    "/v1/agents/$ghost/messages/async",
    { messages => [ { role => 'user', content => 'via nginx' } ] });
is $code, 200, 'scripts/run LETTA_URL: a run for an upstream agent';
is AgentAsync::RunTest::run_status($s, $tok, $b->{id} // '', 'completed'),
    'completed', 'scripts/run LETTA_URL: completed';
($code, $b) = AgentAsync::RunTest::api($s, $tok, 'GET',
                                       "/v1/runs/$b->{id}/messages");
my $msgs = eval { json->decode($b->{raw}) } // [];
is_deeply [ map { $_->{content} // () } @$msgs ], ['via nginx'],
    'scripts/run LETTA_URL: the upstream\'s messages';
is mock_requests()->[0]{authorization}, 'Bearer run-letta-token',
    'scripts/run LETTA_URL: LETTA_TOKEN sent';
is_deeply [ @{ mock_requests()->[0]{body} }{qw(use_assistant_message
        assistant_message_tool_name assistant_message_tool_kwarg)} ],
    [ JSON::PP::true, 'send_message', 'message' ],
    'scripts/run LETTA_URL: the request options\' defaults forwarded';

# the client's request options reach the upstream as it sent them
mock_script({ echo => JSON::PP::true });
($code, $b) = AgentAsync::RunTest::api($s, $tok, 'POST',
    "/v1/agents/$ghost/messages/async",
    { messages => [ { role => 'user', content => 'legacy' } ],
      use_assistant_message => JSON::PP::false,
      assistant_message_tool_name => 'reply_user',
      assistant_message_tool_kwarg => 'text',
      include_return_message_types => ['assistant_message'] });
is AgentAsync::RunTest::run_status($s, $tok, $b->{id} // '', 'completed'),
    'completed', 'scripts/run LETTA_URL: with request options: completed';
my $sent = mock_requests()->[0]{body};
is_deeply [ @$sent{qw(use_assistant_message assistant_message_tool_name
                      assistant_message_tool_kwarg
                      include_return_message_types)} ],
    [ JSON::PP::false, 'reply_user', 'text', ['assistant_message'] ],
    'scripts/run LETTA_URL: the client\'s request options forwarded';
unlike AgentAsync::RunTest::output($s), qr/run-letta-token/,
    'scripts/run LETTA_URL: the token not in its output';
kill 'TERM', $s->{pid};
is AgentAsync::RunTest::run_exit($s), 0, 'scripts/run LETTA_URL: stopped';

done_testing;

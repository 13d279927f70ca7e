# The examples of docs/backends.md, run as written (only URLs, paths and
# ports replaced): each worker config file against the mock server, with
# an agent of the handle its section names; the memory example through
# scripts/run with OPENAI_BASE_URL at the mock.

use strict;
use warnings;
use Test::More;
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
    is wait_status(run_key('aa:', $a, $run), 10, qw(completed failed)), 'completed',
        "$section: a run completes with this config";
    my ($m) = grep { $_->{message_type} eq 'assistant_message' }
        map { json->decode($_) } @{ $r->cmd('LRANGE', "aa:{$a}:run:$run:messages", 0, -1) };
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

done_testing;

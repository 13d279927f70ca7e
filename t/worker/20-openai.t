# The openai backend against the mock OpenAI-compatible server: a plain
# answer streamed and not, Letta messages, usage and ttft, the history
# sent on the next run (the agent recalls), the request the model gets.

use strict;
use warnings;
use Test::More;
use Encode ();
use lib 't/lib';
use AgentAsync::WorkerTest;
use AgentAsync::MockLLM;
use AgentAsync::Seed qw(create_agent create_run run_key json);

redis_start();
my $r = redis();
mock_start();

my $w = worker_start(backend => 'openai', concurrency => 2,
                     provider => 'openai=' . mock_url(),
                     env => { OPENAI_API_KEY => 'sk-test-secret-1234' },
                     'log-level' => 'debug');

sub run_once {
    my ($agent, $input, %o) = @_;
    my $run = create_run($r, $agent, input => $input, %o);
    my $key = run_key('aa:', $run);
    my $st = wait_status($key, 15, qw(completed failed cancelled));
    return ($run, $key, $st);
}

sub messages {
    my ($agent, $run) = @_;
    return [ map { json->decode($_) }
             @{ $r->cmd('LRANGE', run_key("aa:", $run) . ":messages", 0, -1) } ];
}

my $agent = create_agent($r, model => 'gpt-4o-mini', system => 'You are Sam.',
                         llm => { model_endpoint_type => 'openai' });

# a streamed answer
mock_script({ text => 'Hello there, Ann!', prompt_tokens => 20,
              completion_tokens => 5 });
my ($run, $key, $st) = run_once($agent, 'My name is Ann.');
is $st, 'completed', 'run completed';
my $h = $r->hgetall($key);
is $h->{stop_reason}, 'end_turn', 'stop_reason end_turn';
ok $h->{ttft_ns} > 0 && $h->{ttft_ns} <= $h->{total_duration_ns},
    'ttft_ns measured, within the run';
my $usage = json->decode($h->{usage});
is $usage->{prompt_tokens}, 20, 'prompt tokens from the stream usage';
is $usage->{completion_tokens}, 5, 'completion tokens';
is $usage->{step_count}, 1, 'one step';
my $m = messages($agent, $run);
is_deeply [ map { $_->{message_type} } @$m ],
    [qw(user_message assistant_message)], 'user then assistant message';
is $m->[1]{content}, 'Hello there, Ann!', 'the model\'s text';
like $m->[1]{id}, qr/^message-[0-9a-f-]{36}$/, 'message id';
like $m->[1]{step_id}, qr/^step-/, 'step id';
is $m->[1]{run_id}, $run, 'run id';
like $m->[1]{otid}, qr/^[0-9a-f-]{36}$/, 'otid';
my $steps = $r->cmd('LRANGE', run_key("aa:", $run) . ":steps", 0, -1);
is scalar @$steps, 1, 'one step stored';

my $req = mock_requests()->[0];
is $req->{path}, '/v1/chat/completions', 'path';
is $req->{authorization}, 'Bearer sk-test-secret-1234', 'provider key sent';
is $req->{body}{model}, 'gpt-4o-mini', 'model';
ok $req->{body}{stream}, 'stream asked';
ok $req->{body}{stream_options}{include_usage}, 'include_usage asked';
is $req->{body}{messages}[0]{role}, 'system', 'system first';
like $req->{body}{messages}[0]{content}, qr/^You are Sam\.\n\n/,
    'system prompt, memory appended';
like $req->{body}{messages}[0]{content}, qr/<memory_metadata>\n- AGENT_ID: \Q$agent\E/,
    'memory metadata block';
is_deeply $req->{body}{messages}[1], { role => 'user', content => 'My name is Ann.' },
    'the user message';
is_deeply [ sort map { $_->{function}{name} } @{ $req->{body}{tools} } ],
    [qw(memory_insert memory_replace memory_rethink)],
    'letta_v1_agent tools';

# the second run: the history is sent, the agent recalls
mock_script({ recall => JSON::PP::true });
($run, $key, $st) = run_once($agent, 'What is my name?');
is $st, 'completed', 'second run completed';
$m = messages($agent, $run);
is $m->[1]{content}, 'My name is Ann.', 'the agent recalls the first run';
$req = mock_requests()->[0];
is_deeply [ map { $_->{role} } @{ $req->{body}{messages} } ],
    [qw(system user assistant user)], 'history then the new message';
is $req->{body}{messages}[2]{content}, 'Hello there, Ann!',
    'the first answer is in the history';
like $req->{body}{messages}[0]{content}, qr/- 2 previous messages/,
    'recall count in the metadata';
my $hist = $r->cmd('LRANGE', "aa:{$agent}:history", 0, -1);
is scalar @$hist, 4, 'history: two turns';

# a server that does not stream answers with one JSON body
mock_script({ text => 'plain body', json => JSON::PP::false, usage => JSON::PP::false });
($run, $key, $st) = run_once($agent, 'again');
is $st, 'completed', 'JSON answer to a stream request';
is messages($agent, $run)->[1]{content}, 'plain body', 'its text';
$usage = json->decode($r->cmd("HGET", $key, "usage"));
ok $usage->{prompt_tokens} > 0, 'usage estimated when the server has none';

# reasoning models: reasoning_content becomes a reasoning_message
mock_script({ text => 'Done.', reasoning => 'Let me think.' });
($run, $key, $st) = run_once($agent, 'think');
$m = messages($agent, $run);
is_deeply [ map { $_->{message_type} } @$m ],
    [qw(user_message reasoning_message assistant_message)], 'reasoning first';
is $m->[1]{reasoning}, 'Let me think.', 'reasoning text';

# every byte boundary: the stream written one byte at a time
mock_script({ text => "split \x{e9}t\x{e9} \x{1F600}", chunk => 1 });
($run, $key, $st) = run_once($agent, 'bytes');
is $st, 'completed', 'stream split at every byte';
is messages($agent, $run)->[1]{content},
    Encode::encode_utf8("split \x{e9}t\x{e9} \x{1F600}"),
    'text intact across the splits';

# the run's override_model and override_system win over the agent's
{
    my $job = json->decode(AgentAsync::Seed::job_json(input => 'override'));
    $job->{override_model} = 'openai/other-model';
    $job->{override_system} = 'You are Max.';
    mock_script({ text => 'Max here' });
    ($run, $key, $st) = run_once($agent, undef, request => json->encode($job));
    is $st, 'completed', 'a run with overrides';
    $req = mock_requests()->[0];
    is $req->{body}{model}, 'other-model', 'override_model: its model';
    like $req->{body}{messages}[0]{content}, qr/^You are Max\.\n\n/,
        'override_system: its prompt, memory compiled in';
    $job->{override_model} = 'nohandle';
    ($run, $key, $st) = run_once($agent, undef, request => json->encode($job));
    is $st, 'failed', 'a bad override_model fails the run';
    like json->decode($r->cmd('HGET', $key, 'metadata'))->{error},
        qr/override_model "nohandle" is not a handle/, 'says why';
}

# each step's messages are stored as it completes
mock_script({ tool_calls => [ { name => 'memory_insert', arguments =>
                '{"label":"none","new_string":"x"}' } ] },
            { text => 'after a while', delay_ms => 1500 });
$run = create_run($r, $agent, input => 'two steps');
$key = run_key('aa:', $run);
ok wait_for(sub { $r->cmd('LLEN', run_key("aa:", $run) . ":steps") == 1 }, 10),
    'the first step is stored';
is $r->cmd('HGET', $key, 'status'), 'running', 'while the run goes on';
is_deeply [ map { json->decode($_)->{message_type} }
            @{ $r->cmd('LRANGE', run_key("aa:", $run) . ":messages", 0, -1) } ],
    [qw(user_message tool_call_message tool_return_message)],
    'with its messages';
is wait_status($key, 10, qw(completed failed)), 'completed', 'then completed';
is $r->cmd('LLEN', run_key("aa:", $run) . ":messages"), 4, 'all four, once';
is $r->cmd('LLEN', run_key("aa:", $run) . ":steps"), 2, 'both steps, once';

unlike worker_log($w), qr/sk-test-secret/, 'the key is never logged';
is worker_stop($w), 0, 'worker exits cleanly';
is_deeply [ invariant_errors('aa:', $agent) ], [], 'invariant';

done_testing;

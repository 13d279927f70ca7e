# scripts/run with OPENAI_BASE_URL (and OPENAI_API_KEY) pointing at the
# mock OpenAI-compatible server, through nginx: the model's reply is the
# assistant_message, the agent recalls its first run in its second, a
# memory block the model edits is in GET /v1/agents/{id} and in the next
# prompt.  Without them, every agent is served by echo.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use AgentAsync::WorkerTest qw(wait_for);
use AgentAsync::RunTest;
use AgentAsync::MockLLM;

plan skip_all => 'scripts/run uses the plain build; tested in the plain pass'
    if ($ENV{AGENT_ASYNC_WORKER_BIN} // '') =~ m{/build/san/};

mock_start();

sub messages {
    my ($s, $token, $run) = @_;
    my ($st, $b) = api($s, $token, 'GET', "/v1/runs/$run/messages");
    return $b->{raw} ? AgentAsync::Seed::json()->decode($b->{raw}) : $b;
}

use AgentAsync::Seed ();

my $s = run_start(env => { OPENAI_BASE_URL => mock_url(),
                           OPENAI_API_KEY => 'sk-run-secret-42' });
ok run_ready($s), 'scripts/run with OPENAI_BASE_URL: running' or diag output($s);
my $token = token_of($s);

my ($st, $agent) = api($s, $token, 'POST', '/v1/agents/', {
    name => 'sam', model => 'openai/gpt-4o-mini', system => 'You are Sam.',
    memory_blocks => [ { label => 'human', value => 'Name: unknown',
                         limit => 200 } ] });
is $st, 200, 'an agent with a memory block';
is $agent->{memory}{blocks}[0]{value}, 'Name: unknown', 'its block';

mock_script({ tool_calls => [ { name => 'memory_replace', arguments =>
                '{"label":"human","old_string":"unknown","new_string":"Ann"}' } ] },
            { text => 'Nice to meet you, Ann.' });
($st, my $run) = api($s, $token, 'POST', "/v1/agents/$agent->{id}/messages/async",
                     { messages => [ { role => 'user', content => 'I am Ann.' } ] });
is $st, 200, 'a run';
is run_status($s, $token, $run->{id}, 'completed'), 'completed', 'completed';
my $m = messages($s, $token, $run->{id});
is $m->[-1]{message_type}, 'assistant_message', 'ends with the assistant message';
is $m->[-1]{content}, 'Nice to meet you, Ann.', 'the model\'s reply';
is mock_requests()->[0]{authorization}, 'Bearer sk-run-secret-42', 'key sent';
is mock_requests()->[0]{body}{model}, 'gpt-4o-mini', 'the model of the handle';

($st, my $a) = api($s, $token, 'GET', "/v1/agents/$agent->{id}");
is $a->{memory}{blocks}[0]{value}, 'Name: Ann', 'the edit is in GET /v1/agents/{id}';

mock_script({ recall => JSON::PP::true });
($st, $run) = api($s, $token, 'POST', "/v1/agents/$agent->{id}/messages/async",
                  { input => 'Who am I?' });
is run_status($s, $token, $run->{id}, 'completed'), 'completed', 'second run';
is messages($s, $token, $run->{id})->[-1]{content}, 'I am Ann.',
    'the agent recalls its first run';
like mock_requests()->[0]{body}{messages}[0]{content}, qr/Name: Ann/,
    'the edited block is in the next prompt';

# an agent of another provider: echo
($st, my $e) = api($s, $token, 'POST', '/v1/agents/', { model => 'anthropic/claude-x' });
($st, $run) = api($s, $token, 'POST', "/v1/agents/$e->{id}/messages/async",
                  { input => 'echo me' });
is run_status($s, $token, $run->{id}, 'completed'), 'completed', 'other provider';
is messages($s, $token, $run->{id})->[-1]{content}, 'echo me', 'served by echo';

unlike slurp("$s->{var}/worker.log") // '', qr/sk-run-secret/, 'no key in the worker log'
    if -e "$s->{var}/worker.log";
unlike output($s), qr/sk-run-secret/, 'no key in the output';
my $cmd = `ps -eo args`;
unlike $cmd, qr/sk-run-secret/, 'no key on a command line';
kill 'TERM', $s->{pid};
is run_exit($s), 0, 'stopped';

# without OPENAI_*: echo for every agent, the Letta examples included
$s = run_start();
ok run_ready($s), 'scripts/run without OPENAI_*: running';
$token = token_of($s);
($st, $agent) = api($s, $token, 'POST', '/v1/agents/', { model => 'openai/gpt-4o-mini' });
($st, $run) = api($s, $token, 'POST', "/v1/agents/$agent->{id}/messages/async",
                  { input => 'hello' });
is run_status($s, $token, $run->{id}, 'completed'), 'completed', 'completed';
is messages($s, $token, $run->{id})->[-1]{content}, 'hello', 'by echo';
kill 'TERM', $s->{pid};
is run_exit($s), 0, 'stopped';

for my $bad ('ftp://x', 'http://a b', 'api.openai.com') {
    $s = run_start(env => { OPENAI_BASE_URL => $bad });
    is run_exit($s), 2, "OPENAI_BASE_URL=$bad: exit status 2";
    like output($s), qr/^run: OPENAI_BASE_URL must be/m, 'says why';
}

# LETTA_URL (t/98-docs-backends.t runs it against the mock Letta server)
for my $bad ('ftp://x', 'http://a b', 'http://u@h:8283', 'letta:8283') {
    $s = run_start(env => { LETTA_URL => $bad });
    is run_exit($s), 2, "LETTA_URL=$bad: exit status 2";
    like output($s), qr/^run: LETTA_URL must be/m, 'says why';
}

done_testing;

# The openai backend when the world moves: the agent changed while its
# memory is edited (the edit redone on the new state, both kept), a
# deleted agent, a drain past its grace during a model call (handed back,
# completed by the next worker), a call over --model-timeout-ms although
# bytes keep coming.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use AgentAsync::WorkerTest;
use AgentAsync::MockLLM;
use AgentAsync::Seed qw(create_agent create_run run_key json);

redis_start();
my $r = redis();
mock_start();

sub agent {
    return create_agent($r, model => 'm', llm => { model_endpoint_type => 'local' },
        state => { memory => { blocks => [
            { label => 'human', value => 'Name: unknown', limit => 100 },
            { label => 'notes', value => '', limit => 100 } ] } });
}

sub block {
    my ($agent, $label) = @_;
    my $s = json->decode($r->cmd('HGET', "aa:{$agent}:agent", 'state'));
    my ($b) = grep { $_->{label} eq $label } @{ $s->{memory}{blocks} };
    return $b->{value};
}

my $w = worker_start(backend => 'openai', provider => 'local=' . mock_url(),
                     'model-timeout-ms' => 1500, 'model-idle-timeout-ms' => 1000);

# another writer lands between the worker's read and its write
my $a = agent();
mock_script({ delay_ms => 800, tool_calls => [ { name => 'memory_replace',
                arguments => '{"label":"human","old_string":"unknown","new_string":"Ann"}' } ] },
            { text => 'ok' });
my $run = create_run($r, $a, input => 'hi');
my $key = run_key('aa:', $run);
ok wait_for(sub { @{ mock_requests() } == 1 }, 10), 'the call is in flight';
# what a PATCH does: the state rebuilt, rev incremented
my $state = json->decode($r->cmd('HGET', "aa:{$a}:agent", 'state'));
$state->{memory}{blocks}[1]{value} = 'written meanwhile';
$state->{name} = 'renamed';
$r->cmd('HSET', "aa:{$a}:agent", 'state', json->encode($state));
$r->cmd('HINCRBY', "aa:{$a}:agent", 'rev', 1);
is wait_status($key, 10, qw(completed failed)), 'completed', 'completed';
is block($a, 'human'), 'Name: Ann', 'the edit landed';
is block($a, 'notes'), 'written meanwhile', 'on the other writer\'s state';
is json->decode($r->cmd('HGET', "aa:{$a}:agent", 'state'))->{name}, 'renamed',
    'nothing of it lost';
is $r->cmd('HGET', "aa:{$a}:agent", 'rev'), 2, 'rev: both writes';

# bytes keep coming, but the call takes too long
mock_script({ text => 'x' x 60, chunk => 5, drip_ms => 150 });
$run = create_run($r, $a, input => 'slow');
$key = run_key('aa:', $run);
is wait_status($key, 10, qw(completed failed)), 'failed', 'a call over --model-timeout-ms fails';
is $r->cmd('HGET', $key, 'stop_reason'), 'llm_api_error', 'llm_api_error';
like json->decode($r->cmd('HGET', $key, 'metadata'))->{error}, qr/timed out/i,
    'metadata.error says so';
is worker_stop($w), 0, 'exits';

# a drain past its grace during a call: handed back, done by the next
$w = worker_start(backend => 'openai', provider => 'local=' . mock_url(),
                  'drain-ms' => 200);
mock_script({ text => 'first try', delay_ms => 3000 }, { text => 'second try' });
my $b = agent();
$run = create_run($r, $b, input => 'hi');
$key = run_key('aa:', $run);
ok wait_for(sub { @{ mock_requests() } == 1 }, 10), 'the call is in flight';
is worker_stop($w, 10), 0, 'SIGTERM: the worker exits';
is $r->cmd('HGET', $key, 'status'), 'running', 'the run is left running';
ok !defined $r->cmd('HGET', $key, 'lease'), 'its lease handed back';
is $r->cmd('HGET', $key, 'attempts'), 0, 'its attempt refunded';
$w = worker_start(backend => 'openai', provider => 'local=' . mock_url());
is wait_status($key, 10, qw(completed failed)), 'completed', 'the next worker completes it';
my @m = map { json->decode($_) } @{ $r->cmd('LRANGE', run_key("aa:", $run) . ":messages", 0, -1) };
is $m[-1]{content}, 'second try', 'with its own answer';
is scalar @m, 2, 'messages once';

# an agent deleted during its run
mock_script({ text => 'late', delay_ms => 1000 });
my $c = agent();
$run = create_run($r, $c, input => 'hi');
ok wait_for(sub { @{ mock_requests() } == 1 }, 10), 'in flight';
$r->cmd('DEL', "aa:{$c}:agent", run_key('aa:', $run), "aa:{$c}:queue");
ok wait_for(sub { worker_log($w) =~ /\Q$run\E.*deleted while it ran/ }, 5),
    'the run is aborted when its hash goes';
my $d = agent();
mock_script({ text => 'next' });
$run = create_run($r, $d, input => 'hi');
is wait_status(run_key('aa:', $run), 10, qw(completed failed)), 'completed',
    'the worker goes on';
is worker_stop($w), 0, 'exits';

done_testing;

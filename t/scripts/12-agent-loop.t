# The agent loop's scripts against a real Redis (docs/redis-keys.md,
# "Memory"): memory_write, written only under the revision read and the
# run's lease (a conflict, a lost lease, a deleted agent write nothing);
# run_progress, appending under the lease, starting afresh at a claim's
# first step.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use lib 't/scripts';
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run run_key);
use ScriptsTest;

redis_start();
my $r = redis();

my $a = create_agent($r);
my $run = create_run($r, $a);
my $k = ks(agent => $a, run => $run);
$r->cmd('HSET', $k->{run}, 'status', 'running', 'lease', 'w1#1');

sub write_state {
    my ($rev, $state, $lease) = @_;
    return rs('memory_write', [ $k->{agent}, $k->{run} ], $rev, $state,
              $lease // 'w1#1');
}

my $before = dump_all();
is write_state('1', '{"x":1}'), 'conflict', 'a rev not read: conflict';
is write_state('0', '{"x":1}', 'w2#1'), 'lost', 'another lease: lost';
$r->cmd('HSET', $k->{run}, 'status', 'cancelled');
is write_state('0', '{"x":1}'), 'lost', 'a run no longer running: lost';
$r->cmd('HSET', $k->{run}, 'status', 'running');
is_deeply changed($before, dump_all()), [], "none of them wrote";

is write_state('0', '{"x":2}'), 'ok', 'rev 0 (none yet): ok';
is $r->cmd('HGET', $k->{agent}, 'state'), '{"x":2}', 'state written';
is $r->cmd('HGET', $k->{agent}, 'rev'), 1, 'rev incremented';
is write_state('0', '{"x":3}'), 'conflict', 'the old rev again: conflict';
is write_state('1', '{"x":3}'), 'ok', 'the new rev: ok';
is $r->cmd('HGET', $k->{agent}, 'rev'), 2, 'rev 2';

$r->cmd('DEL', $k->{agent});
$before = dump_all();
is write_state('2', '{"x":4}'), 'gone', 'a deleted agent: gone';
is_deeply changed($before, dump_all()), [], "nothing made again";

# run_progress
my $b = create_agent($r);
my $run2 = create_run($r, $b);
my $k2 = ks(agent => $b, run => $run2);
my $msgs = run_key("aa:", $run2) . ":messages";
my $steps = run_key("aa:", $run2) . ":steps";
$r->cmd('HSET', $k2->{run}, 'status', 'running', 'lease', 'w1#2');
$r->cmd('RPUSH', $msgs, 'left by attempt 1');

sub progress { rs('run_progress', [ $k2->{run}, $msgs, $steps ], @_) }

$before = dump_all();
is progress('w1#1', '1', 1, 'm', 's'), 'lost', 'another lease: lost';
is_deeply changed($before, dump_all()), [], 'wrote nothing';
is progress('w1#2', '1', 2, 'm1', 'm2', 's1'), 'ok', 'first step: ok';
is_deeply $r->cmd('LRANGE', $msgs, 0, -1), [qw(m1 m2)],
    'the earlier attempt\'s messages replaced';
is_deeply $r->cmd('LRANGE', $steps, 0, -1), ['s1'], 'the step';
is progress('w1#2', '0', 1, 'm3', 's2'), 'ok', 'next step: ok';
is_deeply $r->cmd('LRANGE', $msgs, 0, -1), [qw(m1 m2 m3)], 'appended';
is_deeply $r->cmd('LRANGE', $steps, 0, -1), [qw(s1 s2)], 'appended';
is progress('w1#2', '0', 0), 'ok', 'nothing to add: ok';
$r->cmd('HSET', $k2->{run}, 'status', 'cancelled');
is progress('w1#2', '0', 1, 'm4'), 'lost', 'no longer running: lost';
is $r->cmd('LLEN', $msgs), 3, 'nothing added';

done_testing;

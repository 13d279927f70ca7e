# memory_write.lua against a real Redis (docs/redis-keys.md, "Memory"):
# written only under the revision read and the run's lease; a conflict,
# a lost lease, a deleted agent write nothing.

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

done_testing;

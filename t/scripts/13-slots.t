# The run ids and key layout against Redis Cluster's own hashing
# (docs/redis-keys.md, "Redis Cluster"): every slot's tag is in that slot
# by CLUSTER KEYSLOT, the keys of a run whose id carries its agent's slot
# are in the agent's slot, and a script given an agent's keys and its
# run's runs in cluster mode without a CROSSSLOT error.  t/unit/test_slot.c
# checks src/common/aa_slot.c against the same figures; t/40 checks that
# the module's run ids carry their agent's slot.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use AgentAsync::WorkerTest;
use AgentAsync::Keys qw(slot slot_tag run_slot run_id run_key);
use AgentAsync::Seed qw(uuid4);

redis_start(cluster => 1);
my $r = redis();

is $r->cmd('CLUSTER', 'KEYSLOT', 'foo'), slot('foo'),
    'slot() is CLUSTER KEYSLOT (foo)';

my $bad = 0;
for my $slot (0 .. 16383) {
    my $tag = slot_tag($slot);
    $bad++ unless defined $tag && length $tag <= 3
        && $r->cmd('CLUSTER', 'KEYSLOT', "aa:{$tag}:run:x") == $slot;
}
is $bad, 0, 'each of the 16384 slot tags is in its slot';

is slot_tag(7457), '6yA', 'the tag of slot 7457 is the one aa_slot.c makes';

$bad = 0;
for (1 .. 300) {
    my $a = 'agent-' . uuid4();
    my $run = run_id($a);
    my $want = $r->cmd('CLUSTER', 'KEYSLOT', "aa:{$a}:agent");
    $bad++ unless run_slot($run) == $want
        && $run =~ /^run-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for my $k (run_key('aa:', $run), run_key('aa:', $run) . ':messages',
               run_key('aa:', $run) . ':steps') {
        $bad++ unless $r->cmd('CLUSTER', 'KEYSLOT', $k) == $want;
    }
}
is $bad, 0, '300 agents: their runs\' keys are in their slots';

# a node serving every slot runs a script on an agent's and its run's keys
$r->cmd('CLUSTER', 'ADDSLOTSRANGE', 0, 16383);
ok wait_for(sub { $r->cmd('CLUSTER', 'INFO') =~ /cluster_state:ok/ }, 10),
    'a one-node cluster';
my $a = 'agent-' . uuid4();
my $run = run_id($a);
my @keys = ("aa:{$a}:agent", "aa:{$a}:queue", "aa:{$a}:runs",
            run_key('aa:', $run), run_key('aa:', $run) . ':messages');
is $r->cmd('EVAL', "redis.call('HSET', KEYS[4], 'agent_id', ARGV[1]);"
                 . "redis.call('RPUSH', KEYS[2], ARGV[2]);"
                 . "return #KEYS", scalar @keys, @keys, $a, $run),
    scalar @keys, 'a script on an agent\'s and its run\'s keys: one slot';
is $r->cmd('HGET', run_key('aa:', $run), 'agent_id'), $a, 'and it wrote';

$r->{errors_ok} = 1;
like $r->cmd('EVAL', 'return 1', 2, "aa:{$a}:agent",
             run_key('aa:', run_id($a, slot => (slot($a) + 1) % 16384))),
    qr/CROSSSLOT|different slots/i,
    'a run of another slot would be refused: the check can fail';

done_testing;

# heartbeat.lua, reap_agent.lua and retire_worker.lua against a real Redis
# (docs/redis-keys.md, "Heartbeat and reaping").

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep);
use lib 't/lib';
use lib 't/scripts';
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run);
use ScriptsTest;

redis_start();
my $r = redis();

sub lrange { $r->cmd('LRANGE', $_[0], 0, -1) }

# --- heartbeat --------------------------------------------------------

{
    fresh();
    my $w = wid('hb');
    my $other = wid('hb-other');
    $r->cmd('SADD', 'aa:workers', $other);
    my $k = ks(worker => $w);
    my $t1 = '2026-01-01T00:00:01.000001Z';
    my $t2 = '2026-01-01T00:00:02.000002Z';
    my $b = heartbeat($w, 5000, $t1);
    is rtype($b), 'int', 'heartbeat answers an integer';
    is $b, 0, 'first beat: 0';
    is $r->cmd('GET', $k->{worker}), $t1, 'first beat: Pworker:W = now';
    my $pttl = $r->cmd('PTTL', $k->{worker});
    ok $pttl > 4000 && $pttl <= 5000, "first beat: PX 5000 (PTTL $pttl)";
    is_deeply [ sort @{ $r->cmd('SMEMBERS', 'aa:workers') } ],
        [ sort $w, $other ], 'first beat: W added to Pworkers';

    is heartbeat($w, 60000, $t2), 1, 'second beat while alive: 1';
    is $r->cmd('GET', $k->{worker}), $t2, 'second beat: value renewed';
    $pttl = $r->cmd('PTTL', $k->{worker});
    ok $pttl > 50000 && $pttl <= 60000, "second beat: PX renewed ($pttl)";
    is $r->cmd('SCARD', 'aa:workers'), 2, 'second beat: W in Pworkers once';

    # the heartbeat expires when W stops beating
    is heartbeat($w, 30, $t1), 1, 'a beat with PX 30';
    ok wait_for(sub { !$r->cmd('EXISTS', $k->{worker}) }, 2),
        'the heartbeat key expires';
    is heartbeat($w, 5000, $t2), 0, 'a beat after it expired: 0';
}

# --- reap_agent -------------------------------------------------------

# A with $n >= 1 runs, taken by W and its head claimed
sub held {
    my ($w, $n) = @_;
    my $a = create_agent($r);
    my @runs = map { create_run($r, $a) } 1 .. $n;
    take($w, $a);
    my $c = claim($a, $runs[0], $w);
    die "setup: $c->[0]\n" unless $c->[0] eq 'claimed';
    return ($a, @runs);
}

{
    fresh();
    my $w = wid('alive');
    my ($a, $run) = held($w, 1);
    heartbeat($w, 60000);
    my $before = dump_all();
    is reap($w, $a), undef, 'W alive: nil';
    is_deeply dump_all(), $before, 'W alive: nothing written';
    inv_ok('aa:', [$a], 'reap refused (alive)');

    $r->cmd('DEL', ks(worker => $w)->{worker});     # W stops beating
    my $b = create_agent($r);
    create_run($r, $b);                               # B waits in Pready
    $before = dump_all();
    is reap($w, $b), undef, 'A not held by W: nil';
    is_deeply dump_all(), $before, 'A not held: nothing written';
    inv_ok('aa:', [ $a, $b ], 'reap refused (not held)');

    # held, queue not empty: handed back to the consuming end
    my $k = ks(agent => $a, run => $run, worker => $w);
    my $h0 = $r->hgetall($k->{run});
    $before = dump_all();
    my $got = reap($w, $a);
    is rtype($got), 'str', 'reap answers a string';
    is $got, $run, 'held, queue not empty: the head run';
    is_deeply changed($before, dump_all()), [ sort 'aa:ready', $k->{processing} ],
        'reap writes Pprocessing:W and Pready only (run left running)';
    is_deeply $r->hgetall($k->{run}), $h0,
        'the run in flight untouched: running, lease and attempts kept';
    is_deeply lrange('aa:ready'), [ $b, $a ],
        'A at the consuming (right) end of Pready';
    is $r->cmd('EXISTS', $k->{processing}), 0, 'A left Pprocessing:W';
    inv_ok('aa:', [ $a, $b ], 'after a reap');
    my $w2 = wid('next');
    is $r->cmd('LMOVE', 'aa:ready', ks(worker => $w2)->{processing},
               'RIGHT', 'LEFT'), $a, 'A is taken next';
    is reap($w, $a), undef, 'reaped twice: nil the second time';
}

{
    # held with an empty queue (as after a claim that popped its last run
    # unexecuted, see 02-claim.t), then W died; set up directly
    fresh();
    my $w = wid('emptyq');
    my $a = create_agent($r);
    my $run = create_run($r, $a);
    cancel($a, $run);
    take($w, $a);
    $r->cmd('LPOP', ks(agent => $a)->{queue});
    my ($b) = held($w, 1);                          # W holds another agent
    my $before = dump_all();
    my $got = reap($w, $a);
    is rtype($got), 'str', 'empty queue: a string, not nil';
    is $got, '', 'held, queue empty: ""';
    is_deeply changed($before, dump_all()), [ ks(worker => $w)->{processing} ],
        'empty queue: only Pprocessing:W changes';
    is $r->cmd('LPOS', 'aa:ready', $a), undef, 'empty queue: A not in Pready';
    is_deeply lrange(ks(worker => $w)->{processing}), [$b],
        'empty queue: A left Pprocessing:W, the other agent is still there';
    inv_ok('aa:', [$a], 'after reaping an agent with an empty queue');
}

# --- retire_worker ----------------------------------------------------

{
    fresh();
    my $w = wid('retire');
    my $other = wid('stays');
    heartbeat($other, 60000);
    heartbeat($w, 60000);
    my ($a, $run) = held($w, 1);
    my $before = dump_all();
    my $got = retire($w);
    is rtype($got), 'int', 'retire answers an integer';
    is $got, 0, 'W beats (and holds A): 0';
    is_deeply dump_all(), $before, 'W beats: nothing written';

    $r->cmd('DEL', ks(worker => $w)->{worker});
    $before = dump_all();
    is retire($w), 0, 'W dead but holds an agent: 0';
    is_deeply dump_all(), $before, 'W holds agents: nothing written';

    is reap($w, $a), $run, 'its agent reaped';
    is retire($w), 1, 'W dead and holding nothing: 1';
    is_deeply $r->cmd('SMEMBERS', 'aa:workers'), [$other],
        'W left Pworkers, the other worker stays';
    inv_ok('aa:', [$a], 'after retiring W');

    # beating again and holding nothing: kept
    my $w3 = wid('back');
    heartbeat($w3, 60000);
    is retire($w3), 0, 'W beats, holds nothing: 0';
    ok $r->cmd('SISMEMBER', 'aa:workers', $w3), 'W that beats is kept';
}

# --- another prefix ---------------------------------------------------

{
    fresh();
    my $w = wid('px');
    is heartbeat($w, 60000, undef, prefix => 'hb:'), 0, 'prefix hb: beat';
    ok $r->cmd('EXISTS', "hb:worker:$w"), 'prefix hb: hb:worker:W written';
    ok $r->cmd('SISMEMBER', 'hb:workers', $w), 'prefix hb: in hb:workers';
    is reap($w, 'agent-x', prefix => 'hb:'), undef, 'prefix hb: W alive, nil';
    is retire($w, prefix => 'hb:'), 0, 'prefix hb: W alive, not retired';
    is_deeply [ grep { !/^hb:/ } @{ $r->cmd('KEYS', '*') } ], [],
        'prefix hb: no key outside hb:';
}

done_testing;

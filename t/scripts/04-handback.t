# handback.lua against a real Redis (docs/redis-keys.md, "Hand-back"): the
# claim undone with the attempt refunded or counted, no claim to undo, a
# head that is another run, a lease of another worker, an empty queue; the
# agent leaves Pprocessing:W for the consuming end of Pready.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use lib 't/scripts';
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run);
use ScriptsTest;

redis_start();
my $r = redis();

sub lrange { $r->cmd('LRANGE', $_[0], 0, -1) }

# A with $n runs, another agent B queued after it (Pready [B, A]), A taken
# by $w and its head claimed: (B, A, lease, runs)
sub setup {
    my ($w, $n) = @_;
    fresh();
    my $a = create_agent($r);
    my @runs = map { create_run($r, $a) } 1 .. $n;
    my $b = create_agent($r);
    create_run($r, $b);
    take($w, $a);
    my $c = claim($a, $runs[0], $w);
    die "setup: $c->[0]\n" unless $c->[0] eq 'claimed';
    return ($b, $a, $c->[2], @runs);
}

# --- refund -----------------------------------------------------------

{
    my $w = wid('refund');
    my ($b, $a, $lease, $run) = setup($w, 1);
    my $k = ks(agent => $a, run => $run, worker => $w);
    my $h0 = $r->hgetall($k->{run});
    my $before = dump_all();
    my $h = handback($a, $run, $w, '1');
    is_deeply [ map { rtype($_) } @$h ], [qw(str int)],
        'reply types as aw_store_handback wants them';
    is_deeply $h, [ $run, 1 ], 'refund: {head, 1}';
    is_deeply changed($before, dump_all()),
        [ sort @$k{qw(run processing ready)} ],
        'refund: writes the run, Pprocessing:W and Pready (not the queue)';
    my $h1 = $r->hgetall($k->{run});
    ok !exists $h1->{lease}, 'refund: lease removed';
    is $h1->{attempts}, 0, 'refund: attempt refunded (1 -> 0)';
    is $h1->{status}, 'running', 'refund: still running';
    is $h1->{started_at}, $h0->{started_at}, 'refund: started_at kept';
    is_deeply lrange($k->{queue}), [$run], 'refund: still the head';
    is_deeply lrange('aa:ready'), [ $b, $a ],
        'refund: A at the consuming (right) end of Pready';
    is $r->cmd('EXISTS', $k->{processing}), 0, 'refund: A left Pprocessing:W';
    inv_ok('aa:', [ $a, $b ], 'after a refunding hand-back');

    # taken next, claimed again as attempt 1
    my $w2 = wid('refund2');
    take($w2, $a);
    is_deeply [ @{ claim($a, $run, $w2) }[0 .. 2] ], [ 'claimed', 1, "$w2#1" ],
        'refunded: the next claim is attempt 1 again';
}

# --- count ------------------------------------------------------------

{
    my $w = wid('count');
    my ($b, $a, $lease, $run) = setup($w, 2);
    my $k = ks(agent => $a, run => $run, worker => $w);
    is_deeply handback($a, $run, $w, '0'), [ $run, 0 ], 'count: {head, 0}';
    my $h = $r->hgetall($k->{run});
    ok !exists $h->{lease}, 'count: lease removed';
    is $h->{attempts}, 1, 'count: the attempt counts (attempts stays 1)';
    is $h->{status}, 'running', 'count: still running';
    is_deeply lrange('aa:ready'), [ $b, $a ], 'count: A at the right end';
    inv_ok('aa:', [ $a, $b ], 'after a counting hand-back');

    # the attempts add up to the dead letter
    my $w2 = wid('count2');
    take($w2, $a);
    is_deeply claim($a, $run, $w2, max => 1), [ 'skipped', 'dead', 0 ],
        'counted attempts reach the maximum: dead-lettered';
}

# --- no claim to undo -------------------------------------------------

{
    my $w = wid('none');
    my ($b, $a, $lease, $run) = setup($w, 1);
    my $k = ks(agent => $a, run => $run, worker => $w);
    my $h0 = $r->hgetall($k->{run});
    is_deeply handback($a, '', $w, '1'), [ $run, 0 ],
        'no claim to undo (""): {head, 0}';
    is_deeply $r->hgetall($k->{run}), $h0,
        'no claim to undo: the run hash untouched (lease, attempts kept)';
    is_deeply lrange('aa:ready'), [ $b, $a ], 'no claim: A at the right end';
    inv_ok('aa:', [ $a, $b ], 'after a hand-back with no claim');

    # taken while draining, not started: the run is still "created"
    fresh();
    $a = create_agent($r);
    my $r1 = create_run($r, $a);
    take($w, $a);
    my $before = dump_all();
    is_deeply handback($a, '', $w, '0'), [ $r1, 0 ],
        'taken, not claimed: {head, 0}';
    is_deeply changed($before, dump_all()),
        [ sort 'aa:ready', ks(worker => $w)->{processing} ],
        'taken, not claimed: only Pprocessing:W and Pready change';
    inv_ok('aa:', [$a], 'after a hand-back of an unclaimed agent');
}

# --- the head is another run ------------------------------------------

{
    my $w = wid('other');
    my ($b, $a, $lease, $r1, $r2) = setup($w, 2);
    my $k1 = ks(agent => $a, run => $r1);
    my $k2 = ks(agent => $a, run => $r2);
    my ($h1, $h2) = map { $r->hgetall($_->{run}) } $k1, $k2;
    is_deeply handback($a, $r2, $w, '1'), [ $r1, 0 ],
        'head is another run: {actual head, 0}';
    is_deeply $r->hgetall($k1->{run}), $h1, 'the head run untouched';
    is_deeply $r->hgetall($k2->{run}), $h2, 'the run passed untouched';
    is_deeply lrange('aa:ready'), [ $b, $a ], 'A back at the right end';
    inv_ok('aa:', [ $a, $b ], 'after a hand-back naming another run');
}

# --- lease of another worker ------------------------------------------

{
    # W reaped, the agent re-taken and claimed by W2; W's late hand-back
    my $w = wid('mine');
    my ($b, $a, $lease, $run) = setup($w, 1);
    my $k = ks(agent => $a, run => $run);
    is reap($w, $a), $run, 'setup: W reaped';
    my $w2 = wid('theirs');
    take($w2, $a);
    is claim($a, $run, $w2)->[2], "$w2#2", 'setup: W2 claimed it';
    my $before = dump_all();
    is_deeply handback($a, $run, $w, '1'), [ $run, 0 ],
        'lease of another worker: {head, 0}';
    is_deeply dump_all(), $before,
        'lease of another worker, agent not held: nothing written';
    inv_ok('aa:', [ $a, $b ], 'after a hand-back of a lost claim');

    # a worker id that is a prefix of the lease holder's id
    my $w3 = wid('theirs');
    chop $w3;                               # "...:their" vs "...:theirs#2"
    is_deeply handback($a, $run, $w3, '1'), [ $run, 0 ],
        'a worker id that prefixes the lease\'s: not its lease';
    is $r->cmd('HGET', $k->{run}, 'lease'), "$w2#2", 'the lease is kept';
    is $r->cmd('HGET', $k->{run}, 'attempts'), 2, 'attempts kept';
}

{
    # own lease, but the run is not running: nothing undone
    my $w = wid('notrun');
    my ($b, $a, $lease, $run) = setup($w, 1);
    my $k = ks(agent => $a, run => $run);
    $r->cmd('HSET', $k->{run}, 'status', 'cancelled');
    is_deeply handback($a, $run, $w, '1'), [ $run, 0 ],
        'own lease, status cancelled: {head, 0}';
    is $r->cmd('HGET', $k->{run}, 'lease'), $lease, 'not running: lease kept';
    is $r->cmd('HGET', $k->{run}, 'attempts'), 1, 'not running: no refund';
}

{
    # W reaped (A back in Pready), then W's own hand-back: the claim is
    # still W's, so it is undone, but A is not pushed a second time
    my $w = wid('reaped');
    my ($b, $a, $lease, $run) = setup($w, 1);
    my $k = ks(agent => $a, run => $run);
    is reap($w, $a), $run, 'setup: W reaped';
    is_deeply handback($a, $run, $w, '1'), [ $run, 1 ],
        'reaped, own claim: undone and refunded';
    is_deeply lrange('aa:ready'), [ $b, $a ], 'A in Pready once';
    inv_ok('aa:', [ $a, $b ], 'hand-back after being reaped');
}

# --- empty queue ------------------------------------------------------

{
    # the agent held with its queue empty (as after a claim that popped
    # its last run unexecuted, see 02-claim.t), set up directly
    fresh();
    my $w = wid('empty');
    my $a = create_agent($r);
    my $run = create_run($r, $a);
    cancel($a, $run);
    take($w, $a);
    my $k = ks(agent => $a, run => $run, worker => $w);
    $r->cmd('LPOP', $k->{queue});
    my $h0 = $r->hgetall($k->{run});
    is_deeply handback($a, $run, $w, '1'), [ '', 0 ],
        'empty queue: {"", 0}';
    is_deeply $r->hgetall($k->{run}), $h0, 'empty queue: run untouched';
    is $r->cmd('EXISTS', $k->{processing}), 0, 'empty queue: A released';
    is $r->cmd('LLEN', 'aa:ready'), 0, 'empty queue: A not put in Pready';
    inv_ok('aa:', [$a], 'hand-back with an empty queue');
}

done_testing;

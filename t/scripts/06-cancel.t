# cancel.lua against a real Redis (docs/redis-keys.md, "Cancellation"):
# not_found, created -> cancelled, running -> cancel_requested, and
# already_<status> for each terminal status, writing nothing.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use lib 't/scripts';
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run uuid4);
use ScriptsTest;
use AgentAsync::Keys qw(run_key);

redis_start();
my $r = redis();

my $T = '2026-01-01T00:00:05.000005Z';

# --- not_found --------------------------------------------------------

{
    fresh();
    my $a = create_agent($r);
    create_run($r, $a);
    my $before = dump_all();
    my $got = cancel($a, 'run-' . uuid4(), $T);
    is rtype($got), 'str', 'cancel answers a string';
    is $got, 'not_found', 'no such run: not_found';
    is_deeply dump_all(), $before, 'not_found: nothing written (no hash made)';
}

# --- a run of another agent: not_found, untouched ----------------------
# (its key is found from its id alone, so the script checks its agent_id)

{
    fresh();
    my $a = create_agent($r);
    my $b = create_agent($r);
    my $run = create_run($r, $b);
    my $before = dump_all();
    is cancel($a, $run, $T), 'not_found', 'another agent\'s run: not_found';
    is_deeply dump_all(), $before, 'another agent\'s run: nothing written';
    is cancel($b, $run, $T), 'cancelled', 'its own agent cancels it';
}

# --- created -> cancelled, with a callback: due at once --------------

{
    fresh();
    my $a = create_agent($r);
    my $run = create_run($r, $a, callback_url => 'https://hooks.example/c');
    my $k = ks(agent => $a, run => $run);
    my $before = dump_all();
    my ($s, $us) = @{ $r->cmd('TIME') };
    is cancel($a, $run, $T), 'cancelled', 'queued with a callback: cancelled';
    is_deeply changed($before, dump_all()), [ sort $k->{callbacks}, $k->{run} ],
        'the run and Pcallbacks are written';
    my $due = $r->cmd('ZSCORE', $k->{callbacks}, "$a/$run");
    ok defined $due && abs($due - ($s * 1000 + int($us / 1000))) < 1000,
        'its callback is due now, by Redis\'s clock';
    is cancel($a, $run, $T), 'already_cancelled', 'cancelled again: already';
    is $r->cmd('ZCARD', $k->{callbacks}), 1, 'no second delivery';
}

# --- created -> cancelled ---------------------------------------------

{
    fresh();
    my $a = create_agent($r);
    my $r1 = create_run($r, $a);
    my $r2 = create_run($r, $a);
    my $k = ks(agent => $a, run => $r1);
    my $h0 = $r->hgetall($k->{run});
    my $before = dump_all();
    is cancel($a, $r1, $T), 'cancelled', 'created: cancelled';
    is_deeply changed($before, dump_all()), [ $k->{run} ],
        'cancelled: the run hash is the only key written';
    delete $h0->{request};
    is_deeply $r->hgetall($k->{run}),
        { %$h0, status => 'cancelled', stop_reason => 'cancelled',
          completed_at => $T },
        'cancelled: status, stop_reason cancelled, completed_at = now, '
        . 'nothing else';
    is_deeply $r->cmd('LRANGE', $k->{queue}, 0, -1), [ $r1, $r2 ],
        'cancelled: the run stays in its queue';
    is_deeply $r->cmd('LRANGE', 'aa:ready', 0, -1), [$a],
        'cancelled: the agent stays in Pready';
    inv_ok('aa:', [$a], 'after cancelling a queued run');

    is $r->cmd('PTTL', $k->{run}), -1,
        'cancelled with retention "0": no expiry';

    # the worker pops it unexecuted and claims the next one
    my $w = wid('cx');
    take($w, $a);
    is_deeply claim($a, $r1, $w), [ 'skipped', 'cancelled', 0 ],
        'the worker skips the cancelled run';
    is claim($a, $r2, $w)->[0], 'claimed', 'and claims the next';
    inv_ok('aa:', [$a], 'after the skip and the claim');

    # --- running -> cancel_requested
    my $k2 = ks(agent => $a, run => $r2);
    my $h1 = $r->hgetall($k2->{run});
    $before = dump_all();
    is cancel($a, $r2, $T), 'cancel_requested', 'running: cancel_requested';
    is_deeply changed($before, dump_all()), [ $k2->{run} ],
        'cancel_requested: the run hash is the only key written';
    is_deeply $r->hgetall($k2->{run}), { %$h1, cancel_requested => 1 },
        'cancel_requested: cancel_requested = 1, still running, nothing else';
    is cancel($a, $r2, $T), 'cancel_requested',
        'running, asked twice: cancel_requested again';
    inv_ok('aa:', [$a], 'after a cancel request');
    is $r->cmd('ZCARD', 'aa:callbacks'), 0,
        'no callback_url: no callback is due';

    # the worker finishes it cancelled
    my $lease = $r->cmd('HGET', $k2->{run}, 'lease');
    is finish(agent => $a, run => $r2, worker => $w, lease => $lease,
              status => 'cancelled', stop_reason => 'cancelled')->[0],
        'ok', 'the worker finishes it cancelled';
    inv_ok('aa:', [$a], 'after finishing it');
}

# --- terminal: already_<status>, nothing written ----------------------

for my $status (qw(completed failed cancelled)) {
    fresh();
    my $a = create_agent($r);
    my $run = create_run($r, $a);
    my $w = wid("t-$status");
    take($w, $a);
    my $c = claim($a, $run, $w);
    finish(agent => $a, run => $run, worker => $w, lease => $c->[2],
           status => $status, stop_reason => $status eq 'failed'
                                              ? 'error' : 'end_turn');
    is $r->cmd('HGET', ks(agent => $a, run => $run)->{run}, 'status'),
        $status, "setup: the run is $status";
    my $before = dump_all();
    is cancel($a, $run, $T), "already_$status", "$status: already_$status";
    is_deeply dump_all(), $before, "already_$status: nothing written";
    inv_ok('aa:', [$a], "after cancelling a $status run");
}

# --- several runs in one call ---------------------------------------

{
    fresh();
    my $a = create_agent($r);
    my $r1 = create_run($r, $a, callback_url => 'https://hooks.example/1');
    my $r2 = create_run($r, $a);
    my $r3 = create_run($r, $a);
    my $w = wid('multi');
    take($w, $a);
    is claim($a, $r1, $w)->[0], 'claimed', 'setup: the first run running';
    is cancel($a, $r3, $T), 'cancelled', 'setup: the third cancelled';
    my $ghost = 'run-' . uuid4();
    my $k = ks(agent => $a);
    my $out = ScriptsTest::rs('cancel',
        [ 'aa:callbacks', map { ks(agent => $a, run => $_)->{run} }
                              $r1, $r2, $r3, $ghost ],
        $T, $a, '0', $r1, $r2, $r3, $ghost);
    is_deeply $out, [ 'cancel_requested', 'cancelled', 'already_cancelled',
                      'not_found' ], 'one answer per run, in order';
    is $r->cmd('HGET', ks(agent => $a, run => $r2)->{run}, 'status'),
        'cancelled', 'the queued one: cancelled';
    is $r->cmd('HGET', ks(agent => $a, run => $r1)->{run}, 'cancel_requested'),
        1, 'the running one: cancel_requested';
    is $r->cmd('ZCARD', 'aa:callbacks'), 0,
        'the running one\'s callback waits for its worker to finish it';
    ok !$r->cmd('EXISTS', ks(agent => $a, run => $ghost)->{run}),
        'no hash made for the unknown one';
    inv_ok('aa:', [$a], 'after cancelling several runs');
    is_deeply ScriptsTest::rs('cancel', ['aa:callbacks'], $T, $a, '0'), [],
        'no run at all: an empty list';
}

# --- retention --------------------------------------------------------

{
    fresh();
    my $a = create_agent($r);
    my $r1 = create_run($r, $a);
    my $k = ks(agent => $a, run => $r1);
    is cancel($a, $r1, $T, retention => 30000), 'cancelled',
        'retention: cancelled';
    my $ttl = $r->cmd('PTTL', $k->{run});
    ok $ttl > 29000 && $ttl <= 30000,
        "retention: the cancelled run expires in 30 s (PTTL $ttl)";
    is $r->cmd('HEXISTS', $k->{run}, 'request'), 0,
        'retention: its job dropped';
    is cancel($a, $r1, $T, retention => 90000), 'already_cancelled',
        'a second cancel: already_cancelled';
    ok $r->cmd('PTTL', $k->{run}) <= 30000, 'and the expiry is unchanged';
    inv_ok('aa:', [$a], 'after cancelling with retention');
}

# --- another prefix ---------------------------------------------------

{
    fresh();
    my $a = create_agent($r, prefix => 'cx:');
    my $run = create_run($r, $a, prefix => 'cx:');
    is cancel($a, $run, $T), 'not_found',
        'a cx: run is not found under aa:';
    is cancel($a, $run, $T, prefix => 'cx:'), 'cancelled',
        'prefix cx: cancelled';
    is $r->cmd('HGET', run_key("cx:", $run), 'status'), 'cancelled',
        'prefix cx: the cx: run is cancelled';
}

done_testing;

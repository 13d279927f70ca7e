# claim.lua against a real Redis: every answer of its contract ("empty",
# "moved", "skipped" with each reason, "claimed"), what each one writes,
# and the queue invariant after each (docs/redis-keys.md, "Taking work").

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use lib 't/scripts';
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run run_key uuid4 json);
use ScriptsTest;

redis_start();
my $r = redis();

my $T1 = '2026-01-01T00:00:01.000001Z';
my $T2 = '2026-01-01T00:00:09.000009Z';
my $ABANDONED = 'the workers executing it stopped before finishing it';

# an agent with $n runs, taken by worker $w as the worker's BLMOVE does
sub held {
    my ($w, $n, %o) = @_;
    my $a = create_agent($r, prefix => $o{prefix});
    my @runs = map { create_run($r, $a, prefix => $o{prefix},
                                %{ $o{run} // {} }) } 1 .. $n;
    take($w, $a, prefix => $o{prefix}) if $n;
    return ($a, @runs);
}

# --- empty ------------------------------------------------------------

# W holding A whose queue is empty: reached after a claim popped A's last
# run unexecuted ("skipped", below), or after a finish by a reaped worker
# while W had taken A (03-finish.t); set up directly here, so that this
# does not depend on either
{
    fresh();
    my $w = wid('e');
    my $a = create_agent($r);
    my $run = create_run($r, $a);
    take($w, $a);
    $r->cmd('LPOP', ks(agent => $a)->{queue});
    my $k = ks(agent => $a, worker => $w);
    my $before = dump_all();
    my $e = claim($a, '', $w);
    is_deeply $e, ['empty'], 'claim with "" on an empty queue: {"empty"}';
    is_deeply changed($before, dump_all()), [ $k->{processing} ],
        '"empty" changes Pprocessing:W only';
    is $r->cmd('LPOS', $k->{processing}, $a), undef,
        '"empty": the agent left Pprocessing:W';
    is $r->cmd('LPOS', $k->{ready}, $a), undef, '"empty": not put in Pready';
    inv_ok('aa:', [$a], 'after "empty"');

    # the other agents of W stay held
    my $w2 = wid('e2');
    my ($b, $rb) = held($w2, 1);
    my $c = create_agent($r);
    $r->cmd('LPUSH', ks(worker => $w2)->{processing}, $c);
    is_deeply claim($c, '', $w2), ['empty'], 'empty: second agent of W';
    is_deeply $r->cmd('LRANGE', ks(worker => $w2)->{processing}, 0, -1), [$b],
        '"empty" removes that agent only, the other stays held';
    inv_ok('aa:', [ $b, $c ], 'W holding another agent after "empty"');
}

{
    # the last run cancelled while queued: the worker takes the agent, the
    # claim pops the run ("skipped"), the next claim finds the queue empty
    fresh();
    my $w = wid('e3');
    my $a = create_agent($r);
    my $run = create_run($r, $a);
    is cancel($a, $run), 'cancelled', 'setup: the only run cancelled';
    take($w, $a);
    is_deeply claim($a, $run, $w), [ 'skipped', 'cancelled', 1 ],
        'the cancelled only run is skipped, the queue drained: {..., 1}';
    inv_ok('aa:', [$a], 'after a skip that emptied the queue: let go');
    is $r->cmd('LLEN', ks(worker => $w)->{processing}), 0,
        'a skip that drains the queue removes the agent from Pprocessing:W';
    is_deeply claim($a, '', $w), ['empty'],
        'a claim after that still answers {"empty"}';
    inv_ok('aa:', [$a], 'skipped, then "empty"');
}

# a run created right after a skip that drained the queue: the agent is in
# Pready only, never held twice
{
    fresh();
    my $w = wid('race');
    my $a = create_agent($r);
    my $run = create_run($r, $a);
    cancel($a, $run);
    take($w, $a);
    is_deeply claim($a, $run, $w), [ 'skipped', 'cancelled', 1 ],
        'race: the cancelled only run is skipped';
    my $next = create_run($r, $a);
    inv_ok('aa:', [$a], 'race: a run created right after the skip');
    is_deeply $r->cmd('LRANGE', 'aa:ready', 0, -1), [$a],
        'race: the agent waits in Pready for whichever worker comes';
}

# a run cancelled while queued is an end of a run of its agent: the skip
# sets its last_stop_reason, unless a run that ended later set it already
{
    fresh();
    my $w = wid('lsr');
    my $a = create_agent($r);
    my $r1 = create_run($r, $a);
    my $r2 = create_run($r, $a);
    my $k = ks(agent => $a);
    is cancel($a, $r1, '2026-01-01T00:00:05.000005Z'), 'cancelled',
        'last_stop_reason: setup, a queued run cancelled';
    take($w, $a);
    is_deeply claim($a, $r1, $w), [ 'skipped', 'cancelled', 0 ],
        'last_stop_reason: it is skipped';
    is_deeply $r->cmd('HMGET', $k->{agent}, 'last_stop_reason', 'last_stop_at',
                      'last_run_completion'),
        [ 'cancelled', '2026-01-01T00:00:05.000005Z', undef ],
        'last_stop_reason: "cancelled", last_stop_at its completed_at '
        . '(it did not run: no last_run_completion)';

    # a later end came first: left alone
    $r->cmd('HSET', $k->{agent}, 'last_stop_reason', 'end_turn',
            'last_stop_at', '2026-01-01T00:00:09.000009Z');
    is cancel($a, $r2, '2026-01-01T00:00:06.000006Z'), 'cancelled',
        'last_stop_reason: setup, the next one cancelled earlier';
    is_deeply claim($a, $r2, $w), [ 'skipped', 'cancelled', 1 ],
        'last_stop_reason: skipped';
    is_deeply $r->cmd('HMGET', $k->{agent}, 'last_stop_reason', 'last_stop_at'),
        [ 'end_turn', '2026-01-01T00:00:09.000009Z' ],
        'last_stop_reason: a run that ended later keeps it';

    # the agent gone: nothing of it is recreated
    my $r3 = create_run($r, $a);
    cancel($a, $r3);
    $r->cmd('DEL', $k->{agent});
    take($w, $a);
    is claim($a, $r3, $w)->[0], 'skipped', 'agent gone: the run is skipped';
    is $r->cmd('EXISTS', $k->{agent}), 0, 'agent gone: its hash stays gone';
}

# --- moved ------------------------------------------------------------

{
    fresh();
    my $w = wid('m');
    my ($a, $r1, $r2) = held($w, 2);
    my $before = dump_all();
    is_deeply claim($a, $r2, $w), ['moved'],
        'the head is not the run passed: {"moved"}';
    is_deeply dump_all(), $before, '"moved" (another head): nothing written';
    is_deeply claim($a, 'run-' . uuid4(), $w), ['moved'],
        'a run not in the queue at all: {"moved"}';
    is_deeply dump_all(), $before, '"moved" (unknown run): nothing written';
    is_deeply claim($a, '', $w), ['moved'],
        'worker saw the queue empty but it is not: {"moved"}';
    is_deeply dump_all(), $before, '"moved" (""): nothing written, still held';
    inv_ok('aa:', [$a], 'after "moved"');
}

# --- skipped: terminal heads and a missing hash -----------------------

# retention: a run popped unexecuted expires, its parts too; an expiry it
# has already (set when it was cancelled) is kept
{
    fresh();
    my $w = wid('s-ttl');
    my ($a, $r1, $r2, $r3) = held($w, 3);
    my $k1 = ks(agent => $a, run => $r1, worker => $w);
    my $k2 = ks(agent => $a, run => $r2, worker => $w);
    $r->cmd('HSET', $k1->{run}, 'status', 'cancelled');
    $r->cmd('RPUSH', $k1->{messages}, '{}');
    $r->cmd('RPUSH', $k1->{steps}, '{}');
    is_deeply claim($a, $r1, $w, retention => 60000),
        [ 'skipped', 'cancelled', 0 ], 'retention: the cancelled run skipped';
    for my $part (qw(run messages steps)) {
        my $ttl = $r->cmd('PTTL', $k1->{$part});
        ok $ttl > 59000 && $ttl <= 60000, "retention: its $part expire in "
            . "60 s (PTTL $ttl)";
    }
    $r->cmd('HSET', $k2->{run}, 'status', 'cancelled');
    $r->cmd('PEXPIRE', $k2->{run}, 5000);
    claim($a, $r2, $w, retention => 60000);
    my $ttl = $r->cmd('PTTL', $k2->{run});
    ok $ttl > 0 && $ttl <= 5000, "retention: an expiry set already is kept "
        . "(PTTL $ttl)";
    ok !$r->cmd('EXISTS', $k2->{messages}),
        'retention: no messages key made for a run that had none';
    inv_ok('aa:', [$a], 'after skips with retention');
}

for my $status (qw(completed failed cancelled)) {
    fresh();
    my $w = wid("s-$status");
    my ($a, $r1, $r2) = held($w, 2);
    my $k = ks(agent => $a, run => $r1, worker => $w);
    $r->cmd('HSET', $k->{run}, 'status', $status);
    my $h0 = $r->hgetall($k->{run});
    my $before = dump_all();
    is_deeply claim($a, $r1, $w), [ 'skipped', $status, 0 ],
        "head run $status: {\"skipped\", \"$status\"}";
    is_deeply changed($before, dump_all()), [ sort @$k{qw(queue run)} ],
        "skipped $status: the queue and the run hash changed";
    delete $h0->{request};
    is_deeply $r->hgetall($k->{run}), $h0,
        "skipped $status: the run lost its job, nothing else";
    is $r->cmd('PTTL', $k->{run}), -1,
        "skipped $status: retention \"0\": no expiry";
    is_deeply $r->cmd('LRANGE', $k->{queue}, 0, -1), [$r2],
        "skipped $status: popped, the next run is the head";
    is $r->cmd('LLEN', $k->{dead}), 0, "skipped $status: not dead-lettered";
    inv_ok('aa:', [$a], "after skipping a $status run (queue not empty)");
}

{
    fresh();
    my $w = wid('s-missing');
    my ($a, $r1, $r2) = held($w, 2);
    my $k = ks(agent => $a, run => $r1, worker => $w);
    $r->cmd('DEL', $k->{run});
    my $before = dump_all();
    is_deeply claim($a, $r1, $w), [ 'skipped', 'missing', 0 ],
        'head run without a hash: {"skipped", "missing"}';
    is_deeply changed($before, dump_all()), [ $k->{queue} ],
        'skipped missing: only the queue changed (no hash created)';
    is_deeply $r->cmd('LRANGE', $k->{queue}, 0, -1), [$r2],
        'skipped missing: popped';
    inv_ok('aa:', [$a], 'after skipping a missing run');
}

# --- skipped: dead ----------------------------------------------------

{
    # reachable: two claims whose workers died (reaped), max 2
    fresh();
    my $a = create_agent($r);
    my $r1 = create_run($r, $a, callback_url => 'http://127.0.0.1:1/cb');
    my $r2 = create_run($r, $a);
    my $k = ks(agent => $a, run => $r1);
    for my $n (1, 2) {
        my $w = wid("d$n");
        take($w, $a);
        is claim($a, $r1, $w, max => 2)->[0], 'claimed', "dead: claim $n";
        is reap($w, $a), $r1, "dead: worker $n reaped, run still the head";
    }
    my $w = wid('d3');
    take($w, $a);
    my $before = dump_all();
    is_deeply claim($a, $r1, $w, max => 2, now => $T2),
        [ 'skipped', 'dead', 0 ],
        'attempts used up: {"skipped", "dead"}';
    is_deeply changed($before, dump_all()),
        [ sort $k->{queue}, $k->{run}, $k->{dead}, $k->{callbacks},
               $k->{agent} ],
        'dead: writes the run, the queue, Pdead, Pcallbacks, the agent only';
    is_deeply [ $r->cmd('HMGET', $k->{agent}, 'last_stop_reason',
                        'last_stop_at') ],
        [ [ 'error', $T2 ] ], 'dead: the agent\'s last_stop_reason: error';
    is_deeply $r->cmd('ZRANGE', $k->{callbacks}, 0, -1), ["$a/$r1"],
        'dead: its callback is due (the run has a callback_url)';
    my $h = $r->hgetall($k->{run});
    is $h->{status}, 'failed', 'dead: status failed';
    is $h->{stop_reason}, 'error', 'dead: stop_reason error';
    is $h->{completed_at}, $T2, 'dead: completed_at = now';
    is $h->{attempts}, 2, 'dead: attempts not incremented';
    ok !exists $h->{lease}, 'dead: no claim finished it, the lease is dropped';
    my $md = json->decode($h->{metadata});
    is $md->{error}, "run abandoned after 2 attempts: $ABANDONED",
        'dead: metadata.error says so';
    is $md->{run_type}, 'send_message_async', 'dead: metadata.run_type kept';
    ok exists $md->{lettuce} && !defined $md->{lettuce},
        'dead: metadata.lettuce kept (null)';
    is scalar(keys %$md), 3, 'dead: metadata has those three keys';
    is_deeply $r->cmd('LRANGE', $k->{queue}, 0, -1), [$r2],
        'dead: popped from the queue';
    is_deeply $r->cmd('LRANGE', $k->{dead}, 0, -1), [$r1], 'dead: in Pdead';
    inv_ok('aa:', [$a], 'after a dead-letter (queue not empty)');
    is_deeply claim($a, $r2, $w, max => 2)->[0], 'claimed',
        'dead: the next run is claimed';

    # a second dead run goes behind the first (RPUSH, oldest first);
    # attempts above the maximum count as used up; corrupt metadata
    fresh();
    $r->cmd('RPUSH', 'aa:dead', 'run-older');
    $w = wid('d4');
    my ($b, $rb) = held($w, 1);
    my $kb = ks(agent => $b, run => $rb, worker => $w);
    $r->cmd('HSET', $kb->{run}, 'attempts', 5, 'metadata', 'not json {');
    is_deeply claim($b, $rb, $w, max => 3), [ 'skipped', 'dead', 1 ],
        'attempts 5 > max 3: dead';
    is_deeply json->decode($r->cmd(q{HGET}, $kb->{run}, q{metadata})),
        { error => "run abandoned after 5 attempts: $ABANDONED" },
        'dead with corrupt metadata: metadata is {error} alone';
    is_deeply $r->cmd('LRANGE', 'aa:dead', 0, -1), [ 'run-older', $rb ],
        'Pdead: RPUSH, oldest first';
    inv_ok('aa:', [$b], 'after a dead-letter that emptied the queue');
    is_deeply claim($b, '', $w), ['empty'], 'then the queue is empty';
    inv_ok('aa:', [$b], 'dead-lettered, then "empty"');

    # metadata absent, and metadata JSON that is not an object
    for my $case ([ 'absent', undef ], [ 'a JSON string', '"text"' ]) {
        my ($what, $value) = @$case;
        fresh();
        $w = wid('d5');
        my ($c, $rc) = held($w, 1);
        my $kc = ks(agent => $c, run => $rc);
        $r->cmd('HSET', $kc->{run}, 'attempts', 1);
        if (defined $value) {
            $r->cmd('HSET', $kc->{run}, 'metadata', $value);
        } else {
            $r->cmd('HDEL', $kc->{run}, 'metadata');
        }
        is_deeply claim($c, $rc, $w, max => 1), [ 'skipped', 'dead', 1 ],
            "metadata $what: dead";
        is_deeply json->decode($r->cmd('HGET', $kc->{run}, 'metadata')),
            { error => "run abandoned after 1 attempts: $ABANDONED" },
            "metadata $what: becomes {error}";
    }
}

# --- claimed ----------------------------------------------------------

{
    fresh();
    my $w = wid('c');
    my ($a, $r1, $r2) = held($w, 2);
    my $k = ks(agent => $a, run => $r1, worker => $w);
    my $h0 = $r->hgetall($k->{run});
    my $before = dump_all();
    my $c = claim($a, $r1, $w, max => 3, now => $T1);
    is_deeply [ map { rtype($_) } @$c ],
        [qw(str int str str str str int str str)],
        'claimed: reply types as aw_store_claim_decode wants them';
    my $ag = $r->hgetall($k->{agent});
    is_deeply $c, [ 'claimed', 1, "$w#1", $h0->{request}, '',
                    $h0->{created_us}, 1, $ag->{system}, $ag->{llm} ],
        'claimed: {claimed, 1, "W#1", request, "", created_us, 1, system, '
        . 'llm}';
    is_deeply changed($before, dump_all()), [ $k->{run} ],
        'claimed: writes the run hash only (stays at the head, held)';
    my $h = $r->hgetall($k->{run});
    is $h->{status}, 'running', 'claimed: status running';
    is $h->{attempts}, 1, 'claimed: attempts 1';
    is $h->{lease}, "$w#1", 'claimed: lease W#1';
    is $h->{started_at}, $T1, 'claimed: started_at = now';
    my @module = grep { $_ ne "status" } keys %$h0;
    is_deeply { map { $_ => $h->{$_} } @module },
        { map { $_ => $h0->{$_} } @module },
        "claimed: the other fields of the module are untouched";
    is_deeply [ sort grep { !exists $h0->{$_} } keys %$h ],
        [qw(attempts lease started_at)],
        "claimed: the fields added are attempts, lease, started_at";
    inv_ok('aa:', [$a], 'after "claimed"');

    # re-delivery: W dies, another worker claims the same run
    is reap($w, $a), $r1, 'setup: worker reaped';
    my $w2 = wid('c2');
    take($w2, $a);
    my $c2 = claim($a, $r1, $w2, max => 3, now => $T2);
    is_deeply [ @$c2[0 .. 2] ], [ 'claimed', 2, "$w2#2" ],
        're-delivery: claimed again, attempts 2, lease W2#2';
    $h = $r->hgetall($k->{run});
    is $h->{lease}, "$w2#2", 're-delivery: lease is the new worker\'s';
    is $h->{started_at}, $T1, 're-delivery: started_at not changed';
    is $h->{status}, 'running', 're-delivery: still running';
    inv_ok('aa:', [$a], 'after a re-delivery');

    # the last attempt allowed is claimed, not dead (attempts 2 < max 3)
    is reap($w2, $a), $r1, 'setup: second worker reaped';
    my $w3 = wid('c3');
    take($w3, $a);
    is_deeply [ @{ claim($a, $r1, $w3, max => 3) }[0 .. 2] ],
        [ 'claimed', 3, "$w3#3" ], 'attempts 2 of max 3: claimed a third time';
}

{
    # cancel_requested, callback_url, request absent, agent gone
    fresh();
    my $w = wid('c4');
    my $a = create_agent($r);
    my $run = create_run($r, $a, callback_url => 'http://cb.example/x',
                         request => undef);
    take($w, $a);
    my $k = ks(agent => $a, run => $run, worker => $w);
    $r->cmd('HSET', $k->{run}, 'status', 'running', 'attempts', 1,
            'lease', "$w#1");          # a re-delivery of a running run
    is cancel($a, $run), 'cancel_requested', 'setup: cancel requested';
    $r->cmd('DEL', $k->{agent});
    my $c = claim($a, $run, $w);
    is $c->[4], '1', 'claimed: cancel_requested "1" returned';
    is scalar @$c, 9, 'claimed: callback_url is not the claim\'s business';
    is $r->cmd('ZCARD', $k->{callbacks}), 0,
        'claimed: no callback is due for a run that is not terminal';
    is $c->[3], '', 'claimed: request "" when the run has none';
    is $c->[6], 0, 'claimed: agent exists 0 when the agent hash is gone';
    is_deeply [ @$c[7, 8] ], [ '', '' ],
        'claimed: system and llm "" when the agent hash is gone';
    is $c->[1], 2, 'claimed: a running head is claimed (attempts 2)';
}

# --- another prefix ---------------------------------------------------

{
    fresh();
    my $w = wid('px');
    my ($a, $run) = held($w, 1, prefix => 'px:');
    my $c = claim($a, $run, $w, prefix => 'px:');
    is_deeply [ @$c[0 .. 2] ], [ 'claimed', 1, "$w#1" ],
        'prefix px: claimed';
    is $r->cmd('HGET', run_key('px:', $run), 'status'), 'running',
        'prefix px: the px: run is running';
    is_deeply [ grep { !/^px:/ } @{ $r->cmd('KEYS', '*') } ], [],
        'prefix px: no key outside px:';
    inv_ok('px:', [$a], 'prefix px:');
}

done_testing;

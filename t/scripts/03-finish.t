# finish.lua against a real Redis: the terminal write guarded by the lease
# (docs/redis-keys.md, "Finishing"): "ok" with its writes (messages,
# history, chunked RPUSH past 500 items, ttft, error merged in metadata),
# "already" on a retried call, "lost" on another lease or status, and where
# the agent goes afterwards, including when it was reaped meanwhile.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use lib 't/scripts';
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run uuid4 json);
use ScriptsTest;

redis_start();
my $r = redis();

my $T = '2026-01-01T00:00:07.000007Z';
my $MD = '{"run_type":"send_message_async","lettuce":null}';

# an agent with $n runs, taken by $w, its head claimed: (A, lease, runs)
sub claimed {
    my ($w, $n) = @_;
    my $a = create_agent($r);
    my @runs = map { create_run($r, $a) } 1 .. $n;
    take($w, $a);
    my $c = claim($a, $runs[0], $w);
    die "setup: claim gave $c->[0]\n" unless $c->[0] eq 'claimed';
    return ($a, $c->[2], @runs);
}

sub lrange { $r->cmd('LRANGE', $_[0], 0, -1) }

# --- ok: completed, the agent drained ---------------------------------

{
    fresh();
    my $w = wid('ok');
    my ($a, $lease, $run) = claimed($w, 1);
    my $k = ks(agent => $a, run => $run, worker => $w);
    $r->cmd('RPUSH', $k->{history}, 'h-old-1', 'h-old-2');
    $r->cmd('RPUSH', $k->{messages}, 'stale');
    my $h0 = $r->hgetall($k->{run});
    my $before = dump_all();
    my $f = finish(agent => $a, run => $run, worker => $w, lease => $lease,
                   status => 'completed', stop_reason => 'end_turn',
                   now => $T, ttft => '1234', total => '98765',
                   usage => '{"total_tokens":7}',
                   messages => [ '{"m":1}', '{"m":2}' ],
                   history => [ '{"role":"user"}', '{"role":"assistant"}' ]);
    is_deeply [ map { rtype($_) } @$f ], [qw(str str)],
        'ok: reply types as aw_store_finish wants them';
    is_deeply $f, [ 'ok', $MD ], 'ok: {"ok", metadata} (metadata as stored)';
    is_deeply changed($before, dump_all()),
        [ sort @$k{qw(run queue messages history processing agent)} ],
        'ok: writes the run, queue, messages, history, Pprocessing:W, agent';
    my $ag = $r->hgetall($k->{agent});
    is_deeply { map { $_ => $ag->{$_} }
                qw(last_stop_reason last_stop_at last_run_completion
                   last_run_duration_ms) },
        { last_stop_reason => 'end_turn', last_stop_at => $T,
          last_run_completion => $T, last_run_duration_ms => 0 },
        'ok: the agent records the run\'s end (98765 ns: 0 ms)';
    my $h = $r->hgetall($k->{run});
    is_deeply { map { $_ => $h->{$_} }
                qw(status stop_reason completed_at ttft_ns total_duration_ns
                   usage metadata lease attempts started_at) },
        { status => 'completed', stop_reason => 'end_turn',
          completed_at => $T, ttft_ns => 1234, total_duration_ns => 98765,
          usage => '{"total_tokens":7}', metadata => $MD, lease => $lease,
          attempts => 1, started_at => $h0->{started_at} },
        'ok: the terminal fields written, lease/attempts/started_at kept';
    ok exists $h0->{request} && !exists $h->{request},
        'ok: the job ("request") is dropped at the end';
    is_deeply [ map { $r->cmd('PTTL', $_) } @$k{qw(run messages)} ],
        [ -1, -1 ], 'ok: retention "0": the run and messages do not expire';
    is_deeply lrange($k->{messages}), [ '{"m":1}', '{"m":2}' ],
        'ok: the messages replace what was there';
    is_deeply lrange($k->{history}),
        [ 'h-old-1', 'h-old-2', '{"role":"user"}', '{"role":"assistant"}' ],
        'ok: the history entries appended';
    is $r->cmd('LLEN', $k->{queue}), 0, 'ok: the run left the queue';
    is $r->cmd('EXISTS', $k->{processing}), 0,
        'ok: the agent left Pprocessing:W';
    is $r->cmd('LLEN', $k->{ready}), 0,
        'ok: a drained agent is not put in Pready';
    inv_ok('aa:', [$a], 'finished the last run');

    # a retried call (its reply was lost): "already", nothing written
    $before = dump_all();
    my @same = (agent => $a, run => $run, worker => $w, lease => $lease,
                now => '2026-01-01T00:00:08.000008Z', ttft => '1',
                messages => ['{"m":"again"}'], history => ['{"again":1}']);
    is_deeply finish(@same), [ 'already', 'completed' ],
        'retried finish: {"already", "completed"}';
    is_deeply dump_all(), $before,
        'retried finish: nothing written (no history appended twice)';
}

# --- retention and the history's bound --------------------------------

{
    fresh();
    my $w = wid('ttl');
    my ($a, $lease, $run) = claimed($w, 1);
    my $k = ks(agent => $a, run => $run, worker => $w);
    $r->cmd('RPUSH', $k->{history}, map { "old-$_" } 1 .. 5);
    is finish(agent => $a, run => $run, worker => $w, lease => $lease,
              retention => 90000, history_max => 4,
              messages => [ '{"m":1}' ], steps => [ '{"s":1}' ],
              history => [ 'new-1', 'new-2' ])->[0], 'ok',
        'retention: finished';
    for my $part (qw(run messages steps)) {
        my $ttl = $r->cmd('PTTL', $k->{$part});
        ok $ttl > 89000 && $ttl <= 90000,
            "retention: the run's $part expire in 90 s (PTTL $ttl)";
    }
    is $r->cmd('PTTL', $k->{agent}), -1, 'retention: the agent is kept';
    is_deeply lrange($k->{history}), [qw(old-4 old-5 new-1 new-2)],
        'history_max 4: the newest 4 entries kept, the oldest dropped';
    is $r->cmd('PTTL', $k->{history}), -1, 'the history does not expire';
    inv_ok('aa:', [$a], 'after a finish with retention');
}

# --- the agent's run metrics, whatever the end --------------------------

for my $end ([ 'completed', 'max_steps', '2500000000', 2500 ],
             [ 'failed', 'error', '1999999', 1 ],
             [ 'cancelled', 'cancelled', '7', 0 ]) {
    my ($status, $reason, $ns, $ms) = @$end;
    fresh();
    my $w = wid("m-$status");
    my ($a, $lease, $run) = claimed($w, 1);
    my $k = ks(agent => $a, run => $run);
    $r->cmd('HSET', $k->{agent}, 'last_stop_reason', 'end_turn',
            'last_run_duration_ms', 5);
    is finish(agent => $a, run => $run, worker => $w, lease => $lease,
              status => $status, stop_reason => $reason, now => $T,
              total => $ns)->[0], 'ok', "$status: ok";
    is_deeply [ $r->cmd('HMGET', $k->{agent}, 'last_stop_reason',
                        'last_run_completion', 'last_run_duration_ms') ],
        [ [ $reason, $T, $ms ] ],
        "$status: last_stop_reason $reason, last_run_duration_ms $ms";
}

# --- the agent deleted while its run ran --------------------------------

{
    fresh();
    my $w = wid('noagent');
    my ($a, $lease, $run) = claimed($w, 1);
    my $k = ks(agent => $a, run => $run, worker => $w);
    $r->cmd('DEL', $k->{agent});
    is finish(agent => $a, run => $run, worker => $w, lease => $lease,
              messages => ['{"m":1}'], history => ['{"role":"user"}'])->[0],
        'ok', 'agent gone, run still there: ok';
    is $r->cmd('EXISTS', $k->{agent}), 0,
        'agent gone: no agent hash made of the metrics';
    is $r->cmd('EXISTS', $k->{history}), 0,
        'agent gone: no history made of the entries';
    is_deeply lrange($k->{messages}), ['{"m":1}'],
        'agent gone: the run\'s own messages are written (its deletion '
        . 'takes them)';
    is $r->cmd('EXISTS', $k->{processing}), 0, 'agent gone: let go';
}

# --- ok: the queue still has runs -------------------------------------

{
    fresh();
    my $b = create_agent($r);
    my $w = wid('more');
    my ($a, $lease, $r1, $r2) = claimed($w, 2);
    create_run($r, $b);                    # another agent waiting in Pready
    my $k = ks(agent => $a, worker => $w);
    is finish(agent => $a, run => $r1, worker => $w, lease => $lease)->[0],
        'ok', 'ok with a run behind';
    is_deeply lrange($k->{queue}), [$r2], 'the next run is now the head';
    is_deeply lrange($k->{ready}), [ $a, $b ],
        'the agent is back in Pready, LPUSHed behind the waiting agent';
    is $r->cmd('EXISTS', $k->{processing}), 0, 'and left Pprocessing:W';
    inv_ok('aa:', [ $a, $b ], 'finished with runs left');
}

# --- chunked RPUSH ----------------------------------------------------

{
    fresh();
    my $w = wid('chunk');
    my ($a, $lease, $run) = claimed($w, 1);
    my $k = ks(agent => $a, run => $run);
    my @msgs = map { qq({"id":"message-$_"}) } 1 .. 1201;
    my @hist = map { qq({"role":"user","content":"$_"}) } 1 .. 1502;
    is finish(agent => $a, run => $run, worker => $w, lease => $lease,
              messages => \@msgs, history => \@hist)->[0], 'ok',
        'ok with 1201 messages and 1502 history entries';
    is_deeply lrange($k->{messages}), \@msgs,
        '1201 messages stored whole and in order (3 chunks)';
    is_deeply lrange($k->{history}), \@hist,
        '1502 history entries stored whole and in order (4 chunks)';

    # more than one unpack() could take at once (Lua stack, ~8000)
    fresh();
    ($a, $lease, $run) = claimed($w, 1);
    $k = ks(agent => $a, run => $run);
    @msgs = map { qq({"n":$_}) } 1 .. 9001;
    is finish(agent => $a, run => $run, worker => $w, lease => $lease,
              messages => \@msgs)->[0], 'ok', 'ok with 9001 messages';
    is_deeply lrange($k->{messages}), \@msgs, '9001 messages stored whole';
    is $r->cmd('EXISTS', $k->{history}), 0, 'no history entry: none written';
    inv_ok('aa:', [$a], 'after the large finishes');
}

# --- ttft, error, metadata --------------------------------------------

{
    fresh();
    my $w = wid('ttft');
    my ($a, $lease, $run) = claimed($w, 1);
    my $k = ks(agent => $a, run => $run);
    finish(agent => $a, run => $run, worker => $w, lease => $lease,
           ttft => '', total => '42');
    my $h = $r->hgetall($k->{run});
    ok !exists $h->{ttft_ns}, 'ttft "": ttft_ns absent';
    is $h->{total_duration_ns}, 42, 'ttft "": total_duration_ns written';

    fresh();
    ($a, $lease, $run) = claimed($w, 1);
    $k = ks(agent => $a, run => $run);
    $r->cmd('RPUSH', $k->{history}, 'h-old');
    my $f = finish(agent => $a, run => $run, worker => $w, lease => $lease,
                   status => 'failed', stop_reason => 'error',
                   error => 'backend said "no"');
    is $f->[0], 'ok', 'failed: ok';
    my $md = json->decode($f->[1]);
    is_deeply $md, { run_type => 'send_message_async', lettuce => undef,
                     error => 'backend said "no"' },
        'failed: error merged into metadata, other keys kept';
    is $r->cmd('HGET', $k->{run}, 'metadata'), $f->[1],
        'failed: the metadata answered is the one stored';
    is_deeply [ @{ $r->hgetall($k->{run}) }{qw(status stop_reason)} ],
        [ 'failed', 'error' ], 'failed: status and stop_reason';
    is $r->cmd('EXISTS', $k->{messages}), 0, 'failed: no messages';
    is_deeply lrange($k->{history}), ['h-old'], 'failed: history untouched';
    is_deeply finish(agent => $a, run => $run, worker => $w,
                     lease => $lease, status => 'failed'),
        [ 'already', 'failed' ], 'failed, retried: {"already", "failed"}';

    # corrupt metadata: replaced by {error} when there is an error, kept
    # as it is when there is none
    for my $case ([ 'boom', { error => 'boom' } ], [ '', 'not json {' ]) {
        my ($error, $want) = @$case;
        fresh();
        ($a, $lease, $run) = claimed($w, 1);
        $k = ks(agent => $a, run => $run);
        $r->cmd('HSET', $k->{run}, 'metadata', 'not json {');
        $f = finish(agent => $a, run => $run, worker => $w, lease => $lease,
                    status => 'failed', error => $error);
        if (ref $want) {
            is_deeply json->decode($f->[1]), $want,
                'corrupt metadata with an error: {error} alone';
        } else {
            is $r->cmd('HGET', $k->{run}, 'metadata'), $want,
                'corrupt metadata, no error: left as it was';
        }
    }

    fresh();
    ($a, $lease, $run) = claimed($w, 1);
    $k = ks(agent => $a, run => $run);
    $r->cmd('HDEL', $k->{run}, 'metadata');
    is_deeply finish(agent => $a, run => $run, worker => $w, lease => $lease,
                     status => 'cancelled', stop_reason => 'cancelled'),
        [ 'ok', '{}' ], 'no metadata, no error: {"ok", "{}"}';
    is $r->cmd('HGET', $k->{run}, 'metadata'), '{}',
        'no metadata: "{}" stored';
    is_deeply finish(agent => $a, run => $run, worker => $w, lease => $lease,
                     status => 'cancelled'),
        [ 'already', 'cancelled' ], 'cancelled, retried: already';
}

# --- lost: nothing written --------------------------------------------

{
    fresh();
    my $w1 = wid('lost1');
    my ($a, $lease1, $run) = claimed($w1, 1);
    my $k = ks(agent => $a, run => $run);
    is reap($w1, $a), $run, 'setup: W1 reaped';
    my $w2 = wid('lost2');
    take($w2, $a);
    my $lease2 = claim($a, $run, $w2)->[2];
    is $lease2, "$w2#2", 'setup: W2 claimed the run again';
    my $before = dump_all();
    is_deeply finish(agent => $a, run => $run, worker => $w1,
                     lease => $lease1, messages => ['x'], history => ['y']),
        [ 'lost', 'running' ], 'lease of another claim: {"lost", "running"}';
    is_deeply dump_all(), $before, 'lost (running): nothing written';
    inv_ok('aa:', [$a], 'after a lost finish');

    is finish(agent => $a, run => $run, worker => $w2,
              lease => $lease2)->[0], 'ok', 'W2 finishes it';
    $before = dump_all();
    is_deeply finish(agent => $a, run => $run, worker => $w1,
                     lease => $lease1, history => ['y']),
        [ 'lost', 'completed' ],
        'terminal under another lease: {"lost", "completed"}, not already';
    is_deeply dump_all(), $before, 'lost (completed): nothing written';
}

{
    # the last attempt's worker reaped, the run dead-lettered by the next
    # claim; then that worker's late finish
    fresh();
    my $a = create_agent($r);
    my $run = create_run($r, $a);
    my $lease;
    for my $n (1, 2) {
        my $w = wid("dl$n");
        take($w, $a);
        $lease = claim($a, $run, $w, max => 2)->[2];
        is reap($w, $a), $run, "setup: worker of attempt $n reaped";
    }
    take(wid('dl3'), $a);
    is_deeply claim($a, $run, wid('dl3'), max => 2),
        [ 'skipped', 'dead', 1 ],
        'setup: dead-lettered by the next claim';
    my $before = dump_all();
    my $f = finish(agent => $a, run => $run, worker => wid('dl2'),
                   lease => $lease, history => ['y']);
    is_deeply dump_all(), $before, 'finish of a dead-lettered run: nothing written';
    # "already" is only for the lease that finished the run: the
    # dead-letter drops the lease, so the late finisher is told "lost"
    is_deeply $f, [ 'lost', 'failed' ],
        'finish of a run dead-lettered by another claim: lost';
}

{
    # the claim handed back (lease removed), then a finish of that lease
    fresh();
    my $w = wid('lost3');
    my ($a, $lease, $run) = claimed($w, 1);
    is_deeply handback($a, $run, $w, '0'), [ $run, 0 ], 'setup: handed back';
    my $before = dump_all();
    is_deeply finish(agent => $a, run => $run, worker => $w, lease => $lease),
        [ 'lost', 'running' ], 'lease removed by a hand-back: lost';
    is_deeply dump_all(), $before, 'lost after hand-back: nothing written';

    # own lease but a status that is not running nor terminal
    fresh();
    ($a, $lease, $run) = claimed($w, 1);
    my $k = ks(agent => $a, run => $run);
    $r->cmd('HSET', $k->{run}, 'status', 'created');
    $before = dump_all();
    is_deeply finish(agent => $a, run => $run, worker => $w, lease => $lease),
        [ 'lost', 'created' ], 'own lease, status created: {"lost", "created"}';
    is_deeply dump_all(), $before, 'lost (created): nothing written';

    # the run hash gone (deleted while it ran): it leaves the queue and the
    # agent the worker's list, nothing else is written
    $r->cmd('DEL', $k->{run});
    $before = dump_all();
    is_deeply finish(agent => $a, run => $run, worker => $w, lease => $lease,
                     messages => ['x']),
        [ 'gone', '' ], 'run hash gone: {"gone", ""}';
    my $kw = ks(agent => $a, run => $run, worker => $w);
    is_deeply changed($before, dump_all()),
        [ sort $kw->{processing}, $kw->{queue} ],
        'gone: only the queue and Pprocessing:W change';
    inv_ok('aa:', [$a], 'gone: the agent let go, its queue empty');
    ok !$r->cmd('EXISTS', $kw->{messages}), 'gone: no messages written';
}

# --- ok: the steps are stored in order --------------------------------

{
    fresh();
    my $w = wid('steps');
    my ($a, $lease, $run) = claimed($w, 1);
    my $k = ks(agent => $a, run => $run);
    $r->cmd('RPUSH', $k->{steps}, 'stale');
    is finish(agent => $a, run => $run, worker => $w, lease => $lease,
              messages => [ 'm1' ], steps => [ 's1', 's2' ],
              history => [ 'h1' ])->[0], 'ok', 'finish with steps: ok';
    is_deeply lrange($k->{steps}), [ 's1', 's2' ], 'steps replaced, in order';
    is_deeply lrange($k->{messages}), [ 'm1' ], 'messages';
    is_deeply lrange($k->{history}), [ 'h1' ], 'history';
}

# --- reaped meanwhile -------------------------------------------------

{
    # (a) last run; the agent was reaped to Pready, nobody took it
    fresh();
    my $b = create_agent($r);
    my $w = wid('reap-a');
    my ($a, $lease, $run) = claimed($w, 1);
    create_run($r, $b);
    is reap($w, $a), $run, 'setup: reaped, the agent is back in Pready';
    is_deeply lrange('aa:ready'), [ $b, $a ], 'setup: Pready is [B, A]';
    is finish(agent => $a, run => $run, worker => $w, lease => $lease)->[0],
        'ok', 'reaped meanwhile, last run: ok (the lease still holds)';
    is_deeply lrange('aa:ready'), [$b],
        'reaped meanwhile, queue now empty: A removed from Pready, B kept';
    inv_ok('aa:', [ $a, $b ], 'reaped meanwhile, drained');

    # (b) runs left; the agent in Pready stays there, once
    fresh();
    ($a, $lease, my $r1, my $r2) = claimed($w, 2);
    is reap($w, $a), $r1, 'setup: reaped with a run behind';
    is finish(agent => $a, run => $r1, worker => $w, lease => $lease)->[0],
        'ok', 'reaped meanwhile, runs left: ok';
    is_deeply lrange('aa:ready'), [$a],
        'reaped meanwhile, runs left: A in Pready once, not pushed again';
    is_deeply lrange(ks(agent => $a)->{queue}), [$r2], 'the run popped';
    inv_ok('aa:', [$a], 'reaped meanwhile, runs left');

    # (c) the agent was taken by another worker, which has not claimed yet
    fresh();
    ($a, $lease, $run) = claimed($w, 1);
    is reap($w, $a), $run, 'setup: reaped';
    my $w2 = wid('reap-c');
    take($w2, $a);
    is finish(agent => $a, run => $run, worker => $w, lease => $lease)->[0],
        'ok', 'taken by W2 meanwhile, not claimed: W finishes it, ok';
    is $r->cmd('LPOS', 'aa:ready', $a), undef, 'A not pushed to Pready';
    {
        local $TODO = 'finish cannot release the agent from the new '
            . 'holder\'s Pprocessing:W2: held with an empty queue until W2 '
            . 'claims';
        inv_ok('aa:', [$a], 'finish while another worker holds the agent');
    }
    is_deeply claim($a, $run, $w2), ['moved'],
        'W2 claims the run it saw: moved';
    is_deeply claim($a, '', $w2), ['empty'], 'W2 reads again: empty';
    inv_ok('aa:', [$a], 'W2 found the queue empty');
}

# --- the run not at the head (defensive LREM) -------------------------

{
    fresh();
    my $w = wid('mid');
    my $a = create_agent($r);
    my $r0 = create_run($r, $a);
    my $r1 = create_run($r, $a);
    take($w, $a);
    my $k = ks(agent => $a, run => $r1);
    $r->cmd('HSET', $k->{run}, 'status', 'running', 'lease', "$w#1",
            'attempts', 1);
    is finish(agent => $a, run => $r1, worker => $w, lease => "$w#1")->[0],
        'ok', 'a run behind the head: ok';
    is_deeply lrange($k->{queue}), [$r0],
        'it is removed from the queue, the head is kept';
    is_deeply lrange('aa:ready'), [$a], 'the agent, with a run left, in Pready';
    inv_ok('aa:', [$a], 'finished a run behind the head');
}

done_testing;

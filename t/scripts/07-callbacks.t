# The callback deliveries against a real Redis (docs/redis-keys.md,
# "Callbacks"; docs/callbacks.md): finish queues a run's delivery in the
# step that makes it terminal, callback_due lists what is due by Redis's
# clock, callback_start takes a delivery once under a lease, callback_done
# records the outcome under that lease and schedules or drops the next.

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

my $T = '2026-01-01T00:00:09.000009Z';
my $URL = 'https://hooks.example/h';

sub now_ms { my ($s, $us) = @{ $r->cmd('TIME') }; $s * 1000 + int($us / 1000) }

sub due { ScriptsTest::rs('callback_due', [ 'aa:callbacks' ], $_[0] // 100) }

sub start {
    my ($a, $run, $w, %o) = @_;
    my $k = ks(agent => $a, run => $run);
    return ScriptsTest::rs('callback_start',
                           [ 'aa:callbacks', $k->{run}, $k->{messages} ],
                           "$a/$run", $w, $o{lease_ms} // 60000, $o{now} // $T,
                           $o{limit} // 100);
}

sub done {
    my ($a, $run, $lease, $outcome, $value, $next) = @_;
    my $k = ks(agent => $a, run => $run);
    return ScriptsTest::rs('callback_done', [ 'aa:callbacks', $k->{run} ],
                           "$a/$run", $lease, $outcome, $value, $next // '');
}

# a run finished (completed) by the worker $w, with a callback_url or not
sub finished {
    my ($w, %o) = @_;
    my $a = create_agent($r);
    my $run = create_run($r, $a, exists $o{url} ? (callback_url => $o{url})
                                                : ());
    take($w, $a);
    my $c = claim($a, $run, $w);
    my $f = finish(agent => $a, run => $run, worker => $w, lease => $c->[2],
                   messages => $o{messages} // [ '{"m":1}', '{"m":2}' ]);
    die "setup: finish gave $f->[0]\n" unless $f->[0] eq 'ok';
    return ($a, $run);
}

# --- finish queues the delivery ---------------------------------------

{
    fresh();
    my $w = wid('f');
    my $t0 = now_ms();
    my ($a, $run) = finished($w, url => $URL);
    my $due = $r->cmd('ZSCORE', 'aa:callbacks', "$a/$run");
    ok defined $due && $due >= $t0 && $due <= now_ms(),
        'finish with a callback_url: its delivery is due now';

    my ($b, $plain) = finished($w);
    is $r->cmd('ZSCORE', 'aa:callbacks', "$b/$plain"), undef,
        'finish without one: no delivery';
    is_deeply due(), ["$a/$run"], 'callback_due lists the one due';
}

# --- callback_due: by due time, limited, only what is due -------------

{
    fresh();
    my $now = now_ms();
    $r->cmd('ZADD', 'aa:callbacks', $now - 3000, 'a1/r1', $now - 1000,
            'a2/r2', $now + 60000, 'a3/r3');
    is_deeply due(), [ 'a1/r1', 'a2/r2' ], 'due: oldest first, none early';
    is_deeply due(1), ['a1/r1'], 'due: at most the limit';
    is_deeply $r->cmd('ZCARD', 'aa:callbacks'), 3, 'due: takes nothing';
}

# --- callback_start ---------------------------------------------------

{
    fresh();
    my $w = wid('s');
    my ($a, $run) = finished($w, url => $URL,
                             messages => [ map { qq({"m":$_}) } 1 .. 5 ]);
    my $k = ks(agent => $a, run => $run);
    my $before = dump_all();
    my $t0 = now_ms();
    my $s = start($a, $run, 'W1', lease_ms => 30000, limit => 3);
    is_deeply [ map { rtype($_) } @$s ],
        [qw(str int str str str str str str str str array)],
        'start: reply types as aw_store_attempt_start wants them';
    is_deeply [ @$s[0 .. 4] ], [ 'start', 1, 'W1#1', 'completed', $URL ],
        'start: {"start", 1, "W1#1", status, callback_url, ...}';
    is $s->[5], 'end_turn', 'start: stop_reason';
    is $s->[6], '{"step_count":1}', 'start: usage as stored';
    is json->decode($s->[7])->{callback_attempts}, 1,
        'start: metadata carries callback_attempts';
    is json->decode($s->[7])->{run_type}, 'send_message_async',
        'start: metadata keeps what it had';
    is $s->[9], '2026-01-01T00:00:02.000002Z', 'start: completed_at';
    is_deeply $s->[10], [ map { qq({"m":$_}) } 1 .. 3 ],
        'start: the first messages, as many as asked';
    is_deeply changed($before, dump_all()),
        [ sort $k->{run}, 'aa:callbacks' ], 'start: writes the run, Pcallbacks';
    my $h = $r->hgetall($k->{run});
    is $h->{callback_attempts}, 1, 'start: callback_attempts 1';
    is $h->{callback_lease}, 'W1#1', 'start: callback_lease';
    is $h->{callback_sent_at}, $T, 'start: callback_sent_at = now';
    my $due = $r->cmd('ZSCORE', 'aa:callbacks', "$a/$run");
    ok $due >= $t0 + 30000 && $due <= now_ms() + 30000,
        'start: not due again before the lease ends';
    is_deeply due(), [], 'start: no longer listed as due';
    is_deeply start($a, $run, 'W2'), ['taken'],
        'start by a second worker: taken, nothing written';
    is $r->hgetall($k->{run})->{callback_lease}, 'W1#1', 'lease unchanged';

    # the lease ran out (the worker died): another worker takes over
    $r->cmd('ZADD', 'aa:callbacks', 'XX', now_ms() - 1, "$a/$run");
    $s = start($a, $run, 'W2');
    is_deeply [ @$s[0 .. 2] ], [ 'start', 2, 'W2#2' ],
        'after the lease: attempt 2, by the other worker';
    is json->decode($s->[7])->{callback_attempts}, 2,
        'metadata callback_attempts 2';
    is done($a, $run, 'W1#1', 'code', '200'), 'lost',
        'the first worker\'s late outcome: lost';
    ok !exists $r->hgetall($k->{run})->{callback_status_code},
        'lost: nothing recorded';
}

{
    fresh();
    my $w = wid('g');
    my ($a, $run) = finished($w, url => $URL);
    my $k = ks(agent => $a, run => $run);

    $r->cmd('HDEL', $k->{run}, 'callback_url');
    is_deeply start($a, $run, 'W1'), ['gone'],
        'no callback_url any more: gone';
    is $r->cmd('ZCARD', 'aa:callbacks'), 0, 'gone: the delivery is dropped';

    $r->cmd('ZADD', 'aa:callbacks', 0, "$a/run-" . uuid4());
    my ($m) = @{ $r->cmd('ZRANGE', 'aa:callbacks', 0, 0) };
    my ($ma, $mr) = split m{/}, $m;
    is_deeply start($ma, $mr, 'W1'), ['gone'], 'the run is gone: gone';
    is $r->cmd('ZCARD', 'aa:callbacks'), 0, 'and dropped';

    my $live = create_run($r, $a, callback_url => $URL);
    $r->cmd('ZADD', 'aa:callbacks', 0, "$a/$live");
    is_deeply start($a, $live, 'W1'), ['gone'],
        'a run not terminal has no callback to send: gone';
}

# --- callback_done ----------------------------------------------------

{
    fresh();
    my $w = wid('d');
    my ($a, $run) = finished($w, url => $URL);
    my $k = ks(agent => $a, run => $run);
    my $s = start($a, $run, 'W1');

    my $t0 = now_ms();
    is done($a, $run, 'W1#1', 'code', '503', 5000), 'retry', '503: retry';
    my $h = $r->hgetall($k->{run});
    is $h->{callback_status_code}, 503, 'retry: the status code recorded';
    ok !exists $h->{callback_lease}, 'retry: lease released';
    my $due = $r->cmd('ZSCORE', 'aa:callbacks', "$a/$run");
    ok $due >= $t0 + 5000 && $due <= now_ms() + 5000,
        'retry: due again in the delay given';
    is done($a, $run, 'W1#1', 'code', '200'), 'lost',
        'the same lease twice: lost';

    $r->cmd('ZADD', 'aa:callbacks', 'XX', 0, "$a/$run");
    $s = start($a, $run, 'W1');
    is $s->[1], 2, 'attempt 2';
    is done($a, $run, 'W1#2', 'error',
            "Failed to dispatch callback for run $run to $URL: refused", 10),
        'retry', 'an error: retry';
    $h = $r->hgetall($k->{run});
    like $h->{callback_error}, qr/^Failed to dispatch/,
        'error recorded';
    ok !exists $h->{callback_status_code},
        'the earlier status code is gone: the fields tell the last attempt';

    $r->cmd('ZADD', 'aa:callbacks', 'XX', 0, "$a/$run");
    $s = start($a, $run, 'W1');
    is done($a, $run, 'W1#3', 'code', '204'), 'done', 'no next: done';
    $h = $r->hgetall($k->{run});
    is $h->{callback_status_code}, 204, 'done: status recorded';
    ok !exists $h->{callback_error}, 'done: the earlier error is gone';
    is $h->{callback_attempts}, 3, 'three attempts';
    is json->decode($h->{metadata})->{callback_attempts}, 3,
        'metadata.callback_attempts 3';
    is $r->cmd('ZCARD', 'aa:callbacks'), 0, 'done: the delivery is dropped';

    # released at shutdown: nothing recorded, due again at once
    my ($b, $r2) = finished($w, url => $URL);
    $s = start($b, $r2, 'W9');
    my $k2 = ks(agent => $b, run => $r2);
    my $before = $r->hgetall($k2->{run});
    is done($b, $r2, 'W9#1', 'release', ''), 'released', 'release';
    my $after = $r->hgetall($k2->{run});
    delete $before->{callback_lease};
    is_deeply $after, $before, 'released: nothing recorded but the lease gone';
    ok $r->cmd('ZSCORE', 'aa:callbacks', "$b/$r2") <= now_ms(),
        'released: due at once';
    is_deeply due(), ["$b/$r2"], 'released: listed as due';
}

done_testing;

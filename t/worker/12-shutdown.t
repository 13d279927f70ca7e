# Shutdown never hangs and nothing spins on Redis.  A worker once kept
# beating its heartbeat back to back (every ~50 us) after a SIGTERM and
# never exited.  Here: the heartbeat rate while running, draining (with a
# slot stuck) and under connection errors; the worker exits within its
# graces after SIGTERM (at startup, twice, with a callback receiver that
# never answers, with Redis frozen); a connection Redis drops at every
# command is reconnected to with backoff, not in a tight loop.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run run_key);

redis_start();
my $r = redis();

# worker_start() uses --heartbeat-ms 200: 5 beats a second
my ($BEATS_MIN, $BEATS_MAX) = (2, 8);

# the heartbeat script is the only SADD anybody sends here
sub calls {
    my ($cmd) = @_;
    my $info = $r->cmd('INFO', 'commandstats');
    return $info =~ /^cmdstat_\Q$cmd\E:calls=(\d+)/m ? $1 : 0;
}

sub connections {
    my $info = $r->cmd('INFO', 'stats');
    return $info =~ /^total_connections_received:(\d+)/m ? $1 : 0;
}

# what $f counts over $secs seconds, per second
sub rate {
    my ($f, $secs) = @_;
    $secs //= 1;
    my $c0 = $f->();
    sleep $secs;
    return ($f->() - $c0) / $secs;
}

sub beats { rate(sub { calls('sadd') }, @_) }

sub beating_ok {
    my ($what) = @_;
    my $n = beats(1);
    ok $n >= $BEATS_MIN && $n <= $BEATS_MAX,
        "$what: $n heartbeats in 1 s (every 200 ms)";
}

sub timed_stop {
    my ($w, $timeout) = @_;
    my $t0 = time;
    my $rc = worker_wait($w, $timeout);
    return ($rc, time - $t0);
}

# 1. running, then draining with a run in flight: one beat per period
my $agent = create_agent($r);
my $run = create_run($r, $agent, input => 'slow');
my $key = run_key('aa:', $run);

my $w = worker_start(concurrency => 2, 'echo-delay-ms' => 4000,
                     'drain-ms' => 2500);
ok wait_status($key, 10, 'running'), 'run running';
beating_ok('running');

kill 'TERM', $w;
sleep 0.2;
beating_ok('draining');
my ($rc, $took) = timed_stop($w, 15);
is $rc, 0, 'exit 0 after the drain';
ok $took < 4.5, sprintf('exit after the drain grace (%.2f s)', $took);
is rate(sub { calls('sadd') }, 0.5), 0, 'no heartbeat after the exit';
is $r->cmd('HGET', $key, 'status'), 'running', 'run handed back';
ok !defined $r->cmd('HGET', $key, 'lease'), 'its lease removed';

# 2. SIGTERM twice: the drain grace is cut short
$w = worker_start(concurrency => 2, 'echo-delay-ms' => 10000,
                  'drain-ms' => 10000);
ok wait_for(sub { worker_log($w) =~ /running backend/ }, 10),
    'run running again';
my $t0 = time;
kill 'TERM', $w;
sleep 0.2;
kill 'TERM', $w;
is worker_wait($w, 10), 0, 'exit 0 after a second SIGTERM';
ok time - $t0 < 2, sprintf('at once (%.2f s)', time - $t0);
is $r->cmd('HGET', $key, 'status'), 'running', 'run handed back';

# leave the run to a worker that completes it
$w = worker_start(concurrency => 2);
ok wait_status($key, 10, 'completed'), 'handed-back run completed';
is worker_stop($w), 0, 'worker stops';
is $r->cmd('LLEN', 'aa:ready'), 0, 'nothing ready';

# 3. SIGTERM during startup, at various points: never a hang
for my $ms (0, 2, 5, 10, 20, 40, 80) {
    my $w = worker_start(concurrency => 2);
    sleep $ms / 1000;
    kill 'TERM', $w;
    my ($rc, $took) = timed_stop($w, 10);
    # 143: killed before it could block the signal (exec, ld.so)
    ok(($rc == 0 || $rc == 128 + 15) && $took < 3,
       sprintf('SIGTERM %d ms after start: exit %d after %.2f s', $ms,
               $rc, $took));
}
is rate(sub { calls('sadd') }, 0.5), 0, 'no heartbeat left behind';

# 4. a callback receiver that accepts and never answers: the delivery
#    holds no slot, and past the drain grace it is given back, due at once
#    for another worker, and the worker exits
my $hole = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                 Proto => 'tcp', Listen => 5,
                                 ReuseAddr => 1) or die "listen: $!";
my $cb = create_run($r, $agent, input => 'call back into the void',
                    callback_url => 'http://127.0.0.1:' . $hole->sockport
                                    . '/hook');
my $cbkey = run_key('aa:', $cb);
$w = worker_start(concurrency => 2, 'callback-timeout-ms' => 120000,
                  'drain-ms' => 1500, 'callback-allow' => '127.0.0.0/8');
ok wait_for(sub { $r->cmd('HGET', $cbkey, 'callback_lease') }, 10),
    'callback POST under way';
is $r->cmd('HGET', $cbkey, 'status'), 'completed', 'run completed';
kill 'TERM', $w;
sleep 0.2;
beating_ok('draining, a callback in flight');
($rc, $took) = timed_stop($w, 10);
is $rc, 0, 'exit 0';
ok $took < 3.5, sprintf('soon after the drain grace (%.2f s)', $took);
ok !$r->cmd('HEXISTS', $cbkey, 'callback_lease'), 'the attempt given back';
is $r->cmd('HGET', $cbkey, 'callback_error'), undef,
    'nothing recorded for an attempt the worker cut short';
my ($ts, $tus) = @{ $r->cmd('TIME') };
ok $r->cmd('ZSCORE', 'aa:callbacks', "$agent/$cb") <= $ts * 1000 + $tus / 1000,
    'the delivery is due again at once';
like worker_log($w), qr/run=\Q$cb\E .*callback POST \S+: given back \(shutting down\)/,
    'log: given back';
$r->cmd('ZREM', 'aa:callbacks', "$agent/$cb");
close $hole;

# 5. Redis drops the connection at each finish (a request longer than
#    proto-max-bulk-len): reconnects back off instead of spinning, the
#    heartbeat goes on at its pace, SIGTERM hands the run back
my $big = create_run($r, $agent, input => 'x' x 1_200_000);
my $bigkey = run_key('aa:', $big);
$r->cmd('CONFIG', 'SET', 'proto-max-bulk-len', 1024 * 1024);
$w = worker_start(concurrency => 2, 'drain-ms' => 300);
ok wait_for(sub { worker_log($w) =~ /Connection reset|Broken pipe|closed/ },
            10), 'the finish is refused';
sleep 1;
my $conns = rate(\&connections, 2);
ok $conns <= 10, "$conns reconnects a second (with backoff)";
beating_ok('finish refused');
kill 'TERM', $w;
($rc, $took) = timed_stop($w, 10);
is $rc, 0, 'exit 0';
ok $took < 6.5, sprintf('within drain + abort grace (%.2f s)', $took);
is $r->cmd('HGET', $bigkey, 'status'), 'running', 'run not terminal';
is_deeply [invariant_errors('aa:', $agent)], [], 'invariant holds';
$r->cmd('CONFIG', 'SET', 'proto-max-bulk-len', 512 * 1024 * 1024);
like worker_log($w), qr/handed back|left over at exit/, 'log: handed back';

# 5b. a run whose result Redis refuses at every try is not re-run forever:
#     each failed write counts as an attempt, and the run ends failed
#     and dead-lettered after --max-attempts
$r->cmd('CONFIG', 'SET', 'proto-max-bulk-len', 1024 * 1024);
$w = worker_start(concurrency => 1, 'max-attempts' => 2);
ok wait_for(sub { ($r->cmd('HGET', $bigkey, 'status') // '') eq 'failed' }, 60),
    'unwritable run: failed in the end';
like $r->cmd('HGET', $bigkey, 'metadata') // '', qr/abandoned after 2 attempts/,
    'unwritable run: metadata.error says why';
ok((grep { $_ eq $big } @{ $r->cmd('LRANGE', 'aa:dead', 0, -1) }),
   'unwritable run: dead-lettered');
like worker_log($w), qr/terminal write failed/, 'log: terminal write failed';
kill 'TERM', $w;
($rc, $took) = timed_stop($w, 10);
is $rc, 0, 'exit 0';
is_deeply [invariant_errors('aa:', $agent)], [], 'invariant holds';
$r->cmd('CONFIG', 'SET', 'proto-max-bulk-len', 512 * 1024 * 1024);

# 6. Redis frozen (SIGSTOP) under a draining worker: slots blocked in
#    BLMOVE for up to block + 5 s are abandoned after the graces
my ($rpid) = $r->cmd('INFO', 'server') =~ /^process_id:(\d+)/m;
$w = worker_start(concurrency => 2, 'block-ms' => 10000, 'drain-ms' => 300);
ok wait_for(sub { worker_log($w) =~ /registered worker/ }, 10),
    'worker registered';
sleep 0.5;
kill 'STOP', $rpid;
$t0 = time;
kill 'TERM', $w;
($rc, $took) = timed_stop($w, 14);
kill 'CONT', $rpid;
is $rc, 1, 'exit 1: slots abandoned';
ok $took < 10, sprintf('after drain + abort + exit grace (%.2f s)', $took);
like worker_log($w), qr/giving up on 2 slot\(s\)/, 'log: giving up';

done_testing;

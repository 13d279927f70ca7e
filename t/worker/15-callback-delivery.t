# Callback deliveries (docs/callbacks.md): off the run slots, tried again
# on 5xx, 429 (honouring Retry-After) and connection errors with backoff,
# not on other 4xx, at least once across worker crashes, and signed the
# Standard Webhooks way, as an independent implementation verifies.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Digest::SHA qw(hmac_sha256_base64);
use MIME::Base64 qw(decode_base64);
use Time::HiRes qw(time sleep);
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run run_key json);

redis_start();
my $r = redis();
my $port = http_listener();
my $base = "http://127.0.0.1:$port";

my $KEY64 = 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
my $SECRET = "whsec_$KEY64";
my %COMMON = ('callback-allow' => '127.0.0.0/8',
              'callback-backoff-ms' => 200, 'callback-backoff-max-ms' => 3000,
              'callback-timeout-ms' => 1000);

sub requests_to {
    my ($path) = @_;
    return grep { (split ' ', $_->{line})[1] eq $path } callback_requests();
}

sub wait_requests {
    my ($path, $n, $timeout) = @_;
    return wait_for(sub { requests_to($path) >= $n }, $timeout // 10);
}

# a run's hash once its delivery is over (no attempt in flight or due)
sub delivered {
    my ($agent, $run, $timeout) = @_;
    my $key = run_key('aa:', $run);
    return wait_for(sub {
        my $h = $r->hgetall($key);
        $h->{callback_attempts} && !$h->{callback_lease}
            && !defined $r->cmd('ZSCORE', 'aa:callbacks', "$agent/$run")
            ? $h : undef;
    }, $timeout // 10);
}

sub signature_ok {
    my ($q) = @_;
    my ($id, $ts, $sig) = @{ $q->{headers} }{qw(webhook-id webhook-timestamp
                                                webhook-signature)};
    return 0 unless defined $id && defined $ts && defined $sig;
    my $want = hmac_sha256_base64("$id.$ts.$q->{body}",
                                  decode_base64($KEY64));
    $want .= '=' while length($want) % 4;
    return $sig eq "v1,$want";
}

my $w = worker_start(%COMMON, 'callback-secret' => $SECRET,
                     'echo-delay-ms' => 0);

# --- the payload of each terminal status ------------------------------

my $agent = create_agent($r);
my $completed = create_run($r, $agent, input => 'done',
                           callback_url => "$base/completed");
my $failed = create_run($r, $agent, request => 'nope',
                        callback_url => "$base/failed");

ok wait_requests('/completed', 1) && wait_requests('/failed', 1),
    'completed and failed runs: their callbacks arrive';

my ($q) = requests_to('/completed');
my $p = json->decode($q->{body});
is $q->{headers}{'content-type'}, 'application/json', 'Content-Type';
is join(',', sort keys %$p), 'completed_at,metadata,run_id,status',
    'Letta\'s payload: run_id, status, completed_at, metadata';
is $p->{status}, 'completed', 'status completed';
is $p->{completed_at},
   $r->cmd('HGET', run_key('aa:', $completed), 'completed_at'),
   'completed_at: the run\'s';
is $p->{metadata}{result}{stop_reason}{stop_reason}, 'end_turn',
    'result.stop_reason';
is scalar @{ $p->{metadata}{result}{messages} }, 2, 'result.messages';
is $p->{metadata}{callback_attempts}, 1, 'metadata.callback_attempts 1';
is $q->{headers}{'webhook-id'}, $completed, 'webhook-id: the run id';
like $q->{headers}{'webhook-timestamp'}, qr/^\d{10}$/,
    'webhook-timestamp: unix seconds';
ok abs($q->{headers}{'webhook-timestamp'} - $q->{at}) < 5,
    'webhook-timestamp: the time of the attempt';
ok signature_ok($q), 'webhook-signature verifies (Digest::SHA)';
my $h = delivered($agent, $completed);
is $h->{callback_status_code}, 200, 'callback_status_code 200';

($q) = requests_to('/failed');
$p = json->decode($q->{body});
is $p->{status}, 'failed', 'status failed';
like $p->{metadata}{error}, qr/^invalid job/, 'metadata.error';
ok signature_ok($q), 'signed too';

# cancelled while queued: at once, while a slow run holds the agent
is worker_stop($w), 0, 'worker stops';
$w = worker_start(%COMMON, 'callback-secret' => $SECRET,
                  'echo-delay-ms' => 3000);
my $slow = create_run($r, $agent, input => 'slow',
                      callback_url => "$base/slow-run");
my $queued = create_run($r, $agent, input => 'never',
                        callback_url => "$base/cancelled-queued");
ok wait_status(run_key('aa:', $slow), 10, 'running'),
    'a slow run holds the agent';
is cancel_run($queued), 'cancelled', 'the run behind it is cancelled';
ok wait_requests('/cancelled-queued', 1, 2.5),
    'its callback arrives at once, not when a worker reaches it';
is $r->cmd('HGET', run_key('aa:', $slow), 'status'), 'running',
    'the slow run still running meanwhile';
($q) = requests_to('/cancelled-queued');
$p = json->decode($q->{body});
is $p->{status}, 'cancelled', 'status cancelled';
is $p->{metadata}{result}{stop_reason}{stop_reason}, 'cancelled',
    'stop_reason cancelled';

# cancelled while running
is cancel_run($slow), 'cancel_requested', 'the slow run: cancel requested';
ok wait_requests('/slow-run', 1), 'its callback arrives';
($q) = requests_to('/slow-run');
is json->decode($q->{body})->{status}, 'cancelled', 'status cancelled';
ok signature_ok($q), 'signed';
is worker_stop($w), 0, 'worker stops';

# --- retries ----------------------------------------------------------

$w = worker_start(%COMMON);
my $a2 = create_agent($r);
my $flaky = create_run($r, $a2, input => 'x', callback_url => "$base/flaky/2/a");
my $gone = create_run($r, $a2, input => 'x', callback_url => "$base/status/410");
my $bad = create_run($r, $a2, input => 'x', callback_url => "$base/status/400");
my $busy = create_run($r, $a2, input => 'x',
                      callback_url => "$base/retry-after/1/1/b");

ok wait_requests('/flaky/2/a', 3), 'fails twice, then succeeds: 3 attempts';
my @q = requests_to('/flaky/2/a');
is scalar(@q), 3, 'and no fourth';
is_deeply [ map { $_->{headers}{'webhook-id'} } @q ], [ ($flaky) x 3 ],
    'one webhook-id throughout';
ok !defined $q[0]{headers}{'webhook-signature'},
    'no secret configured: no signature';
ok $q[1]{at} - $q[0]{at} >= 0.15 && $q[2]{at} - $q[1]{at} >= 0.3,
    sprintf('backoff: %.2f s, then %.2f s (200 ms doubling, jittered)',
            $q[1]{at} - $q[0]{at}, $q[2]{at} - $q[1]{at});
$h = delivered($a2, $flaky);
is $h->{callback_status_code}, 200, 'the last attempt\'s status: 200';
is $h->{callback_attempts}, 3, 'callback_attempts 3';
is json->decode($h->{metadata})->{callback_attempts}, 3,
    'metadata.callback_attempts 3';
is json->decode($q[2]{body})->{metadata}{callback_attempts}, 3,
    'the payload tells its attempt';

ok wait_requests('/retry-after/1/1/b', 2), '429: tried again';
@q = requests_to('/retry-after/1/1/b');
ok $q[1]{at} - $q[0]{at} >= 0.95,
    sprintf('after Retry-After: 1 (%.2f s), not the 200 ms backoff',
            $q[1]{at} - $q[0]{at});

$h = delivered($a2, $gone);
is $h->{callback_status_code}, 410, '410 recorded';
$h = delivered($a2, $bad);
is $h->{callback_status_code}, 400, '400 recorded';
sleep 1;
is scalar(requests_to('/status/410')), 1, '410: one attempt, no retry';
is scalar(requests_to('/status/400')), 1, '400: one attempt, no retry';

# --- the attempts run out ---------------------------------------------

is worker_stop($w), 0, 'worker stops';
$w = worker_start(%COMMON, 'callback-attempts' => 3);
my $down = create_run($r, $a2, input => 'x', callback_url => "$base/status/503");
ok wait_requests('/status/503', 3), '503 each time: 3 attempts';
$h = delivered($a2, $down);
is $h->{callback_status_code}, 503, 'the last status recorded';
sleep 0.8;
is scalar(requests_to('/status/503')), 3, 'then given up';
like worker_log($w), qr/run=\Q$down\E .*callback POST \S+: HTTP in \d+ ms \(attempt 3\): giving up/,
    'log: giving up';

# --- receivers that hang hold up nothing else ------------------------

# two run slots only: a callback that held one, as Letta's do, would stall
is worker_stop($w), 0, 'worker stops';
$w = worker_start(%COMMON, concurrency => 2, 'callback-timeout-ms' => 20000,
                  'drain-ms' => 300);
my $accepts = listener_accepts();
my @hung = map { create_run($r, create_agent($r), input => 'x',
                            callback_url => "$base/hang/$_") } 1 .. 20;
ok wait_for(sub { listener_accepts() >= $accepts + 20 }, 10),
    '20 callbacks hang at their receivers';
my $other = create_agent($r);
my $t0 = time;
my $quick = create_run($r, $other, input => 'quick',
                       callback_url => "$base/quick");
ok wait_status(run_key('aa:', $quick), 5, 'completed'),
    'another run completes';
ok wait_requests('/quick', 1, 5), 'and its callback arrives';
my $dt = time - $t0;
ok $dt < 1, sprintf('at its normal speed (%.2f s) while 20 receivers hang', $dt);
is scalar(grep { $r->cmd('HEXISTS',
                         run_key('aa:', $_),
                         'callback_lease') } @hung),
    20, 'all 20 still in flight';
is worker_stop($w), 0, 'worker stops with callbacks hanging';
$r->cmd('DEL', 'aa:callbacks');

# --- a worker killed between attempts, and during one -----------------

$w = worker_start(%COMMON, 'callback-backoff-ms' => 1500);
my $a3 = create_agent($r);
my $between = create_run($r, $a3, input => 'x',
                         callback_url => "$base/flaky/1/between");
ok wait_requests('/flaky/1/between', 1), 'first attempt: 503';
ok wait_for(sub { $r->cmd('HGET', run_key('aa:', $between),
                          'callback_status_code') }, 5),
    'its outcome recorded, the next attempt scheduled';
is worker_kill($w), 137, 'worker killed between attempts';
$w = worker_start(%COMMON);
ok wait_requests('/flaky/1/between', 2), 'another worker makes the next attempt';
$h = delivered($a3, $between);
is $h->{callback_status_code}, 200, 'delivered: 200';

my $during = create_run($r, $a3, input => 'x',
                        callback_url => "$base/slow/3000/during");
ok wait_requests('/slow/3000/during', 1), 'an attempt under way';
is worker_kill($w), 137, 'worker killed during the attempt';
$w = worker_start(%COMMON, 'callback-timeout-ms' => 5000);
ok wait_requests('/slow/3000/during', 2, 15),
    'the delivery is taken over once its lease ends';
$h = delivered($a3, $during, 15);
is $h->{callback_status_code}, 200, 'delivered: 200';
is $h->{callback_attempts}, 2, 'two attempts';
is worker_stop($w), 0, 'worker stops';

is_deeply $r->cmd('ZRANGE', 'aa:callbacks', 0, -1), [], 'nothing left owed';

done_testing;

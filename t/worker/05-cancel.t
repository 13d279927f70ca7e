# Cancellation (docs/redis-keys.md): a run cancelled while queued becomes
# terminal at once and is never executed; a run cancelled while running is
# aborted promptly and ends cancelled.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Time::HiRes qw(time);
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run run_key json);

redis_start();
my $r = redis();

my $agent = create_agent($r);
my $first = create_run($r, $agent, input => 'slow one');
my $queued = create_run($r, $agent, input => 'never run');
my $after = create_run($r, $agent, input => 'after the cancelled');
my $qkey = run_key('aa:', $queued);

my $w = worker_start('echo-delay-ms' => 1000, concurrency => 2);
ok wait_status(run_key('aa:', $first), 10, 'running'),
    'first run running';

is cancel_run($queued), 'cancelled', 'cancel a queued run: cancelled';
my $h = $r->hgetall($qkey);
is $h->{status}, 'cancelled', 'status cancelled at once';
is $h->{stop_reason}, 'cancelled', 'stop_reason cancelled';
ok $h->{completed_at}, 'completed_at set';
is cancel_run($queued), 'already_cancelled', 'cancelling again: no-op';

ok wait_status(run_key('aa:', $after), 10, 'completed'),
    'the run after it completes';
$h = $r->hgetall($qkey);
is $h->{status}, 'cancelled', 'still cancelled';
ok !exists $h->{attempts} && !exists $h->{started_at} && !exists $h->{lease},
    'never claimed';
is $r->cmd('EXISTS', run_key("aa:", $queued) . ":messages"), 0, 'no messages';
is_deeply [ map { json->decode($_)->{content} }
            @{ $r->cmd('LRANGE', "aa:{$agent}:history", 0, -1) } ],
    [ 'slow one', 'slow one', 'after the cancelled', 'after the cancelled' ],
    'history has no trace of it';
like worker_log($w), qr/run=\Q$queued\E .* skipped: already cancelled/,
    'log: skipped';

# cancelled while running
my $long = create_run($r, $agent, input => 'long');
my $lkey = run_key('aa:', $long);
ok wait_status($lkey, 10, 'running'), 'long run running';
select undef, undef, undef, 0.3;
my $t0 = time;
is cancel_run($long), 'cancel_requested', 'cancel a running run';
ok wait_status($lkey, 5, 'cancelled'), 'run ends cancelled';
my $took = time - $t0;
ok $took < 1, sprintf('within a second (%.3f s)', $took);
$h = $r->hgetall($lkey);
is $h->{stop_reason}, 'cancelled', 'stop_reason cancelled';
is $h->{cancel_requested}, 1, 'cancel_requested kept';
ok $h->{total_duration_ns} > 0, 'total_duration_ns set';
ok !exists $h->{ttft_ns}, 'no ttft: nothing was produced';
is $r->cmd('EXISTS', run_key("aa:", $long) . ":messages"), 0, 'no messages';
is $r->cmd('LLEN', "aa:{$agent}:history"), 4, 'history unchanged';
like worker_log($w), qr/run=\Q$long\E .* cancelled stop_reason=cancelled/,
    'log: cancelled';

is cancel_run($first), 'already_completed', 'completed run: untouched';
is cancel_run('run-' . AgentAsync::Seed::uuid4()), 'not_found',
    'unknown run: not_found';

# the worker goes on
my $next = create_run($r, $agent, input => 'still serving');
ok wait_status(run_key('aa:', $next), 10, 'completed'),
    'worker still serves';
is_deeply [invariant_errors('aa:', $agent)], [], 'invariant holds';

is worker_stop($w), 0, 'worker stops';

done_testing;

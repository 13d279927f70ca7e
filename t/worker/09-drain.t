# SIGTERM drains: no new agents are taken, in-flight runs finish within
# --drain-ms; past it they are handed back (agent to Pready, run at the
# head of its queue, lease removed, attempt refunded).

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Time::HiRes qw(time);
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run run_key json);

redis_start();
my $r = redis();

# 1. the in-flight run finishes within the grace
my $agent = create_agent($r);
my $run = create_run($r, $agent, input => 'finish me');
my $key = run_key('aa:', $run);

my $w = worker_start('echo-delay-ms' => 1000, 'drain-ms' => 5000,
                     concurrency => 2);
ok wait_status($key, 10, 'running'), 'run running';
my ($wid) = $r->cmd('HGET', $key, 'lease') =~ /^(.*)#\d+$/;

kill 'TERM', $w;
select undef, undef, undef, 0.3;
my $other = create_agent($r);
my $late = create_run($r, $other, input => 'too late');

is worker_wait($w, 10), 0, 'exit 0 after the drain';
is $r->cmd('HGET', $key, 'status'), 'completed', 'in-flight run completed';
is $r->cmd('HGET', run_key('aa:', $late), 'status'), 'created',
    'no new agent taken while draining';
is_deeply $r->cmd('LRANGE', 'aa:ready', 0, -1), [$other],
    'the late agent still ready';
is $r->cmd('EXISTS', "aa:worker:$wid"), 0, 'heartbeat deleted';
is $r->cmd('SISMEMBER', 'aa:workers', $wid), 0, 'left the workers set';
like worker_log($w), qr/draining/, 'log: draining';

$w = worker_start();
ok wait_status(run_key('aa:', $late), 10, 'completed'),
    'late run done by the next worker';
is worker_stop($w), 0, 'which stops';

# 2. past the grace: handed back
$w = worker_start('echo-delay-ms' => 10000, 'drain-ms' => 500);
my $slow_agent = create_agent($r);
my $slow = create_run($r, $slow_agent, input => 'too slow');
my $skey = run_key('aa:', $slow);
ok wait_status($skey, 10, 'running'), 'slow run running';

my $t0 = time;
kill 'TERM', $w;
is worker_wait($w, 10), 0, 'exit 0';
my $took = time - $t0;
ok $took < 2.5, sprintf('stopped soon after the grace (%.2f s)', $took);

my $h = $r->hgetall($skey);
is $h->{status}, 'running', 'run not terminal';
ok !exists $h->{lease}, 'lease removed';
is $h->{attempts}, 0, 'attempt refunded';
is $r->cmd('LINDEX', "aa:{$slow_agent}:queue", 0), $slow,
    'run still at the head of its queue';
is_deeply $r->cmd('LRANGE', 'aa:ready', 0, -1), [$slow_agent],
    'agent back in ready';
is_deeply [invariant_errors('aa:', $agent, $other, $slow_agent)], [],
    'invariant holds';
like worker_log($w), qr/run=\Q$slow\E agent=\Q$slow_agent\E handed back \(drain grace over\), its claim undone and attempt refunded/,
    'log: handed back';

$w = worker_start();
ok wait_status($skey, 10, 'completed'), 'another worker completes it';
is $r->cmd('HGET', $skey, 'attempts'), 1, 'attempts 1';
is worker_stop($w), 0, 'worker stops';

done_testing;

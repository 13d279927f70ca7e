# kill -9 of a worker in the middle of a run: the reaper of another worker
# hands the agent back, the run is claimed again (attempt 2) and reaches
# exactly one terminal state.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run run_key json);

redis_start();
my $r = redis();

my $agent = create_agent($r);
my $run = create_run($r, $agent, input => 'survive the crash');
my $run2 = create_run($r, $agent, input => 'and then this');
my $key = run_key('aa:', $run);

my $a = worker_start('echo-delay-ms' => 5000, concurrency => 1);
ok wait_status($key, 10, 'running'), 'worker A runs it';
my $lease_a = $r->cmd('HGET', $key, 'lease');
my ($wa) = $lease_a =~ /^(.*)#1$/;
ok $wa, "lease $lease_a";

is worker_kill($a), 137, 'worker A killed with SIGKILL';
is $r->cmd('HGET', $key, 'status'), 'running', 'run still running';
is_deeply $r->cmd('LRANGE', "aa:processing:$wa", 0, -1), [$agent],
    'agent stuck in the dead worker\'s processing list';

my $b = worker_start('echo-delay-ms' => 100, concurrency => 2);
ok wait_status($key, 10, 'completed'), 'worker B completes it';

my $h = $r->hgetall($key);
is $h->{attempts}, 2, 'attempts 2';
like $h->{lease}, qr/#2$/, 'lease of the second claim';
isnt $h->{lease} =~ s/#2$//r, $wa, 'claimed by another worker';
is $r->cmd('LLEN', run_key("aa:", $run) . ":messages"), 2,
    'messages written once';

ok wait_status(run_key('aa:', $run2), 10, 'completed'),
    'the next run of the agent follows';
is $r->cmd('LLEN', "aa:{$agent}:history"), 4, 'history: two exchanges';

is $r->cmd('EXISTS', "aa:processing:$wa"), 0, 'dead processing list gone';
is $r->cmd('SISMEMBER', 'aa:workers', $wa), 0, 'dead worker unregistered';
is_deeply [invariant_errors('aa:', $agent)], [], 'invariant holds';

my $log = worker_log($b);
like $log, qr/WARN  hb run=\Q$run\E agent=\Q$agent\E reaped: worker \Q$wa\E/,
    'log: reaped';
my @done = $log =~ /run=\Q$run\E agent=\S+ completed/g;
is scalar @done, 1, 'completed once';

is worker_stop($b), 0, 'worker B stops cleanly';

done_testing;

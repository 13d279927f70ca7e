# Redis unreachable at startup, then restarted under a waiting worker:
# the worker retries with backoff, reconnects, and later runs complete.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run run_key json);

# no server yet: the port is chosen, nothing listens
my $port = free_port();
# start the worker first, against a port nobody listens on
AgentAsync::WorkerTest::_set_port($port);
my $w = worker_start(concurrency => 2);

select undef, undef, undef, 1.0;
ok kill(0, $w), 'worker alive while Redis is unreachable';
like worker_log($w), qr/WARN .* redis 127\.0\.0\.1:\d+ unreachable/,
    'log: unreachable, retrying';

redis_start();
my $r = redis();
my $agent = create_agent($r);
my $run = create_run($r, $agent, input => 'first');
ok wait_status(run_key('aa:', $run), 15, 'completed'),
    'run completes once Redis is up';

# restart Redis (empty: no persistence) while the worker blocks in BLMOVE
redis_stop();
select undef, undef, undef, 1.0;
ok kill(0, $w), 'worker alive while Redis is down';
redis_start();
$r = redis();

$agent = create_agent($r);
$run = create_run($r, $agent, input => 'after the restart');
ok wait_status(run_key('aa:', $run), 15, 'completed'),
    'run after the restart completes (scripts reloaded)';
ok wait_for(sub { $r->cmd('SCARD', 'aa:workers') == 1 }, 5),
    'worker registered again';
like worker_log($w), qr/redis 127\.0\.0\.1:\d+ connected again/,
    'log: reconnected';

is worker_stop($w), 0, 'worker stops';

done_testing;

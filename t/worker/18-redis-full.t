# Redis at maxmemory with noeviction (docs/redis-keys.md, "When Redis is
# full"): the worker's scripts may still write, so what was accepted is
# executed and finished, heartbeats go on, and a cancel still lands; what
# would add runs is refused at its first write, with nothing written.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run run_key);

redis_start();
my $r = redis();

my $agent = create_agent($r);
my @runs = map { create_run($r, $agent, input => "accepted $_") } 1 .. 3;

$r->cmd('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
$r->cmd('CONFIG', 'SET', 'maxmemory', '1');

my $refused = eval { create_run($r, $agent, input => 'no room') };
like $@, qr/OOM/, 'a new run is refused: OOM';
is $r->cmd('ZCARD', "aa:{$agent}:runs"), 3, 'and nothing of it written';

my $w = worker_start(concurrency => 2, 'echo-delay-ms' => 200);
ok wait_status(run_key('aa:', $runs[0]), 10, 'running'),
    'the first accepted run runs';
is cancel_run($runs[2]), 'cancelled', 'a queued run can be cancelled';
for my $i (0, 1) {
    ok wait_status(run_key('aa:', $runs[$i]), 10, 'completed'),
        "accepted run $i completes while Redis is full";
}
ok wait_for(sub { !$r->cmd('LLEN', "aa:{$agent}:queue") }, 10),
    'the queue drains, the cancelled run popped unexecuted';
is $r->cmd('HGET', run_key('aa:', $runs[2]), 'status'), 'cancelled',
    'the cancelled run stays cancelled';
ok $r->cmd('LLEN', run_key("aa:", $runs[1]) . ":messages") >= 2,
    'messages written';
my @beats = grep { /^aa:worker:/ } @{ $r->cmd('KEYS', 'aa:worker:*') };
is scalar @beats, 1, 'the heartbeat is kept';

$r->cmd('CONFIG', 'SET', 'maxmemory', '0');
is worker_stop($w), 0, 'the worker stops cleanly';
unlike worker_log($w), qr/\berror\b.*OOM|OOM.*\berror\b/i,
    'no OOM error in the worker log';

done_testing;

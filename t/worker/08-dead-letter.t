# A run whose workers keep dying is failed and dead-lettered once it has
# used --max-attempts claims; the agent's next run goes on.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run run_key json);

redis_start();
my $r = redis();

my $agent = create_agent($r);
my $poison = create_run($r, $agent, input => 'poison');
my $next = create_run($r, $agent, input => 'next');
my $key = run_key('aa:', $poison);

for my $attempt (1 .. 2) {
    my $w = worker_start('echo-delay-ms' => 10000, 'max-attempts' => 2);
    ok wait_for(sub { ($r->cmd('HGET', $key, 'attempts') // 0) == $attempt
                      && $r->cmd('HGET', $key, 'status') eq 'running' }, 10),
        "attempt $attempt running";
    is worker_kill($w), 137, "worker of attempt $attempt killed";
}

my $w = worker_start('max-attempts' => 2);
ok wait_status($key, 10, 'failed'), 'poison run failed';
my $h = $r->hgetall($key);
is $h->{stop_reason}, 'error', 'stop_reason error';
is $h->{attempts}, 2, 'not claimed a third time';
my $md = json->decode($h->{metadata});
is $md->{error}, 'run abandoned after 2 attempts: the workers executing it '
    . 'stopped before finishing it', 'metadata.error';
is $md->{run_type}, 'send_message_async', 'metadata merged';
ok $h->{completed_at}, 'completed_at';
is_deeply $r->cmd('LRANGE', 'aa:dead', 0, -1), [$poison], 'in the dead list';

ok wait_status(run_key('aa:', $next), 10, 'completed'),
    'the next run completes';
like worker_log($w), qr/WARN  slot\d run=\Q$poison\E agent=\Q$agent\E dead-lettered/,
    'log: dead-lettered';
is_deeply [invariant_errors('aa:', $agent)], [], 'invariant holds';
is $r->cmd('SCARD', 'aa:workers'), 1, 'dead workers reaped';

is worker_stop($w), 0, 'worker stops';

done_testing;

# agent-async-worker --cancel RUN: what it prints and its exit status
# (docs/worker.md): 0 when the run was cancelled, its cancel requested or
# it was already terminal; 1 when it is not found or Redis fails; 2 for a
# malformed run id.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run run_key);

my $port = redis_start();
my $r = redis();

# (exit status, stdout, stderr) of one --cancel
sub cancel {
    my ($run, $redis) = @_;
    my $dir = tmpdir();
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', "$dir/cancel.out";
        open STDERR, '>', "$dir/cancel.err";
        exec worker_bin(), '--redis', $redis // "127.0.0.1:$port",
            '--cancel', $run;
        die "exec: $!";
    }
    waitpid $pid, 0;
    my @out = map { open my $f, '<', "$dir/cancel.$_"; local $/; <$f> // '' }
        qw(out err);
    return ($? >> 8, @out);
}

my $agent = create_agent($r);
my $running = create_run($r, $agent, input => 'slow');
my $queued = create_run($r, $agent, input => 'queued');
my $failing = create_agent($r);
my $failed = create_run($r, $failing, request => 'not json');

my $w = worker_start('echo-delay-ms' => 3000, concurrency => 2);
ok wait_status(run_key('aa:', $running), 10, 'running'),
    'one run running';
ok wait_status(run_key('aa:', $failed), 10, 'failed'),
    'one run failed';

my @ok = (
    [ $queued,  "cancelled\n",         'a queued run' ],
    [ $queued,  "already_cancelled\n", 'a cancelled run' ],
    [ $running, "cancel_requested\n",  'a running run' ],
    [ $failed,  "already_failed\n",    'a failed run' ],
);
for my $c (@ok) {
    my ($run, $want, $what) = @$c;
    (my $answer = $want) =~ s/\n//;
    is_deeply [ cancel($run) ], [ 0, $want, '' ], "$what: exit 0, $answer";
}

ok wait_status(run_key('aa:', $running), 10, 'cancelled'),
    'the running run ends cancelled';
is worker_stop($w), 0, 'worker stopped';
# created once that worker is gone, so that the next one, not a draining
# one, completes it: a stop before the new one is up would kill it
my $done = create_run($r, $agent, input => 'quick');
$w = worker_start(concurrency => 1);
ok wait_status(run_key('aa:', $done), 10, 'completed'),
    'a run completed';
is_deeply [ cancel($done) ], [ 0, "already_completed\n", '' ],
    'a completed run: exit 0, already_completed';
is worker_stop($w), 0, 'worker stopped';

my $unknown = 'run-' . AgentAsync::Seed::uuid4();
is_deeply [ cancel($unknown) ], [ 1, "not_found\n", '' ],
    'an unknown run: exit 1, not_found';

# a hash where the run would be, naming no agent
$r->cmd('HSET', run_key('aa:', $unknown), 'status', 'created');
is_deeply [ cancel($unknown) ], [ 1, "not_found\n", '' ],
    'a run hash without agent_id: exit 1, not_found';

for my $bad ('run-123', 'agent-' . AgentAsync::Seed::uuid4(), '',
             uc "run-" . AgentAsync::Seed::uuid4()) {
    my ($rc, $out, $err) = cancel($bad);
    is $rc, 2, "'$bad': exit 2";
    is $out, '', 'nothing on stdout';
    is $err, "agent-async-worker: \"$bad\" is not a run id\n", 'why';
}

my ($rc, $out, $err) = cancel($unknown, '127.0.0.1:' . free_port());
is $rc, 1, 'Redis unreachable: exit 1';
is $out, '', 'nothing on stdout';
like $err, qr/^agent-async-worker: redis: /m, 'why';

done_testing;

# The run loop (--runs-in-flight): a thousand runs in flight on one worker
# with two slot threads, each run waiting 2 s (echo delay), done in about
# 2 s with bounded memory; then 300 openai runs against a model server
# that answers after 2 s.  The other suites run on the loop too
# (scripts/test sets AGENT_ASYNC_WORKER_RUNS_IN_FLIGHT for a second pass).

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use lib 't/lib';
use AgentAsync::WorkerTest;
use AgentAsync::MockLLM;
use AgentAsync::Seed qw(create_agent create_run run_key json);

my $san = ($ENV{AGENT_ASYNC_WORKER_BIN} // '') =~ m{/san/};

redis_start();
my $r = redis();
mock_start();

sub all_done {
    my ($keys, $timeout) = @_;
    return wait_for(sub {
        for my $k (@$keys) {
            my $s = $r->cmd('HGET', $k, 'status');
            return 0 unless $s eq 'completed' || $s eq 'failed';
        }
        1;
    }, $timeout);
}

sub peak_kb {
    my ($pid) = @_;
    open my $f, '<', "/proc/$pid/status" or return 0;
    while (<$f>) { return $1 if /^VmHWM:\s+(\d+)/ }
    return 0;
}

sub span {
    my ($keys) = @_;
    my ($first, $last);
    for my $k (@$keys) {
        my ($s, $e) = map { AgentAsync::Seed::run_us($_) }
            @{ $r->cmd('HMGET', $k, 'started_at', 'completed_at') };
        $first = $s if !defined $first || $s < $first;
        $last = $e if !defined $last || $e > $last;
    }
    return ($last - $first) / 1e6;
}

# a thousand runs of 2 s each
my $n = $san ? 300 : 1000;
my $w = worker_start(concurrency => 2, 'runs-in-flight' => 1000,
                     'echo-delay-ms' => 2000);
my @keys;
for (1 .. $n) {
    my $a = create_agent($r);
    push @keys, run_key('aa:', create_run($r, $a, input => 'hi'));
}
ok all_done(\@keys, 60), "$n runs of 2 s done";
is scalar(grep { $r->cmd('HGET', $_, 'status') eq 'completed' } @keys), $n,
    'all completed';
my $t = span(\@keys);
ok $t < 2 + ($san ? 8 : 3), sprintf('in %.2f s from the first start to the '
    . 'last end (ideal 2 s; two slot threads would need %d s)', $t, $n);
my $kb = peak_kb($w);
ok $kb > 0 && $kb < ($san ? 600_000 : 100_000),
    "worker peak memory $kb kB";
diag sprintf('%d echo runs of 2 s: %.2f s, peak %d kB', $n, $t, $kb);
is worker_stop($w), 0, 'exits';

# openai runs against a server that answers after 2 s
$n = 300;
$w = worker_start(backend => 'openai', provider => 'local=' . mock_url(),
                  concurrency => 2, 'runs-in-flight' => 1000);
mock_script({ text => 'slow answer', delay_ms => 2000 });
@keys = ();
my @agents;
for (1 .. $n) {
    my $a = create_agent($r, model => 'm', llm => { model_endpoint_type => 'local' });
    push @agents, $a;
    push @keys, run_key('aa:', create_run($r, $a, input => 'hi'));
}
ok all_done(\@keys, 60), "$n openai runs done";
is scalar(grep { $r->cmd('HGET', $_, 'status') eq 'completed' } @keys), $n,
    'all completed';
$t = span(\@keys);
ok $t < 2 + ($san ? 8 : 4), sprintf('in %.2f s (ideal 2 s)', $t);
my ($m) = grep { $_->{message_type} eq 'assistant_message' } map { json->decode($_) }
    @{ $r->cmd('LRANGE', "$keys[0]:messages", 0, -1) };
is $m->{content}, 'slow answer', 'the model\'s answer';
diag sprintf('%d openai runs of 2 s: %.2f s, peak %d kB', $n, $t, peak_kb($w));

# cancelled on the loop: the call is dropped at once
mock_script({ text => 'never', delay_ms => 5000 });
my $a = create_agent($r, model => 'm', llm => { model_endpoint_type => 'local' });
my $run = create_run($r, $a, input => 'hi');
my $key = run_key('aa:', $run);
ok wait_for(sub { $r->cmd('HGET', $key, 'status') eq 'running' }, 10), 'running';
sleep 0.3;
my $t0 = time;
is cancel_run($run), 'cancel_requested', 'cancel requested';
is wait_status($key, 5, 'cancelled'), 'cancelled', 'cancelled';
ok time - $t0 < 1, sprintf('in %.0f ms', (time - $t0) * 1000);
is worker_stop($w), 0, 'exits';

done_testing;

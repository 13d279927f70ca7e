# End to end, real processes only: nginx with the module accepts runs over
# HTTP, two worker processes execute them from the same Redis.  One worker
# is killed with SIGKILL in the middle of a run.  Every run completes
# exactly once, runs of one agent one at a time in acceptance order, and
# the Run served by nginx carries the worker's results.
use lib '.';
use t::AgentTest 'no_plan';
use POSIX ();
use Time::HiRes qw(sleep time);

my $TOKEN = 'e2e-token-0123';
my %H = ('Authorization' => "Bearer $TOKEN", 'Content-Type' => 'application/json');

nginx_start(
    http_config => "agent_async_redis 127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT};",
    config      => "location /v1/ { agent_async on; agent_async_token $TOKEN; }",
);

my @workers;
sub worker {
    my ($name, @args) = @_;
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        open STDOUT, '>', "$ENV{TEST_NGINX_SERVROOT}/logs/$name.log";
        open STDERR, '>&', \*STDOUT;
        exec($ENV{AGENT_ASYNC_WORKER_BIN} || 'build/agent-async-worker',
             '--redis', "127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT}",
             '--heartbeat-ms', 200, '--lease-ttl-ms', 1000,
             '--reap-interval-ms', 300, @args) or POSIX::_exit(127);
    }
    push @workers, $pid;
    return $pid;
}

sub api {
    my ($method, $path, $body) = @_;
    my $r = http_request($method, $path, \%H, defined $body ? json_encode($body) : undef);
    die "no answer to $method $path: $r->{error}\n" if $r->{error};
    return ($r->{status}, eval { json_decode($r->{body}) });
}

# three agents, four runs each, sent before any worker runs
my (%runs, @order);
for my $i (1 .. 3) {
    my ($st, $agent) = api('POST', '/v1/agents/', { name => "e2e$i" });
    is($st, 200, "agent $i created");
    for my $j (1 .. 4) {
        my $body = $j % 2
            ? { input => [{ type => 'text', text => "agent $i " }, { type => 'text', text => "run $j" }] }
            : { messages => [{ role => 'system', content => 'be brief' },
                             { role => 'user', content => "agent $i run $j" }] };
        my ($s, $run) = api('POST', "/v1/agents/$agent->{id}/messages/async", $body);
        is($s, 200, "agent $i run $j accepted");
        is($run->{status}, 'created', "agent $i run $j: created");
        push @{ $runs{ $agent->{id} } }, $run->{id};
        push @order, [$agent->{id}, $run->{id}, "agent $i run $j"];
    }
}

my $a = worker('worker-a', '--concurrency', 3, '--echo-delay-ms', 400);
sleep 0.6;
my $running = grep { (api('GET', "/v1/runs/$_->[1]"))[1]{status} eq 'running' } @order;
ok($running >= 1, "worker A is running $running run(s)");
kill 'KILL', $a;
waitpid $a, 0;
my $b = worker('worker-b', '--concurrency', 3, '--echo-delay-ms', 50);

my $deadline = time + 20;
my %final;
while (time < $deadline) {
    %final = map { $_->[1] => (api('GET', "/v1/runs/$_->[1]"))[1] } @order;
    last unless grep { $_->{status} ne 'completed' } values %final;
    sleep 0.2;
}

for my $o (@order) {
    my ($agent, $run, $text) = @$o;
    my $r = $final{$run};
    is($r->{status}, 'completed', "$text: completed");
    is($r->{stop_reason}, 'end_turn', "$text: end_turn");
    like($r->{completed_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, "$text: completed_at");
    ok(($r->{ttft_ns} // 0) > 0 && ($r->{total_duration_ns} // 0) >= $r->{ttft_ns},
       "$text: ttft_ns and total_duration_ns");

    my $key = run_key("aa:", $run);
    my @msgs = map { json_decode($_) } @{ redis('LRANGE', "$key:messages", 0, -1) };
    my @types = map { $_->{message_type} } @msgs;
    is($types[-1], 'assistant_message', "$text: ends with the assistant's answer");
    is($msgs[-1]{content}, $text, "$text: the echo repeats the user's text");
    ok(!grep({ $_->{run_id} ne $run } @msgs), "$text: every message carries the run id");
    ok(redis('HGET', $key, 'attempts') <= 2, "$text: at most two attempts");
}

# one at a time per agent, in acceptance order
for my $agent (keys %runs) {
    my @r = map { scalar redis('HGET', run_key("aa:", $_), 'started_at') } @{ $runs{$agent} };
    my @c = map { scalar redis('HGET', run_key("aa:", $_), 'completed_at') } @{ $runs{$agent} };
    for my $i (1 .. $#r) {
        ok($c[$i - 1] le $r[$i] || redis('HGET', run_key("aa:", $runs{$agent}[$i]), 'attempts') > 1,
           "agent $agent: run $i started after run " . ($i - 1) . ' completed');
    }
    is(redis('LLEN', "aa:{$agent}:queue"), 0, "agent $agent: queue drained");
}

my $log_b = do { local $/; open my $f, '<', "$ENV{TEST_NGINX_SERVROOT}/logs/worker-b.log"; <$f> };
like($log_b, qr/reaped: worker \S+ stopped beating/, 'worker B reaped worker A');
my @completions = $log_b =~ / completed stop_reason/g;
my $log_a = do { local $/; open my $f, '<', "$ENV{TEST_NGINX_SERVROOT}/logs/worker-a.log"; <$f> };
my @completions_a = $log_a =~ / completed stop_reason/g;
is(@completions + @completions_a, scalar @order, 'each run completed exactly once across both workers');
is(redis('LLEN', 'aa:ready'), 0, 'nothing left ready');

kill 'TERM', $b;
waitpid $b, 0;
is($?, 0, 'worker B drained and exited 0');
unlike(error_log(), qr/\[(alert|crit|emerg)\]/, 'no alert in error.log');
nginx_stop();

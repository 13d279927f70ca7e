# POST /v1/agents/{agent_id}/messages/cancel and DELETE /v1/runs/{run_id}
# over HTTP, with a real worker executing: queued runs cancelled at once
# and never executed, the running one aborted, the answer map and the 409,
# bad bodies, other tenants; a deleted run gone with its messages, steps
# and index entries, a running one aborted and its agent free again.
use lib '.';
use t::AgentTest 'no_plan';
use POSIX ();
use Time::HiRes qw(sleep time);

my $TOKEN = 'cancel-token-56';
my $OTHER = 'other-token-56';
my %H = (Authorization => "Bearer $TOKEN", 'Content-Type' => 'application/json');
my %O = (Authorization => "Bearer $OTHER", 'Content-Type' => 'application/json');

nginx_start(
    http_config => "agent_async_redis 127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT};"
                 . " agent_async_retention 1h;",
    config      => "location /v1/ { agent_async on; agent_async_token $TOKEN ten56;"
                 . " agent_async_token $OTHER other56; }",
);

my @workers;
sub worker {
    my (@args) = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>>', "$ENV{TEST_NGINX_SERVROOT}/logs/worker.log";
        open STDERR, '>&', \*STDOUT;
        exec($ENV{AGENT_ASYNC_WORKER_BIN} || 'build/agent-async-worker',
             '--redis', "127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT}",
             '--heartbeat-ms', 200, '--lease-ttl-ms', 1000,
             '--reap-interval-ms', 300, '--block-ms', 200, @args)
            or POSIX::_exit(127);
    }
    push @workers, $pid;
    return $pid;
}
END {
    local $?;
    for (@workers) { kill 'TERM', $_; waitpid $_, 0 }
}

sub api {
    my ($method, $path, $body, $h) = @_;
    my $r = http_request($method, $path, $h // \%H,
                         defined $body ? (ref $body ? json_encode($body) : $body) : undef,
                         { timeout => 5 });
    die "no answer to $method $path: $r->{error}\n" if $r->{error};
    return ($r->{status}, eval { json_decode($r->{body}) }, $r);
}

sub status_of {
    my ($run) = @_;
    my ($s, $b) = api('GET', "/v1/runs/$run");
    return $s == 200 ? $b->{status} : "http $s";
}

sub wait_for {
    my ($cond, $timeout) = @_;
    my $end = time + ($timeout // 10);
    while (time < $end) {
        my $v = $cond->();
        return $v if $v;
        sleep 0.05;
    }
    return undef;
}

my ($st, $agent) = api('POST', '/v1/agents/', { name => 'cancel me' });
is($st, 200, 'agent created');
my $A = $agent->{id};

# --- cancel with no ids: every run not finished --------------------------

my $w = worker('--echo-delay-ms', 2000, '--concurrency', 2);
my @runs = map { (api('POST', "/v1/agents/$A/messages/async", { input => "run $_" }))[1]{id} } 1 .. 3;
ok(wait_for(sub { status_of($runs[0]) eq 'running' }), 'the first run is running');

my $t0 = time;
my ($cs, $map, $raw) = api('POST', "/v1/agents/$A/messages/cancel", {});
my $dt = time - $t0;
is($cs, 200, 'cancel: 200');
is_deeply($map, { map { $_ => 'cancelled' } @runs }, 'cancel: every run not finished, "cancelled"');
is($raw->{body}, '{' . join(',', map { qq("$_":"cancelled") } @runs) . '}', 'cancel: the map in queue order');
ok($dt < 1, sprintf('cancel answers at once (%.2f s), without waiting on the worker', $dt));
is(status_of($runs[1]), 'cancelled', 'a queued run: cancelled at once');
is(status_of($runs[2]), 'cancelled', 'the other queued run: cancelled at once');
ok(wait_for(sub { status_of($runs[0]) eq 'cancelled' }, 2), 'the running run: aborted, cancelled');
my ($ms, $msgs) = api('GET', "/v1/runs/$runs[1]/messages");
is_deeply($msgs, [], 'a run cancelled while queued was never executed');
my $ttl = redis('PTTL', run_key("aa:", $runs[1]));
ok($ttl > 3_500_000 && $ttl <= 3_600_000,
   "a run cancelled while queued expires after agent_async_retention 1h (PTTL $ttl)");
is(redis('HEXISTS', run_key("aa:", $runs[1]), 'request'), 0, 'and its job is dropped');
$ttl = redis('PTTL', run_key("aa:", $runs[0]));
ok($ttl > 6 * 86_400_000, "the run the worker finished expires after its --retention-seconds, 7 days (PTTL $ttl)");

($cs, $map) = api('POST', "/v1/agents/$A/messages/cancel");
is($cs, 409, 'nothing left to cancel: 409');
is_deeply($map, { detail => "CONFLICT: No active runs to cancel for agent $A" }, '409: Letta\'s detail');

# --- cancel named runs ------------------------------------------------------

my $q1 = (api('POST', "/v1/agents/$A/messages/async", { input => 'slow' }))[1]{id};
my $q2 = (api('POST', "/v1/agents/$A/messages/async", { input => 'kept' }))[1]{id};
my $q3 = (api('POST', "/v1/agents/$A/messages/async", { input => 'named' }))[1]{id};
($cs, $map) = api('POST', "/v1/agents/$A/messages/cancel",
                  { run_ids => [ $q3, 'run-00000000-0000-4000-8000-000000000000', 'not-a-run', $runs[1] ] });
is($cs, 200, 'cancel named runs: 200');
is_deeply($map, { $q3 => 'cancelled', 'run-00000000-0000-4000-8000-000000000000' => 'failed',
                  'not-a-run' => 'failed', $runs[1] => 'cancelled' },
          'named: cancelled, unknown and malformed "failed", already terminal "cancelled" (as Letta)');
ok(wait_for(sub { status_of($q2) eq 'completed' }, 10), 'the runs not named go on: completed');
is(status_of($q3), 'cancelled', 'the named one: cancelled');
is(status_of($q1), 'completed', 'the one before it: completed');

# --- bad requests, other tenants --------------------------------------------

($cs, $map) = api('POST', "/v1/agents/$A/messages/cancel", { run_ids => 'run-x' });
is($cs, 422, 'run_ids not a list: 422');
is($map->{detail}[0]{type}, 'list_type', 'list_type');
is_deeply($map->{detail}[0]{loc}, ['body', 'run_ids'], 'loc body/run_ids');
($cs, $map) = api('POST', "/v1/agents/$A/messages/cancel", { run_ids => [ 1 ] });
is($cs, 422, 'run_ids of numbers: 422');
is($map->{detail}[0]{type}, 'string_type', 'string_type');
($cs, $map) = api('POST', "/v1/agents/$A/messages/cancel", { run_ids => [ map { "run-$_" } 1 .. 101 ] });
is($cs, 422, '101 run_ids: 422');
is($map->{detail}[0]{type}, 'too_long', 'too_long');
($cs, $map) = api('POST', "/v1/agents/$A/messages/cancel", '{"run_ids":');
is($cs, 422, 'not JSON: 422');
is($map->{detail}[0]{type}, 'json_invalid', 'json_invalid');
($cs, $map) = api('POST', "/v1/agents/$A/messages/cancel", { run_ids => undef });
is($cs, 409, 'run_ids null: as none given (409 now)');
($cs, $map) = api('POST', "/v1/agents/agent-x/messages/cancel", {});
is($cs, 422, 'malformed agent id: 422');
($cs, $map) = api('POST', "/v1/agents/agent-00000000-0000-4000-8000-000000000000/messages/cancel", {});
is($cs, 404, 'unknown agent: 404');
is_deeply($map, { detail => 'Agent not found' }, 'Agent not found');
my $q4 = (api('POST', "/v1/agents/$A/messages/async", { input => 'mine' }))[1]{id};
($cs, $map) = api('POST', "/v1/agents/$A/messages/cancel", { run_ids => [$q4] }, \%O);
is($cs, 404, 'another tenant\'s agent: 404');
($cs) = api('POST', "/v1/agents/$A/messages/cancel/", { run_ids => [$q4] });
is($cs, 200, 'the trailing-slash form');
($cs) = api('GET', "/v1/agents/$A/messages/cancel");
is($cs, 405, 'GET on cancel: 405');

# --- DELETE -----------------------------------------------------------------

ok(wait_for(sub { status_of($q4) eq 'cancelled' }, 5), 'setup: the last run cancelled');
my $done = (api('POST', "/v1/agents/$A/messages/async", { input => 'delete me' }))[1]{id};
ok(wait_for(sub { status_of($done) eq 'completed' }, 10), 'a run completes');
my ($gs, $before) = api('GET', "/v1/runs/$done");
my ($ds, $deleted) = api('DELETE', "/v1/runs/$done");
is($ds, 200, 'DELETE: 200');
is_deeply($deleted, $before, 'DELETE answers the Run as it was');
is(status_of($done), 'http 404', 'then it is gone');
ok(!redis('EXISTS', run_key('aa:', $done)), 'its hash is gone');
is(redis('EXISTS', run_key("aa:", $done), run_key("aa:", $done) . ":messages", run_key("aa:", $done) . ":steps"), 0,
   'its hash, messages and steps are gone');
ok(!defined redis('ZSCORE', "aa:{$A}:runs", $done), 'not in the agent\'s runs');
ok(!defined redis('ZSCORE', 'aa:tenant:ten56:runs', "$A/$done"), 'not in the tenant\'s runs');
ok(!defined redis('ZSCORE', 'aa:tenant:ten56:active', "$A/$done"), 'not in the tenant\'s active runs');
($ds) = api('DELETE', "/v1/runs/$done");
is($ds, 404, 'DELETE again: 404');
($ds) = api('DELETE', '/v1/runs/run-x');
is($ds, 400, 'DELETE of a malformed id: 400');
my $theirs = (api('POST', "/v1/agents/$A/messages/async", { input => 'not yours' }))[1]{id};
($ds) = api('DELETE', "/v1/runs/$theirs", undef, \%O);
is($ds, 404, 'DELETE of another tenant\'s run: 404');
ok(wait_for(sub { status_of($theirs) eq 'completed' }, 10), 'and it is still there');

# a running run: aborted, and its agent free for the next run
my $long = (api('POST', "/v1/agents/$A/messages/async", { input => 'long' }))[1]{id};
my $next = (api('POST', "/v1/agents/$A/messages/async", { input => 'next' }))[1]{id};
ok(wait_for(sub { status_of($long) eq 'running' }), 'a long run is running');
($ds, $deleted) = api('DELETE', "/v1/runs/$long");
is($ds, 200, 'DELETE of a running run: 200');
is($deleted->{status}, 'running', 'the Run as it was: running');
ok(wait_for(sub { status_of($next) eq 'completed' }, 5), 'the next run of the agent follows');
ok(!defined redis('LPOS', "aa:{$A}:queue", $long), 'the deleted run left the queue');
# a queued run: never executed
my $slow = (api('POST', "/v1/agents/$A/messages/async", { input => 'slow' }))[1]{id};
my $gone = (api('POST', "/v1/agents/$A/messages/async", { input => 'gone' }))[1]{id};
my $after = (api('POST', "/v1/agents/$A/messages/async", { input => 'after' }))[1]{id};
($ds) = api('DELETE', "/v1/runs/$gone");
is($ds, 200, 'DELETE of a queued run: 200');
ok(wait_for(sub { status_of($after) eq 'completed' }, 10), 'the runs around it complete');
is(redis('LLEN', "aa:{$A}:queue"), 0, 'the queue is empty');
my @ready = @{ redis('LRANGE', 'aa:ready', 0, -1) };
ok(!grep({ $_ eq $A } @ready), 'and the agent is not left in Pready');
unlike(do { local $/; open my $f, '<', "$ENV{TEST_NGINX_SERVROOT}/logs/worker.log"; <$f> // '' },
       qr/run=\Q$gone\E [^\n]*running/, 'the deleted queued run was never executed');

nginx_stop();
unlike(error_log(), qr/\[(alert|crit|emerg)\]/, 'no alert');
unlike(error_log(), qr/runtime error:|AddressSanitizer/, 'no sanitizer report');

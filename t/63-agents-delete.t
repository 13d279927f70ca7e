# DELETE /v1/agents/{agent_id} with a real worker (docs/api.md,
# docs/redis-keys.md "Deleting an agent"): Letta's answer; the agent gone
# for every route at once; its queued runs never executed, its running one
# aborted, every run and key of it removed, its index entries and owed
# callbacks with them; the worker free for other agents; many runs in
# bounded batches; a deletion cut short taken up by the next DELETE;
# unknown agents, other tenants, malformed ids.
use lib '.';
use t::AgentTest 'no_plan';
use IO::Socket::INET ();
use POSIX ();
use Time::HiRes qw(sleep time);

my $TOKEN = 'delete-token-63';
my %H = (Authorization => "Bearer $TOKEN", 'Content-Type' => 'application/json');
my %O = (Authorization => 'Bearer other-token-63', 'Content-Type' => 'application/json');

nginx_start(
    http_config => "agent_async_redis 127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT};",
    config      => "location /v1/ { agent_async on; agent_async_token $TOKEN ten63;"
                 . ' agent_async_token other-token-63 other63; }',
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
                         { timeout => 10 });
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

sub create { (api('POST', '/v1/agents/', $_[0] // {}, $_[1]))[1]{id} }
sub send_run { (api('POST', "/v1/agents/$_[0]/messages/async", { input => $_[1] // 'hi', %{ $_[2] // {} } }))[1]{id} }

sub of_agent {
    my ($a) = @_;
    return [ sort grep { index($_, "{$a}") >= 0 } @{ redis('KEYS', '*') } ];
}

sub worker_log {
    open my $f, '<', "$ENV{TEST_NGINX_SERVROOT}/logs/worker.log" or return '';
    local $/;
    return <$f>;
}

my $DELETED = sub { { message => "Agent id=$_[0] successfully deleted" } };

# --- who ------------------------------------------------------------------------------

my $A = create({ name => 'mine' });
my ($s, $b) = api('DELETE', "/v1/agents/$A", undef, \%O);
is($s, 404, 'another tenant\'s agent: 404');
is_deeply($b, { detail => 'Agent not found' }, 'Agent not found');
is((api('GET', "/v1/agents/$A"))[0], 200, 'and it is still there');
($s, $b) = api('DELETE', '/v1/agents/agent-00000000-0000-4000-8000-000000000000');
is($s, 404, 'unknown agent: 404');
($s, $b) = api('DELETE', '/v1/agents/agent-nope');
is($s, 422, 'malformed id: 422');
is($b->{detail}[0]{type}, 'string_pattern_mismatch', 'string_pattern_mismatch');

# --- an agent with no run --------------------------------------------------------------

my ($ds, $db, $raw) = api('DELETE', "/v1/agents/$A");
is($ds, 200, 'DELETE: 200');
is_deeply($db, $DELETED->($A), 'Letta\'s {"message": "Agent id=... successfully deleted"}');
like($raw->{headers}{'content-type'}, qr{^application/json}, 'JSON');
is_deeply(of_agent($A), [], 'no key of it is left');
is((api('GET', "/v1/agents/$A"))[0], 404, 'GET: 404');
is((api('DELETE', "/v1/agents/$A"))[0], 404, 'DELETE again: 404');
ok(!grep({ $_->{id} eq $A } @{ (api('GET', '/v1/agents/'))[1] }), 'gone from the list');
is_deeply((api('GET', '/v1/agents/?name=mine'))[1], [], 'gone from the name index');

# --- queued and running runs, with a worker ---------------------------------------------

# a receiver that never answers: the callback stays owed (in flight) until
# the deletion, whenever the worker attempts it
my $sink = IO::Socket::INET->new(Listen => 16, LocalAddr => '127.0.0.1', LocalPort => 0)
    or die "listen: $!";
worker('--echo-delay-ms', 1500, '--concurrency', 2, '--callback-allow', '127.0.0.1/32',
       '--callback-timeout-ms', 60000);
my $B = create({ name => 'busy' });
my $other = create({ name => 'bystander' });
my $done = send_run($B, 'first', { callback_url => 'http://127.0.0.1:' . $sink->sockport . '/cb' });
ok(wait_for(sub { status_of($done) eq 'completed' }, 10), 'setup: a run completed (its callback owed)');
my $running = send_run($B, 'long');
my @queued = map { send_run($B, "queued $_") } 1 .. 3;
ok(wait_for(sub { status_of($running) eq 'running' }), 'setup: one running, three queued');
my $theirs = send_run($other, 'theirs');
# R members, as earlier layouts wrote them, next to the A/R ones
for my $run ($done, $running, @queued) {
    redis('ZADD', 'aa:tenant:ten63:runs', 1, $run);
}
ok(redis('ZSCORE', 'aa:callbacks', "$B/$done"), 'setup: the callback of the completed run is owed');

my $t0 = time;
($ds, $db) = api('DELETE', "/v1/agents/$B");
is($ds, 200, 'DELETE of a busy agent: 200');
is_deeply($db, $DELETED->($B), 'the message');
ok(time - $t0 < 1, 'answered without waiting on the worker');
is((api('GET', "/v1/agents/$B"))[0], 404, 'GET: 404');
is((api('POST', "/v1/agents/$B/messages/async", { input => 'more' }))[0], 404, 'no run can be sent to it');
is((api('POST', "/v1/agents/$B/messages/cancel", {}))[0], 404, 'cancel: 404');
is((api('PATCH', "/v1/agents/$B", { name => 'x' }))[0], 404, 'PATCH: 404');
for my $run ($done, $running, @queued) {
    is(status_of($run), 'http 404', "its run $run: gone");
    ok(!redis('EXISTS', run_key('aa:', $run)), "its hash $run: gone");
}
is_deeply(of_agent($B), [], 'no key of the agent is left');
ok(!defined redis('ZSCORE', 'aa:callbacks', "$B/$done"), 'the owed callback: gone');
my %its = map { $_ => 1 } $done, $running, @queued;
is_deeply([ grep { index($_, $B) >= 0 || $its{$_} } @{ redis('ZRANGE', 'aa:tenant:ten63:runs', 0, -1) } ],
          [], 'the tenant\'s runs: none of it, R or A/R');
is_deeply([ grep { index($_, $B) >= 0 } @{ redis('ZRANGE', 'aa:tenant:ten63:active', 0, -1) } ],
          [], 'the tenant\'s active runs: none of it');
is_deeply(redis('ZRANGE', 'aa:tenant:ten63:active', 0, -1), [ "$other/$theirs" ],
          'the other agent\'s run stays active');
is(redis('HLEN', 'aa:deleting'), 0, 'not left in Pdeleting');

ok(wait_for(sub { status_of($theirs) eq 'completed' }, 10), 'the worker goes on: the other agent\'s run completes');
ok(wait_for(sub {
    !grep({ $_ eq $B } @{ redis('LRANGE', 'aa:ready', 0, -1) },
          map { @{ redis('LRANGE', $_, 0, -1) } } @{ redis('KEYS', 'aa:processing:*') })
}, 5), 'the deleted agent left Pready and every Pprocessing:W');
my $log = worker_log();
like($log, qr/run=\Q$running\E [^\n]*(cancelled|deleted while it ran)/, 'the running run was aborted');
for my $run (@queued) {
    unlike($log, qr/run=\Q$run\E [^\n]*running/, "the queued run $run was never executed");
}
is_deeply(of_agent($B), [], 'and its finish left nothing of it');
is((api('GET', "/v1/agents/$other"))[0], 200, 'the other agent is untouched');

# --- many runs: bounded batches ----------------------------------------------------------

my $wpid = pop @workers;
kill 'TERM', $wpid;
waitpid $wpid, 0;
my $M = create({ name => 'many' });
my @many = map { send_run($M, "m$_") } 1 .. 250;
is(scalar(grep { defined } @many), 250, 'setup: 250 queued runs');
open my $el, '<', "$ENV{TEST_NGINX_SERVROOT}/logs/error.log" or die;
seek $el, 0, 2;
($ds, $db) = api('DELETE', "/v1/agents/$M");
is($ds, 200, '250 runs: DELETE 200');
my $new = do { local $/; <$el> };
my @batches = $new =~ /agent delete "\Q$M\E": batch (\d+) of (\d+) runs/g;
is_deeply(\@batches, [ 1, 101, 2, 100, 3, 50 ],
          '250 runs: three batches (the head and 100, then 100, then 50), each one script call');
like($new, qr/agent delete "\Q$M\E": done in 3 batches/, 'then done');
is_deeply(of_agent($M), [], '250 runs: no key of the agent left');
is(scalar(grep { redis('EXISTS', run_key('aa:', $_)) } @many), 0, '250 runs: no run hash left');
is(scalar(grep { defined redis('ZSCORE', 'aa:tenant:ten63:runs', $_) } @many), 0,
   '250 runs: none left in the tenant\'s runs');

# --- a deletion cut short: the next DELETE takes it up --------------------------------------

my $C = create({ name => 'cut' });
my @cut = map { send_run($C, "c$_") } 1 .. 5;
my $k = "aa:{$C}";
# the first step alone, as a DELETE whose Redis failed after it
my $script = do { local $/; open my $f, '<', 'src/lua/delete_agent.lua' or die; <$f> };
my $d = redis('EVAL', $script, 8, "$k:agent", 'aa:tenant:ten63:agents', 'aa:tenant:ten63:agent_names',
              "$k:queue", 'aa:ready', "$k:runs", 'aa:deleting', "$k:history", 'ten63', $C, 100);
is($d->[0], 'deleted', 'setup: only the first step ran');
is((api('GET', "/v1/agents/$C"))[0], 404, 'cut short: the agent is gone already');
is(status_of($cut[0]), 'created', 'cut short: its runs are still there');
is((api('DELETE', "/v1/agents/$C", undef, \%O))[0], 404, 'another tenant cannot take it up');
($ds, $db) = api('DELETE', "/v1/agents/$C");
is($ds, 200, 'the next DELETE: 200');
is_deeply($db, $DELETED->($C), 'the message');
is_deeply(of_agent($C), [], 'and the deletion is done');
is(status_of($cut[0]), 'http 404', 'its runs gone');
is((api('DELETE', "/v1/agents/$C"))[0], 404, 'then 404');

nginx_stop();
unlike(error_log(), qr/\[(alert|crit|emerg)\]/, 'no alert');
unlike(error_log(), qr/runtime error:|AddressSanitizer/, 'no sanitizer report');

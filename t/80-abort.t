# Clients that go away early, pipelining and concurrency.  nginx must
# survive, leak nothing ("open socket ... left" alerts at a graceful
# shutdown) and keep answering.  Runs with a master process, so that
# the worker's exit checks for leaked connections.
use lib '.';
use t::AgentTest 'no_plan';
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);

our $AGENT = 'agent-80808080-8080-4080-8080-808080808080';
our $RUN   = 'run-80808080-8080-4080-8080-808080808080';

our $Silent = IO::Socket::INET->new(Listen => 256, LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp')
    or die "silent listener: $@";
$ENV{TEST_NGINX_SILENT_PORT} = $Silent->sockport;

sub seed {
    my $r = \&t::AgentTest::redis;
    $r->('FLUSHALL');
    $r->('HSET', "aa:{$AGENT}:agent", id => $AGENT, tenant => 'default', state => qq({"id":"$AGENT"}));
    $r->('HSET', run_key("aa:", $RUN), id => $RUN, agent_id => $AGENT, tenant => 'default', status => 'created');
}

our $CONFIG = <<'EOF';
    location /v1/ { agent_async on; agent_async_auth off; }
    location = /other { return 200 "other"; }
EOF

master_on();
worker_connections(512);
t::AgentTest::default_http_config('agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;');
add_block_preprocessor(sub {
    my $b = shift;
    $b->set_value(config => $CONFIG) unless defined scalar $b->config;
    $b->set_value(init => 'main::seed();') unless defined scalar $b->init;
});

no_shuffle();
run_tests();

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

sub raw_send {
    my ($bytes) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => server_port(), Proto => 'tcp', Timeout => 2)
        or die "connect: $@";
    binmode $s;
    syswrite $s, $bytes;
    return $s;
}

sub post_req {
    my ($path, $body, $close) = @_;
    return "POST $path HTTP/1.1\r\nHost: localhost\r\n" . ($close ? "Connection: close\r\n" : '')
         . "Content-Type: application/json\r\nContent-Length: " . length($body) . "\r\n\r\n$body";
}

sub get_req {
    my ($path, $close) = @_;
    return "GET $path HTTP/1.1\r\nHost: localhost\r\n" . ($close ? "Connection: close\r\n" : '') . "\r\n";
}

# reads every socket to EOF (or until $timeout), concurrently
sub read_all {
    my ($socks, $timeout) = @_;
    my %buf = map { $_ => '' } @$socks;
    my $sel = IO::Select->new(@$socks);
    my $end = time + $timeout;
    while ($sel->count && time < $end) {
        for my $s ($sel->can_read($end - time)) {
            my $n = sysread($s, $buf{$s}, 65536, length $buf{$s});
            if (!$n) { $sel->remove($s); close $s }
        }
    }
    return [map { $buf{$_} } @$socks];
}

sub healthy {
    my $what = shift;
    my $r = http_request('GET', "/v1/runs/$RUN");
    is($r->{status}, 200, "$what: a normal request still works");
    is(http_request('GET', '/other')->{body}, 'other', "$what: other locations work");
}

sub shutdown_clean {
    my $what = shift;
    nginx_stop();
    my $log = error_log();
    like($log, qr/gracefully shutting down/, "$what: the worker went through a graceful exit (its leak check ran)");
    like($log, qr/\[notice\] \d+#\d+: exit$/m, "$what: the worker exited");
    unlike($log, qr/open socket #\d+ left in connection/, "$what: no socket left open at exit");
    unlike($log, qr/\[alert\]/, "$what: no [alert]");
    unlike($log, qr/runtime error:|AddressSanitizer|\[crit\]|\[emerg\]|aborting|signal \d+ .*exited on signal/, "$what: no crash");
}

# ---------------------------------------------------------------------------
# clients closing before the answer
# ---------------------------------------------------------------------------

seed();
nginx_start(config => $CONFIG);

# a complete POST, then the client closes at once; many times
for (1 .. 30) {
    my $s = raw_send(post_req("/v1/agents/$AGENT/messages/async", '{"input":"bye"}', 1));
    close $s;
}
# a GET, closed at once
for (1 .. 30) {
    close raw_send(get_req("/v1/runs/$RUN", 1));
}
# a POST whose body never fully arrives
for (1 .. 10) {
    my $s = raw_send("POST /v1/agents/$AGENT/messages/async HTTP/1.1\r\nHost: localhost\r\n"
                   . "Content-Length: 100\r\n\r\n{\"input\":");
    close $s;
}
# RST instead of FIN (SO_LINGER 0)
for (1 .. 10) {
    my $s = raw_send(post_req("/v1/agents/$AGENT/messages/async", '{"input":"rst"}', 1));
    setsockopt($s, Socket::SOL_SOCKET(), Socket::SO_LINGER(), pack('ii', 1, 0));
    close $s;
}
sleep 0.3;
healthy('after 80 aborted clients');

# every run that got created is complete and queued: never half-written
my $runs = redis('ZRANGE', "aa:{$AGENT}:runs", 0, -1);
my $queue = redis('LRANGE', "aa:{$AGENT}:queue", 0, -1);
ok(@$runs <= 40, 'aborted POSTs: at most one run each (' . scalar(@$runs) . ')');
is_deeply([sort @$queue], [sort @$runs], 'aborted POSTs: every created run is queued');
my $bad = 0;
for my $id (@$runs) {
    my %h = @{ redis('HGETALL', run_key("aa:", $id)) };
    $bad++ unless ($h{status} // '') eq 'created' && defined $h{request} && $h{agent_id} eq $AGENT;
}
is($bad, 0, 'aborted POSTs: every created run has its hash');
is(redis('LLEN', 'aa:ready'), @$runs ? 1 : 0, 'aborted POSTs: agent ready once');

# ---------------------------------------------------------------------------
# concurrency and pipelining
# ---------------------------------------------------------------------------

# 50 GETs in a loop
my $ok = 0;
$ok += (http_request('GET', "/v1/runs/$RUN")->{status} // 0) == 200 for 1 .. 50;
is($ok, 50, '50 sequential GETs: all 200');

# 100 concurrent GETs, 100 concurrent POSTs, on 200 connections
my @socks = map { raw_send(get_req("/v1/runs/$RUN", 1)) } 1 .. 100;
push @socks, map { raw_send(post_req("/v1/agents/$AGENT/messages/async", qq({"input":"c$_"}), 1)) } 1 .. 100;
my $out = read_all(\@socks, 10);
my @st = map { /^HTTP\/1\.1 (\d+)/ ? $1 : 'none' } @$out;
is(scalar(grep { $_ eq '200' } @st[0 .. 99]), 100, '100 concurrent GETs: all 200');
is(scalar(grep { $_ eq '200' } @st[100 .. 199]), 100, '100 concurrent POSTs: all 200');
like($out->[0], qr/\r\n\r\n\{"id":"\Q$RUN\E",/, 'concurrent GET: the Run');
my %ids = map { /"id":"(run-[^"]+)"/ ? ($1 => 1) : () } @$out[100 .. 199];
is(scalar keys %ids, 100, '100 concurrent POSTs: 100 distinct runs');
my %queued = map { $_ => 1 } @{ redis('LRANGE', "aa:{$AGENT}:queue", 0, -1) };
is(scalar(grep { $queued{$_} } keys %ids), 100, '100 concurrent POSTs: all queued');
is(redis('LLEN', 'aa:ready'), 1, 'concurrent POSTs: the agent is ready once');

# 20 requests pipelined on one keep-alive connection, mixed routes
my @pipe = ((map { get_req("/v1/runs/$RUN") } 1 .. 10), get_req('/v1/nope'),
            (map { post_req("/v1/agents/$AGENT/messages/async", '{"input":"p"}') } 1 .. 8),
            get_req("/v1/runs/$RUN", 1));
my $s = raw_send(join '', @pipe);
my $all = read_all([$s], 10)->[0];
my @codes = $all =~ /HTTP\/1\.1 (\d{3}) /g;
is_deeply(\@codes, [(200) x 10, 404, (200) x 9], '20 pipelined requests: answered in order');

# Expect: 100-continue: the interim answer, then the Run
$s = raw_send("POST /v1/agents/$AGENT/messages/async HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            . "Expect: 100-continue\r\nContent-Length: 13\r\n\r\n{\"input\":\"x\"}");
$all = read_all([$s], 3)->[0];
like($all, qr/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n.*\r\n\r\n\{"id":"run-[0-9a-f-]{36}","status":"created"/s,
    'Expect: 100-continue: 100 then 200 with the Run');

# A client that half-closes (shutdown(SHUT_WR)) after a complete request is
# still there to read the answer.  src/ngx_http_agent_async_redis.c sets
# r->read_event_handler = ngx_http_test_reading while a command is pending,
# which takes the half-close for an abort: the request is terminated and
# the client gets no answer, yet a POST's run is created (an SDK retrying
# on the connection error creates it twice).  CLIENT PAUSE holds Redis for
# 300 ms so that the FIN always arrives while the command is pending.
{
    my %got;
    for my $i (1 .. 3) {
        for my $req (get_req("/v1/runs/$RUN", 1), post_req("/v1/agents/$AGENT/messages/async", '{"input":"half"}', 1)) {
            my $m = $req =~ /^POST/ ? 'POST' : 'GET';
            my $before = redis('LLEN', "aa:{$AGENT}:queue");
            redis('CLIENT', 'PAUSE', 300, 'ALL');
            my $s = raw_send($req);
            sleep 0.05;    # the request is read and its command pending
            shutdown($s, 1);
            my $out = read_all([$s], 3)->[0];
            $got{$m}++ if $out =~ /^HTTP\/1\.1 200 /;
            is(redis('LLEN', "aa:{$AGENT}:queue") - $before, 1, 'half-closed client: its POST created the run')
                if $m eq 'POST';
        }
    }
    is($got{GET} // 0, 3, 'half-closed clients: every GET answered');
    is($got{POST} // 0, 3, 'half-closed clients: every POST answered with the run it created');
    healthy('after half-closed clients');
}

# pipelined, and the client leaves in the middle
$s = raw_send(join '', (map { get_req("/v1/runs/$RUN") } 1 .. 5), post_req("/v1/agents/$AGENT/messages/async", '{"input":"half"}'));
close $s;
sleep 0.2;
healthy('after an abandoned pipeline');
# a reload: new workers connect to Redis on their own, the old ones drain
{
    my $pidfile = "$ENV{TEST_NGINX_SERVROOT}/logs/nginx.pid";
    open my $f, '<', $pidfile or die "$pidfile: $!";
    chomp(my $master = <$f>);
    my @inflight = map { raw_send(post_req("/v1/agents/$AGENT/messages/async", '{"input":"reload"}', 1)) } 1 .. 5;
    kill 'HUP', $master;
    my $res = read_all(\@inflight, 3);
    is(scalar(grep { /^HTTP\/1\.1 200/ } @$res), 5, 'reload: requests in flight are answered');
    my $ok = 0;
    for (1 .. 50) {
        last if ($ok = error_log() =~ /gracefully shutting down/);
        select undef, undef, undef, 0.1;
    }
    ok($ok, 'reload: the old worker shuts down gracefully');
    like(error_log(), qr/reconfiguring/, 'reload: nginx reconfigured');
    healthy('after a reload');
    my $p = http_request('POST', "/v1/agents/$AGENT/messages/async", {}, '{"input":"after reload"}');
    is($p->{status}, 200, 'after a reload: a run is created');
    unlike(error_log(), qr/\[alert\]|open socket #\d+ left/, 'reload: no alert, no socket left open');
}
shutdown_clean('main run');

# ---------------------------------------------------------------------------
# clients leaving while their redis command is still pending
# ---------------------------------------------------------------------------

nginx_start(config => $CONFIG, http_config => <<'EOF');
    agent_async_redis 127.0.0.1:$TEST_NGINX_SILENT_PORT;
    agent_async_redis_timeout 500ms;
EOF
for (1 .. 20) {
    close raw_send(get_req("/v1/runs/$RUN", 1));
    close raw_send(post_req("/v1/agents/$AGENT/messages/async", '{"input":"x"}', 1));
}
# some wait for their 503 instead
my @wait = map { raw_send(get_req("/v1/runs/$RUN", 1)) } 1 .. 5;
my $t0 = time;
my $res = read_all(\@wait, 3);
my $dt = time - $t0;
is(scalar(grep { /^HTTP\/1\.1 503/ } @$res), 5, 'stalled redis: waiting clients get 503');
ok($dt < 2, "stalled redis: within the timeout (${dt}s)");
sleep 0.7;    # every pending command timed out by now
is(http_request('GET', '/other')->{body}, 'other', 'stalled redis: other locations work');
shutdown_clean('stalled redis');

# and while shutting down with commands in flight
nginx_start(config => $CONFIG, http_config => <<'EOF');
    agent_async_redis 127.0.0.1:$TEST_NGINX_SILENT_PORT;
    agent_async_redis_timeout 400ms;
EOF
my @inflight = map { raw_send(get_req("/v1/runs/$RUN", 1)) } 1 .. 5;
sleep 0.1;
$t0 = time;
nginx_stop();    # graceful: waits for the pending commands' timers
my $inflight = read_all(\@inflight, 3);
is(scalar(grep { /^HTTP\/1\.1 503/ } @$inflight), 5, 'graceful shutdown: in-flight requests still answered 503');
ok(time - $t0 < 2, 'graceful shutdown: not held up beyond the redis timeout');
my $log = error_log();
unlike($log, qr/open socket #\d+ left in connection/, 'graceful shutdown with commands in flight: no socket left');
unlike($log, qr/\[alert\]/, 'graceful shutdown with commands in flight: no [alert]');

__DATA__

=== TEST 1: POST body never completed, client gives up: logged, nothing created
--- raw_request eval
"POST /v1/agents/agent-80808080-8080-4080-8080-808080808080/messages/async HTTP/1.1\r\nHost: localhost\r\nContent-Length: 200\r\n\r\n{\"input\":\"x\""
--- timeout: 0.3
--- abort
--- ignore_response
--- wait: 0.2
--- error_log
client prematurely closed connection
--- no_error_log
[alert]
[crit]



=== TEST 2: (after TEST 1) nothing was created by the aborted POST
--- init
Test::More::is(t::AgentTest::redis('EXISTS', "aa:{$main::AGENT}:queue"), 0, 'TEST 1 created no run');
main::seed();
--- request
GET /v1/runs/run-80808080-8080-4080-8080-808080808080
--- response_body_like: ^\{"id":"run-80808080-8080-4080-8080-808080808080"



=== TEST 3: pipelined requests on one connection
--- pipelined_requests eval
["GET /v1/runs/run-80808080-8080-4080-8080-808080808080", "POST /v1/agents/agent-80808080-8080-4080-8080-808080808080/messages/async\n{\"input\":\"x\"}", "GET /v1/nope", "PUT /v1/runs/run-80808080-8080-4080-8080-808080808080\n{}", "GET /other"]
--- error_code eval
[200, 200, 404, 405, 200]
--- response_body_like eval
[qr/^\{"id":"run-80808080-/, qr/^\{"id":"run-[0-9a-f-]{36}","status":"created"/, qr/Not Found/, qr/Method Not Allowed/, qr/^other$/]
--- no_error_log
[alert]



=== TEST 4: HTTP/1.0 request
--- raw_request eval
"GET /v1/runs/run-80808080-8080-4080-8080-808080808080 HTTP/1.0\r\nHost: localhost\r\n\r\n"
--- response_body_like: ^\{"id":"run-80808080-8080-4080-8080-808080808080"

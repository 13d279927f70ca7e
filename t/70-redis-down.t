# Redis unavailable, stalled, password-protected, on another db: the module
# answers 503 JSON promptly, never hangs or crashes, and recovers by itself.
use lib '.';
use t::AgentTest 'no_plan';
use IO::Socket::INET;
use Time::HiRes qw(time sleep);

# Accepts TCP connections (kernel backlog) but never reads nor answers.
our $Silent = IO::Socket::INET->new(Listen => 128, LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp')
    or die "silent listener: $@";
$ENV{TEST_NGINX_SILENT_PORT} = $Silent->sockport;
# A port nothing listens on.
$ENV{TEST_NGINX_CLOSED_PORT} = free_port();
# Listens, but its accept queue is full: a connect to it never completes.
our $Full = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp')
    or die "full listener: $@";
our @Fill;
while (my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $Full->sockport, Proto => 'tcp',
                                     Timeout => 0.2)) {
    push @Fill, $s;
    die "the accept queue of the full listener does not fill up\n" if @Fill > 16;
}
$ENV{TEST_NGINX_FULL_PORT} = $Full->sockport;

our $AGENT = 'agent-70707070-7070-4070-8070-707070707070';
our $RUN   = 'run-70707070-7070-4070-8070-707070707070';
our $NA    = '^\{"detail":"Service Unavailable: the run store (is not reachable|did not answer|failed)"\}$';

our $CONFIG = <<'EOF';
    location /v1/ { agent_async on; agent_async_auth off; }
    location = /other { return 200 "other"; }
EOF

t::AgentTest::default_http_config('agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;');
add_block_preprocessor(sub {
    my $b = shift;
    $b->set_value(config => $CONFIG) unless defined scalar $b->config;
});

# the error_log of a block with several requests (TEST 4, TEST 5) is about
# the block: the connect failure is logged once, not by every request
check_accum_error_log();
no_shuffle();
run_tests();

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

# Several commands over one connection (AUTH, SELECT ... then the rest).
sub redis_session {
    my @cmds = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ENV{TEST_NGINX_REDIS_PORT}, Timeout => 3)
        or die "redis_session: $@";
    binmode $s;
    print $s join '', map { '*' . @$_ . "\r\n" . join('', map { '$' . length($_) . "\r\n$_\r\n" } @$_) } @cmds;
    my @r = map { my $v = eval { t::AgentTest::_resp_read($s) }; defined $v ? $v : $@ } @cmds;
    close $s;
    return \@r;
}

sub timed {
    my $t0 = time;
    my $r = http_request(@_);
    return ($r, time - $t0);
}

sub check_503 {
    my ($r, $what) = @_;
    is($r->{status}, 503, "$what: 503");
    like($r->{body} // '', qr/$NA/, "$what: JSON detail");
    is($r->{headers}{'content-type'}, 'application/json', "$what: JSON content type");
}

my %J = ('Content-Type' => 'application/json');

# ---------------------------------------------------------------------------
# Redis goes away under a running nginx, then comes back
# ---------------------------------------------------------------------------

redis_start();
redis('FLUSHALL');
nginx_start(config => $CONFIG);
my $r = http_request('POST', '/v1/agents/', \%J, '{}');
is($r->{status}, 200, 'up: create an agent');
my $agent = eval { json_decode($r->{body})->{id} } // 'none';
$r = http_request('POST', "/v1/agents/$agent/messages/async", \%J, '{"input":"x"}');
is($r->{status}, 200, 'up: create a run');
my $run = eval { json_decode($r->{body})->{id} } // 'none';

redis_stop();

my $dt;
($r, $dt) = timed('GET', "/v1/runs/$run", {}, undef, { timeout => 3 });
check_503($r, 'down: GET run');
ok($dt < 1, "down: GET run answered in < 1 s (${dt}s)");
($r, $dt) = timed('POST', "/v1/agents/$agent/messages/async", \%J, '{"input":"x"}', { timeout => 3 });
check_503($r, 'down: POST messages/async');
ok($dt < 1, "down: POST answered in < 1 s (${dt}s)");
if (($r->{body} // '') =~ /did not answer/) {
    is($r->{headers}{'x-should-retry'}, 'false', 'down: a POST that may have reached redis says x-should-retry: false');
} else {
    ok(!exists $r->{headers}{'x-should-retry'}, 'down: a POST that never reached redis may be retried');
    is($r->{headers}{'retry-after'}, '1', 'down: ... after a second');
}
($r, $dt) = timed('POST', '/v1/agents/', \%J, '{}', { timeout => 3 });
check_503($r, 'down: POST agents');
ok($dt < 1, "down: POST agents answered in < 1 s (${dt}s)");
($r, $dt) = timed('GET', "/v1/agents/$agent", {}, undef, { timeout => 3 });
check_503($r, 'down: GET agent');
ok($dt < 1, "down: GET agent answered in < 1 s (${dt}s)");

# validation and routing do not need redis
$r = http_request('POST', "/v1/agents/$agent/messages/async", \%J, '{}');
is($r->{status}, 422, 'down: invalid body still 422');
$r = http_request('GET', '/v1/runs/bad');
is($r->{status}, 400, 'down: malformed run id still 400');
$r = http_request('GET', '/v1/nope');
is($r->{status}, 404, 'down: unknown route still 404');

# nginx keeps serving everything else, many times over
my $ok = 0;
for (1 .. 20) {
    $ok++ if (http_request('GET', '/other')->{body} // '') eq 'other';
    $ok++ if (http_request('GET', "/v1/runs/$run")->{status} // 0) == 503;
}
is($ok, 40, 'down: 20 x (other location 200 + run 503)');

my $log = error_log();
like($log, qr/agent_async: redis (connection lost|connect failed)/, 'error.log: connection lost / connect failed');
unlike($log, qr/\[(alert|crit|emerg)\]/, 'error.log: no alert, crit, emerg');

# stay down long enough for the reconnect backoff to reach its maximum
# (agent_async_redis_reconnect_max, 2 s by default)
sleep 2.5;
check_503(http_request('GET', "/v1/runs/$run"), 'still down after 2.5 s: GET run');

# back up: service resumes without any action on nginx
redis_start();
my ($t0, $status) = (time, 0);
while (time - $t0 < 8) {
    $status = http_request('POST', '/v1/agents/', \%J, '{}')->{status} // 0;
    last if $status == 200;
    sleep 0.1;
}
is($status, 200, 'redis back: requests succeed again');
ok(time - $t0 < 4, sprintf('redis back: recovered within the 2 s backoff cap (+ slack): %.2fs', time - $t0));
$r = http_request('POST', '/v1/agents/', \%J, '{}');
my $agent2 = eval { json_decode($r->{body})->{id} } // 'none';
$r = http_request('POST', "/v1/agents/$agent2/messages/async", \%J, '{"input":"again"}');
is($r->{status}, 200, 'redis back: scripts loaded again, a run is created');
my $run2 = eval { json_decode($r->{body})->{id} } // 'none';
is(http_request('GET', "/v1/runs/$run2")->{status}, 200, 'redis back: the run is read back');
like(error_log(), qr/agent_async: redis connection ready/, 'error.log: connection ready after the restart');

# SIGKILL this time (no FIN from a clean shutdown path), and back again
redis_stop('KILL');
check_503(http_request('GET', "/v1/runs/$run2"), 'killed: GET run');
redis_start();
($t0, $status) = (time, 0);
while (time - $t0 < 8) {
    $status = http_request('POST', '/v1/agents/', \%J, '{}')->{status} // 0;
    last if $status == 200;
    sleep 0.1;
}
is($status, 200, 'after SIGKILL and restart: requests succeed again');
unlike(error_log(), qr/runtime error:|AddressSanitizer/, "no sanitizer report in error.log");
nginx_stop();
unlike(error_log(), qr/\[(alert|crit|emerg)\]/, 'no alert after the whole down/up cycle');

# ---------------------------------------------------------------------------
# The scripts vanish (SCRIPT FLUSH, a restart without persistence): the
# module loads them again and sends the command again; no client sees it
# ---------------------------------------------------------------------------

redis('FLUSHALL');
nginx_start(config => $CONFIG);
$r = http_request('POST', '/v1/agents/', \%J, '{}');
my $a3 = eval { json_decode($r->{body})->{id} } // 'none';

redis('SCRIPT', 'FLUSH');
$r = http_request('POST', "/v1/agents/$a3/messages/async", \%J, '{"input":"x"}');
is($r->{status}, 200, 'after SCRIPT FLUSH: the next create succeeds');
my $flushed_run = eval { json_decode($r->{body})->{id} } // 'none';
is(redis('EXISTS', run_key("aa:", $flushed_run)), 1, 'after SCRIPT FLUSH: the run is stored, once');
is(redis('LLEN', "aa:{$a3}:queue"), 1, 'after SCRIPT FLUSH: queued once');

redis('SCRIPT', 'FLUSH');
$r = http_request('POST', '/v1/agents/', \%J, '{"name":"after flush"}');
is($r->{status}, 200, 'after SCRIPT FLUSH: an agent create succeeds');

# many commands in flight when the NOSCRIPT answers come: one SCRIPT LOAD
redis('SCRIPT', 'FLUSH');
my @socks;
for my $i (1 .. 20) {
    my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ENV{TEST_NGINX_SERVER_PORT}, Timeout => 3)
        or die "connect: $@";
    my $body = qq({"input":"burst $i"});
    print $c "POST /v1/agents/$a3/messages/async HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Type: application/json\r\nContent-Length: " . length($body)
        . "\r\nConnection: close\r\n\r\n$body";
    push @socks, $c;
}
my @burst;
for my $c (@socks) {
    local $/;
    my $resp = <$c> // '';
    push @burst, $resp =~ m{^HTTP/1\.1 (\d+)} ? $1 : 'none';
}
is_deeply(\@burst, [(200) x 20], 'after SCRIPT FLUSH: 20 concurrent creates all succeed');
is(redis('LLEN', "aa:{$a3}:queue"), 21, 'after SCRIPT FLUSH: 20 more runs queued, none twice');
my @loads = error_log() =~ /redis lost the script "create_run", loading it again/g;
is(scalar @loads, 2, 'error.log: create_run loaded again once per flush, however many were in flight');
like(error_log(), qr/redis lost the script "create_agent", loading it again/, 'error.log: create_agent loaded again');
unlike(error_log(), qr/\[(alert|crit|emerg)\]/, 'SCRIPT FLUSH: no alert');
unlike(error_log(), qr/runtime error:|AddressSanitizer/, "no sanitizer report in error.log");
nginx_stop();

# ---------------------------------------------------------------------------
# requirepass
# ---------------------------------------------------------------------------

my $PW = 'pw-70-Secret!';
redis('FLUSHALL');
redis('CONFIG', 'SET', 'requirepass', $PW);

nginx_start(config => $CONFIG, http_config => <<"EOF");
    agent_async_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT;
    agent_async_redis_password "$PW";
EOF
$r = http_request('POST', '/v1/agents/', \%J, '{"name":"pw"}');
is($r->{status}, 200, 'requirepass + right password: create an agent');
my $pa = eval { json_decode($r->{body})->{id} } // 'none';
$r = http_request('POST', "/v1/agents/$pa/messages/async", \%J, '{"input":"x"}');
is($r->{status}, 200, 'requirepass + right password: create a run');
my $pr = eval { json_decode($r->{body})->{id} } // 'none';
is(http_request('GET', "/v1/runs/$pr")->{status}, 200, 'requirepass + right password: read it back');
my $s = redis_session(['AUTH', $PW], ['HGET', "aa:{$pa}:agent", 'name'], ['EXISTS', run_key("aa:", $pr)]);
is($s->[2], 1, 'requirepass: the run is really in redis');
unlike(error_log(), qr/\Q$PW\E/, 'the redis password is not logged');
unlike(error_log(), qr/runtime error:|AddressSanitizer/, "no sanitizer report in error.log");
nginx_stop();

# wrong password
nginx_start(config => $CONFIG, http_config => <<'EOF');
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_redis_password "wrong-password";
EOF
($r, $dt) = timed('POST', '/v1/agents/', \%J, '{}', { timeout => 4 });
check_503($r, 'wrong password: POST agents');
ok($dt < 2.5, "wrong password: answered promptly (${dt}s)");
($r, $dt) = timed('GET', "/v1/runs/$pr", {}, undef, { timeout => 4 });
check_503($r, 'wrong password: GET run');
sleep 0.3;
$log = error_log();
like($log, qr/redis setup failed/, 'wrong password: error.log says redis setup failed');
unlike($log, qr/wrong-password/, 'wrong password: the password is not logged');
ok(http_request('GET', '/other')->{status} == 200, 'wrong password: other locations fine');
unlike(error_log(), qr/runtime error:|AddressSanitizer/, "no sanitizer report in error.log");
nginx_stop();

# no password while redis wants one
nginx_start(config => $CONFIG);
check_503(http_request('POST', '/v1/agents/', \%J, '{}', { timeout => 4 }), 'password missing: POST agents');
sleep 0.3;
like(error_log(), qr/redis setup failed/, 'password missing: redis setup failed');
unlike(error_log(), qr/runtime error:|AddressSanitizer/, "no sanitizer report in error.log");
nginx_stop();

is(redis_session(['AUTH', $PW], ['CONFIG', 'SET', 'requirepass', ''])->[1], 'OK', 'requirepass removed');

# ---------------------------------------------------------------------------
# agent_async_redis_db 3
# ---------------------------------------------------------------------------

redis('FLUSHALL');
nginx_start(config => $CONFIG, http_config => <<'EOF');
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_redis_db 3;
EOF
$r = http_request('POST', '/v1/agents/', \%J, '{}');
is($r->{status}, 200, 'db 3: create an agent');
my $da = eval { json_decode($r->{body})->{id} } // 'none';
$r = http_request('POST', "/v1/agents/$da/messages/async", \%J, '{"input":"x"}');
is($r->{status}, 200, 'db 3: create a run');
my $dr = eval { json_decode($r->{body})->{id} } // 'none';
is(http_request('GET', "/v1/runs/$dr")->{status}, 200, 'db 3: read it back');
is(redis('DBSIZE'), 0, 'db 3: nothing in db 0');
$s = redis_session(['SELECT', 3], ['KEYS', '*']);
is_deeply([sort @{ $s->[1] }],
    [sort("aa:{$da}:agent", "aa:tenant:default:agents", "aa:tenant:default:agent_names",
          'aa:tenants', run_key("aa:", $dr), "aa:{$da}:queue", "aa:{$da}:runs",
          'aa:tenant:default:runs', 'aa:tenant:default:active', 'aa:ready')],
    'db 3: every key is in db 3');
unlike(error_log(), qr/runtime error:|AddressSanitizer/, "no sanitizer report in error.log");
nginx_stop();
redis_session(['SELECT', 3], ['FLUSHDB']);

__DATA__

=== TEST 1: redis accepts but never answers: GET 503 within agent_async_redis_timeout
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_SILENT_PORT;
    agent_async_redis_timeout 300ms;
--- request
GET /v1/runs/run-70707070-7070-4070-8070-707070707070
--- timeout: 1
--- error_code: 503
--- response_headers
Content-Type: application/json
!X-Should-Retry
--- response_body: {"detail":"Service Unavailable: the run store did not answer"}
--- error_log
agent_async: redis did not answer in 300 ms
--- no_error_log
[alert]
[crit]



=== TEST 2: redis accepts but never answers: POST 503, x-should-retry: false, not a hang
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_SILENT_PORT;
    agent_async_redis_timeout 300ms;
--- request
POST /v1/agents/agent-70707070-7070-4070-8070-707070707070/messages/async
{"input":"x"}
--- timeout: 1
--- error_code: 503
--- response_headers
X-Should-Retry: false
--- response_body: {"detail":"Service Unavailable: the run store did not answer"}
--- wait: 0.1
--- error_log
agent_async: redis did not answer in 300 ms
agent_async: redis connection stalled, reconnecting



=== TEST 3: stalled redis: a series of requests each answer 503 in time, other locations unaffected
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_SILENT_PORT;
    agent_async_redis_timeout 300ms;
--- request eval
["GET /v1/runs/run-70707070-7070-4070-8070-707070707070", "GET /other", "POST /v1/agents/\n{}", "GET /v1/agents/agent-70707070-7070-4070-8070-707070707070", "GET /other"]
--- timeout: 1
--- error_code eval
[503, 200, 503, 503, 200]
--- response_body_like eval
[qr/the run store/, qr/^other$/, qr/the run store/, qr/the run store/, qr/^other$/]
--- no_error_log
[alert]



=== TEST 4: nothing listens on the redis port: 503 at once, connect failure logged
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_CLOSED_PORT;
--- request eval
["GET /v1/runs/run-70707070-7070-4070-8070-707070707070", "POST /v1/agents/\n{}", "POST /v1/agents/agent-70707070-7070-4070-8070-707070707070/messages/async\n{\"input\":\"x\"}", "GET /other"]
--- timeout: 1
--- error_code eval
[503, 503, 503, 200]
--- response_body eval
['{"detail":"Service Unavailable: the run store is not reachable"}', '{"detail":"Service Unavailable: the run store is not reachable"}', '{"detail":"Service Unavailable: the run store is not reachable"}', "other"]
--- error_log
agent_async: redis connect failed
--- no_error_log
[alert]
[crit]



=== TEST 5: redis stopped before nginx starts: 503, logged
--- post_setup_server_root
t::AgentTest::redis_stop();
--- request eval
["GET /v1/runs/run-70707070-7070-4070-8070-707070707070", "GET /other"]
--- timeout: 1
--- error_code eval
[503, 200]
--- wait: 0.2
--- error_log
agent_async: redis connect failed



=== TEST 6: redis back before nginx starts: answers from redis again
--- post_setup_server_root
t::AgentTest::redis_start();
t::AgentTest::redis('FLUSHALL');
--- request
GET /v1/runs/run-70707070-7070-4070-8070-707070707070
--- error_code: 404
--- response_body: {"detail":"Run not found with id=run-70707070-7070-4070-8070-707070707070"}
--- no_error_log
agent_async: redis connect failed



=== TEST 7: the connection never comes up (connect timeout): the requests queued meanwhile were not sent, "not reachable"
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_FULL_PORT;
    agent_async_redis_connect_timeout 300ms;
    agent_async_redis_timeout 2s;
--- request eval
["GET /v1/runs/run-70707070-7070-4070-8070-707070707070", "POST /v1/agents/agent-70707070-7070-4070-8070-707070707070/messages/async\n{\"input\":\"x\"}"]
--- timeout: 3
--- error_code eval
[503, 503]
--- response_headers eval
[("Retry-After: 1\n!X-Should-Retry") x 2]
--- response_body eval
[('{"detail":"Service Unavailable: the run store is not reachable"}') x 2]
--- error_log
agent_async: redis connect timed out
--- no_error_log
[alert]



=== TEST 8: the command timeout comes first, the connection still being made: "not reachable" too
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_FULL_PORT;
    agent_async_redis_connect_timeout 2s;
    agent_async_redis_timeout 300ms;
--- request eval
["POST /v1/agents/agent-70707070-7070-4070-8070-707070707070/messages/async\n{\"input\":\"x\"}", "GET /v1/runs/run-70707070-7070-4070-8070-707070707070"]
--- timeout: 3
--- error_code eval
[503, 503]
--- response_headers eval
[("Retry-After: 1\n!X-Should-Retry") x 2]
--- response_body eval
[('{"detail":"Service Unavailable: the run store is not reachable"}') x 2]
--- error_log
agent_async: redis not connected in 300 ms
--- no_error_log
[alert]



=== TEST 9: a metrics scrape, several commands queued while the connection is being made: answered once, Redis down
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_FULL_PORT;
    agent_async_redis_connect_timeout 300ms;
    agent_async_redis_timeout 2s;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
    location = /metrics { agent_async_metrics; }
--- request
GET /metrics
--- timeout: 3
--- error_code: 200
--- response_body_like
(?m)^agent_async_redis_up 0$
--- error_log
agent_async: redis connect timed out
--- no_error_log
[alert]

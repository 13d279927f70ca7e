# Configuration: directives that must make nginx refuse to start, and
# valid configurations that must start and serve.
use lib '.';
use t::AgentTest 'no_plan';
use IO::Socket::UNIX;
use POSIX ();
use Time::HiRes qw(sleep);

t::AgentTest::default_http_config('agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;');

$ENV{TEST_NGINX_LONG_PATH} = '/tmp/' . ('p' x 120) . '.sock';
$ENV{TEST_NGINX_LONG_PREFIX} = 'x' x 65;
$ENV{TEST_NGINX_LONG_TENANT} = 't' x 65;
$ENV{TEST_NGINX_MAX_TENANT} = 't' x 64;

no_shuffle();
run_tests();

# ---- a Redis on a unix socket: agent_async_redis unix:... really works ----

# next to the other Redis's files: the server root holds only what nginx
# writes (Test::Nginx refuses to empty one that holds more)
my $root = t::AgentTest::redis_dir();
my $sock = "$root/redis-unix.sock";
unlink $sock;
my $pid = fork;
die "fork: $!" unless defined $pid;
if (!$pid) {
    open STDIN, '<', '/dev/null';
    open STDOUT, '>>', "$root/redis-unix.log";
    open STDERR, '>&', \*STDOUT;
    exec('redis-server', '--port', '0', '--unixsocket', $sock, '--unixsocketperm', '777',
        '--save', '', '--appendonly', 'no', '--dir', $root) or POSIX::_exit(127);
}
END { local $?; if ($pid) { kill 'TERM', $pid; waitpid $pid, 0 } }

# one command over the unix socket
sub unix_redis {
    my $s = IO::Socket::UNIX->new(Peer => $sock, Type => SOCK_STREAM) or return undef;
    my $req = '*' . @_ . "\r\n" . join('', map { '$' . length($_) . "\r\n$_\r\n" } @_);
    print $s $req;
    my $reply = t::AgentTest::_resp_read($s);
    close $s;
    return $reply;
}

my $up;
for (1 .. 200) { $up = eval { unix_redis('PING') }; last if defined $up && $up eq 'PONG'; sleep 0.025 }
is($up, 'PONG', 'unix-socket redis is up');

redis('FLUSHALL');
nginx_start(http_config => "agent_async_redis unix:$sock;",
    config => 'location /v1/ { agent_async on; agent_async_token unix-token-123 tenu; }');
my $r = http_request('POST', '/v1/agents/', { Authorization => 'Bearer unix-token-123' }, '{}');
is($r->{status}, 200, 'unix socket: POST /v1/agents/ answers 200');
my $id = eval { json_decode($r->{body})->{id} } // '';
like($id, qr/^agent-[0-9a-f-]{36}$/, 'unix socket: agent id');
is(unix_redis('HGET', "aa:{$id}:agent", 'tenant'), 'tenu', 'unix socket: the agent is stored in the unix-socket redis');
is(unix_redis('ZSCORE', 'aa:tenant:tenu:agents', $id) > 0 ? 1 : 0, 1, 'unix socket: tenant agents zset');
is(redis('DBSIZE'), 0, 'unix socket: nothing written to the TCP redis');
$r = http_request('GET', "/v1/agents/$id", { Authorization => 'Bearer unix-token-123' });
is($r->{status}, 200, 'unix socket: GET the agent back');
unlike(error_log(), qr/runtime error:|AddressSanitizer/, "no sanitizer report in error.log");
nginx_stop();

# ---- the longest prefix and tenant names: keys still fit, the flow works ----

redis('FLUSHALL');
my $P = 'p' x 63 . ':';
my $T = 't' x 64;
nginx_start(http_config => "agent_async_redis 127.0.0.1:\$TEST_NGINX_REDIS_PORT; agent_async_redis_prefix $P;",
    config => "location /v1/ { agent_async on; agent_async_token long-token-1 $T; }");
my %L = (Authorization => 'Bearer long-token-1');
$r = http_request('POST', '/v1/agents/', \%L, '{}');
is($r->{status}, 200, 'max prefix + tenant: create an agent');
my $la = eval { json_decode($r->{body})->{id} } // 'none';
$r = http_request('POST', "/v1/agents/$la/messages/async", \%L, '{"input":"x"}');
is($r->{status}, 200, 'max prefix + tenant: create a run');
my $lr = eval { json_decode($r->{body})->{id} } // 'none';
is(http_request('GET', "/v1/runs/$lr", \%L)->{status}, 200, 'max prefix + tenant: read the run');
is(http_request('GET', "/v1/agents/$la", \%L)->{status}, 200, 'max prefix + tenant: read the agent');
is(redis('HGET', run_key($P, $lr), 'tenant'), $T, 'max prefix + tenant: run hash under the long prefix');
is(AgentAsync::Keys::run_slot($lr), AgentAsync::Keys::slot($la), 'max prefix + tenant: the run id carries its agent\'s slot');
ok(defined redis('ZSCORE', "${P}tenant:$T:runs", "$la/$lr"), 'max prefix + tenant: tenant runs zset');
unlike(error_log(), qr/runtime error:|AddressSanitizer/, "no sanitizer report in error.log");
nginx_stop();

__DATA__

=== TEST 1: agent_async on, auth on by default, no token: refuses to start
--- config
    location /v1/ { agent_async on; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
"agent_async" needs at least one "agent_async_token", or "agent_async_auth off"



=== TEST 2: agent_async_auth on explicitly, no token anywhere
--- config
    agent_async_auth on;
    location /v1/ { agent_async on; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
needs at least one "agent_async_token"



=== TEST 3: token shorter than 8 characters
--- config
    location /v1/ { agent_async on; agent_async_token short77; agent_async_token 1234567; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
"agent_async_token" must be at least 8 characters long
--- no_error_log
1234567



=== TEST 4: token with a space (quoted) is refused, and not echoed
--- config
    location /v1/ { agent_async on; agent_async_token "abcd efgh-secret"; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
invalid character in "agent_async_token"
--- no_error_log
efgh-secret



=== TEST 5: token with a non-ASCII byte
--- config
    location /v1/ { agent_async on; agent_async_token "abcdéfghij"; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
invalid character in "agent_async_token"



=== TEST 6: the same token twice: the token is said duplicate, and not echoed
--- config
    location /v1/ { agent_async on; agent_async_token same-token-1 a; agent_async_token same-token-1 b; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
duplicate token in "agent_async_token"
--- no_error_log
same-token-1
directive is duplicate



=== TEST 7: tenant with a slash
--- config
    location /v1/ { agent_async on; agent_async_token good-token-1 ten/ant; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
tenant "ten/ant" may only contain letters, digits, "-", "_" and "."



=== TEST 8: tenant with a colon (the key separator)
--- config
    location /v1/ { agent_async on; agent_async_token good-token-1 "a:b"; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
tenant "a:b" may only contain letters, digits, "-", "_" and "."



=== TEST 9: tenant with a brace (would break the key hash tag)
--- config
    location /v1/ { agent_async on; agent_async_token good-token-1 "te{n}"; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
tenant "te{n}" may only contain letters, digits, "-", "_" and "."



=== TEST 10: empty tenant
--- config
    location /v1/ { agent_async on; agent_async_token good-token-1 ""; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
tenant "" must be 1 to 64 characters long



=== TEST 11: tenant of 65 characters
--- config
    location /v1/ { agent_async on; agent_async_token good-token-1 $TEST_NGINX_LONG_TENANT; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
must be 1 to 64 characters long



=== TEST 12: tenant of 64 characters, letters digits - _ . are fine
--- config
    location /v1/ {
        agent_async on;
        agent_async_token good-token-1 $TEST_NGINX_MAX_TENANT;
        agent_async_token good-token-2 Ab-9_x.y;
    }
--- request
GET /v1/nope
--- more_headers
Authorization: Bearer good-token-2
--- error_code: 404
--- response_body: {"detail":"Not Found"}



=== TEST 13: agent_async_token takes one or two arguments only
--- config
    location /v1/ { agent_async on; agent_async_token good-token-1 t1 extra; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
invalid number of arguments in "agent_async_token" directive



=== TEST 14: agent_async_redis: bad port
--- http_config
    agent_async_redis 127.0.0.1:notaport;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
in redis address "127.0.0.1:notaport"



=== TEST 15: agent_async_redis: port out of range
--- http_config
    agent_async_redis 127.0.0.1:70000;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
invalid port in redis address "127.0.0.1:70000"



=== TEST 16: agent_async_redis: unresolvable host
--- http_config
    agent_async_redis no-such-host.invalid:6379;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
in redis address "no-such-host.invalid:6379"



=== TEST 17: agent_async_redis: empty address
--- http_config
    agent_async_redis "";
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
redis address ""



=== TEST 18: agent_async_redis twice
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_redis 127.0.0.1:6380;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
"agent_async_redis" directive is duplicate



=== TEST 19: agent_async_redis twice, unix socket first
--- http_config
    agent_async_redis unix:/tmp/aa-redis.sock;
    agent_async_redis 127.0.0.1:6380;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
"agent_async_redis" directive is duplicate



=== TEST 20: agent_async_redis is http{}-level only
--- config
    agent_async_redis 127.0.0.1:6380;
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
"agent_async_redis" directive is not allowed here



=== TEST 21: unix socket path too long
--- http_config
    agent_async_redis unix:$TEST_NGINX_LONG_PATH;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
is too long



=== TEST 22: agent_async_redis_db above 1023: the message names the directive
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_redis_db 5000;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
"agent_async_redis_db" must be between 0 and 1023, not 5000



=== TEST 23: agent_async_redis_db negative
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_redis_db -1;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
"agent_async_redis_db" directive invalid number



=== TEST 24: agent_async_redis_db not a number
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_redis_db three;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
"agent_async_redis_db" directive invalid number



=== TEST 25: prefix with {
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_redis_prefix "aa{x:";
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
redis prefix "aa{x:" must not contain "{" or "}", they delimit the keys' hash tags



=== TEST 26: prefix with }
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_redis_prefix "aa}:";
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
redis prefix "aa}:" must not contain "{" or "}", they delimit the keys' hash tags



=== TEST 27: prefix with a space
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_redis_prefix "my app:";
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
redis prefix "my app:" must be printable ASCII characters without spaces



=== TEST 28: prefix longer than 64
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_redis_prefix $TEST_NGINX_LONG_PREFIX;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log eval
qr/redis prefix "x{65}" must be 1 to 64 characters long/



=== TEST 29: prefix twice
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_redis_prefix a:;
    agent_async_redis_prefix b:;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
"agent_async_redis_prefix" directive is duplicate



=== TEST 30: agent_async with an unknown value
--- config
    location /v1/ { agent_async yes; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
invalid value "yes" in "agent_async" directive, it must be "on" or "off"



=== TEST 31: agent_async_auth with an unknown value
--- config
    location /v1/ { agent_async on; agent_async_auth maybe; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
invalid value "maybe" in "agent_async_auth" directive, it must be "on" or "off"



=== TEST 32: agent_async_redis_timeout not a time
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_redis_timeout soon;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
"agent_async_redis_timeout" directive invalid value



=== TEST 33: agent_async_redis_connect_timeout, reconnect_max not times
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_redis_connect_timeout 1x;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
"agent_async_redis_connect_timeout" directive invalid value



=== TEST 34: agent_async_redis_reconnect_max not a time
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_redis_reconnect_max -;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
"agent_async_redis_reconnect_max" directive invalid value



=== TEST 35: agent_async without an argument
--- config
    location /v1/ { agent_async; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
invalid number of arguments in "agent_async" directive



=== TEST 36: agent_async_auth off works without tokens (tenant "default")
--- init
t::AgentTest::redis('FLUSHALL');
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
POST /v1/agents/
{"name":"noauth"}
--- more_headers
Authorization: Bearer whatever-is-ignored
--- response_body_like: ^\{"id":"agent-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}","name":"noauth",
--- no_error_log
[error]
[alert]



=== TEST 37: (state of TEST 36) the agent belongs to tenant "default"
--- init
my $z = t::AgentTest::redis('ZRANGE', 'aa:tenant:default:agents', 0, -1);
Test::More::is(scalar @$z, 1, 'TEST 36 stored one agent under tenant "default"');
Test::More::is(t::AgentTest::redis('HGET', "aa:{$z->[0]}:agent", 'tenant'), 'default', 'agent hash tenant is "default"')
    if @$z;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/nope
--- error_code: 404
--- response_body: {"detail":"Not Found"}



=== TEST 38: valid full configuration: all directives, timeouts, db, prefix
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_redis_db 0;
    agent_async_redis_prefix "cfg:";
    agent_async_redis_connect_timeout 500ms;
    agent_async_redis_timeout 1s;
    agent_async_redis_reconnect_max 1s;
--- init
t::AgentTest::redis('FLUSHALL');
--- config
    agent_async_token server-token-1 srv;
    location /v1/ { agent_async on; }
--- request
POST /v1/agents
{}
--- more_headers
Authorization: Bearer server-token-1
--- response_body_like: ^\{"id":"agent-
--- no_error_log
[error]



=== TEST 39: (state of TEST 38) prefix "cfg:" and tenant inherited from the server level
--- init
my $z = t::AgentTest::redis('ZRANGE', 'cfg:tenant:srv:agents', 0, -1);
Test::More::is(scalar @$z, 1, 'TEST 38 stored its agent under prefix cfg: and tenant srv');
Test::More::is(t::AgentTest::redis('EXISTS', "cfg:{$z->[0]}:agent"), 1, 'agent hash under the prefix') if @$z;
Test::More::is_deeply(t::AgentTest::redis('KEYS', 'aa:*'), [], 'nothing under the default prefix');
--- config
    location = /t { return 200 "ok"; }
--- request
GET /t
--- response_body: ok



=== TEST 40: a location's own tokens replace the inherited ones (inherited one refused)
--- config
    agent_async_token outer-token-1 outer;
    location /v1/ { agent_async on; agent_async_token inner-token-1 inner; }
--- request
GET /v1/nope
--- more_headers
Authorization: Bearer outer-token-1
--- error_code: 401
--- response_body: {"detail":"Unauthorized"}



=== TEST 41: a location's own tokens replace the inherited ones (own one accepted)
--- config
    agent_async_token outer-token-1 outer;
    location /v1/ { agent_async on; agent_async_token inner-token-1 inner; }
--- request
GET /v1/nope
--- more_headers
Authorization: Bearer inner-token-1
--- error_code: 404
--- response_body: {"detail":"Not Found"}



=== TEST 42: a location without tokens inherits the server's
--- config
    agent_async_token outer-token-1 outer;
    location /v1/ { agent_async on; }
--- request
GET /v1/nope
--- more_headers
Authorization: Bearer outer-token-1
--- error_code: 404
--- response_body: {"detail":"Not Found"}



=== TEST 43: agent_async off in a nested location
--- config
    location /v1/ {
        agent_async on;
        agent_async_auth off;
        location /v1/static/ { agent_async off; return 200 "static"; }
    }
--- request eval
["GET /v1/static/x", "GET /v1/nope"]
--- error_code eval
[200, 404]
--- response_body eval
["static", '{"detail":"Not Found"}']



=== TEST 44: no agent_async location: redis is never contacted
--- http_config
    agent_async_redis 127.0.0.1:1;
--- config
    location = /t { agent_async_token unused-token-1; return 200 "plain"; }
--- request
GET /t
--- response_body: plain
--- wait: 0.2
--- no_error_log
agent_async:
[error]



=== TEST 45: empty prefix
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_redis_prefix "";
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
redis prefix "" must be 1 to 64 characters long



=== TEST 46: agent_async_redis_connect_timeout 0 is refused
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_redis_connect_timeout 0;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
"agent_async_redis_connect_timeout" must be more than 0



=== TEST 47: agent_async_redis_timeout 0ms is refused
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_redis_timeout 0ms;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
"agent_async_redis_timeout" must be more than 0



=== TEST 48: agent_async on and proxy_pass in one location: refused, the location named
--- config
    location /up/ { agent_async on; agent_async_auth off; proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/; }
--- request
GET /up/x
--- must_die
--- error_log
"agent_async on" conflicts with another content handler (such as "proxy_pass") in location "/up/"



=== TEST 49: the same with proxy_pass first
--- config
    location /up/ { proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/; agent_async on; agent_async_auth off; }
--- request
GET /up/x
--- must_die
--- error_log
"agent_async on" conflicts with another content handler (such as "proxy_pass") in location "/up/"



=== TEST 50: agent_async off and proxy_pass in one location are fine
--- config
    agent_async on;
    agent_async_auth off;
    location /up/ { agent_async off; proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/back/; }
    location /back/ { return 200 "back $uri"; }
--- request
GET /up/z
--- response_body: back /back/z



=== TEST 51: agent_async_redis_reconnect_max 0 is refused (reconnects would not wait)
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_redis_reconnect_max 0;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
"agent_async_redis_reconnect_max" must be more than 0



=== TEST 52: agent_async_idempotency_window 0 is refused (no window to dedupe in)
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_idempotency_window 0;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
"agent_async_idempotency_window" must be more than 0



=== TEST 53: agent_async_idempotency_window outside http is refused
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location /v1/ { agent_async on; agent_async_auth off; agent_async_idempotency_window 1h; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
"agent_async_idempotency_window" directive is not allowed here



=== TEST 54: agent_async_retention takes a time, 0 included (runs kept)
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_retention 0;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- error_code: 422



=== TEST 55: agent_async_retention that is not a time is refused
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_retention 7days;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
"agent_async_retention" directive invalid value



=== TEST 56: agent_async_retention outside http is refused
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location /v1/ { agent_async on; agent_async_auth off; agent_async_retention 1d; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
"agent_async_retention" directive is not allowed here



=== TEST 57: agent_async_agents takes local or upstream
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_agents upstream;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- error_code: 422



=== TEST 58: agent_async_agents of another value is refused
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_agents remote;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
invalid value "remote"



=== TEST 59: agent_async_agents takes one value
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_agents local upstream;
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
invalid number of arguments in "agent_async_agents" directive



=== TEST 60: agent_async_agents outside http is refused
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location /v1/ { agent_async on; agent_async_auth off; agent_async_agents upstream; }
--- request
GET /v1/agents/x
--- must_die
--- error_log
"agent_async_agents" directive is not allowed here

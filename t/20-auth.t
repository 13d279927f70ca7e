# Authentication (agent_async_token) and tenant isolation.
use lib '.';
use t::AgentTest 'no_plan';

our $A_AGENT = 'agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
our $A_RUN   = 'run-aaaaaaaa-1111-4111-9111-aaaaaaaaaaaa';
our $B_AGENT = 'agent-bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';

# tenant A owns $A_AGENT and its run $A_RUN, tenant B owns $B_AGENT
sub seed {
    my $r = \&t::AgentTest::redis;
    $r->('FLUSHALL');
    $r->('HSET', "aa:{$A_AGENT}:agent", id => $A_AGENT, tenant => 'tenA',
        state => qq({"id":"$A_AGENT","name":"a"}));
    $r->('ZADD', 'aa:tenant:tenA:agents', 1, $A_AGENT);
    $r->('HSET', run_key("aa:", $A_RUN), id => $A_RUN, agent_id => $A_AGENT, tenant => 'tenA',
        status => 'created', created_at => '2026-01-01T00:00:00.000001Z', created_us => 1767225600000001,
        background => 1, metadata => '{"run_type":"send_message_async","lettuce":null}');
    $r->('HSET', "aa:{$B_AGENT}:agent", id => $B_AGENT, tenant => 'tenB',
        state => qq({"id":"$B_AGENT","name":"b"}));
}

our $CONFIG = <<'EOF';
    location /v1/ {
        agent_async on;
        agent_async_token token-aaaa-1111 tenA;
        agent_async_token token-bbbb-2222 tenB;
        agent_async_token token-dflt-3333;
    }
EOF

t::AgentTest::default_http_config('agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;');
add_block_preprocessor(sub {
    my $b = shift;
    $b->set_value(config => $CONFIG) unless defined scalar $b->config;
    $b->set_value(init => 'main::seed();') unless defined scalar $b->init;
});

no_shuffle();
run_tests();

# ---- tenant B posting to tenant A's agent creates nothing ----

seed();
my $before = redis('DBSIZE');
nginx_start(config => $CONFIG);
my $r = http_request('POST', "/v1/agents/$A_AGENT/messages/async",
    { Authorization => 'Bearer token-bbbb-2222', 'Content-Type' => 'application/json' }, '{"input":"hi"}');
is($r->{status}, 404, 'B -> A messages/async: 404');
is($r->{body}, '{"detail":"Agent not found"}', 'B -> A messages/async: body');
is(redis('DBSIZE'), $before, 'B -> A messages/async: no key created');
is_deeply(redis('KEYS', 'aa:{*}:run:*'), [run_key('aa:', $A_RUN)], 'B -> A: no new run');
is(redis('EXISTS', 'aa:tenant:tenB:runs'), 0, 'B -> A: no tenant B runs zset');
is(redis('LLEN', "aa:{$A_AGENT}:queue"), 0, 'B -> A: nothing queued');
is(redis('LLEN', 'aa:ready'), 0, 'B -> A: nothing ready');

# the same request by A succeeds, and is recorded under tenant A
$r = http_request('POST', "/v1/agents/$A_AGENT/messages/async",
    { Authorization => 'Bearer token-aaaa-1111', 'Content-Type' => 'application/json' }, '{"input":"hi"}');
is($r->{status}, 200, 'A -> A messages/async: 200');
my $run = eval { json_decode($r->{body})->{id} } // '';
is(redis('HGET', run_key("aa:", $run), 'tenant'), 'tenA', 'A -> A: run hash tenant');
ok(defined redis('ZSCORE', 'aa:tenant:tenA:runs', "$A_AGENT/$run"), 'A -> A: in tenant A runs');

# B cannot read it; A can; a token without a tenant is tenant "default"
$r = http_request('GET', "/v1/runs/$run", { Authorization => 'Bearer token-bbbb-2222' });
is($r->{status}, 404, 'B reads A run: 404');
is($r->{body}, qq({"detail":"Run not found with id=$run"}), 'B reads A run: body');
$r = http_request('GET', "/v1/runs/$run", { Authorization => 'Bearer token-dflt-3333' });
is($r->{status}, 404, 'default tenant reads A run: 404');
$r = http_request('GET', "/v1/runs/$run", { Authorization => 'Bearer token-aaaa-1111' });
is($r->{status}, 200, 'A reads A run: 200');

# an agent created by the tenant-less token belongs to "default"
$r = http_request('POST', '/v1/agents/', { Authorization => 'Bearer token-dflt-3333' }, '{}');
is($r->{status}, 200, 'default-tenant token creates an agent');
my $ag = eval { json_decode($r->{body})->{id} } // '';
is(redis('HGET', "aa:{$ag}:agent", 'tenant'), 'default', 'token without a tenant: tenant "default"');
$r = http_request('GET', "/v1/agents/$ag", { Authorization => 'Bearer token-aaaa-1111' });
is($r->{status}, 404, "tenant A does not see the default tenant's agent");

# failed authentications leave no trace in redis
my $n = redis('DBSIZE');
for my $h ({}, { Authorization => 'Bearer wrong-token-0000' }, { Authorization => 'Bearer token-aaaa-111' }) {
    $r = http_request('POST', '/v1/agents/', $h, '{}');
    is($r->{status}, 401, 'unauthenticated POST /v1/agents/: 401');
    $r = http_request('POST', "/v1/agents/$A_AGENT/messages/async", $h, '{"input":"x"}');
    is($r->{status}, 401, 'unauthenticated POST messages/async: 401');
}
is(redis('DBSIZE'), $n, 'unauthenticated POSTs created no key');
unlike(error_log(), qr/runtime error:|AddressSanitizer/, "no sanitizer report in error.log");
nginx_stop();

__DATA__

=== TEST 1: no Authorization header: 401 JSON
--- request
GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa
--- error_code: 401
--- response_headers
Content-Type: application/json
--- response_body: {"detail":"Unauthorized"}



=== TEST 2: wrong token
--- request
GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa
--- more_headers
Authorization: Bearer token-cccc-9999
--- error_code: 401
--- response_body: {"detail":"Unauthorized"}



=== TEST 3: the right token
--- request
GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa
--- more_headers
Authorization: Bearer token-aaaa-1111
--- response_headers
Content-Type: application/json
--- response_body: {"id":"agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"a","last_run_completion":null,"last_run_duration_ms":null,"last_stop_reason":null}



=== TEST 4: "bearer" in lower case
--- request
GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa
--- more_headers
Authorization: bearer token-aaaa-1111
--- response_body: {"id":"agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"a","last_run_completion":null,"last_run_duration_ms":null,"last_stop_reason":null}



=== TEST 5: "BEARER" in upper case
--- request
GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa
--- more_headers
Authorization: BEARER token-aaaa-1111
--- response_body: {"id":"agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"a","last_run_completion":null,"last_run_duration_ms":null,"last_stop_reason":null}



=== TEST 6: token surrounded by spaces
--- request
GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa
--- more_headers eval
"Authorization: Bearer    token-aaaa-1111   "
--- response_body: {"id":"agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","name":"a","last_run_completion":null,"last_run_duration_ms":null,"last_stop_reason":null}



=== TEST 7: a prefix of the real token
--- request
GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa
--- more_headers
Authorization: Bearer token-aaaa-111
--- error_code: 401
--- response_body: {"detail":"Unauthorized"}



=== TEST 8: the real token with a suffix
--- request
GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa
--- more_headers
Authorization: Bearer token-aaaa-11112
--- error_code: 401
--- response_body: {"detail":"Unauthorized"}



=== TEST 9: the token in another case
--- request
GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa
--- more_headers
Authorization: Bearer TOKEN-AAAA-1111
--- error_code: 401
--- response_body: {"detail":"Unauthorized"}



=== TEST 10: the token without the Bearer scheme
--- request
GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa
--- more_headers
Authorization: token-aaaa-1111
--- error_code: 401
--- response_body: {"detail":"Unauthorized"}



=== TEST 11: Basic scheme
--- request
GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa
--- more_headers
Authorization: Basic dG9rZW4tYWFhYS0xMTExOg==
--- error_code: 401
--- response_body: {"detail":"Unauthorized"}



=== TEST 12: "Bearer" glued to the token
--- request
GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa
--- more_headers
Authorization: Bearertoken-aaaa-1111
--- error_code: 401
--- response_body: {"detail":"Unauthorized"}



=== TEST 13: "Bearer" and nothing else
--- request
GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa
--- more_headers eval
"Authorization: Bearer   "
--- error_code: 401
--- response_body: {"detail":"Unauthorized"}



=== TEST 14: two tokens in one header
--- request
GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa
--- more_headers
Authorization: Bearer token-aaaa-1111 token-bbbb-2222
--- error_code: 401
--- response_body: {"detail":"Unauthorized"}



=== TEST 15: the token in another header is not accepted
--- request
GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa
--- more_headers
X-Authorization: Bearer token-aaaa-1111
--- error_code: 401
--- response_body: {"detail":"Unauthorized"}



=== TEST 16: 401 comes before routing: unknown path, wrong method, bad id
--- request eval
["GET /v1/nope", "DELETE /v1/agents/", "GET /v1/runs/bad-id", "POST /v1/agents/agent-1/messages/async\n{}"]
--- error_code eval
[401, 401, 401, 401]
--- response_body eval
['{"detail":"Unauthorized"}', '{"detail":"Unauthorized"}', '{"detail":"Unauthorized"}', '{"detail":"Unauthorized"}']
--- response_headers eval
[("!Allow") x 4]



=== TEST 17: a 401 POST body is discarded: the keepalive connection serves the next request
--- pipelined_requests eval
["POST /v1/agents/\n{\"name\":\"" . ("x" x 5000) . "\"}", "GET /v1/nope"]
--- error_code eval
[401, 401]
--- response_body eval
['{"detail":"Unauthorized"}', '{"detail":"Unauthorized"}']
--- no_error_log
[alert]



=== TEST 18: tokens are not logged (info level)
--- log_level: info
--- request eval
["GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "POST /v1/agents/\n{}", "GET /v1/runs/run-aaaaaaaa-1111-4111-9111-aaaaaaaaaaaa"]
--- more_headers
Authorization: Bearer token-aaaa-1111
--- error_code eval
[200, 200, 200]
--- no_error_log
token-aaaa-1111
token-bbbb-2222
token-dflt-3333
[error]



=== TEST 19: tokens are not logged by the module at debug level (only nginx's own "http header:" line shows the request header)
--- log_level: debug
--- request eval
["GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "POST /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/messages/async\n{\"input\":\"x\"}", "GET /v1/nope"]
--- more_headers
Authorization: Bearer token-aaaa-1111
--- error_code eval
[200, 200, 404]
--- no_error_log eval
[qr/^(?!.*http header: "Authorization: Bearer token-aaaa-1111").*token-aaaa-1111/, "token-bbbb-2222", "token-dflt-3333"]



=== TEST 20: a wrong token is not logged at debug level, except nginx's own header line
--- log_level: debug
--- request
GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa
--- more_headers
Authorization: Bearer guess-token-4242
--- error_code: 401
--- no_error_log eval
[qr/^(?!.*http header: "Authorization: Bearer guess-token-4242").*guess-token-4242/, "token-aaaa-1111", "token-bbbb-2222"]



=== TEST 21: tenant B cannot see tenant A's agent
--- request
GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa
--- more_headers
Authorization: Bearer token-bbbb-2222
--- error_code: 404
--- response_body: {"detail":"Agent not found"}



=== TEST 22: tenant B sees its own agent
--- request
GET /v1/agents/agent-bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb
--- more_headers
Authorization: Bearer token-bbbb-2222
--- response_body: {"id":"agent-bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb","name":"b","last_run_completion":null,"last_run_duration_ms":null,"last_stop_reason":null}



=== TEST 23: tenant A cannot see tenant B's agent
--- request
GET /v1/agents/agent-bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb
--- more_headers
Authorization: Bearer token-aaaa-1111
--- error_code: 404
--- response_body: {"detail":"Agent not found"}



=== TEST 24: tenant B cannot see tenant A's run
--- request
GET /v1/runs/run-aaaaaaaa-1111-4111-9111-aaaaaaaaaaaa
--- more_headers
Authorization: Bearer token-bbbb-2222
--- error_code: 404
--- response_body: {"detail":"Run not found with id=run-aaaaaaaa-1111-4111-9111-aaaaaaaaaaaa"}



=== TEST 25: tenant A sees its run
--- request
GET /v1/runs/run-aaaaaaaa-1111-4111-9111-aaaaaaaaaaaa
--- more_headers
Authorization: Bearer token-aaaa-1111
--- response_body_like: ^\{"id":"run-aaaaaaaa-1111-4111-9111-aaaaaaaaaaaa","status":"created",



=== TEST 26: tenant B cannot post to tenant A's agent
--- request
POST /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/messages/async
{"input":"hello"}
--- more_headers
Authorization: Bearer token-bbbb-2222
--- error_code: 404
--- response_body: {"detail":"Agent not found"}



=== TEST 27: the tenant-less token (tenant "default") cannot see tenant A's agent or run
--- request eval
["GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "GET /v1/runs/run-aaaaaaaa-1111-4111-9111-aaaaaaaaaaaa", "POST /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/messages/async\n{\"input\":\"x\"}"]
--- more_headers
Authorization: Bearer token-dflt-3333
--- error_code eval
[404, 404, 404]
--- response_body eval
['{"detail":"Agent not found"}', '{"detail":"Run not found with id=run-aaaaaaaa-1111-4111-9111-aaaaaaaaaaaa"}', '{"detail":"Agent not found"}']



=== TEST 28: an agent hash without a tenant field is nobody's
--- init
main::seed();
t::AgentTest::redis('HDEL', "aa:{$main::A_AGENT}:agent", 'tenant');
t::AgentTest::redis('HDEL', t::AgentTest::run_key("aa:", $main::A_RUN), 'tenant');
--- request eval
["GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "GET /v1/runs/run-aaaaaaaa-1111-4111-9111-aaaaaaaaaaaa", "POST /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa/messages/async\n{\"input\":\"x\"}"]
--- more_headers
Authorization: Bearer token-aaaa-1111
--- error_code eval
[404, 404, 404]



=== TEST 29: with agent_async_auth off every caller is tenant "default"
--- init
main::seed();
t::AgentTest::redis('HSET', "aa:{$main::A_AGENT}:agent", 'tenant', 'default');
--- config
    location /v1/ { agent_async on; agent_async_auth off; }
--- request eval
["GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "GET /v1/agents/agent-bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"]
--- error_code eval
[200, 404]

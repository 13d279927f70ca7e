# GET /v1/health/ (no token, Letta's shape, 503 when the run store is not
# reachable) and agent_async_pass: the routes the module does not serve go
# to a named location, here a real proxy_pass to a stub upstream.
use lib '.';
use t::AgentTest 'no_plan';

$ENV{TEST_NGINX_STUB_PORT} = free_port();
$ENV{TEST_NGINX_CLOSED_PORT} = free_port();

our $STUB = <<'EOF';
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    server {
        listen 127.0.0.1:$TEST_NGINX_STUB_PORT;
        location / {
            return 200 "letta $request_method $request_uri $http_authorization\n";
        }
    }
EOF

our $PASS = <<'EOF';
    location /v1/ {
        agent_async on;
        agent_async_token token-thirty-two;
        agent_async_pass @letta;
    }
    location @letta {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STUB_PORT;
    }
EOF

t::AgentTest::default_http_config($STUB);
add_block_preprocessor(sub {
    my $b = shift;
    $b->set_value(config => $PASS) unless defined scalar $b->config;
});

our $OK = '{"version":"0.1.0","status":"ok"}';

run_tests();

__DATA__

=== TEST 1: health: no token needed, both forms, both prefixes
--- config
    location /v1/ { agent_async on; agent_async_token token-thirty-two; }
    location /latest/ { agent_async on; agent_async_token token-thirty-two; }
--- request eval
["GET /v1/health/", "GET /v1/health", "GET /latest/health/", "HEAD /v1/health/"]
--- error_code eval
[200, 200, 200, 200]
--- response_headers eval
["Content-Type: application/json", "Content-Type: application/json",
 "Content-Type: application/json", "Content-Type: application/json"]
--- response_body eval
[$main::OK, $main::OK, $main::OK, ""]



=== TEST 2: health: the run store unreachable is a 503 in the same shape
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_CLOSED_PORT;
    agent_async_redis_reconnect_max 100ms;
--- config
    location /v1/ { agent_async on; agent_async_token token-thirty-two; }
--- request
GET /v1/health/
--- error_code: 503
--- response_body: {"version":"0.1.0","status":"unavailable"}



=== TEST 3: health: only GET and HEAD
--- config
    location /v1/ { agent_async on; agent_async_token token-thirty-two; }
--- request
POST /v1/health/
{}
--- error_code: 405
--- response_headers
Allow: GET, HEAD



=== TEST 4: pass: a route the module does not serve goes to the named location
--- more_headers
Authorization: Bearer token-thirty-two
--- request eval
["GET /v1/tools/?limit=5", "GET /v1/agents/agent-32323232-3232-4232-8232-323232323232/core-memory",
 "POST /v1/agents/agent-32323232-3232-4232-8232-323232323232/messages\n{\"input\":\"sync\"}"]
--- response_body eval
["letta GET /v1/tools/?limit=5 Bearer token-thirty-two\n",
 "letta GET /v1/agents/agent-32323232-3232-4232-8232-323232323232/core-memory Bearer token-thirty-two\n",
 "letta POST /v1/agents/agent-32323232-3232-4232-8232-323232323232/messages Bearer token-thirty-two\n"]



=== TEST 5: pass: a method the module does not serve on its route goes too
--- more_headers
Authorization: Bearer token-thirty-two
--- request
PUT /v1/runs/run-32323232-3232-4232-8232-323232323232
{}
--- response_body
letta PUT /v1/runs/run-32323232-3232-4232-8232-323232323232 Bearer token-thirty-two



=== TEST 6: pass: the methods the agent routes do not serve go too
--- more_headers
Authorization: Bearer token-thirty-two
--- request eval
["PUT /v1/agents/agent-32323232-3232-4232-8232-323232323232\n{}", "POST /v1/agents/agent-32323232-3232-4232-8232-323232323232\n{}",
 "DELETE /v1/agents/", "PATCH /v1/agents\n{}"]
--- response_body eval
["letta PUT /v1/agents/agent-32323232-3232-4232-8232-323232323232 Bearer token-thirty-two\n",
 "letta POST /v1/agents/agent-32323232-3232-4232-8232-323232323232 Bearer token-thirty-two\n",
 "letta DELETE /v1/agents/ Bearer token-thirty-two\n", "letta PATCH /v1/agents Bearer token-thirty-two\n"]



=== TEST 7: pass: the agent routes' own methods are served here
--- more_headers
Authorization: Bearer token-thirty-two
--- request eval
["GET /v1/agents/", "PATCH /v1/agents/agent-32323232-3232-4232-8232-323232323232\n{}",
 "DELETE /v1/agents/agent-32323232-3232-4232-8232-323232323232"]
--- error_code eval
[200, 404, 404]
--- response_body eval
['[]', '{"detail":"Agent not found"}', '{"detail":"Agent not found"}']



=== TEST 8: pass: what the module serves is served here
--- more_headers
Authorization: Bearer token-thirty-two
--- request eval
["GET /v1/runs/run-32323232-3232-4232-8232-323232323232", "GET /v1/health/"]
--- error_code eval
[404, 200]
--- response_body eval
['{"detail":"Run not found with id=run-32323232-3232-4232-8232-323232323232"}', $main::OK]



=== TEST 9: pass: nothing goes on without a token
--- request
GET /v1/tools/
--- error_code: 401
--- response_body: {"detail":"Unauthorized"}



=== TEST 10: agent_async_pass takes a named location only
--- config
    location /v1/ { agent_async on; agent_async_auth off; agent_async_pass /letta; }
--- request
GET /v1/health/
--- must_die
--- error_log
"agent_async_pass" needs a named location such as "@letta", not "/letta"

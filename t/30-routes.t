# Routing inside an agent_async location: JSON 404 for unknown paths, 405
# with Allow for wrong methods, the /latest/ alias, HEAD, and locations
# that are not agent_async staying untouched.
use lib '.';
use t::AgentTest 'no_plan';
use File::Temp ();

# files for the locations that serve them (nginx's workers may run as nobody)
our $STATIC = File::Temp::tempdir(CLEANUP => 1);
chmod 0755, $STATIC;
for (['static', 'hello.txt', "static hello\n"], ['static/deep', 'deep.txt', "deep\n"]) {
    my ($dir, $file, $text) = @$_;
    mkdir "$STATIC/$_" for grep { !-d "$STATIC/$_" } ('static', $dir);
    open my $fh, '>', "$STATIC/$dir/$file" or die "$STATIC/$dir/$file: $!";
    print $fh $text;
    close $fh;
}
$ENV{TEST_NGINX_STATIC_ROOT} = $STATIC;

our $AGENT = 'agent-30303030-3030-4030-8030-303030303030';
our $RUN   = 'run-30303030-aaaa-4aaa-baaa-303030303030';

sub seed {
    my $r = \&t::AgentTest::redis;
    $r->('FLUSHALL');
    $r->('HSET', "aa:{$AGENT}:agent", id => $AGENT, tenant => 'default', state => qq({"id":"$AGENT"}));
    $r->('HSET', run_key("aa:", $RUN), id => $RUN, agent_id => $AGENT, tenant => 'default',
        status => 'created', created_at => '2026-01-01T00:00:00.000001Z', background => 1);
}

our $CONFIG = <<'EOF';
    location /v1/ { agent_async on; agent_async_auth off; }
    location /latest/ { agent_async on; agent_async_auth off; }
    location = /missing { return 404; }
    location / { return 200 "other"; }
EOF

no_root_location();
t::AgentTest::default_http_config('agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;');
add_block_preprocessor(sub {
    my $b = shift;
    $b->set_value(config => $CONFIG) unless defined scalar $b->config;
    $b->set_value(init => 'main::seed();') unless defined scalar $b->init;
});

our $NF  = '{"detail":"Not Found"}';
our $NA  = '{"detail":"Method Not Allowed"}';

run_tests();

# ---- HEAD answers carry the headers of the GET, without a body ----

seed();
nginx_start(config => $CONFIG);
for my $path ("/v1/agents/$AGENT", "/v1/runs/$RUN", "/latest/runs/$RUN", "/v1/agents/", "/v1/agents") {
    my $g = http_request('GET', $path);
    my $h = http_request('HEAD', $path);
    is($g->{status}, 200, "GET $path");
    is($h->{status}, 200, "HEAD $path");
    is($h->{body}, '', "HEAD $path: no body");
    is($h->{headers}{'content-length'}, length $g->{body}, "HEAD $path: Content-Length of the GET body");
    is($h->{headers}{'content-type'}, 'application/json', "HEAD $path: Content-Type");
}
# /v1 and /latest serve the same objects
is(http_request('GET', "/latest/runs/$RUN")->{body}, http_request('GET', "/v1/runs/$RUN")->{body},
    '/latest/runs/{id} == /v1/runs/{id}');
is(http_request('GET', "/latest/agents/$AGENT")->{body}, http_request('GET', "/v1/agents/$AGENT")->{body},
    '/latest/agents/{id} == /v1/agents/{id}');
unlike(error_log(), qr/runtime error:|AddressSanitizer/, "no sanitizer report in error.log");
nginx_stop();

__DATA__

=== TEST 1: unknown path under /v1/
--- request
GET /v1/nope
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body: {"detail":"Not Found"}



=== TEST 2: /v1/agents/{id}/{unknown}
--- request
GET /v1/agents/agent-30303030-3030-4030-8030-303030303030/y
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body: {"detail":"Not Found"}



=== TEST 3: /v1/runs/ lists runs (none yet), other methods are not allowed
--- request eval
["GET /v1/runs/", "DELETE /v1/runs", "POST /v1/runs/\n{}"]
--- error_code eval
[200, 405, 405]
--- response_body eval
["[]", $main::NA, $main::NA]



=== TEST 4: more unknown paths, every method
--- request eval
["GET /v1/", "POST /v1/\n{}", "GET /v1/agents/x/messages", "POST /v1/agents/agent-30303030-3030-4030-8030-303030303030/messages\n{}",
 "POST /v1/agents/agent-30303030-3030-4030-8030-303030303030/messages/async/extra\n{}",
 "POST /v1/agents/agent-30303030-3030-4030-8030-303030303030/messages/asyncx\n{}",
 "GET /v1/agentsx", "GET /v1/runsx/run-30303030-aaaa-4aaa-baaa-303030303030",
 "GET /v1/runs/run-30303030-aaaa-4aaa-baaa-303030303030/messagesx",
 "GET /v1/runs/run-30303030-aaaa-4aaa-baaa-303030303030/usage/x",
 "GET /v1/agents/agent-30303030-3030-4030-8030-303030303030/messages/",
 "GET /v1/runs/run-30303030-aaaa-4aaa-baaa-303030303030/steps/x", "GET /v1/run/run-30303030-aaaa-4aaa-baaa-303030303030", "GET /v1/AGENTS/", "GET /v2/agents/"]
--- error_code eval
[(404) x 14, 200]
--- response_body eval
[($main::NF) x 14, "other"]
--- no_error_log
[error]



=== TEST 5: the query string is not part of the route
--- request
GET /v1/runs/run-30303030-aaaa-4aaa-baaa-303030303030?x=1&y=/2
--- response_body_like: ^\{"id":"run-30303030-aaaa-4aaa-baaa-303030303030","status":"created",



=== TEST 6: percent-encoded path is decoded before routing
--- request
GET /v1/runs/run%2D30303030-aaaa-4aaa-baaa-303030303030
--- response_body_like: ^\{"id":"run-30303030-aaaa-4aaa-baaa-303030303030",



=== TEST 7: 405 + Allow: GET and POST on /v1/agents/
--- request eval
["PUT /v1/agents/
{}", "DELETE /v1/agents/", "PATCH /v1/agents
{}", "OPTIONS /v1/agents/"]
--- error_code eval
[405, 405, 405, 405]
--- response_headers eval
[("Allow: GET, HEAD, POST
Content-Type: application/json") x 4]
--- response_body eval
[($main::NA) x 4]



=== TEST 8: 405 + Allow on /v1/agents/{id} (GET, HEAD, PATCH, DELETE)
--- request eval
["POST /v1/agents/agent-30303030-3030-4030-8030-303030303030\n{}", "PUT /v1/agents/bad-id\n{}",
 "OPTIONS /v1/agents/agent-30303030-3030-4030-8030-303030303030"]
--- error_code eval
[405, 405, 405]
--- response_headers_like eval
[("Allow: ^GET, HEAD, PATCH, DELETE\$") x 3]
--- response_body eval
[($main::NA) x 3]



=== TEST 9: 405 + Allow: POST on /v1/agents/{id}/messages/async
--- request eval
["GET /v1/agents/agent-30303030-3030-4030-8030-303030303030/messages/async", "PUT /v1/agents/agent-30303030-3030-4030-8030-303030303030/messages/async\n{\"input\":\"x\"}",
 "DELETE /v1/agents/agent-30303030-3030-4030-8030-303030303030/messages/async", "GET /v1/agents/not-an-id/messages/async"]
--- error_code eval
[405, 405, 405, 405]
--- response_headers eval
[("Allow: POST") x 4]
--- response_body eval
[($main::NA) x 4]



=== TEST 10: 405 + Allow on /v1/runs/{id} (GET, HEAD and DELETE)
--- request eval
["POST /v1/runs/run-30303030-aaaa-4aaa-baaa-303030303030\n{}", "PATCH /v1/runs/run-30303030-aaaa-4aaa-baaa-303030303030\n{}", "PUT /v1/runs/whatever\n{}"]
--- error_code eval
[405, 405, 405]
--- response_headers_like eval
[("Allow: ^GET, HEAD, DELETE\$") x 3]
--- response_body eval
[($main::NA) x 3]



=== TEST 11: a 405 answer to a request with a body keeps the connection usable
--- pipelined_requests eval
["PUT /v1/runs/run-30303030-aaaa-4aaa-baaa-303030303030\n" . ("z" x 4000), "GET /v1/runs/run-30303030-aaaa-4aaa-baaa-303030303030"]
--- error_code eval
[405, 200]
--- response_body_like eval
[qr/^\Q{"detail":"Method Not Allowed"}\E$/, qr/^\{"id":"run-30303030-aaaa-4aaa-baaa-303030303030"/]



=== TEST 12: 405 to HEAD on a POST-only route, no body
--- request
HEAD /v1/agents/agent-30303030-3030-4030-8030-303030303030/messages/async
--- error_code: 405
--- response_headers
Allow: POST
--- response_body:



=== TEST 13: /latest/ alias: create agent, get it, send a message, get the run
--- request eval
["POST /latest/agents/\n{\"name\":\"l\"}", "GET /latest/agents/agent-30303030-3030-4030-8030-303030303030",
 "POST /latest/agents/agent-30303030-3030-4030-8030-303030303030/messages/async\n{\"input\":\"x\"}",
 "GET /latest/runs/run-30303030-aaaa-4aaa-baaa-303030303030", "GET /latest/nope", "PUT /latest/agents/"]
--- error_code eval
[200, 200, 200, 200, 404, 405]
--- response_body_like eval
[qr/^\{"id":"agent-[0-9a-f-]{36}","name":"l",/,
 qr/^\Q{"id":"agent-30303030-3030-4030-8030-303030303030","last_run_completion":null,"last_run_duration_ms":null,"last_stop_reason":null}\E$/,
 qr/^\{"id":"run-[0-9a-f-]{36}","status":"created",.*"agent_id":"agent-30303030-3030-4030-8030-303030303030"/,
 qr/^\{"id":"run-30303030-aaaa-4aaa-baaa-303030303030",/, qr/^\Q{"detail":"Not Found"}\E$/, qr/Method Not Allowed/]



=== TEST 14: /latest without a version route inside a /v1/ location is a 404
--- config
    location / { agent_async on; agent_async_auth off; }
--- request eval
["GET /latestx/runs/run-30303030-aaaa-4aaa-baaa-303030303030", "GET /latest", "GET /v1", "GET /", "GET /v2/runs/run-30303030-aaaa-4aaa-baaa-303030303030"]
--- error_code eval
[404, 404, 404, 404, 404]
--- response_body eval
[($main::NF) x 5]



=== TEST 15: both /v1/agents and /v1/agents/ create
--- request eval
["POST /v1/agents\n{\"name\":\"noslash\"}", "POST /v1/agents/\n{\"name\":\"slash\"}"]
--- response_body_like eval
[qr/^\{"id":"agent-[0-9a-f-]{36}","name":"noslash",/, qr/^\{"id":"agent-[0-9a-f-]{36}","name":"slash",/]



=== TEST 16: other locations are unaffected
--- request eval
["GET /other", "GET /v1", "POST /elsewhere\n{}", "GET /latestish"]
--- response_headers eval
[("Content-Type: text/plain") x 4]
--- response_body eval
["other", "other", "other", "other"]



=== TEST 17: error pages of other locations stay HTML
--- request
GET /missing
--- error_code: 404
--- response_headers
Content-Type: text/html
--- response_body_like: <html>.*404 Not Found



=== TEST 18: nginx's own error pages inside an agent_async location are JSON (bad chunked body: 400)
--- raw_request eval
"POST /v1/agents/agent-30303030-3030-4030-8030-303030303030/messages/async HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body: {"detail":"Bad Request"}



=== TEST 19: agent_async at server level applies to locations that do not turn it off nor serve otherwise
--- config
    agent_async on;
    agent_async_auth off;
    location /v1/ { }
    location / { agent_async off; return 200 "other"; }
--- request eval
["GET /v1/runs/run-30303030-aaaa-4aaa-baaa-303030303030", "GET /x"]
--- response_body_like eval
[qr/^\{"id":"run-30303030-aaaa-4aaa-baaa-303030303030"/, qr/^other$/]



=== TEST 20: an empty agent id segment is a path validation error
--- request
POST /v1/agents/%20/messages/async
{"input":"x"}
--- error_code: 422
--- response_body_like: ^\{"detail":\[\{"type":"string_pattern_mismatch","loc":\["path","agent_id"\],.*"input":" ",



=== TEST 21: agent_async on at server level leaves alone root, alias and proxy_pass locations
--- config
    agent_async on;
    agent_async_auth off;
    location /static/ {
        root $TEST_NGINX_STATIC_ROOT;
        location /static/deep/ { }
    }
    location /files/ { alias $TEST_NGINX_STATIC_ROOT/static/; }
    location /up/ { proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/; }
    location /backend/ { agent_async off; return 200 "backend $uri"; }
    location /v1/ { }
--- request eval
["GET /static/hello.txt", "GET /static/deep/deep.txt", "GET /files/hello.txt", "GET /up/x", "GET /v1/nope"]
--- error_code eval
[200, 200, 200, 200, 404]
--- response_body eval
["static hello\n", "deep\n", "static hello\n", "backend /backend/x", '{"detail":"Not Found"}']
--- no_error_log
[error]



=== TEST 22: (as TEST 21) a file missing in the static location is nginx's own 404, not JSON
--- config
    agent_async on;
    agent_async_auth off;
    location /static/ { root $TEST_NGINX_STATIC_ROOT; }
    location /v1/ { }
--- request
GET /static/missing.txt
--- error_code: 404
--- response_headers
Content-Type: text/html
--- response_body_like: <h1>404 Not Found</h1>



=== TEST 23: agent_async on at http level: the same rule in every server
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async on;
    agent_async_auth off;
--- config
    location /static/ { root $TEST_NGINX_STATIC_ROOT; }
    location /up/ { proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/backend/; }
    location /backend/ { agent_async off; return 200 "backend $uri"; }
    location /v1/ { }
--- request eval
["GET /static/hello.txt", "GET /up/y", "GET /v1/nope", "GET /elsewhere"]
--- error_code eval
[200, 200, 404, 404]
--- response_body eval
["static hello\n", "backend /backend/y", '{"detail":"Not Found"}', '{"detail":"Not Found"}']



=== TEST 24: agent_async on set in a location with its own root serves the API there
--- config
    location /v1/ { agent_async on; agent_async_auth off; root $TEST_NGINX_STATIC_ROOT; }
--- request
GET /v1/nope
--- error_code: 404
--- response_body: {"detail":"Not Found"}



=== TEST 25: a location nested in an API location, with a root of its own, serves files
--- config
    location /v1/ {
        agent_async on;
        agent_async_auth off;
        location /v1/static/ { alias $TEST_NGINX_STATIC_ROOT/static/; }
    }
--- request eval
["GET /v1/static/hello.txt", "GET /v1/nope"]
--- error_code eval
[200, 404]
--- response_body eval
["static hello\n", '{"detail":"Not Found"}']

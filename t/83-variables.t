# $agent_async_run_id, $agent_async_agent_id, $agent_async_tenant in a
# log_format: the access log is written into error.log here, so that the
# blocks check its lines with error_log / no_error_log.
use lib '.';
use t::AgentTest 'no_plan';

our $A_AGENT = 'agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
our $A_RUN   = 'run-aaaaaaaa-1111-4111-9111-aaaaaaaaaaaa';

sub seed {
    my $r = \&t::AgentTest::redis;
    $r->('FLUSHALL');
    $r->('HSET', "aa:{$A_AGENT}:agent", id => $A_AGENT, tenant => 'tenA',
        state => qq({"id":"$A_AGENT","name":"a"}));
    $r->('ZADD', 'aa:tenant:tenA:agents', 1, $A_AGENT);
    $r->('HSET', run_key("aa:", $A_RUN), id => $A_RUN, agent_id => $A_AGENT, tenant => 'tenA',
        status => 'created', created_at => '2026-01-01T00:00:00.000001Z', created_us => 1767225600000001,
        background => 1, metadata => '{"run_type":"send_message_async","lettuce":null}');
}

our $HTTP_CONFIG = <<'CONF';
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    log_format aalog 'AALOG "$request" $status run=$agent_async_run_id agent=$agent_async_agent_id tenant=$agent_async_tenant';
CONF

our $CONFIG = <<'CONF';
    location /v1/ {
        agent_async on;
        agent_async_token token-aaaa-1111 tenA;
        agent_async_token token-bbbb-2222 tenB;
        agent_async_token token-dflt-3333;
        access_log logs/error.log aalog;
    }
    location /open/ {
        agent_async on;
        agent_async_auth off;
        access_log logs/error.log aalog;
    }
    location /static/ {
        access_log logs/error.log aalog;
        return 204;
    }
CONF

add_block_preprocessor(sub {
    my $b = shift;
    $b->set_value(http_config => $HTTP_CONFIG) unless defined scalar $b->http_config;
    $b->set_value(config => $CONFIG) unless defined scalar $b->config;
    $b->set_value(init => 'main::seed();') unless defined scalar $b->init;
    # at debug, nginx logs the header lines, tokens included
    $b->set_value(log_level => "notice");
});

no_shuffle();
run_tests();

# ---- the ids logged are the ones answered ----

seed();
nginx_start(config => $CONFIG, http_config => $HTTP_CONFIG, log_level => 'notice');
my $auth = { Authorization => 'Bearer token-aaaa-1111', 'Content-Type' => 'application/json' };
my $r = http_request('POST', '/v1/agents/', $auth, '{"name":"logged"}');
is($r->{status}, 200, 'an agent');
my $agent = eval { json_decode($r->{body})->{id} } // '';
$r = http_request('POST', "/v1/agents/$agent/messages/async", $auth, '{"input":"hi"}');
is($r->{status}, 200, 'a run');
my $run = eval { json_decode($r->{body})->{id} } // '';
like($run, qr/^run-/, 'its id');
# a request with an Idempotency-Key, then its repeat: the replay names the run
$r = http_request('POST', "/v1/agents/$agent/messages/async",
    { %$auth, 'Idempotency-Key' => 'k-1' }, '{"input":"again"}');
my $run2 = eval { json_decode($r->{body})->{id} } // '';
$r = http_request('POST', "/v1/agents/$agent/messages/async",
    { %$auth, 'Idempotency-Key' => 'k-1' }, '{"input":"again"}');
is($r->{status}, 200, 'a replay');
is(eval { json_decode($r->{body})->{id} } // '', $run2, 'of that run');
select undef, undef, undef, 0.3;
my $log = error_log();
like($log, qr{^AALOG "POST /v1/agents/ HTTP/1\.1" 200 run=- agent=\Q$agent\E tenant=tenA$}m,
     'POST /v1/agents/: the agent created');
like($log, qr{^AALOG "POST /v1/agents/\Q$agent\E/messages/async HTTP/1\.1" 200 run=\Q$run\E agent=\Q$agent\E tenant=tenA$}m,
     'POST messages/async: the run created, its agent');
my @runs = $log =~ m{^AALOG "POST /v1/agents/\Q$agent\E/messages/async HTTP/1\.1" 200 run=(\S+) }mg;
is_deeply(\@runs, [ $run, $run2, $run2 ], 'a replay logs the run it replays');
unlike($log, qr/token-aaaa-1111/, 'no token in the logs');
nginx_stop();

__DATA__

=== TEST 1: GET a run: its id, its agent, the tenant
--- request
GET /v1/runs/run-aaaaaaaa-1111-4111-9111-aaaaaaaaaaaa
--- more_headers
Authorization: Bearer token-aaaa-1111
--- error_code: 200
--- error_log
AALOG "GET /v1/runs/run-aaaaaaaa-1111-4111-9111-aaaaaaaaaaaa HTTP/1.1" 200 run=run-aaaaaaaa-1111-4111-9111-aaaaaaaaaaaa agent=agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa tenant=tenA
--- no_error_log
token-aaaa-1111



=== TEST 2: a run's messages: the same
--- request
GET /v1/runs/run-aaaaaaaa-1111-4111-9111-aaaaaaaaaaaa/messages
--- more_headers
Authorization: Bearer token-aaaa-1111
--- error_code: 200
--- error_log
200 run=run-aaaaaaaa-1111-4111-9111-aaaaaaaaaaaa agent=agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa tenant=tenA



=== TEST 3: another tenant's run: the id asked for, the caller's tenant, not its agent
--- request
GET /v1/runs/run-aaaaaaaa-1111-4111-9111-aaaaaaaaaaaa
--- more_headers
Authorization: Bearer token-bbbb-2222
--- error_code: 404
--- error_log
404 run=run-aaaaaaaa-1111-4111-9111-aaaaaaaaaaaa agent=- tenant=tenB
--- no_error_log
token-bbbb-2222
agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa



=== TEST 4: an agent: its id
--- request
GET /v1/agents/agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa
--- more_headers
Authorization: Bearer token-aaaa-1111
--- error_code: 200
--- error_log
200 run=- agent=agent-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa tenant=tenA



=== TEST 5: a token without a tenant: "default", never the token
--- request
GET /v1/agents/
--- more_headers
Authorization: Bearer token-dflt-3333
--- error_code: 200
--- error_log
200 run=- agent=- tenant=default
--- no_error_log
token-dflt-3333



=== TEST 6: no token: no tenant
--- request
GET /v1/runs/run-aaaaaaaa-1111-4111-9111-aaaaaaaaaaaa
--- error_code: 401
--- error_log
401 run=run-aaaaaaaa-1111-4111-9111-aaaaaaaaaaaa agent=- tenant=-



=== TEST 7: a wrong token: no tenant, and the token is not logged
--- request
GET /v1/agents/
--- more_headers
Authorization: Bearer wrong-token-0000
--- error_code: 401
--- error_log
401 run=- agent=- tenant=-
--- no_error_log
wrong-token-0000



=== TEST 8: what is not an id is not logged as one
--- request
GET /v1/runs/run-not-a-uuid
--- more_headers
Authorization: Bearer token-aaaa-1111
--- error_code: 400
--- error_log
400 run=- agent=- tenant=tenA



=== TEST 9: nor an agent's
--- request
GET /v1/agents/robert%27%29%3B%20DROP
--- more_headers
Authorization: Bearer token-aaaa-1111
--- error_code: 422
--- error_log
422 run=- agent=- tenant=tenA



=== TEST 10: messages/async to an unknown agent: its id, no run
--- request
POST /v1/agents/agent-cccccccc-cccc-4ccc-8ccc-cccccccccccc/messages/async
{"input":"hi"}
--- more_headers
Authorization: Bearer token-aaaa-1111
Content-Type: application/json
--- error_code: 404
--- error_log
404 run=- agent=agent-cccccccc-cccc-4ccc-8ccc-cccccccccccc tenant=tenA



=== TEST 11: agent_async_auth off: the tenant "default"
--- request
GET /open/v1/agents/
--- error_code: 404
--- error_log
404 run=- agent=- tenant=default



=== TEST 12: a location without agent_async: none of them
--- request
GET /static/x
--- error_code: 204
--- error_log
AALOG "GET /static/x HTTP/1.1" 204 run=- agent=- tenant=-

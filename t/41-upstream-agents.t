# agent_async_agents upstream (the letta backend's deployment): POST
# /v1/agents/{agent_id}/messages/async makes a run for any well-formed
# agent id, with no agent hash here; the run is still the caller's
# tenant's.  In local mode (the default) the same request is a 404.  An
# agent hash here of another tenant is refused in both modes; the other
# agent routes stay local (docs/directives.md).
use lib '.';
use t::AgentTest 'no_plan';

our $AGENT  = 'agent-41414141-4141-4141-8141-414141414141';   # a local agent
our $GHOST  = 'agent-41414141-0000-4000-8000-000000000000';   # upstream only
our $TOKEN  = 'token-forty-one';
our $TENANT = 'ten41';
our $UUID   = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';

sub seed {
    my $r = \&t::AgentTest::redis;
    $r->('FLUSHALL');
    $r->('HSET', "aa:{$AGENT}:agent", id => $AGENT, tenant => 'other41',
         state => qq({"id":"$AGENT"}));
    $r->('ZADD', 'aa:tenant:other41:agents', 1, $AGENT);
}

sub defaults {
    my $b = shift;
    $b->set_value(config => "    location /v1/ { agent_async on; agent_async_token $TOKEN $TENANT; }\n")
        unless defined scalar $b->config;
    $b->set_value(init => 'main::seed();') unless defined scalar $b->init;
    $b->set_value(more_headers => "Authorization: Bearer $TOKEN\nContent-Type: application/json\n");
}

t::AgentTest::default_http_config('agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;');
add_block_preprocessor(\&defaults);
no_shuffle();
run_tests();

# ---- the Redis state of an upstream run ----------------------------------

seed();
nginx_start(http_config => "agent_async_redis 127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT};\n"
                         . "agent_async_agents upstream;",
            config => "location /v1/ { agent_async on; agent_async_token $TOKEN $TENANT; }");
my $r = http_request('POST', "/v1/agents/$GHOST/messages/async",
                     { Authorization => "Bearer $TOKEN", 'Content-Type' => 'application/json' },
                     '{"input":"hello upstream","max_steps":3}');
is($r->{status}, 200, 'upstream: the run is created');
my $run = eval { json_decode($r->{body}) } // {};
like($run->{id} // '', qr/^run-$UUID$/, 'upstream: a run id');
my $key = run_key("aa:", $run->{id});
is(redis('HGET', $key, 'tenant'), $TENANT, 'upstream: the run is the caller tenant\'s');
is(redis('HGET', $key, 'agent_id'), $GHOST, 'upstream: for the upstream agent');
like(redis('HGET', $key, 'request'), qr/"hello upstream".*"max_steps":3/, 'upstream: the job');
is(redis('EXISTS', "aa:{$GHOST}:agent"), 0, 'upstream: no agent hash made');
is_deeply(redis('LRANGE', "aa:{$GHOST}:queue", 0, -1), [ $run->{id} ], 'upstream: queued');
is_deeply(redis('LRANGE', 'aa:ready', 0, -1), [ $GHOST ], 'upstream: the agent is ready');
is(redis('ZSCORE', "aa:tenant:$TENANT:runs", "$GHOST/$run->{id}") ? 1 : 0, 1,
   'upstream: in the tenant\'s runs');

# the run is found by id, as any run of the tenant
$r = http_request('GET', "/v1/runs/$run->{id}", { Authorization => "Bearer $TOKEN" });
is($r->{status}, 200, 'upstream: GET /v1/runs/{id} finds it');

# an Idempotency-Key repeat is a replay
my %h = (Authorization => "Bearer $TOKEN", 'Content-Type' => 'application/json',
         'Idempotency-Key' => 'up-41');
my $a1 = http_request('POST', "/v1/agents/$GHOST/messages/async", \%h, '{"input":"once"}');
my $a2 = http_request('POST', "/v1/agents/$GHOST/messages/async", \%h, '{"input":"once"}');
is($a1->{status} . '/' . $a2->{status}, '200/200', 'upstream: key, twice: 200 both');
is(eval { json_decode($a2->{body})->{id} }, eval { json_decode($a1->{body})->{id} },
   'upstream: the repeat answers the same run');
nginx_stop();

__DATA__

=== TEST 1: upstream: a run for an agent with no hash here
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_agents upstream;
--- request
POST /v1/agents/agent-41414141-0000-4000-8000-000000000000/messages/async
{"input":"x"}
--- error_code: 200
--- response_body_like: ^\{"id":"run-[0-9a-f-]{36}","status":"created",.*"agent_id":"agent-41414141-0000-4000-8000-000000000000"



=== TEST 2: local (the default): the same request is a 404
--- request
POST /v1/agents/agent-41414141-0000-4000-8000-000000000000/messages/async
{"input":"x"}
--- error_code: 404
--- response_body: {"detail":"Agent not found"}



=== TEST 3: local, said: a 404
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_agents local;
--- request
POST /v1/agents/agent-41414141-0000-4000-8000-000000000000/messages/async
{"input":"x"}
--- error_code: 404
--- response_body: {"detail":"Agent not found"}



=== TEST 4: upstream: an agent hash here of another tenant is still refused
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_agents upstream;
--- request
POST /v1/agents/agent-41414141-4141-4141-8141-414141414141/messages/async
{"input":"x"}
--- error_code: 404
--- response_body: {"detail":"Agent not found"}



=== TEST 5: upstream: a malformed agent id is still a 422
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_agents upstream;
--- request
POST /v1/agents/agent-nope/messages/async
{"input":"x"}
--- error_code: 422



=== TEST 6: upstream: the request is validated as before
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_agents upstream;
--- request
POST /v1/agents/agent-41414141-0000-4000-8000-000000000000/messages/async
{"input":"x","max_steps":0}
--- error_code: 422



=== TEST 7: upstream: GET /v1/agents/{id} stays local (404 for an upstream agent)
--- http_config
    agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;
    agent_async_agents upstream;
--- request
GET /v1/agents/agent-41414141-0000-4000-8000-000000000000
--- error_code: 404

# A run's parts (docs/api.md): GET /v1/runs/{id}/messages (paged by message
# id, in order, filtered by the run's include_return_message_types),
# /steps, /usage (OpenAI's shape), /metrics; every route with and without
# a trailing slash; malformed ids, unknown runs and other tenants' runs.
use lib '.';
use t::AgentTest 'no_plan';

our $AGENT = 'agent-55555555-5555-4555-8555-555555555555';
our $DONE  = 'run-55555555-0001-4001-8001-555555555555';
our $FILT  = 'run-55555555-0002-4002-8002-555555555555';
our $NEW   = 'run-55555555-0003-4003-8003-555555555555';
our $OTHER = 'run-55555555-0004-4004-8004-555555555555';
our $BIG   = 'run-55555555-0005-4005-8005-555555555555';

# messages larger than the module's reply arena (64 KiB), each different
sub big_msg {
    my ($n) = @_;
    my $fill = CORE::join '', map { chr(ord('a') + ($n * 7 + $_) % 26) } 1 .. 90000;
    return qq({"id":"message-5555555$n-0000-4000-8000-000000000000","message_type":"assistant_message","content":"$fill"});
}

sub msg {
    my ($n, $type) = @_;
    return qq({"id":"message-5555555$n-0000-4000-8000-000000000000","message_type":"$type","content":"m$n"});
}

sub step {
    my ($n) = @_;
    return qq({"id":"step-5555555$n-0000-4000-8000-000000000000","run_id":"$DONE","status":"success"});
}

sub seed {
    my $r = \&t::AgentTest::redis;
    $r->('FLUSHALL');
    $r->('HSET', "aa:{$AGENT}:agent", id => $AGENT, tenant => 'ten55', state => qq({"id":"$AGENT"}));
    my %base = (agent_id => $AGENT, tenant => 'ten55', created_at => '2026-05-14T10:00:00.000001Z',
                background => 1);
    $r->('HSET', run_key("aa:", $DONE), %base, id => $DONE, status => 'completed', stop_reason => 'end_turn',
         started_at => '2026-05-14T10:00:01.500000Z', total_duration_ns => '2500000000',
         usage => '{"message_type":"usage_statistics","completion_tokens":7,"prompt_tokens":5,"total_tokens":12,"step_count":2}',
         request_config => '{"include_return_message_types":null}');
    $r->('RPUSH', run_key("aa:", $DONE) . ":messages",
         msg(1, 'user_message'), msg(2, 'reasoning_message'), msg(3, 'assistant_message'),
         msg(4, 'user_message'), msg(5, 'assistant_message'));
    $r->('RPUSH', run_key("aa:", $DONE) . ":steps", step(1), step(2));
    $r->('HSET', run_key("aa:", $FILT), %base, id => $FILT, status => 'completed',
         request_config => '{"include_return_message_types":["assistant_message"]}');
    $r->('RPUSH', run_key("aa:", $FILT) . ":messages",
         msg(1, 'user_message'), msg(2, 'assistant_message'), msg(3, 'user_message'), msg(4, 'assistant_message'));
    $r->('HSET', run_key("aa:", $NEW), %base, id => $NEW, status => 'created');
    $r->('HSET', run_key("aa:", $OTHER), %base, id => $OTHER, tenant => 'someone-else', status => 'created');
    $r->('HSET', run_key("aa:", $BIG), %base, id => $BIG, status => 'completed',
         request_config => '{"include_return_message_types":null}');
    $r->('RPUSH', run_key("aa:", $BIG) . ":messages", map { big_msg($_) } 1 .. 4);
}

our $CONFIG = <<'EOF';
    location /v1/ {
        agent_async on;
        agent_async_token token-fifty-five ten55;
    }
EOF

t::AgentTest::default_http_config('agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;');
add_block_preprocessor(sub {
    my $b = shift;
    $b->set_value(config => $CONFIG) unless defined scalar $b->config;
    $b->set_value(init => 'main::seed();') unless defined scalar $b->init;
    $b->set_value(more_headers => 'Authorization: Bearer token-fifty-five')
        unless defined scalar $b->more_headers;
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: messages: all, in order, as stored
--- request
GET /v1/runs/run-55555555-0001-4001-8001-555555555555/messages
--- response_headers
Content-Type: application/json
--- response_body eval
'[' . CORE::join(',', main::msg(1, 'user_message'), main::msg(2, 'reasoning_message'), main::msg(3, 'assistant_message'),
           main::msg(4, 'user_message'), main::msg(5, 'assistant_message')) . ']'
--- no_error_log
[error]



=== TEST 2: messages: limit, order desc
--- request
GET /v1/runs/run-55555555-0001-4001-8001-555555555555/messages?limit=2&order=desc
--- response_body eval
'[' . CORE::join(',', main::msg(5, 'assistant_message'), main::msg(4, 'user_message')) . ']'



=== TEST 3: messages: after a message, in order, whatever the order asked
--- request
GET /v1/runs/run-55555555-0001-4001-8001-555555555555/messages?after=message-55555552-0000-4000-8000-000000000000&limit=2
--- response_body eval
'[' . CORE::join(',', main::msg(3, 'assistant_message'), main::msg(4, 'user_message')) . ']'



=== TEST 4: messages: before a message, newest first with order=desc
--- request
GET /v1/runs/run-55555555-0001-4001-8001-555555555555/messages?before=message-55555554-0000-4000-8000-000000000000&order=desc
--- response_body eval
'[' . CORE::join(',', main::msg(3, 'assistant_message'), main::msg(2, 'reasoning_message'), main::msg(1, 'user_message')) . ']'



=== TEST 5: messages: between two cursors
--- request
GET /v1/runs/run-55555555-0001-4001-8001-555555555555/messages/?after=message-55555551-0000-4000-8000-000000000000&before=message-55555554-0000-4000-8000-000000000000
--- response_body eval
'[' . CORE::join(',', main::msg(2, 'reasoning_message'), main::msg(3, 'assistant_message')) . ']'



=== TEST 6: messages: an unknown cursor is a 404
--- request
GET /v1/runs/run-55555555-0001-4001-8001-555555555555/messages?after=message-00000000-0000-4000-8000-000000000000
--- error_code: 404
--- response_body: {"detail":"No message found with id 'message-00000000-0000-4000-8000-000000000000'"}



=== TEST 7: messages: filtered by the run's include_return_message_types, after the limit
--- request
GET /v1/runs/run-55555555-0002-4002-8002-555555555555/messages?limit=3
--- response_body eval
'[' . main::msg(2, 'assistant_message') . ']'



=== TEST 8: messages of a run not executed yet: none
--- request
GET /v1/runs/run-55555555-0003-4003-8003-555555555555/messages
--- response_body: []



=== TEST 9: messages: bad paging parameters are 422s in Letta's shape
--- request eval
["GET /v1/runs/run-55555555-0001-4001-8001-555555555555/messages?limit=0",
 "GET /v1/runs/run-55555555-0001-4001-8001-555555555555/messages?limit=1001",
 "GET /v1/runs/run-55555555-0001-4001-8001-555555555555/messages?limit=ten",
 "GET /v1/runs/run-55555555-0001-4001-8001-555555555555/messages?order=up",
 "GET /v1/runs/run-55555555-0001-4001-8001-555555555555/messages?order_by=id"]
--- error_code eval
[422, 422, 422, 422, 422]
--- response_body eval
['{"detail":[{"type":"greater_than_equal","loc":["query","limit"],"msg":"Input should be greater than or equal to 1","input":"0"}]}',
 '{"detail":[{"type":"less_than_equal","loc":["query","limit"],"msg":"Input should be less than or equal to 1000","input":"1001"}]}',
 '{"detail":[{"type":"int_parsing","loc":["query","limit"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"ten"}]}',
 q({"detail":[{"type":"enum","loc":["query","order"],"msg":"Input should be 'asc' or 'desc'","input":"up"}]}),
 q({"detail":[{"type":"literal_error","loc":["query","order_by"],"msg":"Input should be 'created_at'","input":"id"}]})]



=== TEST 10: a query string that cannot be one: 400
--- request
GET /v1/runs/run-55555555-0001-4001-8001-555555555555/messages?after=a%00b
--- error_code: 400
--- response_body: {"detail":"Invalid query string"}



=== TEST 11: steps: newest first by default, paged by step id
--- request eval
["GET /v1/runs/run-55555555-0001-4001-8001-555555555555/steps",
 "GET /v1/runs/run-55555555-0001-4001-8001-555555555555/steps?order=asc&limit=1",
 "GET /v1/runs/run-55555555-0001-4001-8001-555555555555/steps?before=step-55555552-0000-4000-8000-000000000000",
 "GET /v1/runs/run-55555555-0001-4001-8001-555555555555/steps?after=step-00000000-0000-4000-8000-000000000000"]
--- error_code eval
[200, 200, 200, 404]
--- response_body eval
['[' . main::step(2) . ',' . main::step(1) . ']', '[' . main::step(1) . ']', '[' . main::step(1) . ']',
 q({"detail":"No step found with id 'step-00000000-0000-4000-8000-000000000000'"})]



=== TEST 12: usage: OpenAI's shape, from the run's usage
--- request eval
["GET /v1/runs/run-55555555-0001-4001-8001-555555555555/usage",
 "GET /v1/runs/run-55555555-0003-4003-8003-555555555555/usage/"]
--- response_body eval
['{"completion_tokens":7,"prompt_tokens":5,"total_tokens":12,"prompt_tokens_details":null,"completion_tokens_details":null}',
 '{"completion_tokens":0,"prompt_tokens":0,"total_tokens":0,"prompt_tokens_details":null,"completion_tokens_details":null}']



=== TEST 13: metrics: start, duration and steps of the run
--- request eval
["GET /v1/runs/run-55555555-0001-4001-8001-555555555555/metrics",
 "GET /v1/runs/run-55555555-0003-4003-8003-555555555555/metrics"]
--- response_body eval
['{"id":"run-55555555-0001-4001-8001-555555555555","organization_id":null,"agent_id":"agent-55555555-5555-4555-8555-555555555555","project_id":null,"run_start_ns":1778752801500000000,"run_ns":2500000000,"num_steps":2,"tools_used":null,"template_id":null,"base_template_id":null}',
 '{"id":"run-55555555-0003-4003-8003-555555555555","organization_id":null,"agent_id":"agent-55555555-5555-4555-8555-555555555555","project_id":null,"run_start_ns":null,"run_ns":null,"num_steps":null,"tools_used":null,"template_id":null,"base_template_id":null}']



=== TEST 14: another tenant's run, an unknown run: 404; a malformed id: 400
--- request eval
["GET /v1/runs/run-55555555-0004-4004-8004-555555555555/messages",
 "GET /v1/runs/run-55555555-0004-4004-8004-555555555555/usage",
 "GET /v1/runs/run-00000000-0000-4000-8000-000000000000/steps",
 "GET /v1/runs/nope/metrics"]
--- error_code eval
[404, 404, 404, 400]
--- response_body eval
['{"detail":"Run not found with id=run-55555555-0004-4004-8004-555555555555"}',
 '{"detail":"Run not found with id=run-55555555-0004-4004-8004-555555555555"}',
 '{"detail":"Run not found with id=run-00000000-0000-4000-8000-000000000000"}',
 q({"detail":"INVALID_ARGUMENT: Invalid run ID format: nope. Expected format: 'run-<uuid4>'"})]



=== TEST 15: the parts are read-only: 405 with Allow
--- request eval
["POST /v1/runs/run-55555555-0001-4001-8001-555555555555/messages\n{}",
 "DELETE /v1/runs/run-55555555-0001-4001-8001-555555555555/usage"]
--- error_code eval
[405, 405]
--- response_headers eval
["Allow: GET, HEAD", "Allow: GET, HEAD"]



=== TEST 16: without a token: 401
--- more_headers
--- request
GET /v1/runs/run-55555555-0001-4001-8001-555555555555/messages
--- error_code: 401
--- response_body: {"detail":"Unauthorized"}



=== TEST 17: messages larger than the reply arena, read whole, byte for byte, twice
--- request eval
["GET /v1/runs/run-55555555-0005-4005-8005-555555555555/messages",
 "GET /v1/runs/run-55555555-0005-4005-8005-555555555555/messages?limit=2&order=desc"]
--- response_body eval
['[' . CORE::join(',', map { main::big_msg($_) } 1 .. 4) . ']',
 '[' . CORE::join(',', main::big_msg(4), main::big_msg(3)) . ']']
--- no_error_log
[error]

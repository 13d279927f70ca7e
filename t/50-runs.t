# GET /v1/runs/{run_id}: the Run rendered from its hash (docs/redis-keys.md),
# whoever wrote the fields, with the right JSON types.
use lib '.';
use t::AgentTest 'no_plan';

our $AGENT = 'agent-50505050-5050-4050-8050-505050505050';
our $TENANT = 'ten50';
our $RC = '{"use_assistant_message":true,"assistant_message_tool_name":"send_message",'
        . '"assistant_message_tool_kwarg":"message","include_return_message_types":null}';
our $META = '{"run_type":"send_message_async","lettuce":null}';

our %RUN = (
    created   => 'run-50505050-0001-4001-8001-505050505050',
    completed => 'run-50505050-0002-4002-9002-505050505050',
    failed    => 'run-50505050-0003-4003-a003-505050505050',
    corrupt   => 'run-50505050-0004-4004-b004-505050505050',
    strings   => 'run-50505050-0005-4005-8005-505050505050',
    bare      => 'run-50505050-0006-4006-8006-505050505050',
    dangling  => 'run-50505050-0007-4007-8007-505050505050',
    cancelled => 'run-50505050-0008-4008-8008-505050505050',
);

sub put_run {
    my ($key, %f) = @_;
    my $id = $RUN{$key};
    t::AgentTest::redis('HSET', t::AgentTest::run_key("aa:", $id), id => $id, agent_id => $AGENT, tenant => $TENANT, %f);
}

sub seed {
    my $r = \&t::AgentTest::redis;
    $r->('FLUSHALL');
    $r->('HSET', "aa:{$AGENT}:agent", id => $AGENT, tenant => $TENANT, state => qq({"id":"$AGENT"}));
    my %base = (created_at => '2026-05-14T10:00:00.123456Z', created_us => '1778752800123456',
                background => '1', metadata => $META, request_config => $RC,
                request => '{"messages":[{"type":"message","role":"user","content":"x","otid":"o"}],"max_steps":50}');
    put_run('created', %base, status => 'created');
    put_run('completed', %base, status => 'completed', stop_reason => 'end_turn',
        completed_at => '2026-05-14T10:00:07.654321Z', ttft_ns => '1234567', total_duration_ns => '9876543210',
        callback_url => 'https://example.test/hook', callback_sent_at => '2026-05-14T10:00:07.700000Z',
        callback_status_code => '200', attempts => '1', lease => 'w1#1', started_at => '2026-05-14T10:00:01.000000Z',
        usage => '{"message_type":"usage_statistics","completion_tokens":1}');
    put_run('failed', %base, status => 'failed', stop_reason => 'error',
        completed_at => '2026-05-14T10:00:03.000001Z',
        metadata => '{"run_type":"send_message_async","lettuce":null,"error":"LLM said \"no\"\nline 2"}',
        callback_url => 'http://example.test/h', callback_sent_at => '2026-05-14T10:00:03.100000Z',
        callback_error => "Failed to dispatch callback for run x to http://example.test/h: ConnectError('refused \"q\"')",
        ttft_ns => '-1', total_duration_ns => '0');
    put_run('corrupt', %base, status => 'running', ttft_ns => 'abc', total_duration_ns => '',
        callback_status_code => '200 OK', background => '0', metadata => '', started_at => 'x');
    put_run('strings', %base, status => 'created', callback_url => "http://h/\x01\xff\"\\",
        stop_reason => "tab\there", callback_error => "caf\xc3\xa9 \xe2\x9c\x93");
    put_run('bare', status => 'created');
    put_run('cancelled', %base, status => 'cancelled', stop_reason => 'cancelled', cancel_requested => '1',
        completed_at => '2026-05-14T10:00:02.000000Z', callback_status_code => '999999999999999999999',
        total_duration_ns => '123456789012345678901');
}

our $CONFIG = <<'EOF';
    location /v1/ {
        agent_async on;
        agent_async_token token-fifty-50 ten50;
        agent_async_token token-other-51 ten51;
    }
EOF

t::AgentTest::default_http_config('agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;');
add_block_preprocessor(sub {
    my $b = shift;
    $b->set_value(config => $CONFIG) unless defined scalar $b->config;
    $b->set_value(init => 'main::seed();') unless defined scalar $b->init;
    $b->set_value(more_headers => 'Authorization: Bearer token-fifty-50') unless defined scalar $b->more_headers;
});

run_tests();

# ---- POST then GET: the same complete Run ----

seed();
nginx_start(config => $CONFIG);
my %H = (Authorization => 'Bearer token-fifty-50');
for my $body ('{"input":"hi"}',
              '{"input":"x","callback_url":"https://example.test/cb","include_return_message_types":["assistant_message"],"use_assistant_message":false}') {
    my $p = http_request('POST', "/v1/agents/$AGENT/messages/async", \%H, $body);
    is($p->{status}, 200, "POST $body");
    my $id = eval { json_decode($p->{body})->{id} } // 'none';
    my $g = http_request('GET', "/v1/runs/$id", \%H);
    is($g->{status}, 200, 'GET the new run');
    is($g->{body}, $p->{body}, 'GET answers byte for byte what POST answered');
    my $o = http_request('GET', "/v1/runs/$id", { Authorization => 'Bearer token-other-51' });
    is($o->{status}, 404, 'another tenant: 404');
    is($o->{body}, qq({"detail":"Run not found with id=$id"}), 'another tenant: Run not found body');
}

# ---- every seeded run renders as JSON whose types match the schema ----

my %type = (id => 'str', status => 'str', created_at => 'str?', completed_at => 'str?', agent_id => 'str',
            conversation_id => 'null', base_template_id => 'null', background => 'bool?', metadata => 'obj?',
            request_config => 'obj?', stop_reason => 'str?', callback_url => 'str?', callback_sent_at => 'str?',
            callback_status_code => 'int?', callback_error => 'str?', ttft_ns => 'int?', total_duration_ns => 'int?');
for my $k (sort keys %RUN) {
    next if $k eq 'dangling';
    my $g = http_request('GET', "/v1/runs/$RUN{$k}", \%H);
    is($g->{status}, 200, "GET $k run");
    my $run = eval { json_decode($g->{body}) };
    ok($run, "$k run: valid JSON") or diag($g->{body});
    next unless $run;
    is_deeply([sort keys %$run], [sort keys %type], "$k run: every Run field, no other");
    for my $f (sort keys %type) {
        my ($t, $opt) = $type{$f} =~ /^(\w+)(\?)?$/;
        my $v = $run->{$f};
        if (!defined $v) { ok($opt || $t eq 'null', "$k run: $f may be null"); next }
        if ($t eq 'str') { ok(!ref $v && $g->{body} =~ /"\Q$f\E":"/, "$k run: $f is a string") }
        elsif ($t eq 'int') { ok($g->{body} =~ /"\Q$f\E":-?\d+[,}]/, "$k run: $f is an integer") }
        elsif ($t eq 'bool') { ok(JSON::PP::is_bool($v), "$k run: $f is a boolean") }
        elsif ($t eq 'obj') { is(ref $v, 'HASH', "$k run: $f is an object") }
        else { fail("$k run: $f should be null") }
    }
}

# a run whose job is large: GET moves only the fields it renders
{
    my $big = 'x' x 400_000;
    my $p = http_request('POST', "/v1/agents/$AGENT/messages/async", \%H, qq({"input":"$big"}));
    is($p->{status}, 200, 'POST a 400 kB input');
    my $id = eval { json_decode($p->{body})->{id} } // 'none';
    my $stat = sub { (redis('INFO', 'stats') =~ /^total_net_output_bytes:(\d+)/m)[0] };
    my $before = $stat->();
    my $g = http_request('GET', "/v1/runs/$id", \%H);
    my $sent = $stat->() - $before;
    is($g->{status}, 200, 'GET the run with the large job');
    ok($sent < 10_000, "Redis sent $sent bytes for it, not the job");
}

# malformed ids with awkward bytes: valid JSON, the id shown in the detail
for my $case (['%22', '"'], ['%5C', '\\'], ['%01', "\x01"], ['a%09b', "a\tb"], ['%C3%A9', undef], ['%FF%FE', undef],
              ['run-' . ('z' x 3000), 'run-' . ('z' x 3000)]) {
    my ($raw, $shown) = @$case;
    my $g = http_request('GET', "/v1/runs/$raw", \%H);
    is($g->{status}, 400, "malformed id $raw: 400");
    my $d = eval { json_decode($g->{body})->{detail} };
    ok(defined $d, "malformed id $raw: valid JSON") or diag($g->{body});
    like($d // '', qr/^INVALID_ARGUMENT: Invalid run ID format: .+\. Expected format: 'run-<uuid4>'$/s,
        "malformed id $raw: detail");
    is($d, "INVALID_ARGUMENT: Invalid run ID format: $shown. Expected format: 'run-<uuid4>'",
        "malformed id $raw: the id as sent") if defined $shown;
}
unlike(error_log(), qr/runtime error:|AddressSanitizer/, "no sanitizer report in error.log");
nginx_stop();

__DATA__

=== TEST 1: a created run (module fields only)
--- request
GET /v1/runs/run-50505050-0001-4001-8001-505050505050
--- response_headers
Content-Type: application/json
--- response_body: {"id":"run-50505050-0001-4001-8001-505050505050","status":"created","created_at":"2026-05-14T10:00:00.123456Z","completed_at":null,"agent_id":"agent-50505050-5050-4050-8050-505050505050","conversation_id":null,"base_template_id":null,"background":true,"metadata":{"run_type":"send_message_async","lettuce":null},"request_config":{"use_assistant_message":true,"assistant_message_tool_name":"send_message","assistant_message_tool_kwarg":"message","include_return_message_types":null},"stop_reason":null,"callback_url":null,"callback_sent_at":null,"callback_status_code":null,"callback_error":null,"ttft_ns":null,"total_duration_ns":null}
--- no_error_log
[error]



=== TEST 2: a completed run with every worker-written field; internal fields hidden
--- request
GET /v1/runs/run-50505050-0002-4002-9002-505050505050
--- response_body: {"id":"run-50505050-0002-4002-9002-505050505050","status":"completed","created_at":"2026-05-14T10:00:00.123456Z","completed_at":"2026-05-14T10:00:07.654321Z","agent_id":"agent-50505050-5050-4050-8050-505050505050","conversation_id":null,"base_template_id":null,"background":true,"metadata":{"run_type":"send_message_async","lettuce":null},"request_config":{"use_assistant_message":true,"assistant_message_tool_name":"send_message","assistant_message_tool_kwarg":"message","include_return_message_types":null},"stop_reason":"end_turn","callback_url":"https://example.test/hook","callback_sent_at":"2026-05-14T10:00:07.700000Z","callback_status_code":200,"callback_error":null,"ttft_ns":1234567,"total_duration_ns":9876543210}



=== TEST 3: a failed run: metadata.error, callback_error with quotes, integer 0 and -1
--- request
GET /v1/runs/run-50505050-0003-4003-a003-505050505050
--- response_body: {"id":"run-50505050-0003-4003-a003-505050505050","status":"failed","created_at":"2026-05-14T10:00:00.123456Z","completed_at":"2026-05-14T10:00:03.000001Z","agent_id":"agent-50505050-5050-4050-8050-505050505050","conversation_id":null,"base_template_id":null,"background":true,"metadata":{"run_type":"send_message_async","lettuce":null,"error":"LLM said \"no\"\nline 2"},"request_config":{"use_assistant_message":true,"assistant_message_tool_name":"send_message","assistant_message_tool_kwarg":"message","include_return_message_types":null},"stop_reason":"error","callback_url":"http://example.test/h","callback_sent_at":"2026-05-14T10:00:03.100000Z","callback_status_code":null,"callback_error":"Failed to dispatch callback for run x to http://example.test/h: ConnectError('refused \"q\"')","ttft_ns":-1,"total_duration_ns":0}



=== TEST 4: corrupt integer fields render null, background "0" is false, empty metadata null
--- request
GET /v1/runs/run-50505050-0004-4004-b004-505050505050
--- response_body: {"id":"run-50505050-0004-4004-b004-505050505050","status":"running","created_at":"2026-05-14T10:00:00.123456Z","completed_at":null,"agent_id":"agent-50505050-5050-4050-8050-505050505050","conversation_id":null,"base_template_id":null,"background":false,"metadata":null,"request_config":{"use_assistant_message":true,"assistant_message_tool_name":"send_message","assistant_message_tool_kwarg":"message","include_return_message_types":null},"stop_reason":null,"callback_url":null,"callback_sent_at":null,"callback_status_code":null,"callback_error":null,"ttft_ns":null,"total_duration_ns":null}



=== TEST 5: integers of more than 20 characters render null
--- request
GET /v1/runs/run-50505050-0008-4008-8008-505050505050
--- response_body_like: "status":"cancelled",.*"stop_reason":"cancelled",.*"callback_status_code":null,.*"total_duration_ns":null\}$



=== TEST 6: string fields are escaped; bytes that are not UTF-8 become U+FFFD
--- request
GET /v1/runs/run-50505050-0005-4005-8005-505050505050
--- response_body_like eval
qr/"stop_reason":"tab\\there","callback_url":"http:\/\/h\/\\u0001\\ufffd\\"\\\\","callback_sent_at":null,"callback_status_code":null,"callback_error":"caf\xc3\xa9 \xe2\x9c\x93",/



=== TEST 7: a run hash with almost nothing in it: absent fields are null
--- request
GET /v1/runs/run-50505050-0006-4006-8006-505050505050
--- response_body: {"id":"run-50505050-0006-4006-8006-505050505050","status":"created","created_at":null,"completed_at":null,"agent_id":"agent-50505050-5050-4050-8050-505050505050","conversation_id":null,"base_template_id":null,"background":null,"metadata":null,"request_config":null,"stop_reason":null,"callback_url":null,"callback_sent_at":null,"callback_status_code":null,"callback_error":null,"ttft_ns":null,"total_duration_ns":null}



=== TEST 8: unknown well-formed id: 404
--- request
GET /v1/runs/run-50505050-9999-4999-8999-505050505050
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body: {"detail":"Run not found with id=run-50505050-9999-4999-8999-505050505050"}



=== TEST 9: an id of the right form whose run hash is gone: 404
--- request
GET /v1/runs/run-50505050-0007-4007-8007-505050505050
--- error_code: 404
--- response_body: {"detail":"Run not found with id=run-50505050-0007-4007-8007-505050505050"}



=== TEST 10: run of another tenant: 404
--- more_headers
Authorization: Bearer token-other-51
--- request
GET /v1/runs/run-50505050-0002-4002-9002-505050505050
--- error_code: 404
--- response_body: {"detail":"Run not found with id=run-50505050-0002-4002-9002-505050505050"}



=== TEST 11: malformed id: 400 INVALID_ARGUMENT
--- request
GET /v1/runs/run-123
--- error_code: 400
--- response_headers
Content-Type: application/json
--- response_body: {"detail":"INVALID_ARGUMENT: Invalid run ID format: run-123. Expected format: 'run-<uuid4>'"}



=== TEST 12: malformed ids: no prefix, upper case, job- prefix, v1 uuid, one char too many
--- request eval
["GET /v1/runs/abc", "GET /v1/runs/run-50505050-0001-4001-8001-50505050505A", "GET /v1/runs/job-50505050-0001-4001-8001-505050505050",
 "GET /v1/runs/run-50505050-0001-1001-8001-505050505050", "GET /v1/runs/run-50505050-0001-4001-8001-5050505050500",
 "GET /v1/runs/RUN-50505050-0001-4001-8001-505050505050", "GET /v1/runs/run_50505050-0001-4001-8001-505050505050"]
--- error_code eval
[(400) x 7]
--- response_body eval
[map { qq({"detail":"INVALID_ARGUMENT: Invalid run ID format: $_. Expected format: 'run-<uuid4>'"}) }
 qw(abc run-50505050-0001-4001-8001-50505050505A job-50505050-0001-4001-8001-505050505050
    run-50505050-0001-1001-8001-505050505050 run-50505050-0001-4001-8001-5050505050500
    RUN-50505050-0001-4001-8001-505050505050 run_50505050-0001-4001-8001-505050505050)]



=== TEST 13: malformed id with a quote and non-ASCII bytes: still valid JSON
--- request
GET /v1/runs/x%22y%C3%A9
--- error_code: 400
--- response_body_like: ^\{"detail":"INVALID_ARGUMENT: Invalid run ID format: x\\u0022y[^"]*\. Expected format: 'run-<uuid4>'"\}$



=== TEST 14: without a token: 401 before the id is looked at
--- more_headers
X-Nothing: 1
--- request
GET /v1/runs/run-123
--- error_code: 401
--- response_body: {"detail":"Unauthorized"}



=== TEST 15: HEAD on a run: headers only
--- request
HEAD /v1/runs/run-50505050-0001-4001-8001-505050505050
--- response_headers
Content-Type: application/json
Content-Length: 635
--- response_body:



=== TEST 16: HEAD on an unknown run: 404 headers only
--- request
HEAD /v1/runs/run-50505050-9999-4999-8999-505050505050
--- error_code: 404
--- response_body:



=== TEST 17: a request body on GET is ignored
--- request
GET /v1/runs/run-50505050-0001-4001-8001-505050505050
{"ignored":true}
--- response_body_like: ^\{"id":"run-50505050-0001-4001-8001-505050505050","status":"created",



=== TEST 18: a run hash whose agent_id is no agent id: 404
--- init
main::seed();
t::AgentTest::redis('HSET', t::AgentTest::run_key("aa:", $main::RUN{created}), agent_id => 'not-an-agent}:run:x');
--- request
GET /v1/runs/run-50505050-0001-4001-8001-505050505050
--- error_code: 404
--- response_body: {"detail":"Run not found with id=run-50505050-0001-4001-8001-505050505050"}



=== TEST 19: run key of the wrong type: 503, logged
--- init
main::seed();
t::AgentTest::redis('DEL', t::AgentTest::run_key("aa:", $main::RUN{created}));
t::AgentTest::redis('RPUSH', t::AgentTest::run_key("aa:", $main::RUN{created}), 'x');
--- request
GET /v1/runs/run-50505050-0001-4001-8001-505050505050
--- error_code: 503
--- response_headers
Content-Type: application/json
!X-Should-Retry
--- response_body_like: ^\{"detail":"Service Unavailable: the run store
--- error_log
agent_async: redis error: WRONGTYPE



=== TEST 20: a run hash without agent_id: 404
--- init
main::seed();
t::AgentTest::redis('HDEL', t::AgentTest::run_key("aa:", $main::RUN{created}), 'agent_id');
--- request
GET /v1/runs/run-50505050-0001-4001-8001-505050505050
--- error_code: 404
--- response_body: {"detail":"Run not found with id=run-50505050-0001-4001-8001-505050505050"}



=== TEST 21: a GET is one plain command on the key the id gives: HMGET
--- log_level: debug
--- request
GET /v1/runs/run-50505050-0001-4001-8001-505050505050
--- response_body_like: ^\{"id":"run-50505050-0001-4001-8001-505050505050"
--- error_log eval
[qr/agent_async: run find "aa:\{6Mc\}:run:run-50505050-0001-4001-8001-505050505050"/,
 qr/agent_async redis send: HMGET\b/,
 qr/agent_async redis reply: array/]
--- no_error_log eval
[qr/\[error\]/, qr/agent_async redis send: (?!HMGET)/]



=== TEST 22: (the run of TEST 2) the internal fields are hidden
--- request
GET /v1/runs/run-50505050-0002-4002-9002-505050505050
--- response_body_unlike: tenant|lease|attempts|started_at|usage|"request"



=== TEST 23: (the run of TEST 5) cancel_requested is not shown
--- request
GET /v1/runs/run-50505050-0008-4008-8008-505050505050
--- response_body_unlike: cancel_requested

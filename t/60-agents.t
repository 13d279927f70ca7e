# POST /v1/agents/ and GET /v1/agents/{agent_id}: the AgentState answered,
# the agent hash stored (docs/redis-keys.md), validation failures.
#
# After the blocks, every POST block is replayed on an empty Redis: a 200
# must have stored exactly the agent hash and the tenant's two indexes,
# anything else nothing at all.
use lib '.';
use t::AgentTest 'no_plan';

our $TOKEN  = 'token-sixty-60';
our $TENANT = 'ten60';
our $KNOWN  = 'agent-60606060-6060-4060-8060-606060606060';
our $UUID   = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';
our $TS     = '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z';
our $LLM_NULL = '{"model":null,"model_endpoint_type":null,"model_endpoint":null,"context_window":null,"temperature":null,"max_tokens":null';

our $CONFIG = <<"EOF";
    location /v1/ { agent_async on; agent_async_token $TOKEN $TENANT; agent_async_token other-token-61 ten61; }
EOF

sub seed {
    my $r = \&t::AgentTest::redis;
    $r->('FLUSHALL');
    $r->('HSET', "aa:{$KNOWN}:agent", id => $KNOWN, tenant => $TENANT, state => qq({"id":"$KNOWN","name":"known"}));
}

# The AgentState a create answers, anchored; the default name is checked
# against the id.  Arguments are raw JSON texts.
sub agent_re {
    my %o = (name => undef, description => 'null', system => '""', model => 'null',
             llm => $LLM_NULL, handle => 'null', tags => '[]', metadata => 'null',
             blocks => '', @_);
    my $name = defined $o{name} ? quotemeta($o{name}) : '"agent-\1"';
    my $re = '^\{"id":"agent-([0-9a-f]{8})-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",'
           . '"name":' . $name . ',"description":' . quotemeta($o{description})
           . ',"system":' . quotemeta($o{system}) . ',"agent_type":"letta_v1_agent",'
           . '"model":' . quotemeta($o{model}) . ',"llm_config":' . quotemeta($o{llm})
           . ',"handle":' . quotemeta($o{handle}) . '\},"embedding_config":null,'
           . '"tags":' . quotemeta($o{tags}) . ',"metadata":' . quotemeta($o{metadata})
           . ',"tools":\[\],"tool_rules":\[\],"memory":\{"blocks":\[' . $o{blocks}
           . '\]\},"message_ids":\[\],'
           . '"project_id":null,"created_at":"(' . $TS . ')","updated_at":"\2",'
           . '"last_run_completion":null,"last_run_duration_ms":null,"last_stop_reason":null\}$';
    return qr/$re/;
}

sub defaults {
    my $b = shift;
    $b->set_value(config => $CONFIG) unless defined scalar $b->config;
    $b->set_value(init => 'main::seed();') unless defined scalar $b->init;
    $b->set_value(more_headers => "Authorization: Bearer $TOKEN") unless defined scalar $b->more_headers;
}

t::AgentTest::default_http_config('agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;');
add_block_preprocessor(\&defaults);
run_tests();

# ---------------------------------------------------------------------------
# Replay of every POST block: what was stored
# ---------------------------------------------------------------------------

sub us_to_ts {
    my $us = shift;
    my @t = gmtime(int($us / 1000000));
    return sprintf('%04d-%02d-%02dT%02d:%02d:%02d.%06dZ', $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0], $us % 1000000);
}

nginx_start(config => $CONFIG);
for my $block (blocks()) {
    defaults($block);
    my $req = scalar $block->request;
    $req = $req->[0] if ref $req;
    next unless defined $req && $req =~ m{^\s*POST /v1/agents/?\s*\n?};
    my $name = 'replay ' . $block->name;
    redis('FLUSHALL');
    my $raw = Test::Nginx::SocketLite::build_request($req, scalar $block->more_headers);
    my $x = Test::Nginx::SocketLite::http_exchange($raw, timeout => 5);
    my $buf = $x->{raw} // '';
    my $res = Test::Nginx::SocketLite::parse_response(\$buf) or do { fail("$name: answered"); next };
    my $code = scalar $block->error_code;
    $code = $code->[0] if ref $code;
    $code = 200 unless defined $code && $code =~ /\S/;
    is($res->{status}, $code, "$name: status");

    if ($res->{status} != 200) {
        is(redis('DBSIZE'), 0, "$name: nothing stored");
        next;
    }

    my $st = json_decode($res->{body});
    my $id = $st->{id};
    is_deeply([sort @{ redis('KEYS', '*') }],
              [sort("aa:{$id}:agent", "aa:tenant:$TENANT:agents", "aa:tenant:$TENANT:agent_names",
                    'aa:tenants')],
        "$name: exactly the agent hash, the tenant's indexes and Ptenants");
    is_deeply(redis('SMEMBERS', 'aa:tenants'), [$TENANT], "$name: the tenant in Ptenants");
    my %h = @{ redis('HGETALL', "aa:{$id}:agent") };
    is_deeply([sort keys %h], [sort qw(id tenant created_at name system llm state)], "$name: agent hash fields");
    is($h{id}, $id, "$name: hash id");
    is($h{tenant}, $TENANT, "$name: hash tenant");
    is($h{created_at}, $st->{created_at}, "$name: hash created_at = answer");
    my $name_raw = $h{name};
    utf8::decode($name_raw);
    is($name_raw, $st->{name}, "$name: hash name = state.name, raw text");
    (my $stored = $res->{body}) =~ s/,"last_run_completion":null,"last_run_duration_ms":null,"last_stop_reason":null\}$/}/;
    is($h{state}, $stored, "$name: hash state is the answer without the run metrics, byte for byte");
    my $member = "$h{name}\x00" . sprintf('%020d', redis('ZSCORE', "aa:tenant:$TENANT:agents", $id)) . "\x00$id";
    is_deeply(redis('ZRANGE', "aa:tenant:$TENANT:agent_names", 0, -1), [$member],
        "$name: in the name index, under its name");
    my $sys = $h{system};
    utf8::decode($sys);
    is($sys, $st->{system}, "$name: hash system = state.system, raw text");
    my $llm = eval { json_decode($h{llm}) };
    ok($llm, "$name: hash llm is JSON") or next;
    my %want = %{ $st->{llm_config} };
    delete $want{handle};
    is_deeply($llm, \%want, "$name: hash llm = llm_config without handle");
    my $score = redis('ZSCORE', "aa:tenant:$TENANT:agents", $id);
    ok(defined $score, "$name: in the tenant's agents zset");
    is(us_to_ts($score), $st->{created_at}, "$name: zset score is created_at in µs");

    # and GET serves it back, byte for byte, to its tenant only
    my $g = http_request('GET', "/v1/agents/$id", { Authorization => "Bearer $TOKEN" });
    is($g->{status}, 200, "$name: GET it");
    is($g->{body}, $res->{body}, "$name: GET answers what POST answered");
    $g = http_request('GET', "/v1/agents/$id", { Authorization => 'Bearer other-token-61' });
    is($g->{status}, 404, "$name: another tenant gets 404");
}

# a created agent can receive messages
redis('FLUSHALL');
my $r = http_request('POST', '/v1/agents/', { Authorization => "Bearer $TOKEN" }, '{"name":"worker-fodder"}');
my $id = eval { json_decode($r->{body})->{id} } // 'none';
$r = http_request('POST', "/v1/agents/$id/messages/async", { Authorization => "Bearer $TOKEN" }, '{"input":"hi"}');
is($r->{status}, 200, 'a new agent accepts messages');
like($r->{body}, qr/"agent_id":"\Q$id\E"/, 'the run is for the new agent');

# ids are unique
my %seen;
for (1 .. 20) {
    $r = http_request('POST', '/v1/agents', { Authorization => "Bearer $TOKEN" }, '{}');
    $seen{ eval { json_decode($r->{body})->{id} } // 'bad' }++;
}
is(scalar(grep { /^agent-$UUID$/ } keys %seen), 20, '20 creates: 20 distinct agent ids');
unlike(error_log(), qr/runtime error:|AddressSanitizer/, "no sanitizer report in error.log");
nginx_stop();

__DATA__

=== TEST 1: POST {}: a complete AgentState with defaults
--- request
POST /v1/agents/
{}
--- response_headers
Content-Type: application/json
--- response_body_like eval
main::agent_re()
--- no_error_log
[error]



=== TEST 2: name, description, system, model handle, tags, metadata honoured
--- request
POST /v1/agents/
{"name":"Ada","description":"first","system":"You are Ada.\nBe \"brief\".","model":"openai/gpt-4o-mini","tags":["x","y"],"metadata":{"team":"core","n":[1,{"k":null}]}}
--- response_body_like eval
main::agent_re(name => '"Ada"', description => '"first"', system => '"You are Ada.\nBe \"brief\"."',
    model => '"openai/gpt-4o-mini"', llm => '{"model":"gpt-4o-mini","model_endpoint_type":"openai","model_endpoint":null,"context_window":null,"temperature":null,"max_tokens":null',
    handle => '"openai/gpt-4o-mini"', tags => '["x","y"]', metadata => '{"team":"core","n":[1,{"k":null}]}')



=== TEST 3: llm_config honoured (lax integers), handle built from it
--- request
POST /v1/agents/
{"llm_config":{"model":"llama3","model_endpoint_type":"ollama","model_endpoint":"http://127.0.0.1:11434","context_window":8192,"temperature":0.7,"max_tokens":"256"}}
--- response_body_like eval
main::agent_re(model => '"ollama/llama3"', handle => '"ollama/llama3"',
    llm => '{"model":"llama3","model_endpoint_type":"ollama","model_endpoint":"http://127.0.0.1:11434","context_window":8192,"temperature":0.7,"max_tokens":256')



=== TEST 4: model handle and llm_config together: llm_config wins inside llm_config, the handle stays the model
--- request
POST /v1/agents
{"model":"anthropic/claude-x","llm_config":{"model":"claude-x-2026","temperature":0,"context_window":1}}
--- response_body_like eval
main::agent_re(model => '"anthropic/claude-x"', handle => '"anthropic/claude-x"',
    llm => '{"model":"claude-x-2026","model_endpoint_type":"anthropic","model_endpoint":null,"context_window":1,"temperature":0,"max_tokens":null')



=== TEST 5: null fields count as absent; unknown fields are ignored; memory blocks kept
--- request
POST /v1/agents/
{"name":null,"description":null,"system":null,"model":null,"llm_config":null,"tags":null,"metadata":null,"embedding":"openai/text-embedding-3-small","tools":["web_search"],"memory_blocks":[{"label":"human","value":"x"}]}
--- response_body_like eval
main::agent_re(blocks => '\{"id":"block-[0-9a-f-]{36}","label":"human","value":"x","limit":100000,"description":null,"read_only":false\}')



=== TEST 6: UTF-8 in name and system
--- request eval
qq(POST /v1/agents/\n{"name":"\xc3\x89mile \xf0\x9f\xa4\x96","system":"\\u00e9t\xc3\xa9"})
--- response_body_like eval
main::agent_re(name => qq("\xc3\x89mile \xf0\x9f\xa4\x96"), system => qq("\xc3\xa9t\xc3\xa9"))



=== TEST 7: name not a string
--- request
POST /v1/agents/
{"name":5}
--- error_code: 422
--- response_body: {"detail":[{"type":"string_type","loc":["body","name"],"msg":"Input should be a valid string","input":5}]}



=== TEST 8: llm_config.context_window negative
--- request
POST /v1/agents/
{"llm_config":{"context_window":-1}}
--- error_code: 422
--- response_body: {"detail":[{"type":"greater_than_equal","loc":["body","llm_config","context_window"],"msg":"Input should be greater than or equal to 1","input":-1}]}



=== TEST 9: llm_config.context_window 0, "abc", 1.5
--- request eval
["POST /v1/agents/\n{\"llm_config\":{\"context_window\":0}}", "POST /v1/agents/\n{\"llm_config\":{\"context_window\":\"abc\"}}", "POST /v1/agents/\n{\"llm_config\":{\"context_window\":1.5}}"]
--- error_code eval
[422, 422, 422]
--- response_body eval
['{"detail":[{"type":"greater_than_equal","loc":["body","llm_config","context_window"],"msg":"Input should be greater than or equal to 1","input":0}]}',
 '{"detail":[{"type":"int_parsing","loc":["body","llm_config","context_window"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"abc"}]}',
 '{"detail":[{"type":"int_from_float","loc":["body","llm_config","context_window"],"msg":"Input should be a valid integer, got a number with a fractional part","input":1.5}]}']



=== TEST 10: tags not a list
--- request
POST /v1/agents/
{"tags":"a,b"}
--- error_code: 422
--- response_body: {"detail":[{"type":"list_type","loc":["body","tags"],"msg":"Input should be a valid list","input":"a,b"}]}



=== TEST 11: tags with a non-string item
--- request
POST /v1/agents/
{"tags":["a",2,null]}
--- error_code: 422
--- response_body: {"detail":[{"type":"string_type","loc":["body","tags",1],"msg":"Input should be a valid string","input":2},{"type":"string_type","loc":["body","tags",2],"msg":"Input should be a valid string","input":null}]}



=== TEST 12: metadata not an object
--- request
POST /v1/agents/
{"metadata":["a"]}
--- error_code: 422
--- response_body: {"detail":[{"type":"dict_type","loc":["body","metadata"],"msg":"Input should be a valid dictionary","input":["a"]}]}



=== TEST 13: model not a handle
--- request eval
["POST /v1/agents/\n{\"model\":\"gpt-4o\"}", "POST /v1/agents/\n{\"model\":\"/gpt-4o\"}", "POST /v1/agents/\n{\"model\":\"openai/\"}", "POST /v1/agents/\n{\"model\":5}"]
--- error_code eval
[422, 422, 422, 422]
--- response_body eval
['{"detail":[{"type":"value_error","loc":["body","model"],"msg":"Value error, model must be a handle of the form \'provider/model\'","input":"gpt-4o"}]}',
 '{"detail":[{"type":"value_error","loc":["body","model"],"msg":"Value error, model must be a handle of the form \'provider/model\'","input":"/gpt-4o"}]}',
 '{"detail":[{"type":"value_error","loc":["body","model"],"msg":"Value error, model must be a handle of the form \'provider/model\'","input":"openai/"}]}',
 '{"detail":[{"type":"string_type","loc":["body","model"],"msg":"Input should be a valid string","input":5}]}']



=== TEST 14: llm_config not an object
--- request
POST /v1/agents/
{"llm_config":"openai/gpt-4o"}
--- error_code: 422
--- response_body: {"detail":[{"type":"model_attributes_type","loc":["body","llm_config"],"msg":"Input should be a valid dictionary or object to extract fields from","input":"openai/gpt-4o"}]}



=== TEST 15: llm_config.temperature out of range, not a number
--- request eval
["POST /v1/agents/\n{\"llm_config\":{\"temperature\":2.5}}", "POST /v1/agents/\n{\"llm_config\":{\"temperature\":-0.1}}", "POST /v1/agents/\n{\"llm_config\":{\"temperature\":\"0.5\"}}"]
--- error_code eval
[422, 422, 422]
--- response_body eval
['{"detail":[{"type":"less_than_equal","loc":["body","llm_config","temperature"],"msg":"Input should be less than or equal to 2","input":2.5}]}',
 '{"detail":[{"type":"greater_than_equal","loc":["body","llm_config","temperature"],"msg":"Input should be greater than or equal to 0","input":-0.1}]}',
 '{"detail":[{"type":"float_type","loc":["body","llm_config","temperature"],"msg":"Input should be a valid number","input":"0.5"}]}']



=== TEST 16: llm_config.model_endpoint not an http(s) URL; max_tokens 0
--- request
POST /v1/agents/
{"llm_config":{"model_endpoint":"ftp://x","max_tokens":0}}
--- error_code: 422
--- response_body: {"detail":[{"type":"url_scheme","loc":["body","llm_config","model_endpoint"],"msg":"URL scheme should be 'http' or 'https'","input":"ftp://x"},{"type":"greater_than_equal","loc":["body","llm_config","max_tokens"],"msg":"Input should be greater than or equal to 1","input":0}]}



=== TEST 17: system, description of the wrong type
--- request
POST /v1/agents/
{"system":["a"],"description":false}
--- error_code: 422
--- response_body: {"detail":[{"type":"string_type","loc":["body","description"],"msg":"Input should be a valid string","input":false},{"type":"string_type","loc":["body","system"],"msg":"Input should be a valid string","input":["a"]}]}



=== TEST 18: empty body
--- request
POST /v1/agents/
--- error_code: 422
--- response_body: {"detail":[{"type":"missing","loc":["body"],"msg":"Field required"}]}



=== TEST 19: not JSON
--- request
POST /v1/agents/
name=x
--- error_code: 422
--- response_body_like: ^\{"detail":\[\{"type":"json_invalid","loc":\["body"\],"msg":"JSON decode error","ctx":\{"error":"[^"]+"\}\}\]\}$



=== TEST 20: JSON array
--- request
POST /v1/agents/
[]
--- error_code: 422
--- response_body: {"detail":[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","input":[]}]}



=== TEST 21: nesting bomb
--- request eval
"POST /v1/agents/\n" . ("[" x 50000)
--- error_code: 422
--- response_body: {"detail":[{"type":"json_invalid","loc":["body"],"msg":"JSON decode error","ctx":{"error":"nesting too deep"}}]}



=== TEST 22: invalid UTF-8
--- request eval
"POST /v1/agents/\n{\"name\":\"\xff\xfe\"}"
--- error_code: 422
--- response_body_like: ^\{"detail":\[\{"type":"json_invalid","loc":\["body"\],"msg":"JSON decode error","ctx":\{"error":"[^"]*(UTF-?8|utf-?8)[^"]*"\}\}\]\}$



=== TEST 23: GET a known agent: its stored state
--- request
GET /v1/agents/agent-60606060-6060-4060-8060-606060606060
--- response_headers
Content-Type: application/json
--- response_body: {"id":"agent-60606060-6060-4060-8060-606060606060","name":"known","last_run_completion":null,"last_run_duration_ms":null,"last_stop_reason":null}



=== TEST 24: GET an unknown agent: 404
--- request
GET /v1/agents/agent-60606060-0000-4000-8000-000000000000
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body: {"detail":"Agent not found"}



=== TEST 25: GET with a malformed id: 422 with examples
--- request
GET /v1/agents/agent-60606060
--- error_code: 422
--- response_body: {"detail":[{"type":"string_pattern_mismatch","loc":["path","agent_id"],"msg":"String should match pattern 'agent-{uuid4}'","input":"agent-60606060","ctx":{"pattern":"^agent-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"}}],"examples":["agent-123e4567-e89b-42d3-8456-426614174000"]}



=== TEST 26: GET with malformed ids: run id, upper case, quote
--- request eval
["GET /v1/agents/run-60606060-6060-4060-8060-606060606060", "GET /v1/agents/agent-60606060-6060-4060-8060-60606060606F", "GET /v1/agents/a%22b"]
--- error_code eval
[422, 422, 422]
--- response_body_like eval
[qr/"input":"run-60606060-6060-4060-8060-606060606060".*"examples":\["agent-123e4567-e89b-42d3-8456-426614174000"\]\}$/,
 qr/"input":"agent-60606060-6060-4060-8060-60606060606F"/, qr/"input":"a\\u0022b"/]



=== TEST 27: GET an agent of another tenant: 404
--- more_headers
Authorization: Bearer other-token-61
--- request
GET /v1/agents/agent-60606060-6060-4060-8060-606060606060
--- error_code: 404
--- response_body: {"detail":"Agent not found"}



=== TEST 28: GET an agent hash without state (half-written): 404, not a crash
--- init
main::seed();
t::AgentTest::redis('HDEL', "aa:{$main::KNOWN}:agent", 'state');
--- request
GET /v1/agents/agent-60606060-6060-4060-8060-606060606060
--- error_code: 404
--- response_body: {"detail":"Agent not found"}



=== TEST 29: GET when the key is not a hash: 503, logged
--- init
main::seed();
t::AgentTest::redis('DEL', "aa:{$main::KNOWN}:agent");
t::AgentTest::redis('SET', "aa:{$main::KNOWN}:agent", 'garbage');
--- request
GET /v1/agents/agent-60606060-6060-4060-8060-606060606060
--- error_code: 503
--- response_body_like: ^\{"detail":"Service Unavailable
--- error_log
WRONGTYPE

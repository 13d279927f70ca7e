# POST /v1/agents/{agent_id}/messages/async: the Run answered, the Redis
# state it creates (docs/redis-keys.md), and every validation failure.
#
# The blocks check the HTTP answers.  After them, every block is replayed
# against a fresh Redis: a 200 must have written exactly the keys of the
# contract (and the job its init expects in $main::JOB), anything else must
# have written nothing at all.
use lib '.';
use t::AgentTest 'no_plan';
use Time::Local qw(timegm);

our $AGENT  = 'agent-40404040-4040-4040-8040-404040404040';
our $OTHER  = 'agent-40404040-0000-4000-8000-000000000000';    # well-formed, never created
our $TOKEN  = 'token-forty-40';
our $TENANT = 'ten40';
our $UUID   = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';
our $TS     = '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z';
our $RC     = '{"use_assistant_message":true,"assistant_message_tool_name":"send_message",'
            . '"assistant_message_tool_kwarg":"message","include_return_message_types":null}';
our $JOB;    # the job a block expects, set by its init (see job())

our $CONFIG = <<"EOF";
    location /v1/ { agent_async on; agent_async_token $TOKEN $TENANT; }
EOF

sub seed {
    my $r = \&t::AgentTest::redis;
    $r->('FLUSHALL');
    $r->('HSET', "aa:{$AGENT}:agent", id => $AGENT, tenant => $TENANT, state => qq({"id":"$AGENT"}));
    $r->('ZADD', "aa:tenant:$TENANT:agents", 1, $AGENT);
    undef $JOB;
}

# job('<messages JSON>', max_steps => 10, ...): the expected job, as JSON text.
# An otid of "*" stands for a generated UUID4.
sub job {
    my ($messages, %o) = @_;
    my %j = (max_steps => 50, override_model => 'null', override_system => 'null',
             include_compaction_messages => 'false', include_return_message_types => 'null', %o);
    return qq({"messages":$messages,"max_steps":$j{max_steps},"override_model":$j{override_model},)
         . qq("override_system":$j{override_system},"include_compaction_messages":$j{include_compaction_messages},)
         . qq("include_return_message_types":$j{include_return_message_types}});
}

# The complete Run a create answers, as an anchored regex.
sub run_re {
    my %o = (lettuce => 'null', callback => 'null', rc => $RC, @_);
    my $re = '^\{"id":"run-' . $UUID . '","status":"created","created_at":"' . $TS . '",'
           . '"completed_at":null,"agent_id":"' . $AGENT . '","conversation_id":null,'
           . '"base_template_id":null,"background":true,'
           . '"metadata":\{"run_type":"send_message_async","lettuce":' . $o{lettuce} . '\},'
           . '"request_config":' . quotemeta($o{rc}) . ',"stop_reason":null,'
           . '"callback_url":' . quotemeta($o{callback}) . ',"callback_sent_at":null,'
           . '"callback_status_code":null,"callback_error":null,"ttft_ns":null,'
           . '"total_duration_ns":null\}$';
    return qr/$re/;
}

sub defaults {
    my $b = shift;
    $b->set_value(config => $CONFIG) unless defined scalar $b->config;
    $b->set_value(init => 'main::seed();') unless defined scalar $b->init;
    my $more = scalar $b->more_headers;
    $more = '' unless defined $more;
    $b->set_value(more_headers => "Authorization: Bearer $TOKEN\nContent-Type: application/json\n$more")
        unless $more =~ /^Authorization:/m;
}

t::AgentTest::default_http_config('agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;');
add_block_preprocessor(\&defaults);
no_shuffle();
run_tests();

# ---------------------------------------------------------------------------
# Replay: Redis state of every block
# ---------------------------------------------------------------------------

sub depth {
    my $v = shift;
    return 1 + (sort { $b <=> $a } 0, map { depth($_) } @$v)[0] if ref $v eq 'ARRAY';
    return 1 + (sort { $b <=> $a } 0, map { depth($_) } values %$v)[0] if ref $v eq 'HASH';
    return 0;
}

sub sorted_keys { [sort @{ redis('KEYS', '*') }] }

sub us_to_ts {
    my $us = shift;
    my @t = gmtime(int($us / 1000000));
    return sprintf('%04d-%02d-%02dT%02d:%02d:%02d.%06dZ', $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0], $us % 1000000);
}

# Checks the Redis state a successful create must leave (seeded agent, empty
# queue before).  $before: the keys before the request.
sub check_created {
    my ($name, $run, $before, $body) = @_;
    my $R = $run->{id};
    my $rk = run_key("aa:", $R);
    my @new = ($rk, "aa:{$AGENT}:queue", "aa:{$AGENT}:runs", "aa:tenant:$TENANT:runs",
               "aa:tenant:$TENANT:active", 'aa:ready');
    # a body giving every message an otid names its run (docs/idempotency.md)
    my $in = eval { json_decode($body // '') };
    my $msgs = ref $in eq 'HASH' && ref $in->{messages} eq 'ARRAY' ? $in->{messages} : [];
    if (@$msgs && !grep { !(ref $_ eq 'HASH' && defined $_->{otid} && !ref $_->{otid} && length $_->{otid}
                            && $_->{otid} !~ /\n/) } @$msgs) {
        my ($otids) = grep { m{^aa:\{\Q$AGENT\E\}:otids:[0-9a-f]{40}$} } @{ sorted_keys() };
        ok(defined $otids, "$name: every message has an otid: the otids record");
        like(redis('GET', $otids // ''), qr/^\Q$R\E [0-9a-f]{40}$/, "$name: naming the run");
        push @new, $otids // ();
    }
    is_deeply(sorted_keys(), [sort(@$before, @new)], "$name: exactly the contract's keys were created");

    my %h = @{ redis('HGETALL', $rk) };
    my @fields = qw(id agent_id tenant status created_at created_us background metadata request_config request);
    push @fields, 'callback_url' if defined $run->{callback_url};
    is_deeply([sort keys %h], [sort @fields], "$name: run hash fields");
    is($h{id}, $R, "$name: hash id");
    is($h{agent_id}, $AGENT, "$name: hash agent_id");
    is($h{tenant}, $TENANT, "$name: hash tenant");
    is($h{status}, 'created', "$name: hash status");
    is($h{created_at}, $run->{created_at}, "$name: hash created_at = answer");
    like($h{created_us}, qr/^\d{16}$/, "$name: created_us is integer µs");
    is(us_to_ts($h{created_us}), $h{created_at}, "$name: created_us and created_at agree");
    ok(abs($h{created_us} / 1e6 - time) < 30, "$name: created_at is now");
    is($h{background}, '1', "$name: hash background");
    is_deeply(json_decode($h{metadata}), $run->{metadata}, "$name: hash metadata = answer");
    is_deeply(json_decode($h{request_config}), $run->{request_config}, "$name: hash request_config = answer");
    is($h{callback_url}, $run->{callback_url}, "$name: hash callback_url = answer");

    my $job = eval { json_decode($h{request}) };
    ok($job, "$name: request is JSON") or return;
    ok(depth($job) <= 64, "$name: the job nests at most 64 levels (what the worker's parser takes)");
    is_deeply([sort keys %$job],
        [sort qw(messages max_steps override_model override_system include_compaction_messages include_return_message_types)],
        "$name: job keys");
    for my $i (0 .. $#{ $job->{messages} || [] }) {
        my $m = $job->{messages}[$i];
        like($m->{type}, qr/^(message|approval|tool_return)$/, "$name: job message $i has a type");
        ok(defined $m->{otid} && !ref $m->{otid} && length $m->{otid}, "$name: job message $i has an otid");
    }
    if (defined $JOB) {
        my $want = json_decode($JOB);
        for my $i (0 .. $#{ $want->{messages} }) {
            next unless ($want->{messages}[$i]{otid} // '') eq '*';
            like($job->{messages}[$i]{otid} // '', qr/^$UUID$/, "$name: job message $i: otid is a fresh UUID4");
            $job->{messages}[$i]{otid} = '*';
        }
        is_deeply($job, $want, "$name: job is the normalised request") or diag($h{request});
    }

    is_deeply(redis('LRANGE', "aa:{$AGENT}:queue", 0, -1), [$R], "$name: queued");
    is(redis('ZSCORE', "aa:{$AGENT}:runs", $R), $h{created_us}, "$name: agent runs zset, score created_us");
    is(redis('ZSCORE', "aa:tenant:$TENANT:runs", "$AGENT/$R"), $h{created_us}, "$name: tenant runs zset, A/R, score created_us");
    is(redis('ZSCORE', "aa:tenant:$TENANT:active", "$AGENT/$R"), $h{created_us}, "$name: tenant active zset, A/R, score created_us");
    is(AgentAsync::Keys::run_slot($R), AgentAsync::Keys::slot($AGENT), "$name: the run id carries its agent's slot");
    is_deeply(redis('LRANGE', 'aa:ready', 0, -1), [$AGENT], "$name: agent made ready");
}

my $started = '';
sub ensure_nginx {
    my $b = shift;
    my $key = join "\0", map { scalar($b->$_) // '' } qw(config http_config);
    return if $key eq $started;
    nginx_start(config => scalar $b->config, http_config => scalar $b->http_config);
    $started = $key;
}

for my $block (blocks()) {
    defaults($block);
    my $name = 'replay ' . $block->name;
    local $JOB;
    eval('package main; no strict; ' . $block->init . '; 1') or die "$name: init: $@";
    my $before = sorted_keys();
    ensure_nginx($block);

    my ($raw, $req);
    if (defined($raw = scalar $block->raw_request)) {
        $raw = $raw->[0] if ref $raw;
    } else {
        $req = scalar $block->request;
        $req = $req->[0] if ref $req;
        $raw = Test::Nginx::SocketLite::build_request($req, scalar $block->more_headers);
    }
    my $x = Test::Nginx::SocketLite::http_exchange($raw, timeout => 5);
    my $buf = $x->{raw} // '';
    my $res = Test::Nginx::SocketLite::parse_response(\$buf);
    ok($res, "$name: answered") or next;
    my $code = scalar $block->error_code;
    $code = ref $code ? $code->[0] : $code;
    $code = 200 unless defined $code && $code =~ /\S/;
    is($res->{status}, $code, "$name: status");

    if ($res->{status} == 200) {
        my $run = eval { json_decode($res->{body}) };
        ok($run, "$name: JSON Run") or next;
        my $text = ref $raw ? join('', map { ref $_ ? $_->{value} : $_ } @$raw) : $raw;
        check_created($name, $run, $before, $text =~ /\r\n\r\n(.*)\z/s ? $1 : undef);
    } else {
        is_deeply(sorted_keys(), $before, "$name: no key created or changed");
        is(redis('LLEN', 'aa:ready'), 0, "$name: nothing made ready");
    }
}
unlike(error_log(), qr/runtime error:|AddressSanitizer/, "no sanitizer report in error.log");
nginx_stop();
$started = '';

# ---------------------------------------------------------------------------
# Queue and ready-list semantics across several requests
# ---------------------------------------------------------------------------

my %H = (Authorization => "Bearer $TOKEN", 'Content-Type' => 'application/json');
sub post { http_request('POST', "/v1/agents/$_[0]/messages/async", \%H, $_[1] // '{"input":"x"}') }
sub id_of { my $r = shift; ($r->{status} // 0) == 200 ? json_decode($r->{body})->{id} : "(status $r->{status})" }

seed();
nginx_start(config => $CONFIG);

# two runs of one agent: queued in order, the agent is ready once
my $r1 = id_of(post($AGENT));
my $r2 = id_of(post($AGENT));
isnt($r1, $r2, 'two runs have two ids');
is_deeply(redis('LRANGE', "aa:{$AGENT}:queue", 0, -1), [$r1, $r2], 'queue holds both runs, oldest first');
is_deeply(redis('LRANGE', 'aa:ready', 0, -1), [$AGENT], 'agent pushed to ready only when its queue was empty');
is_deeply(redis('ZRANGE', "aa:{$AGENT}:runs", 0, -1), [$r1, $r2], 'agent runs zset in creation order');
is_deeply(redis('ZRANGE', "aa:tenant:$TENANT:runs", 0, -1), ["$AGENT/$r1", "$AGENT/$r2"], 'tenant runs zset in creation order');
ok(redis('ZSCORE', "aa:{$AGENT}:runs", $r1) < redis('ZSCORE', "aa:{$AGENT}:runs", $r2), 'creation µs increase');

# an agent held by a worker (queue non-empty, not in ready): not pushed again
seed();
redis('RPUSH', "aa:{$AGENT}:queue", 'run-held');
redis('RPUSH', 'aa:processing:w1', $AGENT);
my $r3 = id_of(post($AGENT));
is_deeply(redis('LRANGE', "aa:{$AGENT}:queue", 0, -1), ['run-held', $r3], 'held agent: run appended to its queue');
is(redis('LLEN', 'aa:ready'), 0, 'held agent: not pushed to ready');
is_deeply(redis('LRANGE', 'aa:processing:w1', 0, -1), [$AGENT], 'held agent: processing list untouched');

# two agents: both ready, the newest at the head (LPUSH; workers take from the right)
seed();
my $B = 'agent-40404040-bbbb-4bbb-bbbb-404040404040';
redis('HSET', "aa:{$B}:agent", id => $B, tenant => $TENANT);
id_of(post($AGENT));
id_of(post($B));
is_deeply(redis('LRANGE', 'aa:ready', 0, -1), [$B, $AGENT], 'two agents: LPUSHed in order');

# one tenant's run index is not touched by another tenant's agent
is(redis('EXISTS', 'aa:tenant:default:runs'), 0, 'no default-tenant index');

# the deep error list is capped at 32 items
seed();
my $many = '{"messages":[' . join(',', map { '{"role":"bad","content":"x"}' } 1 .. 40) . ']}';
my $res = post($AGENT, $many);
is($res->{status}, 422, '40 bad messages: 422');
my $d = eval { json_decode($res->{body})->{detail} } || [];
is(scalar @$d, 32, '40 bad messages: 32 errors listed');
is_deeply($d->[31]{loc}, ['body', 'messages', 31, 'role'], '40 bad messages: the 32nd is messages/31/role');
is(redis('DBSIZE'), 2, '40 bad messages: nothing written');

# every generated otid and run id is different
seed();
my (%ids, %otids);
for (1 .. 20) {
    my $id = id_of(post($AGENT, '{"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]}'));
    $ids{$id}++;
    my $job = json_decode(redis('HGET', run_key("aa:", $id), 'request'));
    $otids{ $_->{otid} }++ for @{ $job->{messages} };
}
is(scalar keys %ids, 20, '20 creates: 20 distinct run ids');
is(scalar keys %otids, 40, '20 creates: 40 distinct generated otids');
is(redis('LLEN', "aa:{$AGENT}:queue"), 20, '20 creates: 20 queued');
is(redis('LLEN', 'aa:ready'), 1, '20 creates: agent ready once');

# ---------------------------------------------------------------------------
# Keys of the wrong type: 503, and nothing half-written
# ---------------------------------------------------------------------------

seed();
redis('DEL', "aa:{$AGENT}:agent");
redis('SET', "aa:{$AGENT}:agent", 'not-a-hash');
$res = post($AGENT);
is($res->{status}, 503, 'agent key of the wrong type: 503');
is($res->{headers}{'x-should-retry'}, 'false', 'agent key of the wrong type: x-should-retry: false');
like($res->{body}, qr/^\{"detail":"Service Unavailable/, 'agent key of the wrong type: JSON detail');
is_deeply(sorted_keys(), [sort("aa:{$AGENT}:agent", "aa:tenant:$TENANT:agents")], 'agent key of the wrong type: nothing written');
like(error_log(), qr/agent_async: redis error: WRONGTYPE/, 'agent key of the wrong type: logged');

seed();
redis('SET', "aa:{$AGENT}:queue", 'not-a-list');
$res = post($AGENT);
is($res->{status}, 503, 'queue key of the wrong type: 503');
is($res->{headers}{'x-should-retry'}, 'false', 'queue key of the wrong type: x-should-retry: false');
is_deeply(sorted_keys(), [sort("aa:{$AGENT}:agent", "aa:{$AGENT}:queue", "aa:tenant:$TENANT:agents")],
    'queue key of the wrong type: no run hash or zset entry left behind');
for my $k ("aa:{$AGENT}:runs", "aa:tenant:$TENANT:runs", "aa:tenant:$TENANT:active", 'aa:ready') {
    seed();
    redis('SET', $k, 'wrong-type');
    $res = post($AGENT);
    is($res->{status}, 503, "$k of the wrong type: 503");
    is_deeply(sorted_keys(), [sort("aa:{$AGENT}:agent", $k, "aa:tenant:$TENANT:agents")],
        "$k of the wrong type: nothing written");
}

# ---------------------------------------------------------------------------
# Surrogate escapes: a pair is one character, a lone one is refused (yajl
# would quietly store "?").
# ---------------------------------------------------------------------------

for my $lone (q(a\ud800b), q(a\udc00b), q(a\ud800\u0041), q(a\uD800)) {
    seed();
    my $res = post($AGENT, qq({"input":"$lone"}));
    is($res->{status}, 422, "lone surrogate escape $lone: 422");
    like($res->{body}, qr/"type":"json_invalid".*lone surrogate escape/, "lone surrogate escape $lone: says why");
    is(redis('DBSIZE'), 2, "lone surrogate escape $lone: nothing written");
}
{
    seed();
    my $res = post($AGENT, q({"input":"smile \ud83d\ude00"}));
    is($res->{status}, 200, 'surrogate pair: accepted');
    like(redis('HGET', run_key('aa:', json_decode($res->{body})->{id}), 'request'),
         qr/smile \x{f0}\x{9f}\x{98}\x{80}/, 'surrogate pair: stored as the UTF-8 of U+1F600');
}
unlike(error_log(), qr/runtime error:|AddressSanitizer/, "no sanitizer report in error.log");
nginx_stop();

__DATA__

=== TEST 1: input as a string: the complete Run
--- init
main::seed();
$main::JOB = main::job('[{"type":"message","role":"user","content":"hello","otid":"*"}]');
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"hello"}
--- response_headers
Content-Type: application/json
!X-Should-Retry
--- response_body_like eval
main::run_re()
--- no_error_log
[error]
[alert]



=== TEST 2: input as content parts (text and image url)
--- init
main::seed();
$main::JOB = main::job('[{"type":"message","role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image","source":{"type":"url","url":"https://example.test/a.png"}}],"otid":"*"}]');
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":[{"type":"text","text":"What is this?"},{"type":"image","source":{"type":"url","url":"https://example.test/a.png"}}]}
--- response_body_like eval
main::run_re()



=== TEST 3: messages with roles user, system and assistant
--- init
main::seed();
$main::JOB = main::job('[{"type":"message","role":"system","content":"Be brief.","otid":"*"},{"type":"message","role":"assistant","content":"Hi.","otid":"*"},{"type":"message","role":"user","content":"Hello","otid":"*"}]');
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"messages":[{"role":"system","content":"Be brief."},{"role":"assistant","content":"Hi."},{"role":"user","content":"Hello"}]}
--- response_body_like eval
main::run_re()



=== TEST 4: content parts text + image (url and base64), otid kept, other item keys kept
--- init
main::seed();
$main::JOB = main::job('[{"type":"message","role":"user","content":[{"type":"text","text":"Look"},{"type":"image","source":{"type":"url","url":"https://example.test/a.png"}},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}],"name":"bob","sender_id":"s-1","otid":"6f1c1a2e-4f4b-4c39-9d7e-0c3a3f8e2b11"}]');
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"messages":[{"role":"user","content":[{"type":"text","text":"Look"},{"type":"image","source":{"type":"url","url":"https://example.test/a.png"}},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}],"otid":"6f1c1a2e-4f4b-4c39-9d7e-0c3a3f8e2b11","name":"bob","sender_id":"s-1"}]}
--- response_body_like eval
main::run_re()



=== TEST 5: otid null and absent are filled, a given otid is kept as is
--- init
main::seed();
$main::JOB = main::job('[{"type":"message","role":"user","content":"a","otid":"*"},{"type":"message","role":"user","content":"b","otid":"*"},{"type":"message","role":"user","content":"c","otid":"client-otid-1"}]');
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"messages":[{"role":"user","content":"a","otid":null},{"role":"user","content":"b"},{"type":"message","role":"user","content":"c","otid":"client-otid-1"}]}
--- response_body_like eval
main::run_re()



=== TEST 6: max_steps explicit
--- init
main::seed();
$main::JOB = main::job('[{"type":"message","role":"user","content":"x","otid":"*"}]', max_steps => 7);
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","max_steps":7}
--- response_body_like eval
main::run_re()



=== TEST 7: max_steps lax integers: "12" and 3.0 and the bounds 1 and 10000
--- init
main::seed();
$main::JOB = main::job('[{"type":"message","role":"user","content":"x","otid":"*"}]', max_steps => 12);
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","max_steps":" 12 "}
--- response_body_like eval
main::run_re()



=== TEST 8: max_steps 3.0
--- init
main::seed();
$main::JOB = main::job('[{"type":"message","role":"user","content":"x","otid":"*"}]', max_steps => 3);
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","max_steps":3.0}
--- response_body_like eval
main::run_re()



=== TEST 9: max_steps 1 and 10000 are in range
--- init
main::seed();
$main::JOB = main::job('[{"type":"message","role":"user","content":"x","otid":"*"}]', max_steps => 10000);
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","max_steps":10000}
--- response_body_like eval
main::run_re()



=== TEST 10: include_return_message_types copied to request_config and the job
--- init
main::seed();
$main::JOB = main::job('[{"type":"message","role":"user","content":"x","otid":"*"}]', include_return_message_types => '["assistant_message","tool_call_message","tool_return_message"]');
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","include_return_message_types":["assistant_message","tool_call_message","tool_return_message"]}
--- response_body_like eval
main::run_re(rc => '{"use_assistant_message":true,"assistant_message_tool_name":"send_message","assistant_message_tool_kwarg":"message","include_return_message_types":["assistant_message","tool_call_message","tool_return_message"]}')



=== TEST 11: include_return_message_types: every MessageType, and null
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","include_return_message_types":["system_message","user_message","assistant_message","reasoning_message","hidden_reasoning_message","tool_call_message","tool_return_message","approval_request_message","approval_response_message","summary_message","event_message"]}
--- response_body_like eval
main::run_re(rc => '{"use_assistant_message":true,"assistant_message_tool_name":"send_message","assistant_message_tool_kwarg":"message","include_return_message_types":["system_message","user_message","assistant_message","reasoning_message","hidden_reasoning_message","tool_call_message","tool_return_message","approval_request_message","approval_response_message","summary_message","event_message"]}')



=== TEST 12: include_return_message_types null and []
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","include_return_message_types":[]}
--- response_body_like eval
main::run_re(rc => '{"use_assistant_message":true,"assistant_message_tool_name":"send_message","assistant_message_tool_kwarg":"message","include_return_message_types":[]}')



=== TEST 13: callback_url http
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","callback_url":"http://hooks.example.test:8080/letta?run=1#frag"}
--- response_body_like eval
main::run_re(callback => '"http://hooks.example.test:8080/letta?run=1#frag"')



=== TEST 14: callback_url https, IPv6 literal
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","callback_url":"https://[::1]:8443/cb"}
--- response_body_like eval
main::run_re(callback => '"https://[::1]:8443/cb"')



=== TEST 15: callback_url null
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","callback_url":null}
--- response_body_like eval
main::run_re()



=== TEST 16: deprecated fields are copied into request_config
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","use_assistant_message":false,"assistant_message_tool_name":"reply","assistant_message_tool_kwarg":"text"}
--- response_body_like eval
main::run_re(rc => '{"use_assistant_message":false,"assistant_message_tool_name":"reply","assistant_message_tool_kwarg":"text","include_return_message_types":null}')



=== TEST 17: unknown fields are ignored
--- init
main::seed();
$main::JOB = main::job('[{"type":"message","role":"user","content":"x","otid":"*"}]');
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","stream_tokens":true,"foo":{"bar":[1,2,{"baz":null}]},"agent_id":"not-checked","background":false,"streaming":"yes"}
--- response_body_like eval
main::run_re()



=== TEST 18: enable_thinking as a boolean
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","enable_thinking":true}
--- response_body_like eval
main::run_re()



=== TEST 19: enable_thinking as a string, and null
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","enable_thinking":"true","return_logprobs":false,"top_logprobs":null,"return_token_ids":false}
--- response_body_like eval
main::run_re()



=== TEST 20: override_model, override_system, include_compaction_messages go to the job
--- init
main::seed();
$main::JOB = main::job('[{"type":"message","role":"user","content":"x","otid":"*"}]', override_model => '"openai/gpt-4o-mini"', override_system => '"You are terse."', include_compaction_messages => 'true');
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","override_model":"openai/gpt-4o-mini","override_system":"You are terse.","include_compaction_messages":true,"client_tools":[{"name":"t1","description":"d","parameters":{}}],"client_skills":null}
--- response_body_like eval
main::run_re()



=== TEST 21: "system" is an alias of override_system
--- init
main::seed();
$main::JOB = main::job('[{"type":"message","role":"user","content":"x","otid":"*"}]', override_system => '"alias"');
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","system":"alias"}
--- response_body_like eval
main::run_re()



=== TEST 22: X-Experimental-Message-Async: true -> metadata.lettuce true
--- more_headers
X-Experimental-Message-Async: true
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"messages":[{"type":"message","role":"user","content":"x"}]}
--- response_body_like eval
main::run_re(lettuce => 'true')



=== TEST 23: X-Experimental-Message-Async: true with input -> lettuce true
--- more_headers
X-Experimental-Message-Async: true
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x"}
--- response_body_like eval
main::run_re(lettuce => 'true')



=== TEST 24: X-Experimental-Message-Async: false -> lettuce false
--- more_headers
X-Experimental-Message-Async: false
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x"}
--- response_body_like eval
main::run_re(lettuce => 'false')



=== TEST 25: X-Experimental-Message-Async with another value -> lettuce false
--- more_headers
X-Experimental-Message-Async: maybe
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x"}
--- response_body_like eval
main::run_re(lettuce => 'false')



=== TEST 26: X-Experimental-Message-Async: true, first message an approval -> lettuce false
--- more_headers
X-Experimental-Message-Async: true
--- init
main::seed();
$main::JOB = main::job('[{"type":"approval","approvals":[{"type":"approval","tool_call_id":"call-1","approve":true}],"otid":"*"}]');
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"messages":[{"type":"approval","approvals":[{"tool_call_id":"call-1","approve":true}]}]}
--- response_body_like eval
main::run_re(lettuce => 'false')



=== TEST 27: approval with the deprecated fields; tool_return items get their type
--- init
main::seed();
$main::JOB = main::job('[{"type":"approval","approve":false,"approval_request_id":"message-1","reason":"no","otid":"*"},{"type":"tool_return","tool_returns":[{"type":"tool","tool_call_id":"call-2","status":"success","tool_return":"42"}],"otid":"o2"}]');
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"messages":[{"approve":false,"approval_request_id":"message-1","reason":"no"},{"type":"tool_return","tool_returns":[{"tool_call_id":"call-2","status":"success","tool_return":"42"}],"otid":"o2"}]}
--- response_body_like eval
main::run_re()



=== TEST 28: non-ASCII text (and a surrogate pair escape) is stored as UTF-8
--- init
main::seed();
$main::JOB = main::job(qq([{"type":"message","role":"user","content":"h\xc3\xa9llo \xf0\x9f\x98\x80 \xf0\x9f\x98\x80 \\"q\\" \\\\ \\n","otid":"*"}]));
--- request eval
qq(POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n{"input":"h\xc3\xa9llo \xf0\x9f\x98\x80 \\ud83d\\ude00 \\"q\\" \\\\ \\n"})
--- response_body_like eval
main::run_re()



=== TEST 29: no Content-Type header: the body is still JSON
--- more_headers
Authorization: Bearer token-forty-40
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x"}
--- response_body_like eval
main::run_re()



=== TEST 30: chunked request body, valid JSON across chunks
--- raw_request eval
"POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer token-forty-40\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"inp\r\n8\r\nut\":\"chu\r\n3\r\nnk\"\r\n1\r\n}\r\n0\r\n\r\n"
--- init
main::seed();
$main::JOB = main::job('[{"type":"message","role":"user","content":"chunk","otid":"*"}]');
--- response_body_like eval
main::run_re()



=== TEST 31: body buffered to a temporary file (client_body_buffer_size 1k, 8k body)
--- config
    location /v1/ {
        agent_async on;
        agent_async_token token-forty-40 ten40;
        client_body_buffer_size 1k;
    }
--- init
main::seed();
$main::JOB = main::job('[{"type":"message","role":"user","content":"' . ('a' x 8000) . '","otid":"*"}]');
--- request eval
"POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n{\"input\":\"" . ("a" x 8000) . "\"}"
--- response_body_like eval
main::run_re()
--- error_log
a client request body is buffered to a temporary file
--- no_error_log
[error]



=== TEST 32: client_body_in_file_only on
--- config
    location /v1/ {
        agent_async on;
        agent_async_token token-forty-40 ten40;
        client_body_in_file_only clean;
    }
--- init
main::seed();
$main::JOB = main::job('[{"type":"message","role":"user","content":"in a file","otid":"*"}]');
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"in a file"}
--- response_body_like eval
main::run_re()
--- no_error_log
[error]



=== TEST 33: nesting at the limit (62 levels in the body) is fine
--- request eval
"POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n{\"input\":\"x\",\"deep\":" . ("[" x 61) . ("]" x 61) . "}"
--- response_body_like eval
main::run_re()



=== TEST 34: 63 levels in the body: too deep
--- request eval
"POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n{\"input\":\"x\",\"deep\":" . ("[" x 62) . ("]" x 62) . "}"
--- error_code: 422
--- response_body: {"detail":[{"type":"json_invalid","loc":["body"],"msg":"JSON decode error","ctx":{"error":"nesting too deep"}}]}



=== TEST 35: input parts nested to the limit: the job (two levels deeper) still parses
--- init
main::seed();
$main::JOB = main::job('[{"type":"message","role":"user","content":[{"type":"text","text":"x","extra":' . ("[" x 59) . ("]" x 59) . '}],"otid":"*"}]');
--- request eval
"POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n{\"input\":[{\"type\":\"text\",\"text\":\"x\",\"extra\":" . ("[" x 59) . ("]" x 59) . "}]}"
--- response_body_like eval
main::run_re()



=== TEST 36: input parts one level deeper: 422 (the job would nest 65 levels)
--- request eval
"POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n{\"input\":[{\"type\":\"text\",\"text\":\"x\",\"extra\":" . ("[" x 60) . ("]" x 60) . "}]}"
--- error_code: 422
--- response_body: {"detail":[{"type":"json_invalid","loc":["body"],"msg":"JSON decode error","ctx":{"error":"nesting too deep"}}]}



=== TEST 37: body over client_max_body_size (Content-Length): 413 JSON
--- config
    location /v1/ {
        agent_async on;
        agent_async_token token-forty-40 ten40;
        client_max_body_size 1k;
    }
--- request eval
"POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n{\"input\":\"" . ("b" x 2000) . "\"}"
--- error_code: 413
--- response_headers
Content-Type: application/json
--- response_body: {"detail":"Request Entity Too Large"}



=== TEST 38: body over client_max_body_size (chunked): 413 JSON
--- config
    location /v1/ {
        agent_async on;
        agent_async_token token-forty-40 ten40;
        client_max_body_size 1k;
    }
--- raw_request eval
"POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer token-forty-40\r\nTransfer-Encoding: chunked\r\n\r\n" . ("100\r\n" . ("c" x 256) . "\r\n") x 8 . "0\r\n\r\n"
--- error_code: 413
--- response_headers
Content-Type: application/json
--- response_body: {"detail":"Request Entity Too Large"}



=== TEST 39: 413 also for POST /v1/agents/
--- config
    location /v1/ {
        agent_async on;
        agent_async_token token-forty-40 ten40;
        client_max_body_size 1k;
    }
--- request eval
"POST /v1/agents/\n{\"name\":\"" . ("n" x 2000) . "\"}"
--- error_code: 413
--- response_body: {"detail":"Request Entity Too Large"}



=== TEST 40: malformed agent id in the path: 422 with examples
--- request
POST /v1/agents/agent-123/messages/async
{"input":"x"}
--- error_code: 422
--- response_headers
Content-Type: application/json
--- response_body: {"detail":[{"type":"string_pattern_mismatch","loc":["path","agent_id"],"msg":"String should match pattern 'agent-{uuid4}'","input":"agent-123","ctx":{"pattern":"^agent-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"}}],"examples":["agent-123e4567-e89b-42d3-8456-426614174000"]}



=== TEST 41: agent id with upper-case hex
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-40404040404A/messages/async
{"input":"x"}
--- error_code: 422
--- response_body: {"detail":[{"type":"string_pattern_mismatch","loc":["path","agent_id"],"msg":"String should match pattern 'agent-{uuid4}'","input":"agent-40404040-4040-4040-8040-40404040404A","ctx":{"pattern":"^agent-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"}}],"examples":["agent-123e4567-e89b-42d3-8456-426614174000"]}



=== TEST 42: agent id that is a UUID v1, or has the wrong variant, or another prefix
--- request eval
["POST /v1/agents/agent-40404040-4040-1040-8040-404040404040/messages/async\n{\"input\":\"x\"}",
 "POST /v1/agents/agent-40404040-4040-4040-c040-404040404040/messages/async\n{\"input\":\"x\"}",
 "POST /v1/agents/run-40404040-4040-4040-8040-404040404040/messages/async\n{\"input\":\"x\"}",
 "POST /v1/agents/agent-40404040-4040-4040-8040-4040404040400/messages/async\n{\"input\":\"x\"}"]
--- error_code eval
[422, 422, 422, 422]
--- response_body_like eval
[qr/"input":"agent-40404040-4040-1040-8040-404040404040".*"examples":\["agent-123e4567-e89b-42d3-8456-426614174000"\]\}$/,
 qr/"input":"agent-40404040-4040-4040-c040-404040404040"/, qr/"input":"run-40404040-4040-4040-8040-404040404040"/,
 qr/"input":"agent-40404040-4040-4040-8040-4040404040400"/]



=== TEST 43: agent id with a quote and non-ASCII bytes: still valid JSON
--- request
POST /v1/agents/%22%C3%A9%FF/messages/async
{"input":"x"}
--- error_code: 422
--- response_body_like: ^\{"detail":\[\{"type":"string_pattern_mismatch","loc":\["path","agent_id"\],"msg":"String should match pattern 'agent-\{uuid4\}'","input":"\\u0022[^"]*","ctx":



=== TEST 44: both input and messages
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","messages":[{"role":"user","content":"y"}]}
--- error_code: 422
--- response_body: {"detail":[{"type":"value_error","loc":["body"],"msg":"Value error, Cannot specify both 'input' and 'messages'. Use one or the other.","input":{"input":"x","messages":[{"role":"user","content":"y"}]}}]}



=== TEST 45: neither input nor messages
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"max_steps":3}
--- error_code: 422
--- response_body: {"detail":[{"type":"value_error","loc":["body"],"msg":"Value error, Must specify either 'input' or 'messages'.","input":{"max_steps":3}}]}



=== TEST 46: {} 
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{}
--- error_code: 422
--- response_body: {"detail":[{"type":"value_error","loc":["body"],"msg":"Value error, Must specify either 'input' or 'messages'.","input":{}}]}



=== TEST 47: input and messages both null count as absent
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":null,"messages":null}
--- error_code: 422
--- response_body: {"detail":[{"type":"value_error","loc":["body"],"msg":"Value error, Must specify either 'input' or 'messages'.","input":{"input":null,"messages":null}}]}



=== TEST 48: empty body
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
--- error_code: 422
--- response_body: {"detail":[{"type":"missing","loc":["body"],"msg":"Field required"}]}



=== TEST 49: JSON null body
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
null
--- error_code: 422
--- response_body: {"detail":[{"type":"missing","loc":["body"],"msg":"Field required"}]}



=== TEST 50: not JSON
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
input=hello
--- error_code: 422
--- response_body_like: ^\{"detail":\[\{"type":"json_invalid","loc":\["body"\],"msg":"JSON decode error","ctx":\{"error":"[^"]+"\}\}\]\}$



=== TEST 51: truncated JSON
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x"
--- error_code: 422
--- response_body_like: ^\{"detail":\[\{"type":"json_invalid","loc":\["body"\],"msg":"JSON decode error","ctx":\{"error":"[^"]+"\}\}\]\}$



=== TEST 52: trailing garbage after the object
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x"} {"input":"y"}
--- error_code: 422
--- response_body_like: ^\{"detail":\[\{"type":"json_invalid","loc":\["body"\],"msg":"JSON decode error","ctx":\{"error":"[^"]+"\}\}\]\}$



=== TEST 53: JSON array body
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
[{"input":"x"}]
--- error_code: 422
--- response_body: {"detail":[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","input":[{"input":"x"}]}]}



=== TEST 54: JSON string and number bodies
--- request eval
["POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n\"hello\"", "POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n42"]
--- error_code eval
[422, 422]
--- response_body eval
['{"detail":[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","input":"hello"}]}',
 '{"detail":[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","input":42}]}']



=== TEST 55: messages not a list
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"messages":"hello"}
--- error_code: 422
--- response_body: {"detail":[{"type":"list_type","loc":["body","messages"],"msg":"Input should be a valid list","input":"hello"}]}



=== TEST 56: messages an object
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"messages":{"role":"user","content":"x"}}
--- error_code: 422
--- response_body: {"detail":[{"type":"list_type","loc":["body","messages"],"msg":"Input should be a valid list","input":{"role":"user","content":"x"}}]}



=== TEST 57: empty messages
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"messages":[]}
--- error_code: 422
--- response_body: {"detail":[{"type":"value_error","loc":["body","messages"],"msg":"Value error, messages must not be empty","input":[]}]}



=== TEST 58: a message item that is not an object
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"messages":["hello"]}
--- error_code: 422
--- response_body: {"detail":[{"type":"model_attributes_type","loc":["body","messages",0],"msg":"Input should be a valid dictionary or object to extract fields from","input":"hello"}]}



=== TEST 59: bad role
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"messages":[{"role":"user","content":"ok"},{"role":"tool","content":"x"}]}
--- error_code: 422
--- response_body: {"detail":[{"type":"literal_error","loc":["body","messages",1,"role"],"msg":"Input should be 'user', 'system' or 'assistant'","input":"tool"}]}



=== TEST 60: role missing
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"messages":[{"content":"x"}]}
--- error_code: 422
--- response_body: {"detail":[{"type":"missing","loc":["body","messages",0,"role"],"msg":"Field required","input":{"content":"x"}}]}



=== TEST 61: content missing
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"messages":[{"role":"user"}]}
--- error_code: 422
--- response_body: {"detail":[{"type":"missing","loc":["body","messages",0,"content"],"msg":"Field required","input":{"role":"user"}}]}



=== TEST 62: content neither a string nor a list
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"messages":[{"role":"user","content":{"text":"x"}}]}
--- error_code: 422
--- response_body: {"detail":[{"type":"string_type","loc":["body","messages",0,"content"],"msg":"Input should be a valid string or a list of content parts","input":{"text":"x"}}]}



=== TEST 63: content part without type
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"messages":[{"role":"user","content":[{"text":"a"}]}]}
--- error_code: 422
--- response_body: {"detail":[{"type":"union_tag_not_found","loc":["body","messages",0,"content",0],"msg":"Unable to extract tag using discriminator 'type'","input":{"text":"a"}}]}



=== TEST 64: content part of an unknown type
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"video","url":"x"}]}]}
--- error_code: 422
--- response_body: {"detail":[{"type":"union_tag_invalid","loc":["body","messages",0,"content",1],"msg":"Input tag 'video' found using 'type' does not match any of the expected tags: 'text', 'image', 'tool_call', 'tool_return', 'reasoning', 'redacted_reasoning', 'omitted_reasoning', 'summarized_reasoning'","input":{"type":"video","url":"x"}}]}



=== TEST 65: text part without text
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":[{"type":"text"}]}
--- error_code: 422
--- response_body: {"detail":[{"type":"missing","loc":["body","input",0,"text"],"msg":"Field required","input":{"type":"text"}}]}



=== TEST 66: image with a file:// url (input)
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":[{"type":"image","source":{"type":"url","url":"file:///etc/passwd"}}]}
--- error_code: 422
--- response_body: {"detail":[{"type":"value_error","loc":["body","input",0,"source","url"],"msg":"Value error, file:// URLs are not allowed","input":"file:///etc/passwd"}]}



=== TEST 67: image with a FILE:// url (messages, any case)
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"FILE:///etc/shadow"}}]}]}
--- error_code: 422
--- response_body: {"detail":[{"type":"value_error","loc":["body","messages",0,"content",0,"source","url"],"msg":"Value error, file:// URLs are not allowed","input":"FILE:///etc/shadow"}]}



=== TEST 68: image source without type
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":[{"type":"image","source":{"url":"https://example.test/a.png"}}]}
--- error_code: 422
--- response_body: {"detail":[{"type":"union_tag_not_found","loc":["body","input",0,"source"],"msg":"Unable to extract tag using discriminator 'type'","input":{"url":"https://example.test/a.png"}}]}



=== TEST 69: empty input list
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":[]}
--- error_code: 422
--- response_body: {"detail":[{"type":"value_error","loc":["body","input"],"msg":"Value error, input must not be empty","input":[]}]}



=== TEST 70: input of another type
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":5}
--- error_code: 422
--- response_body: {"detail":[{"type":"string_type","loc":["body","input"],"msg":"Input should be a valid string or a list of content parts","input":5}]}



=== TEST 71: message of an unknown type
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"messages":[{"type":"bogus","role":"user","content":"x"}]}
--- error_code: 422
--- response_body: {"detail":[{"type":"literal_error","loc":["body","messages",0,"type"],"msg":"Input should be 'message', 'approval' or 'tool_return'","input":"bogus"}]}



=== TEST 72: approval without approvals nor approve
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"messages":[{"type":"approval"}]}
--- error_code: 422
--- response_body: {"detail":[{"type":"value_error","loc":["body","messages",0],"msg":"Value error, Either 'approvals' or both 'approve' and 'approval_request_id' must be provided.","input":{"type":"approval"}}]}



=== TEST 73: otid not a string
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"messages":[{"role":"user","content":"x","otid":5}]}
--- error_code: 422
--- response_body: {"detail":[{"type":"string_type","loc":["body","messages",0,"otid"],"msg":"Input should be a valid string","input":5}]}



=== TEST 74: max_steps "abc"
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","max_steps":"abc"}
--- error_code: 422
--- response_body: {"detail":[{"type":"int_parsing","loc":["body","max_steps"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"abc"}]}



=== TEST 75: max_steps true
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","max_steps":true}
--- error_code: 422
--- response_body: {"detail":[{"type":"int_type","loc":["body","max_steps"],"msg":"Input should be a valid integer","input":true}]}



=== TEST 76: max_steps 0
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","max_steps":0}
--- error_code: 422
--- response_body: {"detail":[{"type":"greater_than_equal","loc":["body","max_steps"],"msg":"Input should be greater than or equal to 1","input":0}]}



=== TEST 77: max_steps -1
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","max_steps":-1}
--- error_code: 422
--- response_body: {"detail":[{"type":"greater_than_equal","loc":["body","max_steps"],"msg":"Input should be greater than or equal to 1","input":-1}]}



=== TEST 78: max_steps huge (beyond 64 bits)
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","max_steps":99999999999999999999999}
--- error_code: 422
--- response_body: {"detail":[{"type":"less_than_equal","loc":["body","max_steps"],"msg":"Input should be less than or equal to 10000","input":99999999999999999999999}]}



=== TEST 79: max_steps 10001, 1e30, "1e3", 1.5, null, [], "-9223372036854775809"
--- request eval
[map { "POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n{\"input\":\"x\",\"max_steps\":$_}" }
 qw(10001 1e30 "1e3" 1.5 null [] "-9223372036854775809")]
--- error_code eval
[(422) x 7]
--- response_body eval
['{"detail":[{"type":"less_than_equal","loc":["body","max_steps"],"msg":"Input should be less than or equal to 10000","input":10001}]}',
 '{"detail":[{"type":"less_than_equal","loc":["body","max_steps"],"msg":"Input should be less than or equal to 10000","input":1e30}]}',
 '{"detail":[{"type":"int_parsing","loc":["body","max_steps"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"1e3"}]}',
 '{"detail":[{"type":"int_from_float","loc":["body","max_steps"],"msg":"Input should be a valid integer, got a number with a fractional part","input":1.5}]}',
 '{"detail":[{"type":"int_type","loc":["body","max_steps"],"msg":"Input should be a valid integer","input":null}]}',
 '{"detail":[{"type":"int_type","loc":["body","max_steps"],"msg":"Input should be a valid integer","input":[]}]}',
 '{"detail":[{"type":"greater_than_equal","loc":["body","max_steps"],"msg":"Input should be greater than or equal to 1","input":"-9223372036854775809"}]}']



=== TEST 80: include_return_message_types with an unknown value
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","include_return_message_types":["assistant_message","function_call"]}
--- error_code: 422
--- response_body: {"detail":[{"type":"enum","loc":["body","include_return_message_types",1],"msg":"Input should be 'system_message', 'user_message', 'assistant_message', 'reasoning_message', 'hidden_reasoning_message', 'tool_call_message', 'tool_return_message', 'approval_request_message', 'approval_response_message', 'summary_message' or 'event_message'","input":"function_call"}]}



=== TEST 81: include_return_message_types not a list
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","include_return_message_types":"assistant_message"}
--- error_code: 422
--- response_body: {"detail":[{"type":"list_type","loc":["body","include_return_message_types"],"msg":"Input should be a valid list","input":"assistant_message"}]}



=== TEST 82: callback_url ftp://
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","callback_url":"ftp://example.test/hook"}
--- error_code: 422
--- response_body: {"detail":[{"type":"url_scheme","loc":["body","callback_url"],"msg":"URL scheme should be 'http' or 'https'","input":"ftp://example.test/hook"}]}



=== TEST 83: callback_url not a URL
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","callback_url":"not a url"}
--- error_code: 422
--- response_body: {"detail":[{"type":"url_parsing","loc":["body","callback_url"],"msg":"Input should be a valid URL, invalid character","input":"not a url"}]}



=== TEST 84: callback_url not a string
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","callback_url":{"url":"http://example.test"}}
--- error_code: 422
--- response_body: {"detail":[{"type":"string_type","loc":["body","callback_url"],"msg":"Input should be a valid string","input":{"url":"http://example.test"}}]}



=== TEST 85: callback_url: relative, empty host, bad port, javascript:, too long
--- request eval
[map { "POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n{\"input\":\"x\",\"callback_url\":\"$_\"}" }
 "/hooks/letta", "http://", "http://example.test:99999/", "javascript:alert(1)", "http://example.test/" . ("p" x 2100)]
--- error_code eval
[(422) x 5]
--- response_body_like eval
[qr/"type":"url_parsing","loc":\["body","callback_url"\],"msg":"Input should be a valid URL, relative URL without a base"/,
 qr/"type":"url_parsing","loc":\["body","callback_url"\],"msg":"Input should be a valid URL, empty host"/,
 qr/"type":"url_parsing","loc":\["body","callback_url"\],"msg":"Input should be a valid URL, invalid port number"/,
 qr/"type":"url_scheme","loc":\["body","callback_url"\]/,
 qr/"type":"url_too_long","loc":\["body","callback_url"\],"msg":"URL should have at most 2048 characters"/]



=== TEST 86: deprecated fields of the wrong type
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","use_assistant_message":"yes","assistant_message_tool_name":5}
--- error_code: 422
--- response_body: {"detail":[{"type":"bool_type","loc":["body","use_assistant_message"],"msg":"Input should be a valid boolean","input":"yes"},{"type":"string_type","loc":["body","assistant_message_tool_name"],"msg":"Input should be a valid string","input":5}]}



=== TEST 87: enable_thinking of another type
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","enable_thinking":5}
--- error_code: 422
--- response_body: {"detail":[{"type":"string_type","loc":["body","enable_thinking"],"msg":"Input should be a valid string","input":5}]}



=== TEST 88: client_tools item without name
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","client_tools":[{"description":"d"}]}
--- error_code: 422
--- response_body: {"detail":[{"type":"missing","loc":["body","client_tools",0,"name"],"msg":"Field required","input":{"description":"d"}}]}



=== TEST 89: several errors are all listed
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"messages":[{"role":"robot","content":"x"}],"max_steps":0,"callback_url":"ftp://x/"}
--- error_code: 422
--- response_body: {"detail":[{"type":"literal_error","loc":["body","messages",0,"role"],"msg":"Input should be 'user', 'system' or 'assistant'","input":"robot"},{"type":"greater_than_equal","loc":["body","max_steps"],"msg":"Input should be greater than or equal to 1","input":0},{"type":"url_scheme","loc":["body","callback_url"],"msg":"URL scheme should be 'http' or 'https'","input":"ftp://x/"}]}



=== TEST 90: nesting bomb: 100000 "[": 422, no crash
--- request eval
"POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n" . ("[" x 100000)
--- error_code: 422
--- response_body: {"detail":[{"type":"json_invalid","loc":["body"],"msg":"JSON decode error","ctx":{"error":"nesting too deep"}}]}
--- no_error_log
[alert]
[crit]



=== TEST 91: nesting bomb inside a valid request (65 levels, closed)
--- request eval
"POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n{\"input\":\"x\",\"deep\":" . ("{\"a\":" x 64) . "1" . ("}" x 64) . "}"
--- error_code: 422
--- response_body: {"detail":[{"type":"json_invalid","loc":["body"],"msg":"JSON decode error","ctx":{"error":"nesting too deep"}}]}



=== TEST 92: nesting bomb of objects, 1 MB
--- request eval
"POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n" . ("{\"a\":" x 200000)
--- error_code: 422
--- response_body: {"detail":[{"type":"json_invalid","loc":["body"],"msg":"JSON decode error","ctx":{"error":"nesting too deep"}}]}



=== TEST 93: invalid UTF-8 in a string
--- request eval
"POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n{\"input\":\"caf\xe9\"}"
--- error_code: 422
--- response_body_like: ^\{"detail":\[\{"type":"json_invalid","loc":\["body"\],"msg":"JSON decode error","ctx":\{"error":"[^"]*(UTF-?8|utf-?8)[^"]*"\}\}\]\}$



=== TEST 94: invalid UTF-8: truncated sequence, stray continuation byte
--- request eval
["POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n{\"input\":\"a\xe2\x82\"}",
 "POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n{\"input\":\"\x80\"}"]
--- error_code eval
[422, 422]
--- response_body_like eval
[qr/"type":"json_invalid"/, qr/"type":"json_invalid"/]



=== TEST 95: not UTF-8 although yajl lets them through: overlong, encoded surrogate, above U+10FFFF, invalid key
--- request eval
[map { "POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n$_" }
 qq({"input":"\xc0\xaf"}), qq({"input":"\xed\xa0\x80"}), qq({"input":"\xf4\x90\x80\x80"}), qq({"input":"x","k\xff":1})]
--- error_code eval
[422, 422, 422, 422]
--- response_body_like eval
[(qr/^\{"detail":\[\{"type":"json_invalid","loc":\["body"\],"msg":"JSON decode error","ctx":\{"error":"[^"]+"\}\}\]\}$/) x 4]



=== TEST 96: \u0000, NUL bytes, comments, duplicate keys are json_invalid
--- request eval
["POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n{\"input\":\"a\\u0000b\"}",
 "POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n{\"input\":\"a\"}\0",
 "POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n{\"input\":\"a\" /* c */}",
 "POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n{\"input\":\"a\",\"input\":\"b\"}"]
--- error_code eval
[422, 422, 422, 422]
--- response_body eval
['{"detail":[{"type":"json_invalid","loc":["body"],"msg":"JSON decode error","ctx":{"error":"\\\\u0000 is not supported in strings"}}]}',
 '{"detail":[{"type":"json_invalid","loc":["body"],"msg":"JSON decode error","ctx":{"error":"invalid NUL byte"}}]}',
 '{"detail":[{"type":"json_invalid","loc":["body"],"msg":"JSON decode error","ctx":{"error":"comments are not allowed"}}]}',
 '{"detail":[{"type":"json_invalid","loc":["body"],"msg":"JSON decode error","ctx":{"error":"duplicate key in object"}}]}']



=== TEST 97: unknown agent (well-formed id): 404
--- request
POST /v1/agents/agent-40404040-0000-4000-8000-000000000000/messages/async
{"input":"x"}
--- error_code: 404
--- response_headers
Content-Type: application/json
--- response_body: {"detail":"Agent not found"}



=== TEST 98: validation comes before the agent lookup: unknown agent, bad body -> 422
--- request
POST /v1/agents/agent-40404040-0000-4000-8000-000000000000/messages/async
{}
--- error_code: 422
--- response_body: {"detail":[{"type":"value_error","loc":["body"],"msg":"Value error, Must specify either 'input' or 'messages'.","input":{}}]}



=== TEST 99: callback_url with JSON escapes is stored and answered decoded
--- request
POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async
{"input":"x","callback_url":"http:\/\/hooks.example.test\/cb?a=1\u0026b=\u0032"}
--- response_body_like eval
main::run_re(callback => '"http://hooks.example.test/cb?a=1&b=2"')



=== TEST 100: a job that outgrows its first block in the pool (500 small messages)
--- init
main::seed();
$main::JOB = main::job('[' . join(',', map { qq({"type":"message","role":"user","content":"m$_","otid":"*"}) } 1 .. 500) . ']');
--- request eval
"POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n"
. '{"messages":[' . join(',', map { qq({"role":"user","content":"m$_"}) } 1 .. 500) . ']}'
--- response_body_like eval
main::run_re()
--- no_error_log
[error]



=== TEST 101: a body just under the pool's limit for a job (60,000 bytes of input)
--- init
main::seed();
$main::JOB = main::job('[{"type":"message","role":"user","content":"' . ('y' x 60000) . '","otid":"*"}]');
--- request eval
"POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n"
. '{"input":"' . ('y' x 60000) . '"}'
--- response_body_like eval
main::run_re()
--- no_error_log
[error]



=== TEST 102: a body over the pool's limit: the job from malloc (300,000 bytes)
--- init
main::seed();
$main::JOB = main::job('[{"type":"message","role":"user","content":"' . ('z' x 300000) . '","otid":"*"}]');
--- request eval
"POST /v1/agents/agent-40404040-4040-4040-8040-404040404040/messages/async\n"
. '{"input":"' . ('z' x 300000) . '"}'
--- response_body_like eval
main::run_re()
--- no_error_log
[error]



=== TEST 103: error_log debug traces the script sent and its reply
--- log_level: debug
--- request
POST /v1/agents/agent-40404040-0000-4000-8000-000000000000/messages/async
{"input":"x"}
--- error_code: 404
--- error_log eval
[qr/agent_async redis send: EVALSHA "create_run"/,
 qr/agent_async redis reply: value/]
--- no_error_log eval
[qr/agent_async[^\n]*token-forty-40/]

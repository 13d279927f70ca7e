# Self-test of the test harness (t/lib/Test/Nginx/*, t/AgentTest.pm).
# Needs plain nginx and redis-server only, not our module.
use strict;
use warnings;
use lib '.';    # t::AgentTest (perl no longer has . in @INC)
use t::AgentTest 'no_plan';

# Accepts TCP connections (kernel backlog) but never answers.
our $Stall = IO::Socket::INET->new(Listen => 8, LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp')
    or die "stall listener: $@";
$ENV{TEST_NGINX_STALL_PORT} = $Stall->sockport;

# ---- redis helpers ----
is(redis('SET', 'harness:k', 'v1'), 'OK', 'redis: SET status reply');
is(redis('GET', 'harness:k'), 'v1', 'redis: GET bulk reply');
is(redis('INCR', 'harness:n'), 1, 'redis: integer reply');
is_deeply(redis('MGET', 'harness:k', 'harness:none'), ['v1', undef], 'redis: array reply with nil');
ok(!eval { redis('NOSUCHCOMMAND'); 1 } && $@ =~ /^ERR/, 'redis: error reply dies');
redis_stop();
ok(!eval { redis('PING'); 1 }, 'redis: down after redis_stop');
redis_start();
is(redis('PING'), 'PONG', 'redis: up again after redis_start');
is(redis('GET', 'harness:k'), undef, 'redis: no persistence across restarts');

# ---- client timeout detection (no nginx involved) ----
my $res = http_request('GET', '/', {}, undef, { port => $ENV{TEST_NGINX_STALL_PORT}, timeout => 0.3 });
is($res->{error}, 'timeout', 'http_request: reports a timeout');

t::AgentTest::default_http_config('map $uri $harness_default { default "from-default"; }');
no_shuffle();
run_tests();

is(redis('GET', 'harness:init'), 'yes', 'init section ran');

# ---- plain Test::More style ----
nginx_start(config => 'location = /s { return 200 "uri=$uri len=$http_content_length"; }');
my $r = http_request('POST', '/s', { 'X-A' => 1 }, 'abc');
is($r->{status}, 200, 'http_request: status');
is($r->{body}, 'uri=/s len=3', 'http_request: body');
is($r->{headers}{'content-type'}, 'text/plain', 'http_request: headers');
is_deeply(json_decode('{"a":[1,null]}'), { a => [1, undef] }, 'json_decode');
nginx_stop();

__DATA__

=== TEST 1: JSON response, headers, exact body
--- config
    location = /t {
        default_type application/json;
        return 200 '{"ok":true}';
    }
--- request
GET /t
--- response_headers
Content-Type: application/json
X-Nope:
--- response_body: {"ok":true}
--- no_error_log
[error]
[alert]



=== TEST 2: 404 and error_log substring
--- request
GET /nope
--- error_code: 404
--- response_body_like: 404 Not Found
--- error_log
No such file or directory



=== TEST 3: request eval with two requests, error_code eval
--- config
    location = /a { return 200 "A"; }
    location = /b { return 201 "B"; }
--- request eval
["GET /a", "GET /b"]
--- error_code eval
[200, 201]
--- response_body eval
["A", "B"]



=== TEST 4: more_headers
--- config
    location = /h { return 200 "x=$http_x_foo"; }
--- more_headers
X-Foo: bar
--- request
GET /h
--- response_body chomp
x=bar



=== TEST 5: POST body (read by proxy_pass, echoed by an inner location)
--- config
    location = /echo {
        client_body_in_single_buffer on;
        proxy_set_header X-Body $request_body;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/inner;
    }
    location = /inner {
        return 200 "len=$http_content_length body=$http_x_body";
    }
--- request eval
"POST /echo\nhello world"
--- response_body chomp
len=11 body=hello world



=== TEST 6: response_body_like eval, unlike, headers_like
--- config
    location = /j {
        default_type application/json;
        return 200 '{"a":"$arg_a"}';
    }
--- request eval
["GET /j?a=1", "GET /j?a=2"]
--- response_body_like eval
[qr/"a":"1"/, qr/"a":"2"/]
--- response_body_unlike: error
--- response_headers_like
Content-Type: ^application/json$



=== TEST 7: error_log qr and arrayref, log_level
--- log_level: warn
--- request
GET /missing.html
--- error_code: 404
--- error_log eval
[qr/open\(\) ".*missing\.html" failed/, "No such file"]
--- no_error_log eval
[qr/\[debug\]/, "[alert]"]



=== TEST 8: client timeout with abort, wait
--- config
    location = /stall {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STALL_PORT;
    }
--- request
GET /stall
--- timeout: 0.5
--- abort
--- wait: 0.3
--- error_log
client prematurely closed connection



=== TEST 9: must_die
--- config
    location = /x { no_such_directive_here; }
--- request
GET /x
--- must_die
--- error_log
unknown directive "no_such_directive_here"



=== TEST 10: SKIP (would fail if it ran)
--- SKIP
--- config
    location = /t { return 500; }
--- request
GET /t



=== TEST 11: init section and default_http_config
--- init
t::AgentTest::redis('SET', 'harness:init', 'yes');
--- config
    location = /t { return 200 "$harness_default"; }
--- request
GET /t
--- response_body chomp
from-default



=== TEST 12: raw_request and shutdown
--- config
    location = /t { return 200 "raw"; }
--- raw_request eval
"GET /t HTTP/1.0\r\nHost: localhost\r\n\r\n"
--- shutdown
--- response_body chomp
raw



=== TEST 13: pipelined_requests
--- config
    location = /a { return 200 "A"; }
    location = /b { return 201 "B"; }
--- pipelined_requests eval
["GET /a", "GET /b"]
--- error_code eval
[200, 201]
--- response_body eval
["A", "B"]



=== TEST 14: chunked response decoding
--- config
    location = /c {
        sub_filter 'hello' 'bye';
        sub_filter_types text/plain;
        return 200 "hello world";
    }
--- request
GET /c
--- response_headers
Transfer-Encoding: chunked
Content-Length:
--- response_body chomp
bye world

# Self-test of the test harness (t/lib/Test/Nginx/*, t/AgentTest.pm).
# Needs plain nginx and redis-server only, not our module.  Passes under
# our runner and under the real Test::Nginx::Socket alike.
use strict;
use warnings;
use lib '.';    # t::AgentTest (perl no longer has . in @INC)
use t::AgentTest 'no_plan';
use File::Path ();
use File::Temp ();

# Accepts TCP connections (kernel backlog) but never answers.
our $Stall = IO::Socket::INET->new(Listen => 8, LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp')
    or die "stall listener: $@";
$ENV{TEST_NGINX_STALL_PORT} = $Stall->sockport;

# the nginx pid, from the pid file of the server root
sub nginx_pid {
    open my $f, '<', "$ENV{TEST_NGINX_SERVROOT}/logs/nginx.pid" or return undef;
    my $pid = <$f> // '';
    return $pid =~ /^(\d+)/ ? $1 : undef;
}
our ($InitRuns, $Pid) = (0);

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
is($InitRuns, 1, 'the init of TEST 16 ran once');

# ---- how a block is run: small .t files of their own, run by the same
# perl with the same @INC (so under ours or the real Test::Nginx::Socket,
# whichever runs this file), each with a temporary server root

my $tmp = File::Temp::tempdir(CLEANUP => 1);
my $n = 0;
sub inner {
    my ($perl, $data) = @_;
    my $name = 'inner' . ++$n;
    my $file = "$tmp/$name.t";
    open my $f, '>', $file or die "$file: $!";
    print $f "use strict;\nuse warnings;\nuse lib '.';\nuse t::AgentTest 'no_plan';\n$perl\n__DATA__\n\n$data";
    close $f;
    local $ENV{TEST_NGINX_SERVROOT}  = "$tmp/servroot_$name";
    local $ENV{TEST_NGINX_REDIS_DIR} = "$tmp/redis_$name";
    local $ENV{TEST_NGINX_SERVER_PORT};
    local $ENV{TEST_NGINX_PORT};
    local $ENV{PERL5LIB} = join ':', @INC;
    my $out = `$^X $file 2>&1`;
    return ($out, $? >> 8, [$out =~ /^(not ok \d+ - .*)$/mg], [$out =~ /^(ok \d+ - .*)$/mg]);
}

my ($out, $rc, $fails, $oks);

# several requests need one expectation each: a lone one is refused
($out, $rc) = inner('run_tests();', <<'EOF');
=== TEST 1: two requests, one body
--- config
    location = /a { return 200 "A"; }
--- request eval
["GET /a", "GET /a"]
--- response_body: A
EOF
like($out, qr/^Bail out!.*You asked for many requests, the expected results should be arrays as well/m,
     'several requests and a single expectation: bail out') or diag($out);
isnt($rc, 0, '... and the file fails');

# error_log is checked against the part of error.log of each request: a
# line that only the first request logs is missing from the second's part
my $split = <<'EOF';
=== TEST 1: the first request logs an error, the second does not
--- config
    location = /t { return 200 "t"; }
--- request eval
["GET /missing.html", "GET /t"]
--- error_code eval
[404, 200]
--- error_log
No such file or directory
EOF
($out, $rc, $fails, $oks) = inner('run_tests();', $split);
is(scalar @$fails, 1, 'error_log: checked for each request, and one of the two parts lacks the line') or diag($out);
like($fails->[0] // '', qr/pattern "No such file or directory" should match a line in error\.log/,
     '... the failure names the pattern');
is(scalar(grep { /pattern "No such file or directory" matches a line/ } @$oks), 1, '... the other part has it');
($out, $rc, $fails) = inner("check_accum_error_log();\nrun_tests();", $split);
is_deeply($fails, [], 'check_accum_error_log: every check sees the whole log') or diag($out);

# repeat_each: one nginx and one init for the block, the requests and the
# checks repeated, the log of each repetition checked on its own
($out, $rc, $fails, $oks) = inner(<<'PERL', <<'EOF');
repeat_each(3);
run_tests();
sub pid { open my $f, '<', "$ENV{TEST_NGINX_SERVROOT}/logs/nginx.pid" or return ''; scalar <$f> }
open my $f, '<', "$ENV{TEST_NGINX_SERVROOT}/logs/access.log" or die "access.log: $!";
my @lines = <$f>;
is(scalar @lines, 3, 'the 3 repetitions went to the same nginx');
is(pid(), redis('GET', 'pid'), 'the nginx of init is still the one running');
is(redis('GET', 'inits'), 1, 'init ran once for the 3 repetitions');
PERL
=== TEST 1: repeated
--- config
    location = /t { return 200 "t"; }
--- init
t::AgentTest::redis('INCR', 'inits');
t::AgentTest::redis('SET', 'pid', main::pid());
--- request
GET /missing.html
--- error_code: 404
--- error_log
No such file or directory
EOF
is_deeply($fails, [], 'repeat_each(3): no failure') or diag($out);
is(scalar(grep { /pattern "No such file or directory" matches a line in error\.log/ } @$oks), 3,
   'repeat_each(3): the log of each repetition checked on its own');
like($out, qr/^ok \d+ - the 3 repetitions went to the same nginx$/m, 'repeat_each(3): one nginx');
like($out, qr/^ok \d+ - the nginx of init is still the one running$/m, 'repeat_each(3): not restarted');
like($out, qr/^ok \d+ - init ran once for the 3 repetitions$/m, 'repeat_each(3): one init');

# the server root is emptied before nginx starts; anything in it but what
# nginx writes stops the run
($out, $rc) = inner(<<'PERL', <<'EOF');
File::Path::make_path("$ENV{TEST_NGINX_SERVROOT}/stray");
run_tests();
PERL
=== TEST 1: never runs
--- config
    location = /t { return 200; }
--- request
GET /t
EOF
like($out, qr/^Bail out!.*Can't remove \S+ \(not empty\?\)/m, 'a stray directory in the server root: bail out')
    or diag($out);

# a first block without config has no nginx to go to
($out, $rc) = inner('run_tests();', <<'EOF');
=== TEST 1: no config
--- request
GET /t
EOF
like($out, qr/^Bail out!.*No '--- config' section specified and could not get previous one/m,
     'the first block without config: bail out') or diag($out);

# a request that times out has no response: with abort too its status is
# checked (--- ignore_response skips the response checks)
($out, $rc, $fails) = inner('run_tests();', <<'EOF');
=== TEST 1: abort without ignore_response
--- config
    location = /stall { proxy_pass http://127.0.0.1:$TEST_NGINX_STALL_PORT; }
--- request
GET /stall
--- timeout: 0.3
--- abort
EOF
is(scalar @$fails, 1, 'abort: a request that timed out has no status') or diag($out);
like($fails->[0] // '', qr/status code ok/, '... the status check is the one that fails');

# a check that the real one would not make, another check of the block
# taking its place, is refused by ours
SKIP: {
    skip 'the real Test::Nginx::Socket makes only one of the two checks', 2 if t::AgentTest::real_test_nginx();
    ($out, $rc, $fails) = inner('run_tests();', <<'EOF');
=== TEST 1: response_body_like and response_body_unlike
--- config
    location = /t { return 200 "t"; }
--- request
GET /t
--- response_body_like: t
--- response_body_unlike: x
EOF
    is(scalar @$fails, 1, 'response_body_like with response_body_unlike: refused') or diag($out);
    like($fails->[0] // '', qr/--- response_body_unlike is not checked by Test::Nginx::Socket/, '... saying why');
}

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
!X-Never
--- response_body: {"ok":true}
--- no_error_log
[error]
[alert]



=== TEST 2: 404 and error_log substring
--- config
    location = /t { return 200; }
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



=== TEST 6: response_body_like eval, response_headers_like eval: one expectation per request
--- config
    location = /j {
        default_type application/json;
        return 200 '{"a":"$arg_a"}';
    }
--- request eval
["GET /j?a=1", "GET /j?a=2"]
--- response_body_like eval
[qr/"a":"1"/, qr/"a":"2"/]
--- response_headers_like eval
["Content-Type: application/json", "Content-Type: application/(json|xml)"]



=== TEST 7: response_body_unlike eval
--- config
    location = /j {
        default_type application/json;
        return 200 '{"a":"$arg_a"}';
    }
--- request eval
["GET /j?a=1", "GET /j?a=2"]
--- response_body_unlike eval
["error", qr/"a":"1"/]



=== TEST 8: error_log qr and arrayref, log_level
--- config
    location = /t { return 200; }
--- log_level: warn
--- request
GET /missing.html
--- error_code: 404
--- error_log eval
[qr/open\(\) ".*missing\.html" failed/, "No such file"]
--- no_error_log eval
[qr/\[debug\]/, "[alert]"]



=== TEST 9: client timeout with abort, wait
--- config
    location = /stall {
        proxy_pass http://127.0.0.1:$TEST_NGINX_STALL_PORT;
    }
--- request
GET /stall
--- timeout: 0.5
--- abort
--- ignore_response
--- wait: 0.3
--- error_log
client prematurely closed connection



=== TEST 10: must_die
--- config
    location = /x { no_such_directive_here; }
--- request
GET /x
--- must_die
--- error_log
unknown directive "no_such_directive_here"



=== TEST 11: SKIP (would fail if it ran)
--- SKIP
--- config
    location = /t { return 500; }
--- request
GET /t



=== TEST 12: init section and default_http_config
--- init
t::AgentTest::redis('SET', 'harness:init', 'yes');
--- config
    location = /t { return 200 "$harness_default"; }
--- request
GET /t
--- response_body chomp
from-default



=== TEST 13: raw_request and shutdown
--- config
    location = /t { return 200 "raw"; }
--- raw_request eval
"GET /t HTTP/1.0\r\nHost: localhost\r\n\r\n"
--- shutdown
--- response_body chomp
raw



=== TEST 14: pipelined_requests
--- config
    location = /a { return 200 "A"; }
    location = /b { return 201 "B"; }
--- pipelined_requests eval
["GET /a", "GET /b"]
--- error_code eval
[200, 201]
--- response_body eval
["A", "B"]



=== TEST 15: chunked response decoding
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



=== TEST 16: post_setup_server_root runs before nginx starts, in an emptied server root; init once it has
--- post_setup_server_root
Test::More::ok(!-e "$ENV{TEST_NGINX_SERVROOT}/logs/nginx.pid", 'post_setup_server_root: nginx not started');
Test::More::ok(!-e "$ENV{TEST_NGINX_SERVROOT}/logs/error.log", 'post_setup_server_root: logs emptied');
Test::More::ok(-d "$ENV{TEST_NGINX_SERVROOT}/conf" && !-e "$ENV{TEST_NGINX_SERVROOT}/conf/nginx.conf",
    'post_setup_server_root: conf/ is there, nginx.conf not yet');
--- init
$main::InitRuns++;
$main::Pid = main::nginx_pid();
Test::More::ok($main::Pid && kill(0, $main::Pid), 'init: nginx is running');
--- config
    location = /pid { return 200 "$pid"; }
--- request
GET /pid
--- response_body_like: ^\d+$



=== TEST 17: a block without config is sent to the nginx of the block before
--- init
Test::More::is(main::nginx_pid(), $main::Pid, 'no config: the same nginx as TEST 16');
--- request
GET /pid
--- response_body_like: ^\d+$

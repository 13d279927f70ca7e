# scripts/run, driven as a user drives it: started in its own session (as
# a terminal starts a foreground job) with its own PORT, REDIS_PORT and a
# temporary AGENT_ASYNC_VAR, then stopped.  It runs the plain build (what
# `make` builds in build/), so the sanitizer pass of scripts/test skips it.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use File::Path ();
use HTTP::Tiny;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use AgentAsync::WorkerTest qw(free_port wait_for);
use AgentAsync::RunTest;

plan skip_all => 'scripts/run uses the plain build; tested in the plain pass'
    if ($ENV{AGENT_ASYNC_WORKER_BIN} // '') =~ m{/build/san/};

my $HTTP = HTTP::Tiny->new(keep_alive => 0, timeout => 5);

# A request with Authorization twice: nginx answers 400 itself, and at
# error_log info logs both header lines, token included.
sub duplicate_authorization {
    my ($s, $token) = @_;
    my $r = $HTTP->request('GET', "http://127.0.0.1:$s->{port}/v1/agents/x",
        { headers => { Authorization => ["Bearer $token", "Bearer $token"] } });
    return $r->{status};
}

sub conf_of { slurp("$_[0]{var}/nginx/conf/nginx.conf") }

# ---- a start, the walkthrough, SIGTERM ----

{
    my $var = new_var();
    # left by an older scripts/run
    mkdir "$var/nginx";
    mkdir "$var/nginx/conf";
    open my $old, '>', "$var/nginx/conf/nginx.conf" or die "conf: $!";
    close $old;
    chmod 0644, "$var/nginx/conf/nginx.conf";

    my $s = run_start(var => $var);
    ok run_ready($s), 'scripts/run: running' or diag output($s);
    my $token = token_of($s);
    like $token, qr/^aa-[0-9a-f]{48}$/, 'a token was generated into var/token';
    like output($s), qr/^token: \Q$token\E$/m, 'and printed';
    is((stat "$s->{var}/token")[2] & 07777, 0600, 'var/token is 0600');
    like conf_of($s), qr/agent_async_token \Q$token\E;/,
        'nginx.conf holds the token';
    is((stat "$var/nginx/conf/nginx.conf")[2] & 07777, 0600,
       'so it is 0600, even when it was there before');
    like conf_of($s), qr{^error_log \S+/error\.log notice;$}m,
        'error_log at notice by default';
    is duplicate_authorization($s, $token), 400,
        'Authorization twice: 400 from nginx';
    is `redis-cli -p $s->{redis_port} CONFIG GET maxmemory | tail -1`,
        "1073741824\n", 'Redis has a maxmemory, 1gb by default';
    is `redis-cli -p $s->{redis_port} CONFIG GET maxmemory-policy | tail -1`,
        "noeviction\n", 'and never evicts';

    my ($st, $agent) = api($s, $token, 'POST', '/v1/agents/',
                           { name => 'echo' });
    is $st, 200, 'an agent';
    ($st, my $run) = api($s, $token, 'POST',
                         "/v1/agents/$agent->{id}/messages/async",
                         { input => 'hello, agent' });
    is $st, 200, 'a run';
    is $run->{status}, 'created', 'created';
    is run_status($s, $token, $run->{id}, 'completed'), 'completed',
        'the worker completes it';
    like slurp("$var/nginx/logs/access.log"),
        qr{"POST /v1/agents/\Q$agent->{id}\E/messages/async HTTP/1\.1" 200 .* run=\Q$run->{id}\E agent=\Q$agent->{id}\E tenant=default$}m,
        'access.log: the run, its agent and tenant';
    my $m = $HTTP->get("http://127.0.0.1:$s->{port}/metrics");
    is $m->{status}, 200, '/metrics';
    like $m->{content}, qr/^agent_async_runs_created_total 1$/m,
        'it counts the run';
    ($st, my $b) = api($s, $token, 'GET', "/latest/runs/$run->{id}");
    is $st, 200, 'served under /latest/ too';
    is $b->{id}, $run->{id}, 'the same run';
    ($st, $b) = api($s, $token, 'POST', '/latest/agents/', { name => 'l' });
    is $st, 200, 'POST /latest/agents/';
    is $b->{name}, 'l', 'an agent';
    ($st) = api($s, $token, 'GET', "/v2/runs/$run->{id}");
    is $st, 404, 'nothing else';
    ($st) = api($s, 'wrong-token-000', 'GET', "/v1/runs/$run->{id}");
    is $st, 401, 'a wrong token: 401';

    kill 'TERM', $s->{pid};
    is run_exit($s), 0, 'SIGTERM: exit status 0';
    my $log = slurp("$var/nginx/logs/error.log");
    unlike $log, qr/\Q$token\E/, 'the token is nowhere in error.log';
    unlike slurp("$var/nginx/logs/access.log"), qr/\Q$token\E/,
        'nor in access.log';
    is_deeply [ grep { /\Q$token\E/ } split /\n/, output($s) ],
        [ "token: $token", "  export TOKEN=$token" ],
        'in the output only where it is printed for the user';
    like output($s), qr/^run: stopping$/m, 'stopping';
    unlike output($s), qr/a process exited/, 'no "a process exited"';
    all_stopped($s, 'SIGTERM');
}

# LOG_LEVEL=info: nginx then logs header lines (why notice is the default)
{
    my $s = run_start(env => { LOG_LEVEL => 'info',
                               AGENT_ASYNC_TOKEN => 'info-token-0123' });
    ok run_ready($s), 'LOG_LEVEL=info: running' or diag output($s);
    like conf_of($s), qr{^error_log \S+/error\.log info;$}m,
        'error_log at info';
    is duplicate_authorization($s, 'info-token-0123'), 400, 'a duplicate';
    ok wait_for(sub { slurp("$s->{var}/nginx/logs/error.log")
                      =~ /duplicate header line: "Authorization: Bearer info-token-0123"/ }, 5),
        'nginx logged the header, token included';
    kill 'HUP', $s->{pid};
    is run_exit($s), 0, 'SIGHUP (the terminal closed): exit status 0';
    all_stopped($s, 'SIGHUP');
}

for my $bad ('verbose', 'INFO', 'info;') {
    my $s = run_start(env => { LOG_LEVEL => $bad });
    is run_exit($s), 2, "LOG_LEVEL='$bad': exit status 2";
    like output($s), qr/^run: LOG_LEVEL=\Q$bad\E: one of debug, info, notice, warn, error, crit, alert, emerg$/m,
        'says why' or diag output($s);
    unlike output($s), qr/run: stopping/, 'nothing was started';
}

# a var that nginx's worker processes (user nobody) cannot reach, as under
# /root: request bodies must not need nginx's temporary files there
{
    my $private = new_var();
    chmod 0700, $private;
    mkdir "$private/var" or die "mkdir: $!";
    my $s = run_start(var => "$private/var",
                      env => { AGENT_ASYNC_TOKEN => 'private-token-0123' });
    ok run_ready($s), 'var in a 0700 directory: running' or diag output($s);
    my ($st, $agent) = api($s, 'private-token-0123', 'POST', '/v1/agents/',
                           { name => 'big' });
    ($st, my $run) = api($s, 'private-token-0123', 'POST',
                         "/v1/agents/$agent->{id}/messages/async",
                         { input => 'x' x 500_000 });
    is $st, 200, 'a 500 KB body is accepted' or diag explain $run;
    is run_status($s, 'private-token-0123', $run->{id}, 'completed'),
        'completed', 'and run';
    kill 'TERM', $s->{pid};
    is run_exit($s), 0, 'stopped';
}

# Redis cannot write its final snapshot (its directory is gone, or the
# disk full) and so refuses to exit: scripts/run does not wait forever
# (the AOF is written by then), and a second signal does not wait at all
for my $again (0, 1) {
    my $s = run_start(env => { AGENT_ASYNC_TOKEN => 'gone-token-0123' });
    ok run_ready($s), 'Redis that cannot save: running' or diag output($s);
    File::Path::remove_tree("$s->{var}/redis");
    my $t0 = time;
    kill 'TERM', $s->{pid};
    if ($again) {
        ok wait_for(sub { !port_open($s->{port}) && !worker_pid($s) }, 10),
            'nginx and the worker stopped';
        sleep 0.3;
        kill 'TERM', $s->{pid};
    }
    is run_exit($s, 20), 1, 'exit status 1';
    my $took = time - $t0;
    if ($again) {
        like output($s), qr/^run: killing Redis$/m, 'a second signal kills it'
            or diag output($s);
        ok $took < 4, sprintf 'at once (%.1f s)', $took;
    } else {
        like output($s), qr/^run: Redis did not exit within 5 s \(see \S+redis\.log\); killing it$/m,
            'says so' or diag output($s);
        ok $took > 4 && $took < 10, sprintf 'after 5 s (%.1f s)', $took;
    }
    all_stopped($s, 'Redis that cannot save');
}

# settings that would not make a valid nginx.conf: refused up front
for my $case (
    [ { PORT => 'abc' },           qr/^run: PORT=abc: a port number$/m ],
    [ { PORT => '70000' },         qr/^run: PORT=70000: a port number$/m ],
    [ { PORT => '0' },             qr/^run: PORT=0: a port number$/m ],
    [ { REDIS_PORT => '63 90' },   qr/^run: REDIS_PORT=63 90: a port number$/m ],
    [ { REDIS => '127.0.0.1:1; include /etc/passwd' },
      qr/^run: REDIS=127\.0\.0\.1:1; include \/etc\/passwd: host:port, /m ],
    [ { AGENT_ASYNC_TOKEN => 'short' },  qr/^run: the token: at least 8 /m ],
    [ { AGENT_ASYNC_TOKEN => 'with space 0123' }, qr/^run: the token: /m ],
    [ { AGENT_ASYNC_TOKEN => 'semi;colon0123' },  qr/^run: the token: /m ],
    [ { AGENT_ASYNC_TOKEN => 'brace}0123' },      qr/^run: the token: /m ],
    [ { AGENT_ASYNC_TOKEN => "quote'0123" },      qr/^run: the token: /m ],
) {
    my ($env, $want) = @$case;
    my $what = join ' ', map { "$_='$env->{$_}'" } sort keys %$env;
    my $s = run_start(env => $env);
    is run_exit($s), 2, "$what: exit status 2";
    like output($s), $want, 'says why' or diag output($s);
    unlike output($s), qr/run: stopping/, 'nothing was started';
}

# ---- the worker dies: everything else is stopped too, and the next
# start works (Redis must not be left behind on its port) ----

{
    my $s = run_start(env => { AGENT_ASYNC_TOKEN => 'kill-token-0123' });
    ok run_ready($s), 'kill -9: running' or diag output($s);
    my $w = worker_pid($s);
    ok $w, "the worker is process $w";
    kill 'KILL', $w if $w;
    is run_exit($s), 1, 'scripts/run exits 1 when the worker dies';
    like output($s), qr/^run: a process exited/m, 'and says so';
    all_stopped($s, 'worker killed');

    my $again = run_start(var => $s->{var}, port => $s->{port},
                          redis_port => $s->{redis_port},
                          env => { AGENT_ASYNC_TOKEN => 'kill-token-0123' });
    ok run_ready($again), 'started again on the same ports'
        or diag output($again);
    unlike output($again) . slurp("$s->{var}/redis/redis.log"),
        qr/Address already in use/, 'no port in use';
    my ($st) = api($again, 'kill-token-0123', 'POST', '/v1/agents/', {});
    is $st, 200, 'and serving';
    kill 'TERM', $again->{pid};
    is run_exit($again), 0, 'stopped';
    all_stopped($again, 'second start');
}

# ---- Ctrl-C: the terminal signals the whole process group; scripts/run
# stops nginx and the worker, lets the run in flight finish, then Redis ----

sub ctrl_c { kill 'INT', -$_[0]{pid} }

sub start_one_run {
    my ($s, $token) = @_;
    my ($st, $agent) = api($s, $token, 'POST', '/v1/agents/', {});
    ($st, my $run) = api($s, $token, 'POST',
                         "/v1/agents/$agent->{id}/messages/async",
                         { input => 'in flight' });
    is run_status($s, $token, $run->{id}, 'running'), 'running',
        'a run in flight';
    return $run->{id};
}

{
    my %env = (AGENT_ASYNC_TOKEN => 'ctrl-c-token-0123',
               WORKER_ARGS => '--echo-delay-ms 1500');
    my $s = run_start(env => \%env);
    ok run_ready($s), 'Ctrl-C: running' or diag output($s);
    my $run = start_one_run($s, 'ctrl-c-token-0123');
    ctrl_c($s);
    is run_exit($s), 0, 'Ctrl-C: exit status 0';
    my $out = output($s);
    like $out, qr/^run: stopping$/m, 'stopping';
    unlike $out, qr/a process exited/, 'no "a process exited"';
    unlike $out, qr/drain grace over/, 'the worker drained within its grace';
    unlike $out, qr/Server closed the connection/,
        'Redis was there until the worker had finished';
    unlike $out, qr/^\S+Z (?:WARN|ERROR) /m, 'no worker warning'
        or diag $out;
    all_stopped($s, 'Ctrl-C');

    my $again = run_start(var => $s->{var}, port => $s->{port},
                          redis_port => $s->{redis_port}, env => \%env);
    ok run_ready($again), 'started again' or diag output($again);
    my ($st, $b) = api($again, 'ctrl-c-token-0123', 'GET', "/v1/runs/$run");
    is $b->{status}, 'completed', 'the run in flight had completed, kept';
    ctrl_c($again);
    is run_exit($again), 0, 'stopped again';
    all_stopped($again, 'Ctrl-C again');
}

# a second Ctrl-C cuts the worker's grace short: the run is handed back
{
    my $s = run_start(env => {
        AGENT_ASYNC_TOKEN => 'ctrl-c-token-0123',
        WORKER_ARGS => '--echo-delay-ms 60000 --drain-ms 60000' });
    ok run_ready($s), 'Ctrl-C twice: running' or diag output($s);
    start_one_run($s, 'ctrl-c-token-0123');
    ctrl_c($s);
    ok wait_for(sub { output($s) =~ /draining/ }, 5), 'the worker drains';
    sleep 0.5;
    ok !defined run_exit($s, 0), 'and is given its grace';
    my $t0 = time;
    ctrl_c($s);
    is run_exit($s, 15), 0, 'second Ctrl-C: exit status 0';
    ok time - $t0 < 10, sprintf 'within the hand-back bound (%.1f s)',
        time - $t0;
    like output($s), qr/^run: stopping now$/m, 'stopping now';
    like output($s), qr/handed back/, 'the run was handed back';
    all_stopped($s, 'Ctrl-C twice');
}

# ---- nginx starts once Redis answers PING with PONG ----

# A var whose Redis takes a while to load: an old-style AOF (Redis
# migrates it at start) where every 1024th command, the rate at which a
# loading Redis answers clients (LOADING), is a Lua busy loop.
sub slow_aof_var {
    my ($chunks) = @_;
    my $var = new_var();
    mkdir "$var/redis" or die "mkdir: $!";
    open my $f, '>', "$var/redis/appendonly.aof" or die "aof: $!";
    my $cmd = sub {
        my $s = '*' . @_ . "\r\n";
        $s .= '$' . length($_) . "\r\n$_\r\n" for @_;
        print $f $s;
    };
    my $lua = 'local i = 0 while i < 3000000 do i = i + 1 end return i';
    for my $c (1 .. $chunks) {
        $cmd->('EVAL', $lua, '0');
        $cmd->('SET', "filler:$c:$_", 'x') for 1 .. 1023;
    }
    close $f or die "aof: $!";
    return $var;
}

{
    my $s = run_start(var => slow_aof_var(60),
                      env => { AGENT_ASYNC_TOKEN => 'aof-token-0123' });
    my $t0 = time;
    ok run_ready($s), 'a Redis loading its AOF: running' or diag output($s);
    my $took = time - $t0;
    my ($st) = api($s, 'aof-token-0123', 'POST', '/v1/agents/', {});
    is $st, 200, 'the first request after "running" is served, not 503';
    my ($loaded) = slurp("$s->{var}/redis/redis.log")
        =~ /DB loaded from append only file: ([\d.]+) seconds/;
    ok $loaded && $loaded > 0.5, "the AOF took a while to load ($loaded s)";
    ok $took > $loaded, sprintf '"running" came after (%.1f s)', $took;
    like output($s), qr/^run: waiting for Redis at 127\.0\.0\.1:\d+ to load its data$/m,
        'scripts/run said it was waiting';
    kill 'TERM', $s->{pid};
    is run_exit($s), 0, 'stopped';
    all_stopped($s, 'AOF');
}

# Redis cannot start (its port is taken): a clear message, nothing else
# started
{
    my $taken = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                      LocalPort => 0, Listen => 1)
        or die "listen: $!";
    my $s = run_start(redis_port => $taken->sockport);
    is run_exit($s), 1, 'Redis cannot start: exit status 1';
    like output($s), qr/^run: redis-server exited; see \S+redis\.log$/m,
        'says so' or diag output($s);
    unlike output($s), qr/agent-async is running/, 'never "running"';
    unlike output($s), qr/nginx|worker/i, 'neither nginx nor the worker ran';
    is_deeply processes($s), {}, 'no process left';
}

# an external Redis (REDIS=) that never answers: waited for REDIS_WAIT
{
    my $silent = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                       LocalPort => 0, Listen => 8)
        or die "listen: $!";
    my $t0 = time;
    my $s = run_start(env => { REDIS => '127.0.0.1:' . $silent->sockport,
                               REDIS_WAIT => 2 });
    is run_exit($s), 1, 'a Redis that never answers: exit status 1';
    my $took = time - $t0;
    ok $took >= 2 && $took < 10, sprintf 'after REDIS_WAIT (%.1f s)', $took;
    like output($s), qr/^run: Redis at 127\.0\.0\.1:\d+ did not answer PING with PONG within 2 s/m,
        'says so' or diag output($s);
    unlike output($s), qr/agent-async is running/, 'never "running"';
    ok !port_open($s->{port}), 'nginx never listened';
    is_deeply processes($s), {}, 'no process left';
}

# nginx cannot listen (its port is taken): a clear message, Redis stopped
{
    my $taken = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                      LocalPort => 0, Listen => 1)
        or die "listen: $!";
    my $s = run_start(port => $taken->sockport);
    is run_exit($s), 1, 'nginx cannot listen: exit status 1';
    like output($s), qr/^run: nginx exited; see \S+error\.log$/m, 'says so'
        or diag output($s);
    unlike output($s), qr/agent-async is running/, 'never "running"';
    is_deeply processes($s), {}, 'no process left';
    ok !port_open($s->{redis_port}), 'Redis stopped';
}

for my $bad ('0', 'lots', '1tb', '-5mb') {
    my $s = run_start(env => { REDIS_MAXMEMORY => $bad });
    is run_exit($s), 2, "REDIS_MAXMEMORY=$bad: exit status 2";
    like output($s), qr/^run: REDIS_MAXMEMORY=\Q$bad\E: /m, 'says why';
}

for my $bad ('0', 'soon', '-1', '1.5') {
    my $s = run_start(env => { REDIS_WAIT => $bad });
    is run_exit($s), 2, "REDIS_WAIT=$bad: exit status 2";
    like output($s), qr/^run: REDIS_WAIT=\Q$bad\E: /m, 'says why';
    unlike output($s), qr/run: stopping/, 'nothing was started';
}

done_testing;

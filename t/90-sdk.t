# The official Letta TypeScript SDK (@letta-ai/letta-client), unchanged,
# against nginx with the module and a worker running the echo backend.
use lib '.';
use t::AgentTest 'no_plan';
use POSIX ();

my $sdk = 't/sdk';
ok(-d "$sdk/node_modules/\@letta-ai/letta-client",
   'SDK installed (scripts/test runs npm ci in t/sdk)') or exit 1;

nginx_start(
    http_config => "agent_async_redis 127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT};",
    config      => 'location /v1/ { agent_async on;'
                   . ' agent_async_token sdk-token-0123; }',
);

my $worker = fork;
die "fork: $!" unless defined $worker;
if (!$worker) {
    open STDOUT, '>', "$ENV{TEST_NGINX_SERVROOT}/logs/worker.log";
    open STDERR, '>&', \*STDOUT;
    exec($ENV{AGENT_ASYNC_WORKER_BIN} || 'build/agent-async-worker',
         '--redis', "127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT}",
         '--backend', 'echo', '--concurrency', '2',
         # slow enough that a cancel finds runs still queued
         '--echo-delay-ms', '100') or POSIX::_exit(127);
}

my $out = `node $sdk/sdk-test.mjs http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT} sdk-token-0123 1 2>&1`;
my $rc = $?;
for my $line (split /\n/, $out) {
    next unless $line =~ /^(not ok|ok) - (.*)$/;
    ok($1 eq 'ok', "sdk: $2");
}
is($rc, 0, 'the SDK script passed') or diag($out);
like($out, qr/^all passed$/m, 'the SDK script ran to the end');

kill 'TERM', $worker;
waitpid $worker, 0;
is($?, 0, 'the worker drained and exited 0 on SIGTERM');
unlike(error_log(), qr/\[(alert|crit|emerg)\]/, 'no alert in error.log');
nginx_stop();

# The examples of README.md and docs/, run as they are written (only the
# token file, the ports and the checkout's path are replaced): the
# walkthrough and every endpoint of README.md, the Agents example of docs/api.md and the TypeScript SDK
# snippet against a scripts/run, the retry example of docs/idempotency.md,
# the --cancel example of docs/worker.md, the nginx.conf of docs/directives.md
# with nginx -t.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Cwd ();
use File::Temp ();
use AgentAsync::RunTest;

plan skip_all => 'scripts/run uses the plain build; tested in the plain pass'
    if ($ENV{AGENT_ASYNC_WORKER_BIN} // '') =~ m{/build/san/};

my $top = Cwd::getcwd();
my $tmp = File::Temp->newdir('aa-docs-XXXXXX', TMPDIR => 1);

# The first ```LANG block after the line matching $after in $file.
sub example {
    my ($file, $after, $lang) = @_;
    my $text = slurp($file);
    my ($block) = $text =~ /$after.*?^```\Q$lang\E\n(.*?)^```$/ms;
    ok defined $block, "$file: the $lang example" or return '';
    return $block;
}

sub write_file {
    my ($path, $text) = @_;
    open my $f, '>', $path or die "$path: $!";
    print $f $text;
    close $f or die "$path: $!";
}

my $s = run_start();
ok run_ready($s), 'scripts/run: running' or diag output($s);
my $port = $s->{port};

# README.md: the walkthrough
my $walk = example('README.md', qr/^## Walkthrough/m, 'sh');
ok $walk =~ s{cat var/token}{cat $s->{var}/token}, 'it reads var/token';
ok $walk =~ s{127\.0\.0\.1:8080}{127.0.0.1:$port}g, 'it talks to port 8080';
write_file("$tmp/walk.sh", $walk);
my $out = `bash -e $tmp/walk.sh 2>&1`;
is $?, 0, 'the walkthrough runs' or diag $out;
like $out, qr/\A(agent-[0-9a-f-]{36})\n(run-[0-9a-f-]{36})\n\{"id":"\2".*\}\n\z/,
    'it prints the agent, the run, then the Run' or diag $out;
like $out, qr/"status":"completed"/, 'completed';
like $out, qr/"stop_reason":"end_turn"/, 'end_turn';
like $out, qr/"ttft_ns":\d+,"total_duration_ns":\d+/, 'timings filled';

# README.md: every endpoint, going on from the walkthrough in its shell
my $every = example('README.md', qr/^## Every endpoint, with curl/m, 'sh');
write_file("$tmp/every.sh", $walk . $every);
$out = `bash -e $tmp/every.sh 2>&1`;
is $?, 0, 'README: every endpoint runs' or diag $out;
my @l = split /\n/, $out;
is scalar @l, 19, 'walkthrough 3 lines, then 16' or diag $out;
my ($A, $R) = @l[0, 1];
my @want = (
    [ qr/\A\{"version":"[^"]+","status":"ok"\}\z/, 'health' ],
    [ qr/\A\{"id":"\Q$A\E".*"name":"echo"/, 'the agent' ],
    [ qr/\A\[\{"id":"\Q$A\E".*\}\]\z/, 'the agents: an array, the newest first' ],
    [ qr/\A\{"id":"\Q$A\E".*"description":"my first agent"/, 'PATCH: the description' ],
    [ qr/\A\[\{.*"message_type":"user_message".*"message_type":"assistant_message".*\]\z/,
      'messages: user, then assistant' ],
    [ qr/\A\{"completion_tokens":\d+,"prompt_tokens":\d+,"total_tokens":\d+/, 'usage' ],
    [ qr/\A\[\{"id":"step-[0-9a-f-]{36}".*\}\]\z/, 'steps: one' ],
    [ qr/\A\{"id":"\Q$R\E","organization_id":null,"agent_id":"\Q$A\E".*"num_steps":1/, 'metrics' ],
    [ qr/\A\[\{"id":"\Q$R\E".*"status":"completed".*\}\]\z/, 'runs: an array of the run' ],
    [ qr/\A\[\]\z/, 'active: none' ],
    [ qr/\A\{"detail":"CONFLICT: No active runs to cancel for agent \Q$A\E"\}\z/, 'cancel: 409' ],
    [ qr/\Arun-[0-9a-f-]{36}\z/, 'the keyed run' ],
    [ qr/\Arun-[0-9a-f-]{36}\z/, 'the keyed run again' ],
    [ qr/\A\{"id":"\Q$R\E".*"status":"completed"/, 'DELETE: the Run' ],
    [ qr/\A\{"message":"Agent id=\Q$A\E successfully deleted"\}\z/, 'DELETE agent' ],
    [ qr/\A404\z/, 'the run is gone' ],
);
for my $i (0 .. $#want) {
    like $l[3 + $i] // '', $want[$i][0], "README every endpoint: $want[$i][1]";
}
is $l[14], $l[15], 'the Idempotency-Key gives the same run twice';

# docs/api.md: the Agents example, with the walkthrough's TOKEN and API
my $agents = example('docs/api.md', qr/^With `scripts\/run` running \(`TOKEN` and `API`/m, 'sh');
write_file("$tmp/agents.sh", "export TOKEN=\$(cat $s->{var}/token)\n"
           . "API=http://127.0.0.1:$port/v1\n" . $agents);
$out = `bash -e $tmp/agents.sh 2>&1`;
is $?, 0, 'docs/api.md: the Agents example runs' or diag $out;
like $out, qr/\A1\n"description":"renamed"\n\{"message":"Agent id=agent-[0-9a-f-]{36} successfully deleted"\}\n404\n\z/,
    'it prints 1, the description, the message, 404' or diag $out;

# README.md: the TypeScript SDK, in a directory of its own
my $js = example('README.md', qr/^## With the TypeScript SDK/m, 'js');
like $js, qr{baseURL: 'http://127\.0\.0\.1:8080'}, 'baseURL is the root';
$js =~ s{127\.0\.0\.1:8080}{127.0.0.1:$port}g;
mkdir "$tmp/sdk" or die "mkdir: $!";
symlink "$top/t/sdk/node_modules", "$tmp/sdk/node_modules"
    or die "symlink: $!";
write_file("$tmp/sdk/example.mjs", $js);
ok -d "$top/t/sdk/node_modules/\@letta-ai/letta-client",
    'SDK installed (scripts/test runs npm ci in t/sdk)';
$out = `cd $tmp/sdk && TOKEN=\$(cat $s->{var}/token) node example.mjs 2>&1`;
is $?, 0, 'the SDK example runs' or diag $out;
like $out, qr/\Arun-[0-9a-f-]{36} completed end_turn\n\z/,
    'it prints the run, completed, end_turn' or diag $out;

# ... and with ".../v1" as baseURL, every call is a 404, as README says
$js =~ s{127\.0\.0\.1:$port'}{127.0.0.1:$port/v1'};
write_file("$tmp/sdk/example.mjs", $js);
$out = `cd $tmp/sdk && TOKEN=\$(cat $s->{var}/token) node example.mjs 2>&1`;
isnt $?, 0, 'with /v1 in baseURL it fails';
like $out, qr/NotFoundError/, 'with a 404';

# docs/idempotency.md: the same request twice, the second a replay
my $idem = example('docs/idempotency.md', qr/^nothing is deduplicated/m, 'sh');
ok $idem =~ s{cat var/token}{cat $s->{var}/token}, 'it reads var/token';
ok $idem =~ s{127\.0\.0\.1:8080}{127.0.0.1:$port}g, 'it talks to port 8080';
write_file("$tmp/idem.sh", $idem);
$out = `bash -e $tmp/idem.sh 2>&1`;
is $?, 0, 'the idempotency example runs' or diag $out;
like $out, qr/\Aa new run\r?\nIdempotent-Replayed: true\r?\n\z/i,
    'a new run, then a replay, as docs/idempotency.md says' or diag $out;

# docs/worker.md: --cancel, its output and exit status
my $cancel = example('docs/worker.md', qr/^`--cancel RUN` prints/m, '');
my ($cmd, $want) = $cancel =~ /\A\$ (.*)\n(.*\n.*\n)\z/
    or fail 'the --cancel example: a command and its output';
ok $cmd =~ s{127\.0\.0\.1:6390}{127.0.0.1:$s->{redis_port}},
    'it talks to the Redis of scripts/run';
is `$cmd`, $want, "docs/worker.md: $want";

kill 'TERM', $s->{pid};
is run_exit($s), 0, 'scripts/run stopped';

# docs/directives.md: the configuration passes nginx -t
my $conf = example('docs/directives.md', qr/^# Directives/m, 'nginx');
ok $conf =~ s{/path/to/checkout/}{$top/}, 'it loads the module from build/';
ok -f "$top/build/ngx_http_agent_async_module.so", 'which is there';
mkdir "$tmp/nginx" or die "mkdir: $!";
mkdir "$tmp/nginx/logs" or die "mkdir: $!";
write_file("$tmp/nginx/nginx.conf", $conf);
$out = `/usr/sbin/nginx -t -p $tmp/nginx -e $tmp/nginx/logs/error.log -c $tmp/nginx/nginx.conf -g 'pid $tmp/nginx/nginx.pid;' 2>&1`;
is $?, 0, 'docs/directives.md: nginx -t' or diag $out;
like $out, qr/test is successful/, 'test is successful';

done_testing;

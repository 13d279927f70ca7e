# Flags, environment and config file; startup errors.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run run_key);

my $bin = worker_bin();

my $help = `$bin --help 2>&1`;
is $? >> 8, 0, '--help exits 0';
like $help, qr/--redis\s.*--echo-delay-ms\s.*--drain-ms/s, '--help lists flags';

for my $case ([ '--bogus', qr/unknown flag "--bogus"/ ],
              [ '--concurrency 0', qr/concurrency must be an integer from 1/ ],
              [ '--concurrency x', qr/concurrency must be an integer/ ],
              [ '--backend lettuce', qr/backend "lettuce" is unknown \(available: echo, openai, letta\)/ ],
              [ '--backend letta', qr/backend letta needs letta-url/ ],
              [ '--backend letta --letta-url ftp://h', qr/letta-url "ftp:\/\/h" must be http/ ],
              [ '--backend letta --letta-url http://u@h', qr/letta-url "http:\/\/u\@h" must be http/ ],
              # a token is a secret: never a flag (ps shows argv)
              [ '--letta-token t0k', qr/unknown flag "--letta-token"/ ],
              [ '--letta-cancel 2', qr/letta-cancel must be/ ],
              [ '--letta-cancel-timeout-ms 0', qr/letta-cancel-timeout-ms must be/ ],
              [ '--letta-ca-file', qr/--letta-ca-file needs a value/ ],
              [ '--redis host:99999', qr/bad port/ ],
              [ '--log-level loud', qr/log-level must be/ ],
              [ '--heartbeat-ms 1000 --lease-ttl-ms 1500', qr/at least twice/ ],
              [ '--config /nonexistent', qr/cannot open config file/ ],
              [ '--redis', qr/--redis needs a value/ ],
              # the module's rules (aa_conf.h): a brace breaks hash tags
              [ "--prefix 'aa{x:'", qr/prefix "aa\{x:" must not contain "\{" or "\}"/ ],
              [ "--prefix 'aa}'", qr/prefix "aa\}" must not contain "\{" or "\}"/ ],
              [ "--prefix ''", qr/prefix "" must be 1 to 64 characters long/ ],
              [ '--prefix ' . ('p' x 65), qr/must be 1 to 64 characters long/ ],
              [ "--prefix 'my app:'", qr/prefix "my app:" must be printable ASCII/ ],
              [ '--redis-db 1024', qr/redis-db must be between 0 and 1023, not 1024/ ],
              [ '--redis-db 5000', qr/redis-db must be between 0 and 1023, not 5000/ ],
              [ '--redis-db -1', qr/redis-db must be an integer/ ])
{
    # a value wrongly accepted would start the worker: fail, do not hang
    my $out = `timeout 10 $bin $case->[0] 2>&1`;
    is $? >> 8, 2, "$case->[0]: exit 2";
    like $out, $case->[1], "$case->[0]: message";
}

{
    local $ENV{AGENT_ASYNC_WORKER_MAX_ATTEMPTS} = 'many';
    my $out = `$bin 2>&1`;
    is $? >> 8, 2, 'bad environment value: exit 2';
    like $out, qr/AGENT_ASYNC_WORKER_MAX_ATTEMPTS: max-attempts must be/,
        'names the variable';
}

{
    local $ENV{AGENT_ASYNC_WORKER_PREFIX} = 'env{';
    my $out = `timeout 10 $bin 2>&1`;
    is $? >> 8, 2, 'brace in the prefix from the environment: exit 2';
    like $out, qr/prefix "env\{" must not contain/, 'the prefix is named';
}

my $dir = tmpdir();
open my $f, '>', "$dir/bad.conf";
print $f "# comment\n\nconcurrency 2\nwhat ever\n";
close $f;
my $out = `$bin --config $dir/bad.conf 2>&1`;
is $? >> 8, 2, 'bad config key: exit 2';
like $out, qr/bad\.conf:4: unknown key "what"/, 'file and line named';

# precedence: flag > environment > file > default, seen through the prefix
# the worker registers under
redis_start();
my $r = redis();
open $f, '>', "$dir/w.conf";
print $f "# the worker's config\nprefix  file:\necho-delay-ms 0\n";
close $f;

my @w;
push @w, worker_start(config => "$dir/w.conf");
push @w, worker_start(config => "$dir/w.conf",
                      env => { AGENT_ASYNC_WORKER_PREFIX => 'env:' });
push @w, worker_start(config => "$dir/w.conf", prefix => 'flag:',
                      env => { AGENT_ASYNC_WORKER_PREFIX => 'env:' });
push @w, worker_start(env => { AGENT_ASYNC_WORKER_CONFIG => "$dir/w.conf" });

ok wait_for(sub { $r->cmd('SCARD', 'file:workers') == 2 }, 10),
    'file prefix (via --config and AGENT_ASYNC_WORKER_CONFIG)';
ok wait_for(sub { $r->cmd('SCARD', 'env:workers') == 1 }, 10),
    'environment beats the file';
ok wait_for(sub { $r->cmd('SCARD', 'flag:workers') == 1 }, 10),
    'flag beats the environment';

my $agent = create_agent($r, prefix => 'file:');
my $run = create_run($r, $agent, prefix => 'file:', input => 'prefixed');
ok wait_status(run_key('file:', $run), 10, 'completed'),
    'a run under the configured prefix completes';

is worker_stop($_), 0, 'worker stops' for @w;

done_testing;

# The openai backend's settings: providers, key files, endpoint prefixes,
# the fallback; bad ones stop the worker at startup (exit 2), good ones
# from the config file and the environment are used.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use AgentAsync::WorkerTest;
use AgentAsync::MockLLM;
use AgentAsync::Seed qw(create_agent create_run run_key json);

my $bin = worker_bin();
my $dir = tmpdir();

my $help = `$bin --help 2>&1`;
like $help, qr/--provider\s.*--provider-key-file\s.*--allow-model-endpoint\s.*--fallback-backend\s.*--model-retries/s,
    '--help lists the openai flags';

open my $e, '>', "$dir/empty.key";
close $e;

for my $case ([ '--provider openai', qr/provider: "openai" is not NAME=URL/ ],
              [ '--provider =http://h/v1', qr/is not NAME=URL/ ],
              [ '--provider "a b=http://h/v1"', qr/is not NAME=URL/ ],
              [ '--provider o=ftp://h/v1', qr/is not NAME=URL/ ],
              [ '--provider o=http://u:p@h/v1', qr/is not NAME=URL/ ],
              [ '--provider o=http://h/../v1', qr/is not NAME=URL/ ],
              [ '--provider o=http://h/v1 --provider O=http://g/v1',
                qr/provider "O" given twice/ ],
              [ '--provider-key-file o=/x', qr/is not NAME=PATH of a provider/ ],
              [ '--provider o=http://h/v1 --provider-key-file o=/nonexistent',
                qr/cannot open "\/nonexistent"/ ],
              [ "--provider o=http://h/v1 --provider-key-file o=$dir/empty.key",
                qr/must hold one key/ ],
              [ '--allow-model-endpoint 10.0.0.1', qr/allow-model-endpoint: "10\.0\.0\.1" is not/ ],
              [ '--fallback-backend openai', qr/fallback-backend "openai" is unknown/ ],
              [ '--model-retries 99', qr/model-retries must be an integer from 0 to 20/ ],
              [ '--model-stream 2', qr/model-stream must be an integer from 0 to 1/ ])
{
    my $out = `timeout 10 $bin $case->[0] 2>&1`;
    is $? >> 8, 2, "$case->[0]: exit 2";
    like $out, $case->[1], "$case->[0]: message";
}

# a provider and its key file from the config file; no streaming
redis_start();
my $r = redis();
mock_start();

open my $k, '>', "$dir/p.key";
print $k "  sk-from-file-77\n";
close $k;
open my $c, '>', "$dir/w.conf";
print $c "backend openai\nprovider vllm=" . mock_url() . "\n"
       . "provider-key-file vllm=$dir/p.key\nmodel-stream 0\n";
close $c;

my $w = worker_start(config => "$dir/w.conf");
my $a = create_agent($r, model => 'qwen', llm => { model_endpoint_type => 'vllm' });
mock_script({ text => 'from the file' });
my $run = create_run($r, $a, input => 'hi');
is wait_status(run_key('aa:', $run), 10, qw(completed failed)), 'completed',
    'completed with the config file\'s provider';
my $req = mock_requests()->[0];
is $req->{authorization}, 'Bearer sk-from-file-77', 'the key from the file, trimmed';
ok !exists $req->{body}{stream}, 'model-stream 0: no stream asked';
is worker_stop($w), 0, 'exits';

# the environment's list replaces the config file's: its key file then
# names no provider
$w = worker_start(config => "$dir/w.conf",
                  env => { AGENT_ASYNC_WORKER_PROVIDER => 'other=' . mock_url() });
is worker_wait($w, 10), 2, 'the environment replaces the file\'s providers';
like worker_log($w), qr/provider-key-file: "vllm=.*" is not NAME=PATH of a provider/,
    'so vllm\'s key file names none';

done_testing;

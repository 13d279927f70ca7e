# Malformed jobs fail the run (stop_reason "error", metadata.error in
# clear text, merged with the stored metadata); the worker lives on.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run run_key json);

redis_start();
my $r = redis();

my $agent = create_agent($r);
my %case = (
    'not JSON'        => [ request => '{"messages": [', qr/^invalid job: request is not valid JSON: / ],
    'no request'      => [ request => undef, qr/^invalid job: the run has no request$/ ],
    'not an object'   => [ request => '[1,2]', qr/^invalid job: request is not a JSON object$/ ],
    'no messages'     => [ request => '{"max_steps":3}', qr/^invalid job: request\.messages is missing or not an array$/ ],
    'bad role'        => [ request => '{"messages":[{"type":"message","role":"tool","content":"x","otid":null}]}', qr/role "tool" is not user, system or assistant/ ],
    'bad content'     => [ request => '{"messages":[{"type":"message","role":"user","content":42,"otid":null}]}', qr/content is not a string or an array of parts/ ],
    'approval'        => [ request => '{"messages":[{"type":"approval","approvals":[],"otid":null}]}', qr/echo backend: request\.messages\[0\] has type "approval"/ ],
);

my %run;
for my $name (sort keys %case) {
    my ($k, $v) = @{ $case{$name} };
    $run{$name} = create_run($r, $agent, $k => $v);
}

# an agent deleted after its run was queued
my $gone = create_agent($r);
my $gone_run = create_run($r, $gone, input => 'hello?');
$r->cmd('DEL', "aa:{$gone}:agent");

my $good = create_run($r, $agent, input => 'I am fine');

my $w = worker_start(concurrency => 2);

ok wait_status(run_key('aa:', $good), 10, 'completed'),
    'the valid run after them completes';

for my $name (sort keys %case) {
    my $h = $r->hgetall(run_key('aa:', $run{$name}));
    is $h->{status}, 'failed', "$name: failed";
    is $h->{stop_reason}, 'error', "$name: stop_reason error";
    my $md = json->decode($h->{metadata});
    like $md->{error}, $case{$name}[2], "$name: metadata.error: $md->{error}";
    is $md->{run_type}, 'send_message_async', "$name: metadata merged";
    ok $h->{completed_at} && $h->{total_duration_ns} > 0,
        "$name: completed_at, total_duration_ns";
    is $r->cmd('EXISTS', run_key("aa:", $run{$name}) . ":messages"), 0,
        "$name: no messages";
}

ok wait_status(run_key('aa:', $gone_run), 10, 'failed'),
    'run of a deleted agent fails';
my $md = json->decode($r->cmd('HGET', run_key('aa:', $gone_run),
                              'metadata'));
is $md->{error}, "agent $gone not found", 'metadata.error: agent not found';

is $r->cmd('LLEN', "aa:{$agent}:history"), 2,
    'history holds only the valid exchange';
is_deeply [invariant_errors('aa:', $agent, $gone)], [], 'invariant holds';
like worker_log($w), qr/WARN  slot\d run=\S+ agent=\S+ failed attempt=1 error="invalid job/,
    'log: failed';

is worker_stop($w), 0, 'worker stops';

done_testing;

# A run goes created -> running -> completed, with its Letta messages,
# usage, ttft and duration; the agent's history grows.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run run_key json);

redis_start();
my $r = redis();

my $agent = create_agent($r);
my $otid = AgentAsync::Seed::uuid4();
my $run = create_run($r, $agent, messages => [
    { role => 'user', otid => $otid,
      content => [ { type => 'text', text => 'hello ' },
                   { type => 'text', text => 'big  world' } ] } ]);
my $key = run_key('aa:', $run);

is $r->cmd('HGET', $key, 'status'), 'created', 'seeded run is created';
is_deeply $r->cmd('LRANGE', 'aa:ready', 0, -1), [$agent], 'agent is ready';

my $w = worker_start('echo-delay-ms' => 300, concurrency => 2);

ok wait_for(sub { $r->cmd('HGET', $key, 'status') eq 'running' }, 10),
    'run becomes running';
my $h = $r->hgetall($key);
is $h->{attempts}, 1, 'attempts 1';
like $h->{lease}, qr/^[^#]+:\d+:[0-9a-f]{8}#1$/, 'lease W#1';
like $h->{started_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/,
    'started_at in run format';
ok !defined $h->{completed_at}, 'no completed_at while running';

ok wait_for(sub { $r->cmd('HGET', $key, 'status') eq 'completed' }, 10),
    'run completes';
$h = $r->hgetall($key);
is $h->{stop_reason}, 'end_turn', 'stop_reason end_turn';
like $h->{completed_at}, qr/^\d{4}-.*\.\d{6}Z$/, 'completed_at';
ok $h->{ttft_ns} >= 300e6, "ttft_ns $h->{ttft_ns} covers the echo delay";
ok $h->{total_duration_ns} >= $h->{ttft_ns}, 'total_duration_ns >= ttft_ns';
is_deeply json->decode($h->{metadata}),
    { run_type => 'send_message_async', lettuce => undef },
    'metadata untouched';

my $usage = json->decode($h->{usage});
is_deeply $usage, {
    message_type => 'usage_statistics', completion_tokens => 3,
    prompt_tokens => 3, total_tokens => 6, step_count => 1, run_ids => undef,
    cached_input_tokens => undef, cache_write_tokens => undef,
    reasoning_tokens => undef, context_tokens => undef,
}, 'usage: words as tokens';

my @msgs = map { json->decode($_) }
    @{ $r->cmd('LRANGE', run_key("aa:", $run) . ":messages", 0, -1) };
is scalar @msgs, 2, 'two messages';
my ($u, $a) = @msgs;
is $u->{message_type}, 'user_message', 'first is the user message';
is $u->{otid}, $otid, 'user message keeps the client otid';
is_deeply $u->{content}, [ { type => 'text', text => 'hello ' },
                           { type => 'text', text => 'big  world' } ],
    'user content kept as sent';
is $a->{message_type}, 'assistant_message', 'then the assistant message';
is $a->{content}, 'hello big  world', 'assistant echoes the text';
for my $m ($u, $a) {
    like $m->{id}, qr/^message-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        'message id';
    like $m->{date}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/, 'date';
    like $m->{step_id}, qr/^step-[0-9a-f-]{36}$/, 'step id';
    is $m->{run_id}, $run, 'run_id';
    ok exists $m->{$_} && !defined $m->{$_}, "$_ null"
        for qw(name sender_id is_err seq_id);
}
is $u->{step_id}, $a->{step_id}, 'one step';
my $uuid = substr($a->{id}, 8);
my $last = hex(substr($uuid, 34, 2)) & 0x80;
is $a->{otid}, substr($uuid, 0, 34) . sprintf('%02x', $last),
    'assistant otid = message uuid with low 7 bits = part 0';
is join(',', sort keys %$a),
    'content,date,id,is_err,message_type,name,otid,run_id,sender_id,seq_id,'
    . 'step_id', 'exactly the Letta fields';

is_deeply [ map { json->decode($_) }
            @{ $r->cmd('LRANGE', "aa:{$agent}:history", 0, -1) } ],
    [ { role => 'user', content => 'hello big  world' },
      { role => 'assistant', content => 'hello big  world' } ],
    'history appended';

is $r->cmd('LLEN', "aa:{$agent}:queue"), 0, 'queue empty';
is $r->cmd('LLEN', 'aa:ready'), 0, 'agent not ready';
my $workers = $r->cmd('SMEMBERS', 'aa:workers');
is scalar @$workers, 1, 'one worker registered';
is $r->cmd('LLEN', "aa:processing:$workers->[0]"), 0,
    'agent left processing';

# the raw message text keeps Letta's key order
my $raw = $r->cmd('LINDEX', run_key("aa:", $run) . ":messages", 1);
like $raw, qr/^\{"id":"message-[^"]+","date":"[^"]+","name":null,"message_type":"assistant_message","otid":"[^"]+","sender_id":null,"step_id":"step-[^"]+","is_err":null,"seq_id":null,"run_id":"\Q$run\E","content":"hello big  world"\}$/,
    'assistant message JSON in Letta order';

my $log = worker_log($w);
like $log, qr/INFO  slot\d run=\Q$run\E agent=\Q$agent\E claimed attempt=1/,
    'log: claimed';
like $log, qr/run=\Q$run\E agent=\Q$agent\E running/, 'log: running';
like $log, qr/run=\Q$run\E agent=\Q$agent\E completed stop_reason=end_turn/,
    'log: completed';

# a big job: 5000 user messages, 10000 Letta messages in one terminal write
my $big = create_run($r, $agent, messages => [
    map { { role => 'user', content => "line $_" } } 1 .. 5000 ]);
ok wait_status(run_key('aa:', $big), 20, 'completed'),
    'a run with 5000 messages completes';
is $r->cmd('LLEN', run_key("aa:", $big) . ":messages"), 10000,
    '10000 Letta messages stored';
is $r->cmd('LLEN', "aa:{$agent}:history"), 1000,
    'history kept to its bound, --history-max 1000 by default';
is $r->cmd('LINDEX', "aa:{$agent}:history", -1),
    '{"role":"assistant","content":"line 5000"}',
    'the newest entries are the ones kept';

is worker_stop($w), 0, 'SIGTERM: exit 0';
is $r->cmd('SCARD', 'aa:workers'), 0, 'worker removed itself from workers';
is $r->cmd('EXISTS', "aa:worker:$workers->[0]"), 0, 'heartbeat deleted';

done_testing;

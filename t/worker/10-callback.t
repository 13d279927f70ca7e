# callback_url (spec section 4, docs/callbacks.md): a POST after the
# terminal write, with the 0.16.8 payload; callback_sent_at,
# callback_status_code or callback_error recorded on the run; a 5xx
# answer or no answer tried again (here twice in all).

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run run_key json);

redis_start();
my $r = redis();
my $port = http_listener();
my $dead_port = free_port();

my $agent = create_agent($r);
my $ok_run = create_run($r, $agent, input => 'call me back',
                        callback_url => "http://127.0.0.1:$port/hook");
my $err_run = create_run($r, $agent, request => 'nope',
                         callback_url => "http://127.0.0.1:$port/status/500");
my $refused = create_run($r, $agent, input => 'nobody listens',
                         callback_url => "http://127.0.0.1:$dead_port/x");
my $queued = create_run($r, $agent, input => 'cancelled before it ran',
                        callback_url => "http://127.0.0.1:$port/cancelled");
my $filtered = create_run($r, $agent, input => 'only the answer',
                          include_types => ['assistant_message'],
                          callback_url => "http://127.0.0.1:$port/filtered");
my $scheme = create_run($r, $agent, input => 'ftp?',
                        callback_url => "ftp://127.0.0.1:$port/x");
my $plain = create_run($r, $agent, input => 'no callback');

is cancel_run($queued), 'cancelled', 'one run cancelled while queued';

my $w = worker_start(concurrency => 2, 'callback-allow' => '127.0.0.0/8',
                     'callback-attempts' => 2, 'callback-backoff-ms' => 200);

ok wait_for(sub { ($r->cmd('HGET', run_key('aa:', $scheme),
                           'callback_error') // '') ne '' }, 15),
    'all runs done';
ok wait_status(run_key('aa:', $plain), 10, 'completed'),
    'last run done';
sleep 1;

ok wait_for(sub { ($r->cmd('HGET', run_key('aa:', $err_run),
                           'callback_attempts') // 0) == 2
                  && !$r->cmd('HEXISTS', run_key('aa:', $err_run),
                              'callback_lease') }, 10),
    'the 500 answered twice (the attempts allowed)';
my (%req, %count);
for my $q (callback_requests()) {
    my $path = (split ' ', $q->{line})[1];
    $req{$path} //= $q;
    $count{$path}++;
}
is_deeply \%count, { '/hook' => 1, '/status/500' => 2, '/cancelled' => 1,
                     '/filtered' => 1 },
    'callbacks received: once each, the one answered 500 twice';

# completed run
my $q = $req{'/hook'};
ok $q, 'callback of the completed run';
is(($q->{line} =~ /^(\S+)/)[0], 'POST', 'POST');
is $q->{headers}{'content-type'}, 'application/json', 'Content-Type';
my $p = json->decode($q->{body});
is join(',', sort keys %$p), 'completed_at,metadata,run_id,status',
    'payload keys';
is $p->{run_id}, $ok_run, 'run_id';
is $p->{status}, 'completed', 'status';
like $p->{completed_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/,
    'completed_at';
is $p->{metadata}{run_type}, 'send_message_async', 'stored metadata';
ok exists $p->{metadata}{lettuce}, 'stored metadata: lettuce';
my $res = $p->{metadata}{result};
is join(',', sort keys %$res), 'logprobs,messages,stop_reason,turns,usage',
    'LettaResponse keys';
is_deeply $res->{stop_reason},
    { message_type => 'stop_reason', stop_reason => 'end_turn' },
    'stop_reason object';
is_deeply [ map { $_->{message_type} } @{ $res->{messages} } ],
    [ 'user_message', 'assistant_message' ], 'messages';
is $res->{messages}[1]{content}, 'call me back', 'assistant content';
is $res->{usage}{total_tokens}, 6, 'usage';
ok !defined $res->{logprobs} && !defined $res->{turns},
    'logprobs, turns null';
my $h = $r->hgetall(run_key('aa:', $ok_run));
like $h->{callback_sent_at}, qr/^\d{4}-.*\.\d{6}Z$/, 'callback_sent_at';
is $h->{callback_status_code}, 200, 'callback_status_code 200';
ok !exists $h->{callback_error}, 'no callback_error';
ok !exists json->decode($h->{metadata})->{result},
    'result not stored in the run';

# failed run, receiver answers 500
$q = $req{'/status/500'};
ok $q, 'callback of the failed run';
$p = json->decode($q->{body});
is $p->{status}, 'failed', 'status failed';
like $p->{metadata}{error}, qr/^invalid job/, 'metadata.error in payload';
is $p->{metadata}{result}{stop_reason}{stop_reason}, 'error',
    'stop_reason error';
is_deeply $p->{metadata}{result}{messages}, [], 'no messages';
$h = $r->hgetall(run_key('aa:', $err_run));
is $h->{callback_status_code}, 500, 'status 500 recorded';
ok !exists $h->{callback_error}, 'no callback_error for an HTTP answer';

# cancelled while queued: sent when it was cancelled, not when the worker
# reached it
$q = $req{'/cancelled'};
ok $q, 'callback of the run cancelled while queued';
$p = json->decode($q->{body});
is $p->{status}, 'cancelled', 'status cancelled';
is $p->{metadata}{result}{stop_reason}{stop_reason}, 'cancelled',
    'stop_reason cancelled';
is $p->{metadata}{result}{usage}{step_count}, 0, 'zero usage';

# include_return_message_types filters the messages
$q = $req{'/filtered'};
$p = json->decode($q->{body});
is_deeply [ map { $_->{message_type} } @{ $p->{metadata}{result}{messages} } ],
    ['assistant_message'], 'messages filtered by include_return_message_types';

# nobody listening
$h = $r->hgetall(run_key('aa:', $refused));
ok $h->{callback_sent_at}, 'refused: callback_sent_at';
ok !exists $h->{callback_status_code}, 'refused: no status code';
like $h->{callback_error},
    qr/^Failed to dispatch callback for run \Q$refused\E to http:\/\/127\.0\.0\.1:\d+\/x: /,
    "refused: callback_error: $h->{callback_error}";

# not http(s)
$h = $r->hgetall(run_key('aa:', $scheme));
like $h->{callback_error}, qr/^Failed to dispatch callback for run/,
    'ftp: refused';

$h = $r->hgetall(run_key('aa:', $plain));
ok !exists $h->{callback_sent_at}, 'no callback_url: nothing sent';

is worker_stop($w), 0, 'worker stops';

done_testing;

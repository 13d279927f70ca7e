# A callback_url may carry secrets, in its user-info ("user:password@")
# or its query ("?token=..."): the POST uses them, the worker's log and
# the callback_error stored on the run never show them.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use MIME::Base64 qw(encode_base64);
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run run_key);

redis_start();
my $r = redis();
my $port = http_listener();
my $dead_port = free_port();

my $agent = create_agent($r);
my $sent = create_run($r, $agent, input => 'call me back', callback_url =>
    "http://hook-user:pass-secret\@127.0.0.1:$port/hook?token=query-secret#frag-secret");
my $refused = create_run($r, $agent, input => 'nobody listens', callback_url =>
    "http://hook-user:pass-secret\@127.0.0.1:$dead_port/x?token=query-secret");

my $w = worker_start('log-level' => 'debug',
                     'callback-allow' => '127.0.0.0/8');

ok wait_for(sub { ($r->cmd('HGET', run_key('aa:', $refused),
                           'callback_error') // '') ne '' }, 15),
    'both callbacks done';
ok wait_for(sub { $r->cmd('HGET', run_key('aa:', $sent),
                          'callback_status_code') }, 5),
    'the first one recorded';

# the POST itself used the URL as given
my @req = callback_requests();
is scalar(@req), 1, 'one callback received';
is $req[0]{line}, 'POST /hook?token=query-secret HTTP/1.1',
    'sent with its query';
is $req[0]{headers}{authorization},
    'Basic ' . encode_base64('hook-user:pass-secret', ''),
    'and its user-info, as Basic credentials';

my $h = $r->hgetall(run_key('aa:', $sent));
is $h->{callback_status_code}, 200, 'callback_status_code 200';

$h = $r->hgetall(run_key('aa:', $refused));
like $h->{callback_error},
    qr/^Failed to dispatch callback for run \Q$refused\E to http:\/\/127\.0\.0\.1:$dead_port\/x: \S/,
    "callback_error names the URL without its secrets: $h->{callback_error}";
unlike $h->{callback_error}, qr/secret|hook-user/,
    'no secret in callback_error';

is worker_stop($w), 0, 'worker stops';

my $log = worker_log($w);
like $log, qr{run=\Q$sent\E .* callback POST http://127\.0\.0\.1:$port/hook: HTTP 200 in },
    'log: the POST, its URL without user-info and query';
like $log, qr{run=\Q$refused\E .* callback POST http://127\.0\.0\.1:$dead_port/x: \S.* \(attempt 1 of 36\): again in \d+ ms},
    'log: the failed POST, likewise';
unlike $log, qr/secret|hook-user/, 'no secret anywhere in the log';

done_testing;

# The receiver of docs/callbacks.md, run as written (Node.js, its standard
# library only), verifies the worker's signed callbacks and refuses a
# tampered one.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use Digest::SHA qw(hmac_sha256_base64);
use IO::Socket::INET;
use MIME::Base64 qw(decode_base64);
use POSIX ();
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run run_key);

plan skip_all => 'no node' unless system('node --version >/dev/null 2>&1') == 0;

my $KEY64 = 'dGhlIGtleSBvZiB0aGUgZG9jcyByZWNlaXZlciB0ZXN0IQ==';
my $SECRET = "whsec_$KEY64";

open my $d, '<', 'docs/callbacks.md' or die "docs/callbacks.md: $!";
my $doc = do { local $/; <$d> };
my ($js) = $doc =~ /^```js\n(.*?)^```$/ms;
ok $js, 'docs/callbacks.md: the receiver' or BAIL_OUT('no receiver');
my $file = tmpdir() . '/receiver.mjs';
open my $f, '>', $file or die "$file: $!";
print $f $js;
close $f;

my $port = free_port();
my $out = tmpdir() . '/receiver.out';
my $node = fork // die "fork: $!";
if ($node == 0) {
    $ENV{CALLBACK_SECRET} = $SECRET;
    $ENV{PORT} = $port;
    open STDOUT, '>', $out;
    open STDERR, '>&', \*STDOUT;
    exec('node', $file) or POSIX::_exit(127);
}
END { local $?; if ($node) { kill 'TERM', $node; waitpid $node, 0 } }

ok wait_for(sub { IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port") }, 10),
    'the receiver listens';

sub post {
    my ($body, %h) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port") or return '';
    print $s "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        . join('', map { "$_: $h{$_}\r\n" } sort keys %h)
        . 'Content-Length: ' . length($body) . "\r\n\r\n$body";
    local $/;
    my $resp = <$s> // '';
    return $resp =~ m{^HTTP/1\.1 (\d+)} ? $1 : '';
}

sub sign {
    my ($id, $ts, $body) = @_;
    my $s = hmac_sha256_base64("$id.$ts.$body", decode_base64($KEY64));
    $s .= '=' while length($s) % 4;
    return "v1,$s";
}

# the worker's real callback
redis_start();
my $r = redis();
my $agent = create_agent($r);
my $run = create_run($r, $agent, input => 'verify me',
                     callback_url => "http://127.0.0.1:$port/hook");
my $w = worker_start('callback-secret' => $SECRET,
                     'callback-allow' => '127.0.0.0/8');
my $key = run_key('aa:', $run);
ok wait_for(sub { $r->cmd('HGET', $key, 'callback_status_code') }, 10),
    'the callback is answered';
is $r->cmd('HGET', $key, 'callback_status_code'), 204,
    'the receiver verified it: 204';
is worker_stop($w), 0, 'worker stops';
like do { local $/; open my $o, '<', $out; <$o> }, qr/^run \Q$run\E completed$/m,
    'the receiver printed the run';

# by hand: what it accepts and what it refuses
my $body = qq({"run_id":"run-x","status":"completed"});
my $ts = time;
is post($body, 'webhook-id' => 'msg_1', 'webhook-timestamp' => $ts,
        'webhook-signature' => sign('msg_1', $ts, $body)),
    204, 'a good signature: accepted';
is post($body . ' ', 'webhook-id' => 'msg_1', 'webhook-timestamp' => $ts,
        'webhook-signature' => sign('msg_1', $ts, $body)),
    401, 'a tampered body: refused';
is post($body, 'webhook-id' => 'msg_2', 'webhook-timestamp' => $ts,
        'webhook-signature' => sign('msg_1', $ts, $body)),
    401, 'another id: refused';
is post($body, 'webhook-id' => 'msg_1', 'webhook-timestamp' => $ts - 3600,
        'webhook-signature' => sign('msg_1', $ts - 3600, $body)),
    401, 'an old timestamp: refused';
is post($body, 'webhook-id' => 'msg_1', 'webhook-timestamp' => $ts,
        'webhook-signature' => 'v1,bad ' . sign('msg_1', $ts, $body)),
    204, 'one good signature among several: accepted';
is post($body, 'webhook-id' => 'msg_1', 'webhook-timestamp' => $ts), 401,
    'no signature: refused';

done_testing;

# Where callbacks may go (docs/callbacks.md): only to public addresses,
# judged on the address connected to, after name resolution.  Every
# spelling of loopback, the unspecified address, Redis's own port, private,
# shared, link-local, unique-local, multicast, broadcast and documentation
# ranges, and a name that resolves to loopback are refused with no
# connection made, recorded, and not tried again; --callback-allow lets
# exactly the ranges it names through.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use File::Temp ();
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run run_key);

my $redis_port = redis_start();
my $r = redis();

# one listener on every local address, both families: a connection to any
# spelling of this host would land here
my $port = http_listener(host => '::');

my %REFUSED = (
    "http://127.0.0.1:$port/a"          => '127.0.0.1 is a loopback address',
    "http://127.1:$port/b"              => '127.0.0.1 is a loopback address',
    "http://2130706433:$port/c"         => '127.0.0.1 is a loopback address',
    "http://0x7f000001:$port/d"         => '127.0.0.1 is a loopback address',
    "http://127.0.0.2:$port/e"          => '127.0.0.2 is a loopback address',
    "http://[::ffff:127.0.0.1]:$port/f" => '::ffff:127.0.0.1 is a loopback address',
    "http://[::1]:$port/g"              => '::1 is a loopback address',
    "http://0.0.0.0:$port/h"            => '0.0.0.0 is an unspecified',
    "http://[::]:$port/i"               => ':: is an unspecified address',
    "http://localhost:$port/j"          => 'is a loopback address',
    "http://127.0.0.1:$redis_port/k"    => '127.0.0.1 is a loopback address',
    'http://10.1.2.3/l'                 => '10.1.2.3 is a private address',
    'http://172.16.0.1/m'               => '172.16.0.1 is a private address',
    'http://192.168.0.1/n'              => '192.168.0.1 is a private address',
    'http://100.64.0.1/o'               => '100.64.0.1 is a shared',
    'http://169.254.169.254/latest/meta-data/'
                                        => '169.254.169.254 is a link-local address',
    'http://[fd00::1]/p'                => 'fd00::1 is a unique-local address',
    'http://[fe80::1]/q'                => 'fe80::1 is a link-local address',
    'http://224.0.0.1/r'                => '224.0.0.1 is a multicast address',
    'http://255.255.255.255/s'          => '255.255.255.255 is the broadcast address',
    'http://192.0.2.1/t'                => '192.0.2.1 is a documentation address',
    'http://[2001:db8::1]/u'            => '2001:db8::1 is a documentation address',
    'http://[::ffff:169.254.169.254]/v' => '::ffff:169.254.169.254 is a link-local address',
    'http://198.18.0.1/w'               => '198.18.0.1 is a benchmarking address',
);

my $agent = create_agent($r);
my %run = map { $_ => create_run($r, $agent, input => 'x', callback_url => $_) }
          sort keys %REFUSED;

my $w = worker_start(concurrency => 2, 'callback-backoff-ms' => 100);

ok wait_for(sub {
    !grep { !$r->cmd('HEXISTS', run_key('aa:', $_), 'callback_error') }
        values %run
}, 15), 'every callback attempted';
sleep 0.5;

for my $url (sort keys %REFUSED) {
    my $h = $r->hgetall(run_key('aa:', $run{$url}));
    like $h->{callback_error},
        qr/^Failed to dispatch callback for run \Q$run{$url}\E to \S+: not sent: .*\Q$REFUSED{$url}\E/,
        "$url: refused ($REFUSED{$url})";
    is $h->{callback_attempts}, 1, "$url: not tried again";
}
is $r->cmd('ZCARD', 'aa:callbacks'), 0, 'no refused delivery left to try';
is listener_accepts(), 0, 'no connection reached the listener';
my $log = do { local $/; open my $f, '<', tmpdir() . '/redis.log'; <$f> };
unlike $log, qr/SECURITY ATTACK/, 'Redis saw no HTTP on its port';
is worker_stop($w), 0, 'worker stops';

# --- a name of the operator's that resolves to loopback ---------------

SKIP: {
    my $hosts = File::Temp->new;
    print $hosts "127.0.0.1 hooks.internal.test\n";
    close $hosts;
    my @wrap = ('unshare', '--mount', 'sh', '-c',
                'mount --bind "$0" /etc/hosts && exec "$@"', "$hosts");
    skip 'no mount namespace here (needs root and unshare)', 3
        unless system(@wrap, 'true') == 0;

    my $named = create_run($r, $agent, input => 'x',
                           callback_url => "http://hooks.internal.test:$port/n");
    $w = worker_start(wrap => \@wrap);
    my $key = run_key('aa:', $named);
    ok wait_for(sub { $r->cmd('HGET', $key, 'callback_error') }, 10),
        'a name resolving to loopback: attempted';
    like $r->cmd('HGET', $key, 'callback_error'),
        qr/not sent: 127\.0\.0\.1 is a loopback address/,
        'refused after resolution';
    is listener_accepts(), 0, 'no connection';
    is worker_stop($w), 0, 'worker stops';
}

# --- --callback-allow lets exactly the named ranges through -----------

my $a2 = create_agent($r);
my $ok1 = create_run($r, $a2, input => 'x',
                     callback_url => "http://127.0.0.1:$port/allowed");
my $ok2 = create_run($r, $a2, input => 'x',
                     callback_url => "http://2130706433:$port/allowed-too");
my $v6 = create_run($r, $a2, input => 'x',
                    callback_url => "http://[::1]:$port/not-named");
my $ten = create_run($r, $a2, input => 'x',
                     callback_url => 'http://10.0.0.1/not-named');
$w = worker_start('callback-allow' => [ '127.0.0.0/8', '192.168.0.0/16' ]);
ok wait_for(sub {
    !grep { my $h = $r->hgetall(run_key('aa:', $_));
            !($h->{callback_status_code} // $h->{callback_error}) }
        $ok1, $ok2, $v6, $ten
}, 10), 'allow-list: every callback attempted, its outcome recorded';
is $r->cmd('HGET', run_key('aa:', $ok1), 'callback_status_code'), 200,
    '127.0.0.1 named: delivered';
is $r->cmd('HGET', run_key('aa:', $ok2), 'callback_status_code'), 200,
    'the same address spelled otherwise: delivered';
like $r->cmd('HGET', run_key('aa:', $v6), 'callback_error'),
    qr/not sent: ::1 is a loopback address/, '::1, not named: refused';
like $r->cmd('HGET', run_key('aa:', $ten), 'callback_error'),
    qr/not sent: 10\.0\.0\.1 is a private address/,
    '10.0.0.1, not named: refused';
is listener_accepts(), 2, 'the listener got exactly the two allowed';
is worker_stop($w), 0, 'worker stops';

done_testing;

package t::AgentTest;

# Project test base. A .t file says:   use t::AgentTest 'no_plan';
# Works with our shim (prove -It/lib) and with the real Test::Nginx::Socket.
# Per .t file: free nginx and redis ports, own servroot (t/servroot_<name>),
# own redis-server (its files in t/redis_<name>, killed at exit). Helpers:
# redis, redis_stop, redis_start, http_request, nginx_start, nginx_stop,
# error_log, json_decode, json_encode, default_http_config, real_test_nginx.
#
# Everything up to the "use Test::Nginx::Socket -Base" line is plain Perl;
# after it, Spiffy's source filter applies (see t/README.md).

use strict;
use warnings;
use Cwd ();
use File::Basename qw(basename dirname);
use File::Path qw(make_path);
use File::Spec;
use IO::Socket::INET;
use JSON::PP ();
use POSIX ();
use Socket qw(SOL_SOCKET SO_RCVTIMEO);
use Time::HiRes qw(sleep);

our ($Dir, $RedisPid, $DefaultHttpConfig);
my $Owner = $$;

BEGIN {
    $Dir = File::Spec->rel2abs(dirname(__FILE__));
    local @INC = ("$Dir/lib", @INC);    # the engine is plain Perl; also used with the real Test::Nginx
    require Test::Nginx::SocketLite;
}

sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '0.0.0.0', LocalPort => 0, Proto => 'tcp')
        or die "cannot find a free port: $@";
    my $port = $s->sockport;
    close $s;
    return $port;
}

# ---- redis ----

sub redis_dir { $ENV{TEST_NGINX_REDIS_DIR} }

sub redis_start {
    return 1 if $RedisPid;
    my $dir = redis_dir();
    make_path($dir);
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if (!$pid) {
        open STDIN,  '<',  '/dev/null';
        open STDOUT, '>>', "$dir/redis.log";
        open STDERR, '>&', \*STDOUT;
        exec('redis-server', '--port', $ENV{TEST_NGINX_REDIS_PORT}, '--bind', '127.0.0.1',
            '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', $dir)
            or POSIX::_exit(127);
    }
    $RedisPid = $pid;
    for (1 .. 200) {
        my $pong = eval { redis('PING') };
        return 1 if defined $pong && $pong eq 'PONG';
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
            undef $RedisPid;
            die "redis-server exited early, see $dir/redis.log\n";
        }
        sleep 0.025;
    }
    die "redis-server did not answer PING on port $ENV{TEST_NGINX_REDIS_PORT}\n";
}

sub redis_stop {
    my $sig = shift || 'TERM';
    return unless $RedisPid;
    kill $sig, $RedisPid;
    waitpid $RedisPid, 0;
    undef $RedisPid;
}

# redis(@cmd) -> reply: status/bulk string, integer, undef (nil) or arrayref.
# Dies on connection failure and on a Redis error reply ("ERR ...").
sub redis {
    my @cmd  = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $ENV{TEST_NGINX_REDIS_PORT},
                                     Proto => 'tcp', Timeout => 3)
        or die "cannot connect to redis on port $ENV{TEST_NGINX_REDIS_PORT}: $@\n";
    binmode $sock;
    setsockopt($sock, SOL_SOCKET, SO_RCVTIMEO, pack('l!l!', 10, 0));
    my $req = '*' . @cmd . "\r\n";
    for my $arg (@cmd) {
        my $b = "$arg";
        utf8::encode($b) if utf8::is_utf8($b);
        $req .= '$' . length($b) . "\r\n$b\r\n";
    }
    print $sock $req;
    my $reply = _resp_read($sock);
    close $sock;
    return $reply;
}

sub _resp_read {
    my $sock = shift;
    local $/ = "\r\n";
    my $line = <$sock>;
    die "redis: connection closed or timed out\n" unless defined $line;
    chomp $line;
    my ($type, $v) = (substr($line, 0, 1), substr($line, 1));
    return $v if $type eq '+';
    die "$v\n" if $type eq '-';
    return 0 + $v if $type eq ':';
    if ($type eq '$') {
        return undef if $v < 0;
        my $data = '';
        while (length $data < $v + 2) {
            my $n = read($sock, $data, $v + 2 - length $data, length $data);
            die "redis: short read\n" unless $n;
        }
        return substr($data, 0, $v);
    }
    if ($type eq '*') {
        return undef if $v < 0;
        return [map { _resp_read($sock) } 1 .. $v];
    }
    die "redis: unexpected reply '$line'\n";
}

# ---- nginx / HTTP for plain Test::More files ----

# The settings of the Test::Nginx::Socket in use (ours or the real one)
# that nginx_start applies too: log_level, master_on/off, workers,
# worker_connections, no_root_location, env_to_nginx.
sub runner_settings {
    no warnings 'once';
    my $real = real_test_nginx();
    return (
        log_level          => Test::Nginx::Socket::log_level(),
        master_process     => Test::Nginx::Socket::master_process_enabled(),
        workers            => Test::Nginx::Socket::workers(),
        worker_connections => Test::Nginx::Socket::worker_connections(),
        no_root_location   => $real ? $Test::Nginx::Util::NoRootLocation : $Test::Nginx::SocketLite::NoRootLocation,
        env                => [$real ? @Test::Nginx::Util::EnvToNginx : @Test::Nginx::SocketLite::EnvToNginx],
    );
}

# nginx_start(config => ..., http_config => ..., main_config => ..., log_level => ...)
# Empties the server root as a block does, writes the same nginx.conf as the
# block runner, with the runner's settings (above), and starts nginx; dies
# on failure.
sub nginx_start {
    my %arg = @_;
    my %s = (runner_settings(), map { defined $arg{$_} ? ($_ => $arg{$_}) : () } keys %arg);
    $s{http_config} = $DefaultHttpConfig if !defined $s{http_config};
    Test::Nginx::SocketLite::stop_nginx();
    if (defined(my $err = Test::Nginx::SocketLite::setup_servroot())) { die "$err\n" }
    Test::Nginx::SocketLite::write_conf(%s);
    my ($ok, $out) = Test::Nginx::SocketLite::start_nginx();
    die "nginx failed to start:\n$out\n" unless $ok;
    return 1;
}

sub nginx_stop { Test::Nginx::SocketLite::stop_nginx() }

sub error_log { Test::Nginx::SocketLite::slurp("$ENV{TEST_NGINX_SERVROOT}/logs/error.log") }

# http_request($method, $path, \%headers, $body, \%opts) -> {status, headers, body}
# headers: lowercase names. On failure: {error => 'timeout' | message}.
# %opts: timeout (default 3 s), port (default the nginx port).
sub http_request {
    my ($method, $path, $headers, $body, $opts) = @_;
    $opts ||= {};
    my $raw = Test::Nginx::SocketLite::plain_request($method, $path, $headers, $body);
    my $res = Test::Nginx::SocketLite::http_exchange($raw, timeout => 3, %$opts);
    return { error => 'timeout' } if $res->{timeout};
    return { error => $res->{error} } if $res->{error};
    my $buf = $res->{raw};
    my $r = Test::Nginx::SocketLite::parse_response(\$buf, $method eq 'HEAD')
        || return { error => "malformed response: " . substr($res->{raw}, 0, 200) };
    delete $r->{raw_headers};
    return $r;
}

# True when the suites run under openresty's Test::Nginx::Socket, not ours.
sub real_test_nginx { !!$INC{'Test/Nginx/Util.pm'} }

sub json_decode { JSON::PP->new->utf8->allow_nonref->decode(shift) }
sub json_encode { JSON::PP->new->utf8->canonical->allow_nonref->encode(shift) }

# Text used as http_config for blocks (and nginx_start) that have none.
sub default_http_config { $DefaultHttpConfig = shift }

# ---- per-file environment: must be set before Test::Nginx loads ----

BEGIN {
    (my $name = basename($0)) =~ s/\.t$//;
    $name =~ s/\W/_/g;
    $ENV{TEST_NGINX_SERVROOT}    ||= "$Dir/servroot_$name";
    # Redis keeps its files out of the server root, which Test::Nginx::Socket
    # empties for every block and refuses to remove when it holds more than
    # nginx's directories; what older versions of this file left there goes
    $ENV{TEST_NGINX_REDIS_DIR}   ||= "$Dir/redis_$name";
    File::Path::remove_tree("$ENV{TEST_NGINX_SERVROOT}/redis");
    unlink map { "$ENV{TEST_NGINX_SERVROOT}/redis-unix.$_" } qw(sock log);
    $ENV{TEST_NGINX_SERVER_PORT} ||= $ENV{TEST_NGINX_PORT} || free_port();
    $ENV{TEST_NGINX_REDIS_PORT}    = free_port();
    redis_start();
}

END { local $?; redis_stop() if $$ == $Owner }    # waitpid would reset the exit status

# "P{S}:run:R", the hash of run R (docs/redis-keys.md); defined before
# Test::Nginx's -Base, which would make it a method
sub run_key { AgentAsync::Keys::run_key(@_) }

our @EXPORT = qw(redis redis_stop redis_start http_request nginx_start nginx_stop
    error_log json_decode json_encode default_http_config free_port run_key);

use Test::Nginx::Socket -Base;

# scripts/test-real-nginx sets it: a run meant for the real Test::Nginx
# must not fall back on ours (a "use lib 't/lib'" would make it)
die "AGENT_ASYNC_REAL_TEST_NGINX is set, yet $INC{'Test/Nginx/Socket.pm'} is our own runner\n"
    if $ENV{AGENT_ASYNC_REAL_TEST_NGINX} && !real_test_nginx();

# the key names of runs (after Test::Nginx is loaded: t/lib comes last)
{
    local @INC = (@INC, 't/lib');
    require AgentAsync::Keys;
}

add_block_preprocessor(sub {
    my $block = shift;
    if (defined $t::AgentTest::DefaultHttpConfig
        && !($block->can('http_config') && defined scalar $block->http_config)) {
        $block->set_value(http_config => $t::AgentTest::DefaultHttpConfig);
    }
});

1;

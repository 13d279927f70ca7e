package AgentAsync::WorkerTest;

# Harness of the worker tests: a private redis-server on a free loopback
# port, worker processes (binary from AGENT_ASYNC_WORKER_BIN, default
# build/agent-async-worker), polling helpers.  Everything started is
# killed when the test ends.

use strict;
use warnings;
use Exporter 'import';
use File::Temp ();
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(time sleep);
use AgentAsync::Redis;

our @EXPORT = qw(free_port redis_start redis_stop redis worker_start
                 worker_stop worker_kill worker_wait worker_log wait_for
                 worker_bin cancel_run tmpdir invariant_errors
                 wait_status http_listener callback_requests
                 listener_accepts);

my $TMP = File::Temp->newdir('aa-worker-XXXXXX', TMPDIR => 1,
                             CLEANUP => !$ENV{AA_KEEP_TMP});
my ($REDIS_PID, $REDIS_PORT, $REDIS);
my %LOGS;               # pid => log path
my %LIVE;               # pid => 1 while not reaped
my @HELPERS;            # other children, killed at the end
my $SEQ = 0;

sub tmpdir { "$TMP" }

sub worker_bin {
    my $bin = $ENV{AGENT_ASYNC_WORKER_BIN} // 'build/agent-async-worker';
    die "worker binary $bin not found (make worker)\n" unless -x $bin;
    return $bin;
}

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1,
                                  ReuseAddr => 1) or die "bind: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

# Polls $cond every 20 ms until it returns true; returns its value or
# undef after $timeout seconds.
sub wait_for {
    my ($cond, $timeout) = @_;
    my $end = time + ($timeout // 10);
    while (1) {
        my $v = eval { $cond->() };
        return $v if $v;
        return undef if time > $end;
        sleep 0.02;
    }
}

# Chooses the port of the test's Redis before it starts.
sub _set_port { $REDIS_PORT = $_[0] }

# Starts the test's Redis on a free port (or the one it had, or was
# given).  A port free when chosen can be taken by a parallel suite's
# Redis before ours binds it: ours is known by its process_id, and a
# Redis that could not listen is started again on another port.
# redis_start(cluster => 1): in cluster mode (a node of no cluster yet).
sub redis_start {
    my (%o) = @_;
    my $fixed = defined $REDIS_PORT;
    for my $try (1 .. 5) {
        $REDIS_PORT = free_port() unless $fixed;
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            open STDOUT, '>>', "$TMP/redis.log";
            open STDERR, '>&', \*STDOUT;
            exec 'redis-server', '--port', $REDIS_PORT, '--bind', '127.0.0.1',
                '--save', '', '--appendonly', 'no', '--dir', "$TMP",
                '--daemonize', 'no',
                ($o{cluster} ? ('--cluster-enabled', 'yes',
                                '--cluster-config-file',
                                "nodes-$REDIS_PORT.conf") : ());
            die "exec redis-server: $!";
        }
        my $up = wait_for(sub {
            return 'gone' if waitpid($pid, POSIX::WNOHANG()) == $pid;
            my $r = AgentAsync::Redis->new(port => $REDIS_PORT, timeout => 1);
            my $info = $r->cmd('INFO', 'server') // '';
            $info =~ /^process_id:(\d+)/m && $1 == $pid ? 'up' : undef;
        }, 10) // 'silent';
        if ($up eq 'up') {
            $REDIS_PID = $pid;
            $REDIS = AgentAsync::Redis->new(port => $REDIS_PORT);
            return $REDIS_PORT;
        }
        if ($up eq 'silent') {
            kill 'KILL', $pid;
            waitpid $pid, 0;
        }
        last if $fixed;
    }
    die "redis-server did not start\n";
}

sub redis_stop {
    return unless $REDIS_PID;
    kill 'TERM', $REDIS_PID;
    waitpid $REDIS_PID, 0;
    undef $REDIS_PID;
    $REDIS->close if $REDIS;
    undef $REDIS;
}

# The test's own connection.
sub redis {
    $REDIS //= AgentAsync::Redis->new(port => $REDIS_PORT);
    return $REDIS;
}

# worker_start(concurrency => 2, 'echo-delay-ms' => 500, ...): flags as
# given (an array ref repeats the flag), plus --redis of the test's server;
# env => {...} adds to its environment, wrap => [cmd...] runs it through a
# command (the worker's path and flags appended).  Returns the pid.
sub worker_start {
    my (%flags) = @_;
    my $env = delete $flags{env} // {};
    my $wrap = delete $flags{wrap} // [];
    my $log = "$TMP/worker-" . ++$SEQ . ".log";
    my @args = ('--redis', "127.0.0.1:$REDIS_PORT",
                '--heartbeat-ms', 200, '--lease-ttl-ms', 1000,
                '--reap-interval-ms', 300, '--block-ms', 200);
    for my $k (sort keys %flags) {
        # a list value: the flag repeated
        push @args, map { ("--$k", $_) }
            ref $flags{$k} ? @{ $flags{$k} } : $flags{$k};
    }
    my $bin = worker_bin();
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        $ENV{$_} = $env->{$_} for keys %$env;
        open STDOUT, '>>', $log;
        open STDERR, '>&', \*STDOUT;
        exec @$wrap, $bin, @args;
        die "exec $bin: $!";
    }
    $LOGS{$pid} = $log;
    $LIVE{$pid} = 1;
    return $pid;
}

sub worker_log {
    my ($pid) = @_;
    open my $f, '<', $LOGS{$pid} or return '';
    local $/;
    return <$f>;
}

# Waits for the worker to exit; returns its exit status (or -1 on
# timeout, or the signal number + 128).
sub worker_wait {
    my ($pid, $timeout) = @_;
    my $end = time + ($timeout // 15);
    while (time < $end) {
        my $w = waitpid $pid, POSIX::WNOHANG();
        if ($w == $pid) {
            delete $LIVE{$pid};
            return POSIX::WIFSIGNALED($?) ? 128 + POSIX::WTERMSIG($?)
                                          : POSIX::WEXITSTATUS($?);
        }
        sleep 0.02;
    }
    return -1;
}

sub worker_stop {
    my ($pid, $timeout) = @_;
    kill 'TERM', $pid;
    return worker_wait($pid, $timeout);
}

sub worker_kill {
    my ($pid) = @_;
    kill 'KILL', $pid;
    return worker_wait($pid, 5);
}

# Runs the contract's cancel script through the worker binary.
sub cancel_run {
    my ($run) = @_;
    my $bin = worker_bin();
    my $out = `$bin --redis 127.0.0.1:$REDIS_PORT --cancel $run 2>&1`;
    chomp $out;
    return $out;
}

# Waits until the run's status is one of @want; returns it or undef.
sub wait_status {
    my ($key, $timeout, @want) = @_;
    my %want = map { $_ => 1 } @want;
    return wait_for(sub {
        my $s = redis()->cmd('HGET', $key, 'status');
        defined $s && $want{$s} ? $s : undef;
    }, $timeout);
}

# The contract's invariant: an agent is in exactly one of Pready or some
# Pprocessing:W iff its queue is non-empty.  Returns a list of violations.
sub invariant_errors {
    my ($prefix, @agents) = @_;
    $prefix //= 'aa:';
    my $r = redis();
    my %count;
    $count{$_}++ for @{ $r->cmd('LRANGE', "${prefix}ready", 0, -1) };
    for my $k (@{ $r->cmd('KEYS', "${prefix}processing:*") }) {
        $count{$_}++ for @{ $r->cmd('LRANGE', $k, 0, -1) };
    }
    my @err;
    for my $a (@agents) {
        my $q = $r->cmd('LLEN', "$prefix\{$a}:queue");
        my $n = $count{$a} // 0;
        push @err, "$a: queue $q, held $n times"
            if ($q > 0 && $n != 1) || ($q == 0 && $n != 0);
    }
    return @err;
}

# A small HTTP server recording every request it gets in tmpdir/cb-N.req
# (request line, headers, blank line, body; N in arrival order, with its
# arrival time in cb-N.time) and answering by the path:
#   /status/NNN              NNN
#   /flaky/N/...             503 to the first N requests of that path, then 200
#   /retry-after/S/N/...     429 with Retry-After: S to the first N, then 200
#   /hang/...                reads the request, never answers
#   /slow/MS/...             200 after MS milliseconds
#   anything else            200
# Slow and hanging answers are held by children of their own, so that the
# server goes on serving meanwhile.  Options: host => '127.0.0.1' (or
# '0.0.0.0', '::1', '::' for both families), port => a port of choice.
# Returns its port.
sub http_listener {
    my (%o) = @_;
    my $host = $o{host} // '127.0.0.1';
    my $srv;
    if ($host =~ /:/) {
        require IO::Socket::IP;
        # '::' takes IPv4 too (dual stack)
        $srv = IO::Socket::IP->new(LocalHost => $host,
                                   LocalPort => $o{port} // 0, Proto => 'tcp',
                                   Listen => 64, ReuseAddr => 1,
                                   V6Only => 0)
            or die "listen [$host]: $!";
    } else {
        $srv = IO::Socket::INET->new(LocalAddr => $host,
                                     LocalPort => $o{port} // 0,
                                     Proto => 'tcp', Listen => 64,
                                     ReuseAddr => 1)
            or die "listen $host: $!";
    }
    my $port = $srv->sockport;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        POSIX::setpgid(0, 0);       # its held answers die with it
        $SIG{CHLD} = 'IGNORE';
        my %seen;
        my $n = 0;
        while (my $c = $srv->accept) {
            if (open my $a, '>>', "$TMP/accepts") {
                print $a "1\n";
                close $a;
            }
            my $req = '';
            while ($req !~ /\r\n\r\n/) {
                my $got = sysread($c, $req, 4096, length $req) or last;
            }
            my ($head, $body) = split /\r\n\r\n/, $req, 2;
            $body //= '';
            my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
            while (defined $len && length($body) < $len) {
                sysread($c, $body, $len - length $body, length $body) or last;
            }
            my ($path) = $head =~ m{^\S+ (\S+)};
            $path //= '/';
            (my $key = $path) =~ s/\?.*//;
            my $seen = ++$seen{$key};
            $n++;
            open my $f, '>', "$TMP/cb-$n.tmp";
            print $f $head, "\r\n\r\n", $body;
            close $f;
            open $f, '>', "$TMP/cb-$n.time";
            print $f Time::HiRes::time();
            close $f;
            rename "$TMP/cb-$n.tmp", "$TMP/cb-$n.req";

            my ($status, $extra, $delay) = (200, '', 0);
            if ($path =~ m{^/status/(\d{3})}) {
                $status = $1;
            } elsif ($path =~ m{^/flaky/(\d+)/}) {
                $status = $seen <= $1 ? 503 : 200;
            } elsif ($path =~ m{^/retry-after/(\d+)/(\d+)/}) {
                ($status, $extra) = (429, "Retry-After: $1\r\n")
                    if $seen <= $2;
            } elsif ($path =~ m{^/hang/}) {
                $delay = -1;
            } elsif ($path =~ m{^/slow/(\d+)/}) {
                $delay = $1 / 1000;
            }
            my $answer = "HTTP/1.1 $status X\r\n${extra}Content-Length: 2\r\n"
                . "Connection: close\r\n\r\nok";
            if ($delay) {
                my $child = fork;
                if (defined $child && $child == 0) {
                    close $srv;
                    sleep($delay < 0 ? 3600 : $delay);
                    print $c $answer if $delay > 0;
                    POSIX::_exit(0);
                }
                close $c;
                next;
            }
            print $c $answer;
            close $c;
        }
        POSIX::_exit(0);
    }
    close $srv;
    push @HELPERS, $pid;
    return $port;
}

# How many connections the listeners accepted so far.
sub listener_accepts {
    open my $f, '<', "$TMP/accepts" or return 0;
    my @l = <$f>;
    return scalar @l;
}

# The requests recorded so far: list of { line, headers => {lc name =>
# value}, body }.
sub callback_requests {
    my @out;
    for my $n (1 .. 1000) {
        my $file = "$TMP/cb-$n.req";
        last unless -e $file;
        open my $f, '<', $file or last;
        local $/;
        my $raw = <$f>;
        my ($head, $body) = split /\r\n\r\n/, $raw, 2;
        my ($line, @h) = split /\r\n/, $head;
        my %h = map { my ($k, $v) = split /:\s*/, $_, 2; (lc $k, $v) } @h;
        my $at;
        if (open my $t, '<', "$TMP/cb-$n.time") { $at = <$t>; }
        push @out, { line => $line, headers => \%h, body => $body,
                     at => $at };
    }
    return @out;
}

END {
    my $rc = $?;
    for my $pid (@HELPERS) {
        kill 'KILL', -$pid;     # its held answers too, if it led a group
        kill 'KILL', $pid;
        waitpid $pid, 0;
    }
    for my $pid (keys %LIVE) {
        kill 'KILL', $pid;
        waitpid $pid, 0;
    }
    if ($REDIS_PID) {
        kill 'KILL', $REDIS_PID;
        waitpid $REDIS_PID, 0;
    }
    $? = $rc;
}

1;

package AgentAsync::RunTest;

# Harness of the scripts/run tests: scripts/run started in a session of
# its own (its pid is its process group, what a terminal's Ctrl-C
# signals) with its own PORT, REDIS_PORT and a temporary AGENT_ASYNC_VAR;
# HTTP to it; what it left running.  Whatever it started is killed, by
# pid, when the test ends.

use strict;
use warnings;
use Exporter 'import';
use File::Temp ();
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP ();
use POSIX ();
use Test::More ();
use Time::HiRes qw(time sleep);
use AgentAsync::WorkerTest qw(free_port wait_for);

our @EXPORT = qw(slurp new_var run_start output run_exit run_ready port_open
                 processes worker_pid all_stopped api token_of run_status);

my $TMP = File::Temp->newdir('aa-run-XXXXXX', TMPDIR => 1,
                             CLEANUP => !$ENV{AA_KEEP_TMP});
# nginx's worker processes (user nobody) write under var/nginx/tmp
chmod 0755, "$TMP";
my $SEQ = 0;
my @RUNS;               # every scripts/run started, for the cleanup
my $JSON = JSON::PP->new->canonical;

sub slurp {
    my ($file) = @_;
    open my $f, '<', $file or return '';
    local $/;
    return scalar <$f>;
}

sub new_var {
    my $dir = "$TMP/var-" . ++$SEQ;
    mkdir $dir or die "mkdir $dir: $!";
    return $dir;
}

# run_start(env => {...}, var => dir, port => p, redis_port => p): starts
# scripts/run in a new session, so that its pid is its process group (what
# a terminal's Ctrl-C signals).  Every setting comes from %o, nothing from
# the environment of the test.
sub run_start {
    my (%o) = @_;
    my $n = ++$SEQ;
    my $s = { port => $o{port} // free_port(),
              redis_port => $o{redis_port} // free_port(),
              var => $o{var} // new_var(), log => "$TMP/run-$n.log" };
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        POSIX::setsid();
        # as a terminal would start it: a SIGHUP ignored by whoever ran the
        # tests (nohup) would be ignored by scripts/run too, untrappable
        $SIG{$_} = 'DEFAULT' for qw(HUP INT TERM);
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $s->{log};
        open STDERR, '>&', \*STDOUT;
        delete @ENV{qw(REDIS AGENT_ASYNC_TOKEN LOG_LEVEL WORKER_ARGS
                       OPENAI_API_KEY OPENAI_BASE_URL LETTA_URL LETTA_TOKEN
                       REDIS_WAIT MAKEFLAGS MFLAGS MAKELEVEL)};
        $ENV{PORT} = $s->{port};
        $ENV{REDIS_PORT} = $s->{redis_port};
        $ENV{AGENT_ASYNC_VAR} = $s->{var};
        $ENV{$_} = $o{env}{$_} for keys %{ $o{env} // {} };
        exec 'scripts/run' or POSIX::_exit(127);
    }
    $s->{pid} = $pid;
    push @RUNS, $s;
    return $s;
}

sub output { slurp($_[0]{log}) }

# Waits until scripts/run exits; its exit status, or undef on timeout.
sub run_exit {
    my ($s, $timeout) = @_;
    return $s->{status} if defined $s->{status};
    my $end = time + ($timeout // 30);
    while (time < $end) {
        if (waitpid($s->{pid}, POSIX::WNOHANG()) == $s->{pid}) {
            $s->{status} = POSIX::WIFEXITED($?) ? POSIX::WEXITSTATUS($?)
                                                : 128 + POSIX::WTERMSIG($?);
            return $s->{status};
        }
        sleep 0.05;
    }
    return undef;
}

# Waits for "running" (1), or for scripts/run to exit first (0).  Notes
# the processes it started then, for the cleanup.
sub run_ready {
    my ($s, $timeout) = @_;
    my $end = time + ($timeout // 60);
    while (time < $end) {
        if (output($s) =~ /^agent-async is running/m) {
            my $p = processes($s);
            $s->{started}{$_} = start_time($_) for keys %$p;
            return 1;
        }
        return 0 if defined run_exit($s, 0);
        sleep 0.05;
    }
    return 0;
}

sub port_open {
    my ($port) = @_;
    my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 1);
    return $c ? 1 : 0;
}

# pid => command line of every process that belongs to this scripts/run:
# redis-server on its port, the worker talking to it, nginx with its var.
sub processes {
    my ($s) = @_;
    my %p;
    for my $dir (glob '/proc/[0-9]*') {
        my $cmd = slurp("$dir/cmdline");
        $cmd =~ tr/\0/ /;
        next unless $cmd =~ /redis-server 127\.0\.0\.1:\Q$s->{redis_port}\E\b/
            || ($cmd =~ /agent-async-worker/
                && $cmd =~ /127\.0\.0\.1:\Q$s->{redis_port}\E\b/)
            || ($cmd =~ /nginx/ && $cmd =~ /\Q$s->{var}\E/);
        my ($pid) = $dir =~ /(\d+)$/;
        $p{$pid} = $cmd;
    }
    return \%p;
}

# The start time of a process (clock ticks since boot), to tell it from a
# later one with the same pid; undef when there is none.
sub start_time {
    my ($pid) = @_;
    my $stat = slurp("/proc/$pid/stat") or return undef;
    $stat =~ s/^.*\) //s;
    return (split ' ', $stat)[19];
}

sub worker_pid {
    my ($s) = @_;
    my $p = processes($s);
    my ($pid) = grep { $p->{$_} =~ /agent-async-worker/ } keys %$p;
    return $pid;
}

# Everything scripts/run started is gone: no process left, both ports free.
sub all_stopped {
    my ($s, $name) = @_;
    my $left = wait_for(sub { !%{ processes($s) } }, 5) ? {} : processes($s);
    Test::More::is_deeply($left, {}, "$name: no process left");
    Test::More::ok(!port_open($s->{port}), "$name: nginx port closed");
    Test::More::ok(!port_open($s->{redis_port}), "$name: Redis port closed");
}

my $HTTP = HTTP::Tiny->new(keep_alive => 0, timeout => 5);

# api($s, $token, METHOD, path, body): (status, decoded body); a body that
# is not a JSON object comes back as { raw => text }
sub api {
    my ($s, $token, $method, $path, $body, $headers) = @_;
    my $r = $HTTP->request($method, "http://127.0.0.1:$s->{port}$path", {
        headers => { Authorization => "Bearer $token",
                     'Content-Type' => 'application/json',
                     %{ $headers // {} } },
        defined $body ? (content => $JSON->encode($body)) : () });
    my $b = eval { $JSON->decode($r->{content}) };
    $b = { raw => $r->{content} } unless ref $b eq 'HASH';
    return ($r->{status}, $b);
}

sub token_of { my $t = slurp("$_[0]{var}/token"); chomp $t; $t }

sub run_status {
    my ($s, $token, $run, $want, $timeout) = @_;
    my $got;
    wait_for(sub {
        my ($st, $b) = api($s, $token, 'GET', "/v1/runs/$run");
        $got = $b->{status} // "HTTP $st";
        $got eq $want;
    }, $timeout // 10);
    return $got;
}

END {
    my $rc = $?;
    for my $s (@RUNS) {
        next if defined run_exit($s, 0);
        kill 'TERM', $s->{pid};
        run_exit($s, 20) // kill 'KILL', $s->{pid};
        waitpid $s->{pid}, 0;
    }
    # what a broken scripts/run left behind: the processes it had started,
    # still the same ones; TERM first, so that nginx stops its workers
    for my $s (@RUNS) {
        my $left = sub {
            grep { (start_time($_) // '') eq $s->{started}{$_} }
                keys %{ $s->{started} // {} };
        };
        my @pids = $left->() or next;
        kill 'TERM', @pids;
        wait_for(sub { !$left->() }, 3);
        kill 'KILL', $left->();
    }
    $? = $rc;
}

1;

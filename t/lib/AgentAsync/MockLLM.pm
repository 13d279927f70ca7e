package AgentAsync::MockLLM;

# The OpenAI-compatible mock of t/mock/openai.py, for the worker tests:
# started on a free loopback port, scripted, its requests read back.
# mock_start('letta') starts t/mock/letta.py, the Letta server, instead
# (further arguments are the mock's: letta.py's certificate and key);
# the mock last started is the one scripted and read.
# Killed when the test ends.

use strict;
use warnings;
use Exporter 'import';
use HTTP::Tiny;
use JSON::PP ();
use Time::HiRes qw(sleep);
use AgentAsync::WorkerTest qw(tmpdir);

our @EXPORT = qw(mock_start mock_script mock_requests mock_url mock_base);

my ($PID, $PORT, @PIDS);
my $JSON = JSON::PP->new->utf8->canonical(1)->allow_nonref(1);
my $HTTP = HTTP::Tiny->new(timeout => 10);

sub mock_start {
    my ($kind, @args) = @_;
    $kind //= 'openai';
    my $file = tmpdir() . "/mock-$kind.port";
    unlink $file;
    $PID = fork // die "fork: $!";
    if ($PID == 0) {
        open STDOUT, '>>', tmpdir() . "/mock-$kind.log";
        open STDERR, '>&', \*STDOUT;
        exec 'python3', "t/mock/$kind.py", $file, @args;
        die "exec python3: $!";
    }
    for (1 .. 500) {
        last if -s $file;
        sleep 0.02;
    }
    push @PIDS, $PID;
    open my $f, '<', $file or die "mock did not start\n";
    $PORT = <$f>;
    close $f;
    return $PORT;
}

sub mock_url { "http://127.0.0.1:$PORT/v1" }

sub mock_base { "http://127.0.0.1:$PORT" }

sub mock_script {
    my (@specs) = @_;
    my $r = $HTTP->post("http://127.0.0.1:$PORT/_script",
                        { content => $JSON->encode(\@specs) });
    die "mock_script: $r->{status}\n" unless $r->{success};
}

sub mock_requests {
    my $r = $HTTP->get("http://127.0.0.1:$PORT/_requests");
    die "mock_requests: $r->{status}\n" unless $r->{success};
    return $JSON->decode($r->{content});
}

END {
    local $?;
    for my $pid (@PIDS) {
        kill 'KILL', $pid;
        waitpid $pid, 0;
    }
}

1;

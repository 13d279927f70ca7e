# scripts/bench, smoke-tested: tiny rounds of every target, checking the
# shape of what it prints (never the figures: the machine is shared), and
# that it leaves nothing behind, after a normal end and after a Ctrl-C.
# It runs the plain build, so the sanitizer pass of scripts/test skips it.

use strict;
use warnings;
use Test::More;
use POSIX ();
use Time::HiRes qw(sleep time);

plan skip_all => 'scripts/bench uses the plain build; tested in the plain pass'
    if ($ENV{AGENT_ASYNC_WORKER_BIN} // '') =~ m{/build/san/};

# Processes whose command line names $dir.
sub left_in {
    my ($dir) = @_;
    my @left;
    for my $f (glob '/proc/[0-9]*/cmdline') {
        open my $h, '<', $f or next;
        my $cmd = do { local $/; <$h> } // '';
        $cmd =~ tr/\0/ /;
        push @left, "$f: $cmd" if index($cmd, $dir) >= 0;
    }
    return @left;
}

my $num = qr/\d+(?:\.\d+)?/;

# ---- every target, one worker, one round of 1 s ----

my $out = `scripts/bench -d 1 -r 1 -c 4 -q -n 1 2>&1`;
is $?, 0, 'scripts/bench exits 0' or diag $out;
my ($tmp) = $out =~ /^bench: scratch directory (\S+)/m;
ok $tmp, 'it names its scratch directory' or diag $out;
like $out, qr/^bench: .* CPUs, .*; kernel /m, 'the machine';
like $out, qr/^bench: nginx\/\S+, Redis \S+, wrk -t1 -c4 -d1s, median of 1 rounds;/m,
    'the versions and the settings';
for my $what ('POST /v1/agents/{agent_id}/messages/async', 'GET /v1/runs/{run_id}') {
    my ($table) = $out =~ /^\Q$what\E\n\n(\|.*?)\n\n/ms;
    ok $table, "a table for $what" or next;
    my @rows = grep { /^\| [^-]/ && !/^\| target/ } split /\n/, $table;
    is scalar @rows, 4, "$what: ceiling, ours, lua, fastapi" or diag $table;
    like $_, qr/^\| [^|]+ \| 1 \| \d+ \| $num \| $num \| \d+ \|$/, "$what: a row"
        for @rows;
}
like $out, qr/^\| \| workers \| ours \/ lua \| ours \/ fastapi \| ours \/ ceiling \|$/m,
    'the ratios';
like $out, qr/^\| $_ \| 1 \| $num \| $num \| $num \|$/m, "the ratios of $_"
    for qw(POST GET);
like $out, qr/^\| runs accepted per second .* \| \d+ \| \d+ \|$/m, 'e2e: accepted';
like $out, qr/^\| runs accepted and completed per second .* \| \d+ \| \d+ \|$/m,
    'e2e: completed';
ok !-e $tmp, 'the scratch directory is gone' if $tmp;
is_deeply [ $tmp ? left_in($tmp) : () ], [], 'no process is left';

# ---- rounds and their median: the ceiling alone, 3 rounds, 2 workers ----

$out = `scripts/bench -d 1 -r 3 -c 4 -q -n 2 -o ceiling -m get 2>&1`;
is $?, 0, 'scripts/bench -o ceiling -m get exits 0' or diag $out;
unlike $out, qr/^POST/m, 'no POST table';
my @rows = $out =~ /^(\| nginx .*)$/mg;
is scalar @rows, 1, 'one row' or diag $out;
for my $row (@rows) {
    my ($med, @r) = $row =~ /^\|[^|]+\| 2 \| (\d+) \| $num \| $num \| (\d+) (\d+) (\d+) \|$/;
    ok @r == 3, 'three rounds listed' or diag $row;
    is $med, (sort { $a <=> $b } @r)[1], 'the median of the three' if @r == 3;
}

# ---- a Ctrl-C during the end-to-end run: the whole process group, as a
# terminal sends it (scripts/run, in a session of its own, is stopped by
# the trap) ----

my $log = "/tmp/aa-bench-int-$$.log";
my $pid = fork // die "fork: $!";
if ($pid == 0) {
    POSIX::setpgid(0, 0);
    open STDOUT, '>', $log or die;
    open STDERR, '>&', \*STDOUT or die;
    exec 'scripts/bench', qw(-d 10 -r 1 -c 4 -q -o e2e) or die;
}
my $deadline = time + 60;
my $text = '';
until ($text =~ /e2e round 1 of 1/ || time > $deadline) {
    sleep 0.2;
    $text = do { local (@ARGV, $/) = $log; <> } // '';
}
like $text, qr/e2e round 1 of 1/, 'it got going' or diag $text;
sleep 1;
kill 'INT', -$pid;
my $t0 = time;
waitpid $pid, 0;
my $rc = $? >> 8;
ok time - $t0 < 15, 'it stopped soon';
is $rc, 130, 'exit status 130';
$text = do { local (@ARGV, $/) = $log; <> } // '';
($tmp) = $text =~ /^bench: scratch directory (\S+)/m;
ok $tmp && !-e $tmp, 'the scratch directory is gone' or diag $text;
is_deeply [ $tmp ? left_in($tmp) : () ], [], 'no process is left';
unlink $log;

# ---- scripts/bench-worker: its runs, seeded as the module writes them,
# are found and completed by the worker ----

$out = `scripts/bench-worker -n 200 -m 10 -t 3 -i 20 2>&1`;
is $?, 0, 'scripts/bench-worker exits 0' or diag $out;
like $out, qr/^  burst     runs 200 \(not completed: 0\)$/m,
    'every burst run completed' or diag $out;
like $out, qr/^  trickle   runs 3 \(not completed: 0\)$/m,
    'every trickle run completed' or diag $out;

done_testing;

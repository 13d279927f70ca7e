# agent-async-worker --migrate-keys (docs/redis-keys.md, "Upgrading from
# 0.1"): the runs of 0.1's layout (P{A}:run:R, its lists, Prunloc:R) move
# to the keys their ids give; a key of the new layout is never
# overwritten; a stray Prunloc:R goes; a second pass finds nothing; a run
# queued under 0.1 is then executed as any other.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run run_key);

my $port = redis_start();
my $r = redis();

# (exit status, stdout, stderr) of one --migrate-keys
sub migrate {
    my (@flags) = @_;
    my $dir = tmpdir();
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', "$dir/migrate.out";
        open STDERR, '>', "$dir/migrate.err";
        exec worker_bin(), '--redis', "127.0.0.1:$port", @flags,
            '--migrate-keys';
        die "exec: $!";
    }
    waitpid $pid, 0;
    my @out = map { open my $f, '<', "$dir/migrate.$_"; local $/; <$f> // '' }
        qw(out err);
    return ($? >> 8, @out);
}

# a run made now, moved back to where 0.1 kept it
sub old_layout {
    my ($p, $agent, $run) = @_;
    for my $part ('', ':messages', ':steps') {
        my $new = run_key($p, $run) . $part;
        $r->cmd('RENAME', $new, "$p\{$agent}:run:$run$part")
            if $r->cmd('EXISTS', $new);
    }
    $r->cmd('SET', "${p}runloc:$run", $agent);
}

my $agent = create_agent($r);
my $done = create_run($r, $agent, input => 'done before the upgrade');
$r->cmd('HSET', run_key('aa:', $done), status => 'completed',
        stop_reason => 'end_turn');
$r->cmd('LREM', "aa:{$agent}:queue", 0, $done);
$r->cmd('RPUSH', run_key('aa:', $done) . ':messages', '{"m":1}', '{"m":2}');
$r->cmd('RPUSH', run_key('aa:', $done) . ':steps', '{"s":1}');
my $queued = create_run($r, $agent, input => 'queued across the upgrade');
my $both = create_run($r, $agent, input => 'both layouts');
$r->cmd('LREM', "aa:{$agent}:queue", 0, $both);
old_layout('aa:', $agent, $_) for $done, $queued, $both;
$r->cmd('HSET', run_key('aa:', $both), status => 'completed');  # a new key
$r->cmd('SET', 'aa:runloc:run-junk', 'not an agent');
# another prefix's runs are not this prefix's
my $other = create_agent($r, prefix => 'zz*:');
my $zrun = create_run($r, $other, prefix => 'zz*:');
old_layout('zz*:', $other, $zrun);

is $r->cmd('EXISTS', run_key('aa:', $done)), 0, 'setup: 0.1\'s layout';

my ($rc, $out, $err) = migrate();
is $rc, 1, 'a run in both layouts: exit 1';
is $out, "migrated 2 run(s) (4 key(s) renamed); 1 left where both layouts "
    . "have keys; 1 stray runloc key(s) removed\n", 'what it did';
like $err, qr/run \Q$both\E: .* both exist: left as it is/, 'which run';
is_deeply $r->cmd('LRANGE', run_key('aa:', $done) . ':messages', 0, -1),
    [ '{"m":1}', '{"m":2}' ], 'the messages moved';
is_deeply $r->cmd('LRANGE', run_key('aa:', $done) . ':steps', 0, -1),
    [ '{"s":1}' ], 'the steps moved';
is $r->cmd('HGET', run_key('aa:', $done), 'stop_reason'), 'end_turn',
    'the hash moved';
is $r->cmd('EXISTS', "aa:{$agent}:run:$done", "aa:runloc:$done",
           "aa:{$agent}:run:$done:messages"), 0, 'nothing of 0.1\'s is left';
is $r->cmd('HGET', run_key('aa:', $both), 'status'), 'completed',
    'the new key is not overwritten';
is $r->cmd('EXISTS', "aa:{$agent}:run:$both", "aa:runloc:$both"), 2,
    'and the old one, and its runloc, are kept for the operator';
is $r->cmd('EXISTS', 'aa:runloc:run-junk'), 0, 'the stray runloc is gone';
is $r->cmd('EXISTS', "zz*:runloc:$zrun"), 1,
    'another prefix is not touched (its glob characters escaped)';

$r->cmd('DEL', run_key('aa:', $both));
($rc, $out) = migrate();
is $rc, 0, 'once the operator chose: exit 0';
is $out, "migrated 1 run(s) (1 key(s) renamed); 0 left where both layouts "
    . "have keys; 0 stray runloc key(s) removed\n", 'the last run moved';
($rc, $out) = migrate();
is $out, "migrated 0 run(s) (0 key(s) renamed); 0 left where both layouts "
    . "have keys; 0 stray runloc key(s) removed\n", 'a second pass: nothing';
($rc, $out) = migrate('--prefix', 'zz*:');
is $out, "migrated 1 run(s) (1 key(s) renamed); 0 left where both layouts "
    . "have keys; 0 stray runloc key(s) removed\n", 'the other prefix, asked';

my $w = worker_start();
ok wait_status(run_key('aa:', $queued), 10, 'completed'),
    'the run queued under 0.1 is executed';
is worker_stop($w), 0, 'worker stopped';

done_testing;

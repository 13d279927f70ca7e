# Retention (docs/redis-keys.md, "Retention"): a run that ended expires
# --retention-seconds later, its messages and steps with it; the sweep
# then removes what named it (the tenant's runs and active indexes, the
# agent's runs) and the active entries of finished runs, and
# finishes deletions of agents cut short; one worker of several sweeps at
# a time; --retention-seconds 0 keeps runs.

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(sleep);
use lib 't/lib';
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run run_key);
use AgentAsync::Scripts qw(run_script);

redis_start();
my $r = redis();

sub members { $r->cmd('ZRANGE', $_[0], 0, -1) }

# --- a run expires, then its index entries go --------------------------

my $agent = create_agent($r, tenant => 'acme');
my $done = create_run($r, $agent, tenant => 'acme', input => 'one');
my $k = run_key('aa:', $done);
is_deeply $r->cmd('SMEMBERS', 'aa:tenants'), ['acme'],
    'the agent\'s tenant is in Ptenants';

my $w = worker_start('retention-seconds' => 2, 'sweep-interval-ms' => 200);
ok wait_status($k, 10, 'completed'), 'the run completes';
my $ttl = $r->cmd('PTTL', $k);
ok $ttl > 0 && $ttl <= 2000, "the run expires in 2 s (PTTL $ttl)";
ok $r->cmd('PTTL', "$k:messages") > 0, 'its messages expire too';
ok $r->cmd('PTTL', "$k:steps") > 0, 'its steps expire too';
is $r->cmd('HEXISTS', $k, 'request'), 0, 'its job is gone';
is $r->cmd('PTTL', "aa:{$agent}:agent"), -1, 'the agent does not expire';

ok wait_for(sub { !@{ members('aa:tenant:acme:active') } }, 5),
    'the sweep takes the finished run out of the active index';
is_deeply members('aa:tenant:acme:runs'), ["$agent/$done"],
    'the runs index keeps it while it lives';

ok wait_for(sub { !$r->cmd('EXISTS', $k) }, 5), 'the run expired';
ok wait_for(sub { !@{ members('aa:tenant:acme:runs') } }, 5),
    'the sweep removes it from the tenant\'s runs';
is_deeply members("aa:{$agent}:runs"), [], 'and from the agent\'s runs';
is $r->cmd('EXISTS', "$k:messages"), 0, 'its messages are gone';
like worker_log($w), qr/sweep: \d+ index entries of runs gone or finished /,
    'the sweep logs what it removed';

# --- a live run is never swept, whatever its age -----------------------

my $old = create_run($r, $agent, tenant => 'acme', input => 'queued long');
# as if created long ago: its index scores 30 days back
my $us = ($r->cmd('ZSCORE', 'aa:tenant:acme:runs', "$agent/$old"))
    - 30 * 86400 * 1_000_000;
$r->cmd('ZADD', $_, 'XX', $us, "$agent/$old")
    for 'aa:tenant:acme:runs', 'aa:tenant:acme:active';
$r->cmd('ZADD', "aa:{$agent}:runs", 'XX', $us, $old);
ok wait_status(run_key('aa:', $old), 10, 'completed'),
    'an old run runs and completes';
ok $r->cmd('EXISTS', run_key('aa:', $old)),
    'swept while old but alive: still there';
is_deeply members('aa:tenant:acme:runs'), ["$agent/$old"],
    'its entry stays while its hash lives';
is worker_stop($w), 0, 'worker stopped';

# --- one sweeper at a time; a junk entry is dropped ---------------------

$r->cmd('FLUSHALL');
$agent = create_agent($r, tenant => 't2');
my @runs = map { create_run($r, $agent, tenant => 't2') } 1 .. 3;
# runs that vanished (deleted by hand): only the sweep can repair
$r->cmd('DEL', run_key('aa:', $_)) for @runs[0, 1];
$r->cmd('LREM', "aa:{$agent}:queue", 0, $_) for @runs[0, 1];
$r->cmd('ZADD', 'aa:tenant:t2:runs', 1, 'not-a-member');
for my $run (@runs[0, 1]) {
    $r->cmd('ZADD', $_, 'XX', 1, "$agent/$run")
        for 'aa:tenant:t2:runs', 'aa:tenant:t2:active';
}
$r->cmd('SET', 'aa:sweep', 'another-worker', 'PX', 1500);
$w = worker_start('retention-seconds' => 60, 'sweep-interval-ms' => 200);
ok wait_status(run_key('aa:', $runs[2]), 10, 'completed'),
    'the third run completes';
sleep 0.6;
is scalar @{ members('aa:tenant:t2:runs') }, 4,
    'another worker holds Psweep: nothing swept yet';
ok wait_for(sub { @{ members('aa:tenant:t2:runs') } == 1 }, 5),
    'once Psweep expires, this worker sweeps';
is_deeply members('aa:tenant:t2:runs'), ["$agent/$runs[2]"],
    'the vanished runs and the junk entry are gone, the live run stays';
is_deeply members('aa:tenant:t2:active'), [],
    'the active index is empty (the third run finished)';
is worker_stop($w), 0, 'worker stopped';

# --- a deletion cut short is finished by the sweep ----------------------

$r->cmd('FLUSHALL');
my $gone = create_agent($r, tenant => 't3');
my $kept_agent = create_agent($r, tenant => 't3');
my @its = map { create_run($r, $gone, tenant => 't3') } 1 .. 250;
my $theirs = create_run($r, $kept_agent, tenant => 't3');
# the module's first step only, as if nginx stopped right after it
my $first = run_script(sub { $r->cmd(@_) }, 'delete_agent',
    [ "aa:{$gone}:agent", 'aa:tenant:t3:agents', 'aa:tenant:t3:agent_names',
      "aa:{$gone}:queue", 'aa:ready', "aa:{$gone}:runs", 'aa:deleting',
      "aa:{$gone}:history" ], 't3', $gone, 100);
is $first->[0], 'deleted', 'setup: the agent deleted, its runs not yet';
is $r->cmd('HGET', 'aa:deleting', $gone), 't3', 'setup: it is in Pdeleting';
$w = worker_start('retention-seconds' => 60, 'sweep-interval-ms' => 200);
ok wait_for(sub { !$r->cmd('HEXISTS', 'aa:deleting', $gone) }, 10),
    'the sweep finishes the deletion';
is_deeply $r->cmd('KEYS', "aa:{$gone}:*"), [], 'no key of the agent is left';
is scalar(grep { $r->cmd('EXISTS', run_key('aa:', $_)) } @its), 0,
    'nor a hash of its 250 runs';
is_deeply [ grep { m{^\Q$gone\E/} } @{ members('aa:tenant:t3:runs') } ], [],
    'nor an entry in the tenant\'s runs';
ok wait_status(run_key('aa:', $theirs), 10, 'completed'),
    'the other agent\'s run is untouched: it completes';
like worker_log($w), qr/sweep: finished the deletion of agent \Q$gone\E/,
    'logged';
is worker_stop($w), 0, 'worker stopped';

# --- retention 0: runs are kept ----------------------------------------

my $kept = create_run($r, $kept_agent, tenant => 't3');
$w = worker_start('retention-seconds' => 0, 'sweep-interval-ms' => 200);
ok wait_status(run_key('aa:', $kept), 10, 'completed'),
    'retention 0: the run completes';
is $r->cmd('PTTL', run_key('aa:', $kept)), -1, 'and never expires';
ok wait_for(sub { !@{ members('aa:tenant:t3:active') } }, 5),
    'the active index is still swept';
is worker_stop($w), 0, 'worker stopped';

done_testing;

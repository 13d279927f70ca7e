# delete_run.lua against a real Redis (docs/redis-keys.md, "Deleting"):
# the run, its messages, steps and index entries go, its id stays
# in the queue, for the claim (queued) or the finish (running) to pop.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use lib 't/scripts';
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run uuid4);
use ScriptsTest;

redis_start();
my $r = redis();

sub del {
    my ($a, $run, %o) = @_;
    my $k = ks(agent => $a, run => $run, tenant => $o{tenant});
    return ScriptsTest::rs('delete_run',
        [ @$k{qw(run messages steps runs tenant_runs callbacks tenant_active)} ],
        $run, $a);
}

# --- a finished run with everything -----------------------------------

{
    fresh();
    my $w = wid('done');
    my $a = create_agent($r);
    my $run = create_run($r, $a, callback_url => 'https://hooks.example/d');
    my $keep = create_run($r, $a);
    take($w, $a);
    my $c = claim($a, $run, $w);
    finish(agent => $a, run => $run, worker => $w, lease => $c->[2],
           messages => [ 'm' ], steps => [ 's' ]);
    my $k = ks(agent => $a, run => $run);
    is $r->cmd('ZCARD', 'aa:callbacks'), 1, 'setup: its callback is due';
    my $before = dump_all();
    is del($a, $run), 1, 'delete: 1';
    is_deeply changed($before, dump_all()),
        [ sort @$k{qw(run messages steps runs tenant_runs callbacks
                      tenant_active)} ],
        'the run, messages, steps, and the index entries change';
    is $r->cmd('EXISTS', @$k{qw(run messages steps)}), 0,
        'run, messages, steps gone';
    is $r->cmd('ZSCORE', $k->{runs}, $run), undef, 'not in the agent\'s runs';
    is $r->cmd('ZSCORE', $k->{tenant_runs}, "$a/$run"), undef,
        'not in the tenant\'s runs';
    is $r->cmd('ZSCORE', $k->{tenant_active}, "$a/$run"), undef,
        'not in the tenant\'s active runs';
    is $r->cmd('ZCARD', 'aa:callbacks'), 0, 'its callback no longer owed';
    ok $r->cmd('ZSCORE', $k->{runs}, $keep), 'the other run stays indexed';
    inv_ok('aa:', [$a], 'after deleting a finished run');

    my $again = dump_all();
    is del($a, $run), 0, 'again: 0';
    is_deeply dump_all(), $again, 'again: nothing written';
    is del($a, 'run-' . uuid4()), 0, 'an unknown run: 0';
}

# --- a queued run: the claim pops it without a hash -------------------

{
    fresh();
    my $a = create_agent($r);
    my $run = create_run($r, $a);
    my $next = create_run($r, $a);
    is del($a, $run), 1, 'a queued run deleted';
    is_deeply $r->cmd('LRANGE', ks(agent => $a)->{queue}, 0, -1),
        [ $run, $next ], 'its id stays in the queue';
    inv_ok('aa:', [$a], 'after deleting a queued run');
    my $w = wid('q');
    take($w, $a);
    is_deeply claim($a, $run, $w), [ 'skipped', 'missing', 0 ],
        'the claim pops it as missing';
    is claim($a, $next, $w)->[0], 'claimed', 'and claims the next';
}

# --- a running run: the finish pops it and lets the agent go ----------

{
    fresh();
    my $a = create_agent($r);
    my $run = create_run($r, $a);
    my $next = create_run($r, $a);
    my $w = wid('r');
    take($w, $a);
    my $c = claim($a, $run, $w);
    is del($a, $run), 1, 'a running run deleted';
    is_deeply finish(agent => $a, run => $run, worker => $w,
                     lease => $c->[2], messages => [ 'm' ]),
        [ 'gone', '' ], 'its finish: gone';
    ok !$r->cmd('EXISTS', ks(agent => $a, run => $run)->{messages}),
        'no messages written for it';
    is_deeply $r->cmd('LRANGE', ks(agent => $a)->{queue}, 0, -1), [$next],
        'it left the queue';
    is_deeply $r->cmd('LRANGE', 'aa:ready', 0, -1), [$a],
        'the agent is back in Pready for its next run';
    inv_ok('aa:', [$a], 'after the finish of a deleted run');
}

done_testing;

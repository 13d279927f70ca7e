# Two workers, 20 runs of one agent: they execute one at a time, in queue
# order; runs of other agents overlap with them.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run run_key json);

redis_start();
my $r = redis();

my $main = create_agent($r);
my @others = map { create_agent($r) } 1 .. 3;

my (@runs, %other_runs);
for my $i (0 .. 19) {
    push @runs, create_run($r, $main, input => "message $i");
    if ($i < 6) {
        push @{ $other_runs{$_} }, create_run($r, $_, input => "other $i")
            for @others;
    }
}

my @w = map { worker_start('echo-delay-ms' => 40, concurrency => 4) } 1 .. 2;

my $all = [ [ $main, \@runs ], map { [ $_, $other_runs{$_} ] } @others ];
ok wait_for(sub {
    for my $x (@$all) {
        for my $run (@{ $x->[1] }) {
            return 0 unless ($r->cmd('HGET', run_key('aa:', $run),
                                     'status') // '') eq 'completed';
        }
    }
    1;
}, 30), 'all runs completed';

my @h = map { $r->hgetall(run_key('aa:', $_)) } @runs;
my $ordered = 1;
for my $i (1 .. $#h) {
    if ($h[$i]{started_at} lt $h[$i - 1]{completed_at}) {
        $ordered = 0;
        diag "run $i started $h[$i]{started_at} before run "
            . ($i - 1) . " completed $h[$i - 1]{completed_at}";
    }
}
ok $ordered, 'each run of the agent starts after the previous completed';

is_deeply [ map { json->decode($_)->{content} }
            @{ $r->cmd('LRANGE', "aa:{$main}:history", 0, -1) } ],
    [ map { ("message $_", "message $_") } 0 .. 19 ],
    'history in queue order';

my %by_worker;
$by_worker{ $_->{lease} =~ s/#\d+$//r }++ for @h;
diag 'runs of the agent per worker: '
    . join(', ', map { "$_=$by_worker{$_}" } sort keys %by_worker);
is((grep { $_->{attempts} != 1 } @h), 0, 'every run claimed once');

# runs of different agents ran at the same time
my $overlap = 0;
for my $o (@others) {
    for my $run (@{ $other_runs{$o} }) {
        my $x = $r->hgetall(run_key('aa:', $run));
        for my $y (@h) {
            $overlap++ if $x->{started_at} lt $y->{completed_at}
                          && $y->{started_at} lt $x->{completed_at};
        }
    }
}
ok $overlap > 0, "runs of other agents overlapped with the agent's ($overlap)";

is_deeply [invariant_errors('aa:', $main, @others)], [], 'invariant holds';
is worker_stop($_), 0, 'worker stops' for @w;

done_testing;

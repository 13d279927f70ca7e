# Many agents at once: every run completes, each agent's runs in order.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run run_key json);

redis_start();
my $r = redis();

my $AGENTS = 60;
my $RUNS = 5;

my @agents = map { create_agent($r) } 1 .. $AGENTS;
my %runs;
for my $i (1 .. $RUNS) {
    push @{ $runs{$_} }, create_run($r, $_, input => "turn $i") for @agents;
}

my @w = map { worker_start('echo-delay-ms' => 5, concurrency => 8) } 1 .. 2;

my $total = $AGENTS * $RUNS;
ok wait_for(sub {
    my $n = 0;
    for my $a (@agents) {
        $n += $r->cmd('LLEN', "aa:{$a}:history");
    }
    $n == 2 * $total;
}, 60), "$total runs completed";

my ($bad_status, $bad_order) = (0, 0);
for my $a (@agents) {
    my @h = map { $r->hgetall(run_key('aa:', $_)) } @{ $runs{$a} };
    $bad_status += grep { $_->{status} ne 'completed' || $_->{attempts} != 1 }
                   @h;
    for my $i (1 .. $#h) {
        $bad_order++ if $h[$i]{started_at} lt $h[$i - 1]{completed_at};
    }
    my @hist = map { json->decode($_)->{content} }
               @{ $r->cmd('LRANGE', "aa:{$a}:history", 0, -1) };
    $bad_order++ unless join('|', @hist)
        eq join('|', map { ("turn $_", "turn $_") } 1 .. $RUNS);
}
is $bad_status, 0, 'all completed at the first attempt';
is $bad_order, 0, 'every agent in order';
is_deeply [invariant_errors('aa:', @agents)], [], 'invariant holds';
is $r->cmd('LLEN', 'aa:ready'), 0, 'ready list empty';

is worker_stop($_), 0, 'worker stops' for @w;

done_testing;

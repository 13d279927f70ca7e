# list_runs.lua and read_runs.lua against a real Redis (docs/redis-keys.md,
# "Listing"): slices up and down from just past a member, bounded by
# another, a member gone meanwhile placed by its score (ties by member
# order), unknown members ignored; nothing written by either.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use lib 't/scripts';
use AgentAsync::WorkerTest;
use ScriptsTest;

redis_start();
my $r = redis();
my $IX = 'aa:tenant:t9:runs';

sub slice {
    my ($dir, $count, $from, $score, $to) = @_;
    my $got = rs('list_runs', [ $IX ], $dir, $count, $from // '', $score // '', $to // '');
    my @pairs;
    push @pairs, [ splice @$got, 0, 2 ] while @$got;
    return [ map { "$_->[0]=$_->[1]" } @pairs ];
}

sub members { [ map { (split /=/)[0] } @{ slice(@_) } ] }

fresh();
is_deeply slice('up', 10), [], 'an empty index: an empty slice';

# m1..m9 at scores 10..90, plus two ties at 50 around m5: m5a < m5 < m5z
$r->cmd('ZADD', $IX, map { ($_ * 10, "m$_") } 1 .. 9);
$r->cmd('ZADD', $IX, 50, 'm5a', 50, 'm5z');
my @up = qw(m1 m2 m3 m4 m5 m5a m5z m6 m7 m8 m9);
# Redis orders equal scores by member: m5 < m5a < m5z
my $before = dump_all();

is_deeply slice('up', 3), [ 'm1=10', 'm2=20', 'm3=30' ], 'up from the start, with scores';
is_deeply members('down', 3), [ qw(m9 m8 m7) ], 'down from the end';
is_deeply members('up', 100), \@up, 'a count past the end: the whole index';
is_deeply members('up', 3, 'm3'), [ qw(m4 m5 m5a) ], 'up from just past a member';
is_deeply members('down', 3, 'm6'), [ qw(m5z m5a m5) ], 'down from just past a member';
is_deeply members('up', 3, 'm9'), [], 'up past the last: empty';
is_deeply members('down', 3, 'm1'), [], 'down past the first: empty';
is_deeply members('up', 10, 'm2', '', 'm5a'), [ qw(m3 m4 m5) ], 'up to just before a bound';
is_deeply members('down', 10, 'm8', '', 'm5'), [ qw(m7 m6 m5z m5a) ], 'down to just before a bound';
is_deeply members('up', 2, 'm2', '', 'm8'), [ qw(m3 m4) ], 'count and bound: the count first';
is_deeply members('up', 10, 'm5', '', 'm5a'), [], 'a bound next to the start: empty';
is_deeply members('up', 10, 'm6', '', 'm3'), [], 'a bound behind the start: empty';

# a from that is no member: placed by its score, or ignored without one
is_deeply members('up', 3, 'gone'), [ qw(m1 m2 m3) ], 'an unknown from without a score: ignored';
is_deeply members('up', 10, 'm1', '', 'gone'), [ @up[1 .. 10] ], 'an unknown bound: ignored';
is_deeply members('up', 3, 'm3x', 35), [ qw(m4 m5 m5a) ], 'a from gone at 35: up from 40';
is_deeply members('down', 3, 'm3x', 35), [ qw(m3 m2 m1) ], 'a from gone at 35: down from 30';
is_deeply members('up', 3, 'm5b', 50), [ qw(m5z m6 m7) ], 'a tie gone at 50: up from the next member order';
is_deeply members('down', 3, 'm5b', 50), [ qw(m5a m5 m4) ], 'a tie gone at 50: down from the one before';
is_deeply members('up', 3, 'a', 50), [ qw(m5 m5a m5z) ], 'a gone tie ordered before every tie';
is_deeply members('up', 3, 'z', 95), [], 'a from gone past the end';
is_deeply members('down', 2, 'a', 5), [], 'a from gone before the start, down';
is_deeply members('up', 2, 'a', 5), [ qw(m1 m2) ], 'a from gone before the start, up';

is_deeply dump_all(), $before, 'list_runs writes nothing';

# read_runs: per run, HMGET of the fields; a run gone gives nils
$r->cmd('HSET', 'aa:{agent-x}:run:r1', 'status', 'created', 'tenant', 't9');
$r->cmd('HSET', 'aa:{agent-x}:run:r2', 'status', 'completed');
is_deeply rs('read_runs', [ 'aa:{agent-x}:run:r1', 'aa:{agent-x}:run:gone', 'aa:{agent-x}:run:r2' ],
             'tenant', 'status'),
          [ [ 't9', 'created' ], [ undef, undef ], [ undef, 'completed' ] ],
          'read_runs: the fields of each run, in order; nils for one gone';

done_testing();

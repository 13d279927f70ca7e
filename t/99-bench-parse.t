# scripts/bench-parse, smoke-tested: small bodies, one round, checking the
# shape of the table and that every body parsed (never the figures: the
# machine is shared).  It builds against the plain build, so the sanitizer
# pass of scripts/test skips it.

use strict;
use warnings;
use Test::More;

plan skip_all => 'scripts/bench-parse uses the plain build; tested in the plain pass'
    if ($ENV{AGENT_ASYNC_WORKER_BIN} // '') =~ m{/build/san/};

my $num = qr/\d+\.\d\d/;
my $size = 65536;

my $out = `scripts/bench-parse -r 1 -s $size 2>&1`;
is $?, 0, 'scripts/bench-parse exits 0' or diag $out;
like $out, qr/^bench-parse: \d+ CPUs, load average /m, 'the machine';
like $out, qr/^bench-parse: bodies of $size bytes, median of 1 rounds .* ms of CPU/m,
    'the settings';

my %row;
for (split /\n/, $out) {
    $row{$1} = [ $2, $3, $4, $5, $6, $8, $7 ]
        if /^\| (\w+) \| (\d+) \| ($num) \($num\) \| ($num) \($num\) \| ($num) \($num\) \| ($num) \($num\) \| ($num) \($num\) \| (\d+) \|$/;
}
is_deeply [ sort keys %row ], [ qw(messages numbers string) ], 'three bodies'
    or diag $out;

SKIP: {
    skip 'no table', 6 unless keys %row == 3;
    # items: ~2 bytes a number, ~40 a message
    cmp_ok $row{numbers}[0], '>', $size / 3, 'numbers: the items';
    cmp_ok $row{messages}[0], '>', $size / 64, 'messages: the items';
    is $row{string}[0], 1, 'string: one';
    # the job holds every message, each with its type and otid; the
    # string once, quoted
    cmp_ok $row{messages}[5], '>', $size, 'messages: the job is larger';
    cmp_ok $row{string}[5], '>', $size, 'string: the job holds it';
    cmp_ok $row{numbers}[5], '<', 1024, 'numbers: the job leaves them out';
}

$out = `scripts/bench-parse -r 0 2>&1`;
isnt $?, 0, '-r 0 is refused';
like $out, qr/a whole number/, 'with a reason';

done_testing;

package AgentAsync::Keys;

# The slot arithmetic of src/common/aa_slot.c, written again for the
# tests: a run id carries its agent's Redis Cluster slot in its last four
# hex digits, and its keys carry the tag {S} of that slot
# (docs/redis-keys.md, "Redis Cluster").  t/scripts/13-slots.t checks this
# against CLUSTER KEYSLOT and against the module's keys.

use strict;
use warnings;
use Exporter 'import';

our @EXPORT_OK = qw(slot slot_tag run_slot run_id run_key run_tag);

my @T;    # CRC-16/XMODEM by byte
for my $b (0 .. 255) {
    my $c = $b << 8;
    for (1 .. 8) {
        $c = ($c & 0x8000) ? (($c << 1) ^ 0x1021) : ($c << 1);
        $c &= 0xffff;
    }
    $T[$b] = $c;
}

sub _crc {
    my ($c, $s) = @_;
    $c = (($c << 8) & 0xffff) ^ $T[(($c >> 8) ^ ord $_) & 0xff]
        for split //, $s;
    return $c;
}

sub slot { _crc(0, $_[0]) & 0x3fff }

# the first of [0-9a-zA-Z]{1,3}, shortest first, for each slot
my @TAG;
sub _tags {
    my @a = split //, join '', 0 .. 9, 'a' .. 'z', 'A' .. 'Z';
    my $left = 16384;
    my $put = sub {
        my ($s, $c) = @_;
        my $slot = $c & 0x3fff;
        return if defined $TAG[$slot];
        $TAG[$slot] = $s;
        $left--;
    };
    my (@c1, @c2);
    for my $x (@a) { push @c1, _crc(0, $x); $put->($x, $c1[-1]) }
    for my $i (0 .. $#a) {
        for my $y (@a) {
            my $c = _crc($c1[$i], $y);
            push @c2, [ "$a[$i]$y", $c ];
            $put->("$a[$i]$y", $c);
        }
    }
    for my $p (@c2) {
        last unless $left;
        $put->("$p->[0]$_", _crc($p->[1], $_)) for @a;
    }
    die "slot tags: $left slots have none\n" if $left;
}

sub slot_tag { _tags() unless @TAG; $TAG[$_[0]] }

sub run_slot {
    my ($id) = @_;
    return undef unless $id =~ /([0-9a-f]{4})\z/;
    return hex($1) & 0x3fff;
}

# a new run id of agent A (or with slot => N): "run-<uuid4>" carrying it
sub run_id {
    my ($agent, %o) = @_;
    my $slot = $o{slot} // slot($agent);
    my @b = map { int rand 256 } 1 .. 16;
    $b[6] = ($b[6] & 0x0f) | 0x40;
    $b[8] = ($b[8] & 0x3f) | 0x80;
    $b[14] = ($b[14] & 0xc0) | ($slot >> 8);
    $b[15] = $slot & 0xff;
    my $h = join '', map { sprintf '%02x', $_ } @b;
    return 'run-' . join '-', substr($h, 0, 8), substr($h, 8, 4),
        substr($h, 12, 4), substr($h, 16, 4), substr($h, 20);
}

# "{S}": the hash tag of run R's keys
sub run_tag {
    my $slot = run_slot($_[0]);
    die "AgentAsync::Keys: '" . ($_[0] // 'undef') . "' carries no slot\n"
        unless defined $slot;
    return '{' . slot_tag($slot) . '}';
}

# "P{S}:run:R": the hash of run R under prefix P
sub run_key { my ($p, $run) = @_; $p . run_tag($run) . ":run:$run" }

1;

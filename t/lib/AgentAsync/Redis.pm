package AgentAsync::Redis;

# A minimal synchronous Redis client (RESP2) for the tests: no dependency
# beyond core Perl.  $r->cmd(@args) returns the reply: a string, an integer,
# undef for nil, an array ref for arrays; an error reply dies unless
# $r->{errors_ok} is set, in which case it is returned as
# AgentAsync::Redis::Error (stringifies to the message).

use strict;
use warnings;
use IO::Socket::INET;

sub new {
    my ($class, %o) = @_;
    my $self = bless { host => $o{host} // '127.0.0.1', port => $o{port},
                       timeout => $o{timeout} // 10 }, $class;
    $self->connect;
    return $self;
}

sub connect {
    my ($self) = @_;
    $self->{sock} = IO::Socket::INET->new(
        PeerAddr => $self->{host}, PeerPort => $self->{port},
        Proto => 'tcp', Timeout => $self->{timeout})
        or die "redis connect $self->{host}:$self->{port}: $!\n";
    $self->{sock}->autoflush(1);
    $self->{buf} = '';
    return $self;
}

sub close {
    my ($self) = @_;
    close $self->{sock} if $self->{sock};
    delete $self->{sock};
}

sub _encode {
    my @a = @_;
    my $s = '*' . scalar(@a) . "\r\n";
    for my $x (@a) {
        $x = '' unless defined $x;
        utf8::encode($x) if utf8::is_utf8($x);
        $s .= '$' . length($x) . "\r\n" . $x . "\r\n";
    }
    return $s;
}

sub _fill {
    my ($self, $need) = @_;
    while (length($self->{buf}) < $need) {
        my $n = sysread($self->{sock}, my $chunk, 65536);
        die "redis: connection closed\n" unless $n;
        $self->{buf} .= $chunk;
    }
}

sub _line {
    my ($self) = @_;
    my $i;
    while (($i = index($self->{buf}, "\r\n")) < 0) {
        $self->_fill(length($self->{buf}) + 1);
    }
    my $line = substr($self->{buf}, 0, $i);
    substr($self->{buf}, 0, $i + 2, '');
    return $line;
}

sub _read {
    my ($self) = @_;
    my $line = $self->_line;
    my ($t, $rest) = (substr($line, 0, 1), substr($line, 1));
    return $rest if $t eq '+';
    return $rest + 0 if $t eq ':';
    if ($t eq '-') {
        return bless \$rest, 'AgentAsync::Redis::Error';
    }
    if ($t eq '$') {
        return undef if $rest < 0;
        $self->_fill($rest + 2);
        my $s = substr($self->{buf}, 0, $rest);
        substr($self->{buf}, 0, $rest + 2, '');
        return $s;
    }
    if ($t eq '*') {
        return undef if $rest < 0;
        return [ map { $self->_read } 1 .. $rest ];
    }
    die "redis: bad reply line '$line'\n";
}

sub cmd {
    my ($self, @args) = @_;
    $self->connect unless $self->{sock};
    my $req = _encode(@args);
    my $ok = eval {
        print { $self->{sock} } $req or die "redis write: $!\n";
        1;
    };
    if (!$ok) {
        $self->close;
        die $@;
    }
    my $r = eval { $self->_read };
    if ($@) {
        $self->close;
        die $@;
    }
    if (ref $r eq 'AgentAsync::Redis::Error' && !$self->{errors_ok}) {
        die "redis error: $$r (@args[0 .. ($#args < 2 ? $#args : 1)])\n";
    }
    return $r;
}

# Several commands in one round trip; returns the list of replies.
sub pipeline {
    my ($self, @cmds) = @_;
    $self->connect unless $self->{sock};
    print { $self->{sock} } join('', map { _encode(@$_) } @cmds);
    return map { $self->_read } @cmds;
}

sub hgetall {
    my ($self, $key) = @_;
    my $a = $self->cmd('HGETALL', $key);
    return { @$a };
}

package AgentAsync::Redis::Error;
use overload '""' => sub { ${ $_[0] } }, fallback => 1;

1;

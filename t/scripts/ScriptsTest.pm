package ScriptsTest;

# Helpers of the t/scripts/ suites, which run each script of src/lua/
# directly against a private redis-server (AgentAsync::WorkerTest).
#
#   ks(prefix => 'aa:', agent => A, run => R, worker => W, tenant => T)
#       the key names of docs/redis-keys.md, as a hash ref: agent, queue,
#       runs, run, messages, history, tenant_agents, tenant_names,
#       tenant_runs, tenant_active, deleting, ready, processing, workers,
#       worker, dead
#   claim / finish / handback / heartbeat / reap / retire / cancel
#       one script call each, KEYS and ARGV in the order of the script's
#       header; the reply is returned as is
#   take(W, A)        what the worker's BLMOVE does: LMOVE Pready
#                     Pprocessing:W RIGHT LEFT; dies unless it moved A
#   dump_all()        every key: { key => { type, ttl, value } }
#   changed(\%a, \%b) sorted names of the keys that differ
#   inv_ok($p, \@agents, $name)
#                     the queue invariant, as one assertion
#   rtype($reply)     'nil', 'int', 'str' or 'array': what the C decoder
#                     sees (the client turns integer replies into numbers)
#   wid('a')          a worker id of the documented form host:pid:random
#   fresh()           FLUSHALL

use strict;
use warnings;
use B ();
use JSON::PP ();
use Exporter 'import';
use Test::More;
use AgentAsync::WorkerTest qw(redis invariant_errors);
use AgentAsync::Scripts qw(run_script);
use AgentAsync::Keys qw(run_key);

our @EXPORT = qw(ks claim finish handback heartbeat reap retire cancel take
                 dump_all changed inv_ok rtype wid fresh rs);

sub rs {
    my ($name, $keys, @argv) = @_;
    my $r = redis();
    return run_script(sub { $r->cmd(@_) }, $name, $keys, @argv);
}

sub ks {
    my (%o) = @_;
    my $p = $o{prefix} // 'aa:';
    my ($a, $r, $w, $t) = @o{qw(agent run worker tenant)};
    $t //= 'default';
    my %k = (
        ready => "${p}ready", workers => "${p}workers", dead => "${p}dead",
        callbacks => "${p}callbacks",
        tenant_agents => "${p}tenant:$t:agents",
        tenant_names => "${p}tenant:$t:agent_names",
        tenant_runs => "${p}tenant:$t:runs",
        tenant_active => "${p}tenant:$t:active",
        deleting => "${p}deleting", tenants => "${p}tenants",
        sweep => "${p}sweep",
    );
    if (defined $a) {
        $k{agent} = "$p\{$a}:agent";
        $k{queue} = "$p\{$a}:queue";
        $k{runs} = "$p\{$a}:runs";
        $k{history} = "$p\{$a}:history";
        if (defined $r && $r ne '') {
            $k{run} = run_key($p, $r);
            $k{messages} = run_key($p, $r) . ":messages";
            $k{steps} = run_key($p, $r) . ":steps";
        }
    }
    if (defined $w) {
        $k{processing} = "${p}processing:$w";
        $k{worker} = "${p}worker:$w";
    }
    return \%k;
}

my $SEQ = 0;
sub wid { "scripts-host:$$:" . ($_[0] // ++$SEQ) }

sub fresh { redis()->cmd('FLUSHALL') }

# claim(A, R or '', W, max => 3, now => ..., retention => '0' (ms),
# prefix => ...): with R '' the run's keys are left out, as the worker
# does (aw_store_claim).
sub claim {
    my ($a, $run, $w, %o) = @_;
    my $k = ks(prefix => $o{prefix}, agent => $a, run => $run, worker => $w);
    my @keys = ($k->{queue}, $k->{processing}, $k->{agent}, $k->{dead},
                $k->{callbacks});
    push @keys, @$k{qw(run messages steps)} if $run ne '';
    return rs('claim', \@keys, $a, $run, $w, $o{max} // 3,
              $o{now} // '2026-01-01T00:00:01.000001Z',
              $o{retention} // '0');
}

# finish(agent =>, run =>, worker =>, lease =>, status => 'completed',
#        stop_reason =>, now =>, error => '', ttft => '', total =>,
#        usage =>, retention => '0' (ms), history_max => '0',
#        messages => [...], steps => [...], history => [...], prefix =>)
sub finish {
    my (%o) = @_;
    my $k = ks(prefix => $o{prefix}, agent => $o{agent}, run => $o{run},
               worker => $o{worker});
    my @msgs = @{ $o{messages} // [] };
    my @hist = @{ $o{history} // [] };
    my @steps = @{ $o{steps} // [] };
    return rs('finish',
              [ $k->{run}, $k->{queue}, $k->{messages}, $k->{history},
                $k->{processing}, $k->{ready}, $k->{callbacks},
                $k->{steps}, $k->{agent} ],
              $o{agent}, $o{run}, $o{lease}, $o{status} // 'completed',
              $o{stop_reason} // 'end_turn',
              $o{now} // '2026-01-01T00:00:02.000002Z',
              $o{error} // '', $o{ttft} // '', $o{total} // '1500',
              $o{usage} // '{"step_count":1}', $o{retention} // '0',
              $o{history_max} // '0', scalar @msgs, scalar @steps,
              @msgs, @steps, @hist);
}

# handback(A, R or '', W, refund '1'/'0'): with R '' the run key is left
# out, as the worker does (aw_store_handback).
sub handback {
    my ($a, $run, $w, $refund, %o) = @_;
    my $k = ks(prefix => $o{prefix}, agent => $a, run => $run, worker => $w);
    my @keys = ($k->{processing}, $k->{ready}, $k->{queue});
    push @keys, $k->{run} if $run ne '';
    return rs('handback', \@keys, $a, $run, $w, $refund // '1');
}

sub heartbeat {
    my ($w, $ttl, $now, %o) = @_;
    my $k = ks(prefix => $o{prefix}, worker => $w);
    return rs('heartbeat', [ $k->{worker}, $k->{workers} ],
              $now // '2026-01-01T00:00:03.000003Z', $ttl, $w);
}

sub reap {
    my ($w, $a, %o) = @_;
    my $k = ks(prefix => $o{prefix}, agent => $a, worker => $w);
    return rs('reap_agent',
              [ $k->{worker}, $k->{processing}, $k->{ready}, $k->{queue} ],
              $a);
}

sub retire {
    my ($w, %o) = @_;
    my $k = ks(prefix => $o{prefix}, worker => $w);
    return rs('retire_worker',
              [ $k->{worker}, $k->{processing}, $k->{workers} ], $w);
}

sub cancel {
    my ($a, $run, $now, %o) = @_;
    my $k = ks(prefix => $o{prefix}, agent => $a, run => $run);
    my $out = rs('cancel', [ $k->{callbacks}, $k->{run} ],
                 $now // '2026-01-01T00:00:04.000004Z', $a,
                 $o{retention} // '0', $run);
    return ref $out eq 'ARRAY' ? $out->[0] : $out;
}

sub take {
    my ($w, $a, %o) = @_;
    my $k = ks(prefix => $o{prefix}, worker => $w);
    my $got = redis()->cmd('LMOVE', $k->{ready}, $k->{processing},
                           'RIGHT', 'LEFT');
    die "take: LMOVE gave " . ($got // 'nil') . ", not $a\n"
        unless defined $got && $got eq $a;
    return $got;
}

sub dump_all {
    my $r = redis();
    my %d;
    for my $key (sort @{ $r->cmd('KEYS', '*') }) {
        my $t = $r->cmd('TYPE', $key);
        my $v;
        if ($t eq 'string') {
            $v = $r->cmd('GET', $key);
        } elsif ($t eq 'hash') {
            $v = $r->hgetall($key);
        } elsif ($t eq 'list') {
            $v = $r->cmd('LRANGE', $key, 0, -1);
        } elsif ($t eq 'set') {
            $v = [ sort @{ $r->cmd('SMEMBERS', $key) } ];
        } elsif ($t eq 'zset') {
            $v = $r->cmd('ZRANGE', $key, 0, -1, 'WITHSCORES');
        } else {
            $v = "($t)";
        }
        my $ttl = $r->cmd('PTTL', $key);
        $d{$key} = { type => $t, value => $v,
                     ttl => $ttl < 0 ? $ttl : 'set' };
    }
    return \%d;
}

sub changed {
    my ($x, $y) = @_;
    my %all = map { $_ => 1 } keys %$x, keys %$y;
    my $json = JSON::PP->new->canonical(1);
    return [ sort grep {
        !exists $x->{$_} || !exists $y->{$_}
            || $json->encode($x->{$_}) ne $json->encode($y->{$_})
    } keys %all ];
}

sub inv_ok {
    my ($p, $agents, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my @err = invariant_errors($p, @$agents);
    is_deeply \@err, [], "invariant: $name";
}

sub rtype {
    my ($v) = @_;
    return 'nil' unless defined $v;
    return 'array' if ref $v eq 'ARRAY';
    my $f = B::svref_2object(\$v)->FLAGS;
    return 'int' if ($f & B::SVf_IOK) && !($f & B::SVf_POK);
    return 'str';
}

1;

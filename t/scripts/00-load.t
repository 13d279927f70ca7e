# The scripts as the programs load them: SCRIPT LOAD of each file of
# src/lua/ answers the SHA1 the C registry is generated with (Digest::SHA
# of the file, script_sha), and EVALSHA of that SHA1 runs it.  Also the
# list of docs/redis-keys.md ("The scripts") against the files, and each
# header against the KEYS its body uses.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use lib 't/scripts';
use AgentAsync::WorkerTest;
use AgentAsync::Scripts qw(script_names script_sha script_text);
use ScriptsTest;

redis_start();
my $r = redis();

my @names = script_names();
ok @names >= 9, 'script_names() finds the scripts of src/lua/ (' . @names . ')';

for my $name (@names) {
    is $r->cmd('SCRIPT', 'LOAD', script_text($name)), script_sha($name),
        "SCRIPT LOAD $name.lua answers script_sha('$name')";
}

is_deeply $r->cmd('SCRIPT', 'EXISTS', map { script_sha($_) } @names),
    [ (1) x @names ], 'SCRIPT EXISTS: every SHA1 is known to Redis';

# EVALSHA of the registry's SHA1 runs the script: heartbeat of a new worker
my $w = wid('load');
my $k = ks(worker => $w);
is $r->cmd('EVALSHA', script_sha('heartbeat'), 2, $k->{worker},
           $k->{workers}, '2026-01-01T00:00:00.000000Z', 60000, $w), 0,
    'EVALSHA heartbeat: 0 on a first beat';
is $r->cmd('GET', $k->{worker}), '2026-01-01T00:00:00.000000Z',
    'EVALSHA heartbeat wrote the heartbeat';

# docs/redis-keys.md lists exactly the scripts that exist
open my $fh, '<', 'docs/redis-keys.md' or die "docs/redis-keys.md: $!";
my $doc = do { local $/; <$fh> };
my ($table) = $doc =~ /^## The scripts\n(.*?)(?=^## |\z)/ms;
my @documented = sort $table =~ /^\| `([a-z_]+)\.lua` \|/mg;
is_deeply \@documented, \@names,
    'the table of docs/redis-keys.md names every script of src/lua/';

# each file is headed by its contract, naming every KEYS[n] its body uses
for my $name (@names) {
    my $text = script_text($name);
    my ($head, $body) = $text =~ /\A(?:#!lua[^\n]*\n)?((?:--[^\n]*\n)+)(.*)\z/s;
    like $head // '', qr/\A-- \Q$name\E: /, "$name.lua: header names it";
    my %doc = map { $_ => 1 } ($head // '') =~ /^-- KEYS\[(\d+)\]/mg;
    my %used = map { $_ => 1 } ($body // '') =~ /KEYS\[(\d+)\]/g;
    my @undocumented = sort { $a <=> $b } grep { !$doc{$_} } keys %used;
    is_deeply \@undocumented, [],
        "$name.lua: every KEYS[n] used is in its header";
    like $head // '', qr/\bReturns\b/, "$name.lua: header says what it returns";
}

# Redis at maxmemory (noeviction; docs/redis-keys.md, "When Redis is
# full"): what the worker runs, cancellation and deleting an agent (which
# makes room) may still write; reads
# say they do not write; the rest (new agents, new runs, updates) is
# refused at its first write, before anything is written
my %allow_oom = map { $_ => 1 } qw(callback_done callback_due callback_start
                                   cancel claim finish handback heartbeat
                                   reap_agent retire_worker take
                                   delete_agent delete_agent_runs
                                   memory_write run_progress);
my %no_writes = map { $_ => 1 } qw(list_runs read_runs list_agents get_agents);
for my $name (@names) {
    my ($flags) = script_text($name) =~ /\A#!lua flags=(\S+)\n/;
    my $want = $allow_oom{$name} ? 'allow-oom' : $no_writes{$name} ? 'no-writes'
             : undef;
    is $flags, $want, "$name.lua: flags " . ($want // 'none');
}

done_testing;

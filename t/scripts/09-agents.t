# The agent scripts against a real Redis (docs/redis-keys.md, "Listing
# agents", "Updating an agent", "Deleting an agent"): list_agents against a
# model of Letta's pagination for every cursor, order, limit and name;
# get_agents; update_agent's revision check and name index; delete_agent
# and delete_agent_runs, batch by batch, with queued, running and finished
# runs, a worker holding the agent, a deletion taken up again.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use lib 't/scripts';
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run uuid4 json run_key);
use ScriptsTest;

redis_start();
my $r = redis();

# an agent created as the module does, at a chosen time and name
sub agent_at {
    my ($us, $name, %o) = @_;
    my $t = $o{tenant} // 'default';
    my $a = $o{id} // 'agent-' . uuid4();
    my $k = ks(agent => $a, tenant => $t);
    rs('create_agent', [ @$k{qw(agent tenant_agents tenant_names tenants)} ], $us, $a,
       $name, id => $a, tenant => $t, created_at => '2026-01-01T00:00:00.000000Z',
       name => $name, system => '', llm => '{}', state => '{"id":"' . $a . '"}');
    return $a;
}

sub list {
    my (%o) = @_;
    my $k = ks(tenant => $o{tenant});
    return rs('list_agents', [ @$k{qw(tenant_agents tenant_names)} ],
              $o{after} // '', $o{before} // '', $o{limit} // 50,
              $o{desc} ? 'desc' : 'asc', $o{name} // '');
}

# --- list_agents, against a model -------------------------------------

# the documented meaning: after X, the agents following X in the order
# asked; before X, those preceding it, the nearest limit of them when it
# is the only cursor; a cursor that is no agent of the tenant is ignored;
# the order is creation time, then id
sub model {
    my ($agents, %o) = @_;            # $agents: { id => [us, name] }
    my $key = sub { my $x = shift; [ $agents->{$x}[0], $x ] };
    my $cmp = sub {
        my ($x, $y) = @_;
        return $x->[0] <=> $y->[0] || $x->[1] cmp $y->[1];
    };
    my @asc = sort { $cmp->($key->($a), $key->($b)) } keys %$agents;
    my @seq = grep { !defined $o{name} || $o{name} eq ''
                     || $agents->{$_}[1] eq $o{name} } @asc;
    @seq = reverse @seq if $o{desc};
    my $dir = $o{desc} ? -1 : 1;
    my ($after, $before) = map { defined $_ && exists $agents->{$_} ? $_ : undef }
                           @o{qw(after before)};
    @seq = grep { $dir * $cmp->($key->($_), $key->($after)) > 0 } @seq
        if $after;
    @seq = grep { $dir * $cmp->($key->($_), $key->($before)) < 0 } @seq
        if $before;
    my $limit = $o{limit} // 50;
    return [ @seq ] if @seq <= $limit;
    return [ @seq[$#seq - $limit + 1 .. $#seq] ] if $before && !$after;
    return [ @seq[0 .. $limit - 1] ];
}

{
    fresh();
    my %agents;
    # times with ties (same microsecond: the id decides), names repeated
    my @spec = ([ 1000, 'a' ], [ 2000, 'b' ], [ 2000, 'a' ], [ 2000, 'a' ],
                [ 3000, 'c' ], [ 4000, 'a' ], [ 5000, "a\x{263a}" ],
                [ 6000, 'ab' ], [ 7000, '' ]);
    for my $s (@spec) {
        my $id = agent_at(@$s);
        my $name = $s->[1];
        utf8::encode($name);
        $agents{$id} = [ $s->[0], $name ];
    }
    my $other = agent_at(1500, 'a', tenant => 'other');
    my $before = dump_all();
    my @ids = sort keys %agents;
    my @cursors = (undef, @ids, $other, 'agent-' . uuid4(), 'x');
    my ($n, $bad) = (0, 0);
    for my $name (undef, 'a', 'b', "a\x{263a}", 'zz') {
        my $bytes = $name;
        utf8::encode($bytes) if defined $bytes;
        for my $desc (0, 1) {
            for my $limit (1, 2, 3, 50) {
                for my $after (@cursors) {
                    for my $bc (undef, @ids[0, 3, 5, 8], $other) {
                        my %o = (name => $bytes, desc => $desc, limit => $limit,
                                 after => $after, before => $bc);
                        my $got = list(%o, name => $name);
                        my $want = model(\%agents, %o);
                        $n++;
                        next if json->encode($got) eq json->encode($want);
                        $bad++;
                        diag json->encode({ %o, got => $got, want => $want })
                            if $bad <= 5;
                    }
                }
            }
        }
    }
    is $bad, 0, "list_agents = the model in $n combinations of name, "
        . 'order, limit and cursors';
    is_deeply dump_all(), $before, 'list_agents writes nothing';

    is_deeply list(tenant => 'other'), [$other], 'another tenant: its own';
    is_deeply list(tenant => 'nobody'), [], 'a tenant with none: []';
    is_deeply list(name => 'a', limit => 1, desc => 1,
                   after => (grep { $agents{$_}[1] eq 'c' } @ids)[0]),
        [ (grep { $agents{$_}[0] == 2000 && $agents{$_}[1] eq 'a' }
           sort @ids)[-1] ],
        'a cursor of another name counts by its creation time';
}

# pages stay put while agents come and go
{
    fresh();
    my @made = map { agent_at(1000 * $_, 'p') } 1 .. 10;
    my $p1 = list(desc => 1, limit => 4);
    is_deeply $p1, [ reverse @made[6 .. 9] ], 'stability: the newest 4';
    my $newer = agent_at(20000, 'p');
    $r->cmd('ZREM', 'aa:tenant:default:agents', $made[9]);
    my $p2 = list(desc => 1, limit => 4, after => $p1->[-1]);
    is_deeply $p2, [ reverse @made[2 .. 5] ],
        'stability: the next page follows the cursor, whatever came and went';
    my $p0 = list(desc => 1, limit => 4, before => $p1->[1]);
    is_deeply $p0, [$newer],
        'stability: before the second, the newer one (the first is gone)';
    is_deeply list(desc => 1, limit => 4, after => $made[9]),
        [ $newer, reverse @made[6 .. 8] ],
        'stability: a cursor deleted meanwhile is ignored (the first page)';
}

# --- get_agents ---------------------------------------------------------

{
    fresh();
    my $a = create_agent($r, name => 'g');
    my $b = create_agent($r, name => 'h', tenant => 't2');
    my $k = ks(agent => $a);
    $r->cmd('HSET', $k->{agent}, 'last_stop_reason', 'end_turn');
    my $before = dump_all();
    my $got = rs('get_agents',
                 [ $k->{agent}, ks(agent => $b)->{agent},
                   ks(agent => 'agent-' . uuid4())->{agent} ],
                 'tenant', 'name', 'last_stop_reason');
    is_deeply $got, [ [ 'default', 'g', 'end_turn' ], [ 't2', 'h', undef ],
                      [ undef, undef, undef ] ],
        'get_agents: the fields asked, per agent, nil where absent';
    is_deeply dump_all(), $before, 'get_agents writes nothing';
}

# --- update_agent -------------------------------------------------------

sub update {
    my ($a, $tenant, $rev, $name, @fields) = @_;
    my $k = ks(agent => $a, tenant => $tenant);
    return rs('update_agent', [ @$k{qw(agent tenant_agents tenant_names)} ],
              $tenant, $rev, $a, $name, @fields);
}

{
    fresh();
    my $a = agent_at(1767225600123456, 'old');
    my $k = ks(agent => $a);
    my $m = sub { "$_[0]\x{00}0000" . "1767225600123456\x{00}$a" };
    is_deeply $r->cmd('ZRANGE', $k->{tenant_names}, 0, -1), [ $m->('old') ],
        'update: setup, in the name index as "old"';

    my $before = dump_all();
    is_deeply update($a, 'default', '1', 'new', name => 'new'), ['conflict'],
        'update: a revision that is not the agent\'s: {"conflict"}';
    is_deeply dump_all(), $before, 'conflict: nothing written';
    is_deeply update($a, 'other', '0', 'new', name => 'new'), ['gone'],
        'update: another tenant\'s agent: {"gone"}';
    is_deeply update('agent-' . uuid4(), 'default', '0', 'x', name => 'x'),
        ['gone'], 'update: no such agent: {"gone"}';
    is_deeply dump_all(), $before, 'gone: nothing written';

    is_deeply update($a, 'default', '0', 'new', state => '{"v":1}',
                     name => 'new', system => 's', llm => '{"model":"m"}'),
        [ 'ok', 1, '', '', '' ], 'update: rev 0 (none yet): {"ok", 1, ...}';
    is_deeply changed($before, dump_all()),
        [ sort @$k{qw(agent tenant_names)} ],
        'update: writes the agent and the name index only';
    my $h = $r->hgetall($k->{agent});
    is_deeply [ @$h{qw(state name system llm rev)} ],
        [ '{"v":1}', 'new', 's', '{"model":"m"}', 1 ], 'update: the fields';
    is_deeply $r->cmd('ZRANGE', $k->{tenant_names}, 0, -1), [ $m->('new') ],
        'update: moved to its new name';

    $r->cmd('HSET', $k->{agent}, 'last_run_completion', 'T',
            'last_run_duration_ms', 12, 'last_stop_reason', 'error');
    is_deeply update($a, 'default', '1', 'new', state => '{"v":2}'),
        [ 'ok', 2, 'T', '12', 'error' ],
        'update: rev 2, with the run metrics as they are';
    is_deeply update($a, 'default', '1', 'x', state => '{"v":3}'),
        ['conflict'], 'update: the old revision again: conflict';
    is $r->cmd('HGET', $k->{agent}, 'state'), '{"v":2}',
        'the second of two PATCHes read at the same rev does not land';
}

# --- delete_agent, delete_agent_runs ------------------------------------

sub del_agent {
    my ($a, %o) = @_;
    my $k = ks(agent => $a, tenant => $o{tenant});
    return rs('delete_agent',
              [ @$k{qw(agent tenant_agents tenant_names queue ready runs
                       deleting history)} ],
              $o{tenant} // 'default', $a, $o{n} // 100);
}

# the ids as the module passes them: four keys for each run id
sub del_runs {
    my ($a, $ids, %o) = @_;
    my $k = ks(agent => $a, tenant => $o{tenant});
    my (@keys, $flags);
    for my $id (@$ids) {
        if ($id =~ /^run-/) {
            my $rk = ks(agent => $a, run => $id);
            push @keys, @$rk{qw(run messages steps)};
            $flags .= '1';
        } else {
            $flags .= '0';
        }
    }
    return rs('delete_agent_runs',
              [ @$k{qw(agent runs tenant_runs tenant_active callbacks history
                       deleting)}, @keys ],
              $a, $o{n} // 100, $flags // '', @$ids);
}

# the keys of agent A: {A}, and those of runs that carry its slot
sub of_agent {
    my ($a) = @_;
    my $slot = AgentAsync::Keys::slot($a);
    return [ sort grep {
        index($_, "{$a}") >= 0
            || (/:run:(run-[^:]+)/
                && AgentAsync::Keys::run_slot($1) == $slot)
    } @{ $r->cmd('KEYS', '*') } ];
}

{
    fresh();
    my $a = create_agent($r, name => 'none');
    my $b = create_agent($r, name => 'keep');
    my $k = ks(agent => $a);
    my $before = dump_all();
    is_deeply del_agent($a, tenant => 'other'), ['not_found'],
        'delete: another tenant\'s agent: {"not_found"}';
    is_deeply del_agent('agent-' . uuid4()), ['not_found'],
        'delete: no such agent: {"not_found"}';
    is_deeply dump_all(), $before, 'not_found: nothing written';

    $r->cmd('RPUSH', $k->{history}, 'h');
    is_deeply del_agent($a), [ 'deleted', '' ],
        'delete: no run: {"deleted", ""} (done in one step)';
    is_deeply of_agent($a), [], 'no run: nothing of the agent is left';
    is_deeply list(), [$b], 'no run: gone from the tenant\'s index';
    is_deeply $r->cmd('ZRANGE', $k->{tenant_names}, 0, -1),
        [ grep { /keep/ } @{ $r->cmd('ZRANGE', $k->{tenant_names}, 0, -1) } ],
        'no run: gone from the name index';
    is $r->cmd('HLEN', $k->{deleting}), 0, 'no run: not left in Pdeleting';
    is_deeply del_agent($a), ['not_found'], 'deleted: then not found';
}

{
    fresh();
    my $w = wid('del');
    my $a = create_agent($r, name => 'busy');
    my $b = create_agent($r, name => 'bystander');
    my $kb = ks(agent => $b);
    my @done = map { create_run($r, $a, callback_url => 'http://x/cb') } 1 .. 3;
    # three runs completed, with messages, steps and their callbacks owed
    for my $run (@done) {
        take($w, $a);
        my $c = claim($a, $run, $w);
        finish(agent => $a, run => $run, worker => $w, lease => $c->[2],
               messages => ['{"m":1}'], steps => ['{"s":1}'],
               history => ['{"role":"user"}']);
    }
    my $running = create_run($r, $a);
    my @queued = map { create_run($r, $a) } 1 .. 3;
    take($w, $a) for 1;
    my $c = claim($a, $running, $w);
    is $c->[0], 'claimed', 'setup: one run running, three queued, held by W';
    my $bystander = create_run($r, $b);
    my $k = ks(agent => $a, worker => $w);
    # the tenant indexes as main writes them: A/R members, and the active
    for my $run (@done, $running, @queued) {
        $r->cmd('ZADD', $k->{tenant_runs}, 1, "$a/$run");
        $r->cmd('ZADD', $k->{tenant_active}, 1, "$a/$run");
    }
    $r->cmd('ZADD', $k->{runs}, 9e15, 'junk');      # no run has this id
    is $r->cmd('ZCARD', $k->{callbacks}), 3, 'setup: three callbacks owed';

    my $d = del_agent($a, n => 3);
    is_deeply [ @$d[0, 1] ], [ 'deleted', $running ],
        'step 1: {"deleted", the head: the running run, ...}';
    is_deeply [ @$d[2 .. $#$d] ], [ @done ],
        'step 1: then the first n = 3 run ids, oldest first';
    is $r->cmd('EXISTS', $k->{agent}, $k->{queue}), 0,
        'step 1: the agent hash and its queue are gone';
    is_deeply list(name => ''), [$b], 'step 1: gone from the tenant\'s list';
    is_deeply list(name => 'busy'), [], 'step 1: and from the name index';
    is_deeply $r->cmd('LRANGE', 'aa:ready', 0, -1), [$b],
        'step 1: not in Pready (the bystander is)';
    is $r->cmd('HGET', $k->{deleting}, $a), 'default',
        'step 1: in Pdeleting, with its tenant';
    like eval { create_run($r, $a); 1 } ? 'created' : $@, qr/not found/,
        'step 1: no run can be created for it';
    is_deeply claim($a, $queued[0], $w), ['moved'],
        'step 1: a claim of a queued run finds it no longer the head';
    is_deeply claim($a, '', $w), ['empty'],
        'step 1: the worker holding it lets it go at its next claim';
    inv_ok('aa:', [ $a, $b ], 'after step 1 and the claim');
    ok $r->cmd('EXISTS', ks(agent => $a, run => $running)->{run}),
        'step 1: the runs themselves are still there';

    # a second DELETE meanwhile takes the deletion up; another tenant's not
    is_deeply del_agent($a, tenant => 'other'), ['not_found'],
        'halfway: another tenant\'s DELETE: not found';
    is_deeply del_agent($a, n => 3), [ 'deleted', '', @done ],
        'halfway: the same tenant\'s DELETE takes it up';

    my $before = dump_all();
    like eval { del_runs($b, [$bystander]); 1 } ? 'ran' : $@,
        qr/agent $b exists; delete_agent first/,
        'delete_agent_runs refuses an agent that exists';
    is_deeply dump_all(), $before, 'refused: nothing written';

    my $next = del_runs($a, [ $running, @done ], n => 3);
    is_deeply $next, [ @queued ],
        'batch 1 (the head and the first 3): the next 3 run ids';
    for my $run (@done, $running) {
        my $rk = ks(agent => $a, run => $run);
        ok !$r->cmd('EXISTS', @$rk{qw(run messages steps)}),
            "batch 1: run $run, messages, steps gone";
        ok !defined $r->cmd('ZSCORE', $k->{tenant_runs}, $run)
            && !defined $r->cmd('ZSCORE', $k->{tenant_runs}, "$a/$run")
            && !defined $r->cmd('ZSCORE', $k->{tenant_active}, "$a/$run")
            && !defined $r->cmd('ZSCORE', $k->{callbacks}, "$a/$run"),
            "batch 1: $run gone from the tenant's runs (R, A/R), active, "
            . 'Pcallbacks';
    }
    is $r->cmd('ZCARD', $k->{callbacks}), 0, 'batch 1: no callback owed';

    # the running run's worker: its cancel check finds the hash gone, its
    # finish writes nothing and lets the agent go
    is_deeply finish(agent => $a, run => $running, worker => $w,
                     lease => $c->[2], history => ['{"late":1}']),
        [ 'gone', '' ], 'the running run\'s finish: gone';
    is $r->cmd('EXISTS', $k->{history}), 1,
        'its history entry is not appended (the old history still there)';
    is scalar @{ $r->cmd('LRANGE', $k->{history}, 0, -1) }, 3,
        'the history holds the 3 entries of before';

    $next = del_runs($a, $next, n => 3);
    is_deeply $next, [ 'junk' ], 'batch 2: the last id, no run\'s';
    $next = del_runs($a, $next, n => 3);
    is_deeply $next, [], 'batch 3: none left: done';
    is_deeply of_agent($a), [], 'done: no key of the agent is left';
    for my $run (@done, $running, @queued) {
        ok !$r->cmd('EXISTS', run_key('aa:', $run)), "done: no hash of $run";
    }
    is $r->cmd('ZCARD', $k->{tenant_runs}), 1,
        'done: the tenant\'s runs hold the bystander\'s only';
    is_deeply $r->cmd('ZRANGE', $k->{tenant_active}, 0, -1), [ "$b/$bystander" ],
        'done: the tenant\'s active runs hold the bystander\'s only';
    is $r->cmd('HLEN', $k->{deleting}), 0, 'done: not in Pdeleting';
    ok $r->cmd('EXISTS', $kb->{agent}, ks(agent => $b, run => $bystander)->{run}),
        'done: the other agent and its run untouched';
    inv_ok('aa:', [ $a, $b ], 'after the deletion');
    is_deeply del_agent($a), ['not_found'], 'done: DELETE again: not found';
}

# a deletion's first step while the agent waits in Pready, its head queued
{
    fresh();
    my $a = create_agent($r);
    my @q = map { create_run($r, $a) } 1 .. 2;
    is_deeply $r->cmd('LRANGE', 'aa:ready', 0, -1), [$a], 'setup: in Pready';
    my $d = del_agent($a, n => 1);
    is_deeply $d, [ 'deleted', $q[0], $q[0] ],
        'head queued: {"deleted", head, first id}';
    is $r->cmd('LLEN', 'aa:ready'), 0, 'it left Pready';
    inv_ok('aa:', [$a], 'queued agent deleted');
    is_deeply del_runs($a, [ $q[0], $q[0] ], n => 1), [ $q[1] ],
        'the head twice in a batch is harmless';
    is_deeply del_runs($a, [ $q[1] ], n => 1), [], 'then done';
    is_deeply of_agent($a), [], 'nothing left';
}

done_testing;

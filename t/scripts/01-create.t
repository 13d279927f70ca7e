# create_agent.lua and create_run.lua against a real Redis: what they
# write, that create_run writes nothing when the agent is missing, of
# another tenant, or a key it writes holds another type, and that the agent
# enters Pready only when its queue was empty (docs/redis-keys.md,
# "Creation"); with "u" (agent_async_agents upstream), that a run is made
# for an agent with no hash, all or nothing alike.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use lib 't/scripts';
use AgentAsync::WorkerTest;
use AgentAsync::Seed qw(create_agent create_run uuid4 json);
use ScriptsTest;

redis_start();
my $r = redis();

my $US = 1767225600123456;
my $NOW = '2026-01-01T00:00:00.123456Z';

# create_run as the module calls it, with fixed fields; returns the reply,
# or the error text when the script fails
sub create_run_raw {
    my (%o) = @_;
    my $p = $o{prefix} // 'aa:';
    my $t = $o{tenant} // 'default';
    my $k = ks(prefix => $p, agent => $o{agent}, run => $o{run}, tenant => $t);
    # created_at, metadata, request_config, request (and callback_url)
    my @values = ($NOW, '{"run_type":"x"}', '{}', '{"messages":[]}',
                  defined $o{callback_url} ? $o{callback_url} : ());
    # the dedupe records: key => 'Pidem:...', otids => 'P{A}:otids:...'
    my $mode = join '', ($o{key} ? 'k' : ()), ($o{otids} ? 'o' : ()),
                        ($o{upstream} ? 'u' : ());
    my @dedupe = ((defined $o{key} ? $o{key} : ()),
                  (defined $o{otids} ? $o{otids} : ()));
    my $rep = eval {
        rs('create_run',
           [ $k->{agent}, $k->{queue}, $k->{runs}, $k->{run},
             $k->{tenant_runs}, $k->{ready}, $k->{tenant_active}, @dedupe ],
           $t, $o{run}, $o{agent}, $US, $mode, $o{fp} // 'f',
           $o{window} // 1000, @values);
    };
    return defined $rep ? $rep : "ERROR: $@";
}

# --- create_agent -----------------------------------------------------

{
    fresh();
    my $a = 'agent-' . uuid4();
    my $k = ks(agent => $a, tenant => 'acme');
    my @fields = (id => $a, tenant => 'acme', created_at => $NOW,
                  name => "n\x{263a}", system => 'be brief',
                  llm => '{"model":null}', state => '{"id":"' . $a . '"}');
    is rs('create_agent', [ @$k{qw(agent tenant_agents tenant_names tenants)} ],
          $US, $a, "n\x{263a}", @fields), 1, 'create_agent answers 1';
    my %want = @fields;
    utf8::encode($want{name});
    is_deeply $r->hgetall($k->{agent}), \%want,
        'create_agent: the agent hash holds exactly the fields given';
    is_deeply $r->cmd('ZRANGE', $k->{tenant_agents}, 0, -1, 'WITHSCORES'),
        [ $a, $US ], 'create_agent: in the tenant\'s agents, score = µs';
    is_deeply $r->cmd('ZRANGE', $k->{tenant_names}, 0, -1, 'WITHSCORES'),
        [ "n\xe2\x98\xba\x00" . ('0' x (20 - length $US)) . "$US\x00$a", 0 ],
        'create_agent: in the name index, name NUL 20-digit µs NUL id';
    is_deeply [ sort keys %{ dump_all() } ],
        [ sort @$k{qw(agent tenant_agents tenant_names tenants)} ],
        'create_agent writes those four keys only (no queue, not in ready)';
    is_deeply $r->cmd('SMEMBERS', $k->{tenants}), ['acme'],
        'create_agent: the tenant is in Ptenants';
    inv_ok('aa:', [$a], 'a new agent with no run is nowhere');
}

# --- create_run: the happy path ---------------------------------------

{
    fresh();
    my $a = create_agent($r);
    my $run = 'run-' . uuid4();
    my $k = ks(agent => $a, run => $run);
    my $before = dump_all();
    is create_run_raw(agent => $a, run => $run), 1, 'create_run answers 1';
    my $after = dump_all();
    is_deeply changed($before, $after),
        [ sort @$k{qw(queue ready run runs tenant_runs tenant_active)} ],
        'create_run writes the run, queue, runs, tenant indexes, ready';
    is_deeply $r->hgetall($k->{run}),
        { id => $run, agent_id => $a, tenant => 'default',
          status => 'created', created_at => $NOW, created_us => $US,
          background => 1, metadata => '{"run_type":"x"}',
          request_config => '{}', request => '{"messages":[]}' },
        'the run hash holds exactly the fields given';
    is_deeply $r->cmd('LRANGE', $k->{queue}, 0, -1), [$run], 'queued';
    is_deeply $r->cmd('ZRANGE', $k->{runs}, 0, -1, 'WITHSCORES'),
        [ $run, $US ], 'in the agent\'s runs, score = µs';
    is_deeply $r->cmd('ZRANGE', $k->{tenant_runs}, 0, -1, 'WITHSCORES'),
        [ "$a/$run", $US ], 'in the tenant\'s runs as A/R, score = µs';
    is_deeply $r->cmd('ZRANGE', $k->{tenant_active}, 0, -1, 'WITHSCORES'),
        [ "$a/$run", $US ], 'in the tenant\'s active runs as A/R, score = µs';
    is_deeply $r->cmd('LRANGE', $k->{ready}, 0, -1), [$a],
        'the agent entered Pready (its queue was empty)';
    inv_ok('aa:', [$a], 'after the first run');

    # a callback_url, the optional last value, is a field of the hash
    my $cb = 'run-' . uuid4();
    is create_run_raw(agent => $a, run => $cb,
                      callback_url => 'https://example.test/h'), 1,
        'create_run with a callback_url answers 1';
    my $ck = ks(agent => $a, run => $cb);
    is $r->cmd('HGET', $ck->{run}, 'callback_url'), 'https://example.test/h',
        'the callback_url is stored';
    is $r->cmd('HLEN', $ck->{run}), 11, 'with the 10 fields of every run';
    $r->cmd('DEL', $ck->{run});
    $r->cmd('ZREM', $_, $cb, "$a/$cb") for @$k{qw(runs tenant_runs tenant_active)};
    $r->cmd('RPOP', $k->{queue});

    # a second run: queued behind, the agent is not pushed again
    my $run2 = 'run-' . uuid4();
    is create_run_raw(agent => $a, run => $run2), 1, 'second create_run: 1';
    is_deeply $r->cmd('LRANGE', $k->{queue}, 0, -1), [ $run, $run2 ],
        'second run queued behind the first';
    is_deeply $r->cmd('LRANGE', $k->{ready}, 0, -1), [$a],
        'second run: the agent is in Pready once, not pushed again';
    inv_ok('aa:', [$a], 'after the second run');

    # the agent held by a worker: a new run does not put it in Pready
    my $w = wid('c1');
    take($w, $a);
    my $run3 = create_run($r, $a);
    is $r->cmd('LLEN', $k->{ready}), 0,
        'a held agent with queued runs is not pushed to Pready';
    is_deeply $r->cmd('LRANGE', ks(worker => $w)->{processing}, 0, -1), [$a],
        'it stays held by its worker';
    inv_ok('aa:', [$a], 'new run of a held agent');
}

# --- the producing end of Pready, and a drained agent coming back -----

{
    fresh();
    my $b = create_agent($r);
    my $a = create_agent($r);
    create_run($r, $b);
    create_run($r, $a);
    is_deeply $r->cmd('LRANGE', 'aa:ready', 0, -1), [ $a, $b ],
        'create_run LPUSHes: the newer agent is at the left, behind';
    inv_ok('aa:', [ $a, $b ], 'two agents in Pready');

    # $b is taken first (the worker takes from the right), run and drained
    my $w = wid('c2');
    take($w, $b);
    my ($rb) = @{ $r->cmd('LRANGE', ks(agent => $b)->{queue}, 0, 0) };
    my $c = claim($b, $rb, $w);
    is $c->[0], 'claimed', 'the other agent\'s run claimed';
    is finish(agent => $b, run => $rb, worker => $w, lease => $c->[2])->[0],
        'ok', 'and finished';
    inv_ok('aa:', [ $a, $b ], 'drained agent');
    is_deeply $r->cmd('LRANGE', 'aa:ready', 0, -1), [$a],
        'the drained agent left Pready and Pprocessing';
    create_run($r, $b);
    is_deeply $r->cmd('LRANGE', 'aa:ready', 0, -1), [ $b, $a ],
        'a drained agent enters Pready again with its next run';
    inv_ok('aa:', [ $a, $b ], 'drained agent with a new run');
}

# --- refusals: nothing written ----------------------------------------

{
    fresh();
    my $a = create_agent($r, tenant => 'acme');
    create_run($r, $a, tenant => 'acme');
    my $before = dump_all();
    is create_run_raw(agent => $a, run => 'run-' . uuid4(),
                      tenant => 'other'), 0,
        'agent of another tenant: create_run answers 0';
    is_deeply dump_all(), $before, 'agent of another tenant: nothing written';

    my $ghost = 'agent-' . uuid4();
    is create_run_raw(agent => $ghost, run => 'run-' . uuid4()), 0,
        'missing agent: create_run answers 0';
    is_deeply dump_all(), $before, 'missing agent: nothing written';
    inv_ok('aa:', [ $a, $ghost ], 'after the refusals');

    # the agent key of another type: the tenant check fails the script
    my $odd = 'agent-' . uuid4();
    $r->cmd('SET', ks(agent => $odd)->{agent}, 'not a hash');
    $before = dump_all();
    like create_run_raw(agent => $odd, run => 'run-' . uuid4()),
        qr/^ERROR: .*WRONGTYPE/, 'agent key of another type: WRONGTYPE';
    is_deeply dump_all(), $before, 'agent key of another type: nothing written';
}

# a key create_run writes, holding another type: WRONGTYPE, nothing written
my @wrong = (
    [ queue       => 'string', [ 'SET',  'x' ] ],
    [ runs        => 'list',   [ 'RPUSH', 'x' ] ],
    [ run         => 'string', [ 'SET',  'x' ] ],
    [ tenant_runs => 'set',    [ 'SADD', 'x' ] ],
    [ ready       => 'hash',   [ 'HSET', 'f', 'v' ] ],
    [ tenant_active => 'list', [ 'RPUSH', 'x' ] ],
);
for my $up (0, 1) {
    for my $case (@wrong) {
        my ($what, $type, $cmd) = @$case;
        my $name = $up ? "upstream: $what" : $what;
        fresh();
        my $other = create_agent($r);     # some state around it
        create_run($r, $other);
        # upstream: an agent with no hash here
        my $a = $up ? 'agent-' . uuid4() : create_agent($r);
        my $run = 'run-' . uuid4();
        my $k = ks(agent => $a, run => $run);
        $r->cmd('DEL', $k->{$what});
        my ($c, @args) = @$cmd;
        $r->cmd($c, $k->{$what}, @args);
        my $before = dump_all();
        like create_run_raw(agent => $a, run => $run, upstream => $up),
            qr/^ERROR: redis error: WRONGTYPE \Q$k->{$what}\E is a $type/,
            "$name holding a $type: create_run fails with WRONGTYPE";
        is_deeply dump_all(), $before,
            "$name holding a $type: nothing written";
    }
}

# an existing run hash of the right type is refused alike (the run must
# be new): the script wants it absent
for my $what (qw(run)) {
    fresh();
    my $a = create_agent($r);
    my $run = 'run-' . uuid4();
    my $k = ks(agent => $a, run => $run);
    $r->cmd('HSET', $k->{run}, 'status', 'completed');
    my $before = dump_all();
    like create_run_raw(agent => $a, run => $run),
        qr/^ERROR: redis error: WRONGTYPE \Q$k->{$what}\E is a /,
        "existing $what (id reused): create_run refuses it";
    is_deeply dump_all(), $before, "existing $what: nothing written";
}

# --- repeats: an Idempotency-Key or otids record names the run ---------

{
    fresh();
    my $a = create_agent($r);
    my ($r1, $r2) = map { 'run-' . uuid4() } 1, 2;
    my $key = 'aa:idem:default:' . ('a' x 40);
    my $ot = "aa:{$a}:otids:" . ('b' x 40);
    is create_run_raw(agent => $a, run => $r1, key => $key, otids => $ot,
                      fp => 'fp1', window => 60000), 1,
        'a first request with a key and otids: created';
    is $r->cmd('GET', $key), "$r1 fp1", 'the key names the run and fingerprint';
    is $r->cmd('GET', $ot), "$r1 fp1", 'so do the otids';
    my $ttl = $r->cmd('PTTL', $key);
    ok $ttl > 59000 && $ttl <= 60000, "for the window (PTTL $ttl)";
    ok $r->cmd('PTTL', $ot) > 59000, 'the otids too';

    my $before = dump_all();
    is_deeply create_run_raw(agent => $a, run => $r2, key => $key, fp => 'fp1'),
        [ 'replay', $r1 ], 'the same key and fingerprint: replay of the run';
    is_deeply create_run_raw(agent => $a, run => $r2, otids => $ot, fp => 'fp1'),
        [ 'replay', $r1 ], 'the same otids and fingerprint: replay';
    is_deeply create_run_raw(agent => $a, run => $r2, key => $key, fp => 'fp2'),
        [ 'conflict', 'key', $r1 ], 'the same key, another fingerprint: conflict';
    is_deeply create_run_raw(agent => $a, run => $r2, otids => $ot, fp => 'fp2'),
        [ 'conflict', 'otids', $r1 ], 'the same otids, another fingerprint';
    my $new = 'aa:idem:default:' . ('c' x 40);
    is_deeply create_run_raw(agent => $a, run => $r2, key => $new, otids => $ot,
                             fp => 'fp1'),
        [ 'replay', $r1 ], 'a new key with known otids: the otids decide';
    is_deeply create_run_raw(agent => $a, run => $r2, key => $key,
                             otids => "aa:{$a}:otids:" . ('d' x 40),
                             fp => 'fp1'),
        [ 'replay', $r1 ], 'the key is checked first';
    is_deeply dump_all(), $before, 'replays and conflicts write nothing';
    is create_run_raw(agent => 'agent-' . uuid4(), run => $r2, key => $key,
                      fp => 'fp1'), 0, 'an unknown agent is 0 before any replay';

    $r->cmd('SET', $new, 'garbage');
    is_deeply create_run_raw(agent => $a, run => $r2, key => $new, fp => 'fp1'),
        [ 'conflict', 'key', '' ], 'a record that is not "R F": a conflict';
    $r->cmd('DEL', $new);
    $r->cmd('RPUSH', $new, 'x');
    $before = dump_all();
    like create_run_raw(agent => $a, run => $r2, key => $new, fp => 'fp1'),
        qr/^ERROR: redis error: WRONGTYPE \Q$new\E is a list/,
        'a record of another type: WRONGTYPE';
    is_deeply dump_all(), $before, 'and nothing written';
    inv_ok('aa:', [$a], 'after the repeats');
}

# --- upstream agents ("u"): no local hash needed ------------------------

{
    fresh();
    my $a = 'agent-' . uuid4();
    my $run = 'run-' . uuid4();
    my $k = ks(agent => $a, run => $run, tenant => 'acme');
    is create_run_raw(agent => $a, run => $run, tenant => 'acme',
                      upstream => 1), 1,
        'upstream: a run for an agent with no hash here';
    is_deeply [ sort keys %{ dump_all() } ],
        [ sort @$k{qw(queue runs run tenant_runs tenant_active ready)} ],
        'upstream: the run\'s keys written, no agent hash made';
    is $r->cmd('HGET', $k->{run}, 'tenant'), 'acme',
        'upstream: the run is the caller tenant\'s';
    is_deeply $r->cmd('LRANGE', 'aa:ready', 0, -1), [$a],
        'upstream: the agent is in Pready';
    inv_ok('aa:', [$a], 'upstream run');

    # the same request again: the key names the run, as for local agents
    my $idem = 'aa:idem:acme:' . ('ab' x 20);
    is create_run_raw(agent => $a, run => 'run-' . uuid4(), tenant => 'acme',
                      upstream => 1, key => $idem, fp => 'fp1'), 1,
        'upstream with an Idempotency-Key: created';
    my $before = dump_all();
    is_deeply create_run_raw(agent => $a, run => 'run-' . uuid4(),
                             tenant => 'acme', upstream => 1, key => $idem,
                             fp => 'fp1'),
        [ 'replay', (split / /, $r->cmd('GET', $idem))[0] ],
        'upstream: the repeat is a replay';
    is_deeply dump_all(), $before, 'upstream: the replay writes nothing';

    # a hash here is still a tenant's: another tenant is refused
    my $b = create_agent($r, tenant => 'acme');
    $before = dump_all();
    is create_run_raw(agent => $b, run => 'run-' . uuid4(), tenant => 'evil',
                      upstream => 1), 0,
        'upstream: a local agent of another tenant answers 0';
    is_deeply dump_all(), $before, 'upstream: and nothing is written';
    is create_run_raw(agent => $b, run => 'run-' . uuid4(), tenant => 'acme',
                      upstream => 1), 1,
        'upstream: a local agent of the tenant is served';

    # without "u" the same agent with no hash is refused (the check works)
    my $ghost = 'agent-' . uuid4();
    $before = dump_all();
    is create_run_raw(agent => $ghost, run => 'run-' . uuid4(),
                      tenant => 'acme'), 0, 'local: no hash, answers 0';
    is_deeply dump_all(), $before, 'local: nothing written';
}

# --- another prefix ---------------------------------------------------

{
    fresh();
    my $a = create_agent($r, prefix => 'tst:', tenant => 't1');
    my $run = create_run($r, $a, prefix => 'tst:', tenant => 't1');
    my $k = ks(prefix => 'tst:', agent => $a, run => $run, tenant => 't1');
    is_deeply [ sort keys %{ dump_all() } ],
        [ sort @$k{qw(agent tenant_agents tenant_names tenants queue runs run
                      tenant_runs tenant_active ready)} ],
        'prefix tst: every key written is a tst: key of the contract';
    is_deeply $r->cmd('LRANGE', 'tst:ready', 0, -1), [$a],
        'prefix tst: the agent is in tst:ready';
    inv_ok('tst:', [$a], 'prefix tst:');
    is create_run_raw(agent => $a, run => 'run-' . uuid4(), tenant => 't1'),
        0, 'the agent is not found under the aa: prefix';
}

done_testing;

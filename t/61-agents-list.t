# GET /v1/agents/: the tenant's agents from its index, as Letta lists them
# (docs/api.md): the default page, order and the deprecated ascending,
# limit and its bounds, after/before in both orders (every page of a walk
# in each direction), cursors unknown, of another tenant or empty, the name
# filter, order_by, the filters that match nothing, those refused, the
# parameters that are only checked; each item the AgentState GET serves;
# stale index entries; agents created while a walk goes on.
use lib '.';
use t::AgentTest 'no_plan';

my $TOKEN = 'list-token-61';
my %H = (Authorization => "Bearer $TOKEN", 'Content-Type' => 'application/json');
my %O = (Authorization => 'Bearer other-token-61', 'Content-Type' => 'application/json');

nginx_start(
    http_config => "agent_async_redis 127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT};",
    config      => "location /v1/ { agent_async on; agent_async_token $TOKEN ten61;"
                 . ' agent_async_token other-token-61 other61; }',
);

sub api {
    my ($method, $path, $body, $h) = @_;
    my $r = http_request($method, $path, $h // \%H,
                         defined $body ? (ref $body ? json_encode($body) : $body) : undef,
                         { timeout => 5 });
    die "no answer to $method $path: $r->{error}\n" if $r->{error};
    return ($r->{status}, eval { json_decode($r->{body}) }, $r);
}

sub ids { [ map { $_->{id} } @{ $_[0] } ] }

sub list {
    my ($q, $h) = @_;
    my ($s, $b, $r) = api('GET', "/v1/agents/$q", undef, $h);
    return ($s, $b, $r);
}

sub list_ids {
    my ($q, $h) = @_;
    my ($s, $b) = list($q, $h);
    return $s == 200 ? ids($b) : "http $s";
}

# the 422 of one bad parameter: [type, loc, msg]
sub bad {
    my ($q) = @_;
    my ($s, $b) = list($q);
    return "http $s" unless $s == 422;
    return [ map { [ $_->{type}, $_->{loc}, $_->{msg} ] } @{ $b->{detail} } ];
}

# --- agents of two tenants --------------------------------------------------

my @names = (qw(alpha beta alpha gamma alpha delta beta), "\x{263a}smile", 'alpha');
my @mine;
for my $n (@names) {
    my ($s, $a) = api('POST', '/v1/agents/', { name => $n });
    die "create: $s\n" unless $s == 200;
    push @mine, $a->{id};
}
my ($s, $theirs) = api('POST', '/v1/agents/', { name => 'alpha' }, \%O);
my $THEIRS = $theirs->{id};

# the order of the index: creation time, then id
my %score = map { $_ => redis('ZSCORE', 'aa:tenant:ten61:agents', $_) } @mine;
my @asc = sort { $score{$a} <=> $score{$b} || $a cmp $b } @mine;
my @desc = reverse @asc;
is(scalar @asc, 9, 'setup: 9 agents of ten61, one of other61');

# --- the default page ---------------------------------------------------------

my ($ls, $page, $raw) = list('');
is($ls, 200, 'GET /v1/agents/: 200');
like($raw->{headers}{'content-type'}, qr{^application/json}, 'JSON');
like($raw->{body}, qr/^\[\{"id":"agent-/, 'a bare JSON array of AgentState');
is_deeply(ids($page), \@desc, 'newest first by default (Letta: order desc)');
for my $a (@$page) {
    my (undef, undef, $g) = api('GET', "/v1/agents/$a->{id}");
    is(json_encode($a), json_encode(json_decode($g->{body})),
       "the listed agent $a->{id} is the AgentState GET serves");
}
is_deeply(list_ids('', \%O), [$THEIRS], 'another tenant lists its own only');
is_deeply(list_ids('?limit=1000'), \@desc, 'limit 1000 (our bound)');

# --- order, ascending, order_by -------------------------------------------------

is_deeply(list_ids('?order=asc'), \@asc, 'order=asc: oldest first');
is_deeply(list_ids('?order=desc'), \@desc, 'order=desc');
is_deeply(list_ids('?ascending=true'), \@asc, 'ascending=true alone: oldest first');
is_deeply(list_ids('?ascending=false'), \@desc, 'ascending=false alone: newest first');
is_deeply(list_ids('?ascending=1&order=desc'), \@desc, 'order wins over ascending');
is_deeply(list_ids('?ascending=no&order=asc'), \@asc, 'order wins over ascending (asc)');
for my $by (qw(created_at updated_at last_run_completion)) {
    is_deeply(list_ids("?order_by=$by&order=asc"), \@asc,
              "order_by=$by: accepted, served in creation order");
}
is_deeply(bad('?order_by=name'),
          [ [ 'literal_error', [qw(query order_by)],
              "Input should be 'created_at', 'updated_at' or 'last_run_completion'" ] ],
          'order_by=name: 422 literal_error');
is_deeply(bad('?order=up'), [ [ 'enum', [qw(query order)], "Input should be 'asc' or 'desc'" ] ],
          'order=up: 422 enum');
is_deeply(bad('?ascending=maybe'),
          [ [ 'bool_parsing', [qw(query ascending)],
              'Input should be a valid boolean, unable to interpret input' ] ],
          'ascending=maybe: 422 bool_parsing');

# --- limit ------------------------------------------------------------------------

is_deeply(list_ids('?limit=2'), [ @desc[0, 1] ], 'limit=2: the first two');
is_deeply(bad('?limit=0'), [ [ 'greater_than_equal', [qw(query limit)],
                               'Input should be greater than or equal to 1' ] ],
          'limit=0: 422');
is_deeply(bad('?limit=1001'), [ [ 'less_than_equal', [qw(query limit)],
                                  'Input should be less than or equal to 1000' ] ],
          'limit=1001: 422');
is(bad('?limit=ten')->[0][0], 'int_parsing', 'limit=ten: 422 int_parsing');
is(bad('?limit=')->[0][0], 'int_parsing', 'limit= (empty): 422 int_parsing');

# --- after / before: every page of a walk, both orders ------------------------------

for my $order ('asc', 'desc') {
    my @all = $order eq 'asc' ? @asc : @desc;
    for my $limit (1, 2, 4) {
        # forward: after = the last id, until an empty page
        my (@walk, $after, $pages);
        while (1) {
            my $got = list_ids("?order=$order&limit=$limit" . ($after ? "&after=$after" : ''));
            last if !ref $got || !@$got || ++$pages > 20;
            push @walk, @$got;
            $after = $got->[-1];
        }
        is_deeply(\@walk, \@all, "$order, limit $limit: walking with after gives every agent once, in order");
        # backward from the end: before = the first id, pages adjacent
        my (@back, $before);
        $before = $all[-1];
        my @want = @all[0 .. $#all - 1];
        $pages = 0;
        while (1) {
            my $got = list_ids("?order=$order&limit=$limit&before=$before");
            last if !ref $got || !@$got || ++$pages > 20;
            my $n = @want < $limit ? scalar @want : $limit;
            is_deeply($got, [ @want[$#want - $n + 1 .. $#want] ],
                      "$order, limit $limit, before $before: the $n right before it, in order");
            splice @want, -$n;
            unshift @back, @$got;
            $before = $got->[0];
        }
        is_deeply(\@back, [ @all[0 .. $#all - 1] ], "$order, limit $limit: walking back with before reaches the first");
    }
    # both cursors: between them, the first after after
    is_deeply(list_ids("?order=$order&after=$all[1]&before=$all[6]&limit=3"), [ @all[2 .. 4] ],
              "$order: after and before: the first 3 between them");
    is_deeply(list_ids("?order=$order&after=$all[6]&before=$all[1]"), [],
              "$order: after beyond before: []");
    is_deeply(list_ids("?order=$order&after=$all[8]"), [], "$order: after the last: []");
    is_deeply(list_ids("?order=$order&before=$all[0]"), [], "$order: before the first: []");
}

# cursors that are no agent of the tenant are ignored, as Letta ignores them
for my $c ('agent-00000000-0000-4000-8000-000000000000', $THEIRS, 'not-an-id', '') {
    is_deeply(list_ids("?after=$c&limit=3"), [ @desc[0 .. 2] ], "after=\"$c\": ignored");
    is_deeply(list_ids("?before=$c&limit=3"), [ @desc[0 .. 2] ], "before=\"$c\": ignored");
}

# --- name -----------------------------------------------------------------------------

my @alpha = grep { my $i = $_; $names[ (grep { $mine[$_] eq $i } 0 .. $#mine)[0] ] eq 'alpha' } @desc;
is(scalar @alpha, 4, 'setup: four named alpha');
is_deeply(list_ids('?name=alpha'), \@alpha, 'name=alpha: those four, newest first');
is_deeply(list_ids('?name=alpha&order=asc&limit=2&after=' . $alpha[2]), [ $alpha[1], $alpha[0] ],
          'name=alpha, asc, after: the next of that name');
my $beta = (grep { my $i = $_; $names[ (grep { $mine[$_] eq $i } 0 .. $#mine)[0] ] eq 'beta' } @desc)[0];
is_deeply(list_ids("?name=alpha&after=$beta&limit=1"),
          [ (grep { $score{$_} < $score{$beta} || ($score{$_} == $score{$beta} && $_ lt $beta) } @alpha)[0] ],
          'name=alpha, after an agent of another name: by its creation time');
is_deeply(list_ids('?name=%E2%98%BAsmile'), [ grep { $score{$_} == $score{$mine[7]} && $_ eq $mine[7] } @desc ],
          'name in UTF-8, percent-encoded');
is_deeply(list_ids('?name=Alpha'), [], 'name is exact: Alpha matches none');
is_deeply(list_ids('?name=alph'), [], 'name is exact: alph matches none');
is_deeply(list_ids('?name='), \@desc, 'name= (empty): no filter, as in Letta');
is_deeply(list_ids('?name=alpha', \%O), [$THEIRS], 'name=alpha for the other tenant: its own');

# a rename moves it in the name index
my ($ps) = api('PATCH', "/v1/agents/$alpha[0]", { name => 'omega' });
is($ps, 200, 'setup: the newest alpha renamed omega');
is_deeply(list_ids('?name=alpha'), [ @alpha[1 .. 3] ], 'renamed: no longer an alpha');
is_deeply(list_ids('?name=omega'), [ $alpha[0] ], 'renamed: an omega');

# --- the other filters -------------------------------------------------------------------

for my $f (qw(project_id template_id base_template_id identity_id created_by_id)) {
    is_deeply(list_ids("?$f=x"), [], "$f=x: no agent here has one: []");
    is_deeply(list_ids("?$f="), \@desc, "$f= (empty): no filter");
}
is_deeply(list_ids('?identifier_keys=a&identifier_keys=b'), [], 'identifier_keys, twice: []');
is_deeply(list_ids('?identifier_keys='), [], 'identifier_keys= : a list of one "" (Letta filters): []');
is_deeply(list_ids('?project_id=x&tags=t'), [], 'a filter matching none wins over a refused one');
for my $f ('tags=t', 'tags=', 'query_text=al', 'last_stop_reason=end_turn') {
    my ($fs, $fb) = list("?$f");
    (my $name = $f) =~ s/=.*//;
    is($fs, 400, "$f: 400");
    is_deeply($fb, { detail => "INVALID_ARGUMENT: filtering agents by $name is not supported by this server" },
              "$f: says why");
}
is_deeply(list_ids('?query_text='), \@desc, 'query_text= (empty): no filter');
is(bad('?last_stop_reason=bogus')->[0][0], 'enum', 'last_stop_reason=bogus: 422 enum');
like(bad('?last_stop_reason=bogus')->[0][2], qr/^Input should be 'end_turn', 'error', .* or 'context_window_overflow_in_system_prompt'$/,
     'last_stop_reason=bogus: the 13 stop reasons');

# only checked
is_deeply(list_ids('?match_all_tags=true&show_hidden_agents=1&sort_by=whatever&include_relationships=x'
                   . '&include=agent.tools&include=agent.blocks'), \@desc,
          'match_all_tags, show_hidden_agents, sort_by, include_relationships, include: no effect');
is_deeply(bad('?include=agent.tools&include=agent.nope'),
          [ [ 'literal_error', [ 'query', 'include', 1 ],
              "Input should be 'agent.blocks', 'agent.identities', 'agent.managed_group', "
              . "'agent.pending_approval', 'agent.secrets', 'agent.sources', 'agent.tags' or 'agent.tools'" ] ],
          'include=agent.nope: 422 literal_error at its index');
is(bad('?match_all_tags=2')->[0][0], 'bool_parsing', 'match_all_tags=2: 422');
is(scalar @{ bad('?limit=0&order=x&match_all_tags=zz') }, 3, 'every bad parameter listed');
my ($qs, $qb) = list('?name=a%00b');
is($qs, 400, 'a NUL in the query: 400');
is_deeply($qb, { detail => 'Invalid query string' }, 'Invalid query string');

# --- what the index holds that is not an agent here -------------------------------------

redis('ZADD', 'aa:tenant:ten61:agents', 9e15, 'agent-00000000-0000-4000-8000-00000000dead');
redis('ZADD', 'aa:tenant:ten61:agents', 9e15 + 1, 'garbage');
redis('ZADD', 'aa:tenant:ten61:agents', 9e15 + 2, $THEIRS);
is_deeply(list_ids('?limit=4'), [ $desc[0] ],
          'the newest 4 entries: a deleted agent, garbage, another tenant\'s are left out (a page can be short)');
is_deeply(list_ids(''), \@desc, 'and the whole list is the agents');
redis('ZREM', 'aa:tenant:ten61:agents', 'agent-00000000-0000-4000-8000-00000000dead', 'garbage', $THEIRS);

# the run metrics of an agent are listed
redis('HSET', "aa:{$desc[0]}:agent", last_run_completion => '2026-01-01T00:00:00.000001Z',
      last_run_duration_ms => 1234, last_stop_reason => 'end_turn');
my (undef, $m) = list('?limit=1');
is_deeply([ @{ $m->[0] }{qw(last_run_completion last_run_duration_ms last_stop_reason)} ],
          [ '2026-01-01T00:00:00.000001Z', 1234, 'end_turn' ], 'the run metrics of the agent hash');

# --- agents created while a walk goes on: none twice, none skipped ------------------------

my (@walk, $after, @made);
for (1 .. 20) {
    my $got = list_ids('?limit=2' . ($after ? "&after=$after" : ''));
    last unless ref $got && @$got;
    push @walk, @$got;
    $after = $got->[-1];
    push @made, (api('POST', '/v1/agents/', { name => 'late' }))[1]{id};
}
is_deeply(\@walk, \@desc, 'newest first, agents created during the walk: every one of before, once');

# HEAD
my $h = http_request('HEAD', '/v1/agents/', \%H);
is($h->{status}, 200, 'HEAD /v1/agents/: 200');
is($h->{body}, '', 'HEAD: no body');

nginx_stop();
unlike(error_log(), qr/\[(alert|crit|emerg)\]/, 'no alert');
unlike(error_log(), qr/runtime error:|AddressSanitizer/, 'no sanitizer report');

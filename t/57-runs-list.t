# GET /v1/runs/ and GET /v1/runs/active (docs/api.md, "Listing runs"):
# the caller's runs, newest first, a bare array; every filter, both cursor
# directions in both orders (the documented meaning, so that a client
# paging with "after" reaches an empty page), limit and its bounds, bad
# parameters in Letta's shapes, other tenants' runs never seen nor usable
# as cursors; pages that need several slices of the index; entries of runs
# gone or finished leaving the indexes as they are listed.
use lib '.';
use t::AgentTest 'no_plan';

my %A = (Authorization => 'Bearer list-token-57', 'Content-Type' => 'application/json');
my %B = (Authorization => 'Bearer list-other-57', 'Content-Type' => 'application/json');

nginx_start(
    http_config => "agent_async_redis 127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT};",
    config      => "location /v1/ { agent_async on; agent_async_token list-token-57 ten57;"
                 . " agent_async_token list-other-57 other57; }"
                 . " location /latest/ { agent_async on; agent_async_token list-token-57 ten57; }",
);

sub api {
    my ($method, $path, $h, $body) = @_;
    my $r = http_request($method, $path, $h // \%A,
                         defined $body ? json_encode($body) : undef, { timeout => 10 });
    die "no answer to $method $path: $r->{error}\n" if $r->{error};
    return ($r->{status}, eval { json_decode($r->{body}) }, $r);
}

# the ids of a listing, or "http <status>: <body>" when it is not a 200
sub ids {
    my ($query, $h, $path) = @_;
    my ($s, $b, $r) = api('GET', ($path // '/v1/runs/') . (length $query ? "?$query" : ''), $h);
    return "http $s: $r->{body}" unless $s == 200 && ref $b eq 'ARRAY';
    return [ map { $_->{id} } @$b ];
}

sub agent {
    my ($h) = @_;
    my ($s, $b) = api('POST', '/v1/agents/', $h, { name => 'lister' });
    die "agent: $s\n" unless $s == 200;
    return $b->{id};
}

sub new_run {
    my ($agent, $h) = @_;
    my ($s, $b) = api('POST', "/v1/agents/$agent/messages/async", $h, { input => 'hello' });
    die "run: $s\n" unless $s == 200;
    return $b->{id};
}

sub finish {
    my ($agent, $run, $status, $reason) = @_;
    redis('HSET', run_key("aa:", $run), status => $status,
          stop_reason => $reason, completed_at => '2026-12-01T10:00:00.000000Z');
}

my $a1 = agent();
my $a2 = agent();
my $b1 = agent(\%B);

# twelve runs of tenant ten57, two agents interleaved; two of other57
my @all;
for my $i (1 .. 12) {
    push @all, new_run($i % 3 ? $a1 : $a2);
}
my @a1 = grep { redis('HGET', run_key('aa:', $_), 'agent_id') eq $a1 } @all;
my @a2 = grep { redis('HGET', run_key('aa:', $_), 'agent_id') eq $a2 } @all;
my @b = map { new_run($b1, \%B) } 1 .. 2;
my @desc = reverse @all;

# --- the listing, its shape, both path forms -----------------------------

my ($s, $list, $raw) = api('GET', '/v1/runs/');
is($s, 200, 'GET /v1/runs/: 200');
like($raw->{body}, qr/^\[\{"id":"run-/, 'a bare JSON array of Runs');
is_deeply([ map { $_->{id} } @$list ], \@desc, 'every run of the tenant, newest first');
my ($one) = grep { $_->{id} eq $all[0] } @$list;
is_deeply([ sort keys %$one ], [ sort keys %{ (api('GET', "/v1/runs/$all[0]"))[1] } ],
          'each item has the keys of GET /v1/runs/{id}');
is_deeply($one, (api('GET', "/v1/runs/$all[0]"))[1], 'and the same values');
is_deeply(ids('', undef, '/v1/runs'), \@desc, 'without the trailing slash');
is_deeply(ids('', undef, '/latest/runs/'), \@desc, 'under /latest/');
is_deeply(ids('', \%B), [ reverse @b ], 'another tenant sees its runs only');
my ($us) = api('GET', '/v1/runs/', { Authorization => 'Bearer nope' });
is($us, 401, 'a bad token: 401');

# --- order ---------------------------------------------------------------

is_deeply(ids('order=asc'), \@all, 'order=asc: oldest first');
is_deeply(ids('order=desc'), \@desc, 'order=desc: newest first');
is_deeply(ids('ascending=true'), \@all, 'ascending=true (deprecated) is asc');
is_deeply(ids('ascending=true&order=desc'), \@all, 'ascending=true wins over order');
is_deeply(ids('ascending=false&order=asc'), \@all, 'ascending=false leaves order alone');
is_deeply(ids('order_by=created_at&order=asc'), \@all, 'order_by=created_at');

# --- limit ---------------------------------------------------------------

is_deeply(ids('limit=5'), [ @desc[0 .. 4] ], 'limit=5');
is_deeply(ids('limit=1&order=asc'), [ $all[0] ], 'limit=1, asc');
is_deeply(ids('limit=1000'), \@desc, 'limit=1000');
for my $bad ([ 0, 'greater_than_equal' ], [ 1001, 'less_than_equal' ], [ 'ten', 'int_parsing' ]) {
    my ($st, $b) = api('GET', "/v1/runs/?limit=$bad->[0]");
    is($st, 422, "limit=$bad->[0]: 422");
    is($b->{detail}[0]{type}, $bad->[1], "limit=$bad->[0]: $bad->[1]");
    is_deeply($b->{detail}[0]{loc}, [ 'query', 'limit' ], "limit=$bad->[0]: loc query.limit");
}

# --- cursors: "after X" follows X, "before X" precedes it -----------------

is_deeply(ids("limit=5&after=$desc[4]"), [ @desc[5 .. 9] ], 'desc, after: the next page');
is_deeply(ids("limit=5&after=$desc[9]"), [ @desc[10, 11] ], 'desc, after: the last page');
is_deeply(ids("limit=5&after=$desc[11]"), [], 'desc, after the last: an empty page');
is_deeply(ids("limit=5&order=asc&after=$all[4]"), [ @all[5 .. 9] ], 'asc, after: the next page');
is_deeply(ids("limit=5&order=asc&after=$all[11]"), [], 'asc, after the last: an empty page');
is_deeply(ids("limit=3&before=$desc[6]"), [ @desc[3 .. 5] ], 'desc, before: the adjacent previous page');
is_deeply(ids("before=$desc[6]"), [ @desc[0 .. 5] ], 'desc, before: all that precede');
is_deeply(ids("limit=3&order=asc&before=$all[6]"), [ @all[3 .. 5] ], 'asc, before: the previous page');
is_deeply(ids("limit=3&before=$desc[0]"), [], 'before the first: an empty page');
is_deeply(ids("after=$desc[2]&before=$desc[7]"), [ @desc[3 .. 6] ], 'after and before: the runs between');
is_deeply(ids("limit=2&after=$desc[2]&before=$desc[7]"), [ @desc[3, 4] ], 'between, limited from after');
is_deeply(ids("order=asc&after=$all[2]&before=$all[5]"), [ @all[3, 4] ], 'between, asc');

# walking the whole listing by "after" ends, with every run once
for my $order (qw(desc asc)) {
    my (@seen, $cursor);
    for (1 .. 10) {
        my $page = ids("limit=5&order=$order" . ($cursor ? "&after=$cursor" : ''));
        last unless ref $page && @$page;
        push @seen, @$page;
        $cursor = $page->[-1];
    }
    is_deeply(\@seen, $order eq 'asc' ? \@all : \@desc, "paging by after, $order: every run once, then empty");
}

my $unknown = 'run-00000000-0000-4000-8000-000000000057';
is_deeply(ids("limit=3&after=$unknown"), [ @desc[0 .. 2] ], 'an unknown cursor is ignored');
is_deeply(ids("limit=3&before=$unknown"), [ @desc[0 .. 2] ], 'an unknown before is ignored');
is_deeply(ids('limit=3&after=not-a-run'), [ @desc[0 .. 2] ], 'a malformed cursor is ignored');
is_deeply(ids("limit=3&after=$b[1]"), [ @desc[0 .. 2] ], 'another tenant\'s run as cursor: ignored');
is_deeply(ids("agent_id=$a1&limit=2&after=$b[1]"), [ (reverse @a1)[0, 1] ],
          'another tenant\'s run as cursor of an agent listing: ignored');

# --- agent_id, agent_ids ---------------------------------------------------

is_deeply(ids("agent_id=$a1"), [ reverse @a1 ], 'agent_id: its runs, newest first');
is_deeply(ids("agent_id=$a2&order=asc"), \@a2, 'agent_id, asc');
is_deeply(ids("agent_id=$a1&limit=2&after=" . (reverse @a1)[1]), [ (reverse @a1)[2, 3] ], 'agent_id, after');
is_deeply(ids("agent_id=$a1&limit=2&before=" . (reverse @a1)[3]), [ (reverse @a1)[1, 2] ], 'agent_id, before');
is_deeply(ids("agent_ids=$a2"), [ reverse @a2 ], 'agent_ids, one');
is_deeply(ids("agent_ids=$a1&agent_ids=$a2"), \@desc, 'agent_ids, both');
is_deeply(ids("agent_ids=$a2&agent_ids=$b1"), [ reverse @a2 ], 'agent_ids with another tenant\'s agent');
is_deeply(ids("agent_id=$a2&agent_ids=$a1"), [ reverse @a2 ], 'agent_id wins over agent_ids');
is_deeply(ids("agent_id=$b1"), [], 'another tenant\'s agent: no runs');
is_deeply(ids('agent_id=agent-00000000-0000-4000-8000-000000000057'), [], 'an unknown agent: no runs');
is_deeply(ids('agent_id=nonsense'), [], 'a malformed agent id: no runs');
is_deeply(ids('agent_id='), \@desc, 'agent_id empty: no filter (as Letta)');

# --- statuses, active, stop_reason, background, conversation_id ------------

finish($a1, $a1[0], 'completed', 'end_turn');
finish($a1, $a1[1], 'failed', 'error');
finish($a2, $a2[0], 'cancelled', 'cancelled');
finish($a2, $a2[1], 'completed', 'max_steps');
redis('HSET', run_key("aa:", $a1[2]), status => 'running');
my %st = ($a1[0] => 'completed', $a1[1] => 'failed', $a2[0] => 'cancelled', $a2[1] => 'completed',
          $a1[2] => 'running');
my @active = grep { !$st{$_} || $st{$_} eq 'running' } @desc;
is(redis('ZCARD', 'aa:tenant:ten57:active'), 12, 'setup: the active index still holds the finished runs');

is_deeply(ids('statuses=completed'), [ grep { ($st{$_} // '') eq 'completed' } @desc ], 'statuses=completed');
is_deeply(ids('statuses=completed&statuses=failed'),
          [ grep { ($st{$_} // '') =~ /^(completed|failed)$/ } @desc ], 'statuses, two');
is_deeply(ids('statuses=running'), [ $a1[2] ], 'statuses=running');
is_deeply(ids('statuses=created&statuses=running'), \@active, 'statuses created and running');
is_deeply(ids("statuses=completed&agent_id=$a2"), [ $a2[1] ], 'statuses with agent_id');
my ($bs, $bb) = api('GET', '/v1/runs/?statuses=completed&statuses=bogus');
is($bs, 400, 'an unknown status: 400');
is_deeply($bb, { detail => "'bogus' is not a valid RunStatus" }, 'an unknown status: Letta\'s message');
($bs, $bb) = api('GET', '/v1/runs/?statuses=%22x');
is_deeply($bb, { detail => q('"x' is not a valid RunStatus) }, 'an unknown status: escaped in the JSON');

is_deeply(ids('active=true'), \@active, 'active=true: created and running');
is(redis('ZCARD', 'aa:tenant:ten57:active'), scalar @active, 'listed, the finished runs left the active index');
is_deeply(ids('active=yes&limit=2'), [ @active[0, 1] ], 'active=yes, limited');
is_deeply(ids('active=false'), \@desc, 'active=false: no filter');
is_deeply(ids('active=true&statuses=failed'), [ $a1[1] ], 'statuses win over active');
is_deeply(ids("active=true&agent_id=$a1"), [ grep { redis('HGET', run_key('aa:', $_), 'agent_id') eq $a1 } @active ],
          'active with agent_id');
is_deeply(ids('', undef, '/v1/runs/active'), \@active, 'GET /v1/runs/active');
is_deeply(ids("agent_id=$a2", undef, '/v1/runs/active/'), [ grep { redis('HGET', run_key('aa:', $_), 'agent_id') eq $a2 } @active ],
          'GET /v1/runs/active/?agent_id=');
is_deeply(ids('limit=1&order=asc&statuses=failed', undef, '/v1/runs/active'), \@active,
          '/runs/active takes no other parameter');
my ($ds) = api('DELETE', '/v1/runs/active');
is($ds, 400, 'DELETE /v1/runs/active: "active" is a malformed run id, as for Letta');

is_deeply(ids('stop_reason=end_turn'), [ $a1[0] ], 'stop_reason=end_turn');
is_deeply(ids('stop_reason=cancelled&statuses=cancelled'), [ $a2[0] ], 'stop_reason with statuses');
($bs, $bb) = api('GET', '/v1/runs/?stop_reason=bogus');
is($bs, 422, 'an unknown stop_reason: 422');
is($bb->{detail}[0]{type}, 'enum', 'an unknown stop_reason: enum');
like($bb->{detail}[0]{msg}, qr/^Input should be 'end_turn', 'error', .* or 'context_window_overflow_in_system_prompt'$/,
     'an unknown stop_reason: the values listed');

is_deeply(ids('background=true'), \@desc, 'background=true: every async run');
is_deeply(ids('background=false'), [], 'background=false: none');
is_deeply(ids('conversation_id=conv-1'), [], 'conversation_id: none here is conversation-scoped');

for my $bad (qw(active background ascending)) {
    my ($st, $b) = api('GET', "/v1/runs/?$bad=maybe");
    is($st, 422, "$bad=maybe: 422");
    is_deeply($b->{detail}, [ { type => 'bool_parsing', loc => [ 'query', $bad ],
                                msg => 'Input should be a valid boolean, unable to interpret input',
                                input => 'maybe' } ], "$bad=maybe: bool_parsing");
}
my ($os, $ob) = api('GET', '/v1/runs/?order=sideways&order_by=name');
is($os, 422, 'bad order and order_by: 422');
is_deeply([ map { $_->{loc}[1] } @{ $ob->{detail} } ], [ 'order', 'order_by' ], 'both reported');

# --- runs gone: skipped, and their entries leave the index ---------------

redis('DEL', run_key("aa:", $a1[3]));
is_deeply(ids(''), [ grep { $_ ne $a1[3] } @desc ], 'a run whose hash is gone is not listed');
ok(!defined redis('ZSCORE', 'aa:tenant:ten57:runs', "$a1/$a1[3]"), 'and its entry left the tenant index');
is_deeply(ids("agent_id=$a1"), [ grep { $_ ne $a1[3] } reverse @a1 ], 'nor by agent');
ok(!defined redis('ZSCORE', "aa:{$a1}:runs", $a1[3]), 'and its entry left the agent\'s index');
my ($d) = api('DELETE', "/v1/runs/$a1[4]");
is($d, 200, 'DELETE a run');
is_deeply(ids(''), [ grep { $_ ne $a1[3] && $_ ne $a1[4] } @desc ], 'a deleted run is not listed');

# a page through entries that name no run, and entries of another shape
redis('ZADD', 'aa:tenant:ten57:runs', 1, 'garbage', 2, "$a1/not-a-run");
my @left = grep { $_ ne $a1[3] && $_ ne $a1[4] } @all;
is_deeply(ids('limit=3&order=asc'), [ @left[0 .. 2] ], 'entries that name no run are skipped, the page filled');
is(redis('ZCARD', 'aa:tenant:ten57:runs'), @left + 2, 'and left alone');

# --- many runs: filtered pages need several slices ------------------------

my $many = agent();
my @m = map { new_run($many) } 1 .. 450;
my @done = grep { $_ % 10 == 3 } 0 .. $#m;
finish($many, $m[$_], 'completed', 'end_turn') for @done;
my @want = reverse map { $m[$_] } @done;
is_deeply(ids("statuses=completed&agent_id=$many"), \@want, '45 completed among 450: one page, several slices');
is_deeply(ids("agent_id=$many&statuses=completed&order=asc&limit=100"), [ reverse @want ], 'the same, asc');
my (@seen, $cursor);
for (1 .. 20) {
    my $page = ids("statuses=completed&agent_id=$many&limit=7" . ($cursor ? "&after=$cursor" : ''));
    last unless ref $page && @$page;
    push @seen, @$page;
    $cursor = $page->[-1];
}
is_deeply(\@seen, \@want, 'paging a filtered listing by after: every match once, then empty');
is(scalar @{ ids('') }, 100, 'the default limit is 100');
is_deeply(ids("limit=3&before=$m[100]&agent_id=$many&order=asc"), [ @m[97 .. 99] ], 'before, deep in the index');

# --- an index Redis cannot read: 503, the Letta-shaped storage error -----

redis('SET', 'aa:tenant:other57:runs', 'not a zset');
my ($ws, $wb, $wr) = api('GET', '/v1/runs/', \%B);
is($ws, 503, 'an index of the wrong type: 503');
ok(ref $wb eq 'HASH' && defined $wb->{detail}, 'with a detail');
redis('DEL', 'aa:tenant:other57:runs');
my ($hs, undef, $hr) = api('HEAD', '/v1/runs/');
is($hs, 200, 'HEAD: 200');
ok(!length($hr->{body} // ''), 'HEAD: no body');

unlike(error_log(), qr/\[(?:alert|crit)\]|runtime error:|AddressSanitizer/,
       'no alert or sanitizer report in error.log');

# Redis at maxmemory with noeviction (docs/redis-keys.md, "When Redis is
# full"): what would add data (agents, runs) is a 503 "the run store is
# full" with Retry-After, nothing written, and no x-should-retry: false
# (a retry is safe); reads, listings, cancellation and deletion still work;
# once there is room again, everything does.
use lib '.';
use t::AgentTest 'no_plan';

my %H = (Authorization => 'Bearer full-token-71', 'Content-Type' => 'application/json');

nginx_start(
    http_config => "agent_async_redis 127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT};",
    config      => 'location /v1/ { agent_async on; agent_async_token full-token-71 ten71; }',
);

sub api {
    my ($method, $path, $body) = @_;
    my $r = http_request($method, $path, \%H, defined $body ? json_encode($body) : undef,
                         { timeout => 5 });
    die "no answer to $method $path: $r->{error}\n" if $r->{error};
    return ($r->{status}, eval { json_decode($r->{body}) }, $r);
}

sub keys_now { [ sort @{ redis('KEYS', '*') } ] }

my (undef, $agent) = api('POST', '/v1/agents/', { name => 'full' });
my $A = $agent->{id};
my @runs = map { (api('POST', "/v1/agents/$A/messages/async", { input => "r$_" }))[1]{id} } 1 .. 3;
is(scalar(grep { defined } @runs), 3, 'setup: three runs queued');

# full: any write that adds data is refused by Redis
redis('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
redis('CONFIG', 'SET', 'maxmemory', '1');
my $before = keys_now();

my ($s, $b, $r) = api('POST', "/v1/agents/$A/messages/async", { input => 'no room' });
is($s, 503, 'a new run: 503');
is_deeply($b, { detail => 'Service Unavailable: the run store is full' }, 'the run store is full');
is($r->{headers}{'retry-after'}, '10', 'Retry-After: 10');
ok(!exists $r->{headers}{'x-should-retry'}, 'no x-should-retry: false (nothing was written)');
($s, $b) = api('POST', '/v1/agents/', { name => 'no room' });
is($s, 503, 'a new agent: 503');
is($b->{detail}, 'Service Unavailable: the run store is full', 'the same detail');
is_deeply(keys_now(), $before, 'nothing written');

($s, $b) = api('GET', "/v1/runs/$runs[0]");
is($s, 200, 'reading a run works');
($s, $b) = api('GET', '/v1/runs/');
is($s, 200, 'listing works');
is(scalar @$b, 3, 'all three');
($s, $b) = api('GET', "/v1/agents/$A");
is($s, 200, 'reading the agent works');
($s) = api('GET', '/v1/health/');
is($s, 200, 'health: 200 (reads are served)');

($s, $b) = api('POST', "/v1/agents/$A/messages/cancel", { run_ids => [ $runs[0] ] });
is($s, 200, 'cancelling works');
is_deeply($b, { $runs[0] => 'cancelled' }, 'the run cancelled');
is((api('GET', "/v1/runs/$runs[0]"))[1]{status}, 'cancelled', 'and it is');
($s) = api('DELETE', "/v1/runs/$runs[1]");
is($s, 200, 'deleting works (it makes room)');
is((api('GET', "/v1/runs/$runs[1]"))[0], 404, 'gone');

like(error_log(), qr/\[warn\].*agent_async: redis is at maxmemory, request refused/,
     'error.log: a warning per refusal');

# room again
redis('CONFIG', 'SET', 'maxmemory', '0');
($s, $b) = api('POST', "/v1/agents/$A/messages/async", { input => 'room again' });
is($s, 200, 'with room again, a new run: 200');
is((api('GET', "/v1/runs/$b->{id}"))[1]{status}, 'created', 'stored');

unlike(error_log(), qr/\[(?:error|alert|crit)\]|runtime error:|AddressSanitizer/,
       'no error, alert or sanitizer report in error.log');

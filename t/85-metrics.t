# agent_async_metrics: Prometheus text format, parsed by a real parser
# (Debian's python3-prometheus-client), from nginx with two worker
# processes (the counters are in shared memory) and a worker whose counters
# reach nginx through Redis; Redis's queues at the time of the scrape;
# Redis down; what a worker hash may not smuggle in; the directive's
# errors.
use lib '.';
use t::AgentTest 'no_plan';
use File::Temp ();
use HTTP::Tiny;
use POSIX ();
use Time::HiRes qw(sleep time);

my $TOKEN = 'metrics-token-0123';
my $TENANT = 'tenant-secret-name';
my %H = ('Authorization' => "Bearer $TOKEN", 'Content-Type' => 'application/json');
my $PY = '/usr/bin/python3';
my $TMP = File::Temp->newdir('aa-metrics-XXXXXX', TMPDIR => 1);

our $CONFIG = <<"CONF";
    location /v1/ { agent_async on; agent_async_token $TOKEN $TENANT; }
    location = /metrics { agent_async_metrics; }
CONF

t::AgentTest::default_http_config('agent_async_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT;');
add_block_preprocessor(sub {
    my $b = shift;
    $b->set_value(config => $CONFIG) unless defined scalar $b->config;
});

no_shuffle();
run_tests();

# ---- a scrape, parsed ----

# [ [name, {labels}, value], ... ] of the samples, as the parser sees them
sub scrape {
    my $r = HTTP::Tiny->new(keep_alive => 0, timeout => 5)
        ->get("http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}/metrics");
    die "scrape: $r->{status}\n" unless $r->{status} == 200;
    my $f = "$TMP/scrape.txt";
    open my $h, '>', $f or die "$f: $!";
    print $h $r->{content};
    close $h;
    my $out = `$PY - '$f' <<'PY'
import json, sys
from prometheus_client.parser import text_string_to_metric_families
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in fam.samples:
        print(json.dumps([s.name, s.labels, s.value, fam.type]))
PY`;
    die "the parser refused it ($?):\n$r->{content}\n" if $?;
    return { text => $r->{content},
             samples => [ map { json_decode($_) } split /\n/, $out ] };
}

# the value of the sample name{labels}, undef when absent
sub value {
    my ($s, $name, %labels) = @_;
    SAMPLE: for my $x (@{ $s->{samples} }) {
        next unless $x->[0] eq $name;
        for (keys %labels) {
            next SAMPLE unless ($x->[1]{$_} // "\0") eq $labels{$_};
        }
        return $x->[2];
    }
    return undef;
}

sub samples_of { my ($s, $re) = @_; grep { $_->[0] =~ $re } @{ $s->{samples} } }

my @workers;
sub worker_start {
    my @args = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>>', "$ENV{TEST_NGINX_SERVROOT}/logs/worker.log";
        open STDERR, '>&', \*STDOUT;
        exec($ENV{AGENT_ASYNC_WORKER_BIN} || 'build/agent-async-worker',
             '--redis', "127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT}",
             '--heartbeat-ms', 200, '--lease-ttl-ms', 1000,
             '--reap-interval-ms', 300, @args) or POSIX::_exit(127);
    }
    push @workers, $pid;
    return $pid;
}
sub worker_stop {
    my ($pid, $sig) = @_;
    kill $sig // 'TERM', $pid;
    waitpid $pid, 0;
    @workers = grep { $_ != $pid } @workers;
}
END { kill 'KILL', @workers if @workers; }

sub wait_until {
    my ($cond, $secs) = @_;
    my $end = time + ($secs // 10);
    while (time < $end) {
        my $v = eval { $cond->() };
        return $v if $v;
        sleep 0.1;
    }
    return undef;
}

sub post {
    my ($path, $body) = @_;
    my $r = http_request('POST', $path, \%H, json_encode($body));
    return ($r->{status}, eval { json_decode($r->{body}) });
}

redis('FLUSHALL');
nginx_start(config => $CONFIG, master_process => 'on', workers => 2,
            log_level => 'notice');

my ($st, $agent) = post('/v1/agents/', { name => 'measured' });
is($st, 200, 'an agent');
my $A = $agent->{id};

# no worker yet: the runs wait, queued
for (1 .. 3) {
    ($st) = post("/v1/agents/$A/messages/async", { input => "m$_" });
    is($st, 200, "run $_");
}
(undef, my $b) = post('/v1/agents/', { name => 'other' });
my $B = $b->{id};
post("/v1/agents/$B/messages/async", { input => 'b' }) for 1 .. 2;

my $s = scrape();
is(value($s, 'agent_async_redis_up'), 1, 'Redis read');
is(value($s, 'agent_async_agents_waiting'), 2, 'two agents waiting');
is(value($s, 'agent_async_queue_depth'), 5, 'five runs queued');
is(value($s, 'agent_async_agents_running'), 0, 'none running');
is(value($s, 'agent_async_runs_created_total'), 5, 'five runs created');
is(value($s, 'agent_async_requests_total', route => 'messages_async',
         status => '200'), 5, 'requests by route and status');
is(value($s, 'agent_async_requests_total', route => 'agents',
         status => '200'), 2, 'the two agents');
is(scalar(samples_of($s, qr/^agent_async_worker_/)), 0, 'no worker yet');
unlike($s->{text}, qr/\Q$TOKEN\E/, 'no token in the metrics');
unlike($s->{text}, qr/\Q$TENANT\E/, 'no tenant either');

# every scrape, whichever nginx worker process answers it, counts them all
my %seen;
for (1 .. 8) {
    my $x = scrape();
    $seen{ value($x, 'agent_async_runs_created_total') }++;
}
is_deeply([ keys %seen ], [5], 'the counters are shared by the worker processes');

# a bad request, counted with its status
my $r = http_request('GET', '/v1/runs/not-a-run', \%H);
is($r->{status}, 400, 'a 400');
$r = http_request('GET', '/v1/runs/', { Authorization => 'Bearer wrong-token-00' });
is($r->{status}, 401, 'a 401');
$s = scrape();
is(value($s, 'agent_async_requests_total', route => 'run', status => '400'), 1,
   'the 400 of route run');
is(value($s, 'agent_async_requests_total', route => 'runs', status => '401'), 1,
   'the 401 of route runs');

# ---- a worker: its counters, through Redis ----

my $w = worker_start('--echo-delay-ms', 50);
ok(wait_until(sub {
    my $x = scrape();
    (value($x, 'agent_async_worker_runs_total', status => 'completed') // 0) == 5
}, 15), 'the worker completed the five runs');
$s = scrape();
my ($sample) = samples_of($s, qr/^agent_async_worker_runs_total$/);
my $wid = $sample->[1]{worker};
like($wid, qr/^\S+:\d+:[0-9a-f]+$/, "labelled with the worker, $wid");
is(value($s, 'agent_async_worker_stop_reasons_total', worker => $wid,
         stop_reason => 'end_turn'), 5, 'five end_turn');
is(value($s, 'agent_async_worker_runs_total', worker => $wid,
         status => 'failed'), 0, 'none failed');
for my $h (qw(run_duration_seconds ttft_seconds)) {
    is(value($s, "agent_async_worker_${h}_count", worker => $wid), 5, "$h: 5 observed");
    is(value($s, "agent_async_worker_${h}_bucket", worker => $wid, le => '+Inf'), 5,
       "$h: +Inf bucket");
    is(value($s, "agent_async_worker_${h}_bucket", worker => $wid, le => '0.05'), 0,
       "$h: none within 50 ms (the echo delay)");
    is(value($s, "agent_async_worker_${h}_bucket", worker => $wid, le => '1'), 5,
       "$h: all within 1 s");
    my $sum = value($s, "agent_async_worker_${h}_sum", worker => $wid);
    ok($sum >= 0.25 && $sum < 5, "$h: sum $sum s");
    my @le = map { $_->[1]{le} } samples_of($s, qr/^agent_async_worker_${h}_bucket$/);
    is_deeply(\@le, [qw(0.05 0.1 0.25 0.5 1 2.5 5 10 30 60 120 300 +Inf)],
              "$h: the buckets in order");
}
my ($type) = map { $_->[3] } samples_of($s, qr/^agent_async_worker_ttft_seconds_count$/);
is($type, 'histogram', 'a histogram');
is(value($s, 'agent_async_queue_depth'), 0, 'nothing queued');
is(value($s, 'agent_async_agents_waiting'), 0, 'nothing waiting');

# a run in flight: its agent running, its queue counted
worker_stop($w);
$w = worker_start('--echo-delay-ms', 3000, '--concurrency', 1);
post("/v1/agents/$A/messages/async", { input => 'slow' }) for 1 .. 2;
post("/v1/agents/$B/messages/async", { input => 'slow' });
ok(wait_until(sub { value(scrape(), 'agent_async_agents_running') == 1 }, 5),
   'an agent running');
$s = scrape();
is(value($s, 'agent_async_agents_waiting'), 1, 'the other waiting');
is(value($s, 'agent_async_queue_depth'), 3, 'three runs not finished');

# a worker killed: its hash expires with its heartbeat
worker_stop($w, 'KILL');
ok(wait_until(sub { !samples_of(scrape(), qr/^agent_async_worker_/) }, 5),
   "a dead worker's series are gone within its lease");

# ---- what a worker hash may not smuggle in ----

redis('SADD', 'aa:workers', 'fake', 'we"ird\\name');
redis('HSET', 'aa:metrics:fake',
      'agent_async_worker_runs_total{status="completed"}', '7',
      'agent_async_worker_runs_total{status="x"} 1' . "\n" . 'evil 1', '1',
      'agent_async_worker_runs_total{status="a\\"b"}', '1',
      'agent_async_worker_redis_errors_total', '1; DROP',
      'agent_async_worker_redis_errors_totalx', '3',
      'evil_metric', '1',
      'agent_async_worker_ttft_seconds_bucket{le="+Inf"}', '2',
      'agent_async_worker_ttft_seconds_sum', '0.5',
      'agent_async_worker_ttft_seconds_count', '2');
redis('HSET', 'aa:metrics:we"ird\\name', 'agent_async_worker_redis_reconnects_total', '4');
$s = scrape();
is(value($s, 'agent_async_worker_runs_total', worker => 'fake', status => 'completed'), 7,
   'a well-formed field is served');
is(value($s, 'agent_async_worker_ttft_seconds_count', worker => 'fake'), 2, 'a histogram too');
is(scalar(samples_of($s, qr/^agent_async_worker_runs_total$/)), 1, 'malformed labels are not');
unlike($s->{text}, qr/evil|DROP|totalx/, 'nor other names or values');
is(value($s, 'agent_async_worker_redis_reconnects_total', worker => 'we"ird\\name'), 4,
   'a worker id is escaped as a label value');

# ---- a reload keeps the counters (the zone of the old cycle is reused) ----

my $master = `cat $ENV{TEST_NGINX_SERVROOT}/logs/nginx.pid` =~ /(\d+)/ ? $1 : 0;
ok($master && kill('HUP', $master), 'nginx reloads');
ok(wait_until(sub {
    error_log() =~ /gracefully shutting down/
}, 10), 'the old worker processes leave');
is(value(scrape(), 'agent_async_runs_created_total'), 8,
   'the new ones count on from the same counters');

# ---- Redis down: the node's own counters, redis_up 0 ----

redis_stop();
$s = scrape();
is(value($s, 'agent_async_redis_up'), 0, 'Redis down: redis_up 0');
is(value($s, 'agent_async_runs_created_total'), 8, 'the node still counts');
ok(!defined value($s, 'agent_async_queue_depth'), 'no queue depth without Redis');
ok(wait_until(sub { value(scrape(), 'agent_async_nginx_redis_errors_total') >= 1 }, 5),
   'the lost connection is counted');
redis_start();
ok(wait_until(sub {
    my $x = scrape();
    value($x, 'agent_async_redis_up') == 1
        && value($x, 'agent_async_nginx_redis_reconnects_total') >= 1
}, 10), 'Redis back: reconnected, counted');

unlike(error_log(), qr/\[(alert|crit|emerg)\]|runtime error:|AddressSanitizer/,
       'nothing alarming in error.log');
nginx_stop();

__DATA__

=== TEST 1: GET: Prometheus text format
--- request
GET /metrics
--- error_code: 200
--- response_headers
Content-Type: text/plain; version=0.0.4; charset=utf-8
--- response_body_like: ^# HELP agent_async_requests_total Requests



=== TEST 2: HEAD: the headers
--- request
HEAD /metrics
--- error_code: 200
--- response_headers
Content-Type: text/plain; version=0.0.4; charset=utf-8
--- response_body



=== TEST 3: POST: 405
--- request
POST /metrics
x
--- error_code: 405



=== TEST 4: behind allow / deny, as any location
--- config
    location = /metrics { agent_async_metrics; deny all; }
--- request
GET /metrics
--- error_code: 403



=== TEST 5: with an agent_async server: the location serves the metrics
--- config
    agent_async on;
    agent_async_token metrics-token-0123;
    location /v1/ { }
    location = /metrics { agent_async_metrics; }
--- request
GET /metrics
--- error_code: 200
--- response_body_like
# TYPE agent_async_redis_up gauge



=== TEST 6: an argument: refused
--- config
    location = /metrics { agent_async_metrics on; }
--- request
GET /metrics
--- must_die
--- error_log
invalid number of arguments in "agent_async_metrics" directive



=== TEST 7: at the server level: refused
--- config
    agent_async_metrics;
--- request
GET /metrics
--- must_die
--- error_log
"agent_async_metrics" directive is not allowed here



=== TEST 8: with another content handler: refused
--- config
    location = /metrics { proxy_pass http://127.0.0.1:1; agent_async_metrics; }
--- request
GET /metrics
--- must_die
--- error_log
"agent_async_metrics" directive is duplicate, or the location has another content handler



=== TEST 9: twice: refused
--- config
    location = /metrics { agent_async_metrics; agent_async_metrics; }
--- request
GET /metrics
--- must_die
--- error_log
"agent_async_metrics" directive is duplicate



=== TEST 10: with agent_async on in the same location: refused
--- config
    location = /metrics { agent_async on; agent_async_auth off; agent_async_metrics; }
--- request
GET /metrics
--- must_die
--- error_log
"agent_async on" conflicts with another content handler

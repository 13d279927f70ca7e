# Safe retries of POST /v1/agents/{agent_id}/messages/async
# (docs/idempotency.md): a repeat with the same Idempotency-Key, or with the
# same otids on every message, within the window, answers the original run
# (same id, 200, Idempotent-Replayed: true) and makes nothing; the same key
# or otids with another request is a 422 that says so and writes nothing;
# keys are per tenant; the window is agent_async_idempotency_window (24 h
# by default) and ends; concurrent repeats make one run.
use lib '.';
use t::AgentTest 'no_plan';
use POSIX ();
use Digest::SHA qw(sha1_hex);

my %A = (Authorization => 'Bearer idem-token-58', 'Content-Type' => 'application/json');
my %B = (Authorization => 'Bearer idem-other-58', 'Content-Type' => 'application/json');
my $TOKENS = 'agent_async_token idem-token-58 ten58; agent_async_token idem-other-58 other58;';

sub start {
    my ($http) = @_;
    nginx_start(
        http_config => "agent_async_redis 127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT}; " . ($http // ''),
        config      => "location /v1/ { agent_async on; $TOKENS }",
    );
}

sub api {
    my ($method, $path, $h, $body, %extra) = @_;
    my $r = http_request($method, $path, { %{ $h // \%A }, %extra },
                         defined $body ? (ref $body ? json_encode($body) : $body) : undef,
                         { timeout => 10 });
    die "no answer to $method $path: $r->{error}\n" if $r->{error};
    return ($r->{status}, eval { json_decode($r->{body}) }, $r);
}

sub agent {
    my ($h) = @_;
    my ($s, $b) = api('POST', '/v1/agents/', $h, { name => 'idem' });
    die "agent: $s\n" unless $s == 200;
    return $b->{id};
}

sub post {
    my ($agent, $body, %hdr) = @_;
    return api('POST', "/v1/agents/$agent/messages/async", delete $hdr{as} // \%A, $body, %hdr);
}

sub runs_of { redis('ZCARD', "aa:{$_[0]}:runs") }

sub keys_now { [ sort @{ redis('KEYS', '*') } ] }

start();
my $a1 = agent();
my $a2 = agent();

# --- Idempotency-Key -----------------------------------------------------

my ($s, $run, $raw) = post($a1, { input => 'once' }, 'Idempotency-Key' => 'key-1');
is($s, 200, 'a POST with an Idempotency-Key: 200');
ok(!defined $raw->{headers}{'idempotent-replayed'}, 'the first answer is no replay');
my $R = $run->{id};

my ($s2, $again, $raw2) = post($a1, { input => 'once' }, 'Idempotency-Key' => 'key-1');
is($s2, 200, 'the same request again: 200');
is($again->{id}, $R, 'the same run');
is($raw2->{headers}{'idempotent-replayed'}, 'true', 'Idempotent-Replayed: true');
is_deeply([ sort keys %$again ], [ sort keys %$run ], 'the Run in full');
is($again->{status}, 'created', 'as it is now');
is(runs_of($a1), 1, 'one run made');
is_deeply(redis('LRANGE', "aa:{$a1}:queue", 0, -1), [$R], 'one run queued');

redis('HSET', run_key("aa:", $R), status => 'completed', stop_reason => 'end_turn');
(undef, $again) = post($a1, { input => 'once' }, 'Idempotency-Key' => 'key-1');
is($again->{status}, 'completed', 'a repeat answers the run as it is by then');

my $before = keys_now();
my ($cs, $cb) = post($a1, { input => 'something else' }, 'Idempotency-Key' => 'key-1');
is($cs, 422, 'the same key with another body: 422');
is_deeply($cb, { detail => "This Idempotency-Key was used with another request: $R" },
          'which says so, naming the run');
($cs, $cb) = post($a2, { input => 'once' }, 'Idempotency-Key' => 'key-1');
is($cs, 422, 'the same key and body for another agent: 422');
is_deeply(keys_now(), $before, 'neither wrote anything');

my ($ns, $nb) = post($a1, { input => 'once' }, 'Idempotency-Key' => 'key-2');
is($ns, 200, 'another key: a new run');
isnt($nb->{id}, $R, 'with a new id');
my ($ps) = post($a1, { input => 'once' });
is($ps, 200, 'no key: a new run');
is(runs_of($a1), 3, 'three runs now');

my $b1 = agent(\%B);
my ($ts, $tb) = post($b1, { input => 'once' }, as => \%B, 'Idempotency-Key' => 'key-1');
is($ts, 200, 'another tenant, the same key: its own run');
isnt($tb->{id}, $R, 'not the other tenant\'s');
is(redis('GET', 'aa:idem:ten58:' . sha1_hex('key-1')), "$R " . sha1_hex("$a1\n" . json_encode({ input => 'once' })),
   'Pidem:T:<SHA-1 of the key> holds "R <SHA-1 of agent and body>"');

my @idem = grep { /^aa:idem:ten58:[0-9a-f]{40}$/ } @{ keys_now() };
is(scalar @idem, 2, 'one record per key of the tenant');
my $pttl = redis('PTTL', 'aa:idem:ten58:' . sha1_hex('key-1'));
ok($pttl > 86_000_000 && $pttl <= 86_400_000, "the default window is 24 h (PTTL $pttl)");

# bad keys: 422 at ["header", "idempotency-key"], nothing written
$before = keys_now();
for my $bad ([ 'x' x 256, 'longer than 255' ], [ "caf\xc3\xa9", 'not ASCII' ]) {
    my ($bs, $bb) = post($a1, { input => 'x' }, 'Idempotency-Key' => $bad->[0]);
    is($bs, 422, "an Idempotency-Key $bad->[1]: 422");
    is_deeply($bb->{detail}[0]{loc}, [ 'header', 'idempotency-key' ], "$bad->[1]: loc");
    is($bb->{detail}[0]{type}, 'value_error', "$bad->[1]: value_error");
}
my ($ls) = post($a1, { input => 'x' }, 'Idempotency-Key' => 'x' x 255);
is($ls, 200, 'an Idempotency-Key of 255 characters is fine');
$before = keys_now();
my ($es) = post($a1, { input => 'x' }, 'Idempotency-Key' => '');
is($es, 422, 'an empty Idempotency-Key: 422');
is_deeply(keys_now(), $before, 'nothing written');

# a body that fails validation is a 422 whatever the key
my ($vs) = post($a1, {}, 'Idempotency-Key' => 'key-1');
is($vs, 422, 'an invalid body with a known key: the body\'s 422');

# --- otids on every message ----------------------------------------------

my $with = { messages => [ { role => 'user', content => 'a', otid => 'otid-58-a' },
                           { role => 'user', content => 'b', otid => 'otid-58-b' } ] };
my $n = runs_of($a2);
my ($os, $ob) = post($a2, $with);
is($os, 200, 'every message with an otid: 200');
my ($os2, $ob2, $or2) = post($a2, $with);
is($ob2->{id}, $ob->{id}, 'the same otids and body again: the same run');
is($or2->{headers}{'idempotent-replayed'}, 'true', 'a replay');
is(runs_of($a2), $n + 1, 'one run made');
my $job = json_decode(redis('HGET', run_key("aa:", $ob->{id}), 'request'));
is_deeply([ map { $_->{otid} } @{ $job->{messages} } ], [ 'otid-58-a', 'otid-58-b' ], 'the otids kept in the job');
is(redis('GET', "aa:{$a2}:otids:" . sha1_hex("otid-58-a\notid-58-b\n")) =~ /^\Q$ob->{id}\E /, 1,
   'P{A}:otids:<SHA-1 of the otids> names the run, in the agent\'s slot');

my $other = { messages => [ { role => 'user', content => 'changed', otid => 'otid-58-a' },
                            { role => 'user', content => 'b', otid => 'otid-58-b' } ] };
my ($xs, $xb) = post($a2, $other);
is($xs, 422, 'the same otids with another body: 422');
is_deeply($xb, { detail => "These message otids were sent with another request: $ob->{id}" }, 'which says so');
my ($ys) = post($a1, $with);
is($ys, 200, 'the same otids on another agent: its own run');

my $some = { messages => [ { role => 'user', content => 'a', otid => 'otid-58-c' },
                           { role => 'user', content => 'b' } ] };
my (undef, $s1) = post($a2, $some);
my (undef, $s2b) = post($a2, $some);
isnt($s1->{id}, $s2b->{id}, 'a message without otid: no dedupe, two runs');
my (undef, $i1) = post($a2, { input => 'plain' });
my (undef, $i2) = post($a2, { input => 'plain' });
isnt($i1->{id}, $i2->{id}, '"input" (no otids): two runs');

my ($ks, $kb) = post($a2, $with, 'Idempotency-Key' => 'key-58-o');
is($ks, 200, 'a new key with known otids and the same body');
is($kb->{id}, $ob->{id}, 'the otids name the run: a replay');
my ($k2s, $k2b) = post($a2, $other, 'Idempotency-Key' => 'key-58-o2');
is($k2s, 422, 'a new key, known otids, another body: 422');
like($k2b->{detail}, qr/^These message otids/, 'the otids conflict');

# --- concurrent repeats: one run ---------------------------------------------

my $c = agent();
my @kids;
pipe(my $rd, my $wr) or die "pipe: $!";
for (1 .. 8) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $rd;
        my (undef, $b) = eval { post($c, { input => 'race' }, 'Idempotency-Key' => 'race-58') };
        syswrite $wr, (($b && $b->{id}) // 'none') . "\n";
        POSIX::_exit(0);
    }
    push @kids, $pid;
}
close $wr;
my @ids = map { chomp; $_ } <$rd>;
waitpid $_, 0 for @kids;
is(scalar @ids, 8, 'eight concurrent repeats answered');
my %uniq = map { $_ => 1 } @ids;
is(scalar keys %uniq, 1, 'all with the same run');
like($ids[0], qr/^run-/, 'a run');
is(runs_of($c), 1, 'one run made');

# --- the original deleted: the repeat says so -------------------------------

my (undef, $gone) = post($a1, { input => 'delete me' }, 'Idempotency-Key' => 'key-58-gone');
my ($ds) = api('DELETE', "/v1/runs/$gone->{id}");
is($ds, 200, 'the run deleted');
my ($gs, $gb) = post($a1, { input => 'delete me' }, 'Idempotency-Key' => 'key-58-gone');
is($gs, 404, 'a repeat of a deleted run: 404');
is_deeply($gb, { detail => "Run not found with id=$gone->{id}" }, 'naming it');

# --- a record of the wrong type: 503, nothing written -----------------------

redis('RPUSH', 'aa:idem:ten58:' . sha1_hex('key-58-wt'), 'not a string');
$before = keys_now();
my ($ws, undef, $wres) = post($a1, { input => 'once' }, 'Idempotency-Key' => 'key-58-wt');
is($ws, 503, 'a record of another type: 503');
ok(!exists $wres->{headers}{'x-should-retry'}, 'no x-should-retry: false, a retry with the key is safe');
is_deeply(keys_now(), $before, 'nothing written');

# --- the window ends ------------------------------------------------------------

start('agent_async_idempotency_window 1s;');
my $w = agent();
my (undef, $w1) = post($w, { input => 'x' }, 'Idempotency-Key' => 'key-58-w');
my $t = redis('PTTL', 'aa:idem:ten58:' . sha1_hex('key-58-w'));
ok($t > 0 && $t <= 1000, "agent_async_idempotency_window 1s: PTTL $t");
my (undef, $w2) = post($w, { input => 'x' }, 'Idempotency-Key' => 'key-58-w');
is($w2->{id}, $w1->{id}, 'within the window: the same run');
select(undef, undef, undef, 1.2);
my (undef, $w3) = post($w, { input => 'x' }, 'Idempotency-Key' => 'key-58-w');
isnt($w3->{id}, $w1->{id}, 'after it: a new run');

unlike(error_log(), qr/\[(?:error|alert|crit)\]|runtime error:|AddressSanitizer/,
       'no error, alert or sanitizer report in error.log');

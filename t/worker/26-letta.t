# The letta backend against the mock Letta server (t/mock/letta.py): a
# run forwarded to the upstream's synchronous POST /v1/agents/{id}/messages
# with the token, its LettaResponse recorded (messages, usage, stop
# reason); the upstream's refusals, errors, timeouts and garbage as run
# failures; cancellation of the call in flight; on the slot threads and
# on the run loop.  The agents have no hash here: the upstream owns them.

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use HTTP::Tiny;
use IO::Socket::INET;
use lib 't/lib';
use AgentAsync::WorkerTest;
use AgentAsync::MockLLM;
use AgentAsync::Seed qw(uuid4 create_agent create_run run_key json);

redis_start();
my $r = redis();
mock_start('letta');

my $token = 'letta-secret-token-4242';
my $dir = tmpdir();

sub run_once {
    my ($agent, %o) = @_;
    my $run = create_run($r, $agent, input => $o{input} // 'hi',
                         upstream => 1, %o);
    my $key = run_key('aa:', $run);
    my $st = wait_status($key, 20, qw(completed failed cancelled));
    my $h = $r->hgetall($key);
    my $md = json->decode($h->{metadata} // '{}');
    return ($st // 'timeout', $h, $md->{error} // '', $run);
}

sub messages {
    my ($agent, $run) = @_;
    return [ map { json->decode($_) }
             @{ $r->cmd('LRANGE', run_key("aa:", $run) . ":messages", 0, -1) } ];
}

# the run's hash (one place for the key layout)
sub key_of {
    my ($agent, $run) = @_;
    return run_key('aa:', $run);
}

# the upstream's runs of an agent: their statuses
sub upstream_runs {
    my ($agent) = @_;
    my $res = HTTP::Tiny->new(timeout => 5)->get(mock_base() . '/_runs');
    my $runs = json->decode($res->{content} || '{}');
    return map { $runs->{$_}{status} }
           grep { $runs->{$_}{agent} eq $agent } sort keys %$runs;
}

our $last;                      # the agent of the last fails()
sub fails {
    my ($name, $script, $reason, $error) = @_;
    mock_script(@$script);
    $last = 'agent-' . uuid4();
    my ($st, $h, $err) = run_once($last);
    is "$st/" . ($h->{stop_reason} // ''), "failed/$reason",
        "$name: failed, $reason";
    like $err, $error, "$name: metadata.error";
}

# the worker refuses to start without an upstream (t/worker/11-config.t
# has the other bad values)
my $bad = worker_start(backend => 'letta');
is worker_wait($bad, 10), 2, 'no letta-url: the worker does not start';
like worker_log($bad), qr/backend letta needs letta-url/, 'and says why';

for my $loop (0, 1) {
    my $mode = $loop ? 'run loop' : 'slot threads';
    my $w = worker_start(backend => 'letta', concurrency => 2,
                         'letta-url' => mock_base() . '/',
                         'letta-retries' => 2, 'letta-backoff-ms' => 50,
                         'letta-timeout-ms' => 1500,
                         'letta-cancel-timeout-ms' => 500,
                         'runs-in-flight' => $loop ? 50 : 0,
                         'log-level' => 'debug',
                         env => { AGENT_ASYNC_WORKER_LETTA_TOKEN => $token });

    # an answer: the messages as the upstream made them
    my $agent = 'agent-' . uuid4();
    mock_script({ reply => 'Hello, Ann!', stop_reason => 'end_turn',
                  usage => { prompt_tokens => 120, completion_tokens => 30,
                             step_count => 3 } });
    my ($st, $h, $err, $run) = run_once($agent, input => 'I am Ann.',
                                        max_steps => 7);
    is $st, 'completed', "$mode: completed";
    is $h->{stop_reason}, 'end_turn', "$mode: stop_reason";
    my $u = json->decode($h->{usage});
    is_deeply [ @$u{qw(prompt_tokens completion_tokens step_count)} ],
        [ 120, 30, 3 ], "$mode: usage as the upstream counted";
    ok $h->{ttft_ns} > 0 && $h->{ttft_ns} <= $h->{total_duration_ns},
        "$mode: ttft_ns within the run";
    my $m = messages($agent, $run);
    is_deeply [ map { $_->{message_type} } @$m ],
        [qw(reasoning_message assistant_message)], "$mode: its messages";
    is $m->[1]{content}, 'Hello, Ann!', "$mode: the assistant's text";
    is $m->[0]{reasoning}, 'the user said something',
        "$mode: the fields of each message kept";
    like $m->[1]{id}, qr/^message-[0-9a-f-]{36}$/, "$mode: its id kept";
    is $m->[1]{step_id}, 'step-upstream-1', "$mode: step_id kept";
    is $m->[1]{run_id}, $run, "$mode: run_id is the local run's";

    my $q = mock_requests();
    is scalar @$q, 1, "$mode: one call";
    is $q->[0]{path}, "/v1/agents/$agent/messages", "$mode: the sync route";
    is $q->[0]{authorization}, "Bearer $token", "$mode: the token sent";
    is $q->[0]{body}{messages}[0]{content}, 'I am Ann.', "$mode: the input";
    is $q->[0]{body}{messages}[0]{role}, 'user', "$mode: as a user message";
    is $q->[0]{body}{max_steps}, 7, "$mode: max_steps forwarded";
    ok !exists $q->[0]{body}{override_model}, "$mode: nulls left out";
    is_deeply [ @{ $q->[0]{body} }{qw(use_assistant_message
            assistant_message_tool_name assistant_message_tool_kwarg)} ],
        [ JSON::PP::true, 'send_message', 'message' ],
        "$mode: request_config's defaults forwarded";
    ok !exists $q->[0]{body}{include_return_message_types},
        "$mode: include_return_message_types null: left out";

    # the run's request_config: the client's request options, forwarded
    mock_script({ reply => 'legacy' });
    ($st) = run_once($agent, use_assistant_message => JSON::PP::false,
                     tool_name => 'reply_user', tool_kwarg => 'text',
                     include_types => [qw(assistant_message tool_call_message)]);
    is $st, 'completed', "$mode: with request options: completed";
    $q = mock_requests()->[0]{body};
    is_deeply [ @$q{qw(use_assistant_message assistant_message_tool_name
                       assistant_message_tool_kwarg
                       include_return_message_types)} ],
        [ JSON::PP::false, 'reply_user', 'text',
          [qw(assistant_message tool_call_message)] ],
        "$mode: use_assistant_message, tool name and kwarg, types forwarded";
    is scalar(grep { $_ eq 'include_return_message_types' } keys %$q), 1,
        "$mode: a member sent once";

    # no request_config, or one that is not an object: the upstream's
    # defaults, and the run goes on
    for my $bad (undef, '[1,2]', '{"use_assistant_message":') {
        mock_script({ reply => 'defaults' });
        ($st) = run_once($agent, request_config => $bad);
        is $st, 'completed', "$mode: request_config "
            . ($bad // 'empty') . ': completed';
        $q = mock_requests()->[0]{body};
        ok !exists $q->{use_assistant_message}
            && !exists $q->{assistant_message_tool_name},
            "$mode: request_config " . ($bad // 'empty') . ': none sent';
    }

    # a stop reason Letta counts as failed: the run failed, messages kept
    mock_script({ reply => 'half', stop_reason => 'llm_api_error' });
    ($st, $h, $err, $run) = run_once($agent);
    is "$st/$h->{stop_reason}", 'failed/llm_api_error',
        "$mode: upstream llm_api_error: failed";
    like $err, qr/upstream Letta ended the run with stop_reason llm_api_error/,
        "$mode: and says so";

    # max_steps is a completion
    mock_script({ reply => 'enough', stop_reason => 'max_steps' });
    ($st, $h) = run_once($agent);
    is "$st/$h->{stop_reason}", 'completed/max_steps', "$mode: max_steps";

    # a transient error retried
    mock_script({ status => 500, body => '{"detail":"boom"}' },
                { status => 503 }, { reply => 'third time' });
    ($st) = run_once($agent);
    is $st, 'completed', "$mode: 500, 503, then 200: completed";
    is scalar @{ mock_requests() }, 3, "$mode: three attempts";

    mock_script({ close => JSON::PP::true }, { reply => 'ok' });
    ($st) = run_once($agent);
    is $st, 'completed', "$mode: connection closed, then 200: completed";

    fails("$mode: 401", [ { status => 401,
                            body => '{"detail":"Unauthorized"}' } ],
          'error', qr/^upstream Letta refused the token \(HTTP 401\)$/);
    is scalar @{ mock_requests() }, 1, "$mode: 401 not retried";
    fails("$mode: 403", [ { status => 403, body => '' } ],
          'error', qr/refused the token \(HTTP 403\)/);
    fails("$mode: 404", [ { status => 404,
                            body => '{"detail":"Agent not found"}' } ],
          'error', qr/^agent agent-[0-9a-f-]+ not found upstream/);
    fails("$mode: 422", [ { status => 422, body => '{"detail":[{"loc":'
                            . '["body","max_steps"],"msg":"Input should be '
                            . 'less than 100","type":"less_than"}]}' } ],
          'error', qr/rejected the request \(HTTP 422\): Input should be less/);
    fails("$mode: 500 exhausted", [ { status => 500,
                                      body => '{"detail":"melted"}' } ],
          'llm_api_error', qr/upstream Letta \S+: HTTP 500: melted \(after retries\)/);
    is scalar @{ mock_requests() }, 3, "$mode: 1 + 2 retries";
    fails("$mode: timeout", [ { reply => 'late', delay_ms => 3000 } ],
          'llm_api_error', qr/timed out waiting for the answer/);
    ok wait_for(sub { @{ mock_requests() } == 2 }, 5),
        "$mode: timeout: a second call";
    is mock_requests()->[1]{path} // '', "/v1/agents/$last/messages/cancel",
        "$mode: timeout: the upstream's run cancelled, given up on";
    fails("$mode: garbage", [ { garbage => '{"messages": [tru' } ],
          'invalid_llm_response', qr/the answer is not JSON/);
    fails("$mode: not a LettaResponse", [ { response => { hello => 1 } } ],
          'invalid_llm_response', qr/not a LettaResponse/);
    fails("$mode: a message without type",
          [ { response => { messages => [ { id => 'x' } ] } } ],
          'invalid_llm_response', qr/messages\[0\] is not a Letta message/);
    fails("$mode: unknown stop reason",
          [ { reply => 'x', stop_reason => 'sleepy' } ],
          'invalid_llm_response', qr/unknown stop_reason/);

    # cancellation aborts the call in flight
    mock_script({ reply => 'slow', delay_ms => 5000 });
    my $c = 'agent-' . uuid4();
    $run = create_run($r, $c, input => 'hi', upstream => 1);
    my $key = run_key('aa:', $run);
    ok wait_for(sub { @{ mock_requests() } == 1 }, 10),
        "$mode: the call is in flight";
    my $t0 = time;
    is cancel_run($run), 'cancel_requested', "$mode: cancel requested";
    is wait_status($key, 5, 'cancelled'), 'cancelled', "$mode: cancelled";
    my $dt = time - $t0;
    ok $dt < 1, sprintf('%s: cancelled %.0f ms after the request', $mode,
                        $dt * 1000);

    # and the upstream told to stop its run of the agent
    ok wait_for(sub { @{ mock_requests() } == 2 }, 5),
        "$mode: a second call, the cancel";
    note sprintf('%s: the upstream cancel %.0f ms after the request', $mode,
                 (time - $t0) * 1000);
    $q = mock_requests()->[1];
    is $q->{path}, "/v1/agents/$c/messages/cancel", "$mode: the cancel route";
    is_deeply $q->{body}, {}, "$mode: no run_ids: the agent's current run";
    is $q->{authorization}, "Bearer $token", "$mode: with the token";
    ok wait_for(sub { (upstream_runs($c))[0] eq 'cancelled' }, 5),
        "$mode: the upstream's run cancelled";
    like worker_log($w), qr/run=\Q$run\E.*upstream Letta: the agent's run (?-i:cancelled): .*run-upstream-/,
        "$mode: logged";

    # the cancel is one try, bounded: an upstream that fails it or hangs
    # leaves the run cancelled and the worker going
    for my $cs ({ status => 500, body => '{"detail":"nope"}' },
                { delay_ms => 4000 }) {
        my $what = $cs->{status} ? 'fails' : 'hangs';
        mock_script({ reply => 'slow', delay_ms => 3000, cancel => $cs });
        my $a2 = 'agent-' . uuid4();
        my $r2 = create_run($r, $a2, input => 'hi', upstream => 1);
        ok wait_for(sub { @{ mock_requests() } == 1 }, 10),
            "$mode: cancel $what: in flight";
        $t0 = time;
        cancel_run($r2);
        is wait_status(key_of($a2, $r2), 5, 'cancelled'), 'cancelled',
            "$mode: cancel $what: cancelled";
        ok time - $t0 < 1, "$mode: cancel $what: at once";
        ok wait_for(sub { worker_log($w) =~ /run=\Q$r2\E.*its run not cancelled/ },
                    5), "$mode: cancel $what: logged";
        like worker_log($w), qr/run=\Q$r2\E.*its run not cancelled: .*(HTTP 500: nope|timed out)/,
            "$mode: cancel $what: and why";
        is scalar @{ mock_requests() }, 2, "$mode: cancel $what: not retried";
    }

    # a local agent is served too: the upstream decides
    my $local = create_agent($r, model => 'm');
    mock_script({ echo => JSON::PP::true });
    ($st, $h, $err, $run) = run_once($local, input => 'mirror');
    is $st, 'completed', "$mode: an agent with a local hash too";
    is messages($local, $run)->[1]{content}, 'mirror', "$mode: echoed";

    unlike worker_log($w), qr/\Q$token\E/, "$mode: no token in the log";
    is worker_stop($w), 0, "$mode: worker exits";
}

# no cancel upstream when the upstream has no call of the run (between
# two tries), or when the operator said so (letta-cancel 0)
sub cancel_in_flight {
    my ($n) = @_;
    my $agent = 'agent-' . uuid4();
    my $run = create_run($r, $agent, input => 'hi', upstream => 1);
    ok wait_for(sub { @{ mock_requests() } == $n }, 10), "$n call(s) made";
    sleep 0.2;
    cancel_run($run);
    is wait_status(key_of($agent, $run), 5, 'cancelled'), 'cancelled',
        'cancelled';
    sleep 1;
    return ($agent, $run);
}

for my $loop (0, 1) {
    my $w = worker_start(backend => 'letta', 'letta-url' => mock_base(),
                         'letta-backoff-ms' => 5000,
                         'runs-in-flight' => $loop ? 50 : 0);
    mock_script({ status => 503 }, { reply => 'never' });
    cancel_in_flight(1);
    is scalar @{ mock_requests() }, 1, "loop $loop: cancelled between two "
        . 'tries: no cancel sent';
    is worker_stop($w), 0, 'worker exits';

    $w = worker_start(backend => 'letta', 'letta-url' => mock_base(),
                      'letta-cancel' => 0, 'runs-in-flight' => $loop ? 50 : 0);
    mock_script({ reply => 'slow', delay_ms => 2000 });
    my ($agent) = cancel_in_flight(1);
    is scalar @{ mock_requests() }, 1, "loop $loop: letta-cancel 0: none sent";
    ok wait_for(sub { (upstream_runs($agent))[0] eq 'completed' }, 5),
        "loop $loop: letta-cancel 0: the upstream's run went on to its end";
    is worker_stop($w), 0, 'worker exits';
}

# the token from a file; the run fails, the worker goes on, when the
# upstream is down
my $dead = free_port();
open my $f, '>', "$dir/letta.token" or die;
print $f "  file-token-77\n";
close $f;
my $w = worker_start(backend => 'letta', 'letta-url' => mock_base(),
                     'letta-token-file' => "$dir/letta.token");
mock_script({ reply => 'ok' });
my ($st) = run_once('agent-' . uuid4());
is $st, 'completed', 'token file: completed';
is mock_requests()->[0]{authorization}, 'Bearer file-token-77',
    'the token of the file, trimmed';
is worker_stop($w), 0, 'worker exits';

$w = worker_start(backend => 'letta', 'letta-url' => "http://127.0.0.1:$dead",
                  'letta-retries' => 1, 'letta-backoff-ms' => 20);
my ($s2, $h2, $err) = run_once('agent-' . uuid4());
is "$s2/$h2->{stop_reason}", 'failed/llm_api_error', 'upstream down: failed';
like $err, qr/^upstream Letta http:\/\/127\.0\.0\.1:\d+\/v1\/agents\/\S+: .*\(after retries\)$/,
    'and says where';
is worker_stop($w), 0, 'worker exits';

# an upstream that never accepts: the connection times out; one that
# accepts and never answers: the answer does.  Loopback sockets, so that
# nothing outside decides: a backlog of 0 holding one connection drops
# every further SYN; a listener that never calls accept() completes the
# handshakes all the same.
sub listener {
    my ($backlog) = @_;
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', ReuseAddr => 1) or die $!;
    listen($l, $backlog) or die "listen: $!";
    return $l;
}

my $full = listener(0);
my @held;
for (1 .. 5) {
    my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $full->sockport,
                                  Timeout => 0.3) or last;
    push @held, $c;
}
my $mute = listener(64);

for my $case ([ $full, 'never accepts', qr/timed out connecting/ ],
              [ $mute, 'never answers', qr/timed out waiting for the answer/ ])
{
    my ($sock, $what, $want) = @$case;
    $w = worker_start(backend => 'letta',
                      'letta-url' => 'http://127.0.0.1:' . $sock->sockport,
                      'letta-connect-timeout-ms' => 500,
                      'letta-timeout-ms' => 1000, 'letta-retries' => 1,
                      'letta-backoff-ms' => 20,
                      'letta-cancel-timeout-ms' => 300);
    my $t0 = time;
    my ($s3, $h3, $e3) = run_once('agent-' . uuid4());
    my $dt = time - $t0;
    is "$s3/$h3->{stop_reason}", 'failed/llm_api_error',
        "upstream that $what: failed, llm_api_error";
    like $e3, qr/^upstream Letta http:\/\/127\.0\.0\.1:\d+\/v1\/agents\/\S+\/messages: $want/,
        "upstream that $what: metadata.error says where and which phase";
    note $e3;
    ok $dt < 4, sprintf('upstream that %s: failed in %.1f s, not retried',
                        $what, $dt);
    if ($sock == $mute) {
        # it had the request: told to cancel it, which it does not answer
        ok wait_for(sub { worker_log($w) =~ /its run not cancelled: .*timed out/ },
                    5), "upstream that $what: its cancel attempted, bounded";
    } else {
        sleep 0.5;
        unlike worker_log($w), qr/upstream Letta: (its run|the agent|no act)/,
            "upstream that $what: nothing to cancel";
    }
    is worker_stop($w), 0, "upstream that $what: worker exits";
}
close $_ for @held, $full, $mute;

# an https upstream: its certificate checked against the system's CAs,
# or the operator's --letta-ca-file; a certificate that is not for the
# host refused whatever the CA
SKIP: {
    skip 'no openssl', 18 if system('openssl version >/dev/null 2>&1') != 0;

    sub cert {
        my ($name, $san) = @_;
        my $out = `openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=$name -addext subjectAltName=$san -keyout $dir/$name.key -out $dir/$name.pem 2>&1`;
        die "openssl: $out" if $?;
        return ("$dir/$name.pem", "$dir/$name.key");
    }

    my ($pem, $key) = cert('upstream', 'IP:127.0.0.1,DNS:localhost');
    my ($other) = cert('other', 'IP:127.0.0.1');
    my ($wrong, $wkey) = cert('wrong', 'DNS:elsewhere.example');

    sub tls_port {
        open my $p, '<', tmpdir() . '/mock-letta.port.tls' or die "no tls";
        my $port = <$p>;
        return $port;
    }

    unlink tmpdir() . '/mock-letta.port.tls';
    mock_start('letta', $pem, $key);
    my $https = 'https://127.0.0.1:' . tls_port();

    my $tls_run = sub {
        my (%o) = @_;
        my $w = worker_start(backend => 'letta', 'letta-url' => $https,
                             'letta-retries' => 0, %o);
        mock_script({ reply => 'over TLS' });
        my @r = run_once('agent-' . uuid4());
        note $r[2] if $r[2];
        is worker_stop($w), 0, 'worker exits';
        return @r;
    };

    my ($s4, $h4, $e4) = $tls_run->();
    is "$s4/$h4->{stop_reason}", 'failed/llm_api_error',
        'self-signed upstream, no CA file: refused';
    like $e4, qr/^upstream Letta https:\S+: SSL certificate problem: self.signed/,
        'and says why';
    is scalar @{ mock_requests() }, 0, 'nothing sent to it';

    ($s4, $h4, $e4) = $tls_run->('letta-ca-file' => $pem);
    is $s4, 'completed', 'its certificate as the CA file: completed';
    is mock_requests()->[0]{body}{messages}[0]{content}, 'hi',
        'the request went over TLS';

    # the cancel goes the same way
    my $w4 = worker_start(backend => 'letta', 'letta-url' => $https,
                          'letta-ca-file' => $pem);
    mock_script({ reply => 'slow', delay_ms => 3000 });
    my $a4 = 'agent-' . uuid4();
    my $r4 = create_run($r, $a4, input => 'hi', upstream => 1);
    ok wait_for(sub { @{ mock_requests() } == 1 }, 10), 'TLS: in flight';
    cancel_run($r4);
    ok wait_for(sub { (upstream_runs($a4))[0] eq 'cancelled' }, 5),
        'TLS: the upstream\'s run cancelled over TLS too';
    is worker_stop($w4), 0, 'worker exits';

    ($s4, $h4, $e4) = $tls_run->('letta-ca-file' => $other);
    is "$s4/$h4->{stop_reason}", 'failed/llm_api_error',
        'a CA file of another CA: refused';
    like $e4, qr/SSL certificate problem/, 'and says why';

    # the right CA, the wrong host
    unlink tmpdir() . '/mock-letta.port.tls';
    mock_start('letta', $wrong, $wkey);
    $https = 'https://127.0.0.1:' . tls_port();
    ($s4, $h4, $e4) = $tls_run->('letta-ca-file' => $wrong);
    is "$s4/$h4->{stop_reason}", 'failed/llm_api_error',
        'a certificate for another host: refused';
    like $e4, qr/certificate subject name|does not match|no alternative/i,
        'and says why';

    my $bad = worker_start(backend => 'letta', 'letta-url' => $https,
                           'letta-ca-file' => "$dir/nope.pem");
    isnt worker_wait($bad, 10), 0, 'missing CA file: does not start';
    like worker_log($bad), qr/cannot open letta-ca-file/, 'and says why';
}

# a missing token file stops the worker at start
$bad = worker_start(backend => 'letta', 'letta-url' => mock_base(),
                    'letta-token-file' => "$dir/nope");
isnt worker_wait($bad, 10), 0, 'missing token file: does not start';

done_testing;

# Backend failures are run failures: each ends the run with Letta's stop
# reason and a useful metadata.error, transient ones are retried, the
# worker goes on.  The endpoint rules (providers, --allow-model-endpoint,
# --fallback-backend) and cancellation of a call in flight.

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use lib 't/lib';
use AgentAsync::WorkerTest;
use AgentAsync::MockLLM;
use AgentAsync::Seed qw(create_agent create_run run_key json);

redis_start();
my $r = redis();
my $port = mock_start();
my $dead = free_port();

my $w = worker_start(backend => 'openai', concurrency => 2,
                     provider => [ 'local=' . mock_url(),
                                   "down=http://127.0.0.1:$dead/v1" ],
                     'allow-model-endpoint' => "http://127.0.0.1:$port/alt",
                     'model-retries' => 2, 'model-backoff-ms' => 50,
                     'model-idle-timeout-ms' => 700,
                     'model-timeout-ms' => 3000,
                     env => { LOCAL_API_KEY => 'sk-local-key-5678' });

sub agent {
    my (%llm) = @_;
    return create_agent($r, model => 'm',
                        llm => { model_endpoint_type => 'local', %llm });
}

sub run_once {
    my ($agent, %o) = @_;
    my $run = create_run($r, $agent, input => 'hi', %o);
    my $key = run_key('aa:', $run);
    my $st = wait_status($key, 20, qw(completed failed cancelled));
    my $h = $r->hgetall($key);
    my $md = json->decode($h->{metadata} // '{}');
    return ($st // 'timeout', $h->{stop_reason} // '', $md->{error} // '', $run);
}

sub fails {
    my ($name, $script, $reason, $error, %o) = @_;
    my $a = delete $o{agent} // agent();
    mock_script(@$script) if $script;
    my ($st, $sr, $err) = run_once($a, %o);
    is "$st/$sr", "failed/$reason", "$name: failed, $reason";
    like $err, $error, "$name: metadata.error";
    return $a;
}

my $a = agent();

# transient errors are retried
mock_script({ status => 500, body => '{"error":{"message":"boom"}}' },
            { status => 503 }, { text => 'third time lucky' });
my ($st, $sr, $err) = run_once($a);
is "$st/$sr", 'completed/end_turn', '500, 503, then 200: completed';
is scalar @{ mock_requests() }, 3, 'three attempts';

mock_script({ status => 429, retry_after => 1, body => 'slow down' },
            { text => 'ok' });
my $t0 = time;
($st) = run_once($a);
is $st, 'completed', '429 then 200: completed';
ok time - $t0 >= 0.9, 'Retry-After honoured';

mock_script({ close => JSON::PP::true }, { text => 'ok' });
($st) = run_once($a);
is $st, 'completed', 'connection closed without an answer, then 200';

# what is not retried, or runs out of retries
fails('HTTP 500 three times', [ { status => 500, body => '{"error":{"message":"model melted"}}' } ],
      'llm_api_error', qr/HTTP 500: model melted \(after retries\)/);
is scalar @{ mock_requests() }, 3, '1 + 2 retries';
fails('HTTP 400', [ { status => 400, body => '{"error":{"message":"bad model"}}' } ],
      'llm_api_error', qr/HTTP 400: bad model$/);
is scalar @{ mock_requests() }, 1, '400 is not retried';
fails('HTTP 401 without a body', [ { status => 401 } ],
      'llm_api_error', qr/HTTP 401$/);
fails('HTTP 404 HTML', [ { status => 404, body => "<html>\x01nope</html>" } ],
      'llm_api_error', qr/HTTP 404: <html> nope<\/html>/);
fails('refused', undef, 'llm_api_error', qr/127\.0\.0\.1:\d+\/v1.*(refused|connect)/i,
      agent => agent(model_endpoint_type => 'down'));
fails('invalid JSON', [ { garbage => '{"choices": [' } ],
      'invalid_llm_response', qr/not valid JSON/);
fails('not an object', [ { garbage => '[1,2]' } ],
      'invalid_llm_response', qr/not a JSON object/);
fails('no choices', [ { garbage => '{"choices":[]}' } ],
      'invalid_llm_response', qr/no choices/);
fails('an error object in a 200', [ { garbage => '{"error":{"message":"quota"}}' } ],
      'invalid_llm_response', qr/sent an error: quota/);
fails('stream cut mid-event', [ { text => 'never finished', cut => JSON::PP::true } ],
      'invalid_llm_response', qr/cut in the middle of an event/);
fails('silent server', [ { text => 'late', delay_ms => 1500 } ],
      'llm_api_error', qr/sent nothing for 700 ms/);
fails('stalled stream', [ { text => 'late', stall_ms => 1500 } ],
      'llm_api_error', qr/sent nothing for 700 ms/);
fails('unknown tool', [ { tool_calls => [ { name => 'rm_rf', arguments => '{}' } ] } ],
      'invalid_tool_call', qr/called rm_rf, a tool the agent does not have/);
fails('invalid tool arguments', [ { tool_calls => [ { name => 'memory_insert',
                                                      arguments => '{"label":' } ] } ],
      'invalid_tool_call', qr/arguments that are not a JSON object/);
fails('no model', undef, 'llm_api_error', qr/the agent has no model/,
      agent => create_agent($r, llm => { model_endpoint_type => 'local' }));

# endpoints: a provider's URL, an allowed prefix, anything else
my $own = agent(model_endpoint => mock_url());
mock_script({ text => 'ok' });
($st) = run_once($own);
is $st, 'completed', 'an endpoint under a provider\'s URL';
is mock_requests()->[0]{authorization}, 'Bearer sk-local-key-5678',
    'gets that provider\'s key';

my $allowed = agent(model_endpoint_type => 'other',
                    model_endpoint => "http://127.0.0.1:$port/alt/v1/");
mock_script({ text => 'ok' });
($st) = run_once($allowed);
is $st, 'completed', 'an endpoint under --allow-model-endpoint';
is mock_requests()->[0]{authorization}, undef, 'gets no key';

for my $bad ("http://127.0.0.1:$dead/alt", "http://127.0.0.1:$port/v10",
             "http://127.0.0.1:$port/altx", "https://127.0.0.1:$port/alt",
             "http://127.0.0.1:$port/alt/../admin",
             "http://127.0.0.1:$port/alt/%2e%2e/admin",
             "http://127.0.0.1:$port\@evil.example/alt",
             "http://169.254.169.254/latest", "file:///etc/passwd") {
    fails("endpoint $bad", [ { text => 'never' } ], 'llm_api_error',
          qr/is not allowed/,
          agent => agent(model_endpoint_type => 'other', model_endpoint => $bad));
    is scalar @{ mock_requests() }, 0, "$bad: nothing sent";
}

fails('no provider, no fallback', undef, 'llm_api_error',
      qr/no provider "openai" is configured/,
      agent => agent(model_endpoint_type => 'openai'));

is worker_stop($w), 0, 'worker exits';

# cancellation aborts the call in flight
$w = worker_start(backend => 'openai', provider => 'local=' . mock_url(),
                  'fallback-backend' => 'echo');
mock_script({ text => 'slow', delay_ms => 5000 });
my $c = agent();
my $run = create_run($r, $c, input => 'hi');
my $key = run_key('aa:', $run);
ok wait_for(sub { @{ mock_requests() } == 1 }, 10), 'the call is in flight';
$t0 = time;
is cancel_run($run), 'cancel_requested', 'cancel requested';
is wait_status($key, 5, 'cancelled'), 'cancelled', 'cancelled';
my $dt = time - $t0;
ok $dt < 1, sprintf('cancelled %.0f ms after the request', $dt * 1000);

# the fallback serves agents of no configured provider
my $e = create_agent($r, model => 'openai/gpt-4o-mini',
                     llm => { model_endpoint_type => 'openai' });
mock_script({ text => 'not me' });
($st, $sr, $err, $run) = run_once($e);
is $st, 'completed', 'fallback echo completes';
my @m = map { json->decode($_) } @{ $r->cmd('LRANGE', run_key("aa:", $run) . ":messages", 0, -1) };
is $m[1]{content}, 'hi', 'echo answered';
is scalar @{ mock_requests() }, 0, 'the model was not called';

unlike worker_log($w), qr/sk-local/, 'no key in the log';
is worker_stop($w), 0, 'worker exits';
done_testing;

# PATCH /v1/agents/{agent_id}: Letta's UpdateAgent for the fields create
# honours (docs/api.md): each field on its own, null keeps, unknown and
# unserved fields ignored, the model settings as a whole; the answer is
# the AgentState GET then serves; bad bodies are create's 422s and write
# nothing; unknown agents, other tenants, malformed ids; concurrent PATCHes
# of different fields all land; a PATCH shows in the agent's next run.
use lib '.';
use t::AgentTest 'no_plan';
use POSIX ();
use Time::HiRes qw(sleep time);

my $TOKEN = 'update-token-62';
my %H = (Authorization => "Bearer $TOKEN", 'Content-Type' => 'application/json');
my %O = (Authorization => 'Bearer other-token-62', 'Content-Type' => 'application/json');
my $TS = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

nginx_start(
    http_config => "agent_async_redis 127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT};",
    config      => "location /v1/ { agent_async on; agent_async_token $TOKEN ten62;"
                 . ' agent_async_token other-token-62 other62; }',
);

sub api {
    my ($method, $path, $body, $h) = @_;
    my $r = http_request($method, $path, $h // \%H,
                         defined $body ? (ref $body ? json_encode($body) : $body) : undef,
                         { timeout => 5 });
    die "no answer to $method $path: $r->{error}\n" if $r->{error};
    return ($r->{status}, eval { json_decode($r->{body}) }, $r);
}

sub create { (api('POST', '/v1/agents/', $_[0] // {}))[1] }

sub patch {
    my ($id, $body, $h) = @_;
    return api('PATCH', "/v1/agents/$id", $body, $h);
}

# the answer is what GET serves next, byte for byte
sub patch_ok {
    my ($id, $body, $name) = @_;
    my ($s, $b, $r) = patch($id, $body);
    is($s, 200, "$name: 200") or diag($r->{body});
    my (undef, undef, $g) = api('GET', "/v1/agents/$id");
    is($r->{body}, $g->{body}, "$name: the answer is what GET serves");
    return $b;
}

# --- each field -----------------------------------------------------------------

my $a = create({ name => 'ada', description => 'd0', system => 's0', model => 'openai/gpt-4o',
                 tags => [ 'x' ], metadata => { k => 0 } });
my $A = $a->{id};
sleep 0.002;

my $b = patch_ok($A, { name => 'bob' }, 'name');
is($b->{name}, 'bob', 'name: changed');
is($b->{description}, 'd0', 'name: the description kept');
is($b->{system}, 's0', 'name: the system kept');
is($b->{model}, 'openai/gpt-4o', 'name: the model kept');
is_deeply($b->{tags}, [ 'x' ], 'name: the tags kept');
is_deeply($b->{metadata}, { k => 0 }, 'name: the metadata kept');
is($b->{id}, $A, 'the id stays');
is($b->{created_at}, $a->{created_at}, 'created_at stays');
like($b->{updated_at}, $TS, 'updated_at is a run time');
isnt($b->{updated_at}, $a->{updated_at}, 'updated_at moves');
is(redis('HGET', "aa:{$A}:agent", 'name'), 'bob', 'the hash\'s name');

$b = patch_ok($A, { description => 'd1', system => "s1\nmore", tags => [], metadata => { k => 1, n => [ 1 ] } },
              'several fields');
is($b->{description}, 'd1', 'description');
is($b->{system}, "s1\nmore", 'system');
is(redis('HGET', "aa:{$A}:agent", 'system'), "s1\nmore", 'the hash\'s system, raw, for the worker');
is_deeply($b->{tags}, [], 'tags: [] replaces');
is_deeply($b->{metadata}, { k => 1, n => [ 1 ] }, 'metadata replaces');
is($b->{name}, 'bob', 'the name kept');

$b = patch_ok($A, { name => undef, description => undef, system => undef, metadata => undef, tags => undef,
                    model => undef, llm_config => undef }, 'every field null');
is($b->{name}, 'bob', 'null keeps: name');
is($b->{description}, 'd1', 'null keeps: description');
is_deeply($b->{metadata}, { k => 1, n => [ 1 ] }, 'null keeps: metadata');
is($b->{model}, 'openai/gpt-4o', 'null keeps: model');

$b = patch_ok($A, { tool_ids => [ 'tool-x' ], block_ids => [], last_stop_reason => 'error', hidden => JSON::PP::true,
                    context_window_limit => 5, whatever => { deep => 1 } }, 'fields not served here');
is($b->{last_stop_reason}, undef, 'last_stop_reason is not the client\'s to set');
my %keep = %$b;
delete @keep{qw(updated_at)};
my %was = %{ (api('GET', "/v1/agents/$A"))[1] };
delete @was{qw(updated_at)};
is_deeply(\%keep, \%was, 'unknown and unserved fields: ignored');
$b = patch_ok($A, {}, 'an empty object');
is($b->{name}, 'bob', '{}: nothing but updated_at changes');

# --- the model settings --------------------------------------------------------

$b = patch_ok($A, { model => 'anthropic/claude-x' }, 'model alone');
is($b->{model}, 'anthropic/claude-x', 'model: the new handle');
is($b->{llm_config}{model}, 'claude-x', 'model: llm_config rebuilt from the handle');
is($b->{llm_config}{model_endpoint_type}, 'anthropic', 'model: its provider');
is_deeply(json_decode(redis('HGET', "aa:{$A}:agent", 'llm')),
          { model => 'claude-x', model_endpoint_type => 'anthropic', model_endpoint => undef,
            context_window => undef, temperature => undef, max_tokens => undef },
          'model: the hash\'s llm, for the worker');

$b = patch_ok($A, { llm_config => { model => 'llama3', model_endpoint_type => 'ollama',
                                    model_endpoint => 'http://127.0.0.1:11434', context_window => 8192,
                                    temperature => 0.5, max_tokens => '64' } }, 'llm_config alone');
is($b->{model}, 'ollama/llama3', 'llm_config: the handle from it');
is($b->{llm_config}{context_window}, 8192, 'llm_config: context_window');
is($b->{llm_config}{max_tokens}, 64, 'llm_config: max_tokens, lax');
is($b->{llm_config}{temperature}, 0.5, 'llm_config: temperature');

$b = patch_ok($A, { name => 'again' }, 'another field');
is($b->{llm_config}{model_endpoint}, 'http://127.0.0.1:11434', 'the llm settings kept whole');

$b = patch_ok($A, { model => 'openai/gpt-4o-mini', llm_config => { temperature => 1 } }, 'both');
is($b->{model}, 'openai/gpt-4o-mini', 'both: the handle is the model\'s');
is($b->{llm_config}{model}, 'gpt-4o-mini', 'both: llm_config model from the handle');
is($b->{llm_config}{temperature}, 1, 'both: temperature from llm_config');
is($b->{llm_config}{model_endpoint}, undef, 'both: the rest as given (none)');

# --- bad bodies: create's 422s, nothing written ---------------------------------

my $before = redis('HGET', "aa:{$A}:agent", 'state');
for my $case ([ '', 'missing', [ 'body' ] ],
              [ 'null', 'missing', [ 'body' ] ],
              [ '{"name":', 'json_invalid', [ 'body' ] ],
              [ '[1]', 'model_attributes_type', [ 'body' ] ],
              [ '{"name":5}', 'string_type', [ 'body', 'name' ] ],
              [ '{"tags":"x"}', 'list_type', [ 'body', 'tags' ] ],
              [ '{"metadata":[]}', 'dict_type', [ 'body', 'metadata' ] ],
              [ '{"model":"gpt-4o"}', 'value_error', [ 'body', 'model' ] ],
              [ '{"llm_config":5}', 'model_attributes_type', [ 'body', 'llm_config' ] ],
              [ '{"llm_config":{"temperature":2.5}}', 'less_than_equal', [ 'body', 'llm_config', 'temperature' ] ],
              [ '{"llm_config":{"model_endpoint":"ftp://x"}}', 'url_scheme',
                [ 'body', 'llm_config', 'model_endpoint' ] ],
              [ '{"llm_config":{"context_window":0}}', 'greater_than_equal',
                [ 'body', 'llm_config', 'context_window' ] ],
              [ '{"name":"a","name":"b"}', 'json_invalid', [ 'body' ] ]) {
    my ($body, $type, $loc) = @$case;
    my ($s, $e) = patch($A, $body);
    is($s, 422, "bad body $body: 422");
    is($e->{detail}[0]{type}, $type, "bad body $body: $type");
    is_deeply($e->{detail}[0]{loc}, $loc, "bad body $body: loc");
}
my ($s, $e) = patch($A, '{"name":1,"model":"x","tags":[2]}');
is(scalar @{ $e->{detail} }, 3, 'every violation listed');
is(redis('HGET', "aa:{$A}:agent", 'state'), $before, 'a rejected PATCH writes nothing');
($s, $e) = patch('agent-00000000-0000-4000-8000-000000000000', '{"name":5}');
is($s, 422, 'a bad body is a 422 before any lookup (even of an unknown agent)');

# --- who ----------------------------------------------------------------------------

($s, $e) = patch('agent-00000000-0000-4000-8000-000000000000', { name => 'x' });
is($s, 404, 'unknown agent: 404');
is_deeply($e, { detail => 'Agent not found' }, 'Agent not found');
($s, $e) = patch($A, { name => 'stolen' }, \%O);
is($s, 404, 'another tenant\'s agent: 404');
is(redis('HGET', "aa:{$A}:agent", 'state'), $before, 'another tenant\'s PATCH writes nothing');
($s, $e) = patch('agent-123', { name => 'x' });
is($s, 422, 'malformed id: 422');
is($e->{detail}[0]{type}, 'string_pattern_mismatch', 'string_pattern_mismatch');
is_deeply($e->{examples}, [ 'agent-123e4567-e89b-42d3-8456-426614174000' ], 'with Letta\'s examples');

# --- the run metrics are kept and answered --------------------------------------------

redis('HSET', "aa:{$A}:agent", last_run_completion => '2026-01-01T00:00:00.000001Z',
      last_run_duration_ms => 77, last_stop_reason => 'max_steps');
$b = patch_ok($A, { name => 'metrics' }, 'with run metrics');
is_deeply([ @$b{qw(last_run_completion last_run_duration_ms last_stop_reason)} ],
          [ '2026-01-01T00:00:00.000001Z', 77, 'max_steps' ], 'the run metrics answered, as stored');

# --- what cannot be merged: a 500, logged, nothing written ------------------------------

my $X = create({ name => 'x' })->{id};
redis('HSET', "aa:{$X}:agent", 'state', '[1]');
($s, $e) = patch($X, { name => 'y' });
is($s, 500, 'a stored state this module did not write: 500');
is_deeply($e, { detail => 'An unknown error occurred' }, 'Letta\'s 500 body');
like(error_log(), qr/agent "\Q$X\E" has a state this module did not write/, 'logged');
redis('HSET', "aa:{$X}:agent", 'state', '{}');
redis('HDEL', "aa:{$X}:agent", 'created_at');
($s) = patch($X, { name => 'y' });
is($s, 500, 'no created_at: 500');
like(error_log(), qr/agent "\Q$X\E" has no valid created_at/, 'logged');
is(redis('HGET', "aa:{$X}:agent", 'name'), 'x', 'nothing written');

# a revision that never matches: tried 64 times, then 409
my $C = create({ name => 'c' })->{id};
redis('HSET', "aa:{$C}:agent", 'rev', 'x' x 40);
($s, $e) = patch($C, { name => 'z' });
is($s, 409, 'the agent changing under every try: 409 after the 64th');
is_deeply($e, { detail => 'CONFLICT: the agent kept changing while it was updated; try again' }, '409 detail');
like(error_log(), qr/agent "\Q$C\E" changed under 64 PATCHes in a row/, 'logged');

# --- concurrent PATCHes of different fields: every one lands --------------------------------

my $P = create({ name => 'p' })->{id};
my %set = (name => 'n1', description => 'd1', system => 's1', tags => [ 't1' ],
           metadata => { m => 1 }, model => 'openai/gpt-x');
my @kids;
for my $round (1 .. 3) {
    for my $f (sort keys %set) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            my $r = http_request('PATCH', "/v1/agents/$P", \%H, json_encode({ $f => $set{$f} }), { timeout => 10 });
            POSIX::_exit(($r->{status} // 0) == 200 ? 0 : 1);
        }
        push @kids, $pid;
    }
}
my $failed = 0;
for (@kids) { waitpid $_, 0; $failed++ if $? }
is($failed, 0, '18 PATCHes at once: every one 200 (none loses more than 17 times)');
my (undef, $p) = api('GET', "/v1/agents/$P");
is_deeply([ @$p{qw(name description system tags metadata model)} ],
          [ 'n1', 'd1', 's1', [ 't1' ], { m => 1 }, 'openai/gpt-x' ],
          'every field of every PATCH is there: none undid another');
is(redis('HGET', "aa:{$P}:agent", 'rev'), 18, 'rev 18: each PATCH written once');
my @tries = error_log() =~ /agent update "\Q$P\E": read, try ([2-9]|1\d)/g;
ok(@tries > 0, sprintf('some read again after a conflict (%d retries)', scalar @tries));

# --- a PATCH shows in the agent's next run ------------------------------------------------------

my $pid = fork // die "fork: $!";
if (!$pid) {
    open STDOUT, '>>', "$ENV{TEST_NGINX_SERVROOT}/logs/worker.log";
    open STDERR, '>&', \*STDOUT;
    exec($ENV{AGENT_ASYNC_WORKER_BIN} || 'build/agent-async-worker',
         '--redis', "127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT}", '--block-ms', 200) or POSIX::_exit(127);
}
sub run_steps {
    my ($agent) = @_;
    my $run = (api('POST', "/v1/agents/$agent/messages/async", { input => 'hi' }))[1]{id};
    my $end = time + 10;
    while (time < $end) {
        my $st = (api('GET', "/v1/runs/$run"))[1]{status};
        last if $st eq 'completed' || $st eq 'failed';
        sleep 0.05;
    }
    return (api('GET', "/v1/runs/$run/steps"))[1];
}
my $W = create({ model => 'openai/gpt-4o-mini' })->{id};
is(run_steps($W)->[0]{model}, 'gpt-4o-mini', 'a run executes with the agent\'s model');
patch_ok($W, { model => 'anthropic/claude-x' }, 'PATCH the model');
is(run_steps($W)->[0]{model}, 'claude-x', 'the next run executes with the new one');
patch_ok($W, { llm_config => { model => 'llama3', model_endpoint_type => 'ollama' } }, 'PATCH llm_config');
is(run_steps($W)->[0]{model}, 'llama3', 'and the next with llm_config\'s');
kill 'TERM', $pid;
waitpid $pid, 0;

nginx_stop();
unlike(error_log(), qr/\[(alert|crit|emerg)\]/, 'no alert');
unlike(error_log(), qr/runtime error:|AddressSanitizer/, 'no sanitizer report');

# The agent loop's tools: memory edits persisted (state, rev) and in the
# next prompt, tool errors fed back, max_steps, the legacy agent types
# and send_message, the streaming dialects of tool calls.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use AgentAsync::WorkerTest;
use AgentAsync::MockLLM;
use AgentAsync::Seed qw(create_agent create_run run_key json);

redis_start();
my $r = redis();
mock_start();

my $w = worker_start(backend => 'openai', provider => 'local=' . mock_url());

sub agent {
    my (%o) = @_;
    return create_agent($r, model => 'qwen', system => 'Be brief.',
        llm => { model_endpoint_type => 'local' },
        state => { agent_type => $o{type} // 'letta_v1_agent',
                   memory => { blocks => [
                       { label => 'human', value => 'Name: unknown',
                         limit => $o{limit} // 100, description => 'The user.' },
                       { label => 'persona', value => 'I am Sam.',
                         limit => 100, description => 'Me.',
                         read_only => JSON::PP::true } ] } });
}

sub run_once {
    my ($agent, $input, %o) = @_;
    my $run = create_run($r, $agent, input => $input, %o);
    my $key = run_key('aa:', $run);
    my $st = wait_status($key, 15, qw(completed failed cancelled));
    return ($run, $key, $st);
}

sub messages {
    my ($agent, $run) = @_;
    return [ map { json->decode($_) }
             @{ $r->cmd('LRANGE', run_key("aa:", $run) . ":messages", 0, -1) } ];
}

sub types { [ map { $_->{message_type} } @{ $_[0] } ] }

sub block {
    my ($agent, $label) = @_;
    my $s = json->decode($r->cmd('HGET', "aa:{$agent}:agent", 'state'));
    my ($b) = grep { $_->{label} eq $label } @{ $s->{memory}{blocks} };
    return $b->{value};
}

sub call { my ($name, %a) = @_; { name => $name, arguments => json->encode(\%a) } }

# memory_replace: stored, rev counted, in the next step and the next run
my $a = agent();
my $prompt0 = '';
mock_script({ tool_calls => [ call('memory_replace', label => 'human',
                                   old_string => 'unknown', new_string => 'Ann') ] },
            { text => 'Noted, Ann.' });
my ($run, $key, $st) = run_once($a, 'I am Ann.');
is $st, 'completed', 'run with a memory edit completed';
is $r->cmd('HGET', $key, 'stop_reason'), 'end_turn', 'end_turn';
my $m = messages($a, $run);
is_deeply types($m), [qw(user_message tool_call_message tool_return_message
                         assistant_message)], 'call, return, answer';
is $m->[1]{tool_call}{name}, 'memory_replace', 'tool_call name';
is $m->[1]{tool_calls}[0]{tool_call_id}, $m->[1]{tool_call}{tool_call_id},
    'tool_calls mirrors tool_call';
is $m->[2]{status}, 'success', 'tool return success';
is $m->[2]{tool_call_id}, $m->[1]{tool_call}{tool_call_id}, 'ids match';
is $m->[2]{tool_return}, 'Name: Ann', 'returns the new value';
isnt $m->[1]{step_id}, $m->[3]{step_id}, 'two steps, two step ids';
is block($a, 'human'), 'Name: Ann', 'the edit is in the agent state';
is $r->cmd('HGET', "aa:{$a}:agent", 'rev'), 1, 'rev incremented';
is json->decode($r->cmd('HGET', $key, 'usage'))->{step_count}, 2,
    'two steps counted';
is $r->cmd('LLEN', run_key("aa:", $run) . ":steps"), 2, 'two steps stored';
my $reqs = mock_requests();
is scalar @$reqs, 2, 'two model calls';
my @second = @{ $reqs->[1]{body}{messages} };
is $second[-1]{role}, 'tool', 'the tool result goes back to the model';
like $second[-1]{content}, qr/"status": "OK"/, 'packaged as Letta does';
ok $second[-2]{tool_calls}, 'after the assistant tool call';
like $second[0]{content}, qr/<value>\nName: Ann\n<\/value>/,
    'the second step sees the edit';
like $second[0]{content}, qr/<persona>\n<description>\nMe\.\n<\/description>\n<metadata>\n- read_only=true\n- chars_current=9\n- chars_limit=100\n<\/metadata>/,
    'blocks compiled as Letta does';

mock_script({ text => 'Hi again.' });
($run, $key, $st) = run_once($a, 'Hello?');
like mock_requests()->[0]{body}{messages}[0]{content}, qr/Name: Ann/,
    'the edited block is in the next run\'s prompt';
my @h = @{ mock_requests()->[0]{body}{messages} };
ok((grep { $_->{role} eq 'tool' } @h), 'tool exchanges are in the history');

# a tool error goes back to the model, the loop goes on
mock_script({ tool_calls => [ call('memory_replace', label => 'human',
                                   old_string => 'nope', new_string => 'x') ] },
            { tool_calls => [ call('memory_insert', label => 'persona',
                                   new_string => 'x') ] },
            { tool_calls => [ call('memory_insert', label => 'nolabel',
                                   new_string => 'x') ] },
            { text => 'Sorry.' });
($run, $key, $st) = run_once($a, 'edit badly');
is $st, 'completed', 'failed tools do not fail the run';
$m = messages($a, $run);
my @ret = grep { $_->{message_type} eq 'tool_return_message' } @$m;
is_deeply [ map { $_->{status} } @ret ], [qw(error error error)],
    'three error returns';
like $ret[0]{tool_return}, qr/did not appear verbatim/, 'not found';
like $ret[1]{tool_return}, qr/read-only/, 'read-only block';
like $ret[2]{tool_return}, qr/No memory block with the label "nolabel"/,
    'unknown label';
is block($a, 'human'), 'Name: Ann', 'nothing written';

# the block's limit
my $small = agent(limit => 15);
mock_script({ tool_calls => [ call('memory_insert', label => 'human',
                                   new_string => 'a long line of text') ] },
            { text => 'ok' });
($run, $key, $st) = run_once($small, 'insert');
@ret = grep { $_->{message_type} eq 'tool_return_message' } @{ messages($small, $run) };
like $ret[0]{tool_return}, qr/Exceeds 15 character limit/, 'limit enforced';

# max_steps: a model that never stops calling tools
mock_script({ tool_calls => [ call('memory_insert', label => 'human',
                                   new_string => 'more') ] });
($run, $key, $st) = run_once($a, 'loop', max_steps => 3);
is $st, 'completed', 'max_steps run completed';
is $r->cmd('HGET', $key, 'stop_reason'), 'max_steps', 'stop_reason max_steps';
is json->decode($r->cmd('HGET', $key, 'usage'))->{step_count}, 3, '3 steps';
is scalar @{ mock_requests() }, 3, 'three calls';
my @steps = map { json->decode($_) } @{ $r->cmd('LRANGE', run_key("aa:", $run) . ":steps", 0, -1) };
is_deeply [ map { $_->{stop_reason} } @steps ], [undef, undef, 'max_steps'],
    'only the last step has the stop reason';

# tool call dialects: Ollama (own chunk, no index, "stop"), whole, object
for my $style (qw(ollama whole object)) {
    my $b = agent();
    mock_script({ style => $style,
                  tool_calls => [ call('memory_rethink', label => 'human',
                                       new_memory => "via $style"),
                                  call('memory_insert', label => 'human',
                                       new_string => 'second', insert_line => 0) ] },
                { text => 'ok' });
    ($run, $key, $st) = run_once($b, 'go');
    is $st, 'completed', "$style: completed";
    is block($b, 'human'), "second\nvia $style", "$style: both calls applied in order";
}

# a server that gives its calls no id: the worker names them
{
    my $b = agent();
    mock_script({ style => 'ollama', no_ids => JSON::PP::true,
                  tool_calls => [ call('memory_rethink', label => 'human',
                                       new_memory => 'one'),
                                  call('memory_insert', label => 'human',
                                       new_string => 'two') ] },
                { text => 'ok' });
    ($run, $key, $st) = run_once($b, 'go');
    is block($b, 'human'), "one\ntwo", 'calls without ids: both applied';
    my @c = grep { $_->{message_type} eq 'tool_call_message' } @{ messages($b, $run) };
    like $c[0]{tool_call}{tool_call_id}, qr/^call-[0-9a-f-]{36}$/, 'an id of ours';
    isnt $c[0]{tool_call}{tool_call_id}, $c[1]{tool_call}{tool_call_id}, 'one each';
    my @t = grep { $_->{role} eq 'tool' } @{ mock_requests()->[1]{body}{messages} };
    is $t[0]{tool_call_id}, $c[0]{tool_call}{tool_call_id}, 'the model is told it';
}

# non-streamed tool calls
{
    my $b = agent();
    mock_script({ json => JSON::PP::false,
                  tool_calls => [ call('memory_replace', label => 'human',
                                       old_string => 'unknown', new_string => 'Bo') ] },
                { text => 'ok', json => JSON::PP::false });
    ($run, $key, $st) = run_once($b, 'go');
    is block($b, 'human'), 'Name: Bo', 'tool call in a JSON body';
}

# legacy agents: send_message is the answer
my $l = agent(type => 'memgpt_agent');
mock_script({ tool_calls => [ call('core_memory_append', label => 'human',
                                   content => 'Likes tea.', request_heartbeat => JSON::PP::true) ] },
            { tool_calls => [ call('send_message', message => 'Tea noted.') ] });
($run, $key, $st) = run_once($l, 'I like tea.');
is $st, 'completed', 'legacy run completed';
is $r->cmd('HGET', $key, 'stop_reason'), 'end_turn', 'send_message ends the turn';
$m = messages($l, $run);
is_deeply types($m), [qw(user_message tool_call_message tool_return_message
                         assistant_message)], 'legacy: append, then the message';
is $m->[3]{content}, 'Tea noted.', 'send_message is the assistant_message';
is block($l, 'human'), "Name: unknown\nLikes tea.", 'core_memory_append';
$reqs = mock_requests();
is $reqs->[0]{body}{tool_choice}, 'required', 'legacy: a tool is required';
is_deeply [ sort map { $_->{function}{name} } @{ $reqs->[0]{body}{tools} } ],
    [qw(core_memory_append core_memory_replace send_message)], 'legacy tools';
ok((grep { $_ eq 'request_heartbeat' }
    @{ $reqs->[0]{body}{tools}[0]{function}{parameters}{required} }),
    'legacy tools take request_heartbeat');

# legacy, use_assistant_message false: the call and its return
mock_script({ tool_calls => [ call('send_message', message => 'Raw.') ] });
($run, $key, $st) = run_once($l, 'raw', use_assistant_message => JSON::PP::false);
$m = messages($l, $run);
is_deeply types($m), [qw(user_message tool_call_message tool_return_message)],
    'use_assistant_message false: tool_call + tool_return';
is json->decode($m->[1]{tool_call}{arguments})->{message}, 'Raw.', 'arguments';

# legacy without a tool call: no_tool_call
mock_script({ text => 'just text' });
($run, $key, $st) = run_once($l, 'talk');
is $r->cmd('HGET', $key, 'stop_reason'), 'no_tool_call', 'no_tool_call';
is_deeply types(messages($l, $run)), [qw(user_message reasoning_message)],
    'its text is a reasoning message';

# legacy without heartbeat: the turn ends after the tool
mock_script({ tool_calls => [ call('core_memory_append', label => 'human',
                                   content => 'x', request_heartbeat => JSON::PP::false) ] });
($run, $key, $st) = run_once($l, 'quiet');
is $r->cmd('HGET', $key, 'stop_reason'), 'end_turn', 'no heartbeat: end_turn';
is scalar @{ mock_requests() }, 1, 'one call';

is worker_stop($w), 0, 'worker exits cleanly';
done_testing;

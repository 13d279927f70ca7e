package AgentAsync::Seed;

# Writes agents and runs into Redis exactly as ngx_http_agent_async_module
# does (docs/redis-keys.md), with the module's own scripts
# (src/lua/create_agent.lua, src/lua/create_run.lua), so that the worker
# can be tested without nginx.

use strict;
use warnings;
use Exporter 'import';
use JSON::PP ();
use Time::HiRes ();
use POSIX ();
use AgentAsync::Scripts qw(run_script);
use AgentAsync::Keys qw(run_key run_id);

our @EXPORT_OK = qw(uuid4 run_time create_agent create_run job_json
                    run_key json);

my $JSON = JSON::PP->new->canonical(1)->allow_nonref(1);

sub json { $JSON }

sub uuid4 {
    my @b = map { int rand 256 } 1 .. 16;
    $b[6] = ($b[6] & 0x0f) | 0x40;
    $b[8] = ($b[8] & 0x3f) | 0x80;
    my $h = join '', map { sprintf '%02x', $_ } @b;
    return join '-', substr($h, 0, 8), substr($h, 8, 4), substr($h, 12, 4),
        substr($h, 16, 4), substr($h, 20);
}

sub now_us { int(Time::HiRes::time() * 1e6) }

sub run_time {
    my ($us) = @_;
    $us //= now_us();
    my $s = int($us / 1e6);
    return POSIX::strftime('%Y-%m-%dT%H:%M:%S', gmtime $s)
        . sprintf('.%06dZ', $us % 1e6);
}

# The µs of a run time (the inverse of run_time), undef for anything else.
sub run_us {
    my ($t) = @_;
    return undef unless defined $t
        && $t =~ /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)\.(\d{6})Z$/;
    require Time::Local;
    return Time::Local::timegm($6, $5, $4, $3, $2 - 1, $1) * 1e6 + $7;
}

# create_agent($redis, prefix => 'aa:', tenant => 'default', system => '',
#              name => 'test', model => undef)
sub create_agent {
    my ($r, %o) = @_;
    my $p = $o{prefix} // 'aa:';
    my $tenant = $o{tenant} // 'default';
    my $name = $o{name} // 'test';
    my $id = 'agent-' . uuid4();
    my $us = now_us();
    # llm => {...} and state => {...} add to (or replace) the defaults
    my $llm = $JSON->encode({ model => $o{model}, model_endpoint_type => undef,
                              model_endpoint => undef, context_window => undef,
                              temperature => undef, max_tokens => undef,
                              %{ $o{llm} // {} } });
    my $state = $JSON->encode({ id => $id, name => $name,
                                system => $o{system} // '',
                                %{ $o{state} // {} } });
    run_script(sub { $r->cmd(@_) }, 'create_agent',
            [ "$p\{$id}:agent", "${p}tenant:$tenant:agents",
              "${p}tenant:$tenant:agent_names", "${p}tenants" ], $us, $id,
            $name,
            id => $id, tenant => $tenant, created_at => run_time($us),
            name => $name, system => $o{system} // '', llm => $llm,
            state => $state);
    return $id;
}

# The job, as aa_async_request_parse() normalises it.
sub job_json {
    my (%o) = @_;
    my $msgs = $o{messages}
        // [ { role => 'user', content => $o{input} // 'hello' } ];
    my @items;
    for my $m (@$msgs) {
        my %m = %$m;
        $m{type} //= 'message';
        $m{otid} //= uuid4();
        push @items, \%m;
    }
    return $JSON->encode({
        messages => \@items,
        max_steps => $o{max_steps} // 50,
        override_model => undef,
        override_system => undef,
        include_compaction_messages => JSON::PP::false,
        include_return_message_types => $o{include_types},
    });
}

# create_run($redis, $agent, prefix =>, tenant =>, input => 'text' |
#            messages => [...], request => raw JSON (overrides),
#            callback_url =>, include_types => [...], upstream => 1: the
#            agent need not exist here, as with agent_async_agents upstream;
#            use_assistant_message =>, tool_name =>, tool_kwarg =>: the
#            request_config, or request_config => raw JSON, undef: empty)
sub create_run {
    my ($r, $agent, %o) = @_;
    my $p = $o{prefix} // 'aa:';
    my $tenant = $o{tenant} // 'default';
    my $id = run_id($agent);
    my $us = now_us();
    my $request = exists $o{request} ? $o{request} : job_json(%o);
    my $rc = exists $o{request_config} ? $o{request_config} // ''
           : $JSON->encode({
        use_assistant_message => $o{use_assistant_message} // JSON::PP::true,
        assistant_message_tool_name => $o{tool_name} // 'send_message',
        assistant_message_tool_kwarg => $o{tool_kwarg} // 'message',
        include_return_message_types => $o{include_types},
    });
    # the values create_run.lua takes: created_at, metadata,
    # request_config, request, callback_url
    my @values = (run_time($us),
                  '{"run_type":"send_message_async","lettuce":null}', $rc,
                  $request // '');
    push @values, $o{callback_url} if defined $o{callback_url};
    my $ok = run_script(sub { $r->cmd(@_) }, 'create_run',
                        [ "$p\{$agent}:agent", "$p\{$agent}:queue",
                          "$p\{$agent}:runs", run_key($p, $id),
                          "${p}tenant:$tenant:runs",
                          "${p}ready", "${p}tenant:$tenant:active" ],
                        $tenant, $id, $agent, $us, $o{upstream} ? 'u' : '',
                        'seed', 86400000, @values);
    die "create_run: agent $agent not found\n" unless $ok;
    # a run without its job, for the tests of one
    $r->cmd('HDEL', run_key($p, $id), 'request') unless defined $request;
    return $id;
}

1;

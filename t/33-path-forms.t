# Every route in both forms, with and without a trailing slash, under /v1/
# and /latest/: Letta redirects one to the other, the SDKs use one.
use lib '.';
use t::AgentTest 'no_plan';

my $A = 'agent-33333333-3333-4333-8333-333333333333';
my $R = 'run-33333333-3333-4333-8333-333333333333';

sub seed {
    redis('FLUSHALL');
    redis('HSET', "aa:{$A}:agent", id => $A, tenant => 'default', state => qq({"id":"$A"}),
          created_at => '2026-01-01T00:00:00.000001Z');
    redis('ZADD', 'aa:tenant:default:agents', 1767225600000001, $A);
    redis('HSET', run_key("aa:", $R), id => $R, agent_id => $A, tenant => 'default',
          status => 'completed', created_at => '2026-01-01T00:00:00.000001Z');
}

nginx_start(
    http_config => "agent_async_redis 127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT};",
    config      => 'location /v1/ { agent_async on; agent_async_auth off; }'
                 . ' location /latest/ { agent_async on; agent_async_auth off; }',
);

my @routes = (
    [ 'GET',    '/health',                         200 ],
    [ 'POST',   '/agents',                         200, '{}' ],
    [ 'GET',    '/agents',                         200 ],
    [ 'GET',    "/agents/$A",                      200 ],
    [ 'PATCH',  "/agents/$A",                      200, '{"name":"p"}' ],
    [ 'DELETE', "/agents/$A",                      200 ],
    [ 'POST',   "/agents/$A/messages/async",       200, '{"input":"x"}' ],
    [ 'POST',   "/agents/$A/messages/cancel",      200, qq({"run_ids":["$R"]}) ],
    [ 'GET',    "/runs/$R",                        200 ],
    [ 'GET',    "/runs/$R/messages",               200 ],
    [ 'GET',    "/runs/$R/steps",                  200 ],
    [ 'GET',    "/runs/$R/usage",                  200 ],
    [ 'GET',    "/runs/$R/metrics",                200 ],
    [ 'DELETE', "/runs/$R",                        200 ],
);

for my $prefix ('/v1', '/latest') {
    for my $slash ('', '/') {
        for my $route (@routes) {
            my ($method, $path, $status, $body) = @$route;
            seed();
            my $res = http_request($method, "$prefix$path$slash",
                                   { 'Content-Type' => 'application/json' }, $body);
            is($res->{status}, $status, "$method $prefix$path$slash: $status")
                or diag($res->{body} // $res->{error});
            like($res->{body}, qr/"id":"\Q$A\E"/, "GET $prefix$path$slash: the agent listed")
                if $method eq 'GET' && $path eq '/agents';
            like($res->{headers}{'content-type'} // '', qr{^application/json}, "$method $prefix$path$slash: JSON");
        }
    }
}

nginx_stop();
unlike(error_log(), qr/\[(alert|crit|emerg)\]/, 'no alert');

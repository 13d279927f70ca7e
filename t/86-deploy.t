# docs/deploy.md: each recipe's script, as written but for its ports (free
# ones instead) and its temporary directory (this test's, so that whatever
# a failed script leaves running is stopped here).  The plain build only:
# the recipes load build/ngx_http_agent_async_module.so.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use File::Temp ();
use AgentAsync::WorkerTest qw(free_port);

plan skip_all => 'the recipes use the plain build; tested in the plain pass'
    if ($ENV{AGENT_ASYNC_WORKER_BIN} // '') =~ m{/build/san/};

my $doc = do { local (@ARGV, $/) = 'docs/deploy.md'; <> };

# the ```sh block after the heading
sub recipe {
    my ($heading) = @_;
    my ($block) = $doc =~ /^## \Q$heading\E\n.*?^```sh\n(.*?)^```$/ms;
    ok defined $block, "the recipe: $heading" or return '';
    return $block;
}

my @dirs;
END {
    # what a failed script may have left: nginx, workers, Redis
    for my $d (@dirs) {
        for my $pid (map { `cat $_ 2>/dev/null` =~ /(\d+)/ ? $1 : () }
                     glob("$d/*.pid $d/*/*.pid")) {
            kill 'KILL', $pid;
        }
    }
}

sub run_recipe {
    my ($heading, @ports) = @_;
    my $script = recipe($heading);
    my $d = File::Temp->newdir('aa-deploy-XXXXXX', TMPDIR => 1);
    push @dirs, "$d";
    ok $script =~ s/^D=\$\(mktemp -d\)/D=$d/m, "$heading: its directory";
    for my $p (@ports) {
        my $free = free_port();
        ok $script =~ s/\b$p\b/$free/g, "$heading: port $p";
    }
    open my $f, '>', "$d/recipe.sh" or die "$d/recipe.sh: $!";
    print $f $script;
    close $f;
    my $out = `bash -e $d/recipe.sh 2>&1`;
    is $?, 0, "$heading: runs" or diag $out;
    # nginx and the workers exit once their signal is handled
    my @left = map { `cat $_ 2>/dev/null` =~ /(\d+)/ ? $1 : () }
               glob("$d/*.pid $d/*/*.pid");
    for (1 .. 50) {
        @left = grep { kill 0, $_ } @left;
        last unless @left;
        select undef, undef, undef, 0.1;
    }
    is_deeply \@left, [], "$heading: nothing left running";
    return ($out, "$d");
}

my ($out, $d);

($out) = run_recipe('Behind TLS, in the same nginx', 8443, 8080, 6391);
like $out, qr/^"status":"completed"\n308 https:\/\/localhost:\d+\/v1\/runs\/run-[0-9a-f-]{36}\n\z/,
    'TLS: the run completed, plain HTTP redirected' or diag $out;

($out) = run_recipe('Several nginx nodes and workers, one Redis',
                    8081, 8082, 6391);
like $out, qr/\A6\n2\n\z/, 'two nodes: every run completed, both workers in one scrape'
    or diag $out;

($out, $d) = run_recipe('Redis over a unix socket, with a password', 8080);
like $out, qr/\A"status":"completed"\nNOAUTH Authentication required\.\n+\z/,
    'unix socket: the run completed, Redis refuses without the password'
    or diag $out;
ok !-e "$d/redis.sock", 'Redis stopped';

($out) = run_recipe('In front of a Letta server', 8080, 8283, 6391);
like $out, qr{\A\{"served_by":"letta","uri":"/v1/tools/"\}\n\{"served_by":"letta","uri":"/v1/agents/agent-[0-9a-f-]{36}/messages"\}\n"status":"completed"\n401\n\z},
    "in front of Letta: Letta's routes proxied, the async API served here"
    or diag $out;

done_testing;

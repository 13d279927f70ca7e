# The Makefile: a parallel build of the module (scripts/build-module runs
# make inside nginx's tree) shares make's jobserver, so make does not warn
# "jobserver unavailable: using -j1".  Builds into a temporary BUILD
# directory, at low priority; once, in the plain pass of scripts/test.

use strict;
use warnings;
use Test::More;
use File::Temp ();

plan skip_all => 'the Makefile does not depend on the build flavour; '
    . 'tested in the plain pass'
    if ($ENV{AGENT_ASYNC_WORKER_BIN} // '') =~ m{/build/san/};

my $build = File::Temp->newdir('aa-make-XXXXXX', TMPDIR => 1);
delete @ENV{qw(MAKEFLAGS MFLAGS MAKELEVEL)};

my $out = `nice -n 10 make -s -j2 BUILD=$build module 2>&1`;
is $?, 0, 'make -j2 module' or diag $out;
ok -f "$build/ngx_http_agent_async_module.so", 'the module was built';
unlike $out, qr/jobserver unavailable/, 'no jobserver warning' or diag $out;

done_testing;

# take.lua against a real Redis (docs/redis-keys.md, "When Redis is
# full"): what the worker's BLMOVE does, without blocking, and allowed at
# maxmemory when BLMOVE is not.

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use lib 't/scripts';
use AgentAsync::WorkerTest;
use ScriptsTest;

redis_start();
my $r = redis();
my $w = wid('take');
my $k = ks(worker => $w);

fresh();
is rs('take', [ $k->{ready}, $k->{processing} ]), undef, 'nothing ready: nil';
is_deeply dump_all(), {}, 'and nothing written';

$r->cmd('LPUSH', $k->{ready}, 'agent-a', 'agent-b');    # agent-a is the oldest
$r->cmd('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
$r->cmd('CONFIG', 'SET', 'maxmemory', '1');
like eval { $r->cmd('BLMOVE', $k->{ready}, $k->{processing}, 'RIGHT', 'LEFT', 0.1) } // $@,
    qr/OOM/, 'setup: at maxmemory BLMOVE is refused';
is rs('take', [ $k->{ready}, $k->{processing} ]), 'agent-a', 'take moves the oldest';
is_deeply $r->cmd('LRANGE', $k->{processing}, 0, -1), ['agent-a'],
    'into this worker\'s processing list';
is_deeply $r->cmd('LRANGE', $k->{ready}, 0, -1), ['agent-b'], 'the other stays ready';
$r->cmd('CONFIG', 'SET', 'maxmemory', '0');

done_testing;

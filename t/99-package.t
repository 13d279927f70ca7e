# The Debian packages, as an operator gets them: scripts/package builds
# libnginx-mod-http-agent-async and agent-async-worker, apt-get installs
# them on this machine, the system nginx passes `nginx -t` with the module
# enabled through modules-enabled, a run is served end to end by the
# system nginx (its own configuration file, Debian's module path) and the
# packaged worker, started as its systemd unit starts it (systemd is not
# PID 1 here: the unit's User=, EnvironmentFile= and ExecStart=), then the
# packages are removed (nginx -t still passes: the link is moved aside) and
# purged, leaving nothing.  Everything is undone on every way out.
#
# It needs root and installs into the system, so it skips itself when not
# root, in the sanitizer pass (the packages are the plain build), and when
# one of the packages is installed already (not ours to touch).

use strict;
use warnings;
use Test::More;
use lib 't/lib';
use HTTP::Tiny;
use JSON::PP;
use Fcntl qw(:flock);
use POSIX ();
use Time::HiRes qw(sleep);
use AgentAsync::WorkerTest qw(free_port wait_for tmpdir);
use AgentAsync::Redis;

my @PKGS = qw(libnginx-mod-http-agent-async agent-async-worker);
my $USER = 'agent-async';
my $LINK = '/etc/nginx/modules-enabled/50-mod-http-agent-async.conf';
my $SO = '/usr/lib/nginx/modules/ngx_http_agent_async_module.so';
my $UNIT = '/lib/systemd/system/agent-async-worker.service';

sub installed {
    my $s = `dpkg-query -W -f='\${Status}' $_[0] 2>/dev/null`;
    return $s =~ /ok installed|config-files|half/;
}

plan skip_all => 'the packages hold the plain build; tested in the plain pass'
    if ($ENV{AGENT_ASYNC_WORKER_BIN} // '') =~ m{/build/san/};
plan skip_all => 'installing packages needs root' if $> != 0;

# one such test at a time on a machine (another checkout's, say): the
# packages and the system user are the machine's
my $LOCK;
open $LOCK, '>', '/run/lock/agent-async-package-test.lock'
    or open $LOCK, '>', '/tmp/agent-async-package-test.lock'
    or die "lock: $!";
flock $LOCK, LOCK_EX or die "flock: $!";

for my $p (@PKGS) {
    plan skip_all => "$p is installed on this machine already: not touching it"
        if installed($p);
}
plan skip_all => "the system nginx fails nginx -t before we touch it"
    if system("/usr/sbin/nginx -t >/dev/null 2>&1") != 0;

my $TMP = tmpdir();
my $HTTP = HTTP::Tiny->new(keep_alive => 0, timeout => 10);
my $user_was_there = defined getpwnam($USER);
my (@pids, $touched);

sub sh { my $out = `@_ 2>&1`; return ($? >> 8, $out) }

# apt-get waits for a dpkg lock another apt may hold on a shared machine
my $APT = 'DEBIAN_FRONTEND=noninteractive apt-get -y -q'
        . ' -o DPkg::Lock::Timeout=300';

sub undo {
    for my $pid (@pids) {
        kill 'TERM', $pid;
        waitpid $pid, 0;
    }
    @pids = ();
    if ($touched) {
        my ($rc, $out) = sh("$APT purge @PKGS");
        diag "purge at the end: $out" if $rc;
        $touched = 0;
    }
    if (!$user_was_there && defined getpwnam($USER)) {
        system("deluser --quiet --system $USER >/dev/null 2>&1");
    }
}
END { my $rc = $?; undo(); $? = $rc }
$SIG{INT} = $SIG{TERM} = sub { undo(); POSIX::_exit(1) };

sub slurp { open my $h, '<', $_[0] or return undef; local $/; <$h> }

sub spit {
    my ($path, $text) = @_;
    open my $h, '>', $path or die "$path: $!";
    print $h $text;
    close $h or die "$path: $!";
}

# ---- build ----

my ($rc, $out) = sh("scripts/package $TMP/debs");
is $rc, 0, 'scripts/package builds' or BAIL_OUT($out);
my %deb = map { /^(\S+?)_/ ? ($1 => $_) : () }
          map { s{.*/}{}r } glob("$TMP/debs/*.deb");
ok $deb{$_}, "$_ is built" for @PKGS;

my $abi = `dpkg-query -W -f='\${Provides}' nginx`;
($abi) = $abi =~ /(nginx-abi-[^\s,]+)/;
ok $abi, "the system nginx provides $abi";
my $dep = `dpkg-deb -f $TMP/debs/$deb{$PKGS[0]} Depends`;
like $dep, qr/(^|, )\Q$abi\E(,|$)/m,
    'the module depends on the nginx ABI it was built against';
like `dpkg-deb -c $TMP/debs/$deb{$PKGS[0]}`,
    qr{\./usr/lib/nginx/modules/ngx_http_agent_async_module\.so\n}, 'the .so';

# ---- install ----

$touched = 1;
($rc, $out) = sh("$APT install $TMP/debs/$deb{$PKGS[0]} $TMP/debs/$deb{$PKGS[1]}");
is $rc, 0, 'apt-get installs both' or BAIL_OUT($out);
ok installed($_), "$_ installed" for @PKGS;

is readlink($LINK), '/usr/share/nginx/modules-available/mod-http-agent-async.conf',
    'the module is enabled through modules-enabled';
is slurp('/usr/share/nginx/modules-available/mod-http-agent-async.conf'),
    "load_module modules/ngx_http_agent_async_module.so;\n",
    'its load_module line';
ok -f $SO, 'the .so in /usr/lib/nginx/modules';
($rc, $out) = sh('/usr/sbin/nginx -t');
is $rc, 0, 'nginx -t of the system configuration, module loaded'
    or diag $out;

my @pw = getpwnam($USER);
ok @pw, "the system user $USER";
ok $pw[2] < 1000, 'a system uid';
like $pw[8], qr{/(nologin|false)$}, 'no login shell';
my $gid = getgrnam($USER);
ok defined $gid, "its group $USER";

my @st = stat '/etc/agent-async/secrets';
ok @st, '/etc/agent-async/secrets';
is $st[2] & 07777, 0640, 'mode 0640';
is "$st[4]:$st[5]", "0:$gid", 'root:agent-async';
is((stat '/etc/agent-async/worker.conf')[2] & 07777, 0644,
   'worker.conf, the default config');
like slurp('/var/lib/dpkg/info/agent-async-worker.conffiles'),
    qr{^/etc/agent-async/worker\.conf$}m, 'a conffile';
($rc, $out) = sh("setpriv --reuid=$USER --regid=$USER --init-groups"
                 . ' cat /etc/agent-async/secrets');
is $rc, 0, 'the service user reads the secrets' or diag $out;
($rc, $out) = sh('setpriv --reuid=nobody --regid=nogroup --clear-groups'
                 . ' cat /etc/agent-async/secrets');
isnt $rc, 0, 'nobody else does';

# ---- the unit ----

my $unit = slurp($UNIT) // '';
my %u;
for (split /\n/, $unit) {
    push @{ $u{$1} }, $2 if /^(\w+)=(.*)$/;
}
is_deeply $u{User}, [$USER], "User=$USER";
is_deeply $u{Restart}, ['on-failure'], 'Restart=on-failure';
for my $h (qw(NoNewPrivileges PrivateTmp ProtectHome PrivateDevices)) {
    is_deeply $u{$h}, ['yes'], "$h=yes";
}
is_deeply $u{ProtectSystem}, ['strict'], 'ProtectSystem=strict';
is_deeply $u{CapabilityBoundingSet}, [''], 'no capabilities';
ok -l '/etc/systemd/system/multi-user.target.wants/agent-async-worker.service',
    'enabled';
SKIP: {
    skip 'no systemd-analyze', 2 unless -x '/usr/bin/systemd-analyze';
    ($rc, $out) = sh("systemd-analyze verify $UNIT");
    is $rc, 0, 'systemd-analyze verify' or diag $out;
    ($rc, $out) = sh("systemd-analyze security --offline=yes $UNIT");
    my ($exposure) = $out =~ /Overall exposure level for \S+: ([0-9.]+)/;
    ok defined $exposure && $exposure < 2, "exposure ${\($exposure // '?')} < 2"
        or diag $out;
}

# ---- serve a run: Redis with a password, the system nginx, the unit ----

my $password = 'pkg-redis-secret-' . int(rand 1e9);
my $token = 'pkg-token-' . int(rand 1e9);
my $redis_port = free_port();
my $pid = fork // die "fork: $!";
if ($pid == 0) {
    open STDOUT, '>', "$TMP/redis.log";
    open STDERR, '>&', \*STDOUT;
    exec 'redis-server', '--port', $redis_port, '--bind', '127.0.0.1',
        '--save', '', '--appendonly', 'no', '--dir', $TMP,
        '--requirepass', $password
        or POSIX::_exit(127);
}
push @pids, $pid;
ok wait_for(sub {
    AgentAsync::Redis->new(port => $redis_port, timeout => 1)
        ->cmd('AUTH', $password) eq 'OK' }, 10), 'a Redis with a password';

# what an operator does: the address in worker.conf, the password in secrets
my $conf = slurp('/etc/agent-async/worker.conf');
$conf =~ s/^redis .*$/redis 127.0.0.1:$redis_port/m or die "no redis line";
spit('/etc/agent-async/worker.conf', $conf);
spit('/etc/agent-async/secrets',
     slurp('/etc/agent-async/secrets')
     . "AGENT_ASYNC_WORKER_REDIS_PASSWORD=$password\n");

# the unit's environment, user and command
my %env = (PATH => '/usr/sbin:/usr/bin:/sbin:/bin');
for my $f (@{ $u{EnvironmentFile} }) {
    (my $path = $f) =~ s/^-//;
    for (split /\n/, slurp($path) // '') {
        $env{$1} = $2 if /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;
    }
}
is $env{AGENT_ASYNC_WORKER_REDIS_PASSWORD}, $password,
    'the password comes from EnvironmentFile=';
my @exec = split ' ', $u{ExecStart}[0];
is $exec[0], '/usr/bin/agent-async-worker', 'ExecStart= the packaged binary';
$pid = fork // die "fork: $!";
if ($pid == 0) {
    open STDOUT, '>', "$TMP/worker.log";
    open STDERR, '>&', \*STDOUT;
    %ENV = %env;
    exec 'setpriv', "--reuid=$u{User}[0]", "--regid=$u{Group}[0]",
        '--init-groups', '--no-new-privs', '--', @exec
        or POSIX::_exit(127);
}
push @pids, $pid;

my $port = free_port();
mkdir "$TMP/nginx";
spit("$TMP/nginx/nginx.conf", <<"CONF");
include /etc/nginx/modules-enabled/*.conf;
worker_processes 2;
daemon off;
error_log $TMP/nginx/error.log notice;
pid $TMP/nginx/nginx.pid;
events { worker_connections 256; }
http {
    access_log $TMP/nginx/access.log;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    client_body_buffer_size 1m;
    agent_async_redis_password $password;
    include $TMP/nginx/site.conf;
}
CONF
# the site of docs/deploy.md, with this test's ports and token
my ($site) = (slurp('docs/deploy.md') // '')
    =~ /^## From the Debian packages\n.*?^```nginx\n(.*?)^```$/ms;
ok defined $site, 'the site of docs/deploy.md';
$site //= '';
ok $site =~ s/127\.0\.0\.1:6379/127.0.0.1:$redis_port/, 'its Redis';
ok $site =~ s/listen 8080;/listen 127.0.0.1:$port;/, 'its port';
ok $site =~ s/change-me-0123456789/$token/, 'its token';
spit("$TMP/nginx/site.conf", $site);
($rc, $out) = sh("/usr/sbin/nginx -t -c $TMP/nginx/nginx.conf");
is $rc, 0, 'nginx -t of a site using the packaged module' or diag $out;
$pid = fork // die "fork: $!";
if ($pid == 0) {
    open STDOUT, '>', "$TMP/nginx/stdout.log";
    open STDERR, '>&', \*STDOUT;
    exec '/usr/sbin/nginx', '-c', "$TMP/nginx/nginx.conf"
        or POSIX::_exit(127);
}
push @pids, $pid;
ok wait_for(sub { (slurp("$TMP/nginx/nginx.pid") // '') =~ /^$pid$/m }, 10),
    'the system nginx is up' or diag slurp("$TMP/nginx/error.log");

sub api {
    my ($method, $path, $body) = @_;
    my $r = $HTTP->request($method, "http://127.0.0.1:$port$path", {
        headers => { Authorization => "Bearer $token",
                     'Content-Type' => 'application/json' },
        defined $body ? (content => encode_json($body)) : () });
    my $json = eval { decode_json($r->{content}) };
    return ($r->{status}, $json);
}

my ($st, $agent) = api('POST', '/v1/agents/', { name => 'packaged' });
is $st, 200, 'an agent';
($st, my $run) = api('POST', "/v1/agents/$agent->{id}/messages/async",
                     { input => 'hello from the package' });
is $st, 200, 'a run';
my $done = wait_for(sub {
    my ($s, $b) = api('GET', "/v1/runs/$run->{id}");
    $b && $b->{status} eq 'completed' ? $b : undef }, 20);
ok $done, 'the packaged worker completes it' or diag slurp("$TMP/worker.log");
is $done && $done->{stop_reason}, 'end_turn', 'end_turn';
like slurp("$TMP/worker.log") // '', qr/run=\Q$run->{id}\E .*completed/,
    'the worker logged it';
my $uid = (getpwnam $USER)[2];
my $wpid = $pids[1];
like slurp("/proc/$wpid/status") // '', qr/^Uid:\s+$uid\s+$uid\s+$uid\s+$uid$/m,
    "the worker runs as $USER";
unlike slurp("$TMP/worker.log") // '', qr/\Q$password\E/,
    'its log holds no password';

# the worker publishes its counters at its next beat
ok wait_for(sub {
    my $m = $HTTP->get("http://127.0.0.1:$port/metrics");
    $m->{status} == 200 && $m->{content}
        =~ /^agent_async_worker_runs_total\{worker="[^"]+",status="completed"\} 1$/m
}, 5), 'its /metrics: the packaged worker counted the run';

kill 'TERM', $wpid;
waitpid $wpid, 0;
is $? >> 8, 0, 'SIGTERM: the worker exits 0';
kill 'QUIT', $pid;
waitpid $pid, 0;
@pids = grep { $_ != $wpid && $_ != $pid } @pids;

# ---- remove, then purge ----

($rc, $out) = sh("$APT remove @PKGS");
is $rc, 0, 'apt-get remove' or diag $out;
ok !-e $SO, 'the .so is gone';
ok !-e $LINK && -l "$LINK.removed", 'the link is moved aside, as Debian does';
($rc, $out) = sh('/usr/sbin/nginx -t');
is $rc, 0, 'nginx -t passes without the module' or diag $out;
ok -e '/etc/agent-async/worker.conf', 'the configuration stays until purge';

($rc, $out) = sh("$APT purge @PKGS");
is $rc, 0, 'apt-get purge' or diag $out;
$touched = 0;
ok !installed($_), "$_ purged" for @PKGS;
ok !-e $_ && !-l $_, "$_ gone"
    for $LINK, "$LINK.removed", $SO, $UNIT, '/etc/agent-async',
        '/usr/share/nginx/modules-available/mod-http-agent-async.conf',
        '/etc/systemd/system/multi-user.target.wants/agent-async-worker.service';
($rc, $out) = sh('/usr/sbin/nginx -t');
is $rc, 0, 'nginx -t after the purge' or diag $out;

done_testing;

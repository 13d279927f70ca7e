package Test::Nginx::SocketLite;

# Engine of our minimal Test::Nginx::Socket replacement (t/lib/Test/Nginx/Socket.pm).
# Written from the documented block format only. Plain package on purpose: no
# Spiffy source filter here (see t/README.md). Also used by t/AgentTest.pm
# (write_conf/start_nginx/http_exchange) for plain Test::More files.

use strict;
use warnings;

use File::Path qw(make_path remove_tree);
use File::Spec;
use IO::Select;
use IO::Socket::INET;
use List::Util qw(shuffle);
use POSIX ();
use Test::Builder;
use Time::HiRes qw(sleep time);

my $T = Test::Builder->new;
my $Owner = $$;

our $RepeatEach        = 1;
our $NoShuffle         = $ENV{TEST_NGINX_NO_SHUFFLE};
our $MasterProcess     = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $Workers           = 1;
our $WorkerConnections = 64;
our $LogLevel          = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $NoRootLocation    = 0;
our @EnvToNginx;
our @Preprocessors;

# ---- settings (read lazily so that t/AgentTest.pm can set the env first) ----

sub servroot { File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT} || 't/servroot') }
sub port     { $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984 }
sub html_dir { servroot() . '/html' }

sub getset { my ($ref, @v) = @_; $$ref = $v[0] if @v; $$ref }

sub expand_env {
    my $text = shift;
    return '' unless defined $text;
    $text =~ s{\$(TEST_NGINX_\w+)}{
        defined $ENV{$1} ? $ENV{$1} : die "No environment variable $1 defined.\n"
    }ge;
    $text;
}

# ---- nginx process ----

sub write_conf {
    my %s     = @_;    # main_config http_config config log_level
    my $root  = servroot();
    my $port  = port();
    my $level = $s{log_level} || $LogLevel;
    remove_tree("$root/conf", "$root/html", "$root/logs", glob("$root/*_temp"));
    make_path("$root/conf", "$root/html", "$root/logs");
    spew("$root/html/index.html", "It works!\n");

    my $head = join '', map("load_module $_;\n", split ' ', $ENV{TEST_NGINX_LOAD_MODULES} || ''),
                        map("env $_;\n", @EnvToNginx);
    my $main = expand_env($s{main_config});
    my $http = expand_env($s{http_config});
    my $conf = expand_env($s{config});
    my $rootloc = $NoRootLocation ? '' : <<"EOF";
        location / {
            root $root/html;
            index index.html index.htm;
        }
EOF
    spew("$root/conf/nginx.conf", <<"EOF");
worker_processes  $Workers;
daemon on;
master_process $MasterProcess;
error_log $root/logs/error.log $level;
pid       $root/logs/nginx.pid;

$head
$main

http {
    access_log $root/logs/access.log;

    client_body_temp_path $root/client_body_temp;
    proxy_temp_path $root/proxy_temp;
    fastcgi_temp_path $root/fastcgi_temp;
    uwsgi_temp_path $root/uwsgi_temp;
    scgi_temp_path $root/scgi_temp;

    default_type text/plain;
    keepalive_timeout  68;

$http

    server {
        listen          $port;
        server_name     localhost;

        client_max_body_size 30M;

$conf

$rootloc    }
}

events {
    accept_mutex off;
    worker_connections  $WorkerConnections;
}
EOF
}

# Starts nginx; returns (ok, startup output).
sub start_nginx {
    my $root = servroot();
    my $bin  = $ENV{TEST_NGINX_BINARY} || 'nginx';
    my $out  = "$root/logs/startup.out";
    my $rc   = system("$bin -p $root/ -c $root/conf/nginx.conf -e $root/logs/error.log >$out 2>&1");
    my $text = slurp($out);
    return (0, $text) if $rc != 0;
    for (1 .. 200) {    # the daemon writes the pid file after it has bound the port
        return (1, $text) if nginx_pid();
        sleep 0.025;
    }
    return (0, "$text\nnginx did not write $root/logs/nginx.pid");
}

sub nginx_pid {
    my $pid = slurp(servroot() . '/logs/nginx.pid');
    return ($pid =~ /^(\d+)/) ? $1 : undef;
}

sub alive {
    my $pid = shift;
    return 0 unless kill 0, $pid;
    my $stat = slurp("/proc/$pid/stat");
    return $stat !~ /^\d+ \(.*\) Z/s;    # zombies count as dead
}

sub stop_nginx {
    my $pid = nginx_pid() or return;
    for my $sig (qw(QUIT TERM KILL)) {
        kill $sig, $pid;
        for (1 .. 100) { return unless alive($pid); sleep 0.02 }
    }
}

END { stop_nginx() if $$ == $Owner && !$ENV{TEST_NGINX_NO_CLEAN} }

# ---- HTTP client ----

# "METHOD /uri [HTTP/1.x]\nbody" -> raw request text.
sub build_request {
    my ($spec, $more_headers, $keepalive) = @_;
    $spec = join '', @$spec if ref $spec eq 'ARRAY';    # packet splits: just join
    $spec =~ s/\A\s+//;
    my ($line, $body) = split /\n/, $spec, 2;
    $body = '' unless defined $body;
    $body =~ s/\n\z// unless $body =~ /\r\n\z/;          # drop the section's final LF
    my ($method, $uri, $proto) = split ' ', $line;
    $proto ||= 'HTTP/1.1';
    my $req = "$method $uri $proto\r\nHost: localhost\r\n";
    $req .= $keepalive ? '' : "Connection: close\r\n";
    my $extra = '';
    for my $h (split /\n/, defined $more_headers ? $more_headers : '') {
        $extra .= "$h\r\n" if $h =~ /\S/;
    }
    $req .= $extra;
    $req .= 'Content-Length: ' . length($body) . "\r\n"
        if (length $body || $method =~ /^(POST|PUT|PATCH)$/) && $extra !~ /^(Content-Length|Transfer-Encoding):/mi;
    return "$req\r\n$body";
}

# Sends raw bytes, reads until EOF. Returns {raw => bytes} or {timeout => 1, raw => partial}.
sub http_exchange {
    my ($raw, %o) = @_;    # timeout, port, shutdown
    my $timeout = $o{timeout} || 3;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $o{port} || port(),
                                     Proto => 'tcp', Timeout => $timeout)
        or return { error => "cannot connect to 127.0.0.1:" . ($o{port} || port()) . ": $@" };
    binmode $sock;
    my $off = 0;
    while ($off < length $raw) {
        my $n = syswrite($sock, $raw, length($raw) - $off, $off);
        last unless $n;
        $off += $n;
    }
    shutdown($sock, 1) if $o{shutdown};
    my ($buf, $sel, $deadline) = ('', IO::Select->new($sock), time + $timeout);
    while (1) {
        my $left = $deadline - time;
        return { timeout => 1, raw => $buf } if $left <= 0 || !$sel->can_read($left);
        my $n = sysread($sock, $buf, 65536, length $buf);
        last unless $n;    # EOF or reset
    }
    close $sock;
    return { raw => $buf };
}

# Removes one response from $$bufref; returns {status, headers (lowercase names), body}.
sub parse_response {
    my $bufref = shift;
    $$bufref =~ s{\AHTTP/\d\.\d\s+(\d+)[^\n]*\n}{} or return;
    my %r = (status => $1, headers => {}, body => '');
    while ($$bufref =~ s/\A([^\n]*)\n//) {
        (my $line = $1) =~ s/\r\z//;
        last if $line eq '';
        my ($k, $v) = split /:\s*/, $line, 2;
        $k = lc $k;
        $r{headers}{$k} = exists $r{headers}{$k} ? "$r{headers}{$k}, $v" : $v;
    }
    my $h = $r{headers};
    if ($r{status} =~ /^(1|204|304)/) {
    } elsif (($h->{'transfer-encoding'} || '') =~ /chunked/i) {
        while ($$bufref =~ s/\A([0-9a-fA-F]+)[^\n]*\n//) {
            my $size = hex $1;
            if ($size == 0) { $$bufref =~ s/\A(?:[^\n]*\S[^\n]*\n)*\r?\n//; last }
            $r{body} .= substr($$bufref, 0, $size, '');
            $$bufref =~ s/\A\r?\n//;
        }
    } elsif (defined $h->{'content-length'}) {
        $r{body} = substr($$bufref, 0, $h->{'content-length'}, '');
    } else {
        ($r{body}, $$bufref) = ($$bufref, '');
    }
    return \%r;
}

# ---- block runner ----

sub run_tests {
    my @blocks = Test::Base::blocks();
    @blocks = shuffle @blocks unless $NoShuffle;
    for my $block (@blocks) {
        $_->($block) for @Preprocessors;
        run_block($block) for 1 .. $RepeatEach;
    }
    stop_nginx() unless $ENV{TEST_NGINX_NO_CLEAN};
}

sub run_block {
    my $block = shift;
    my $get   = sub { my $m = shift; $block->can($m) ? scalar $block->$m : undef };
    my $name  = $block->name;

    stop_nginx();
    write_conf(map { ($_ => $get->($_)) } qw(main_config http_config config log_level));

    if (defined(my $init = $get->('init'))) {
        unless (eval "package main; no strict; $init; 1") {
            $T->ok(0, "$name - init");
            $T->diag($@);
            return;
        }
    }

    my ($started, $out) = start_nginx();
    if (defined $get->('must_die')) {
        $T->ok(!$started, "$name - nginx failed to start (must_die)");
        stop_nginx() if $started;
        check_logs($block, $get, $name, $out . slurp(servroot() . '/logs/error.log'));
        return;
    }
    unless ($started) {
        $T->ok(0, "$name - nginx started");
        $T->diag($out);
        return;
    }

    my $more = $get->('more_headers');
    my (@reqs, $pipelined);
    if (defined(my $raw = $get->('raw_request'))) {
        @reqs = ref $raw ? @$raw : ($raw);
    } elsif (defined(my $pl = $get->('pipelined_requests'))) {
        @reqs = (join '', map { build_request($pl->[$_], $more, $_ < $#$pl) } 0 .. $#$pl);
        $pipelined = @$pl;
    } elsif (defined(my $r = $get->('request'))) {
        @reqs = map { build_request($_, $more) } (ref $r eq 'ARRAY' ? @$r : ($r));
    } else {
        $T->ok(0, "$name - no request section");
        return;
    }

    my $timeout = $get->('timeout');
    $timeout = (defined $timeout && $timeout =~ /^\s*([\d.]+)\s*(ms)?/) ? ($2 ? $1 / 1000 : $1) : 3;
    my $abort = defined $get->('abort');
    my @resps;
    for my $i (0 .. $#reqs) {
        my $res = http_exchange($reqs[$i], timeout => $timeout, shutdown => defined $get->('shutdown'));
        if ($res->{error}) {
            $T->ok(0, "$name - $res->{error}");
            next;
        }
        if ($res->{timeout}) {
            $T->ok(0, "$name - request timed out after ${timeout}s (req $i)") unless $abort;
            next;
        }
        my $buf = $res->{raw};
        for (1 .. ($pipelined || 1)) {
            my $p = parse_response(\$buf);
            $T->ok(0, "$name - malformed response (req $i): " . substr($res->{raw}, 0, 200)) unless $p;
            push @resps, $p if $p;
        }
    }
    for my $i (0 .. $#resps) {
        check_response($resps[$i], $get, $name . (@resps > 1 ? " (req $i)" : ''), $i);
    }
    my $wait = $get->('wait');
    sleep $wait if $wait;
    check_logs($block, $get, $name, slurp(servroot() . '/logs/error.log'));
}

sub pick { my ($v, $i) = @_; ref $v eq 'ARRAY' ? $v->[$i] : $v }

sub check_response {
    my ($r, $get, $name, $i) = @_;
    my $code = pick($get->('error_code'), $i);
    $code = 200 unless defined $code && $code =~ /\S/;
    $T->is_num($r->{status}, $code + 0, "$name - status code ok");

    for my $line (split /\n/, pick($get->('response_headers'), $i) // '') {
        next unless $line =~ /\S/;
        my ($k, $v) = $line =~ /^\s*!\s*([^:\s]+)/ ? ($1, '') : split /\s*:\s*/, $line, 2;
        $v = '' unless defined $v;
        $v =~ s/\s+\z//;
        if ($v eq '') {
            $T->ok(!defined $r->{headers}{lc $k}, "$name - header $k absent");
        } else {
            $T->is_eq($r->{headers}{lc $k}, $v, "$name - header $k ok");
        }
    }
    for my $line (split /\n/, pick($get->('response_headers_like'), $i) // '') {
        next unless $line =~ /\S/;
        my ($k, $re) = split /\s*:\s*/, $line, 2;
        $T->like($r->{headers}{lc $k} // '', qr/$re/s, "$name - header $k like ok");
    }
    my $body = pick($get->('response_body'), $i);
    $T->is_eq($r->{body}, $body, "$name - response_body - response is expected") if defined $body;
    if (defined(my $re = pick($get->('response_body_like'), $i))) {
        $T->like($r->{body}, ref $re ? $re : qr/$re/s, "$name - response_body_like - response is expected");
    }
    if (defined(my $re = pick($get->('response_body_unlike'), $i))) {
        $T->unlike($r->{body}, ref $re ? $re : qr/$re/s, "$name - response_body_unlike - response is expected");
    }
}

sub patterns {
    my $v = shift;
    return () unless defined $v;
    return map { patterns($_) } @$v if ref $v eq 'ARRAY';
    return $v if ref $v;
    return grep { /\S/ } split /\n/, $v;
}

sub check_logs {
    my ($block, $get, $name, $log) = @_;
    my @lines = split /\n/, $log;
    my $hit   = sub { my $p = shift; ref $p ? grep({ $_ =~ $p } @lines) : grep({ index($_, $p) >= 0 } @lines) };
    for my $p (patterns($get->('error_log'))) {
        $T->ok(scalar $hit->($p), "$name - pattern \"$p\" matches a line in error.log")
            or $T->diag("see " . servroot() . "/logs/error.log");
    }
    for my $p (patterns($get->('no_error_log'))) {
        my @found = $hit->($p);
        $T->ok(!@found, "$name - pattern \"$p\" does not match any line in error.log")
            or $T->diag("matched: $found[0]");
    }
}

sub slurp {
    open my $fh, '<', shift or return '';
    local $/;
    my $s = <$fh>;
    defined $s ? $s : '';
}

sub spew {
    my ($file, $text) = @_;
    open my $fh, '>', $file or die "cannot write $file: $!";
    print $fh $text;
    close $fh;
}

1;

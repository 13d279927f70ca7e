package Test::Nginx::SocketLite;

# Engine of our minimal Test::Nginx::Socket replacement (t/lib/Test/Nginx/Socket.pm).
# Written from the documented block format, and where the two could differ it
# does what the real Test::Nginx::Socket does (t/README.md lists the points).
# Plain package on purpose: no Spiffy source filter here (see t/README.md).
# Also used by t/AgentTest.pm (setup_servroot/write_conf/start_nginx/
# plain_request/http_exchange) for plain Test::More files, under either runner.

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
our $Timeout           = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $Sleep             = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $ForceRestart      = defined $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST} ? $ENV{TEST_NGINX_FORCE_RESTART_ON_TEST} : 1;
our $WorkerUser        = $ENV{TEST_NGINX_WORKER_USER};
our $NoRootLocation    = 0;
our $CheckAccumErrLog  = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG};
our @EnvToNginx;
our @Preprocessors;

my ($PrevConfig, $ErrLogPos) = (undef, 0);

# ---- settings (read lazily so that t/AgentTest.pm can set the env first) ----

sub servroot { File::Spec->rel2abs($ENV{TEST_NGINX_SERVROOT} || 't/servroot') }
sub port     { $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984 }
sub html_dir { servroot() . '/html' }

sub getset { my ($ref, @v) = @_; $$ref = $v[0] if @v; $$ref }

sub bail_out {
    stop_nginx();
    $T->BAIL_OUT(join '', @_);
}

# $TEST_NGINX_* variables; an undefined one is an error, as for the real one.
sub expand_env {
    my ($text, $name) = @_;
    return undef unless defined $text;
    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        defined $ENV{$1} ? $ENV{$1} : bail_out(($name ? "$name - " : '') . "No environment $1 defined.\n")
    }ge;
    $text;
}

# "0.3", "300ms", "2s" -> seconds
sub parse_time {
    my $t = shift;
    return undef unless defined $t;
    $t =~ s/^\s+|\s+$//g;
    return $1 / 1000 if $t =~ /^([\d.]+)ms$/;
    return $1 if $t =~ /^([\d.]+)s?$/;
    return $t;
}

# ---- server root and nginx process ----

# Empties the server root the way Test::Nginx::Socket does before it starts
# nginx: conf, html, logs, cache and the *_temp and *_cache directories go,
# then the directory itself, which must then be empty.  Returns an error
# message, or undef.
sub setup_servroot {
    my $root = servroot();
    if (-d $root) {
        remove_tree("$root/conf", glob("$root/*_cache"), glob("$root/*_temp"),
                    "$root/cache", "$root/html", "$root/logs");
        rmdir $root or return "Can't remove $root (not empty?): $!";
    }
    make_path("$root/logs", "$root/html", "$root/conf");
    spew("$root/html/index.html", "It works!\n");
    return undef;
}

sub write_conf {
    my %s       = @_;    # main_config http_config config log_level, and the settings below
    my $root    = servroot();
    my $port    = port();
    my $level   = $s{log_level} || $LogLevel;
    my $master  = $s{master_process} || $MasterProcess;
    my $workers = $s{workers} || $Workers;
    my $conns   = $s{worker_connections} || $WorkerConnections;
    my $noroot  = defined $s{no_root_location} ? $s{no_root_location} : $NoRootLocation;

    my $head = join '', map("load_module $_;\n", split ' ', $ENV{TEST_NGINX_LOAD_MODULES} || ''),
                        map("env $_;\n", @{ $s{env} || \@EnvToNginx });
    my $main = expand_env($s{main_config}) // '';
    my $http = expand_env($s{http_config}) // '';
    my $conf = expand_env($s{config}) // '';
    my $rootloc = $noroot ? '' : <<"EOF";
        location / {
            root $root/html;
            index index.html index.htm;
        }
EOF
    # workers run as root when nginx is started by root, as with the real one
    my $user = defined $WorkerUser ? "user $WorkerUser;\n" : $> == 0 ? "user root;\n" : '';
    spew("$root/conf/nginx.conf", <<"EOF");
worker_processes  $workers;
daemon on;
master_process $master;
error_log $root/logs/error.log $level;
pid       $root/logs/nginx.pid;
$user
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
    worker_connections  $conns;
}
EOF
}

# Starts nginx; returns (ok, startup output, exit status).
sub start_nginx {
    my $root = servroot();
    my $bin  = $ENV{TEST_NGINX_BINARY} || 'nginx';
    my $out  = "$root/logs/startup.out";
    my $rc   = system("$bin -p $root/ -c $root/conf/nginx.conf -e $root/logs/error.log >$out 2>&1");
    my $text = slurp($out);
    return (0, $text, $rc) if $rc != 0;
    for (1 .. 200) {    # the daemon writes the pid file after it has bound the port
        return (1, $text, 0) if nginx_pid();
        sleep 0.025;
    }
    return (0, "$text\nnginx did not write $root/logs/nginx.pid", 0);
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

# ---- requests ----

# "Key: value" lines -> (header text with CRLFs, chunked?); "#" lines are comments.
sub parse_more_headers {
    my $in = shift;
    my ($out, $chunked) = ('', 0);
    for my $h (split /\n+/, defined $in ? $in : '') {
        next if $h =~ /^\s*#/;
        my ($k, $v) = split /:\s*/, $h, 2;
        $v = '' unless defined $v;
        $chunked = 1 if lc $k eq 'transfer-encoding' && $v eq 'chunked';
        $out .= "$k: $v\r\n";
    }
    return ($out, $chunked);
}

# One request of a --- request or --- pipelined_requests section: "METHOD
# [/uri [HTTP/1.x]]" on the first line, the body after it.  As the real
# one: the body loses its leading and trailing white space and gets a
# Content-Length unless it is empty, chunked or more_headers has one; Host
# and Connection are added unless more_headers has them.  A request may be
# an array of packets (strings or {value, delay_before}): returns the list
# of packets, the headers in the first.  $conn: the Connection header
# ("close" by default, "keep-alive" for all but the last pipelined request).
sub build_request {
    my ($spec, $more_headers, $conn, $name) = @_;
    $conn = 'close' unless defined $conn;
    $name = '' unless defined $name;
    my @packets = map { ref $_ eq 'HASH' ? {%$_} : { value => $_ } } (ref $spec eq 'ARRAY' ? @$spec : ($spec));
    my $text = join '', map { $_->{value} } @packets;
    my ($hdr, $chunked) = parse_more_headers($more_headers);

    my ($first, $content) = split /\n/, $text, 2;
    $first   = '' unless defined $first;
    $content = '' unless defined $content;
    $first =~ /^\s*(\S+)(?: +(\S+))?(?: +(\S+))?\s*$/
        or bail_out("$name - Request line is not valid. Should be 'meth [url [version]]' but got \"$first\".");
    my ($method, $uri, $proto) = ($1, defined $2 ? $2 : '/', defined $3 ? $3 : 'HTTP/1.1');
    my $body = $content;
    my $len  = '';
    if (!$chunked && $content ne '' && $hdr !~ /(?:^|\n)Content-Length:/) {
        $body =~ s/^\s+|\s+$//gs;
        $len = 'Content-Length: ' . length($body) . "\r\n";
    }
    my $head = "$method $uri $proto\r\n";
    $head .= "Host: localhost\r\n" if $hdr !~ /(?:^|\n)Host:/i;
    $head .= "Connection: $conn\r\n" if $hdr !~ /(?:^|\n)Connection/i;
    $head .= "$hdr$len\r\n";
    return [{ %{ $packets[0] }, value => $head . $body }] if @packets == 1;

    # in packets: the request line is in the first one, the body keeps its split
    my $line = length($first) + 1;
    bail_out("$name - the request line must be in the first packet") if length($packets[0]{value}) < $line;
    bail_out("$name - a request in packets needs a body without leading or trailing white space")
        if $body ne $content;
    $packets[0]{value} = $head . substr($packets[0]{value}, $line);
    return \@packets;
}

# A request for plain Test::More files (t/AgentTest.pm's http_request):
# the body exactly as given, with its Content-Length.
sub plain_request {
    my ($method, $uri, $headers, $body) = @_;
    my $req = "$method $uri HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
    my $extra = join '', map { "$_: $headers->{$_}\r\n" } sort keys %{ $headers || {} };
    $req .= $extra;
    $body = '' unless defined $body;
    $req .= 'Content-Length: ' . length($body) . "\r\n"
        if (length $body || $method =~ /^(POST|PUT|PATCH)$/) && $extra !~ /^(Content-Length|Transfer-Encoding):/mi;
    return "$req\r\n$body";
}

# Sends the packets (a string, or [{value, delay_before}]), reads until EOF.
# The timeout is the longest wait between two I/O events, as for the real
# one.  Returns {raw => bytes}, {timeout => 1, raw => partial} or {error => ...}.
sub http_exchange {
    my ($req, %o) = @_;    # timeout, port, shutdown (the how of shutdown(2)), middle_delay
    my @packets = ref $req ? @$req : ({ value => $req });
    my $timeout = $o{timeout} || $Timeout;
    my $port    = $o{port} || port();
    local $SIG{PIPE} = 'IGNORE';
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                     Proto => 'tcp', Timeout => $timeout)
        or return { error => "cannot connect to 127.0.0.1:$port: $@" };
    binmode $sock;
    my $sent = 1;
    for my $i (0 .. $#packets) {
        my $p = $packets[$i];
        my $delay = defined $p->{delay_before} ? $p->{delay_before} : $i ? $o{middle_delay} : undef;
        sleep $delay if $delay;
        my ($raw, $off) = ($p->{value}, 0);
        while ($off < length $raw) {
            my $n = syswrite($sock, $raw, length($raw) - $off, $off);
            if (!$n) { $sent = 0; last }
            $off += $n;
        }
        last unless $sent;
    }
    shutdown($sock, $o{shutdown}) if $sent && defined $o{shutdown};
    my ($buf, $sel) = ('', IO::Select->new($sock));
    while (1) {
        return { timeout => 1, raw => $buf } unless $sel->can_read($timeout);
        my $n = sysread($sock, $buf, 65536, length $buf);
        last unless $n;    # EOF or reset
    }
    close $sock;
    return { raw => $buf };
}

# Removes one response from $$bufref; returns {status, headers (lowercase
# names), raw_headers, body}, or undef when there is no status line.
sub parse_response {
    my ($bufref, $head_req) = @_;
    my $raw_headers = $$bufref =~ /\A(.*?\r\n)\r\n/s ? $1 : '';
    $$bufref =~ s{\AHTTP/\d\.\d\s+(\d+)[^\n]*\n}{} or return;
    my %r = (status => $1, headers => {}, raw_headers => $raw_headers, body => '');
    while ($$bufref =~ s/\A([^\n]*)\n//) {
        (my $line = $1) =~ s/\r\z//;
        last if $line eq '';
        my ($k, $v) = split /:\s*/, $line, 2;
        $k = lc $k;
        $r{headers}{$k} = exists $r{headers}{$k} ? "$r{headers}{$k}, $v" : $v;
    }
    my $h = $r{headers};
    if ($head_req || $r{status} =~ /^(1|204|304)/) {
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
        $block->set_value(name => "$0 " . $block->name);
        run_block($block);
    }
    # like the real one, the last block's nginx keeps running until the end
    # of the file (or the next nginx_start of t/AgentTest.pm)
}

# Compiles a block's Perl section (init, post_setup_server_root) outside
# package main, under strict, as the real one does.
sub eval_section {
    my $code = shift;
    return eval "package Test::Nginx::SocketLite::Block; $code; 1";
}

sub run_block {
    my $block = shift;
    my $get   = sub { my $m = shift; $block->can($m) ? scalar $block->$m : undef };
    my $name  = $block->name;
    return if defined $get->('SKIP');

    # nginx restarts when the block has a config (the real one skips the
    # restart when it is unchanged and TEST_NGINX_FORCE_RESTART_ON_TEST=0);
    # a block without one is sent to the previous block's nginx
    my $config = expand_env($get->('config'), $name);
    my $restart;
    if (!defined $config) {
        bail_out("$name - No '--- config' section specified and could not get previous one. "
                 . "Use TEST_NGINX_NO_NGINX_MANAGER ?") unless defined $PrevConfig;
        $restart = 0;
    } else {
        $restart = !defined $PrevConfig || $config ne $PrevConfig || $ForceRestart;
    }

    # what a suite writes that the real one would silently not check
    for (['response_body', 'response_body_like'], ['response_body', 'response_body_unlike'],
         ['response_body_like', 'response_body_unlike'], ['response_headers', 'response_headers_like'],
         ['error_code', 'error_code_like']) {
        my ($a, $b) = @$_;
        $T->ok(0, "$name - --- $b is not checked by Test::Nginx::Socket when the block has --- $a: "
                  . "put it in a block of its own")
            if defined $get->($a) && defined $get->($b);
    }

    if ($restart) {
        $PrevConfig = $config;
        stop_nginx();
        if (defined(my $err = setup_servroot())) { bail_out($err) }
        if (defined(my $code = $get->('post_setup_server_root'))) {
            eval_section($code) or bail_out("$name - post_setup_server_root failed: $@");
        }
        write_conf(config => $config, map { ($_ => $get->($_)) } qw(main_config http_config log_level));
        $ErrLogPos = 0;
        if (defined(my $must_die = $get->('must_die'))) {
            for my $rep (0 .. $RepeatEach - 1) {
                my ($started, $out, $rc) = start_nginx();
                my $status = $rc >> 8;
                if ($must_die =~ /^\s*(\d+)\s*$/) {
                    $T->is_eq($status, $1, "$name - die with the expected exit code");
                } else {
                    $T->ok(!$started, "$name - die as expected");
                }
                check_logs($get, $name, $rep);
                stop_nginx() if $started;
            }
            return;
        }
        my ($started, $out);
        for my $try (1 .. 10) {    # a port still held by a process that is going away
            ($started, $out) = start_nginx();
            last if $started;
            sleep 0.1 * $try;
        }
        bail_out("$name - Cannot start nginx: $out") unless $started;
    }

    if (my $init = $get->('init')) {
        eval_section($init) or bail_out("$name - init failed: $@");
    }

    $ErrLogPos = 0;
    run_requests($block, $get, $name, $_) for 0 .. $RepeatEach - 1;
}

# Requests of one block: a list of requests, each a list of packets, and
# the number of responses expected on the last connection.
sub block_requests {
    my ($get, $name) = @_;
    my $more = $get->('more_headers');
    my $hdr  = sub { my $i = shift; return $more unless ref $more eq 'ARRAY';
                     defined $more->[$i] or bail_out("$name - --- more_headers lacks data for request $i");
                     $more->[$i] };
    if (defined(my $raw = $get->('raw_request'))) {
        return ([[map { { value => $_ } } (ref $raw eq 'ARRAY' ? @$raw : ($raw))]], 1);
    }
    if (defined(my $pl = $get->('pipelined_requests'))) {
        bail_out("$name - invalid entries in --- pipelined_requests") unless ref $pl eq 'ARRAY';
        my $all = join '', map {
            my $p = build_request(expand_env($pl->[$_], $name), $hdr->($_), $_ == $#$pl ? 'close' : 'keep-alive', $name);
            join '', map { $_->{value} } @$p
        } 0 .. $#$pl;
        return ([[{ value => $all }]], scalar @$pl);
    }
    my $r = $get->('request');
    bail_out("$name - request empty") unless defined $r;
    if (!ref $r) {
        1 while $r =~ s/^\s*#[^\n]+\s+|^\s+//gs;    # leading comments
        return ([build_request($r, $hdr->(0), 'close', $name)], 1);
    }
    return ([map { build_request($r->[$_], $hdr->($_), 'close', $name) } 0 .. $#$r], 1);
}

sub run_requests {
    my ($block, $get, $name, $rep) = @_;
    my ($reqs, $pipelined) = block_requests($get, $name);
    my $need_array = $get->('pipelined_requests') ? 1 : @$reqs > 1;
    my $timeout = parse_time($get->('timeout'));
    $timeout = $Timeout unless defined $timeout;
    my $shutdown = $get->('shutdown');
    $shutdown = 1 if defined $shutdown && $shutdown !~ /\S/;
    my $wait = $get->('wait');
    my $idx = 0;
    for my $i (0 .. $#$reqs) {
        my $head_req = $reqs->[$i][0]{value} =~ /^\s*HEAD\s+/;
        my $res = http_exchange($reqs->[$i], timeout => $timeout, shutdown => $shutdown,
                                middle_delay => parse_time($get->('raw_request_middle_delay')));
        $T->ok(0, "$name - $res->{error}") if $res->{error};
        $T->ok(0, "ERROR: client socket timed out - $name") if $res->{timeout} && !defined $get->('abort');
        my $buf = defined $res->{raw} ? $res->{raw} : '';
        for my $k (1 .. $pipelined) {
            my $r = parse_response(\$buf, $head_req);
            check_response($r, $get, $name, $idx, $need_array, $rep) unless defined $get->('ignore_response');
            if ($k < $pipelined || $i < $#$reqs) {    # the log of this request, before the next one
                sleep $wait if $wait;
                check_logs($get, $name, $rep);
            }
            $idx++;
        }
    }
    sleep $wait if $wait;
    check_logs($get, $name, $rep);
}

# The expectation for request $i: with several requests, every check must
# be an array with one element per request (the real one bails out too).
sub indexed {
    my ($name, $v, $i, $need_array) = @_;
    if ($need_array) {
        return $v->[$i] if ref $v eq 'ARRAY';
        bail_out("$name - You asked for many requests, the expected results should be arrays as well.");
    }
    return ref $v eq 'ARRAY' ? $v->[0] : $v;
}

sub check_response {
    my ($r, $get, $name, $i, $need_array, $rep) = @_;
    my $status = $r ? $r->{status} : '';
    if (defined(my $re = $get->('error_code_like'))) {
        $re = indexed($name, $re, $i, $need_array);
        $T->like($status, qr/$re/sm, "$name - status code ok");
    } elsif (defined(my $code = $get->('error_code'))) {
        $T->is_eq($status, indexed($name, $code, $i, $need_array), "$name - status code ok");
    } else {
        $T->is_eq($status, 200, "$name - status code ok");
    }

    my $raw_headers = $r ? $r->{raw_headers} : '';
    for (['raw_response_headers_like', 'like'], ['raw_response_headers_unlike', 'unlike']) {
        my ($sec, $cmp) = @$_;
        next unless defined(my $re = $get->($sec));
        $re = indexed($name, $re, $i, $need_array);
        $T->$cmp($raw_headers, qr/$re/s, "$name - raw resp headers $cmp");
    }

    my $port = port();
    if (defined(my $hs = $get->('response_headers'))) {
        for my $line (split /\n/, indexed($name, $hs, $i, $need_array)) {
            $line =~ s/^\s+|\s+$//g;
            next if $line eq '';
            my $neg = $line =~ s/^!\s*//;
            my ($k, $v) = $neg ? ($line, undef) : split /\s*:\s*/, $line, 2;
            if (!defined $v) {
                $T->unlike($raw_headers, qr/^\s*\Q$k\E\s*:/ms, "$name - header $k not present in the raw headers");
                next;
            }
            $v =~ s/\$ServerPort\b/$port/g;
            my $got = $r ? $r->{headers}{lc $k} : undef;
            $T->is_eq(defined $got ? $got : '', $v, "$name - header $k ok");
        }
    } elsif (defined(my $hl = $get->('response_headers_like'))) {
        for my $line (split /\n/, indexed($name, $hl, $i, $need_array)) {
            $line =~ s/^\s+|\s+$//g;
            next if $line eq '';
            my ($k, $re) = split /\s*:\s*/, $line, 2;
            $re = '' unless defined $re;
            my $got = $r ? $r->{headers}{lc $k} : undef;
            $T->like(defined $got ? $got : '', qr/^$re$/, "$name - header $k like ok");
        }
    }

    my $body = $r ? $r->{body} : undef;
    if (defined(my $exp = $get->('response_body'))) {
        $exp = indexed($name, $exp, $i, $need_array);
        if (defined $exp && !ref $exp) {
            $exp =~ s/\$ServerPort\b/$port/g;
            $exp = expand_env($exp, $name);
        }
        if (ref $exp) {
            $T->like($body, $exp, "$name - response_body - like (repeated req $rep, req $i)");
        } else {
            $T->is_eq($body, $exp, "$name - response_body - response is expected (repeated req $rep, req $i)");
        }
    } elsif (defined(my $like = $get->('response_body_like'))) {
        my $re = indexed($name, $like, $i, $need_array);
        $re =~ s/\$ServerPort\b/$port/g;
        $T->like($body, qr/$re/s, "$name - response_body_like - response is expected");
    } elsif (defined(my $unlike = $get->('response_body_unlike'))) {
        my $re = indexed($name, $unlike, $i, $need_array);
        $re =~ s/\$ServerPort\b/$port/g;
        $T->unlike($body, qr/$re/s, "$name - response_body_unlike - response is expected");
    }
}

# error.log lines written since the last check (all of them with
# check_accum_error_log), after a short wait for what nginx logs once the
# response is out.
sub error_log_lines {
    sleep $Sleep * 3;
    open my $fh, '<', servroot() . '/logs/error.log' or return [];
    seek $fh, $ErrLogPos, 0 if !$CheckAccumErrLog && $ErrLogPos > 0;
    my @lines = <$fh>;
    $ErrLogPos = tell $fh unless $CheckAccumErrLog;
    close $fh;
    return \@lines;
}

sub patterns {
    my $v = shift;
    return () unless defined $v;
    return @$v if ref $v eq 'ARRAY';
    return ($v) if ref $v;
    chomp(my $s = $v);
    return split /\n+/, $s;
}

sub fmt { my $s = shift; chomp $s; $s =~ s/"/\\"/g; $s =~ s/\r/\\r/g; $s =~ s/\n/\\n/g; $s }

# --- error_log and --- no_error_log against the part of error.log that
# belongs to this request (each request, and each repetition, has its own).
sub check_logs {
    my ($get, $name, $rep) = @_;
    my $lines = error_log_lines();
    my $hit = sub { my ($l, $p) = @_; ref $p ? $l =~ $p : index($l, $p) >= 0 };
    my @all = (patterns($get->('error_log')), patterns($get->('no_error_log')));
    for my $p (grep { defined } patterns($get->('error_log'))) {
        if (grep { $hit->($_, $p) } @$lines) {
            $T->ok(1, "$name - pattern \"$p\" matches a line in error.log (req $rep)");
        } else {
            $T->ok(0, "$name - pattern \"$p\" should match a line in error.log (req $rep)");
        }
    }
    for my $p (grep { defined } patterns($get->('no_error_log'))) {
        my ($found) = grep { $hit->($_, $p) } @$lines;
        if (defined $found) {
            $T->ok(0, "$name - pattern \"" . fmt($p) . "\" should not match any line in error.log but matches line \""
                      . fmt($found) . "\" (req $rep)");
        } else {
            $T->ok(1, "$name - pattern \"" . fmt($p) . "\" does not match a line in error.log (req $rep)");
        }
    }
    # like the real one: alerts are reported unless a pattern is about them
    # (and, unlike it, not the [emerg] of a must_die block), a failed
    # assertion of nginx fails the block
    for my $level (qw(alert crit emerg)) {
        next if grep { defined && !ref && index($_, "[$level") >= 0 } @all;
        next if $level eq 'emerg' && defined $get->('must_die');
        warn "WARNING: $name - " . fmt($_) . "\n" for grep { /\[$level\]/ } @$lines;
    }
    for (grep { /\bAssertion .*?failed\b/ } @$lines) {
        chomp(my $l = $_);
        $T->ok(0, "$name - $l");
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

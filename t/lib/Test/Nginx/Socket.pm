package Test::Nginx::Socket;

# Minimal stand-in for openresty's Test::Nginx::Socket (not packaged in Debian),
# written from its documented block format; where the two could differ it
# does what the real one does (t/README.md).  Used only when t/lib is on @INC
# (prove -It/lib); a real Test::Nginx on @INC instead is used otherwise.
# Spiffy's -Base filter adds "my $self = shift" to every named sub without a ()
# prototype, so this file only holds ()-prototyped entry points; the engine is
# the plain package Test::Nginx::SocketLite.

use Test::Base -Base;
use Test::Nginx::SocketLite ();

our @EXPORT = qw(run_tests repeat_each no_shuffle master_on master_off master_process_enabled
    workers worker_connections log_level env_to_nginx no_long_string no_root_location
    html_dir server_root server_port add_block_preprocessor check_accum_error_log timeout
    bail_out);

sub run_tests ()              { Test::Nginx::SocketLite::run_tests() }
sub repeat_each ()            { Test::Nginx::SocketLite::getset(\$Test::Nginx::SocketLite::RepeatEach, @_) }
sub workers ()                { Test::Nginx::SocketLite::getset(\$Test::Nginx::SocketLite::Workers, @_) }
sub worker_connections ()     { Test::Nginx::SocketLite::getset(\$Test::Nginx::SocketLite::WorkerConnections, @_) }
sub log_level ()              { Test::Nginx::SocketLite::getset(\$Test::Nginx::SocketLite::LogLevel, @_) }
sub timeout ()                { Test::Nginx::SocketLite::getset(\$Test::Nginx::SocketLite::Timeout, @_) }
sub no_shuffle ()             { $Test::Nginx::SocketLite::NoShuffle = 1 }
sub master_on ()              { $Test::Nginx::SocketLite::MasterProcess = 'on' }
sub master_off ()             { $Test::Nginx::SocketLite::MasterProcess = 'off' }
sub master_process_enabled () {
    $Test::Nginx::SocketLite::MasterProcess = $_[0] ? 'on' : 'off' if @_;
    $Test::Nginx::SocketLite::MasterProcess;
}
sub check_accum_error_log ()  { $Test::Nginx::SocketLite::CheckAccumErrLog = 1 }
sub no_root_location ()       { $Test::Nginx::SocketLite::NoRootLocation = 1 }
sub no_long_string ()         { 1 }
sub env_to_nginx ()           { push @Test::Nginx::SocketLite::EnvToNginx, @_ }
sub add_block_preprocessor () { unshift @Test::Nginx::SocketLite::Preprocessors, @_ }    # the last added runs first
sub html_dir ()               { Test::Nginx::SocketLite::html_dir() }
sub server_root ()            { Test::Nginx::SocketLite::servroot() }
sub server_port ()            { Test::Nginx::SocketLite::port() }
sub bail_out ()               { Test::Nginx::SocketLite::bail_out(@_) }

1;

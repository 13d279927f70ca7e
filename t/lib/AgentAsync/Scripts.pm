package AgentAsync::Scripts;

# The Redis scripts of the key contract, read from src/lua/*.lua: the very
# files the module and the worker are built from (scripts/gen-scripts), so
# that no copy can drift.
#
#   script_text('create_run')             the text
#   script_sha('create_run')              its SHA1, as SCRIPT LOAD answers
#   script_names()                        every script, sorted
#   run_script($cmd, 'create_run', \@keys, @argv)
#       EVAL through $cmd, a code ref that sends one command and returns
#       the reply (sub { $r->cmd(@_) })

use strict;
use warnings;
use Cwd qw(abs_path);
use Digest::SHA qw(sha1_hex);
use Exporter 'import';
use File::Basename qw(basename dirname);

our @EXPORT_OK = qw(script_text script_sha script_names run_script);

my $DIR = dirname(dirname(dirname(dirname(abs_path(__FILE__))))) . '/src/lua';
my %TEXT;

sub script_names {
    return sort map { basename($_, '.lua') } glob "$DIR/*.lua";
}

sub script_text {
    my ($name) = @_;
    return $TEXT{$name} //= do {
        open my $fh, '<:raw', "$DIR/$name.lua"
            or die "no script $DIR/$name.lua: $!\n";
        local $/;
        <$fh>;
    };
}

sub script_sha { sha1_hex(script_text($_[0])) }

sub run_script {
    my ($cmd, $name, $keys, @argv) = @_;
    return $cmd->('EVAL', script_text($name), scalar @$keys, @$keys, @argv);
}

1;

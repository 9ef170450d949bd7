# Helpers for wtsmgr's TAP tests: a node that preloads wtsmgr, and its
# status, locations and statistics as hashes.  Loaded with
#
#   use FindBin;
#   use lib $FindBin::RealBin;
#   use WtsmgrTest;
#
# Booleans come back as 't' or 'f' (as psql shows them), SQL NULL as
# undef.
package WtsmgrTest;

use strict;
use warnings FATAL => 'all';

use Config;
use Exporter 'import';
use JSON::PP ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

our @EXPORT = qw(wtsmgr_node wtsmgr_status wtsmgr_location wtsmgr_stats
  show_status skip_unless_atomic wal_write_zeroes_supported);

# wtsmgr_node(NAME, CONF, INIT_PARAMS...): a new node with wtsmgr in
# shared_preload_libraries and CONF (postgresql.conf lines) appended,
# started, with the extension created.  INIT_PARAMS go to init(); without
# any, init() copies the initdb template when INITDB_TEMPLATE is set.
sub wtsmgr_node
{
	my ($name, $conf, %init) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);

	$node->init(%init);
	$node->append_conf('postgresql.conf',
		"shared_preload_libraries = 'wtsmgr'\n" . ($conf // ''));
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION wtsmgr');
	return $node;
}

# The rows of QUERY as hashes, column name => value.
sub _rows
{
	my ($node, $query) = @_;
	my $out = $node->safe_psql('postgres',
		"SELECT row_to_json(r) FROM ($query) r");
	my @rows;

	foreach my $line (split /\n/, $out)
	{
		my $row = JSON::PP::decode_json($line);
		foreach my $v (values %$row)
		{
			$v = $v ? 't' : 'f' if JSON::PP::is_bool($v);
		}
		push @rows, $row;
	}
	return @rows;
}

# wtsmgr_status(NODE): the one row of the wtsmgr_status view.
sub wtsmgr_status
{
	my ($node) = @_;
	my @rows = _rows($node, 'SELECT * FROM wtsmgr_status');

	die "wtsmgr_status has " . scalar(@rows) . " rows" unless @rows == 1;
	return $rows[0];
}

# wtsmgr_location(NODE, TABLESPACE): the startup probe of a location
# ('pg_default' for PGDATA, else a tablespace OID); undef if none.
sub wtsmgr_location
{
	my ($node, $tablespace) = @_;
	my @rows = _rows($node,
		"SELECT * FROM wtsmgr_locations WHERE tablespace = '$tablespace'");

	return $rows[0];
}

# wtsmgr_stats(NODE, BACKEND_TYPE): that backend type's counters.  A type
# that wrote nothing has no row: its counters are then all 0.
sub wtsmgr_stats
{
	my ($node, $type) = @_;
	my @rows = _rows($node,
		"SELECT * FROM wtsmgr_stats WHERE backend_type = '$type'");

	return $rows[0] if @rows;
	my @cols = split /\|/,
	  $node->safe_psql('postgres',
		"SELECT string_agg(attname, '|' ORDER BY attnum) FROM pg_attribute "
		  . "WHERE attrelid = 'wtsmgr_stats'::regclass AND attnum > 0");
	my %zero = map { $_ => 0 } grep { $_ ne 'backend_type' && $_ ne 'stats_reset' } @cols;
	$zero{backend_type} = $type;
	return \%zero;
}

# skip_unless_atomic(NODE): where atomic writes are not proven (any
# kernel but ours), stop NODE and skip the whole test, with the reason.
# Returns NODE's wtsmgr_status otherwise.
sub skip_unless_atomic
{
	my ($node) = @_;
	my $status = wtsmgr_status($node);

	if ($status->{atomic_proven} ne 't')
	{
		$node->stop;
		Test::More::plan(skip_all =>
			  "atomic writes are not proven here ($status->{full_page_writes_reason})");
	}
	return $status;
}

# show_status(NODE, LABEL): print wtsmgr_status and wtsmgr_locations into
# the test's output, as psql shows them, for the record.
sub show_status
{
	my ($node, $label) = @_;

	foreach my $view ('wtsmgr_status', 'wtsmgr_locations')
	{
		my ($stdout, $stderr) = run_command(
			[
				'psql', '-X', '-x', '-d', $node->connstr('postgres'),
				'-c', "SELECT * FROM $view"
			]);
		diag("$label: SELECT * FROM $view;\n$stdout$stderr");
	}
}

# wal_write_zeroes_supported(DIR): whether fallocate(FALLOC_FL_WRITE_ZEROES)
# works on a new file in DIR, tried here independently of wtsmgr.  Returns
# 1 or 0, and the error.
sub wal_write_zeroes_supported
{
	my ($dir) = @_;
	my $file = "$dir/wtsmgr_test_write_zeroes.$$";
	my $FALLOC_FL_WRITE_ZEROES = 0x80;
	my $SYS_fallocate =
	    $Config{archname} =~ /^x86_64/ ? 285
	  : $Config{archname} =~ /^aarch64/ ? 47
	  :                                   undef;

	# elsewhere the test using this is skipped, not failed
	plan skip_all =>
	  "the fallocate system call number is not known for $Config{archname}"
	  unless defined $SYS_fallocate;
	open my $fh, '+>', $file or die "could not create $file: $!";
	my $r = syscall($SYS_fallocate, fileno($fh), $FALLOC_FL_WRITE_ZEROES,
		0, 1024 * 1024);
	my $err = $!;
	close $fh;
	unlink $file;
	return ($r == 0 ? 1 : 0, $r == 0 ? '' : "$err");
}

1;

#!/bin/bash
# Runs inside the guest, started by /sbin/wtsmgr-init: runs the command
# the host left in /wtsmgr/out/cmd from the repository's top folder and
# records its exit status in /wtsmgr/out/status for vm/run.sh.
OUT=/wtsmgr/out
export PATH=/usr/lib/postgresql/18/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8
export WTSMGR_OUT=$OUT WTSMGR_BUILD=/wtsmgr/build WTSMGR_SRC=/wtsmgr/src WTSMGR_GUEST=1

# The loopback interface starts down, and the root has no ip(8):
# SIOCGIFFLAGS/SIOCSIFFLAGS with IFF_UP from perl.  PostgreSQL's TAP
# framework needs 127.0.0.1 (PostgreSQL::Test::Cluster looks for a free
# port by binding there, and loops forever when it cannot).
perl -MSocket -e '
	socket(my $s, PF_INET, SOCK_DGRAM, 0) or die "socket: $!\n";
	my $ifr = pack("a16 x24", "lo");
	ioctl($s, 0x8913, $ifr) or die "SIOCGIFFLAGS lo: $!\n";
	my (undef, $flags) = unpack("a16 s", $ifr);
	ioctl($s, 0x8914, pack("a16 s x22", "lo", $flags | 1))
		or die "SIOCSIFFLAGS lo: $!\n";' ||
	echo "wtsmgr-guest: could not bring the loopback interface up" >&2

read -r up _ < /proc/uptime
echo "wtsmgr-guest: kernel $(uname -r), command starts ${up}s after boot"
if [ ! -r $OUT/cmd ]; then
	echo "wtsmgr-guest: no command in $OUT/cmd" >&2
	echo 125 > $OUT/status
	exit 0
fi
cd /wtsmgr/src
bash $OUT/cmd
rc=$?
echo $rc > $OUT/status
sync
exit 0

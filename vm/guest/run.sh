#!/bin/bash
# Runs inside the guest, started by /sbin/wtsmgr-init: runs the command
# the host left in /wtsmgr/out/cmd from the repository's top folder and
# records its exit status in /wtsmgr/out/status for vm/run.sh.
OUT=/wtsmgr/out
export PATH=/usr/lib/postgresql/18/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8
export WTSMGR_OUT=$OUT WTSMGR_BUILD=/wtsmgr/build WTSMGR_SRC=/wtsmgr/src WTSMGR_GUEST=1

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

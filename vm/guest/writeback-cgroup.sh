#!/bin/bash
# Guest suite: writeback contexts next to cgroup writeback.  Needs the
# kernel variant with CONFIG_CGROUP_WRITEBACK (the default guest kernel
# has no cgroups):
#
#   KERNEL_VARIANT=cgwb kernel/build.sh
#   vm/run.sh --kernel $WTSMGR_CACHE/kernel/bzImage-cgwb -- vm/guest/writeback-cgroup.sh
#
# With cgroup v2 and its memory and io controllers on, inodes dirtied
# from the root cgroup are spread over the device's writeback contexts
# and inodes dirtied from a child memory cgroup go to that cgroup's wb
# (one context of its own, not spread); the writeback suite passes from
# the root cgroup; sync writes both back (checked on the device after a
# shutdown).
. "$(dirname "$0")/testlib.sh"

DEV=nvme0n1
MNT=/mnt/wbcg
B=/sys/block/$DEV/bdi
CG=/sys/fs/cgroup
STATS=/sys/kernel/debug/bdi/$(cat /sys/block/$DEV/dev)/wb_stats

check "the kernel has cgroup writeback (CONFIG_CGROUP_WRITEBACK)" \
	sh -c "zcat /proc/config.gz | grep -qx CONFIG_CGROUP_WRITEBACK=y"
mountpoint -q $CG || mount -t cgroup2 none $CG
check "cgroup v2 with the memory and io controllers for child cgroups" \
	sh -c "echo '+memory +io' > $CG/cgroup.subtree_control && mkdir -p $CG/wbtest"
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug

note "the writeback suite from the root cgroup"
log=$(mktemp)
WB_SKIP_WT=1 "$(dirname "$0")/writeback.sh" >$log 2>&1
grep -E '^not ok' $log
add_suite $log writeback.sh
rm -f $log

note "files dirtied from a child memory cgroup and from the root"
mkdir -p $MNT
check "mkfs.xfs" mkfs.xfs -f -q /dev/$DEV
check "mount" mount /dev/$DEV $MNT
echo 4 > $B/writeback_contexts
sysctl -q vm.dirty_writeback_centisecs=0 vm.dirty_expire_centisecs=360000 \
	vm.dirty_background_ratio=50 vm.dirty_ratio=80
head -c 4M /dev/urandom > /tmp/wbcg-src
sum_dirty() { awk '{for (i = 1; i <= NF; i++) s += $i} END {print s + 0}' $B/writeback_contexts_dirty; }
before=$(sum_dirty)
bash -c "echo \$\$ > $CG/wbtest/cgroup.procs; for i in 0 1 2 3 4 5 6 7; do cat /tmp/wbcg-src > $MNT/c\$i; done"
check_eq "8 files dirtied in the child cgroup are in none of the device's contexts" \
	"$before" "$(sum_dirty)"
check_ge "a cgroup wb beside the device's own contexts (debugfs wb_stats: a WbCgIno other than 1)" \
	1 "$(grep WbCgIno $STATS | awk '$2 != 1' | wc -l)"
for i in 0 1 2 3; do cat /tmp/wbcg-src > $MNT/r$i; done
check_eq "4 files dirtied in the root cgroup are in the contexts" \
	$((before + 4)) "$(sum_dirty)"
check "sync" sync
check "shutdown without flushing, mount again" \
	sh -c "xfs_io -x -c shutdown $MNT && umount $MNT && mount /dev/$DEV $MNT"
verify_all() {
	local f
	for f in $MNT/c? $MNT/r?; do cmp /tmp/wbcg-src $f || return 1; done
}
check "every file of both is whole on the device" verify_all
umount $MNT
echo 1 > $B/writeback_contexts
check_eq "no hung task, no kernel warning" 0 \
	"$(dmesg | grep -c -E 'blocked for more than|WARNING:|BUG:')"
finish

#!/bin/bash
# Boot our kernel with the guest root under QEMU and run one command in
# it.  The command's output streams to stdout; its exit status becomes
# ours.  The VM always powers off: at the end of the command, on a
# kernel panic, or when the timeout expires.
#
# Usage: vm/run.sh [options] [--] COMMAND...
#   COMMAND runs in bash from the repository's top folder (read-only in
#   the guest, at /wtsmgr/src); results go to $WTSMGR_OUT (/wtsmgr/out).
#
# Options:
#   --kernel PATH    bzImage to boot (default: our build)
#   --out DIR        host folder shared read-write as /wtsmgr/out
#                    (default: a fresh folder under $WTSMGR_CACHE/runs)
#   --timeout SEC    power off after SEC seconds (default 3600)
#   --mem MB         guest memory (default 4096)
#   --prealloc       QEMU allocates all guest memory on the host at start
#                    (-mem-prealloc): otherwise the host allocates a guest
#                    page when the guest first touches it, which under TCG
#                    makes the guest's first use of each page far dearer
#                    (benchmarks use it)
#   --smp N          guest CPUs (default: the host's)
#   --no-atomic      the NVMe namespace advertises no atomic writes
#   --write-cache on|off  set the NVMe namespaces' volatile write cache
#                    (QEMU nvme-ns write-cache=on|off); without it QEMU's
#                    default (auto: the drive's, here a write-back cache)
#   --accel tcg|kvm  default: kvm where the CPU has vmx/svm, else tcg
#   --cpu MODEL      TCG only: QEMU's -cpu (default max), e.g. max,-fsrm,-erms
#                    (ignored under KVM, with a note)
#   --plugin SO[,ARG=VAL...]  load a TCG plugin (host path; ignored under
#                    KVM, with a note): e.g. the benchmark's instruction
#                    counter, whose files live under /wtsmgr/out
#   --icount SHIFT   TCG only: count instructions (QEMU -icount shift=SHIFT,
#                    sleep=on), so guest time advances 2^SHIFT ns per
#                    executed instruction and guest CPU time is an
#                    instruction count; runs the vCPUs on one host thread
#   --scratch FILE   use FILE (a raw image on the host, kept) as /dev/vdb
#                    instead of a fresh empty 2 GiB disk
#   --throttle BPS,IOPS  add a second NVMe device like the first (serial
#                    wtsmgr1), throttled with QEMU block throttling
#                    (throttling.bps-total, throttling.iops-total; 0 = no
#                    limit on that one): a provisioned cloud volume
#   --throttle-ctl   the same second NVMe device (without --throttle:
#                    unthrottled at boot), whose limits the guest sets
#                    while it runs: it writes "BPS IOPS" (0 = no limit;
#                    "0 0" lifts the throttle) to /wtsmgr/out/throttle.ctl;
#                    the host applies them through a QMP socket
#                    (block_set_io_throttle), reads them back, writes
#                    "ok BPS IOPS" or "error TEXT" to throttle.reply,
#                    removes throttle.ctl and appends a line to
#                    throttle.log (host time in ms, BPS, IOPS, result).
#                    bench/guest/lib.sh throttle_set does this and waits.
#                    Used to throttle only after data was copied onto
#                    the device.
#
# Devices in the guest:
#   /dev/vda      root (snapshot: changes are thrown away)
#   /dev/vdb      2 GiB virtio scratch disk (no atomic writes)
#   /dev/nvme0n1  8 GiB NVMe namespace, 4 KiB blocks, power-fail atomic
#                 writes up to 64 KiB (NAWUPF=15)
#   /dev/nvme1n1  with --throttle only: the same, throttled (find it by
#                 its serial, /sys/block/*/device/serial = wtsmgr1)
#   /dev/sda      scsi_debug, 1 GiB in RAM, 4 KiB sectors, WRITE ATOMIC
#                 up to 64 KiB, WRITE SAME with unmap
#
# Exit status: the command's; 124 on timeout; 125 when the guest ended
# without recording one (panic, boot failure).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

kernel=$KERNEL_DIR/bzImage
out=
timeout=3600
mem=4096
prealloc=0
smp=$(nproc)
atomic=1
accel=
cpu_model=max
cpu_given=0
plugin=
icount=
throttle=
scratch=
throttle_ctl=0
write_cache=
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2;;
	--out) out=$2; shift 2;;
	--timeout) timeout=$2; shift 2;;
	--mem) mem=$2; shift 2;;
	--prealloc) prealloc=1; shift;;
	--smp) smp=$2; shift 2;;
	--no-atomic) atomic=0; shift;;
	--write-cache) write_cache=$2; shift 2;;
	--accel) accel=$2; shift 2;;
	--cpu) cpu_model=$2; cpu_given=1; shift 2;;
	--plugin) plugin=$2; shift 2;;
	--icount) icount=$2; shift 2;;
	--throttle) throttle=$2; shift 2;;
	--throttle-ctl) throttle_ctl=1; shift;;
	--scratch) scratch=$2; shift 2;;
	--) shift; break;;
	-*) die "unknown option $1 (see the top of $0)";;
	*) break;;
	esac
done
[ $# -gt 0 ] || die "no command given (usage: vm/run.sh [options] [--] COMMAND...)"
[ "$(id -u)" = 0 ] || die "must run as root (chroot for sid's QEMU)"
[ -f "$kernel" ] || die "no kernel at $kernel (run kernel/build.sh)"
[ -f "$ROOT_DIR/root.img" ] || die "no guest root (run vm/build-root.sh)"
case "$timeout$mem$smp" in *[!0-9]*) die "--timeout, --mem and --smp take numbers";; esac
case "$write_cache" in ''|on|off) ;; *) die "--write-cache takes on or off";; esac
case "$icount" in ''|[0-9]|10) ;; *) die "--icount takes a shift from 0 to 10";; esac
case "$throttle" in ''|[0-9]*,[0-9]*) ;; *) die "--throttle takes BPS,IOPS (numbers)";; esac
case "${throttle#*,}" in *[!0-9]*) die "--throttle takes BPS,IOPS (numbers)";; esac
case "${throttle%%,*}" in *[!0-9]*) die "--throttle takes BPS,IOPS (numbers)";; esac

[ -n "$accel" ] || accel=$(default_accel)
case "$accel" in
kvm) accel_opts=(-accel kvm -cpu host)
	[ $cpu_given = 0 ] || log "note: under KVM the guest gets the host's CPU; --cpu $cpu_model ignored";;
tcg) accel_opts=(-accel tcg,thread=multi -cpu "$cpu_model");;
*) die "--accel takes tcg or kvm";;
esac
if [ -n "$icount" ]; then
	[ "$accel" = tcg ] || die "--icount needs TCG (--accel tcg)"
	# -icount does not run with multi-threaded TCG.
	accel_opts=(-accel tcg,thread=single -cpu "$cpu_model" -icount "shift=$icount,sleep=on")
fi

mkdir -p "$WTSMGR_CACHE/runs" "$WTSMGR_CACHE/build"
run=$(mktemp -d "$WTSMGR_CACHE/runs/run.XXXXXX")
watcher=
trap '[ -z "$watcher" ] || kill "$watcher" 2>/dev/null; rm -rf "$run"' EXIT
[ -n "$out" ] || out=$run/out
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/status" "$out/throttle.ctl" "$out/throttle.ctl.tmp" "$out/throttle.reply"
printf '%q ' "$@" > "$out/cmd"
echo >> "$out/cmd"
cp "$kernel" "$run/bzImage"
# A plugin is copied beside the kernel: QEMU runs in the chroot and sees
# this folder as /wtsmgr/run.
plugin_opts=()
if [ -n "$plugin" ]; then
	[ -f "${plugin%%,*}" ] || die "no plugin at ${plugin%%,*}"
	if [ "$accel" = tcg ]; then
		cp "${plugin%%,*}" "$run/plugin.so"
		args=${plugin#"${plugin%%,*}"}
		plugin_opts=(-plugin "/wtsmgr/run/plugin.so$args")
	else
		log "note: TCG plugins do not run under KVM; --plugin ignored"
	fi
fi
truncate -s 2G "$run/scratch.img"
if [ -n "$scratch" ]; then
	[ -f "$scratch" ] || die "no scratch image at $scratch"
	scratch=$(cd "$(dirname "$scratch")" && pwd)/$(basename "$scratch")
fi
truncate -s 8G "$run/nvme.img"

nvme_ns="nvme-ns,drive=nvm,bus=nvme0,nsid=1,logical_block_size=4096,physical_block_size=4096"
[ $atomic = 1 ] && nvme_ns="$nvme_ns,atomic.nawun=15,atomic.nawupf=15"
[ -z "$write_cache" ] || nvme_ns="$nvme_ns,write-cache=$write_cache"
throttled=()
if [ -n "$throttle" ] || [ $throttle_ctl = 1 ]; then
	truncate -s 8G "$run/nvme1.img"
	drive1="file=/wtsmgr/run/nvme1.img,if=none,id=nvm1,format=raw,cache=unsafe"
	if [ -n "$throttle" ]; then
		[ "${throttle%%,*}" = 0 ] || drive1="$drive1,throttling.bps-total=${throttle%%,*}"
		[ "${throttle#*,}" = 0 ] || drive1="$drive1,throttling.iops-total=${throttle#*,}"
	fi
	throttled=(-drive "$drive1" -device nvme,id=nvme1,serial=wtsmgr1
		-device "${nvme_ns/drive=nvm,bus=nvme0/drive=nvm1,bus=nvme1},id=nvmns1")
fi
# --throttle-ctl: QEMU's QMP socket (in the run folder, which QEMU sees
# as /wtsmgr/run) and a host-side watcher of the guest's requests.
qmp_opts=()
[ $throttle_ctl = 0 ] || qmp_opts=(-qmp unix:/wtsmgr/run/qmp.sock,server=on,wait=off)

# throttle_apply SOCKET BPS IOPS: set the throttled NVMe device's limits
# through QMP and read them back; prints "ok BPS IOPS" or "error TEXT".
throttle_apply() {
	python3 - "$@" <<'PY'
import json, socket, sys
path, bps, iops = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(path)
    f = s.makefile("rw")
    def call(cmd, args=None):
        msg = {"execute": cmd}
        if args is not None:
            msg["arguments"] = args
        f.write(json.dumps(msg) + "\n")
        f.flush()
        while True:                      # skip asynchronous events
            reply = json.loads(f.readline())
            if "return" in reply or "error" in reply:
                break
        if "error" in reply:
            raise RuntimeError(f"{cmd}: {reply['error'].get('desc')}")
        return reply["return"]
    json.loads(f.readline())             # the greeting
    call("qmp_capabilities")
    call("block_set_io_throttle", {"id": "nvmns1", "bps": bps, "bps_rd": 0, "bps_wr": 0,
                                   "iops": iops, "iops_rd": 0, "iops_wr": 0})
    got = None
    for dev in call("query-block"):
        if dev.get("qdev", "").endswith("nvmns1") or dev.get("device") == "nvm1":
            ins = dev.get("inserted", {})
            got = (ins.get("bps", 0), ins.get("iops", 0))
    if got != (bps, iops):
        raise RuntimeError(f"read back {got}, asked for {(bps, iops)}")
    print(f"ok {bps} {iops}")
except Exception as e:                   # reported to the guest
    print(f"error {e}")
PY
}
if [ $throttle_ctl = 1 ]; then
	(
		while sleep 0.2; do
			[ -e "$out/throttle.ctl" ] || continue
			req=$(cat "$out/throttle.ctl" 2>/dev/null || true)
			case "$req" in
			[0-9]*\ [0-9]*) reply=$(throttle_apply "$run/qmp.sock" $req);;
			*) reply="error bad request '$req' (BPS IOPS)";;
			esac
			echo "$(date +%s%3N) $req $reply" >> "$out/throttle.log"
			echo "$reply" > "$out/throttle.reply"
			rm -f "$out/throttle.ctl"
		done
	) &
	watcher=$!
fi

append="console=ttyS0 root=/dev/vda rw init=/sbin/wtsmgr-init panic=-1 oops=panic"
append="$append loglevel=4 nokaslr"
append="$append scsi_debug.dev_size_mb=1024 scsi_debug.sector_size=4096"
append="$append scsi_debug.atomic_wr=1 scsi_debug.atomic_wr_gran=1"
append="$append scsi_debug.atomic_wr_align=1 scsi_debug.atomic_wr_max_length=16"
append="$append scsi_debug.lbpws=1"

# Under TCG the guest's TSC is the host's, but the guest kernel (no ACPI,
# so no HPET or PM timer to compare with) cannot calibrate it against the
# emulated PIT on a slow host: it then marks the TSC unstable and keeps
# time with jiffies, whose clock moves in whole ticks (4 ms), which makes
# every latency a guest measures and the scheduler's run times tick
# samples.  So it is told the host's TSC frequency (vm/host/tsc-khz.c)
# and that the TSC is reliable.  Not with -icount, whose TSC is virtual.
if [ "$accel" = tcg ] && [ -z "$icount" ]; then
	tsc_bin=$WTSMGR_CACHE/build/tsc-khz
	if [ ! -x "$tsc_bin" ] || [ "$REPO/vm/host/tsc-khz.c" -nt "$tsc_bin" ]; then
		gcc -O2 -o "$tsc_bin.$$" "$REPO/vm/host/tsc-khz.c" && mv "$tsc_bin.$$" "$tsc_bin" ||
			log "note: could not build vm/host/tsc-khz.c"
	fi
	if tsc_khz=$("$tsc_bin" 2>/dev/null) && [ -n "$tsc_khz" ]; then
		append="$append tsc_early_khz=$tsc_khz tsc=reliable"
	else
		log "note: the host's TSC does not tick at a constant rate: the guest may keep time with jiffies"
	fi
fi

# Firmware: qboot where the root has it.  SeaBIOS, QEMU's default, builds
# the MP table from the CPUs it counted at boot, and under TCG it counts
# only the boot CPU; our kernel has no ACPI and takes its CPUs from the MP
# table, so with SeaBIOS a guest given -smp 2 ran on one CPU.  qboot lists
# every CPU QEMU has (and boots a little faster).
prealloc_opts=()
[ $prealloc = 0 ] || prealloc_opts=(-mem-prealloc)
firmware_opts=()
[ ! -f "$ROOT_DIR/dir/usr/share/qemu/qboot.rom" ] ||
	firmware_opts=(-bios /usr/share/qemu/qboot.rom)
echo "$smp" > "$out/smp"

# Inside the sid root (QEMU 11.1), under a private mount namespace so the
# bind mounts vanish with it.
M=/wtsmgr
qemu=(qemu-system-x86_64 -nodefaults -display none -no-reboot "${firmware_opts[@]}"
	"${accel_opts[@]}" -smp "$smp" -m "$mem" "${prealloc_opts[@]}"
	-serial stdio -monitor none "${qmp_opts[@]}" "${plugin_opts[@]}"
	-kernel $M/run/bzImage -append "$append"
	-drive file=$M/root.img,if=virtio,format=raw,snapshot=on,readonly=off
	-drive file=$M/run/scratch.img,if=virtio,format=raw,cache=unsafe
	-drive file=$M/run/nvme.img,if=none,id=nvm,format=raw,cache=unsafe
	-device nvme,id=nvme0,serial=wtsmgr0
	-device "$nvme_ns" "${throttled[@]}"
	-virtfs local,path=$M/src,mount_tag=src,security_model=none,readonly=on
	-virtfs local,path=$M/build,mount_tag=build,security_model=none,readonly=on
	-virtfs local,path=$M/out,mount_tag=out,security_model=none)

log "booting $(cat "$KERNEL_DIR/kernel.release" 2>/dev/null || basename "$kernel") ($accel${icount:+ icount shift=$icount}, $smp CPUs, ${mem} MB${write_cache:+, NVMe write cache $write_cache}${throttle:+, throttled NVMe $throttle B/s,IOPS}$([ $throttle_ctl = 0 ] || echo ', NVMe throttle set by the guest'), timeout ${timeout}s)"
export WTSMGR_SRC_HOST=$REPO WTSMGR_BUILD_HOST=$WTSMGR_CACHE/build
export WTSMGR_OUT_HOST=$out WTSMGR_RUN_HOST=$run WTSMGR_IMG_HOST=$ROOT_DIR/root.img
export WTSMGR_SCRATCH_HOST=$scratch
start=$(now)
rc=0
timeout --foreground -k 10 "$timeout" \
unshare --mount --propagation private bash -c '
	set -e
	root=$1 M=$2; shift 2
	mount -t tmpfs wtsmgr "$root$M"
	for d in src build out run; do mkdir "$root$M/$d"; done
	touch "$root$M/root.img"
	mount --bind "$WTSMGR_SRC_HOST" "$root$M/src"
	mount --bind "$WTSMGR_BUILD_HOST" "$root$M/build"
	mount --bind "$WTSMGR_OUT_HOST" "$root$M/out"
	mount --bind "$WTSMGR_RUN_HOST" "$root$M/run"
	mount --bind -o ro "$WTSMGR_IMG_HOST" "$root$M/root.img"
	[ -z "$WTSMGR_SCRATCH_HOST" ] || mount --bind "$WTSMGR_SCRATCH_HOST" "$root$M/run/scratch.img"
	mount --rbind /dev "$root/dev"
	mount -t proc proc "$root/proc"
	exec chroot "$root" "$@"' \
	bash "$ROOT_DIR/dir" "$M" "${qemu[@]}" </dev/null |
	sed -u 's/\r$//' || rc=$?

if [ $rc = 124 ]; then
	log "timeout: the guest was stopped after ${timeout}s"
	exit 124
elif [ $rc != 0 ]; then
	log "QEMU failed (exit $rc)"
	exit 125
elif [ ! -s "$out/status" ]; then
	log "the guest ended without recording an exit status (panic or boot failure?)"
	exit 125
fi
status=$(cat "$out/status")
log "guest finished in $(elapsed "$start") with exit status $status"
exit "$status"

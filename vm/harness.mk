# Harness targets, included by the top-level Makefile when one of them is
# asked for (the PGXS part is then left out, so that PGXS's own "check"
# target cannot clash with ours).
#
#   make check   build what is missing, boot our kernel under QEMU and run
#                the default test suites in the guest (needs root)
#   make check-world   the same, plus PostgreSQL's core regression suite
#                against a server running wtsmgr, in the guest (long)
#   make bench   the main job: pgbench comparison on our kernel
#   make crash   the full power-cut crash campaign (crash/crash.sh)
#   make kernel  build the guest kernel only
#   make root    build the guest root only
#   make vm CMD="..."   boot the guest and run CMD in it

.PHONY: check check-world bench crash kernel root vm setup

check:
	vm/check.sh $(SUITES)

# "world" is the default guest suites and "core"; the guest gets 3 hours.
check-world:
	CHECK_TIMEOUT=$${CHECK_TIMEOUT:-10800} vm/check.sh world

# Settings as make or environment variables (BENCH, BENCH_CONFIGS,
# BENCH_SCALE, BENCH_DURATION, BENCH_CLIENTS, BENCH_DEVICE, ...): see
# bench/bench.sh --help.
bench:
	BENCH_COMMAND="make bench" bench/bench.sh

# Settings as make or environment variables (CRASH_POINTS, CRASH_PG_POINTS,
# CRASH_SEED, ...): see crash/crash.sh --help.
crash:
	crash/crash.sh

setup:
	vm/setup-host.sh

kernel: setup
	kernel/build.sh

root: setup
	vm/build-root.sh

vm:
	vm/run.sh -- $(or $(CMD),uname -a)

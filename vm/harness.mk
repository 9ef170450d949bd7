# Harness targets, included by the top-level Makefile when one of them is
# asked for (the PGXS part is then left out, so that PGXS's own "check"
# target cannot clash with ours).
#
#   make check   build what is missing, boot our kernel under QEMU and run
#                every test suite in the guest (needs root)
#   make bench   the main job: pgbench comparison on our kernel
#   make kernel  build the guest kernel only
#   make root    build the guest root only
#   make vm CMD="..."   boot the guest and run CMD in it

.PHONY: check bench kernel root vm setup

check:
	vm/check.sh $(SUITES)

# Settings as make or environment variables (BENCH, BENCH_CONFIGS,
# BENCH_SCALE, BENCH_DURATION, BENCH_CLIENTS, BENCH_DEVICE, ...): see
# bench/bench.sh --help.
bench:
	BENCH_COMMAND="make bench" bench/bench.sh

setup:
	vm/setup-host.sh

kernel: setup
	kernel/build.sh

root: setup
	vm/build-root.sh

vm:
	vm/run.sh -- $(or $(CMD),uname -a)

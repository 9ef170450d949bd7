# wtsmgr: top-level Makefile.
#
# Harness (vm/harness.mk; needs root, runs on the host):
#   make check   build what is missing, boot our kernel under QEMU and run
#                the default test suites in the guest
#   make check-world   the same, plus PostgreSQL's core regression suite
#                against a server running wtsmgr (long under TCG)
#   make bench   the main job: pgbench comparison on our kernel
#   make crash   the full power-cut crash campaign
#   make kernel  build the guest kernel only
#   make root    build the guest root only
#   make vm CMD="..."   boot the guest and run CMD in it
#
# The PostgreSQL extension (PGXS, against the PostgreSQL that pg_config
# names; run as a user other than root for the tests):
#   make [PG_CONFIG=.../pg_config]
#   make install
#   make installcheck    pg_regress (temporary instance) and TAP tests

HARNESS_GOALS = check check-world bench crash setup kernel root vm

ifneq ($(filter $(HARNESS_GOALS),$(MAKECMDGOALS)),)
include vm/harness.mk
else

include objs.mk

REGRESS_OPTS = --temp-config=$(srcdir)/test/regress.conf \
	--temp-instance=./tmp_check_regress

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

endif

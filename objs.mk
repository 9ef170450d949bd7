# The module's objects, data and tests: one list for both builds, the
# PGXS one (Makefile) and the in-tree one as contrib/wtsmgr
# (contrib_wtsmgr/Makefile, copied there with this file by
# contrib_wtsmgr/build.sh).  Included by both.

MODULE_big = wtsmgr
OBJS = \
	$(WIN32RES) \
	src/async_writes.o \
	src/fpw.o \
	src/nvme.o \
	src/probe.o \
	src/rebind.o \
	src/sql_funcs.o \
	src/stats.o \
	src/write_path.o \
	src/wtsmgr.o

EXTENSION = wtsmgr
DATA = sql/wtsmgr--1.0.sql sql/wtsmgr--1.0--1.1.sql sql/wtsmgr--1.1--1.2.sql \
	sql/wtsmgr--1.2--1.3.sql
PGFILEDESC = "wtsmgr - atomic write-through data writes for PostgreSQL"

PG_CPPFLAGS = -I$(srcdir)/include

# libnvme (Debian's libnvme-dev), optional: the NVMe Identify fields of
# wtsmgr_locations.  WTSMGR_LIBNVME=no builds without it.
ifneq ($(WTSMGR_LIBNVME),no)
ifeq ($(shell pkg-config --exists libnvme 2>/dev/null && echo yes),yes)
PG_CPPFLAGS += -DWTSMGR_HAVE_LIBNVME $(shell pkg-config --cflags libnvme)
SHLIB_LINK += $(shell pkg-config --libs libnvme)
endif
endif

# liburing (Debian's liburing-dev), optional: asynchronous data writes
# (src/async_writes.c).  WTSMGR_LIBURING=no builds without it.
ifneq ($(WTSMGR_LIBURING),no)
ifeq ($(shell pkg-config --exists liburing 2>/dev/null && echo yes),yes)
PG_CPPFLAGS += -DWTSMGR_HAVE_LIBURING $(shell pkg-config --cflags liburing)
SHLIB_LINK += $(shell pkg-config --libs liburing)
endif
endif

# The tests need wtsmgr in shared_preload_libraries: pg_regress runs on a
# temporary instance with test/regress.conf (each Makefile says how).
REGRESS = wtsmgr_guc wtsmgr_status wtsmgr_probe wtsmgr_stats
TAP_TESTS = 1

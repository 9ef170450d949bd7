/*-------------------------------------------------------------------------
 *
 * wtsmgr.c
 *	  Module initialisation and configuration of the wtsmgr extension.
 *
 * wtsmgr routes PostgreSQL's relation page writes through buffered
 * atomic write-through (pwritev2 with RWF_WRITETHROUGH | RWF_ATOMIC),
 * zeroes new WAL segments with fallocate(FALLOC_FL_WRITE_ZEROES), and
 * turns full_page_writes off only when atomic writes have been proven on
 * every location that holds relation data.
 *
 * Everything is set up in the postmaster, from _PG_init, before any child
 * process exists: the children inherit the write path, the probe results
 * and the full_page_writes decision.  The library therefore works only
 * from shared_preload_libraries.
 *
 * src/wtsmgr.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>

#include "access/xlog.h"
#include "catalog/pg_control.h"
#include "common/controldata_utils.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "wtsmgr.h"

#if PG_VERSION_NUM / 10000 != WTSMGR_SUPPORTED_MAJOR
#define WTSMGR_UNSUPPORTED_MAJOR 1
#endif

PG_MODULE_MAGIC_EXT(.name = "wtsmgr",.version = "1.3");

/* GUC variables */
int			wtsmgr_mode = WTSMGR_MODE_ATOMIC;
int			wtsmgr_fpw_policy = WTSMGR_FPW_AUTO;
bool		wtsmgr_wal_write_zeroes = true;
int			wtsmgr_inject_atomic_failure = WTSMGR_INJECT_OFF;
bool		wtsmgr_allow_unproven_start = false;

/* Decided at startup */
int			wtsmgr_effective_mode = WTSMGR_MODE_OFF;
bool		wtsmgr_kernel_writethrough = false;

static const struct config_enum_entry mode_options[] = {
	{"off", WTSMGR_MODE_OFF, false},
	{"writethrough", WTSMGR_MODE_WRITETHROUGH, false},
	{"atomic", WTSMGR_MODE_ATOMIC, false},
	{NULL, 0, false}
};

static const struct config_enum_entry inject_options[] = {
	{"off", WTSMGR_INJECT_OFF, false},
	{"unsupported", WTSMGR_INJECT_UNSUPPORTED, false},
	{"enospc", WTSMGR_INJECT_ENOSPC, false},
	{"eio", WTSMGR_INJECT_EIO, false},
	{NULL, 0, false}
};

static const struct config_enum_entry async_options[] = {
	{"off", WTSMGR_ASYNC_OFF, false},
	{"background", WTSMGR_ASYNC_BACKGROUND, false},
	{"all", WTSMGR_ASYNC_ALL, false},
	{NULL, 0, false}
};

static const struct config_enum_entry async_fault_options[] = {
	{"off", WTSMGR_ASYNC_FAULT_OFF, false},
	{"eio", WTSMGR_ASYNC_FAULT_EIO, false},
	{"late_copy", WTSMGR_ASYNC_FAULT_LATE_COPY, false},
	{NULL, 0, false}
};

static const struct config_enum_entry fpw_policy_options[] = {
	{"auto", WTSMGR_FPW_AUTO, false},
	{"keep", WTSMGR_FPW_KEEP, false},
	{NULL, 0, false}
};

const char *
wtsmgr_mode_name(int mode)
{
	switch (mode)
	{
		case WTSMGR_MODE_OFF:
			return "off";
		case WTSMGR_MODE_WRITETHROUGH:
			return "writethrough";
		case WTSMGR_MODE_ATOMIC:
			return "atomic";
	}
	return "unknown";
}

/*
 * A misspelt enum value in postgresql.conf only draws a WARNING when the
 * custom parameter is defined, and the default is used.  For these
 * parameters that would be unsafe (a typo for "off" would mean "atomic"),
 * so the server refuses to start instead.
 */
static void
check_placeholder(const char *name, const struct config_enum_entry *options)
{
	const char *value = GetConfigOption(name, true, false);

	if (value == NULL)
		return;
	for (const struct config_enum_entry *e = options; e->name; e++)
		if (pg_strcasecmp(value, e->name) == 0)
			return;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for parameter \"%s\": \"%s\"", name, value),
			 errhint("Available values: %s.",
					 options == mode_options ? "off, writethrough, atomic" :
					 "auto, keep")));
}

static void
define_gucs(void)
{
	check_placeholder("wtsmgr.mode", mode_options);
	check_placeholder("wtsmgr.full_page_writes", fpw_policy_options);

	DefineCustomEnumVariable("wtsmgr.mode",
							 "How relation data pages are written.",
							 "off writes them as PostgreSQL does, writethrough "
							 "with RWF_WRITETHROUGH, atomic with RWF_WRITETHROUGH "
							 "and RWF_ATOMIC, one page at a time.",
							 &wtsmgr_mode,
							 WTSMGR_MODE_ATOMIC,
							 mode_options,
							 PGC_POSTMASTER,
							 0,
							 NULL, NULL, NULL);

	DefineCustomEnumVariable("wtsmgr.full_page_writes",
							 "Whether wtsmgr manages full_page_writes.",
							 "auto turns full_page_writes off at startup when "
							 "atomic writes are proven on every tablespace, and "
							 "keeps it on otherwise; keep leaves it as configured.",
							 &wtsmgr_fpw_policy,
							 WTSMGR_FPW_AUTO,
							 fpw_policy_options,
							 PGC_POSTMASTER,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("wtsmgr.wal_write_zeroes",
							 "Zeroes new WAL segments with FALLOC_FL_WRITE_ZEROES.",
							 "Falls back to writing zeroes where the file system "
							 "or device does not support it.",
							 &wtsmgr_wal_write_zeroes,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("wtsmgr.allow_unproven_start",
							 "Starts the server even where a power failure could leave torn pages nothing can repair.",
							 "Without it, the server refuses to start while atomic "
							 "writes are not proven if it may replay WAL written "
							 "with full_page_writes off.",
							 &wtsmgr_allow_unproven_start,
							 false,
							 PGC_POSTMASTER,
							 0,
							 NULL, NULL, NULL);

	/*
	 * For tests only: every atomic data write of the processes that have it
	 * set fails with the chosen error instead of reaching the kernel.
	 */
	DefineCustomEnumVariable("wtsmgr.inject_atomic_failure",
							 "Makes atomic data writes fail, for testing.",
							 "unsupported fails them with EOPNOTSUPP, enospc "
							 "with ENOSPC, eio with EIO.",
							 &wtsmgr_inject_atomic_failure,
							 WTSMGR_INJECT_OFF,
							 inject_options,
							 PGC_SUSET,
							 GUC_NOT_IN_SAMPLE,
							 NULL, NULL, NULL);

	DefineCustomEnumVariable("wtsmgr.async_writes",
							 "Which processes submit atomic data writes asynchronously.",
							 "background: the checkpointer and the bgwriter; all: "
							 "every process; off: none.  Used only where the "
							 "kernel copies such a write when it is submitted "
							 "(see wtsmgr_status.async_reason).",
							 &wtsmgr_async_writes,
							 WTSMGR_ASYNC_BACKGROUND,
							 async_options,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("wtsmgr.max_inflight_writes",
							"Largest number of asynchronous data writes one process has in flight.",
							NULL,
							&wtsmgr_max_inflight_writes,
							32, 1, 256,
							PGC_POSTMASTER,
							0,
							NULL, NULL, NULL);

	/*
	 * For tests only: break the asynchronous path in the processes that
	 * have it set, to show that the tests see it.
	 */
	DefineCustomEnumVariable("wtsmgr.inject_async_fault",
							 "Breaks asynchronous data writes, for testing.",
							 "eio makes completed writes report EIO; late_copy "
							 "hands each page to the kernel only at the "
							 "process's next data write or sync.",
							 &wtsmgr_inject_async_fault,
							 WTSMGR_ASYNC_FAULT_OFF,
							 async_fault_options,
							 PGC_SUSET,
							 GUC_NOT_IN_SAMPLE,
							 NULL, NULL, NULL);

	MarkGUCPrefixReserved("wtsmgr");
}

/*
 * Decide what the write path does, from the configured mode and what the
 * probe of PGDATA found out about the kernel.
 */
static void
decide_mode(void)
{
	WtsmgrLocation *pgdata = &wtsmgr_locations[0];

	wtsmgr_kernel_writethrough = pgdata->writethrough_ok;
	if (!pgdata->writethrough_ok && pgdata->file_created &&
		(pgdata->writethrough_errno == EOPNOTSUPP ||
		 pgdata->writethrough_errno == EINVAL))
	{
		/* the kernel does not know the flag */
		wtsmgr_effective_mode = WTSMGR_MODE_OFF;
		if (wtsmgr_mode != WTSMGR_MODE_OFF)
			ereport(LOG,
					(errmsg("the kernel has no buffered write-through, so data writes pass through unchanged and full_page_writes stays on"),
					 errdetail("pwritev2 with RWF_WRITETHROUGH in \"%s\" failed: %s.",
							   pgdata->path,
							   strerror(pgdata->writethrough_errno))));
		return;
	}

	wtsmgr_effective_mode = wtsmgr_mode;
}

static const char *
db_state_name(DBState state)
{
	switch (state)
	{
		case DB_STARTUP:
			return "starting up";
		case DB_SHUTDOWNED:
			return "shut down";
		case DB_SHUTDOWNED_IN_RECOVERY:
			return "shut down in recovery";
		case DB_SHUTDOWNING:
			return "shutting down";
		case DB_IN_CRASH_RECOVERY:
			return "in crash recovery";
		case DB_IN_ARCHIVE_RECOVERY:
			return "in archive recovery";
		case DB_IN_PRODUCTION:
			return "in production";
	}
	return "unknown";
}

/*
 * Where atomic writes are not proven, full_page_writes is on from now on,
 * but that does not change the WAL this server may replay first: WAL
 * written with full_page_writes off (before a crash, on a primary, in an
 * archive) has no images, and a power failure during its replay would
 * leave torn pages that nothing can repair.  Refuse to start when that
 * may happen, unless the operator accepts it explicitly.
 */
static void
check_unproven_start(void)
{
	ControlFileData *control;
	bool		crc_ok;
	struct stat st;
	char	   *why = NULL;

	if (wtsmgr_atomic_proven)
		return;

	control = get_controlfile(DataDir, &crc_ok);
	if (!crc_ok)
		return;					/* the startup process reports that */

	if (control->state != DB_SHUTDOWNED)
		why = psprintf("The server was not shut down cleanly (pg_control says \"%s\"): WAL will be replayed that may have been written with full_page_writes off.",
					   db_state_name(control->state));
	else if (stat(STANDBY_SIGNAL_FILE, &st) == 0)
		why = psprintf("File \"%s\" exists: the server will replay WAL from elsewhere, which may have been written with full_page_writes off.",
					   STANDBY_SIGNAL_FILE);
	else if (stat(RECOVERY_SIGNAL_FILE, &st) == 0)
		why = psprintf("File \"%s\" exists: the server will replay archived WAL, which may have been written with full_page_writes off.",
					   RECOVERY_SIGNAL_FILE);
	else if (!control->checkPointCopy.fullPageWrites)
		why = psprintf("The last checkpoint was made with full_page_writes off.");
	pfree(control);
	if (why == NULL)
		return;

	if (wtsmgr_allow_unproven_start)
	{
		ereport(WARNING,
				(errmsg("starting without proven atomic writes, as wtsmgr.allow_unproven_start is on"),
				 errdetail_internal("%s Atomic writes are not proven because %s.",
									why, wtsmgr_fpw_reason),
				 errhint("A power failure before the next checkpoint completes can leave torn pages that cannot be repaired.")));
		return;
	}
	ereport(FATAL,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot start without proven atomic writes"),
			 errdetail_internal("%s Atomic writes are not proven because %s.",
								why, wtsmgr_fpw_reason),
			 errhint("Start the server where atomic writes are proven, or set wtsmgr.allow_unproven_start = on to accept that a power failure before the next checkpoint can leave torn pages that cannot be repaired.")));
}

/*
 * wtsmgr.full_page_writes = keep leaves full_page_writes to the operator;
 * turned off without proven atomic writes, every data write would be an
 * error in atomic mode, and unprotected in the others.
 */
static void
check_keep_policy(void)
{
	if (wtsmgr_fpw_policy != WTSMGR_FPW_KEEP || fullPageWrites ||
		wtsmgr_atomic_proven || wtsmgr_allow_unproven_start)
		return;
	ereport(FATAL,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("full_page_writes is off, but atomic writes are not proven"),
			 errdetail_internal("wtsmgr.full_page_writes is keep, and atomic writes are not proven because %s.",
								wtsmgr_fpw_reason),
			 errhint("Turn full_page_writes on, set wtsmgr.full_page_writes = auto, or set wtsmgr.allow_unproven_start = on to run without torn-page protection.")));
}

void
_PG_init(void)
{
	/*
	 * wtsmgr takes over the server's data writes in the postmaster, before
	 * any other process starts.  Loaded later (LOAD, session_preload_
	 * libraries, a dump restored into a server without it), it does nothing
	 * and its SQL functions say so.
	 */
	if (!process_shared_preload_libraries_in_progress)
		return;

#ifdef WTSMGR_UNSUPPORTED_MAJOR
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("wtsmgr does not support PostgreSQL %d",
					PG_VERSION_NUM / 10000),
			 errdetail("wtsmgr has been checked against PostgreSQL %d only: it depends on its wait event numbers and GUC records.",
					   WTSMGR_SUPPORTED_MAJOR)));
#endif

	define_gucs();

	/* Find out what the kernel and the file systems can do */
	wtsmgr_probe_startup();
	decide_mode();

	/* Decide on full_page_writes, then guard the decision */
	wtsmgr_fpw_startup();
	check_keep_policy();
	check_unproven_start();
	wtsmgr_replay_warning_init();
	wtsmgr_fpw_install_veto();
	wtsmgr_utility_init();

	/* Shared memory for the statistics */
	wtsmgr_stats_init();

	/* Last: from now on every write of the server goes through us */
	wtsmgr_take_over_writes();
	wtsmgr_async_decide();
}

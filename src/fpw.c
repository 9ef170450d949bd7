/*-------------------------------------------------------------------------
 *
 * fpw.c
 *	  full_page_writes: turn it off only when atomic writes are proven,
 *	  and keep it from being turned off when they are not.
 *
 * With wtsmgr.full_page_writes = auto, the postmaster's _PG_init turns
 * full_page_writes off when the write path is atomic and every location
 * passed the probe.  It does so at the lowest configuration priority, so
 * that full_page_writes = on written explicitly in the configuration still
 * wins.  When atomic writes are not proven it forces full_page_writes on
 * (above any configuration file), and a WARNING names each location that
 * failed and why.
 *
 * Afterwards two guards keep the decision safe:
 *	- a check hook, added by hand to the core GUC record (there is no API
 *	  for that), refuses full_page_writes = off while atomic writes are not
 *	  proven, including on tablespaces created since startup; it does no
 *	  I/O, it reads the verdicts kept in shared memory;
 *	- a ProcessUtility hook probes the location of CREATE TABLESPACE,
 *	  refuses it while full_page_writes is off if the probe fails, and
 *	  records the verdict in shared memory.
 *
 * Where atomic writes are not proven, a server that may replay WAL
 * written with full_page_writes off refuses to start (wtsmgr.c) unless
 * wtsmgr.allow_unproven_start is on; with it, replay warns at each
 * XLOG_FPW_CHANGE record that turned full_page_writes off.  There is no
 * hook in replay: the redo function of the XLOG resource manager is
 * wrapped in RmgrTable, the exported table custom resource managers are
 * registered in.
 *
 * src/fpw.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>

#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "access/xlogreader.h"
#include "catalog/pg_control.h"
#include "commands/tablespace.h"
#include "common/controldata_utils.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/lwlock.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"

#include "wtsmgr.h"

bool		wtsmgr_atomic_proven = false;
bool		wtsmgr_fpw_forced = false;
char		wtsmgr_fpw_reason[512];

static GucBoolCheckHook prev_fpw_check_hook = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;
static void (*prev_xlog_redo) (XLogReaderState *record) = NULL;

void
wtsmgr_fpw_startup(void)
{
	const WtsmgrLocation *failed = NULL;

	for (int i = 0; i < wtsmgr_nlocations; i++)
		if (!wtsmgr_locations[i].probe_ok && failed == NULL)
			failed = &wtsmgr_locations[i];

	wtsmgr_atomic_proven = (wtsmgr_effective_mode == WTSMGR_MODE_ATOMIC &&
							failed == NULL);

	if (wtsmgr_fpw_policy == WTSMGR_FPW_KEEP)
	{
		snprintf(wtsmgr_fpw_reason, sizeof(wtsmgr_fpw_reason),
				 "wtsmgr.full_page_writes is keep: full_page_writes is left as configured");
		return;
	}

	if (wtsmgr_atomic_proven)
	{
		SetConfigOption("full_page_writes", "off", PGC_POSTMASTER,
						PGC_S_DYNAMIC_DEFAULT);
		if (fullPageWrites)
			snprintf(wtsmgr_fpw_reason, sizeof(wtsmgr_fpw_reason),
					 "atomic writes are proven, but full_page_writes is set explicitly in the configuration");
		else
		{
			snprintf(wtsmgr_fpw_reason, sizeof(wtsmgr_fpw_reason),
					 "%d-byte atomic write-through proven on all %d locations",
					 BLCKSZ, wtsmgr_nlocations);
			ereport(LOG,
					(errmsg("full_page_writes turned off: %s",
							wtsmgr_fpw_reason)));
		}
		return;
	}

	/* Not proven: full_page_writes must be on. */
	if (wtsmgr_effective_mode != WTSMGR_MODE_ATOMIC)
	{
		if (wtsmgr_mode != WTSMGR_MODE_OFF && !wtsmgr_kernel_writethrough)
			snprintf(wtsmgr_fpw_reason, sizeof(wtsmgr_fpw_reason),
					 "the kernel has no buffered write-through (RWF_WRITETHROUGH)");
		else
			snprintf(wtsmgr_fpw_reason, sizeof(wtsmgr_fpw_reason),
					 "wtsmgr.mode is %s, not atomic",
					 wtsmgr_mode_name(wtsmgr_mode));
	}
	else
	{
		snprintf(wtsmgr_fpw_reason, sizeof(wtsmgr_fpw_reason),
				 "atomic writes not proven at \"%s\": %s",
				 failed->path, failed->reason);
		for (int i = 0; i < wtsmgr_nlocations; i++)
		{
			const WtsmgrLocation *loc = &wtsmgr_locations[i];

			if (!loc->probe_ok)
				ereport(WARNING,
						(errmsg("keeping full_page_writes on: atomic writes are not proven at \"%s\"",
								loc->path),
						 errdetail("Probe result: %s.", loc->reason)));
		}
	}

	if (!fullPageWrites)
	{
		ereport(WARNING,
				(errmsg("full_page_writes is forced on"),
				 errdetail("The configuration turns it off, but %s.",
						   wtsmgr_fpw_reason),
				 errhint("Set wtsmgr.full_page_writes = keep to manage full_page_writes yourself.")));
	}
	SetConfigOption("full_page_writes", "on", PGC_POSTMASTER,
					PGC_S_OVERRIDE);
	wtsmgr_fpw_forced = true;
}

/*
 * Whether the last completed checkpoint, as pg_control records it, was
 * made with full_page_writes on.
 */
bool
wtsmgr_last_checkpoint_fpw(void)
{
	ControlFileData *control;
	bool		crc_ok;
	bool		result;

	LWLockAcquire(ControlFileLock, LW_SHARED);
	control = get_controlfile(DataDir, &crc_ok);
	LWLockRelease(ControlFileLock);
	result = crc_ok && control->checkPointCopy.fullPageWrites;
	pfree(control);
	return result;
}

/*
 * Check hook on full_page_writes: "off" needs proven atomic writes.
 */
static bool
wtsmgr_fpw_check_hook(bool *newval, void **extra, GucSource source)
{
	char		reason[MAXPGPATH + 512];

	if (prev_fpw_check_hook && !prev_fpw_check_hook(newval, extra, source))
		return false;
	if (*newval || wtsmgr_fpw_policy != WTSMGR_FPW_AUTO)
		return true;

	if (!wtsmgr_atomic_proven)
	{
		GUC_check_errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE);
		GUC_check_errmsg("full_page_writes cannot be turned off: wtsmgr has not proven atomic writes");
		GUC_check_errdetail("wtsmgr keeps full_page_writes on because %s.", wtsmgr_fpw_reason);
		GUC_check_errhint("Set wtsmgr.full_page_writes = keep to manage full_page_writes yourself.");
		return false;
	}
	if (wtsmgr_unproven_new_locations(reason, sizeof(reason)) > 0)
	{
		GUC_check_errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE);
		GUC_check_errmsg("full_page_writes cannot be turned off: atomic writes are not proven on every tablespace");
		GUC_check_errdetail("Atomic writes are not proven for %s.", reason);
		GUC_check_errhint("Restart the server once that tablespace is dropped or its storage is fixed.");
		return false;
	}
	return true;
}

void
wtsmgr_fpw_install_veto(void)
{
	struct config_generic *gen;
	struct config_bool *conf;

	gen = find_option("full_page_writes", false, true, ERROR);
	if (gen == NULL || gen->vartype != PGC_BOOL)
		elog(ERROR, "unexpected layout of the full_page_writes parameter");
	conf = (struct config_bool *) gen;
	if (conf->variable != &fullPageWrites)
		elog(ERROR, "the full_page_writes parameter does not control fullPageWrites");
	prev_fpw_check_hook = conf->check_hook;
	conf->check_hook = wtsmgr_fpw_check_hook;

	/*
	 * When wtsmgr turned full_page_writes off, that is the default of this
	 * server: a full_page_writes line removed from the configuration and
	 * reloaded returns to it, not to PostgreSQL's built-in on.
	 */
	if (wtsmgr_fpw_policy == WTSMGR_FPW_AUTO && wtsmgr_atomic_proven)
		conf->boot_val = false;
}

/*
 * CREATE TABLESPACE: probe the location, refuse it while full_page_writes
 * is off if it fails, and record the verdict in shared memory for every
 * process (the write path's mode there, and the full_page_writes check
 * hook, which must do no I/O: it also runs in every parallel worker).
 */
static void
wtsmgr_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
					  bool readOnlyTree, ProcessUtilityContext context,
					  ParamListInfo params, QueryEnvironment *queryEnv,
					  DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	bool		probed = false;
	WtsmgrLocation loc;

	if (IsA(parsetree, CreateTableSpaceStmt) &&
		wtsmgr_fpw_policy == WTSMGR_FPW_AUTO &&
		wtsmgr_effective_mode == WTSMGR_MODE_ATOMIC)
	{
		CreateTableSpaceStmt *stmt = (CreateTableSpaceStmt *) parsetree;
		struct stat st;

		/*
		 * An in-place tablespace (empty location) lives in PGDATA, probed
		 * at startup.  A location that is relative, or not an existing
		 * directory, is refused by CREATE TABLESPACE itself, with its own
		 * message.
		 */
		if (is_absolute_path(stmt->location) &&
			stat(stmt->location, &st) == 0 && S_ISDIR(st.st_mode))
		{
			wtsmgr_probe_path(stmt->location, &loc);
			probed = true;
			if (!loc.probe_ok && !fullPageWrites)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("cannot create tablespace at \"%s\" while full_page_writes is off",
								stmt->location),
						 errdetail("Probe result: %s.", loc.reason),
						 errhint("Use a location with %d-byte atomic writes, or turn full_page_writes on first.",
								 BLCKSZ)));
		}
	}

	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
							params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);

	if (probed)
		wtsmgr_record_location(get_tablespace_oid(((CreateTableSpaceStmt *) parsetree)->tablespacename,
												  true),
							   &loc);
}

void
wtsmgr_utility_init(void)
{
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = wtsmgr_ProcessUtility;
}

/*
 * Redo of the XLOG resource manager, where atomic writes are not proven:
 * say so when the WAL replayed turns full_page_writes off (it was written
 * without full-page images from there on), then replay the record.
 */
static void
wtsmgr_xlog_redo(XLogReaderState *record)
{
	uint8		info = XLogRecGetInfo(record) & ~XLR_INFO_MASK;

	if (info == XLOG_FPW_CHANGE)
	{
		bool		fpw;

		memcpy(&fpw, XLogRecGetData(record), sizeof(bool));
		if (!fpw)
			ereport(WARNING,
					(errmsg("replaying WAL written with full_page_writes off where atomic writes are not proven"),
					 errdetail_internal("The record at %X/%X turned full_page_writes off; atomic writes are not proven because %s.",
										LSN_FORMAT_ARGS(record->ReadRecPtr),
										wtsmgr_fpw_reason),
					 errhint("A power failure before the first checkpoint after recovery completes can leave torn pages that cannot be repaired.")));
	}
	prev_xlog_redo(record);
}

/*
 * In the postmaster, before the startup process exists: where atomic
 * writes are not proven (and the server starts all the same, by
 * wtsmgr.allow_unproven_start), wrap the XLOG resource manager's redo.
 */
void
wtsmgr_replay_warning_init(void)
{
	if (wtsmgr_atomic_proven || prev_xlog_redo != NULL)
		return;
	prev_xlog_redo = RmgrTable[RM_XLOG_ID].rm_redo;
	if (prev_xlog_redo == NULL)
		elog(ERROR, "the XLOG resource manager has no redo function");
	RmgrTable[RM_XLOG_ID].rm_redo = wtsmgr_xlog_redo;
}

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
 *	  proven, including on tablespaces created since startup;
 *	- a ProcessUtility hook refuses CREATE TABLESPACE at a location that
 *	  fails the probe while full_page_writes is off.
 *
 * src/fpw.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>

#include "access/xlog.h"
#include "commands/tablespace.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"

#include "wtsmgr.h"

bool		wtsmgr_atomic_proven = false;
char		wtsmgr_fpw_reason[512];

static GucBoolCheckHook prev_fpw_check_hook = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

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
					(errmsg("wtsmgr: full_page_writes turned off: %s",
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
						(errmsg("wtsmgr: keeping full_page_writes on: atomic writes are not proven at \"%s\"",
								loc->path),
						 errdetail("Probe result: %s.", loc->reason)));
		}
	}

	if (!fullPageWrites)
	{
		ereport(WARNING,
				(errmsg("wtsmgr: full_page_writes is forced on"),
				 errdetail("The configuration turns it off, but %s.",
						   wtsmgr_fpw_reason),
				 errhint("Set wtsmgr.full_page_writes = keep to manage full_page_writes yourself.")));
	}
	SetConfigOption("full_page_writes", "on", PGC_POSTMASTER,
					PGC_S_OVERRIDE);
}

/*
 * Check hook on full_page_writes: "off" needs proven atomic writes.
 */
static bool
wtsmgr_fpw_check_hook(bool *newval, void **extra, GucSource source)
{
	char		reason[512];

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
	if (!wtsmgr_probe_new_tablespaces(reason, sizeof(reason)))
	{
		GUC_check_errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE);
		GUC_check_errmsg("full_page_writes cannot be turned off: atomic writes are not proven on every tablespace");
		GUC_check_errdetail("Atomic writes are not proven for %s.", reason);
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
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("wtsmgr: unexpected layout of the full_page_writes parameter")));
	conf = (struct config_bool *) gen;
	if (conf->variable != &fullPageWrites)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("wtsmgr: the full_page_writes parameter does not control fullPageWrites")));
	prev_fpw_check_hook = conf->check_hook;
	conf->check_hook = wtsmgr_fpw_check_hook;
}

/*
 * Refuse CREATE TABLESPACE at a location without atomic writes while
 * full_page_writes is off.
 */
static void
wtsmgr_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
					  bool readOnlyTree, ProcessUtilityContext context,
					  ParamListInfo params, QueryEnvironment *queryEnv,
					  DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;

	if (IsA(parsetree, CreateTableSpaceStmt) && !fullPageWrites &&
		wtsmgr_fpw_policy == WTSMGR_FPW_AUTO)
	{
		CreateTableSpaceStmt *stmt = (CreateTableSpaceStmt *) parsetree;
		WtsmgrLocation loc;
		struct stat st;

		/*
		 * An in-place tablespace (empty location) lives in PGDATA.  A
		 * location that is relative, or not an existing directory, is
		 * refused by CREATE TABLESPACE itself, with its own message.
		 */
		if (is_absolute_path(stmt->location) &&
			stat(stmt->location, &st) == 0 && S_ISDIR(st.st_mode))
		{
			wtsmgr_probe_path(stmt->location, &loc);
			if (!loc.probe_ok)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("wtsmgr: cannot create tablespace at \"%s\" while full_page_writes is off",
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
}

void
wtsmgr_utility_init(void)
{
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = wtsmgr_ProcessUtility;
}

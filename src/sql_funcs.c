/*-------------------------------------------------------------------------
 *
 * sql_funcs.c
 *	  SQL-callable functions: status, locations, probe, statistics.
 *
 * src/sql_funcs.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/xlog.h"
#include "access/xloginsert.h"
#include "catalog/pg_control.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "wtsmgr.h"

PG_FUNCTION_INFO_V1(wtsmgr_status);
PG_FUNCTION_INFO_V1(wtsmgr_locations_sql);
PG_FUNCTION_INFO_V1(wtsmgr_probe);
PG_FUNCTION_INFO_V1(wtsmgr_stats_sql);
PG_FUNCTION_INFO_V1(wtsmgr_stats_reset_sql);

/*
 * The library is in every process of a server that preloads it; loaded
 * any other way, _PG_init does nothing, and the functions say so.
 */
static void
check_loaded(void)
{
	if (wtsmgr_nlocations == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("wtsmgr must be loaded via \"shared_preload_libraries\""),
				 errdetail("wtsmgr takes over the server's data writes in the postmaster, before any other process starts."),
				 errhint("Add wtsmgr to \"shared_preload_libraries\" in postgresql.conf and restart the server.")));
}

/* The data of that no-op record: a record must carry some. */
static const char noop_payload[] = "wtsmgr_status";

/*
 * Whether WAL records inserted now take full-page images: the server's
 * shared full_page_writes (the checkpointer's value: a reload reaches it
 * and this backend at different times) or a running backup
 * (pg_backup_start(), pg_basebackup), which forces them whatever the
 * setting says.  PostgreSQL keeps both in its private shared memory; what
 * it exports is this backend's copy of their sum (GetFullPageWriteInfo),
 * which it recomputes under the WAL insertion lock for every record the
 * backend inserts, and which is stale otherwise.  So insert one, a no-op,
 * and read the copy.  The no-op is marked unimportant, as PostgreSQL marks
 * its own periodic records, so that an idle server polled by monitoring
 * stays idle: archive_timeout and the skipping of idle checkpoints look
 * only at important records.  There is no value during recovery, which
 * inserts no WAL (the images in the WAL it replays are the primary's), or
 * in a parallel worker.
 */
static bool
effective_full_page_writes(bool *isnull)
{
	XLogRecPtr	redo;
	bool		do_page_writes;

	if (RecoveryInProgress() || IsParallelWorker())
	{
		*isnull = true;
		return false;
	}
	XLogBeginInsert();
	XLogRegisterData(noop_payload, sizeof(noop_payload));
	/* not activity: no segment switch by archive_timeout, no checkpoint */
	XLogSetRecordFlags(XLOG_MARK_UNIMPORTANT);
	(void) XLogInsert(RM_XLOG_ID, XLOG_NOOP);
	GetFullPageWriteInfo(&redo, &do_page_writes);
	*isnull = false;
	return do_page_writes;
}

/*
 * Columns of wtsmgr_status (1.3; 1.0 and 1.1 have the first 9, 1.2 the
 * first 10, and the row is formed with the caller's descriptor, which
 * ignores the rest).
 */
#define STATUS_COLS 14

Datum
wtsmgr_status(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[STATUS_COLS];
	bool		nulls[STATUS_COLS] = {0};
	int			i = 0;

	check_loaded();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	values[i++] = CStringGetTextDatum(wtsmgr_mode_name(wtsmgr_mode));
	values[i++] = CStringGetTextDatum(wtsmgr_mode_name(wtsmgr_effective_mode));
	values[i++] = BoolGetDatum(wtsmgr_kernel_writethrough);
	values[i++] = CStringGetTextDatum(wtsmgr_write_path_method);
	values[i++] = CStringGetTextDatum(wtsmgr_fpw_policy == WTSMGR_FPW_AUTO ?
									  "auto" : "keep");
	values[i++] = BoolGetDatum(wtsmgr_atomic_proven);
	values[i++] = BoolGetDatum(fullPageWrites);
	values[i++] = CStringGetTextDatum(wtsmgr_fpw_reason);
	values[i++] = BoolGetDatum(wtsmgr_wal_write_zeroes);
	/* only where the SQL definition has the column: it inserts WAL */
	if (tupdesc->natts > i)
		values[i] = BoolGetDatum(effective_full_page_writes(&nulls[i]));
	else
		nulls[i] = true;
	i++;
	/* 1.3: asynchronous writes */
	values[i++] = CStringGetTextDatum(wtsmgr_async_name(wtsmgr_async_writes));
	values[i++] = Int32GetDatum(wtsmgr_max_inflight_writes);
	values[i++] = BoolGetDatum(wtsmgr_async_proven);
	values[i++] = CStringGetTextDatum(wtsmgr_async_reason);
	Assert(i == lengthof(values));

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * Columns of the SQL type wtsmgr_location (1.1; 1.0 has the first 16, and
 * the rows are formed with the caller's descriptor, which ignores the
 * rest).
 */
#define LOCATION_COLS 26

/*
 * One location as a wtsmgr_location row.  The tablespace is NULL for an
 * on-demand probe, which is of no tablespace.
 */
static void
location_values(const WtsmgrLocation *loc, Datum *values, bool *nulls)
{
	int			i = 0;

/* a negative number, or an empty string, is not known: NULL */
#define NULLABLE_INT(v) \
	do { if ((v) < 0) nulls[i++] = true; else values[i++] = Int64GetDatum(v); } while (0)
#define NULLABLE_TEXT(s) \
	do { if ((s)[0] == '\0') nulls[i++] = true; else values[i++] = CStringGetTextDatum(s); } while (0)
	memset(nulls, 0, LOCATION_COLS * sizeof(bool));
	NULLABLE_TEXT(loc->tablespace);
	values[i++] = CStringGetTextDatum(loc->path);
	if (loc->has_device)
		values[i++] = CStringGetTextDatum(loc->dev_name);
	else
		nulls[i++] = true;
	values[i++] = CStringGetTextDatum(psprintf("%u:%u", loc->dev_major,
											   loc->dev_minor));
	values[i++] = Int64GetDatum(loc->unit_min);
	values[i++] = Int64GetDatum(loc->unit_max);
	values[i++] = Int64GetDatum(loc->unit_max_opt);
	NULLABLE_INT(loc->dev_atomic_unit_min);
	NULLABLE_INT(loc->dev_atomic_unit_max);
	NULLABLE_INT(loc->dev_atomic_max_bytes);
	values[i++] = BoolGetDatum(loc->file_created);
	values[i++] = BoolGetDatum(loc->writethrough_ok);
	values[i++] = BoolGetDatum(loc->limits_ok);
	values[i++] = BoolGetDatum(loc->atomic_ok);
	values[i++] = BoolGetDatum(loc->probe_ok);
	values[i++] = CStringGetTextDatum(loc->reason);
	NULLABLE_INT(loc->dev_atomic_boundary);
	NULLABLE_TEXT(loc->dev_write_cache);
	NULLABLE_TEXT(loc->nvme_report);
	NULLABLE_INT(loc->nvme_awun);
	NULLABLE_INT(loc->nvme_awupf);
	NULLABLE_INT(loc->nvme_nawun);
	NULLABLE_INT(loc->nvme_nawupf);
	NULLABLE_INT(loc->nvme_boundary);
	NULLABLE_INT(loc->nvme_boundary_offset);
#undef NULLABLE_INT
#undef NULLABLE_TEXT
	if (loc->nvme_vwc < 0)
		nulls[i++] = true;
	else
		values[i++] = BoolGetDatum(loc->nvme_vwc == 1);
	Assert(i == LOCATION_COLS);
}

/* The probes made at startup: PGDATA and every tablespace. */
Datum
wtsmgr_locations_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	check_loaded();
	InitMaterializedSRF(fcinfo, 0);
	for (int l = 0; l < wtsmgr_nlocations; l++)
	{
		Datum		values[LOCATION_COLS];
		bool		nulls[LOCATION_COLS];

		location_values(&wtsmgr_locations[l], values, nulls);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
							 values, nulls);
	}
	return (Datum) 0;
}

/* Probe a directory now (superuser: it writes a file there). */
Datum
wtsmgr_probe(PG_FUNCTION_ARGS)
{
	char	   *path = text_to_cstring(PG_GETARG_TEXT_PP(0));
	WtsmgrLocation loc;
	TupleDesc	tupdesc;
	Datum		values[LOCATION_COLS];
	bool		nulls[LOCATION_COLS];

	check_loaded();
	if (!is_absolute_path(path))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("probe location must be an absolute path")));
	if (strlen(path) >= sizeof(loc.path) - 64)
		ereport(ERROR,
				(errcode(ERRCODE_NAME_TOO_LONG),
				 errmsg("probe location is too long")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	wtsmgr_probe_path(path, &loc);
	location_values(&loc, values, nulls);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * Counters of wtsmgr_stats before 1.3, which are followed by stats_reset;
 * the counters added since come after it, then the writes in flight.
 */
#define STATS_COUNTERS_1_0 (WTSMGR_C_WAL_ZEROES_BYTES + 1)
#define STATS_COLS (WTSMGR_NCOUNTERS + 4)

/* One row per backend type with any activity. */
Datum
wtsmgr_stats_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	uint64		counts[BACKEND_NUM_TYPES][WTSMGR_NCOUNTERS];
	int64		inflight[BACKEND_NUM_TYPES];
	int64		peak[BACKEND_NUM_TYPES];

	check_loaded();
	if (!wtsmgr_stats_available())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("wtsmgr shared memory is not initialised")));
	InitMaterializedSRF(fcinfo, 0);
	wtsmgr_stats_read(counts);
	wtsmgr_stats_inflight(inflight, peak);
	for (int t = 0; t < BACKEND_NUM_TYPES; t++)
	{
		Datum		values[STATS_COLS];
		bool		nulls[STATS_COLS] = {0};
		bool		any = peak[t] != 0;
		int			i = 0;

		values[i++] = CStringGetTextDatum(GetBackendTypeDesc((BackendType) t));
		for (int c = 0; c < WTSMGR_NCOUNTERS; c++)
		{
			uint64		v = counts[t][c];

			any |= (v != 0);
			if (c == STATS_COUNTERS_1_0)
				values[i++] = TimestampTzGetDatum(wtsmgr_stats_reset_time());
			if (c == WTSMGR_C_ASYNC_WAIT_US)
				values[i++] = Float8GetDatum((double) v / 1000.0);	/* ms */
			else
				values[i++] = Int64GetDatum((int64) v);
		}
		values[i++] = Int64GetDatum(inflight[t]);
		values[i++] = Int64GetDatum(peak[t]);
		Assert(i == lengthof(values));
		if (!any)
			continue;
		/* the caller's descriptor (1.0 to 1.2: fewer columns) rules */
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
							 values, nulls);
	}
	return (Datum) 0;
}

Datum
wtsmgr_stats_reset_sql(PG_FUNCTION_ARGS)
{
	check_loaded();
	if (!wtsmgr_stats_available())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("wtsmgr shared memory is not initialised")));
	wtsmgr_stats_reset();
	PG_RETURN_VOID();
}

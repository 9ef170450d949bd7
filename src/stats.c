/*-------------------------------------------------------------------------
 *
 * stats.c
 *	  Counters of the write path in shared memory, one set per backend
 *	  type.
 *
 * The counters are updated from inside the replacement write functions,
 * so they use only lock-free atomics: no lock, no allocation, nothing that
 * can raise an error.  A process that runs before shared memory exists
 * (the postmaster during startup) simply does not count.
 *
 * src/stats.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "wtsmgr.h"

typedef struct WtsmgrShared
{
	pg_atomic_uint32 wal_fallback_logged;
	pg_atomic_uint64 stats_reset;	/* TimestampTz */
	pg_atomic_uint64 counters[BACKEND_NUM_TYPES][WTSMGR_NCOUNTERS];
} WtsmgrShared;

static WtsmgrShared *wtsmgr_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
wtsmgr_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(WtsmgrShared)));
}

static void
wtsmgr_shmem_startup(void)
{
	bool		found;
	WtsmgrShared *shared;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("wtsmgr", sizeof(WtsmgrShared), &found);
	if (!found)
	{
		pg_atomic_init_u32(&shared->wal_fallback_logged, 0);
		pg_atomic_init_u64(&shared->stats_reset,
						   (uint64) GetCurrentTimestamp());
		for (int t = 0; t < BACKEND_NUM_TYPES; t++)
			for (int c = 0; c < WTSMGR_NCOUNTERS; c++)
				pg_atomic_init_u64(&shared->counters[t][c], 0);
	}
	LWLockRelease(AddinShmemInitLock);
	wtsmgr_shared = shared;
}

void
wtsmgr_stats_init(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = wtsmgr_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = wtsmgr_shmem_startup;
}

void
wtsmgr_count(WtsmgrCounter c, uint64 value)
{
	WtsmgrShared *shared = wtsmgr_shared;
	int			t = (int) MyBackendType;

	if (shared == NULL || t < 0 || t >= BACKEND_NUM_TYPES)
		return;
	pg_atomic_fetch_add_u64(&shared->counters[t][c], value);
}

/* True the first time it is called in the whole cluster. */
bool
wtsmgr_log_wal_fallback_once(void)
{
	uint32		expected = 0;

	if (wtsmgr_shared == NULL)
		return false;
	return pg_atomic_compare_exchange_u32(&wtsmgr_shared->wal_fallback_logged,
										  &expected, 1);
}

bool
wtsmgr_stats_available(void)
{
	return wtsmgr_shared != NULL;
}

uint64
wtsmgr_stats_get(int backend_type, int counter)
{
	return pg_atomic_read_u64(&wtsmgr_shared->counters[backend_type][counter]);
}

TimestampTz
wtsmgr_stats_reset_time(void)
{
	return (TimestampTz) pg_atomic_read_u64(&wtsmgr_shared->stats_reset);
}

void
wtsmgr_stats_reset(void)
{
	for (int t = 0; t < BACKEND_NUM_TYPES; t++)
		for (int c = 0; c < WTSMGR_NCOUNTERS; c++)
			pg_atomic_write_u64(&wtsmgr_shared->counters[t][c], 0);
	pg_atomic_write_u64(&wtsmgr_shared->stats_reset,
						(uint64) GetCurrentTimestamp());
}

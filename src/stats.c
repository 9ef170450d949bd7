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
#include "storage/spin.h"
#include "utils/timestamp.h"

#include "wtsmgr.h"

/* Locations probed since startup (CREATE TABLESPACE), append-only */
#define WTSMGR_MAX_NEW_LOCATIONS 64

typedef struct WtsmgrNewLocation
{
	unsigned int dev_major;
	unsigned int dev_minor;
	bool		probe_ok;
	Oid			spcoid;
	char		path[MAXPGPATH];
	char		reason[256];
} WtsmgrNewLocation;

typedef struct WtsmgrShared
{
	slock_t		mutex;			/* serialises appends to new_locations */
	pg_atomic_uint32 n_new_locations;	/* published entries */
	pg_atomic_uint32 n_unproven;	/* new locations that failed the probe,
									 * and appends that did not fit */
	WtsmgrNewLocation new_locations[WTSMGR_MAX_NEW_LOCATIONS];
	pg_atomic_uint32 wal_fallback_logged;
	pg_atomic_uint64 stats_reset;	/* TimestampTz */
	pg_atomic_uint64 counters[BACKEND_NUM_TYPES][WTSMGR_NCOUNTERS];
	/* the counters' values at the last reset, subtracted when read */
	pg_atomic_uint64 baseline[BACKEND_NUM_TYPES][WTSMGR_NCOUNTERS];
} WtsmgrShared;

static WtsmgrShared *wtsmgr_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
wtsmgr_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();

	/* every preloaded library has run its _PG_init by now */
	wtsmgr_check_take_over();

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
		SpinLockInit(&shared->mutex);
		pg_atomic_init_u32(&shared->n_new_locations, 0);
		pg_atomic_init_u32(&shared->n_unproven, 0);
		pg_atomic_init_u32(&shared->wal_fallback_logged, 0);
		pg_atomic_init_u64(&shared->stats_reset,
						   (uint64) GetCurrentTimestamp());
		for (int t = 0; t < BACKEND_NUM_TYPES; t++)
			for (int c = 0; c < WTSMGR_NCOUNTERS; c++)
			{
				pg_atomic_init_u64(&shared->counters[t][c], 0);
				pg_atomic_init_u64(&shared->baseline[t][c], 0);
			}
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
	uint64		base = pg_atomic_read_u64(&wtsmgr_shared->baseline[backend_type][counter]);
	uint64		value = pg_atomic_read_u64(&wtsmgr_shared->counters[backend_type][counter]);

	return value > base ? value - base : 0;
}

TimestampTz
wtsmgr_stats_reset_time(void)
{
	return (TimestampTz) pg_atomic_read_u64(&wtsmgr_shared->stats_reset);
}

/*
 * Reset: the counters themselves only ever grow (the write path adds to
 * them without a lock, and a store of zero could lose its increments);
 * their current values become the baseline that readers subtract.  The
 * once-only WAL fallback message may be logged again.
 */
void
wtsmgr_stats_reset(void)
{
	for (int t = 0; t < BACKEND_NUM_TYPES; t++)
		for (int c = 0; c < WTSMGR_NCOUNTERS; c++)
			pg_atomic_write_u64(&wtsmgr_shared->baseline[t][c],
								pg_atomic_read_u64(&wtsmgr_shared->counters[t][c]));
	pg_atomic_write_u32(&wtsmgr_shared->wal_fallback_logged, 0);
	pg_atomic_write_u64(&wtsmgr_shared->stats_reset,
						(uint64) GetCurrentTimestamp());
}

/*
 * The probe verdict of a location created since startup (CREATE
 * TABLESPACE), for every process: the write path chooses its mode by it,
 * and full_page_writes cannot be turned off while one failed.  Entries are
 * only appended, and published after they are written, so that readers
 * need no lock.  One that does not fit counts as unproven.
 */
void
wtsmgr_record_location(Oid spcoid, const WtsmgrLocation *probe)
{
	unsigned int dev_major = probe->dev_major;
	unsigned int dev_minor = probe->dev_minor;
	bool		probe_ok = probe->probe_ok;
	WtsmgrShared *shared = wtsmgr_shared;
	uint32		n;

	if (shared == NULL)
		return;
	SpinLockAcquire(&shared->mutex);
	n = pg_atomic_read_u32(&shared->n_new_locations);
	if (n < WTSMGR_MAX_NEW_LOCATIONS)
	{
		shared->new_locations[n].dev_major = dev_major;
		shared->new_locations[n].dev_minor = dev_minor;
		shared->new_locations[n].probe_ok = probe_ok;
		shared->new_locations[n].spcoid = spcoid;
		strlcpy(shared->new_locations[n].path, probe->path, MAXPGPATH);
		strlcpy(shared->new_locations[n].reason, probe->reason,
				sizeof(shared->new_locations[n].reason));
		pg_write_barrier();
		pg_atomic_write_u32(&shared->n_new_locations, n + 1);
	}
	SpinLockRelease(&shared->mutex);
	if (!probe_ok || n >= WTSMGR_MAX_NEW_LOCATIONS)
		pg_atomic_fetch_add_u32(&shared->n_unproven, 1);
}

/*
 * The verdict recorded for a device since startup: 1 proven, 0 not, -1
 * unknown.
 */
int
wtsmgr_lookup_location(unsigned int dev_major, unsigned int dev_minor)
{
	WtsmgrShared *shared = wtsmgr_shared;
	uint32		n;
	int			result = -1;

	if (shared == NULL)
		return -1;
	n = pg_atomic_read_u32(&shared->n_new_locations);
	pg_read_barrier();
	for (uint32 i = 0; i < n; i++)
	{
		const WtsmgrNewLocation *loc = &shared->new_locations[i];

		if (loc->dev_major == dev_major && loc->dev_minor == dev_minor)
		{
			if (!loc->probe_ok)
				return 0;
			result = 1;
		}
	}
	return result;
}

/*
 * How many locations created since startup are not proven; the first one
 * is described in reason (when it fitted).
 */
uint32
wtsmgr_unproven_new_locations(char *reason, size_t reasonlen)
{
	WtsmgrShared *shared = wtsmgr_shared;
	uint32		unproven;
	uint32		n;

	if (shared == NULL)
		return 0;
	unproven = pg_atomic_read_u32(&shared->n_unproven);
	if (unproven == 0)
		return 0;
	snprintf(reason, reasonlen, "more tablespaces than wtsmgr keeps track of");
	n = pg_atomic_read_u32(&shared->n_new_locations);
	pg_read_barrier();
	for (uint32 i = 0; i < n; i++)
	{
		const WtsmgrNewLocation *loc = &shared->new_locations[i];

		if (!loc->probe_ok)
		{
			snprintf(reason, reasonlen, "tablespace %u at \"%s\": %s",
					 loc->spcoid, loc->path, loc->reason);
			break;
		}
	}
	return unproven;
}

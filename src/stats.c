/*-------------------------------------------------------------------------
 *
 * stats.c
 *	  Counters of the write path in shared memory, per backend type, and
 *	  the probe verdicts of locations created since startup.
 *
 * The counters are updated from inside the replacement write functions,
 * so the update takes no lock, allocates nothing and cannot raise an
 * error.  Each process counts in a slot of its own, indexed by its
 * ProcNumber and a cache line apart from the others, with plain loads and
 * stores: it is the slot's only writer, so no write shares a cache line
 * with another process's, and no locked instruction is needed.  Readers
 * sum the slots.
 *
 * A slot belongs to the backend type of the first process that counted
 * in it, and keeps its counts when that process exits: the next process
 * with that ProcNumber and the same type goes on adding to it (the usual
 * case: client backends, background workers and auxiliary processes take
 * ProcNumbers from separate ranges).  A process of another type (an
 * auxiliary process that inherits the startup process's ProcNumber after
 * recovery, say), or one without a ProcNumber (the postmaster), counts in
 * a shared per-type array with atomic additions instead, as all processes
 * did before.  So no count ever moves, and readers need no lock.
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
#include "storage/proc.h"
#include "storage/procnumber.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/timestamp.h"

#include "wtsmgr.h"

/* One process's counters; only that process writes them. */
typedef struct WtsmgrCounterSlot
{
	/* whose counts these are; -1 until a process counts here */
	pg_atomic_uint32 backend_type;
	pg_atomic_uint64 counters[WTSMGR_NCOUNTERS];
	/* asynchronous writes in flight now, and the most there ever were */
	pg_atomic_uint32 inflight;
	pg_atomic_uint32 inflight_peak;
} WtsmgrCounterSlot;

/* Slots are a cache line apart, so that no two writers share one. */
#define WTSMGR_SLOT_SIZE \
	TYPEALIGN(PG_CACHE_LINE_SIZE, sizeof(WtsmgrCounterSlot))

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
	/* counts of processes that have no slot of their type */
	pg_atomic_uint64 counters[BACKEND_NUM_TYPES][WTSMGR_NCOUNTERS];
	/* the sums at the last reset, subtracted when read */
	pg_atomic_uint64 baseline[BACKEND_NUM_TYPES][WTSMGR_NCOUNTERS];
	int			nslots;
	/* followed by nslots slots, at a cache line boundary */
} WtsmgrShared;

static WtsmgrShared *wtsmgr_shared = NULL;
static char *wtsmgr_slots = NULL;

/* This process's slot; valid while my_slot_pid is MyProcPid */
static WtsmgrCounterSlot *my_slot = NULL;
static int	my_slot_pid = 0;
static int	my_slot_type = -1;

static Size
wtsmgr_slots_offset(void)
{
	return TYPEALIGN(PG_CACHE_LINE_SIZE, sizeof(WtsmgrShared));
}

/* One slot for every ProcNumber that a backend or auxiliary process has. */
static int
wtsmgr_nslots(void)
{
	return MaxBackends + NUM_AUXILIARY_PROCS;
}

static Size
wtsmgr_shmem_size(void)
{
	/* room to align the start of the slots to a cache line */
	return add_size(add_size(wtsmgr_slots_offset(), PG_CACHE_LINE_SIZE),
					mul_size(wtsmgr_nslots(), WTSMGR_SLOT_SIZE));
}

static inline WtsmgrCounterSlot *
wtsmgr_slot(int i)
{
	return (WtsmgrCounterSlot *) (wtsmgr_slots + (Size) i * WTSMGR_SLOT_SIZE);
}

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void
wtsmgr_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();

	/* every preloaded library has run its _PG_init by now */
	wtsmgr_check_take_over();

	RequestAddinShmemSpace(wtsmgr_shmem_size());
}

static void
wtsmgr_shmem_startup(void)
{
	bool		found;
	WtsmgrShared *shared;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("wtsmgr", wtsmgr_shmem_size(), &found);
	wtsmgr_slots = (char *) TYPEALIGN(PG_CACHE_LINE_SIZE,
									  (char *) shared + wtsmgr_slots_offset());
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
		shared->nslots = wtsmgr_nslots();
		for (int i = 0; i < shared->nslots; i++)
		{
			WtsmgrCounterSlot *slot = wtsmgr_slot(i);

			pg_atomic_init_u32(&slot->backend_type, (uint32) -1);
			for (int c = 0; c < WTSMGR_NCOUNTERS; c++)
				pg_atomic_init_u64(&slot->counters[c], 0);
			pg_atomic_init_u32(&slot->inflight, 0);
			pg_atomic_init_u32(&slot->inflight_peak, 0);
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

/*
 * Find this process's slot, the first time it counts (and again should its
 * backend type change): its ProcNumber's slot, if no process of another
 * type has counted there.  None for a process without a ProcNumber.
 */
static void
wtsmgr_find_slot(WtsmgrShared *shared, int type)
{
	WtsmgrCounterSlot *slot;
	uint32		owner;

	my_slot = NULL;
	my_slot_pid = MyProcPid;
	my_slot_type = type;
	if (MyProcNumber < 0 || MyProcNumber >= shared->nslots)
		return;
	slot = wtsmgr_slot(MyProcNumber);
	owner = pg_atomic_read_u32(&slot->backend_type);
	if (owner == (uint32) -1)
	{
		/* only the holder of the ProcNumber writes here: no race */
		pg_atomic_write_u32(&slot->backend_type, (uint32) type);
		pg_write_barrier();
	}
	else if (owner != (uint32) type)
		return;
	my_slot = slot;
}

/*
 * This process's backend type, -1 when it cannot count (no shared memory
 * yet, a type out of range); *slot is its slot, NULL when it has none.
 */
static inline int
counting_type(WtsmgrCounterSlot **slot)
{
	int			t = (int) MyBackendType;

	if (wtsmgr_shared == NULL || t < 0 || t >= BACKEND_NUM_TYPES)
		return -1;
	if (unlikely(my_slot_pid != MyProcPid || my_slot_type != t))
		wtsmgr_find_slot(wtsmgr_shared, t);
	*slot = my_slot;
	return t;
}

void
wtsmgr_count(WtsmgrCounter c, uint64 value)
{
	WtsmgrCounterSlot *slot;
	int			t = counting_type(&slot);

	if (t < 0)
		return;
	if (likely(slot != NULL))
	{
		/* the only writer: a plain load and store, no locked instruction */
		pg_atomic_write_u64(&slot->counters[c],
							pg_atomic_read_u64(&slot->counters[c]) + value);
		return;
	}
	pg_atomic_fetch_add_u64(&wtsmgr_shared->counters[t][c], value);
}

/*
 * The number of asynchronous writes this process has in flight.  Only
 * processes with a slot write asynchronously (those of the background
 * types always have one); the peak is kept for the life of the server.
 */
void
wtsmgr_set_inflight(int inflight)
{
	WtsmgrCounterSlot *slot;

	if (counting_type(&slot) < 0 || slot == NULL)
		return;
	pg_atomic_write_u32(&slot->inflight, (uint32) inflight);
	if ((uint32) inflight > pg_atomic_read_u32(&slot->inflight_peak))
		pg_atomic_write_u32(&slot->inflight_peak, (uint32) inflight);
}

/* Per backend type: writes in flight now (sum) and the largest peak. */
void
wtsmgr_stats_inflight(int64 inflight[], int64 peak[])
{
	WtsmgrShared *shared = wtsmgr_shared;

	for (int t = 0; t < BACKEND_NUM_TYPES; t++)
		inflight[t] = peak[t] = 0;
	for (int i = 0; i < shared->nslots; i++)
	{
		WtsmgrCounterSlot *slot = wtsmgr_slot(i);
		uint32		t = pg_atomic_read_u32(&slot->backend_type);

		if (t >= BACKEND_NUM_TYPES)
			continue;
		pg_read_barrier();
		inflight[t] += pg_atomic_read_u32(&slot->inflight);
		peak[t] = Max(peak[t], (int64) pg_atomic_read_u32(&slot->inflight_peak));
	}
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

/* The sums of the shared array and of every slot, per type. */
static void
wtsmgr_stats_sum(WtsmgrShared *shared, uint64 sums[][WTSMGR_NCOUNTERS])
{
	for (int t = 0; t < BACKEND_NUM_TYPES; t++)
		for (int c = 0; c < WTSMGR_NCOUNTERS; c++)
			sums[t][c] = pg_atomic_read_u64(&shared->counters[t][c]);
	for (int i = 0; i < shared->nslots; i++)
	{
		WtsmgrCounterSlot *slot = wtsmgr_slot(i);
		uint32		t = pg_atomic_read_u32(&slot->backend_type);

		if (t >= BACKEND_NUM_TYPES)
			continue;			/* unused (-1) */
		pg_read_barrier();
		for (int c = 0; c < WTSMGR_NCOUNTERS; c++)
			sums[t][c] += pg_atomic_read_u64(&slot->counters[c]);
	}
}

/* Every counter of every backend type, since the last reset. */
void
wtsmgr_stats_read(uint64 values[][WTSMGR_NCOUNTERS])
{
	WtsmgrShared *shared = wtsmgr_shared;

	wtsmgr_stats_sum(shared, values);
	for (int t = 0; t < BACKEND_NUM_TYPES; t++)
		for (int c = 0; c < WTSMGR_NCOUNTERS; c++)
		{
			uint64		base = pg_atomic_read_u64(&shared->baseline[t][c]);

			values[t][c] = values[t][c] > base ? values[t][c] - base : 0;
		}
}

TimestampTz
wtsmgr_stats_reset_time(void)
{
	return (TimestampTz) pg_atomic_read_u64(&wtsmgr_shared->stats_reset);
}

/*
 * Reset: the counters themselves only ever grow (their writers take no
 * lock, and a store of zero could lose their increments); their current
 * sums become the baseline that readers subtract.  The once-only WAL
 * fallback message may be logged again.
 */
void
wtsmgr_stats_reset(void)
{
	WtsmgrShared *shared = wtsmgr_shared;
	uint64		sums[BACKEND_NUM_TYPES][WTSMGR_NCOUNTERS];

	wtsmgr_stats_sum(shared, sums);
	for (int t = 0; t < BACKEND_NUM_TYPES; t++)
		for (int c = 0; c < WTSMGR_NCOUNTERS; c++)
			pg_atomic_write_u64(&shared->baseline[t][c], sums[t][c]);
	pg_atomic_write_u32(&shared->wal_fallback_logged, 0);
	pg_atomic_write_u64(&shared->stats_reset,
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

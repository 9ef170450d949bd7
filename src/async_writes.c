/*-------------------------------------------------------------------------
 *
 * async_writes.c
 *	  Atomic data writes submitted through io_uring, so that the
 *	  checkpointer and the bgwriter do not wait for the device page by page.
 *
 * A synchronous pwritev2(RWF_WRITETHROUGH | RWF_ATOMIC) returns once the
 * device has the page: one round trip per page.  Here the page goes to
 * io_uring with RWF_NOWAIT as well.  Our kernel documents
 * (Documentation/filesystems/writethrough.rst, "RWF_NOWAIT") that such a
 * write, issued inline by io_uring_submit(), either has its data in the
 * page cache when the call returns, the range under writeback until the
 * device completes it, or fails then having changed nothing (EAGAIN where
 * it would have had to wait).  io_uring never hands a write with RWF_NOWAIT
 * to a worker thread.  So once the intercepted write returns, every later
 * read of the page by any process sees the new data, as PostgreSQL
 * requires, and the caller's buffer is free again.  A write refused inline
 * is written synchronously from the caller's buffer, under the rules of
 * write_path.c.
 *
 * The writes in flight are this process's own, at most
 * wtsmgr.max_inflight_writes of them.  They are completed ("drained"):
 *	- before fsync, fdatasync, sync_file_range, ftruncate or close of their
 *	  file, and before any unlink;
 *	- before the process sleeps (epoll_wait with a timeout: WaitLatch and
 *	  WaitEventSetWait), and when it exits.
 * So no write is in flight across a sync PostgreSQL relies on, and none
 * outlives an idle bgwriter.  These are replacements of the libc functions
 * in the executable's relocation slots (rebind.c); in a process with
 * nothing in flight they cost one comparison.
 *
 * A write that fails after its submission returned cannot be given back
 * to PostgreSQL, whose buffer may have changed since: it is handled like
 * a failed fsync with data_sync_retry = off, a PANIC, and crash recovery
 * replays the page from WAL.  The kernel drops a failed atomic write's
 * data from the page cache and records the error for the fsync of every
 * file description, so no checkpoint can complete over it either.  With
 * data_sync_retry = on the failure would have to be retried, which cannot
 * be done here: data writes are then synchronous.
 *
 * src/async_writes.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef WTSMGR_HAVE_LIBURING
#include <liburing.h>
#endif

#include "miscadmin.h"
#include "portability/instr_time.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "utils/memutils.h"

#include "wtsmgr.h"
#include "wtsmgr_uapi.h"

/* GUC variables */
int			wtsmgr_async_writes = WTSMGR_ASYNC_BACKGROUND;
int			wtsmgr_max_inflight_writes = 32;
int			wtsmgr_inject_async_fault = WTSMGR_ASYNC_FAULT_OFF;

/* Decided in the postmaster (wtsmgr_async_decide), inherited */
bool		wtsmgr_async_proven = false;
char		wtsmgr_async_reason[256] = "not decided";

/* The real functions behind the barriers (rebind.c points them at libc) */
int			(*wtsmgr_real_fsync) (int fd) = fsync;
int			(*wtsmgr_real_fdatasync) (int fd) = fdatasync;
int			(*wtsmgr_real_sync_file_range) (int fd, off_t offset, off_t nbytes,
											unsigned int flags) = sync_file_range;
int			(*wtsmgr_real_ftruncate) (int fd, off_t length) = ftruncate;
int			(*wtsmgr_real_close) (int fd) = close;
int			(*wtsmgr_real_unlink) (const char *path) = unlink;
int			(*wtsmgr_real_epoll_wait) (int epfd, void *events, int maxevents,
									   int timeout) = (void *) epoll_wait;

const char *
wtsmgr_async_name(int value)
{
	switch (value)
	{
		case WTSMGR_ASYNC_OFF:
			return "off";
		case WTSMGR_ASYNC_BACKGROUND:
			return "background";
		case WTSMGR_ASYNC_ALL:
			return "all";
	}
	return "unknown";
}

#ifdef WTSMGR_HAVE_LIBURING

/*
 * The count of writes in flight in this process: the barriers read it
 * first, and do nothing more while it is zero.
 */
static int	ninflight = 0;

/* wtsmgr.inject_async_fault = late_copy: the page not yet handed over */
static char late_page[BLCKSZ];
static int	late_fd = -1;
static off_t late_offset;

/*
 * wtsmgr.inject_async_fault = late_copy: write the page held back by the
 * previous data write now (synchronously, atomically).
 */
static void
flush_late_page(void)
{
	struct iovec iov = {.iov_base = late_page,.iov_len = BLCKSZ};
	int			fd = late_fd;

	if (likely(fd < 0))
		return;
	late_fd = -1;
	if (pwritev2(fd, &iov, 1, late_offset,
				 RWF_WRITETHROUGH | RWF_ATOMIC) != BLCKSZ)
		elog(PANIC, "could not write the page held back by wtsmgr.inject_async_fault: %m");
}

typedef struct InflightWrite
{
	int			fd;				/* -1: the slot is free */
	off_t		offset;
} InflightWrite;

static struct io_uring ring;
static pid_t ring_pid = 0;		/* the ring belongs to this process */
static bool ring_failed = false;	/* this process cannot have one */
static InflightWrite *inflight = NULL;
static int	nslots = 0;

/*
 * Probe, in the postmaster, on the probe file of a location, whose first
 * page has just been written atomically from iov: submit an atomic
 * write-through overwrite of it with RWF_NOWAIT and wait for its
 * completion.  A kernel without the inline guarantee refuses RWF_NOWAIT
 * for write-through writes (EOPNOTSUPP).  EAGAIN is what a write gets
 * when the file's timestamps are due for an update (once per clock tick
 * on a mount without lazytime): after a synchronous write, which updates
 * them, it is tried again at once, a few times.
 */
void
wtsmgr_async_probe(int fd, const struct iovec *iov, WtsmgrLocation *loc)
{
	struct io_uring pr;
	int			ret;

	loc->async_ok = false;
	loc->async_errno = 0;
	ret = io_uring_queue_init(4, &pr, 0);
	if (ret < 0)
	{
		loc->async_errno = -ret;
		return;
	}
	for (int attempt = 0; attempt < 5; attempt++)
	{
		struct io_uring_sqe *sqe = io_uring_get_sqe(&pr);
		struct io_uring_cqe *cqe;

		io_uring_prep_writev2(sqe, fd, iov, 1, 0,
							  RWF_WRITETHROUGH | RWF_ATOMIC | RWF_NOWAIT);
		if ((ret = io_uring_submit(&pr)) != 1 ||
			(ret = io_uring_wait_cqe(&pr, &cqe)) < 0)
		{
			loc->async_errno = ret < 0 ? -ret : EIO;
			break;
		}
		ret = cqe->res;
		io_uring_cqe_seen(&pr, cqe);
		if (ret == BLCKSZ)
		{
			loc->async_ok = true;
			break;
		}
		loc->async_errno = ret < 0 ? -ret : EIO;
		if (ret != -EAGAIN ||
			pwritev2(fd, iov, 1, 0, RWF_WRITETHROUGH | RWF_ATOMIC) != BLCKSZ)
			break;
	}
	io_uring_queue_exit(&pr);
}

static bool
async_enabled_here(void)
{
	if (!wtsmgr_async_proven || ring_failed ||
		wtsmgr_async_writes == WTSMGR_ASYNC_OFF)
		return false;
	if (wtsmgr_async_writes == WTSMGR_ASYNC_ALL)
		return true;
	return MyBackendType == B_CHECKPOINTER || MyBackendType == B_BG_WRITER;
}

static void drain_at_exit(int code, Datum arg);

/* This process's ring, set up at its first asynchronous write. */
static bool
ensure_ring(void)
{
	int			ret;

	if (ring_pid == MyProcPid)
		return true;
	/* a ring inherited through fork belongs to the parent: never used */
	ring_pid = 0;
	ninflight = 0;
	nslots = wtsmgr_max_inflight_writes;

	/*
	 * Completions are taken only when this process asks for them (at its
	 * next submission or wait): no interruption per completed write.
	 */
	ret = io_uring_queue_init(nslots, &ring,
							  IORING_SETUP_SINGLE_ISSUER |
							  IORING_SETUP_DEFER_TASKRUN);
	if (ret == -EINVAL)
		ret = io_uring_queue_init(nslots, &ring, 0);
	if (ret < 0)
	{
		ring_failed = true;
		ereport(LOG,
				(errmsg("data writes of this process are synchronous: io_uring_queue_init failed: %s",
						strerror(-ret))));
		return false;
	}
	inflight = MemoryContextAlloc(TopMemoryContext,
								  nslots * sizeof(InflightWrite));
	for (int i = 0; i < nslots; i++)
		inflight[i].fd = -1;
	ring_pid = MyProcPid;
	before_shmem_exit(drain_at_exit, (Datum) 0);
	return true;
}

/*
 * A write that failed after its submission returned: the page cannot be
 * written again from here (PostgreSQL's buffer may have changed since).
 */
static void
report_async_failure(const InflightWrite *w, int res)
{
	wtsmgr_count(WTSMGR_C_ATOMIC_FAILURES, 1);
	wtsmgr_report_atomic_failure(PANIC, w->fd, w->offset, res < 0 ? -res : EIO,
								 res < 0 ?
								 "The write was asynchronous and failed after it had been submitted." :
								 "The write was asynchronous and failed after it had been submitted (it wrote part of the page).",
								 "This is handled like a failed fsync; crash recovery replays the page from WAL.");
}

/*
 * Take one completion.  "current" is the slot submitted by the caller
 * still inside wtsmgr_async_write_page(), -1 otherwise: a failure of that
 * write is returned (its page is still the caller's to write again), any
 * other failure is a PANIC.
 */
static int
complete(struct io_uring_cqe *cqe, int current)
{
	int			slot = (int) (uintptr_t) io_uring_cqe_get_data(cqe);
	int			res = cqe->res;

	io_uring_cqe_seen(&ring, cqe);
	if (slot < 0 || slot >= nslots || inflight[slot].fd < 0)
		elog(PANIC, "unexpected io_uring completion %d", slot);
	if (res == BLCKSZ && slot != current &&
		wtsmgr_inject_async_fault == WTSMGR_ASYNC_FAULT_EIO)
		res = -EIO;
	if (res != BLCKSZ && slot != current)
		report_async_failure(&inflight[slot], res);
	inflight[slot].fd = -1;
	ninflight--;
	wtsmgr_set_inflight(ninflight);
	return slot == current ? res : BLCKSZ;
}

/* Take the completions there are, without waiting. */
static int
reap(int current)
{
	struct io_uring_cqe *cqe;
	int			res = BLCKSZ;

	while (ninflight > 0 && io_uring_peek_cqe(&ring, &cqe) == 0)
	{
		int			slot = (int) (uintptr_t) io_uring_cqe_get_data(cqe);
		int			r = complete(cqe, current);

		if (slot == current)
			res = r;
	}
	return res;
}

/*
 * Wait until no write of fd (any write if fd < 0) is in flight, or, with
 * one_slot, until a slot is free.
 */
static void
wait_for(int fd, bool one_slot)
{
	instr_time	start,
				duration;
	bool		waited = false;

	reap(-1);
	for (;;)
	{
		struct io_uring_cqe *cqe;
		bool		pending = false;
		int			ret;

		if (one_slot)
			pending = ninflight >= nslots;
		else if (fd < 0)
			pending = ninflight > 0;
		else
			for (int i = 0; i < nslots && !pending; i++)
				pending = inflight[i].fd == fd;
		if (!pending)
			break;
		if (!waited)
		{
			INSTR_TIME_SET_CURRENT(start);
			waited = true;
		}
		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret == -EINTR)
			continue;
		if (ret < 0)
			elog(PANIC, "could not wait for io_uring completions: %s",
				 strerror(-ret));
		complete(cqe, -1);
		reap(-1);
	}
	if (waited)
	{
		INSTR_TIME_SET_CURRENT(duration);
		INSTR_TIME_SUBTRACT(duration, start);
		wtsmgr_count(WTSMGR_C_ASYNC_WAITS, 1);
		wtsmgr_count(WTSMGR_C_ASYNC_WAIT_US,
					 INSTR_TIME_GET_MICROSEC(duration));
	}
}

static void
drain_at_exit(int code, Datum arg)
{
	flush_late_page();
	if (ring_pid == MyProcPid && ninflight > 0)
		wait_for(-1, false);
}

/*
 * Submit one page.  True when it is in flight (its data in the page cache,
 * the caller's buffer free); false when the caller must write it
 * synchronously: the kernel refused it inline, or this process does not
 * write asynchronously.
 */
bool
wtsmgr_async_write_page(int fd, const struct iovec *iov, int iovcnt,
						off_t offset)
{
	struct io_uring_sqe *sqe;
	int			slot = -1;
	int			ret;

	flush_late_page();
	if (!async_enabled_here() || !ensure_ring())
		return false;

	if (wtsmgr_inject_async_fault == WTSMGR_ASYNC_FAULT_LATE_COPY)
	{
		size_t		done = 0;

		/* a broken path, for tests: the page is written later */
		for (int i = 0; i < iovcnt && done < BLCKSZ; i++)
		{
			size_t		n = Min(iov[i].iov_len, BLCKSZ - done);

			memcpy(late_page + done, iov[i].iov_base, n);
			done += n;
		}
		late_fd = fd;
		late_offset = offset;
		wtsmgr_count(WTSMGR_C_ASYNC_WRITES, 1);
		return true;
	}

	if (ninflight >= nslots)
		wait_for(-1, true);
	for (int i = 0; i < nslots; i++)
		if (inflight[i].fd < 0)
		{
			slot = i;
			break;
		}
	sqe = io_uring_get_sqe(&ring);
	if (slot < 0 || sqe == NULL)
		elog(PANIC, "no free io_uring slot with %d of %d writes in flight",
			 ninflight, nslots);

	io_uring_prep_writev2(sqe, fd, iov, iovcnt, offset,
						  RWF_WRITETHROUGH | RWF_ATOMIC | RWF_NOWAIT);
	io_uring_sqe_set_data(sqe, (void *) (uintptr_t) slot);
	inflight[slot].fd = fd;
	inflight[slot].offset = offset;
	ninflight++;

	ret = io_uring_submit_and_get_events(&ring);
	if (ret != 1)
	{
		/*
		 * The kernel did not take the entry, and would take it at the next
		 * submission, with a stale iovec: finish what is in flight and
		 * give up the ring; this process writes synchronously from now.
		 */
		inflight[slot].fd = -1;
		ninflight--;
		wait_for(-1, false);
		io_uring_queue_exit(&ring);
		ring_pid = 0;
		ring_failed = true;
		ereport(LOG,
				(errmsg("data writes of this process are synchronous from now on: io_uring_submit returned %d",
						ret)));
		return false;
	}
	wtsmgr_set_inflight(ninflight);

	/*
	 * Whatever the kernel refused inline has completed by now: take it,
	 * and completions of earlier writes with it.
	 */
	ret = reap(slot);
	if (ret != BLCKSZ)
	{
		wtsmgr_count(WTSMGR_C_ASYNC_REFUSED, 1);
		return false;
	}
	wtsmgr_count(WTSMGR_C_ASYNC_WRITES, 1);
	return true;
}

/*
 * Complete the writes of fd in flight (all writes for fd < 0).  The page
 * held back by wtsmgr.inject_async_fault = late_copy goes first, except
 * before a sleep: that fault is meant to leave it behind as long as it can.
 */
static inline void
drain(int fd, bool flush_late)
{
	if (unlikely(late_fd >= 0) && flush_late)
		flush_late_page();
	if (unlikely(ninflight > 0) && ring_pid == MyProcPid)
		wait_for(fd, false);
}

#else							/* !WTSMGR_HAVE_LIBURING */

void
wtsmgr_async_probe(int fd, const struct iovec *iov, WtsmgrLocation *loc)
{
	loc->async_ok = false;
	loc->async_errno = EOPNOTSUPP;
}

bool
wtsmgr_async_write_page(int fd, const struct iovec *iov, int iovcnt,
						off_t offset)
{
	return false;
}

static inline void
drain(int fd, bool flush_late)
{
}

#endif							/* WTSMGR_HAVE_LIBURING */

/*
 * Decide, in the postmaster, whether asynchronous writes can be used at
 * all; wtsmgr_async_reason says why (not).  Which processes use them is
 * wtsmgr.async_writes, read at each write.
 */
void
wtsmgr_async_decide(void)
{
	wtsmgr_async_proven = false;
#ifndef WTSMGR_HAVE_LIBURING
	snprintf(wtsmgr_async_reason, sizeof(wtsmgr_async_reason),
			 "wtsmgr was built without liburing");
	return;
#endif
	if (wtsmgr_effective_mode != WTSMGR_MODE_ATOMIC)
	{
		snprintf(wtsmgr_async_reason, sizeof(wtsmgr_async_reason),
				 "data writes are not atomic (effective mode %s)",
				 wtsmgr_mode_name(wtsmgr_effective_mode));
		return;
	}
	if (data_sync_retry)
	{
		snprintf(wtsmgr_async_reason, sizeof(wtsmgr_async_reason),
				 "data_sync_retry is on: a failed asynchronous write could not be retried");
		return;
	}
	if (io_direct_flags & IO_DIRECT_DATA)
	{
		snprintf(wtsmgr_async_reason, sizeof(wtsmgr_async_reason),
				 "debug_io_direct includes data: reads bypass the page cache");
		return;
	}
	if (wtsmgr_rebound_barriers == 0)
	{
		snprintf(wtsmgr_async_reason, sizeof(wtsmgr_async_reason),
				 "the server's fsync and close calls could not be taken over");
		return;
	}
	for (int i = 0; i < wtsmgr_nlocations; i++)
	{
		const WtsmgrLocation *loc = &wtsmgr_locations[i];

		if (loc->probe_ok && !loc->async_ok)
		{
			snprintf(wtsmgr_async_reason, sizeof(wtsmgr_async_reason),
					 "an io_uring atomic write-through write with RWF_NOWAIT failed in \"%s\": %s",
					 loc->path, strerror(loc->async_errno));
			return;
		}
	}
	wtsmgr_async_proven = true;
	snprintf(wtsmgr_async_reason, sizeof(wtsmgr_async_reason),
			 "io_uring atomic write-through writes with RWF_NOWAIT are copied when submitted");
}

/*
 * The barriers: replacements of the server's libc calls that complete the
 * writes in flight first.
 */
int
wtsmgr_async_fsync(int fd)
{
	drain(fd, true);
	return wtsmgr_real_fsync(fd);
}

int
wtsmgr_async_fdatasync(int fd)
{
	drain(fd, true);
	return wtsmgr_real_fdatasync(fd);
}

int
wtsmgr_async_sync_file_range(int fd, off_t offset, off_t nbytes,
							 unsigned int flags)
{
	drain(fd, true);
	return wtsmgr_real_sync_file_range(fd, offset, nbytes, flags);
}

int
wtsmgr_async_ftruncate(int fd, off_t length)
{
	drain(fd, true);
	return wtsmgr_real_ftruncate(fd, length);
}

int
wtsmgr_async_close(int fd)
{
	drain(fd, true);
	return wtsmgr_real_close(fd);
}

int
wtsmgr_async_unlink(const char *path)
{
	drain(-1, true);
	return wtsmgr_real_unlink(path);
}

int
wtsmgr_async_epoll_wait(int epfd, void *events, int maxevents, int timeout)
{
	/* a poll that cannot sleep is no barrier */
	if (timeout != 0)
		drain(-1, false);
	return wtsmgr_real_epoll_wait(epfd, events, maxevents, timeout);
}

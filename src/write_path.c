/*-------------------------------------------------------------------------
 *
 * write_path.c
 *	  The write path: what becomes of each write of the server.
 *
 * It is entered through the core hooks file_pwritev_hook and
 * wal_segment_init_hook when the server has them (rebind.c), and through
 * replacements for pwrite, pwritev and posix_fallocate otherwise.  Either
 * way the wait event of the write tells us what it is (the hook receives
 * it; the replacements read *my_wait_event_info, which PostgreSQL sets
 * right before each of its I/O calls):
 *	- DATA_FILE_WRITE / DATA_FILE_EXTEND: relation data (md.c), written
 *	  per BLCKSZ page with pwritev2(RWF_WRITETHROUGH | RWF_ATOMIC) in
 *	  atomic mode, with RWF_WRITETHROUGH in writethrough mode, unchanged
 *	  when the mode is off;
 *	- WAL_INIT_WRITE: the zero-fill of a new WAL segment, done with
 *	  fallocate(FALLOC_FL_WRITE_ZEROES) instead when possible;
 *	- anything else passes through untouched.
 *
 * These functions run in every server process, in any context where
 * PostgreSQL writes: they call the real functions through saved pointers
 * (never through the executable's rebound slots, so they cannot recurse),
 * count with lock-free atomics, and raise an error only in the one case
 * where carrying on would be wrong: an atomic write that failed while
 * full_page_writes is off.
 *
 * src/write_path.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/uio.h>
#include <unistd.h>

#include "access/xlog.h"
#include "port/pg_iovec.h"
#include "utils/wait_event.h"

#include "wtsmgr.h"
#include "wtsmgr_uapi.h"

ssize_t		(*wtsmgr_real_pwritev) (int fd, const struct iovec *iov,
									int iovcnt, off_t offset) = pwritev;
#ifndef PG_HAVE_FILE_PWRITEV_HOOK
ssize_t		(*wtsmgr_real_pwrite) (int fd, const void *buf, size_t n,
								   off_t offset) = pwrite;
int			(*wtsmgr_real_posix_fallocate) (int fd, off_t offset,
											off_t len) = posix_fallocate;
#endif

/* Largest number of pieces one page may be made of in a caller's iovec. */
#define MAX_PAGE_PIECES 32

/* Per process: the WAL segment file whose zero-fill fell back. */
static int	wal_fallback_fd = -1;

static inline bool
is_data_write(uint32 ev)
{
	return ev == WAIT_EVENT_DATA_FILE_WRITE ||
		ev == WAIT_EVENT_DATA_FILE_EXTEND;
}

static size_t
iov_total(const struct iovec *iov, int iovcnt)
{
	size_t		total = 0;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	return total;
}

/* Name of an open file, for error messages. */
static void
fd_path(int fd, char *buf, size_t len)
{
	char		link[64];
	ssize_t		n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	if (n < 0)
		snprintf(buf, len, "(file descriptor %d)", fd);
	else
		buf[n] = '\0';
}

/*
 * Write with RWF_WRITETHROUGH; where the file system does not support it,
 * write as PostgreSQL would have (write-through is about when the data
 * reaches the device, not whether: the checkpoint's fsync still follows).
 */
static ssize_t
writethrough_writev(int fd, const struct iovec *iov, int iovcnt, off_t offset)
{
	ssize_t		r;

	r = pwritev2(fd, iov, iovcnt, offset, RWF_WRITETHROUGH);
	if (r >= 0)
	{
		wtsmgr_count(WTSMGR_C_WT_WRITES, 1);
		wtsmgr_count(WTSMGR_C_WT_BYTES, r);
		return r;
	}
	if (errno != EOPNOTSUPP && errno != EINVAL)
		return r;
	r = wtsmgr_real_pwritev(fd, iov, iovcnt, offset);
	if (r >= 0)
	{
		wtsmgr_count(WTSMGR_C_PASS_WRITES, 1);
		wtsmgr_count(WTSMGR_C_PASS_BYTES, r);
	}
	return r;
}

/*
 * Collect the pieces of the caller's iovec that make up bytes
 * [pos, pos + BLCKSZ) of the write.  Returns the number of pieces, or -1
 * if there are too many.
 */
static int
page_pieces(const struct iovec *iov, int iovcnt, size_t pos,
			struct iovec *out)
{
	size_t		skip = pos;
	size_t		want = BLCKSZ;
	int			n = 0;

	for (int i = 0; i < iovcnt && want > 0; i++)
	{
		size_t		len = iov[i].iov_len;

		if (skip >= len)
		{
			skip -= len;
			continue;
		}
		if (n == MAX_PAGE_PIECES)
			return -1;
		out[n].iov_base = (char *) iov[i].iov_base + skip;
		out[n].iov_len = Min(len - skip, want);
		want -= out[n].iov_len;
		skip = 0;
		n++;
	}
	return n;
}

/* The error wtsmgr.inject_atomic_failure stands for. */
static int
inject_errno(void)
{
	switch (wtsmgr_inject_atomic_failure)
	{
		case WTSMGR_INJECT_ENOSPC:
			return ENOSPC;
		case WTSMGR_INJECT_EIO:
			return EIO;
		default:
			return EOPNOTSUPP;
	}
}

/*
 * Atomic mode: one pwritev2(RWF_WRITETHROUGH | RWF_ATOMIC) per page.
 */
static ssize_t
atomic_writev(int fd, const struct iovec *iov, int iovcnt, off_t offset)
{
	size_t		total = iov_total(iov, iovcnt);
	size_t		done = 0;

	/* Only whole, aligned pages can be written atomically. */
	if (offset % BLCKSZ != 0 || total % BLCKSZ != 0)
		return writethrough_writev(fd, iov, iovcnt, offset);

	while (done < total)
	{
		struct iovec piece[MAX_PAGE_PIECES];
		int			npieces;
		ssize_t		r;

		npieces = page_pieces(iov, iovcnt, done, piece);
		if (npieces < 0)
		{
			errno = EINVAL;
			r = -1;
		}
		else if (wtsmgr_inject_atomic_failure != WTSMGR_INJECT_OFF)
		{
			errno = inject_errno();
			r = -1;
		}
		else
			r = pwritev2(fd, piece, npieces, offset + done,
						 RWF_WRITETHROUGH | RWF_ATOMIC);
		if (r == BLCKSZ)
		{
			wtsmgr_count(WTSMGR_C_ATOMIC_WRITES, 1);
			wtsmgr_count(WTSMGR_C_ATOMIC_BYTES, BLCKSZ);
			done += BLCKSZ;
			continue;
		}
		if (r >= 0)
		{
			/* atomic writes are all or nothing; report what we have */
			return done + r;
		}
		if (errno == EINTR || errno == EAGAIN)
			return done > 0 ? (ssize_t) done : -1;

		wtsmgr_count(WTSMGR_C_ATOMIC_FAILURES, 1);
		if (!fullPageWrites)
		{
			int			save_errno = errno;
			char		path[MAXPGPATH];

			fd_path(fd, path, sizeof(path));
			errno = save_errno;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("wtsmgr: could not write block atomically to file \"%s\" at offset %lld: %m",
							path, (long long) (offset + done)),
					 errdetail("full_page_writes is off, so the page is not written without atomicity."),
					 errhint("Check the file system's atomic write support, or turn full_page_writes on.")));
		}

		/*
		 * full_page_writes is on, so a torn page can be repaired: write the
		 * rest without atomicity rather than fail.
		 */
		{
			struct iovec rest[PG_IOV_MAX + 1];
			int			nrest = 0;
			size_t		skip = done;
			ssize_t		w;

			for (int i = 0; i < iovcnt && nrest < lengthof(rest); i++)
			{
				if (skip >= iov[i].iov_len)
				{
					skip -= iov[i].iov_len;
					continue;
				}
				rest[nrest].iov_base = (char *) iov[i].iov_base + skip;
				rest[nrest].iov_len = iov[i].iov_len - skip;
				skip = 0;
				nrest++;
			}
			w = writethrough_writev(fd, rest, nrest, offset + done);
			if (w < 0)
				return done > 0 ? (ssize_t) done : -1;
			return done + w;
		}
	}
	return done;
}

static ssize_t
data_writev(int fd, const struct iovec *iov, int iovcnt, off_t offset)
{
	ssize_t		r;

	switch (wtsmgr_effective_mode)
	{
		case WTSMGR_MODE_ATOMIC:
			return atomic_writev(fd, iov, iovcnt, offset);
		case WTSMGR_MODE_WRITETHROUGH:
			return writethrough_writev(fd, iov, iovcnt, offset);
		default:
			r = wtsmgr_real_pwritev(fd, iov, iovcnt, offset);
			if (r >= 0)
			{
				wtsmgr_count(WTSMGR_C_PASS_WRITES, 1);
				wtsmgr_count(WTSMGR_C_PASS_BYTES, r);
			}
			return r;
	}
}

static bool
iov_all_zero(const struct iovec *iov, int iovcnt)
{
	const void *checked = NULL;

	for (int i = 0; i < iovcnt; i++)
	{
		const char *p = iov[i].iov_base;

		/* pg_pwrite_zeros repeats one zero block: check it once */
		if (p == checked)
			continue;
		for (size_t j = 0; j < iov[i].iov_len; j++)
			if (p[j] != 0)
				return false;
		checked = p;
	}
	return true;
}

/*
 * Zero len bytes of a new WAL segment at offset with
 * fallocate(FALLOC_FL_WRITE_ZEROES).  Returns len, or -1 with errno set;
 * -2 when the caller should write the zeroes itself.
 */
static ssize_t
wal_write_zeroes(int fd, off_t offset, size_t len)
{
	if (!wtsmgr_wal_write_zeroes || len == 0 ||
		offset % 4096 != 0 || len % 4096 != 0)
		return -2;

	/* The rest of a segment whose first call fell back falls back too. */
	if (offset == 0)
		wal_fallback_fd = -1;
	else if (fd == wal_fallback_fd)
		return -2;

	if (fallocate(fd, FALLOC_FL_WRITE_ZEROES, offset, len) == 0)
	{
		if (offset == 0)
			wtsmgr_count(WTSMGR_C_WAL_SEG_ZEROES, 1);
		wtsmgr_count(WTSMGR_C_WAL_ZEROES_BYTES, len);
		return len;
	}
	if (errno != EOPNOTSUPP && errno != EINVAL)
		return -1;

	if (offset == 0)
	{
		int			save_errno = errno;

		wal_fallback_fd = fd;
		wtsmgr_count(WTSMGR_C_WAL_SEG_FALLBACK, 1);
		if (wtsmgr_log_wal_fallback_once())
		{
			errno = save_errno;
			ereport(LOG,
					(errmsg("wtsmgr: FALLOC_FL_WRITE_ZEROES is not supported for WAL segments here, they are zero-filled as usual: %m"),
					 errdetail("This is logged once; wtsmgr_stats counts the segments.")));
		}
	}
	return -2;
}

/*
 * Every write of the server that we see, with the wait event that says
 * what it is.
 */
static ssize_t
classified_writev(int fd, const struct iovec *iov, int iovcnt, off_t offset,
				  uint32 ev)
{
	if (is_data_write(ev))
		return data_writev(fd, iov, iovcnt, offset);
	if (ev == WAIT_EVENT_WAL_INIT_WRITE && iov_all_zero(iov, iovcnt))
	{
		ssize_t		r = wal_write_zeroes(fd, offset, iov_total(iov, iovcnt));

		if (r != -2)
			return r;
	}
	return wtsmgr_real_pwritev(fd, iov, iovcnt, offset);
}

#ifdef PG_HAVE_FILE_PWRITEV_HOOK

/*
 * file_pwritev_hook: FileWriteV() hands us every write of relation data,
 * and of the other files it writes.
 */
ssize_t
wtsmgr_file_pwritev(int fd, const struct iovec *iov, int iovcnt,
					off_t offset, uint32 wait_event_info)
{
	return classified_writev(fd, iov, iovcnt, offset, wait_event_info);
}

/*
 * wal_segment_init_hook: the zero-fill of a new WAL segment, all of it at
 * once; 0 lets PostgreSQL write the zeroes.
 */
ssize_t
wtsmgr_wal_segment_init(int fd, size_t size)
{
	ssize_t		r = wal_write_zeroes(fd, 0, size);

	return r == -2 ? 0 : r;
}

#else							/* !PG_HAVE_FILE_PWRITEV_HOOK */

/*
 * The replacements for the libc functions: the wait event is read from
 * *my_wait_event_info, which PostgreSQL sets right before each call.
 */
ssize_t
wtsmgr_pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset)
{
	return classified_writev(fd, iov, iovcnt, offset, *my_wait_event_info);
}

ssize_t
wtsmgr_pwrite(int fd, const void *buf, size_t n, off_t offset)
{
	uint32		ev = *my_wait_event_info;
	struct iovec iov = {.iov_base = unconstify(void *, buf),.iov_len = n};

	if (is_data_write(ev) || ev == WAIT_EVENT_WAL_INIT_WRITE)
		return classified_writev(fd, &iov, 1, offset, ev);
	return wtsmgr_real_pwrite(fd, buf, n, offset);
}

/*
 * Relation extension by posix_fallocate (mdzeroextend, more than 8 pages
 * at once).  It leaves unwritten extents that later atomic writes would
 * have to convert: when data writes are atomic or write-through, write
 * zeroes instead where the device can.
 */
int
wtsmgr_posix_fallocate(int fd, off_t offset, off_t len)
{
	uint32		ev = *my_wait_event_info;

	if (ev == WAIT_EVENT_DATA_FILE_EXTEND &&
		wtsmgr_effective_mode != WTSMGR_MODE_OFF)
	{
		if (fallocate(fd, FALLOC_FL_WRITE_ZEROES, offset, len) == 0)
		{
			wtsmgr_count(WTSMGR_C_EXTEND_ZEROES, 1);
			return 0;
		}
		if (errno != EOPNOTSUPP && errno != EINVAL)
			return errno;
		wtsmgr_count(WTSMGR_C_EXTEND_FALLBACK, 1);
	}
	return wtsmgr_real_posix_fallocate(fd, offset, len);
}

#endif							/* PG_HAVE_FILE_PWRITEV_HOOK */

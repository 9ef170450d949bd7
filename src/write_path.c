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
 * count with lock-free atomics.  A failed atomic write is never turned
 * silently into a non-atomic one where a torn page could not be repaired
 * (check_non_atomic_write), and a device error from an atomic write is
 * handled like a failed fsync.
 *
 * src/write_path.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "access/xlog.h"
#include "storage/block.h"
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

static bool
is_unsupported_errno(int e)
{
	return e == EOPNOTSUPP || e == EINVAL;
}

/*
 * Errors that say the device, or the file system over it, failed the
 * write.  The kernel then keeps the range dirty in the page cache.
 */
static bool
is_device_error(int e)
{
	return e == EIO || e == ENXIO || e == ENODEV || e == EREMOTEIO;
}

/*
 * Block number of the page at offset of a relation segment file named
 * path ("base/5/16384.2" is segment 2).
 */
static BlockNumber
block_number(const char *path, off_t offset)
{
	const char *base = last_dir_separator(path);
	const char *dot;
	BlockNumber segno = 0;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (dot != NULL)
		segno = (BlockNumber) strtoul(dot + 1, NULL, 10);
	return segno * ((BlockNumber) RELSEG_SIZE) + (BlockNumber) (offset / BLCKSZ);
}

/*
 * "could not write block N of file ... atomically", at elevel, with the
 * caller's detail and hint (also for asynchronous writes, async_writes.c).
 */
void
wtsmgr_report_atomic_failure(int elevel, int fd, off_t offset,
							 int save_errno, const char *detail,
							 const char *hint)
{
	char		path[MAXPGPATH];

	fd_path(fd, path, sizeof(path));
	errno = save_errno;
	ereport(elevel,
			(errcode_for_file_access(),
			 errmsg("could not write block %u of file \"%s\" atomically: %m",
					block_number(path, offset), path),
			 errdetail_internal("%s", detail),
			 hint ? errhint("%s", hint) : 0));
}

/*
 * Does the relation of this file need atomic writes at all?  Temporary
 * relations ("t<proc>_<relfilenode>") and the forks of unlogged relations
 * (those with an init fork) are not recovered from WAL after a crash but
 * removed or reset, so a torn page of theirs does no harm.  The init fork
 * itself is WAL-logged and needs them.
 */
static bool
needs_atomicity(const char *path)
{
	const char *base = last_dir_separator(path);
	char		init[MAXPGPATH];
	size_t		dirlen;
	size_t		digits = 0;
	struct stat st;

	base = base ? base + 1 : path;
	if (base[0] == 't' && isdigit((unsigned char) base[1]))
		return false;
	while (isdigit((unsigned char) base[digits]))
		digits++;
	if (digits == 0 || strstr(base, "_init") != NULL)
		return true;
	dirlen = base - path;
	if (dirlen + digits + sizeof("_init") > sizeof(init))
		return true;
	memcpy(init, path, dirlen + digits);
	strcpy(init + dirlen + digits, "_init");
	return stat(init, &st) != 0;
}

/*
 * An atomic write of the page at offset is not possible (the file system
 * or device refused it).  Writing the page without atomicity is safe only
 * where a torn page can be repaired from WAL: every page changed since
 * the redo pointer of the last completed checkpoint must have had its
 * image logged.  That holds when wtsmgr itself forced full_page_writes on
 * at startup (nothing can turn it off until the next restart), the server
 * is not replaying WAL written elsewhere or before, and the last
 * checkpoint was made with full_page_writes on.  The local value of
 * full_page_writes proves nothing: it may have been turned on by reload
 * in the middle of a checkpoint cycle, or not yet have been reloaded here.
 * Otherwise raise an error (FATAL in recovery); relations that need no
 * atomicity are always written.
 */
static void
check_non_atomic_write(int fd, off_t offset, int save_errno)
{
	char		path[MAXPGPATH];
	const char *why;

	fd_path(fd, path, sizeof(path));
	if (!needs_atomicity(path))
		return;

	if (RecoveryInProgress())
		wtsmgr_report_atomic_failure(FATAL, fd, offset, save_errno,
							  "The server is replaying WAL, which may have been written with full_page_writes off: a torn page could not be repaired.",
							  "Atomic writes must work on every location of a server that replays WAL written with full_page_writes off.");
	if (!wtsmgr_fpw_forced)
		why = "full_page_writes was not forced on by wtsmgr at server start, so pages changed in this checkpoint cycle may have no full-page image in WAL.";
	else if (!wtsmgr_last_checkpoint_fpw())
		why = "The last checkpoint was made with full_page_writes off, so pages changed since then may have no full-page image in WAL.";
	else
		return;
	wtsmgr_report_atomic_failure(ERROR, fd, offset, save_errno, why,
						  "Check the atomic write support of this file's file system and device with wtsmgr_probe().");
}

/*
 * Atomic mode: one pwritev2(RWF_WRITETHROUGH | RWF_ATOMIC) per page, or,
 * with async, one io_uring submission of it (async_writes.c) where the
 * kernel takes it inline.
 */
static ssize_t
atomic_writev(int fd, const struct iovec *iov, int iovcnt, off_t offset,
			  bool async)
{
	size_t		total = iov_total(iov, iovcnt);
	size_t		done = 0;
	int			save_errno;

	/*
	 * Only whole, aligned pages can be written atomically.  md.c writes
	 * nothing else, except to resume after a short write: the rest of that
	 * page is then written without atomicity, under the same rules as a
	 * failed atomic write.
	 */
	if (offset % BLCKSZ != 0 || total % BLCKSZ != 0)
	{
		check_non_atomic_write(fd, offset - offset % BLCKSZ, EINVAL);
		return writethrough_writev(fd, iov, iovcnt, offset);
	}

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
		else if (async &&
				 wtsmgr_async_write_page(fd, piece, npieces, offset + done))
			r = BLCKSZ;			/* in flight, in the page cache already */
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

		save_errno = errno;
		if (!is_unsupported_errno(save_errno))
		{
			/*
			 * Out of space, a device error, anything but "no atomic write
			 * here": md.c reports it with its own message and hint.  After
			 * a device error, though, the kernel keeps the page dirty and
			 * may write it back later without atomicity: like a failed
			 * fsync, that is a PANIC unless data_sync_retry is on.
			 */
			if (is_device_error(save_errno))
			{
				wtsmgr_count(WTSMGR_C_ATOMIC_FAILURES, 1);
				if (data_sync_elevel(ERROR) == PANIC)
					wtsmgr_report_atomic_failure(PANIC, fd, offset + done,
										  save_errno,
										  "The kernel may write the page later without atomicity.",
										  "This is handled like a failed fsync; see data_sync_retry.");
			}
			errno = save_errno;
			return done > 0 ? (ssize_t) done : -1;
		}

		wtsmgr_count(WTSMGR_C_ATOMIC_FAILURES, 1);
		check_non_atomic_write(fd, offset + done, save_errno);

		/*
		 * A torn page can be repaired from WAL here, or needs no repair:
		 * write the rest without atomicity rather than fail.
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

/*
 * The write mode for the file behind fd.  Where the startup probe found
 * that atomic writes do not work (a tablespace on another file system),
 * the page is written as stock PostgreSQL would: an atomic call there
 * would fail every time, and full_page_writes is on anyway while any
 * location is unproven.  The same holds for a tablespace that failed the
 * probe of CREATE TABLESPACE since startup (created while full_page_writes
 * was on: it cannot be turned off while such a tablespace exists).  A file
 * system never probed (a tablespace replayed on a standby) gets the atomic
 * path and its failure rules.  *async says whether the startup probe found
 * asynchronous atomic writes working there.
 */
static int
mode_for_fd(int fd, bool *async)
{
	struct statx stx;

	*async = false;

	/*
	 * Only the device is wanted.  Asking for the timestamps (fstat) would
	 * flag the file's ctime as queried, and the kernel would then give its
	 * next write a fine-grained timestamp: an inode update for every data
	 * write, and for an asynchronous one a refusal (EAGAIN), instead of
	 * one per clock tick.
	 */
	if (wtsmgr_effective_mode != WTSMGR_MODE_ATOMIC ||
		statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE,
			  &stx) != 0)
		return wtsmgr_effective_mode;
	for (int i = 0; i < wtsmgr_nlocations; i++)
	{
		const WtsmgrLocation *loc = &wtsmgr_locations[i];

		if (loc->dev_major == stx.stx_dev_major &&
			loc->dev_minor == stx.stx_dev_minor)
		{
			*async = loc->probe_ok && loc->async_ok;
			return loc->probe_ok ? WTSMGR_MODE_ATOMIC : WTSMGR_MODE_OFF;
		}
	}
	/* probed by CREATE TABLESPACE since startup? */
	if (wtsmgr_lookup_location(stx.stx_dev_major, stx.stx_dev_minor) == 0)
		return WTSMGR_MODE_OFF;
	return WTSMGR_MODE_ATOMIC;
}

static ssize_t
data_writev(int fd, const struct iovec *iov, int iovcnt, off_t offset,
			uint32 ev)
{
	ssize_t		r;
	bool		async;

	switch (mode_for_fd(fd, &async))
	{
		case WTSMGR_MODE_ATOMIC:

			/*
			 * A page that extends the file is not an overwrite: the kernel
			 * would refuse it asynchronously (RWF_NOWAIT), so it is not
			 * tried.
			 */
			return atomic_writev(fd, iov, iovcnt, offset,
								 async && ev == WAIT_EVENT_DATA_FILE_WRITE);
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
					(errmsg("FALLOC_FL_WRITE_ZEROES is not supported for WAL segments here, they are zero-filled as usual: %m"),
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
		return data_writev(fd, iov, iovcnt, offset, ev);
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

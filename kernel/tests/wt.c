// SPDX-License-Identifier: GPL-2.0
/*
 * wt: tests of buffered write-through (RWF_WRITETHROUGH), run in the
 * guest by vm/guest/writethrough.sh.  Each subcommand is one test: it
 * prints what it checked and exits 0 when everything held, 1 when
 * something did not (with the reason), 2 on a usage or setup error.
 *
 *   wt readback FILE BLOCKDEV   data is in the page cache and on the device
 *                               when pwritev2 returns
 *   wt granularity FILE DISK    a 4 KiB write into a large dirty folio
 *                               sends 4 KiB; the rest stays dirty
 *   wt errors FILE OTHERFS_FILE the EOPNOTSUPP / EINVAL / EAGAIN cases
 *   wt uring FILE BLOCKDEV [atomic] [written]
 *                               io_uring, queue depth 32 (atomic: with
 *                               RWF_ATOMIC, 16 KiB writes; written: over
 *                               written blocks, completed asynchronously)
 *   wt atomic FILE BLOCKDEV     buffered RWF_ATOMIC with write-through:
 *                               the accepted sizes, every EINVAL /
 *                               EOPNOTSUPP / EFAULT case, read-back
 *   wt misc FILE BLOCKDEV       write-through next to hole punch,
 *                               fallocate, O_DIRECT writes, ENOSPC and a
 *                               frozen file system
 *   wt ioerr FILE BLOCKDEV [uring]
 *                               device errors: the block device must be a
 *                               device-mapper device; $WT_DM_FAIL START LEN
 *                               turns sectors START..START+LEN into
 *                               errors, $WT_DM_HEAL undoes it; "uring"
 *                               sends the failing writes through io_uring
 *   wt lost FILE DMDEV          a failed atomic write-through write leaves
 *                               earlier buffered writes (in its folio, in
 *                               its range) and the size alone, its data
 *                               never reaches the device, fsync reports it,
 *                               preallocated blocks still read as zeroes
 *   wt fsyncerr FILE DMDEV      an fsync waiting on a failing write-through
 *                               write returns the error
 *   wt eofzero FILE BLOCKDEV    mmap stores past EOF are not sent with the
 *                               EOF block of an extending write-through write
 *   wt jstress FILE SECONDS     ext4 under journal pressure: write-through,
 *                               buffered writes, fsync and commits; fails
 *                               when nothing progresses for 60 s
 *   wt cowenospc FILE           xfs: an atomic write-through write whose
 *                               copy-on-write allocation fails (ENOSPC)
 *                               keeps an earlier buffered write in its range
 *   wt delalloc FILE            xfs: a failed atomic write-through write
 *                               into a hole leaves no delayed allocation
 *                               (free space, CONFIG_XFS_DEBUG's checks)
 *   wt nearfull FILE            xfs: an atomic and a plain write-through
 *                               write into a hole succeed on a file system
 *                               with room for them once but not twice, as
 *                               a buffered write and fsync do (no double
 *                               reservation), and the plain one sends its
 *                               data once
 *   wt nearquota FILE           xfs with project quotas: the same, against
 *                               a block hard limit (EDQUOT instead of
 *                               ENOSPC)
 *   wt dsync FILE DISK          RWF_DSYNC write-through: overwrites sent
 *                               with FUA and no flush each, appends
 *                               synced, a chattr +S file written without
 *                               a hang
 *   wt inline FILE              ext4 with inline_data: a new file takes
 *                               write-through writes; a file with inline
 *                               data refuses them and keeps its mtime
 *   wt atomichang FILE          ext4 bigalloc: an atomic write-through write
 *                               over mixed extents after truncate, fallocate
 *                               and punch does not hang (fails after 60 s)
 *   wt c2order FILE DMDEV copy|convert
 *                               ext4 (1 KiB blocks) on device-mapper: no
 *                               journal handle while folios of the write
 *                               are under writeback and unsubmitted (an
 *                               fsync and a commit in the order that
 *                               deadlocks; fails after 90 s)
 *   wt nowait FILE BLOCKDEV [atomic]
 *                               io_uring overwrites are issued inline
 *                               (IOCB_NOWAIT), their data in the page
 *                               cache when submission returns, or
 *                               refused untouched (needs a lazytime mount)
 *   wt writers FILE BLOCKDEV    4 threads write through to one file,
 *                               overlapping: no torn block, the device
 *                               holds what the page cache holds
 *   wt stable FILE DMDEV        mmap stores wait for writeback only
 *                               while a write-through write of the file
 *                               is in flight, not afterwards (the device
 *                               must not need stable pages)
 *
 * The device is read with O_DIRECT on the block device at the extents
 * FIEMAP reports (without FIEMAP_FLAG_SYNC), so writeback of the file
 * cannot make a missing write-through look like a successful one.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/dqblk_xfs.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <limits.h>
#include <liburing.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/quota.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wtsmgr_uapi.h"

static int failures;

/* Report a failure; past the tenth, only count them (see the summary). */
static void fail(const char *fmt, ...)
{
	va_list ap;

	if (++failures > 10)
		return;
	va_start(ap, fmt);
	fputs("FAIL: ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
	if (failures == 10)
		puts("(further failures are only counted)");
}

static void die(const char *what)
{
	fprintf(stderr, "wt: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void *xaligned(size_t len)
{
	void *p;

	if (posix_memalign(&p, 4096, len ? len : 4096))
		die("posix_memalign");
	return p;
}

/*
 * A pattern that differs per byte offset and per write (seed).  The seed
 * is mixed into every bit: adding a small seed to the product, as this
 * once did, changed only low bits below the ones kept, so that writes
 * with different seeds had the same bytes and no check could tell old
 * data from new.
 */
static void fill(unsigned char *buf, size_t len, off_t off, unsigned int seed)
{
	uint64_t s = ((uint64_t)seed + 1) * 0xc2b2ae3d27d4eb4fULL;

	for (size_t i = 0; i < len; i++) {
		uint64_t x = ((uint64_t)(off + i) * 0x9e3779b97f4a7c15ULL) ^ s;

		x ^= x >> 31;
		x *= 0xbf58476d1ce4e5b9ULL;
		buf[i] = (unsigned char)(x >> 56) | 1;
	}
}

static ssize_t wt_write(int fd, const void *buf, size_t len, off_t off, int flags)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return pwritev2(fd, &iov, 1, off, flags);
}

/*
 * Read [off, off + len) of FILE from the device behind it: map the range
 * with FIEMAP and read each piece with O_DIRECT from the block device.
 * Fails (returns -1) if a piece is not allocated, is delayed or is
 * unwritten, which for a write-through write means it did not reach
 * the device.
 */
static int read_from_device(int fd, int bdev, off_t off, size_t len,
			    unsigned char *out)
{
	size_t fmsize = sizeof(struct fiemap) + 64 * sizeof(struct fiemap_extent);
	struct fiemap *fm = calloc(1, fmsize);
	off_t pos = off;

	if (!fm)
		die("calloc");
	while (pos < off + (off_t)len) {
		struct fiemap_extent *fe = NULL;

		memset(fm, 0, fmsize);
		fm->fm_start = pos;
		fm->fm_length = off + len - pos;
		fm->fm_extent_count = 64;
		if (ioctl(fd, FS_IOC_FIEMAP, fm) < 0)
			die("FS_IOC_FIEMAP");
		for (unsigned int i = 0; i < fm->fm_mapped_extents; i++) {
			struct fiemap_extent *e = &fm->fm_extents[i];

			if (e->fe_logical <= (uint64_t)pos &&
			    (uint64_t)pos < e->fe_logical + e->fe_length) {
				fe = e;
				break;
			}
		}
		if (!fe) {
			fail("offset %lld is not mapped on the device", (long long)pos);
			free(fm);
			return -1;
		}
		if (fe->fe_flags & (FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_UNWRITTEN |
				    FIEMAP_EXTENT_UNKNOWN)) {
			fail("offset %lld: extent flags 0x%x (delalloc/unwritten/unknown)",
			     (long long)pos, fe->fe_flags);
			free(fm);
			return -1;
		}
		{
			off_t end = fe->fe_logical + fe->fe_length;
			size_t piece = (end < off + (off_t)len ? end : off + (off_t)len) - pos;
			off_t phys = fe->fe_physical + (pos - fe->fe_logical);
			off_t astart = phys & ~4095LL;
			size_t alen = ((phys + piece + 4095) & ~4095LL) - astart;
			unsigned char *b = xaligned(alen);

			if (pread(bdev, b, alen, astart) != (ssize_t)alen)
				die("pread of the block device");
			memcpy(out + (pos - off), b + (phys - astart), piece);
			free(b);
			pos += piece;
		}
	}
	free(fm);
	return 0;
}

/* Check [off, off+len) against the expected bytes, via cache and device. */
static void verify(int fd, int bdev, off_t off, size_t len,
		   const unsigned char *want, const char *what)
{
	unsigned char *got = xaligned(len);

	if (pread(fd, got, len, off) != (ssize_t)len)
		die("pread");
	if (memcmp(got, want, len))
		fail("%s: page cache holds other data at %lld+%zu", what,
		     (long long)off, len);
	memset(got, 0, len);
	if (read_from_device(fd, bdev, off, len, got) == 0 && memcmp(got, want, len)) {
		size_t i = 0;

		while (got[i] == want[i])
			i++;
		fail("%s: the device holds other data at %lld+%zu (first difference at byte %zu)",
		     what, (long long)off, len, i);
	}
	free(got);
}

static int open_file(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		die(path);
	return fd;
}

/*
 * Allocate what is free on ffd's file system into ffd from offset got,
 * in chunks halved from start down to one block; returns the new end.
 */
static off_t fill_free_space(int ffd, off_t got, off_t start)
{
	off_t chunk;

	for (chunk = start; chunk >= 4096; chunk /= 2)
		while (fallocate(ffd, 0, got, chunk) == 0)
			got += chunk;
	return got;
}

/*
 * Create PATH.filler (its name in filler) and allocate into it all the
 * space free on PATH's file system: *sv is the space before, *got what
 * the filler took.  Returns the filler's descriptor.
 */
static int fill_fs(const char *path, char *filler, size_t size, struct statvfs *sv,
		   off_t *got)
{
	int ffd;

	snprintf(filler, size, "%s.filler", path);
	ffd = open_file(filler);
	if (fstatvfs(ffd, sv))
		die("fstatvfs");
	*got = fill_free_space(ffd, 0, (off_t)sv->f_bavail * sv->f_frsize);
	return ffd;
}

static int cmd_readback(const char *path, const char *dev)
{
	static const struct { off_t off; size_t len; } cases[] = {
		{ 0, 4096 },			/* one block, new file */
		{ 8192, 8192 },			/* a PostgreSQL page */
		{ 5000, 100 },			/* inside a block */
		{ 4000, 200 },			/* across a block boundary */
		{ 1 << 20, (1 << 20) + 12288 },	/* more than one piece */
		{ 3 << 20, 1000 },		/* extends the file, ends mid-block */
		/* later cases write from 6 MiB on */
	};
	int fd = open_file(path);
	int bdev = open(dev, O_RDONLY | O_DIRECT);
	unsigned int seed = 1;

	if (bdev < 0)
		die(dev);
	for (unsigned int round = 0; round < 2; round++) {
		/* round 0 writes into holes, round 1 overwrites */
		for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
			size_t len = cases[c].len;
			off_t off = cases[c].off;
			unsigned char *buf = xaligned(len);
			char what[96];
			ssize_t r;

			fill(buf, len, off, seed++);
			r = wt_write(fd, buf, len, off, RWF_WRITETHROUGH);
			snprintf(what, sizeof(what), "%s write of %zu bytes at %lld",
				 round ? "overwriting" : "allocating", len, (long long)off);
			if (r != (ssize_t)len) {
				fail("%s returned %zd (%s)", what, r, r < 0 ? strerror(errno) : "short");
				free(buf);
				continue;
			}
			verify(fd, bdev, off, len, buf, what);
			free(buf);
		}
	}
	{
		struct stat st;

		if (fstat(fd, &st))
			die("fstat");
		if (st.st_size != (3 << 20) + 1000)
			fail("file size is %lld, expected %d", (long long)st.st_size,
			     (3 << 20) + 1000);
	}
	/*
	 * Into a range that plain buffered writes left dirty (delayed
	 * allocation on xfs and ext4): the written blocks reach the device,
	 * the others stay in the cache.
	 */
	{
		const off_t base = 6 << 20;
		unsigned char *buf = xaligned(65536);

		fill(buf, 65536, base, seed++);
		if (pwrite(fd, buf, 65536, base) != 65536)
			die("buffered write");
		fill(buf + 16384, 8192, base + 16384, seed++);
		if (wt_write(fd, buf + 16384, 8192, base + 16384, RWF_WRITETHROUGH) != 8192)
			fail("write-through into a delayed-allocation range: %s", strerror(errno));
		else
			verify(fd, bdev, base + 16384, 8192, buf + 16384,
			       "write-through into a delayed-allocation range");
		if (fsync(fd))
			die("fsync");
		verify(fd, bdev, base, 65536, buf, "the whole range after fsync");
		free(buf);
	}
	/*
	 * Plain buffered writes over blocks that a write-through write has
	 * just allocated (unwritten extents, converted at completion) must
	 * still be written back.
	 */
	{
		const off_t base = 7 << 20;
		unsigned char *buf = xaligned(16384);

		fill(buf, 16384, base, seed++);
		if (wt_write(fd, buf, 16384, base, RWF_WRITETHROUGH) != 16384)
			fail("write-through into a hole: %s", strerror(errno));
		fill(buf + 4096, 4096, base + 4096, seed++);
		if (pwrite(fd, buf + 4096, 4096, base + 4096) != 4096 || fsync(fd))
			die("buffered write and fsync");
		verify(fd, bdev, base, 16384, buf,
		       "buffered write over write-through data, after fsync");
		free(buf);
	}
	/*
	 * A store through a shared mapping, then a write-through write and
	 * a plain buffered write to the same block: the buffered write must
	 * still reach the device on fsync (the store's dirty state must not
	 * hide it).
	 */
	{
		const off_t base = 8 << 20;
		unsigned char *buf = xaligned(16384);
		unsigned char *m;

		fill(buf, 16384, base, seed++);
		if (pwrite(fd, buf, 16384, base) != 16384 || fsync(fd))
			die("write and fsync");
		m = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_SHARED, fd, base);
		if (m == MAP_FAILED)
			die("mmap");
		fill(buf, 16384, base, seed++);
		memcpy(m, buf, 16384);			/* store through the mapping */
		fill(buf, 16384, base, seed++);		/* then write all of it through */
		if (wt_write(fd, buf, 16384, base, RWF_WRITETHROUGH) != 16384)
			fail("write-through after a store through a mapping: %s", strerror(errno));
		fill(buf + 4096, 4096, base + 4096, seed++);
		if (pwrite(fd, buf + 4096, 4096, base + 4096) != 4096 || fsync(fd))
			die("buffered write and fsync");
		verify(fd, bdev, base, 16384, buf,
		       "mapping store, write-through, buffered write, fsync");
		munmap(m, 16384);
		free(buf);
	}
	/*
	 * Non-atomic writes copy straight from the caller (0018): a source
	 * that is a shared mapping of the same file, of another range (not
	 * cached: dropped with POSIX_FADV_DONTNEED, so the copy faults it in
	 * from the device) and of the very range written; and a source whose
	 * second half is not mapped, which makes a short write of the first.
	 */
	{
		const off_t a = 12 << 20, b = a + 65536;
		unsigned char *buf = xaligned(16384), *m;

		fill(buf, 16384, a, seed++);
		if (pwrite(fd, buf, 16384, a) != 16384 || fsync(fd) ||
		    posix_fadvise(fd, a, 16384, POSIX_FADV_DONTNEED))
			die("write, fsync, fadvise");
		m = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_SHARED, fd, a);
		if (m == MAP_FAILED)
			die("mmap");
		if (wt_write(fd, m, 16384, b, RWF_WRITETHROUGH) != 16384)
			fail("write-through from a mapping of another range of the file: %s",
			     strerror(errno));
		verify(fd, bdev, b, 16384, buf,
		       "write-through from a mapping of another range of the file");
		if (wt_write(fd, m + 4096, 8192, a + 4096, RWF_WRITETHROUGH) != 8192)
			fail("write-through from a mapping of the range itself: %s",
			     strerror(errno));
		verify(fd, bdev, a, 16384, buf,
		       "write-through from a mapping of the range itself");
		munmap(m, 16384);
	}
	{
		const off_t c = 13 << 20;
		unsigned char *old = xaligned(16384), *want = xaligned(16384);
		unsigned char *m = mmap(NULL, 16384, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ssize_t r;

		if (m == MAP_FAILED)
			die("mmap");
		fill(old, 16384, c, seed++);
		if (pwrite(fd, old, 16384, c) != 16384 || fsync(fd))
			die("write and fsync");
		fill(m, 16384, c, seed++);
		memcpy(want, m, 8192);
		memcpy(want + 8192, old + 8192, 8192);
		if (munmap(m + 8192, 8192))
			die("munmap");
		r = wt_write(fd, m, 16384, c, RWF_WRITETHROUGH);
		if (r != 8192)
			fail("write-through from a half-unmapped buffer returned %zd (%s), expected a short write of 8192",
			     r, r < 0 ? strerror(errno) : "bytes");
		verify(fd, bdev, c, 16384, want,
		       "short write-through from a half-unmapped buffer");
		munmap(m, 8192);
		free(old);
		free(want);
	}
	/* RWF_DSYNC with write-through */
	{
		unsigned char *buf = xaligned(8192);

		fill(buf, 8192, 16384, seed++);
		if (wt_write(fd, buf, 8192, 16384, RWF_WRITETHROUGH | RWF_DSYNC) != 8192)
			fail("RWF_WRITETHROUGH | RWF_DSYNC: %s", strerror(errno));
		else
			verify(fd, bdev, 16384, 8192, buf, "dsync write");
		free(buf);
	}
	close(bdev);
	close(fd);
	printf("readback: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}

/*
 * The counters of /sys/block/@disk/stat into @f (at least @need of them,
 * at most 17); @disk may be a path relative to /sys/block.
 */
static void disk_stat(const char *disk, unsigned long long *f, int need)
{
	char path[128];
	FILE *fp;
	int n = 0;

	snprintf(path, sizeof(path), "/sys/block/%s/stat", disk);
	fp = fopen(path, "r");
	if (!fp)
		die(path);
	while (n < 17 && fscanf(fp, "%llu", &f[n]) == 1)
		n++;
	fclose(fp);
	if (n < need) {
		errno = EINVAL;
		die("parse /sys/block/.../stat");
	}
}

/* Sectors written to @disk so far (the stat file's 7th counter). */
static unsigned long long sectors_written(const char *disk)
{
	unsigned long long f[17] = { 0 };

	disk_stat(disk, f, 7);
	return f[6];
}

/*
 * Wait up to @seconds for @child to exit, with its status in *@st:
 * returns 0 once it has, -1 if it is still running then.
 */
static int wait_child(pid_t child, int seconds, int *st)
{
	for (int i = 0; i < seconds * 10; i++) {
		if (waitpid(child, st, WNOHANG) == child)
			return 0;
		usleep(100000);
	}
	return -1;
}

static int cmd_granularity(const char *path, const char *disk)
{
	const size_t big = 2 << 20;
	unsigned char *buf = xaligned(big);
	unsigned long long before, after, flushed;
	int fd = open_file(path);

	/* Allocate and write 2 MiB, then dirty it all again in the cache. */
	fill(buf, big, 0, 7);
	if (pwrite(fd, buf, big, 0) != (ssize_t)big || fsync(fd))
		die("initial write");
	sync();		/* nothing else in flight */
	fill(buf, big, 0, 9);
	if (pwrite(fd, buf, big, 0) != (ssize_t)big)
		die("second write");
	before = sectors_written(disk);
	fill(buf + (1 << 20), 4096, 1 << 20, 10);
	if (wt_write(fd, buf + (1 << 20), 4096, 1 << 20, RWF_WRITETHROUGH) != 4096)
		fail("write-through write: %s", strerror(errno));
	after = sectors_written(disk);
	printf("granularity: 4096-byte write-through write sent %llu bytes\n",
	       (after - before) * 512);
	if ((after - before) * 512 != 4096)
		fail("expected 4096 bytes on the device, got %llu", (after - before) * 512);

	if (fdatasync(fd))
		die("fdatasync");
	flushed = sectors_written(disk) - after;
	printf("granularity: fdatasync then wrote %llu bytes\n", flushed * 512);
	if (flushed * 512 < big - 4096)
		fail("the rest of the 2 MiB should have stayed dirty: fdatasync wrote only %llu bytes",
		     flushed * 512);
	free(buf);
	close(fd);
	return failures ? 1 : 0;
}

static void expect_errno(const char *what, ssize_t r, int want)
{
	if (r >= 0)
		fail("%s succeeded, expected %s", what, strerror(want));
	else if (errno != want)
		fail("%s: got %s, expected %s", what, strerror(errno), strerror(want));
	else
		printf("ok: %s: %s\n", what, strerror(want));
}

static int cmd_errors(const char *path, const char *other)
{
	unsigned char *buf = xaligned(8192);
	struct iovec iov = { .iov_base = buf, .iov_len = 4096 };
	int fd = open_file(path);
	int ofd = open_file(other);

	memset(buf, 'x', 8192);
	if (wt_write(fd, buf, 4096, 0, RWF_WRITETHROUGH) != 4096)
		fail("plain write-through write: %s", strerror(errno));
	else
		printf("ok: write-through write accepted\n");
	expect_errno("preadv2 with RWF_WRITETHROUGH", preadv2(fd, &iov, 1, 0, RWF_WRITETHROUGH),
		     EOPNOTSUPP);
	expect_errno("RWF_WRITETHROUGH | RWF_DONTCACHE",
		     wt_write(fd, buf, 4096, 0, RWF_WRITETHROUGH | RWF_DONTCACHE), EINVAL);
	/*
	 * RWF_NOWAIT: only overwrites of written blocks (see wt nowait); a
	 * write that extends the file or fills a hole would wait, and is
	 * refused without changing anything.
	 */
	expect_errno("RWF_WRITETHROUGH | RWF_NOWAIT extending the file",
		     wt_write(fd, buf, 4096, 4096, RWF_WRITETHROUGH | RWF_NOWAIT), EAGAIN);
	if (lseek(fd, 0, SEEK_END) != 4096)
		fail("the refused write changed the size to %lld",
		     (long long)lseek(fd, 0, SEEK_END));
	if (ftruncate(fd, 65536))
		die("ftruncate");
	expect_errno("RWF_WRITETHROUGH | RWF_NOWAIT into a hole",
		     wt_write(fd, buf, 4096, 32768, RWF_WRITETHROUGH | RWF_NOWAIT), EAGAIN);
	if (pread(fd, buf + 4096, 4096, 32768) != 4096)
		die("pread");
	for (int i = 0; i < 4096; i++)
		if (buf[4096 + i]) {
			fail("the refused write into a hole left data in it");
			break;
		}
	expect_errno("RWF_WRITETHROUGH on a file system without support",
		     wt_write(ofd, buf, 4096, 0, RWF_WRITETHROUGH), EOPNOTSUPP);
	expect_errno("an unknown RWF flag (0x400)", wt_write(fd, buf, 4096, 0, 0x400),
		     EOPNOTSUPP);
	close(ofd);
	close(fd);
	free(buf);
	return failures ? 1 : 0;
}

/*
 * wt uring FILE DEV [atomic] [written]: 4 rounds of 32 random writes at
 * queue depth 32, each verified in the cache and on the device.  The file
 * is a sparse one, or with "written" one whose blocks are all written
 * first (pwrite, fsync): then the writes are pure overwrites, which the
 * kernel completes asynchronously (see iomap_writethrough()).
 */
static int cmd_uring(const char *path, const char *dev, int atomic, int written)
{
	enum { QD = 32, NBLK = 1024 };
	const int BS = atomic ? 16384 : 4096;
	const int flags = RWF_WRITETHROUGH | (atomic ? RWF_ATOMIC : 0);
	struct io_uring ring;
	unsigned char *bufs = xaligned((size_t)QD * BS);
	off_t offs[QD];
	int fd = open_file(path);
	int bdev = open(dev, O_RDONLY | O_DIRECT);
	int ret;

	if (bdev < 0)
		die(dev);
	if (ftruncate(fd, (off_t)NBLK * BS))
		die("ftruncate");
	if (written) {
		unsigned char *old = xaligned(BS);

		for (int b = 0; b < NBLK; b++) {
			fill(old, BS, (off_t)b * BS, 99);
			if (pwrite(fd, old, BS, (off_t)b * BS) != BS)
				die("writing the file's blocks");
		}
		if (fsync(fd))
			die("fsync");
		free(old);
	}
	ret = io_uring_queue_init(QD, &ring, 0);
	if (ret < 0) {
		errno = -ret;
		die("io_uring_queue_init");
	}
	for (int round = 0; round < 4; round++) {
		/* 32 distinct random blocks per round */
		for (int i = 0; i < QD; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			struct iovec *iov = malloc(sizeof(*iov));

			offs[i] = (off_t)((i * NBLK / QD) + rand() % (NBLK / QD)) * BS;
			fill(bufs + i * BS, BS, offs[i], 100 + round);
			iov->iov_base = bufs + i * BS;
			iov->iov_len = BS;
			io_uring_prep_writev2(sqe, fd, iov, 1, offs[i], flags);
			io_uring_sqe_set_data(sqe, iov);
		}
		ret = io_uring_submit(&ring);
		if (ret != QD)
			fail("io_uring_submit returned %d", ret);
		for (int i = 0; i < QD; i++) {
			struct io_uring_cqe *cqe;

			ret = io_uring_wait_cqe(&ring, &cqe);
			if (ret < 0) {
				errno = -ret;
				die("io_uring_wait_cqe");
			}
			if (cqe->res != BS)
				fail("completion %d: res %d (%s)", i, cqe->res,
				     cqe->res < 0 ? strerror(-cqe->res) : "short");
			free(io_uring_cqe_get_data(cqe));
			io_uring_cqe_seen(&ring, cqe);
		}
		for (int i = 0; i < QD; i++) {
			char what[64];

			snprintf(what, sizeof(what), "io_uring round %d write %d", round, i);
			verify(fd, bdev, offs[i], BS, bufs + i * BS, what);
		}
	}
	io_uring_queue_exit(&ring);
	printf("uring: %d %s%d-byte writes at queue depth %d%s, %d failure(s)\n",
	       4 * QD, atomic ? "atomic " : "", BS, QD,
	       written ? " over written blocks" : "", failures);
	close(bdev);
	close(fd);
	free(bufs);
	return failures ? 1 : 0;
}

/* Expect a write to succeed and the device and the cache to hold it. */
static void expect_written(int fd, int bdev, off_t off, size_t len, int flags,
			   unsigned int seed, const char *what)
{
	unsigned char *buf = xaligned(len);
	ssize_t r;

	fill(buf, len, off, seed);
	r = wt_write(fd, buf, len, off, flags);
	if (r != (ssize_t)len)
		fail("%s returned %zd (%s)", what, r, r < 0 ? strerror(errno) : "short");
	else {
		int before = failures;

		verify(fd, bdev, off, len, buf, what);
		if (failures == before)
			printf("ok: %s\n", what);
	}
	free(buf);
}

/* Expect the file to hold the bytes of fill(seed) at [off, off + len). */
static void expect_content(int fd, off_t off, size_t len, unsigned int seed,
			   const char *what)
{
	unsigned char *want = xaligned(len), *got = xaligned(len);

	fill(want, len, off, seed);
	if (pread(fd, got, len, off) != (ssize_t)len)
		die("pread");
	if (memcmp(got, want, len))
		fail("%s: the file does not hold the expected data", what);
	else
		printf("ok: %s\n", what);
	free(want);
	free(got);
}

static int cmd_atomic(const char *path, const char *dev)
{
	int fd = open_file(path);
	int bdev = open(dev, O_RDONLY | O_DIRECT);
	unsigned char *buf = xaligned(1 << 20);
	wtsmgr_atomic_limits lim;
	struct iovec iov[2];
	size_t hw;
	char what[128];

	if (bdev < 0)
		die(dev);
	if (wtsmgr_atomic_limits_fd(fd, &lim))
		die("statx");
	printf("atomic: statx unit_min %u unit_max %u unit_max_opt %u segments_max %u\n",
	       lim.unit_min, lim.unit_max, lim.unit_max_opt, lim.segments_max);
	if (lim.unit_min == 0 || lim.unit_max < 16384) {
		fail("statx admits no 16 KiB atomic write (unit_min %u, unit_max %u)",
		     lim.unit_min, lim.unit_max);
		return 1;
	}
	/* Preallocate and write 1 MiB, so that overwrites are tested too. */
	fill(buf, 1 << 20, 0, 1);
	if (pwrite(fd, buf, 1 << 20, 0) != 1 << 20 || fsync(fd))
		die("initial write");

	/* The sizes statx admits, from unit_min up to 64 KiB. */
	for (size_t len = lim.unit_min; len <= lim.unit_max && len <= 65536; len *= 2) {
		snprintf(what, sizeof(what), "atomic write-through overwrite of %zu bytes", len);
		expect_written(fd, bdev, 2 * len, len, RWF_WRITETHROUGH | RWF_ATOMIC, 10 + len, what);
		snprintf(what, sizeof(what), "atomic write-through of %zu bytes into a hole", len);
		expect_written(fd, bdev, (4 << 20) + 2 * len, len,
			       RWF_WRITETHROUGH | RWF_ATOMIC, 20 + len, what);
	}
	expect_written(fd, bdev, 65536, 8192, RWF_WRITETHROUGH | RWF_ATOMIC | RWF_DSYNC, 3,
		       "atomic write-through with RWF_DSYNC");

	/*
	 * Beyond the device's own unit the file system may still admit the
	 * write (xfs: copy-on-write); statx says so through unit_max.
	 */
	hw = lim.unit_max_opt ? lim.unit_max_opt : lim.unit_max;
	if (lim.unit_max > hw && 2 * hw <= (1 << 20)) {
		snprintf(what, sizeof(what),
			 "atomic write-through of %zu bytes, above the device's unit (software path)",
			 2 * hw);
		expect_written(fd, bdev, 4 * hw, 2 * hw, RWF_WRITETHROUGH | RWF_ATOMIC, 4, what);
	} else {
		printf("atomic: no software path (unit_max %u, device unit %zu)\n",
		       lim.unit_max, hw);
	}

	/* What must be refused, with the file left as it was. */
	fill(buf, 1 << 20, 0, 5);
	expect_errno("buffered RWF_ATOMIC without RWF_WRITETHROUGH",
		     wt_write(fd, buf, 16384, 0, RWF_ATOMIC), EOPNOTSUPP);
	expect_errno("atomic write-through not aligned to its length",
		     wt_write(fd, buf, 16384, 8192, RWF_WRITETHROUGH | RWF_ATOMIC), EINVAL);
	expect_errno("atomic write-through of a length that is not a power of two",
		     wt_write(fd, buf, 12288, 0, RWF_WRITETHROUGH | RWF_ATOMIC), EINVAL);
	if (lim.unit_max <= (1 << 19))
		expect_errno("atomic write-through above statx's unit_max",
			     wt_write(fd, buf, 2 * lim.unit_max, 0,
				      RWF_WRITETHROUGH | RWF_ATOMIC), EINVAL);
	if (lim.unit_min > 512)
		expect_errno("atomic write-through below statx's unit_min",
			     wt_write(fd, buf, 512, 0, RWF_WRITETHROUGH | RWF_ATOMIC), EINVAL);
	iov[0].iov_base = buf;
	iov[0].iov_len = 8192;
	iov[1].iov_base = buf + 8192;
	iov[1].iov_len = 8192;
	expect_errno("atomic write-through from two iovecs",
		     pwritev2(fd, iov, 2, 0, RWF_WRITETHROUGH | RWF_ATOMIC), EINVAL);

	/*
	 * A source whose second half is not mapped: the copy would be short,
	 * so nothing may be written, not even the first half.
	 */
	{
		unsigned char *m = mmap(NULL, 16384, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		unsigned char *before = xaligned(16384), *after = xaligned(16384);

		if (m == MAP_FAILED)
			die("mmap");
		/* the range holds the first write and the 4 KiB overwrite at 8 KiB */
		if (pread(fd, before, 16384, 0) != 16384)
			die("pread");
		fill(m, 16384, 0, 6);
		if (munmap(m + 8192, 16384 - 8192))
			die("munmap");
		expect_errno("atomic write-through from a partly unmapped buffer",
			     wt_write(fd, m, 16384, 0, RWF_WRITETHROUGH | RWF_ATOMIC), EFAULT);
		munmap(m, 8192);
		if (pread(fd, after, 16384, 0) != 16384)
			die("pread");
		if (memcmp(before, after, 16384))
			fail("after the EFAULT the range does not hold the old data");
		else
			printf("ok: after the EFAULT the range still holds the old data\n");
		free(before);
		free(after);
	}
	close(bdev);
	close(fd);
	free(buf);
	printf("atomic: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}

/* Expect [off, off + len) to read as zeroes. */
static void expect_zeroes(int fd, off_t off, size_t len, const char *what)
{
	unsigned char *got = xaligned(len);
	size_t i;

	if (pread(fd, got, len, off) != (ssize_t)len)
		die("pread");
	for (i = 0; i < len && !got[i]; i++)
		;
	if (i < len)
		fail("%s: byte %zu is not zero", what, i);
	else
		printf("ok: %s\n", what);
	free(got);
}

static int cmd_misc(const char *path, const char *dev)
{
	const size_t len = 65536;
	unsigned char *buf = xaligned(len);
	int fd = open_file(path);
	int bdev = open(dev, O_RDONLY | O_DIRECT);
	char dir[512], cmd[1100];
	struct statvfs sv;
	pid_t child;
	int st;

	if (bdev < 0)
		die(dev);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = 0;

	/* Hole punch: the hole reads as zeroes, write-through fills it again. */
	expect_written(fd, bdev, 0, len, RWF_WRITETHROUGH, 1, "write-through of 64 KiB");
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 16384, 16384))
		die("punch hole");
	expect_zeroes(fd, 16384, 16384, "a punched hole in write-through data reads as zeroes");
	expect_written(fd, bdev, 16384, 8192, RWF_WRITETHROUGH, 2,
		       "write-through into the punched hole");

	/* Preallocated (unwritten) space: converted by the write. */
	if (fallocate(fd, 0, 1 << 20, len))
		die("fallocate");
	expect_written(fd, bdev, (1 << 20) + 8192, 8192, RWF_WRITETHROUGH, 3,
		       "write-through into preallocated space");

	/* O_DIRECT over write-through data: readers see the direct write. */
	{
		int dfd = open(path, O_WRONLY | O_DIRECT);

		if (dfd < 0)
			die("O_DIRECT open");
		fill(buf, 8192, 32768, 4);
		if (pwrite(dfd, buf, 8192, 32768) != 8192)
			fail("O_DIRECT write over write-through data: %s", strerror(errno));
		close(dfd);
		expect_content(fd, 32768, 8192, 4, "a buffered read sees the O_DIRECT write");
	}

	/* A frozen file system: the write waits for the thaw, then lands. */
	snprintf(cmd, sizeof(cmd), "fsfreeze -f '%s'", dir);
	if (system(cmd) != 0) {
		errno = EIO;
		die(cmd);
	}
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		fill(buf, 8192, 40960, 5);
		_exit(wt_write(fd, buf, 8192, 40960, RWF_WRITETHROUGH) == 8192 ? 0 : 1);
	}
	sleep(1);
	snprintf(cmd, sizeof(cmd), "fsfreeze -u '%s'", dir);
	if (system(cmd) != 0) {
		errno = EIO;
		die(cmd);
	}
	if (waitpid(child, &st, 0) != child)
		die("waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail("write-through write across a freeze failed");
	else {
		unsigned char *want = xaligned(8192);

		fill(want, 8192, 40960, 5);
		verify(fd, bdev, 40960, 8192, want, "write-through write issued while frozen");
		printf("ok: write-through write issued while frozen completed after the thaw\n");
		free(want);
	}

	/* ENOSPC: fill the file system, then write into a hole. */
	{
		char filler[600];
		int ffd;
		off_t got = 0;

		ffd = fill_fs(path, filler, sizeof(filler), &sv, &got);
		fill(buf, len, 8 << 20, 6);
		errno = 0;
		if (wt_write(fd, buf, len, 8 << 20, RWF_WRITETHROUGH) == (ssize_t)len)
			printf("note: the file system still had room for 64 KiB\n");
		else
			expect_errno("write-through into a hole on a full file system", -1, ENOSPC);
		close(ffd);
		unlink(filler);
		if (fsync(fd))
			fail("fsync after ENOSPC: %s", strerror(errno));
		expect_content(fd, 0, 16384, 1, "data written before ENOSPC is intact");
		expect_written(fd, bdev, 8 << 20, 8192, RWF_WRITETHROUGH, 7,
			       "write-through works again once there is space");
	}
	close(bdev);
	close(fd);
	free(buf);
	printf("misc: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}

/* Run $WT_DM_FAIL START LEN or $WT_DM_HEAL; both come from the script. */
static void dm_run(const char *var, unsigned long long start, unsigned long long len)
{
	const char *cmd = getenv(var);
	char line[512];

	if (!cmd)
		die(var);
	snprintf(line, sizeof(line), "%s %llu %llu", cmd, start, len);
	if (system(line) != 0) {
		errno = EIO;
		die(line);
	}
}

/* The device sector of file offset @off (the file must be allocated there). */
static unsigned long long sector_of(int fd, off_t off)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent fe;
	} m = { .fm = { .fm_start = off, .fm_length = 4096, .fm_extent_count = 1 } };

	if (ioctl(fd, FS_IOC_FIEMAP, &m) < 0 || m.fm.fm_mapped_extents != 1)
		die("FS_IOC_FIEMAP");
	return (m.fe.fe_physical + (off - m.fe.fe_logical)) / 512;
}

/*
 * One write through io_uring, as the extension sends them: issued from
 * the ring (the kernel completes a write-through write asynchronously,
 * see iomap_writethrough()), then waited for.  Returns the completion's
 * result as pwritev2() would (-1 with errno set on failure).
 */
static ssize_t wt_write_uring(int fd, const void *buf, size_t len, off_t off,
			      int flags)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	int res;

	if (io_uring_queue_init(1, &ring, 0))
		die("io_uring_queue_init");
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_writev2(sqe, fd, &iov, 1, off, flags);
	if (io_uring_submit(&ring) != 1 || io_uring_wait_cqe(&ring, &cqe))
		die("io_uring write");
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	if (res < 0) {
		errno = -res;
		return -1;
	}
	return res;
}

static int cmd_ioerr(const char *path, const char *dev, int uring)
{
	ssize_t (*write_fn)(int, const void *, size_t, off_t, int) =
		uring ? wt_write_uring : wt_write;
	const size_t len = 262144;
	unsigned char *buf = xaligned(len);
	int fd = open_file(path);
	int bdev = open(dev, O_RDONLY | O_DIRECT);
	unsigned long long sec;
	wtsmgr_atomic_limits lim;
	ssize_t r;

	if (bdev < 0)
		die(dev);
	/* Old data, on the device, in one extent. */
	if (fallocate(fd, 0, 0, len))
		die("fallocate");
	fill(buf, len, 0, 1);
	if (pwrite(fd, buf, len, 0) != (ssize_t)len || fsync(fd))
		die("initial write");
	sec = sector_of(fd, 0);
	if (wtsmgr_atomic_limits_fd(fd, &lim))
		die("statx");

	/* Only the file's data fails: the file system's metadata stays good. */
	dm_run("WT_DM_FAIL", sec, len / 512);
	fill(buf, len, 0, 2);
	/*
	 * The atomic case first, while no other block of its folio is
	 * dirty: its data must then leave the page cache.
	 */
	if (lim.unit_min && lim.unit_min <= 16384 && lim.unit_max >= 16384) {
		r = write_fn(fd, buf + 65536, 16384, 65536, RWF_WRITETHROUGH | RWF_ATOMIC);
		if (r >= 0)
			fail("atomic write-through write to failing sectors succeeded");
		else
			printf("ok: atomic write-through write to failing sectors: %s\n",
			       strerror(errno));
	}
	r = write_fn(fd, buf, 8192, 0, RWF_WRITETHROUGH);
	expect_errno("write-through write to failing sectors", r, EIO);
	expect_errno("fsync after the failed write-through write", fsync(fd), EIO);
	dm_run("WT_DM_HEAL", 0, 0);

	if (fsync(fd))
		fail("fsync after the device recovered: %s (the error must be reported once)",
		     strerror(errno));
	else
		printf("ok: the error was reported once\n");
	if (lim.unit_min && lim.unit_min <= 16384 && lim.unit_max >= 16384)
		expect_content(fd, 65536, 16384, 1,
			       "a failed atomic write-through write left the old data visible");
	expect_written(fd, bdev, 131072, 8192, RWF_WRITETHROUGH, 3,
		       "write-through works again once the device has recovered");
	close(bdev);
	close(fd);
	free(buf);
	printf("ioerr: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}

/* Drop the clean page cache of every file (the test runs as root). */
static void drop_caches(int fd)
{
	int p;

	if (fsync(fd) && errno != EIO)
		die("fsync before dropping the cache");
	p = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (p < 0 || write(p, "3\n", 2) != 2)
		die("/proc/sys/vm/drop_caches");
	close(p);
}

/* The device-mapper name of /dev/mapper/NAME. */
static const char *dm_name(const char *dev)
{
	const char *slash = strrchr(dev, '/');

	return slash ? slash + 1 : dev;
}

static void dm_cmd(const char *verb, const char *dev)
{
	char line[512];

	snprintf(line, sizeof(line), "dmsetup %s %s%s", verb,
		 strcmp(verb, "suspend") ? "" : "--nolockfs ", dm_name(dev));
	if (system(line) != 0) {
		errno = EIO;
		die(line);
	}
}

/*
 * Say what each 4 KiB block of [off, off + len) holds: fill() data of
 * one of @seeds (by index), or '?'.
 */
static void show_blocks(int fd, off_t off, size_t len, const unsigned int *seeds,
			int nseeds, const char *what)
{
	unsigned char *got = xaligned(4096), *want = xaligned(4096);

	printf("%s:", what);
	for (off_t b = off; b < off + (off_t)len; b += 4096) {
		int k;

		if (pread(fd, got, 4096, b) != 4096)
			die("pread");
		for (k = 0; k < nseeds; k++) {
			fill(want, 4096, b, seeds[k]);
			if (!memcmp(got, want, 4096))
				break;
		}
		if (k < nseeds)
			printf(" %u", seeds[k]);
		else
			printf(" ?");
	}
	printf(" (seeds)\n");
	free(got);
	free(want);
}

/* Expect a call to fail, with any error; say which. */
static void expect_failure(const char *what, ssize_t r)
{
	if (r >= 0)
		fail("%s succeeded, expected an error", what);
	else
		printf("ok: %s: %s\n", what, strerror(errno));
}

/*
 * wt lost FILE DMDEV: a failed atomic write-through write must take back
 * nothing but itself.  Earlier buffered writes that have not been written
 * back yet, in its folio or in its range, stay visible, its own data is
 * neither visible nor written later by writeback (an mmap store marks a
 * whole folio dirty), and fsync reports the failure.
 */
static int cmd_lost(const char *path, const char *dev)
{
	const size_t len = 262144;
	unsigned char *buf = xaligned(len);
	int fd = open_file(path);
	wtsmgr_atomic_limits lim;
	unsigned char *m;
	ssize_t r;

	(void)dev;	/* the failures come through $WT_DM_FAIL */
	if (fallocate(fd, 0, 0, len))
		die("fallocate");
	fill(buf, len, 0, 1);
	if (pwrite(fd, buf, len, 0) != (ssize_t)len || fsync(fd))
		die("initial write");
	if (wtsmgr_atomic_limits_fd(fd, &lim))
		die("statx");
	if (!lim.unit_min || lim.unit_min > 16384 || lim.unit_max < 16384) {
		printf("lost: no 16 KiB atomic writes here (unit_min %u, unit_max %u)\n",
		       lim.unit_min, lim.unit_max);
		return 2;
	}

	/*
	 * 1. An earlier buffered write D0 next to the atomic range, in the
	 * same folio when the folio is large; only the atomic range fails.
	 */
	fill(buf, 8192, 81920, 2);
	if (pwrite(fd, buf, 8192, 81920) != 8192)
		die("buffered write D0");
	dm_run("WT_DM_FAIL", sector_of(fd, 65536), 16384 / 512);
	fill(buf, 16384, 65536, 3);
	r = wt_write(fd, buf, 16384, 65536, RWF_WRITETHROUGH | RWF_ATOMIC);
	/* EIO, or EINVAL when the table with the error target refuses REQ_ATOMIC */
	expect_failure("atomic write-through write to failing sectors", r);
	dm_run("WT_DM_HEAL", 0, 0);
	{
		static const unsigned int seeds[] = { 1, 2, 3 };

		show_blocks(fd, 65536, 32768, seeds, 3,
			    "the range and D0 after the failure, old 1, D0 2, atomic 3");
	}
	expect_content(fd, 65536, 16384, 1,
		       "the failed atomic write is not visible (old data in the cache)");
	expect_content(fd, 81920, 8192, 2,
		       "the buffered write next to it is still visible");
	/* An mmap store into D0's block marks the whole folio dirty. */
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die("mmap");
	((volatile unsigned char *)m)[81920] = m[81920];
	munmap(m, len);
	expect_failure("fsync after the failed atomic write", fsync(fd));
	if (fsync(fd))
		fail("second fsync: %s (the error must be reported once)", strerror(errno));
	drop_caches(fd);
	expect_content(fd, 65536, 16384, 1,
		       "after fsync and a cache drop the device holds the old data, not the failed atomic write");
	expect_content(fd, 81920, 8192, 2,
		       "after fsync and a cache drop the device holds the buffered write next to it");

	/*
	 * 2. An earlier buffered write D1 inside the atomic range.  It cannot
	 * reach the failing sectors, but it must stay in the cache until the
	 * cache is dropped, and fsync must report the failure.
	 */
	fill(buf, 4096, 135168, 4);
	if (pwrite(fd, buf, 4096, 135168) != 4096)
		die("buffered write D1");
	dm_run("WT_DM_FAIL", sector_of(fd, 131072), 16384 / 512);
	fill(buf, 16384, 131072, 5);
	r = wt_write(fd, buf, 16384, 131072, RWF_WRITETHROUGH | RWF_ATOMIC);
	expect_failure("atomic write-through write over a dirty range, to failing sectors", r);
	dm_run("WT_DM_HEAL", 0, 0);
	{
		static const unsigned int seeds[] = { 1, 4, 5 };

		show_blocks(fd, 131072, 16384, seeds, 3,
			    "the range after the failure, old 1, D1 4, atomic 5");
	}
	expect_content(fd, 135168, 4096, 4,
		       "the buffered write inside the failed atomic range is still visible");
	expect_content(fd, 131072, 4096, 1,
		       "the rest of the failed atomic range holds the old data");
	expect_failure("fsync after the failed atomic write over a dirty range", fsync(fd));

	/*
	 * 3. A failed extending atomic write leaves the file size alone, in
	 * the cache and after a cache drop.
	 */
	{
		struct stat st;

		/* past EOF, into preallocated blocks whose sectors fail */
		fill(buf, 16384, len - 16384, 6);
		if (ftruncate(fd, len - 16384) ||
		    fallocate(fd, FALLOC_FL_KEEP_SIZE, len - 16384, 16384))
			die("ftruncate, fallocate");
		dm_run("WT_DM_FAIL", sector_of(fd, len - 16384), 16384 / 512);
		r = wt_write(fd, buf, 16384, len - 16384, RWF_WRITETHROUGH | RWF_ATOMIC);
		expect_failure("extending atomic write-through write to failing sectors", r);
		dm_run("WT_DM_HEAL", 0, 0);
		if (fstat(fd, &st))
			die("fstat");
		if (st.st_size != (off_t)(len - 16384))
			fail("a failed extending atomic write left the size at %lld, not %lld",
			     (long long)st.st_size, (long long)(len - 16384));
		else
			printf("ok: a failed extending atomic write leaves the size as it was\n");
		fsync(fd);
		fsync(fd);
		drop_caches(fd);
		if (fstat(fd, &st))
			die("fstat");
		if (st.st_size != (off_t)(len - 16384))
			fail("after a cache drop the size is %lld, not %lld",
			     (long long)st.st_size, (long long)(len - 16384));
		else
			printf("ok: and so it stays after fsync and a cache drop\n");
	}

	/*
	 * 4. A failed atomic write into preallocated (unwritten) blocks
	 * within EOF: they read as zeroes afterwards, not as whatever the
	 * device holds there.  The blocks are the ones that held the file's
	 * first data (punched, committed, preallocated again), so that the
	 * device has something else than zeroes there.
	 */
	{
		unsigned long long sec0, sec;

		if (fsync(fd))
			die("fsync");
		sec0 = sector_of(fd, 196608);
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 196608, 16384) ||
		    fsync(fd) || fallocate(fd, FALLOC_FL_KEEP_SIZE, 196608, 16384))
			die("punch, fsync, fallocate");
		sec = sector_of(fd, 196608);
		if (sec != sec0) {
			printf("note: the preallocation did not reuse the punched blocks (sector %llu, not %llu)\n",
			       sec, sec0);
		} else {
			dm_run("WT_DM_FAIL", sec, 16384 / 512);
			fill(buf, 16384, 196608, 9);
			r = wt_write(fd, buf, 16384, 196608, RWF_WRITETHROUGH | RWF_ATOMIC);
			expect_failure("atomic write-through write into preallocated blocks, to failing sectors",
				       r);
			dm_run("WT_DM_HEAL", 0, 0);
			expect_zeroes(fd, 196608, 16384,
				      "after the failure the preallocated blocks read as zeroes, not as the old data");
		}
	}
	close(fd);
	free(buf);
	printf("lost: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}

struct wt_job {
	int fd;
	off_t off;
	size_t len;
	unsigned char *buf;
	ssize_t ret;
	int err;
	pid_t tid;
	volatile int started;
};

static void *wt_job_write(void *arg)
{
	struct wt_job *j = arg;

	j->tid = gettid();
	j->started = 1;
	j->ret = wt_write(j->fd, j->buf, j->len, j->off, RWF_WRITETHROUGH);
	j->err = errno;
	return NULL;
}

static void *wt_job_fsync(void *arg)
{
	struct wt_job *j = arg;

	j->tid = gettid();
	j->started = 1;
	j->ret = fsync(j->fd);
	j->err = errno;
	return NULL;
}

/* The scheduler state of thread @tid ('R', 'S', 'D', ...). */
static char thread_state(pid_t tid)
{
	char p[64], line[512], *c;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/self/task/%d/stat", tid);
	f = fopen(p, "r");
	if (!f)
		return '?';
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	c = strrchr(line, ')');
	return c && c[1] && c[2] ? c[2] : '?';
}

/* Writeback: in /proc/meminfo, in kB. */
static long writeback_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Writeback: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* sync_file_range(SYNC_FILE_RANGE_WRITE) of @j's range: starts writeback */
static void *srange_run(void *arg)
{
	struct wt_job *j = arg;

	j->tid = gettid();
	j->started = 1;
	j->ret = sync_file_range(j->fd, j->off, j->len, SYNC_FILE_RANGE_WRITE);
	j->err = errno;
	return NULL;
}

/*
 * With @dev suspended, start job @w (@fn: wt_job_write() or srange_run())
 * in thread @t and wait until its write is in flight: at least @kb of
 * writeback is under way and, with @sleeps, the thread sleeps waiting for
 * it.  (Not by reading the file: xfs readers wait for a write-through
 * write's exclusive lock.)  After 30 s, resume @dev, fail ("@what did not
 * go under writeback"), and return -1.
 */
static int job_in_flight(void *(*fn)(void *), struct wt_job *w, pthread_t *t,
			 const char *dev, long kb, int sleeps, const char *what)
{
	int i;

	if (pthread_create(t, NULL, fn, w))
		die("pthread_create");
	for (i = 0; i < 3000; i++) {
		if (w->started && (!sleeps || thread_state(w->tid) == 'D') &&
		    writeback_kb() >= kb)
			return 0;
		usleep(10000);
	}
	dm_cmd("resume", dev);
	fail("%s did not go under writeback in 30 s", what);
	pthread_join(*t, NULL);
	return -1;
}

/*
 * wt fsyncerr FILE DMDEV: an fsync that waits for a write-through write
 * which then fails returns the error.  The device is suspended while the
 * write is in flight, so that the fsync is certainly waiting on its
 * folios when the failure comes.
 */
static int cmd_fsyncerr(const char *path, const char *dev)
{
	const size_t len = 262144;
	unsigned char *buf = xaligned(len);
	struct wt_job w = { 0 }, s = { 0 };
	pthread_t wt, st;
	int fd = open_file(path), fd2, i;

	if (fallocate(fd, 0, 0, len))
		die("fallocate");
	fill(buf, len, 0, 1);
	if (pwrite(fd, buf, len, 0) != (ssize_t)len || fsync(fd))
		die("initial write");
	fd2 = open(path, O_RDWR);
	if (fd2 < 0)
		die(path);

	dm_run("WT_DM_FAIL", sector_of(fd, 0), len / 512);
	dm_cmd("suspend", dev);
	fill(buf, 65536, 65536, 2);
	w = (struct wt_job){ .fd = fd, .off = 65536, .len = 65536, .buf = buf };
	if (job_in_flight(wt_job_write, &w, &wt, dev, 64, 1,
			  "the write-through write"))
		return 1;
	s = (struct wt_job){ .fd = fd2 };
	if (pthread_create(&st, NULL, wt_job_fsync, &s))
		die("pthread_create");
	/* wait until the fsync sleeps on the folios under writeback */
	for (i = 0; i < 1000; i++) {
		if (s.started && thread_state(s.tid) == 'D')
			break;
		usleep(10000);
	}
	if (i == 1000)
		printf("note: the fsync thread never showed as waiting (state %c)\n",
		       s.started ? thread_state(s.tid) : '?');
	usleep(200000);
	dm_cmd("resume", dev);
	pthread_join(wt, NULL);
	pthread_join(st, NULL);
	errno = w.err;
	expect_errno("write-through write to failing sectors", w.ret, EIO);
	errno = s.err;
	expect_errno("fsync that waited for the failing write-through write", s.ret, EIO);
	dm_run("WT_DM_HEAL", 0, 0);
	close(fd2);
	close(fd);
	free(buf);
	printf("fsyncerr: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}

/*
 * wt eofzero FILE BLOCKDEV: what an mmap store left past EOF must not
 * reach the device with the EOF block of a write-through write: the
 * bytes past the old EOF read back as zeroes after the file grows and
 * the cache is dropped.
 */
static int cmd_eofzero(const char *path, const char *dev)
{
	unsigned char *buf = xaligned(8192), *m;
	int fd = open_file(path);
	int bdev = open(dev, O_RDONLY | O_DIRECT);
	size_t i;

	if (bdev < 0)
		die(dev);
	fill(buf, 1000, 0, 1);
	if (pwrite(fd, buf, 1000, 0) != 1000 || fsync(fd))
		die("initial write");
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die("mmap");
	memset(m + 1000, 0xa5, 4096 - 1000);
	munmap(m, 4096);

	/* an extending write-through write into the same block */
	fill(buf, 100, 2000, 2);
	if (wt_write(fd, buf, 100, 2000, RWF_WRITETHROUGH) != 100)
		fail("extending write-through write: %s", strerror(errno));
	expect_zeroes(fd, 1000, 1000, "the gap between the old EOF and the write reads as zeroes");
	if (read_from_device(fd, bdev, 0, 4096, buf) == 0) {
		for (i = 2100; i < 4096 && !buf[i]; i++)
			;
		if (i < 4096)
			fail("the device holds what mmap stored past EOF (byte %zu of the EOF block is 0x%02x)",
			     i, buf[i]);
		else
			printf("ok: past EOF the device's EOF block holds zeroes\n");
	}
	if (ftruncate(fd, 8192))
		die("ftruncate");
	drop_caches(fd);
	expect_zeroes(fd, 1000, 1000, "after growing and a cache drop: the gap reads as zeroes");
	expect_zeroes(fd, 2100, 8192 - 2100,
		      "after growing and a cache drop: past the old EOF reads as zeroes");
	expect_content(fd, 2000, 100, 2, "the write-through data is there");
	close(bdev);
	close(fd);
	free(buf);
	printf("eofzero: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}

/*
 * One round of the ext4 bigalloc sequence that hung: a truncate (its
 * zeroed partial block goes on the running transaction's ordered data
 * list), fallocate past EOF, a hole punched in the atomic range, another
 * truncate, then an atomic write-through write over mixed extents, whose
 * mapping forces a journal commit.
 */
static void atomichang_round(const char *path, int v, unsigned char *buf)
{
	int fd = open_file(path);
	off_t cut = 65536 + 1000 + 1500 * (v % 8);

	fill(buf, 131072, 0, 1);
	if (pwrite(fd, buf, 131072, 0) != 131072 || fsync(fd))
		die("initial write");
	if (ftruncate(fd, cut))
		die("ftruncate down");
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 98304, 65536))
		die("fallocate past EOF");
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      65536 + 4096 * (v % 3), 4096))
		die("punch hole");
	if (ftruncate(fd, cut + 4096 * (v & 1)))
		die("ftruncate");
	fill(buf, 16384, 65536, 2 + v);
	if (wt_write(fd, buf, 16384, 65536, RWF_WRITETHROUGH | RWF_ATOMIC) != 16384)
		fail("round %d: atomic write-through write: %s", v, strerror(errno));
	close(fd);
}

/*
 * wt atomichang FILE: the rounds run in a child; the test fails, rather
 * than hang the suite, when the child has not finished after 60 s (it is
 * then left behind, stuck: the caller must not wait for the file system).
 */
static int cmd_atomichang(const char *path)
{
	pid_t child;
	int st;

	fflush(stdout);
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		unsigned char *buf = xaligned(131072);

		for (int v = 0; v < 16; v++)
			atomichang_round(path, v, buf);
		printf("atomichang: 16 rounds, %d failure(s)\n", failures);
		fflush(stdout);
		_exit(failures ? 1 : 0);
	}
	if (!wait_child(child, 60, &st)) {
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			printf("ok: 16 rounds of truncate, fallocate, punch, truncate and an atomic write-through write over mixed extents\n");
			return 0;
		}
		fail("the rounds failed (status 0x%x)", st);
		return 1;
	}
	{
		char p[64], line[256];
		FILE *f;

		snprintf(p, sizeof(p), "/proc/%d/stack", child);
		fail("atomic write-through write hung: no progress in 60 s; the writer's stack:");
		f = fopen(p, "r");
		while (f && fgets(line, sizeof(line), f))
			printf("  %s", line);
		if (f)
			fclose(f);
	}
	return 1;
}

/*
 * wt cowenospc FILE: xfs, an atomic write-through write above the
 * device's unit goes through the copy-on-write fork; on a full file
 * system that allocation fails.  An earlier buffered write D0 inside the
 * range must survive it: visible at once, and on the device after fsync
 * and a cache drop.  ENOSPC is refused before anything is sent, so fsync
 * does not report it.
 */
static int cmd_cowenospc(const char *path)
{
	const size_t len = 262144;
	unsigned char *buf = xaligned(len);
	int fd = open_file(path), ffd;
	wtsmgr_atomic_limits lim;
	char filler[600];
	struct statvfs sv;
	off_t got = 0;
	size_t alen;
	ssize_t r;

	if (wtsmgr_atomic_limits_fd(fd, &lim))
		die("statx");
	alen = 2 * (lim.unit_max_opt ? lim.unit_max_opt : lim.unit_max);
	if (!lim.unit_max_opt || alen > lim.unit_max || alen > len / 2) {
		printf("cowenospc: no software atomic path here (unit_max %u, unit_max_opt %u)\n",
		       lim.unit_max, lim.unit_max_opt);
		return 2;
	}
	fill(buf, len, 0, 1);
	if (pwrite(fd, buf, len, 0) != (ssize_t)len || fsync(fd))
		die("initial write");
	/* D0: inside the atomic range [alen, 2 * alen), not written back */
	fill(buf, 8192, alen + 16384, 2);
	if (pwrite(fd, buf, 8192, alen + 16384) != 8192)
		die("buffered write D0");

	ffd = fill_fs(path, filler, sizeof(filler), &sv, &got);

	fill(buf, alen, alen, 3);
	r = wt_write(fd, buf, alen, alen, RWF_WRITETHROUGH | RWF_ATOMIC);
	close(ffd);
	unlink(filler);
	if (r >= 0) {
		printf("note: the file system still had room for the copy-on-write blocks\n");
		close(fd);
		return 0;
	}
	printf("ok: atomic write-through write through the copy-on-write fork on a full file system: %s\n",
	       strerror(errno));
	expect_content(fd, alen + 16384, 8192, 2,
		       "the buffered write inside the failed atomic range is still visible");
	expect_content(fd, alen, 16384, 1, "the rest of the range holds the old data");
	if (fsync(fd))
		fail("fsync after the ENOSPC: %s (nothing reached the device)", strerror(errno));
	else
		printf("ok: fsync after the ENOSPC succeeds\n");
	drop_caches(fd);
	expect_content(fd, alen + 16384, 8192, 2,
		       "after fsync and a cache drop the device holds the buffered write");
	expect_content(fd, alen, 16384, 1,
		       "after fsync and a cache drop the rest of the range holds the old data");
	close(fd);
	free(buf);
	printf("cowenospc: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}

/* Lines in the kernel log so far that hold @what (root only). */
static int kmsg_count(const char *what)
{
	char rec[2048];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK), n = 0;
	ssize_t r;

	if (fd < 0)
		return -1;
	while ((r = read(fd, rec, sizeof(rec) - 1)) != 0) {
		if (r < 0) {
			if (errno == EPIPE)
				continue;	/* overwritten records */
			break;
		}
		rec[r] = 0;
		if (strstr(rec, what))
			n++;
	}
	close(fd);
	return n;
}

/*
 * wt delalloc FILE: xfs, an atomic write-through write into a hole of
 * the file fails (the copy-on-write allocation it needs for a range over
 * a delayed allocation finds the file system full) after the copy into
 * the page cache made a delayed allocation in the data fork.  The failed
 * write must not leave that delayed allocation behind (review M1): it has
 * no page cache over it, so nothing would ever write or free it.  Checked
 * by the free blocks, which come back, and by the kernel log after the
 * inode is reclaimed: an xfs built with CONFIG_XFS_DEBUG reports a leaked
 * delayed allocation there ("has delalloc extent", an assertion).
 */
static int cmd_delalloc(const char *path)
{
	const size_t len = 1 << 20;
	unsigned char *buf = xaligned(len);
	int fd = open_file(path), ffd, asserts, leaks;
	wtsmgr_atomic_limits lim;
	char filler[600];
	struct statvfs before, after;
	off_t got = 0, room, less;
	size_t alen;
	ssize_t r;

	if (wtsmgr_atomic_limits_fd(fd, &lim))
		die("statx");
	alen = 2 * (lim.unit_max_opt ? lim.unit_max_opt : lim.unit_max);
	if (!lim.unit_max_opt || alen > lim.unit_max || alen > len / 4) {
		printf("delalloc: no software atomic path here (unit_max %u, unit_max_opt %u)\n",
		       lim.unit_max, lim.unit_max_opt);
		return 2;
	}
	asserts = kmsg_count("Assertion failed");
	leaks = kmsg_count("has delalloc extent");
	/* a file of len bytes whose range [alen, 2 * alen) is a hole */
	fill(buf, len, 0, 1);
	if (pwrite(fd, buf, alen, 0) != (ssize_t)alen ||
	    pwrite(fd, buf + 2 * alen, len - 2 * alen, 2 * alen) != (ssize_t)(len - 2 * alen) ||
	    fsync(fd))
		die("initial write");

	/*
	 * Fill the file system, then free room for the write once and a
	 * half: room for the delayed allocation of the copy but not also for
	 * the copy-on-write blocks, where both are reserved.  Where they are
	 * not (the delayed allocation is released before the copy-on-write
	 * allocation), the write succeeds; it is then taken back (punched)
	 * and the room made one block smaller, until the write fails, in the
	 * copy's delayed allocation or in the copy-on-write allocation.
	 */
	ffd = fill_fs(path, filler, sizeof(filler), &before, &got);
	room = alen + alen / 2;
	if (got < (off_t)(2 * alen) ||
	    fallocate(ffd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, room) ||
	    fsync(ffd) || syncfs(fd))
		die("filler");
	for (less = 0;; less += 4096) {
		if (less && (fallocate(ffd, 0, room - less, 4096) || fsync(ffd) ||
			     syncfs(fd)))
			die("filler: one block less room");
		if (fstatvfs(fd, &before))
			die("fstatvfs");
		fill(buf, alen, alen, 2);
		r = wt_write(fd, buf, alen, alen, RWF_WRITETHROUGH | RWF_ATOMIC);
		if (r < 0)
			break;
		if (less >= room) {
			printf("note: the atomic write-through write succeeded with no room left; nothing to check\n");
			close(ffd);
			unlink(filler);
			close(fd);
			return 2;
		}
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, alen, alen) ||
		    fsync(fd) || syncfs(fd))
			die("punching the write out again");
	}
	printf("ok: atomic write-through write into a hole of a full file system (%llu blocks free): %s\n",
	       (unsigned long long)before.f_bavail, strerror(errno));
	expect_zeroes(fd, alen, alen, "the failed atomic write left the hole");
	if (fsync(fd) && errno != ENOSPC)
		fail("fsync after the failed write: %s", strerror(errno));
	if (syncfs(fd) || fstatvfs(fd, &after))
		die("fstatvfs");
	if (after.f_bfree + alen / after.f_frsize / 2 < before.f_bfree)
		fail("the failed write kept %llu blocks of free space (%llu free before it, %llu after): a leaked delayed allocation",
		     (unsigned long long)(before.f_bfree - after.f_bfree),
		     (unsigned long long)before.f_bfree,
		     (unsigned long long)after.f_bfree);
	else
		printf("ok: the free space came back (%llu free blocks before, %llu after)\n",
		       (unsigned long long)before.f_bfree,
		       (unsigned long long)after.f_bfree);
	/* reclaim the inode: CONFIG_XFS_DEBUG checks it for delalloc */
	close(fd);
	close(ffd);
	unlink(filler);
	{
		int p = open("/proc/sys/vm/drop_caches", O_WRONLY);

		if (p < 0 || write(p, "3\n", 2) != 2)
			die("/proc/sys/vm/drop_caches");
		close(p);
	}
	asserts = kmsg_count("Assertion failed") - asserts;
	leaks = kmsg_count("has delalloc extent") - leaks;
	if (asserts || leaks)
		fail("the kernel log reports %d xfs assertion(s) and %d leaked delayed allocation(s)",
		     asserts, leaks);
	else
		printf("ok: no xfs assertion or leaked delayed allocation in the kernel log\n");
	free(buf);
	printf("delalloc: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}

/*
 * wt nearfull FILE: xfs, review M1.  The copy of a write-through write
 * into a hole makes a delayed allocation, with its blocks reserved; the
 * device write then allocates the blocks (directly, or in the
 * copy-on-write fork for an atomic write), and must not reserve them a
 * second time: on a file system with room for the write once, but not
 * twice, an atomic write-through write into a hole must succeed, as a
 * plain buffered write and fsync of the same range do.  The hole lies
 * inside the file's size, so that no speculative preallocation past EOF
 * takes part.  The free space is the same for each write: the range is
 * punched out again after each.  A plain (not atomic) write-through write
 * is tried last: it must succeed too and send its data to the device once
 * (xfs answers a first ENOSPC with a flush of the file system, which
 * writes the failed write's data, still dirty, and a retry that sends it
 * again: so a plain write-through write that reserves twice succeeds, but
 * sends its data twice).
 */
static void nearfull_undo(int fd, off_t off, size_t len)
{
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) ||
	    fsync(fd))
		die("punching the range out again");
}

/*
 * Fill the file system with the filler @ffd (its end at *@got), then
 * punch @room bytes out of it: the free space for the next write.  Done
 * again before each write, as xfs gives back reserved space when a write
 * meets ENOSPC.  Returns the free blocks.
 */
static unsigned long long nearfull_room(int ffd, off_t *got, size_t room)
{
	struct statvfs sv;

	if (syncfs(ffd) || fallocate(ffd, 0, 0, room) || fstatvfs(ffd, &sv))
		die("filler");
	*got = fill_free_space(ffd, *got, (off_t)sv.f_bavail * sv.f_frsize + 4096);
	if (fallocate(ffd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, room) ||
	    fsync(ffd) || syncfs(ffd) || fstatvfs(ffd, &sv))
		die("filler");
	return sv.f_bavail;
}

/* Sectors written so far to the block device that holds @fd's file. */
static unsigned long long fd_sectors_written(int fd)
{
	char disk[64];
	struct stat st;

	if (fstat(fd, &st))
		die("fstat");
	snprintf(disk, sizeof(disk), "../dev/block/%u:%u", major(st.st_dev),
		 minor(st.st_dev));
	return sectors_written(disk);
}

/*
 * Leaves @room bytes of room for the next write (free space, quota) and
 * describes it in @limit ("with N blocks free").
 */
typedef void near_room_fn(void *ctx, size_t room, char *limit, size_t size);

/*
 * xfs's own counters for the file system that holds @fd
 * (/sys/fs/xfs/DEV/stats/stats): "log" blocks written, "xpc" bytes of
 * delayed allocation converted (xstrat) and bytes written by write(2).
 */
struct xfs_counts {
	unsigned long long log_blocks, xstrat_bytes, write_bytes;
};

static void xfs_counts_read(int fd, struct xfs_counts *c)
{
	char link[64], target[256], path[320], line[512];
	unsigned long long a, b, d;
	ssize_t n;
	struct stat st;
	FILE *f;

	memset(c, 0, sizeof(*c));
	if (fstat(fd, &st))
		die("fstat");
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(st.st_dev),
		 minor(st.st_dev));
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = 0;
	snprintf(path, sizeof(path), "/sys/fs/xfs/%s/stats/stats",
		 strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "log %llu %llu", &a, &b) == 2)
			c->log_blocks = b;
		else if (sscanf(line, "xpc %llu %llu %llu", &a, &b, &d) == 3) {
			c->xstrat_bytes = a;
			c->write_bytes = b;
		}
	}
	fclose(f);
}

/*
 * One plain write-through write of @alen bytes at @alen, into a hole:
 * returns what it sent to the device while it ran (in bytes), or -1 after
 * reporting a failed write.  Prints xfs's own counters for the write
 * (@what says which attempt) when it sent 1.5 times its size or more.
 */
static long long near_limit_plain_once(int fd, unsigned char *buf,
					size_t alen, const char *limit,
					const char *what)
{
	unsigned long long before, sent;
	struct xfs_counts c0, c1;
	ssize_t r;

	if (syncfs(fd))
		die("syncfs");
	xfs_counts_read(fd, &c0);
	before = fd_sectors_written(fd);
	r = wt_write(fd, buf, alen, alen, RWF_WRITETHROUGH);
	sent = (fd_sectors_written(fd) - before) * 512;
	xfs_counts_read(fd, &c1);
	if (r != (ssize_t)alen) {
		fail("a plain write-through write of %zu bytes into a hole fails %s: %s (the space is reserved twice)",
		     alen, limit, r < 0 ? strerror(errno) : "short write");
		return -1;
	}
	if (sent >= alen + alen / 2)
		printf("%s: sent %llu bytes; xfs counted %llu log blocks written, %llu bytes of delayed allocation converted, %llu bytes written by write(2)\n",
		       what, sent, c1.log_blocks - c0.log_blocks,
		       c1.xstrat_bytes - c0.xstrat_bytes,
		       c1.write_bytes - c0.write_bytes);
	return (long long)sent;
}

/*
 * The last write of nearfull and nearquota: a plain write-through write of
 * @alen bytes at @alen, into a hole, near the limit (@set_room leaves the
 * room, @limit says how much).  It must succeed, and send less than 1.5
 * times its size to the device while it runs.  The device's counter also
 * counts what the file system writes meanwhile on its own (its log,
 * metadata written back by xfsaild), which now and then comes to tens of
 * KiB: a write that sends too much is undone and tried once more, with
 * the same room, and fails the test only if it sends too much again, as a
 * write whose space is reserved twice always does.
 */
static void near_limit_plain(int fd, unsigned char *buf, size_t alen,
			     near_room_fn *set_room, void *ctx)
{
	char limit[96];
	long long sent;

	set_room(ctx, alen + alen / 2, limit, sizeof(limit));
	fill(buf, alen, alen, 3);
	sent = near_limit_plain_once(fd, buf, alen, limit, "first try");
	if (sent < 0)
		return;
	if (sent >= (long long)(alen + alen / 2)) {
		nearfull_undo(fd, alen, alen);
		set_room(ctx, alen + alen / 2, limit, sizeof(limit));
		sent = near_limit_plain_once(fd, buf, alen, limit, "second try");
		if (sent < 0)
			return;
	}
	if (sent >= (long long)(alen + alen / 2)) {
		fail("a plain write-through write of %zu bytes into a hole %s succeeds but sent %lld bytes to the device, twice in a row: its data went twice (refused for space reserved twice, flushed, written again)",
		     alen, limit, sent);
	} else {
		printf("ok: a plain write-through write of %zu bytes into a hole %s succeeds and sends %lld bytes\n",
		       alen, limit, sent);
	}
	drop_caches(fd);
	expect_content(fd, alen, alen, 3,
		       "after a cache drop the device holds the plain write-through write");
}

/*
 * What nearfull and nearquota share: the largest multi-block atomic write
 * up to 128 KiB the file admits (0, said, when there is none); the file
 * is sized so that [len, 2 * len) is a hole inside its size.
 */
static size_t near_limit_len(int fd, const char *name)
{
	wtsmgr_atomic_limits lim;
	size_t alen = 0;

	if (wtsmgr_atomic_limits_fd(fd, &lim))
		die("statx");
	for (size_t l = lim.unit_min; l && l <= lim.unit_max && l <= 131072; l *= 2)
		alen = l;
	if (alen < 8192) {
		printf("%s: no multi-block atomic writes here (unit_max %u)\n",
		       name, lim.unit_max);
		return 0;
	}
	if (ftruncate(fd, 4 * alen) || fsync(fd))
		die("ftruncate");
	return alen;
}

/*
 * The three writes of nearfull and nearquota into the hole [@alen,
 * 2 * @alen), each with room for its blocks once but not twice (1.5
 * times the write), the range punched out again after each: a buffered
 * write and fsync, which must succeed (or there is nothing to compare
 * with), an atomic write-through write and a plain one, which must
 * succeed too.
 */
static int near_limit_writes(const char *name, int fd, size_t alen,
			     near_room_fn *set_room, void *ctx)
{
	unsigned char *buf = xaligned(alen);
	size_t room = alen + alen / 2;
	char limit[96];
	ssize_t r;

	set_room(ctx, room, limit, sizeof(limit));
	fill(buf, alen, alen, 1);
	if (pwrite(fd, buf, alen, alen) != (ssize_t)alen || fsync(fd)) {
		printf("%s: a plain buffered write and fsync of %zu bytes fail %s: %s; nothing to compare with\n",
		       name, alen, limit, strerror(errno));
		free(buf);
		return 2;
	}
	printf("ok: a buffered write and fsync of %zu bytes into a hole succeed %s\n",
	       alen, limit);
	nearfull_undo(fd, alen, alen);

	set_room(ctx, room, limit, sizeof(limit));
	fill(buf, alen, alen, 2);
	r = wt_write(fd, buf, alen, alen, RWF_WRITETHROUGH | RWF_ATOMIC);
	if (r != (ssize_t)alen) {
		fail("an atomic write-through write of %zu bytes into a hole fails %s: %s (the space is reserved twice)",
		     alen, limit, r < 0 ? strerror(errno) : "short write");
	} else {
		printf("ok: an atomic write-through write of %zu bytes into a hole succeeds %s\n",
		       alen, limit);
		drop_caches(fd);
		expect_content(fd, alen, alen, 2,
			       "after a cache drop the device holds the atomic write");
	}
	nearfull_undo(fd, alen, alen);

	near_limit_plain(fd, buf, alen, set_room, ctx);
	free(buf);
	printf("%s: %d failure(s)\n", name, failures);
	return failures ? 1 : 0;
}

struct nearfull {
	int ffd;	/* the filler */
	off_t got;	/* its end */
};

static void nearfull_set_room(void *ctx, size_t room, char *limit, size_t size)
{
	struct nearfull *nf = ctx;

	snprintf(limit, size, "with %llu blocks free",
		 nearfull_room(nf->ffd, &nf->got, room));
}

static int cmd_nearfull(const char *path)
{
	int fd = open_file(path), rc;
	struct nearfull nf = { .got = 0 };
	char filler[600];
	size_t alen = near_limit_len(fd, "nearfull");

	if (!alen)
		return 2;
	snprintf(filler, sizeof(filler), "%s.filler", path);
	nf.ffd = open_file(filler);
	rc = near_limit_writes("nearfull", fd, alen, nearfull_set_room, &nf);
	close(nf.ffd);
	unlink(filler);
	close(fd);
	return rc;
}

/*
 * wt dsync FILE DISK: RWF_DSYNC write-through writes (issue 11, FUA).
 * Requests and flushes come from the device's counters
 * (/sys/block/DISK/stat: write I/Os, flush I/Os).
 *  - 64 RWF_WRITETHROUGH | RWF_DSYNC overwrites of 4 KiB, written blocks
 *    inside the file's size, every other one RWF_ATOMIC too where the
 *    file takes 4 KiB atomic writes: each reaches the device, and on a
 *    device with a volatile write cache and FUA they are sent with FUA,
 *    with no cache flush after each (at most 1 in 8, for what the file
 *    system flushes on its own meanwhile);
 *  - 16 RWF_DSYNC write-through appends, whose new size needs a sync:
 *    on such a device, at least one flush per 2 appends;
 *  - a write-through write to a file with the sync flag (chattr +S),
 *    without RWF_DSYNC, completes (its device write once synced itself
 *    at completion, waiting for the folios it was writing from: a hang,
 *    reported after 60 s) and is durable;
 *  - the device holds all of it after a cache drop.
 */
struct disk_ops {
	unsigned long long writes, flushes;
};

/* Write requests and flushes (the stat file's 5th and 16th counters). */
static void disk_ops_read(const char *disk, struct disk_ops *o)
{
	unsigned long long f[17] = { 0 };

	disk_stat(disk, f, 16);
	o->writes = f[4];
	o->flushes = f[15];
}

/* Does /sys/block/@disk/queue/@attr start with @want? */
static int disk_queue_is(const char *disk, const char *attr, const char *want)
{
	char path[160], line[64] = "";
	FILE *fp;

	snprintf(path, sizeof(path), "/sys/block/%s/queue/%s", disk, attr);
	fp = fopen(path, "r");
	if (!fp)
		return 0;
	if (!fgets(line, sizeof(line), fp))
		line[0] = 0;
	fclose(fp);
	return !strncmp(line, want, strlen(want));
}

/* The write-through write to a chattr +S file, in a child (see cmd_dsync). */
static void dsync_syncflag(const char *path)
{
	char name[600];
	unsigned char *buf = xaligned(8192);
	int fd, attr, st;
	pid_t child;

	snprintf(name, sizeof(name), "%s.sync", path);
	fd = open_file(name);
	if (ioctl(fd, FS_IOC_GETFLAGS, &attr))
		die("FS_IOC_GETFLAGS");
	attr |= FS_SYNC_FL;
	if (ioctl(fd, FS_IOC_SETFLAGS, &attr))
		die("FS_IOC_SETFLAGS FS_SYNC_FL");
	fill(buf, 8192, 0, 7);
	fflush(stdout);
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0)
		_exit(wt_write(fd, buf, 8192, 0, RWF_WRITETHROUGH) == 8192 ? 0 : 1);
	if (wait_child(child, 60, &st)) {
		fail("a write-through write to a file with the sync flag hangs (no return in 60 s)");
		free(buf);
		return;		/* the child stays blocked; leave its file */
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fail("a write-through write to a file with the sync flag fails");
	} else {
		printf("ok: a write-through write to a file with the sync flag returns\n");
		drop_caches(fd);
		expect_content(fd, 0, 8192, 7,
			       "after a cache drop the device holds the write to the file with the sync flag");
	}
	close(fd);
	free(buf);
}

static int cmd_dsync(const char *path, const char *disk)
{
	const size_t bs = 4096, nblocks = 64, nappend = 16;
	unsigned char *buf = xaligned(nblocks * bs);
	int fua = disk_queue_is(disk, "write_cache", "write back") &&
		  disk_queue_is(disk, "fua", "1");
	int fd = open_file(path), atomic = 0;
	wtsmgr_atomic_limits lim;
	struct disk_ops o0, o1;
	size_t i;

	if (!wtsmgr_atomic_limits_fd(fd, &lim) && lim.unit_min &&
	    lim.unit_min <= bs && lim.unit_max >= bs)
		atomic = 1;
	printf("%s: %s write cache%s; %s\n", disk,
	       disk_queue_is(disk, "write_cache", "write back") ? "volatile" : "no volatile",
	       disk_queue_is(disk, "fua", "1") ? ", FUA" : ", no FUA",
	       atomic ? "every other overwrite atomic" : "no 4 KiB atomic writes here");

	/* written blocks, on the device */
	fill(buf, nblocks * bs, 0, 4);
	if (pwrite(fd, buf, nblocks * bs, 0) != (ssize_t)(nblocks * bs) ||
	    fsync(fd))
		die("writing the file");
	if (syncfs(fd))
		die("syncfs");

	fill(buf, nblocks * bs, 0, 5);
	disk_ops_read(disk, &o0);
	for (i = 0; i < nblocks; i++) {
		/* a stride through the file, every block once */
		size_t b = (i * 37) % nblocks;
		int flags = RWF_WRITETHROUGH | RWF_DSYNC;

		if (atomic && (i & 1))
			flags |= RWF_ATOMIC;
		if (wt_write(fd, buf + b * bs, bs, b * bs, flags) != (ssize_t)bs) {
			fail("an RWF_DSYNC write-through overwrite%s at %zu: %s",
			     flags & RWF_ATOMIC ? " (atomic)" : "", b * bs,
			     strerror(errno));
			break;
		}
	}
	disk_ops_read(disk, &o1);
	printf("%zu RWF_DSYNC overwrites: %llu write requests, %llu flushes\n",
	       nblocks, o1.writes - o0.writes, o1.flushes - o0.flushes);
	if (o1.writes - o0.writes < nblocks)
		fail("%zu RWF_DSYNC overwrites sent only %llu write requests",
		     nblocks, o1.writes - o0.writes);
	if (fua && (o1.flushes - o0.flushes) * 8 > nblocks)
		fail("%zu RWF_DSYNC overwrites of written blocks flushed the device's cache %llu times: not sent with FUA",
		     nblocks, o1.flushes - o0.flushes);
	else if (fua)
		printf("ok: RWF_DSYNC overwrites are sent with FUA, with no flush after each\n");

	fill(buf, nappend * bs, nblocks * bs, 6);
	disk_ops_read(disk, &o0);
	for (i = 0; i < nappend; i++) {
		off_t off = (off_t)(nblocks + i) * bs;

		if (wt_write(fd, buf + i * bs, bs, off,
			     RWF_WRITETHROUGH | RWF_DSYNC) != (ssize_t)bs) {
			fail("an RWF_DSYNC write-through append at %lld: %s",
			     (long long)off, strerror(errno));
			break;
		}
	}
	disk_ops_read(disk, &o1);
	printf("%zu RWF_DSYNC appends: %llu write requests, %llu flushes\n",
	       nappend, o1.writes - o0.writes, o1.flushes - o0.flushes);
	if (fua && (o1.flushes - o0.flushes) * 2 < nappend)
		fail("%zu RWF_DSYNC appends flushed the device's cache only %llu times: their new size was not synced",
		     nappend, o1.flushes - o0.flushes);
	else if (fua)
		printf("ok: RWF_DSYNC appends are synced\n");

	dsync_syncflag(path);

	drop_caches(fd);
	expect_content(fd, 0, nblocks * bs, 5,
		       "after a cache drop the device holds the overwrites");
	expect_content(fd, nblocks * bs, nappend * bs, 6,
		       "after a cache drop the device holds the appends");
	close(fd);
	free(buf);
	printf("dsync: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}

/*
 * wt nearquota FILE: xfs mounted with prjquota, review M1 ("ENOSPC and
 * EDQUOT near the limit").  As nearfull, against a quota instead of free
 * space: FILE gets project 42 (not 0, whose limits xfs never enforces, so
 * root is limited too), and before each write the project's block hard
 * limit is set to what it uses plus 1.5 times the write: room for the
 * write's blocks once, not twice.  A plain buffered write and fsync of the
 * range succeed; an atomic write-through write must too; a plain
 * write-through write is tried last and must succeed and send its data
 * once (xfs reports a project quota overrun as ENOSPC, and takes the same
 * flush and retry as in nearfull).
 */
#define NEARQUOTA_PROJID 42

static int xfs_prj_quotactl(int fd, int cmd, struct fs_disk_quota *d)
{
	return syscall(SYS_quotactl_fd, fd, QCMD(cmd, PRJQUOTA), NEARQUOTA_PROJID, d);
}

/* Limit the project to its use plus @room bytes; returns the room in blocks. */
static unsigned long long nearquota_room(int fd, size_t room)
{
	struct fs_disk_quota used, limit;

	memset(&used, 0, sizeof(used));
	if (syncfs(fd) || xfs_prj_quotactl(fd, Q_XGETQUOTA, &used))
		die("Q_XGETQUOTA (is the file system mounted with prjquota?)");
	memset(&limit, 0, sizeof(limit));
	limit.d_version = FS_DQUOT_VERSION;
	limit.d_id = NEARQUOTA_PROJID;
	limit.d_flags = FS_PROJ_QUOTA;
	limit.d_fieldmask = FS_DQ_BHARD;
	/* in 512-byte units */
	limit.d_blk_hardlimit = used.d_bcount + room / 512;
	if (xfs_prj_quotactl(fd, Q_XSETQLIM, &limit))
		die("Q_XSETQLIM");
	return room / 4096;
}

static void nearquota_set_room(void *ctx, size_t room, char *limit, size_t size)
{
	snprintf(limit, size, "with room for %llu blocks under the quota",
		 nearquota_room(*(int *)ctx, room));
}

static int cmd_nearquota(const char *path)
{
	int fd = open_file(path), rc;
	struct fsxattr fsx;
	size_t alen = near_limit_len(fd, "nearquota");

	if (!alen)
		return 2;
	if (ioctl(fd, FS_IOC_FSGETXATTR, &fsx))
		die("FS_IOC_FSGETXATTR");
	fsx.fsx_projid = NEARQUOTA_PROJID;
	if (ioctl(fd, FS_IOC_FSSETXATTR, &fsx))
		die("FS_IOC_FSSETXATTR (project id)");
	rc = near_limit_writes("nearquota", fd, alen, nearquota_set_room, &fd);
	close(fd);
	return rc;
}

struct jstress {
	int fd, ofd;
	unsigned int seed;
	volatile unsigned long *progress;
	volatile int *stop;
};

static void *jstress_wt(void *arg)
{
	struct jstress *j = arg;
	unsigned char *buf = xaligned(262144);

	fill(buf, 262144, 0, 5);
	while (!*j->stop) {
		off_t off = (off_t)(rand_r(&j->seed) % 120) * 65536 + 4096;

		wt_write(j->fd, buf, 262144, off, RWF_WRITETHROUGH);
		__sync_fetch_and_add(j->progress, 1);
	}
	free(buf);
	return NULL;
}

static void *jstress_dirty(void *arg)
{
	struct jstress *j = arg;
	char b[4096];

	memset(b, 'd', sizeof(b));
	while (!*j->stop) {
		if (pwrite(j->fd, b, sizeof(b), (off_t)(rand_r(&j->seed) % 2048) * 4096) < 0)
			break;
		__sync_fetch_and_add(j->progress, 1);
	}
	return NULL;
}

static void *jstress_fsync(void *arg)
{
	struct jstress *j = arg;

	while (!*j->stop) {
		fsync(j->fd);
		__sync_fetch_and_add(j->progress, 1);
	}
	return NULL;
}

static void *jstress_commit(void *arg)
{
	struct jstress *j = arg;
	char b[512];
	unsigned int n = 0;

	memset(b, 'c', sizeof(b));
	while (!*j->stop) {
		if (pwrite(j->ofd, b, sizeof(b), (off_t)(n++ % 64) * 4096) < 0)
			break;
		fsync(j->ofd);
		__sync_fetch_and_add(j->progress, 1);
	}
	return NULL;
}

/*
 * wt jstress FILE SECONDS: ext4, write-through writes of 256 KiB across
 * large folios whose other blocks buffered writes keep dirty, fsync of
 * the same file (which waits, holding a journal handle, for folios under
 * writeback) and commits forced by fsync of a second file.  Fails when
 * no thread makes progress for 60 s (the threads are then left behind,
 * stuck; their stacks are printed).
 */
static int cmd_jstress(const char *path, int seconds)
{
	unsigned long *progress = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned long last = 0;
	time_t t0 = time(NULL), seen;
	pid_t child;
	int st;

	if (progress == MAP_FAILED)
		die("mmap");
	fflush(stdout);
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		void *(*fns[])(void *) = { jstress_wt, jstress_dirty, jstress_fsync,
					   jstress_commit };
		struct jstress j[4];
		pthread_t t[4];
		char other[600];
		unsigned char *buf = xaligned(1 << 20);
		volatile int stop = 0;
		int fd = open_file(path), ofd;

		snprintf(other, sizeof(other), "%s.other", path);
		ofd = open_file(other);
		fill(buf, 1 << 20, 0, 1);
		for (int i = 0; i < 8; i++)
			if (pwrite(fd, buf, 1 << 20, (off_t)i << 20) != 1 << 20)
				die("initial write");
		if (fsync(fd))
			die("fsync");
		for (int i = 0; i < 4; i++) {
			j[i] = (struct jstress){ .fd = fd, .ofd = ofd, .seed = 7 + i,
						 .progress = progress, .stop = &stop };
			if (pthread_create(&t[i], NULL, fns[i], &j[i]))
				die("pthread_create");
		}
		sleep(seconds);
		stop = 1;
		for (int i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		_exit(0);
	}
	seen = time(NULL);
	for (;;) {
		pid_t r = waitpid(child, &st, WNOHANG);

		if (r == child) {
			printf("ok: %d s of write-through, buffered writes, fsync and commits: %lu operations, no hang\n",
			       seconds, *progress);
			return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : 1;
		}
		if (*progress != last) {
			last = *progress;
			seen = time(NULL);
		}
		if (time(NULL) - seen > 60)
			break;
		usleep(200000);
	}
	fail("no progress for 60 s after %lu operations in %ld s; the threads' stacks:",
	     *progress, (long)(time(NULL) - t0));
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd),
			 "for t in /proc/%d/task/*; do echo \"== $t\"; cat $t/stack; done", child);
		fflush(stdout);
		if (system(cmd) < 0)
			perror("system");
	}
	return 1;
}

/*
 * wt inline FILE: on ext4 with inline_data, a new file takes write-through
 * writes (it gets blocks, as for O_DIRECT); a file that already holds
 * inline data refuses them with EOPNOTSUPP, before its timestamps change.
 */
static int cmd_inline(const char *path)
{
	unsigned char *buf = xaligned(8192), *got = xaligned(8192);
	char small[600];
	struct stat a, b;
	int fd = open_file(path), sfd;

	fill(buf, 8192, 0, 1);
	if (wt_write(fd, buf, 8192, 0, RWF_WRITETHROUGH) != 8192)
		fail("write-through write to a new file: %s", strerror(errno));
	else if (pread(fd, got, 8192, 0) != 8192 || memcmp(got, buf, 8192))
		fail("the new file does not hold the write-through data");
	else
		printf("ok: a new file on an inline_data file system takes write-through writes\n");

	snprintf(small, sizeof(small), "%s.small", path);
	sfd = open_file(small);
	if (pwrite(sfd, "inline", 6, 0) != 6 || fsync(sfd))
		die("small write");
	if (fstat(sfd, &a))
		die("fstat");
	usleep(20000);
	expect_errno("write-through write to a file with inline data",
		     wt_write(sfd, buf, 4096, 0, RWF_WRITETHROUGH), EOPNOTSUPP);
	if (fstat(sfd, &b))
		die("fstat");
	if (a.st_mtim.tv_sec != b.st_mtim.tv_sec || a.st_mtim.tv_nsec != b.st_mtim.tv_nsec)
		fail("the refused write changed the file's mtime");
	else
		printf("ok: the refused write left the mtime alone\n");
	close(sfd);
	close(fd);
	free(buf);
	free(got);
	printf("inline: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}

/*
 * wt c2order FILE DMDEV copy|convert: ext4 with 1 KiB blocks (so that a
 * 4 KiB folio holds blocks of the write and other dirty blocks) on a
 * device-mapper device.  No journal handle may be started while folios
 * of a write-through write are under writeback but not yet submitted: an
 * fsync of the same file that holds a handle and waits for one of those
 * folios, and a commit that waits for the fsync's handle, would then
 * wait for the write forever (review C2).
 *
 * The file: folio 0 is a delayed allocation (so that the fsync's
 * writeback maps it, holding a handle, before it reaches folio 1);
 * folio 1 has block 0 dirty again and is otherwise the write's; folio 2
 * is written and not cached.
 *
 * copy: the device is suspended while a reader has folio 2 locked for
 * its read.  The write-through write [5 KiB, 12 KiB) copies into folio 1
 * and waits for folio 2; the fsync waits for folio 1; a commit (fsync of
 * another file) waits for the fsync's handle; then the device resumes.
 * Before the fix, folio 1 was under writeback during the copy and the
 * copy's ext4_write_begin() for folio 2 waited for the commit.
 *
 * convert: folio 1's blocks are unwritten (fallocate); the write-through
 * write [5 KiB, 8 KiB) is held in the suspended device; the fsync and
 * the commit wait as above.  Before the fix, the conversion of the
 * unwritten extent at completion started a handle, which waited for the
 * commit, with folio 1 still under writeback.
 *
 * The steps run in a child; the test fails when the child has not
 * finished 60 s after the resume (it is left behind, stuck).
 */
struct c2_job {
	int kind;		/* 0 read, 1 write-through, 2 fsync, 3 commit */
	int fd;
	off_t off;
	size_t len;
	unsigned char *buf;
	ssize_t ret;
	int err;
	pid_t tid;
	volatile int started;
};

static void *c2_run(void *arg)
{
	struct c2_job *j = arg;
	struct timespec ts[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };

	j->tid = gettid();
	j->started = 1;
	switch (j->kind) {
	case 0:
		j->ret = pread(j->fd, j->buf, j->len, j->off);
		break;
	case 1:
		j->ret = wt_write(j->fd, j->buf, j->len, j->off, RWF_WRITETHROUGH);
		break;
	case 2:
		j->ret = fsync(j->fd);
		break;
	default:
		/* a change in the running transaction, then its commit */
		j->ret = futimens(j->fd, ts);
		if (!j->ret)
			j->ret = fsync(j->fd);
	}
	j->err = errno;
	return NULL;
}

/* Start @j and wait until it sleeps uninterruptibly (up to 20 s). */
static void c2_start(pthread_t *t, struct c2_job *j, const char *what)
{
	int i;

	if (pthread_create(t, NULL, c2_run, j))
		die("pthread_create");
	for (i = 0; i < 2000; i++) {
		if (j->started && thread_state(j->tid) == 'D')
			break;
		usleep(10000);
	}
	printf("%s: %s\n", what, i < 2000 ? "waiting" :
	       "never showed as waiting (the ordering below may not hold)");
	fflush(stdout);
	/* let it get to where it waits for good */
	usleep(300000);
}

static void c2order_steps(const char *path, const char *dev, int convert)
{
	const size_t K = 1024;
	unsigned char *buf = xaligned(16 * K), *wbuf = xaligned(16 * K),
		      *rbuf = xaligned(4 * K);
	char gpath[4096];
	struct c2_job r = { .kind = 0 }, w = { .kind = 1 }, s = { .kind = 2 },
		      c = { .kind = 3 };
	pthread_t rt = 0, wt, st, ct;
	int fd = open_file(path), fd2, g;
	size_t wlen = convert ? 3 * K : 7 * K;

	snprintf(gpath, sizeof(gpath), "%s.commit", path);
	g = open_file(gpath);
	if (pwrite(g, "commit", 6, 0) != 6 || fsync(g))
		die("other file");
	/* folio 0 a hole, folios 1 and 2 written (folio 1 unwritten: convert) */
	fill(buf, 12 * K, 0, 1);
	if (convert) {
		if (fallocate(fd, 0, 4 * K, 4 * K))
			die("fallocate");
	} else if (pwrite(fd, buf + 4 * K, 4 * K, 4 * K) != (ssize_t)(4 * K)) {
		die("write folio 1");
	}
	if (pwrite(fd, buf + 8 * K, 4 * K, 8 * K) != (ssize_t)(4 * K) ||
	    fsync(fd) || syncfs(fd))
		die("initial write");
	if (posix_fadvise(fd, 0, 12 * K, POSIX_FADV_DONTNEED))
		die("posix_fadvise");
	/* folio 0: delayed allocation; folio 1: block 0 dirty */
	fill(buf, 5 * K, 0, 2);
	if (pwrite(fd, buf, 4 * K, 0) != (ssize_t)(4 * K) ||
	    pwrite(fd, buf + 4 * K, K, 4 * K) != (ssize_t)K)
		die("buffered writes");
	fill(wbuf, wlen, 5 * K, 3);

	fd2 = open(path, O_RDONLY);
	if (fd2 < 0 || posix_fadvise(fd2, 0, 0, POSIX_FADV_RANDOM))
		die("reader");
	dm_cmd("suspend", dev);
	if (!convert) {
		r = (struct c2_job){ .kind = 0, .fd = fd2, .off = 8 * K,
				     .len = 4 * K, .buf = rbuf };
		c2_start(&rt, &r, "reader of folio 2 (device suspended)");
	}
	w = (struct c2_job){ .kind = 1, .fd = fd, .off = 5 * K, .len = wlen,
			     .buf = wbuf };
	c2_start(&wt, &w, "write-through write");
	s = (struct c2_job){ .kind = 2, .fd = fd };
	c2_start(&st, &s, "fsync of the same file");
	c = (struct c2_job){ .kind = 3, .fd = g };
	c2_start(&ct, &c, "commit (fsync of another file)");
	printf("resuming the device\n");
	fflush(stdout);
	dm_cmd("resume", dev);

	pthread_join(wt, NULL);
	pthread_join(st, NULL);
	pthread_join(ct, NULL);
	if (rt)
		pthread_join(rt, NULL);
	if (w.ret != (ssize_t)wlen)
		fail("write-through write returned %zd (%s)", w.ret,
		     w.ret < 0 ? strerror(w.err) : "short");
	if (s.ret || c.ret)
		fail("fsync: %s", strerror(s.ret ? s.err : c.err));
	expect_content(fd, 5 * K, wlen, 3, "the write-through data is in the file");
	drop_caches(fd);
	expect_content(fd, 0, 4 * K, 2, "after a cache drop: the delayed allocation's data");
	expect_content(fd, 4 * K, K, 2, "after a cache drop: the buffered write in folio 1");
	expect_content(fd, 5 * K, wlen, 3, "after a cache drop: the write-through data");
	close(fd2);
	close(fd);
	close(g);
}

static int cmd_c2order(const char *path, const char *dev, const char *part)
{
	pid_t child;
	int st, convert = !strcmp(part, "convert");

	if (!convert && strcmp(part, "copy")) {
		fprintf(stderr, "wt c2order: copy or convert\n");
		return 2;
	}
	fflush(stdout);
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		c2order_steps(path, dev, convert);
		printf("c2order %s: %d failure(s)\n", part, failures);
		fflush(stdout);
		_exit(failures ? 1 : 0);
	}
	if (!wait_child(child, 90, &st)) {
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			printf("ok: %s: no handle waits for the commit while folios of the write are under writeback\n",
			       part);
			return 0;
		}
		fail("c2order %s failed (status 0x%x)", part, st);
		return 1;
	}
	{
		char p[512], line[256], *e;
		DIR *d;
		struct dirent *de;

		fail("c2order %s: no progress in 90 s (deadlock); the threads' stacks:", part);
		snprintf(p, sizeof(p), "/proc/%d/task", child);
		d = opendir(p);
		while (d && (de = readdir(d))) {
			FILE *f;

			if (de->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "/proc/%d/task/%s/stack", child, de->d_name);
			printf(" thread %s:\n", de->d_name);
			f = fopen(p, "r");
			while (f && fgets(line, sizeof(line), f)) {
				e = strchr(line, '\n');
				if (e)
					*e = 0;
				printf("   %s\n", line);
			}
			if (f)
				fclose(f);
		}
		if (d)
			closedir(d);
		/* and the journal thread's */
		d = opendir("/proc");
		while (d && (de = readdir(d))) {
			FILE *f;

			snprintf(p, sizeof(p), "/proc/%s/comm", de->d_name);
			f = fopen(p, "r");
			if (!f)
				continue;
			if (fgets(line, sizeof(line), f) && !strncmp(line, "jbd2/dm-", 8)) {
				fclose(f);
				printf(" %s", line);
				snprintf(p, sizeof(p), "/proc/%s/stack", de->d_name);
				f = fopen(p, "r");
				while (f && fgets(line, sizeof(line), f))
					printf("   %s", line);
			}
			if (f)
				fclose(f);
		}
		if (d)
			closedir(d);
	}
	return 1;
}

/*
 * io_uring write-through overwrites of written blocks are issued inline
 * (wt nowait), with IOCB_NOWAIT: each one's data is in the page cache when
 * io_uring_submit() returns, so that a buffered read sees it at once and
 * the caller may reuse its buffer while the device write is in flight
 * (one buffer serves every write here, scribbled over after each
 * submission).  The writes carry RWF_NOWAIT, so that a write that cannot
 * be issued without waiting completes with EAGAIN instead of going to an
 * io_uring worker; such a write must have left the page cache alone.  Up to 32 writes are in flight, to
 * distinct blocks.  The file system must be mounted with lazytime: a
 * timestamp update without it needs a transaction, which IOCB_NOWAIT
 * refuses (for O_DIRECT writes as well).  xfs must then issue every write
 * inline; ext4 cannot update timestamps without waiting at all (see
 * generic_update_time()), so it refuses the writes that are due one, about
 * one per clock tick, and only has to issue most writes inline.  A write
 * refused is written again at once, synchronously.
 */
static int cmd_nowait(const char *path, const char *dev, int atomic)
{
	enum { QD = 32, NBLK = 1024, WRITES = 512 };
	const int BS = atomic ? 16384 : 4096;
	const int flags = RWF_WRITETHROUGH | RWF_NOWAIT | (atomic ? RWF_ATOMIC : 0);
	unsigned char *buf = xaligned(BS), *chk = xaligned(BS);
	unsigned int *seed = calloc(NBLK, sizeof(*seed));
	int *perm = malloc(NBLK * sizeof(*perm));
	char *seen = calloc(WRITES, 1);
	int fd = open_file(path);
	int bdev = open(dev, O_RDONLY | O_DIRECT);
	int inflight = 0, refused = 0, ret;
	struct statfs sfs;
	struct io_uring ring;

	if (bdev < 0)
		die(dev);
	if (!seed || !perm || !seen)
		die("calloc");
	if (fstatfs(fd, &sfs))
		die("fstatfs");
	for (int pad = 0;; pad++) {
		unsigned long long phys;
		char padname[PATH_MAX];
		int pfd;

		for (int b = 0; b < NBLK; b++) {
			fill(buf, BS, (off_t)b * BS, 99);
			if (pwrite(fd, buf, BS, (off_t)b * BS) != BS)
				die("writing the file's blocks");
			seed[b] = 99;
			perm[b] = b;
		}
		if (fsync(fd))
			die("fsync");
		/*
		 * The device writes an atomic write in place only at an
		 * aligned sector: move the file's blocks until they are, with
		 * a file that fills the space before them.
		 */
		phys = sector_of(fd, 0) * 512;
		if (!atomic || phys % BS == 0)
			break;
		if (pad == 4) {
			fprintf(stderr, "wt: the file's blocks are not %d-byte aligned on the device\n",
				BS);
			exit(2);
		}
		snprintf(padname, sizeof(padname), "%s.pad%d", path, pad);
		pfd = open_file(padname);
		if (pwrite(pfd, buf, BS - phys % BS, 0) != (ssize_t)(BS - phys % BS) ||
		    fsync(pfd) || ftruncate(fd, 0) || fsync(fd))
			die("moving the file's blocks");
		close(pfd);
	}
	for (int b = NBLK - 1; b > 0; b--) {
		int r = rand() % (b + 1), t = perm[b];

		perm[b] = perm[r];
		perm[r] = t;
	}
	ret = io_uring_queue_init(QD, &ring, 0);
	if (ret < 0) {
		errno = -ret;
		die("io_uring_queue_init");
	}
	for (int i = 0; i < WRITES + QD; i++) {
		struct io_uring_cqe *cqe;
		struct io_uring_sqe *sqe;
		off_t off = (off_t)perm[i % NBLK] * BS;

		if (inflight == QD || (i >= WRITES && inflight)) {
			int w;

			ret = io_uring_wait_cqe(&ring, &cqe);
			if (ret < 0) {
				errno = -ret;
				die("io_uring_wait_cqe");
			}
			w = (int)io_uring_cqe_get_data64(cqe);
			if (cqe->res == BS && !seen[w])
				fail("write %d completed, but its data was not in the page cache when io_uring_submit() returned",
				     w);
			else if (cqe->res == -EAGAIN && seen[w])
				fail("write %d was refused with EAGAIN, but its data had reached the page cache",
				     w);
			else if (cqe->res != BS && cqe->res != -EAGAIN)
				fail("write %d: res %d (%s)", w, cqe->res,
				     cqe->res < 0 ? strerror(-cqe->res) : "short");
			if (cqe->res == -EAGAIN)
				refused++;
			io_uring_cqe_seen(&ring, cqe);
			inflight--;
		}
		if (i >= WRITES)
			continue;
		fill(buf, BS, off, 1000 + i);
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_write(sqe, fd, buf, BS, off);
		sqe->rw_flags = flags;
		io_uring_sqe_set_data64(sqe, i);
		ret = io_uring_submit(&ring);
		if (ret != 1) {
			fail("io_uring_submit returned %d", ret);
			break;
		}
		inflight++;
		if (pread(fd, chk, BS, off) != BS)
			die("pread");
		seen[i] = !memcmp(chk, buf, BS);
		/*
		 * Not issued inline: refused (see the completion), and written
		 * again at once, synchronously, which also updates the
		 * timestamps a refusal may have been due to.
		 */
		if (!seen[i] && wt_write(fd, buf, BS, off, flags & ~RWF_NOWAIT) != BS)
			fail("write %d, again without RWF_NOWAIT: %s", i,
			     strerror(errno));
		memset(buf, 0x5a, BS);
	}
	io_uring_queue_exit(&ring);
	for (int i = 0; i < WRITES; i++)
		seed[perm[i]] = 1000 + i;
	if (sfs.f_type == 0x58465342 && refused)	/* XFS_SUPER_MAGIC */
		fail("xfs refused %d of %d writes: they were not issued inline with IOCB_NOWAIT",
		     refused, WRITES);
	if (refused > WRITES / 2)
		fail("%d of %d writes were refused: most were not issued inline with IOCB_NOWAIT",
		     refused, WRITES);
	for (int b = 0; b < NBLK; b++) {
		char what[64];

		fill(buf, BS, (off_t)b * BS, seed[b]);
		snprintf(what, sizeof(what), "block %d", b);
		verify(fd, bdev, (off_t)b * BS, BS, buf, what);
	}
	printf("nowait: %d %s%d-byte io_uring writes (RWF_NOWAIT) over written blocks, up to %d in flight: %d issued inline, in the page cache on return; %d refused (EAGAIN, page cache untouched); %d failure(s)\n",
	       WRITES, atomic ? "atomic " : "", BS, QD, WRITES - refused, refused,
	       failures);
	close(bdev);
	close(fd);
	free(buf);
	free(chk);
	free(seed);
	free(perm);
	free(seen);
	return failures ? 1 : 0;
}

/*
 * Several writers on one file (wt writers): threads write through at
 * random, 4 KiB writes and 8 KiB writes that straddle three blocks (from
 * the middle of one to the middle of the next but one), so that writers
 * overlap.  Most blocks are written (the file systems take overwrites with
 * the inode lock shared); every 16th starts as a hole, whose first write
 * allocates (with the inode lock exclusive).  Afterwards every block holds
 * the data of one write that covered it (or its first data), whole or in
 * halves where two straddling writes meet, and the device holds what the
 * page cache holds.
 */
enum { WR_THREADS = 4, WR_WRITES = 400, WR_NBLK = 256, WR_BS = 4096 };

struct wr_log {
	int		fd;
	unsigned int	id;
	int		n;
	off_t		off[WR_WRITES];
	size_t		len[WR_WRITES];
};

static int wr_hole(int b)
{
	return b % 16 == 15;
}

static void *wr_run(void *arg)
{
	struct wr_log *l = arg;
	unsigned char *buf = xaligned(2 * WR_BS);
	unsigned int r = l->id * 7919 + 1;

	for (l->n = 0; l->n < WR_WRITES; l->n++) {
		int i = l->n, b, two;

		r = r * 1103515245 + 12345;
		b = (r >> 8) % WR_NBLK;
		two = ((r >> 20) % 10) < 3 && b < WR_NBLK - 2;
		l->off[i] = (off_t)b * WR_BS + (two ? WR_BS / 2 : 0);
		l->len[i] = two ? 2 * WR_BS : WR_BS;
		fill(buf, l->len[i], l->off[i], l->id * WR_WRITES + i);
		if (wt_write(l->fd, buf, l->len[i], l->off[i], RWF_WRITETHROUGH) !=
		    (ssize_t)l->len[i]) {
			fail("writer %u, write %d: %s", l->id, i, strerror(errno));
			break;
		}
	}
	free(buf);
	return NULL;
}

/* Does [off, off + len) of @cache hold the first data or one write's? */
static int wr_match(const struct wr_log *logs, const unsigned char *cache,
		    off_t off, size_t len, unsigned char *want)
{
	if (wr_hole(off / WR_BS))
		memset(want, 0, len);
	else
		fill(want, len, off, 99);
	if (!memcmp(want, cache + off, len))
		return 1;
	for (int w = 0; w < WR_THREADS; w++)
		for (int i = 0; i < logs[w].n; i++) {
			off_t s = logs[w].off[i], e = s + logs[w].len[i];

			if (s > off || e < off + (off_t)len)
				continue;
			fill(want, logs[w].len[i], s, logs[w].id * WR_WRITES + i);
			if (!memcmp(want + (off - s), cache + off, len))
				return 1;
		}
	return 0;
}

static int cmd_writers(const char *path, const char *dev)
{
	static struct wr_log logs[WR_THREADS];
	const size_t size = (size_t)WR_NBLK * WR_BS;
	unsigned char *cache = xaligned(size), *disk = xaligned(WR_BS);
	unsigned char *want = xaligned(2 * WR_BS);
	pthread_t t[WR_THREADS];
	int fd = open_file(path);
	int bdev = open(dev, O_RDONLY | O_DIRECT);
	int torn = 0, differ = 0;

	if (bdev < 0)
		die(dev);
	for (int b = 0; b < WR_NBLK; b++) {
		fill(cache, WR_BS, (off_t)b * WR_BS, 99);
		if (!wr_hole(b) &&
		    pwrite(fd, cache, WR_BS, (off_t)b * WR_BS) != WR_BS)
			die("writing the file's blocks");
	}
	if (ftruncate(fd, size) || fsync(fd))
		die("ftruncate, fsync");
	for (unsigned int i = 0; i < WR_THREADS; i++) {
		logs[i].fd = fd;
		logs[i].id = i + 1;
		if (pthread_create(&t[i], NULL, wr_run, &logs[i]))
			die("pthread_create");
	}
	for (int i = 0; i < WR_THREADS; i++)
		pthread_join(t[i], NULL);

	if (pread(fd, cache, size, 0) != (ssize_t)size)
		die("pread");
	for (int b = 0; b < WR_NBLK; b++) {
		off_t off = (off_t)b * WR_BS;

		if (read_from_device(fd, bdev, off, WR_BS, disk) == 0 &&
		    memcmp(disk, cache + off, WR_BS) && ++differ <= 3)
			fail("block %d: the device holds other data than the page cache",
			     b);
		if (!wr_match(logs, cache, off, WR_BS, want) &&
		    !(wr_match(logs, cache, off, WR_BS / 2, want) &&
		      wr_match(logs, cache, off + WR_BS / 2, WR_BS / 2, want)) &&
		    ++torn <= 3)
			fail("block %d holds data of no single write (torn)", b);
	}
	if (torn > 3 || differ > 3)
		fail("%d torn block(s), %d block(s) differ between the device and the page cache",
		     torn, differ);
	printf("writers: %d threads x %d write-through writes (4 KiB and 8 KiB, overlapping, some into holes) on one file: %d torn, %d differ from the device, %d failure(s)\n",
	       WR_THREADS, WR_WRITES, torn, differ, failures);
	close(bdev);
	close(fd);
	free(cache);
	free(disk);
	free(want);
	return failures ? 1 : 0;
}

/* A store through a fresh shared mapping of the file, from a thread. */
struct store_job {
	int fd;
	off_t off;
	unsigned char byte;
	pid_t tid;
	volatile int started, done;
};

static void *store_run(void *arg)
{
	struct store_job *j = arg;
	off_t base = j->off & ~(off_t)4095;
	unsigned char *p;

	j->tid = gettid();
	j->started = 1;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, j->fd, base);
	if (p == MAP_FAILED)
		die("mmap");
	p[j->off - base] = j->byte;	/* the write fault: ->page_mkwrite */
	munmap(p, 4096);
	j->done = 1;
	return NULL;
}

/* Wait up to @ms for @flag; whether it came. */
static int wait_flag(volatile int *flag, int ms)
{
	for (int i = 0; i < ms / 10 && !*flag; i++)
		usleep(10000);
	return *flag;
}

/* queue/stable_writes of the block device @dev, or -1. */
static int stable_pages(const char *dev)
{
	char p[128];
	struct stat st;
	int v = -1;
	FILE *f;

	if (stat(dev, &st))
		return -1;
	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/queue/stable_writes",
		 major(st.st_rdev), minor(st.st_rdev));
	f = fopen(p, "r");
	if (f && fscanf(f, "%d", &v) != 1)
		v = -1;
	if (f)
		fclose(f);
	return v;
}

/*
 * wt stable FILE DMDEV: a write-through write asks writers to wait for
 * writeback (stable writes) only while it is in flight.  With the device
 * suspended: (1) an mmap store to a block whose write-through write is
 * in flight waits for it; (2) once that write has completed, an mmap
 * store to a folio under ordinary writeback does not wait, as on a file
 * never written through (the device needs no stable pages).
 */
static int cmd_stable(const char *path, const char *dev)
{
	const size_t len = 262144;
	unsigned char *buf = xaligned(len), got;
	struct wt_job w = { 0 }, r = { 0 };
	struct store_job a = { 0 }, b = { 0 };
	pthread_t wt, st, rt;
	int fd = open_file(path), stable = stable_pages(dev);

	if (stable != 0) {
		fprintf(stderr, "%s: queue/stable_writes is not 0 (%d): this test needs a device without stable pages\n",
			dev, stable);
		return 2;
	}
	if (fallocate(fd, 0, 0, len))
		die("fallocate");
	fill(buf, len, 0, 1);
	if (pwrite(fd, buf, len, 0) != (ssize_t)len || fsync(fd))
		die("initial write");

	/* (1) a store into a write-through write in flight waits for it */
	dm_cmd("suspend", dev);
	fill(buf, 4096, 65536, 2);
	w = (struct wt_job){ .fd = fd, .off = 65536, .len = 4096, .buf = buf };
	if (job_in_flight(wt_job_write, &w, &wt, dev, 4, 1,
			  "the write-through write"))
		return 1;
	a = (struct store_job){ .fd = fd, .off = 65536 + 100, .byte = 0x5a };
	if (pthread_create(&st, NULL, store_run, &a))
		die("pthread_create");
	if (wait_flag(&a.done, 2000))
		fail("an mmap store into a block whose write-through write is in flight did not wait for the device");
	else
		printf("in flight: the mmap store waits (thread state %c)\n",
		       thread_state(a.tid));
	dm_cmd("resume", dev);
	pthread_join(wt, NULL);
	pthread_join(st, NULL);
	errno = w.err;
	if (w.ret != 4096)
		fail("write-through write: %zd (%s)", w.ret, strerror(errno));
	if (pread(fd, &got, 1, 65536 + 100) != 1 || got != 0x5a)
		fail("the store into the write-through block is not in the page cache");

	/* (2) afterwards, a store into a folio under writeback does not wait */
	fill(buf, 4096, 131072, 3);
	if (pwrite(fd, buf, 4096, 131072) != 4096)
		die("buffered write");
	dm_cmd("suspend", dev);
	r = (struct wt_job){ .fd = fd, .off = 131072, .len = 4096 };
	if (job_in_flight(srange_run, &r, &rt, dev, 4, 0, "the buffered write"))
		return 1;
	b = (struct store_job){ .fd = fd, .off = 131072 + 100, .byte = 0xa5 };
	if (pthread_create(&st, NULL, store_run, &b))
		die("pthread_create");
	if (!wait_flag(&b.done, 10000))
		fail("after the write-through write completed, an mmap store into a folio under ordinary writeback waited for the device (stable writes left on; thread state %c)",
		     thread_state(b.tid));
	else
		printf("afterwards: the mmap store did not wait for writeback\n");
	dm_cmd("resume", dev);
	pthread_join(rt, NULL);
	pthread_join(st, NULL);
	if (r.ret)
		fail("sync_file_range: %s", strerror(r.err));
	if (pread(fd, &got, 1, 131072 + 100) != 1 || got != 0xa5)
		fail("the store into the folio under writeback is not in the page cache");
	if (fsync(fd))
		fail("fsync: %s", strerror(errno));
	close(fd);
	free(buf);
	printf("stable: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "readback"))
		return cmd_readback(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "granularity"))
		return cmd_granularity(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "errors"))
		return cmd_errors(argv[2], argv[3]);
	if (argc >= 4 && argc <= 6 && !strcmp(argv[1], "uring")) {
		int atomic = 0, written = 0;

		for (int a = 4; a < argc; a++) {
			if (!strcmp(argv[a], "atomic"))
				atomic = 1;
			else if (!strcmp(argv[a], "written"))
				written = 1;
			else
				goto usage;
		}
		return cmd_uring(argv[2], argv[3], atomic, written);
	}
	if (argc == 4 && !strcmp(argv[1], "atomic"))
		return cmd_atomic(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "misc"))
		return cmd_misc(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "ioerr"))
		return cmd_ioerr(argv[2], argv[3], 0);
	if (argc == 5 && !strcmp(argv[1], "ioerr") && !strcmp(argv[4], "uring"))
		return cmd_ioerr(argv[2], argv[3], 1);
	if (argc == 4 && !strcmp(argv[1], "lost"))
		return cmd_lost(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "fsyncerr"))
		return cmd_fsyncerr(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "eofzero"))
		return cmd_eofzero(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "jstress"))
		return cmd_jstress(argv[2], atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "cowenospc"))
		return cmd_cowenospc(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "inline"))
		return cmd_inline(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "atomichang"))
		return cmd_atomichang(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "delalloc"))
		return cmd_delalloc(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "nearfull"))
		return cmd_nearfull(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "nearquota"))
		return cmd_nearquota(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "dsync"))
		return cmd_dsync(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "c2order"))
		return cmd_c2order(argv[2], argv[3], argv[4]);
	if (argc == 4 && !strcmp(argv[1], "nowait"))
		return cmd_nowait(argv[2], argv[3], 0);
	if (argc == 5 && !strcmp(argv[1], "nowait") && !strcmp(argv[4], "atomic"))
		return cmd_nowait(argv[2], argv[3], 1);
	if (argc == 4 && !strcmp(argv[1], "writers"))
		return cmd_writers(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "stable"))
		return cmd_stable(argv[2], argv[3]);
usage:
	fprintf(stderr, "usage: wt readback|granularity|errors|uring|atomic|misc|ioerr|lost|fsyncerr|eofzero|dsync|nowait|writers|stable FILE ARG, wt cowenospc|inline|atomichang|delalloc|nearfull|nearquota FILE, wt c2order FILE DMDEV copy|convert\n");
	return 2;
}

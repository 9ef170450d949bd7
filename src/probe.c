/*-------------------------------------------------------------------------
 *
 * probe.c
 *	  Find out whether buffered atomic write-through works where
 *	  PostgreSQL keeps relation data.
 *
 * A location passes when statx(STATX_WRITE_ATOMIC) on a file there admits
 * BLCKSZ, and a real BLCKSZ pwritev2(RWF_WRITETHROUGH | RWF_ATOMIC) to a
 * temporary file there succeeds.  The block device under the location is
 * identified from st_dev and sysfs, for the report.
 *
 * The probe itself allocates nothing and never raises an error, so that it
 * can run in the postmaster's _PG_init.
 *
 * src/probe.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/string.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "wtsmgr.h"
#include "wtsmgr_uapi.h"

#define PROBE_FILE_PREFIX	"pgsql_tmp_wtsmgr_probe."

int			wtsmgr_nlocations = 0;
WtsmgrLocation *wtsmgr_locations = NULL;

/* The probe's page, aligned like a buffer pool page would be. */
static char probe_page[BLCKSZ] __attribute__((aligned(4096)));

/* Read one line from a sysfs file; "" when it cannot be read. */
static void
read_sysfs_str(const char *dir, const char *name, char *out, size_t outlen)
{
	char		path[1200];
	ssize_t		n;
	int			fd;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, out, outlen - 1);
	close(fd);
	if (n <= 0)
		n = 0;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

/* Read one integer from a sysfs file; -1 when it cannot be read. */
static int64
read_sysfs_int(const char *dir, const char *name)
{
	char		path[1200];
	char		buf[64];
	ssize_t		n;
	int			fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

/*
 * Identify the block device behind st_dev: its name and, from the queue
 * directory of the whole disk, its atomic write limits.
 */
static void
identify_device(dev_t dev, WtsmgrLocation *loc)
{
	char		sysdir[128];
	char		target[512];
	char		queue[700];
	struct stat st;
	ssize_t		n;
	char	   *base;

	loc->dev_major = major(dev);
	loc->dev_minor = minor(dev);
	loc->dev_atomic_unit_min = -1;
	loc->dev_atomic_unit_max = -1;
	loc->dev_atomic_max_bytes = -1;
	loc->dev_atomic_boundary = -1;

	snprintf(sysdir, sizeof(sysdir), "/sys/dev/block/%u:%u",
			 loc->dev_major, loc->dev_minor);
	n = readlink(sysdir, target, sizeof(target) - 1);
	if (n <= 0)
		return;					/* no block device (tmpfs, overlay, ...) */
	target[n] = '\0';
	base = strrchr(target, '/');
	strlcpy(loc->dev_name, base ? base + 1 : target, sizeof(loc->dev_name));
	loc->has_device = true;

	/* A partition has no queue directory of its own: use its disk's. */
	snprintf(queue, sizeof(queue), "%s/queue", sysdir);
	if (stat(queue, &st) != 0)
		snprintf(queue, sizeof(queue), "%s/../queue", sysdir);

	loc->dev_atomic_unit_min = read_sysfs_int(queue, "atomic_write_unit_min_bytes");
	loc->dev_atomic_unit_max = read_sysfs_int(queue, "atomic_write_unit_max_bytes");
	loc->dev_atomic_max_bytes = read_sysfs_int(queue, "atomic_write_max_bytes");
	loc->dev_atomic_boundary = read_sysfs_int(queue, "atomic_write_boundary_bytes");
	read_sysfs_str(queue, "write_cache", loc->dev_write_cache,
				   sizeof(loc->dev_write_cache));
	wtsmgr_nvme_report(loc);
}

static bool
is_unsupported_errno(int e)
{
	return e == EOPNOTSUPP || e == EINVAL;
}

void
wtsmgr_probe_path(const char *path, WtsmgrLocation *loc)
{
	char		file[1100];
	struct stat st;
	struct iovec iov;
	wtsmgr_atomic_limits lim;
	int			fd;
	bool		nvme_ok;
	char		nvme_why[200];

	memset(loc, 0, sizeof(*loc));
	loc->nvme_awun = loc->nvme_awupf = -1;
	loc->nvme_nawun = loc->nvme_nawupf = -1;
	loc->nvme_boundary = loc->nvme_boundary_offset = -1;
	loc->nvme_vwc = -1;
	strlcpy(loc->path, path, sizeof(loc->path));
	loc->dev_atomic_unit_min = -1;
	loc->dev_atomic_unit_max = -1;
	loc->dev_atomic_max_bytes = -1;
	loc->dev_atomic_boundary = -1;

	if (stat(path, &st) != 0)
	{
		snprintf(loc->reason, sizeof(loc->reason),
				 "could not stat directory: %s", strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode))
	{
		snprintf(loc->reason, sizeof(loc->reason), "not a directory");
		return;
	}
	identify_device(st.st_dev, loc);

	snprintf(file, sizeof(file), "%s/%s%d", path, PROBE_FILE_PREFIX,
			 (int) getpid());
	fd = open(file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
	if (fd < 0)
	{
		snprintf(loc->reason, sizeof(loc->reason),
				 "could not create probe file \"%s\": %s", file,
				 strerror(errno));
		return;
	}
	loc->file_created = true;

	memset(probe_page, 0x5a, sizeof(probe_page));
	iov.iov_base = probe_page;
	iov.iov_len = BLCKSZ;

	/* Write-through alone first: it also allocates the page. */
	if (pwritev2(fd, &iov, 1, 0, RWF_WRITETHROUGH) == BLCKSZ)
		loc->writethrough_ok = true;
	else
	{
		loc->writethrough_errno = errno;
		/* allocate the page anyway, so the atomic probe overwrites */
		if (pwrite(fd, probe_page, BLCKSZ, 0) != BLCKSZ)
		{
			/* nothing: the atomic probe will say what is wrong */
		}
	}

	if (wtsmgr_atomic_limits_fd(fd, &lim) == 0)
	{
		loc->unit_min = lim.unit_min;
		loc->unit_max = lim.unit_max;
		loc->unit_max_opt = lim.unit_max_opt;
	}
	/*
	 * A write that crosses the device's atomic boundary is not atomic: an
	 * aligned page never does when the boundary is a multiple of it.
	 */
	loc->limits_ok = loc->unit_min > 0 && loc->unit_min <= BLCKSZ &&
		loc->unit_max >= BLCKSZ &&
		(loc->dev_atomic_boundary <= 0 ||
		 loc->dev_atomic_boundary % BLCKSZ == 0);

	if (pwritev2(fd, &iov, 1, 0, RWF_WRITETHROUGH | RWF_ATOMIC) == BLCKSZ)
	{
		loc->atomic_ok = true;
		/* and the same from io_uring, copied when submitted */
		wtsmgr_async_probe(fd, &iov, loc);
	}
	else
		loc->atomic_errno = errno;

	close(fd);
	unlink(file);

	nvme_ok = wtsmgr_nvme_admits_pages(loc, nvme_why, sizeof(nvme_why));
	if (!nvme_ok)
		loc->limits_ok = false;
	loc->probe_ok = loc->writethrough_ok && loc->limits_ok && loc->atomic_ok;

	if (!loc->writethrough_ok)
		snprintf(loc->reason, sizeof(loc->reason),
				 "%s: pwritev2 with RWF_WRITETHROUGH failed: %s",
				 is_unsupported_errno(loc->writethrough_errno) ?
				 "no buffered write-through" : "write-through probe failed",
				 strerror(loc->writethrough_errno));
	else if (!loc->limits_ok && loc->unit_max == 0)
		snprintf(loc->reason, sizeof(loc->reason),
				 "no atomic writes: statx reports no atomic write unit");
	else if (!nvme_ok)
		snprintf(loc->reason, sizeof(loc->reason), "%s", nvme_why);
	else if (!loc->limits_ok && loc->unit_min > 0 &&
			 loc->unit_min <= BLCKSZ && loc->unit_max >= BLCKSZ)
		snprintf(loc->reason, sizeof(loc->reason),
				 "the device's atomic write boundary of %lld bytes is not a multiple of %d-byte pages",
				 (long long) loc->dev_atomic_boundary, BLCKSZ);
	else if (!loc->limits_ok)
		snprintf(loc->reason, sizeof(loc->reason),
				 "atomic write unit %u..%u bytes does not admit %d-byte pages",
				 loc->unit_min, loc->unit_max, BLCKSZ);
	else if (!loc->atomic_ok)
		snprintf(loc->reason, sizeof(loc->reason),
				 "%d-byte pwritev2 with RWF_WRITETHROUGH|RWF_ATOMIC failed: %s",
				 BLCKSZ, strerror(loc->atomic_errno));
	else
		snprintf(loc->reason, sizeof(loc->reason),
				 "%d-byte atomic write-through succeeded", BLCKSZ);
}

/*
 * Target directory of pg_tblspc/NAME: the symlink's target, or the
 * directory itself for an in-place tablespace.
 */
static bool
tablespace_path(const char *name, char *out, size_t outlen)
{
	char		link[MAXPGPATH];
	ssize_t		n;

	snprintf(link, sizeof(link), "pg_tblspc/%s", name);
	n = readlink(link, out, outlen - 1);
	if (n > 0)
	{
		out[n] = '\0';
		return true;
	}
	if (errno == EINVAL)		/* not a symlink: in-place */
	{
		strlcpy(out, link, outlen);
		return true;
	}
	return false;
}

static bool
is_tablespace_name(const char *name)
{
	if (name[0] == '\0')
		return false;
	for (const char *p = name; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/*
 * Probe PGDATA (the current directory: _PG_init runs after the postmaster
 * has changed to it) and every tablespace.  The results live in
 * TopMemoryContext and are inherited by every child process.
 */
void
wtsmgr_probe_startup(void)
{
	DIR		   *dir;
	struct dirent *de;
	int			max = 8;
	char		cwd[MAXPGPATH];

	wtsmgr_locations = MemoryContextAllocZero(TopMemoryContext,
											  max * sizeof(WtsmgrLocation));
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		strlcpy(cwd, DataDir ? DataDir : ".", sizeof(cwd));
	wtsmgr_probe_path(cwd, &wtsmgr_locations[0]);
	strlcpy(wtsmgr_locations[0].tablespace, "pg_default",
			sizeof(wtsmgr_locations[0].tablespace));
	wtsmgr_nlocations = 1;

	dir = opendir("pg_tblspc");
	if (dir == NULL)
		return;
	while ((de = readdir(dir)) != NULL)
	{
		char		target[MAXPGPATH];
		WtsmgrLocation *loc;

		if (!is_tablespace_name(de->d_name) ||
			!tablespace_path(de->d_name, target, sizeof(target)))
			continue;
		if (wtsmgr_nlocations == max)
		{
			max *= 2;
			wtsmgr_locations = repalloc(wtsmgr_locations,
										max * sizeof(WtsmgrLocation));
		}
		loc = &wtsmgr_locations[wtsmgr_nlocations++];
		wtsmgr_probe_path(target, loc);
		strlcpy(loc->tablespace, de->d_name, sizeof(loc->tablespace));
	}
	closedir(dir);
}

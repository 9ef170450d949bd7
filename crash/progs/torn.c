// SPDX-License-Identifier: GPL-2.0
/*
 * torn: the writer and the checker of the kernel-level crash oracle.
 *
 *   torn prepare FILE SLOT SLOTS MAP
 *       create FILE with SLOTS slots of SLOT bytes, each written whole
 *       by "write 0", fsync it, and save its extent map (FIEMAP) to MAP,
 *       which must not be on the file system under test
 *   torn write FILE MAP MODE WRITES SYNC_EVERY SEED
 *       WRITES writes, each of one whole slot chosen at random, with a
 *       new write id; MODE is
 *         atomic    pwritev2(RWF_WRITETHROUGH | RWF_ATOMIC)
 *         wt        pwritev2(RWF_WRITETHROUGH)
 *         buffered  pwrite, left to writeback
 *       and every SYNC_EVERY writes fdatasync (so the device sees a
 *       flush, and buffered writes are written back)
 *   torn check FILE MAP
 *       read every slot of FILE (on the file system rebuilt from the
 *       log, freshly mounted) and check that each slot holds the
 *       sectors of exactly one write, each intact
 *   torn check-dev DEV MAP
 *       the same, reading the block device DEV at the extents in MAP:
 *       valid only while the file's blocks do not move (xfs moves them
 *       when it makes an atomic write by copy-on-write)
 *
 * Every 512-byte sector carries a stamp: the write id, the slot, its
 * index in the slot, a pattern derived from them, and a hash of the
 * whole sector.  Exit status: 0 when everything held, 1 when the check
 * found a torn slot or a damaged sector, 2 on a usage or I/O error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wtsmgr_uapi.h"

#define SECTOR 512
#define STAMP_MAGIC 0x6e726f7473746d77ULL	/* "wmtstorn" */
#define MAX_EXTENTS 4096

struct stamp {
	uint64_t magic;
	uint64_t id;
	uint32_t slot;
	uint32_t index;
	uint64_t hash;
};

struct map {
	uint64_t slot, slots;
	unsigned n;
	struct { uint64_t logical, physical, length; } ext[MAX_EXTENTS];
};

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "torn: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static uint64_t mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* FNV-1a over the sector with the hash field taken as zero. */
static uint64_t sector_hash(const unsigned char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < SECTOR; i++) {
		unsigned char c = s[i];

		if (i >= offsetof(struct stamp, hash) &&
		    i < offsetof(struct stamp, hash) + sizeof(uint64_t))
			c = 0;
		h = (h ^ c) * 0x100000001b3ULL;
	}
	return h;
}

static void fill_slot(unsigned char *buf, uint64_t slot_size, uint64_t slot, uint64_t id)
{
	uint64_t i, k;

	for (i = 0; i < slot_size / SECTOR; i++) {
		unsigned char *s = buf + i * SECTOR;
		struct stamp st = { STAMP_MAGIC, id, (uint32_t)slot, (uint32_t)i, 0 };
		uint64_t r = mix(id * 1000003u + slot * 7919u + i);

		for (k = sizeof(st); k + 8 <= SECTOR; k += 8) {
			r = mix(r);
			memcpy(s + k, &r, 8);
		}
		memcpy(s, &st, sizeof(st));
		st.hash = sector_hash(s);
		memcpy(s, &st, sizeof(st));
	}
}

static uint64_t num(const char *s, const char *what)
{
	char *end;
	uint64_t v = strtoull(s, &end, 10);

	if (!*s || *end)
		die("%s must be a number, not '%s'", what, s);
	return v;
}

static void map_save(const char *path, const struct map *m)
{
	FILE *f = fopen(path, "w");
	unsigned i;

	if (!f)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "slot %" PRIu64 " slots %" PRIu64 "\n", m->slot, m->slots);
	for (i = 0; i < m->n; i++)
		fprintf(f, "%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", m->ext[i].logical,
			m->ext[i].physical, m->ext[i].length);
	if (fclose(f))
		die("%s: %s", path, strerror(errno));
}

static void map_load(const char *path, struct map *m)
{
	FILE *f = fopen(path, "r");

	if (!f)
		die("%s: %s", path, strerror(errno));
	if (fscanf(f, "slot %" SCNu64 " slots %" SCNu64, &m->slot, &m->slots) != 2)
		die("%s: not a map", path);
	for (m->n = 0; m->n < MAX_EXTENTS; m->n++)
		if (fscanf(f, "%" SCNu64 " %" SCNu64 " %" SCNu64, &m->ext[m->n].logical,
			   &m->ext[m->n].physical, &m->ext[m->n].length) != 3)
			break;
	fclose(f);
	if (!m->slot || m->slot % SECTOR || !m->slots || !m->n)
		die("%s: bad map", path);
}

/* The device byte offset of file offset "off" (a sector of the file). */
static int64_t map_physical(const struct map *m, uint64_t off)
{
	unsigned i;

	for (i = 0; i < m->n; i++)
		if (off >= m->ext[i].logical && off < m->ext[i].logical + m->ext[i].length)
			return m->ext[i].physical + (off - m->ext[i].logical);
	return -1;
}

static int cmd_prepare(char **argv)
{
	const char *path = argv[0];
	struct map *m = calloc(1, sizeof(*m));
	struct fiemap *fm;
	unsigned char *buf;
	uint64_t s, covered = 0;
	unsigned i;
	int fd;

	m->slot = num(argv[1], "SLOT");
	m->slots = num(argv[2], "SLOTS");
	if (m->slot < 4096 || m->slot % 4096)
		die("SLOT must be a multiple of 4096");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	buf = malloc(m->slot);
	for (s = 0; s < m->slots; s++) {
		fill_slot(buf, m->slot, s, 0);
		if (pwrite(fd, buf, m->slot, s * m->slot) != (ssize_t)m->slot)
			die("prefill %s: %s", path, strerror(errno));
	}
	if (fsync(fd))
		die("fsync %s: %s", path, strerror(errno));
	fm = calloc(1, sizeof(*fm) + MAX_EXTENTS * sizeof(struct fiemap_extent));
	fm->fm_length = m->slot * m->slots;
	fm->fm_flags = FIEMAP_FLAG_SYNC;
	fm->fm_extent_count = MAX_EXTENTS;
	if (ioctl(fd, FS_IOC_FIEMAP, fm))
		die("FIEMAP %s: %s", path, strerror(errno));
	for (i = 0; i < fm->fm_mapped_extents; i++) {
		struct fiemap_extent *e = &fm->fm_extents[i];

		if (e->fe_flags & (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC |
				   FIEMAP_EXTENT_UNWRITTEN | FIEMAP_EXTENT_ENCODED |
				   FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_NOT_ALIGNED))
			die("%s: extent %u has flags %#x: not a plain written extent",
			    path, i, e->fe_flags);
		m->ext[i].logical = e->fe_logical;
		m->ext[i].physical = e->fe_physical;
		m->ext[i].length = e->fe_length;
		covered += e->fe_length;
	}
	m->n = fm->fm_mapped_extents;
	if (covered < m->slot * m->slots)
		die("%s: extents cover %" PRIu64 " of %" PRIu64 " bytes", path, covered,
		    m->slot * m->slots);
	map_save(argv[3], m);
	printf("prepared %" PRIu64 " slots of %" PRIu64 " bytes in %u extents\n",
	       m->slots, m->slot, m->n);
	close(fd);
	return 0;
}

static int cmd_write(char **argv)
{
	const char *path = argv[0], *mode = argv[2];
	struct map m;
	uint64_t writes = num(argv[3], "WRITES"), every = num(argv[4], "SYNC_EVERY");
	uint64_t rs = num(argv[5], "SEED"), i;
	unsigned char *buf;
	int fd, flags;

	map_load(argv[1], &m);
	if (!strcmp(mode, "atomic"))
		flags = RWF_WRITETHROUGH | RWF_ATOMIC;
	else if (!strcmp(mode, "wt"))
		flags = RWF_WRITETHROUGH;
	else if (!strcmp(mode, "buffered"))
		flags = 0;
	else
		die("MODE is atomic, wt or buffered, not '%s'", mode);
	if (!every)
		die("SYNC_EVERY must be at least 1");
	fd = open(path, O_RDWR);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	if (posix_memalign((void **)&buf, 4096, m.slot))
		die("out of memory");
	for (i = 1; i <= writes; i++) {
		uint64_t slot = (rs = mix(rs)) % m.slots;
		struct iovec iov = { buf, m.slot };
		ssize_t r;

		fill_slot(buf, m.slot, slot, i);
		r = pwritev2(fd, &iov, 1, slot * m.slot, flags);
		if (r != (ssize_t)m.slot)
			die("write %" PRIu64 " (%s, slot %" PRIu64 "): %s", i, mode, slot,
			    r < 0 ? strerror(errno) : "short write");
		if (i % every == 0 && fdatasync(fd))
			die("fdatasync: %s", strerror(errno));
	}
	if (fdatasync(fd))
		die("fdatasync: %s", strerror(errno));
	printf("%" PRIu64 " %s writes of %" PRIu64 " bytes, fdatasync every %" PRIu64 "\n",
	       writes, mode, m.slot, every);
	close(fd);
	return 0;
}

static int cmd_check(char **argv, int on_device)
{
	struct map m;
	unsigned char *buf;
	uint64_t s, k, torn = 0, damaged = 0, reported = 0, per = 0;
	int fd;

	map_load(argv[1], &m);
	per = m.slot / SECTOR;
	fd = open(argv[0], O_RDONLY | O_DIRECT);
	if (fd < 0)
		die("%s: %s", argv[0], strerror(errno));
	if (posix_memalign((void **)&buf, 4096, m.slot))
		die("out of memory");
	for (s = 0; s < m.slots; s++) {
		uint64_t first_id = 0, bad = 0, mixed = 0;

		if (!on_device) {
			ssize_t r = pread(fd, buf, m.slot, s * m.slot);

			if (r != (ssize_t)m.slot)
				die("read %s slot %" PRIu64 ": %s", argv[0], s,
				    r < 0 ? strerror(errno) : "short read");
		}
		/* read sector runs that are contiguous on the device */
		for (k = 0; on_device && k < per; ) {
			int64_t p = map_physical(&m, s * m.slot + k * SECTOR);
			uint64_t run = 1;

			if (p < 0)
				die("slot %" PRIu64 ": no extent for sector %" PRIu64, s, k);
			while (k + run < per &&
			       map_physical(&m, s * m.slot + (k + run) * SECTOR) ==
			       p + (int64_t)(run * SECTOR))
				run++;
			if (pread(fd, buf + k * SECTOR, run * SECTOR, p) != (ssize_t)(run * SECTOR))
				die("read %s at %" PRId64 ": %s", argv[0], p, strerror(errno));
			k += run;
		}
		for (k = 0; k < per; k++) {
			struct stamp st;

			memcpy(&st, buf + k * SECTOR, sizeof(st));
			if (st.magic != STAMP_MAGIC || st.hash != sector_hash(buf + k * SECTOR) ||
			    st.slot != s || st.index != k) {
				bad++;
				continue;
			}
			if (k == 0 || bad == k)
				first_id = st.id;
			else if (st.id != first_id)
				mixed++;
		}
		if (bad)
			damaged++;
		else if (mixed)
			torn++;
		if ((bad || mixed) && reported++ < 5) {
			printf("slot %" PRIu64 ": ", s);
			for (k = 0; k < per; k++) {
				struct stamp st;

				memcpy(&st, buf + k * SECTOR, sizeof(st));
				if (k % 8 == 0)
					printf(k ? " |" : "");
				if (st.magic != STAMP_MAGIC || st.hash != sector_hash(buf + k * SECTOR))
					printf(" ?");
				else if (k % 8 == 0)
					printf(" %" PRIu64, st.id);
			}
			printf("  (write id of each 4 KiB; ? = damaged sector)\n");
		}
	}
	printf("%" PRIu64 " slots: %" PRIu64 " torn, %" PRIu64 " with damaged sectors\n",
	       m.slots, torn, damaged);
	close(fd);
	return torn || damaged ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "prepare"))
		return cmd_prepare(argv + 2);
	if (argc == 8 && !strcmp(argv[1], "write"))
		return cmd_write(argv + 2);
	if (argc == 4 && !strcmp(argv[1], "check"))
		return cmd_check(argv + 2, 0);
	if (argc == 4 && !strcmp(argv[1], "check-dev"))
		return cmd_check(argv + 2, 1);
	die("usage: torn prepare FILE SLOT SLOTS MAP | write FILE MAP MODE WRITES SYNC_EVERY SEED"
	    " | check FILE MAP | check-dev DEV MAP");
	return 2;
}

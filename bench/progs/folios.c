// SPDX-License-Identifier: GPL-2.0
/*
 * folios: put a file into the page cache in folios of a chosen size and
 * say which sizes the page cache really holds it in.
 *
 * usage: folios [-w CHUNK] FILE
 *   -w CHUNK  first overwrite the whole file with buffered writes of
 *             CHUNK bytes (aligned), then fsync: the page cache allocates
 *             a folio per write of up to CHUNK bytes (as large as the
 *             file system's mapping allows), and the folios stay cached,
 *             clean.  The file should not be cached before (drop caches).
 *   Then, for every page of the file: map the file read-only, touch each
 *   page (a fault on a cached page does no I/O), read its page frame from
 *   /proc/self/pagemap and its flags from /proc/kpageflags (root).  A
 *   folio is a compound head page followed by its tail pages; a page
 *   that is neither is a folio of one page.
 * prints: folio_kib=SIZE:BYTES_PERCENT[,...] largest_kib= pages= uncached=
 *   e.g. folio_kib=64:100.0 (every byte of the file in 64 KiB folios).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define KPF_COMPOUND_TAIL	16
#define PM_PRESENT		(1ULL << 63)
#define PM_PFN			((1ULL << 55) - 1)

static int die(const char *what)
{
	fprintf(stderr, "folios: %s: %s\n", what, strerror(errno));
	return 2;
}

int main(int argc, char **argv)
{
	size_t chunk = 0, ps = sysconf(_SC_PAGESIZE);
	uint64_t npages, bytes_by_order[32] = { 0 }, uncached = 0;
	int opt, fd, pm, kf, largest = -1;
	struct stat st;
	volatile char *map;
	uint64_t i;

	while ((opt = getopt(argc, argv, "w:")) != -1) {
		if (opt == 'w')
			chunk = strtoul(optarg, NULL, 0);
		else
			return fprintf(stderr, "usage: folios [-w CHUNK] FILE\n"), 2;
	}
	if (argc - optind != 1)
		return fprintf(stderr, "usage: folios [-w CHUNK] FILE\n"), 2;
	fd = open(argv[optind], O_RDWR);
	if (fd < 0 || fstat(fd, &st) != 0)
		return die(argv[optind]);
	if (chunk) {
		char *buf;

		if (chunk % ps || posix_memalign((void **)&buf, ps, chunk))
			return fprintf(stderr, "folios: bad chunk size\n"), 2;
		memset(buf, 0x3c, chunk);
		for (off_t o = 0; o < st.st_size; o += chunk) {
			size_t n = (size_t)(st.st_size - o) < chunk ? (size_t)(st.st_size - o) : chunk;

			if (pwrite(fd, buf, n, o) != (ssize_t)n)
				return die("pwrite");
		}
		if (fsync(fd) != 0)
			return die("fsync");
		free(buf);
	}
	npages = (st.st_size + ps - 1) / ps;
	map = mmap(NULL, npages * ps, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return die("mmap");
	/*
	 * Keep khugepaged away from this mapping: with transparent huge pages
	 * "always" it may collapse the file's cached 64 KiB folios into 2 MiB
	 * ones while we look (seen: 64 KiB populations read back partly as
	 * 2 MiB, more so the longer the mapping lived).
	 */
	if (madvise((void *)map, npages * ps, MADV_NOHUGEPAGE) != 0)
		return die("madvise(MADV_NOHUGEPAGE)");
	pm = open("/proc/self/pagemap", O_RDONLY);
	kf = open("/proc/kpageflags", O_RDONLY);
	if (pm < 0 || kf < 0)
		return die("/proc/self/pagemap or /proc/kpageflags");
	/* Which pages are cached (mincore), so that touching one does not
	 * read it in. */
	unsigned char *inc = malloc(npages);

	if (!inc || mincore((void *)map, npages * ps, inc) != 0)
		return die("mincore");
	/* Folios in file order: a head starts one, its tails continue it. */
	uint64_t cur_pages = 0;
	for (i = 0; i <= npages; i++) {
		uint64_t e = 0, fl = 0;
		int tail = 0, cached = 0;

		if (i < npages && !(inc[i] & 1)) {
			uncached++;
		} else if (i < npages) {
			cached = 1;
			(void)map[i * ps];	/* map the cached page */
			if (pread(pm, &e, 8, (off_t)(((uintptr_t)map + i * ps) / ps) * 8) != 8)
				return die("pagemap");
			if (!(e & PM_PRESENT) || !(e & PM_PFN))
				return fprintf(stderr, "folios: no page frame (not root?)\n"), 2;
			if (pread(kf, &fl, 8, (off_t)(e & PM_PFN) * 8) != 8)
				return die("kpageflags");
			tail = !!(fl & (1ULL << KPF_COMPOUND_TAIL));
		}
		if (tail && cur_pages) {
			cur_pages++;
			continue;
		}
		if (cur_pages) {	/* the folio before ends here */
			int order = 0;

			while ((1ULL << (order + 1)) <= cur_pages)
				order++;
			bytes_by_order[order] += cur_pages * ps;
			if (order > largest)
				largest = order;
		}
		cur_pages = cached;
	}
	printf("folio_kib=");
	{
		const char *sep = "";

		for (int o = 31; o >= 0; o--)
			if (bytes_by_order[o]) {
				printf("%s%llu:%.1f", sep, (unsigned long long)((ps << o) / 1024),
				       100.0 * bytes_by_order[o] / (npages * ps));
				sep = ",";
			}
		if (!*sep)
			printf("none");
	}
	printf(" largest_kib=%llu pages=%llu uncached=%llu\n",
	       largest < 0 ? 0ULL : (unsigned long long)((ps << largest) / 1024),
	       (unsigned long long)npages, (unsigned long long)uncached);
	munmap((void *)map, npages * ps);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * walinit: create WAL-segment-sized files the two ways PostgreSQL can,
 * and time them.
 *
 *   zero   write the whole file with zeroes (pwritev of 8 KiB zero blocks,
 *          1 MiB per call, as PostgreSQL's pg_pwrite_zeros does for
 *          wal_init_zero), then fsync: what PostgreSQL does today
 *   wz     fallocate(FALLOC_FL_WRITE_ZEROES) over the file, then fsync:
 *          written extents without sending the zeroes (what wtsmgr's
 *          wal_write_zeroes does)
 *
 * usage: walinit zero|wz DIR COUNT [SIZE_BYTES]   (SIZE default 16 MiB)
 * prints: mode=M segments=N seconds=S ms_per_segment=X ms_max=Y
 * exit 0: done; 3: the mode is not supported here (EOPNOTSUPP, printed
 * as status=unsupported); 2: usage or other error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "wtsmgr_uapi.h"

#define BLK 8192
#define IOVS 128

static double secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static char zero[BLK];
	struct iovec iov[IOVS];
	long long size = 16LL << 20;
	double t0, total = 0, worst = 0;
	int wz, count;

	if (argc < 4 || argc > 5 ||
	    (strcmp(argv[1], "zero") != 0 && strcmp(argv[1], "wz") != 0)) {
		fprintf(stderr, "usage: walinit zero|wz DIR COUNT [SIZE_BYTES]\n");
		return 2;
	}
	wz = strcmp(argv[1], "wz") == 0;
	count = atoi(argv[3]);
	if (argc == 5)
		size = atoll(argv[4]);
	if (count <= 0 || size <= 0 || size % (BLK * IOVS)) {
		fprintf(stderr, "walinit: COUNT > 0, SIZE a multiple of 1 MiB\n");
		return 2;
	}
	for (int i = 0; i < IOVS; i++) {
		iov[i].iov_base = zero;
		iov[i].iov_len = BLK;
	}
	for (int s = 0; s < count; s++) {
		char path[4096];
		double t;
		int fd;

		snprintf(path, sizeof(path), "%s/seg%06d", argv[2], s);
		t0 = secs();
		fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd < 0) {
			fprintf(stderr, "walinit: %s: %s\n", path, strerror(errno));
			return 2;
		}
		if (wz) {
			if (fallocate(fd, FALLOC_FL_WRITE_ZEROES, 0, size) != 0) {
				int e = errno;

				if (e == EOPNOTSUPP) {
					printf("mode=wz status=unsupported (%s)\n", strerror(e));
					return 3;
				}
				fprintf(stderr, "walinit: fallocate(FALLOC_FL_WRITE_ZEROES): %s\n",
					strerror(e));
				return 2;
			}
		} else {
			for (long long off = 0; off < size; off += BLK * IOVS) {
				ssize_t n = pwritev(fd, iov, IOVS, off);

				if (n != BLK * IOVS) {
					fprintf(stderr, "walinit: pwritev: %s\n",
						n < 0 ? strerror(errno) : "short write");
					return 2;
				}
			}
		}
		if (fsync(fd) != 0) {
			fprintf(stderr, "walinit: fsync: %s\n", strerror(errno));
			return 2;
		}
		close(fd);
		t = secs() - t0;
		total += t;
		if (t > worst)
			worst = t;
	}
	printf("mode=%s status=ok segments=%d bytes=%lld seconds=%.3f ms_per_segment=%.2f ms_max=%.2f\n",
	       argv[1], count, size, total, 1000 * total / count, 1000 * worst);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * wbench: 4 KiB random overwrites of an existing file, one write path
 * per run, at queue depth 1 (pwritev2) or 32 (io_uring), for a fixed
 * time.  The kernel benchmark of "make bench BENCH=kernel".
 *
 * usage: wbench MODE QD FILE SECONDS
 *   MODE  wt         buffered, RWF_WRITETHROUGH
 *         wt-atomic  buffered, RWF_WRITETHROUGH | RWF_ATOMIC
 *         direct     O_DIRECT
 *         fdatasync  buffered, each write followed by fdatasync (at QD32
 *                    a linked IORING_OP_FSYNC with IORING_FSYNC_DATASYNC)
 *         buffered   plain buffered writes; one fdatasync at the end is
 *                    part of the timed run, so the device writes count
 *   QD    1 or 32
 * prints: mode=M qd=Q status=ok writes=N seconds=S iops=I
 *         or status=unsupported (ERRNO) when the kernel refuses the first
 *         write with EOPNOTSUPP or EINVAL (exit 3).
 * The file must exist and be a multiple of 4 KiB (the script fills it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "wtsmgr_uapi.h"

#define BS 4096

static double secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static off_t next_off(uint64_t nblocks)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (off_t)(rng % nblocks) * BS;
}

static const char *mode;

static int unsupported(int e)
{
	printf("mode=%s status=unsupported (%s)\n", mode, strerror(e));
	return 3;
}

int main(int argc, char **argv)
{
	int qd, fd, flags = 0, oflags = O_RDWR, sync_each = 0, sync_end = 0;
	double seconds, t0, t;
	uint64_t nblocks, writes = 0;
	struct stat st;
	void *buf;

	if (argc != 5) {
		fprintf(stderr, "usage: wbench wt|wt-atomic|direct|fdatasync|buffered 1|32 FILE SECONDS\n");
		return 2;
	}
	mode = argv[1];
	qd = atoi(argv[2]);
	seconds = atof(argv[4]);
	if (!strcmp(mode, "wt"))
		flags = RWF_WRITETHROUGH;
	else if (!strcmp(mode, "wt-atomic"))
		flags = RWF_WRITETHROUGH | RWF_ATOMIC;
	else if (!strcmp(mode, "direct"))
		oflags |= O_DIRECT;
	else if (!strcmp(mode, "fdatasync"))
		sync_each = 1;
	else if (!strcmp(mode, "buffered"))
		sync_end = 1;
	else {
		fprintf(stderr, "wbench: unknown mode %s\n", mode);
		return 2;
	}
	if ((qd != 1 && qd != 32) || seconds <= 0) {
		fprintf(stderr, "wbench: QD is 1 or 32, SECONDS > 0\n");
		return 2;
	}
	fd = open(argv[3], oflags);
	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "wbench: %s: %s\n", argv[3], strerror(errno));
		return 2;
	}
	nblocks = st.st_size / BS;
	if (nblocks == 0) {
		fprintf(stderr, "wbench: %s is empty\n", argv[3]);
		return 2;
	}
	if (posix_memalign(&buf, BS, (size_t)BS * qd))
		return 2;
	memset(buf, 0x5a, (size_t)BS * qd);

	t0 = secs();
	if (qd == 1) {
		do {
			struct iovec iov = { buf, BS };
			ssize_t n = pwritev2(fd, &iov, 1, next_off(nblocks), flags);

			if (n < 0 && writes == 0 && (errno == EOPNOTSUPP || errno == EINVAL))
				return unsupported(errno);
			if (n != BS) {
				fprintf(stderr, "wbench: pwritev2: %s\n", n < 0 ? strerror(errno) : "short");
				return 2;
			}
			if (sync_each && fdatasync(fd) != 0) {
				fprintf(stderr, "wbench: fdatasync: %s\n", strerror(errno));
				return 2;
			}
			writes++;
		} while ((writes & 15) || secs() - t0 < seconds);
	} else {
		struct io_uring ring;
		int inflight = 0, stop = 0, ret;

		if ((ret = io_uring_queue_init(2 * qd, &ring, 0)) < 0) {
			fprintf(stderr, "wbench: io_uring_queue_init: %s\n", strerror(-ret));
			return 2;
		}
		for (;;) {
			struct io_uring_cqe *cqe;

			while (!stop && inflight < qd) {
				struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
				/* Each slot has its own buffer; slot = user_data. */
				int slot = inflight;

				io_uring_prep_write(sqe, fd, (char *)buf + (size_t)slot * BS, BS,
						    next_off(nblocks));
				sqe->rw_flags = flags;
				io_uring_sqe_set_data64(sqe, 1);
				if (sync_each) {
					sqe->flags |= IOSQE_IO_LINK;
					sqe = io_uring_get_sqe(&ring);
					io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
					io_uring_sqe_set_data64(sqe, 2);
				}
				inflight++;
			}
			if (inflight == 0)
				break;
			io_uring_submit_and_wait(&ring, 1);
			while (io_uring_peek_cqe(&ring, &cqe) == 0) {
				int res = cqe->res;
				uint64_t kind = io_uring_cqe_get_data64(cqe);

				io_uring_cqe_seen(&ring, cqe);
				if (res < 0 && writes == 0 && (res == -EOPNOTSUPP || res == -EINVAL))
					return unsupported(-res);
				if (res < 0 && !(sync_each && kind == 1 && res == -ECANCELED)) {
					fprintf(stderr, "wbench: io_uring %s: %s\n",
						kind == 1 ? "write" : "fsync", strerror(-res));
					return 2;
				}
				/* A write counts when its sync (if any) completes. */
				if (kind == 2 || !sync_each) {
					writes++;
					inflight--;
				}
			}
			if (!stop && secs() - t0 >= seconds)
				stop = 1;
		}
		io_uring_queue_exit(&ring);
	}
	if (sync_end && fdatasync(fd) != 0) {
		fprintf(stderr, "wbench: fdatasync: %s\n", strerror(errno));
		return 2;
	}
	t = secs() - t0;
	printf("mode=%s qd=%d status=ok writes=%llu seconds=%.3f iops=%.1f\n",
	       mode, qd, (unsigned long long)writes, t, writes / t);
	close(fd);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * wbench: random overwrites of an existing file through one write path,
 * for a fixed time or a fixed number of writes.  The program behind
 * "make bench BENCH=kernel" (bench/guest/kernel.sh).
 *
 * usage: wbench [-q QD] [-t THREADS] [-b BYTES] [-n WRITES] [-r] [-S]
 *               PATH[+MOD...] FILE SECONDS
 *   PATH  wt         buffered, RWF_WRITETHROUGH
 *         direct     O_DIRECT
 *         buffered   plain buffered; one fdatasync at the end is part of
 *                    the timed run (so the device writes count), unless -S
 *         fdatasync  buffered, each write followed by fdatasync (at QD>1
 *                    a linked IORING_OP_FSYNC with IORING_FSYNC_DATASYNC)
 *         none       no writer (with -r: the reader alone)
 *         wt-atomic  = wt+atomic (the older name)
 *   MOD   atomic     RWF_ATOMIC on every write
 *         dsync      RWF_DSYNC on every write (O_DSYNC semantics)
 *   -q QD       queue depth: 1 = pwritev2 (default); more = io_uring
 *   -t THREADS  THREADS synchronous pwritev2 writers on the same file
 *               (QD1 each; not with -q)
 *   -b BYTES    write size and alignment: a power of two from 512 to
 *               64 MiB (default 4096)
 *   -n WRITES   stop after WRITES writes instead of SECONDS
 *   -r          a reader thread: random 4 KiB buffered preads of the same
 *               file (read into the page cache first) for the whole run,
 *               one every 100 us (paced, so that the reads sample time
 *               evenly instead of crowding into the moments the writer
 *               leaves them alone); prints the reads' latency percentiles
 *   -S          buffered: no fdatasync at the end (the cost of the call)
 *
 * prints one line of KEY=VALUE:
 *   mode= qd= threads= bs= status=ok writes= seconds= iops= us_per_write=
 *   cpu_busy= cpu_sys= cpu_hz= ncpu=   guest CPU ticks over the run, all CPUs,
 *                                      from /proc/stat (busy: all but idle
 *                                      and iowait; sys: system+irq+softirq)
 *   ru_us=                             this process's user+system time
 *                                      over the run (with -q: the
 *                                      submitting thread's and that of
 *                                      io_uring's workers, which belong
 *                                      to the process)
 *   nvcsw= nivcsw=                     the process's voluntary (it slept:
 *                                      waited for the device, a lock, a
 *                                      wakeup) and involuntary context
 *                                      switches over the run, all its
 *                                      threads
 *   reads= read_p50_us= read_p99_us= read_p999_us= read_max_us=   (with -r)
 * or status=unsupported (ERRNO) when the kernel refuses the first write
 * with EOPNOTSUPP or EINVAL (exit 3).
 * The file must exist and be a multiple of BYTES (the script fills it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "wtsmgr_uapi.h"

#define RBS 4096

static double secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift64: every thread its own state. */
static off_t next_off(uint64_t *rng, uint64_t nblocks, size_t bs)
{
	*rng ^= *rng << 13;
	*rng ^= *rng >> 7;
	*rng ^= *rng << 17;
	return (off_t)(*rng % nblocks) * bs;
}

static const char *mode;
static int fd, rwflags, sync_each;
static size_t bs;
static uint64_t nblocks, max_writes;
static double seconds, t0;
static atomic_ullong writes;
static atomic_int stop, first_error, unsupported_errno;

static void fail(const char *what, int e)
{
	int zero = 0;

	/* The first write refused with EOPNOTSUPP/EINVAL: the path is
	 * unsupported; any other error fails the run. */
	if (atomic_load(&writes) == 0 && (e == EOPNOTSUPP || e == EINVAL))
		atomic_compare_exchange_strong(&unsupported_errno, &zero, e);
	else if (atomic_compare_exchange_strong(&first_error, &zero, e))
		fprintf(stderr, "wbench: %s: %s\n", what, strerror(e));
	atomic_store(&stop, 1);
}

static int done(void)
{
	uint64_t w = atomic_load(&writes);

	if (atomic_load(&stop))
		return 1;
	if (max_writes ? w >= max_writes : secs() - t0 >= seconds) {
		atomic_store(&stop, 1);
		return 1;
	}
	return 0;
}

/* A synchronous writer: pwritev2 (+ fdatasync) until done. */
static void *writer(void *arg)
{
	uint64_t rng = 0x9e3779b97f4a7c15ULL ^ ((uintptr_t)arg * 0x2545f4914f6cdd1dULL);
	void *buf;

	if (posix_memalign(&buf, 4096, bs))
		return NULL;
	memset(buf, 0x5a, bs);
	while (!done()) {
		struct iovec iov = { buf, bs };
		ssize_t n = pwritev2(fd, &iov, 1, next_off(&rng, nblocks, bs), rwflags);

		if (n < 0) {
			fail("pwritev2", errno);
			break;
		}
		if ((size_t)n != bs) {
			fail("pwritev2 (short write)", EIO);
			break;
		}
		if (sync_each && fdatasync(fd) != 0) {
			fail("fdatasync", errno);
			break;
		}
		atomic_fetch_add(&writes, 1);
	}
	free(buf);
	return NULL;
}

static int uring_writer(int qd)
{
	struct io_uring ring;
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	int inflight = 0, ret;
	void *buf;

	if (posix_memalign(&buf, 4096, bs * qd))
		return ENOMEM;
	memset(buf, 0x5a, bs * qd);
	if ((ret = io_uring_queue_init(2 * qd, &ring, 0)) < 0) {
		fprintf(stderr, "wbench: io_uring_queue_init: %s\n", strerror(-ret));
		return -ret;
	}
	for (;;) {
		struct io_uring_cqe *cqe;

		while (!done() && inflight < qd) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			/* All buffers hold the same bytes: any slot will do. */
			io_uring_prep_write(sqe, fd, (char *)buf + (size_t)inflight * bs, bs,
					    next_off(&rng, nblocks, bs));
			sqe->rw_flags = rwflags;
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
			if (res < 0 && !(sync_each && kind == 1 && res == -ECANCELED))
				fail(kind == 1 ? "io_uring write" : "io_uring fsync", -res);
			/* A write counts when its sync (if any) completes. */
			if (kind == 2 || !sync_each) {
				if (res >= 0)
					atomic_fetch_add(&writes, 1);
				inflight--;
			}
		}
	}
	io_uring_queue_exit(&ring);
	free(buf);
	return 0;
}

/* The reader: random 4 KiB buffered preads, every latency kept. */
static double *lat;
static size_t nlat;

static void *reader(void *arg)
{
	int rfd = *(int *)arg;
	uint64_t rng = 0x2545f4914f6cdd1dULL, rblocks = nblocks * bs / RBS;
	size_t cap = 1 << 20;
	char *buf = malloc(RBS);

	lat = malloc(cap * sizeof(*lat));
	if (!buf || !lat)
		return NULL;
	while (!atomic_load(&stop)) {
		double a = secs();

		if (pread(rfd, buf, RBS, next_off(&rng, rblocks, RBS)) != RBS) {
			fail("reader pread", errno ? errno : EIO);
			break;
		}
		if (nlat == cap) {
			double *n = realloc(lat, 2 * cap * sizeof(*lat));

			if (!n)
				break;
			lat = n;
			cap *= 2;
		}
		lat[nlat++] = (secs() - a) * 1e6;
		{
			struct timespec pause = { 0, 100000 };

			nanosleep(&pause, NULL);
		}
	}
	free(buf);
	return NULL;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted values. */
static double pct(const double *v, size_t n, double p)
{
	size_t k = (size_t)(p / 100.0 * n + 0.999999);

	if (k < 1)
		k = 1;
	return v[(k > n ? n : k) - 1];
}

/* User plus system time of @ru, in microseconds. */
static long long ru_usec(const struct rusage *ru)
{
	return (long long)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000 +
	       ru->ru_utime.tv_usec + ru->ru_stime.tv_usec;
}

/* The aggregate "cpu" line of /proc/stat: busy and system ticks. */
static void cpustat(unsigned long long *busy, unsigned long long *sys)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");

	*busy = *sys = 0;
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
		/* user nice system idle iowait irq softirq steal */
		*busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
		*sys = v[2] + v[5] + v[6];
	}
	fclose(f);
}

static void usage(void)
{
	fprintf(stderr, "usage: wbench [-q QD] [-t THREADS] [-b BYTES] [-n WRITES] [-r] [-S] "
		"wt|direct|buffered|fdatasync|none[+atomic][+dsync] FILE SECONDS\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int qd = 1, threads = 1, with_reader = 0, no_end_sync = 0, sync_end = 0;
	int oflags = O_RDWR, opt, rfd = -1, none = 0;
	unsigned long long b0, s0, b1, s1;
	char path[64], *mod, *save;
	pthread_t tids[64], rtid;
	struct rusage ru0, ru;
	struct stat st;
	double t;

	bs = 4096;
	while ((opt = getopt(argc, argv, "q:t:b:n:rS")) != -1) {
		switch (opt) {
		case 'q': qd = atoi(optarg); break;
		case 't': threads = atoi(optarg); break;
		case 'b': bs = strtoul(optarg, NULL, 0); break;
		case 'n': max_writes = strtoull(optarg, NULL, 0); break;
		case 'r': with_reader = 1; break;
		case 'S': no_end_sync = 1; break;
		default: usage();
		}
	}
	if (argc - optind != 3)
		usage();
	mode = argv[optind];
	seconds = atof(argv[optind + 2]);
	if (qd < 1 || qd > 256 || threads < 1 || threads > 64 || (qd > 1 && threads > 1) ||
	    bs < 512 || bs > (64 << 20) || (bs & (bs - 1)) || seconds <= 0)
		usage();
	snprintf(path, sizeof(path), "%s", !strcmp(mode, "wt-atomic") ? "wt+atomic" : mode);
	for (mod = strtok_r(path, "+", &save); mod; mod = strtok_r(NULL, "+", &save)) {
		if (mod == path) {
			if (!strcmp(mod, "wt"))
				rwflags |= RWF_WRITETHROUGH;
			else if (!strcmp(mod, "direct"))
				oflags |= O_DIRECT;
			else if (!strcmp(mod, "fdatasync"))
				sync_each = 1;
			else if (!strcmp(mod, "buffered"))
				sync_end = !no_end_sync;
			else if (!strcmp(mod, "none"))
				none = 1;
			else
				usage();
		} else if (!strcmp(mod, "atomic"))
			rwflags |= RWF_ATOMIC;
		else if (!strcmp(mod, "dsync"))
			rwflags |= RWF_DSYNC;
		else
			usage();
	}
	if (none && !with_reader)
		usage();
	fd = open(argv[optind + 1], oflags);
	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "wbench: %s: %s\n", argv[optind + 1], strerror(errno));
		return 2;
	}
	nblocks = st.st_size / bs;
	if (nblocks == 0 || (uint64_t)st.st_size < RBS) {
		fprintf(stderr, "wbench: %s is smaller than one write\n", argv[optind + 1]);
		return 2;
	}
	if (with_reader) {
		/* The reader's own descriptor (buffered), the file in the
		 * page cache before the clock starts. */
		static char chunk[1 << 20];

		rfd = open(argv[optind + 1], O_RDONLY);
		if (rfd < 0)
			return 2;
		while (read(rfd, chunk, sizeof(chunk)) > 0)
			;
	}

	cpustat(&b0, &s0);
	getrusage(RUSAGE_SELF, &ru0);
	t0 = secs();
	if (with_reader && pthread_create(&rtid, NULL, reader, &rfd) != 0)
		return 2;
	if (none) {
		while (!done())
			usleep(10000);
	} else if (qd > 1) {
		int e = uring_writer(qd);

		if (e) {
			fprintf(stderr, "wbench: io_uring: %s\n", strerror(e));
			return 2;
		}
	} else {
		for (int i = 0; i < threads; i++)
			if (pthread_create(&tids[i], NULL, writer, (void *)(uintptr_t)(i + 1)) != 0)
				return 2;
		for (int i = 0; i < threads; i++)
			pthread_join(tids[i], NULL);
	}
	atomic_store(&stop, 1);
	if (with_reader)
		pthread_join(rtid, NULL);
	if (atomic_load(&unsupported_errno) && atomic_load(&writes) == 0) {
		printf("mode=%s status=unsupported (%s)\n", mode,
		       strerror(atomic_load(&unsupported_errno)));
		return 3;
	}
	if (atomic_load(&first_error))
		return 2;
	if (sync_end && fdatasync(fd) != 0) {
		fprintf(stderr, "wbench: fdatasync: %s\n", strerror(errno));
		return 2;
	}
	t = secs() - t0;
	cpustat(&b1, &s1);
	getrusage(RUSAGE_SELF, &ru);
	{
		unsigned long long w = atomic_load(&writes);

		printf("mode=%s qd=%d threads=%d bs=%zu status=ok writes=%llu seconds=%.3f iops=%.1f "
		       "us_per_write=%.3f cpu_busy=%llu cpu_sys=%llu cpu_hz=%ld ncpu=%ld ru_us=%lld "
		       "nvcsw=%ld nivcsw=%ld",
		       mode, qd, threads, bs, w, t, w / t, w ? t * 1e6 / w : 0.0,
		       b1 - b0, s1 - s0, sysconf(_SC_CLK_TCK), sysconf(_SC_NPROCESSORS_ONLN),
		       ru_usec(&ru) - ru_usec(&ru0), ru.ru_nvcsw - ru0.ru_nvcsw,
		       ru.ru_nivcsw - ru0.ru_nivcsw);
	}
	if (with_reader && nlat) {
		qsort(lat, nlat, sizeof(*lat), cmpd);
		printf(" reads=%zu read_p50_us=%.2f read_p99_us=%.2f read_p999_us=%.2f read_max_us=%.2f",
		       nlat, pct(lat, nlat, 50), pct(lat, nlat, 99), pct(lat, nlat, 99.9),
		       lat[nlat - 1]);
	}
	printf("\n");
	close(fd);
	return 0;
}

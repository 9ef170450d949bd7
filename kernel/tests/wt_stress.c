// SPDX-License-Identifier: GPL-2.0
/*
 * wt_stress: a randomized stress test of buffered write-through, run in
 * the guest by vm/guest/writethrough.sh.
 *
 *   wt_stress FILE SECONDS [SEED]
 *
 * Several threads share one file and one shared mapping of it.  The file
 * is cut into 16 KiB chunks; chunk i belongs to thread i % THREADS, so
 * that each thread can keep an exact model of its own bytes while the
 * threads still meet in the same (large) folios.  Each thread mixes, at
 * random: write-through writes (whole chunks or a few bytes), atomic
 * write-through writes (where statx admits them), plain buffered writes,
 * stores through the mapping, buffered reads and O_DIRECT reads, and
 * fsync.  Thread 0 also truncates the file now and then (to a random
 * size, then back), with the other threads held off, and all models
 * drop the bytes past the cut.  Every read is compared with the model;
 * at the end the file is synced, the page cache dropped, and the whole
 * file compared again.
 *
 * The seed (printed, or given) fixes each thread's sequence of
 * operations; the interleaving of the threads is up to the scheduler.
 * With $WT_STRESS_PLAIN set, the write-through operations are left out:
 * the same run on the file system's own paths, as a baseline.
 *
 * Exit status: 0 with no mismatch, 1 otherwise, 2 on a setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "wtsmgr_uapi.h"

#define THREADS		4			/* at most; $WT_STRESS_THREADS */
#define CHUNK		16384
#define NCHUNKS		512			/* an 8 MiB file */
#define FILE_SIZE	((off_t)CHUNK * NCHUNKS)

enum op { OP_WT, OP_WT_SMALL, OP_ATOMIC, OP_BUFFERED, OP_MMAP, OP_READ,
	  OP_DIRECT_READ, OP_FSYNC, OP_TRUNCATE, NR_OPS };
static const char *const op_names[NR_OPS] = {
	"write-through", "small write-through", "atomic write-through",
	"buffered write", "mmap store", "buffered read", "O_DIRECT read",
	"fsync", "truncate",
};

static int fd, dfd;
static unsigned char *map;
static unsigned char *model;		/* what the file must hold */
#define HIST	6
static unsigned char (*hist)[HIST];	/* per 4 KiB block: the last writers */
static pthread_rwlock_t cut_lock = PTHREAD_RWLOCK_INITIALIZER;
static wtsmgr_atomic_limits lim;
static size_t atomic_len;		/* 0: no atomic writes here */
static volatile int stop;
static int plain;			/* $WT_STRESS_PLAIN: no write-through */
static int nthreads = THREADS;
static unsigned long counts[THREADS][NR_OPS];
static unsigned long mismatches, errors;

static void die(const char *what)
{
	fprintf(stderr, "wt_stress: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void report(int tid, const char *what, off_t off, size_t len, size_t at,
		   size_t n, unsigned char got, unsigned char want)
{
	off_t blk = (off + at) / 4096;
	unsigned char cache[4096];
	const char *incache = "";

	if (__atomic_fetch_add(&mismatches, 1, __ATOMIC_RELAXED) >= 10)
		return;
	/* does the page cache hold the model's data there? */
	if (pread(fd, cache, 4096, blk * 4096) == 4096)
		incache = memcmp(cache, model + blk * 4096, 4096) ?
			  ", page cache differs too" : ", page cache holds the right data";
	printf("MISMATCH thread %d: %s at %lld+%zu: %zu bytes differ from +%zu "
	       "(got 0x%02x, expected 0x%02x)%s; block %lld written by (newest first):",
	       tid, what, (long long)off, len, n, at, got, want, incache, (long long)blk);
	for (int h = 0; h < HIST && hist[blk][h] < NR_OPS; h++)
		printf(" %s;", op_names[hist[blk][h]]);
	putchar('\n');
}

static void error(int tid, const char *what)
{
	if (__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED) < 10)
		printf("ERROR thread %d: %s: %s\n", tid, what, strerror(errno));
}

static void compare(int tid, const char *what, const unsigned char *got,
		    off_t off, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (got[i] != model[off + i]) {
			size_t n = 0;

			while (i + n < len && got[i + n] != model[off + i + n])
				n++;
			report(tid, what, off, len, i, n, got[i], model[off + i]);
			return;
		}
	}
}

/* Update the model after a write of @len bytes at @off by @op. */
static void record(int op, off_t off, size_t len, const unsigned char *buf)
{
	memcpy(model + off, buf, len);
	for (off_t b = off / 4096; b <= (off_t)(off + len - 1) / 4096; b++) {
		memmove(&hist[b][1], &hist[b][0], HIST - 1);
		hist[b][0] = op;
	}
}

/* pwritev2 flags of the operations that write with it */
static const int write_flags[NR_OPS] = {
	[OP_WT] = RWF_WRITETHROUGH,
	[OP_WT_SMALL] = RWF_WRITETHROUGH,
	[OP_ATOMIC] = RWF_WRITETHROUGH | RWF_ATOMIC,
	[OP_BUFFERED] = 0,
};

/*
 * A small range inside the chunk at *@off: move *@off to a random byte of
 * the chunk and return a length of 1..@max that stays within the chunk.
 */
static size_t in_chunk(off_t *off, size_t max, unsigned int *rs)
{
	off_t end = *off + CHUNK;
	size_t len;

	*off += rand_r(rs) % CHUNK;
	len = 1 + rand_r(rs) % max;
	if (*off + (off_t)len > end)
		len = end - *off;
	return len;
}

static void random_bytes(unsigned char *buf, size_t len, unsigned int *rs)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)rand_r(rs);
}

/* Pick a chunk of thread @tid. */
static off_t my_chunk(int tid, unsigned int *rs)
{
	return (off_t)((rand_r(rs) % (NCHUNKS / THREADS)) * THREADS + tid) * CHUNK;
	/* with fewer threads, the chunks of the missing ones stay untouched */
}

struct worker_arg {
	int		tid;
	unsigned int	seed;
};

static void *worker(void *arg)
{
	const struct worker_arg *wa = arg;
	int tid = wa->tid;
	unsigned int rs = wa->seed;
	unsigned char *buf, *dbuf;

	if (posix_memalign((void **)&buf, 4096, CHUNK) ||
	    posix_memalign((void **)&dbuf, 4096, CHUNK))
		die("posix_memalign");
	while (!stop) {
		int op = rand_r(&rs) % NR_OPS;
		off_t off = my_chunk(tid, &rs);
		size_t len = CHUNK;
		struct iovec iov = { .iov_base = buf, .iov_len = CHUNK };
		ssize_t r;

		if (op == OP_TRUNCATE) {
			off_t cut;

			if (tid != 0 || rand_r(&rs) % 8)
				continue;
			cut = (off_t)(rand_r(&rs) % (FILE_SIZE / 512)) * 512 +
			      rand_r(&rs) % 512;
			pthread_rwlock_wrlock(&cut_lock);
			if (ftruncate(fd, cut) || ftruncate(fd, FILE_SIZE))
				error(tid, "ftruncate");
			memset(model + cut, 0, FILE_SIZE - cut);
			pthread_rwlock_unlock(&cut_lock);
			counts[tid][op]++;
			continue;
		}
		/* no atomic writes here; fsync only now and then */
		if (((op == OP_WT || op == OP_WT_SMALL || op == OP_ATOMIC) && plain) ||
		    (op == OP_ATOMIC && !atomic_len) ||
		    (op == OP_FSYNC && rand_r(&rs) % 16))
			continue;
		pthread_rwlock_rdlock(&cut_lock);
		switch (op) {
		case OP_WT:
		case OP_BUFFERED:
		case OP_WT_SMALL:
		case OP_ATOMIC:
			if (op == OP_WT_SMALL) {
				len = in_chunk(&off, 200, &rs);
			} else if (op == OP_ATOMIC) {
				len = atomic_len;
				off += (rand_r(&rs) % (CHUNK / len)) * len;
			}
			random_bytes(buf, len, &rs);
			iov.iov_len = len;
			r = pwritev2(fd, &iov, 1, off, write_flags[op]);
			if (r != (ssize_t)len)
				error(tid, op_names[op]);
			else
				record(op, off, len, buf);
			break;
		case OP_MMAP:
			len = in_chunk(&off, 512, &rs);
			random_bytes(buf, len, &rs);
			memcpy(map + off, buf, len);
			record(op, off, len, buf);
			break;
		case OP_READ:
			if (pread(fd, buf, len, off) != (ssize_t)len)
				error(tid, op_names[op]);
			else
				compare(tid, op_names[op], buf, off, len);
			break;
		case OP_DIRECT_READ:
			if (pread(dfd, dbuf, len, off) != (ssize_t)len)
				error(tid, op_names[op]);
			else
				compare(tid, op_names[op], dbuf, off, len);
			break;
		case OP_FSYNC:
			if (fsync(fd))
				error(tid, "fsync");
			break;
		}
		pthread_rwlock_unlock(&cut_lock);
		counts[tid][op]++;
	}
	free(buf);
	free(dbuf);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned int seed;
	pthread_t th[THREADS];
	unsigned char *whole;
	struct worker_arg args[THREADS];
	int seconds;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: wt_stress FILE SECONDS [SEED]\n");
		return 2;
	}
	seconds = atoi(argv[2]);
	seed = argc == 4 ? (unsigned int)strtoul(argv[3], NULL, 0) :
			   (unsigned int)time(NULL) ^ (unsigned int)getpid();
	plain = getenv("WT_STRESS_PLAIN") != NULL;
	if (getenv("WT_STRESS_THREADS"))
		nthreads = atoi(getenv("WT_STRESS_THREADS"));
	if (nthreads < 1 || nthreads > THREADS) {
		fprintf(stderr, "wt_stress: WT_STRESS_THREADS must be 1..%d\n", THREADS);
		return 2;
	}
	printf("wt_stress: seed %u (rerun: wt_stress FILE %d %u)\n", seed, seconds, seed);
	fflush(stdout);

	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(argv[1]);
	dfd = open(argv[1], O_RDONLY | O_DIRECT);
	if (dfd < 0)
		die("O_DIRECT open");
	if (ftruncate(fd, FILE_SIZE))
		die("ftruncate");
	model = calloc(1, FILE_SIZE);
	hist = malloc(FILE_SIZE / 4096 * HIST);
	if (!hist)
		die("malloc");
	memset(hist, NR_OPS, FILE_SIZE / 4096 * HIST);
	whole = malloc(FILE_SIZE);
	if (!model || !whole)
		die("malloc");
	map = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap");
	if (wtsmgr_atomic_limits_fd(fd, &lim))
		die("statx");
	/* the largest atomic size statx admits, up to a chunk */
	for (size_t l = lim.unit_min; l && l <= lim.unit_max && l <= CHUNK; l *= 2)
		atomic_len = l;
	printf("wt_stress: %d threads, %lld-byte file, atomic writes of %zu bytes%s\n",
	       nthreads, (long long)FILE_SIZE, atomic_len, atomic_len ? "" : " (none)");

	for (int t = 0; t < nthreads; t++) {
		args[t].tid = t;
		args[t].seed = seed * 2654435761u + t;
		if (pthread_create(&th[t], NULL, worker, &args[t]))
			die("pthread_create");
	}
	sleep(seconds);
	stop = 1;
	for (int t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);

	/* Everything on the device, nothing in the cache: compare it all. */
	if (fsync(fd))
		die("final fsync");
	if (munmap(map, FILE_SIZE))
		die("munmap");
	{
		int dc = open("/proc/sys/vm/drop_caches", O_WRONLY);

		if (dc < 0 || write(dc, "3\n", 2) != 2)
			die("drop_caches");
		close(dc);
	}
	if (pread(fd, whole, FILE_SIZE, 0) != FILE_SIZE)
		die("final read");
	compare(-1, "final read from the device", whole, 0, FILE_SIZE);

	for (int op = 0; op < NR_OPS; op++) {
		unsigned long n = 0;

		for (int t = 0; t < THREADS; t++)
			n += counts[t][op];
		printf("wt_stress: %-22s %lu\n", op_names[op], n);
	}
	printf("wt_stress: seed %u, %lu mismatch(es), %lu error(s)\n", seed, mismatches, errors);
	return mismatches || errors ? 1 : 0;
}

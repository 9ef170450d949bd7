// SPDX-License-Identifier: GPL-2.0
/*
 * wt_stress: a randomized stress test of buffered write-through, run in
 * the guest by vm/guest/writethrough.sh.
 *
 *   wt_stress FILE SECONDS [SEED]
 *   wt_stress --overlap FILE SECONDS [SEED]
 *   wt_stress --selftest         (the --overlap checker on made-up blocks)
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
 * With --overlap the threads write the same ranges (see overlap_main()).
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
#include <sys/vfs.h>
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

static int overlap_main(int argc, char **argv);
static int ov_selftest_main(void);

int main(int argc, char **argv)
{
	unsigned int seed;
	pthread_t th[THREADS];
	unsigned char *whole;
	struct worker_arg args[THREADS];
	int seconds;

	if (argc > 1 && !strcmp(argv[1], "--overlap"))
		return overlap_main(argc - 1, argv + 1);
	if (argc == 2 && !strcmp(argv[1], "--selftest"))
		return ov_selftest_main();
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: wt_stress [--overlap] FILE SECONDS [SEED]\n");
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

/*
 * --overlap: the threads write the same 4 KiB blocks.  Every write is
 * block aligned and stamps each block it covers with a header (writer,
 * sequence number, block number) and bytes derived from them, so that a
 * block read back is either zeroes (never written) or exactly one write's
 * stamp, which names the write.  Each thread registers a write (its range
 * and a start ticket from a global counter) before issuing it and takes an
 * end ticket when it returns.
 *
 * Writes to a file are serialized by the inode lock (write-through writes
 * hold it over the device write), except write-through overwrites, which
 * run under a shared lock and are ordered folio by folio only, as O_DIRECT
 * writes are: two of them that overlap in time may each win part of the
 * range.  So the final content must be that of some order of the writes,
 * where such a pair counts as unordered:
 *  - every block holds the stamp of a write that covered it, or zeroes
 *    when no write did;
 *  - no write that started after that write returned covered the block
 *    (it would have come later in any order);
 *  - the writes whose stamps survive can be ordered: a block's surviving
 *    write comes after every other write that covered the block, and these
 *    constraints have no cycle.  A torn atomic write (part of its blocks
 *    from it, part from an earlier write it covered) makes a cycle.
 * The final content is read after fsync and a cache drop, from the device.
 * Reads during the run check only that each block is zeroes or a complete
 * stamp of a write issued to it: buffered reads may see a write half
 * copied (counted, not failed) on ext4, whose buffered reads take no lock
 * (review m8), and on xfs, whose write-through overwrites run under the
 * shared lock that buffered reads take.  O_DIRECT reads must not, except
 * for a block that writeback sent while a plain buffered write was
 * copying into it (counted, not failed; see ov_torn_by_plain()): the file
 * asks for stable writes only while write-through writes are under way.
 * No device write may carry part of a write-through write.
 *
 * $WT_STRESS_SPLIT_ATOMIC checks the checker: each "atomic" write is sent
 * as two write-through writes of its halves (with $WT_STRESS_PLAIN, two
 * plain writes of 16 KiB), which other writers can come between; the run
 * must then report mismatches.
 */
#define OV_BLOCK	4096
#define OV_NBLOCKS	96			/* 384 KiB: the threads collide */
#define OV_MAXW		8			/* blocks per write, at most */
#define OV_MAXSEQ	(1 << 20)
#define OV_MAGIC	0x7774737472657373ull	/* "wtstress" */

enum ov_op { OV_WT, OV_ATOMIC, OV_BUFFERED, OV_READ, OV_DIRECT_READ,
	     OV_FSYNC, OV_NR_OPS };
static const char *const ov_names[OV_NR_OPS] = {
	"write-through", "atomic write-through", "buffered write",
	"buffered read", "O_DIRECT read", "fsync",
};
static const int ov_flags[OV_NR_OPS] = {
	[OV_WT] = RWF_WRITETHROUGH,
	[OV_ATOMIC] = RWF_WRITETHROUGH | RWF_ATOMIC,
	[OV_BUFFERED] = 0,
};

struct ov_write {
	uint32_t	blk, nblk;	/* range, in blocks */
	uint8_t		op;
	uint64_t	start, end;	/* tickets; end 0 while in flight */
};

struct ov_stamp {
	uint64_t	magic;
	uint32_t	tid, seq, blk, pad;
};

static struct ov_write *ov_log[THREADS];
static unsigned int ov_issued[THREADS];	/* registered writes per thread */
static uint64_t ov_ticket = 1;
static unsigned long ov_progress, ov_torn_reads, ov_torn_plain;
static unsigned long ov_counts[THREADS][OV_NR_OPS];
static int ov_split;
/* held shared by each operation, exclusively by a check at a pause */
static pthread_rwlock_t ov_lock;

static uint64_t ov_next_ticket(void)
{
	return __atomic_fetch_add(&ov_ticket, 1, __ATOMIC_SEQ_CST);
}

static void ov_fill(unsigned char *b, unsigned int tid, unsigned int seq,
		    unsigned int blk)
{
	struct ov_stamp st = { OV_MAGIC, tid, seq, blk, 0 };
	uint64_t x = ((uint64_t)tid << 40) ^ ((uint64_t)seq << 16) ^ blk ^ OV_MAGIC;

	for (size_t i = 0; i < OV_BLOCK; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(b + i, &x, 8);
	}
	memcpy(b, &st, sizeof(st));
}

static int ov_is_zero(const unsigned char *b)
{
	for (size_t i = 0; i < OV_BLOCK; i++)
		if (b[i])
			return 0;
	return 1;
}

/*
 * Which write does block @blk's content @b come from?  Returns its log
 * entry, or NULL (with *zero set for zeroes) when it is no complete
 * stamp of a registered write that covered @blk.
 */
static const struct ov_write *ov_identify(const unsigned char *b,
					   unsigned int blk, int *zero,
					   unsigned int *tidp, unsigned int *seqp)
{
	static __thread unsigned char want[OV_BLOCK];
	struct ov_stamp st;
	const struct ov_write *w;

	*zero = ov_is_zero(b);
	if (*zero)
		return NULL;
	memcpy(&st, b, sizeof(st));
	if (st.magic != OV_MAGIC || st.tid >= THREADS || st.blk != blk ||
	    st.seq >= __atomic_load_n(&ov_issued[st.tid], __ATOMIC_ACQUIRE))
		return NULL;
	w = &ov_log[st.tid][st.seq];
	if (blk < w->blk || blk >= w->blk + w->nblk)
		return NULL;
	ov_fill(want, st.tid, st.seq, blk);
	if (memcmp(want, b, OV_BLOCK))
		return NULL;
	*tidp = st.tid;
	*seqp = st.seq;
	return w;
}

/*
 * An O_DIRECT read found block @blk holding no single write's stamp.  A
 * plain buffered write may have been copying into the folio while
 * writeback sent it (a file that has no write-through write under way
 * asks for no stable writes, as on any device that needs none): the
 * device then holds part of that write and part of what the folio held
 * before, until the folio is written again.  Say whether @b is exactly
 * that: every 8-byte word that of one of two writes that covered the block
 * (or zero, for a block no write had covered), the later of the two (by
 * start ticket) a plain buffered write, whichever part of the block it
 * holds (writeback may overtake the copy or the copy writeback).  A
 * write-through write copied into a folio under writeback would show as
 * the later write and is not excused.  Words 0 and 2 of a stamp (magic;
 * block number) are the same in every write's.
 */
#define OV_WORDS	(OV_BLOCK / 8)
static int ov_torn_by_plain(const unsigned char *b, unsigned int blk)
{
	static __thread unsigned char want[OV_BLOCK];
	static __thread uint8_t match[5][OV_WORDS];
	int buffered[5], n = 0;
	uint64_t start[5];

	/* candidate 0: zeroes, a block no write had covered yet */
	for (int i = 0; i < OV_WORDS; i++)
		match[0][i] = !memcmp(b + i * 8, "\0\0\0\0\0\0\0\0", 8);
	start[n] = 0;
	buffered[n++] = 0;
	for (unsigned int t = 0; t < THREADS; t++) {
		unsigned int issued = __atomic_load_n(&ov_issued[t], __ATOMIC_ACQUIRE);

		for (unsigned int q = 0; q < issued; q++) {
			const struct ov_write *w = &ov_log[t][q];
			int any = 0;

			if (blk < w->blk || blk >= w->blk + w->nblk)
				continue;
			ov_fill(want, t, q, blk);
			for (int i = 0; i < OV_WORDS; i++) {
				int m = !memcmp(b + i * 8, want + i * 8, 8);

				if (m && i != 0 && i != 2)
					any = 1;
				if (n < 5)
					match[n][i] = m;
			}
			if (!any)
				continue;
			if (n == 5)
				return 0;	/* parts of more than four writes */
			start[n] = w->start;
			/* with $WT_STRESS_PLAIN every write is a plain one */
			buffered[n++] = plain || w->op == OV_BUFFERED;
		}
	}
	for (int x = 0; x < n; x++)
		for (int y = x + 1; y < n; y++) {
			int all = 1;

			if (!buffered[start[x] > start[y] ? x : y])
				continue;
			for (int i = 0; i < OV_WORDS && all; i++)
				all = match[x][i] || match[y][i];
			if (all)
				return 1;
		}
	return 0;
}

/*
 * wt_stress --selftest: ov_torn_by_plain() on made-up blocks.  Three
 * writes cover block 5: a write-through write, then a plain buffered
 * write, then a write-through write; a block made of the first half of
 * one and the second half of another is excused only when the later of
 * the two is the plain write.
 */
static int ov_selftest(void)
{
	static unsigned char a[OV_BLOCK], b[OV_BLOCK], blk[OV_BLOCK];
	static const struct { int x, y, want; const char *what; } t[] = {
		{ 1, 0, 1, "plain write copied over an earlier write-through write" },
		{ 1, -1, 1, "plain write copied over zeroes" },
		{ 2, 1, 0, "write-through write copied over a plain write" },
		{ 2, 0, 0, "write-through write copied over a write-through write" },
		{ 0, 1, 1, "the same, the plain write's part second (writeback overtaken by the copy)" },
		{ 1, 2, 0, "the same pair the other way: the write-through write is later" },
	};
	int bad = 0, got3;

	for (unsigned int q = 0; q < 3; q++) {
		ov_log[0][q] = (struct ov_write){ .blk = 4, .nblk = 2,
			.op = q == 1 ? OV_BUFFERED : OV_WT, .start = 10 + q, .end = 20 + q };
	}
	ov_issued[0] = 3;
	for (unsigned int i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got;

		ov_fill(a, 0, t[i].x, 5);
		if (t[i].y < 0)
			memset(b, 0, sizeof(b));
		else
			ov_fill(b, 0, t[i].y, 5);
		memcpy(blk, a, OV_BLOCK / 2);
		memcpy(blk + OV_BLOCK / 2, b + OV_BLOCK / 2, OV_BLOCK / 2);
		got = ov_torn_by_plain(blk, 5);
		printf("%s - %s: %s\n", got == t[i].want ? "ok" : "FAIL",
		       t[i].what, got ? "excused" : "a mismatch");
		bad += got != t[i].want;
	}
	/* three writes' parts are never excused */
	ov_fill(a, 0, 1, 5);
	memcpy(blk, a, OV_BLOCK / 3);
	ov_fill(a, 0, 0, 5);
	memcpy(blk + OV_BLOCK / 3, a + OV_BLOCK / 3, OV_BLOCK / 3);
	ov_fill(a, 0, 2, 5);
	memcpy(blk + 2 * (OV_BLOCK / 3), a + 2 * (OV_BLOCK / 3), OV_BLOCK - 2 * (OV_BLOCK / 3));
	got3 = ov_torn_by_plain(blk, 5);
	printf("%s - parts of three writes: %s\n", got3 ? "FAIL" : "ok",
	       got3 ? "excused" : "a mismatch");
	bad += got3;
	ov_issued[0] = 0;
	return bad ? 1 : 0;
}

static void ov_check_read(int tid, const char *what, const unsigned char *buf,
			  unsigned int blk, unsigned int nblk)
{
	for (unsigned int i = 0; i < nblk; i++) {
		unsigned int t, q;
		int zero;

		if (ov_identify(buf + (size_t)i * OV_BLOCK, blk + i, &zero, &t, &q) ||
		    zero)
			continue;
		if (!strcmp(what, "buffered read")) {
			__atomic_fetch_add(&ov_torn_reads, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (ov_torn_by_plain(buf + (size_t)i * OV_BLOCK, blk + i)) {
			__atomic_fetch_add(&ov_torn_plain, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (__atomic_fetch_add(&mismatches, 1, __ATOMIC_RELAXED) < 10)
			printf("MISMATCH thread %d: %s of blocks %u+%u: block %u is "
			       "neither zeroes nor one write's complete stamp\n",
			       tid, what, blk, nblk, blk + i);
	}
}

static void *ov_worker(void *arg)
{
	const struct worker_arg *wa = arg;
	int tid = wa->tid;
	unsigned int rs = wa->seed;
	unsigned char *buf;
	unsigned int atomic_blocks = atomic_len / OV_BLOCK;

	if (posix_memalign((void **)&buf, 4096, OV_MAXW * OV_BLOCK))
		die("posix_memalign");
	while (!stop && ov_issued[tid] < OV_MAXSEQ) {
		int op = rand_r(&rs) % OV_NR_OPS;
		unsigned int nblk = 1 + rand_r(&rs) % OV_MAXW;
		unsigned int blk;
		size_t len;
		ssize_t r;

		if ((op == OV_ATOMIC && (!atomic_blocks || (plain && !ov_split))) ||
		    (op == OV_FSYNC && rand_r(&rs) % 8))
			continue;
		if (op == OV_ATOMIC)
			nblk = atomic_blocks;
		blk = rand_r(&rs) % (OV_NBLOCKS - nblk + 1);
		if (op == OV_ATOMIC)
			blk -= blk % nblk;	/* naturally aligned */
		len = (size_t)nblk * OV_BLOCK;
		pthread_rwlock_rdlock(&ov_lock);
		switch (op) {
		case OV_WT:
		case OV_ATOMIC:
		case OV_BUFFERED: {
			unsigned int seq = ov_issued[tid];
			struct ov_write *w = &ov_log[tid][seq];
			struct iovec iov = { .iov_base = buf, .iov_len = len };

			for (unsigned int i = 0; i < nblk; i++)
				ov_fill(buf + (size_t)i * OV_BLOCK, tid, seq, blk + i);
			w->blk = blk;
			w->nblk = nblk;
			w->op = op;
			w->end = 0;
			w->start = ov_next_ticket();
			__atomic_store_n(&ov_issued[tid], seq + 1, __ATOMIC_RELEASE);
			if (op == OV_ATOMIC && ov_split) {
				int f = plain ? 0 : RWF_WRITETHROUGH;

				iov.iov_len = len / 2;
				r = pwritev2(fd, &iov, 1, (off_t)blk * OV_BLOCK, f);
				iov.iov_base = buf + len / 2;
				if (r == (ssize_t)len / 2)
					r += pwritev2(fd, &iov, 1,
						      (off_t)blk * OV_BLOCK + len / 2, f);
			} else {
				r = pwritev2(fd, &iov, 1, (off_t)blk * OV_BLOCK,
					     plain ? 0 : ov_flags[op]);
			}
			w->end = ov_next_ticket();
			if (r != (ssize_t)len) {
				error(tid, ov_names[op]);
				/* a failed write may have left anything: forget
				 * nothing, but mark it so the report says so */
			}
			break;
		}
		case OV_READ:
			r = pread(fd, buf, len, (off_t)blk * OV_BLOCK);
			if (r != (ssize_t)len)
				error(tid, ov_names[op]);
			else
				ov_check_read(tid, ov_names[op], buf, blk, nblk);
			break;
		case OV_DIRECT_READ:
			r = pread(dfd, buf, len, (off_t)blk * OV_BLOCK);
			if (r != (ssize_t)len)
				error(tid, ov_names[op]);
			else
				ov_check_read(tid, ov_names[op], buf, blk, nblk);
			break;
		case OV_FSYNC:
			if (fsync(fd))
				error(tid, "fsync");
			break;
		}
		pthread_rwlock_unlock(&ov_lock);
		ov_counts[tid][op]++;
		__atomic_fetch_add(&ov_progress, 1, __ATOMIC_RELAXED);
	}
	free(buf);
	return NULL;
}

/*
 * Check the content @whole of the blocks, read from the device with no
 * write in flight, against the writes since the last such check (the
 * epoch: thread t's writes from @from[t] on; all earlier writes came
 * before them).  @what names the check in the report.
 */
static void ov_check_epoch(const unsigned char *whole, const unsigned int *from,
			   const char *what)
{
	/* per block: the surviving write, the latest start ticket of the
	 * epoch's writes that covered it, whether any write ever did */
	static int surv_t[OV_NBLOCKS], surv_q[OV_NBLOCKS];
	static uint64_t last_start[OV_NBLOCKS];
	static char ever[OV_NBLOCKS];
	size_t nw = 0, *base = calloc(THREADS + 1, sizeof(size_t));
	unsigned int *indeg, *adj_n, **adj;
	size_t done = 0;

	if (!base)
		die("calloc");
	memset(last_start, 0, sizeof(last_start));
	for (int t = 0; t < nthreads; t++) {
		base[t] = nw;
		nw += ov_issued[t] - from[t];
	}
	base[nthreads] = nw;
	for (int t = 0; t < nthreads; t++)
		for (unsigned int q = from[t]; q < ov_issued[t]; q++) {
			const struct ov_write *w = &ov_log[t][q];

			for (unsigned int b = w->blk; b < w->blk + w->nblk; b++) {
				ever[b] = 1;
				if (w->start > last_start[b])
					last_start[b] = w->start;
			}
		}
	for (unsigned int b = 0; b < OV_NBLOCKS; b++) {
		unsigned int t, q;
		int zero;
		const struct ov_write *w = ov_identify(whole + (size_t)b * OV_BLOCK,
						       b, &zero, &t, &q);

		surv_t[b] = -1;
		if (!w) {
			if (zero && !ever[b])
				continue;
			if (__atomic_fetch_add(&mismatches, 1, __ATOMIC_RELAXED) < 10)
				printf("MISMATCH %s: block %u holds %s\n", what, b, zero ?
				       "zeroes, but writes covered it" :
				       "no complete stamp of a write that covered it");
			continue;
		}
		if (last_start[b] > w->end) {
			if (__atomic_fetch_add(&mismatches, 1, __ATOMIC_RELAXED) < 10)
				printf("MISMATCH %s: block %u holds the %s of thread %u "
				       "(seq %u), but a write that started after it returned "
				       "covered the block\n", what, b, ov_names[w->op], t, q);
			continue;
		}
		if (q < from[t])
			continue;	/* no write of the epoch covered it */
		surv_t[b] = t;
		surv_q[b] = q - from[t];
	}

	/* The order: an edge from every write that covered a block to the
	 * block's surviving write, but none between two write-through writes
	 * that overlapped in time; Kahn's algorithm finds a cycle. */
	indeg = calloc(nw, sizeof(*indeg));
	adj_n = calloc(nw, sizeof(*adj_n));
	adj = calloc(nw, sizeof(*adj));
	if (!indeg || !adj_n || !adj)
		die("calloc");
	for (int pass = 0; pass < 2; pass++) {
		for (int t = 0; t < nthreads; t++)
			for (unsigned int q = 0; q < ov_issued[t] - from[t]; q++) {
				const struct ov_write *w = &ov_log[t][from[t] + q];
				size_t src = base[t] + q;

				for (unsigned int b = w->blk; b < w->blk + w->nblk; b++) {
					size_t to;

					const struct ov_write *sw;

					if (surv_t[b] < 0 ||
					    (surv_t[b] == t && (unsigned int)surv_q[b] == q))
						continue;
					sw = &ov_log[surv_t[b]][from[surv_t[b]] + surv_q[b]];
					if (w->op == OV_WT && sw->op == OV_WT &&
					    w->start < sw->end && sw->start < w->end)
						continue;
					to = base[surv_t[b]] + surv_q[b];
					if (pass == 0) {
						adj_n[src]++;
					} else {
						adj[src][adj_n[src]++] = to;
						indeg[to]++;
					}
				}
			}
		if (pass == 0)
			for (size_t i = 0; i < nw; i++) {
				adj[i] = malloc((adj_n[i] + 1) * sizeof(**adj));
				if (!adj[i])
					die("malloc");
				adj_n[i] = 0;
			}
	}
	{
		size_t *queue = malloc((nw + 1) * sizeof(*queue)), head = 0, tail = 0;

		if (!queue)
			die("malloc");
		for (size_t i = 0; i < nw; i++)
			if (!indeg[i])
				queue[tail++] = i;
		while (head < tail) {
			size_t i = queue[head++];

			done++;
			for (unsigned int e = 0; e < adj_n[i]; e++)
				if (!--indeg[adj[i][e]])
					queue[tail++] = adj[i][e];
		}
		free(queue);
	}
	if (done != nw) {
		unsigned long shown = 0;

		__atomic_fetch_add(&mismatches, 1, __ATOMIC_RELAXED);
		printf("MISMATCH %s: the surviving stamps fit no order of the "
		       "writes (%zu of %zu writes in a cycle); blocks by write:\n",
		       what, nw - done, nw);
		for (unsigned int b = 0; b < OV_NBLOCKS && shown < 64; b++) {
			if (surv_t[b] < 0 || !indeg[base[surv_t[b]] + surv_q[b]])
				continue;
			printf("  block %u: %s thread %d seq %u\n", b,
			       ov_names[ov_log[surv_t[b]][from[surv_t[b]] + surv_q[b]].op],
			       surv_t[b], from[surv_t[b]] + surv_q[b]);
			shown++;
		}
	}
	for (size_t i = 0; i < nw; i++)
		free(adj[i]);
	free(adj);
	free(adj_n);
	free(indeg);
	free(base);
}

static int ov_selftest_main(void)
{
	ov_log[0] = calloc(OV_MAXSEQ, sizeof(**ov_log));
	if (!ov_log[0])
		die("calloc");
	return ov_selftest();
}

static void ov_stacks(void)
{
	fflush(stdout);
	if (system("for t in /proc/$PPID/task/*; do echo \"== $t\"; cat $t/stack; done") < 0)
		perror("system");
}

static int overlap_main(int argc, char **argv)
{
	pthread_t th[THREADS];
	struct worker_arg args[THREADS];
	unsigned char *whole;
	unsigned int seed;
	unsigned long seen = 0;
	time_t t0, moved;
	int seconds;
	unsigned int from[THREADS] = { 0 };
	unsigned long pauses = 0;
	pthread_rwlockattr_t la;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: wt_stress --overlap FILE SECONDS [SEED]\n");
		return 2;
	}
	seconds = atoi(argv[2]);
	seed = argc == 4 ? (unsigned int)strtoul(argv[3], NULL, 0) :
			   (unsigned int)time(NULL) ^ (unsigned int)getpid();
	plain = getenv("WT_STRESS_PLAIN") != NULL;
	printf("wt_stress: seed %u (rerun: wt_stress --overlap FILE %d %u)\n",
	       seed, seconds, seed);
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(argv[1]);
	dfd = open(argv[1], O_RDONLY | O_DIRECT);
	if (dfd < 0)
		die("O_DIRECT open");
	pthread_rwlockattr_init(&la);
	pthread_rwlockattr_setkind_np(&la, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&ov_lock, &la);
	if (ftruncate(fd, (off_t)OV_NBLOCKS * OV_BLOCK))
		die("ftruncate");
	if (wtsmgr_atomic_limits_fd(fd, &lim))
		die("statx");
	ov_split = getenv("WT_STRESS_SPLIT_ATOMIC") != NULL;
	for (size_t l = lim.unit_min; l && l <= lim.unit_max &&
	     l <= OV_MAXW * OV_BLOCK; l *= 2)
		if (l >= OV_BLOCK)
			atomic_len = l;
	if (ov_split && plain)
		atomic_len = 4 * OV_BLOCK;
	for (int t = 0; t < nthreads; t++) {
		ov_log[t] = calloc(OV_MAXSEQ, sizeof(**ov_log));
		if (!ov_log[t])
			die("calloc");
	}
	whole = malloc((size_t)OV_NBLOCKS * OV_BLOCK);
	if (!whole)
		die("malloc");
	printf("wt_stress: %d threads writing the same %d blocks, atomic writes of %zu bytes%s%s\n",
	       nthreads, OV_NBLOCKS, atomic_len, atomic_len ? "" : " (none)",
	       ov_split ? ", each sent in two halves (checking the checker)" : "");
	fflush(stdout);
	for (int t = 0; t < nthreads; t++) {
		args[t].tid = t;
		args[t].seed = seed * 2654435761u + t;
		if (pthread_create(&th[t], NULL, ov_worker, &args[t]))
			die("pthread_create");
	}
	/*
	 * Every second, with the writers held off: fsync, read the blocks
	 * from the device (O_DIRECT) and check the writes since the last
	 * pause.  A watchdog: no operation finishing for 60 s is a hang.
	 */
	t0 = moved = time(NULL);
	while (time(NULL) - t0 < seconds) {
		unsigned long p = __atomic_load_n(&ov_progress, __ATOMIC_RELAXED);
		struct timespec until;

		if (p != seen) {
			seen = p;
			moved = time(NULL);
		} else if (time(NULL) - moved > 60) {
			printf("HANG: no operation finished for 60 s (%lu done); the threads' stacks:\n", p);
			ov_stacks();
			_exit(1);
		}
		usleep(1000000);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 60;
		if (pthread_rwlock_timedwrlock(&ov_lock, &until)) {
			printf("HANG: the operations in flight did not finish in 60 s; the threads' stacks:\n");
			ov_stacks();
			_exit(1);
		}
		if (fsync(fd))
			error(-1, "fsync at a pause");
		else if (pread(dfd, whole, (size_t)OV_NBLOCKS * OV_BLOCK, 0) !=
			 (ssize_t)OV_NBLOCKS * OV_BLOCK)
			error(-1, "O_DIRECT read at a pause");
		else
			ov_check_epoch(whole, from, "at a pause, on the device");
		for (int t = 0; t < nthreads; t++)
			from[t] = ov_issued[t];
		pauses++;
		pthread_rwlock_unlock(&ov_lock);
	}
	stop = 1;
	for (int t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);

	if (fsync(fd))
		die("final fsync");
	{
		int dc = open("/proc/sys/vm/drop_caches", O_WRONLY);

		if (dc < 0 || write(dc, "3\n", 2) != 2)
			die("drop_caches");
		close(dc);
	}
	if (pread(fd, whole, (size_t)OV_NBLOCKS * OV_BLOCK, 0) !=
	    (ssize_t)OV_NBLOCKS * OV_BLOCK)
		die("final read");
	ov_check_epoch(whole, from, "final, on the device after a cache drop");

	for (int op = 0; op < OV_NR_OPS; op++) {
		unsigned long n = 0;

		for (int t = 0; t < THREADS; t++)
			n += ov_counts[t][op];
		printf("wt_stress: %-22s %lu\n", ov_names[op], n);
	}
	printf("wt_stress: %lu checks at pauses, and the final one\n", pauses);
	printf("wt_stress: buffered reads that saw a block being copied: %lu\n",
	       ov_torn_reads);
	printf("wt_stress: O_DIRECT reads that saw a plain buffered write's block written back while it was copied: %lu\n",
	       ov_torn_plain);
	printf("wt_stress: seed %u, %lu mismatch(es), %lu error(s)\n", seed, mismatches, errors);
	return mismatches || errors ? 1 : 0;
}

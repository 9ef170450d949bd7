// SPDX-License-Identifier: GPL-2.0
/*
 * replay: rebuild a device as a power cut could have left it, from a
 * dm-log-writes log, and run a check on each such image.
 *
 *   replay info LOG
 *       the log's super block, entry counts by kind, and its marks
 *   replay run [options] LOG TARGET
 *       replay LOG onto the block device TARGET up to each of a number
 *       of crash points, under the power-cut model below, and run the
 *       --exec command on each image; TARGET is restored between points
 *
 * The power-cut model.  dm-log-writes logs a write once a later flush
 * has completed (or at once for FUA writes), so the log is a sequence of
 * batches of completed writes, each closed by its flush.  A crash point
 * is an entry N of the log.  At crash point N:
 *   - every entry up to the last flush entry F <= N is on the device
 *     (F's own data too when it carried FUA);
 *   - each write entry after F, up to N, was completed by the device but
 *     may still sit in its volatile cache.  Independently, it is lost,
 *     applied, or, unless it is atomic, applied in part: a random
 *     non-empty proper subset of its blocks (--granularity bytes each,
 *     the log's sector size by default; 512 is allowed);
 *   - an atomic entry (LOG_ATOMIC_FLAG) is applied whole or lost;
 *   - a FUA entry after F is applied whole;
 *   - entries after N never happened.
 * Not modelled: a device that reorders or loses writes it reported
 * complete across a flush, or that corrupts data at rest.
 *
 * Every choice comes from --seed and the crash point's entry number, so
 * "replay run --point N --seed S LOG TARGET" rebuilds exactly the image
 * that crash point N had in the run with seed S.
 *
 * Options of "run":
 *   --start-mark NAME   crash points lie after this mark (default: the
 *                       first entry); everything up to it is applied
 *   --points N          how many crash points, spread over the log in
 *                       N equal strata, one random entry in each
 *                       (default 100; all entries if there are fewer)
 *   --end-mark NAME     crash points lie before this mark (default: up
 *                       to the last entry)
 *   --batch-end         move each crash point forward to the last entry
 *                       before the next flush, so that all the writes
 *                       of its batch are in flight (the worst moment
 *                       of that batch; batches are then picked in
 *                       proportion to their length)
 *   --point N           exactly one crash point, at entry N
 *   --stop-after N      stop after N crash points whose check failed
 *   --seed S            the seed (default: from the clock); printed
 *   --granularity B     the unit of a partial write, in bytes
 *   --exec CMD          run "sh -c CMD" on each image with CRASH_POINT,
 *                       CRASH_SEED and CRASH_TARGET in its environment;
 *                       exit 0: consistent, 1: a finding, else an error
 *   --results FILE      one tab-separated line per crash point
 *
 * Exit status: 0 when every check passed, 1 when a check found
 * something, 2 on a usage, log or device error (or a check's error).
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "logwrites.h"

#define ALIGN 4096

struct entry {
	uint64_t sector;	/* in log sectors */
	uint64_t nr;		/* in log sectors */
	uint32_t flags;
	uint64_t data;		/* byte offset of the data in the log */
	char *mark;		/* the text of a mark, else NULL */
};

struct log {
	int fd;
	uint32_t ss;		/* sector size */
	uint64_t n;
	struct entry *e;
	long *last_flush;	/* last_flush[i]: last flush entry <= i, or -1 */
	uint64_t bytes;		/* where the last entry ends */
};

/* What a crash point did with one in-flight entry. */
enum fate { LOST, WHOLE, TORN };

/* An undo record: the target's bytes before an overlay write. */
struct undo {
	uint64_t off, len;
	void *old;
};

static const char *target_path;
static int target_fd = -1;
static bool target_is_file;	/* a regular file: a discard punches a hole */
static uint64_t granularity;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "replay: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static void *xalloc(size_t len)
{
	void *p;

	if (posix_memalign(&p, ALIGN, len ? len : ALIGN))
		die("out of memory (%zu bytes)", len);
	return p;
}

/* splitmix64: small, fast, and the same on every machine. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return n ? rng_next(s) % n : 0;
}

static void pread_all(int fd, void *buf, size_t len, uint64_t off, const char *what)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(fd, (char *)buf + done, len - done, off + done);

		if (r < 0)
			die("reading %s at %" PRIu64 ": %s", what, off + done, strerror(errno));
		if (r == 0)
			die("reading %s at %" PRIu64 ": unexpected end", what, off + done);
		done += r;
	}
}

static void pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pwrite(fd, (const char *)buf + done, len - done, off + done);

		if (r <= 0)
			die("writing %s at %" PRIu64 ": %s", target_path, off + done,
			    r < 0 ? strerror(errno) : "short write");
		done += r;
	}
}

static void log_open(struct log *l, const char *path)
{
	struct lw_super sb;
	struct lw_entry h;
	uint64_t pos, size, i;
	char *hdr;
	struct stat st;

	l->fd = open(path, O_RDONLY);
	if (l->fd < 0)
		die("%s: %s", path, strerror(errno));
	if (fstat(l->fd, &st))
		die("%s: %s", path, strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(l->fd, BLKGETSIZE64, &size))
			die("%s: BLKGETSIZE64: %s", path, strerror(errno));
	} else {
		size = st.st_size;
	}
	pread_all(l->fd, &sb, sizeof(sb), 0, "the log's super block");
	if (le64toh(sb.magic) != LW_MAGIC)
		die("%s is not a dm-log-writes log (magic %#" PRIx64 ")", path,
		    (uint64_t)le64toh(sb.magic));
	if (le64toh(sb.version) != LW_VERSION)
		die("%s: log version %" PRIu64 ", this tool reads version %d", path,
		    (uint64_t)le64toh(sb.version), LW_VERSION);
	l->ss = le32toh(sb.sectorsize);
	if (l->ss < 512 || l->ss > 65536 || (l->ss & (l->ss - 1)))
		die("%s: bad sector size %u", path, l->ss);
	l->n = le64toh(sb.nr_entries);
	l->e = calloc(l->n ? l->n : 1, sizeof(*l->e));
	l->last_flush = calloc(l->n ? l->n : 1, sizeof(long));
	if (!l->e || !l->last_flush)
		die("out of memory for %" PRIu64 " entries", l->n);
	hdr = xalloc(l->ss);
	pos = 1;
	for (i = 0; i < l->n; i++) {
		struct entry *e = &l->e[i];

		if ((pos + 1) * l->ss > size)
			die("%s: entry %" PRIu64 " lies past the end of the log", path, i);
		pread_all(l->fd, hdr, l->ss, pos * l->ss, "an entry header");
		memcpy(&h, hdr, sizeof(h));
		e->sector = le64toh(h.sector);
		e->nr = le64toh(h.nr_sectors);
		e->flags = le64toh(h.flags);
		e->data = (pos + 1) * l->ss;
		if (e->flags & LW_MARK) {
			uint64_t len = le64toh(h.data_len);

			if (len > l->ss - sizeof(h))
				die("%s: entry %" PRIu64 ": mark of %" PRIu64 " bytes", path, i, len);
			e->mark = strndup(hdr + sizeof(h), len);
			e->nr = 0;
		}
		pos += 1;
		if (!(e->flags & (LW_DISCARD | LW_MARK)))
			pos += e->nr;
		if (pos * l->ss > size)
			die("%s: entry %" PRIu64 "'s data lies past the end of the log", path, i);
		l->last_flush[i] = (e->flags & LW_FLUSH) ? (long)i :
				   i ? l->last_flush[i - 1] : -1;
	}
	l->bytes = pos * l->ss;
	free(hdr);
}

static bool has_data(const struct entry *e)
{
	return e->nr && !(e->flags & LW_MARK);
}

/* Write blocks [first, first+count) (granularity units) of entry e. */
static void apply_part(struct log *l, const struct entry *e, uint64_t first,
		       uint64_t count)
{
	uint64_t off = e->sector * l->ss + first * granularity;
	uint64_t len = count * granularity;
	void *buf;

	/*
	 * A discarded range reads back as zeroes here (the replay target
	 * is not the device the log was taken on).  In a file, a hole is
	 * that, and keeps the image sparse for whoever copies it.
	 */
	if ((e->flags & LW_DISCARD) && target_is_file &&
	    !fallocate(target_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len))
		return;
	buf = xalloc(len);
	if (e->flags & LW_DISCARD)
		memset(buf, 0, len);
	else
		pread_all(l->fd, buf, len, e->data + first * granularity, "entry data");
	pwrite_all(target_fd, buf, len, off);
	free(buf);
}

static void apply_whole(struct log *l, const struct entry *e)
{
	if (has_data(e))
		apply_part(l, e, 0, e->nr * l->ss / granularity);
}

static void save(struct undo **u, size_t *nu, uint64_t off, uint64_t len)
{
	struct undo *r;

	*u = realloc(*u, (*nu + 1) * sizeof(**u));
	if (!*u)
		die("out of memory");
	r = &(*u)[(*nu)++];
	r->off = off;
	r->len = len;
	r->old = xalloc(len);
	pread_all(target_fd, r->old, len, off, target_path);
}

static void restore(struct undo *u, size_t nu)
{
	while (nu--) {
		pwrite_all(target_fd, u[nu].old, u[nu].len, u[nu].off);
		free(u[nu].old);
	}
	free(u);
}

struct point_result {
	long entry, durable;
	unsigned inflight, lost, whole, torn, atomic;
	int status;
};

/*
 * Apply the in-flight entries (from, to] of crash point "to" onto the
 * target, recording undo records; returns what was done with them.
 */
static void overlay(struct log *l, long from, long to, uint64_t seed,
		    struct point_result *pr, struct undo **u, size_t *nu)
{
	uint64_t rs = seed ^ ((uint64_t)to * 0xd1342543de82ef95ULL);
	long i;

	for (i = from; i <= to; i++) {
		const struct entry *e = &l->e[i];
		uint64_t blocks, b, first, *pick;
		enum fate f;

		if (!has_data(e))
			continue;
		pr->inflight++;
		blocks = e->nr * l->ss / granularity;
		if (e->flags & LW_FUA) {
			f = WHOLE;
		} else if (e->flags & LW_ATOMIC) {
			pr->atomic++;
			f = rng_below(&rs, 2) ? WHOLE : LOST;
		} else {
			f = (enum fate)rng_below(&rs, 3);
			if (f == TORN && blocks < 2)
				f = rng_below(&rs, 2) ? WHOLE : LOST;
		}
		switch (f) {
		case LOST:
			pr->lost++;
			break;
		case WHOLE:
			pr->whole++;
			save(u, nu, e->sector * l->ss, e->nr * l->ss);
			apply_whole(l, e);
			break;
		case TORN:
			pr->torn++;
			save(u, nu, e->sector * l->ss, e->nr * l->ss);
			/* a non-empty proper subset of the blocks */
			pick = calloc(blocks, sizeof(*pick));
			if (!pick)
				die("out of memory");
			do {
				uint64_t n = 0;

				for (b = 0; b < blocks; b++)
					pick[b] = rng_below(&rs, 2);
				for (b = 0; b < blocks; b++)
					n += pick[b];
				if (n > 0 && n < blocks)
					break;
			} while (1);
			for (b = 0; b < blocks; b = first) {
				first = b;
				while (first < blocks && pick[first] == pick[b])
					first++;
				if (pick[b])
					apply_part(l, e, b, first - b);
			}
			free(pick);
			break;
		}
	}
}

static int run_check(const char *cmd, long entry, uint64_t seed)
{
	pid_t pid;
	int st;
	char buf[32];

	if (!cmd)
		return 0;
	if (fdatasync(target_fd))
		die("fdatasync %s: %s", target_path, strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		snprintf(buf, sizeof(buf), "%ld", entry);
		setenv("CRASH_POINT", buf, 1);
		snprintf(buf, sizeof(buf), "%" PRIu64, seed);
		setenv("CRASH_SEED", buf, 1);
		setenv("CRASH_TARGET", target_path, 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		die("waitpid: %s", strerror(errno));
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int cmd_info(int argc, char **argv)
{
	struct log l;
	uint64_t i, c[6] = { 0 }, bytes = 0;
	static const char *const names[6] = {
		"flush", "fua", "discard", "mark", "metadata", "atomic" };

	if (argc != 2)
		die("usage: replay info LOG");
	log_open(&l, argv[1]);
	printf("sector size %u, %" PRIu64 " entries\n", l.ss, l.n);
	for (i = 0; i < l.n; i++) {
		int b;

		for (b = 0; b < 6; b++)
			c[b] += !!(l.e[i].flags & (1u << b));
		if (has_data(&l.e[i]) && !(l.e[i].flags & LW_DISCARD))
			bytes += l.e[i].nr * l.ss;
		if (l.e[i].mark)
			printf("entry %" PRIu64 ": mark %s\n", i, l.e[i].mark);
	}
	for (i = 0; i < 6; i++)
		printf("%s %" PRIu64 "\n", names[i], c[i]);
	printf("data bytes %" PRIu64 "\n", bytes);
	printf("log bytes %" PRIu64 "\n", l.bytes);
	return 0;
}

/* dump: one line per entry, for debugging a finding */
static int cmd_dump(int argc, char **argv)
{
	struct log l;
	uint64_t i;

	if (argc != 2)
		die("usage: replay dump LOG");
	log_open(&l, argv[1]);
	for (i = 0; i < l.n; i++) {
		const struct entry *e = &l.e[i];

		printf("%" PRIu64 "\tsector %" PRIu64 "\tnr %" PRIu64 "\t%s%s%s%s%s%s%s\n",
		       i, e->sector, e->nr,
		       e->flags & LW_FLUSH ? " flush" : "",
		       e->flags & LW_FUA ? " fua" : "",
		       e->flags & LW_DISCARD ? " discard" : "",
		       e->flags & LW_METADATA ? " meta" : "",
		       e->flags & LW_ATOMIC ? " atomic" : "",
		       e->mark ? " mark " : "", e->mark ? e->mark : "");
	}
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "start-mark", required_argument, NULL, 'm' },
		{ "end-mark", required_argument, NULL, 'e' },
		{ "batch-end", no_argument, NULL, 'b' },
		{ "stop-after", required_argument, NULL, 'a' },
		{ "points", required_argument, NULL, 'n' },
		{ "point", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ "granularity", required_argument, NULL, 'g' },
		{ "exec", required_argument, NULL, 'x' },
		{ "results", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *start_mark = NULL, *end_mark = NULL, *cmd = NULL, *results = NULL;
	long npoints = 100, only = -1, start = -1, end, applied, pending = -1, stop_after = 0;
	bool batch_end = false;
	uint64_t seed = 0, gran = 0, ss;
	bool have_seed = false;
	long *points, count, np, j, i;
	unsigned failed = 0, errors = 0, torn_points = 0;
	time_t last_progress = time(NULL);
	FILE *rf = NULL;
	struct stat st;
	struct log l;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'm': start_mark = optarg; break;
		case 'e': end_mark = optarg; break;
		case 'b': batch_end = true; break;
		case 'a': stop_after = strtol(optarg, &end, 10);
			if (*end || stop_after < 1)
				die("--stop-after takes a number >= 1, not '%s'", optarg);
			break;
		case 'n': npoints = strtol(optarg, &end, 10);
			if (*end || npoints < 1)
				die("--points takes a number >= 1, not '%s'", optarg);
			break;
		case 'p': only = strtol(optarg, &end, 10);
			if (*end || only < 0)
				die("--point takes an entry number, not '%s'", optarg);
			break;
		case 's': seed = strtoull(optarg, &end, 10); have_seed = true;
			if (*end || !*optarg)
				die("--seed takes a number, not '%s'", optarg);
			break;
		case 'g': gran = strtoull(optarg, &end, 10);
			if (*end || gran < 512 || (gran & (gran - 1)))
				die("--granularity takes a power of two >= 512, not '%s'", optarg);
			break;
		case 'x': cmd = optarg; break;
		case 'r': results = optarg; break;
		default: die("usage: replay run [options] LOG TARGET (see the top of replay.c)");
		}
	}
	if (argc - optind != 2)
		die("usage: replay run [options] LOG TARGET");
	if (!have_seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec;
		seed %= 1000000000ULL;
	}
	log_open(&l, argv[optind]);
	target_path = argv[optind + 1];
	ss = l.ss;
	granularity = gran ? gran : ss;
	if (granularity > ss || ss % granularity)
		die("--granularity %" PRIu64 " does not divide the log's sector size %" PRIu64,
		    granularity, ss);
	/* O_DIRECT on a block device, so that readers of it see our writes */
	target_fd = open(target_path, O_RDWR);
	if (target_fd >= 0 && fstat(target_fd, &st) == 0 && S_ISBLK(st.st_mode)) {
		close(target_fd);
		target_fd = open(target_path, O_RDWR | O_DIRECT);
	}
	if (target_fd < 0)
		die("%s: %s", target_path, strerror(errno));
	target_is_file = S_ISREG(st.st_mode);
	if (start_mark) {
		for (i = 0; i < (long)l.n; i++)
			if (l.e[i].mark && !strcmp(l.e[i].mark, start_mark))
				break;
		if (i == (long)l.n)
			die("%s: no mark '%s' in the log", argv[optind], start_mark);
		start = i;
	}
	end = (long)l.n - 1;
	if (end_mark) {
		for (i = start + 1; i < (long)l.n; i++)
			if (l.e[i].mark && !strcmp(l.e[i].mark, end_mark))
				break;
		if (i == (long)l.n)
			die("%s: no mark '%s' after the start", argv[optind], end_mark);
		end = i - 1;
	}
	count = end - start;
	if (count < 1)
		die("%s: no entries after the start", argv[optind]);
	if (only >= 0) {
		if (only <= start || only > end)
			die("--point %ld is not an entry after the start (%ld..%ld)",
			    only, start + 1, end);
		np = 1;
		points = malloc(sizeof(long));
		points[0] = only;
	} else {
		uint64_t ps = seed ^ 0x5bd1e995ULL;

		np = npoints < count ? npoints : count;
		points = malloc(np * sizeof(long));
		for (j = 0; j < np; j++) {
			long lo = start + 1 + j * count / np;
			long hi = start + 1 + (j + 1) * count / np;

			points[j] = np == count ? lo : lo + (long)rng_below(&ps, hi - lo);
			if (batch_end)
				while (points[j] < end && !(l.e[points[j] + 1].flags & LW_FLUSH))
					points[j]++;
		}
	}
	if (results) {
		rf = fopen(results, "w");
		if (!rf)
			die("%s: %s", results, strerror(errno));
		fprintf(rf, "point\tentry\tdurable_to\tinflight\tlost\twhole\ttorn\tatomic\tstatus\n");
	}
	printf("replay: %" PRIu64 " entries, sector size %" PRIu64 ", granularity %" PRIu64
	       ", %ld crash points in entries %ld..%ld%s, seed %" PRIu64 "\n",
	       l.n, ss, granularity, np, start + 1, end,
	       batch_end ? " (batch ends)" : "", seed);
	fflush(stdout);

	/* everything up to the start is on the device */
	for (i = 0; i <= start; i++)
		apply_whole(&l, &l.e[i]);
	applied = start;

	for (j = 0; j < np; j++) {
		struct point_result pr = { .entry = points[j] };
		long n = points[j], d = l.last_flush[n], from;
		struct undo *u = NULL;
		size_t nu = 0;

		if (d < start)
			d = start;
		/* advance the durable base to the last flush d */
		if (d > applied) {
			if (pending >= 0)
				apply_whole(&l, &l.e[pending]);
			pending = -1;
			for (i = applied + 1; i < d; i++)
				apply_whole(&l, &l.e[i]);
			/* a flush's own data is durable only with FUA */
			if (has_data(&l.e[d]) && !(l.e[d].flags & LW_FUA))
				pending = d;
			else
				apply_whole(&l, &l.e[d]);
			applied = d;
		}
		from = pending >= 0 ? pending : d + 1;
		pr.durable = d;
		overlay(&l, from, n, seed, &pr, &u, &nu);
		pr.status = run_check(cmd, n, seed);
		restore(u, nu);
		if (pr.status == 1)
			failed++;
		else if (pr.status != 0)
			errors++;
		if (pr.torn)
			torn_points++;
		if (rf)
			fprintf(rf, "%ld\t%ld\t%ld\t%u\t%u\t%u\t%u\t%u\t%d\n", j, pr.entry,
				pr.durable, pr.inflight, pr.lost, pr.whole, pr.torn,
				pr.atomic, pr.status);
		if (pr.status) {
			printf("crash point %ld (entry %ld): check %s (exit %d); in flight %u "
			       "(lost %u, whole %u, torn %u, atomic %u); repeat with: "
			       "replay run --point %ld --seed %" PRIu64 "%s%s ...\n",
			       j, n, pr.status == 1 ? "FAILED" : "ERROR", pr.status,
			       pr.inflight, pr.lost, pr.whole, pr.torn, pr.atomic, n, seed,
			       start_mark ? " --start-mark " : "", start_mark ? start_mark : "");
			fflush(stdout);
		}
		if (stop_after && failed >= (unsigned)stop_after) {
			np = j + 1;
			break;
		}
		if (time(NULL) - last_progress >= 10) {
			last_progress = time(NULL);
			fprintf(stderr, "replay: %ld/%ld crash points, %u failed, %u errors\n",
				j + 1, np, failed, errors);
		}
	}
	if (rf)
		fclose(rf);
	printf("replay: %ld crash points, %ld consistent, %u failed, %u errors, "
	       "%u with a partly applied write, seed %" PRIu64 "\n",
	       np, np - failed - errors, failed, errors, torn_points, seed);
	return errors ? 2 : failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "info"))
		return cmd_info(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "dump"))
		return cmd_dump(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	die("usage: replay info|dump|run ... (see the top of replay.c)");
	return 2;
}

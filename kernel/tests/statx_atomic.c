// SPDX-License-Identifier: GPL-2.0
/*
 * statx_atomic: print what statx(STATX_WRITE_ATOMIC) reports for a file,
 * as "unit_min=N unit_max=N unit_max_opt=N segments_max=N".
 *
 * With --min-max BYTES, also fail (exit 1) unless atomic writes of BYTES
 * are within [unit_min, unit_max].
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wtsmgr_uapi.h"

int main(int argc, char **argv)
{
	struct wtsmgr_atomic_limits lim;
	unsigned long need = 0;
	const char *path;
	int fd;

	if (argc == 4 && strcmp(argv[1], "--min-max") == 0) {
		char *end;

		need = strtoul(argv[2], &end, 0);
		if (*end || !need) {
			fprintf(stderr, "statx_atomic: bad size %s\n", argv[2]);
			return 2;
		}
		path = argv[3];
	} else if (argc == 2) {
		path = argv[1];
	} else {
		fprintf(stderr, "usage: statx_atomic [--min-max BYTES] FILE\n");
		return 2;
	}

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "statx_atomic: %s: %s\n", path, strerror(errno));
		return 2;
	}
	if (wtsmgr_atomic_limits_fd(fd, &lim) != 0) {
		fprintf(stderr, "statx_atomic: statx %s: %s\n", path, strerror(errno));
		return 2;
	}
	close(fd);
	printf("unit_min=%u unit_max=%u unit_max_opt=%u segments_max=%u\n",
	       lim.unit_min, lim.unit_max, lim.unit_max_opt, lim.segments_max);
	if (need && (lim.unit_min == 0 || need < lim.unit_min || need > lim.unit_max)) {
		fprintf(stderr, "statx_atomic: %s: atomic writes of %lu bytes are not allowed\n",
			path, need);
		return 1;
	}
	return 0;
}

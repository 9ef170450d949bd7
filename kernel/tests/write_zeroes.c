// SPDX-License-Identifier: GPL-2.0
/*
 * write_zeroes: fallocate(FALLOC_FL_WRITE_ZEROES) a range of a file,
 * creating it if needed, and check that the range reads back as zeroes.
 *
 * usage: write_zeroes FILE OFFSET LENGTH
 * exit 0: done and verified; 1: fallocate failed (errno printed) or the
 * data is not zero; 2: usage or setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wtsmgr_uapi.h"

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	long long off, len, done;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: write_zeroes FILE OFFSET LENGTH\n");
		return 2;
	}
	off = atoll(argv[2]);
	len = atoll(argv[3]);
	if (off < 0 || len <= 0) {
		fprintf(stderr, "write_zeroes: bad range %s+%s\n", argv[2], argv[3]);
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (fd < 0) {
		fprintf(stderr, "write_zeroes: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	if (fallocate(fd, FALLOC_FL_WRITE_ZEROES, off, len) != 0) {
		fprintf(stderr, "write_zeroes: fallocate(FALLOC_FL_WRITE_ZEROES) %s: %s\n",
			argv[1], strerror(errno));
		return 1;
	}
	for (done = 0; done < len; ) {
		ssize_t n = pread(fd, buf, sizeof(buf) < (size_t)(len - done) ?
				  sizeof(buf) : (size_t)(len - done), off + done);

		if (n <= 0) {
			fprintf(stderr, "write_zeroes: read back at %lld: %s\n",
				off + done, n ? strerror(errno) : "end of file");
			return 1;
		}
		for (ssize_t i = 0; i < n; i++)
			if (buf[i]) {
				fprintf(stderr, "write_zeroes: byte %lld is not zero\n",
					off + done + i);
				return 1;
			}
		done += n;
	}
	close(fd);
	printf("write_zeroes: %lld bytes at %lld zeroed\n", len, off);
	return 0;
}

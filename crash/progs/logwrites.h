/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The on-disk format of a dm-log-writes log, as the kernel writes it
 * (drivers/md/dm-log-writes.c; Documentation/admin-guide/device-mapper/
 * log-writes.rst).  All fields are little-endian.
 *
 * Sector 0 (in units of the log's sector size, which is the logical
 * block size of the logged device) holds the super block.  Entries
 * follow from sector 1: one sector with the entry header (a mark's text
 * follows the header in the same sector), then, for writes, the data
 * written: nr_sectors sectors.  Discards and marks carry no data
 * sectors.  The entry's sector and nr_sectors are in the same units.
 */
#ifndef CRASH_LOGWRITES_H
#define CRASH_LOGWRITES_H

#include <stdint.h>

#define LW_MAGIC	0x6a736677736872ULL
#define LW_VERSION	1

#define LW_FLUSH	(1u << 0)	/* REQ_PREFLUSH: earlier entries are durable */
#define LW_FUA		(1u << 1)	/* REQ_FUA: this entry's data is durable */
#define LW_DISCARD	(1u << 2)
#define LW_MARK		(1u << 3)	/* a mark; its text follows the header */
#define LW_METADATA	(1u << 4)
#define LW_ATOMIC	(1u << 5)	/* REQ_ATOMIC: all sectors or none */

struct lw_super {
	uint64_t magic;
	uint64_t version;
	uint64_t nr_entries;
	uint32_t sectorsize;
} __attribute__((packed));

struct lw_entry {
	uint64_t sector;
	uint64_t nr_sectors;
	uint64_t flags;
	uint64_t data_len;
} __attribute__((packed));

#endif

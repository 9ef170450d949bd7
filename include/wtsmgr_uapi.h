/*
 * wtsmgr_uapi.h
 *	  Kernel interface values that wtsmgr relies on and that system
 *	  headers may lack: RWF_WRITETHROUGH (added by our kernel series),
 *	  RWF_ATOMIC (6.11), FALLOC_FL_WRITE_ZEROES (6.17) and the atomic-write
 *	  fields of statx (6.11, unit_max_opt 6.16).
 *
 *	  Shared by the extension and the kernel tests; plain C, no PostgreSQL
 *	  headers.  The statx call is made through syscall(2) with our own
 *	  copy of the structure so that old C libraries work as well.
 *
 * include/wtsmgr_uapi.h
 */
#ifndef WTSMGR_UAPI_H
#define WTSMGR_UAPI_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* preadv2/pwritev2 flags (include/uapi/linux/fs.h) */
#ifndef RWF_DSYNC
#define RWF_DSYNC			0x00000002
#endif
#ifndef RWF_ATOMIC
#define RWF_ATOMIC			0x00000040
#endif
#ifndef RWF_DONTCACHE
#define RWF_DONTCACHE		0x00000080
#endif
/* Buffered write-through: our kernel series, kernel/patches/. */
#ifndef RWF_WRITETHROUGH
#define RWF_WRITETHROUGH	0x00000200
#endif

/* fallocate mode (include/uapi/linux/falloc.h) */
#ifndef FALLOC_FL_WRITE_ZEROES
#define FALLOC_FL_WRITE_ZEROES	0x00000080
#endif

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH		0x1000
#endif

#define WTSMGR_STATX_WRITE_ATOMIC		0x00010000U
#define WTSMGR_STATX_ATTR_WRITE_ATOMIC	0x00400000ULL

/*
 * struct statx as of Linux 7.3 (include/uapi/linux/stat.h), 256 bytes.
 * Only the fields wtsmgr reads are named; the layout is ABI.
 */
struct wtsmgr_statx
{
	uint32_t	stx_mask;
	uint32_t	stx_blksize;
	uint64_t	stx_attributes;
	uint32_t	stx_nlink;
	uint32_t	stx_uid;
	uint32_t	stx_gid;
	uint16_t	stx_mode;
	uint16_t	spare0;
	uint64_t	stx_ino;
	uint64_t	stx_size;
	uint64_t	stx_blocks;
	uint64_t	stx_attributes_mask;
	uint8_t		timestamps[4 * 16];	/* atime, btime, ctime, mtime */
	uint32_t	stx_rdev_major;
	uint32_t	stx_rdev_minor;
	uint32_t	stx_dev_major;
	uint32_t	stx_dev_minor;
	uint64_t	stx_mnt_id;
	uint32_t	stx_dio_mem_align;
	uint32_t	stx_dio_offset_align;
	uint64_t	stx_subvol;
	uint32_t	stx_atomic_write_unit_min;
	uint32_t	stx_atomic_write_unit_max;
	uint32_t	stx_atomic_write_segments_max;
	uint32_t	stx_dio_read_offset_align;
	uint32_t	stx_atomic_write_unit_max_opt;
	uint32_t	spare2;
	uint64_t	spare3[8];
};

_Static_assert(sizeof(struct wtsmgr_statx) == 256, "struct statx is 256 bytes");
_Static_assert(offsetof(struct wtsmgr_statx, stx_atomic_write_unit_min) == 0xa8,
			   "stx_atomic_write_unit_min is at 0xa8");

/* What statx(STATX_WRITE_ATOMIC) says about one file. */
typedef struct wtsmgr_atomic_limits
{
	uint32_t	unit_min;		/* 0: no atomic writes */
	uint32_t	unit_max;
	uint32_t	unit_max_opt;	/* 0: not reported */
	uint32_t	segments_max;
} wtsmgr_atomic_limits;

/*
 * Atomic-write limits of an open file.  Returns 0 on success, -1 with
 * errno set if statx failed.  A kernel without STATX_WRITE_ATOMIC, or a
 * file without atomic writes, gives all zeroes.
 */
static inline int
wtsmgr_atomic_limits_fd(int fd, wtsmgr_atomic_limits *lim)
{
	struct wtsmgr_statx stx;

	memset(&stx, 0, sizeof(stx));
	memset(lim, 0, sizeof(*lim));
	if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH,
				WTSMGR_STATX_WRITE_ATOMIC, &stx) != 0)
		return -1;
	if (!(stx.stx_mask & WTSMGR_STATX_WRITE_ATOMIC))
		return 0;
	lim->unit_min = stx.stx_atomic_write_unit_min;
	lim->unit_max = stx.stx_atomic_write_unit_max;
	lim->unit_max_opt = stx.stx_atomic_write_unit_max_opt;
	lim->segments_max = stx.stx_atomic_write_segments_max;
	return 0;
}

#endif							/* WTSMGR_UAPI_H */

/*-------------------------------------------------------------------------
 *
 * wtsmgr.h
 *	  Declarations shared by the files of the wtsmgr extension.
 *
 * include/wtsmgr.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef WTSMGR_H
#define WTSMGR_H

#include <sys/types.h>
#include <sys/uio.h>

#include "access/xlog.h"
#include "datatype/timestamp.h"
#include "storage/fd.h"

/*
 * A server patched with contrib_wtsmgr/postgresql-18-write-hooks.patch
 * declares file_pwritev_hook (fd.h) and wal_segment_init_hook (xlog.h):
 * the write path is then installed as these hooks instead of by rebinding
 * the executable's calls to libc.  The patch adds both or neither.
 */
#if defined(PG_HAVE_FILE_PWRITEV_HOOK) != defined(PG_HAVE_WAL_SEGMENT_INIT_HOOK)
#error "the server declares only one of file_pwritev_hook and wal_segment_init_hook"
#endif

/*
 * The write classification relies on wait event numbers, which change
 * between major versions, and the full_page_writes veto on the layout of
 * core GUC records.  Both have been checked for 18 only.
 */
#define WTSMGR_SUPPORTED_MAJOR	18

/* wtsmgr.mode */
typedef enum WtsmgrMode
{
	WTSMGR_MODE_OFF,
	WTSMGR_MODE_WRITETHROUGH,
	WTSMGR_MODE_ATOMIC,
} WtsmgrMode;

/* wtsmgr.full_page_writes */
typedef enum WtsmgrFpwPolicy
{
	WTSMGR_FPW_AUTO,
	WTSMGR_FPW_KEEP,
} WtsmgrFpwPolicy;

/* wtsmgr.inject_atomic_failure: make atomic data writes fail (tests) */
typedef enum WtsmgrInject
{
	WTSMGR_INJECT_OFF,
	WTSMGR_INJECT_UNSUPPORTED,	/* EOPNOTSUPP: no atomic write here */
	WTSMGR_INJECT_ENOSPC,		/* out of space */
	WTSMGR_INJECT_EIO,			/* device error */
} WtsmgrInject;

/* wtsmgr.async_writes: which processes submit data writes asynchronously */
typedef enum WtsmgrAsync
{
	WTSMGR_ASYNC_OFF,
	WTSMGR_ASYNC_BACKGROUND,	/* the checkpointer and the bgwriter */
	WTSMGR_ASYNC_ALL,			/* every process */
} WtsmgrAsync;

/* wtsmgr.inject_async_fault: break the asynchronous path (tests) */
typedef enum WtsmgrAsyncFault
{
	WTSMGR_ASYNC_FAULT_OFF,
	WTSMGR_ASYNC_FAULT_EIO,		/* a completed write reports EIO */
	WTSMGR_ASYNC_FAULT_LATE_COPY,	/* the page reaches the kernel only at
									 * the process's next data write */
} WtsmgrAsyncFault;

/* GUC variables (wtsmgr.c) */
extern int	wtsmgr_mode;
extern int	wtsmgr_fpw_policy;
extern bool wtsmgr_wal_write_zeroes;
extern int	wtsmgr_inject_atomic_failure;
extern bool wtsmgr_allow_unproven_start;
extern int	wtsmgr_async_writes;
extern int	wtsmgr_max_inflight_writes;
extern int	wtsmgr_inject_async_fault;

/* What the write path really does, decided at startup (wtsmgr.c) */
extern int	wtsmgr_effective_mode;
extern bool wtsmgr_kernel_writethrough;
extern const char *wtsmgr_mode_name(int mode);

/*
 * probe.c: one location (PGDATA or a tablespace directory) and what was
 * found there.
 */
typedef struct WtsmgrLocation
{
	char		tablespace[64]; /* "pg_default" or the tablespace OID */
	char		path[1024];
	bool		has_device;		/* st_dev names a block device in sysfs */
	unsigned int dev_major;
	unsigned int dev_minor;
	char		dev_name[64];	/* e.g. "nvme0n1p1", "" when unknown */
	/* statx(STATX_WRITE_ATOMIC) on a file there */
	uint32		unit_min;
	uint32		unit_max;
	uint32		unit_max_opt;
	/* the device's queue limits from sysfs, -1 when unknown */
	int64		dev_atomic_unit_min;
	int64		dev_atomic_unit_max;
	int64		dev_atomic_max_bytes;
	int64		dev_atomic_boundary;	/* atomic_write_boundary_bytes */
	char		dev_write_cache[16];	/* "write back", "write through" */
	/* NVMe Identify data (nvme.c), in bytes; -1 unknown */
	char		nvme_report[128];	/* "ok", why not, or "" (not NVMe) */
	int64		nvme_awun;
	int64		nvme_awupf;
	int64		nvme_nawun;
	int64		nvme_nawupf;
	int64		nvme_boundary;	/* power-fail atomic boundary, 0: none */
	int64		nvme_boundary_offset;
	int			nvme_vwc;		/* volatile write cache: 1, 0, -1 */
	bool		file_created;	/* the probe file could be created */
	bool		writethrough_ok;	/* pwritev2(RWF_WRITETHROUGH) worked */
	int			writethrough_errno;
	bool		atomic_ok;		/* pwritev2(RWF_WRITETHROUGH|RWF_ATOMIC) */
	int			atomic_errno;
	/* an io_uring atomic write-through write with RWF_NOWAIT */
	bool		async_ok;
	int			async_errno;
	bool		limits_ok;		/* BLCKSZ within [unit_min, unit_max] */
	bool		probe_ok;		/* all of the above */
	char		reason[256];
} WtsmgrLocation;

extern void wtsmgr_probe_path(const char *path, WtsmgrLocation *loc);

/* nvme.c */
extern void wtsmgr_nvme_report(WtsmgrLocation *loc);
extern bool wtsmgr_nvme_admits_pages(const WtsmgrLocation *loc, char *why,
									 size_t whylen);
extern void wtsmgr_probe_startup(void);
extern int	wtsmgr_nlocations;
extern WtsmgrLocation *wtsmgr_locations;

/* fpw.c */
extern bool wtsmgr_atomic_proven;
extern bool wtsmgr_fpw_forced;
extern bool wtsmgr_last_checkpoint_fpw(void);
extern char wtsmgr_fpw_reason[512];
extern void wtsmgr_fpw_startup(void);
extern void wtsmgr_fpw_install_veto(void);
extern void wtsmgr_utility_init(void);
extern void wtsmgr_replay_warning_init(void);

/* rebind.c */
extern const char *wtsmgr_write_path_method;
extern int	wtsmgr_rebound_slots;
extern bool wtsmgr_rebound_barriers;
extern void wtsmgr_take_over_writes(void);
extern void wtsmgr_check_take_over(void);

/*
 * write_path.c: the write path, entered through the core hooks or through
 * replacements of the libc functions; the real libc functions behind it.
 */
extern void wtsmgr_report_atomic_failure(int elevel, int fd, off_t offset,
										 int save_errno, const char *detail,
										 const char *hint);
extern ssize_t (*wtsmgr_real_pwritev) (int fd, const struct iovec *iov,
									   int iovcnt, off_t offset);
#ifdef PG_HAVE_FILE_PWRITEV_HOOK
extern ssize_t wtsmgr_file_pwritev(int fd, const struct iovec *iov,
								   int iovcnt, off_t offset,
								   uint32 wait_event_info);
extern ssize_t wtsmgr_wal_segment_init(int fd, size_t size);
#else
extern ssize_t (*wtsmgr_real_pwrite) (int fd, const void *buf, size_t n,
									  off_t offset);
extern int	(*wtsmgr_real_posix_fallocate) (int fd, off_t offset, off_t len);
extern ssize_t wtsmgr_pwrite(int fd, const void *buf, size_t n, off_t offset);
extern ssize_t wtsmgr_pwritev(int fd, const struct iovec *iov, int iovcnt,
							  off_t offset);
extern int	wtsmgr_posix_fallocate(int fd, off_t offset, off_t len);
#endif

/*
 * async_writes.c: atomic data writes submitted through io_uring, and the
 * barriers that complete them (replacements of libc functions).
 */
extern bool wtsmgr_async_proven;	/* decided in the postmaster */
extern char wtsmgr_async_reason[256];
extern void wtsmgr_async_probe(int fd, const struct iovec *iov,
							   WtsmgrLocation *loc);
extern void wtsmgr_async_decide(void);
extern const char *wtsmgr_async_name(int value);
extern bool wtsmgr_async_write_page(int fd, const struct iovec *iov,
									int iovcnt, off_t offset);
extern int	wtsmgr_async_fsync(int fd);
extern int	wtsmgr_async_fdatasync(int fd);
extern int	wtsmgr_async_sync_file_range(int fd, off_t offset, off_t nbytes,
										 unsigned int flags);
extern int	wtsmgr_async_ftruncate(int fd, off_t length);
extern int	wtsmgr_async_close(int fd);
extern int	wtsmgr_async_unlink(const char *path);
extern int	wtsmgr_async_epoll_wait(int epfd, void *events, int maxevents,
									int timeout);
extern int	(*wtsmgr_real_fsync) (int fd);
extern int	(*wtsmgr_real_fdatasync) (int fd);
extern int	(*wtsmgr_real_sync_file_range) (int fd, off_t offset,
											off_t nbytes, unsigned int flags);
extern int	(*wtsmgr_real_ftruncate) (int fd, off_t length);
extern int	(*wtsmgr_real_close) (int fd);
extern int	(*wtsmgr_real_unlink) (const char *path);
extern int	(*wtsmgr_real_epoll_wait) (int epfd, void *events, int maxevents,
									   int timeout);

/* stats.c: counters in shared memory, per process, read per backend type */
typedef enum WtsmgrCounter
{
	WTSMGR_C_ATOMIC_WRITES,		/* pwritev2(WT|ATOMIC) calls, one a page */
	WTSMGR_C_ATOMIC_BYTES,
	WTSMGR_C_WT_WRITES,			/* pwritev2(WT) calls */
	WTSMGR_C_WT_BYTES,
	WTSMGR_C_PASS_WRITES,		/* data writes passed through unchanged */
	WTSMGR_C_PASS_BYTES,
	WTSMGR_C_ATOMIC_FAILURES,	/* atomic writes refused by the kernel */
	WTSMGR_C_EXTEND_ZEROES,		/* relation extension by write-zeroes */
	WTSMGR_C_EXTEND_FALLBACK,	/* ... by posix_fallocate after all */
	WTSMGR_C_WAL_SEG_ZEROES,	/* WAL segments zeroed by write-zeroes */
	WTSMGR_C_WAL_SEG_FALLBACK,	/* WAL segments zero-filled after all */
	WTSMGR_C_WAL_ZEROES_BYTES,
	/* since 1.3 */
	WTSMGR_C_ASYNC_WRITES,		/* atomic writes submitted asynchronously */
	WTSMGR_C_ASYNC_REFUSED,		/* ... refused inline, written synchronously */
	WTSMGR_C_ASYNC_WAITS,		/* waits for completions (sync, full, sleep) */
	WTSMGR_C_ASYNC_WAIT_US,		/* time spent in those waits, microseconds */
	WTSMGR_NCOUNTERS
} WtsmgrCounter;

extern void wtsmgr_stats_init(void);
extern void wtsmgr_count(WtsmgrCounter c, uint64 value);
extern void wtsmgr_set_inflight(int inflight);
extern void wtsmgr_stats_inflight(int64 inflight[], int64 peak[]);
extern bool wtsmgr_log_wal_fallback_once(void);
extern bool wtsmgr_stats_available(void);
extern void wtsmgr_stats_read(uint64 values[][WTSMGR_NCOUNTERS]);
extern TimestampTz wtsmgr_stats_reset_time(void);
extern void wtsmgr_stats_reset(void);
extern void wtsmgr_record_location(Oid spcoid, const WtsmgrLocation *probe);
extern int	wtsmgr_lookup_location(unsigned int dev_major,
								   unsigned int dev_minor);
extern uint32 wtsmgr_unproven_new_locations(char *reason, size_t reasonlen);

#endif							/* WTSMGR_H */

/*-------------------------------------------------------------------------
 *
 * rebind.c
 *	  Take over the server's data writes and WAL segment zero-fill.
 *
 * Stock PostgreSQL has no hook on its file writes.  When the server
 * headers declare them (the core patch in contrib_wtsmgr/ adds
 * file_pwritev_hook and wal_segment_init_hook), the hooks are installed.
 * Relation extension by posix_fallocate then stays PostgreSQL's own: the
 * patch has no hook there (see contrib_wtsmgr/README.md).
 *
 * Otherwise the postgres executable's own relocation slots for pwrite,
 * pwritev and posix_fallocate are rebound to our replacements: the
 * executable calls them through its PLT, which jumps through these slots.
 * Either is done in the postmaster before any child exists, so every
 * server process inherits it.
 *
 * In both builds the slots of fsync, fdatasync, sync_file_range,
 * ftruncate, close, unlink and epoll_wait are rebound too, to the
 * barriers of the asynchronous writes (async_writes.c): they are
 * optional, and without all of them writes stay synchronous.
 *
 * With full RELRO (Debian builds with -z now -z relro) the slots are
 * read-only after start-up: the page is made writable, the slot written
 * and the page given back the protection /proc/self/maps says it had.
 * Once every preloaded library has been loaded, the slots are checked
 * again: a library loaded after us must not have rebound them.  Each slot must hold libc's function
 * before (or, with lazy binding, a PLT stub of the executable) and ours
 * after; anything else is an unknown layout, and the server refuses to
 * start rather than run half rerouted.
 *
 * src/rebind.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/auxv.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wtsmgr.h"

const char *wtsmgr_write_path_method = "none";
int			wtsmgr_rebound_slots = 0;


#if defined(__x86_64__)
#define R_JUMP_SLOT R_X86_64_JUMP_SLOT
#define R_GLOB_DAT	R_X86_64_GLOB_DAT
#elif defined(__aarch64__)
#define R_JUMP_SLOT R_AARCH64_JUMP_SLOT
#define R_GLOB_DAT	R_AARCH64_GLOB_DAT
#else
#define WTSMGR_NO_REBIND 1
#endif

typedef struct RebindTarget
{
	const char *names[3];		/* symbol names that may be used */
	void	   *libc;			/* libc's function, as this library sees it */
	void	   *replacement;
	bool		required;
	void	  **real;			/* set to libc's function once rebound */
	int			nslots;			/* slots found */
	void	  **slots[4];
} RebindTarget;

#ifndef WTSMGR_NO_REBIND

typedef struct MainProgram
{
	ElfW(Addr)	base;
	const ElfW(Phdr) *phdr;
	int			phnum;
	bool		found;
} MainProgram;

static int
find_main_program(struct dl_phdr_info *info, size_t size, void *data)
{
	MainProgram *mp = data;

	if ((unsigned long) info->dlpi_phdr != getauxval(AT_PHDR))
		return 0;
	mp->base = info->dlpi_addr;
	mp->phdr = info->dlpi_phdr;
	mp->phnum = info->dlpi_phnum;
	mp->found = true;
	return 1;
}

/*
 * Dynamic-section pointers: the dynamic loader may or may not have
 * relocated them in place.
 */
static const void *
dyn_ptr(const MainProgram *mp, ElfW(Addr) value)
{
	return (const void *) (value < mp->base ? value + mp->base : value);
}

static void
scan_relocations(const MainProgram *mp, const ElfW(Rela) *rel, size_t size,
				 const ElfW(Sym) *symtab, const char *strtab,
				 RebindTarget *targets, int ntargets)
{
	for (size_t i = 0; i < size / sizeof(ElfW(Rela)); i++)
	{
		unsigned long type = ELF64_R_TYPE(rel[i].r_info);
		const char *name;

		if (type != R_JUMP_SLOT && type != R_GLOB_DAT)
			continue;
		name = strtab + symtab[ELF64_R_SYM(rel[i].r_info)].st_name;
		for (int t = 0; t < ntargets; t++)
		{
			RebindTarget *tg = &targets[t];

			for (int n = 0; n < lengthof(tg->names) && tg->names[n]; n++)
				if (strcmp(name, tg->names[n]) == 0 &&
					tg->nslots < lengthof(tg->slots))
					tg->slots[tg->nslots++] =
						(void **) (mp->base + rel[i].r_offset);
		}
	}
}

static bool
in_range(const void *p, ElfW(Addr) start, ElfW(Addr) len)
{
	return (ElfW(Addr)) p >= start && (ElfW(Addr)) p < start + len;
}

#endif							/* !WTSMGR_NO_REBIND */

/* The slots we rebound, checked again once every library is loaded. */
typedef struct ReboundSlot
{
	void	  **slot;
	void	   *value;
	const char *name;
} ReboundSlot;

static ReboundSlot rebound[32];

/* every barrier of async_writes.c was rebound */
bool		wtsmgr_rebound_barriers = false;

/* libc's function of that name, for the replacements to call. */
static void *
libc_function(const char *name)
{
	void	   *f = dlsym(RTLD_NEXT, name);

	if (f == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("wtsmgr could not take over the server's write calls"),
				 errdetail("dlsym(RTLD_NEXT, \"%s\") failed: %s", name, dlerror())));
	return f;
}

/*
 * The protection of the mapping that holds page, from /proc/self/maps;
 * -1 if not found.
 */
static int
page_protection(const void *page)
{
	FILE	   *f = fopen("/proc/self/maps", "r");
	char		line[512];
	int			prot = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
	{
		unsigned long start,
					end;
		char		perms[5];

		if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) != 3)
			continue;
		if ((unsigned long) page >= start && (unsigned long) page < end)
		{
			prot = (perms[0] == 'r' ? PROT_READ : 0) |
				(perms[1] == 'w' ? PROT_WRITE : 0) |
				(perms[2] == 'x' ? PROT_EXEC : 0);
			break;
		}
	}
	fclose(f);
	return prot;
}

static void
refuse(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("wtsmgr could not take over the server's write calls"),
			 errdetail("%s", detail),
			 errhint("This postgres executable has a layout wtsmgr does not know. Remove wtsmgr from \"shared_preload_libraries\" to start the server without it.")));
}

/*
 * Rebind the executable's slots of the targets to their replacements, and
 * point each target's "real" at libc's function.  Nothing is changed if a
 * required target has no slot or any slot is not as expected.
 */
static void
rebind_executable(RebindTarget *targets, int ntargets)
{
#ifdef WTSMGR_NO_REBIND
	for (int t = 0; t < ntargets; t++)
		if (targets[t].required)
			refuse("Rebinding is implemented for x86_64 and aarch64 only.");
#else
	MainProgram mp = {0};
	const ElfW(Dyn) *dyn = NULL;
	const ElfW(Sym) *symtab = NULL;
	const char *strtab = NULL;
	const ElfW(Rela) *jmprel = NULL,
			   *rela = NULL;
	size_t		pltrelsz = 0,
				relasz = 0;
	long		pltrel = DT_RELA;
	ElfW(Addr)	relro_start = 0,
				relro_len = 0,
				image_start = ~(ElfW(Addr)) 0,
				image_end = 0;
	long		pagesize = sysconf(_SC_PAGESIZE);
	char		detail[512];

	dl_iterate_phdr(find_main_program, &mp);
	if (!mp.found)
		refuse("The main program was not found among the loaded objects.");

	for (int i = 0; i < mp.phnum; i++)
	{
		const ElfW(Phdr) *ph = &mp.phdr[i];

		if (ph->p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *) (mp.base + ph->p_vaddr);
		else if (ph->p_type == PT_GNU_RELRO)
		{
			relro_start = mp.base + ph->p_vaddr;
			relro_len = ph->p_memsz;
		}
		else if (ph->p_type == PT_LOAD)
		{
			image_start = Min(image_start, mp.base + ph->p_vaddr);
			image_end = Max(image_end, mp.base + ph->p_vaddr + ph->p_memsz);
		}
	}
	if (dyn == NULL)
		refuse("The postgres executable has no dynamic section.");

	for (; dyn->d_tag != DT_NULL; dyn++)
	{
		switch (dyn->d_tag)
		{
			case DT_SYMTAB:
				symtab = dyn_ptr(&mp, dyn->d_un.d_ptr);
				break;
			case DT_STRTAB:
				strtab = dyn_ptr(&mp, dyn->d_un.d_ptr);
				break;
			case DT_JMPREL:
				jmprel = dyn_ptr(&mp, dyn->d_un.d_ptr);
				break;
			case DT_PLTRELSZ:
				pltrelsz = dyn->d_un.d_val;
				break;
			case DT_PLTREL:
				pltrel = dyn->d_un.d_val;
				break;
			case DT_RELA:
				rela = dyn_ptr(&mp, dyn->d_un.d_ptr);
				break;
			case DT_RELASZ:
				relasz = dyn->d_un.d_val;
				break;
		}
	}
	if (symtab == NULL || strtab == NULL || pltrel != DT_RELA)
		refuse("The postgres executable's dynamic section lacks a symbol table or RELA relocations.");

	if (jmprel)
		scan_relocations(&mp, jmprel, pltrelsz, symtab, strtab,
						 targets, ntargets);
	if (rela)
		scan_relocations(&mp, rela, relasz, symtab, strtab,
						 targets, ntargets);

	/* Check everything before changing anything. */
	for (int t = 0; t < ntargets; t++)
	{
		RebindTarget *tg = &targets[t];

		if (tg->nslots == 0 && tg->required)
		{
			snprintf(detail, sizeof(detail),
					 "No relocation slot for %s was found in the postgres executable.",
					 tg->names[0]);
			refuse(detail);
		}
		for (int s = 0; s < tg->nslots; s++)
		{
			void	   *cur = *tg->slots[s];

			if (!in_range(tg->slots[s], image_start, image_end - image_start))
			{
				snprintf(detail, sizeof(detail),
						 "The slot for %s at %p lies outside the executable.",
						 tg->names[0], (void *) tg->slots[s]);
				refuse(detail);
			}
			/* libc's function, or a lazy-binding stub in the executable */
			if (cur != tg->libc &&
				!in_range(cur, image_start, image_end - image_start))
			{
				Dl_info		info;
				const char *what = "unknown";

				if (dladdr(cur, &info) && info.dli_sname)
					what = info.dli_sname;
				snprintf(detail, sizeof(detail),
						 "The slot for %s holds %p (%s), not libc's %s at %p: another library may have rebound it already.",
						 tg->names[0], cur, what, tg->names[0], tg->libc);
				refuse(detail);
			}
		}
	}

	for (int t = 0; t < ntargets; t++)
		if (targets[t].real != NULL)
			*targets[t].real = targets[t].libc;

	for (int t = 0; t < ntargets; t++)
	{
		RebindTarget *tg = &targets[t];

		for (int s = 0; s < tg->nslots; s++)
		{
			void	  **slot = tg->slots[s];
			void	   *page = (void *) ((ElfW(Addr)) slot & ~(pagesize - 1));
			bool		relro = in_range(slot, relro_start, relro_len);
			int			prot = 0;

			/*
			 * The page may hold more than the slot (the end of RELRO is
			 * rounded down, so its last page can be writable .data): put
			 * back exactly the protection that was there.
			 */
			if (relro && (prot = page_protection(page)) < 0)
			{
				snprintf(detail, sizeof(detail),
						 "The protection of the page of the slot for %s was not found in /proc/self/maps.",
						 tg->names[0]);
				refuse(detail);
			}
			if (relro && (prot & PROT_WRITE))
				relro = false;	/* writable already */
			if (relro &&
				mprotect(page, pagesize, prot | PROT_WRITE) != 0)
			{
				snprintf(detail, sizeof(detail),
						 "mprotect of the slot for %s failed: %s",
						 tg->names[0], strerror(errno));
				refuse(detail);
			}
			__atomic_store_n(slot, tg->replacement, __ATOMIC_SEQ_CST);
			if (relro && mprotect(page, pagesize, prot) != 0)
			{
				snprintf(detail, sizeof(detail),
						 "mprotect back to its protection of the slot for %s failed: %s",
						 tg->names[0], strerror(errno));
				refuse(detail);
			}
			if (*slot != tg->replacement)
			{
				snprintf(detail, sizeof(detail),
						 "The slot for %s does not hold wtsmgr's function after the write.",
						 tg->names[0]);
				refuse(detail);
			}
			if (wtsmgr_rebound_slots < lengthof(rebound))
			{
				rebound[wtsmgr_rebound_slots].slot = slot;
				rebound[wtsmgr_rebound_slots].value = tg->replacement;
				rebound[wtsmgr_rebound_slots].name = tg->names[0];
			}
			wtsmgr_rebound_slots++;
		}
	}
	elog(DEBUG1, "rebound %d relocation slots of the postgres executable",
		 wtsmgr_rebound_slots);
#endif							/* WTSMGR_NO_REBIND */
}

/* The barriers of the asynchronous writes, in both builds. */
#define BARRIER_TARGETS \
	{{"fsync", NULL}, libc_function("fsync"), (void *) wtsmgr_async_fsync, \
	false, (void **) &wtsmgr_real_fsync}, \
	{{"fdatasync", NULL}, libc_function("fdatasync"), \
	(void *) wtsmgr_async_fdatasync, false, \
	(void **) &wtsmgr_real_fdatasync}, \
	{{"sync_file_range", "sync_file_range64", NULL}, \
	libc_function("sync_file_range"), \
	(void *) wtsmgr_async_sync_file_range, false, \
	(void **) &wtsmgr_real_sync_file_range}, \
	{{"ftruncate", "ftruncate64", NULL}, libc_function("ftruncate"), \
	(void *) wtsmgr_async_ftruncate, false, \
	(void **) &wtsmgr_real_ftruncate}, \
	{{"close", NULL}, libc_function("close"), (void *) wtsmgr_async_close, \
	false, (void **) &wtsmgr_real_close}, \
	{{"unlink", NULL}, libc_function("unlink"), (void *) wtsmgr_async_unlink, \
	false, (void **) &wtsmgr_real_unlink}, \
	{{"epoll_wait", NULL}, libc_function("epoll_wait"), \
	(void *) wtsmgr_async_epoll_wait, false, \
	(void **) &wtsmgr_real_epoll_wait}
#define NUM_BARRIER_TARGETS 7

static void
note_barriers(const RebindTarget *barriers)
{
	wtsmgr_rebound_barriers = true;
	for (int t = 0; t < NUM_BARRIER_TARGETS; t++)
		if (barriers[t].nslots == 0)
		{
			wtsmgr_rebound_barriers = false;
			elog(DEBUG1, "no relocation slot for %s: data writes stay synchronous",
				 barriers[t].names[0]);
		}
}

#ifdef PG_HAVE_FILE_PWRITEV_HOOK

/*
 * The core hooks: FileWriteV hands us every relation file write with its
 * wait event, XLogFileInitInternal the zero-fill of a new WAL segment.
 * Both replace the write itself, so they cannot be chained: another
 * library that holds them already is an error, as is a slot rebound by
 * another library below.
 */
void
wtsmgr_take_over_writes(void)
{
	RebindTarget targets[] = {BARRIER_TARGETS};

	if (file_pwritev_hook != NULL || wal_segment_init_hook != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("wtsmgr could not take over the server's write calls"),
				 errdetail("Another library in \"shared_preload_libraries\" has installed file_pwritev_hook or wal_segment_init_hook already."),
				 errhint("Remove that library or wtsmgr from \"shared_preload_libraries\".")));

	rebind_executable(targets, lengthof(targets));
	note_barriers(targets);
	file_pwritev_hook = wtsmgr_file_pwritev;
	wal_segment_init_hook = wtsmgr_wal_segment_init;
	wtsmgr_write_path_method = "hook";
	elog(DEBUG1, "installed file_pwritev_hook and wal_segment_init_hook");
}

#else							/* !PG_HAVE_FILE_PWRITEV_HOOK */

void
wtsmgr_take_over_writes(void)
{
	/*
	 * libc's functions are taken from the objects loaded after this one,
	 * not by their address here: in an executable built without PIE that
	 * takes their address, that would be its own PLT entry, which jumps
	 * through the slot we rebind.
	 */
	RebindTarget targets[] = {
		{{"pwrite", "pwrite64", NULL}, libc_function("pwrite"),
		(void *) wtsmgr_pwrite, true, (void **) &wtsmgr_real_pwrite},
		{{"pwritev", "pwritev64", NULL}, libc_function("pwritev"),
		(void *) wtsmgr_pwritev, true, (void **) &wtsmgr_real_pwritev},
		{{"posix_fallocate", "posix_fallocate64", NULL},
			libc_function("posix_fallocate"), (void *) wtsmgr_posix_fallocate,
		false, (void **) &wtsmgr_real_posix_fallocate},
		BARRIER_TARGETS
	};

	rebind_executable(targets, lengthof(targets));
	note_barriers(&targets[3]);
	wtsmgr_write_path_method = "got";
}

#endif							/* PG_HAVE_FILE_PWRITEV_HOOK */

/*
 * Called once every library in shared_preload_libraries has run its
 * _PG_init (from shmem_request_hook): a library loaded after wtsmgr must
 * not have installed the hooks or rebound the slots again, or its writes
 * would bypass us.
 */
void
wtsmgr_check_take_over(void)
{
	int			n = Min(wtsmgr_rebound_slots, lengthof(rebound));

#ifdef PG_HAVE_FILE_PWRITEV_HOOK
	if (file_pwritev_hook != wtsmgr_file_pwritev ||
		wal_segment_init_hook != wtsmgr_wal_segment_init)
		ereport(FATAL,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("another library has replaced wtsmgr's file_pwritev_hook or wal_segment_init_hook"),
				 errdetail("Data writes would bypass wtsmgr's write path."),
				 errhint("Remove that library or wtsmgr from \"shared_preload_libraries\".")));
#endif
	for (int i = 0; i < n; i++)
		if (*rebound[i].slot != rebound[i].value)
			ereport(FATAL,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("another library has taken over the server's %s calls after wtsmgr",
							rebound[i].name),
					 errdetail("Data writes would bypass wtsmgr's write path."),
					 errhint("Remove that library or wtsmgr from \"shared_preload_libraries\".")));
}

/*-------------------------------------------------------------------------
 *
 * wtsmgr_test_rebind.c
 *	  A library that takes the server's data writes away from wtsmgr, for
 *	  t/012_rebind_after.pl only; never installed.
 *
 * Preloaded next to wtsmgr, it does what any other library intercepting
 * writes would do to it.  With the core write hooks
 * (contrib_wtsmgr/postgresql-18-write-hooks.patch) it installs its own
 * file_pwritev_hook.  Otherwise it rebinds the postgres executable's
 * relocation slots for pwrite and pwritev to functions of its own, which
 * call libc directly: loaded after wtsmgr, that undoes wtsmgr's rebinding;
 * loaded before, wtsmgr finds the slots taken.  Either way the data
 * writes would bypass wtsmgr, and the server must not start.
 *
 * test/wtsmgr_test_rebind.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/fd.h"

PG_MODULE_MAGIC;

#ifdef PG_HAVE_FILE_PWRITEV_HOOK

static ssize_t
test_file_pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset,
				  uint32 wait_event_info)
{
	return pwritev(fd, iov, iovcnt, offset);
}

void
_PG_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	file_pwritev_hook = test_file_pwritev;
	elog(LOG, "wtsmgr_test_rebind: installed file_pwritev_hook");
}

#else							/* !PG_HAVE_FILE_PWRITEV_HOOK */

static ssize_t (*libc_pwrite) (int, const void *, size_t, off_t);
static ssize_t (*libc_pwritev) (int, const struct iovec *, int, off_t);

static ssize_t
test_pwrite(int fd, const void *buf, size_t n, off_t offset)
{
	return libc_pwrite(fd, buf, n, offset);
}

static ssize_t
test_pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset)
{
	return libc_pwritev(fd, iov, iovcnt, offset);
}

/* Resolve a dynamic-section address, relocated in place or not. */
static const void *
dyn_addr(ElfW(Addr) base, ElfW(Addr) value)
{
	return (const void *) (value < base ? base + value : value);
}

/*
 * Point every slot of the main program that relocates symbol name at
 * func.  Returns the number of slots written.
 */
static int
rebind(const char *name, void *func)
{
	void	   *self = dlopen(NULL, RTLD_NOW);
	struct link_map *lm;
	const ElfW(Sym) *symtab = NULL;
	const char *strtab = NULL;
	const ElfW(Rela) *rel[2] = {NULL, NULL};
	size_t		relsz[2] = {0, 0};
	long		pagesize = sysconf(_SC_PAGESIZE);
	int			n = 0;

	if (self == NULL || dlinfo(self, RTLD_DI_LINKMAP, &lm) != 0)
		elog(ERROR, "wtsmgr_test_rebind: no link map of the main program");
	for (const ElfW(Dyn) *d = lm->l_ld; d->d_tag != DT_NULL; d++)
	{
		if (d->d_tag == DT_SYMTAB)
			symtab = dyn_addr(lm->l_addr, d->d_un.d_ptr);
		else if (d->d_tag == DT_STRTAB)
			strtab = dyn_addr(lm->l_addr, d->d_un.d_ptr);
		else if (d->d_tag == DT_JMPREL)
			rel[0] = dyn_addr(lm->l_addr, d->d_un.d_ptr);
		else if (d->d_tag == DT_PLTRELSZ)
			relsz[0] = d->d_un.d_val;
		else if (d->d_tag == DT_RELA)
			rel[1] = dyn_addr(lm->l_addr, d->d_un.d_ptr);
		else if (d->d_tag == DT_RELASZ)
			relsz[1] = d->d_un.d_val;
	}
	if (symtab == NULL || strtab == NULL)
		elog(ERROR, "wtsmgr_test_rebind: no symbol table in the main program");

	for (int r = 0; r < 2; r++)
	{
		for (size_t i = 0; rel[r] && i < relsz[r] / sizeof(ElfW(Rela)); i++)
		{
			const ElfW(Sym) *sym = &symtab[ELF64_R_SYM(rel[r][i].r_info)];
			void	  **slot;
			char	   *page;

			if (strcmp(strtab + sym->st_name, name) != 0)
				continue;
			slot = (void **) (lm->l_addr + rel[r][i].r_offset);
			page = (char *) ((uintptr_t) slot & ~(uintptr_t) (pagesize - 1));
			/* RELRO: writable for the moment; left writable, it is a test */
			if (mprotect(page, pagesize, PROT_READ | PROT_WRITE) != 0)
				elog(ERROR, "wtsmgr_test_rebind: mprotect failed: %m");
			*slot = func;
			n++;
		}
	}
	return n;
}

void
_PG_init(void)
{
	int			n;

	if (!process_shared_preload_libraries_in_progress)
		return;
	libc_pwrite = dlsym(RTLD_NEXT, "pwrite");
	libc_pwritev = dlsym(RTLD_NEXT, "pwritev");
	if (libc_pwrite == NULL || libc_pwritev == NULL)
		elog(ERROR, "wtsmgr_test_rebind: libc's pwrite or pwritev not found");
	n = rebind("pwrite", (void *) test_pwrite);
	n += rebind("pwritev", (void *) test_pwritev);
	elog(LOG, "wtsmgr_test_rebind: rebound %d slots", n);
}

#endif							/* PG_HAVE_FILE_PWRITEV_HOOK */

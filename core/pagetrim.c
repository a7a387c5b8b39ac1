/* pagetrim.c: give back the code pages one-off work faulted in */
#include "pagetrim.h"
#include "util.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

/* True when the object's dynamic section asks for text relocations. */
static bool
has_text_relocations(const struct dl_phdr_info *info)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const ElfW(Dyn) *dyn;

		if (ph->p_type != PT_DYNAMIC)
			continue;
		dyn = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr);
		for (; dyn->d_tag != DT_NULL; dyn++)
			if (dyn->d_tag == DT_TEXTREL ||
			    (dyn->d_tag == DT_FLAGS &&
			     (dyn->d_un.d_val & DF_TEXTREL)))
				return true;
	}
	return false;
}

/* Address ranges to advise, gathered before any is advised: reading an
   object's program headers would fault its first page back in. */
struct trim_ranges {
	struct { uintptr_t lo, hi; } r[256];
	size_t n;
};

/* dl_iterate_phdr callback: note the whole pages of read-only loads. */
static int
note_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct trim_ranges *tr = arg;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t vdso = (uintptr_t)getauxval(AT_SYSINFO_EHDR);

	(void)size;
	if (has_text_relocations(info))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo, hi;

		if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W))
			continue;
		/* Whole pages only: a partial page may be shared with a
		   writable neighbour. */
		lo = (info->dlpi_addr + ph->p_vaddr + page - 1) & ~(page - 1);
		hi = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz) &
			~(page - 1);
		if (hi <= lo || (vdso >= lo && vdso < hi))
			continue;
		if (tr->n == ARRAY_SIZE(tr->r))
			return 1;
		tr->r[tr->n].lo = lo;
		tr->r[tr->n].hi = hi;
		tr->n++;
	}
	return 0;
}

/* Unmap the resident read-only pages of every loaded object. */
size_t
pagetrim_readonly(void)
{
	struct trim_ranges tr = { .n = 0 };
	size_t advised = 0;

	dl_iterate_phdr(note_object, &tr);
	for (size_t i = 0; i < tr.n; i++)
		if (madvise((void *)tr.r[i].lo, tr.r[i].hi - tr.r[i].lo,
			    MADV_DONTNEED) == 0)
			advised += tr.r[i].hi - tr.r[i].lo;
	return advised;
}

/* True when a debugger traces this process (TracerPid in status). */
static bool
traced(void)
{
	char buf[2048];
	const char *p;
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strstr(buf, "\nTracerPid:");
	return p != NULL && strtol(p + 11, NULL, 10) != 0;
}

/* Trim unless DEPLOY_NO_PAGETRIM is set or a debugger is attached: the
   breakpoints it wrote into code pages would be dropped with them. */
bool
pagetrim_allowed(void)
{
	const char *off = getenv("DEPLOY_NO_PAGETRIM");

	return (off == NULL || *off == '\0') && !traced();
}

/* A timer that has seen no work yet: the first quiet turn trims. */
void
pagetrim_timer_init(struct pagetrim_timer *t)
{
	t->was_quiet = false;
	t->last = -1;
	t->at = -1;
}

/* Arm on the busy-to-quiet edge, disarm on work, fire when due. */
bool
pagetrim_due(struct pagetrim_timer *t, bool quiet, long long now)
{
	if (!quiet) {
		t->at = -1;
	} else if (!t->was_quiet) {
		t->at = now;
		if (t->last >= 0 && t->at < t->last + PAGETRIM_MIN_GAP_MS)
			t->at = t->last + PAGETRIM_MIN_GAP_MS;
	}
	t->was_quiet = quiet;
	if (t->at < 0 || now < t->at)
		return false;
	t->last = now;
	t->at = -1;
	return true;
}

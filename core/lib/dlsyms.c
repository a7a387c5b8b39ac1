/* dlsyms.c: a library loaded with dlopen, its functions into a table */
#include "core/lib/dlsyms.h"

#include <dlfcn.h>
#include <string.h>

/* Resolve every symbol of syms from h into table; 0, or -1 with e. */
static int
dl_resolve(void *h, const char *soname, const struct dl_sym *syms,
	   size_t n, void *table, struct derr *e)
{
	for (size_t i = 0; i < n; i++) {
		void *fn;
		const char *why;

		dlerror();
		fn = dlsym(h, syms[i].name);
		if (fn == NULL) {
			why = dlerror();
			return derr_set(e, "cannot load %s: %s", soname,
					why ? why : syms[i].name);
		}
		/* POSIX: a function pointer has the form of a void *. */
		memcpy((char *)table + syms[i].off, &fn, sizeof fn);
	}
	return 0;
}

/* Load the first library that opens and fill table. */
void *
dl_load(const char *const *sonames, const struct dl_sym *syms, size_t n,
	void *table, struct derr *e)
{
	for (const char *const *s = sonames; *s != NULL; s++) {
		void *h = dlopen(*s, RTLD_NOW | RTLD_LOCAL);

		if (h == NULL) {
			derr_set(e, "cannot load %s: %s", *s, dlerror());
			continue;
		}
		if (dl_resolve(h, *s, syms, n, table, e) == 0)
			return h;
		dlclose(h);
	}
	return NULL;
}

/* Load the library, its table, and run its init. */
void
dl_lib_load(struct dl_lib *l)
{
	if (dl_load((const char *const[]){ l->soname, NULL }, l->syms, l->n,
		    l->table, &l->error) == NULL)
		return;
	if (l->init != NULL && l->init(l->table, &l->error) < 0)
		return;
	l->ok = true;
}

/* The table once loaded, or why not. */
const void *
dl_lib_table(const struct dl_lib *l, struct derr *e)
{
	if (l->ok)
		return l->table;
	if (e != NULL)
		*e = l->error;
	return NULL;
}

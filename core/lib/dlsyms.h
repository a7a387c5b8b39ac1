/* dlsyms.h: a library loaded with dlopen and its functions resolved
   into a table, for the libraries deploy uses but does not link */
#ifndef DEPLOY_DLSYMS_H
#define DEPLOY_DLSYMS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/lib/util.h"

/* A symbol and where its address goes in the caller's table. */
struct dl_sym {
	const char *name;
	size_t off;
};

/*
 * Load the first library of sonames (NULL-terminated) that dlopen
 * finds, and resolve every one of the n syms into table. Returns the
 * dlopen handle (dlclose it when done), or NULL with e filled from the
 * last library tried ("cannot load <soname>: <why>").
 */
void *dl_load(const char *const *sonames, const struct dl_sym *syms,
	      size_t n, void *table, struct derr *e);

/*
 * A library loaded once for the whole process: dl_load of soname into
 * table, then init (0, or -1 with e filled). The handle stays open.
 */
struct dl_lib {
	const char *soname;
	const struct dl_sym *syms;
	size_t n;
	void *table;
	int (*init)(const void *table, struct derr *e);
	bool ok;
	struct derr error;	/* why it cannot be loaded */
};

/*
 * Load l; call it once, through pthread_once (whose function takes no
 * argument: a one-line function per library), then read the result
 * with dl_lib_table.
 */
void dl_lib_load(struct dl_lib *l);
/* l's table, or NULL with e (if not NULL) saying why. */
const void *dl_lib_table(const struct dl_lib *l, struct derr *e);

#endif

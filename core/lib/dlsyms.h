/* dlsyms.h: a library loaded with dlopen and its functions resolved
   into a table, for the libraries deploy uses but does not link */
#ifndef DEPLOY_DLSYMS_H
#define DEPLOY_DLSYMS_H

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

#endif

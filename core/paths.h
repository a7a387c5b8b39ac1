/* paths.h: where deploy keeps its state and finds its templates */
#ifndef DEPLOY_PATHS_H
#define DEPLOY_PATHS_H

#include "util.h"

/* $DEPLOY_HOME, or ~/.deploy; a new string. */
char *deploy_home(void);
/* Create the home directory (0700) if missing. */
int deploy_home_ensure(const char *home, struct derr *e);
/*
 * The path of template name: $DEPLOY_TEMPLATES, the templates/ folder
 * beside the binary (a build tree), ../share/deploy/templates from the
 * binary, then the install prefix. A new string, or NULL with e filled.
 */
char *template_find(const char *name, struct derr *e);
/* The absolute path of the running binary; a new string. */
char *self_exe(void);

#endif

/* paths.h: where deploy keeps its state and finds its templates */
#ifndef DEPLOY_PATHS_H
#define DEPLOY_PATHS_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "core/lib/util.h"

/*
 * $DEPLOY_HOME, or ~/.deploy (the passwd entry's home without $HOME), or
 * $XDG_RUNTIME_DIR/deploy; "" when there is none of these, which
 * deploy_home_ensure refuses. A new string.
 */
char *deploy_home(void);
/*
 * Open name (one component) in the trusted home with open(2)'s flags
 * and mode, never through a symbolic link, and refuse a file another
 * user owns or group or others may write. The fd, or -1 with e filled.
 */
int deploy_home_file(const char *home, const char *name, int flags,
		     mode_t mode, struct derr *e);
/*
 * Read home/name (opened as deploy_home_file does) as JSON: the document
 * (caller decrefs), or NULL with e filled ("path:line:col: why") and
 * *missing set when there is no such file.
 */
json_t *deploy_home_json(const char *home, const char *name, bool *missing,
			 struct derr *e);
/* Create and check the home and its logs/ directory (see above). */
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

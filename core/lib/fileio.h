/* fileio.h: atomic file replacement and small path helpers */
#ifndef DEPLOY_FILEIO_H
#define DEPLOY_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/lib/util.h"

/*
 * Write data to path atomically: a temp file in the same directory,
 * fsync, then rename (replace) or link (no replace: fails with "already
 * exists" when path exists). Nothing is left behind on failure.
 */
int write_file_atomic(const char *path, const void *data, size_t n,
		      mode_t mode, bool replace, struct derr *e);

/*
 * Replace path with data atomically (temp file, rename) without fsync:
 * a reader never sees a half-written file, and the file survives the
 * writer's death, though not a crash of the machine.
 */
int write_file_replace(const char *path, const void *data, size_t n,
		       mode_t mode, struct derr *e);

/* Whether name (without '/') is an executable file in a directory of
 * $PATH ("/bin:/usr/bin" when unset, as execvp; "" is the current
 * directory). */
bool path_has_program(const char *name);
/* The part of path after its last '/' (all of path without one). */
const char *path_base(const char *path);
/* The directory part of path as a new string ("." when none). */
char *path_dirname(const char *path);
/* path joined to dir unless absolute; a new string. */
char *path_join(const char *dir, const char *path);
/* dir/path when that exists or path has a '/'; else path itself (to be
 * found on PATH). A new string. */
char *path_join_existing(const char *dir, const char *path);
/* True when path exists (any type). */
bool path_exists(const char *path);
/* mkdir -p with mode for the directories it creates. */
int mkdir_p(const char *path, mode_t mode, struct derr *e);

struct strbuf;
/* Read fd into out until EOF or the deadline (now_ms() time); 0, or -1
 * on a timeout (out then holds what came). */
int read_fd_until(int fd, struct strbuf *out, long long deadline);

#endif

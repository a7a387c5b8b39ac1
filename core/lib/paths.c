/* paths.c: where deploy keeps its state and finds its templates */
#include "core/lib/paths.h"
#include "core/lib/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef DEPLOY_DATADIR
#define DEPLOY_DATADIR "/usr/local/share/deploy"
#endif

/* $DEPLOY_HOME, ~/.deploy, $XDG_RUNTIME_DIR/deploy, or "" (none). */
char *
deploy_home(void)
{
	const char *h = getenv("DEPLOY_HOME");
	struct passwd *pw;

	if (h != NULL && h[0] != '\0')
		return xstrdup(h);
	h = getenv("HOME");
	if ((h == NULL || h[0] == '\0') && (pw = getpwuid(getuid())) != NULL)
		h = pw->pw_dir;
	if (h != NULL && h[0] != '\0')
		return xasprintf("%s/.deploy", h);
	/* No shared fallback such as /tmp: another user could own it. */
	h = getenv("XDG_RUNTIME_DIR");
	if (h != NULL && h[0] != '\0')
		return xasprintf("%s/deploy", h);
	return xstrdup("");
}

/*
 * Refuse what another user could have written: a file or directory not
 * owned by the effective user, or one group or others may write. path
 * is for messages.
 */
static int
check_private(int fd, const char *path, bool dir, struct derr *e)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return derr_errno(e, "cannot use '%s'", path);
	errno = EACCES;		/* for callers that look: not ENOENT */
	if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return derr_set(e, "'%s' is not a %s", path,
				dir ? "directory" : "regular file");
	if (st.st_uid != geteuid())
		return derr_set(e, "'%s' belongs to uid %d, not to uid %d: "
				"%s", path, (int)st.st_uid, (int)geteuid(),
				dir ? "use a deploy home of your own "
				"(DEPLOY_HOME)" : "remove it");
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return derr_set(e, "'%s' is writable by group or others: "
				"run 'chmod go-w %s'", path, path);
	return 0;
}

/* open(2) errors in words that say what to do about a planted link;
 * errno is kept. */
static void
open_error(const char *path, struct derr *e)
{
	int saved = errno;

	if (errno == ELOOP || errno == ENOTDIR)
		derr_set(e, "'%s' is a symbolic link or not what deploy made: "
			 "remove it", path);
	else
		derr_errno(e, "cannot open '%s'", path);
	errno = saved;
}

/*
 * Refuse a home under a directory another user could change (rename the
 * home away and put another in its place): each one above it must be
 * root's or ours, and not writable by group or others unless sticky
 * (as /tmp is: there no one else may rename what is ours). what is
 * the home, for messages.
 */
static int
check_ancestors(const char *path, const char *what, struct derr *e)
{
	char *copy = xstrdup(path), *slash;
	struct stat st;
	int rc = 0;

	while (rc == 0 && (slash = strrchr(copy, '/')) != NULL) {
		const char *dir = slash == copy ? "/" : copy;

		*slash = '\0';
		if (stat(dir, &st) == 0 &&
		    ((st.st_uid != 0 && st.st_uid != geteuid()) ||
		     ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
		      !(st.st_mode & S_ISVTX))))
			rc = derr_set(e, "'%s' is in '%s', which another user "
				      "may change: use a home in a directory "
				      "only you or root may write", what, dir);
		if (dir[0] == '/' && dir[1] == '\0')
			break;
	}
	free(copy);
	return rc;
}

/*
 * Open the home (creating it, mode 0700, when create is set) as a
 * directory deploy can trust, as tmux and ssh-agent do with theirs: not
 * a symbolic link, owned by the effective user, not writable by group
 * or others. The fd (caller closes), or -1 with e filled with a message
 * that names the fix.
 */
static int
deploy_home_open(const char *home, bool create, struct derr *e)
{
	char *real;
	int fd;

	if (home[0] == '\0') {
		derr_set(e, "no home for deploy: $HOME is unset and uid %d "
			 "has no passwd entry (set DEPLOY_HOME or "
			 "XDG_RUNTIME_DIR)", (int)getuid());
		return -1;
	}
	if (create && mkdir_p(home, 0700, e) < 0)
		return -1;
	fd = open(home, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		open_error(home, e);
		return -1;
	}
	real = realpath(home, NULL);
	if (check_private(fd, home, true, e) < 0 ||
	    check_ancestors(home, home, e) < 0 ||
	    (real != NULL && check_ancestors(real, home, e) < 0)) {
		free(real);
		close(fd);
		return -1;
	}
	free(real);
	return fd;
}

/* Open name under the trusted directory dfd; path is for messages. */
static int
private_openat(int dfd, const char *name, const char *path, int flags,
	       mode_t mode, struct derr *e)
{
	int fd = openat(dfd, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
			mode);

	if (fd < 0) {
		open_error(path, e);
		return -1;
	}
	if (check_private(fd, path, (flags & O_DIRECTORY) != 0, e) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Open home/name without following links. */
int
deploy_home_file(const char *home, const char *name, int flags,
		 mode_t mode, struct derr *e)
{
	char *path = xasprintf("%s/%s", home, name);
	int dfd = deploy_home_open(home, false, e), fd = -1;

	if (dfd >= 0) {
		fd = private_openat(dfd, name, path, flags, mode, e);
		close(dfd);
	}
	free(path);
	return fd;
}

/* Read home/name as JSON, trusted as deploy_home_file trusts it. */
json_t *
deploy_home_json(const char *home, const char *name, bool *missing,
		 struct derr *e)
{
	int fd = deploy_home_file(home, name, O_RDONLY, 0, e);
	json_error_t jerr;
	json_t *doc;

	*missing = fd < 0 && errno == ENOENT;
	if (fd < 0)
		return NULL;
	doc = json_loadfd(fd, 0, &jerr);
	close(fd);
	if (doc == NULL)
		derr_set(e, "%s/%s:%d:%d: %s", home, name, jerr.line,
			 jerr.column, jerr.text);
	return doc;
}

/* Create (0700) and check the home and its logs directory. */
int
deploy_home_ensure(const char *home, struct derr *e)
{
	int dfd = deploy_home_open(home, true, e), fd;
	char *logs;

	if (dfd < 0)
		return -1;
	if (mkdirat(dfd, "logs", 0700) < 0 && errno != EEXIST) {
		derr_errno(e, "cannot create directory '%s/logs'", home);
		close(dfd);
		return -1;
	}
	logs = xasprintf("%s/logs", home);
	fd = private_openat(dfd, "logs", logs, O_RDONLY | O_DIRECTORY, 0, e);
	free(logs);
	close(dfd);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* Resolve /proc/self/exe. */
char *
self_exe(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);

	if (n < 0)
		return xstrdup("deploy");
	buf[n] = '\0';
	return xstrdup(buf);
}

/* Try dir/name; returns it when it exists. */
static char *
try_template(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);

	if (access(p, R_OK) == 0)
		return p;
	free(p);
	return NULL;
}

/* Look for a template in the usual places. */
char *
template_find(const char *name, struct derr *e)
{
	const char *env = getenv("DEPLOY_TEMPLATES");
	char *exe = self_exe();
	char *exedir = path_dirname(exe);
	char *dirs[3];
	char *found = NULL;

	dirs[0] = xasprintf("%s/templates", exedir);
	dirs[1] = xasprintf("%s/../share/deploy/templates", exedir);
	dirs[2] = xstrdup(DEPLOY_DATADIR "/templates");
	if (env != NULL && env[0] != '\0')
		found = try_template(env, name);
	for (size_t i = 0; found == NULL && i < ARRAY_SIZE(dirs); i++)
		found = try_template(dirs[i], name);
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		free(dirs[i]);
	free(exe);
	free(exedir);
	if (found == NULL)
		derr_set(e, "cannot find template '%s' (set DEPLOY_TEMPLATES)",
			 name);
	return found;
}

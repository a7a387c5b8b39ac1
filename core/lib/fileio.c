/* fileio.c: atomic file replacement and small path helpers */
#include "core/lib/fileio.h"
#include "core/lib/loop.h"
#include "core/lib/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Write all of data to fd, retrying short writes and EINTR. */
static int
write_all(int fd, const void *data, size_t n)
{
	const char *p = data;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* fsync the directory holding path so a rename is durable. */
static void
sync_dir_of(const char *path)
{
	char *dir = path_dirname(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

/* Replace (or create) path with data via a temp file and rename/link;
   with sync, fsync the file and its directory too. */
static int
write_via_temp(const char *path, const void *data, size_t n, mode_t mode,
	       bool replace, bool sync, struct derr *e)
{
	char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	int rc = -1;

	if (fd < 0) {
		derr_errno(e, "cannot create a temp file beside '%s'", path);
		free(tmp);
		return -1;
	}
	if (fchmod(fd, mode) < 0 || write_all(fd, data, n) < 0 ||
	    (sync && fsync(fd) < 0)) {
		derr_errno(e, "cannot write '%s'", tmp);
		close(fd);
		goto out;
	}
	if (close(fd) < 0) {
		derr_errno(e, "cannot write '%s'", tmp);
		goto out;
	}
	if (replace ? rename(tmp, path) : link(tmp, path)) {
		if (errno == EEXIST)
			derr_set(e, "'%s' already exists", path);
		else
			derr_errno(e, "cannot write '%s'", path);
		goto out;
	}
	if (sync)
		sync_dir_of(path);
	rc = 0;
out:
	if (rc < 0 || !replace)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* Write path atomically and durably. */
int
write_file_atomic(const char *path, const void *data, size_t n,
		  mode_t mode, bool replace, struct derr *e)
{
	return write_via_temp(path, data, n, mode, replace, true, e);
}

/* Replace path atomically, without waiting for the disk. */
int
write_file_replace(const char *path, const void *data, size_t n,
		   mode_t mode, struct derr *e)
{
	return write_via_temp(path, data, n, mode, true, false, e);
}

/* Search $PATH for name, as execvp would. */
bool
path_has_program(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	bool found = false;

	if (strchr(name, '/') != NULL)
		return false;
	if (path == NULL)
		path = "/bin:/usr/bin";
	for (p = path; !found; p = end + 1) {
		char *full;

		end = strchrnul(p, ':');
		full = end == p ? xstrdup(name) :
			xasprintf("%.*s/%s", (int)(end - p), p, name);
		found = access(full, X_OK) == 0;
		free(full);
		if (*end == '\0')
			break;
	}
	return found;
}

/* The file name part of path. */
const char *
path_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/* The directory part of path. */
char *
path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* dir/path, or path itself when absolute. */
char *
path_join(const char *dir, const char *path)
{
	if (path[0] == '/' || dir == NULL || dir[0] == '\0')
		return xstrdup(path);
	return xasprintf("%s/%s", dir, path);
}

/* Resolve a script: relative to dir if there, else a PATH name. */
char *
path_join_existing(const char *dir, const char *path)
{
	char *joined = path_join(dir, path);

	if (path_exists(joined) || strchr(path, '/') != NULL)
		return joined;
	free(joined);
	return xstrdup(path);
}

/* True when something exists at path. */
bool
path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Create path and its missing parents with mode. */
int
mkdir_p(const char *path, mode_t mode, struct derr *e)
{
	char *copy = xstrdup(path);

	for (char *p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST) {
			derr_errno(e, "cannot create directory '%s'", copy);
			free(copy);
			return -1;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	free(copy);
	return 0;
}

/* Read fd into out until EOF or the deadline; 0, or -1 on timeout. */
int
read_fd_until(int fd, struct strbuf *out, long long deadline)
{
	char buf[4096];
	ssize_t n;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();

		if (left <= 0 || poll(&p, 1, (int)left) == 0)
			return -1;
		n = read(fd, buf, sizeof buf);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return 0;
		strbuf_add(out, buf, (size_t)n);
	}
}

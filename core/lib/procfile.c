/* procfile.c: read a process's small /proc files, through kept fds */
#include "core/lib/procfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

enum { MAX_KEPT = 1024 };

/* Budget: a quarter of the soft fd limit, at most MAX_KEPT. */
void
procfile_fds_init(struct procfile_fds *k)
{
	struct rlimit rl;

	k->kept = 0;
	k->max = MAX_KEPT;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur / 4 < MAX_KEPT)
		k->max = (int)(rl.rlim_cur / 4);
}

/* pread fd from 0 into buf until EOF or size - 1 bytes; NUL-ends it. */
static ssize_t
read_from_start(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t r;

	while (len < size - 1) {
		r = pread(fd, buf + len, size - 1 - len, (off_t)len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

/* Close a kept fd. */
void
procfile_close(struct procfile_fds *k, int *fd)
{
	if (*fd < 0)
		return;
	close(*fd);
	*fd = -1;
	k->kept--;
}

/* Read one file of a process, through the kept fd when there is one. */
ssize_t
procfile_read(struct procfile_fds *k, int dirfd, pid_t pid, const char *file,
	      int *fd, bool keep, char *buf, size_t size)
{
	char path[64];
	ssize_t len;
	int nfd;

	if (*fd >= 0) {
		len = read_from_start(*fd, buf, size);
		if (len > 0)
			return len;
		/* That process has gone; its pid may name a new one. */
		procfile_close(k, fd);
	}
	snprintf(path, sizeof path, "%d/%s", (int)pid, file);
	nfd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (nfd < 0)
		return -1;
	len = read_from_start(nfd, buf, size);
	if (len > 0 && keep && k->kept < k->max) {
		*fd = nfd;
		k->kept++;
	} else {
		close(nfd);
	}
	return len;
}

/* notify.c: the sd_notify socket workers say READY=1 on */
#include "core/probe/notify.h"
#include "core/lib/unixaddr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct notify_sock {
	int fd;
	char *path;		/* the file to remove; NULL if abstract */
};

/* Bind the notify socket. */
struct notify_sock *
notify_open(const char *path, struct derr *e)
{
	struct notify_sock *ns;
	struct sockaddr_un sun;
	struct stat st;
	socklen_t len = 0;
	int on = 1;

	if (unix_addr(path, &sun, &len, NULL) < 0) {
		derr_set(e, "invalid notify socket path '%s'", path);
		return NULL;
	}
	ns = xcalloc(1, sizeof *ns);
	ns->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	if (ns->fd < 0) {
		derr_errno(e, "cannot create a socket for '%s'", path);
		free(ns);
		return NULL;
	}
	if (setsockopt(ns->fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) < 0) {
		derr_errno(e, "cannot set SO_PASSCRED on '%s'", path);
		goto fail;
	}
	if (path[0] != '@' && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);		/* left by an earlier daemon */
	if (bind(ns->fd, (struct sockaddr *)&sun, len) < 0) {
		derr_errno(e, "cannot bind '%s'", path);
		goto fail;
	}
	ns->path = path[0] != '@' ? xstrdup(path) : NULL;
	return ns;
fail:
	close(ns->fd);
	free(ns);
	return NULL;
}

/* The fd to poll for POLLIN. */
int
notify_fd(const struct notify_sock *ns)
{
	return ns->fd;
}

/* Read one datagram and its sender. */
int
notify_recv(struct notify_sock *ns, pid_t *sender, char *buf, size_t len)
{
	/* Room for the credentials only: the kernel drops (and closes)
	 * any fds sent along, as they do not fit. */
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = len - 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf,
	};
	ssize_t n;

	*sender = 0;
	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	do
		n = recvmsg(ns->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL;
	     c = CMSG_NXTHDR(&mh, c)) {
		struct ucred uc;

		if (c->cmsg_level != SOL_SOCKET ||
		    c->cmsg_type != SCM_CREDENTIALS ||
		    c->cmsg_len < CMSG_LEN(sizeof uc))
			continue;
		memcpy(&uc, CMSG_DATA(c), sizeof uc);
		*sender = uc.pid;
	}
	return (int)n;
}

/* True when a line of msg is exactly READY=1. */
bool
notify_has_ready(const char *msg)
{
	static const char ready[] = "READY=1";

	for (const char *p = msg;;) {
		const char *end = strchrnul(p, '\n');

		if ((size_t)(end - p) == strlen(ready) &&
		    memcmp(p, ready, strlen(ready)) == 0)
			return true;
		if (*end == '\0')
			return false;
		p = end + 1;
	}
}

void
notify_close(struct notify_sock *ns)
{
	if (ns == NULL)
		return;
	close(ns->fd);
	if (ns->path != NULL)
		unlink(ns->path);
	free(ns->path);
	free(ns);
}

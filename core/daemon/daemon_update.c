/* daemon_update.c: the daemon replaced in place by a new binary, and
   its readiness told to systemd */
#include "core/daemon/daemon.h"
#include "core/lib/unixaddr.h"
#include "core/lib/dlog.h"
#include "core/sup/sup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The environment variable naming the fds an exec'd daemon inherits. */
#define UPDATE_FDS_ENV "DEPLOY_UPDATE_FDS"

/* Set or clear fd's close-on-exec flag; 0 or -1. */
static int
set_cloexec(int fd, bool on)
{
	return fcntl(fd, F_SETFD, on ? FD_CLOEXEC : 0);
}

/* Replace this process with exe, keeping the workers (our children),
   the lock and the control socket. Returns only on failure. */
int
daemon_update(struct daemon *d, const char *exe, struct derr *e)
{
	char fds[64];
	int err;

	sup_persist(d->sup);
	for (size_t i = 0; i < d->n_conns; i++)
		conn_flush(d->conns[i]);
	snprintf(fds, sizeof fds, "lock=%d sock=%d", d->lock_fd,
		 d->listen_fd);
	if (set_cloexec(d->lock_fd, false) < 0 ||
	    set_cloexec(d->listen_fd, false) < 0 ||
	    setenv(UPDATE_FDS_ENV, fds, 1) < 0)
		return derr_errno(e, "cannot prepare the update");
	dlog("updating: exec '%s'", exe);
	execv(exe, (char *[]){ "deploy", "daemon", NULL });
	err = errno;
	unsetenv(UPDATE_FDS_ENV);
	set_cloexec(d->lock_fd, true);
	set_cloexec(d->listen_fd, true);
	errno = err;
	return derr_errno(e, "cannot run '%s'", exe);
}

/* The fds a daemon that exec'd us left: *lock and *sock, or -1 each.
   The variable is removed so workers do not see it. */
void
daemon_inherited(int *lock, int *sock)
{
	const char *v = getenv(UPDATE_FDS_ENV);

	*lock = *sock = -1;
	if (v == NULL || sscanf(v, "lock=%d sock=%d", lock, sock) != 2 ||
	    fcntl(*lock, F_GETFD) < 0 || fcntl(*sock, F_GETFD) < 0)
		*lock = *sock = -1;
	if (*lock >= 0) {
		set_cloexec(*lock, true);
		set_cloexec(*sock, true);
	}
	unsetenv(UPDATE_FDS_ENV);
}

/* Tell systemd (Type=notify) that the daemon is ready, if it asked. */
void
daemon_notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t len;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    unix_addr(path, &sa, &len, NULL) < 0)
		return;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, "READY=1", 7, MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
	close(fd);
	unsetenv("NOTIFY_SOCKET");
}

/* notify.h: the sd_notify socket, readiness said by the worker */
#ifndef DEPLOY_NOTIFY_H
#define DEPLOY_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/lib/util.h"

/*
 * sd_notify: one SOCK_DGRAM unix socket shared by all workers, with
 * SO_PASSCRED so each datagram carries its sender's pid. A sender may
 * be a worker's descendant: since each worker leads its own session,
 * getsid(sender) is the worker's pid unless the sender made its own
 * session (then walk /proc/<pid>/stat ppid).
 */
struct notify_sock;

/*
 * Bind path ('@name': the abstract namespace): non-blocking,
 * CLOEXEC. A stale socket file at path is replaced; anything else
 * there is an error. Caller frees with notify_close.
 */
struct notify_sock *notify_open(const char *path, struct derr *e);
int notify_fd(const struct notify_sock *ns);
/*
 * Read one datagram into buf (NUL-terminated, cut to len - 1) and its
 * sender's pid (0 if the kernel sent none). Returns the message length
 * (>= 0), or -1 with errno EAGAIN when none is waiting (or another
 * errno). File descriptors sent along (FDSTORE=1) are closed.
 */
int notify_recv(struct notify_sock *ns, pid_t *sender, char *buf,
		size_t len);
/* True when one of msg's lines is exactly READY=1. */
bool notify_has_ready(const char *msg);
/* Close the socket and remove its file. */
void notify_close(struct notify_sock *ns);

#endif

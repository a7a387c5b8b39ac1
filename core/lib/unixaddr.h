/* unixaddr.h: the address of a unix socket from its path */
#ifndef DEPLOY_UNIXADDR_H
#define DEPLOY_UNIXADDR_H

#include <sys/socket.h>
#include <sys/un.h>

#include "core/lib/util.h"

/*
 * Fill sa with path and *len with the address's length. A path that
 * begins with '@' names the abstract namespace (the '@' becomes a NUL
 * byte). 0, or -1 with errno ENAMETOOLONG (EINVAL for "") and e (may
 * be NULL) filled: "socket path too long: '<path>'", "empty socket path".
 */
int unix_addr(const char *path, struct sockaddr_un *sa, socklen_t *len,
	      struct derr *e);
/*
 * A socket of type (SOCK_STREAM, SOCK_SEQPACKET, maybe | SOCK_NONBLOCK;
 * always close-on-exec) connected to path. The fd, or -1 with errno
 * set (ENOENT, ECONNREFUSED: nothing listens there).
 */
int unix_connect(const char *path, int type);

#endif

/* unixaddr.c: the address of a unix socket from its path */
#include "core/lib/unixaddr.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

/* Fill sa and len from path ('@': abstract). */
int
unix_addr(const char *path, struct sockaddr_un *sa, socklen_t *len,
	  struct derr *e)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof sa->sun_path) {
		if (e != NULL && n == 0)
			derr_set(e, "empty socket path");
		else if (e != NULL)
			derr_set(e, "socket path too long: '%s'", path);
		errno = n == 0 ? EINVAL : ENAMETOOLONG;
		return -1;
	}
	memcpy(sa->sun_path, path, n);
	if (path[0] == '@')
		sa->sun_path[0] = '\0';
	/* the NUL ending a file's path counts; an abstract name has none */
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
			   (path[0] != '@'));
	return 0;
}

/* Connect a new socket of type to path. */
int
unix_connect(const char *path, int type)
{
	struct sockaddr_un sa;
	socklen_t len;
	int fd, err;

	if (unix_addr(path, &sa, &len, NULL) < 0)
		return -1;
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, len) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

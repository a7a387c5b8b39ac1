/* aclient.c: one request to the daemon without blocking (the dashboard) */
#include "core/proto/aclient.h"
#include "core/lib/unixaddr.h"
#include "core/proto/client.h"
#include "core/proto/proto.h"
#include "core/lib/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct areq {
	int fd;
	struct strbuf in;
};

/* Connect without blocking and send the request line. */
struct areq *
areq_start(const char *home, json_t *req, struct derr *e)
{
	char *path = client_socket_path(home), *line;
	struct areq *r;
	json_t *msg;
	int fd;
	ssize_t n;

	fd = unix_connect(path, SOCK_STREAM | SOCK_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			derr_set(e, "the daemon is not running");
		else if (errno == ENAMETOOLONG)
			derr_set(e, "socket path too long: '%s'", path);
		else
			derr_errno(e, "cannot reach the daemon");
		free(path);
		return NULL;
	}
	free(path);
	msg = json_deep_copy(req);
	proto_stamp(msg);
	line = proto_encode(msg);
	json_decref(msg);
	/* A request is far smaller than a socket buffer: one send does. */
	n = send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n != (ssize_t)strlen(line)) {
		derr_errno(e, "cannot talk to the daemon");
		free(line);
		close(fd);
		return NULL;
	}
	free(line);
	r = xcalloc(1, sizeof *r);
	r->fd = fd;
	strbuf_init(&r->in, PROTO_MAX_LINE * 16);
	return r;
}

int
areq_fd(const struct areq *r)
{
	return r->fd;
}

/* Read what is there and parse the reply once it is whole. */
int
areq_read(struct areq *r, json_t **reply, struct derr *e)
{
	char buf[65536];
	ssize_t n;
	int rc;

	*reply = NULL;
	while ((n = recv(r->fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
		strbuf_add(&r->in, buf, (size_t)n);
	rc = memchr(r->in.buf, '\n', r->in.len) ? 1 : 0;
	if (rc == 0 && n == 0)
		return derr_set(e, "the daemon closed the connection");
	if (rc == 0 && n < 0 && errno != EAGAIN && errno != EINTR)
		return derr_errno(e, "cannot talk to the daemon");
	if (rc == 0)
		return 0;
	/* A reply may exceed the request limit: parse it whole. */
	json_error_t jerr;
	*reply = json_loadb(r->in.buf, (size_t)((char *)memchr(r->in.buf,
		'\n', r->in.len) - r->in.buf), 0, &jerr);
	if (*reply == NULL)
		return derr_set(e, "bad reply from the daemon: %s", jerr.text);
	return 1;
}

/* Close and free. */
void
areq_free(struct areq *r)
{
	if (r == NULL)
		return;
	close(r->fd);
	strbuf_release(&r->in);
	free(r);
}

/* nodeipc.c: the daemon's side of Node's IPC channel to a worker */
#include "core/probe/nodeipc.h"
#include "core/lib/loop.h"
#include "core/lib/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NODEIPC_LINE_MAX	(64 << 10)

struct nodeipc {
	int fd;
	struct strbuf in;	/* a line not yet complete */
};

bool
nodeipc_wanted(const struct eco_app *cfg)
{
	return (cfg->wait_ready || cfg->shutdown_with_message) &&
		!cfg->shell && eco_runs_node(cfg);
}

/* A socketpair for one worker; the daemon's end does not block. */
int
nodeipc_pair(int fds[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		return -1;
	if (fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	return 0;
}

/* The daemon's side of a channel on fd. */
struct nodeipc *
nodeipc_new(int fd)
{
	struct nodeipc *ipc = xcalloc(1, sizeof *ipc);

	ipc->fd = fd;
	strbuf_init(&ipc->in, NODEIPC_LINE_MAX);
	return ipc;
}

/* Close and free the channel; NULL is a no-op. */
void
nodeipc_free(struct nodeipc *ipc)
{
	if (ipc == NULL)
		return;
	loop_close(ipc->fd);
	strbuf_release(&ipc->in);
	free(ipc);
}

/* The channel's fd, for the loop. */
int
nodeipc_fd(const struct nodeipc *ipc)
{
	return ipc->fd;
}

/* Whether one JSON line is PM2's readiness message. */
static bool
is_ready(const char *line, size_t len)
{
	json_t *msg = json_loadb(line, len, JSON_DECODE_ANY, NULL);
	json_t *data = json_is_object(msg) ?
		       json_object_get(msg, "data") : msg;
	bool ready = json_is_string(data) &&
		     strcmp(json_string_value(data), "ready") == 0;

	json_decref(msg);
	return ready;
}

/* Read what arrived; 1 on 'ready', 0 on nothing of note, -1 closed. */
int
nodeipc_read(struct nodeipc *ipc)
{
	char buf[4096], *nl;
	bool ready = false;
	ssize_t n;

	for (;;) {
		n = read(ipc->fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return ready ? 1 : -1;
		strbuf_add(&ipc->in, buf, (size_t)n);
		while ((nl = memchr(ipc->in.buf, '\n', ipc->in.len)) != NULL) {
			ready |= is_ready(ipc->in.buf,
					  (size_t)(nl - ipc->in.buf));
			strbuf_consume(&ipc->in,
				       (size_t)(nl - ipc->in.buf) + 1);
		}
		if (ipc->in.truncated)
			return -1;	/* a line longer than we keep */
	}
	return ready ? 1 : 0;
}

/* Send msg as one JSON string line; 0, or -1 (no channel, or full). */
int
nodeipc_send(struct nodeipc *ipc, const char *msg)
{
	json_t *v;
	char *text, *line;
	ssize_t n;
	int rc = -1;

	if (ipc == NULL)
		return -1;
	v = json_string(msg);
	text = json_dumps(v, JSON_ENCODE_ANY);
	line = xasprintf("%s\n", text);
	n = send(ipc->fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n == (ssize_t)strlen(line))
		rc = 0;
	free(line);
	free(text);
	json_decref(v);
	return rc;
}

/* conn.c: the daemon's control connections: accept, read, answer, close */
#include "core/daemon/daemon.h"
#include "core/proto/proto.h"
#include "core/sup/sup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * No client can stall the daemon: a connection whose replies pile up
 * unread (CONN_MAX_OUT) is not read from until they drain; one idle
 * for CONN_IDLE_MS with no reply owed is closed; when all MAX_CONNS are
 * taken, the longest idle one makes room for a new client; and a spare
 * fd lets the listener accept (and close) a client at the fd limit
 * instead of polling an accept() that keeps failing.
 */
#define MAX_CONNS 256
#define CONN_MAX_OUT (1024 * 1024)
#define CONN_IDLE_MS 60000

/* Queue one line on c. */
void
conn_send(struct conn *c, const json_t *msg)
{
	char *line;

	if (c->dead)
		return;
	line = proto_encode(msg);
	strbuf_addstr(&c->out, line);
	free(line);
	c->last_ms = now_ms();	/* not idle: it has something to read */
}

/* Queue a reply on c and stop waiting. */
void
conn_reply(struct conn *c, json_t *reply)
{
	conn_send(c, reply);
	json_decref(reply);
	c->waiting = false;
}

/* True while c may take another request: no reply owed, not too much
   output unread. */
static bool
conn_ready(const struct conn *c)
{
	return !c->waiting && !c->dead && !c->refused &&
		c->out.len < CONN_MAX_OUT;
}

/* Answer each complete request in c's input, one at a time. */
static void
conn_process(struct conn *c)
{
	struct derr e;
	json_t *req;
	int rc;

	while (conn_ready(c) && (rc = proto_next(&c->in, &req, &e)) != 0) {
		if (rc < 0) {
			conn_reply(c, proto_error(EXIT_USAGE, "%s", e.msg));
			if (c->in.len > PROTO_MAX_LINE)
				c->close_after = true;
			continue;
		}
		ctl_handle(c->d, c, req);
		json_decref(req);
	}
}

/* Read what a connection sent and answer each complete request. */
static void
conn_on_read(struct conn *c)
{
	char buf[65536];
	ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);

	if (n == 0) {
		/* The client is done sending: answer, then close. */
		c->close_after = true;
		c->dead = c->dead || c->refused;
		return;
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		c->dead = true;
		return;
	}
	if (n < 0)
		return;
	c->last_ms = now_ms();
	if (!c->refused)
		strbuf_add(&c->in, buf, (size_t)n);
	conn_process(c);
}

/* Write pending output; close when asked to and drained. */
void
conn_flush(struct conn *c)
{
	while (c->out.len > 0) {
		ssize_t n = send(c->fd, c->out.buf, c->out.len,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				c->dead = true;
			return;
		}
		c->last_ms = now_ms();
		strbuf_consume(&c->out, (size_t)n);
	}
	if (c->refused)
		shutdown(c->fd, SHUT_WR);	/* then wait for its EOF */
	else if (c->close_after && !c->waiting)
		c->dead = true;
}

/* Loop callback for a connection fd. */
static void
conn_event(void *arg, int fd, short revents)
{
	struct conn *c = arg;

	(void)fd;
	if (c->dead)
		return;
	if (revents & POLLHUP) {
		/* Gone for good (not a half close): a request it sent but
		   no longer waits for is dropped, not carried out. */
		c->dead = true;
		return;
	}
	if (revents & (POLLIN | POLLERR))
		conn_on_read(c);
	if (!c->dead && (revents & POLLOUT))
		conn_flush(c);
}

/* True when c may be closed to make room: idle, nothing owed. */
static bool
conn_evictable(const struct conn *c)
{
	return !c->waiting && c->out.len == 0 && c->in.len == 0;
}

/* Free the connections marked dead. */
static void
conns_sweep(struct daemon *d)
{
	size_t out = 0;

	for (size_t i = 0; i < d->n_conns; i++) {
		struct conn *c = d->conns[i];

		if (!c->dead) {
			d->conns[out++] = c;
			continue;
		}
		if (c->job != NULL)
			sup_job_abandon(d->sup, c->job);
		loop_close(c->fd);
		strbuf_release(&c->in);
		strbuf_release(&c->out);
		free(c);
	}
	d->n_conns = out;
}

/* Make room for one more connection; false when every one is busy. */
static bool
conn_make_room(struct daemon *d)
{
	struct conn *oldest = NULL;

	size_t max = fd_limit() / 4;

	if (d->n_conns < (max < MAX_CONNS ? max : MAX_CONNS))
		return true;
	for (size_t i = 0; i < d->n_conns; i++) {
		struct conn *c = d->conns[i];

		if (!c->dead && conn_evictable(c) &&
		    (oldest == NULL || c->last_ms < oldest->last_ms))
			oldest = c;
	}
	if (oldest == NULL)
		return false;
	oldest->dead = true;
	conns_sweep(d);
	return true;
}

/* accept4 on the listener, through the spare fd at the fd limit: the
   client is then accepted and closed at once rather than left to make
   every poll() return. The fd or -1. */
static int
conn_accept(struct daemon *d, int fd)
{
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (cfd >= 0 || (errno != EMFILE && errno != ENFILE) ||
	    d->spare_fd < 0)
		return cfd;
	close(d->spare_fd);
	cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (cfd >= 0)
		close(cfd);
	d->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return -1;
}

/* Accept a connection from our own uid (or root); refuse the rest. */
static void
listener_event(void *arg, int fd, short revents)
{
	struct daemon *d = arg;
	struct ucred cred;
	socklen_t len = sizeof cred;
	struct conn *c;
	int cfd;

	(void)revents;
	cfd = conn_accept(d, fd);
	if (cfd < 0)
		return;
	if (!conn_make_room(d)) {
		close(cfd);
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->d = d;
	c->fd = cfd;
	c->last_ms = now_ms();
	strbuf_init(&c->in, 0);
	strbuf_init(&c->out, 0);
	ARRAY_GROW(d->conns, d->cap_conns, d->n_conns + 1);
	d->conns[d->n_conns++] = c;
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != getuid() && cred.uid != 0)) {
		c->refused = true;
		conn_reply(c, proto_error(EXIT_DAEMON, "permission denied: "
					  "uid %d is not the daemon's user",
					  (int)cred.uid));
	}
}


/* Register the listener and every connection with the loop. */
void
conns_watch(struct daemon *d, struct loop *l)
{
	if (!d->shutting_down)
		loop_add(l, d->listen_fd, POLLIN, listener_event, d);
	for (size_t i = 0; i < d->n_conns; i++) {
		struct conn *c = d->conns[i];
		short ev = c->refused || (!(c->waiting || c->close_after) &&
					  c->out.len < CONN_MAX_OUT) ?
			POLLIN : 0;

		if (c->out.len > 0 || (c->close_after && !c->waiting))
			ev |= POLLOUT;
		loop_add(l, c->fd, ev, conn_event, c);
		if (!c->waiting)
			loop_deadline(l, c->last_ms + CONN_IDLE_MS);
	}
}

/* After a turn: answer what can be answered, close idle and dead
   connections. */
void
conns_after_turn(struct daemon *d)
{
	long long now = now_ms();

	for (size_t i = 0; i < d->n_conns; i++) {
		struct conn *c = d->conns[i];

		conn_process(c);
		if (!c->waiting && c->out.len == 0 &&
		    now - c->last_ms >= CONN_IDLE_MS)
			c->dead = true;
	}
	conns_sweep(d);
}

size_t
conns_shed(struct daemon *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_conns; i++)
		if (!d->conns[i]->dead && conn_evictable(d->conns[i])) {
			d->conns[i]->dead = true;
			n++;
		}
	conns_sweep(d);
	return n;
}

/* Close every connection. */
void
conns_close_all(struct daemon *d)
{
	for (size_t i = 0; i < d->n_conns; i++)
		d->conns[i]->dead = true;
	conns_sweep(d);
	free(d->conns);
	d->conns = NULL;
}

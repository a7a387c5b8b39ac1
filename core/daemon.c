/* daemon.c: the supervisor daemon: sockets, signals, connections */
#include "daemon.h"
#include "client.h"
#include "paths.h"
#include "proto.h"
#include "sup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CONNS 256

/* Take $home/daemon.pid's lock and write our pid in it. */
static int
take_lock(struct daemon *d, struct derr *e)
{
	char buf[32];
	int n;

	if (d->lock_fd >= 0)		/* inherited: held already */
		return 0;
	/* Not through a link planted there: we truncate what we open. */
	d->lock_fd = deploy_home_file(d->home, "daemon.pid", O_RDWR | O_CREAT,
				      0600, e);
	if (d->lock_fd < 0)
		return -1;
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		n = (int)read(d->lock_fd, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		return derr_set(e, "another daemon is running (pid %s)", buf);
	}
	n = snprintf(buf, sizeof buf, "%d\n", (int)getpid());
	if (ftruncate(d->lock_fd, 0) < 0 ||
	    pwrite(d->lock_fd, buf, (size_t)n, 0) != n)
		return derr_errno(e, "cannot write daemon.pid");
	return 0;
}

/* Bind the control socket, 0600, replacing a stale one. */
static int
bind_socket(struct daemon *d, struct derr *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old;

	if (d->listen_fd >= 0)		/* inherited: listening already */
		return 0;
	if (strlen(d->sock_path) >= sizeof sa.sun_path)
		return derr_set(e, "socket path too long: '%s'", d->sock_path);
	strcpy(sa.sun_path, d->sock_path);
	unlink(d->sock_path);
	d->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
			      SOCK_CLOEXEC, 0);
	if (d->listen_fd < 0)
		return derr_errno(e, "cannot create a socket");
	old = umask(0177);
	if (bind(d->listen_fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		umask(old);
		return derr_errno(e, "cannot bind '%s'", d->sock_path);
	}
	umask(old);
	/* Bound under umask 0177, so 0600 already: no chmod by name, which
	 * a link swapped in after the bind would redirect. */
	if (listen(d->listen_fd, 64) < 0)
		return derr_errno(e, "cannot listen on '%s'", d->sock_path);
	return 0;
}

/* Route CHLD, TERM, INT and HUP through a signalfd. */
static int
open_signals(struct daemon *d, struct derr *e)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return derr_errno(e, "cannot block signals");
	signal(SIGPIPE, SIG_IGN);
	/* Orphaned grandchildren of workers come to us to be reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	d->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sig_fd < 0)
		return derr_errno(e, "cannot create a signalfd");
	return 0;
}

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
}

/* Queue a reply on c and stop waiting. */
void
conn_reply(struct conn *c, json_t *reply)
{
	conn_send(c, reply);
	json_decref(reply);
	c->waiting = false;
}

/* Stop supervising: every worker gets its stop signal; exit when done. */
void
daemon_shutdown(struct daemon *d)
{
	struct derr e;

	if (d->shutting_down)
		return;
	d->shutting_down = true;
	if (sup_save(d->sup, &e) < 0)
		fprintf(stderr, "deploy daemon: %s\n", e.msg);
	sup_stop_all(d->sup);
}

/* Answer each complete request in c's input, one at a time. */
static void
conn_process(struct conn *c)
{
	struct derr e;
	json_t *req;
	int rc;

	while (!c->waiting && !c->dead && !c->refused &&
	       (rc = proto_next(&c->in, &req, &e)) != 0) {
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
	if (revents & (POLLIN | POLLHUP | POLLERR))
		conn_on_read(c);
	if (!c->dead && (revents & POLLOUT))
		conn_flush(c);
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
	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	if (d->n_conns >= MAX_CONNS) {
		close(cfd);
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->d = d;
	c->fd = cfd;
	strbuf_init(&c->in, 0);
	strbuf_init(&c->out, 0);
	ARRAY_GROW(d->conns, d->cap_conns, d->n_conns + 1);
	d->conns[d->n_conns++] = c;
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != getuid() && cred.uid != 0)) {
		c->refused = true;
		conn_reply(c, proto_error(EXIT_DAEMON, "permission denied: uid %d is "
					  "not the daemon's user",
					  (int)cred.uid));
	}
}

/* Drain the signalfd: reap children, shut down, or reload all. */
static void
signal_event(void *arg, int fd, short revents)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;

	(void)revents;
	while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			sup_reap(d->sup);
			break;
		case SIGTERM:
		case SIGINT:
			daemon_shutdown(d);
			break;
		case SIGHUP:
			sup_reload_all(d->sup);
			break;
		}
	}
}

/* Free the connections marked dead during this turn. */
static void
sweep_conns(struct daemon *d)
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
		close(c->fd);
		strbuf_release(&c->in);
		strbuf_release(&c->out);
		free(c);
	}
	d->n_conns = out;
}

/* Register this turn's fds: signals, listener, connections, workers. */
static void
watch_all(struct daemon *d)
{
	loop_reset(&d->loop);
	loop_add(&d->loop, d->sig_fd, POLLIN, signal_event, d);
	if (!d->shutting_down)
		loop_add(&d->loop, d->listen_fd, POLLIN, listener_event, d);
	for (size_t i = 0; i < d->n_conns; i++) {
		struct conn *c = d->conns[i];
		short ev = c->refused || !(c->waiting || c->close_after) ?
			POLLIN : 0;

		if (c->out.len > 0 || (c->close_after && !c->waiting))
			ev |= POLLOUT;
		loop_add(&d->loop, c->fd, ev, conn_event, c);
	}
	sup_watch(d->sup, &d->loop);
}

/* Close everything the daemon opened. */
static void
daemon_close(struct daemon *d)
{
	for (size_t i = 0; i < d->n_conns; i++)
		d->conns[i]->dead = true;
	sweep_conns(d);
	free(d->conns);
	sup_free(d->sup);
	loop_free(&d->loop);
	if (d->listen_fd >= 0) {
		close(d->listen_fd);
		unlink(d->sock_path);
	}
	if (d->sig_fd >= 0)
		close(d->sig_fd);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	free(d->sock_path);
	free(d->update_error);
	free(d->home);
}

/* Each worker costs two pipe fds: raise the soft fd limit to the hard. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Set up, then turn the loop until a shutdown has finished. */
int
daemon_run(const char *home, bool resurrect, struct derr *e)
{
	struct daemon d = { .lock_fd = -1, .listen_fd = -1, .sig_fd = -1 };
	int rc = -1;

	d.home = xstrdup(home);
	d.sock_path = client_socket_path(home);
	d.started_ms = wall_ms();
	raise_fd_limit();
	daemon_inherited(&d.lock_fd, &d.listen_fd);
	if (deploy_home_ensure(home, e) < 0 || take_lock(&d, e) < 0 ||
	    open_signals(&d, e) < 0 || bind_socket(&d, e) < 0)
		goto out;
	d.sup = sup_new(d.home, e);
	if (d.sup == NULL)
		goto out;
	fprintf(stderr, "deploy daemon %s: pid %d, socket '%s'\n",
		DEPLOY_VERSION, (int)getpid(), d.sock_path);
	sup_reap(d.sup);	/* children that exited before we were here */
	if (sup_restore(d.sup, e) < 0)
		fprintf(stderr, "deploy daemon: %s\n", e->msg);
	if (resurrect && sup_resurrect(d.sup, NULL, e) < 0)
		fprintf(stderr, "deploy daemon: %s\n", e->msg);
	daemon_notify_ready();
	while (!d.done) {
		watch_all(&d);
		if (loop_run_once(&d.loop) < 0) {
			derr_errno(e, "poll failed");
			goto out;
		}
		sup_after_turn(d.sup);
		for (size_t i = 0; i < d.n_conns; i++)
			conn_process(d.conns[i]);
		sweep_conns(&d);
		if (d.shutting_down && sup_all_stopped(d.sup)) {
			/* Let queued replies out before leaving. */
			for (size_t i = 0; i < d.n_conns; i++)
				conn_flush(d.conns[i]);
			d.done = true;
		}
	}
	rc = 0;
	sup_retire(d.sup);
	fprintf(stderr, "deploy daemon: stopped\n");
out:
	daemon_close(&d);
	return rc;
}

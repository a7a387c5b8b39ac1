/* daemon.c: the supervisor daemon: sockets, signals, connections */
#include "core/daemon/daemon.h"
#include "core/lib/unixaddr.h"
#include "core/lib/dlog.h"
#include "core/proto/client.h"
#include "core/lib/paths.h"
#include "core/proto/proto.h"
#include "core/sup/sup.h"

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
	struct sockaddr_un sa;
	socklen_t len;
	mode_t old;

	if (d->listen_fd >= 0)		/* inherited: listening already */
		return 0;
	if (unix_addr(d->sock_path, &sa, &len, e) < 0)
		return -1;
	unlink(d->sock_path);
	d->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
			      SOCK_CLOEXEC, 0);
	if (d->listen_fd < 0)
		return derr_errno(e, "cannot create a socket");
	old = umask(0177);
	if (bind(d->listen_fd, (struct sockaddr *)&sa, len) < 0) {
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

/* Stop supervising: every worker gets its stop signal; exit when done. */
void
daemon_shutdown(struct daemon *d)
{
	struct derr e;

	if (d->shutting_down)
		return;
	d->shutting_down = true;
	if (sup_save(d->sup, &e) < 0)
		dlog("%s", e.msg);
	sup_stop_all(d->sup);
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

/* Register this turn's fds: signals, listener, connections, workers. */
static void
watch_all(struct daemon *d)
{
	loop_reset(&d->loop);
	loop_add(&d->loop, d->sig_fd, POLLIN, signal_event, d);
	conns_watch(d, &d->loop);
	sup_watch(d->sup, &d->loop);
}

/* Close everything the daemon opened. */
static void
daemon_close(struct daemon *d)
{
	conns_close_all(d);
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
	if (d->spare_fd >= 0)
		close(d->spare_fd);
	free(d->sock_path);
	free(d->update_error);
	free(d->home);
}

size_t
fd_limit(void)
{
	struct rlimit rl;

	return getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (size_t)rl.rlim_cur :
		1024;
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

/*
 * poll() refuses more fds than the soft fd limit (EINVAL): someone
 * lowered it under the daemon (prlimit). Close the idle connections,
 * and raise the limit back, rather than die and leave the workers
 * unsupervised. 0 to go on, -1 with e filled when nothing helps.
 */
static int
poll_failed(struct daemon *d, struct derr *e)
{
	int err = errno;
	size_t shed;

	if (err != EINVAL)
		return derr_errno(e, "poll failed");
	shed = conns_shed(d);
	raise_fd_limit();
	dlog("more fds to watch than the fd limit: closed %zu idle "
	     "connections", shed);
	if (shed == 0 && d->loop.n > fd_limit())
		return derr_set(e, "poll failed: %zu fds to watch, over the "
				"fd limit", d->loop.n);
	return 0;
}

/* Set up, then turn the loop until a shutdown has finished. */
int
daemon_run(const char *home, bool resurrect, struct derr *e)
{
	struct daemon d = { .lock_fd = -1, .listen_fd = -1, .sig_fd = -1,
			    .spare_fd = -1 };
	int rc = -1;

	d.home = xstrdup(home);
	d.sock_path = client_socket_path(home);
	d.started_ms = wall_ms();
	raise_fd_limit();
	d.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	daemon_inherited(&d.lock_fd, &d.listen_fd);
	if (deploy_home_ensure(home, e) < 0 || take_lock(&d, e) < 0 ||
	    open_signals(&d, e) < 0 || bind_socket(&d, e) < 0)
		goto out;
	d.sup = sup_new(d.home, e);
	if (d.sup == NULL)
		goto out;
	dlog("deploy daemon %s: pid %d, socket '%s'", DEPLOY_VERSION,
	     (int)getpid(), d.sock_path);
	sup_reap(d.sup);	/* children that exited before we were here */
	if (sup_restore(d.sup, e) < 0)
		dlog("%s", e->msg);
	if (resurrect && sup_resurrect(d.sup, NULL, e) < 0)
		dlog("%s", e->msg);
	daemon_notify_ready();
	while (!d.done) {
		watch_all(&d);
		if (loop_run_once(&d.loop) < 0 && poll_failed(&d, e) < 0)
			goto out;
		sup_after_turn(d.sup);
		conns_after_turn(&d);
		if (d.shutting_down && sup_all_stopped(d.sup)) {
			/* Let queued replies out before leaving. */
			for (size_t i = 0; i < d.n_conns; i++)
				conn_flush(d.conns[i]);
			d.done = true;
		}
	}
	rc = 0;
	sup_retire(d.sup);
	dlog("stopped");
out:
	daemon_close(&d);
	return rc;
}

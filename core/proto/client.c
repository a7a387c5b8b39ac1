/* client.c: the CLI side of the control socket */
#include "core/proto/client.h"
#include "core/lib/unixaddr.h"
#include "core/lib/loop.h"
#include "core/lib/paths.h"
#include "core/proto/proto.h"
#include "core/lib/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_TIMEOUT_MS 5000

struct client {
	int fd;
	struct strbuf in;
	bool broken;		/* the daemon went away before answering */
};

/* $home/daemon.sock. */
char *
client_socket_path(const char *home)
{
	return xasprintf("%s/daemon.sock", home);
}

/* One connect attempt; the fd, or -1 with errno set. */
static int
try_connect(const char *path)
{
	return unix_connect(path, SOCK_STREAM);
}

/* Close every fd from lo up. */
static void
close_from(int lo)
{
	if (close_range((unsigned)lo, ~0U, 0) == 0)
		return;
	for (int fd = lo, max = (int)sysconf(_SC_OPEN_MAX); fd < max; fd++)
		close(fd);
}

/* Start `deploy daemon` detached, its output to daemon.log. */
static int
start_daemon(const char *home, struct derr *e)
{
	int out = deploy_home_file(home, "daemon.log", O_WRONLY | O_CREAT |
				   O_APPEND, 0600, e);
	char *exe;
	pid_t pid;

	if (out < 0)
		return -1;
	exe = self_exe();
	pid = fork();
	if (pid < 0) {
		close(out);
		free(exe);
		return derr_errno(e, "cannot start the daemon");
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		/* Double fork so the daemon is not our child. */
		if (setsid() < 0 || fork() != 0)
			_exit(0);
		if (null >= 0)
			dup2(null, 0);
		dup2(out, 1);
		dup2(out, 2);
		/* Nothing the caller had open (a script's flock, a pipe
		 * someone waits on) may stay held by the daemon. */
		close_from(3);
		execl(exe, "deploy", "daemon", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	close(out);
	free(exe);
	return 0;
}

/* Connect, starting the daemon first when asked to. */
struct client *
client_connect(const char *home, bool autostart, struct derr *e)
{
	char *path = client_socket_path(home);
	long long deadline;
	struct client *c;
	int fd = try_connect(path);

	if (fd < 0 && autostart && (errno == ENOENT ||
				    errno == ECONNREFUSED)) {
		if (deploy_home_ensure(home, e) < 0 ||
		    start_daemon(home, e) < 0) {
			free(path);
			return NULL;
		}
		deadline = now_ms() + START_TIMEOUT_MS;
		while ((fd = try_connect(path)) < 0 && now_ms() < deadline) {
			struct timespec ts = { 0, 2 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		if (fd < 0) {
			derr_set(e, "the daemon did not start within %d s "
				 "(see '%s/daemon.log')",
				 START_TIMEOUT_MS / 1000, home);
			free(path);
			return NULL;
		}
	} else if (fd < 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			derr_set(e, "the daemon is not running");
		else
			derr_errno(e, "cannot connect to '%s'", path);
		free(path);
		return NULL;
	}
	free(path);
	c = xcalloc(1, sizeof *c);
	c->fd = fd;
	strbuf_init(&c->in, 0);
	return c;
}

/* Write all of s to fd. */
static int
send_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Wait up to the deadline for more input on c; 0, or -1 with e filled. */
static int
read_more(struct client *c, long long deadline, const struct client_wait *w,
	  struct derr *e)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	char buf[65536];
	int wait = deadline < 0 ? -1 : (int)(deadline - now_ms());
	ssize_t n;

	if (deadline >= 0 && wait <= 0)
		return derr_set(e, "no answer from the daemon within %d ms",
				w->timeout_ms);
	if (poll(&p, 1, wait) < 0 && errno != EINTR)
		return derr_errno(e, "cannot talk to the daemon");
	if (w->stop != NULL && *w->stop)
		return derr_set(e, "interrupted");
	n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno == ECONNRESET)) {
		c->broken = true;
		return n == 0 ? derr_set(e, "the daemon closed the "
					 "connection") :
			derr_errno(e, "cannot talk to the daemon");
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return derr_errno(e, "cannot talk to the daemon");
	if (n > 0)
		strbuf_add(&c->in, buf, (size_t)n);
	return 0;
}

/* Send one request; hand on progress lines; return the reply line. */
json_t *
client_call(struct client *c, json_t *req, const struct client_wait *w,
	    struct derr *e)
{
	long long deadline = w->timeout_ms < 0 ? -1 :
		now_ms() + w->timeout_ms;
	json_t *reply = NULL;
	char *line;
	int rc;

	proto_stamp(req);
	line = proto_encode(req);
	rc = send_all(c->fd, line, strlen(line));
	free(line);
	if (rc < 0) {
		c->broken = errno == EPIPE || errno == ECONNRESET;
		derr_errno(e, "cannot talk to the daemon");
		return NULL;
	}
	for (;;) {
		rc = proto_next(&c->in, &reply, e);
		if (rc < 0)
			return NULL;
		if (rc > 0 && json_object_get(reply, "event") == NULL)
			return reply;
		if (rc > 0) {
			if (w->event != NULL)
				w->event(w->arg, reply);
			json_decref(reply);
			continue;
		}
		if (read_more(c, deadline, w, e) < 0)
			return NULL;
	}
}

/* True when the daemon went away before it answered. */
bool
client_broken(const struct client *c)
{
	return c->broken;
}

/* Close and free. */
void
client_free(struct client *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	strbuf_release(&c->in);
	free(c);
}

/* holder.c: a small process that keeps fds open while the daemon is away */
#include "core/lib/holder.h"
#include "core/lib/unixaddr.h"
#include "core/lib/fileio.h"
#include "core/lib/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define TAG_MAX 200
#define MSG_MAX (TAG_MAX + 16)
#define TAKE_TIMEOUT_MS 5000

struct holder {
	int fd;			/* SOCK_SEQPACKET to the holder */
	pid_t pid;
};

/* One fd held under a tag (holder side). */
struct held {
	char tag[TAG_MAX + 1];
	int fd;
};

/* Send text with fd (-1: none) as one message; 0 or -1. */
static int
send_msg(int sock, const char *text, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { (void *)text, strlen(text) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *c;

		m.msg_control = cbuf;
		m.msg_controllen = sizeof cbuf;
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
	}
	while (sendmsg(sock, &m, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* Receive one message into text (NUL-terminated) and *fd (-1: none);
   the length, 0 at EOF, -1 on error. */
static ssize_t
recv_msg(int sock, char *text, size_t size, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { text, size - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof cbuf };
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	text[n] = '\0';
	for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof *fd);
	return n;
}

/* The entry held under tag, or NULL. */
static struct held *
held_find(struct held *h, size_t n, const char *tag)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(h[i].tag, tag) == 0)
			return &h[i];
	return NULL;
}

/* Carry out one request of the daemon; false when told to quit. */
static bool
holder_serve(int client, const char *msg, int fd, struct held **h,
	     size_t *n, size_t *cap)
{
	struct held *e;

	if (strncmp(msg, "put ", 4) == 0 && fd >= 0 &&
	    strlen(msg + 4) <= TAG_MAX) {
		e = held_find(*h, *n, msg + 4);
		if (e == NULL) {
			ARRAY_GROW(*h, *cap, *n + 1);
			e = &(*h)[(*n)++];
			strcpy(e->tag, msg + 4);
		} else {
			close(e->fd);
		}
		e->fd = fd;
		return true;
	}
	if (fd >= 0)
		close(fd);
	if (strncmp(msg, "drop ", 5) == 0 &&
	    (e = held_find(*h, *n, msg + 5)) != NULL) {
		close(e->fd);
		*e = (*h)[--(*n)];
	} else if (strcmp(msg, "take") == 0) {
		char out[MSG_MAX];

		for (size_t i = 0; i < *n; i++) {
			snprintf(out, sizeof out, "fd %s", (*h)[i].tag);
			send_msg(client, out, (*h)[i].fd);
		}
		send_msg(client, "end", -1);
	}
	return strcmp(msg, "quit") != 0;
}

/* The holder's life: serve one daemon at a time until told to quit. */
static void __attribute__((noreturn))
holder_main(int listener)
{
	struct held *h = NULL;
	size_t n = 0, cap = 0;
	int client = -1;

	for (;;) {
		struct pollfd p[2] = { { listener, POLLIN, 0 },
				       { client, POLLIN, 0 } };
		char msg[MSG_MAX];
		int fd;
		ssize_t len;

		if (poll(p, client >= 0 ? 2 : 1, -1) < 0)
			continue;
		if (p[0].revents & POLLIN) {
			int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);

			if (c >= 0) {	/* a new daemon replaces the last */
				if (client >= 0)
					close(client);
				client = c;
			}
			continue;
		}
		if (client < 0 || p[1].revents == 0)
			continue;
		len = recv_msg(client, msg, sizeof msg, &fd);
		if (len <= 0) {		/* the daemon went away: hold on */
			close(client);
			client = -1;
			continue;
		}
		if (!holder_serve(client, msg, fd, &h, &n, &cap))
			_exit(0);
	}
}

/* Be the holder on listener (fd 3 of `deploy __holder`): write our pid
   to pid_path, serve until told to quit, exit. */
void
holder_run(int listener, const char *pid_path)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%d\n", (int)getpid());

	signal(SIGPIPE, SIG_IGN);
	write_file_replace(pid_path, buf, (size_t)n, 0600,
			   &(struct derr){ 0 });
	holder_main(listener);
}

/* In the forked child: a clean process, its own session, nothing open
   but the listener as fd 3, exec'd anew as `deploy __holder`. */
static void __attribute__((noreturn))
holder_child(int listener, const char *pid_path)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	setsid();
	if (dup2(listener, 3) < 0)
		_exit(127);
	close_range(4, ~0U, 0);
	execl("/proc/self/exe", "deploy", "__holder", pid_path, (char *)NULL);
	_exit(127);
}

/* Bind home's holder socket and fork the holder; 0 or -1. */
static int
holder_spawn(const char *sock_path, const char *pid_path, struct derr *e)
{
	struct sockaddr_un sa;
	socklen_t len;
	mode_t old;
	pid_t pid;
	int fd;

	if (unix_addr(sock_path, &sa, &len, e) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return derr_errno(e, "cannot create a socket");
	unlink(sock_path);
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, len) < 0 ||
	    listen(fd, 4) < 0) {
		umask(old);
		close(fd);
		return derr_errno(e, "cannot listen on '%s'", sock_path);
	}
	umask(old);
	pid = fork();
	if (pid < 0) {
		close(fd);
		return derr_errno(e, "cannot fork the fd holder");
	}
	if (pid == 0)
		holder_child(fd, pid_path);
	close(fd);
	return 0;
}

/* Connect to the holder socket at path; the fd or -1. */
static int
holder_connect(const char *path)
{
	return unix_connect(path, SOCK_SEQPACKET);
}

/* The holder's peer pid through SO_PEERCRED, or 0. */
static pid_t
peer_pid(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof cred;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return 0;
	return cred.pid;
}

/* Connect, or start a holder and connect. */
struct holder *
holder_open(const char *home, struct derr *e)
{
	char *sock_path = xasprintf("%s/holder.sock", home);
	char *pid_path = xasprintf("%s/holder.pid", home);
	struct holder *h = NULL;
	int fd = holder_connect(sock_path);

	if (fd < 0 && holder_spawn(sock_path, pid_path, e) == 0 &&
	    (fd = holder_connect(sock_path)) < 0)
		derr_errno(e, "cannot connect to '%s'", sock_path);
	if (fd >= 0) {
		h = xcalloc(1, sizeof *h);
		h->fd = fd;
		h->pid = peer_pid(fd);
	}
	free(sock_path);
	free(pid_path);
	return h;
}

void
holder_close(struct holder *h)
{
	if (h == NULL)
		return;
	loop_close(h->fd);	/* its events may be pending in this turn */
	free(h);
}

/* Hand fd over under tag. */
int
holder_put(struct holder *h, const char *tag, int fd)
{
	char msg[MSG_MAX];

	if (h == NULL || strlen(tag) > TAG_MAX)
		return -1;
	snprintf(msg, sizeof msg, "put %s", tag);
	return send_msg(h->fd, msg, fd);
}

/* Let go of tag's fd. */
int
holder_drop(struct holder *h, const char *tag)
{
	char msg[MSG_MAX];

	if (h == NULL)
		return -1;
	snprintf(msg, sizeof msg, "drop %.*s", TAG_MAX, tag);
	return send_msg(h->fd, msg, -1);
}

/* Ask for every fd and hand each to fn, until "end". */
int
holder_take(struct holder *h, void (*fn)(void *arg, const char *tag,
					 int fd),
	    void *arg, struct derr *e)
{
	char msg[MSG_MAX];
	int fd;

	if (send_msg(h->fd, "take", -1) < 0)
		return derr_errno(e, "cannot ask the fd holder");
	for (;;) {
		struct pollfd p = { h->fd, POLLIN, 0 };

		if (poll(&p, 1, TAKE_TIMEOUT_MS) <= 0)
			return derr_set(e, "the fd holder did not answer");
		if (recv_msg(h->fd, msg, sizeof msg, &fd) <= 0)
			return derr_set(e, "the fd holder went away");
		if (strcmp(msg, "end") == 0)
			return 0;
		if (strncmp(msg, "fd ", 3) == 0 && fd >= 0)
			fn(arg, msg + 3, fd);
		else if (fd >= 0)
			close(fd);
	}
}

/* Tell the holder to exit. */
void
holder_quit(struct holder *h)
{
	if (h != NULL)
		send_msg(h->fd, "quit", -1);
}

pid_t
holder_pid(const struct holder *h)
{
	return h != NULL ? h->pid : 0;
}

/* The connection's fd. */
int
holder_fd(const struct holder *h)
{
	return h->fd;
}

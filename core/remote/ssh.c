/* ssh.c: an SSH session: TCP connect with a timeout, handshake, waits */
#include "core/remote/ssh_int.h"
#include "core/lib/fileio.h"
#include "core/lib/strbuf.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The deadline of one I/O step from now. */
long long
ssh_io_deadline(const struct ssh *s)
{
	return now_ms() + s->io_timeout_ms;
}

/* True when the last call failed only because it would block. */
bool
ssh_again(struct ssh *s)
{
	return s->f->session_last_errno(s->sess) == LIBSSH2_ERROR_EAGAIN;
}

/* Fill e with what failed and libssh2's reason. */
int
ssh_fail(struct ssh *s, struct derr *e, const char *what)
{
	char *msg = NULL;

	s->f->session_last_error(s->sess, &msg, NULL, 0);
	return derr_set(e, "%s: %s", what, msg && *msg ? msg : "failed");
}

/* Pass a note to the log callback. */
void
ssh_note(struct ssh *s, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (s->log == NULL)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	s->log(s->log_arg, msg);
	free(msg);
}

/* Wait for the socket as libssh2 wants. */
int
ssh_wait(struct ssh *s, long long deadline, struct derr *e)
{
	int dir = s->f->session_block_directions(s->sess), next = 0;
	struct pollfd p = { .fd = s->fd };
	long long wait_ms;
	int n;

	/* Waits that clean up (no e) are never cut short. */
	if (e != NULL && s->cancel != NULL && s->cancel(s->cancel_arg))
		return derr_set(e, "cancelled");
	/* Not before the session is up: a keepalive sent in the middle of
	 * the key exchange breaks it. */
	if (s->up && s->f->keepalive_send(s->sess, &next) != 0)
		return ssh_fail(s, e, "connection lost");
	if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
		p.events |= POLLIN;
	if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		p.events |= POLLOUT;
	if (p.events == 0)
		p.events = POLLIN;
	wait_ms = next > 0 ? next * 1000LL : 1000;
	if (s->cancel != NULL && wait_ms > SSH_CANCEL_POLL_MS)
		wait_ms = SSH_CANCEL_POLL_MS;
	if (deadline >= 0) {
		long long left = deadline - now_ms();

		if (left <= 0)
			return derr_set(e, "%s: timed out", s->where);
		if (left < wait_ms)
			wait_ms = left;
	}
	n = poll(&p, 1, (int)wait_ms);
	if (n < 0 && errno != EINTR)
		return derr_errno(e, "%s: poll", s->where);
	return 0;
}

/* Set keepalives on fd so that a dead peer ends the connection. */
static void
tune_socket(int fd, int interval, int count)
{
	int one = 1, idle = interval, cnt = count;
	unsigned int user_ms = (unsigned int)(interval * (count + 1)) * 1000;

	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof idle);
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
	/* Unacknowledged data older than this aborts the connection. */
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_ms,
		   sizeof user_ms);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Connect to one address within timeout_ms; the fd or -1 (errno). */
static int
connect_addr(const struct addrinfo *ai, long timeout_ms)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
			SOCK_CLOEXEC, ai->ai_protocol);
	struct pollfd p;
	socklen_t len = sizeof(int);
	int err = 0;

	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS)
		goto fail;
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	if (poll(&p, 1, (int)timeout_ms) == 0) {
		errno = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		goto fail;
	if (err == 0)
		return fd;
	errno = err;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* Resolve host and connect to the first address that answers. */
static int
tcp_connect(const char *host, int port, long timeout_ms, struct derr *e)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM }, *res, *ai;
	char service[16];
	long long deadline = now_ms() + timeout_ms;
	int fd = -1, rc, err = 0;

	snprintf(service, sizeof service, "%d", port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0)
		return derr_set(e, "cannot resolve '%s': %s", host,
				gai_strerror(rc));
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		long left = (long)(deadline - now_ms());

		if (left <= 0) {
			err = ETIMEDOUT;
			break;
		}
		fd = connect_addr(ai, left);
		if (fd < 0)
			err = errno;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		errno = err;
		return derr_errno(e, "cannot connect to %s port %d", host,
				  port);
	}
	return fd;
}

/* The local user's name (for a target without "user"). */
static char *
local_user(void)
{
	char *name = ssh_passwd_field(false);
	const char *u = getenv("USER");

	if (name != NULL)
		return name;
	return xstrdup(u != NULL ? u : "root");
}

/* True when name is one of the n strings of algs. */
static bool
listed(const char **algs, int n, const char *name, size_t len)
{
	for (int i = 0; i < n; i++)
		if (strlen(algs[i]) == len && strncmp(algs[i], name, len) == 0)
			return true;
	return false;
}

/* How a session reaches its host. */
enum route {
	ROUTE_LIBSSH2,		/* libssh2 can check the key on file */
	ROUTE_OPENSSH,		/* only an RSA key on file, which this
				 * libssh2 checks only with SHA-1 */
	ROUTE_FALLBACK,		/* no key on file and no rsa-sha2 here:
				 * OpenSSH when the key exchange fails */
};

/*
 * Prefer the host key algorithms known_hosts has keys for. Only those
 * this libssh2 supports are passed: its own filtering of the list
 * copies overlapping memory (libssh2 1.10). A libssh2 without
 * rsa-sha2-256/512 (before 1.11) can check an RSA host key only with
 * SHA-1 (ssh-rsa), which OpenSSH 8.8 and later refuse: such hosts go
 * through OpenSSH's own client.
 */
static enum route
prefer_known(struct ssh *s, const struct ssh_opts *o, const char *kh)
{
	int known = 0;
	char *want = ssh_known_algorithms(kh, o->host, o->port, &known);
	char *p = want;
	struct strbuf sb = STRBUF_INIT;
	const char **algs = NULL;
	enum route r = ROUTE_LIBSSH2;
	bool sha2;
	int n;

	n = s->f->session_supported_algs(s->sess, LIBSSH2_METHOD_HOSTKEY,
					 &algs);
	while (n > 0 && *p != '\0') {
		size_t len = strcspn(p, ",");

		if (listed(algs, n, p, len))
			strbuf_addf(&sb, "%s%.*s", sb.len ? "," : "",
				    (int)len, p);
		p += len + (p[len] == ',');
	}
	if (sb.len > 0)
		s->f->session_method_pref(s->sess, LIBSSH2_METHOD_HOSTKEY,
					  sb.buf);
	sha2 = n > 0 && listed(algs, n, "rsa-sha2-512", 12);
	if (n > 0)
		s->f->free(s->sess, (void *)algs);
	if (!sha2 && known == 0)
		r = ROUTE_FALLBACK;
	else if (!sha2 && strncmp(want, "rsa-sha2-512,", 13) == 0)
		r = ROUTE_OPENSSH;
	strbuf_release(&sb);
	free(want);
	return r;
}

/* Handshake; a ConnectTimeout bounds it too (a host that accepts and
 * stays silent). */
static int
handshake(struct ssh *s, const struct ssh_opts *o, struct derr *e)
{
	long long deadline = o->connect_timeout_ms > 0 ?
		now_ms() + o->connect_timeout_ms : ssh_io_deadline(s);
	int rc;

	while ((rc = s->f->session_handshake(s->sess, s->fd)) ==
	       LIBSSH2_ERROR_EAGAIN)
		if (ssh_wait(s, deadline, e) < 0)
			return -1;
	return rc == 0 ? 0 : ssh_fail(s, e, "SSH handshake failed");
}

/* End the libssh2 session and its socket (without waiting long). */
static void
drop_libssh2(struct ssh *s)
{
	if (s->sess != NULL) {
		long long deadline = now_ms() + 1000;

		/* No disconnect message on a socket never connected. */
		while (s->fd >= 0 && s->f->session_disconnect_ex(s->sess,
				SSH_DISCONNECT_BY_APPLICATION, "bye", "") ==
		       LIBSSH2_ERROR_EAGAIN && ssh_wait(s, deadline,
							NULL) == 0)
			;
		while (s->f->session_free(s->sess) == LIBSSH2_ERROR_EAGAIN &&
		       ssh_wait(s, deadline, NULL) == 0)
			;
		s->sess = NULL;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* Go on through OpenSSH's client, as OpenSSH itself would connect (with
 * rsa-sha2-512 for an RSA host key). */
static int
via_openssh(struct ssh *s, const struct ssh_opts *o, const char *user,
	    const char *kh, const char *why, struct derr *e)
{
	char *name;

	drop_libssh2(s);
	if (path_has_program("ssh")) {
		ssh_note(s, "connecting with OpenSSH's ssh: %s", why);
		return ssh_openssh_connect(s, o, user, kh, e);
	}
	name = ssh_known_name(o->host, o->port);
	derr_set(e, "cannot check the RSA host key of %s (libssh2 before "
		 "1.11 has no rsa-sha2) without OpenSSH's ssh: install "
		 "openssh-client, or record its ed25519 key: ssh-keyscan -t "
		 "ed25519 -p %d %s", name, o->port, o->host);
	free(name);
	return -1;
}

/* Connect, check the host key, authenticate. */
struct ssh *
ssh_connect(const struct ssh_opts *o, struct derr *e)
{
	const struct ssh_fns *f = ssh_dl(e);
	struct ssh_opts opts = *o;
	struct ssh *s;
	enum route route;
	char *user, *kh;

	if (f == NULL)
		return NULL;
	if (opts.port <= 0)
		opts.port = 22;
	s = xcalloc(1, sizeof *s);
	s->f = f;
	s->fd = -1;
	s->io_timeout_ms = o->io_timeout_ms > 0 ? o->io_timeout_ms :
		SSH_IO_TIMEOUT_MS;
	s->log = o->log;
	s->log_arg = o->log_arg;
	s->cancel = o->cancel;
	s->cancel_arg = o->cancel_arg;
	user = o->user != NULL ? xstrdup(o->user) : local_user();
	s->where = xasprintf("%s@%s:%d", user, o->host, opts.port);
	kh = o->known_hosts != NULL ? xstrdup(o->known_hosts) :
		ssh_expand_home("~/.ssh/known_hosts");
	s->sess = f->session_init_ex(NULL, NULL, NULL, NULL);
	if (s->sess == NULL) {
		derr_set(e, "cannot start an SSH session: out of memory");
		goto fail;
	}
	route = prefer_known(s, &opts, kh);
	if (route == ROUTE_OPENSSH) {
		if (via_openssh(s, &opts, user, kh, "known_hosts has only "
				"an RSA key for it, which this libssh2 checks "
				"only with SHA-1", e) < 0)
			goto fail;
		goto done;
	}
	s->fd = tcp_connect(o->host, opts.port, o->connect_timeout_ms > 0 ?
			    o->connect_timeout_ms : SSH_CONNECT_TIMEOUT_MS, e);
	if (s->fd < 0)
		goto fail;
	tune_socket(s->fd, o->alive_interval > 0 ? o->alive_interval :
		    SSH_ALIVE_INTERVAL_S, o->alive_count > 0 ? o->alive_count :
		    SSH_ALIVE_COUNT);
	f->session_set_blocking(s->sess, 0);
	f->keepalive_config(s->sess, 1, (unsigned)(o->alive_interval > 0 ?
				o->alive_interval : SSH_ALIVE_INTERVAL_S));
	if (handshake(s, &opts, e) < 0) {
		/* A host with only an RSA key refuses this libssh2's ssh-rsa. */
		if (route != ROUTE_FALLBACK ||
		    f->session_last_errno(s->sess) != LIBSSH2_ERROR_KEX_FAILURE ||
		    via_openssh(s, &opts, user, kh, "the key exchange failed "
				"(as with a host offering only an RSA key, "
				"which this libssh2 checks only with SHA-1)",
				e) < 0)
			goto fail;
		goto done;
	}
	if (ssh_check_host_key(s, &opts, kh, e) < 0 ||
	    ssh_authenticate(s, &opts, user, e) < 0)
		goto fail;
done:
	s->up = true;
	free(user);
	free(kh);
	return s;
fail:
	free(user);
	free(kh);
	ssh_free(s);
	return NULL;
}

/* Disconnect (without waiting long) and free. */
void
ssh_free(struct ssh *s)
{
	if (s == NULL)
		return;
	ssh_openssh_free(s->cli);
	drop_libssh2(s);
	free(s->where);
	free(s);
}

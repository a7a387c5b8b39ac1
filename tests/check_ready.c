/* check_ready.c: sd_notify and HTTP readiness probes, for real */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/testutil.h"
#include "core/lib/curl_dl.h"
#include "core/probe/http_probe.h"
#include "core/probe/notify.h"
#include "core/remote/remote_int.h"

/* The helper processes a test forked, killed at exit even on failure. */
static pid_t helpers[8];
static size_t n_helpers;

/* The temporary directory of the running test, removed by cleanup. */
static char test_dir[PATH_MAX];

/* Remove the test's temporary directory and all in it. */
static void
remove_test_dir(void)
{
	if (test_dir[0] != '\0')
		test_rmtree(test_dir);
	test_dir[0] = '\0';
}

/* Kill and reap every helper of this test; remove its directory. */
static void
cleanup(void)
{
	for (size_t i = 0; i < n_helpers; i++) {
		kill(helpers[i], SIGKILL);
		waitpid(helpers[i], NULL, 0);
	}
	n_helpers = 0;
	remove_test_dir();
}

/* Checked fixture: a fresh list, cleaned at the test process's exit
 * (a failed test exits at once) or in teardown. */
static void
setup(void)
{
	static bool registered;

	n_helpers = 0;
	if (!registered)
		atexit(cleanup);
	registered = true;
}

/* fork() and remember the child for cleanup. */
static pid_t
fork_helper(void)
{
	pid_t pid;

	ck_assert_uint_lt(n_helpers, ARRAY_SIZE(helpers));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid > 0)
		helpers[n_helpers++] = pid;
	else
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlive us */
	return pid;
}

/* Milliseconds on CLOCK_MONOTONIC. */
static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * A TCP socket bound to the loopback (v6: ::1) on a free port, listening
 * if asked; a bound socket that does not listen refuses connections,
 * and holding it keeps the port from being reused. -1 if v6 is absent.
 */
static int
loopback_socket(bool v6, bool listening, int *port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = v6 ? sizeof *in6 : sizeof *in4;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC,
			0);

	if (fd < 0)
		return -1;
	if (v6) {
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
	} else {
		in4->sin_family = AF_INET;
		in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		close(fd);
		return -1;
	}
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(v6 ? in6->sin6_port : in4->sin_port);
	if (listening)
		ck_assert_int_eq(listen(fd, 64), 0);
	return fd;
}

/* ---- sd_notify ---- */

/* The test's temporary directory and a socket path in it. */
static void
tmp_sock_path(char *path, size_t cap)
{
	strcpy(test_dir, "/tmp/check_ready.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_dir));
	snprintf(path, cap, "%s/notify.sock", test_dir);
}

/* In a child: send msg to the notify socket at path (with fd if >= 0). */
static int
send_notify(const char *path, const char *msg, int fd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = strlen(msg) };
	struct msghdr mh = { .msg_name = &sun, .msg_iov = &iov,
			     .msg_iovlen = 1 };
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	size_t n = strlen(path);

	memcpy(sun.sun_path, path, n);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	mh.msg_namelen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				     n + (path[0] != '@'));
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof ctl);
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof ctl.buf;
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
	}
	return s >= 0 && sendmsg(s, &mh, 0) == (ssize_t)strlen(msg) ? 0 : 1;
}

/* Wait for a datagram on ns and read it; the sender. */
static pid_t
recv_one(struct notify_sock *ns, char *buf, size_t len, int *n)
{
	struct pollfd pfd = { .fd = notify_fd(ns), .events = POLLIN };
	pid_t sender = -1;

	ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
	*n = notify_recv(ns, &sender, buf, len);
	ck_assert_int_ge(*n, 0);
	return sender;
}

/*
 * Who sends: the direct child (depth 1) or its child (depth 2, as when
 * a worker's child notifies); with an fd attached or not; to a file or
 * an abstract socket.
 */
static const struct notify_row {
	int depth;
	bool with_fd;
	bool abstract;
} notify_rows[] = {
	{ 1, false, false },
	{ 2, false, false },
	{ 1, true, false },
	{ 1, false, true },
};

START_TEST(test_notify_sender)
{
	const struct notify_row *row = &notify_rows[_i];
	const char *msg = "STATUS=starting\nREADY=1\n";
	char path[PATH_MAX], buf[256];
	int pfd[2], n, fds, st;
	struct notify_sock *ns;
	struct derr e = { "" };
	pid_t child, sender, want;

	tmp_sock_path(path, sizeof path);
	if (row->abstract)
		snprintf(path, sizeof path, "@check_ready.%d", (int)getpid());
	ns = notify_open(path, &e);
	ck_assert_msg(ns != NULL, "%s", e.msg);
	ck_assert_int_eq(pipe(pfd), 0);
	fds = test_count_fds();
	child = fork_helper();
	if (child == 0) {
		pid_t me;

		if (row->depth == 2 && fork() != 0)
			_exit(0);	/* the grandchild sends */
		me = getpid();
		if (write(pfd[1], &me, sizeof me) != sizeof me)
			_exit(1);
		_exit(send_notify(path, msg, row->with_fd ? pfd[1] : -1));
	}
	ck_assert_int_eq(read(pfd[0], &want, sizeof want), sizeof want);
	sender = recv_one(ns, buf, sizeof buf, &n);
	ck_assert_int_eq(sender, want);
	ck_assert_int_eq(n, (int)strlen(msg));
	ck_assert_str_eq(buf, msg);
	ck_assert(notify_has_ready(buf));
	/* nothing more, and any fd sent along did not land here */
	ck_assert_int_eq(notify_recv(ns, &sender, buf, sizeof buf), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(test_count_fds(), fds);
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert_int_eq(st, 0);
	n_helpers = 0;
	close(pfd[0]);
	close(pfd[1]);
	notify_close(ns);
	if (!row->abstract)
		ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

START_TEST(test_notify_truncates)
{
	char path[PATH_MAX], buf[8];
	struct notify_sock *ns;
	struct derr e = { "" };
	pid_t child;
	int n;

	tmp_sock_path(path, sizeof path);
	ns = notify_open(path, &e);
	ck_assert_msg(ns != NULL, "%s", e.msg);
	child = fork_helper();
	if (child == 0)
		_exit(send_notify(path, "READY=1\nSTATUS=long", -1));
	ck_assert_int_eq(recv_one(ns, buf, sizeof buf, &n), child);
	ck_assert_int_eq(n, 7);
	ck_assert_str_eq(buf, "READY=1");
	notify_close(ns);
}
END_TEST

/* What already sits at the path before notify_open. */
enum { AT_NOTHING, AT_STALE_SOCKET, AT_FILE, AT_TOO_LONG };

static const struct notify_open_row {
	int at;
	bool ok;
	const char *msg;	/* the start of the error */
} notify_open_rows[] = {
	{ AT_NOTHING, true, NULL },
	{ AT_STALE_SOCKET, true, NULL },
	{ AT_FILE, false, "cannot bind '/tmp/check_ready." },
	{ AT_TOO_LONG, false, "invalid notify socket path '/tmp/" },
};

START_TEST(test_notify_open)
{
	const struct notify_open_row *row = &notify_open_rows[_i];
	char path[PATH_MAX];
	struct notify_sock *ns;
	struct derr e = { "" };
	struct stat st;

	tmp_sock_path(path, sizeof path);
	if (row->at == AT_STALE_SOCKET) {
		/* as if the daemon died: bound, closed, file left */
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		int s = socket(AF_UNIX, SOCK_DGRAM, 0);

		strcpy(sun.sun_path, path);
		ck_assert_int_eq(bind(s, (struct sockaddr *)&sun, sizeof sun),
				 0);
		close(s);
	} else if (row->at == AT_FILE) {
		FILE *f = fopen(path, "w");

		ck_assert_ptr_nonnull(f);
		fclose(f);
	} else if (row->at == AT_TOO_LONG) {
		memset(path + strlen(test_dir), 'x', 150);
		path[strlen(test_dir) + 150] = '\0';
	}
	ns = notify_open(path, &e);
	if (row->ok) {
		ck_assert_msg(ns != NULL, "%s", e.msg);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert(S_ISSOCK(st.st_mode));
		notify_close(ns);
	} else {
		ck_assert_ptr_null(ns);
		ck_assert_msg(strncmp(e.msg, row->msg, strlen(row->msg)) == 0,
			      "got '%s'", e.msg);
		if (row->at == AT_FILE) {
			/* a regular file is never removed */
			ck_assert_int_eq(stat(path, &st), 0);
			ck_assert(S_ISREG(st.st_mode));
			ck_assert_ptr_nonnull(strstr(e.msg,
						     "Address already in use"));
		}
	}
	notify_close(NULL);
}
END_TEST

static const struct ready_row {
	const char *msg;
	bool ready;
} ready_rows[] = {
	{ "READY=1", true },
	{ "READY=1\n", true },
	{ "STATUS=up\nREADY=1", true },
	{ "READY=1\nSTATUS=up\n", true },
	{ "MAINPID=4\n\nREADY=1\n", true },
	{ "", false },
	{ "\n", false },
	{ "READY=0", false },
	{ "READY=10", false },
	{ "XREADY=1", false },
	{ " READY=1", false },
	{ "STATUS=READY=1", false },
	{ "READY=", false },
	{ "ready=1", false },
};

START_TEST(test_has_ready)
{
	ck_assert_msg(notify_has_ready(ready_rows[_i].msg) ==
		      ready_rows[_i].ready, "'%s'", ready_rows[_i].msg);
}
END_TEST

/* ---- HTTP ---- */

/* How the test HTTP server answers. */
enum answer { ANS_STATUS, ANS_SILENT, ANS_BIG, ANS_CLOSED };

/* In the helper: serve the listening socket sock forever. */
static void __attribute__((noreturn))
serve(int sock, enum answer ans, int status)
{
	static char body[1 << 20];
	char req[4096], head[256];
	int c;

	memset(body, 'x', sizeof body);
	while ((c = accept(sock, NULL, NULL)) >= 0) {
		size_t len = 0;
		ssize_t n;

		while ((n = read(c, req + len, sizeof req - 1 - len)) > 0) {
			len += (size_t)n;
			req[len] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL)
				break;
		}
		if (ans == ANS_SILENT) {
			pause();
			_exit(0);
		}
		snprintf(head, sizeof head, "HTTP/1.1 %d Whatever\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 status, ans == ANS_BIG ? sizeof body : 2);
		if (write(c, head, strlen(head)) < 0)
			_exit(1);
		/* the probe stops reading a big body early: no check */
		n = write(c, ans == ANS_BIG ? body : "ok",
			  ans == ANS_BIG ? sizeof body : 2);
		(void)n;
		close(c);
	}
	_exit(0);
}

/* Start a test server answering as asked; its URL in url. For
 * ANS_CLOSED, the bound socket that refuses (close it), else -1. */
static int
start_server(enum answer ans, int status, char *url, size_t cap)
{
	int port, sock = loopback_socket(false, ans != ANS_CLOSED, &port);

	ck_assert_int_ge(sock, 0);
	snprintf(url, cap, "http://127.0.0.1:%d/health", port);
	if (ans == ANS_CLOSED)
		return sock;
	if (fork_helper() == 0)
		serve(sock, ans, status);
	close(sock);
	return -1;
}

/* The probes of the running test (each test runs in its own process). */
static struct http_probes *probes;

/* The test's probes, created on first use. */
static struct http_probes *
hp(void)
{
	if (probes == NULL)
		probes = http_probes_new();
	return probes;
}

/* Free the test's probes (every probe must be freed first). */
static void
hp_free(void)
{
	http_probes_free(probes);
	probes = NULL;
}

/* Skip (with the reason) when libcurl cannot be loaded. */
static bool
have_curl(void)
{
	struct derr e = { "" };

	if (curl_dl(&e) != NULL)
		return true;
	printf("skip: %s\n", e.msg);
	return false;
}

/* Poll until every probe is done or max_ms pass, dispatching as the
 * daemon's per-fd callback loop does. Returns the milliseconds it took. */
static long long
drive(struct http_probe **ps, int n, long long max_ms)
{
	long long t0 = mono_ms();

	for (;;) {
		struct pollfd fds[64];
		int k = http_probes_pollfds(hp(), fds, 64), left = 0;
		long t = http_probes_timeout_ms(hp());

		for (int i = 0; i < n; i++)
			left += http_probe_result(ps[i]) == HTTP_PENDING;
		if (left == 0)
			return mono_ms() - t0;
		ck_assert_msg(mono_ms() - t0 < max_ms, "probes still pending");
		ck_assert_int_eq(k, http_probes_nfds(hp()) < 64 ?
				 http_probes_nfds(hp()) : 64);
		ck_assert_int_ge(poll(fds, (nfds_t)k,
				      t < 0 || t > 100 ? 100 : (int)t), 0);
		for (int i = 0; i < k; i++)
			http_probes_on_fd(hp(), fds[i].fd, fds[i].revents);
		http_probes_run(hp());
	}
}

static const struct http_row {
	enum answer ans;
	int status;
	long timeout_ms;
	int result;
	const char *error;	/* part of http_probe_error */
} http_rows[] = {
	{ ANS_STATUS, 200, 0, HTTP_YES, "" },
	{ ANS_STATUS, 204, 0, HTTP_YES, "" },
	{ ANS_STATUS, 299, 0, HTTP_YES, "" },
	{ ANS_STATUS, 503, 0, HTTP_NO, "HTTP 503" },
	{ ANS_STATUS, 404, 0, HTTP_NO, "HTTP 404" },
	{ ANS_STATUS, 301, 0, HTTP_NO, "HTTP 301" },
	{ ANS_CLOSED, 0, 0, HTTP_NO, "onnect" },
	{ ANS_SILENT, 0, 300, HTTP_NO, "timed out" },
	{ ANS_BIG, 200, 0, HTTP_YES, "" },
};

START_TEST(test_http)
{
	const struct http_row *row = &http_rows[_i];
	struct http_probe *p;
	struct derr e = { "" };
	char url[64];
	long long took;
	int closed;

	if (!have_curl())
		return;
	closed = start_server(row->ans, row->status, url, sizeof url);
	p = http_probe_start(hp(), url, row->timeout_ms, &e);
	ck_assert_msg(p != NULL, "%s", e.msg);
	ck_assert_int_eq(http_probe_result(p), HTTP_PENDING);
	ck_assert_str_eq(http_probe_error(p), "");
	took = drive(&p, 1, 5000);
	ck_assert_int_eq(http_probe_result(p), row->result);
	ck_assert_msg(strstr(http_probe_error(p), row->error) != NULL,
		      "error '%s' lacks '%s'", http_probe_error(p),
		      row->error);
	if (row->timeout_ms > 0)
		ck_assert_int_ge(took, row->timeout_ms - 10);
	http_probe_free(p);
	ck_assert_int_eq(http_probes_nfds(hp()), 0);
	hp_free();
	if (closed >= 0)
		close(closed);
}
END_TEST

START_TEST(test_http_many)
{
	struct http_probe *ps[40];
	char ok[64], bad[64], refused[64];
	struct derr e = { "" };
	int fds, closed;

	if (!have_curl())
		return;
	start_server(ANS_STATUS, 200, ok, sizeof ok);
	start_server(ANS_STATUS, 503, bad, sizeof bad);
	closed = start_server(ANS_CLOSED, 0, refused, sizeof refused);
	/* a first probe loads libcurl, so its fds are not counted */
	ps[0] = http_probe_start(hp(), ok, 2000, &e);
	ck_assert_msg(ps[0] != NULL, "%s", e.msg);
	drive(ps, 1, 5000);
	http_probe_free(ps[0]);
	fds = test_count_fds();
	for (int i = 0; i < 40; i++) {
		const char *url = i % 3 == 0 ? ok : i % 3 == 1 ? bad :
				  refused;

		ps[i] = http_probe_start(hp(), url, 2000, &e);
		ck_assert_msg(ps[i] != NULL, "%s", e.msg);
	}
	drive(ps, 40, 10000);
	for (int i = 0; i < 40; i++) {
		ck_assert_int_eq(http_probe_result(ps[i]),
				 i % 3 == 0 ? HTTP_YES : HTTP_NO);
		ck_assert_int_eq(strstr(http_probe_error(ps[i]), "HTTP 503") !=
				 NULL, i % 3 == 1);
		http_probe_free(ps[i]);
	}
	ck_assert_int_eq(http_probes_nfds(hp()), 0);
	ck_assert_int_eq(test_count_fds(), fds);
	hp_free();
	close(closed);
}
END_TEST

START_TEST(test_http_no_proxy)
{
	struct http_probe *p;
	struct derr e = { "" };
	char url[64], proxy[64];
	int closed;

	if (!have_curl())
		return;
	start_server(ANS_STATUS, 200, url, sizeof url);
	/* a daemon started from a shell with a proxy set must not use it */
	closed = start_server(ANS_CLOSED, 0, proxy, sizeof proxy);
	setenv("http_proxy", proxy, 1);
	setenv("ALL_PROXY", proxy, 1);
	p = http_probe_start(hp(), url, 2000, &e);
	ck_assert_msg(p != NULL, "%s", e.msg);
	drive(&p, 1, 5000);
	unsetenv("http_proxy");
	unsetenv("ALL_PROXY");
	ck_assert_msg(http_probe_result(p) == HTTP_YES, "%s",
		      http_probe_error(p));
	http_probe_free(p);
	hp_free();
	close(closed);
}
END_TEST

/* The remote health gate GETs with the same options: no proxy from the
 * environment, and the reason of a refusal in its message. */
START_TEST(test_remote_gate)
{
	struct derr e = { "" };
	char url[64], bad[64], proxy[64];
	int closed;

	if (!have_curl())
		return;
	start_server(ANS_STATUS, 200, url, sizeof url);
	start_server(ANS_STATUS, 503, bad, sizeof bad);
	closed = start_server(ANS_CLOSED, 0, proxy, sizeof proxy);
	setenv("http_proxy", proxy, 1);
	setenv("ALL_PROXY", proxy, 1);
	ck_assert_msg(remote_health_wait(url, 3000, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(remote_health_wait(bad, 600, &e), -1);
	ck_assert_msg(strstr(e.msg, ": HTTP 503") != NULL, "%s", e.msg);
	unsetenv("http_proxy");
	unsetenv("ALL_PROXY");
	close(closed);
}
END_TEST

START_TEST(test_http_free_pending)
{
	struct http_probe *p;
	struct derr e = { "" };
	char url[64];
	long long until;

	if (!have_curl())
		return;
	start_server(ANS_SILENT, 0, url, sizeof url);
	p = http_probe_start(hp(), url, 5000, &e);
	ck_assert_msg(p != NULL, "%s", e.msg);
	/* turn the loop until the request is out and curl waits to read */
	until = mono_ms() + 5000;
	while (http_probes_nfds(hp()) == 0 ||
	       http_probes_timeout_ms(hp()) == 0) {
		struct pollfd fds[8];
		int k = http_probes_pollfds(hp(), fds, 8);

		ck_assert_int_lt(mono_ms(), until);
		poll(fds, (nfds_t)k, 10);
		for (int i = 0; i < k; i++)
			http_probes_on_fd(hp(), fds[i].fd, fds[i].revents);
		http_probes_run(hp());
	}
	ck_assert_int_eq(http_probe_result(p), HTTP_PENDING);
	http_probe_free(p);
	ck_assert_int_eq(http_probes_nfds(hp()), 0);
	http_probes_run(hp());		/* nothing left to do, no crash */
	hp_free();
	http_probe_free(NULL);
}
END_TEST

/* Write text to a /proc file; -1 on failure. */
static int
write_proc(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	int rc;

	if (f == NULL)
		return -1;
	rc = fputs(text, f) < 0 ? -1 : 0;
	return fclose(f) != 0 ? -1 : rc;
}

/* Enter a new network namespace (a new user namespace too when needed)
 * with the loopback up; -1 when that cannot be done here. */
static int
enter_netns(void)
{
	struct ifreq ifr = { 0 };
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();
	int fd, rc;

	if (unshare(CLONE_NEWNET) < 0) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
			return -1;
		write_proc("/proc/self/setgroups", "deny");
		snprintf(map, sizeof map, "0 %d 1", (int)uid);
		if (write_proc("/proc/self/uid_map", map) < 0)
			return -1;
		snprintf(map, sizeof map, "0 %d 1", (int)gid);
		write_proc("/proc/self/gid_map", map);
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	if (rc == 0)
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	return rc;
}

/* True when 127.0.0.1:port can be bound (no SO_REUSEADDR): nothing,
 * not even a TIME-WAIT, holds it. */
static bool
port_free(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0;
	close(fd);
	return ok;
}

/* The child of test_http_self: 0 when every probe refused its
 * connection to itself and left the port free, 2 to skip, else the
 * round's failure (10 + round: wrong result, 40 + : port taken). */
static int
self_connect_rounds(int port)
{
	char range[32], url[64];

	snprintf(range, sizeof range, "%d %d", port, port);
	if (enter_netns() < 0 ||
	    write_proc("/proc/sys/net/ipv4/ip_local_port_range", range) < 0)
		return 2;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/health", port);
	for (int round = 0; round < 5; round++) {
		struct derr e = { "" };
		struct http_probe *p = http_probe_start(hp(), url, 2000, &e);

		if (p == NULL)
			return 9;
		drive(&p, 1, 5000);
		if (http_probe_result(p) != HTTP_NO ||
		    strstr(http_probe_error(p), "to itself") == NULL) {
			fprintf(stderr, "round %d: %d '%s'\n", round,
				http_probe_result(p), http_probe_error(p));
			return 10 + round;
		}
		http_probe_free(p);
		if (!port_free(port))
			return 40 + round;
	}
	hp_free();
	return 0;
}

/* With nothing listening on a port that is the whole ephemeral range
 * (in a network namespace of its own), a connect picks that very port
 * as its source and reaches itself: the probe must refuse it, and
 * leave no socket (not even TIME-WAIT) holding the port. */
START_TEST(test_http_self)
{
	pid_t pid;
	int st;

	if (!have_curl())
		return;
	pid = fork_helper();
	if (pid == 0)
		_exit(self_connect_rounds(45100));
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	n_helpers--;
	ck_assert(WIFEXITED(st));
	if (WEXITSTATUS(st) == 2) {
		printf("skip test_http_self: no network namespace\n");
		return;
	}
	ck_assert_int_eq(WEXITSTATUS(st), 0);
}
END_TEST

static const struct http_bad_row {
	const char *url;
	const char *msg;
} http_bad_rows[] = {
	{ "ftp://127.0.0.1/", "invalid health URL 'ftp://127.0.0.1/': "
	  "expected http:// or https://" },
	{ "127.0.0.1:3000/health", "invalid health URL "
	  "'127.0.0.1:3000/health': expected http:// or https://" },
	{ "", "invalid health URL '': expected http:// or https://" },
};

START_TEST(test_http_bad_url)
{
	struct derr e = { "" };

	ck_assert_ptr_null(http_probe_start(hp(), http_bad_rows[_i].url, 0,
					    &e));
	ck_assert_str_eq(e.msg, http_bad_rows[_i].msg);
}
END_TEST

START_TEST(test_curl_missing)
{
	struct curl_fns fns;
	struct derr e = { "" };
	const char *want = "cannot load libcurl-nope.so.4: ";

	ck_assert_ptr_null(curl_dl_open("libcurl-nope.so.4", &fns, &e));
	ck_assert_msg(strncmp(e.msg, want, strlen(want)) == 0, "'%s'", e.msg);
	ck_assert_ptr_nonnull(strstr(e.msg, "cannot open shared object"));
}
END_TEST

/* The ready suite. */
static Suite *
ready_suite(void)
{
	Suite *s = suite_create("ready");
	TCase *tc = tcase_create("notify");

	tcase_add_checked_fixture(tc, setup, cleanup);
	tcase_add_loop_test(tc, test_notify_sender, 0,
			    ARRAY_SIZE(notify_rows));
	tcase_add_test(tc, test_notify_truncates);
	tcase_add_loop_test(tc, test_notify_open, 0,
			    ARRAY_SIZE(notify_open_rows));
	tcase_add_loop_test(tc, test_has_ready, 0, ARRAY_SIZE(ready_rows));
	suite_add_tcase(s, tc);

	tc = tcase_create("http");
	tcase_add_checked_fixture(tc, setup, cleanup);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_http, 0, ARRAY_SIZE(http_rows));
	tcase_add_test(tc, test_http_many);
	tcase_add_test(tc, test_http_no_proxy);
	tcase_add_test(tc, test_remote_gate);
	tcase_add_test(tc, test_http_free_pending);
	tcase_add_test(tc, test_http_self);
	tcase_add_loop_test(tc, test_http_bad_url, 0,
			    ARRAY_SIZE(http_bad_rows));
	tcase_add_test(tc, test_curl_missing);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; exit status 0 when every test passed. */
int
main(void)
{
	SRunner *sr = srunner_create(ready_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

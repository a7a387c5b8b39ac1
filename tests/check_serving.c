/* check_serving.c: a process seen serving our listening socket */
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/probe/serving.h"
#include "core/lib/util.h"

/* A listening TCP socket on 127.0.0.1, any port. */
static int
listener(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	return fd;
}

/* How the child treats the socket before it says so on the pipe. */
enum child_mode { WATCH_DUP, WATCH_OTHER, NO_EPOLL };

/*
 * A child that, per mode, puts a dup of sock (another fd number) or
 * another socket into an epoll set, or makes none; then writes one
 * byte on the pipe and waits to be killed. Returns its pid.
 */
static pid_t
start_child(int sock, enum child_mode mode)
{
	int p[2];
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int ep = epoll_create1(0), fd = -1;
		struct epoll_event ev = { .events = EPOLLIN };

		if (mode == WATCH_DUP)
			fd = dup(sock);
		else if (mode == WATCH_OTHER)
			fd = listener();
		if (fd >= 0) {
			ev.data.fd = fd;
			if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
				_exit(1);
		}
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

/* Kill and reap a child. */
static void
stop_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static const struct mode_row {
	enum child_mode mode;
	bool serves;
} mode_rows[] = {
	{ WATCH_DUP, true },	/* the same socket under another fd */
	{ WATCH_OTHER, false },	/* an epoll set, another socket */
	{ NO_EPOLL, false },	/* nothing to see: the caller's timer */
};

START_TEST(test_modes)
{
	int sock = listener();
	pid_t pid = start_child(sock, mode_rows[_i].mode);
	bool serves = proc_serves_socket(pid, sock);

	stop_child(pid);
	close(sock);
	ck_assert_int_eq(serves, mode_rows[_i].serves);
}
END_TEST

/* This very process, before and after it watches the socket. */
START_TEST(test_self_then_watching)
{
	int sock = listener(), ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = sock };

	ck_assert(!proc_serves_socket(getpid(), sock));
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, sock, &ev), 0);
	ck_assert(proc_serves_socket(getpid(), sock));
	close(ep);
	close(sock);
}
END_TEST

/* A process that has gone, and a bad fd, are not serving. */
START_TEST(test_gone)
{
	int sock = listener();
	pid_t pid = start_child(sock, WATCH_DUP);

	stop_child(pid);
	ck_assert(!proc_serves_socket(pid, sock));
	ck_assert(!proc_serves_socket(getpid(), -1));
	close(sock);
}
END_TEST

/* The serving suite. */
static Suite *
serving_suite(void)
{
	Suite *s = suite_create("serving");
	TCase *tc = tcase_create("serving");

	tcase_add_loop_test(tc, test_modes, 0, ARRAY_SIZE(mode_rows));
	tcase_add_test(tc, test_self_then_watching);
	tcase_add_test(tc, test_gone);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; exit status 0 when every test passed. */
int
main(void)
{
	SRunner *sr = srunner_create(serving_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

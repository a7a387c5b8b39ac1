/* check_listeners.c: who listens on or holds a TCP port, from /proc */
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/testutil.h"
#include "core/eco/ecosystem.h"
#include "core/probe/listeners.h"

#define ROOT "tests/fixtures/proc/n0"

static const struct sock_row {
	int port;
	bool listen_only;
	int n;
	int state;		/* of the first */
	unsigned long ino;
	const char *local, *peer;
} sock_rows[] = {
	{ 0, false, 8, TCPS_LISTEN, 1001, "127.0.0.1:3000", "0.0.0.0:0" },
	{ 0, true, 4, TCPS_LISTEN, 1001, "127.0.0.1:3000", "0.0.0.0:0" },
	{ 3001, true, 1, TCPS_LISTEN, 1002, "0.0.0.0:3001", "0.0.0.0:0" },
	{ 3002, false, 1, TCPS_LISTEN, 1004, "[::1]:3002", "[::]:0" },
	{ 45100, false, 1, TCPS_ESTABLISHED, 1003, "127.0.0.1:45100",
	  "127.0.0.1:8080" },
	{ 45100, true, 0, 0, 0, NULL, NULL },
	{ 45101, false, 1, TCPS_TIME_WAIT, 0, "127.0.0.1:45101",
	  "127.0.0.1:8080" },
	{ 9999, false, 0, 0, 0, NULL, NULL },
};

START_TEST(test_socks_read)
{
	const struct sock_row *row = &sock_rows[_i];
	struct tcp_sock *s;
	struct derr e = { "" };
	int n = tcp_socks_read(ROOT, row->port, row->listen_only, &s, &e);

	ck_assert_int_eq(n, row->n);
	if (n > 0) {
		ck_assert_int_eq(s[0].state, row->state);
		ck_assert_uint_eq(s[0].ino, row->ino);
		ck_assert_str_eq(s[0].local, row->local);
		ck_assert_str_eq(s[0].peer, row->peer);
	}
	free(s);
}
END_TEST

START_TEST(test_socks_read_missing)
{
	struct tcp_sock *s;
	struct derr e = { "" };

	ck_assert_int_eq(tcp_socks_read("tests/fixtures/proc/nope", 0, true,
					&s, &e), -1);
	ck_assert_str_eq(e.msg, "cannot read 'tests/fixtures/proc/nope/"
			 "net/tcp': No such file or directory");
	ck_assert_ptr_null(s);
}
END_TEST

static const struct tree_row {
	pid_t pids[3];
	size_t n;
	int port;
	int want;
} tree_rows[] = {
	{ { 200, 201 }, 2, 3000, 3000 },
	{ { 200, 201 }, 2, 3002, 3002 },	/* the child's, on ::1 */
	{ { 200, 201 }, 2, 3001, 0 },		/* another process's */
	{ { 200 }, 1, 0, 3000 },
	{ { 201 }, 1, 0, 3002 },
	{ { 400 }, 1, 0, 0 },			/* a client only */
	{ { 400 }, 1, 45100, 0 },
	{ { 500, 999 }, 2, 0, 0 },		/* no fd dir, no pid */
	{ { 0 }, 0, 3000, 0 },
};

START_TEST(test_tree_listen_port)
{
	const struct tree_row *row = &tree_rows[_i];

	ck_assert_int_eq(tree_listen_port(ROOT, row->pids, row->n,
					  row->port), row->want);
}
END_TEST

static const struct holder_row {
	int port;
	pid_t skip_sid;
	int found;
	pid_t pid;
	pid_t sid;
	const char *text;
} holder_rows[] = {
	{ 3000, 0, 1, 200, 200, "port 3000 is held by pid 200 "
	  "(node server.js)" },
	{ 3002, 0, 1, 201, 200, "port 3002 is held by pid 201 "
	  "(node worker.js)" },
	{ 3001, 0, 1, 300, 300, "port 3001 is held by pid 300 "
	  "(python3 -m http.server 3001)" },
	{ 45100, 0, 1, 400, 400, "port 45100 is held by a connection of "
	  "pid 400 (python3 client.py) to 127.0.0.1:8080" },
	/* a TIME-WAIT connection listed first does not hide a live one */
	{ 45102, 0, 1, 400, 400, "port 45102 is held by a connection of "
	  "pid 400 (python3 client.py) to 127.0.0.1:8081" },
	{ 45101, 0, 1, 0, 0, "port 45101 is held by a closed connection "
	  "to 127.0.0.1:8080 (TIME-WAIT)" },
	{ 3003, 0, 1, 0, 0, "port 3003 is held by a process of another "
	  "user" },
	{ 3000, 200, 0, 0, 0, NULL },		/* its own session: skipped */
	{ 3001, 200, 1, 300, 300, NULL },
	{ 9999, 0, 0, 0, 0, NULL },
};

START_TEST(test_holder)
{
	const struct holder_row *row = &holder_rows[_i];
	struct port_holder h;
	struct derr e = { "" };
	char text[256];

	ck_assert_int_eq(port_holder_find(ROOT, row->port, row->skip_sid, &h,
					  &e), row->found);
	if (!row->found)
		return;
	ck_assert_int_eq(h.pid, row->pid);
	ck_assert_int_eq(h.sid, row->sid);
	if (row->text == NULL)
		return;
	port_holder_describe(&h, row->port, text, sizeof text);
	ck_assert_str_eq(text, row->text);
}
END_TEST

START_TEST(test_session)
{
	ck_assert_int_eq(proc_session(ROOT, 201), 200);
	ck_assert_int_eq(proc_session(ROOT, 400), 400);
	ck_assert_int_eq(proc_session(ROOT, 999), 0);
}
END_TEST

static const struct warn_row {
	int lo, hi;
	const char *text;	/* NULL: no warning */
} warn_rows[] = {
	{ 3000, 3000, NULL },
	{ 3000, 3003, NULL },
	{ 32000, 32767, NULL },
	{ 45100, 45100, "app 'x': port 45100 is inside the kernel's "
	  "ephemeral port range 32768-60999 (net.ipv4.ip_local_port_range), "
	  "so an outgoing connection may take it; use a port below 32768, "
	  "or reserve it with sysctl -w "
	  "net.ipv4.ip_local_reserved_ports=45100" },
	{ 32700, 32800, "app 'x': ports 32700-32800 are inside the "
	  "kernel's ephemeral port range 32768-60999 "
	  "(net.ipv4.ip_local_port_range), so an outgoing connection may "
	  "take them; use a port below 32768, or reserve them with sysctl "
	  "-w net.ipv4.ip_local_reserved_ports=32700-32800" },
	{ 60999, 61010, "" },
	{ 61000, 61010, NULL },
	{ 50051, 50051, NULL },			/* reserved */
	{ 40000, 40009, NULL },
	{ 40000, 40010, "" },
	{ 0, 0, NULL },
};

START_TEST(test_ephemeral)
{
	const struct warn_row *row = &warn_rows[_i];
	char *w = port_ephemeral_warning(ROOT, "app 'x'", row->lo, row->hi);

	if (row->text == NULL) {
		ck_assert_msg(w == NULL, "%s", w);
		return;
	}
	ck_assert_ptr_nonnull(w);
	if (row->text[0] != '\0')
		ck_assert_str_eq(w, row->text);
	free(w);
}
END_TEST

START_TEST(test_app_warning)
{
	struct eco_app a = { .name = "api", .port = 60990, .instances = 4 };
	char *w = app_port_warning(ROOT, &a);

	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_nonnull(strstr(w, "app 'api': ports 60990-60993 "));
	free(w);
	a.instances = 20;	/* 60990-61009: still partly inside */
	w = app_port_warning(ROOT, &a);
	ck_assert_ptr_nonnull(w);
	free(w);
	a.port = 3000;
	ck_assert_ptr_null(app_port_warning(ROOT, &a));
	a.listen = "127.0.0.1:45000";	/* the listen port wins */
	w = app_port_warning(ROOT, &a);
	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_nonnull(strstr(w, "app 'api': port 45000 is"));
	free(w);
	a.port = 0;
	a.listen = NULL;
	ck_assert_ptr_null(app_port_warning(ROOT, &a));
}
END_TEST

/* A TCP socket listening on 127.0.0.1 at a free port (in *port). */
static int
listener(int *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, len), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* The live /proc (listeners through sock_diag): our own socket is
 * found, with its inode, and is ours; a client socket holds its port. */
START_TEST(test_live)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	struct port_holder h;
	struct tcp_sock *s;
	struct derr e = { "" };
	struct stat st;
	pid_t me = getpid(), other = 1;
	int port, cport, lfd = listener(&port), c;
	char text[256], want[128];

	ck_assert_int_eq(fstat(lfd, &st), 0);
	ck_assert_int_eq(tcp_socks_read("/proc", port, true, &s, &e), 1);
	ck_assert_uint_eq(s[0].ino, (unsigned long)st.st_ino);
	ck_assert_int_eq(s[0].state, TCPS_LISTEN);
	free(s);
	ck_assert_int_eq(tree_listen_port("/proc", &me, 1, port), port);
	ck_assert_int_eq(tree_listen_port("/proc", &other, 1, port), 0);
	ck_assert_int_eq(port_holder_find("/proc", port, 0, &h, &e), 1);
	ck_assert_int_eq(h.pid, me);

	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&sin, len), 0);
	ck_assert_int_eq(getsockname(c, (struct sockaddr *)&sin, &len), 0);
	cport = ntohs(sin.sin_port);
	ck_assert_int_eq(port_holder_find("/proc", cport, 0, &h, &e), 1);
	ck_assert_int_eq(h.pid, me);
	port_holder_describe(&h, cport, text, sizeof text);
	snprintf(want, sizeof want, "port %d is held by a connection of "
		 "pid %d (", cport, (int)me);
	ck_assert_msg(strncmp(text, want, strlen(want)) == 0, "%s", text);
	snprintf(want, sizeof want, ") to 127.0.0.1:%d", port);
	ck_assert_msg(strstr(text, want) != NULL, "%s", text);
	close(c);
	close(lfd);
}
END_TEST

/* The listeners suite. */
static Suite *
listeners_suite(void)
{
	Suite *s = suite_create("listeners");
	TCase *tc = tcase_create("fixtures");

	tcase_add_loop_test(tc, test_socks_read, 0, ARRAY_SIZE(sock_rows));
	tcase_add_test(tc, test_socks_read_missing);
	tcase_add_loop_test(tc, test_tree_listen_port, 0,
			    ARRAY_SIZE(tree_rows));
	tcase_add_loop_test(tc, test_holder, 0, ARRAY_SIZE(holder_rows));
	tcase_add_test(tc, test_session);
	tcase_add_loop_test(tc, test_ephemeral, 0, ARRAY_SIZE(warn_rows));
	tcase_add_test(tc, test_app_warning);
	suite_add_tcase(s, tc);

	tc = tcase_create("live");
	tcase_add_test(tc, test_live);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(listeners_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

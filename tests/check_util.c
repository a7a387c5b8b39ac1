/* check_util.c: small pieces of core/lib: socket addresses, errors */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/lib/fileio.h"
#include "core/lib/unixaddr.h"
#include "core/lib/util.h"

static const struct addr_row {
	const char *path;
	int rc;
	int err;		/* errno on failure */
	const char *msg;	/* part of the derr on failure */
} addr_rows[] = {
	{ "/run/deploy/daemon.sock", 0, 0, NULL },
	{ "@deploy-notify", 0, 0, NULL },
	{ "", -1, EINVAL, "empty socket path" },
	{ "/tmp/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/s", -1,
	  ENAMETOOLONG, "socket path too long: '/tmp/xxx" },
};

/* unix_addr: the path in place, '@' as the abstract namespace's NUL,
   the length the kernel expects; a path that does not fit fails. */
START_TEST(test_unix_addr)
{
	const struct addr_row *row = &addr_rows[_i];
	size_t n = strlen(row->path);
	struct sockaddr_un sa;
	struct derr e = { "" };
	socklen_t len = 0;

	errno = 0;
	ck_assert_int_eq(unix_addr(row->path, &sa, &len, &e), row->rc);
	if (row->rc < 0) {
		ck_assert_int_eq(errno, row->err);
		ck_assert_msg(strstr(e.msg, row->msg) != NULL, "%s", e.msg);
		ck_assert_int_eq(unix_addr(row->path, &sa, &len, NULL), -1);
		return;
	}
	ck_assert_int_eq(sa.sun_family, AF_UNIX);
	if (row->path[0] == '@') {
		ck_assert_int_eq(sa.sun_path[0], '\0');
		ck_assert_mem_eq(sa.sun_path + 1, row->path + 1, n - 1);
		ck_assert_int_eq(len, offsetof(struct sockaddr_un, sun_path) +
				 n);
	} else {
		ck_assert_str_eq(sa.sun_path, row->path);
		ck_assert_int_eq(len, offsetof(struct sockaddr_un, sun_path) +
				 n + 1);
	}
}
END_TEST

/* unix_connect: ENOENT with nobody there; a close-on-exec socket
   connected to a listener. */
START_TEST(test_unix_connect)
{
	char dir[] = "/tmp/check_util.XXXXXX", path[64];
	struct sockaddr_un sa;
	socklen_t len;
	int lfd, fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/s", dir);
	errno = 0;
	ck_assert_int_eq(unix_connect(path, SOCK_STREAM), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(unix_addr(path, &sa, &len, NULL), 0);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, len), 0);
	ck_assert_int_eq(listen(lfd, 1), 0);
	fd = unix_connect(path, SOCK_STREAM | SOCK_NONBLOCK);
	ck_assert_int_ge(fd, 0);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ck_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
	close(fd);
	close(lfd);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* True when s is whole UTF-8 sequences (no character cut in two). */
static bool
utf8_whole(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		int n = *p < 0x80 ? 0 : *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 :
			*p >= 0xc0 ? 1 : -1;

		if (n < 0)
			return false;
		for (p++; n > 0; n--, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

/* A path of len bytes: "/tmp/" then 'd' components. */
static char *
long_path(char *buf, size_t len)
{
	memset(buf, 'd', len);
	memcpy(buf, "/tmp/", 5);
	for (size_t i = 20; i < len; i += 20)
		buf[i] = '/';
	buf[len] = '\0';
	return buf;
}

/* derr_errno on a long path keeps the reason and both ends of the
   message; the middle gives way, marked "...". */
START_TEST(test_derr_errno_keeps_reason)
{
	static const char reason[] = ": No such file or directory";
	struct derr e = { "" };
	char path[246];
	size_t n;

	long_path(path, 245);
	errno = ENOENT;
	ck_assert_int_eq(derr_errno(&e, "cannot open '%s'", path), -1);
	ck_assert_int_eq(errno, ENOENT);
	n = strlen(e.msg);
	ck_assert_uint_lt(n, sizeof e.msg);
	ck_assert_msg(n >= strlen(reason) &&
		      strcmp(e.msg + n - strlen(reason), reason) == 0,
		      "reason lost: '%s'", e.msg);
	ck_assert_msg(strncmp(e.msg, "cannot open '/tmp/", 18) == 0, "%s",
		      e.msg);
	ck_assert_ptr_nonnull(strstr(e.msg, "..."));
	ck_assert_ptr_nonnull(strstr(e.msg, "ddd': No such"));
}
END_TEST

static const struct cut_row {
	size_t fill;		/* bytes of filler before the tail */
	const char *filler;	/* repeated to fill */
	bool cut;		/* the message is too long */
} cut_rows[] = {
	{ 10, "x", false },
	{ 200, "x", false },
	{ 400, "x", true },
	{ 400, "\xc3\xa9", true },		/* 2-byte characters */
	{ 400, "\xe2\x82\xac", true },	/* 3-byte characters */
	{ 1000, "\xf0\x9f\x98\x80", true },	/* 4-byte characters */
};

/* derr_set: a message that fits is kept whole; one that does not keeps
   its start and its end, never cuts a character in two. */
START_TEST(test_derr_set_cut)
{
	const struct cut_row *row = &cut_rows[_i];
	struct derr e = { "" };
	char *filler = calloc(row->fill + 8, 1);
	size_t n, step = strlen(row->filler);

	for (size_t i = 0; i + step <= row->fill; i += step)
		memcpy(filler + i, row->filler, step);
	ck_assert_int_eq(derr_set(&e, "head %s: the reason", filler), -1);
	n = strlen(e.msg);
	ck_assert_uint_lt(n, sizeof e.msg);
	ck_assert(strncmp(e.msg, "head ", 5) == 0);
	ck_assert_msg(n > 12 && strcmp(e.msg + n - 12, ": the reason") == 0,
		      "'%s'", e.msg);
	ck_assert_int_eq(strstr(e.msg, "...") != NULL, row->cut);
	ck_assert(utf8_whole(e.msg));
	ck_assert(derr_set(NULL, "%s", filler) == -1);
	free(filler);
}
END_TEST

/* path_has_program: executables in PATH's directories only; an empty
 * entry is the current directory. */
START_TEST(test_path_has_program)
{
	char dir[] = "/tmp/check-util-XXXXXX", *exe, *plain, *path;
	char cwd[4096];
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	exe = xasprintf("%s/prog", dir);
	plain = xasprintf("%s/data", dir);
	fd = open(exe, O_WRONLY | O_CREAT, 0755);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = open(plain, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	path = xasprintf("/nonexistent:%s", dir);
	setenv("PATH", path, 1);
	ck_assert(path_has_program("prog"));
	ck_assert(!path_has_program("data"));
	ck_assert(!path_has_program("missing"));
	ck_assert(!path_has_program("/bin/sh"));
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	ck_assert_int_eq(chdir(dir), 0);
	setenv("PATH", "/nonexistent:", 1);
	ck_assert(path_has_program("prog"));
	setenv("PATH", "/nonexistent", 1);
	ck_assert(!path_has_program("prog"));
	ck_assert_int_eq(chdir(cwd), 0);
	unlink(exe);
	unlink(plain);
	rmdir(dir);
	free(exe);
	free(plain);
	free(path);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_unix_addr, 0, ARRAY_SIZE(addr_rows));
	tcase_add_test(tc, test_unix_connect);
	tcase_add_test(tc, test_derr_errno_keeps_reason);
	tcase_add_loop_test(tc, test_derr_set_cut, 0, ARRAY_SIZE(cut_rows));
	tcase_add_test(tc, test_path_has_program);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

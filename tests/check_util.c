/* check_util.c: small pieces of core/lib: socket addresses, errors */
#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

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

int
main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_unix_addr, 0, ARRAY_SIZE(addr_rows));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

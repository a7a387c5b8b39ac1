/* check_remote.c: quoting, names, health URLs, listings, pruning and
 * rollback picks (the scripts themselves: check_remote_script.c) */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/remote/remote_int.h"

/* Values that must reach a shell as they are. */
static const char *const nasty[] = {
	"", "plain", "it's", "''", "'", "\"", "$(touch /tmp/pwned-remote)",
	"`id`", "a\nb", "\\", "\\'", "*", "; rm -rf /nonexistent #", "$HOME",
	"!", "-n", " lead", "trail ", "tab\there", "%s%n", "${x:-y}",
	"'; touch /tmp/pwned-remote; echo '",
};

/* Run script with /bin/sh; its stdout (caller frees) and status. */
static char *
sh(const char *script, int *status)
{
	struct strbuf out = STRBUF_INIT;
	char buf[4096];
	FILE *p;
	size_t n;
	int st;

	p = popen(script, "r");
	ck_assert_ptr_nonnull(p);
	while ((n = fread(buf, 1, sizeof buf, p)) > 0)
		strbuf_add(&out, buf, n);
	st = pclose(p);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return strbuf_detach(&out);
}

/* The quoted form of a value. */
static const struct quote_row {
	const char *in, *out;
} quote_rows[] = {
	{ "", "''" },
	{ "abc", "'abc'" },
	{ "it's", "'it'\\''s'" },
	{ "$(x)", "'$(x)'" },
	{ "'", "''\\'''" },
};

START_TEST(test_quote)
{
	struct strbuf sb = STRBUF_INIT;

	remote_quote(&sb, quote_rows[_i].in);
	ck_assert_str_eq(sb.buf, quote_rows[_i].out);
	strbuf_release(&sb);
}
END_TEST

START_TEST(test_quote_shell)
{
	struct strbuf sb = STRBUF_INIT;
	char *out;
	int st;

	unlink("/tmp/pwned-remote");
	strbuf_addstr(&sb, "printf '%s' ");
	remote_quote(&sb, nasty[_i]);
	out = sh(sb.buf, &st);
	ck_assert_int_eq(st, 0);
	ck_assert_str_eq(out, nasty[_i]);
	ck_assert_int_ne(access("/tmp/pwned-remote", F_OK), 0);
	free(out);
	strbuf_release(&sb);
}
END_TEST

static const struct quote_row path_rows[] = {
	{ "/srv/app", "'/srv/app'" },
	{ "~/app", "\"$HOME\"/'app'" },
	{ "~", "\"$HOME\"" },
	{ "~user/app", "'~user/app'" },
	{ "a b/c'd", "'a b/c'\\''d'" },
};

START_TEST(test_quote_path)
{
	struct strbuf sb = STRBUF_INIT;

	remote_quote_path(&sb, path_rows[_i].in);
	ck_assert_str_eq(sb.buf, path_rows[_i].out);
	strbuf_release(&sb);
}
END_TEST

/* Yes/no checks on values from the file. */
static const struct ok_row {
	const char *in;
	bool ok;
} env_rows[] = {
	{ "PATH", true }, { "_x1", true }, { "NODE_ENV", true },
	{ "1A", false }, { "", false }, { "A-B", false }, { "A B", false },
	{ "A=B", false }, { "$(x)", false },
}, shared_rows[] = {
	{ "logs", true }, { "public/uploads", true }, { ".env", true },
	{ "config/.env", true }, { "", false }, { "/etc", false },
	{ "..", false }, { "a/../b", false }, { "./a", false },
	{ "a//b", false }, { "a/", false }, { "a/.", false },
}, release_rows[] = {
	{ "20240102030405-abc1234", true },
	{ "20240102030405-0123456789abcdef0123456789abcdef01234567", true },
	{ "20240102030405-abc123", false },
	{ "2024010203040-abc1234", false },
	{ "20240102030405_abc1234", false },
	{ "20240102030405-abc123g", false },
	{ "current", false },
	{ ".20240102030405-abc1234.tar.gz", false },
};

START_TEST(test_env_name)
{
	ck_assert_int_eq(remote_env_name_ok(env_rows[_i].in),
			 env_rows[_i].ok);
}
END_TEST

START_TEST(test_shared_path)
{
	ck_assert_msg(remote_shared_ok(shared_rows[_i].in) ==
		      shared_rows[_i].ok, "%s", shared_rows[_i].in);
}
END_TEST

START_TEST(test_release_ok)
{
	ck_assert_int_eq(remote_release_ok(release_rows[_i].in),
			 release_rows[_i].ok);
}
END_TEST

/* The next release name against what the host already has. */
static const struct next_row {
	const char *listing;
	const char *want;
} next_rows[] = {
	/* 1700000000 is 2023-11-14 22:13:20 UTC. */
	{ "", "20231114221320-abcdef0" },
	{ "release 20231114221319-1111111 complete\n",
	  "20231114221320-abcdef0" },
	/* the same second, same or another revision: one second on */
	{ "release 20231114221320-abcdef0 complete\n",
	  "20231114221321-abcdef0" },
	{ "release 20231114221320-fffffff complete\n"
	  "release 20231114221321-0000000 partial\n",
	  "20231114221322-abcdef0" },
	/* a host whose newest release is stamped ahead (clock skew) */
	{ "release 20231114230000-1111111 complete\n"
	  "current 20231114230000-1111111\n",
	  "20231114230001-abcdef0" },
};

START_TEST(test_release_next)
{
	struct remote_listing l;
	char *n;

	remote_listing_parse(next_rows[_i].listing, &l);
	n = remote_release_next(&l, 1700000000, "abcdef0123");
	ck_assert_str_eq(n, next_rows[_i].want);
	ck_assert(remote_release_ok(n));
	free(n);
	remote_listing_clear(&l);
}
END_TEST

START_TEST(test_release_name)
{
	/* 1700000000 is 2023-11-14 22:13:20 UTC. */
	char *n = remote_release_name(1700000000, "0123456789abcdef");

	ck_assert_str_eq(n, "20231114221320-0123456");
	ck_assert(remote_release_ok(n));
	free(n);
}
END_TEST

/* Health URL templates. */
static const struct url_row {
	const char *tmpl, *host, *url;
} url_rows[] = {
	{ "http://{host}:3000/health", "192.0.2.5",
	  "http://192.0.2.5:3000/health" },
	{ "https://{host}/up", "web1.example", "https://web1.example/up" },
	{ "http://{host}:80/{host}", "h", "http://h:80/h" },
	{ "http://{host}:80/", "::1", "http://[::1]:80/" },
	{ "/health", "web1", "http://web1/health" },
	{ "http://lb.example/{port}", "h", "http://lb.example/{port}" },
};

START_TEST(test_health_url)
{
	char *u = remote_health_url(url_rows[_i].tmpl, url_rows[_i].host);

	ck_assert_str_eq(u, url_rows[_i].url);
	free(u);
}
END_TEST

/* The list script's output on a host with releases A < B < C < D < E,
 * F partial, current C. */
static const char listing[] =
	"release 20240101000000-aaaaaaa complete\n"
	"release 20240102000000-bbbbbbb complete\n"
	"release 20240105000000-eeeeeee complete\n"
	"release 20240103000000-ccccccc complete\n"
	"release 20240104000000-ddddddd complete\n"
	"release 20240106000000-fffffff partial\n"
	"release lost+found complete\n"
	"garbage\n"
	"current 20240103000000-ccccccc\n";
#define RA "20240101000000-aaaaaaa"
#define RB "20240102000000-bbbbbbb"
#define RC "20240103000000-ccccccc"
#define RD "20240104000000-ddddddd"
#define RE "20240105000000-eeeeeee"
#define RF "20240106000000-fffffff"

/* Join a NULL-terminated array with spaces; caller frees. */
static char *
join(char **v)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; v[i] != NULL; i++)
		strbuf_addf(&sb, "%s%s", i ? " " : "", v[i]);
	return strbuf_detach(&sb);
}

START_TEST(test_listing)
{
	struct remote_listing l;
	char *c, *p;

	remote_listing_parse(listing, &l);
	c = join(l.complete);
	p = join(l.partial);
	ck_assert_str_eq(c, RA " " RB " " RC " " RD " " RE);
	ck_assert_str_eq(p, RF);
	ck_assert_str_eq(l.current, RC);
	free(c);
	free(p);
	remote_listing_clear(&l);
	remote_listing_parse("", &l);
	ck_assert_ptr_null(l.complete[0]);
	ck_assert_ptr_null(l.current);
	remote_listing_clear(&l);
}
END_TEST

/* What pruning removes, for keep and the release being made. */
static const struct prune_row {
	int keep;
	const char *keep_also, *removed;
} prune_rows[] = {
	{ 5, NULL, RF },
	{ 3, NULL, RB " " RA " " RF },	/* C is among the 3 newest */
	{ 2, NULL, RB " " RA " " RF },	/* C stays: it is current */
	{ 1, NULL, RD " " RB " " RA " " RF },
	{ 1, RF, RD " " RB " " RA },	/* the one in the making stays */
	{ 10, RF, "" },
};

START_TEST(test_prune)
{
	const struct prune_row *r = &prune_rows[_i];
	struct remote_listing l;
	char **plan, *got;

	remote_listing_parse(listing, &l);
	plan = remote_prune_plan(&l, r->keep, r->keep_also);
	got = join(plan);
	ck_assert_str_eq(got, r->removed);
	free(got);
	strv_free(plan);
	remote_listing_clear(&l);
}
END_TEST

/* Rollback picks from current C. */
static const struct pick_row {
	int steps;
	const char *want, *error;
} pick_rows[] = {
	{ 1, RB, NULL },
	{ 2, RA, NULL },
	{ 3, NULL, "only 2 releases before '" RC "'" },
	{ 0, NULL, "only 2 releases" },
};

/* Check the pick of row r among the releases of text. */
static void
check_pick(const char *text, const struct pick_row *r)
{
	struct remote_listing l;
	struct derr e = { "" };
	char *got;

	remote_listing_parse(text, &l);
	got = remote_rollback_pick(&l, r->steps, &e);
	if (r->want != NULL) {
		ck_assert_str_eq(got, r->want);
	} else {
		ck_assert_ptr_null(got);
		ck_assert_msg(strstr(e.msg, r->error) != NULL, "%s", e.msg);
	}
	free(got);
	remote_listing_clear(&l);
}

START_TEST(test_rollback_pick)
{
	check_pick(listing, &pick_rows[_i]);
}
END_TEST

/* After A, B, a rollback to A, then C: the history is A, C. */
static const char history[] =
	"release " RA " complete\n"
	"release " RB " rolledback\n"
	"release " RC " complete\n"
	"current " RC "\n";

/* Rollback picks from C, B left out. */
static const struct pick_row history_rows[] = {
	{ 1, RA, NULL },
	{ 2, NULL, "only 1 release before '" RC "'" },
};

START_TEST(test_rollback_history)
{
	struct remote_listing l;
	char *got;

	remote_listing_parse(history, &l);
	got = join(l.complete);
	ck_assert_str_eq(got, RA " " RB " " RC);
	free(got);
	got = join(l.rolled_back);
	ck_assert_str_eq(got, RB);
	free(got);
	remote_listing_clear(&l);
	check_pick(history, &history_rows[_i]);
}
END_TEST

START_TEST(test_rollback_no_current)
{
	struct remote_listing l;
	struct derr e = { "" };

	remote_listing_parse("release " RA " complete\n", &l);
	ck_assert_ptr_null(remote_rollback_pick(&l, 1, &e));
	ck_assert_str_eq(e.msg, "no current release");
	remote_listing_clear(&l);
}
END_TEST

/* The remote suite. */
static Suite *
remote_suite(void)
{
	Suite *s = suite_create("remote");
	TCase *tc = tcase_create("remote");

	tcase_add_loop_test(tc, test_quote, 0, ARRAY_SIZE(quote_rows));
	tcase_add_loop_test(tc, test_quote_shell, 0, ARRAY_SIZE(nasty));
	tcase_add_loop_test(tc, test_quote_path, 0, ARRAY_SIZE(path_rows));
	tcase_add_loop_test(tc, test_env_name, 0, ARRAY_SIZE(env_rows));
	tcase_add_loop_test(tc, test_shared_path, 0, ARRAY_SIZE(shared_rows));
	tcase_add_loop_test(tc, test_release_ok, 0, ARRAY_SIZE(release_rows));
	tcase_add_test(tc, test_release_name);
	tcase_add_loop_test(tc, test_release_next, 0, ARRAY_SIZE(next_rows));
	tcase_add_loop_test(tc, test_health_url, 0, ARRAY_SIZE(url_rows));
	tcase_add_test(tc, test_listing);
	tcase_add_loop_test(tc, test_prune, 0, ARRAY_SIZE(prune_rows));
	tcase_add_loop_test(tc, test_rollback_pick, 0, ARRAY_SIZE(pick_rows));
	tcase_add_loop_test(tc, test_rollback_history, 0,
			    ARRAY_SIZE(history_rows));
	tcase_add_test(tc, test_rollback_no_current);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; exit status 0 when every test passed. */
int
main(void)
{
	SRunner *sr = srunner_create(remote_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

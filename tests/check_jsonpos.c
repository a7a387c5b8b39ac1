/* check_jsonpos.c: places of paths and repeated keys in a JSON text,
 * through the index (each container scanned once) */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonpos.h"
#include "core/loop.h"
#include "core/strbuf.h"
#include "core/util.h"

static const char doc[] =
	"{\"apps\": [\n"
	"  {\"name\": \"a\", \"env\": {\"PORT\": 1}},\n"
	"  {\"name\": \"b\", \"n\\u0061me\": \"c\", \"x\": [1, [2, 3]]}\n"
	"],\n"
	" \"apps2\": {}, \"k\": 1, \"k\": 2}\n";

/* One lookup: a path, key or value, and the place expected. */
static const struct {
	struct jsonpos_step path[4];
	size_t n;
	int want_key;
	size_t matched;
	int line, col;
} finds[] = {
	{ { { "apps", 0 } }, 1, 0, 1, 1, 10 },
	{ { { "apps", 0 } }, 1, 1, 1, 1, 2 },
	{ { { "apps", 0 }, { NULL, 0 }, { "env", 0 }, { "PORT", 0 } }, 4, 0,
	  4, 2, 33 },
	{ { { "apps", 0 }, { NULL, 0 }, { "env", 0 }, { "PORT", 0 } }, 4, 1,
	  4, 2, 25 },
	/* "n\u0061me" is "name" again: the later one counts. */
	{ { { "apps", 0 }, { NULL, 1 }, { "name", 0 } }, 3, 1, 3, 3, 17 },
	{ { { "apps", 0 }, { NULL, 1 }, { "x", 0 }, { NULL, 1 } }, 4, 0,
	  4, 3, 44 },
	{ { { "apps", 0 }, { NULL, 2 } }, 2, 0, 1, 1, 10 },
	{ { { "apps", 0 }, { "name", 0 } }, 2, 0, 1, 1, 10 },
	{ { { "apps2", 0 }, { "x", 0 } }, 2, 0, 1, 5, 11 },
	{ { { "k", 0 } }, 1, 0, 1, 5, 28 },
	{ { { "nope", 0 } }, 1, 0, 0, 1, 1 },
};

START_TEST(test_find)
{
	struct jsonpos_index *ix = jsonpos_index_new(doc, strlen(doc));
	struct jsonpos pos, again;
	size_t m;

	/* Twice through one index (the second from its cache), once alone. */
	for (int round = 0; round < 2; round++) {
		m = jsonpos_index_find(ix, finds[_i].path, finds[_i].n,
				       finds[_i].want_key, &pos);
		ck_assert_uint_eq(m, finds[_i].matched);
		ck_assert_int_eq(pos.line, finds[_i].line);
		ck_assert_int_eq(pos.col, finds[_i].col);
	}
	jsonpos_index_free(ix);
	m = jsonpos_find(doc, strlen(doc), finds[_i].path, finds[_i].n,
			 finds[_i].want_key, &again);
	ck_assert_uint_eq(m, finds[_i].matched);
	ck_assert_int_eq(again.line, pos.line);
	ck_assert_int_eq(again.col, pos.col);
}
END_TEST

/* Append "path@line:col<first line:col" for each repeated key. */
static void
collect(void *ud, const struct jsonpos_step *path, size_t n,
	struct jsonpos at, struct jsonpos first)
{
	char p[128];

	jsonpos_format(path, n, p, sizeof p);
	strbuf_addf(ud, "%s@%d:%d<%d:%d ", p, at.line, at.col, first.line,
		    first.col);
}

START_TEST(test_duplicates)
{
	struct strbuf sb = STRBUF_INIT;

	jsonpos_duplicates(doc, strlen(doc), collect, &sb);
	ck_assert_str_eq(sb.buf, "apps[1].name@3:17<3:4 k@5:23<5:15 ");
	strbuf_reset(&sb);
	jsonpos_duplicates("{\"a\":1,\"b\":2,\"a\":3,\"a\":4}", 25, collect,
			   &sb);
	ck_assert_str_eq(sb.buf, "a@1:14<1:2 a@1:20<1:2 ");
	strbuf_release(&sb);
}
END_TEST

/* 20,000 keys in one object, each looked up: one scan, not 20,000. */
START_TEST(test_many_keys_fast)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonpos_index *ix;
	struct jsonpos_step path[1];
	struct jsonpos pos;
	char key[32];
	long long t0 = now_ms();

	strbuf_addch(&sb, '{');
	for (int i = 0; i < 20000; i++)
		strbuf_addf(&sb, "%s\n\"k%d\": %d", i ? "," : "", i, i);
	strbuf_addstr(&sb, "}");
	ix = jsonpos_index_new(sb.buf, sb.len);
	for (int i = 0; i < 20000; i++) {
		snprintf(key, sizeof key, "k%d", i);
		path[0].key = key;
		ck_assert_uint_eq(jsonpos_index_find(ix, path, 1, 1, &pos), 1);
		ck_assert_int_eq(pos.line, i + 2);
	}
	jsonpos_index_free(ix);
	strbuf_release(&sb);
	ck_assert_msg(now_ms() - t0 < 2000, "took %lld ms", now_ms() - t0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("jsonpos");
	TCase *tc = tcase_create("index");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_find, 0, (int)ARRAY_SIZE(finds));
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_many_keys_fast);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* check_fuzz.c: every fuzzing seed and every input that once crashed a
 * harness, replayed through the harnesses in the ordinary build (and so
 * under ASan and UBSan in make check-asan), without libFuzzer */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/lib/strbuf.h"
#include "core/lib/util.h"

#define LLVMFuzzerTestOneInput fuzz_ecosystem_one
#include "tests/fuzz/fuzz_ecosystem.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_template_one
#include "tests/fuzz/fuzz_template.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_proto_one
#include "tests/fuzz/fuzz_proto.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_procstat_one
#include "tests/fuzz/fuzz_procstat.c"
#undef LLVMFuzzerTestOneInput

/* One harness and the name of its corpus folders. */
static const struct harness {
	const char *name;
	int (*one)(const uint8_t *data, size_t size);
} harnesses[] = {
	{ "ecosystem", fuzz_ecosystem_one },
	{ "template", fuzz_template_one },
	{ "proto", fuzz_proto_one },
	{ "procstat", fuzz_procstat_one },
};

/* Run every file of dir through h; the number of files (-1: no dir). */
static int
replay_dir(const struct harness *h, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		struct strbuf sb = STRBUF_INIT;
		char *path;

		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		ck_assert_msg(strbuf_read_file(&sb, path, 1 << 24) >= 0,
			      "cannot read '%s'", path);
		ck_assert_int_eq(h->one((const uint8_t *)sb.buf, sb.len), 0);
		strbuf_release(&sb);
		free(path);
		n++;
	}
	closedir(d);
	return n;
}

START_TEST(test_replay)
{
	const struct harness *h = &harnesses[_i];
	char *seeds = xasprintf("tests/fuzz/corpus/%s", h->name);
	char *crashes = xasprintf("tests/fuzz/regress/%s", h->name);

	ck_assert_msg(replay_dir(h, seeds) > 0, "no seeds in '%s'", seeds);
	replay_dir(h, crashes);
	free(seeds);
	free(crashes);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fuzz");
	TCase *tc = tcase_create("replay");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_replay, 0, (int)ARRAY_SIZE(harnesses));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

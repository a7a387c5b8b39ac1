/* check_pagetrim.c: read-only pages given back, data kept, the timer */
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/pagetrim.h"
#include "core/util.h"

/* 256 KiB of constants: its middle lies in a 64 KiB fault-around window
   of its own, so only a read of the array itself maps it back. */
#define BIG (256 * 1024)
static const unsigned char big_const[BIG] = { 1, 2, 3 };

/* Data that must survive: a written global and relocated pointers
   (RELRO, read-only after start but private to the process). */
static int counter = 41;
static const char *const words[] = { "alpha", "beta", "gamma" };

/* True when the page holding p is mapped in (pagemap bit 63), read with
   an fd opened beforehand so nothing else is faulted in. */
static int
page_present(int pagemap, const void *p)
{
	uint64_t entry = 0;
	off_t at = (off_t)((uintptr_t)p / (uintptr_t)sysconf(_SC_PAGESIZE)) *
		(off_t)sizeof entry;

	if (pread(pagemap, &entry, sizeof entry, at) != (ssize_t)sizeof entry)
		return -1;
	return (int)(entry >> 63);
}

START_TEST(test_constants_unmapped_then_back)
{
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	const volatile unsigned char *mid = big_const + BIG / 2;
	int before, after, again;
	size_t advised;
	unsigned char v;

	ck_assert_int_ge(pm, 0);
	v = *mid;	/* fault it in */
	before = page_present(pm, (const void *)mid);
	advised = pagetrim_readonly();
	after = page_present(pm, (const void *)mid);
	v = *mid;
	again = page_present(pm, (const void *)mid);
	close(pm);
	ck_assert_int_eq(before, 1);
	ck_assert_int_eq(after, 0);
	ck_assert_int_eq(again, 1);
	ck_assert_uint_eq(v, 0);
	ck_assert_uint_eq(big_const[0], 1);
	ck_assert_uint_eq(big_const[2], 3);
	ck_assert_uint_ge(advised, BIG / 2);
}
END_TEST

START_TEST(test_data_kept)
{
	char buf[64];

	counter++;
	ck_assert_uint_gt(pagetrim_readonly(), 0);
	ck_assert_int_eq(counter, 42);
	snprintf(buf, sizeof buf, "%s-%s-%s", words[0], words[1], words[2]);
	ck_assert_str_eq(buf, "alpha-beta-gamma");
	/* Twice in a row, and the heap still works. */
	ck_assert_uint_gt(pagetrim_readonly(), 0);
	char *s = xasprintf("%d", counter);
	ck_assert_str_eq(s, "42");
	free(s);
}
END_TEST

START_TEST(test_allowed_env)
{
	unsetenv("DEPLOY_NO_PAGETRIM");
	ck_assert(pagetrim_allowed());
	setenv("DEPLOY_NO_PAGETRIM", "", 1);
	ck_assert(pagetrim_allowed());
	setenv("DEPLOY_NO_PAGETRIM", "1", 1);
	ck_assert(!pagetrim_allowed());
	unsetenv("DEPLOY_NO_PAGETRIM");
}
END_TEST

/* A traced process does not trim: the child has this one as tracer. */
START_TEST(test_not_allowed_when_traced)
{
	int status;
	pid_t child;

	unsetenv("DEPLOY_NO_PAGETRIM");
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(2);
		_exit(pagetrim_allowed() ? 1 : 0);
	}
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status));
	if (WEXITSTATUS(status) == 2) {
		/* ptrace is forbidden here (yama ptrace_scope 3) */
		fprintf(stderr, "check_pagetrim: ptrace unavailable, "
			"traced case not checked\n");
		return;
	}
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* One turn of the timer: busy or quiet at ms, and whether it fires. */
struct turn {
	int quiet;
	long long ms;
	int due;
};

static const struct timer_row {
	const char *name;
	struct turn turns[8];
	int n;
} timer_rows[] = {
	{ "quiet from the start trims at once",
	  { { 1, 0, 1 }, { 1, 5000, 0 } }, 2 },
	{ "busy at start: nothing until quiet",
	  { { 0, 0, 0 }, { 0, 3000, 0 }, { 1, 3100, 1 }, { 1, 9000, 0 } },
	  4 },
	{ "quiet again within a second waits for the gap",
	  { { 1, 0, 1 }, { 0, 200, 0 }, { 1, 300, 0 }, { 1, 999, 0 },
	    { 1, 1000, 1 }, { 1, 1500, 0 } }, 6 },
	{ "work before the gap ends disarms it",
	  { { 1, 0, 1 }, { 0, 200, 0 }, { 1, 300, 0 }, { 0, 1200, 0 },
	    { 1, 4000, 1 } }, 5 },
	{ "each busy spell after the gap trims once",
	  { { 1, 0, 1 }, { 0, 2000, 0 }, { 1, 2500, 1 }, { 0, 4000, 0 },
	    { 1, 4100, 1 }, { 1, 4200, 0 } }, 6 },
};

START_TEST(test_timer)
{
	const struct timer_row *row = &timer_rows[_i];
	struct pagetrim_timer t;

	pagetrim_timer_init(&t);
	for (int k = 0; k < row->n; k++) {
		const struct turn *tu = &row->turns[k];

		ck_assert_msg(pagetrim_due(&t, tu->quiet, tu->ms) == tu->due,
			      "%s: turn %d (quiet %d at %lld ms): due should "
			      "be %d", row->name, k, tu->quiet, tu->ms,
			      tu->due);
	}
}
END_TEST

START_TEST(test_timer_deadline)
{
	struct pagetrim_timer t;

	pagetrim_timer_init(&t);
	ck_assert_int_eq(t.at, -1);
	ck_assert(pagetrim_due(&t, true, 100));
	ck_assert(!pagetrim_due(&t, false, 200));
	ck_assert(!pagetrim_due(&t, true, 300));
	/* The loop sleeps until at: the gap after the last trim. */
	ck_assert_int_eq(t.at, 100 + PAGETRIM_MIN_GAP_MS);
	ck_assert(pagetrim_due(&t, true, t.at));
	ck_assert_int_eq(t.at, -1);
}
END_TEST

/* The pagetrim suite. */
static Suite *
pagetrim_suite(void)
{
	Suite *s = suite_create("pagetrim");
	TCase *tc = tcase_create("pagetrim");

	tcase_add_test(tc, test_constants_unmapped_then_back);
	tcase_add_test(tc, test_data_kept);
	tcase_add_test(tc, test_allowed_env);
	tcase_add_test(tc, test_not_allowed_when_traced);
	tcase_add_loop_test(tc, test_timer, 0, ARRAY_SIZE(timer_rows));
	tcase_add_test(tc, test_timer_deadline);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; exit status 0 when every test passed. */
int
main(void)
{
	SRunner *sr = srunner_create(pagetrim_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

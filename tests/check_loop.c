/* check_loop.c: the poll() loop: dispatch, deadlines, loop_close */
#include <check.h>
#include <fcntl.h>
#include <unistd.h>

#include "core/lib/loop.h"

/* What the handlers saw in one turn. */
struct seen {
	int calls[2];		/* per watch */
	int victim;		/* the fd the first handler closes */
	int reused;		/* the fd a new pipe got in its place */
};

static struct seen seen;

/* First watch: close the other watched fd and open a pipe that takes
   its number, as a replaced worker's new pipes do. */
static void
closer(void *arg, int fd, short revents)
{
	int p[2];

	(void)arg; (void)fd; (void)revents;
	seen.calls[0]++;
	loop_close(seen.victim);
	ck_assert_int_eq(pipe(p), 0);
	seen.reused = p[0] == seen.victim ? p[0] : -1;
	close(p[1]);
	if (p[0] != seen.victim)
		close(p[0]);
}

/* Second watch: must not be called for the fd closed above. */
static void
victim(void *arg, int fd, short revents)
{
	(void)arg; (void)fd; (void)revents;
	seen.calls[1]++;
}

/* Two pipes with data, both fire in one poll(); the first handler
   closes the second's fd: its events are dropped, not handed on. */
START_TEST(test_close_drops_pending_events)
{
	struct loop l = { 0 };
	int a[2], b[2];

	ck_assert_int_eq(pipe(a), 0);
	ck_assert_int_eq(pipe(b), 0);
	ck_assert_int_eq(write(a[1], "x", 1), 1);
	ck_assert_int_eq(write(b[1], "x", 1), 1);
	seen = (struct seen){ .victim = b[0], .reused = -1 };
	loop_reset(&l);
	loop_add(&l, a[0], POLLIN, closer, NULL);
	loop_add(&l, b[0], POLLIN, victim, NULL);
	ck_assert_int_eq(loop_run_once(&l), 0);
	ck_assert_int_eq(seen.calls[0], 1);
	ck_assert_int_eq(seen.calls[1], 0);
	ck_assert_int_eq(seen.reused, b[0]);	/* the number was reused */
	close(seen.reused);
	/* The next turn dispatches a live watch on the reused number. */
	loop_reset(&l);
	loop_add(&l, a[0], POLLIN, victim, NULL);
	ck_assert_int_eq(loop_run_once(&l), 0);
	ck_assert_int_eq(seen.calls[1], 1);
	close(a[0]);
	close(a[1]);
	close(b[1]);
	loop_free(&l);
}
END_TEST

/* Outside dispatch, loop_close is a plain close. */
START_TEST(test_close_outside_dispatch)
{
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	loop_close(p[0]);
	ck_assert_int_eq(fcntl(p[0], F_GETFD), -1);
	close(p[1]);
}
END_TEST

/* The nearest deadline wins; -1 is ignored. */
START_TEST(test_deadline_nearest)
{
	struct loop l = { 0 };

	loop_reset(&l);
	loop_deadline(&l, -1);
	ck_assert_int_eq(l.deadline, -1);
	loop_deadline(&l, 500);
	loop_deadline(&l, 900);
	loop_deadline(&l, 300);
	ck_assert_int_eq(l.deadline, 300);
	loop_free(&l);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_close_drops_pending_events);
	tcase_add_test(tc, test_close_outside_dispatch);
	tcase_add_test(tc, test_deadline_nearest);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

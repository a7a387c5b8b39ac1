/* check_restart.c: restart verdicts, delays, backoff and the crash loop */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/eco/ecosystem.h"
#include "core/sup/restart.h"

#define EXITED(code)	W_EXITCODE((code), 0)
#define KILLED(sig)	W_EXITCODE(0, (sig))

/* A policy with autorestart on and no stop codes. */
#define POL(max_restarts, min_uptime, restart_delay, exp_backoff) \
	{ true, (max_restarts), (min_uptime), (restart_delay), \
	  (exp_backoff), NULL, 0 }
/* PM2's defaults: max_restarts 16, min_uptime 1000 */
#define PM2		POL(16, 1000, 0, 0)

enum { NOW = RESTART_NOW, AFTER = RESTART_AFTER,
	STOPPED = RESTART_STOPPED, ERRORED = RESTART_ERRORED };

/* One exit and what must follow it; status -1 ends a sequence. */
struct step {
	int status;
	long uptime;
	int verdict;
	long delay;
};

#define END	{ -1, 0, 0, 0 }

static const int stop_codes[] = { 0, 3 };

static const struct seq_row {
	const char *name;
	struct restart_policy p;
	struct step steps[20];
} seq_rows[] = {
	{ "default: first crash at once, a row throttled, stable resets",
	  PM2, {
		{ EXITED(1), 5000, NOW, 0 },
		{ EXITED(1), 10, NOW, 0 },
		{ EXITED(1), 10, AFTER, 100 },
		{ KILLED(SIGSEGV), 10, AFTER, 150 },	/* a crash too */
		{ EXITED(0), 2000, NOW, 0 },		/* 0 restarts too */
		{ EXITED(1), 999, NOW, 0 },
		{ EXITED(1), 0, AFTER, 100 },
		END } },
	{ "min_uptime 3000: runs under it are quick and unstable",
	  POL(16, 3000, 0, 0), {
		{ EXITED(1), 2000, NOW, 0 },
		{ EXITED(1), 2999, AFTER, 100 },
		{ EXITED(1), 3000, NOW, 0 },
		END } },
	{ "min_uptime 0: never errored, still throttled",
	  POL(2, 0, 0, 0), {
		{ EXITED(1), 0, NOW, 0 },
		{ EXITED(1), 0, AFTER, 100 },
		{ EXITED(1), 0, AFTER, 150 },
		{ EXITED(1), 0, AFTER, 225 },
		{ EXITED(1), 0, AFTER, 337 },
		{ EXITED(1), 1000, NOW, 0 },
		END } },
	{ "max_restarts 2: errored at the 3rd unstable exit",
	  POL(2, 1000, 0, 0), {
		{ EXITED(1), 10, NOW, 0 },
		{ KILLED(SIGKILL), 10, AFTER, 100 },
		{ EXITED(1), 10, ERRORED, 0 },
		END } },
	{ "max_restarts 0: a stable exit restarts, an unstable one errs",
	  POL(0, 1000, 0, 0), {
		{ EXITED(1), 1500, NOW, 0 },
		{ EXITED(1), 10, ERRORED, 0 },
		END } },
	{ "a stable run in between starts the count again",
	  POL(2, 1000, 0, 0), {
		{ EXITED(1), 10, NOW, 0 },
		{ EXITED(1), 10, AFTER, 100 },
		{ EXITED(1), 5000, NOW, 0 },
		{ EXITED(1), 10, NOW, 0 },
		{ EXITED(1), 10, AFTER, 100 },
		{ EXITED(1), 10, ERRORED, 0 },
		END } },
	{ "max_restarts -1: unlimited, the throttle caps at 5000",
	  POL(-1, 1000, 0, 0), {
		{ EXITED(1), 0, NOW, 0 },
		{ EXITED(1), 0, AFTER, 100 },
		{ EXITED(1), 0, AFTER, 150 },
		{ EXITED(1), 0, AFTER, 225 },
		{ EXITED(1), 0, AFTER, 337 },
		{ EXITED(1), 0, AFTER, 505 },
		{ EXITED(1), 0, AFTER, 757 },
		{ EXITED(1), 0, AFTER, 1135 },
		{ EXITED(1), 0, AFTER, 1702 },
		{ EXITED(1), 0, AFTER, 2553 },
		{ EXITED(1), 0, AFTER, 3829 },
		{ EXITED(1), 0, AFTER, 5000 },
		{ EXITED(1), 0, AFTER, 5000 },
		{ EXITED(1), 0, AFTER, 5000 },
		{ EXITED(1), 0, AFTER, 5000 },
		{ EXITED(1), 0, AFTER, 5000 },
		{ EXITED(1), 0, AFTER, 5000 },
		{ EXITED(1), 0, AFTER, 5000 },	/* 18th: not errored */
		END } },
	{ "restart_delay 4000: fixed",
	  POL(16, 1000, 4000, 0), {
		{ EXITED(1), 10, AFTER, 4000 },
		{ EXITED(1), 10, AFTER, 4000 },
		{ EXITED(1), 10, AFTER, 4000 },
		{ EXITED(1), 60000, AFTER, 4000 },
		END } },
	{ "restart_delay 120: the throttle is a floor",
	  POL(16, 1000, 120, 0), {
		{ EXITED(1), 10, AFTER, 120 },
		{ EXITED(1), 10, AFTER, 120 },
		{ EXITED(1), 10, AFTER, 150 },
		{ EXITED(1), 10, AFTER, 225 },
		{ EXITED(1), 5000, AFTER, 120 },
		END } },
	{ "exp backoff 100: x1.5 up to 15000, reset after 30 s up",
	  POL(16, 1000, 0, 100), {
		{ EXITED(1), 5000, AFTER, 100 },
		{ EXITED(1), 5000, AFTER, 150 },
		{ EXITED(1), 5000, AFTER, 225 },
		{ EXITED(1), 5000, AFTER, 337 },
		{ EXITED(1), 5000, AFTER, 505 },
		{ EXITED(1), 5000, AFTER, 757 },
		{ EXITED(1), 5000, AFTER, 1135 },
		{ EXITED(1), 5000, AFTER, 1702 },
		{ EXITED(1), 5000, AFTER, 2553 },
		{ EXITED(1), 5000, AFTER, 3829 },
		{ EXITED(1), 5000, AFTER, 5743 },
		{ EXITED(1), 5000, AFTER, 8614 },
		{ EXITED(1), 5000, AFTER, 12921 },
		{ EXITED(1), 5000, AFTER, 15000 },
		{ EXITED(1), 29999, AFTER, 15000 },
		{ EXITED(1), 30000, AFTER, 100 },
		{ EXITED(1), 5000, AFTER, 150 },
		END } },
	{ "exp backoff with quick exits: the backoff leads the throttle",
	  POL(16, 1000, 0, 100), {
		{ EXITED(1), 10, AFTER, 100 },
		{ EXITED(1), 10, AFTER, 150 },
		{ EXITED(1), 10, AFTER, 225 },
		END } },
	{ "exp backoff 1: the throttle is a floor",
	  POL(16, 1000, 0, 1), {
		{ EXITED(1), 10, AFTER, 1 },
		{ EXITED(1), 10, AFTER, 100 },
		{ EXITED(1), 10, AFTER, 150 },
		END } },
	{ "exp backoff 20000: above the cap, it is the cap",
	  POL(16, 1000, 0, 20000), {
		{ EXITED(1), 5000, AFTER, 20000 },
		{ EXITED(1), 5000, AFTER, 20000 },
		{ EXITED(1), 40000, AFTER, 20000 },
		END } },
	{ "exp backoff and restart_delay: the larger wins",
	  POL(16, 1000, 200, 100), {
		{ EXITED(1), 5000, AFTER, 200 },
		{ EXITED(1), 5000, AFTER, 200 },
		{ EXITED(1), 5000, AFTER, 225 },
		{ EXITED(1), 5000, AFTER, 337 },
		END } },
	{ "autorestart false: any exit stops",
	  { false, 16, 1000, 0, 0, NULL, 0 }, {
		{ EXITED(1), 10, STOPPED, 0 },
		{ KILLED(SIGKILL), 5000, STOPPED, 0 },
		{ EXITED(0), 5000, STOPPED, 0 },
		END } },
	{ "stop_exit_codes 0 and 3: exit codes only, never signals",
	  { true, 16, 1000, 0, 0, stop_codes, 2 }, {
		{ EXITED(0), 10, STOPPED, 0 },
		{ EXITED(3), 10, STOPPED, 0 },
		{ EXITED(1), 10, NOW, 0 },		/* first quick */
		{ KILLED(SIGQUIT), 10, AFTER, 100 },	/* signal 3 */
		{ EXITED(2), 10, AFTER, 150 },
		{ EXITED(0), 10, STOPPED, 0 },
		END } },
	{ "a negative uptime counts as 0",
	  PM2, {
		{ EXITED(1), -5, NOW, 0 },
		{ EXITED(1), -5, AFTER, 100 },
		END } },
};

/* Each row: feed the exits in order, check every verdict and delay. */
START_TEST(test_sequences)
{
	const struct seq_row *r = &seq_rows[_i];
	struct restart_state s = { 0 };
	int restarts = 0;

	for (const struct step *st = r->steps; st->status != -1; st++) {
		long delay = -1;
		int n = (int)(st - r->steps) + 1;
		enum restart_verdict v = restart_on_exit(&r->p, &s, st->status,
							 st->uptime, &delay);

		ck_assert_msg((int)v == st->verdict && delay == st->delay,
			      "%s: exit %d: got %s %ld, want %s %ld", r->name,
			      n, restart_verdict_name(v), delay,
			      restart_verdict_name(st->verdict), st->delay);
		if (v == RESTART_NOW || v == RESTART_AFTER)
			restarts++;
	}
	ck_assert_int_eq(s.restarts, restarts);
}
END_TEST

static const struct loop_row {
	int max_restarts;
	long total_delay;	/* of all the restarts */
	int in_first_minute;	/* restarts spawned before 60 s */
} loop_rows[] = {
	{ 0, 0, 0 },
	{ 1, 0, 1 },
	{ 5, 812, 5 },
	{ 16, 36293, 16 },	/* PM2's default: errored at 36.3 s */
	{ 50, 206293, 20 },	/* 11293 + 39 * 5000 */
};

/* Each row: a script that exits at once is restarted exactly
 * max_restarts times, then errored, at a throttled pace. */
START_TEST(test_crash_loop)
{
	const struct loop_row *r = &loop_rows[_i];
	struct restart_policy p = POL(r->max_restarts, 1000, 0, 0);
	struct restart_state s = { 0 };
	enum restart_verdict v;
	long now = 0, delay, total = 0;
	int exits = 0, early = 0;

	for (;;) {
		v = restart_on_exit(&p, &s, EXITED(1), 0, &delay);
		exits++;
		if (v != RESTART_NOW && v != RESTART_AFTER)
			break;
		total += delay;
		now += delay;
		if (now < 60000)
			early++;
		ck_assert_int_le(exits, 1000);
	}
	ck_assert_int_eq(v, RESTART_ERRORED);
	ck_assert_int_eq(exits, r->max_restarts + 1);
	ck_assert_int_eq(s.restarts, r->max_restarts);
	ck_assert_int_eq(total, r->total_delay);
	ck_assert_int_eq(early, r->in_first_minute);
}
END_TEST

/* restart_on_stable starts the exp backoff over after 30 s up. */
START_TEST(test_on_stable)
{
	struct restart_policy p = POL(16, 1000, 0, 100);
	struct restart_state s = { 0 };
	long delay;

	restart_on_exit(&p, &s, EXITED(1), 5000, &delay);
	restart_on_exit(&p, &s, EXITED(1), 5000, &delay);
	ck_assert_int_eq(delay, 150);
	restart_on_stable(&s, 29999);
	restart_on_exit(&p, &s, EXITED(1), 5000, &delay);
	ck_assert_int_eq(delay, 225);
	restart_on_stable(&s, 30000);
	ck_assert_int_eq(s.backoff_ms, 0);
	restart_on_exit(&p, &s, EXITED(1), 5000, &delay);
	ck_assert_int_eq(delay, 100);
}
END_TEST

/* A reset forgets the crash history but keeps the restart count. */
START_TEST(test_state_reset)
{
	struct restart_policy p = POL(1, 1000, 0, 0);
	struct restart_state s = { 0 };
	long delay = -1;

	ck_assert_int_eq(restart_on_exit(&p, &s, EXITED(1), 0, &delay),
			 RESTART_NOW);
	ck_assert_int_eq(restart_on_exit(&p, &s, EXITED(1), 0, &delay),
			 RESTART_ERRORED);
	ck_assert_int_eq(delay, 0);
	restart_state_reset(&s);
	ck_assert_int_eq(s.restarts, 1);
	ck_assert_int_eq(restart_on_exit(&p, &s, EXITED(1), 0, &delay),
			 RESTART_NOW);
	ck_assert_int_eq(s.restarts, 2);
	ck_assert_int_eq(restart_on_exit(&p, &s, EXITED(1), 0, NULL),
			 RESTART_ERRORED);
}
END_TEST

/* The policy takes the app's settings, stop codes borrowed. */
START_TEST(test_policy_from_app)
{
	int codes[] = { 0, 42 };
	struct eco_app app;
	struct restart_policy p;
	struct restart_state s = { 0 };

	memset(&app, 0, sizeof app);
	app.autorestart = true;
	app.max_restarts = 7;
	app.min_uptime = 2500;
	app.restart_delay = 300;
	app.exp_backoff_restart_delay = 50;
	app.stop_exit_codes = codes;
	app.n_stop_exit_codes = 2;
	restart_policy_from_app(&p, &app);
	ck_assert(p.autorestart);
	ck_assert_int_eq(p.max_restarts, 7);
	ck_assert_int_eq(p.min_uptime_ms, 2500);
	ck_assert_int_eq(p.restart_delay_ms, 300);
	ck_assert_int_eq(p.exp_backoff_ms, 50);
	ck_assert_ptr_eq(p.stop_exit_codes, codes);
	ck_assert_int_eq(p.n_stop_exit_codes, 2);
	ck_assert_int_eq(restart_on_exit(&p, &s, EXITED(42), 0, NULL),
			 RESTART_STOPPED);
}
END_TEST

static const struct name_row {
	int v;
	const char *name;
} name_rows[] = {
	{ RESTART_NOW, "now" },
	{ RESTART_AFTER, "after" },
	{ RESTART_STOPPED, "stopped" },
	{ RESTART_ERRORED, "errored" },
	{ 99, "?" },
};

/* Each row: a verdict's name. */
START_TEST(test_names)
{
	ck_assert_str_eq(restart_verdict_name(name_rows[_i].v),
			 name_rows[_i].name);
}
END_TEST

/* The restart suite. */
static Suite *
restart_suite(void)
{
	Suite *s = suite_create("restart");
	TCase *tc = tcase_create("policy");

	tcase_add_loop_test(tc, test_sequences, 0, ARRAY_SIZE(seq_rows));
	tcase_add_loop_test(tc, test_crash_loop, 0, ARRAY_SIZE(loop_rows));
	tcase_add_test(tc, test_on_stable);
	tcase_add_test(tc, test_state_reset);
	tcase_add_test(tc, test_policy_from_app);
	tcase_add_loop_test(tc, test_names, 0, ARRAY_SIZE(name_rows));
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; exit status 0 when every test passed. */
int
main(void)
{
	SRunner *sr = srunner_create(restart_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

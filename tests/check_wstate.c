/* check_wstate.c: the worker lifecycle table */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/lib/util.h"
#include "core/sup/wstate.h"

#define STOP_IT		(WA_SIGNAL_STOP | WA_ARM_KILL_TIMER)
#define USER_RESTART	(WA_RESET_CRASHES | WA_COUNT_RESTART)

static const struct tr_row {
	enum wstate s;
	enum wevent ev;
	int rc;
	enum wstate next;
	unsigned actions;
	enum wreason reason;
} tr_rows[] = {
	/* a normal life */
	{ WS_STOPPED, EV_START, 0, WS_STARTING,
	  WA_SPAWN | WA_RESET_CRASHES, WR_NONE },
	{ WS_STARTING, EV_READY, 0, WS_ONLINE, WA_NONE, WR_NONE },
	{ WS_ONLINE, EV_STOP, 0, WS_STOPPING, STOP_IT, WR_NONE },
	{ WS_STOPPING, EV_KILL_TIMEOUT, 0, WS_STOPPING, WA_SIGNAL_KILL,
	  WR_NONE },
	{ WS_STOPPING, EV_EXIT, 0, WS_STOPPED, WA_CANCEL_KILL_TIMER,
	  WR_NONE },
	/* unrequested exits go to the policy */
	{ WS_ONLINE, EV_EXIT, 0, WS_WAITING_RESTART, WA_APPLY_POLICY,
	  WR_NONE },
	{ WS_STARTING, EV_EXIT, 0, WS_WAITING_RESTART, WA_APPLY_POLICY,
	  WR_NONE },
	{ WS_WAITING_RESTART, EV_RESTART_TIMER, 0, WS_STARTING, WA_SPAWN,
	  WR_NONE },
	{ WS_WAITING_RESTART, EV_STOP, 0, WS_STOPPED,
	  WA_CANCEL_RESTART_TIMER, WR_NONE },
	/* launch failures */
	{ WS_STARTING, EV_EXEC_FAILED, 0, WS_ERRORED, WA_NONE,
	  WR_LAUNCH_FAILED },
	{ WS_RESTARTING, EV_EXEC_FAILED, 0, WS_ERRORED,
	  WA_CANCEL_KILL_TIMER, WR_LAUNCH_FAILED },
	{ WS_STOPPING, EV_EXEC_FAILED, 0, WS_STOPPING, WA_NONE, WR_NONE },
	{ WS_ERRORED, EV_EXIT, 0, WS_ERRORED, WA_NONE, WR_NONE },
	/* restarts: stop, then spawn on the exit */
	{ WS_ONLINE, EV_RESTART, 0, WS_RESTARTING, STOP_IT | USER_RESTART,
	  WR_NONE },
	{ WS_ONLINE, EV_MEMORY_LIMIT, 0, WS_RESTARTING,
	  STOP_IT | WA_COUNT_RESTART, WR_NONE },
	{ WS_RESTARTING, EV_KILL_TIMEOUT, 0, WS_RESTARTING, WA_SIGNAL_KILL,
	  WR_NONE },
	{ WS_RESTARTING, EV_EXIT, 0, WS_STARTING,
	  WA_CANCEL_KILL_TIMER | WA_SPAWN, WR_NONE },
	{ WS_RESTARTING, EV_STOP, 0, WS_STOPPING, WA_NONE, WR_NONE },
	{ WS_STOPPING, EV_RESTART, 0, WS_RESTARTING, USER_RESTART,
	  WR_NONE },
	{ WS_STOPPING, EV_START, 0, WS_RESTARTING, WA_NONE, WR_NONE },
	{ WS_ERRORED, EV_RESTART, 0, WS_STARTING,
	  WA_SPAWN | USER_RESTART, WR_NONE },
	{ WS_WAITING_RESTART, EV_RESTART, 0, WS_STARTING,
	  WA_CANCEL_RESTART_TIMER | WA_SPAWN | USER_RESTART, WR_NONE },
	/* reload: a replacement when online, a restart before that */
	{ WS_ONLINE, EV_RELOAD, 0, WS_ONLINE,
	  WA_SPAWN_REPLACEMENT | USER_RESTART, WR_NONE },
	{ WS_STARTING, EV_RELOAD, 0, WS_RESTARTING, STOP_IT | USER_RESTART,
	  WR_NONE },
	{ WS_STOPPED, EV_RELOAD, 0, WS_STARTING, WA_SPAWN | USER_RESTART,
	  WR_NONE },
	/* user commands that change nothing */
	{ WS_ONLINE, EV_START, 0, WS_ONLINE, WA_NONE, WR_NONE },
	{ WS_STOPPED, EV_STOP, 0, WS_STOPPED, WA_NONE, WR_NONE },
	{ WS_ERRORED, EV_STOP, 0, WS_STOPPED, WA_NONE, WR_NONE },
	{ WS_STOPPING, EV_MEMORY_LIMIT, 0, WS_STOPPING, WA_NONE, WR_NONE },
	/* events that cannot happen there */
	{ WS_STOPPED, EV_READY, -1, 0, 0, 0 },
	{ WS_STOPPED, EV_EXIT, -1, 0, 0, 0 },
	{ WS_STOPPED, EV_KILL_TIMEOUT, -1, 0, 0, 0 },
	{ WS_STOPPED, EV_MEMORY_LIMIT, -1, 0, 0, 0 },
	{ WS_ONLINE, EV_KILL_TIMEOUT, -1, 0, 0, 0 },
	{ WS_ONLINE, EV_RESTART_TIMER, -1, 0, 0, 0 },
	{ WS_ONLINE, EV_EXEC_FAILED, -1, 0, 0, 0 },
	{ WS_STARTING, EV_KILL_TIMEOUT, -1, 0, 0, 0 },
	{ WS_WAITING_RESTART, EV_EXIT, -1, 0, 0, 0 },
	{ WS_WAITING_RESTART, EV_READY, -1, 0, 0, 0 },
	{ WS_ERRORED, EV_RESTART_TIMER, -1, 0, 0, 0 },
	{ WS_ERRORED, EV_EXEC_FAILED, -1, 0, 0, 0 },
	{ WS_STOPPING, EV_RESTART_TIMER, -1, 0, 0, 0 },
	{ WS_COUNT, EV_START, -1, 0, 0, 0 },
	{ WS_ONLINE, EV_COUNT, -1, 0, 0, 0 },
	{ (enum wstate)-1, EV_START, -1, 0, 0, 0 },
};

/* Each row: one cell of the table. */
START_TEST(test_transitions)
{
	const struct tr_row *r = &tr_rows[_i];
	struct transition t = { WS_COUNT, 0xdead, (enum wreason)77 };

	ck_assert_int_eq(worker_transition(r->s, r->ev, &t), r->rc);
	if (r->rc < 0) {
		ck_assert_int_eq(t.next, WS_COUNT);	/* left alone */
		ck_assert_uint_eq(t.actions, 0xdead);
		return;
	}
	ck_assert_str_eq(wstate_name(t.next), wstate_name(r->next));
	ck_assert_int_eq(t.next, r->next);
	ck_assert_uint_eq(t.actions, r->actions);
	ck_assert_int_eq(t.reason, r->reason);
}
END_TEST

/* Over the whole table: user commands are valid everywhere, a reason
 * exactly when errored, and a spawn never while a process may live. */
START_TEST(test_table_invariants)
{
	static const enum wevent user[] = {
		EV_START, EV_STOP, EV_RESTART, EV_RELOAD
	};
	struct transition t;
	int valid = 0;

	for (int s = 0; s < WS_COUNT; s++) {
		for (size_t u = 0; u < ARRAY_SIZE(user); u++)
			ck_assert_int_eq(worker_transition(s, user[u], &t), 0);
		for (int ev = 0; ev < EV_COUNT; ev++) {
			if (worker_transition(s, ev, &t) < 0)
				continue;
			valid++;
			ck_assert_int_lt(t.next, WS_COUNT);
			ck_assert_int_eq(t.reason != WR_NONE,
					 t.next == WS_ERRORED &&
					 s != WS_ERRORED);
			if (t.actions & WA_SPAWN)
				ck_assert(s != WS_STARTING && s != WS_ONLINE &&
					  s != WS_STOPPING);
			if (t.actions & WA_SPAWN)
				ck_assert_int_eq(t.next, WS_STARTING);
		}
	}
	/* 7 states x 10 events, some of them invalid */
	ck_assert_int_gt(valid, 40);
	ck_assert_int_lt(valid, WS_COUNT * EV_COUNT);
}
END_TEST

static const struct verdict_row {
	int v;
	int rc;
	enum wstate next;
	unsigned actions;
	enum wreason reason;
} verdict_rows[] = {
	{ RESTART_NOW, 0, WS_STARTING, WA_SPAWN, WR_NONE },
	{ RESTART_AFTER, 0, WS_WAITING_RESTART, WA_ARM_RESTART_TIMER,
	  WR_NONE },
	{ RESTART_STOPPED, 0, WS_STOPPED, WA_NONE, WR_NONE },
	{ RESTART_ERRORED, 0, WS_ERRORED, WA_NONE, WR_CRASH_LOOP },
	{ 9, -1, 0, 0, 0 },
};

/* Each row: what a restart verdict leads to. */
START_TEST(test_verdicts)
{
	const struct verdict_row *r = &verdict_rows[_i];
	struct transition t;

	ck_assert_int_eq(worker_verdict(r->v, &t), r->rc);
	if (r->rc < 0)
		return;
	ck_assert_int_eq(t.next, r->next);
	ck_assert_uint_eq(t.actions, r->actions);
	ck_assert_int_eq(t.reason, r->reason);
}
END_TEST

static const struct name_row {
	int which;		/* 0 state, 1 event, 2 reason */
	int v;
	const char *name;
} name_rows[] = {
	{ 0, WS_STARTING, "starting" },
	{ 0, WS_ONLINE, "online" },
	{ 0, WS_STOPPING, "stopping" },
	{ 0, WS_RESTARTING, "stopping" },
	{ 0, WS_STOPPED, "stopped" },
	{ 0, WS_WAITING_RESTART, "waiting restart" },
	{ 0, WS_ERRORED, "errored" },
	{ 0, WS_COUNT, "?" },
	{ 1, EV_KILL_TIMEOUT, "kill timeout" },
	{ 1, EV_RELOAD, "reload" },
	{ 1, EV_COUNT, "?" },
	{ 2, WR_NONE, "" },
	{ 2, WR_CRASH_LOOP, "too many unstable restarts" },
	{ 2, WR_LAUNCH_FAILED, "launch failed" },
	{ 2, 5, "?" },
};

/* Each row: a state, event or reason name. */
START_TEST(test_names)
{
	const struct name_row *r = &name_rows[_i];
	const char *got = r->which == 0 ? wstate_name(r->v) :
			  r->which == 1 ? wevent_name(r->v) :
			  wreason_name(r->v);

	ck_assert_str_eq(got, r->name);
}
END_TEST

/* Drive one worker whose script exits at once through the table and
 * the policy: it is spawned max_restarts + 1 times, then errored. */
START_TEST(test_crash_loop_through_table)
{
	struct restart_policy p = {
		.autorestart = true, .max_restarts = 3, .min_uptime_ms = 1000,
	};
	struct restart_state rs = { 0 };
	enum wstate s = WS_STOPPED;
	struct transition t;
	int spawns = 0, timers = 0;
	long delay;

	ck_assert_int_eq(worker_transition(s, EV_START, &t), 0);
	for (int guard = 0; guard < 100; guard++) {
		if (t.actions & WA_SPAWN)
			spawns++;
		s = t.next;
		if (s == WS_ERRORED || s == WS_STOPPED)
			break;
		if (s == WS_WAITING_RESTART) {
			timers++;
			ck_assert_int_eq(worker_transition(s, EV_RESTART_TIMER,
							   &t), 0);
			continue;
		}
		ck_assert_int_eq(s, WS_STARTING);
		ck_assert_int_eq(worker_transition(s, EV_EXIT, &t), 0);
		ck_assert(t.actions & WA_APPLY_POLICY);
		ck_assert_int_eq(worker_verdict(restart_on_exit(&p, &rs,
				 W_EXITCODE(1, 0), 0, &delay), &t), 0);
		ck_assert_int_eq(!!(t.actions & WA_ARM_RESTART_TIMER),
				 delay > 0);
	}
	ck_assert_int_eq(s, WS_ERRORED);
	ck_assert_int_eq(t.reason, WR_CRASH_LOOP);
	ck_assert_int_eq(spawns, 4);
	ck_assert_int_eq(timers, 2);	/* the first restart was at once */
	ck_assert_int_eq(rs.restarts, 3);
}
END_TEST

/* The wstate suite. */
static Suite *
wstate_suite(void)
{
	Suite *s = suite_create("wstate");
	TCase *tc = tcase_create("table");

	tcase_add_loop_test(tc, test_transitions, 0, ARRAY_SIZE(tr_rows));
	tcase_add_test(tc, test_table_invariants);
	tcase_add_loop_test(tc, test_verdicts, 0, ARRAY_SIZE(verdict_rows));
	tcase_add_loop_test(tc, test_names, 0, ARRAY_SIZE(name_rows));
	tcase_add_test(tc, test_crash_loop_through_table);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; exit status 0 when every test passed. */
int
main(void)
{
	SRunner *sr = srunner_create(wstate_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* restart.h: whether and how soon a worker that exited is started again */
#ifndef DEPLOY_RESTART_H
#define DEPLOY_RESTART_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Pure functions: no clock is read here. Uptimes and delays are
 * milliseconds on CLOCK_MONOTONIC, measured by the caller (uptime: from
 * the spawn to the exit).
 *
 * restart_on_exit(), for a worker that exited without being asked to,
 * in this order:
 *
 *  1. autorestart false: RESTART_STOPPED ("stopped").
 *  2. WIFEXITED and the exit code is in stop_exit_codes: RESTART_STOPPED.
 *     A death by signal never matches (signal 3 is not exit code 3): it
 *     is a crash like any other exit.
 *  3. unstable: an exit after running >= min_uptime sets it to 0, a
 *     shorter run adds 1. When unstable > max_restarts the verdict is
 *     RESTART_ERRORED: a worker that keeps dying young is restarted
 *     max_restarts times and errored at its (max_restarts + 1)th
 *     consecutive unstable exit. (PM2's code errors at unstable >=
 *     max_restarts, one restart fewer; max_restarts counts restarts
 *     here.) max_restarts < 0: never errored.
 *  4. The delay is the largest of three:
 *     - restart_delay (fixed), when > 0;
 *     - the exp backoff, when exp_backoff > 0 (PM2's
 *       exp_backoff_restart_delay): the first crash waits exp_backoff,
 *       each later one floor(previous * 1.5), at most
 *       RESTART_BACKOFF_MAX_MS (or exp_backoff itself when larger):
 *       100, 150, 225, 337, 505, ... 12921, 15000, 15000. It starts
 *       again from exp_backoff once the worker has been up
 *       RESTART_BACKOFF_RESET_MS (checked at the exit, or earlier by
 *       restart_on_stable());
 *     - the crash-loop throttle, always on: a run shorter than
 *       max(min_uptime, RESTART_QUICK_MS) is "quick". The first quick
 *       exit in a row waits 0 ms, the second RESTART_THROTTLE_FIRST_MS,
 *       each later one floor(previous * 1.5), at most
 *       RESTART_THROTTLE_MAX_MS: 0, 100, 150, 225, 337, 505, 757,
 *       1135, 1702, 2553, 3829, 5000, 5000 ... A run that is not quick
 *       starts the row again. The floor of RESTART_QUICK_MS means even
 *       min_uptime 0 cannot make a fork storm.
 *     With neither restart_delay nor exp_backoff (the default) a
 *     first crash restarts at once. A script that exits at once, with
 *     PM2's defaults (max_restarts 16, min_uptime 1000), is restarted
 *     16 times after 0 + 100 + 150 + ... + 3829 + 5 * 5000 = 36293 ms
 *     of delays and errored at its 17th exit.
 *  5. Delay 0: RESTART_NOW, else RESTART_AFTER with *delay_ms set.
 *     Both add 1 to restarts.
 */
#define RESTART_QUICK_MS		1000L
#define RESTART_THROTTLE_FIRST_MS	100L
#define RESTART_THROTTLE_MAX_MS		5000L
#define RESTART_BACKOFF_MAX_MS		15000L
#define RESTART_BACKOFF_RESET_MS	30000L

/* The restart settings of an app. */
struct restart_policy {
	bool autorestart;
	int max_restarts;		/* < 0: unlimited */
	long min_uptime_ms;
	long restart_delay_ms;		/* 0: none */
	long exp_backoff_ms;		/* 0: off */
	const int *stop_exit_codes;	/* borrowed, not freed */
	size_t n_stop_exit_codes;
};

/* The restart history of one worker instance; start from all zeros. */
struct restart_state {
	int restarts;		/* total restarts, shown in ls */
	int unstable;		/* consecutive exits that ran < min_uptime */
	int quick;		/* consecutive quick exits (the throttle) */
	long throttle_ms;	/* the throttle's last delay */
	long backoff_ms;	/* the last exp backoff delay, 0: none yet */
};

enum restart_verdict {
	RESTART_NOW,		/* spawn again at once */
	RESTART_AFTER,		/* spawn again after *delay_ms */
	RESTART_STOPPED,	/* do not restart: status "stopped" */
	RESTART_ERRORED,	/* too many unstable restarts: "errored" */
};

struct eco_app;

/*
 * Fill p from an app of the ecosystem. stop_exit_codes points into app,
 * so p must not outlive it.
 */
void restart_policy_from_app(struct restart_policy *p,
			     const struct eco_app *app);

/*
 * Decide what follows an exit the daemon did not ask for (not a stop,
 * restart or reload), and update s. wait_status is waitpid's status;
 * uptime_ms is how long the process ran. *delay_ms (when delay_ms is
 * not NULL) is set to the delay for RESTART_AFTER and to 0 otherwise.
 */
enum restart_verdict restart_on_exit(const struct restart_policy *p,
				     struct restart_state *s,
				     int wait_status, long uptime_ms,
				     long *delay_ms);

/*
 * The worker has been up uptime_ms: once that reaches
 * RESTART_BACKOFF_RESET_MS the exp backoff starts over. The daemon may
 * call it on any tick; restart_on_exit does the same check itself.
 */
void restart_on_stable(struct restart_state *s, long uptime_ms);

/*
 * Forget the crash history (unstable, throttle, backoff) but keep the
 * restart count: for a start, restart or reload asked by the user.
 */
void restart_state_reset(struct restart_state *s);

/* "now", "after", "stopped", "errored": for logs. */
const char *restart_verdict_name(enum restart_verdict v);

#endif

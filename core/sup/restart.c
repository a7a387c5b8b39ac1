/* restart.c: whether and how soon a worker that exited is started again */
#include "core/sup/restart.h"

#include <sys/wait.h>

#include "core/eco/ecosystem.h"

/* Fill a policy from an app's settings. */
void
restart_policy_from_app(struct restart_policy *p, const struct eco_app *app)
{
	p->autorestart = app->autorestart;
	p->max_restarts = app->max_restarts;
	p->min_uptime_ms = app->min_uptime;
	p->restart_delay_ms = app->restart_delay;
	p->exp_backoff_ms = app->exp_backoff_restart_delay;
	p->stop_exit_codes = app->stop_exit_codes;
	p->n_stop_exit_codes = app->n_stop_exit_codes;
}

/* True when the process exited (not by a signal) with a stop code. */
static bool
is_stop_exit(const struct restart_policy *p, int wait_status)
{
	size_t i;

	if (!WIFEXITED(wait_status))
		return false;
	for (i = 0; i < p->n_stop_exit_codes; i++)
		if (p->stop_exit_codes[i] == WEXITSTATUS(wait_status))
			return true;
	return false;
}

/* floor(x * 1.5), at most cap, without overflow (0 <= x). */
static long
grow(long x, long cap)
{
	if (x >= cap - x / 2)
		return cap;
	return x + x / 2;
}

/* The larger of two delays. */
static long
max_delay(long a, long b)
{
	return a > b ? a : b;
}

/* Advance the crash-loop throttle by one exit; its delay. */
static long
throttle_delay(const struct restart_policy *p, struct restart_state *s,
	       long uptime_ms)
{
	if (uptime_ms >= max_delay(p->min_uptime_ms, RESTART_QUICK_MS)) {
		s->quick = 0;
		s->throttle_ms = 0;
		return 0;
	}
	s->quick++;
	if (s->quick == 1)
		s->throttle_ms = 0;
	else if (s->throttle_ms == 0)
		s->throttle_ms = RESTART_THROTTLE_FIRST_MS;
	else
		s->throttle_ms = grow(s->throttle_ms, RESTART_THROTTLE_MAX_MS);
	return s->throttle_ms;
}

/* Advance the exp backoff by one exit; its delay (0 when off). */
static long
backoff_delay(const struct restart_policy *p, struct restart_state *s,
	      long uptime_ms)
{
	long cap = max_delay(p->exp_backoff_ms, RESTART_BACKOFF_MAX_MS);

	if (p->exp_backoff_ms <= 0)
		return 0;
	restart_on_stable(s, uptime_ms);
	if (s->backoff_ms <= 0)
		s->backoff_ms = p->exp_backoff_ms;
	else
		s->backoff_ms = grow(s->backoff_ms, cap);
	return s->backoff_ms;
}

/* Decide what follows an unrequested exit. */
enum restart_verdict
restart_on_exit(const struct restart_policy *p, struct restart_state *s,
		int wait_status, long uptime_ms, long *delay_ms)
{
	long delay;

	if (delay_ms != NULL)
		*delay_ms = 0;
	if (uptime_ms < 0)
		uptime_ms = 0;
	if (!p->autorestart || is_stop_exit(p, wait_status))
		return RESTART_STOPPED;
	if (uptime_ms >= p->min_uptime_ms)
		s->unstable = 0;
	else
		s->unstable++;
	if (p->max_restarts >= 0 && s->unstable > p->max_restarts)
		return RESTART_ERRORED;
	delay = throttle_delay(p, s, uptime_ms);
	delay = max_delay(delay, backoff_delay(p, s, uptime_ms));
	delay = max_delay(delay, p->restart_delay_ms);
	s->restarts++;
	if (delay_ms != NULL)
		*delay_ms = delay;
	return delay > 0 ? RESTART_AFTER : RESTART_NOW;
}

/* Start the exp backoff over once the worker has been up long enough. */
void
restart_on_stable(struct restart_state *s, long uptime_ms)
{
	if (uptime_ms >= RESTART_BACKOFF_RESET_MS)
		s->backoff_ms = 0;
}

/* Forget the crash history, keep the restart count. */
void
restart_state_reset(struct restart_state *s)
{
	s->unstable = 0;
	s->quick = 0;
	s->throttle_ms = 0;
	s->backoff_ms = 0;
}

const char *
restart_verdict_name(enum restart_verdict v)
{
	static const char *const names[] = {
		[RESTART_NOW] = "now",
		[RESTART_AFTER] = "after",
		[RESTART_STOPPED] = "stopped",
		[RESTART_ERRORED] = "errored",
	};

	if ((unsigned)v >= ARRAY_SIZE(names))
		return "?";
	return names[v];
}

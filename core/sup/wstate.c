/* wstate.c: the lifecycle of one worker instance, as a state table */
#include "core/sup/wstate.h"

#include <stdbool.h>

#include "core/lib/util.h"

/* One cell of the table; cells left out are invalid (ok false). */
struct cell {
	bool ok;
	enum wstate next;
	unsigned actions;
	enum wreason reason;
};

#define GO(state, acts)	{ true, (state), (acts), WR_NONE }
#define FAIL(acts)	{ true, WS_ERRORED, (acts), WR_LAUNCH_FAILED }

/* Stop the process: the configured signal, SIGKILL after kill_timeout. */
#define STOP_IT		(WA_SIGNAL_STOP | WA_ARM_KILL_TIMER)
/* A user restart: a fresh crash history, one more restart. */
#define USER_RESTART	(WA_RESET_CRASHES | WA_COUNT_RESTART)
/* Start from no process at all, by the user's request. */
#define USER_SPAWN	(WA_SPAWN | WA_RESET_CRASHES)

static const struct cell table[WS_COUNT][EV_COUNT] = {
	[WS_STARTING] = {
		[EV_START] = GO(WS_STARTING, WA_NONE),
		[EV_READY] = GO(WS_ONLINE, WA_NONE),
		[EV_EXIT] = GO(WS_WAITING_RESTART, WA_APPLY_POLICY),
		[EV_STOP] = GO(WS_STOPPING, STOP_IT),
		[EV_EXEC_FAILED] = FAIL(WA_NONE),
		[EV_MEMORY_LIMIT] = GO(WS_RESTARTING,
				       STOP_IT | WA_COUNT_RESTART),
		[EV_RESTART] = GO(WS_RESTARTING, STOP_IT | USER_RESTART),
		[EV_RELOAD] = GO(WS_RESTARTING, STOP_IT | USER_RESTART),
	},
	[WS_ONLINE] = {
		[EV_START] = GO(WS_ONLINE, WA_NONE),
		[EV_READY] = GO(WS_ONLINE, WA_NONE),
		[EV_EXIT] = GO(WS_WAITING_RESTART, WA_APPLY_POLICY),
		[EV_STOP] = GO(WS_STOPPING, STOP_IT),
		[EV_MEMORY_LIMIT] = GO(WS_RESTARTING,
				       STOP_IT | WA_COUNT_RESTART),
		[EV_RESTART] = GO(WS_RESTARTING, STOP_IT | USER_RESTART),
		[EV_RELOAD] = GO(WS_ONLINE,
				 WA_SPAWN_REPLACEMENT | USER_RESTART),
	},
	[WS_STOPPING] = {
		[EV_START] = GO(WS_RESTARTING, WA_NONE),
		[EV_READY] = GO(WS_STOPPING, WA_NONE),
		[EV_EXIT] = GO(WS_STOPPED, WA_CANCEL_KILL_TIMER),
		[EV_STOP] = GO(WS_STOPPING, WA_NONE),
		[EV_KILL_TIMEOUT] = GO(WS_STOPPING, WA_SIGNAL_KILL),
		[EV_EXEC_FAILED] = GO(WS_STOPPING, WA_NONE),
		[EV_MEMORY_LIMIT] = GO(WS_STOPPING, WA_NONE),
		[EV_RESTART] = GO(WS_RESTARTING, USER_RESTART),
		[EV_RELOAD] = GO(WS_RESTARTING, USER_RESTART),
	},
	[WS_RESTARTING] = {
		[EV_START] = GO(WS_RESTARTING, WA_NONE),
		[EV_READY] = GO(WS_RESTARTING, WA_NONE),
		[EV_EXIT] = GO(WS_STARTING, WA_CANCEL_KILL_TIMER | WA_SPAWN),
		[EV_STOP] = GO(WS_STOPPING, WA_NONE),
		[EV_KILL_TIMEOUT] = GO(WS_RESTARTING, WA_SIGNAL_KILL),
		[EV_EXEC_FAILED] = FAIL(WA_CANCEL_KILL_TIMER),
		[EV_MEMORY_LIMIT] = GO(WS_RESTARTING, WA_NONE),
		[EV_RESTART] = GO(WS_RESTARTING, WA_NONE),
		[EV_RELOAD] = GO(WS_RESTARTING, WA_NONE),
	},
	[WS_STOPPED] = {
		[EV_START] = GO(WS_STARTING, USER_SPAWN),
		[EV_STOP] = GO(WS_STOPPED, WA_NONE),
		[EV_RESTART] = GO(WS_STARTING, USER_SPAWN | USER_RESTART),
		[EV_RELOAD] = GO(WS_STARTING, USER_SPAWN | USER_RESTART),
	},
	[WS_WAITING_RESTART] = {
		[EV_START] = GO(WS_STARTING,
				WA_CANCEL_RESTART_TIMER | USER_SPAWN),
		[EV_STOP] = GO(WS_STOPPED, WA_CANCEL_RESTART_TIMER),
		[EV_RESTART_TIMER] = GO(WS_STARTING, WA_SPAWN),
		[EV_RESTART] = GO(WS_STARTING, WA_CANCEL_RESTART_TIMER |
				  USER_SPAWN | USER_RESTART),
		[EV_RELOAD] = GO(WS_STARTING, WA_CANCEL_RESTART_TIMER |
				 USER_SPAWN | USER_RESTART),
	},
	[WS_ERRORED] = {
		[EV_START] = GO(WS_STARTING, USER_SPAWN),
		/* the child whose exec failed is reaped */
		[EV_EXIT] = GO(WS_ERRORED, WA_NONE),
		[EV_STOP] = GO(WS_STOPPED, WA_NONE),
		[EV_RESTART] = GO(WS_STARTING, USER_SPAWN | USER_RESTART),
		[EV_RELOAD] = GO(WS_STARTING, USER_SPAWN | USER_RESTART),
	},
};

static const struct cell verdicts[] = {
	[RESTART_NOW] = GO(WS_STARTING, WA_SPAWN),
	[RESTART_AFTER] = GO(WS_WAITING_RESTART, WA_ARM_RESTART_TIMER),
	[RESTART_STOPPED] = GO(WS_STOPPED, WA_NONE),
	[RESTART_ERRORED] = { true, WS_ERRORED, WA_NONE, WR_CRASH_LOOP },
};

/* Copy a valid cell into out; 0, or -1 for an invalid cell. */
static int
take(const struct cell *c, struct transition *out)
{
	if (!c->ok)
		return -1;
	out->next = c->next;
	out->actions = c->actions;
	out->reason = c->reason;
	return 0;
}

/* Look up what an event does in a state. */
int
worker_transition(enum wstate s, enum wevent ev, struct transition *out)
{
	if ((unsigned)s >= WS_COUNT || (unsigned)ev >= EV_COUNT)
		return -1;
	return take(&table[s][ev], out);
}

/* Look up what a restart verdict does. */
int
worker_verdict(enum restart_verdict v, struct transition *out)
{
	if ((unsigned)v >= ARRAY_SIZE(verdicts))
		return -1;
	return take(&verdicts[v], out);
}

/* names[i], or "?" when i is out of range or unnamed. */
static const char *
pick(const char *const *names, size_t n, unsigned i)
{
	return i < n && names[i] != NULL ? names[i] : "?";
}

/* The status name of a state. */
const char *
wstate_name(enum wstate s)
{
	static const char *const names[] = {
		[WS_STARTING] = "starting",
		[WS_ONLINE] = "online",
		[WS_STOPPING] = "stopping",
		[WS_RESTARTING] = "stopping",
		[WS_STOPPED] = "stopped",
		[WS_WAITING_RESTART] = "waiting restart",
		[WS_ERRORED] = "errored",
	};

	return pick(names, ARRAY_SIZE(names), s);
}

const char *
wevent_name(enum wevent ev)
{
	static const char *const names[] = {
		[EV_START] = "start",
		[EV_READY] = "ready",
		[EV_EXIT] = "exit",
		[EV_STOP] = "stop",
		[EV_KILL_TIMEOUT] = "kill timeout",
		[EV_RESTART_TIMER] = "restart timer",
		[EV_EXEC_FAILED] = "exec failed",
		[EV_MEMORY_LIMIT] = "memory limit",
		[EV_RESTART] = "restart",
		[EV_RELOAD] = "reload",
	};

	return pick(names, ARRAY_SIZE(names), ev);
}

/* The text of an errored reason. */
const char *
wreason_name(enum wreason r)
{
	static const char *const names[] = {
		[WR_NONE] = "",
		[WR_CRASH_LOOP] = "too many unstable restarts",
		[WR_LAUNCH_FAILED] = "launch failed",
	};

	return pick(names, ARRAY_SIZE(names), r);
}

/* wstate.h: the lifecycle of one worker instance, as a state table */
#ifndef DEPLOY_WSTATE_H
#define DEPLOY_WSTATE_H

#include "core/sup/restart.h"

/*
 * The daemon keeps one enum wstate per worker instance and feeds it
 * events; worker_transition() looks the pair up in a static table and
 * returns the next state and the actions to take (flags, done in the
 * order of their values). User commands (start, stop, restart, reload)
 * are valid in every state, if only as no-ops; the other events are
 * invalid (-1) where they cannot happen, which points at a daemon bug.
 *
 * An unrequested exit (EV_EXIT in starting or online) returns
 * WA_APPLY_POLICY with the provisional state "waiting restart": call
 * restart_on_exit(), then worker_verdict() for the final state and
 * actions.
 *
 * The daemon's duties around the table: EV_EXIT is only for the
 * instance's current process (match the pid); read the exec-status
 * pipe to EOF before feeding EV_EXIT, so EV_EXEC_FAILED comes first
 * (the child that failed to exec is then reaped in "errored", a
 * no-op); feed EV_READY when the readiness check passes, or at once
 * when the app has none, or when listen_timeout expires (PM2 does the
 * same); cancel readiness probes when leaving "starting".
 */
enum wstate {
	WS_STARTING,		/* spawned, not ready yet */
	WS_ONLINE,		/* ready */
	WS_STOPPING,		/* stop signal sent, to stay stopped */
	WS_RESTARTING,		/* stop signal sent, to spawn again; shown
				 * as "stopping" */
	WS_STOPPED,		/* no process */
	WS_WAITING_RESTART,	/* no process, restart timer armed */
	WS_ERRORED,		/* no process: crash loop or launch failed */
	WS_COUNT
};

enum wevent {
	EV_START,		/* user: start */
	EV_READY,		/* readiness check passed */
	EV_EXIT,		/* the process was reaped */
	EV_STOP,		/* user: stop */
	EV_KILL_TIMEOUT,	/* kill_timeout passed after the stop signal */
	EV_RESTART_TIMER,	/* the restart delay passed */
	EV_EXEC_FAILED,		/* the exec-status pipe reported an errno */
	EV_MEMORY_LIMIT,	/* RSS went over max_memory_restart */
	EV_RESTART,		/* user: restart */
	EV_RELOAD,		/* user: reload (zero-downtime) */
	EV_COUNT
};

/* Actions, done in this order when several are set. */
enum waction {
	WA_NONE = 0,
	WA_CANCEL_RESTART_TIMER = 1 << 0,
	WA_CANCEL_KILL_TIMER = 1 << 1,
	WA_SIGNAL_STOP = 1 << 2,	/* kill_signal to the process group */
	WA_ARM_KILL_TIMER = 1 << 3,	/* EV_KILL_TIMEOUT in kill_timeout */
	WA_SIGNAL_KILL = 1 << 4,	/* SIGKILL to the process group */
	WA_RESET_CRASHES = 1 << 5,	/* restart_state_reset() */
	WA_COUNT_RESTART = 1 << 6,	/* restarts++ */
	WA_APPLY_POLICY = 1 << 7,	/* restart_on_exit, worker_verdict */
	WA_ARM_RESTART_TIMER = 1 << 8,	/* EV_RESTART_TIMER after delay */
	WA_SPAWN = 1 << 9,		/* fork and exec */
	/* Reload: start a new process for this instance; once it is
	 * ready, send this one EV_STOP. Without a shared listen socket
	 * two processes cannot hold the instance's port: the daemon sends
	 * EV_RESTART instead, one instance at a time. */
	WA_SPAWN_REPLACEMENT = 1 << 10,
};

/* Why a worker is errored. */
enum wreason {
	WR_NONE,
	WR_CRASH_LOOP,		/* too many unstable restarts */
	WR_LAUNCH_FAILED,	/* exec failed (PM2's launch failure) */
};

struct transition {
	enum wstate next;
	unsigned actions;	/* enum waction flags */
	enum wreason reason;	/* set when entering WS_ERRORED from
				 * another state; else WR_NONE (an errored
				 * worker keeps its reason) */
};

/*
 * Fill out with what event ev does in state s. Returns 0, or -1 when ev
 * cannot happen in s (out is then left alone).
 */
int worker_transition(enum wstate s, enum wevent ev, struct transition *out);

/*
 * Fill out with what a restart verdict means after WA_APPLY_POLICY:
 * now: starting + spawn; after: waiting restart + arm the timer;
 * stopped: stopped; errored: errored (crash loop). Returns 0, or -1
 * for a value that is no verdict.
 */
int worker_verdict(enum restart_verdict v, struct transition *out);

/* PM2-like status names: "starting", "online", "stopping", "stopped",
 * "waiting restart", "errored". */
const char *wstate_name(enum wstate s);
/* "start", "ready", "exit", ...: for logs. */
const char *wevent_name(enum wevent ev);
/* "", "too many unstable restarts", "launch failed". */
const char *wreason_name(enum wreason r);

#endif

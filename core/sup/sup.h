/* sup.h: the supervisor: apps, their worker instances, and jobs */
#ifndef DEPLOY_SUP_H
#define DEPLOY_SUP_H

#include <jansson.h>
#include <stdbool.h>

#include "core/lib/loop.h"
#include "core/lib/util.h"

struct sup;
struct sup_job;

/*
 * How a request ends: code is an enum exit_code (EXIT_OK on success),
 * error the message when it failed (else NULL), extra (borrowed, may be
 * NULL) the fields of a successful reply.
 */
typedef void (*sup_done_fn)(void *arg, int code, const char *error,
			    json_t *extra);
/* A step of a request under way (borrowed): {"event": "ready" or
   "stopped", "app", "instance", "pid", "ms"}. */
typedef void (*sup_event_fn)(void *arg, json_t *event);

/* Who hears of a request: done exactly once, unless abandoned. */
struct sup_reply {
	sup_done_fn done;
	sup_event_fn event;	/* NULL: no progress events */
	void *arg;
};

/* What a user can do to an app, an instance or all. */
enum sup_action { SUP_START, SUP_STOP, SUP_RESTART, SUP_RELOAD, SUP_DELETE };

/* The action called name ("start", ...); 0, or -1 when none is. */
int sup_action_parse(const char *name, enum sup_action *out);

/* A new supervisor keeping its logs and sockets under home. */
struct sup *sup_new(const char *home, struct derr *e);
/* Free everything; workers still running are left alone. */
void sup_free(struct sup *s);

/* Register this turn's fds and deadlines with the loop. */
void sup_watch(struct sup *s, struct loop *l);
/* After a loop turn: timers, probes, sampling, finished jobs, cleanup. */
void sup_after_turn(struct sup *s);
/* SIGCHLD: reap every exited child. */
void sup_reap(struct sup *s);
/* The asker of j went away: the work goes on, nobody is answered. */
void sup_job_abandon(struct sup *s, struct sup_job *j);

/* Stop every worker (daemon shutdown). */
void sup_stop_all(struct sup *s);
/* True when no worker process is left. */
bool sup_all_stopped(const struct sup *s);
/* Rolling reload of every app (SIGHUP). */
void sup_reload_all(struct sup *s);

/*
 * Take back the workers of a daemon that died or was replaced: read
 * $home/run.json, re-adopt every recorded instance whose process is
 * still alive with the same start time (its pipes and listen sockets
 * come back from the fd holder), and start the recorded instances
 * whose process is gone, as the restart policy would. Nothing to do
 * without run.json. 0, or -1 with e filled (a corrupt run.json, which
 * is left for a look).
 */
int sup_restore(struct sup *s, struct derr *e);
/* Write run.json now (before the daemon execs a new binary). */
void sup_persist(struct sup *s);
/* A clean shutdown is done: forget run.json and end the fd holder. */
void sup_retire(struct sup *s);

/* Write state.json (the apps and what should run); atomic. */
int sup_save(struct sup *s, struct derr *e);
/* Start the apps of state.json that are not running; names appended. */
int sup_resurrect(struct sup *s, json_t *names, struct derr *e);

/*
 * Do action a to target ("APP", "APP:N" or "all"); a reload replaces
 * parallel instances at a time. The answer comes through r once the
 * action has taken effect, or when timeout_ms has passed (<= 0: a
 * deadline derived from the apps' kill_timeout, listen_timeout and
 * instance count). Returns the job while it is under way, NULL when r
 * has already been answered.
 */
struct sup_job *sup_act(struct sup *s, enum sup_action a, const char *target,
			int parallel, long long timeout_ms,
			struct sup_reply r);
/*
 * Make the apps of req ({"file", "env", "apps": [...]}) run as
 * described. Without wait, r is answered at once with {"apps": [{"app",
 * "action", "instance_count"}]}; an instance that could not be started fails
 * the request. With wait, when every instance is ready and has stayed
 * up for the settle window (SUP_SETTLE_MS, or min_uptime when smaller);
 * an instance that exits meanwhile fails it. Returns as sup_act.
 */
struct sup_job *sup_up(struct sup *s, json_t *req, bool wait,
		       long long timeout_ms, struct sup_reply r);
#define SUP_SETTLE_MS 1000
/* Set the restart counts of target ("APP", "APP:N" or "all") back to
   0; r is answered at once, with {"instance_count"} on success. */
void sup_reset(struct sup *s, const char *target, struct sup_reply r);

/* Every instance as an "ls" row; a new array. */
json_t *sup_list(struct sup *s);
/* The number of apps supervised. */
size_t sup_app_count(const struct sup *s);

#endif

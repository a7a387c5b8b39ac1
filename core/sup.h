/* sup.h: the supervisor: apps, their worker instances, and jobs */
#ifndef DEPLOY_SUP_H
#define DEPLOY_SUP_H

#include <jansson.h>
#include <stdbool.h>

#include "loop.h"
#include "util.h"

struct sup;
struct daemon;
struct conn;

/* A new supervisor for daemon d (its home, its connections). */
struct sup *sup_new(struct daemon *d, struct derr *e);
/* Free everything; workers still running are left alone. */
void sup_free(struct sup *s);

/* Register this turn's fds and deadlines with the loop. */
void sup_watch(struct sup *s, struct loop *l);
/* After a loop turn: timers, probes, sampling, finished jobs, cleanup. */
void sup_after_turn(struct sup *s);
/* SIGCHLD: reap every exited child. */
void sup_reap(struct sup *s);
/* A connection went away: drop its pending replies. */
void sup_forget_conn(struct sup *s, struct conn *c);

/* Stop every worker (daemon shutdown). */
void sup_stop_all(struct sup *s);
/* True when no worker process is left. */
bool sup_all_stopped(const struct sup *s);
/* True when no job, reload or instance change is under way. */
bool sup_quiet(const struct sup *s);
/* Rolling reload of every app (SIGHUP). */
void sup_reload_all(struct sup *s);

/* Write state.json (the apps and what should run); atomic. */
int sup_save(struct sup *s, struct derr *e);
/* Start the apps of state.json that are not running; names appended. */
int sup_resurrect(struct sup *s, json_t *names, struct derr *e);

/* Control requests; each replies on c now or later (core/ctl.c). */
void sup_op_up(struct sup *s, struct conn *c, json_t *req);
void sup_op_action(struct sup *s, struct conn *c, json_t *req,
		   const char *action);
void sup_op_ls(struct sup *s, struct conn *c, json_t *req);
void sup_op_reset(struct sup *s, struct conn *c, json_t *req);
void sup_op_save(struct sup *s, struct conn *c, json_t *req);
void sup_op_resurrect(struct sup *s, struct conn *c, json_t *req);

#endif

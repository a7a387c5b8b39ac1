/* sup_int.h: the supervisor's own structures, shared by core/sup_*.c */
#ifndef DEPLOY_SUP_INT_H
#define DEPLOY_SUP_INT_H

#include <sys/types.h>

#include "core/eco/ecosystem.h"
#include "core/lib/dlog.h"
#include "core/lib/loop.h"
#include "core/sup/restart.h"
#include "core/sup/wstate.h"
#include "core/sup/sup.h"

struct logfile;
struct logwriter;
struct http_probe;
struct http_probes;
struct notify_sock;
struct procstat;

/* A descendant that left the instance's process group. */
struct sup_stray {
	pid_t pid;
	unsigned long long start;	/* /proc/PID/stat (22) */
};

/* One worker process slot: instance `index` of an app. */
struct sup_inst {
	struct sup_app *app;
	int index;
	enum wstate state;
	enum wreason why_errored;
	pid_t pid;			/* 0 when no process */
	pid_t group_left;		/* a group whose leader exited but
					   whose other members may linger */
	int out_fd, err_fd;		/* -1 when closed */
	struct nodeipc *ipc;		/* Node's IPC channel, or NULL */
	pid_t pipe_pid;			/* whose pipes the holder keeps, 0 */
	int pidfd;			/* an adopted process that is not our
					   child: POLLIN when it exits; -1 */
	bool foreign;			/* its group is not ours to reap */
	unsigned long long serial;	/* unique in the home, for its mark */
	struct sup_stray *strays;	/* being stopped outside its group */
	size_t n_strays, cap_strays;
	struct logwriter *out, *err;
	char *log_path[2];		/* out and err, while attached */
	char *last_err;			/* stderr's last line when detached */
	long long started_mono;		/* ms */
	long long started_wall;		/* ms since the epoch */
	long long deadline;		/* kill / restart / ready, -1: none */
	long long next_probe;		/* next readiness probe, -1: none */
	struct http_probe *http;
	const char *ready_by;		/* notify, http, port, listen,
					   uptime; NULL: not ready */
	unsigned long held_ino;		/* another process's socket on its
					   port, last named in reason */
	struct restart_state rs;
	int exit_status;		/* last wait status, -1: none */
	char *reason;			/* why it is errored or stopped */
	bool ready_failed;		/* not ready within listen_timeout */
	long long failed_at;		/* ms of the last ready_failed or
					   errored, -1: never */
	long long crashed_at;		/* ms of the last exit nobody asked
					   for, -1: never */
	bool retiring;			/* replaced by a reload: dropped once
					   down */
	bool removing;			/* deleted: drop once down */
	double cpu;			/* % of one core */
	long long rss;			/* bytes, whole process tree */
};

/* A rolling reload of one app, one instance (or N) at a time. */
struct sup_reload {
	int next;			/* next index to replace */
	int parallel;
	struct sup_inst **fresh;	/* the replacements under way */
	struct sup_inst **old;		/* listen mode: old, stopped once
					   its replacement is ready */
	size_t n_fresh;
	bool failed;
	char *error;
};

struct sup_app {
	struct sup *s;
	struct ecosystem *eco;		/* owns cfg */
	struct eco_app *cfg;
	json_t *raw;			/* the app object as in its file */
	char *file;			/* the ecosystem file */
	char *env_name;			/* --env, or NULL */
	struct sup_inst **inst;
	size_t n_inst, cap_inst;
	int listen_fd;			/* listen mode socket, -1: none */
	struct sup_reload *reload;	/* NULL when none under way */
	char *reload_error;		/* why the last reload failed, or
					   NULL */
	long long reload_ended;		/* ms the last reload ended */
	bool removing;			/* deleted: drop once all down */
	long long cron_next;		/* next cron_restart, wall ms; 0:
					   not computed, -1: none */
	const struct eco_app *cron_cfg;	/* the cfg cron_next is for */
	struct app_watch *watch;	/* "watch" (sup_watch.c), or NULL */
};

enum job_want { JOB_READY, JOB_STOPPED, JOB_RELOADED };

/* A request under way: answered when its instances reach what it
   wants, when one of them fails, or at its deadline. */
struct sup_job {
	struct sup_reply reply;		/* done NULL: the asker left */
	enum job_want want;
	char **apps;			/* app names it covers */
	int index;			/* one instance, or -1 for all */
	long long created;		/* ms; failures before it are old */
	long long deadline;		/* -1: none */
	long long settle_ms;		/* JOB_READY: stay ready this long */
	long long settled_at;		/* when all were ready, -1: not yet */
	char **reported;		/* "app:index:pid" events sent */
	json_t *extra;			/* the success reply's fields */
};

/* A child reaped during a loop turn, acted on after the turn. */
struct sup_exit {
	pid_t pid;
	int status;		/* SUP_STATUS_UNKNOWN: not our child */
};

/* The exit of an adopted process that is not the daemon's child. */
#define SUP_STATUS_UNKNOWN (-2)

struct sup {
	char *home;
	char *logs_dir;
	struct sup_app **apps;
	size_t n_apps, cap_apps;
	struct sup_job **jobs;
	size_t n_jobs, cap_jobs;
	struct notify_sock *notify;
	char *notify_path;
	struct http_probes *probes;	/* the instances' health GETs */
	struct procstat *proc;
	long long next_sample;
	long long last_sweep;		/* last full /proc sweep, -1: none */
	long long watched_until;	/* sample every second until then */
	struct sup_logs *logs;		/* open log files, shared by path */
	struct sup_exit *exits;		/* reaped this turn, not yet seen */
	size_t n_exits, cap_exits;
	struct holder *holder;		/* keeps pipes and sockets open */
	bool holder_off;		/* shutting down: no holder any more */
	unsigned long turn;		/* loop turns so far */
	unsigned long long serial;	/* the last instance serial given */
	unsigned long swept_turn;	/* the turn of the last full sweep */
	bool run_dirty;			/* run.json must be written */
};

/* Someone asked for the stats: sample /proc every second for a while. */
void sup_watched(struct sup *s);


/* sup_inst.c */
void sup_inst_event(struct sup_inst *in, enum wevent ev);
struct sup_inst *sup_inst_new(struct sup_app *app, int index);
void sup_inst_free(struct sup_inst *in);
void sup_inst_hold_pipes(struct sup_inst *in);
void sup_inst_start(struct sup_inst *in);
void sup_inst_stop(struct sup_inst *in);
void sup_inst_on_exit(struct sup_inst *in, int status);
void sup_inst_restart(struct sup_inst *in);
/* cron_restart (sup_cron.c): restart the app when its time comes, and
 * wake the loop for it. */
void sup_cron_tick(struct sup_app *app);
void sup_cron_watch(struct sup_app *app, struct loop *l);
/* "watch" (sup_watch.c): inotify on the app's files, and the graceful
 * reload watch_delay after the last change. */
struct app_watch;
void sup_watch_register(struct sup_app *app, struct loop *l);
void sup_watch_tick(struct sup_app *app);
void sup_watch_free(struct app_watch *w);
void sup_inst_memory_restart(struct sup_inst *in);
void sup_inst_tick(struct sup_inst *in, long long now);
void sup_inst_watch(struct sup_inst *in, struct loop *l);
bool sup_inst_has_process(const struct sup_inst *in);
bool sup_inst_group_lingers(struct sup_inst *in);
void sup_inst_set_reason(struct sup_inst *in, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
json_t *sup_inst_to_json(const struct sup_inst *in);

/* sup_ready.c */
const char *sup_ready_by_find(const char *name);
void sup_ready_begin(struct sup_inst *in, long long now);
void sup_ready_tick(struct sup_inst *in, long long now);
void sup_ready_watch(struct sup_inst *in, struct loop *l);
void sup_ready_end(struct sup_inst *in);
void sup_ready_on_notify(struct sup *s, pid_t sender, const char *msg);
/* The HTTP health probes' fds and timers in the loop, and their work. */
void sup_ready_http_watch(struct sup *s, struct loop *l);
void sup_ready_http_run(struct sup *s);
/* Append to buf what holds the dead instance's port, if anything. */
void sup_ready_exit_note(const struct sup_inst *in, pid_t pid, char *buf,
		     size_t size);

/* sup_app.c */
struct ecosystem *sup_app_parse(json_t *raw, const char *file, const char *env,
			    struct derr *e);
struct sup_app *sup_app_new(struct sup *s, struct ecosystem *eco, json_t *raw,
			const char *file, const char *env);
struct sup_app *sup_app_from_raw(struct sup *s, json_t *raw, const char *file,
			     const char *env, struct derr *e);
struct sup_app *sup_app_find(const struct sup *s, const char *name);
void sup_app_add_instance(struct sup_app *app, struct sup_inst *in);
void sup_app_free(struct sup_app *app);
void sup_app_discard(struct sup *s, struct sup_app *app);
void sup_app_sweep(struct sup_app *app);
int sup_app_listen_open(struct sup_app *app, struct derr *e);

/* sup_ops.c */
int sup_apply_request(struct sup *s, json_t *req, struct sup_job *job,
		      json_t *done, struct derr *e);

/* sup_run.c: run.json and re-adoption; sup_hold.c: the fd holder */
void sup_run_save(struct sup *s);

/* sup_tree.c */
#define WORKER_MARK_VAR "DEPLOY_WORKER"
char *sup_inst_marker(const struct sup_inst *in);
void sup_inst_signal_tree(struct sup_inst *in, int sig);
bool sup_inst_strays_alive(struct sup_inst *in);
void sup_hold(struct sup *s, const char *tag, int fd);
void sup_unhold(struct sup *s, const char *tag);
void sup_holder_off(struct sup *s);
void sup_holder_watch(struct sup *s, struct loop *l);
/* The holder's tag of pid's output pipe (err or out). */
void sup_pipe_tag(char *buf, size_t size, pid_t pid, bool err);
/* The holder's tag of app's listen socket. */
void sup_ipc_tag(char *buf, size_t size, pid_t pid);
void sup_listen_tag(char *buf, size_t size, const struct sup_app *app);
/* Queue the exit of an instance's process for after the turn. */
void sup_queue_exit(struct sup *s, pid_t pid, int status);

/* sup_reload.c */
void sup_reload_begin(struct sup_app *app, int parallel);
void sup_reload_tick(struct sup_app *app);
void sup_reload_free(struct sup_reload *r);

/* sup_job.c */
struct sup_job *sup_job_add(struct sup *s, struct sup_reply r,
			enum job_want want, long long deadline);
void sup_job_add_app(struct sup_job *j, const char *name);
void sup_jobs_check(struct sup *s);
/* When the job must be looked at again anyway (ms), -1: never. */
long long sup_job_wakeup(const struct sup_job *j);
void sup_job_free(struct sup_job *j);

/* sup_logs.c */
struct sup_logs *sup_logs_new(void);
void sup_logs_free(struct sup_logs *l);
/* Open (or share) the log writers for an instance. */
int sup_logs_attach(struct sup *s, struct sup_inst *in, struct derr *e);
void sup_logs_detach(struct sup_inst *in);
void sup_logs_retry(struct sup_logs *l);
/* The nearest time a held partial log line is due (-1: none). */
long long sup_logs_due(const struct sup_logs *l);
/* Write the partial log lines held long enough at now. */
void sup_logs_tick(struct sup_logs *l, long long now);
/* The last non-blank stderr line of the instance, "" when none. */
const char *sup_logs_last_err(const struct sup_inst *in);
/* Add out_log, err_log (known even when stopped), dropped_bytes and
   last_err to the instance's ls row o. */
void sup_logs_to_json(const struct sup_inst *in, json_t *o);

#endif

/* sup_int.h: the supervisor's own structures, shared by core/sup_*.c */
#ifndef DEPLOY_SUP_INT_H
#define DEPLOY_SUP_INT_H

#include <sys/types.h>

#include "ecosystem.h"
#include "loop.h"
#include "restart.h"
#include "wstate.h"
#include "sup.h"

struct logfile;
struct logwriter;
struct tcp_probe;
struct http_probe;
struct notify_sock;
struct procstat;

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
	struct logwriter *out, *err;
	char *log_path[2];		/* out and err, while attached */
	long long started_mono;		/* ms */
	long long started_wall;		/* ms since the epoch */
	long long deadline;		/* kill / restart / ready, -1: none */
	long long next_probe;		/* next readiness probe, -1: none */
	struct tcp_probe *tcp;
	struct http_probe *http;
	struct restart_state rs;
	int exit_status;		/* last wait status, -1: none */
	char *reason;			/* why it is errored or stopped */
	bool ready_failed;		/* not ready within listen_timeout */
	bool retiring;			/* replaced by a reload: dropped once
					   down */
	bool removing;			/* deleted: drop once down */
	bool mem_restart;		/* stopping for max_memory_restart */
	bool restart_pending;		/* start again once it has stopped */
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
	bool done;
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
	bool removing;			/* deleted: drop once all down */
	long long cron_next;		/* next cron_restart, wall ms; 0:
					   not computed, -1: none */
	const struct eco_app *cron_cfg;	/* the cfg cron_next is for */
	struct app_watch *watch;	/* "watch" (sup_watch.c), or NULL */
};

enum job_want { JOB_READY, JOB_STOPPED, JOB_RELOADED };

/* A deferred reply: sent when its instances reach what it wants. */
struct sup_job {
	struct conn *conn;		/* NULL once the client left */
	enum job_want want;
	char **apps;			/* app names it covers */
	int index;			/* one instance, or -1 for all */
	long long deadline;		/* -1: none */
	json_t *extra;			/* merged into the success reply */
};

struct sup {
	struct daemon *d;
	char *home;
	char *logs_dir;
	struct sup_app **apps;
	size_t n_apps, cap_apps;
	struct sup_job **jobs;
	size_t n_jobs, cap_jobs;
	struct notify_sock *notify;
	char *notify_path;
	struct procstat *proc;
	long long next_sample;
	long long last_sweep;		/* last full /proc sweep, -1: none */
	long long watched_until;	/* sample every second until then */
	struct sup_logs *logs;		/* open log files, shared by path */
};

/* Someone asked for the stats: sample /proc every second for a while. */
void sup_watched(struct sup *s);

/* Log a line to the daemon's log (stderr), with the time. */
void sup_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* sup_inst.c */
void inst_event(struct sup_inst *in, enum wevent ev);
struct sup_inst *inst_new(struct sup_app *app, int index);
void inst_free(struct sup_inst *in);
void inst_start(struct sup_inst *in);
void inst_stop(struct sup_inst *in);
void inst_on_exit(struct sup_inst *in, int status);
void inst_restart(struct sup_inst *in);
/* cron_restart (sup_cron.c): restart the app when its time comes, and
 * wake the loop for it. */
void cron_tick(struct sup_app *app);
void cron_watch(struct sup_app *app, struct loop *l);
/* "watch" (sup_watch.c): inotify on the app's files, and the graceful
 * reload watch_delay after the last change. */
struct app_watch;
void watch_register(struct sup_app *app, struct loop *l);
void watch_tick(struct sup_app *app);
void watch_free(struct app_watch *w);
void inst_memory_restart(struct sup_inst *in);
void inst_tick(struct sup_inst *in, long long now);
void inst_watch(struct sup_inst *in, struct loop *l);
bool inst_has_process(const struct sup_inst *in);
bool inst_group_lingers(struct sup_inst *in);
void inst_set_reason(struct sup_inst *in, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
json_t *inst_to_json(const struct sup_inst *in);

/* sup_ready.c */
void ready_begin(struct sup_inst *in, long long now);
void ready_tick(struct sup_inst *in, long long now);
void ready_watch(struct sup_inst *in, struct loop *l);
void ready_end(struct sup_inst *in);
void ready_on_notify(struct sup *s, pid_t sender, const char *msg);
/* The HTTP health probes' fds and timers in the loop, and their work. */
void ready_http_watch(struct loop *l);
void ready_http_run(void);

/* sup_app.c */
struct sup_app *app_find(const struct sup *s, const char *name);
void app_add_instance(struct sup_app *app, struct sup_inst *in);
void app_free(struct sup_app *app);
void app_sweep(struct sup_app *app);
int app_listen_open(struct sup_app *app, struct derr *e);

/* sup_ops.c */
int sup_apply_request(struct sup *s, json_t *req, struct sup_job *job,
		      json_t *done, struct derr *e);

/* sup_reload.c */
void reload_begin(struct sup_app *app, int parallel);
void reload_tick(struct sup_app *app);
void reload_free(struct sup_reload *r);

/* sup_job.c */
struct sup_job *job_add(struct sup *s, struct conn *c, enum job_want want,
			long long deadline);
void job_add_app(struct sup_job *j, const char *name);
void jobs_check(struct sup *s);
void job_free(struct sup_job *j);

/* sup_logs.c */
struct sup_logs *logs_new(void);
void logs_free(struct sup_logs *l);
/* Open (or share) the log writers for an instance. */
int logs_attach(struct sup *s, struct sup_inst *in, struct derr *e);
void logs_detach(struct sup_inst *in);
char *logs_path(const struct sup *s, const struct sup_inst *in, bool err);
void logs_retry(struct sup_logs *l);
long long logs_dropped(const struct sup_logs *l, const char *path);

#endif

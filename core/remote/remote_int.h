/* remote_int.h: what the core/remote*.c files share */
#ifndef DEPLOY_REMOTE_INT_H
#define DEPLOY_REMOTE_INT_H

#include <pthread.h>
#include <signal.h>

#include "core/lib/loop.h"
#include "core/remote/remote.h"
#include "core/remote/ssh.h"

/* The file that marks a release complete (holds its revision). */
#define REMOTE_MARK ".deploy-revision"
/* The file that marks a release a rollback went back from. */
#define REMOTE_LEFT_MARK ".deploy-rolled-back"

/* What every host of one run shares; read-only while threads run. */
struct remote_plan {
	const struct remote_opts *o;
	const struct eco_target *t;
	struct ssh_config cfg;
	time_t started;			/* the release time stamp */
	char *who;			/* "user@machine", for the lock */
	char *upload_rev;		/* upload mode: the revision */
	char *upload_file;		/* upload mode: the local .tar.gz */
	long long deadline_ms;		/* --timeout on CLOCK_MONOTONIC; 0 */
	size_t workers;			/* sessions at work at once */
	pthread_mutex_t out_lock;	/* serialises o->line */
};

/* One host's run: the state the steps pass along. */
struct rhost {
	const struct remote_plan *plan;
	const struct eco_host *eh;
	struct remote_host_report *rep;
	struct ssh *ssh;
	struct remote_listing list;
	char *release;		/* the release to switch to */
	char *previous;		/* current when we came */
	char *rev;
	char *lock_info;
	bool locked;		/* we hold the lock */
	bool made;		/* we created release (remove it on failure) */
	bool switched;		/* current points at release */
	bool cleaning;		/* undoing: not cancelled by a quit */
	long long t0;		/* now_ms() when the host's run began */
	struct strbuf partial[3];	/* unfinished output lines */
	char last_err[200];	/* the last stderr line shown */
	struct derr err;
};

/* The signal actions a run replaced (remote_interrupt.c). */
struct remote_interrupt_saved {
	int sig[2];
	bool caught[2];
	struct sigaction old[2];
};

/* Catch SIGINT/SIGTERM for a run: the first asks every host to stop
 * after its current step; a second one ends the process. */
void remote_interrupt_catch(struct remote_interrupt_saved *saved);
void remote_interrupt_restore(const struct remote_interrupt_saved *saved);
/* True once the run was asked to stop. */
bool remote_interrupted(void);
/* True once the run was asked to quit at once (a second signal). */
bool remote_quit(void);
/*
 * Tell the user (stderr) what the signals asked for, each once. The
 * handler only sets flags; the thread that called remote_run says it
 * while it waits for the hosts' threads.
 */
void remote_interrupt_say(void);

/* True when h must stop waiting now: a quit, or past --timeout (not
 * while it undoes what it did). Its arg is h (ssh_opts.cancel). */
bool rhost_cancelled(void *arg);
/* True past the run's --timeout. */
bool remote_past_deadline(const struct remote_plan *p);


/* The phases of a host's run (remote_steps.c). Each runs its steps
 * until one fails, which it records (status, step, error), undoing
 * what it can. */
enum rphase {
	RPHASE_CONNECT,		/* a session */
	RPHASE_LOCK,		/* deploy, rollback: the lock, the listing */
	RPHASE_PREPARE,		/* deploy: code, pre-deploy; rollback: pick */
	RPHASE_SWITCH,		/* switch, post-deploy, health */
	RPHASE_WORK,		/* setup, releases, exec: all their steps */
};

/* Run phase ph of h's operation; 0, or -1 when a step failed. */
int rhost_phase(struct rhost *h, enum rphase ph);
/* Remove the release h made (not switched to), as undoing does. */
void rhost_discard(struct rhost *h);
/* Put a switched host back on its previous release (on_failure
 * rollback_all); why goes to its report. */
void rhost_revert(struct rhost *h, const char *why);
/* The end of h's run: prune (deploy) or mark the release left
 * (rollback), unlock, fill the report, close the session. */
void rhost_finish(struct rhost *h);

/* Run op's phases on every host (remote_fleet.c). */
void remote_fleet(const struct remote_plan *p, struct rhost *hosts,
		  size_t n);

/* Pass one formatted progress line of host h to the output. */
void rhost_say(struct rhost *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Pass one line from host (or "local") to the output. */
void remote_emit(const struct remote_plan *p, const char *host, int stream,
		 const char *line);

/*
 * Run script on h's host. With out NULL, its stdout and stderr are
 * shown line by line; otherwise stdout goes to out and stderr is kept
 * for the error. 0 when it exits 0; -1 with h->err filled ("exit 3",
 * the last line of stderr, or the lost connection). *status (if not
 * NULL) gets the exit status, 128+N for signal N, -1 if it never ran.
 */
int rhost_exec(struct rhost *h, const char *script, struct strbuf *out,
	       int *status);
/* The same with input (may be NULL) on the script's stdin. */
int rhost_exec_in(struct rhost *h, const char *script, const char *input,
		  struct strbuf *out, int *status);

/* Steps (remote_host.c, remote_steps.c): 0, or -1 with h->err filled. */
int rstep_connect(struct rhost *h);
int rstep_inspect(struct rhost *h);	/* h->list, h->previous */
int rstep_lock(struct rhost *h);	/* (force-unlock,) lock, inspect */
int rstep_code(struct rhost *h);	/* fetch or upload, extract, link */
int rstep_pre_deploy(struct rhost *h);
int rstep_switch(struct rhost *h);	/* (mark,) switch; sets switched */
int rstep_post_deploy(struct rhost *h);
int rstep_health(struct rhost *h);
int rstep_prune(struct rhost *h);	/* prune, unlock; only warns */

/* Run hook cmd (skipped when NULL or empty) in dir (NULL: home) in a
 * login shell with the target's env; what names it in messages. */
int rhost_hook(struct rhost *h, const char *what, const char *cmd,
	       const char *dir, int *status);
/* Run a built script (freed here), stdout kept in out (may be NULL). */
int rhost_script(struct rhost *h, char *script, struct strbuf *out);
/* Point current at release name (from release from, may be NULL);
 * what ("deploy") goes to revisions.log; with mark, name is marked
 * complete first (with h->rev). */
int rhost_switch(struct rhost *h, const char *name, const char *from,
		 const char *what, bool mark);
/* The post-deploy hook (or the default) in release name. */
int rhost_post_deploy(struct rhost *h, const char *name);

/* Local side ------------------------------------------------------------ */

/* Run cmd with /bin/sh in dir, its output lines to "local". 0 when it
 * exits 0. */
int remote_local_hook(const struct remote_plan *p, const char *cmd,
		      const char *dir, struct derr *e);
/* Resolve ref in the git repository at dir and write `git archive` of
 * it (tar.gz) to a new temporary file. */
int remote_local_archive(const char *dir, const char *ref, char **rev,
			 char **file, struct derr *e);

/*
 * GET url every half second until a 2xx answer, for up to timeout_ms.
 * libcurl must be loaded already (curl_dl). 0, or -1 with e filled
 * with the last failure.
 */
int remote_health_wait(const char *url, long timeout_ms, struct derr *e);

/* Shell scripts (remote_script.c); each a new string --------------------- */

/* Exit statuses the scripts use to say what went wrong. */
#define RSCRIPT_NOT_SET_UP 78	/* EX_CONFIG: path/releases is missing */
#define RSCRIPT_LOCKED 75	/* EX_TEMPFAIL: another deploy holds it */

char *rscript_lock(const char *path, const char *info);
char *rscript_unlock(const char *path, const char *info);
char *rscript_mark_rolled_back(const char *path, const char *name);
char *rscript_force_unlock(const char *path);
char *rscript_list(const char *path);
char *rscript_setup(const struct eco_target *t);
char *rscript_fetch(const struct eco_target *t);
char *rscript_extract_git(const char *path, const char *name,
			  const char *rev);
char *rscript_upload_path(const char *path, const char *name);
char *rscript_extract_upload(const char *path, const char *name);
char *rscript_link(const struct eco_target *t, const char *name);
char *rscript_mark(const char *path, const char *name, const char *rev);
char *rscript_switch(const char *path, const char *name,
		     const char *log_line);
char *rscript_remove(const char *path, char *const *names);
char *rscript_health(const char *url, long timeout_ms);
/* The exports of vars go to *input (for stdin; caller frees). */
char *rscript_hook(const struct eco_env *vars, const char *dir,
		   const char *cmd, char **input);

#endif

/* remote.h: releases on remote hosts over SSH: setup, deploy, rollback */
#ifndef DEPLOY_REMOTE_H
#define DEPLOY_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/eco/ecosystem.h"
#include "core/lib/strbuf.h"
#include "core/lib/util.h"

/*
 * On each host, under the target's path P:
 *
 *	P/releases/<UTC yyyymmddHHMMSS>-<short rev>/	one per deploy
 *	P/releases/<name>/.deploy-revision	written once the release is
 *						complete (code, links,
 *						pre-deploy hook all done)
 *	P/shared/				shared_dirs, shared_files
 *	P/current -> releases/<name>		switched by rename
 *	P/repo/					bare mirror (git mode)
 *	P/revisions.log				one line per switch
 *	P/.deploy-lock/info			the lock (mkdir is atomic)
 *
 * current only ever points at a complete release.
 */

enum remote_op {
	REMOTE_SETUP,
	REMOTE_DEPLOY,
	REMOTE_ROLLBACK,
	REMOTE_RELEASES,
	REMOTE_EXEC,
};

enum remote_status {
	REMOTE_OK,
	REMOTE_FAILED,		/* current unchanged (or never switched) */
	REMOTE_ROLLED_BACK,	/* switched, failed, switched back, and the
				 * release it went back to is healthy */
	REMOTE_SKIPPED,		/* another host failed first: unchanged */
	REMOTE_UNREACHABLE,	/* no SSH session: unchanged */
};
#define REMOTE_N_STATUS (REMOTE_UNREACHABLE + 1)

/* What happened on one host. */
struct remote_host_report {
	char *host;		/* "name", or "name:port" off port 22 */
	enum remote_status status;
	char *release;		/* the release made or switched to */
	char *previous;		/* what current pointed to before */
	char *current;		/* what current points to at the end */
	char *rev;		/* the full revision deployed */
	char *step;		/* the step that failed, or NULL */
	char *error;		/* why, or NULL */
	double seconds;
	int exit_status;	/* exec: the command's (128+N: signal N;
				 * -1: it did not run) */
	char **releases;	/* releases: complete ones, oldest first */
	char **rolled_back;	/* those of them a rollback left */
};

struct remote_report {
	struct remote_host_report *hosts;
	size_t n_hosts;
	char **warnings;	/* NULL-terminated, never NULL */
};

/* Output: one line (no newline) from host (or "local"); stream 0 is
 * deploy's own progress, 1 and 2 a command's stdout and stderr. Calls
 * are serialised. */
typedef void remote_line_fn(void *arg, const char *host, int stream,
			    const char *line);

struct remote_opts {
	enum remote_op op;
	const struct eco_target *target;
	const char *dir;	/* pre-deploy-local runs here; upload mode
				 * archives the git repository here */
	bool accept_new;	/* record unknown host keys */
	bool force_unlock;	/* clear a lock left behind first */
	int steps;		/* rollback: how many releases back (>= 1) */
	const char *command;	/* exec: the shell command */
	long timeout_ms;	/* the whole run's deadline; 0: none */
	int workers;		/* SSH sessions at work at once; 0: 32 */
	bool quiet;		/* for the caller's output: table only */
	remote_line_fn *line;
	void *line_arg;
};

/*
 * Check what the target's values must be before anything runs: env
 * names, shared paths (relative, no ".."), ref and repo not starting
 * with '-', ssh_options. 0, or -1 with e filled naming the key.
 */
int remote_check_target(const struct eco_target *t, struct derr *e);

/*
 * Run op on every host of the target, one SSH session per host, at
 * most o->workers of them at work at once.
 *
 * deploy and rollback go fleet-wide: every host's lock is taken (the
 * hosts in sorted order, the first alone) before any host changes, and
 * all are released when one cannot be. Then, batch by batch (canary
 * hosts first, then target->parallel at a time; 0: all), every host of
 * the batch prepares (code and pre-deploy, or picks its release), and
 * only when all prepared do they switch (then post-deploy and health,
 * a failed host going back alone, or with on_failure "rollback_all"
 * every switched host). A failed prepare removes the batch's new
 * releases; no batch starts after a failed one.
 *
 * setup goes in batches of target->parallel; exec and releases to all
 * hosts. Returns 0
 * when the run happened (rep tells per host what happened; free it with
 * remote_report_free), -1 with e filled when it could not start: a bad
 * value in the target, libssh2 or libcurl missing, a failed
 * pre-deploy-local hook or local git archive.
 */
int remote_run(const struct remote_opts *o, struct remote_report *rep,
	       struct derr *e);
void remote_report_free(struct remote_report *rep);
/* True when every host's status is REMOTE_OK. */
bool remote_report_ok(const struct remote_report *rep);
/* "ok", "failed", "rolled back", "skipped", "unreachable". */
const char *remote_status_name(enum remote_status s);

/* Warnings for the apps of eco that target's hosts run but nginx on
 * another machine cannot reach: a listen address or HOST on loopback.
 * NULL-terminated; caller frees with strv_free. */
char **remote_reach_warnings(const struct ecosystem *eco,
			     const struct eco_target *t);

/* How a host is named in output: "name", or "name:port" off port 22
 * ("[addr]:port" for IPv6). Caller frees. */
char *remote_host_label(const struct eco_host *h);

/* Building blocks, exposed for tests ------------------------------------ */

/* Append s single-quoted for a POSIX shell ('it'\''s'). */
void remote_quote(struct strbuf *sb, const char *s);
/* Append a path quoted, with a leading "~/" kept for the shell to
 * expand ("$HOME"/'rest'). */
void remote_quote_path(struct strbuf *sb, const char *path);
/* A valid environment variable name: [A-Za-z_][A-Za-z0-9_]*. */
bool remote_env_name_ok(const char *name);
/* A shared_dirs/shared_files entry: relative, no "." or ".." part, no
 * empty part. */
bool remote_shared_ok(const char *rel);
/* The release name for UTC time t and revision rev (its first 7
 * characters). Caller frees. */
char *remote_release_name(time_t t, const char *rev);
/* True for names remote_release_name makes. */
bool remote_release_ok(const char *name);
/* "{host}" in tmpl replaced by host ([host] for IPv6); a path alone
 * becomes http://{host}PATH. Caller frees. */
char *remote_health_url(const char *tmpl, const char *host);

/* The releases on a host as the list command reports them. */
struct remote_listing {
	char **complete;	/* sorted oldest first, NULL-terminated */
	char **partial;		/* sorted, NULL-terminated */
	char **rolled_back;	/* complete ones a rollback left; sorted */
	char *current;		/* NULL when there is none */
};

/* True when name is one of v (NULL-terminated; NULL: none). */
bool remote_name_in(char *const *v, const char *name);
/* Read the list command's output; malformed lines are skipped. */
void remote_listing_parse(const char *text, struct remote_listing *l);
void remote_listing_clear(struct remote_listing *l);
/* The name of a release made at t: stamped after every release of l,
 * so names sort in deploy order. Caller frees. */
char *remote_release_next(const struct remote_listing *l, time_t t,
			  const char *rev);
/*
 * The releases to delete so that keep complete ones remain: older
 * complete ones beyond keep, and partial ones, never current nor
 * keep_also (the release in the making; may be NULL). NULL-terminated;
 * caller frees with strv_free.
 */
char **remote_prune_plan(const struct remote_listing *l, int keep,
			 const char *keep_also);
/* The complete release steps before current, releases rolled back
 * from (listed as "rolledback") not counted; NULL with e filled when
 * there is none. Caller frees. */
char *remote_rollback_pick(const struct remote_listing *l, int steps,
			   struct derr *e);

#endif

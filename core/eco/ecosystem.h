/* ecosystem.h: the PM2-compatible ecosystem file as plain structs */
#ifndef DEPLOY_ECOSYSTEM_H
#define DEPLOY_ECOSYSTEM_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "core/lib/util.h"

/* One NAME=VALUE pair of an environment. */
struct eco_var {
	char *name;
	char *value;
};

/* An ordered environment; a later set of the same name replaces. */
struct eco_env {
	struct eco_var *vars;
	size_t n, cap;
};

enum eco_exec_mode { ECO_FORK, ECO_CLUSTER };

struct eco_app {
	char *name;
	char *script;			/* as written */
	char *script_path;		/* found: absolute, or a program in
					 * $PATH; NULL: not found or shell */
	const char *script_base;	/* where it was found: "the file's
					 * folder", "the working directory",
					 * "cwd", "PATH" */
	char **args;			/* NULL-terminated, shell-split */
	char *interpreter;		/* resolved; NULL: exec the script */
	char **interpreter_args;	/* NULL-terminated (node_args too) */
	bool shell;			/* has spaces: eco_shell() -c */
	char *cwd;			/* absolute; default: the file's dir */
	int instances;			/* resolved, >= 1 */
	enum eco_exec_mode exec_mode;
	struct eco_env env;		/* env, then env_<E> merged on top */
	int port;			/* 0: none */
	char *increment_var;		/* "PORT" */
	char *instance_var;		/* "NODE_APP_INSTANCE" */
	long long max_memory_restart;	/* bytes; 0: none */
	bool autorestart;		/* true */
	int max_restarts;		/* 16 */
	long min_uptime;		/* ms, 1000 */
	long restart_delay;		/* ms, 0 */
	long exp_backoff_restart_delay;	/* ms, 0: off */
	long kill_timeout;		/* ms, 1600 */
	long listen_timeout;		/* ms, 3000 */
	bool wait_ready;
	bool shutdown_with_message;	/* node: stop by process.send */
	char *cron_restart;		/* checked cron schedule, or NULL */
	char **watch;			/* absolute paths to watch; NULL:
					 * none (true: cwd) */
	char **ignore_watch;		/* fnmatch patterns for each part
					 * of a path; never NULL */
	long watch_delay;		/* ms of quiet before the reload */
	int *stop_exit_codes;
	size_t n_stop_exit_codes;
	char *out_file;			/* NULL: $DEPLOY_HOME/logs default */
	char *error_file;
	bool merge_logs;
	char *log_date_format;		/* strftime format, NULL: none */
	long long log_max_size;		/* bytes, 10 MiB */
	int log_max_files;		/* 5 */
	/* ours */
	int kill_signal;		/* SIGINT */
	char *listen;			/* "host:port" shared socket, or NULL */
	char *health;			/* health URL, or NULL */
	json_t *nginx;			/* the app's "nginx" object, or NULL */
	json_t *raw;			/* the app object as in the file */
};

/* One host of a deploy target. */
struct eco_host {
	char *name;			/* host name or address */
	int port;			/* ssh port, 22 */
};

struct eco_target {
	char *name;
	char *user;
	struct eco_host *hosts;
	size_t n_hosts;
	char *key;
	char *ref;			/* "origin/main" */
	char *repo;
	char *path;
	char **ssh_options;		/* NULL-terminated, as written */
	char *pre_setup, *post_setup, *pre_deploy_local, *pre_deploy;
	char *post_deploy;
	struct eco_env env;
	int keep_releases;		/* 5 */
	int parallel;			/* 0: all hosts at once */
	int canary;			/* hosts deployed first; 0: none */
	bool rollback_all;		/* "on_failure": "rollback_all" */
	char *health;			/* URL template, or NULL */
	bool health_from_host;		/* checked on the host over SSH */
	long health_timeout;		/* ms, 30000 */
	char **shared_dirs;		/* NULL-terminated */
	char **shared_files;
	bool upload;
};

struct ecosystem {
	char *path;			/* the file as given */
	char *dir;			/* its absolute directory */
	char *env_name;			/* --env, or NULL */
	struct eco_app *apps;
	size_t n_apps;
	struct eco_target *targets;
	size_t n_targets;
	json_t *nginx;			/* top-level "nginx" object, or NULL */
	char **warnings;		/* NULL-terminated; "file:l:c: msg" */
};

/*
 * Load and validate path with env overlay env_name (may be NULL).
 * A .js/.cjs/.mjs file (and a .json file that is JavaScript but not
 * JSON) is evaluated by node at this moment, as PM2 does; its messages
 * have no line:col ("file: json.path: message") and node's errors are
 * "file:line:col: SyntaxError: ...".
 * Returns NULL and fills e with "file:line:col: json.path: message".
 * Caller frees with ecosystem_free.
 */
struct ecosystem *ecosystem_load(const char *path, const char *env_name,
				 struct derr *e);
/* The same from a string in memory; path is used in messages. */
struct ecosystem *ecosystem_parse(const char *text, const char *path,
				  const char *env_name, struct derr *e);
/* The same with no warnings (no positions, suggestions or duplicate
 * scan): for text a client validated already, as the daemon gets it. */
struct ecosystem *ecosystem_parse_quiet(const char *text, const char *path,
					const char *env_name, struct derr *e);
void ecosystem_free(struct ecosystem *eco);
/* The file's top-level value as JSON, as ecosystem_load reads it (node
 * evaluates JavaScript), not checked. Caller decrefs; NULL and e. */
json_t *ecosystem_read_json(const char *path, struct derr *e);

/* Find the file to use in dir: ecosystem.json (deploy init's),
 * ecosystem.config.js (PM2's default), ecosystem.config.cjs,
 * ecosystem.config.mjs, ecosystem.config.json, process.json. Returns a
 * new string or NULL. */
char *ecosystem_find(const char *dir);

/*
 * Create the missing folders of the apps' log files, as PM2 does.
 * *made gets each folder created (NULL-terminated; caller frees with
 * strv_free), also on -1 (e filled).
 */
int ecosystem_make_log_dirs(const struct ecosystem *eco, char ***made,
			    struct derr *e);

const struct eco_app *ecosystem_app(const struct ecosystem *eco,
				    const char *name);
const struct eco_target *ecosystem_target(const struct ecosystem *eco,
					  const char *name);

/* The resolved config as JSON (defaults, env merged, instances
 * expanded with their PORT and env). Caller decrefs. */
json_t *ecosystem_to_json(const struct ecosystem *eco);
/* One app as JSON (the same shape as in ecosystem_to_json). */
json_t *eco_app_to_json(const struct eco_app *app);

/* The full environment for instance i of app: app env, then the
 * increment var (port + i) and instance var. Caller frees with
 * eco_env_free. */
void eco_instance_env(const struct eco_app *app, int i, struct eco_env *out);

void eco_env_set(struct eco_env *env, const char *name, const char *value);
const char *eco_env_get(const struct eco_env *env, const char *name);
void eco_env_free(struct eco_env *env);

/* An integer JSON value (integral reals too); false for anything else. */
bool eco_json_ll(json_t *v, long long *out);

/* Parsers shared with other modules; 0 or -1. */
int eco_parse_bytes(const char *s, long long *out);	/* "300M" */
int eco_parse_duration(const char *s, long *out_ms);	/* "2s", "1500" */
int eco_parse_signal(const char *s, int *out);		/* "SIGTERM" */
/* Split a string into words as a shell would (quotes, backslashes). */
int eco_split_args(const char *s, char ***out, struct derr *e);

/* Added by the ecosystem module (beyond the lead's first draft): */

/* The shell that runs a command-string script (shell set): /bin/bash
 * when it exists, as PM2 uses, else /bin/sh. */
const char *eco_shell(void);

/* Remove name from env; nothing happens when it is not set. */
void eco_env_unset(struct eco_env *env, const char *name);
/* "SIGINT" for SIGINT; NULL for a number without a name. */
const char *eco_signal_name(int sig);
/*
 * Split "host:port", "[v6]:port", ":port", "port" or "host" (also a bare
 * IPv6 address). *host is NULL when absent (else caller frees), *port 0
 * when absent. -1 on an empty string, a bad port or a bad character.
 */
int eco_split_hostport(const char *s, char **host, int *port);
/*
 * The health URL of instance i, or NULL when the app has none. A path
 * ("/health") becomes http://127.0.0.1:PORT/path with PORT = port + i,
 * or the listen port (and its host unless a wildcard). Caller frees.
 */
char *eco_health_url(const struct eco_app *app, int i);
/* Whether the app runs with node (its interpreter's name starts so). */
bool eco_runs_node(const struct eco_app *app);

/*
 * Notes on resolved values:
 * - listen is normalised to "HOST:PORT" ("0.0.0.0:PORT" when no host
 *   was given, "[v6]:PORT" for IPv6, "localhost" becomes 127.0.0.1);
 *   HOST is always a numeric address.
 * - log_date_format is kept as written (PM2's day.js tokens or strftime;
 *   logfile_date_compile reads both); "time": true sets it to
 *   "YYYY-MM-DDTHH:mm:ss" (PM2's) when it is not given.
 * - shell is set when script has a space or tab and no interpreter (or
 *   "none") is given; the name then defaults to the whole command, else
 *   to the script's file name without its extension.
 * - exec_mode defaults to cluster when "instances" is given and the
 *   interpreter is node or bun (PM2's rule), else fork.
 * - out_file and error_file are made absolute against cwd.
 * - an env value of null removes the variable (in env_<E>: removes what
 *   env set); numbers and booleans become text as JavaScript writes them.
 * - args, interpreter_args, ssh_options, shared_dirs, shared_files and
 *   warnings are never NULL (an empty array holds just the NULL).
 * - dir is made absolute from the working directory without resolving
 *   symbolic links.
 * - a key given twice in one object: the later one counts (as in PM2,
 *   which evaluates the file as JavaScript), with a warning. // and
 *   block comments and trailing commas are accepted for the same reason.
 * - unknown keys are warnings ("did you mean"); PM2 keys whose feature
 *   deploy lacks (watch, cron_restart, uid, log_file, ...) warn "not
 *   used by deploy, ignored" when set; PM2-internal keys (vizion, pmx,
 *   namespace, ...) are accepted silently. Warnings are in file order.
 * - without "port" but with "increment_var" set, the base port is
 *   env[increment_var] when that is a port number (as in PM2).
 */

#endif

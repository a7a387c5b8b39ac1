/* cmd.h: the command table, the shared context and user messages */
#ifndef DEPLOY_CMD_H
#define DEPLOY_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "core/eco/ecosystem.h"
#include "core/proto/proto.h"

/* Exit codes: the one table, documented in man/deploy.1 (EXIT STATUS). */
/* What main prepares for a command before it runs. */
struct cmd_ctx {
	int argc;		/* argv[0] is the command name */
	char **argv;
	const char *config_path; /* -c FILE, or NULL */
	const char *env_name;	/* --env NAME, or NULL */
	bool json;		/* --json */
	struct ecosystem *eco;	/* loaded when the command has CMD_CONFIG */
};

enum cmd_flags {
	CMD_CONFIG = 1 << 0,	/* main loads the ecosystem file first */
	CMD_JSON = 1 << 1,	/* the command accepts --json */
	CMD_HIDDEN = 1 << 2,	/* not listed in help */
};

struct command {
	const char *name;
	const char *usage;	/* after "deploy " */
	const char *summary;	/* one line for the command list */
	const char *help;	/* option lines for CMD --help, or NULL */
	unsigned flags;
	int (*run)(struct cmd_ctx *ctx);
};

extern const struct command cmd_help, cmd_init, cmd_validate, cmd_daemon,
	cmd_up, cmd_ls, cmd_start, cmd_stop, cmd_restart, cmd_reload,
	cmd_delete, cmd_down, cmd_logs, cmd_save, cmd_resurrect, cmd_startup,
	cmd_monit, cmd_complete, cmd_nginx, cmd_holder,
	cmd_update, cmd_show, cmd_flush, cmd_reset;
/* deploy up: with "nginx": {"auto": true}, rewrite and reload (nginx.c). */
int nginx_auto_apply(const struct ecosystem *eco);
extern const struct command cmd_setup, cmd_rollback, cmd_releases, cmd_exec;
/* deploy up TARGET: a release on every host over SSH (remote_up.c). */
int remote_up_run(struct cmd_ctx *ctx, const char *target);
/* The table, in cmd/main.c. */
extern const struct command *const commands[];
const struct command *command_find(const char *name);
/* The aliases of cmd ("list, status, l") into buf; "" when none. */
char *command_aliases(const struct command *cmd, char *buf, size_t size);

/* Print "deploy: MSG" to stderr; returns EXIT_FAIL. */
/* Find and load the ecosystem file into ctx->eco, printing its
 * warnings (main does it for CMD_CONFIG commands). */
int load_config(struct cmd_ctx *ctx);

int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "deploy: MSG" to stderr; returns code. */
int error_code(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print "deploy: warning: MSG" to stderr. */
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the list of commands and the global options to f. */
void print_command_list(FILE *f);
/* Print the full help of one command to stdout. */
void print_command_help(const struct command *cmd);
/* Print the command's usage line to f. */
void print_usage(FILE *f, const struct command *cmd);
/* Report a bad command line for cmd: message, usage; EXIT_USAGE. */
int usage_error(const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* True when stdout may carry colour (a terminal and no NO_COLOR). */
bool use_color(void);
/* Print a JSON value to stdout, indented, with a newline. */
int print_json(json_t *value);

/*
 * Send req (stolen) to the daemon, starting it when autostart; on
 * success *reply holds the reply (caller decrefs) and EXIT_OK is
 * returned; otherwise the error is printed and its exit code returned.
 * timeout_ms -1 waits without limit.
 */
int daemon_call(json_t *req, bool autostart, int timeout_ms,
		json_t **reply);
/* The daemon's pid from daemon.pid, or 0. */
pid_t daemon_pid(void);
/* True when $DEPLOY_HOME/run.json records workers (see sup_restore). */
bool daemon_left_workers(void);
/*
 * The same for a request the daemon answers when its work is done (it
 * keeps its own deadline, so no time limit here). With progress, each
 * instance that comes up or goes down on the way is printed to stderr.
 * Ctrl-C or SIGTERM end the wait: after (what the daemon does next) is
 * printed and EXIT_INTERRUPTED returned; the work goes on.
 */
int daemon_wait(json_t *req, bool autostart, bool progress,
		const char *after, json_t **reply);

/* Print the daemon's instances as a table or JSON (cmd/ls.c). */
int ls_show(bool json);
/* The same for the named apps only (n 0: all); an error when one of
   them has no instance. */
int ls_show_apps(bool json, char **names, int n);
/* The running daemon's "ls" reply (caller decrefs), or NULL when none
   runs (never starts one); an exit code, the error printed. */
int ls_fetch(json_t **reply);

/* The --timeout line of the actions' help. */
#define ACTION_TIMEOUT_HELP \
	"  -t, --timeout S    give up waiting after S seconds (default: from " \
	"the apps'\n                     kill_timeout, listen_timeout and " \
	"instances)\n"

/* start/stop/restart/reload/delete: send action for each named target. */
int run_action(struct cmd_ctx *ctx, const struct command *cmd,
	       const char *action, bool autostart);

/*
 * Parse the command's own options with getopt_long; "--help" and the
 * global options were already taken out by main. Returns the option
 * character, -1 at the end, or '?' after printing a usage error.
 */
struct option;
int cmd_getopt(struct cmd_ctx *ctx, const char *shortopts,
	       const struct option *longopts);

#endif

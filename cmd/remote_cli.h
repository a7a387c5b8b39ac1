/* remote_cli.h: what the remote commands (setup, up TARGET, rollback,
 * releases, exec) share: options, output, the report, exit codes */
#ifndef DEPLOY_REMOTE_CLI_H
#define DEPLOY_REMOTE_CLI_H

#include "cmd/cmd.h"
#include "core/remote/remote.h"

/* The options lines the remote commands print in their --help. */
#define REMOTE_HELP_ACCEPT \
	"      --accept-new   record the key of a host not yet in " \
	"known_hosts\n"
#define REMOTE_HELP_UNLOCK \
	"      --force-unlock remove a lock a failed deploy left behind\n"
#define REMOTE_HELP_RUN \
	"      --timeout T    give up at T (seconds, or \"90s\", \"5m\"): " \
	"every host\n" \
	"                     stops, undoes what it did and unlocks\n" \
	"  -q, --quiet        only the final table and the failures\n" \
	"      --workers N    SSH sessions at work at once (32)\n"
#define REMOTE_HELP_JSON \
	"      --json         a report for CI on stdout (progress on " \
	"stderr)\n"

/*
 * Read the options (--accept-new, and --force-unlock when with_unlock)
 * into o, then TARGET (the first argument left) into o->target. *rest
 * and *n_rest get the arguments after TARGET; more than max_rest of
 * them is a usage error. EXIT_OK, or the exit code after printing why.
 */
int remote_cli_begin(struct cmd_ctx *ctx, const struct command *cmd,
		     bool with_unlock, struct remote_opts *o, int max_rest,
		     char ***rest, int *n_rest);

/* The target called name: EXIT_OK with *t set, else EXIT_USAGE with a
 * message naming the targets there are. */
int remote_cli_target(const struct cmd_ctx *ctx, const struct command *cmd,
		      const char *name, const struct eco_target **t);

/* What a run shows while it goes (remote_progress.c). */
struct remote_progress {
	bool json, quiet;
	bool live;		/* a terminal: one line per host, in place */
	int cols;
	size_t n, width, drawn, height;
	char **hosts, **status;
	unsigned long *heard, clock;	/* when each host spoke last */
};

/* Set up p for o's target: live on a terminal (when NO_COLOR is unset),
 * plain "[host] line" lines otherwise, nothing with quiet. */
void remote_progress_init(struct remote_progress *p,
			  const struct remote_opts *o, bool json, bool quiet);
/* remote_line_fn (arg: the struct remote_progress). */
void remote_progress_line(void *arg, const char *host, int stream,
			  const char *line);
void remote_progress_clear(struct remote_progress *p);

/*
 * Run o (op, target, options filled) with output "[host] line", then
 * the final table (or with --json the report on stdout). Returns the
 * exit code: 0 when every host succeeded, EXIT_REMOTE when one did
 * not (exec: the worst exit status, 255 for a host not reached),
 * EXIT_CONFIG when the run could not start.
 */
int remote_cli_run(const struct cmd_ctx *ctx, struct remote_opts *o);

#endif

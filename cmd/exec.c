/* exec.c: deploy exec TARGET -- CMD: a command on every host at once */
#include "cmd/remote_cli.h"

#include "core/lib/strbuf.h"

/* Run the command in PATH/current on all hosts; the worst status. */
static int
exec_run(struct cmd_ctx *ctx)
{
	struct remote_opts o = { .op = REMOTE_EXEC };
	struct strbuf cmd = STRBUF_INIT;
	char **rest;
	int n, rc;

	rc = remote_cli_begin(ctx, &cmd_exec, false, &o, ctx->argc, &rest,
			      &n);
	if (rc != EXIT_OK)
		return rc;
	if (n == 0)
		return usage_error(&cmd_exec, "which command? (after --)");
	/* Joined with spaces and run by the shell, as ssh does. */
	for (int i = 0; i < n; i++)
		strbuf_addf(&cmd, "%s%s", i ? " " : "", rest[i]);
	o.command = cmd.buf;
	rc = remote_cli_run(ctx, &o);
	strbuf_release(&cmd);
	return rc;
}

const struct command cmd_exec = {
	.name = "exec",
	.usage = "exec TARGET [--accept-new] [--timeout T] [-q] [--json] "
		 "-- COMMAND...",
	.summary = "run a shell command in current on every host of TARGET",
	.help = REMOTE_HELP_ACCEPT REMOTE_HELP_RUN REMOTE_HELP_JSON,
	.flags = CMD_CONFIG | CMD_JSON,
	.run = exec_run,
};

/* setup.c: deploy setup TARGET: the release layout on every host */
#include "cmd/remote_cli.h"

/* Create (or repair) the layout under path on every host. */
static int
setup_run(struct cmd_ctx *ctx)
{
	struct remote_opts o = { .op = REMOTE_SETUP };
	char **rest;
	int n, rc;

	rc = remote_cli_begin(ctx, &cmd_setup, false, &o, 0, &rest, &n);
	if (rc != EXIT_OK)
		return rc;
	return remote_cli_run(ctx, &o);
}

const struct command cmd_setup = {
	.name = "setup",
	.usage = "setup TARGET [--accept-new] [--timeout T] [-q] "
		 "[--json]",
	.summary = "create the release layout on every host of TARGET",
	.help = REMOTE_HELP_ACCEPT REMOTE_HELP_RUN REMOTE_HELP_JSON,
	.flags = CMD_CONFIG | CMD_JSON,
	.run = setup_run,
};

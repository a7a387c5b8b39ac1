/* releases.c: deploy releases TARGET: the releases on every host */
#include "cmd/remote_cli.h"

/* List each host's complete releases, newest first, current marked. */
static int
releases_run(struct cmd_ctx *ctx)
{
	struct remote_opts o = { .op = REMOTE_RELEASES };
	char **rest;
	int n, rc;

	rc = remote_cli_begin(ctx, &cmd_releases, false, &o, 0, &rest, &n);
	if (rc != EXIT_OK)
		return rc;
	return remote_cli_run(ctx, &o);
}

const struct command cmd_releases = {
	.name = "releases",
	.usage = "releases TARGET [--accept-new] [--timeout T] [-q] "
		 "[--json]",
	.summary = "list the releases on every host of TARGET",
	.help = REMOTE_HELP_ACCEPT REMOTE_HELP_RUN REMOTE_HELP_JSON,
	.flags = CMD_CONFIG | CMD_JSON,
	.run = releases_run,
};

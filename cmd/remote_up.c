/* remote_up.c: deploy up TARGET: a new release on every host */
#include "cmd/remote_cli.h"

#include <getopt.h>

/*
 * Deploy to target. With ctx->argv set (argv[0] "up", then TARGET and
 * the options) --accept-new and --force-unlock are read from it;
 * without, the defaults apply.
 */
int
remote_up_run(struct cmd_ctx *ctx, const char *target)
{
	struct remote_opts o = { .op = REMOTE_DEPLOY };
	char **rest;
	int n, rc;

	if (ctx->argv == NULL)
		rc = remote_cli_target(ctx, &cmd_up, target, &o.target);
	else
		rc = remote_cli_begin(ctx, &cmd_up, true, &o, 0, &rest, &n);
	if (rc != EXIT_OK)
		return rc;
	return remote_cli_run(ctx, &o);
}

/* rollback.c: deploy rollback TARGET [N]: current back N releases */
#include "cmd/remote_cli.h"

#include <limits.h>
#include <stdlib.h>

/* Switch every host to the release N before its current one. */
static int
rollback_run(struct cmd_ctx *ctx)
{
	struct remote_opts o = { .op = REMOTE_ROLLBACK, .steps = 1 };
	char **rest, *end;
	long steps;
	int n, rc;

	rc = remote_cli_begin(ctx, &cmd_rollback, true, &o, 1, &rest, &n);
	if (rc != EXIT_OK)
		return rc;
	if (n == 1) {
		steps = strtol(rest[0], &end, 10);
		if (*end != '\0' || end == rest[0] || steps < 1 ||
		    steps > INT_MAX)
			return usage_error(&cmd_rollback, "N: expected a "
					   "number of releases (1 or more), "
					   "got '%s'", rest[0]);
		o.steps = (int)steps;
	}
	return remote_cli_run(ctx, &o);
}

const struct command cmd_rollback = {
	.name = "rollback",
	.usage = "rollback TARGET [N] [--accept-new] [--force-unlock] "
		 "[--timeout T] [-q] [--json]",
	.summary = "switch every host of TARGET back N releases (1)",
	.help = REMOTE_HELP_ACCEPT REMOTE_HELP_UNLOCK REMOTE_HELP_RUN
		REMOTE_HELP_JSON,
	.flags = CMD_CONFIG | CMD_JSON,
	.run = rollback_run,
};

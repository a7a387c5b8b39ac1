/* start.c: deploy start APP|APP:N|all */
#include "cmd/cmd.h"

/* Ask the daemon to start the named apps or instances. */
static int
start_run(struct cmd_ctx *ctx)
{
	return run_action(ctx, &cmd_start, "start", true);
}

const struct command cmd_start = {
	.name = "start",
	.usage = "start APP|APP:N|all [--timeout S]",
	.summary = "start an app's stopped or errored instances",
	.help = ACTION_TIMEOUT_HELP,
	.run = start_run,
};

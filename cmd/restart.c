/* restart.c: deploy restart APP|APP:N|all */
#include "cmd/cmd.h"

/* Ask the daemon to restart the named apps or instances. */
static int
restart_run(struct cmd_ctx *ctx)
{
	return run_action(ctx, &cmd_restart, "restart", false);
}

const struct command cmd_restart = {
	.name = "restart",
	.usage = "restart APP|APP:N|all [--timeout S]",
	.summary = "stop and start every instance at once",
	.help = ACTION_TIMEOUT_HELP,
	.run = restart_run,
};

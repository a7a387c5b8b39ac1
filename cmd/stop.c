/* stop.c: deploy stop APP|APP:N|all */
#include "cmd/cmd.h"

/* Ask the daemon to stop the named apps or instances. */
static int
stop_run(struct cmd_ctx *ctx)
{
	return run_action(ctx, &cmd_stop, "stop", false);
}

const struct command cmd_stop = {
	.name = "stop",
	.usage = "stop APP|APP:N|all [--timeout S]",
	.summary = "stop gracefully (signal, SIGKILL after kill_timeout)",
	.help = ACTION_TIMEOUT_HELP,
	.run = stop_run,
};

/* reload.c: deploy reload APP|all [--parallel N] */
#include "cmd/cmd.h"

/* Ask the daemon to reload the named apps or instances. */
static int
reload_run(struct cmd_ctx *ctx)
{
	return run_action(ctx, &cmd_reload, "reload", false);
}

const struct command cmd_reload = {
	.name = "reload",
	.usage = "reload APP|all [--parallel N] [--timeout S]",
	.summary = "rolling zero-downtime reload, one instance at a time",
	.help = "  -p, --parallel N   replace N instances at a time "
		"(default 1)\n" ACTION_TIMEOUT_HELP,
	.run = reload_run,
};

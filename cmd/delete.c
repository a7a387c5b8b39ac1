/* delete.c: deploy delete APP|APP:N|all */
#include "cmd/cmd.h"

/* Ask the daemon to delete the named apps or instances. */
static int
delete_run(struct cmd_ctx *ctx)
{
	return run_action(ctx, &cmd_delete, "delete", false);
}

const struct command cmd_delete = {
	.name = "delete",
	.usage = "delete APP|APP:N|all [--timeout S]",
	.summary = "stop an app and forget it",
	.help = ACTION_TIMEOUT_HELP,
	.run = delete_run,
};

/* holder.c: deploy __holder PIDFILE: the fd holder the daemon starts */
#include "cmd/cmd.h"
#include "core/lib/holder.h"

/* Serve on fd 3, which the daemon bound (core/lib/holder.c). */
static int
holder_cmd_run(struct cmd_ctx *ctx)
{
	if (ctx->argc != 2)
		return usage_error(&cmd_holder, "expected the pid file");
	holder_run(3, ctx->argv[1]);
}

const struct command cmd_holder = {
	.name = "__holder",
	.usage = "__holder PIDFILE",
	.summary = "keep the workers' pipes open while no daemon runs",
	.flags = CMD_HIDDEN,
	.run = holder_cmd_run,
};

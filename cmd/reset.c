/* reset.c: deploy reset APP|APP:N|all: restart counters back to 0 */
#include "cmd/cmd.h"

/* Ask the daemon to zero the restart counts of each target. */
static int
reset_run(struct cmd_ctx *ctx)
{
	json_t *reply;
	int rc = EXIT_OK;

	if (ctx->argc < 2)
		return usage_error(&cmd_reset, "name an app, APP:N, or 'all'");
	for (int i = 1; i < ctx->argc && rc == EXIT_OK; i++) {
		if (ctx->argv[i][0] == '-')
			return usage_error(&cmd_reset, "unknown option '%s'",
					   ctx->argv[i]);
		rc = daemon_call(json_pack("{s:s, s:s}", "op", "reset",
					   "target", ctx->argv[i]), false,
				 10000, &reply);
		if (rc != EXIT_OK)
			break;
		printf("%s: restart count reset (%lld instance%s)\n",
		       ctx->argv[i], (long long)json_integer_value(
		       json_object_get(reply, "instance_count")),
		       json_integer_value(json_object_get(reply,
		       "instance_count")) == 1 ? "" : "s");
		json_decref(reply);
	}
	return rc;
}

const struct command cmd_reset = {
	.name = "reset",
	.usage = "reset APP|APP:N|all",
	.summary = "set the restart counts back to 0",
	.run = reset_run,
};

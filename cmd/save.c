/* save.c: deploy save: remember the running apps in state.json */
#include "cmd/cmd.h"

/* Ask the daemon to write state.json. */
static int
save_run(struct cmd_ctx *ctx)
{
	json_t *reply;
	int rc;

	if (ctx->argc > 1)
		return usage_error(&cmd_save, "unexpected argument '%s'",
				   ctx->argv[1]);
	rc = daemon_call(json_pack("{s:s}", "op", "save"), false, 10000,
			 &reply);
	if (rc != EXIT_OK)
		return rc;
	printf("saved %lld app(s) to %s\n",
	       (long long)json_integer_value(json_object_get(reply, "apps")),
	       json_string_value(json_object_get(reply, "file")));
	json_decref(reply);
	return EXIT_OK;
}

const struct command cmd_save = {
	.name = "save",
	.usage = "save",
	.summary = "remember the running apps for 'deploy resurrect'",
	.run = save_run,
};

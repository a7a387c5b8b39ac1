/* resurrect.c: deploy resurrect: start the apps saved in state.json */
#include "cmd/cmd.h"

/* Start the daemon if needed and bring the saved apps back. */
static int
resurrect_run(struct cmd_ctx *ctx)
{
	json_t *reply, *name;
	size_t i;
	int rc;

	if (ctx->argc > 1)
		return usage_error(&cmd_resurrect, "unexpected argument '%s'",
				   ctx->argv[1]);
	rc = daemon_call(json_pack("{s:s}", "op", "resurrect"), true, 30000,
			 &reply);
	if (rc != EXIT_OK)
		return rc;
	json_array_foreach(json_object_get(reply, "apps"), i, name)
		printf("%s: started\n", json_string_value(name));
	if (json_array_size(json_object_get(reply, "apps")) == 0)
		printf("every saved app is already running\n");
	json_decref(reply);
	return EXIT_OK;
}

const struct command cmd_resurrect = {
	.name = "resurrect",
	.usage = "resurrect",
	.summary = "start the apps remembered by 'deploy save'",
	.run = resurrect_run,
};

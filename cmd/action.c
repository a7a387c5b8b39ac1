/* action.c: start/stop/restart/reload/delete APP|all|APP:N */
#include "cmd/cmd.h"

#include <getopt.h>
#include <string.h>

/* Send one action for each target named on the command line. */
int
run_action(struct cmd_ctx *ctx, const struct command *cmd,
	   const char *action, bool autostart)
{
	static const struct option opts[] = {
		{ "parallel", required_argument, NULL, 'p' },
		{ 0 }
	};
	long parallel = 1;
	json_t *reply;
	int c, rc = EXIT_OK;

	while ((c = cmd_getopt(ctx, "p:", opts)) != -1) {
		char *end;

		if (c == '?')
			return EXIT_USAGE;
		parallel = strtol(optarg, &end, 10);
		if (*end != '\0' || parallel < 1 || parallel > 1000)
			return usage_error(cmd, "--parallel: expected a "
					   "number, got '%s'", optarg);
	}
	if (optind >= ctx->argc)
		return usage_error(cmd, "name an app, APP:N, or 'all'");
	for (int i = optind; i < ctx->argc && rc == EXIT_OK; i++) {
		rc = daemon_call(json_pack("{s:s, s:s, s:i}", "op", action,
					   "target", ctx->argv[i],
					   "parallel", (int)parallel),
				 autostart, -1, &reply);
		if (rc != EXIT_OK)
			break;
		printf("%s: %s\n", ctx->argv[i],
		       json_string_value(json_object_get(reply, "done")));
		json_decref(reply);
	}
	return rc;
}

/* action.c: start/stop/restart/reload/delete APP|all|APP:N */
#include "cmd/cmd.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* What the daemon goes on doing when the CLI stops waiting. */
static char *
after_interrupt(const char *action, const char *target)
{
	if (strcmp(action, "reload") == 0)
		return xasprintf("the reload of '%s' goes on in the daemon "
				 "('deploy ls' shows it)", target);
	if (strcmp(action, "stop") == 0 || strcmp(action, "delete") == 0)
		return xasprintf("'%s' goes on stopping in the daemon "
				 "('deploy ls' shows it)", target);
	return xasprintf("'%s' goes on starting in the daemon ('deploy ls' "
			 "shows it; 'deploy stop %s' stops it)", target,
			 target);
}

/* A positive number option up to max, or -1 after a usage error. */
static long
number_arg(const struct command *cmd, const char *opt, long max)
{
	char *end;
	long n = strtol(optarg, &end, 10);

	if (*end != '\0' || n < 1 || n > max) {
		usage_error(cmd, "%s: expected a number from 1 to %ld, got "
			    "'%s'", opt, max, optarg);
		return -1;
	}
	return n;
}

/* Send one action for each target named on the command line. */
int
run_action(struct cmd_ctx *ctx, const struct command *cmd,
	   const char *action, bool autostart)
{
	static const struct option opts[] = {
		{ "parallel", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ 0 }
	};
	long parallel = 1, timeout_s = 0;
	json_t *reply;
	int c, rc = EXIT_OK;

	while ((c = cmd_getopt(ctx, "p:t:", opts)) != -1) {
		if (c == '?')
			return EXIT_USAGE;
		if (c == 'p' && (parallel = number_arg(cmd, "--parallel",
						       1000)) < 0)
			return EXIT_USAGE;
		if (c == 't' && (timeout_s = number_arg(cmd, "--timeout",
						INT_MAX / 1000)) < 0)
			return EXIT_USAGE;
	}
	if (optind >= ctx->argc)
		return usage_error(cmd, "name an app, APP:N, or 'all'");
	for (int i = optind; i < ctx->argc && rc == EXIT_OK; i++) {
		char *after = after_interrupt(action, ctx->argv[i]);

		rc = daemon_wait(json_pack("{s:s, s:s, s:i, s:I}", "op",
					   action, "target", ctx->argv[i],
					   "parallel", (int)parallel,
					   "timeout_ms",
					   (json_int_t)timeout_s * 1000),
				 autostart, true, after, &reply);
		free(after);
		if (rc != EXIT_OK)
			break;
		printf("%s: %s\n", ctx->argv[i],
		       json_string_value(json_object_get(reply, "done")));
		json_decref(reply);
	}
	return rc;
}

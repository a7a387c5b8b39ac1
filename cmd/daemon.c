/* daemon.c: deploy daemon: run the supervisor in the foreground */
#include "cmd/cmd.h"
#include "core/daemon/daemon.h"
#include "core/lib/paths.h"

#include <getopt.h>
#include <stdlib.h>

/* Supervise until SIGTERM, SIGINT or 'deploy down'. */
static int
daemon_cmd_run(struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
		{ "resurrect", no_argument, NULL, 'r' },
		{ 0 }
	};
	bool resurrect = false;
	char *home;
	struct derr e;
	int c, rc;

	while ((c = cmd_getopt(ctx, "r", opts)) != -1) {
		if (c == '?')
			return EXIT_USAGE;
		resurrect = true;
	}
	if (optind < ctx->argc)
		return usage_error(&cmd_daemon, "unexpected argument '%s'",
				   ctx->argv[optind]);
	home = deploy_home();
	rc = daemon_run(home, resurrect, &e);
	free(home);
	if (rc < 0)
		return error_code(EXIT_DAEMON, "%s", e.msg);
	return EXIT_OK;
}

const struct command cmd_daemon = {
	.name = "daemon",
	.usage = "daemon [--resurrect]",
	.help = "  -r, --resurrect   first start the apps of state.json\n",
	.summary = "run the supervisor in the foreground (systemd, "
		   "containers)",
	.run = daemon_cmd_run,
};

/* monit.c: deploy monit [-d SECONDS]: the live dashboard */
#include "cmd/cmd.h"
#include "core/lib/paths.h"
#include "ui/monit.h"

#include <getopt.h>
#include <stdlib.h>
#include <unistd.h>

/* The dashboard on a terminal; one `ls` snapshot otherwise. */
static int
monit_run(struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ 0 }
	};
	double seconds = 1.0;
	struct derr e;
	char *home, *end;
	int c, rc;

	while ((c = cmd_getopt(ctx, "d:", opts)) != -1) {
		if (c == '?')
			return EXIT_USAGE;
		seconds = strtod(optarg, &end);
		if (*end != '\0' || seconds < 0.1 || seconds > 3600)
			return usage_error(&cmd_monit, "-d: expected seconds "
					   "(0.1 to 3600), got '%s'", optarg);
	}
	if (optind < ctx->argc)
		return usage_error(&cmd_monit, "unexpected argument '%s'",
				   ctx->argv[optind]);
	if (ctx->json || !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
		return ls_show(ctx->json);
	home = deploy_home();
	rc = ui_monit(home, (int)(seconds * 1000), &e);
	free(home);
	if (rc < 0)
		return error("%s", e.msg);
	if (rc > 0) {
		warning("TERM=%s cannot draw the dashboard: one snapshot "
			"instead", getenv("TERM") ? getenv("TERM") : "");
		return ls_show(false);
	}
	return EXIT_OK;
}

const struct command cmd_monit = {
	.name = "monit",
	.usage = "monit [-d SECONDS] [--json]",
	.summary = "live dashboard of every worker (a snapshot without a "
		   "terminal)",
	.help = "  -d, --delay S   refresh every S seconds (default 1)\n",
	.flags = CMD_JSON,
	.run = monit_run,
};

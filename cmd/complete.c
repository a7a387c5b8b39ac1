/* complete.c: deploy __complete WHAT: names for shell completion */
#include "cmd/cmd.h"

#include <stdlib.h>
#include <string.h>

/* Print the commands, or the apps or targets of the file here. */
static int
complete_run(struct cmd_ctx *ctx)
{
	const char *what = ctx->argc > 1 ? ctx->argv[1] : "commands";
	struct ecosystem *eco;
	struct derr e;
	char *path;

	if (strcmp(what, "commands") == 0) {
		for (size_t i = 0; commands[i] != NULL; i++)
			if (!(commands[i]->flags & CMD_HIDDEN))
				printf("%s\n", commands[i]->name);
		return EXIT_OK;
	}
	path = ctx->config_path ? xstrdup(ctx->config_path) :
		ecosystem_find(".");
	eco = path ? ecosystem_load(path, ctx->env_name, &e) : NULL;
	free(path);
	if (eco == NULL)
		return EXIT_OK;		/* nothing to offer; no noise */
	if (strcmp(what, "apps") == 0)
		for (size_t i = 0; i < eco->n_apps; i++)
			printf("%s\n", eco->apps[i].name);
	else if (strcmp(what, "targets") == 0)
		for (size_t i = 0; i < eco->n_targets; i++)
			printf("%s\n", eco->targets[i].name);
	ecosystem_free(eco);
	return EXIT_OK;
}

const struct command cmd_complete = {
	.name = "__complete",
	.usage = "__complete commands|apps|targets",
	.summary = "names for shell completion",
	.flags = CMD_HIDDEN,
	.run = complete_run,
};

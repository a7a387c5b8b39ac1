/* help.c: deploy help [COMMAND], and the help texts main prints */
#include "cmd/cmd.h"

/* Print the list of commands and the global options. */
void
print_command_list(FILE *f)
{
	fprintf(f, "usage: deploy [-c FILE] [--env NAME] [--json] COMMAND "
		"[ARGS]\n\ndeploy %s: run, balance, ship and watch HTTP apps"
		"\n\ncommands:\n", DEPLOY_VERSION);
	for (size_t i = 0; commands[i] != NULL; i++)
		if (!(commands[i]->flags & CMD_HIDDEN))
			fprintf(f, "  %-12s %s\n", commands[i]->name,
				commands[i]->summary);
	fputs("\nPM2's words work too:\n", f);
	for (size_t i = 0; commands[i] != NULL; i++) {
		char also[64];

		if (command_aliases(commands[i], also, sizeof also)[0])
			fprintf(f, "  %-12s %s\n", commands[i]->name, also);
	}
	fputs("\nglobal options:\n"
	      "  -c, --config FILE  ecosystem file (default: ecosystem.json,"
	      "\n                     ecosystem.config.js, .cjs, .mjs, "
	      "ecosystem.config.json\n                     or process.json, "
	      "as PM2 looks)\n"
	      "  --env NAME         apply env_NAME over env\n"
	      "  --json             machine-readable output\n"
	      "  -h, --help         help; 'deploy help COMMAND' for one\n"
	      "  --version          print the version\n", f);
}

/* Print the full help of one command to stdout. */
void
print_command_help(const struct command *cmd)
{
	char also[64];

	print_usage(stdout, cmd);
	printf("\n%s\n", cmd->summary);
	if (command_aliases(cmd, also, sizeof also)[0])
		printf("\nalso called: %s\n", also);
	if (cmd->help != NULL)
		printf("\noptions:\n%s", cmd->help);
	printf("\nglobal options: -c FILE, --env NAME%s; see "
	       "'deploy --help'\n", (cmd->flags & CMD_JSON) ? ", --json" : "");
}

/* Print the help of one command, or the list of all. */
static int
help_run(struct cmd_ctx *ctx)
{
	const struct command *cmd;

	if (ctx->argc < 2) {
		print_command_list(stdout);
		return EXIT_OK;
	}
	if (ctx->argc > 2)
		return usage_error(&cmd_help, "too many arguments");
	cmd = command_find(ctx->argv[1]);
	if (cmd == NULL)
		return error_code(EXIT_USAGE, "unknown command '%s' (see "
				  "'deploy --help')", ctx->argv[1]);
	print_command_help(cmd);
	return EXIT_OK;
}

const struct command cmd_help = {
	.name = "help",
	.usage = "help [COMMAND]",
	.summary = "show the commands, or one command's help",
	.run = help_run,
};

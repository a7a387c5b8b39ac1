/* main.c: global options, the command table and dispatch */
#include "cmd/cmd.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every command, in the order `deploy --help` lists them. */
const struct command *const commands[] = {
	&cmd_init,
	&cmd_validate,
	&cmd_up,
	&cmd_down,
	&cmd_start,
	&cmd_stop,
	&cmd_restart,
	&cmd_reload,
	&cmd_delete,
	&cmd_ls,
	&cmd_show,
	&cmd_monit,
	&cmd_logs,
	&cmd_flush,
	&cmd_reset,
	&cmd_save,
	&cmd_resurrect,
	&cmd_startup,
	&cmd_nginx,
	&cmd_setup,
	&cmd_releases,
	&cmd_rollback,
	&cmd_exec,
	&cmd_update,
	&cmd_daemon,
	&cmd_help,
	&cmd_complete,
	&cmd_holder,
	NULL,
};

/* PM2's words for our commands; jlist also turns --json on. */
static const struct alias {
	const char *name;
	const struct command *cmd;
	bool json;
} aliases[] = {
	{ "list", &cmd_ls, false }, { "status", &cmd_ls, false },
	{ "l", &cmd_ls, false }, { "jlist", &cmd_ls, true },
	{ "describe", &cmd_show, false }, { "info", &cmd_show, false },
	{ "kill", &cmd_down, false },
};

/* The alias called name, or NULL. */
static const struct alias *
alias_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(aliases); i++)
		if (strcmp(aliases[i].name, name) == 0)
			return &aliases[i];
	return NULL;
}

/* The command called name (or one of its aliases), or NULL. */
const struct command *
command_find(const char *name)
{
	const struct alias *a = alias_find(name);

	if (a != NULL)
		return a->cmd;
	for (size_t i = 0; commands[i] != NULL; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

/* The other names of cmd, ", "-separated, into buf ("" when none). */
char *
command_aliases(const struct command *cmd, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(aliases) && o < size; i++)
		if (aliases[i].cmd == cmd)
			o += (size_t)snprintf(buf + o, size - o, "%s%s%s",
					      o ? ", " : "", aliases[i].name,
					      aliases[i].json ? " (--json)" :
					      "");
	return buf;
}

/* The command or alias closest to name, or NULL when none is close. */
static const char *
command_suggest(const char *name)
{
	size_t limit = strlen(name) < 4 ? 1 : 2, best = SIZE_MAX, d;
	const char *found = NULL;

	for (size_t i = 0; commands[i] != NULL; i++) {
		if (commands[i]->flags & CMD_HIDDEN)
			continue;
		d = str_edit_distance(name, commands[i]->name);
		if (d <= limit && d < best) {
			best = d;
			found = commands[i]->name;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(aliases); i++) {
		d = str_edit_distance(name, aliases[i].name);
		if (d <= limit && d < best) {
			best = d;
			found = aliases[i].name;
		}
	}
	return found;
}

/* Report an unknown command in one line, with a guess when close. */
static int
unknown_command(const char *name)
{
	const char *near = command_suggest(name);

	if (name[0] == '-')
		return error_code(EXIT_USAGE, "unknown option '%s' (see "
				  "'deploy --help')", name);
	if (near != NULL)
		return error_code(EXIT_USAGE, "unknown command '%s' (did you "
				  "mean '%s'?)", name, near);
	return error_code(EXIT_USAGE, "unknown command '%s' (see 'deploy "
			  "--help')", name);
}

/* What the option at argv[*i] is: its value goes to *value. */
enum global_opt { GOPT_NONE, GOPT_CONFIG, GOPT_ENV, GOPT_JSON, GOPT_HELP,
		  GOPT_VERSION, GOPT_MISSING };

/* Match a global option that takes a value, as -c X, -cX, --x X, --x=X. */
static enum global_opt
match_valued(int argc, char **argv, int *i, const char *shortname,
	     const char *longname, enum global_opt kind, const char **value)
{
	const char *a = argv[*i];
	size_t llen = strlen(longname);

	if (shortname != NULL && strncmp(a, shortname, 2) == 0) {
		if (a[2] != '\0') {
			*value = a + 2;
			return kind;
		}
	} else if (strncmp(a, longname, llen) == 0 && a[llen] == '=') {
		*value = a + llen + 1;
		return kind;
	} else if (strcmp(a, longname) != 0) {
		return GOPT_NONE;
	}
	if (*i + 1 >= argc)
		return GOPT_MISSING;
	*value = argv[++*i];
	return kind;
}

/* Classify argv[*i] as a global option, consuming its value. */
static enum global_opt
global_option(int argc, char **argv, int *i, const char **value)
{
	const char *a = argv[*i];
	enum global_opt g;

	if (strcmp(a, "--json") == 0)
		return GOPT_JSON;
	if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
		return GOPT_HELP;
	g = match_valued(argc, argv, i, "-c", "--config", GOPT_CONFIG, value);
	if (g != GOPT_NONE)
		return g;
	return match_valued(argc, argv, i, NULL, "--env", GOPT_ENV, value);
}

/* Load the ecosystem file for a command that needs it. */
int
load_config(struct cmd_ctx *ctx)
{
	struct derr e;
	char *found = NULL;
	const char *path = ctx->config_path;

	if (path == NULL) {
		found = ecosystem_find(".");
		if (found == NULL)
			return error_code(EXIT_CONFIG,
				"no ecosystem file here (looked for "
				"ecosystem.json, ecosystem.config.js, .cjs, "
				".mjs, ecosystem.config.json, process.json); "
				"use -c FILE or 'deploy init'");
		path = found;
	}
	ctx->eco = ecosystem_load(path, ctx->env_name, &e);
	free(found);
	if (ctx->eco == NULL)
		return error_code(EXIT_CONFIG, "%s", e.msg);
	for (char **w = ctx->eco->warnings; w != NULL && *w != NULL; w++)
		warning("%s", *w);
	return EXIT_OK;
}

/* Take the global options out of argv, leaving the command's own. */
static int
split_globals(int *argc, char **argv, struct cmd_ctx *ctx, bool *help)
{
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		const char *value = NULL;
		enum global_opt g;

		if (strcmp(argv[i], "--") == 0) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		g = global_option(*argc, argv, &i, &value);
		switch (g) {
		case GOPT_CONFIG: ctx->config_path = value; break;
		case GOPT_ENV: ctx->env_name = value; break;
		case GOPT_JSON: ctx->json = true; break;
		case GOPT_HELP: *help = true; break;
		case GOPT_MISSING:
			error("option '%s' needs a value", argv[i]);
			return EXIT_USAGE;
		default: argv[out++] = argv[i]; break;
		}
	}
	argv[out] = NULL;
	*argc = out;
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	struct cmd_ctx ctx = { 0 };
	const struct command *cmd;
	bool help = false;
	int rc;

	if (argc >= 2 && (strcmp(argv[1], "--version") == 0 ||
			  strcmp(argv[1], "-V") == 0)) {
		printf("deploy %s\n", DEPLOY_VERSION);
		return EXIT_OK;
	}
	rc = split_globals(&argc, argv, &ctx, &help);
	if (rc != EXIT_OK)
		return rc;
	if (argc < 2) {
		print_command_list(help ? stdout : stderr);
		return help ? EXIT_OK : EXIT_USAGE;
	}
	cmd = command_find(argv[1]);
	if (cmd == NULL)
		return unknown_command(argv[1]);
	if (alias_find(argv[1]) != NULL && alias_find(argv[1])->json)
		ctx.json = true;
	if (help) {
		print_command_help(cmd);
		return EXIT_OK;
	}
	if (ctx.json && !(cmd->flags & CMD_JSON))
		return usage_error(cmd, "'%s' has no --json output",
				   cmd->name);
	ctx.argc = argc - 1;
	ctx.argv = argv + 1;
	if (cmd->flags & CMD_CONFIG) {
		rc = load_config(&ctx);
		if (rc != EXIT_OK)
			return rc;
	}
	rc = cmd->run(&ctx);
	ecosystem_free(ctx.eco);
	if (fflush(stdout) != 0 || ferror(stdout))
		return error("cannot write output");
	return rc;
}

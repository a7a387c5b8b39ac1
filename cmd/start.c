/* start.c: deploy start APP|APP:N|all, or deploy start SCRIPT [options] */
#include "cmd/cmd.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The app object for an ad-hoc start of script with args; NULL: usage. */
static json_t *
adhoc_app(const char *script, const char *name, const char *instances,
	  char **args, int n_args)
{
	json_t *app = json_object(), *a = json_array();
	char *abs = realpath(script, NULL);

	json_object_set_new(app, "script", json_string(abs ? abs : script));
	free(abs);
	if (name != NULL)
		json_object_set_new(app, "name", json_string(name));
	if (instances != NULL)
		json_object_set_new(app, "instances", json_string(instances));
	for (int i = 0; i < n_args; i++)
		json_array_append_new(a, json_string(args[i]));
	json_object_set_new(app, "args", a);
	return app;
}

/*
 * deploy start SCRIPT [--name NAME] [-i N|max] [-- ARGS]: run a script
 * without an ecosystem file, as `pm2 start app.js` does. The app is
 * checked as a file's app would be, and `deploy save` keeps it.
 */
static int
adhoc_start(struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "instances", required_argument, NULL, 'i' },
		{ 0 }
	};
	const char *name = NULL, *instances = NULL;
	char *cwd, *file, *text;
	struct ecosystem *eco;
	json_t *app, *doc, *reply;
	struct derr e;
	int c, rc;

	while ((c = cmd_getopt(ctx, "n:i:", opts)) != -1) {
		if (c == '?')
			return EXIT_USAGE;
		if (c == 'n')
			name = optarg;
		else
			instances = optarg;
	}
	if (optind >= ctx->argc)
		return usage_error(&cmd_start, "name a script to start");
	cwd = getcwd(NULL, 0);
	file = xasprintf("%s/(deploy start)", cwd ? cwd : ".");
	free(cwd);
	app = adhoc_app(ctx->argv[optind], name, instances,
			ctx->argv + optind + 1, ctx->argc - optind - 1);
	doc = json_pack("{s:[O]}", "apps", app);
	text = json_dumps(doc, 0);
	json_decref(doc);
	eco = ecosystem_parse(text, file, NULL, &e);
	free(text);
	if (eco == NULL) {
		rc = error_code(EXIT_CONFIG, "%s", e.msg);
		goto out;
	}
	json_object_set_new(app, "name", json_string(eco->apps[0].name));
	rc = daemon_call(json_pack("{s:s, s:s, s:[O], s:b, s:i}", "op", "up",
				   "file", file, "apps", app, "wait", 0,
				   "timeout_ms", 30000),
			 true, 30000, &reply);
	if (rc == EXIT_OK) {
		printf("%s: %s\n", eco->apps[0].name, json_string_value(
		       json_object_get(json_array_get(json_object_get(reply,
		       "apps"), 0), "action")));
		json_decref(reply);
	}
out:
	ecosystem_free(eco);
	json_decref(app);
	free(file);
	return rc;
}

/* Whether the first argument names a script rather than an app. */
static bool
names_script(const struct cmd_ctx *ctx)
{
	const char *a = ctx->argc > 1 ? ctx->argv[1] : NULL;
	struct stat st;

	return a != NULL && a[0] != '-' && strchr(a, ':') == NULL &&
	       strcmp(a, "all") != 0 && stat(a, &st) == 0 &&
	       S_ISREG(st.st_mode);
}

/* Ask the daemon to start the named apps or instances, or a script. */
static int
start_run(struct cmd_ctx *ctx)
{
	if (names_script(ctx))
		return adhoc_start(ctx);
	return run_action(ctx, &cmd_start, "start", true);
}

const struct command cmd_start = {
	.name = "start",
	.usage = "start APP|APP:N|all [--timeout S]\n"
		 "       deploy start SCRIPT [--name NAME] [-i N|max] "
		 "[-- ARGS...]",
	.summary = "start an app's stopped or errored instances, or a script",
	.help = ACTION_TIMEOUT_HELP
		"  SCRIPT            a file to run with no ecosystem file "
		"(as pm2 start app.js);\n"
		"                    'deploy save' keeps it\n"
		"  -n, --name NAME   its app name (default: the file name)\n"
		"  -i, --instances N how many instances (a number or max)\n",
	.run = start_run,
};

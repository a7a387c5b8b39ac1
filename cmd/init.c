/* init.c: deploy init [--force]: import PM2's file, or write a starter */
#include "cmd/cmd.h"
#include "core/lib/fileio.h"
#include "core/lib/paths.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define INIT_FILE "ecosystem.json"

/* Split "node server.js --x" into script and args; 0 if not node. */
static int
split_node_start(const char *start, char **script, char **args)
{
	const char *p = start;

	if (strncmp(p, "node ", 5) != 0)
		return 0;
	p += 5;
	while (*p == ' ')
		p++;
	size_t len = strcspn(p, " ");
	if (len == 0 || p[0] == '-')
		return 0;
	*script = xstrndup(p, len);
	p += len;
	while (*p == ' ')
		p++;
	*args = *p ? xstrdup(p) : NULL;
	return 1;
}

/*
 * An app name from a package name: a scoped name ("@acme/billing-api")
 * loses its scope, which an app name cannot hold ('/'). Caller frees.
 */
static char *
app_name(const char *pkg)
{
	const char *slash = pkg[0] == '@' ? strchr(pkg, '/') : NULL;

	return xstrdup(slash != NULL && slash[1] != '\0' ? slash + 1 : pkg);
}

/*
 * Take the app name and entry point from package.json into app. The
 * start script wins over "main" (it is how the app is meant to run):
 * "node X ARGS" runs X, anything else runs through npm start.
 */
static int
apply_package_json(json_t *app)
{
	json_error_t jerr;
	json_t *pkg = json_load_file("package.json", 0, &jerr);
	const char *name, *main_js, *start;
	char *script = NULL, *args = NULL;

	if (pkg == NULL) {
		if (path_exists("package.json"))
			return error_code(EXIT_CONFIG,
					  "package.json:%d:%d: %s",
					  jerr.line, jerr.column, jerr.text);
		return EXIT_OK;
	}
	name = json_string_value(json_object_get(pkg, "name"));
	main_js = json_string_value(json_object_get(pkg, "main"));
	start = json_string_value(json_object_get(
		json_object_get(pkg, "scripts"), "start"));
	if (name != NULL && name[0] != '\0') {
		script = app_name(name);
		json_object_set_new(app, "name", json_string(script));
		free(script);
		script = NULL;
	}
	if (start != NULL && split_node_start(start, &script, &args)) {
		json_object_set_new(app, "script", json_string(script));
		if (args != NULL)
			json_object_set_new(app, "args", json_string(args));
	} else if (start != NULL) {
		json_object_set_new(app, "script", json_string("npm"));
		json_object_set_new(app, "args", json_string("start"));
	} else if (main_js != NULL && main_js[0] != '\0') {
		json_object_set_new(app, "script", json_string(main_js));
	}
	free(script);
	free(args);
	json_decref(pkg);
	return EXIT_OK;
}

/* PM2's files init imports, in the order deploy looks for them. */
static const char *const pm2_files[] = {
	"ecosystem.config.js", "ecosystem.config.cjs", "ecosystem.config.mjs",
	"ecosystem.config.json", "process.json",
};

/*
 * The PM2 file here, evaluated, checked and ready to write as
 * ecosystem.json; *from names it. NULL with *from NULL when there is
 * none, NULL with *rc set when it is broken.
 */
static json_t *
import_pm2(const char **from, int *rc)
{
	struct ecosystem *eco;
	struct derr e;
	json_t *root;

	*from = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(pm2_files) && !*from; i++)
		if (path_exists(pm2_files[i]))
			*from = pm2_files[i];
	if (*from == NULL)
		return NULL;
	eco = ecosystem_load(*from, NULL, &e);
	root = eco != NULL ? ecosystem_read_json(*from, &e) : NULL;
	ecosystem_free(eco);
	if (root == NULL)
		*rc = error_code(EXIT_CONFIG, "cannot import %s: %s", *from,
				 e.msg);
	return root;
}

/* The starter ecosystem from the template and package.json. */
static json_t *
starter(int *rc)
{
	struct derr e;
	json_error_t jerr;
	char *tmpl;
	json_t *eco;

	tmpl = template_find("ecosystem.json", &e);
	if (tmpl == NULL) {
		*rc = error("%s", e.msg);
		return NULL;
	}
	eco = json_load_file(tmpl, JSON_PRESERVE_ORDER, &jerr);
	if (eco == NULL)
		*rc = error("%s:%d:%d: %s", tmpl, jerr.line, jerr.column,
			    jerr.text);
	free(tmpl);
	if (eco == NULL)
		return NULL;
	*rc = apply_package_json(json_array_get(json_object_get(eco, "apps"),
						0));
	if (*rc != EXIT_OK) {
		json_decref(eco);
		return NULL;
	}
	return eco;
}

/* Write ecosystem.json: the PM2 file here imported, or a starter. */
static int
init_run(struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ 0 }
	};
	bool force = false;
	const char *from;
	struct derr e;
	char *text, *tmp;
	json_t *eco;
	int c, rc = EXIT_OK;

	while ((c = cmd_getopt(ctx, "f", opts)) != -1) {
		if (c == '?')
			return EXIT_USAGE;
		force = true;
	}
	if (optind < ctx->argc)
		return usage_error(&cmd_init, "unexpected argument '%s'",
				   ctx->argv[optind]);
	if (!force && path_exists(INIT_FILE))
		return error("'%s' already exists (use --force to replace it)",
			     INIT_FILE);
	eco = import_pm2(&from, &rc);
	if (eco == NULL && from == NULL)
		eco = starter(&rc);
	if (eco == NULL)
		return rc;
	tmp = json_dumps(eco, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(eco);
	text = xasprintf("%s\n", tmp);
	free(tmp);
	if (write_file_atomic(INIT_FILE, text, strlen(text), 0644, force,
			      &e) < 0)
		rc = error("%s", e.msg);
	else if (from != NULL)
		printf("wrote %s from %s (as it evaluates now)\n", INIT_FILE,
		       from);
	else
		printf("wrote %s\n", INIT_FILE);
	free(text);
	return rc;
}

const struct command cmd_init = {
	.name = "init",
	.usage = "init [--force]",
	.summary = "write ecosystem.json: imports PM2's file here, or a "
		   "starter from package.json",
	.help = "  -f, --force   replace an existing ecosystem.json\n",
	.run = init_run,
};

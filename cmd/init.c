/* init.c: deploy init [--force]: write a starter ecosystem.json */
#include "cmd/cmd.h"
#include "core/fileio.h"
#include "core/paths.h"

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

/* Take the app name and entry point from package.json into app. */
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
	if (name != NULL && name[0] != '\0')
		json_object_set_new(app, "name", json_string(name));
	if (main_js != NULL && main_js[0] != '\0') {
		json_object_set_new(app, "script", json_string(main_js));
	} else if (start != NULL && split_node_start(start, &script, &args)) {
		json_object_set_new(app, "script", json_string(script));
		if (args != NULL)
			json_object_set_new(app, "args", json_string(args));
	} else if (start != NULL) {
		json_object_set_new(app, "script", json_string("npm"));
		json_object_set_new(app, "args", json_string("start"));
	}
	free(script);
	free(args);
	json_decref(pkg);
	return EXIT_OK;
}

/* Write ecosystem.json from the starter template. */
static int
init_run(struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ 0 }
	};
	bool force = false;
	struct derr e;
	json_error_t jerr;
	char *tmpl, *text;
	json_t *eco;
	int c, rc;

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
	tmpl = template_find("ecosystem.json", &e);
	if (tmpl == NULL)
		return error("%s", e.msg);
	eco = json_load_file(tmpl, JSON_PRESERVE_ORDER, &jerr);
	if (eco == NULL) {
		rc = error("%s:%d:%d: %s", tmpl, jerr.line, jerr.column,
			   jerr.text);
		free(tmpl);
		return rc;
	}
	free(tmpl);
	rc = apply_package_json(json_array_get(json_object_get(eco, "apps"),
					       0));
	if (rc != EXIT_OK) {
		json_decref(eco);
		return rc;
	}
	text = json_dumps(eco, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(eco);
	text = xasprintf("%s\n", tmpl = text);
	free(tmpl);
	if (write_file_atomic(INIT_FILE, text, strlen(text), 0644, force,
			      &e) < 0)
		rc = error("%s", e.msg);
	else
		printf("wrote %s\n", INIT_FILE);
	free(text);
	return rc;
}

const struct command cmd_init = {
	.name = "init",
	.usage = "init [--force]",
	.summary = "write a starter ecosystem.json (reads package.json)",
	.help = "  -f, --force   replace an existing ecosystem.json\n",
	.run = init_run,
};

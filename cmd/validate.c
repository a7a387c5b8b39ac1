/* validate.c: deploy validate [--print] [--json]: check the ecosystem file */
#include "cmd/cmd.h"

#include "core/lib/fileio.h"
#include "core/probe/listeners.h"
#include "core/nginx/nginx.h"

#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Count every instance of every app. */
static int
count_instances(const struct ecosystem *eco)
{
	int n = 0;

	for (size_t i = 0; i < eco->n_apps; i++)
		n += eco->apps[i].instances;
	return n;
}

/* The "nginx" objects are read by `deploy nginx`: check them here too. */
static int
check_nginx_keys(const struct ecosystem *eco, struct derr *e)
{
	struct nginx_settings ns = { 0 };
	int rc = nginx_settings_read(eco, &ns, e);

	nginx_settings_clear(&ns);
	return rc;
}

/*
 * Whether app i's script is missing (PM2 refuses to start it: "Script
 * not found"); e says where it was looked for. A script in a folder
 * that is not on this machine (a file written for a server) is not
 * checked.
 */
static bool
script_missing(const struct ecosystem *eco, size_t i, struct derr *e)
{
	const struct eco_app *a = &eco->apps[i];
	char *here;

	if (a->shell || a->script_path != NULL || !path_exists(a->cwd))
		return false;
	here = getcwd(NULL, 0);
	if (json_object_get(a->raw, "cwd") != NULL || here == NULL ||
	    strcmp(here, a->cwd) == 0)
		derr_set(e, "%s: apps[%zu].script: '%s' not found in '%s'",
			 eco->path, i, a->script, a->cwd);
	else
		derr_set(e, "%s: apps[%zu].script: '%s' not found next to "
			 "the file ('%s') nor where the command runs ('%s')",
			 eco->path, i, a->script, a->cwd, here);
	free(here);
	return true;
}

/*
 * One error as {"file","line","col","path","message"}, from a message
 * "FILE[:LINE:COL]: [PATH: ]MESSAGE" (line and col are null when the
 * file was JavaScript run by node and the place is not known).
 */
static json_t *
error_json(const char *file, const char *msg)
{
	size_t flen = strlen(file), n;
	const char *p = msg, *colon;
	int line = 0, col = 0, used = 0;
	json_t *path = json_null();

	if (strncmp(p, file, flen) == 0 && p[flen] == ':')
		p += flen;
	else
		file = NULL;
	if (file != NULL && sscanf(p, ":%d:%d:%n", &line, &col, &used) == 2)
		p += used;
	else if (file != NULL)
		p++;
	while (*p == ' ')
		p++;
	colon = strstr(p, ": ");
	n = colon != NULL ? (size_t)(colon - p) : 0;
	if (n > 0 && strcspn(p, " '\t") >= n && !isupper((unsigned char)*p)
	    && strncmp(p, "invalid JSON", 12) != 0) {
		path = json_stringn(p, n);
		p = colon + 2;
	}
	return json_pack("{s:o, s:o, s:o, s:o, s:s}",
			 "file", file ? json_string(file) : json_null(),
			 "line", line ? json_integer(line) : json_null(),
			 "col", col ? json_integer(col) : json_null(),
			 "path", path ? path : json_null(),
			 "message", p);
}

/* The file's warnings as a JSON array of strings. */
static json_t *
warnings_json(const struct ecosystem *eco)
{
	json_t *warnings = json_array();

	for (char **w = eco ? eco->warnings : NULL; w && *w; w++)
		json_array_append_new(warnings, json_string(*w));
	return warnings;
}

/* Find and load the file for --json: errors go into errors. */
static struct ecosystem *
load_json(struct cmd_ctx *ctx, json_t *errors, char **file)
{
	struct ecosystem *eco;
	struct derr e;

	*file = ctx->config_path ? xstrdup(ctx->config_path) :
		ecosystem_find(".");
	if (*file == NULL) {
		json_array_append_new(errors, json_pack("{s:n, s:n, s:n, s:n, "
			"s:s}", "file", "line", "col", "path", "message",
			"no ecosystem file here"));
		return NULL;
	}
	eco = ecosystem_load(*file, ctx->env_name, &e);
	if (eco == NULL)
		json_array_append_new(errors, error_json(*file, e.msg));
	return eco;
}

/* Check what parsing leaves: nginx keys, scripts; each error to fn. */
static void
check_more(const struct ecosystem *eco, void (*fn)(void *, const char *),
	   void *ud)
{
	struct derr e;

	if (check_nginx_keys(eco, &e) < 0)
		fn(ud, e.msg);
	for (size_t i = 0; i < eco->n_apps; i++)
		if (script_missing(eco, i, &e))
			fn(ud, e.msg);
}

/* check_more's reporter for text: print the error, count it. */
static void
print_error(void *ud, const char *msg)
{
	error("%s", msg);
	(*(int *)ud)++;
}

/* The file being checked, for check_more's JSON reporter. */
struct json_errors {
	json_t *errors;
	const char *file;
};

/* check_more's reporter for --json: add the error. */
static void
add_error(void *ud, const char *msg)
{
	struct json_errors *je = ud;

	json_array_append_new(je->errors, error_json(je->file, msg));
}

/* validate --json: {"valid", "errors", "warnings", counts}. */
static int
validate_json(struct cmd_ctx *ctx)
{
	json_t *errors = json_array(), *warnings, *out;
	struct json_errors je = { errors, NULL };
	char **pw;
	struct ecosystem *eco;
	char *file;
	int rc;

	eco = load_json(ctx, errors, &file);
	je.file = file;
	if (eco != NULL)
		check_more(eco, add_error, &je);
	warnings = warnings_json(eco);
	pw = eco != NULL ? eco_port_warnings("/proc", eco) : NULL;
	for (char **w = pw; w != NULL && *w != NULL; w++)
		json_array_append_new(warnings, json_string(*w));
	strv_free(pw);
	out = json_pack("{s:b, s:o, s:O, s:o, s:o}",
			"valid", json_array_size(errors) == 0,
			"file", file ? json_string(file) : json_null(),
			"errors", errors,
			"warnings", warnings,
			"apps", json_integer(eco ? (json_int_t)eco->n_apps :
					     0));
	if (eco != NULL) {
		json_object_set_new(out, "instances",
				    json_integer(count_instances(eco)));
		json_object_set_new(out, "targets",
				    json_integer((json_int_t)eco->n_targets));
	}
	rc = print_json(out);
	if (rc == EXIT_OK && json_array_size(errors) > 0)
		rc = EXIT_CONFIG;
	json_decref(out);
	json_decref(errors);
	ecosystem_free(eco);
	free(file);
	return rc;
}

/* Say the file is valid, or print it fully resolved with --print. */
static int
validate_run(struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
		{ "print", no_argument, NULL, 'p' },
		{ 0 }
	};
	const struct ecosystem *eco;
	char **pw;
	bool print = false;
	int c, rc, errors = 0;
	json_t *out;

	while ((c = cmd_getopt(ctx, "p", opts)) != -1) {
		if (c == '?')
			return EXIT_USAGE;
		print = true;
	}
	if (optind < ctx->argc)
		return usage_error(&cmd_validate, "unexpected argument '%s'",
				   ctx->argv[optind]);
	if (ctx->json && !print)
		return validate_json(ctx);
	rc = load_config(ctx);
	if (rc != EXIT_OK)
		return rc;
	eco = ctx->eco;
	check_more(eco, print_error, &errors);
	if (errors > 0)
		return EXIT_CONFIG;
	pw = eco_port_warnings("/proc", ctx->eco);
	for (char **w = pw; *w != NULL; w++)
		warning("%s", *w);
	strv_free(pw);
	if (print) {
		out = ecosystem_to_json(eco);
		rc = print_json(out);
		json_decref(out);
		return rc;
	}
	printf("%s: valid: %zu app%s, %d instance%s, %zu deploy target%s\n",
	       eco->path, eco->n_apps, eco->n_apps == 1 ? "" : "s",
	       count_instances(eco), count_instances(eco) == 1 ? "" : "s",
	       eco->n_targets, eco->n_targets == 1 ? "" : "s");
	return EXIT_OK;
}

const struct command cmd_validate = {
	.name = "validate",
	.usage = "validate [-c FILE] [--env NAME] [--print] [--json]",
	.summary = "check the ecosystem file; --print shows it resolved",
	.help = "  -p, --print   print the resolved config as JSON "
		"(defaults,\n                merged env, every instance with "
		"its PORT, the\n                script's resolved path and "
		"where it was found)\n      --json    {\"valid\", \"errors\": "
		"[{file, line, col, path,\n                message}], "
		"\"warnings\"}; exit 3 when invalid\n",
	.flags = CMD_JSON,
	.run = validate_run,
};

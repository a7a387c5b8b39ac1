/* show.c: deploy show APP [--json] (PM2's describe, info): one app */
#include "cmd/cmd.h"
#include "core/lib/format.h"

#include <stdlib.h>
#include <string.h>

/* The app called name in the ecosystem file here (or -c), or NULL;
   *eco owns it (caller frees). A missing or broken file is no error:
   the daemon's view is shown without it. */
static const struct eco_app *
file_app(const struct cmd_ctx *ctx, const char *name, struct ecosystem **eco,
	 char **path)
{
	struct derr e;

	*path = ctx->config_path ? xstrdup(ctx->config_path) :
		ecosystem_find(".");
	*eco = *path ? ecosystem_load(*path, ctx->env_name, &e) : NULL;
	for (size_t i = 0; *eco != NULL && i < (*eco)->n_apps; i++)
		if (strcmp((*eco)->apps[i].name, name) == 0)
			return &(*eco)->apps[i];
	return NULL;
}

/* "key  value" for a string field of the first instance, if there. */
static void
show_field(json_t *in, const char *key, const char *label)
{
	const char *v = json_string_value(json_object_get(in, key));

	if (v != NULL)
		printf("  %-10s %s\n", label, v);
}

/* The human view: paths, counts, the config, the instances. */
static void
show_text(const char *name, json_t *list, const struct eco_app *cfg,
	  const char *path)
{
	json_t *first = json_array_get(list, 0), *in, *v;
	int online = 0, restarts = 0;
	const char *key;
	size_t i;

	json_array_foreach(list, i, in) {
		const char *st = json_string_value(json_object_get(in,
								   "status"));

		online += st != NULL && strcmp(st, "online") == 0;
		restarts += (int)json_integer_value(
			json_object_get(in, "restarts"));
	}
	printf("%s: %zu instance%s, %d online, %d restart%s\n", name,
	       json_array_size(list), json_array_size(list) == 1 ? "" : "s",
	       online, restarts, restarts == 1 ? "" : "s");
	show_field(first, "command", "command");
	show_field(first, "cwd", "cwd");
	if (json_integer_value(json_object_get(first, "port")) > 0)
		printf("  %-10s %lld + instance\n", "port", (long long)
		       json_integer_value(json_object_get(first, "port")));
	show_field(first, "listen", "listen");
	show_field(first, "ready_by", "ready by");
	show_field(first, "out_log", "out log");
	show_field(first, "err_log", "err log");
	if (cfg != NULL) {
		printf("\nconfig (%s):\n", path);
		json_object_foreach(cfg->raw, key, v) {
			char *text = json_dumps(v, JSON_COMPACT |
						JSON_ENCODE_ANY);

			printf("  %-18s %s\n", key, text ? text : "?");
			free(text);
		}
	}
	printf("\ninstances:\n");
	fflush(stdout);
}

/* deploy show APP. */
static int
show_run(struct cmd_ctx *ctx)
{
	struct ecosystem *eco = NULL;
	const struct eco_app *cfg;
	json_t *reply, *list, *in;
	char *path = NULL;
	const char *name;
	size_t i;
	int rc;

	if (ctx->argc != 2 || ctx->argv[1][0] == '-')
		return usage_error(&cmd_show, ctx->argc < 2 ? "name an app" :
				   "unexpected argument '%s'", ctx->argv[
				   ctx->argc < 2 ? 0 : ctx->argc - 1]);
	name = ctx->argv[1];
	rc = ls_fetch(&reply);
	if (rc != EXIT_OK)
		return rc;
	list = json_array();
	json_array_foreach(json_object_get(reply, "instances"), i, in) {
		const char *app = json_string_value(json_object_get(in,
								    "app"));

		if (app != NULL && strcmp(app, name) == 0)
			json_array_append(list, in);
	}
	json_decref(reply);
	if (json_array_size(list) == 0) {
		json_decref(list);
		return error("no app '%s' (see 'deploy ls')", name);
	}
	cfg = file_app(ctx, name, &eco, &path);
	if (ctx->json) {
		json_t *out = json_pack("{s:s, s:i, s:O?, s:s?, s:o}", "app",
			name, "instance_count", (int)json_array_size(list),
			"config", cfg ? cfg->raw : NULL, "config_file",
			cfg ? path : NULL, "instances", list);

		rc = print_json(out);
		json_decref(out);
	} else {
		show_text(name, list, cfg, path);
		rc = ls_show_apps(false, (char **)&name, 1);
		json_decref(list);
	}
	ecosystem_free(eco);
	free(path);
	return rc;
}

const struct command cmd_show = {
	.name = "show",
	.usage = "show APP [--json]",
	.summary = "one app: config, paths, instances, restarts, last exit",
	.flags = CMD_JSON,
	.run = show_run,
};

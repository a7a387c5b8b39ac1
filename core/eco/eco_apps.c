/* eco_apps.c: read the apps: PM2's defaults, names, each app finished */
#include "core/eco/eco_int.h"
#include "core/lib/fileio.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* The interpreter PM2 picks for a script extension. */
static const struct {
	const char *ext;
	const char *interpreter;
} interpreters[] = {
	{ ".js", "node" }, { ".cjs", "node" }, { ".mjs", "node" },
	{ ".py", "python3" }, { ".sh", "bash" }, { ".rb", "ruby" },
	{ ".pl", "perl" },
};

/* Fill a with PM2's defaults. */
static void
app_init(struct eco_app *a)
{
	memset(a, 0, sizeof *a);
	a->args = xcalloc(1, sizeof *a->args);
	a->ignore_watch = xcalloc(1, sizeof *a->ignore_watch);
	a->watch_delay = 1000;
	a->interpreter_args = xcalloc(1, sizeof *a->interpreter_args);
	a->instances = 1;
	a->exec_mode = ECO_FORK;
	a->increment_var = xstrdup("PORT");
	a->instance_var = xstrdup("NODE_APP_INSTANCE");
	a->autorestart = true;
	a->max_restarts = 16;
	a->min_uptime = 1000;
	a->kill_timeout = 1600;
	a->listen_timeout = 3000;
	a->log_max_size = 10LL << 20;
	a->log_max_files = 5;
	a->kill_signal = SIGINT;
}

/* Free what an app holds. */
void
eco_app_clear(struct eco_app *a)
{
	free(a->name);
	free(a->script);
	free(a->script_path);
	free(a->cron_restart);
	strv_free(a->watch);
	strv_free(a->ignore_watch);
	strv_free(a->args);
	free(a->interpreter);
	strv_free(a->interpreter_args);
	free(a->cwd);
	eco_env_free(&a->env);
	free(a->increment_var);
	free(a->instance_var);
	free(a->stop_exit_codes);
	free(a->out_file);
	free(a->error_file);
	free(a->log_date_format);
	free(a->listen);
	free(a->health);
	json_decref(a->nginx);
	json_decref(a->raw);
}

/* Go to app i's object. */
void
eco_push_app(struct eco_ctx *c, size_t i)
{
	if (c->apps_array)
		eco_push_index(c, i);
}

/* PM2's default name: the script's file name without its extension. */
static char *
default_name(const char *script)
{
	const char *base = path_base(script), *dot = strrchr(base, '.');

	if (dot == NULL || dot == base)
		return xstrdup(base);
	return xstrndup(base, (size_t)(dot - base));
}

/* The interpreter for script's extension, or NULL. */
static const char *
interpreter_for(const char *script)
{
	const char *dot = strrchr(path_base(script), '.');

	for (size_t i = 0; dot != NULL && i < ARRAY_SIZE(interpreters); i++)
		if (strcmp(dot, interpreters[i].ext) == 0)
			return interpreters[i].interpreter;
	return NULL;
}

/* The key that names the script: "script", "cmd" or "exec". */
const char *
eco_script_key(json_t *obj)
{
	if (eco_has(obj, "script"))
		return "script";
	return eco_has(obj, "cmd") ? "cmd" : "exec";
}

/* The key an app's name comes from: "name", else what names the script. */
const char *
eco_name_key(json_t *obj)
{
	return eco_has(obj, "name") ? "name" : eco_script_key(obj);
}

/* Check the (given or default) name. */
static int
check_name(struct eco_ctx *c, struct eco_app *a, json_t *obj)
{
	const char *key = eco_name_key(obj);

	if (a->name[0] == '\0')
		return eco_fail_key(c, obj, key, "cannot make an app name "
				    "from this; set \"name\"");
	for (const char *p = a->name; *p != '\0'; p++)
		if (*p == '/' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return eco_fail_key(c, obj, key, "app name '%s' must "
					    "not contain '/' or control "
					    "characters", a->name);
	if (strcmp(a->name, "all") == 0)
		return eco_fail_key(c, obj, key, "app name 'all' is "
				    "reserved");
	return 0;
}

/* Apply defaults that depend on other keys, and check the app alone. */
static int
finish_app(struct eco_ctx *c, struct eco_app *a, struct eco_appstate *st)
{
	size_t depth = c->depth;

	if (a->script == NULL)
		return eco_fail(c, "missing \"script\"");
	a->shell = strpbrk(a->script, " \t") != NULL && a->interpreter == NULL;
	if (a->name == NULL)
		a->name = a->shell ? xstrdup(a->script) :
			  default_name(a->script);
	if (check_name(c, a, st->obj) < 0)
		return -1;
	if (!st->has_interpreter && !a->shell)
		a->interpreter = xstrdup(interpreter_for(a->script));
	if (!st->has_exec_mode && st->has_instances && a->interpreter &&
	    (strstr(a->interpreter, "node") || strstr(a->interpreter, "bun")))
		a->exec_mode = ECO_CLUSTER;
	if (eco_finish_env(c, a, st) < 0)
		return -1;
	if (a->port > 0 && a->port + a->instances - 1 > 65535) {
		eco_push_port(c, st);
		eco_fail(c, "ports %d-%d go past 65535", a->port,
			 a->port + a->instances - 1);
		c->depth = depth;
		return -1;
	}
	if (a->health != NULL && a->health[0] == '/' && a->port == 0 &&
	    a->listen == NULL)
		return eco_fail_key(c, st->obj, "health", "a path needs "
				    "\"port\" or \"listen\" to make a URL");
	if (st->time && a->log_date_format == NULL)
		a->log_date_format = xstrdup("YYYY-MM-DDTHH:mm:ss");
	if (eco_finish_paths(c, a, st) < 0)
		return -1;
	eco_share_port(c, a, st);
	return 0;
}

/* Read the apps (an array, or one object), then check them together. */
int
eco_parse_apps(struct eco_ctx *c, json_t *apps)
{
	size_t n = json_is_array(apps) ? json_array_size(apps) : 1;
	size_t depth = c->depth;
	struct eco_app *a;
	json_t *obj;

	c->eco->apps = xcalloc(n, sizeof *c->eco->apps);
	c->st = xcalloc(n, sizeof *c->st);
	for (size_t i = 0; i < n; i++) {
		obj = json_is_array(apps) ? json_array_get(apps, i) : apps;
		a = &c->eco->apps[i];
		eco_push_app(c, i);
		if (!json_is_object(obj))
			return eco_fail(c, "expected an object");
		app_init(a);
		c->eco->n_apps++;
		c->st[i].obj = obj;
		a->raw = json_incref(obj);
		if (eco_app_read_keys(c, a, obj) < 0 ||
		    finish_app(c, a, &c->st[i]) < 0)
			return -1;
		c->depth = depth;
	}
	if (eco_check_names(c) < 0 || eco_check_ports(c) < 0)
		return -1;
	return 0;
}

/* eco_app_keys.c: the keys of an app: their table and their readers */
#include "core/eco/eco_int.h"

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_INSTANCES 4096

/* The state of the app being read (obj is its struct eco_app). */
static struct eco_appstate *
state(struct eco_ctx *c, void *obj)
{
	return &c->st[(struct eco_app *)obj - c->eco->apps];
}

/* "name": a non-empty string (checked further once defaults apply). */
static int
app_name(struct eco_ctx *c, void *obj, json_t *v)
{
	return eco_want_string(c, v, true, &((struct eco_app *)obj)->name);
}

/* "script" (or PM2's "exec"): what to run. */
static int
app_script(struct eco_ctx *c, void *obj, json_t *v)
{
	return eco_want_string(c, v, true, &((struct eco_app *)obj)->script);
}

/* "interpreter" (or "exec_interpreter"); "none" runs the script. */
static int
app_interpreter(struct eco_ctx *c, void *obj, json_t *v)
{
	struct eco_app *a = obj;

	if (eco_want_string(c, v, true, &a->interpreter) < 0)
		return -1;
	state(c, obj)->has_interpreter = true;
	if (strcmp(a->interpreter, "none") == 0) {
		free(a->interpreter);
		a->interpreter = NULL;
	}
	return 0;
}

/* "instances": N, "max", 0 (all CPUs) or -N (all CPUs but N). */
static int
app_instances(struct eco_ctx *c, void *obj, json_t *v)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long long n;

	if (json_is_string(v) && strcmp(json_string_value(v), "max") == 0)
		n = 0;
	else if (!eco_json_ll(v, &n) && !eco_string_ll(v, &n))
		return eco_fail(c, "expected a number or \"max\"");
	if (n > MAX_INSTANCES)
		return eco_fail(c, "must be %d or less", MAX_INSTANCES);
	if (cpus < 1)
		cpus = 1;
	if (n <= 0)
		n = n < -MAX_INSTANCES ? 1 : cpus + n;
	((struct eco_app *)obj)->instances = n < 1 ? 1 : (int)n;
	state(c, obj)->has_instances = true;
	return 0;
}

/* "exec_mode": fork, fork_mode, cluster or cluster_mode. */
static int
app_exec_mode(struct eco_ctx *c, void *obj, json_t *v)
{
	const char *s = json_string_value(v);
	struct eco_app *a = obj;

	if (s != NULL && (!strcmp(s, "fork") || !strcmp(s, "fork_mode")))
		a->exec_mode = ECO_FORK;
	else if (s != NULL && (!strcmp(s, "cluster") ||
			       !strcmp(s, "cluster_mode")))
		a->exec_mode = ECO_CLUSTER;
	else
		return eco_fail(c, "expected \"fork\" or \"cluster\"");
	state(c, obj)->has_exec_mode = true;
	return 0;
}

/* "env": checked now, applied once every key is read. */
static int
app_env(struct eco_ctx *c, void *obj, json_t *v)
{
	if (eco_want_env(c, v, NULL) < 0)
		return -1;
	state(c, obj)->env = v;
	return 0;
}

/* "env_<E>": checked always, kept when E is the --env name. */
static int
app_env_overlay(struct eco_ctx *c, void *obj, json_t *v)
{
	const char *key = c->path[c->depth - 1].key;
	const char *want = c->eco->env_name;
	struct eco_appstate *st = state(c, obj);

	if (eco_want_env(c, v, NULL) < 0)
		return -1;
	if (want != NULL && strcmp(key + 4, want) == 0) {
		st->overlay = v;
		st->overlay_key = key;
	}
	return 0;
}

/* "port": the first instance's port. */
static int
app_port(struct eco_ctx *c, void *obj, json_t *v)
{
	struct eco_appstate *st = state(c, obj);

	if (eco_want_port(c, v, &((struct eco_app *)obj)->port) < 0)
		return -1;
	st->port_path[0] = "port";
	st->n_port_path = 1;
	return 0;
}

/* "increment_var": the variable that gets port + i. */
static int
app_increment_var(struct eco_ctx *c, void *obj, json_t *v)
{
	state(c, obj)->has_increment_var = true;
	return eco_want_string(c, v, true,
			       &((struct eco_app *)obj)->increment_var);
}

/* "health": a URL, or a path on each instance's port. */
static int
app_health(struct eco_ctx *c, void *obj, json_t *v)
{
	return eco_want_url(c, v, &((struct eco_app *)obj)->health);
}

/* "nginx": the app's nginx options, kept as written. */
static int
app_nginx(struct eco_ctx *c, void *obj, json_t *v)
{
	return eco_want_object(c, v, &((struct eco_app *)obj)->nginx);
}

/* "time": PM2's switch for timestamps on log lines. */
static int
app_time(struct eco_ctx *c, void *obj, json_t *v)
{
	if (!json_is_boolean(v))
		return eco_fail(c, "expected true or false");
	state(c, obj)->time = json_is_true(v);
	return 0;
}

/* "autostart": false (do not start) is a PM2 feature we lack. */
static int
app_autostart(struct eco_ctx *c, void *obj, json_t *v)
{
	(void)obj;
	if (!json_is_boolean(v))
		return eco_fail(c, "expected true or false");
	if (json_is_false(v))
		eco_warn(c, "not used by deploy, ignored");
	return 0;
}

#define A(m) offsetof(struct eco_app, m)
#define FN(k, f) { k, ECO_F_FN, .fn = f }
#define QUIET(k) { k, ECO_F_QUIET, 0, 0, 0, NULL, false }
#define UNUSED(k) { k, ECO_F_UNUSED, 0, 0, 0, NULL, false }
static const struct eco_field app_fields[] = {
	FN("name", app_name),
	FN("script", app_script),
	FN("exec", app_script),
	FN("cmd", app_script),		/* PM2's alias too */
	{ "args", ECO_F_WORDS, A(args), 0, 0, NULL, false },
	FN("interpreter", app_interpreter),
	FN("exec_interpreter", app_interpreter),
	{ "interpreter_args", ECO_F_MOREWORDS, A(interpreter_args), 0, 0,
	  NULL, false },
	{ "interpreterArgs", ECO_F_MOREWORDS, A(interpreter_args), 0, 0,
	  NULL, false },
	{ "node_args", ECO_F_MOREWORDS, A(interpreter_args), 0, 0, NULL,
	  false },
	{ "cwd", ECO_F_NONEMPTY, A(cwd), 0, 0, NULL, false },
	FN("instances", app_instances),
	FN("exec_mode", app_exec_mode),
	FN("env", app_env),
	{ "env_", ECO_F_FN, 0, 0, 0, app_env_overlay, true },
	FN("port", app_port),
	FN("increment_var", app_increment_var),
	{ "instance_var", ECO_F_NONEMPTY, A(instance_var), 0, 0, NULL,
	  false },
	{ "max_memory_restart", ECO_F_BYTES, A(max_memory_restart), 0, 0,
	  NULL, false },
	{ "autorestart", ECO_F_BOOL, A(autorestart), 0, 0, NULL, false },
	{ "max_restarts", ECO_F_INT, A(max_restarts), 0, INT_MAX, NULL,
	  false },
	{ "min_uptime", ECO_F_MS, A(min_uptime), 0, 0, NULL, false },
	{ "restart_delay", ECO_F_MS, A(restart_delay), 0, 0, NULL, false },
	{ "exp_backoff_restart_delay", ECO_F_MS,
	  A(exp_backoff_restart_delay), 0, 0, NULL, false },
	{ "kill_timeout", ECO_F_MS, A(kill_timeout), 0, 0, NULL, false },
	{ "listen_timeout", ECO_F_MS, A(listen_timeout), 0, 0, NULL, false },
	{ "wait_ready", ECO_F_BOOL, A(wait_ready), 0, 0, NULL, false },
	FN("stop_exit_codes", eco_app_stop_exit_codes),
	{ "out_file", ECO_F_NONEMPTY, A(out_file), 0, 0, NULL, false },
	{ "out", ECO_F_NONEMPTY, A(out_file), 0, 0, NULL, false },
	{ "output", ECO_F_NONEMPTY, A(out_file), 0, 0, NULL, false },
	{ "out_log", ECO_F_NONEMPTY, A(out_file), 0, 0, NULL, false },
	{ "error_file", ECO_F_NONEMPTY, A(error_file), 0, 0, NULL, false },
	{ "error", ECO_F_NONEMPTY, A(error_file), 0, 0, NULL, false },
	{ "err", ECO_F_NONEMPTY, A(error_file), 0, 0, NULL, false },
	{ "err_file", ECO_F_NONEMPTY, A(error_file), 0, 0, NULL, false },
	{ "err_log", ECO_F_NONEMPTY, A(error_file), 0, 0, NULL, false },
	{ "merge_logs", ECO_F_BOOL, A(merge_logs), 0, 0, NULL, false },
	{ "combine_logs", ECO_F_BOOL, A(merge_logs), 0, 0, NULL, false },
	{ "log_date_format", ECO_F_STR, A(log_date_format), 0, 0, NULL,
	  false },
	FN("time", app_time),
	{ "log_max_size", ECO_F_BYTES, A(log_max_size), 0, 0, NULL, false },
	{ "log_max_files", ECO_F_INT, A(log_max_files), 0, 1000, NULL,
	  false },
	FN("kill_signal", eco_app_kill_signal),
	FN("listen", eco_app_listen),
	FN("health", app_health),
	FN("nginx", app_nginx),
	FN("autostart", app_autostart),
	/* PM2 settings deploy does not act on: a warning when set. */
	FN("cron_restart", eco_app_cron),
	FN("cron", eco_app_cron),
	FN("watch", eco_app_watch),
	{ "ignore_watch", ECO_F_LIST, A(ignore_watch), 0, 0, NULL, false },
	{ "watch_delay", ECO_F_MS, A(watch_delay), 0, 0, NULL, false },
	UNUSED("uid"), UNUSED("user"), UNUSED("gid"), UNUSED("log_file"),
	UNUSED("log"), UNUSED("pid_file"), UNUSED("pid"),
	UNUSED("filter_env"), UNUSED("append_env_to_name"),
	{ "shutdown_with_message", ECO_F_BOOL, A(shutdown_with_message), 0,
	  0, NULL, false },
	UNUSED("disable_logs"),
	UNUSED("log_type"),
	/* PM2's own internals, or moot here: accepted silently. */
	QUIET("watch_options"),
	QUIET("namespace"), QUIET("treekill"), QUIET("source_map_support"),
	QUIET("disable_source_map_support"), QUIET("vizion"), QUIET("pmx"),
	QUIET("automation"), QUIET("trace"), QUIET("disable_trace"),
	QUIET("v8"), QUIET("event_loop_inspector"),
	QUIET("deep_monitoring"), QUIET("windowsHide"),
	QUIET("kill_retry_time"), QUIET("io"), QUIET("write"),
	QUIET("username"), QUIET("install_url"), QUIET("name_prefix"),
	QUIET("execute_command"), QUIET("post_update"), QUIET("force"),
};

/* Read the keys of app a (its object obj) by the table. */
int
eco_app_read_keys(struct eco_ctx *c, struct eco_app *a, json_t *obj)
{
	return eco_apply_fields(c, app_fields, ARRAY_SIZE(app_fields), a,
				obj);
}

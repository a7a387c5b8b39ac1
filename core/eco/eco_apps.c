/* eco_apps.c: read the apps of an ecosystem file and check them together */
#include "core/lib/cron.h"
#include "core/eco/eco_int.h"
#include "core/lib/fileio.h"
#include "core/lib/paths.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_INSTANCES 4096

/* A port or ports an app takes, to find clashes between apps. */
struct claim {
	bool listen;		/* listen address, else port range */
	char *host;		/* listen host */
	int lo, hi;
};

/* The interpreter PM2 picks for a script extension. */
static const struct {
	const char *ext;
	const char *interpreter;
} interpreters[] = {
	{ ".js", "node" }, { ".cjs", "node" }, { ".mjs", "node" },
	{ ".py", "python3" }, { ".sh", "bash" }, { ".rb", "ruby" },
	{ ".pl", "perl" },
};

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

/* "stop_exit_codes": an exit code or an array of them. */
static int
app_stop_exit_codes(struct eco_ctx *c, void *obj, json_t *v)
{
	struct eco_app *a = obj;
	size_t n = json_is_array(v) ? json_array_size(v) : 1;
	long long code;
	json_t *item;

	if (!json_is_array(v) && !json_is_number(v))
		return eco_fail(c, "expected an exit code or an array of "
				"them");
	free(a->stop_exit_codes);
	a->stop_exit_codes = xcalloc(n, sizeof *a->stop_exit_codes);
	a->n_stop_exit_codes = 0;
	for (size_t i = 0; i < n; i++) {
		item = json_is_array(v) ? json_array_get(v, i) : v;
		if (!eco_json_ll(item, &code) || code < 0 || code > 255) {
			if (json_is_array(v))
				eco_push_index(c, i);
			return eco_fail(c, "expected an exit code (0-255)");
		}
		a->stop_exit_codes[a->n_stop_exit_codes++] = (int)code;
	}
	return 0;
}

/* "kill_signal": "SIGTERM", "TERM" or a number. */
static int
app_kill_signal(struct eco_ctx *c, void *obj, json_t *v)
{
	struct eco_app *a = obj;
	long long n;

	if (json_is_string(v) &&
	    eco_parse_signal(json_string_value(v), &a->kill_signal) == 0)
		return 0;
	if (eco_json_ll(v, &n) && n >= 1 && n <= SIGRTMAX) {
		a->kill_signal = (int)n;
		return 0;
	}
	return eco_fail(c, "expected a signal name like \"SIGTERM\" or a "
			"number");
}

/* "listen": "host:port", ":port" or a port; kept as "HOST:PORT". */
static int
app_listen(struct eco_ctx *c, void *obj, json_t *v)
{
	struct eco_app *a = obj;
	unsigned char buf[sizeof(struct in6_addr)];
	char *spec, *host = NULL;
	int port = 0, rc;

	if (json_is_string(v))
		spec = xstrdup(json_string_value(v));
	else if (json_is_integer(v))
		spec = xasprintf("%lld", (long long)json_integer_value(v));
	else
		return eco_fail(c, "expected \"host:port\", \":port\" or a "
				"port number");
	rc = eco_split_hostport(spec, &host, &port);
	free(spec);
	if (rc < 0 || port == 0) {
		free(host);
		return eco_fail(c, "expected \"host:port\", \":port\" or a "
				"port number");
	}
	if (host == NULL || strcmp(host, "*") == 0) {
		free(host);
		host = xstrdup("0.0.0.0");
	} else if (strcmp(host, "localhost") == 0) {
		free(host);
		host = xstrdup("127.0.0.1");
	}
	free(a->listen);
	if (inet_pton(AF_INET, host, buf) == 1)
		a->listen = xasprintf("%s:%d", host, port);
	else if (inet_pton(AF_INET6, host, buf) == 1)
		a->listen = xasprintf("[%s]:%d", host, port);
	else
		a->listen = NULL;
	free(host);
	if (a->listen == NULL)
		return eco_fail(c, "the host must be an IP address");
	return 0;
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
	struct eco_app *a = obj;

	if (!json_is_object(v))
		return eco_fail(c, "expected an object");
	json_decref(a->nginx);
	a->nginx = json_incref(v);
	return 0;
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

/* "cron_restart": a cron schedule; "0" or 0 turns it off (PM2's). */
static int
app_cron(struct eco_ctx *c, void *obj, json_t *v)
{
	struct eco_app *a = obj;
	struct cron cr;
	struct derr e;
	const char *s = json_string_value(v);

	free(a->cron_restart);
	a->cron_restart = NULL;
	if (json_is_false(v) || (json_is_number(v) &&
				 json_number_value(v) == 0) ||
	    (s != NULL && strcmp(s, "0") == 0))
		return 0;
	if (s == NULL)
		return eco_fail(c, "expected a cron schedule like "
				"\"0 3 * * *\"");
	if (cron_parse(s, &cr, &e) < 0)
		return eco_fail(c, "%s", e.msg);
	a->cron_restart = xstrdup(s);
	return 0;
}

/* "watch": true (the app's cwd), a path, or an array of paths. */
static int
app_watch(struct eco_ctx *c, void *obj, json_t *v)
{
	struct eco_app *a = obj;
	json_t *item;
	size_t i;

	strv_free(a->watch);
	a->watch = NULL;
	if (json_is_false(v))
		return 0;
	a->watch = xcalloc(1, sizeof *a->watch);
	if (json_is_true(v))
		return 0;	/* the cwd, once it is known */
	if (json_is_string(v)) {
		a->watch = strv_push(a->watch, json_string_value(v));
		return 0;
	}
	json_array_foreach(v, i, item) {
		if (!json_is_string(item))
			break;
		a->watch = strv_push(a->watch, json_string_value(item));
	}
	if (json_is_array(v) && i == json_array_size(v))
		return 0;
	return eco_fail(c, "expected true, a path or an array of paths");
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
	FN("stop_exit_codes", app_stop_exit_codes),
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
	FN("kill_signal", app_kill_signal),
	FN("listen", app_listen),
	FN("health", app_health),
	FN("nginx", app_nginx),
	FN("autostart", app_autostart),
	/* PM2 settings deploy does not act on: a warning when set. */
	FN("cron_restart", app_cron), FN("cron", app_cron),
	FN("watch", app_watch),
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
static void
push_app(struct eco_ctx *c, size_t i)
{
	if (c->apps_array)
		eco_push_index(c, i);
}

/* PM2's default name: the script's file name without its extension. */
static char *
default_name(const char *script)
{
	const char *base = strrchr(script, '/'), *dot;

	base = base != NULL ? base + 1 : script;
	dot = strrchr(base, '.');
	if (dot == NULL || dot == base)
		return xstrdup(base);
	return xstrndup(base, (size_t)(dot - base));
}

/* The interpreter for script's extension, or NULL. */
static const char *
interpreter_for(const char *script)
{
	const char *base = strrchr(script, '/'), *dot;

	dot = strrchr(base != NULL ? base : script, '.');
	for (size_t i = 0; dot != NULL && i < ARRAY_SIZE(interpreters); i++)
		if (strcmp(dot, interpreters[i].ext) == 0)
			return interpreters[i].interpreter;
	return NULL;
}

/* The key that names the script: "script", "cmd" or "exec". */
static const char *
script_key(json_t *obj)
{
	if (eco_has(obj, "script"))
		return "script";
	return eco_has(obj, "cmd") ? "cmd" : "exec";
}

/* The key an app's name comes from: "name", else what names the script. */
static const char *
name_key(json_t *obj)
{
	return eco_has(obj, "name") ? "name" : script_key(obj);
}

/* Check the (given or default) name. */
static int
check_name(struct eco_ctx *c, struct eco_app *a, json_t *obj)
{
	const char *key = name_key(obj);

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

/* Which of env and env_<E> sets var last ("env_<E>", "env" or NULL). */
static const char *
env_source(const struct eco_appstate *st, const char *var)
{
	if (st->overlay != NULL && json_object_get(st->overlay, var) != NULL)
		return st->overlay_key;
	if (st->env != NULL && json_object_get(st->env, var) != NULL)
		return "env";
	return NULL;
}

/* Go to where the app's port was written. */
static void
push_port(struct eco_ctx *c, const struct eco_appstate *st)
{
	for (size_t i = 0; i < st->n_port_path; i++)
		eco_push_key(c, st->port_path[i]);
}

/* Apply env then env_<E>; take the port from env as PM2 would. */
static int
finish_env(struct eco_ctx *c, struct eco_app *a, struct eco_appstate *st)
{
	size_t depth = c->depth;
	const char *from, *val;
	long long n;

	if (st->env != NULL) {
		eco_push_key(c, "env");
		eco_want_env(c, st->env, &a->env);
		c->depth = depth;
	}
	if (st->overlay != NULL) {
		eco_push_key(c, st->overlay_key);
		eco_want_env(c, st->overlay, &a->env);
		c->depth = depth;
	}
	from = env_source(st, a->increment_var);
	val = eco_env_get(&a->env, a->increment_var);
	if (a->port > 0 || from == NULL || val == NULL)
		return 0;
	eco_push_key(c, from);
	eco_push_key(c, a->increment_var);
	if (st->has_increment_var && strspn(val, "0123456789") ==
	    strlen(val) && strlen(val) <= 5 && (n = atoll(val)) >= 1 &&
	    n <= 65535) {
		a->port = (int)n;
		st->port_path[0] = from;
		st->port_path[1] = a->increment_var;
		st->n_port_path = 2;
	} else if (a->instances > 1 && a->listen == NULL) {
		st->same_port_from = from;	/* see share_port */
	}
	c->depth = depth;
	return 0;
}

/* "~/x" with $HOME for "~"; anything else as it is. Caller frees. */
static char *
expand_home(const char *p)
{
	const char *home = getenv("HOME");

	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0') && home != NULL)
		return xasprintf("%s%s", home, p + 1);
	return xstrdup(p);
}

/* Replace *p by its "~/" expansion made absolute against base. */
static void
resolve_path(char **p, const char *base)
{
	char *home = expand_home(*p), *abs;

	abs = eco_path_join(base, home);
	free(home);
	free(*p);
	*p = abs;
}

/* Whether name is a program found in $PATH (a name without '/'). */
static bool
in_path(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	char *full;
	bool found = false;

	if (strchr(name, '/') != NULL || path == NULL)
		return false;
	for (p = path; !found && *p != '\0'; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		full = xasprintf("%.*s/%s", (int)(end - p), p, name);
		found = access(full, X_OK) == 0;
		free(full);
	}
	return found;
}

/*
 * Find the script: in cwd (the file's folder unless "cwd" is set);
 * without "cwd", then in the directory the command runs in, as PM2
 * does (the file's folder and that directory differ when a file in
 * src/ names "src/app.js"): cwd becomes that directory too, written
 * into the app's object so the daemon runs it the same way. Then a
 * program in $PATH ("npm"). Sets script_path and script_base.
 */
static void
find_script(struct eco_ctx *c, struct eco_app *a, struct eco_appstate *st,
	    bool cwd_given)
{
	char *here = NULL, *p;

	free(a->script_path);
	a->script_path = NULL;
	if (a->shell)
		return;
	p = expand_home(a->script);
	a->script_path = eco_path_join(a->cwd, p);
	a->script_base = cwd_given ? "cwd" : "the file's folder";
	if (path_exists(a->script_path) || p[0] == '/')
		goto out;
	if (!cwd_given && c->cli && (here = getcwd(NULL, 0)) != NULL) {
		free(a->script_path);
		a->script_path = eco_path_join(here, p);
		if (path_exists(a->script_path)) {
			free(a->cwd);
			a->cwd = xstrdup(here);
			a->script_base = "the working directory";
			json_object_set_new(st->obj, "cwd", json_string(here));
			goto out;
		}
	}
	free(a->script_path);
	a->script_path = in_path(p) ? xstrdup(p) : NULL;
	a->script_base = a->script_path != NULL ? "PATH" : NULL;
out:
	free(here);
	free(p);
}

/* Whether a log path means no log at all (PM2's "NULL"). */
static bool
null_log(const char *p)
{
	return strcmp(p, "NULL") == 0 || strcmp(p, "/dev/null") == 0;
}

/*
 * Whether the script at path (which has no extension) is for node:
 * PM2 runs such a script (Express's bin/www) with node unless it is a
 * binary. deploy does when its "#!" line names node, or when it is not
 * executable and not a binary.
 */
static bool
node_script(const char *path)
{
	char head[128] = "";
	FILE *f = fopen(path, "r");
	bool exec = access(path, X_OK) == 0;

	if (f == NULL)
		return false;
	if (fgets(head, sizeof head, f) == NULL)
		head[0] = '\0';
	fclose(f);
	if (strncmp(head, "#!", 2) == 0)
		return strstr(head, "node") != NULL;
	return !exec && strncmp(head, "\177ELF", 4) != 0;
}

/* Pick node for an extensionless Node script found as a file. */
static void
extensionless_node(struct eco_app *a, const struct eco_appstate *st)
{
	const char *base = strrchr(a->script, '/');

	base = base != NULL ? base + 1 : a->script;
	if (st->has_interpreter || a->shell || a->interpreter != NULL ||
	    strchr(base, '.') != NULL || a->script_path == NULL ||
	    a->script_path[0] != '/' || !node_script(a->script_path))
		return;
	a->interpreter = xstrdup("node");
	if (!st->has_exec_mode && st->has_instances)
		a->exec_mode = ECO_CLUSTER;
}

/* Whether the app runs with node. */
static bool
runs_node(const struct eco_app *a)
{
	const char *base;

	if (a->interpreter == NULL)
		return false;
	base = strrchr(a->interpreter, '/');
	base = base != NULL ? base + 1 : a->interpreter;
	return strncmp(base, "node", 4) == 0;
}

/*
 * Every instance gets the same PORT from env. A Node app in cluster
 * mode then shares it as under PM2's cluster master: the daemon binds
 * it once ("listen" on all addresses) and templates/node-cluster.js,
 * loaded through NODE_OPTIONS, makes the app's listen(PORT) take that
 * socket. Anything else gets a warning: the instances would clash.
 */
static void
share_port(struct eco_ctx *c, struct eco_app *a, struct eco_appstate *st)
{
	const char *val = eco_env_get(&a->env, a->increment_var);
	const char *opts = eco_env_get(&a->env, "NODE_OPTIONS");
	size_t depth = c->depth;
	char *preload = NULL, *v;
	struct derr e;
	int port = 0;

	if (st->same_port_from == NULL)
		return;
	if (val != NULL && strspn(val, "0123456789") == strlen(val) &&
	    strlen(val) <= 5)
		port = atoi(val);
	if (a->exec_mode == ECO_CLUSTER && runs_node(a) && port >= 1 &&
	    port <= 65535 &&
	    (preload = template_find("node-cluster.js", &e)) != NULL) {
		a->listen = xasprintf("0.0.0.0:%d", port);
		v = xasprintf("%s%s--require \"%s\"", opts ? opts : "",
			      opts ? " " : "", preload);
		eco_env_set(&a->env, "NODE_OPTIONS", v);
		eco_env_set(&a->env, "DEPLOY_SHARED_PORT", val);
		free(v);
		free(preload);
		return;
	}
	eco_push_key(c, st->same_port_from);
	eco_push_key(c, a->increment_var);
	eco_warn(c, "all %d instances get the same %s; set \"port\" "
		 "(instance i gets port + i) or \"listen\"", a->instances,
		 a->increment_var);
	c->depth = depth;
}

/* Make cwd absolute (default: the file's directory), then log paths. */
static int
finish_paths(struct eco_ctx *c, struct eco_app *a, struct eco_appstate *st)
{
	bool cwd_given = a->cwd != NULL;
	char **logs[2] = { &a->out_file, &a->error_file };

	if (a->cwd == NULL)
		a->cwd = xstrdup(".");
	resolve_path(&a->cwd, c->eco->dir);
	find_script(c, a, st, cwd_given);
	if (a->watch != NULL && a->watch[0] == NULL)
		a->watch = strv_push(a->watch, ".");
	for (size_t i = 0; a->watch != NULL && a->watch[i] != NULL; i++)
		resolve_path(&a->watch[i], a->cwd);
	if (strcmp(a->script, "serve") == 0 && !st->has_interpreter &&
	    (a->script_path == NULL || a->script_path[0] != '/'))
		return eco_fail_key(c, st->obj, script_key(st->obj),
				    "PM2's built-in \"serve\" is not "
				    "supported: serve the folder with nginx, "
				    "or run a static server as the app "
				    "(\"script\": \"npx\", \"args\": \"serve "
				    "-s DIR -l PORT\")");
	extensionless_node(a, st);
	for (size_t i = 0; i < ARRAY_SIZE(logs); i++) {
		if (*logs[i] == NULL)
			continue;
		if (null_log(*logs[i])) {
			free(*logs[i]);
			*logs[i] = xstrdup("/dev/null");
		} else {
			resolve_path(logs[i], a->cwd);
		}
	}
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
	if (finish_env(c, a, st) < 0)
		return -1;
	if (a->port > 0 && a->port + a->instances - 1 > 65535) {
		push_port(c, st);
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
	if (finish_paths(c, a, st) < 0)
		return -1;
	share_port(c, a, st);
	return 0;
}

/* What app a takes: its port range and its listen address. */
static size_t
claims(const struct eco_app *a, struct claim out[2])
{
	size_t n = 0;
	int port;

	if (a->port > 0) {
		out[n].listen = false;
		out[n].host = NULL;
		out[n].lo = a->port;
		out[n++].hi = a->port + a->instances - 1;
	}
	if (a->listen != NULL &&
	    eco_split_hostport(a->listen, &out[n].host, &port) == 0) {
		out[n].listen = true;
		out[n].lo = out[n].hi = port;
		n++;
	}
	return n;
}

/* Whether a listen host means every address. */
static bool
wildcard(const char *host)
{
	return strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0;
}

/* Whether two claims take the same port. */
static bool
clash(const struct claim *x, const struct claim *y)
{
	if (x->hi < y->lo || y->hi < x->lo)
		return false;
	if (!x->listen || !y->listen)
		return true;
	return strcmp(x->host, y->host) == 0 || wildcard(x->host) ||
	       wildcard(y->host);
}

/* Describe a claim of app a: "3000-3003", "3000" or the address. */
static void
describe(const struct eco_app *a, const struct claim *k, char *buf,
	 size_t size)
{
	if (k->listen)
		snprintf(buf, size, "%s", a->listen);
	else if (k->lo == k->hi)
		snprintf(buf, size, "%d", k->lo);
	else
		snprintf(buf, size, "%d-%d", k->lo, k->hi);
}

/* Fail at app j's claim k, which clashes with claim o of app i. */
static int
fail_clash(struct eco_ctx *c, size_t j, const struct claim *k, size_t i,
	   const struct claim *o)
{
	const struct eco_app *a = &c->eco->apps[j], *b = &c->eco->apps[i];
	char mine[64], theirs[64];
	size_t depth = c->depth;

	describe(a, k, mine, sizeof mine);
	describe(b, o, theirs, sizeof theirs);
	push_app(c, j);
	if (k->listen) {
		eco_push_key(c, "listen");
		eco_fail(c, "address %s clashes with app '%s' (%s)", mine,
			 b->name, theirs);
	} else {
		push_port(c, &c->st[j]);
		eco_fail(c, "port%s %s overlap%s app '%s' (%s)",
			 k->lo == k->hi ? "" : "s", mine,
			 k->lo == k->hi ? "s" : "", b->name, theirs);
	}
	c->depth = depth;
	return -1;
}

/* Free the hosts of claims. */
static void
claims_free(struct claim *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(k[i].host);
}

/* Check that no two apps take the same port or address. */
static int
check_ports(struct eco_ctx *c)
{
	struct claim ki[2], kj[2];
	size_t ni, nj, i, j, x, y;
	int rc = 0;

	for (j = 1; j < c->eco->n_apps && rc == 0; j++) {
		nj = claims(&c->eco->apps[j], kj);
		for (i = 0; i < j && rc == 0; i++) {
			ni = claims(&c->eco->apps[i], ki);
			for (y = 0; y < nj && rc == 0; y++)
				for (x = 0; x < ni && rc == 0; x++)
					if (clash(&kj[y], &ki[x]))
						rc = fail_clash(c, j, &kj[y],
								i, &ki[x]);
			claims_free(ki, ni);
		}
		claims_free(kj, nj);
	}
	return rc;
}

/* Check that app names are unique. */
static int
check_names(struct eco_ctx *c)
{
	const struct eco_app *apps = c->eco->apps;
	size_t depth = c->depth;
	char where[256];

	for (size_t j = 1; j < c->eco->n_apps; j++) {
		for (size_t i = 0; i < j; i++) {
			if (strcmp(apps[i].name, apps[j].name) != 0)
				continue;
			push_app(c, i);
			jsonpos_format(c->path, c->depth, where, sizeof where);
			c->depth = depth;
			push_app(c, j);
			return eco_fail_key(c, c->st[j].obj,
					    name_key(c->st[j].obj),
					    "duplicate app name '%s' (also "
					    "%s)", apps[j].name, where);
		}
	}
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
		push_app(c, i);
		if (!json_is_object(obj))
			return eco_fail(c, "expected an object");
		app_init(a);
		c->eco->n_apps++;
		c->st[i].obj = obj;
		a->raw = json_incref(obj);
		if (eco_apply_fields(c, app_fields, ARRAY_SIZE(app_fields), a,
				     obj) < 0 ||
		    finish_app(c, a, &c->st[i]) < 0)
			return -1;
		c->depth = depth;
	}
	if (check_names(c) < 0 || check_ports(c) < 0)
		return -1;
	return 0;
}

/* eco_json.c: the resolved ecosystem as JSON (validate --print) */
#include "core/eco/ecosystem.h"

#include <stdlib.h>

/* A JSON string, or null for NULL (or text that is not UTF-8). */
static json_t *
str_or_null(const char *s)
{
	json_t *v = s != NULL ? json_string(s) : NULL;

	return v != NULL ? v : json_null();
}

/* A NULL-terminated string array as a JSON array. */
static json_t *
strv_json(char *const *v)
{
	json_t *a = json_array();

	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		json_array_append_new(a, str_or_null(v[i]));
	return a;
}

/* An environment as a JSON object, in order. */
static json_t *
env_json(const struct eco_env *env)
{
	json_t *o = json_object();

	for (size_t i = 0; i < env->n; i++)
		json_object_set_new(o, env->vars[i].name,
				    str_or_null(env->vars[i].value));
	return o;
}

/* A port, or null for 0. */
static json_t *
port_json(int port)
{
	return port > 0 ? json_integer(port) : json_null();
}

/* Each instance of a: index, port, health URL and full environment. */
static json_t *
instances_json(const struct eco_app *a)
{
	json_t *list = json_array();
	struct eco_env env;
	char *url;

	for (int i = 0; i < a->instances; i++) {
		eco_instance_env(a, i, &env);
		url = eco_health_url(a, i);
		json_array_append_new(list, json_pack("{s:i, s:o, s:o, s:o}",
			"index", i,
			"port", port_json(a->port > 0 ? a->port + i : 0),
			"health", str_or_null(url),
			"env", env_json(&env)));
		free(url);
		eco_env_free(&env);
	}
	return list;
}

/* One app, resolved, as JSON. */
json_t *
eco_app_to_json(const struct eco_app *a)
{
	const char *sig = eco_signal_name(a->kill_signal);
	json_t *o = json_object(), *codes = json_array();

	for (size_t i = 0; i < a->n_stop_exit_codes; i++)
		json_array_append_new(codes,
				      json_integer(a->stop_exit_codes[i]));
#define SET(k, v) json_object_set_new(o, k, v)
	SET("name", str_or_null(a->name));
	SET("script", str_or_null(a->script));
	SET("script_path", str_or_null(a->script_path));
	SET("script_base", str_or_null(a->script_base));
	SET("args", strv_json(a->args));
	SET("interpreter", str_or_null(a->interpreter));
	SET("interpreter_args", strv_json(a->interpreter_args));
	SET("shell", json_boolean(a->shell));
	SET("cwd", str_or_null(a->cwd));
	SET("instances", json_integer(a->instances));
	SET("exec_mode", json_string(a->exec_mode == ECO_CLUSTER ?
				     "cluster" : "fork"));
	SET("env", env_json(&a->env));
	SET("port", port_json(a->port));
	SET("increment_var", str_or_null(a->increment_var));
	SET("instance_var", str_or_null(a->instance_var));
	SET("max_memory_restart", json_integer(a->max_memory_restart));
	SET("autorestart", json_boolean(a->autorestart));
	SET("max_restarts", json_integer(a->max_restarts));
	SET("min_uptime", json_integer(a->min_uptime));
	SET("restart_delay", json_integer(a->restart_delay));
	SET("exp_backoff_restart_delay",
	    json_integer(a->exp_backoff_restart_delay));
	SET("kill_timeout", json_integer(a->kill_timeout));
	SET("listen_timeout", json_integer(a->listen_timeout));
	SET("wait_ready", json_boolean(a->wait_ready));
	SET("shutdown_with_message", json_boolean(a->shutdown_with_message));
	SET("cron_restart", str_or_null(a->cron_restart));
	SET("watch", a->watch ? strv_json(a->watch) : json_null());
	SET("ignore_watch", strv_json(a->ignore_watch));
	SET("watch_delay", json_integer(a->watch_delay));
	SET("stop_exit_codes", codes);
	SET("out_file", str_or_null(a->out_file));
	SET("error_file", str_or_null(a->error_file));
	SET("merge_logs", json_boolean(a->merge_logs));
	SET("log_date_format", str_or_null(a->log_date_format));
	SET("log_max_size", json_integer(a->log_max_size));
	SET("log_max_files", json_integer(a->log_max_files));
	SET("kill_signal", sig != NULL ? json_string(sig) :
			   json_integer(a->kill_signal));
	SET("listen", str_or_null(a->listen));
	SET("health", str_or_null(a->health));
	SET("nginx", a->nginx != NULL ? json_incref(a->nginx) : json_null());
	SET("instances_list", instances_json(a));
#undef SET
	return o;
}

/* One deploy target, resolved, as JSON. */
static json_t *
target_json(const struct eco_target *t)
{
	json_t *o = json_object(), *hosts = json_array();

	for (size_t i = 0; i < t->n_hosts; i++)
		json_array_append_new(hosts, json_pack("{s:o, s:i}",
			"host", str_or_null(t->hosts[i].name),
			"port", t->hosts[i].port));
#define SET(k, v) json_object_set_new(o, k, v)
	SET("user", str_or_null(t->user));
	SET("hosts", hosts);
	SET("key", str_or_null(t->key));
	SET("ref", str_or_null(t->ref));
	SET("repo", str_or_null(t->repo));
	SET("path", str_or_null(t->path));
	SET("ssh_options", strv_json(t->ssh_options));
	SET("pre-setup", str_or_null(t->pre_setup));
	SET("post-setup", str_or_null(t->post_setup));
	SET("pre-deploy-local", str_or_null(t->pre_deploy_local));
	SET("pre-deploy", str_or_null(t->pre_deploy));
	SET("post-deploy", str_or_null(t->post_deploy));
	SET("env", env_json(&t->env));
	SET("keep_releases", json_integer(t->keep_releases));
	SET("parallel", json_integer(t->parallel));
	SET("canary", json_integer(t->canary));
	SET("on_failure", json_string(t->rollback_all ? "rollback_all" :
				      "rollback"));
	SET("health", str_or_null(t->health));
	SET("health_from", json_string(t->health_from_host ? "host" :
				       "here"));
	SET("health_timeout", json_integer(t->health_timeout));
	SET("shared_dirs", strv_json(t->shared_dirs));
	SET("shared_files", strv_json(t->shared_files));
	SET("upload", json_boolean(t->upload));
#undef SET
	return o;
}

/* The whole resolved ecosystem as JSON. */
json_t *
ecosystem_to_json(const struct ecosystem *eco)
{
	json_t *apps = json_array(), *deploy = json_object();

	for (size_t i = 0; i < eco->n_apps; i++)
		json_array_append_new(apps, eco_app_to_json(&eco->apps[i]));
	for (size_t i = 0; i < eco->n_targets; i++)
		json_object_set_new(deploy, eco->targets[i].name,
				    target_json(&eco->targets[i]));
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			 "file", str_or_null(eco->path),
			 "dir", str_or_null(eco->dir),
			 "env_name", str_or_null(eco->env_name),
			 "apps", apps,
			 "deploy", deploy,
			 "nginx", eco->nginx != NULL ?
				  json_incref(eco->nginx) : json_null(),
			 "warnings", strv_json(eco->warnings));
}

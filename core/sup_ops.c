/* sup_ops.c: the control requests that change or list apps */
#include "daemon.h"
#include "proto.h"
#include "sup_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Parse one app object as it was in its file. */
static struct ecosystem *
parse_raw(json_t *raw, const char *file, const char *env, struct derr *e)
{
	json_t *doc = json_pack("{s:[O]}", "apps", raw);
	char *text = json_dumps(doc, JSON_PRESERVE_ORDER);
	struct ecosystem *eco = ecosystem_parse_quiet(text, file, env, e);

	free(text);
	json_decref(doc);
	if (eco != NULL && eco->n_apps != 1) {
		ecosystem_free(eco);
		derr_set(e, "expected one app");
		return NULL;
	}
	return eco;
}

/* A new app from its parsed file, with its instances (not started). */
static struct sup_app *
app_new(struct sup *s, struct ecosystem *eco, json_t *raw, const char *file,
	const char *env)
{
	struct sup_app *app = xcalloc(1, sizeof *app);

	app->s = s;
	app->eco = eco;
	app->cfg = &eco->apps[0];
	app->raw = json_incref(raw);
	app->file = xstrdup(file);
	app->env_name = xstrdup(env);
	app->listen_fd = -1;
	for (int i = 0; i < app->cfg->instances; i++)
		app_add_instance(app, inst_new(app, i));
	ARRAY_GROW(s->apps, s->cap_apps, s->n_apps + 1);
	s->apps[s->n_apps++] = app;
	return app;
}

/* The number of instances that are not being retired or removed. */
static int
live_instances(const struct sup_app *app)
{
	int n = 0;

	for (size_t i = 0; i < app->n_inst; i++)
		n += !app->inst[i]->retiring && !app->inst[i]->removing;
	return n;
}

/* Start every live instance that has no process. */
static int
start_idle(struct sup_app *app)
{
	int n = 0;

	for (size_t i = 0; i < app->n_inst; i++) {
		struct sup_inst *in = app->inst[i];

		if (in->retiring || in->removing || inst_has_process(in) ||
		    in->state == WS_WAITING_RESTART)
			continue;
		restart_state_reset(&in->rs);
		inst_start(in);
		n++;
	}
	return n;
}

/* Add or remove instances so the app has cfg->instances. */
static void
scale(struct sup_app *app)
{
	int want = app->cfg->instances, have = live_instances(app);

	for (size_t i = 0; i < app->n_inst && have > want; i++) {
		struct sup_inst *in = app->inst[i];

		if (!in->retiring && !in->removing && in->index >= want) {
			in->removing = true;
			inst_stop(in);
			have--;
		}
	}
	for (int idx = have; idx < want; idx++) {
		struct sup_inst *in = inst_new(app, idx);

		app_add_instance(app, in);
		inst_start(in);
	}
}

/* True when a and b differ in more than "instances". */
static bool
differs_beyond_instances(json_t *a, json_t *b)
{
	json_t *ca = json_deep_copy(a), *cb = json_deep_copy(b);
	bool diff;

	json_object_del(ca, "instances");
	json_object_del(cb, "instances");
	diff = !json_equal(ca, cb);
	json_decref(ca);
	json_decref(cb);
	return diff;
}

/* Swap in a new config for a running app; returns what was done. */
static const char *
app_update(struct sup_app *app, struct ecosystem *eco, json_t *raw,
	   const char *file, const char *env, struct derr *e)
{
	bool same_env = (env == NULL && app->env_name == NULL) ||
		(env && app->env_name && strcmp(env, app->env_name) == 0);
	/* Another file (a new release's) may mean other code. */
	bool reload = !same_env || strcmp(app->file, file) != 0 ||
		differs_beyond_instances(app->raw, raw);
	bool relisten = reload && (app->cfg->listen == NULL) !=
		(eco->apps[0].listen == NULL || (app->cfg->listen &&
		 strcmp(app->cfg->listen, eco->apps[0].listen) != 0));
	int old_n = app->cfg->instances;

	if (!reload && json_equal(app->raw, raw)) {
		ecosystem_free(eco);
		return start_idle(app) ? "started" : "unchanged";
	}
	ecosystem_free(app->eco);
	json_decref(app->raw);
	app->eco = eco;
	app->cfg = &eco->apps[0];
	app->raw = json_incref(raw);
	free(app->env_name);
	app->env_name = xstrdup(env);
	free(app->file);
	app->file = xstrdup(file);
	if (relisten || (app->cfg->listen != NULL && app->listen_fd < 0)) {
		int old_fd = app->listen_fd;

		app->listen_fd = -1;
		if (app_listen_open(app, e) < 0) {
			app->listen_fd = old_fd;
			return NULL;
		}
		if (old_fd >= 0)
			close(old_fd);
	}
	scale(app);
	if (reload) {
		reload_begin(app, 1);
		return "reloading with the new config";
	}
	return app->cfg->instances > old_n ? "scaled up" : "scaled down";
}

/* Apply one app of an "up" request; a JSON line about it or NULL. */
static json_t *
up_one(struct sup *s, json_t *raw, const char *file, const char *env,
       struct sup_job *job, struct derr *e)
{
	struct ecosystem *eco = parse_raw(raw, file, env, e);
	struct sup_app *app;
	const char *action;

	if (eco == NULL)
		return NULL;
	app = app_find(s, eco->apps[0].name);
	if (app != NULL && app->removing) {
		ecosystem_free(eco);
		derr_set(e, "'%s' is being deleted; try again",
			 app->cfg->name);
		return NULL;
	}
	if (app == NULL) {
		app = app_new(s, eco, raw, file, env);
		if (app_listen_open(app, e) < 0) {
			app->removing = true;
			return NULL;
		}
		start_idle(app);
		action = "started";
	} else {
		action = app_update(app, eco, raw, file, env, e);
		if (action == NULL)
			return NULL;
	}
	if (job != NULL)
		job_add_app(job, app->cfg->name);
	return json_pack("{s:s, s:s, s:i}", "name", app->cfg->name,
			 "action", action, "instances", app->cfg->instances);
}

/*
 * Apply the apps of an "up" request ({"file", "env", "apps": [...]}):
 * each is added to job (may be NULL) and described in done (may be
 * NULL). -1 with e filled at the first app that fails.
 */
int
sup_apply_request(struct sup *s, json_t *req, struct sup_job *job,
		  json_t *done, struct derr *e)
{
	const char *file = json_string_value(json_object_get(req, "file"));
	const char *env = json_string_value(json_object_get(req, "env"));
	json_t *apps = json_object_get(req, "apps"), *raw, *line;
	size_t i;

	if (file == NULL || !json_is_array(apps))
		return derr_set(e, "up: needs \"file\" and \"apps\"");
	json_array_foreach(apps, i, raw) {
		line = up_one(s, raw, file, env, job, e);
		if (line == NULL)
			return -1;
		if (done != NULL)
			json_array_append(done, line);
		json_decref(line);
	}
	return 0;
}

/* {"op":"up", "file", "env", "apps":[...], "wait", "timeout_ms"}. */
void
sup_op_up(struct sup *s, struct conn *c, json_t *req)
{
	bool wait = json_is_true(json_object_get(req, "wait"));
	json_int_t timeout = json_integer_value(json_object_get(req,
							       "timeout_ms"));
	struct sup_job *job = NULL;
	json_t *done = json_array();
	struct derr e;

	if (wait)
		job = job_add(s, c, JOB_READY, now_ms() +
			      (timeout > 0 ? timeout : 60000));
	if (sup_apply_request(s, req, job, done, &e) < 0) {
		json_decref(done);
		if (job != NULL)
			job->conn = NULL;
		conn_reply(c, proto_error(3, "%s", e.msg));
		return;
	}
	if (job != NULL) {
		job->extra = json_pack("{s:o}", "apps", done);
		return;
	}
	conn_reply(c, json_pack("{s:b, s:o}", "ok", 1, "apps", done));
}

/* Split "app", "app:N" or "all". */
static int
parse_target(const char *t, char *name, size_t len, int *index)
{
	const char *colon = strrchr(t, ':');
	char *end;

	*index = -1;
	if (colon == NULL) {
		snprintf(name, len, "%s", t);
		return 0;
	}
	*index = (int)strtol(colon + 1, &end, 10);
	if (*end != '\0' || colon[1] == '\0' || *index < 0)
		return -1;
	snprintf(name, len, "%.*s", (int)(colon - t), t);
	return 0;
}

/* Do action to instance in; returns 1 when it did something. */
static int
act_on(struct sup_inst *in, const char *action)
{
	if (in->retiring || in->removing)
		return 0;
	if (strcmp(action, "start") == 0) {
		if (inst_has_process(in))
			return 0;
		restart_state_reset(&in->rs);
		inst_start(in);
	} else if (strcmp(action, "stop") == 0) {
		inst_stop(in);
	} else if (strcmp(action, "restart") == 0) {
		restart_state_reset(&in->rs);
		inst_restart(in);
	} else if (strcmp(action, "delete") == 0) {
		in->removing = true;
		inst_stop(in);
	}
	return 1;
}

/* What a finished action reply says. */
static const char *
action_done(const char *action)
{
	static const char *const names[][2] = {
		{ "start", "started" }, { "stop", "stopped" },
		{ "restart", "restarted" }, { "reload", "reloaded" },
		{ "delete", "deleted" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(names[i][0], action) == 0)
			return names[i][1];
	return action;
}

/* The job that answers an action once it has taken effect. */
static enum job_want
action_want(const char *action)
{
	if (strcmp(action, "reload") == 0)
		return JOB_RELOADED;
	if (strcmp(action, "stop") == 0 || strcmp(action, "delete") == 0)
		return JOB_STOPPED;
	return JOB_READY;
}

/* Apply action to one app (all instances or one). */
static int
action_app(struct sup_app *app, const char *action, int index, int parallel,
	   struct sup_job *job)
{
	int n = 0;

	if (strcmp(action, "reload") == 0) {
		if (app->reload == NULL)
			reload_begin(app, parallel);
		n = 1;
	} else {
		for (size_t i = 0; i < app->n_inst; i++)
			if (index < 0 || app->inst[i]->index == index)
				n += act_on(app->inst[i], action);
	}
	if (strcmp(action, "delete") == 0 && index < 0)
		app->removing = true;
	job_add_app(job, app->cfg->name);
	return n;
}

/* {"op": start|stop|restart|reload|delete, "target": T}. */
void
sup_op_action(struct sup *s, struct conn *c, json_t *req, const char *action)
{
	const char *target = json_string_value(json_object_get(req,
							       "target"));
	int parallel = (int)json_integer_value(json_object_get(req,
							       "parallel"));
	char name[256];
	struct sup_job *job;
	int index, found = 0;

	if (target == NULL || parse_target(target, name, sizeof name,
					   &index) < 0) {
		conn_reply(c, proto_error(2, "%s: expected APP, APP:N or "
					  "all", action));
		return;
	}
	if (index >= 0 && strcmp(action, "reload") == 0) {
		conn_reply(c, proto_error(2, "reload takes APP or all, not "
					  "one instance (use restart %s)",
					  target));
		return;
	}
	job = job_add(s, c, action_want(action), now_ms() + 120000);
	job->index = index;
	job->extra = json_pack("{s:s}", "done", action_done(action));
	for (size_t a = 0; a < s->n_apps; a++) {
		struct sup_app *app = s->apps[a];

		if (app->removing || (strcmp(name, "all") != 0 &&
				      strcmp(name, app->cfg->name) != 0))
			continue;
		found = 1;
		action_app(app, action, index, parallel > 0 ? parallel : 1,
			   job);
	}
	if (!found) {
		job->conn = NULL;
		conn_reply(c, proto_error(1, "no app '%s' (see 'deploy ls')",
					  name));
	}
}

/* {"op":"ls"}: every instance. */
void
sup_op_ls(struct sup *s, struct conn *c, json_t *req)
{
	json_t *list = json_array();

	(void)req;
	sup_watched(s);
	for (size_t a = 0; a < s->n_apps; a++) {
		const struct sup_app *app = s->apps[a];

		for (size_t i = 0; i < app->n_inst; i++)
			json_array_append_new(list,
					      inst_to_json(app->inst[i]));
	}
	conn_reply(c, json_pack("{s:b, s:{s:i, s:I, s:s}, s:o}", "ok", 1,
				"daemon", "pid", (int)getpid(), "started",
				(json_int_t)s->d->started_ms, "version",
				DEPLOY_VERSION, "instances", list));
}

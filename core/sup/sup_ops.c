/* sup_ops.c: the control requests that change or list apps */
#include "core/lib/exitcode.h"
#include "core/lib/strbuf.h"
#include "core/sup/sup_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

		if (in->retiring || in->removing || sup_inst_has_process(in) ||
		    in->state == WS_WAITING_RESTART)
			continue;
		restart_state_reset(&in->rs);
		sup_inst_start(in);
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
			sup_inst_stop(in);
			have--;
		}
	}
	for (int idx = have; idx < want; idx++) {
		struct sup_inst *in = sup_inst_new(app, idx);

		sup_app_add_instance(app, in);
		sup_inst_start(in);
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
		if (sup_app_listen_open(app, e) < 0) {
			app->listen_fd = old_fd;
			return NULL;
		}
		if (old_fd >= 0)
			close(old_fd);
	}
	scale(app);
	if (reload) {
		sup_reload_begin(app, 1);
		return "reloading with the new config";
	}
	return app->cfg->instances > old_n ? "scaled up" : "scaled down";
}

/* Apply one app of an "up" request; a JSON line about it or NULL. */
static json_t *
up_one(struct sup *s, json_t *raw, const char *file, const char *env,
       struct sup_job *job, struct derr *e)
{
	struct ecosystem *eco = sup_app_parse(raw, file, env, e);
	struct sup_app *app;
	const char *action;

	if (eco == NULL)
		return NULL;
	app = sup_app_find(s, eco->apps[0].name);
	if (app != NULL && app->removing) {
		ecosystem_free(eco);
		derr_set(e, "'%s' is being deleted; try again",
			 app->cfg->name);
		return NULL;
	}
	if (app == NULL) {
		app = sup_app_new(s, eco, raw, file, env);
		if (sup_app_listen_open(app, e) < 0) {
			sup_app_discard(s, app);	/* nothing of it ran */
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
		sup_job_add_app(job, app->cfg->name);
	/* ls --json's words: "app" for the name ("instances" is its
	   array of rows). */
	return json_pack("{s:s, s:s, s:i}", "app", app->cfg->name,
			 "action", action, "instance_count",
			 app->cfg->instances);
}

/*
 * Apply the apps of an "up" request ({"file", "env", "apps": [...]}):
 * each is added to job (may be NULL) and described in done (may be
 * NULL). An app that fails does not stop the others: -1 with e naming
 * every app that failed and why.
 */
int
sup_apply_request(struct sup *s, json_t *req, struct sup_job *job,
		  json_t *done, struct derr *e)
{
	const char *file = json_string_value(json_object_get(req, "file"));
	const char *env = json_string_value(json_object_get(req, "env"));
	json_t *apps = json_object_get(req, "apps"), *raw, *line;
	struct strbuf failed = STRBUF_INIT;
	struct derr one;
	size_t i;
	int rc = 0;

	if (file == NULL || !json_is_array(apps))
		return derr_set(e, "up: needs \"file\" and \"apps\"");
	json_array_foreach(apps, i, raw) {
		line = up_one(s, raw, file, env, job, &one);
		if (line == NULL) {
			const char *name = json_string_value(
				json_object_get(raw, "name"));

			strbuf_addf(&failed, "%s%s%s%s", failed.len ? "; " :
				    "", name ? name : "", name ? ": " : "",
				    one.msg);
			continue;
		}
		if (done != NULL)
			json_array_append(done, line);
		json_decref(line);
	}
	if (failed.len > 0)
		rc = derr_set(e, "%s", failed.buf);
	strbuf_release(&failed);
	return rc;
}

/* Slack on top of the time the apps' own settings allow an action. */
#define ACTION_SLACK_MS 10000

/* The actions: their names, the word of their reply, what they wait
   for. */
static const struct action_row {
	const char *name, *done;
	enum job_want want;
} action_rows[] = {
	[SUP_START] = { "start", "started", JOB_READY },
	[SUP_STOP] = { "stop", "stopped", JOB_STOPPED },
	[SUP_RESTART] = { "restart", "restarted", JOB_READY },
	[SUP_RELOAD] = { "reload", "reloaded", JOB_RELOADED },
	[SUP_DELETE] = { "delete", "deleted", JOB_STOPPED },
};

/* The action called name. */
int
sup_action_parse(const char *name, enum sup_action *out)
{
	for (size_t i = 0; name != NULL && i < ARRAY_SIZE(action_rows); i++)
		if (strcmp(action_rows[i].name, name) == 0) {
			*out = (enum sup_action)i;
			return 0;
		}
	return -1;
}

/* The longest an instance of app may take to count as ready. */
static long long
start_budget(const struct eco_app *cfg)
{
	return cfg->listen_timeout > cfg->min_uptime ? cfg->listen_timeout :
		cfg->min_uptime;
}

/* How long action a may take on app, from its kill_timeout,
   listen_timeout and instances, parallel at a time for a reload. */
static long long
action_budget(const struct sup_app *app, enum sup_action a, int parallel)
{
	const struct eco_app *cfg = app->cfg;
	long long stop = cfg->kill_timeout, start = start_budget(cfg);
	long long batches = (cfg->instances + parallel - 1) / parallel;

	switch (a) {
	case SUP_START: return start + SUP_SETTLE_MS;
	case SUP_STOP:
	case SUP_DELETE: return stop;
	case SUP_RESTART: return stop + start + SUP_SETTLE_MS;
	default: return (batches > 0 ? batches : 1) * (stop + start);
	}
}

/* Move j's deadline out to cover action a on app, unless the asker
   gave one. */
static void
job_cover_time(struct sup_job *j, const struct sup_app *app,
	       enum sup_action a, int parallel, long long timeout_ms)
{
	long long at = j->created + (timeout_ms > 0 ? timeout_ms :
		action_budget(app, a, parallel) + ACTION_SLACK_MS);

	if (j->deadline < 0 || at > j->deadline)
		j->deadline = at;
}

/* The settle window of app: SUP_SETTLE_MS, or min_uptime if smaller. */
static long long
settle_ms(const struct eco_app *cfg)
{
	return cfg->min_uptime < SUP_SETTLE_MS ? cfg->min_uptime :
		SUP_SETTLE_MS;
}

/* Answer r at once with an error; NULL, for sup_act and sup_up. */
static struct sup_job * __attribute__((format(printf, 3, 4)))
answer_error(struct sup_reply r, int code, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	r.done(r.arg, code, msg, NULL);
	free(msg);
	return NULL;
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

/* The live instance of app numbered index, or NULL. */
static struct sup_inst *
live_instance(const struct sup_app *app, int index)
{
	for (size_t i = 0; i < app->n_inst; i++)
		if (app->inst[i]->index == index && !app->inst[i]->retiring &&
		    !app->inst[i]->removing)
			return app->inst[i];
	return NULL;
}

/* Do action a to instance in, as the state table's event. */
static void
act_on(struct sup_inst *in, enum sup_action a)
{
	if (in->retiring || in->removing)
		return;
	switch (a) {
	case SUP_START:
		if (sup_inst_has_process(in))
			return;
		restart_state_reset(&in->rs);
		sup_inst_start(in);
		break;
	case SUP_STOP:
		sup_inst_stop(in);
		break;
	case SUP_RESTART:
		restart_state_reset(&in->rs);
		sup_inst_restart(in);
		break;
	case SUP_DELETE:
		in->removing = true;
		sup_inst_stop(in);
		break;
	case SUP_RELOAD:
		break;
	}
}

/* Apply action a to one app (all instances or one). */
static void
action_app(struct sup_app *app, enum sup_action a, int index, int parallel,
	   struct sup_job *job)
{
	if (a == SUP_RELOAD) {
		if (app->reload == NULL)
			sup_reload_begin(app, parallel);
	} else {
		for (size_t i = 0; i < app->n_inst; i++)
			if (index < 0 || app->inst[i]->index == index)
				act_on(app->inst[i], a);
	}
	if (a == SUP_DELETE && index < 0)
		app->removing = true;
	sup_job_add_app(job, app->cfg->name);
}

/* True when app is named by name ("all" names every app). */
static bool
app_named(const struct sup_app *app, const char *name)
{
	return !app->removing && (strcmp(name, "all") == 0 ||
				  strcmp(name, app->cfg->name) == 0);
}

/* Check that target names something: 0, or -1 with r answered. */
static int
check_target(struct sup *s, const char *name, int index, struct sup_reply r)
{
	bool app = false;

	for (size_t a = 0; a < s->n_apps; a++) {
		if (!app_named(s->apps[a], name))
			continue;
		app = true;
		if (index < 0 || live_instance(s->apps[a], index) != NULL)
			return 0;
	}
	if (!app)
		answer_error(r, EXIT_FAIL, "no app '%s' (see 'deploy ls')",
			     name);
	else
		answer_error(r, EXIT_FAIL, "no instance %d of '%s' (see "
			     "'deploy ls %s')", index, name, name);
	return -1;
}

/* Do action a to target. */
struct sup_job *
sup_act(struct sup *s, enum sup_action a, const char *target, int parallel,
	long long timeout_ms, struct sup_reply r)
{
	const struct action_row *row = &action_rows[a];
	char name[256];
	struct sup_job *job;
	int index;

	if (target == NULL || parse_target(target, name, sizeof name,
					   &index) < 0)
		return answer_error(r, EXIT_USAGE, "%s: expected APP, APP:N "
				    "or all", row->name);
	if (index >= 0 && a == SUP_RELOAD)
		return answer_error(r, EXIT_USAGE, "reload takes APP or all, "
				    "not one instance (use restart %s)",
				    target);
	if (check_target(s, name, index, r) < 0)
		return NULL;
	if (parallel < 1)
		parallel = 1;
	job = sup_job_add(s, r, row->want, -1);
	job->index = index;
	job->extra = json_pack("{s:s}", "done", row->done);
	for (size_t i = 0; i < s->n_apps; i++) {
		struct sup_app *app = s->apps[i];

		if (!app_named(app, name))
			continue;
		job_cover_time(job, app, a, parallel, timeout_ms);
		action_app(app, a, index, parallel, job);
	}
	return job;
}

/* The instances of the apps named in lines ({"app"}) that could not be
   started since t0, as one message (a new string), or NULL. */
static char *
start_failures(struct sup *s, json_t *lines, long long t0)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *line;
	size_t k;

	json_array_foreach(lines, k, line) {
		struct sup_app *app = sup_app_find(s, json_string_value(
			json_object_get(line, "app")));

		for (size_t i = 0; app != NULL && i < app->n_inst; i++) {
			struct sup_inst *in = app->inst[i];

			if (in->state != WS_ERRORED || in->failed_at < t0)
				continue;
			strbuf_addf(&sb, "%s%s:%d: %s", sb.len ? "; " : "",
				    app->cfg->name, in->index,
				    in->reason ? in->reason : "errored");
		}
	}
	if (sb.len == 0) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb);
}

/* Make the apps of req run. */
struct sup_job *
sup_up(struct sup *s, json_t *req, bool wait, long long timeout_ms,
       struct sup_reply r)
{
	long long t0 = now_ms();
	struct sup_job *job = wait ? sup_job_add(s, r, JOB_READY, -1) : NULL;
	json_t *done = json_array(), *extra;
	struct derr e;
	char *failed;

	if (sup_apply_request(s, req, job, done, &e) < 0) {
		json_decref(done);
		if (job != NULL) {
			job->reply = (struct sup_reply){ 0 };
			job->deadline = t0;
		}
		return answer_error(r, EXIT_CONFIG, "%s", e.msg);
	}
	extra = json_pack("{s:o}", "apps", done);
	if (job != NULL) {
		for (char **name = job->apps; *name != NULL; name++) {
			struct sup_app *app = sup_app_find(s, *name);

			job_cover_time(job, app, SUP_RELOAD, 1, timeout_ms);
			if (settle_ms(app->cfg) > job->settle_ms)
				job->settle_ms = settle_ms(app->cfg);
		}
		job->extra = extra;
		return job;
	}
	failed = start_failures(s, done, t0);
	if (failed != NULL)
		r.done(r.arg, EXIT_FAIL, failed, NULL);
	else
		r.done(r.arg, EXIT_OK, NULL, extra);
	free(failed);
	json_decref(extra);
	return NULL;
}

/* Every instance as an "ls" row. */
json_t *
sup_list(struct sup *s)
{
	json_t *list = json_array();

	sup_watched(s);
	for (size_t a = 0; a < s->n_apps; a++) {
		const struct sup_app *app = s->apps[a];

		for (size_t i = 0; i < app->n_inst; i++)
			json_array_append_new(list,
					      sup_inst_to_json(app->inst[i]));
	}
	return list;
}

size_t
sup_app_count(const struct sup *s)
{
	return s->n_apps;
}

/* Set the restart counts of target back to 0. */
void
sup_reset(struct sup *s, const char *target, struct sup_reply r)
{
	char name[256];
	int index, n = 0;
	json_t *extra;

	if (target == NULL || parse_target(target, name, sizeof name,
					   &index) < 0) {
		answer_error(r, EXIT_USAGE, "reset: expected APP, APP:N or "
			     "all");
		return;
	}
	if (check_target(s, name, index, r) < 0)
		return;
	for (size_t a = 0; a < s->n_apps; a++)
		for (size_t i = 0; app_named(s->apps[a], name) &&
		     i < s->apps[a]->n_inst; i++)
			if (index < 0 || s->apps[a]->inst[i]->index == index) {
				s->apps[a]->inst[i]->rs.restarts = 0;
				n++;
			}
	extra = json_pack("{s:i}", "instance_count", n);
	r.done(r.arg, EXIT_OK, NULL, extra);
	json_decref(extra);
}

/* sup_job.c: deferred replies, sent when instances reach a state */
#include "daemon.h"
#include "proto.h"
#include "sup_int.h"

#include <stdlib.h>
#include <string.h>

/* A job that replies on c when its apps reach want, or at deadline. */
struct sup_job *
job_add(struct sup *s, struct conn *c, enum job_want want, long long deadline)
{
	struct sup_job *j = xcalloc(1, sizeof *j);

	j->conn = c;
	j->want = want;
	j->index = -1;
	j->deadline = deadline;
	j->apps = xcalloc(1, sizeof *j->apps);
	if (c != NULL)
		c->waiting = true;
	ARRAY_GROW(s->jobs, s->cap_jobs, s->n_jobs + 1);
	s->jobs[s->n_jobs++] = j;
	return j;
}

/* Cover one more app. */
void
job_add_app(struct sup_job *j, const char *name)
{
	j->apps = strv_push(j->apps, name);
}

/* Free a job. */
void
job_free(struct sup_job *j)
{
	if (j == NULL)
		return;
	strv_free(j->apps);
	json_decref(j->extra);
	free(j);
}

/* True when the job covers instance in. */
static bool
job_covers(const struct sup_job *j, const struct sup_inst *in)
{
	return !in->retiring && (j->index < 0 || j->index == in->index);
}

/* For JOB_READY: 1 all ready, 0 not yet, -1 failed (reply in *err). */
static int
app_ready(const struct sup_job *j, const struct sup_app *app, json_t **err)
{
	if (app->reload != NULL)
		return 0;
	if (app->reload_error != NULL) {
		*err = proto_error(5, "%s", app->reload_error);
		return -1;
	}
	for (size_t i = 0; i < app->n_inst; i++) {
		const struct sup_inst *in = app->inst[i];

		if (!job_covers(j, in))
			continue;
		if (in->state == WS_ERRORED || in->ready_failed) {
			*err = proto_error(5, "%s:%d is %s: %s",
					   app->cfg->name, in->index,
					   in->ready_failed ? "not ready" :
					   wstate_name(in->state),
					   in->reason ? in->reason : "unknown");
			return -1;
		}
		if (in->state != WS_ONLINE)
			return 0;
	}
	return 1;
}

/* For JOB_STOPPED: 1 when no covered instance has a process. */
static int
app_stopped(const struct sup_job *j, const struct sup_app *app)
{
	for (size_t i = 0; i < app->n_inst; i++)
		if (job_covers(j, app->inst[i]) &&
		    (inst_has_process(app->inst[i]) ||
		     app->inst[i]->state == WS_STOPPING ||
		     inst_group_lingers(app->inst[i])))
			return 0;
	return 1;
}

/* For JOB_RELOADED: 1 done, 0 not yet, -1 failed. */
static int
app_reloaded(const struct sup_app *app, json_t **err)
{
	if (app->reload != NULL)
		return 0;
	if (app->reload_error != NULL) {
		*err = proto_error(5, "%s", app->reload_error);
		return -1;
	}
	return 1;
}

/* 1 when the job is satisfied, 0 not yet, -1 failed (*err set). */
static int
job_state(struct sup *s, const struct sup_job *j, json_t **err)
{
	int all = 1;

	for (char **name = j->apps; *name != NULL; name++) {
		struct sup_app *app = app_find(s, *name);
		int r;

		if (app == NULL)
			continue;	/* deleted: nothing to wait for */
		switch (j->want) {
		case JOB_READY: r = app_ready(j, app, err); break;
		case JOB_STOPPED: r = app_stopped(j, app); break;
		default: r = app_reloaded(app, err); break;
		}
		if (r < 0)
			return -1;
		if (r == 0)
			all = 0;
	}
	return all;
}

/* The message for a job whose deadline passed. */
static json_t *
job_timeout(struct sup *s, const struct sup_job *j)
{
	for (char **name = j->apps; *name != NULL; name++) {
		struct sup_app *app = app_find(s, *name);

		for (size_t i = 0; app != NULL && i < app->n_inst; i++) {
			struct sup_inst *in = app->inst[i];

			if (job_covers(j, in) && in->state != WS_ONLINE)
				return proto_error(5, "%s:%d not ready in "
					"time (%s%s%s)", app->cfg->name,
					in->index, wstate_name(in->state),
					in->reason ? ": " : "",
					in->reason ? in->reason : "");
		}
	}
	return proto_error(5, "timed out");
}

/* Reply to and drop every job that is finished. */
void
jobs_check(struct sup *s)
{
	size_t out = 0;
	long long now = now_ms();

	for (size_t i = 0; i < s->n_jobs; i++) {
		struct sup_job *j = s->jobs[i];
		json_t *reply = NULL;
		int st = job_state(s, j, &reply);

		if (st == 0 && j->deadline >= 0 && now >= j->deadline) {
			reply = job_timeout(s, j);
			st = -1;
		}
		if (st == 0) {
			s->jobs[out++] = j;
			continue;
		}
		if (st > 0) {
			reply = proto_ok();
			if (j->extra != NULL)
				json_object_update(reply, j->extra);
		}
		conn_reply(j->conn, reply);
		job_free(j);
	}
	s->n_jobs = out;
}

/* Forget the connection c in every job (it closed). */
void
sup_forget_conn(struct sup *s, struct conn *c)
{
	for (size_t i = 0; i < s->n_jobs; i++)
		if (s->jobs[i]->conn == c)
			s->jobs[i]->conn = NULL;
}

/* sup_job.c: requests under way, answered when instances reach a state */
#include "core/lib/exitcode.h"
#include "core/lib/strbuf.h"
#include "core/sup/sup_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A job answered through r when its apps reach want, or at deadline. */
struct sup_job *
sup_job_add(struct sup *s, struct sup_reply r, enum job_want want,
	long long deadline)
{
	struct sup_job *j = xcalloc(1, sizeof *j);

	j->reply = r;
	j->want = want;
	j->index = -1;
	j->created = now_ms();
	j->deadline = deadline;
	j->settled_at = -1;
	j->apps = xcalloc(1, sizeof *j->apps);
	j->reported = xcalloc(1, sizeof *j->reported);
	ARRAY_GROW(s->jobs, s->cap_jobs, s->n_jobs + 1);
	s->jobs[s->n_jobs++] = j;
	return j;
}

/* Cover one more app. */
void
sup_job_add_app(struct sup_job *j, const char *name)
{
	j->apps = strv_push(j->apps, name);
}

/* Free a job. */
void
sup_job_free(struct sup_job *j)
{
	if (j == NULL)
		return;
	strv_free(j->apps);
	strv_free(j->reported);
	json_decref(j->extra);
	free(j);
}

/* The asker left: answer nobody, let the work go on. */
void
sup_job_abandon(struct sup *s, struct sup_job *j)
{
	for (size_t i = 0; i < s->n_jobs; i++)
		if (s->jobs[i] == j)
			j->reply = (struct sup_reply){ 0 };
}

/* True when the job covers instance in. */
static bool
job_covers(const struct sup_job *j, const struct sup_inst *in)
{
	return !in->retiring && (j->index < 0 || j->index == in->index);
}

/* A failure message in *err (a new string); returns -1. */
static int __attribute__((format(printf, 2, 3)))
job_fail(char **err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	*err = xvasprintf(fmt, ap);
	va_end(ap);
	return -1;
}

/* Why the instance is not what the job waits for, with the last line
   it wrote to stderr; a new string. */
static char *
inst_why(const struct sup_inst *in)
{
	const char *last = sup_logs_last_err(in);

	return xasprintf("%s%s%s%s", in->reason != NULL ? in->reason :
			 "no reason known", last != NULL && *last ?
			 " (last stderr: \"" : "", last != NULL && *last ?
			 last : "", last != NULL && *last ? "\")" : "");
}

/* For JOB_READY, one instance: 1 ready, 0 not yet, -1 failed. */
static int
inst_ready(const struct sup_job *j, const struct sup_inst *in, char **err)
{
	const char *name = in->app->cfg->name, *what;
	char *why;

	if (in->crashed_at >= j->created)
		what = "crashed";
	else if (in->state == WS_ERRORED)
		what = "is errored";
	else if (in->ready_failed && in->failed_at >= j->created)
		what = "is not ready";
	else
		return in->state == WS_ONLINE && !in->ready_failed;
	why = inst_why(in);
	job_fail(err, "%s:%d %s: %s", name, in->index, what, why);
	free(why);
	return -1;
}

/* For JOB_READY: 1 all ready, 0 not yet, -1 failed (*err set). */
static int
app_ready(const struct sup_job *j, const struct sup_app *app, char **err)
{
	int all = 1;

	if (app->reload != NULL)
		return 0;
	if (app->reload_error != NULL && app->reload_ended >= j->created)
		return job_fail(err, "%s", app->reload_error);
	for (size_t i = 0; i < app->n_inst; i++) {
		int r;

		if (!job_covers(j, app->inst[i]))
			continue;
		r = inst_ready(j, app->inst[i], err);
		if (r < 0)
			return -1;
		all = all && r;
	}
	return all;
}

/* For JOB_STOPPED: 1 when no covered instance has a process. */
static int
app_stopped(const struct sup_job *j, const struct sup_app *app)
{
	for (size_t i = 0; i < app->n_inst; i++)
		if (job_covers(j, app->inst[i]) &&
		    (sup_inst_has_process(app->inst[i]) ||
		     app->inst[i]->state == WS_STOPPING ||
		     sup_inst_group_lingers(app->inst[i])))
			return 0;
	return 1;
}

/* For JOB_RELOADED: 1 done, 0 not yet, -1 failed. */
static int
app_reloaded(const struct sup_job *j, const struct sup_app *app, char **err)
{
	if (app->reload != NULL)
		return 0;
	if (app->reload_error != NULL && app->reload_ended >= j->created)
		return job_fail(err, "%s", app->reload_error);
	return 1;
}

/* 1 when every app is where the job wants it, 0 not yet, -1 failed. */
static int
job_reached(struct sup *s, const struct sup_job *j, char **err)
{
	int all = 1;

	for (char **name = j->apps; *name != NULL; name++) {
		struct sup_app *app = sup_app_find(s, *name);
		int r;

		if (app == NULL)
			continue;	/* deleted: nothing to wait for */
		switch (j->want) {
		case JOB_READY: r = app_ready(j, app, err); break;
		case JOB_STOPPED: r = app_stopped(j, app); break;
		default: r = app_reloaded(j, app, err); break;
		}
		if (r < 0)
			return -1;
		all = all && r;
	}
	return all;
}

/* With every instance ready, the job still watches them for its settle
   window: 1 when that has passed, 0 while it runs. */
static int
job_settled(struct sup_job *j, int reached, long long now)
{
	if (reached <= 0 || j->want != JOB_READY) {
		j->settled_at = -1;
		return reached;
	}
	if (j->settled_at < 0)
		j->settled_at = now;
	return now >= j->settled_at + j->settle_ms;
}

/* The moment the job must be looked at again without any event. */
long long
sup_job_wakeup(const struct sup_job *j)
{
	long long at = j->deadline;

	if (j->settled_at >= 0 && (at < 0 || j->settled_at + j->settle_ms <
				   at))
		at = j->settled_at + j->settle_ms;
	return at;
}

/* The message for a job whose deadline passed (a new string). */
static char *
job_timeout(struct sup *s, const struct sup_job *j)
{
	long long secs = (j->deadline - j->created + 999) / 1000;

	for (char **name = j->apps; *name != NULL; name++) {
		struct sup_app *app = sup_app_find(s, *name);

		for (size_t i = 0; app != NULL && i < app->n_inst; i++) {
			struct sup_inst *in = app->inst[i];
			bool there = j->want == JOB_STOPPED ?
				!sup_inst_has_process(in) :
				in->state == WS_ONLINE;

			if (job_covers(j, in) && !there)
				return xasprintf("%s:%d not %s within %lld s "
					"(%s%s%s)", app->cfg->name, in->index,
					j->want == JOB_STOPPED ? "stopped" :
					"ready", secs, wstate_name(in->state),
					in->reason ? ": " : "",
					in->reason ? in->reason : "");
		}
	}
	return xasprintf("not done within %lld s", secs);
}

/* True when the job has told of key already; remembers it if not. */
static bool
reported(struct sup_job *j, const char *key)
{
	for (char **k = j->reported; *k != NULL; k++)
		if (strcmp(*k, key) == 0)
			return true;
	j->reported = strv_push(j->reported, key);
	return false;
}

/* Tell the asker of each covered instance that came up (or went down)
   since the job began, once. */
static void
job_progress(struct sup *s, struct sup_job *j, long long now)
{
	for (char **name = j->apps; *name != NULL; name++) {
		struct sup_app *app = sup_app_find(s, *name);

		for (size_t i = 0; app != NULL && i < app->n_inst; i++) {
			struct sup_inst *in = app->inst[i];
			bool down = j->want == JOB_STOPPED;
			const char *what = down ? "stopped" : "ready";
			char key[300];
			json_t *ev;

			if (!job_covers(j, in) || (down ?
			    sup_inst_has_process(in)
			    : in->state != WS_ONLINE || in->ready_failed ||
			    in->started_mono < j->created))
				continue;
			snprintf(key, sizeof key, "%s:%d:%d", *name,
				 in->index, (int)in->pid);
			if (reported(j, key))
				continue;
			ev = json_pack("{s:s, s:s, s:i, s:i, s:I}", "event",
				       what, "app", *name, "instance",
				       in->index, "pid", (int)in->pid, "ms",
				       (json_int_t)(now - j->created));
			if (!down && in->ready_by != NULL)
				json_object_set_new(ev, "ready_by",
					json_string(in->ready_by));
			j->reply.event(j->reply.arg, ev);
			json_decref(ev);
		}
	}
}

/* Answer and drop every job that is finished. */
void
sup_jobs_check(struct sup *s)
{
	size_t out = 0;
	long long now = now_ms();

	for (size_t i = 0; i < s->n_jobs; i++) {
		struct sup_job *j = s->jobs[i];
		char *err = NULL;
		int code = EXIT_NOT_READY;
		int st = job_settled(j, job_reached(s, j, &err), now);

		if (j->reply.event != NULL && st >= 0)
			job_progress(s, j, now);
		if (st == 0 && j->deadline >= 0 && now >= j->deadline) {
			err = job_timeout(s, j);
			st = -1;
		}
		if (st == 0) {
			s->jobs[out++] = j;
			continue;
		}
		if (st > 0)
			code = EXIT_OK;
		if (j->reply.done != NULL)
			j->reply.done(j->reply.arg, code, err, j->extra);
		free(err);
		sup_job_free(j);
	}
	s->n_jobs = out;
}

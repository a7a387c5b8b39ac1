/* sup_run.c: run.json (what runs now) and re-adoption from it */
#include "core/lib/fileio.h"
#include "core/lib/holder.h"
#include "core/lib/paths.h"
#include "core/lib/procinfo.h"
#include "core/probe/nodeipc.h"
#include "core/sup/sup_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * run.json records every app the daemon supervises (its file, --env and
 * object, as state.json does) and every instance: index, pid, the
 * process's start time (/proc/PID/stat field 22, which tells a reused
 * pid), state and restarts. It is rewritten (temp file and rename, no
 * fsync: it must survive the daemon, not the machine) after every loop
 * turn that changed any of it, and removed by a clean shutdown.
 */
#define RUN_FORMAT 1

/* $home/run.json. */
static char *
run_path(const struct sup *s)
{
	return xasprintf("%s/run.json", s->home);
}

/* One instance as recorded in run.json. */
static json_t *
inst_record(const struct sup_inst *in)
{
	json_t *o = json_pack("{s:i, s:i, s:s, s:i, s:b, s:b, s:b}",
		"index", in->index, "pid", (int)in->pid, "state",
		wstate_name(in->state), "restarts", in->rs.restarts,
		"ready_failed", in->ready_failed, "retiring", in->retiring,
		"removing", in->removing);

	if (in->pid > 0) {
		json_object_set_new(o, "start", json_integer(
			(json_int_t)proc_start_time(in->pid)));
		json_object_set_new(o, "started_wall", json_integer(
			in->started_wall));
	}
	if (in->reason != NULL)
		json_object_set_new(o, "reason", json_string(in->reason));
	if (in->ready_by != NULL)
		json_object_set_new(o, "ready_by", json_string(in->ready_by));
	json_object_set_new(o, "serial", json_integer(
		(json_int_t)in->serial));
	return o;
}

/* Write run.json now. */
void
sup_run_save(struct sup *s)
{
	json_t *apps = json_array(), *doc;
	struct derr e;
	char *path, *text;

	s->run_dirty = false;
	for (size_t a = 0; a < s->n_apps; a++) {
		const struct sup_app *app = s->apps[a];
		json_t *insts = json_array();

		for (size_t i = 0; i < app->n_inst; i++)
			json_array_append_new(insts,
					      inst_record(app->inst[i]));
		json_array_append_new(apps, json_pack("{s:s, s:s?, s:O, s:b, "
			"s:o}", "file", app->file, "env", app->env_name, "app",
			app->raw, "removing", app->removing, "instances",
			insts));
	}
	doc = json_pack("{s:i, s:i, s:o}", "format", RUN_FORMAT, "daemon",
			(int)getpid(), "apps", apps);
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	path = run_path(s);
	if (write_file_replace(path, text, strlen(text), 0600, &e) < 0)
		dlog("%s", e.msg);
	free(path);
	free(text);
}

/* Write run.json now. */
void
sup_persist(struct sup *s)
{
	sup_run_save(s);
}

/* The fds the holder gave back, by tag. */
struct taken {
	char **tags;
	int *fds;
	size_t n;
};

/* holder_take callback: keep tag's fd. */
static void
take_one(void *arg, const char *tag, int fd)
{
	struct taken *t = arg;

	t->tags = xrealloc(t->tags, (t->n + 1) * sizeof *t->tags);
	t->fds = xrealloc(t->fds, (t->n + 1) * sizeof *t->fds);
	t->tags[t->n] = xstrdup(tag);
	t->fds[t->n++] = fd;
}

/* Claim tag's fd from t (the caller owns it); -1 when not there. */
static int
claim(struct taken *t, const char *tag)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->fds[i] >= 0 && strcmp(t->tags[i], tag) == 0) {
			int fd = t->fds[i];

			t->fds[i] = -1;
			return fd;
		}
	}
	return -1;
}

/* Close what nobody claimed, tell the holder to drop it, free t. */
static void
taken_free(struct sup *s, struct taken *t)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->fds[i] >= 0) {
			close(t->fds[i]);
			holder_drop(s->holder, t->tags[i]);
		}
		free(t->tags[i]);
	}
	free(t->tags);
	free(t->fds);
}

/* Watch pid's exit through a pidfd when it is not our child. */
static int
open_pidfd(pid_t pid)
{
	if (proc_parent(pid) == getpid())
		return -1;	/* ours (an exec'd daemon): waitpid sees it */
	return proc_pidfd(pid);
}

/* Adopt the live process of a recorded instance. */
static void
adopt(struct sup_inst *in, json_t *rec, struct taken *t)
{
	long long wall = json_integer_value(json_object_get(rec,
							    "started_wall"));
	const char *state = json_string_value(json_object_get(rec, "state"));
	char tag[64];
	struct derr e;
	int ipc;

	in->pid = (pid_t)json_integer_value(json_object_get(rec, "pid"));
	in->started_wall = wall;
	in->started_mono = now_ms() - (wall_ms() - wall);
	in->ready_failed = json_is_true(json_object_get(rec,
							"ready_failed"));
	in->ready_by = sup_ready_by_find(json_string_value(json_object_get(rec,
							"ready_by")));
	in->pidfd = open_pidfd(in->pid);
	in->foreign = in->pidfd >= 0;
	sup_pipe_tag(tag, sizeof tag, in->pid, false);
	in->out_fd = claim(t, tag);
	sup_pipe_tag(tag, sizeof tag, in->pid, true);
	in->err_fd = claim(t, tag);
	sup_ipc_tag(tag, sizeof tag, in->pid);
	ipc = claim(t, tag);
	if (ipc >= 0)
		in->ipc = nodeipc_new(ipc);
	in->pipe_pid = in->pid;
	if (sup_logs_attach(in->app->s, in, &e) < 0)
		dlog("%s:%d: %s", in->app->cfg->name, in->index, e.msg);
	in->state = WS_ONLINE;
	if (state != NULL && strcmp(state, "starting") == 0) {
		in->state = WS_STARTING;
		sup_ready_begin(in, in->started_mono);
	}
	dlog("%s:%d: adopted pid %d%s", in->app->cfg->name, in->index,
		(int)in->pid, in->out_fd < 0 ? " (its output is lost: the "
		"fd holder had no pipe for it)" : "");
	if (state != NULL && (strcmp(state, "stopping") == 0 ||
			      in->retiring || in->removing))
		sup_inst_stop(in);
	else if (state != NULL && strcmp(state, "restarting") == 0)
		sup_inst_restart(in);
}

/* True when the recorded process is alive and is the one recorded. */
static bool
still_alive(json_t *rec)
{
	json_int_t pid = json_integer_value(json_object_get(rec, "pid"));
	json_int_t start = json_integer_value(json_object_get(rec, "start"));

	return pid > 0 && start > 0 &&
		proc_start_time((pid_t)pid) == (unsigned long long)start;
}

/* Bring back one instance from its record. */
static void
restore_inst(struct sup_app *app, json_t *rec, struct taken *t)
{
	int index = (int)json_integer_value(json_object_get(rec, "index"));
	const char *state = json_string_value(json_object_get(rec, "state"));
	const char *reason = json_string_value(json_object_get(rec,
							       "reason"));
	struct sup_inst *in = NULL;

	for (size_t i = 0; i < app->n_inst && in == NULL; i++)
		if (app->inst[i]->index == index &&
		    app->inst[i]->pid == 0 && !app->inst[i]->retiring)
			in = app->inst[i];
	if (in == NULL) {
		in = sup_inst_new(app, index);
		sup_app_add_instance(app, in);
	}
	in->rs.restarts = (int)json_integer_value(json_object_get(rec,
								  "restarts"));
	if (json_integer_value(json_object_get(rec, "serial")) > 0)
		in->serial = (unsigned long long)json_integer_value(
			json_object_get(rec, "serial"));
	in->retiring = json_is_true(json_object_get(rec, "retiring"));
	in->removing = json_is_true(json_object_get(rec, "removing")) ||
		app->removing;
	if (reason != NULL)
		sup_inst_set_reason(in, "%s", reason);
	if (still_alive(rec)) {
		adopt(in, rec, t);
	} else if (state != NULL && strcmp(state, "errored") == 0) {
		in->state = WS_ERRORED;
	} else if (state != NULL && strcmp(state, "stopped") != 0 &&
		   !in->retiring && !in->removing) {
		in->rs.restarts++;
		sup_inst_set_reason(in, "its process was gone when the daemon "
				"came back");
		dlog("%s:%d: %s; starting it", app->cfg->name, index,
			in->reason);
		sup_inst_start(in);
	}
}

/* True when a should serve rather than b, both of one index: the one
   online (ready) before one still starting, else the newer. */
static bool
keep_rather(const struct sup_inst *a, const struct sup_inst *b)
{
	if ((a->state == WS_ONLINE) != (b->state == WS_ONLINE))
		return a->state == WS_ONLINE;
	return a->serial > b->serial;
}

/*
 * A daemon that died in the middle of a listen-mode reload leaves two
 * live processes for one index: the old one and its replacement. Keep
 * one (keep_rather) and stop the other, so the app never runs more
 * instances than it has; the reload, asked again, replaces what is
 * left.
 */
static void
retire_doubles(struct sup_app *app)
{
	for (size_t i = 0; i < app->n_inst; i++) {
		struct sup_inst *a = app->inst[i];

		for (size_t j = i + 1; j < app->n_inst; j++) {
			struct sup_inst *b = app->inst[j], *drop;

			if (a->index != b->index || a->retiring ||
			    b->retiring || a->removing || b->removing ||
			    !sup_inst_has_process(a) ||
			    !sup_inst_has_process(b))
				continue;
			drop = keep_rather(a, b) ? b : a;
			dlog("%s:%d: two processes after a reload the daemon "
			     "did not finish: pid %d goes", app->cfg->name,
			     drop->index, (int)drop->pid);
			drop->retiring = true;
			sup_inst_stop(drop);
		}
	}
}

/* Bring back one app and its instances. */
static void
restore_app(struct sup *s, json_t *rec, struct taken *t)
{
	const char *file = json_string_value(json_object_get(rec, "file"));
	const char *env = json_string_value(json_object_get(rec, "env"));
	struct sup_app *app;
	json_t *irec;
	struct derr e;
	char tag[300];
	size_t i;

	if (file == NULL)
		return;
	app = sup_app_from_raw(s, json_object_get(rec, "app"), file, env, &e);
	if (app == NULL) {
		dlog("run.json: %s", e.msg);
		return;
	}
	app->removing = json_is_true(json_object_get(rec, "removing"));
	sup_listen_tag(tag, sizeof tag, app);
	app->listen_fd = claim(t, tag);
	if (app->listen_fd < 0 && sup_app_listen_open(app, &e) < 0)
		dlog("%s: %s", app->cfg->name, e.msg);
	json_array_foreach(json_object_get(rec, "instances"), i, irec)
		restore_inst(app, irec, t);
	retire_doubles(app);
}

/* Read run.json. */
int
sup_restore(struct sup *s, struct derr *e)
{
	struct taken t = { 0 };
	bool missing;
	/* It names pids to adopt and signal: only from a file of ours. */
	json_t *doc = deploy_home_json(s->home, "run.json", &missing, e), *rec;
	size_t i;

	if (doc == NULL)
		return missing ? 0 : -1;
	if (s->holder != NULL && holder_take(s->holder, take_one, &t, e) < 0)
		dlog("%s: the workers' output pipes are lost", e->msg);
	json_array_foreach(json_object_get(doc, "apps"), i, rec)
		restore_app(s, rec, &t);
	taken_free(s, &t);
	json_decref(doc);
	s->run_dirty = true;
	return 0;
}

/* After a clean shutdown: no run.json, no holder. */
void
sup_retire(struct sup *s)
{
	char *path = run_path(s);

	unlink(path);
	free(path);
	holder_quit(s->holder);
	sup_holder_off(s);
}

/* remote_steps.c: each operation as a table of steps, and recovery */
#include "remote_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A step: what it does; 0 or -1 with h->err filled. */
struct step {
	const char *name;
	int (*run)(struct rhost *h);
	bool switches;		/* from here on a failure must switch back */
	bool optional;		/* skipped, not failed, when interrupted */
};

/* setup: the pre-setup hook, in the home directory. */
static int
step_pre_setup(struct rhost *h)
{
	return rhost_hook(h, "pre-setup", h->plan->t->pre_setup, NULL, NULL);
}

/* setup: directories and the repository mirror. */
static int
step_layout(struct rhost *h)
{
	if (rhost_script(h, rscript_setup(h->plan->t), NULL) < 0)
		return -1;
	rhost_say(h, "ready: %s", h->plan->t->path);
	return 0;
}

/* setup: the post-setup hook, in path. */
static int
step_post_setup(struct rhost *h)
{
	return rhost_hook(h, "post-setup", h->plan->t->post_setup,
			  h->plan->t->path, NULL);
}

/* rollback: choose the release to go back to. */
static int
step_pick(struct rhost *h)
{
	h->release = remote_rollback_pick(&h->list, h->plan->o->steps,
					  &h->err);
	if (h->release == NULL)
		return -1;
	rhost_say(h, "rolling back from %s to %s", h->previous, h->release);
	return 0;
}

/* exec: the command in current, its exit status kept. */
static int
step_exec(struct rhost *h)
{
	char *dir = xasprintf("%s/current", h->plan->t->path);
	int rc = rhost_hook(h, NULL, h->plan->o->command, dir,
			    &h->rep->exit_status);

	free(dir);
	return rc;
}

static const struct step setup_steps[] = {
	{ "connect", rstep_connect, false, false },
	{ "pre-setup", step_pre_setup, false, false },
	{ "setup", step_layout, false, false },
	{ "post-setup", step_post_setup, false, false },
	{ NULL, NULL, false, false },
};

/* Each step is one round trip (code: two in git mode, fetch and
 * extract; upload mode: SFTP and extract). */
static const struct step deploy_steps[] = {
	{ "connect", rstep_connect, false, false },
	{ "lock", rstep_lock, false, false },
	{ "code", rstep_code, false, false },
	{ "pre-deploy", rstep_pre_deploy, false, false },
	{ "switch", rstep_switch, true, false },
	{ "post-deploy", rstep_post_deploy, true, false },
	{ "health", rstep_health, true, false },
	{ "prune", rstep_prune, false, true },
	{ NULL, NULL, false, false },
};

static const struct step rollback_steps[] = {
	{ "connect", rstep_connect, false, false },
	{ "lock", rstep_lock, false, false },
	{ "pick", step_pick, false, false },
	{ "switch", rstep_switch, true, false },
	{ "post-deploy", rstep_post_deploy, true, false },
	{ "health", rstep_health, true, false },
	{ NULL, NULL, false, false },
};

static const struct step releases_steps[] = {
	{ "connect", rstep_connect, false, false },
	{ "inspect", rstep_inspect, false, false },
	{ NULL, NULL, false, false },
};

static const struct step exec_steps[] = {
	{ "connect", rstep_connect, false, false },
	{ "exec", step_exec, false, false },
	{ NULL, NULL, false, false },
};

static const struct step *const op_steps[] = {
	[REMOTE_SETUP] = setup_steps,
	[REMOTE_DEPLOY] = deploy_steps,
	[REMOTE_ROLLBACK] = rollback_steps,
	[REMOTE_RELEASES] = releases_steps,
	[REMOTE_EXEC] = exec_steps,
};

/* Add "; note" to the report's error. */
static void
add_to_error(struct rhost *h, const char *note)
{
	char *old = h->rep->error;

	h->rep->error = xasprintf("%s; %s", old ? old : "", note);
	free(old);
}

/*
 * After a failure past the switch: current back to the release it
 * pointed at, and that release's post-deploy run again (so the apps run
 * its code). Without a previous release there is nothing to go back to.
 */
static void
switch_back(struct rhost *h)
{
	struct derr first = h->err;
	char *note;

	if (h->previous == NULL) {
		add_to_error(h, "no previous release to go back to");
		return;
	}
	rhost_say(h, "going back to %s", h->previous);
	if (rhost_switch(h, h->previous, h->release, "revert", false) < 0) {
		note = xasprintf("going back failed: %s", h->err.msg);
		add_to_error(h, note);
		free(note);
		return;
	}
	h->switched = false;
	h->rep->status = REMOTE_ROLLED_BACK;
	if (rhost_post_deploy(h, h->previous) < 0) {
		note = xasprintf("then %s", h->err.msg);
		add_to_error(h, note);
		free(note);
	}
	h->err = first;
}

/* Handle the failure of step s: record it, recover what can be. */
static void
recover(struct rhost *h, const struct step *s)
{
	h->rep->status = REMOTE_FAILED;
	h->rep->step = xstrdup(s->name);
	h->rep->error = xstrdup(h->err.msg);
	rhost_say(h, "failed at %s: %s", s->name, h->err.msg);
	if (h->switched)
		switch_back(h);
	/* A release that never became (or stopped being) current goes. */
	if (h->made && !h->switched && h->plan->o->op == REMOTE_DEPLOY) {
		char *names[] = { h->release, NULL };

		if (rhost_script(h, rscript_remove(h->plan->t->path, names),
				 NULL) == 0)
			rhost_say(h, "removed %s", h->release);
	}
}

/* What current points at now, as far as we know. */
static const char *
final_current(const struct rhost *h)
{
	if (h->plan->o->op == REMOTE_RELEASES || h->plan->o->op == REMOTE_EXEC)
		return h->list.current;
	if (h->switched)
		return h->release;
	return h->previous;
}

/* Seconds on CLOCK_MONOTONIC. */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run one host through op's steps; see remote_int.h. */
void
rhost_run(struct rhost *h)
{
	const struct step *s = op_steps[h->plan->o->op];
	struct remote_host_report *rep = h->rep;
	double t0 = now_s();
	const char *cur;

	rep->status = REMOTE_OK;
	for (; s->name != NULL; s++) {
		if (remote_interrupted() && s->optional)
			continue;
		if (remote_interrupted()) {
			derr_set(&h->err, "interrupted");
			recover(h, s);
			break;
		}
		if (s->switches)
			h->switched = true;
		if (s->run(h) < 0) {
			recover(h, s);
			break;
		}
	}
	if (h->locked && rhost_script(h, rscript_unlock(h->plan->t->path,
							h->lock_info),
				      NULL) < 0)
		rhost_say(h, "warning: cannot unlock: %s", h->err.msg);
	rep->release = h->release ? xstrdup(h->release) : NULL;
	rep->previous = h->previous ? xstrdup(h->previous) : NULL;
	cur = final_current(h);
	rep->current = cur ? xstrdup(cur) : NULL;
	rep->rev = h->rev ? xstrdup(h->rev) : NULL;
	rep->releases = strv_dup(h->list.complete);
	ssh_free(h->ssh);
	h->ssh = NULL;
	rep->seconds = now_s() - t0;
	if (rep->status == REMOTE_OK)
		rhost_say(h, "done in %.1f s", rep->seconds);
}

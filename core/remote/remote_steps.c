/* remote_steps.c: each operation as a table of steps, and recovery */
#include "core/remote/remote_int.h"

#include <stdlib.h>
#include <string.h>

/* A step: what it does; 0 or -1 with h->err filled. */
struct step {
	const char *name;
	int (*run)(struct rhost *h);
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

static const struct step connect_steps[] = {
	{ "connect", rstep_connect },
	{ NULL, NULL },
};

static const struct step lock_steps[] = {
	{ "lock", rstep_lock },
	{ NULL, NULL },
};

static const struct step setup_steps[] = {
	{ "connect", rstep_connect },
	{ "pre-setup", step_pre_setup },
	{ "setup", step_layout },
	{ "post-setup", step_post_setup },
	{ NULL, NULL },
};

/* Each step is one round trip (code: two in git mode, fetch and
 * extract; upload mode: SFTP and extract). */
static const struct step prepare_steps[] = {
	{ "code", rstep_code },
	{ "pre-deploy", rstep_pre_deploy },
	{ NULL, NULL },
};

static const struct step pick_steps[] = {
	{ "pick", step_pick },
	{ NULL, NULL },
};

static const struct step switch_steps[] = {
	{ "switch", rstep_switch },
	{ "post-deploy", rstep_post_deploy },
	{ "health", rstep_health },
	{ NULL, NULL },
};

static const struct step releases_steps[] = {
	{ "connect", rstep_connect },
	{ "inspect", rstep_inspect },
	{ NULL, NULL },
};

static const struct step exec_steps[] = {
	{ "connect", rstep_connect },
	{ "exec", step_exec },
	{ NULL, NULL },
};

/* The steps of each operation's phases (NULL: none). */
static const struct step *const op_phases[][RPHASE_WORK + 1] = {
	[REMOTE_SETUP] = { [RPHASE_WORK] = setup_steps },
	[REMOTE_DEPLOY] = { connect_steps, lock_steps, prepare_steps,
			    switch_steps, NULL },
	[REMOTE_ROLLBACK] = { connect_steps, lock_steps, pick_steps,
			      switch_steps, NULL },
	[REMOTE_RELEASES] = { [RPHASE_WORK] = releases_steps },
	[REMOTE_EXEC] = { [RPHASE_WORK] = exec_steps },
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
 * Back to the release current pointed at when we came, that release's
 * post-deploy run again (so the apps run its code) and its health
 * checked: only then is the host "rolled back". Without a previous
 * release there is nothing to go back to. h->err keeps the first
 * failure.
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
		h->err = first;
		return;
	}
	h->switched = false;
	if (rhost_post_deploy(h, h->previous) < 0 || rstep_health(h) < 0) {
		note = xasprintf("went back to %s, which does not serve "
				 "either: %s", h->previous, h->err.msg);
		add_to_error(h, note);
		free(note);
	} else {
		h->rep->status = REMOTE_ROLLED_BACK;
	}
	h->err = first;
}

/* Remove the release h made and did not keep. */
void
rhost_discard(struct rhost *h)
{
	char *names[] = { h->release, NULL };

	if (!h->made || h->switched || h->ssh == NULL)
		return;
	h->cleaning = true;
	if (rhost_script(h, rscript_remove(h->plan->t->path, names),
			 NULL) == 0) {
		rhost_say(h, "removed %s", h->release);
		h->made = false;
	}
	h->cleaning = false;
}

/* Handle the failure of step s: record it, undo what can be. */
static void
recover(struct rhost *h, const struct step *s)
{
	bool connect = s->run == rstep_connect;

	h->rep->status = connect ? REMOTE_UNREACHABLE : REMOTE_FAILED;
	h->rep->step = xstrdup(s->name);
	h->rep->error = xstrdup(h->err.msg);
	rhost_say(h, "failed at %s: %s", s->name, h->err.msg);
	/* A quit leaves at once: no hooks to run again. */
	h->cleaning = true;
	if (h->switched && !remote_quit())
		switch_back(h);
	else if (h->switched)
		add_to_error(h, "left on the new release");
	h->cleaning = false;
	rhost_discard(h);
}

/* Why h must stop before its next step, or NULL. */
static const char *
stop_reason(const struct rhost *h)
{
	if (remote_interrupted())
		return "interrupted";
	if (remote_past_deadline(h->plan))
		return "timed out (--timeout)";
	return NULL;
}

int
rhost_phase(struct rhost *h, enum rphase ph)
{
	const struct step *s = op_phases[h->plan->o->op][ph];
	const char *why;

	if (s == NULL || h->rep->status != REMOTE_OK)
		return h->rep->status == REMOTE_OK ? 0 : -1;
	for (; s->name != NULL; s++) {
		why = stop_reason(h);
		if (why == NULL && s->run(h) == 0)
			continue;
		/* A wait cut short says "cancelled": say why. */
		if (why != NULL || rhost_cancelled(h))
			derr_set(&h->err, "%s", why ? why : stop_reason(h) ?
				 stop_reason(h) : "interrupted");
		recover(h, s);
		return -1;
	}
	return 0;
}

/* Back with the others. */
void
rhost_revert(struct rhost *h, const char *why)
{
	if (!h->switched || h->rep->status != REMOTE_OK)
		return;
	derr_set(&h->err, "%s", why);
	h->rep->status = REMOTE_FAILED;
	h->rep->error = xstrdup(why);
	h->cleaning = true;
	switch_back(h);
	h->cleaning = false;
	rhost_discard(h);
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

/* Mark the release a rollback left, then unlock (one round trip). */
static void
finish_rollback(struct rhost *h)
{
	const char *path = h->plan->t->path;
	char *mark = rscript_mark_rolled_back(path, h->previous);
	char *unlock = rscript_unlock(path, h->lock_info);

	if (rhost_script(h, xasprintf("%s; %s", mark, unlock), NULL) < 0)
		rhost_say(h, "warning: cannot unlock: %s", h->err.msg);
	else
		h->locked = false;
	free(mark);
	free(unlock);
}

/* The end of a host's run. */
void
rhost_finish(struct rhost *h)
{
	struct remote_host_report *rep = h->rep;
	enum remote_op op = h->plan->o->op;
	const char *cur;

	h->cleaning = true;
	if (h->locked && rep->status == REMOTE_OK && op == REMOTE_DEPLOY)
		rstep_prune(h);
	else if (h->locked && rep->status == REMOTE_OK &&
		 op == REMOTE_ROLLBACK && h->previous != NULL)
		finish_rollback(h);
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
	rep->rolled_back = strv_dup(h->list.rolled_back);
	ssh_free(h->ssh);
	h->ssh = NULL;
	rep->seconds = h->t0 > 0 ? (double)(now_ms() - h->t0) / 1000 : 0;
	if (rep->status == REMOTE_OK)
		rhost_say(h, "done in %.1f s", rep->seconds);
}

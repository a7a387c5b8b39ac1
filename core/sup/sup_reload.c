/* sup_reload.c: rolling reloads, each replacement ready before the next */
#include "core/sup/sup_int.h"

#include <stdlib.h>
#include <string.h>

/* Begin a rolling reload of app, parallel instances at a time. */
void
sup_reload_begin(struct sup_app *app, int parallel)
{
	free(app->reload_error);
	app->reload_error = NULL;
	sup_reload_free(app->reload);
	app->reload = xcalloc(1, sizeof *app->reload);
	app->reload->parallel = parallel > 0 ? parallel : 1;
	/* As PM2's startOrReload: what is stopped or errored starts, so a
	   deploy heals an app whose instances were down. */
	for (size_t i = 0; i < app->n_inst; i++) {
		struct sup_inst *in = app->inst[i];

		if (!in->retiring && !in->removing &&
		    (in->state == WS_STOPPED || in->state == WS_ERRORED)) {
			restart_state_reset(&in->rs);
			sup_inst_start(in);
		}
	}
	dlog("%s: reload begins (%s mode)", app->cfg->name,
		app->listen_fd >= 0 ? "listen" : "restart");
}

/* Free a reload's bookkeeping. */
void
sup_reload_free(struct sup_reload *r)
{
	if (r == NULL)
		return;
	free(r->fresh);
	free(r->old);
	free(r->error);
	free(r);
}

/* True when in is still one of app's instances. */
static bool
still_there(const struct sup_app *app, const struct sup_inst *in)
{
	for (size_t i = 0; i < app->n_inst; i++)
		if (app->inst[i] == in)
			return true;
	return false;
}

/* The live instance of app with the smallest index >= from, or NULL. */
static struct sup_inst *
next_live(const struct sup_app *app, int from)
{
	struct sup_inst *best = NULL;

	for (size_t i = 0; i < app->n_inst; i++) {
		struct sup_inst *in = app->inst[i];

		if (in->retiring || in->removing || in->index < from ||
		    in->state == WS_STOPPED || in->state == WS_ERRORED)
			continue;
		if (best == NULL || in->index < best->index)
			best = in;
	}
	return best;
}

/* Replace one instance: beside it (listen mode) or in place. */
static void
replace(struct sup_app *app, struct sup_reload *r, struct sup_inst *old)
{
	struct sup_inst *fresh = old;

	if (app->listen_fd >= 0) {
		fresh = sup_inst_new(app, old->index);
		fresh->rs.restarts = old->rs.restarts + 1;
		sup_app_add_instance(app, fresh);
		sup_inst_start(fresh);
	} else {
		sup_inst_restart(old);
		restart_state_reset(&old->rs);
	}
	r->fresh = xrealloc(r->fresh, (r->n_fresh + 1) * sizeof *r->fresh);
	r->old = xrealloc(r->old, (r->n_fresh + 1) * sizeof *r->old);
	r->fresh[r->n_fresh] = fresh;
	r->old[r->n_fresh] = fresh == old ? NULL : old;
	r->n_fresh++;
}

/* 1 ready, 0 still starting, -1 failed. */
static int
fresh_state(const struct sup_inst *in)
{
	if (in->state == WS_ONLINE)
		return in->ready_failed ? -1 : 1;
	if (in->state == WS_STARTING || in->state == WS_RESTARTING)
		return 0;
	return -1;
}

/* Check the replacements under way; false while any is starting. */
static bool
settle(struct sup_app *app, struct sup_reload *r)
{
	size_t out = 0;

	for (size_t i = 0; i < r->n_fresh; i++) {
		struct sup_inst *fresh = r->fresh[i], *old = r->old[i];
		int st = still_there(app, fresh) ? fresh_state(fresh) : -1;

		if (st == 0) {
			r->fresh[out] = fresh;
			r->old[out++] = old;
			continue;
		}
		if (st > 0 && old != NULL && still_there(app, old)) {
			old->retiring = true;
			sup_inst_stop(old);
		}
		if (st < 0 && !r->failed) {
			r->failed = true;
			r->error = xasprintf("reload of '%s' stopped at "
				"instance %d: %s", app->cfg->name,
				fresh->index, fresh->reason ? fresh->reason :
				"not ready");
			if (old != NULL) {
				fresh->retiring = true;
				sup_inst_stop(fresh);
			}
		}
	}
	r->n_fresh = out;
	return out == 0;
}

/* Advance the app's reload: settle, then start the next batch. */
void
sup_reload_tick(struct sup_app *app)
{
	struct sup_reload *r = app->reload;

	if (!settle(app, r))
		return;
	if (!r->failed) {
		for (int k = 0; k < r->parallel; k++) {
			struct sup_inst *in = next_live(app, r->next);

			if (in == NULL)
				break;
			r->next = in->index + 1;
			replace(app, r, in);
		}
		if (r->n_fresh > 0)
			return;
	}
	dlog("%s: reload %s", app->cfg->name,
		r->failed ? r->error : "done");
	app->reload_error = r->failed ? xstrdup(r->error) : NULL;
	app->reload_ended = now_ms();
	sup_reload_free(r);
	app->reload = NULL;
}

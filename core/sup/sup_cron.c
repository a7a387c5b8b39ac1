/* sup_cron.c: restart an app's instances on its cron_restart schedule */
#include "core/lib/cron.h"
#include "core/lib/loop.h"
#include "core/sup/sup_int.h"

/* The app's next cron time after now (wall ms), or -1. */
static long long
next_time(const struct sup_app *app, long long now)
{
	struct cron c;
	struct derr e;

	if (app->cfg->cron_restart == NULL ||
	    cron_parse(app->cfg->cron_restart, &c, &e) < 0)
		return -1;
	return cron_next(&c, now);
}

/* Restart the app's running instances when its cron time has come. */
void
sup_cron_tick(struct sup_app *app)
{
	long long now = wall_ms();

	if (app->cron_cfg != app->cfg) {	/* new, or its file changed */
		app->cron_cfg = app->cfg;
		app->cron_next = next_time(app, now);
	}
	if (app->cron_next < 0 || now < app->cron_next)
		return;
	app->cron_next = next_time(app, now);
	if (app->reload != NULL || app->removing)
		return;
	dlog("%s: cron_restart", app->cfg->name);
	for (size_t i = 0; i < app->n_inst; i++) {
		struct sup_inst *in = app->inst[i];

		if (sup_inst_has_process(in) && !in->retiring &&
		    !in->removing) {
			restart_state_reset(&in->rs);
			sup_inst_restart(in);
		}
	}
}

/* Wake the loop at the app's next cron time. */
void
sup_cron_watch(struct sup_app *app, struct loop *l)
{
	if (app->cron_next > 0)
		loop_deadline(l, now_ms() + (app->cron_next - wall_ms()));
}

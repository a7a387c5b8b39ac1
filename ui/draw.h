/* draw.h: painting the dashboard with ncurses */
#ifndef DEPLOY_UI_DRAW_H
#define DEPLOY_UI_DRAW_H

#include <stdbool.h>

#include "ui/logpane.h"
#include "ui/model.h"

/* What the screen shows besides the model. */
struct ui_view {
	int interval_ms;
	bool color;
	bool help;			/* the help overlay is up */
	const char *message;		/* footer message, or NULL */
	size_t top;			/* first table line shown */
};

/* Set up colour pairs when colour is on. */
void draw_init_colors(bool color);
/* Paint the whole screen. */
void draw_screen(const struct ui_model *m, const struct logpane *lp,
		 struct ui_view *v);

#endif

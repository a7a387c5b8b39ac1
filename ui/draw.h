/* draw.h: painting the dashboard with ncurses */
#ifndef DEPLOY_UI_DRAW_H
#define DEPLOY_UI_DRAW_H

#include <stdbool.h>

#include "ui/logpane.h"
#include "ui/model.h"

/* A pane shows when there is room (auto), always, or never. */
enum pane_mode { PANE_AUTO, PANE_ON, PANE_OFF };

#define LOG_ROWS_DEFAULT 8	/* the log pane's rows when forced on */

/* What the screen shows besides the model. */
struct ui_view {
	int interval_ms;
	bool color;
	bool help;			/* the help overlay is up */
	const char *message;		/* footer message, or NULL */
	const char *prompt;		/* a line being typed, or NULL */
	long long now;			/* the model's clock, for countdowns */
	size_t top;			/* first table line shown */
	enum pane_mode detail, logs;
	int log_rows;			/* rows of the log pane when on */
	size_t log_back;		/* log lines scrolled back, 0: newest */
	/* Where draw_screen put things (for the mouse and paging). */
	int table_y, table_rows;	/* the first line's row, the count */
	int log_y, log_lines;		/* the first log line's row, count */
	int detail_rows;		/* the detail pane's, 0: hidden */
};

/* Set up colour pairs when colour is on. */
void draw_init_colors(bool color);
/* Paint the whole screen. */
void draw_screen(const struct ui_model *m, const struct logpane *lp,
		 struct ui_view *v);

#endif

/* layout.h: column widths, cells and sparklines for the dashboard */
#ifndef DEPLOY_UI_LAYOUT_H
#define DEPLOY_UI_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

enum ui_col {
	COL_APP, COL_ID, COL_PID, COL_STATUS, COL_CPU, COL_MEM,
	COL_RESTARTS, COL_UPTIME, COL_COUNT
};

/* Where each column starts and how wide it is; width 0: hidden. */
struct ui_layout {
	int x[COL_COUNT];
	int width[COL_COUNT];
};

/* The header text of a column. */
const char *layout_col_name(enum ui_col c);
/*
 * Fit the columns in a screen of `width` cells: fixed widths for the
 * numbers, the rest for the app name (at least 6); when too narrow,
 * columns are dropped from the least useful (uptime, restarts, pid,
 * id) up. Returns the number of visible columns.
 */
int layout_columns(int width, struct ui_layout *out);
/*
 * Copy s into buf (size bytes) cut to at most `cells` display cells,
 * ending in "~" when cut; UTF-8 aware (a character is never split).
 */
char *layout_cut(const char *s, int cells, char *buf, size_t size);
/*
 * Draw values (n of them, newest last) as a UTF-8 sparkline of `cells`
 * block characters scaled to max (max <= 0: the largest value); the
 * newest value is rightmost; missing history is blank. Returns buf.
 */
char *layout_sparkline(const double *values, size_t n, double max, int cells,
		       char *buf, size_t size);

#endif

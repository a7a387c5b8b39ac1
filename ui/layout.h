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

/*
 * ASCII mode (a locale that is not UTF-8, or TERM=dumb): the glyphs
 * below fall back to ASCII and layout_cut() writes '?' for any
 * character outside ASCII. Off by default.
 */
void layout_set_ascii(bool on);
bool layout_ascii(void);

/* Glyphs with an ASCII fallback. */
enum ui_glyph {
	G_SORT_UP, G_SORT_DOWN, G_RESTART, G_TREE_MID, G_TREE_LAST,
	G_HLINE, G_VLINE, G_TOP_LEFT, G_TOP_RIGHT, G_BOTTOM_LEFT,
	G_BOTTOM_RIGHT, G_COUNT
};
const char *layout_glyph(enum ui_glyph g);

/* The header text of a column. */
const char *layout_col_name(enum ui_col c);
/*
 * Fit the columns in a screen of `width` cells. The instance index is
 * shown in the app column (":3"), so COL_ID is never a column of its
 * own. Fixed widths for the numbers; the status column grows from 12 to
 * 22 cells once the app name has 24; the app name takes the rest (at
 * least 8). When too narrow, columns are dropped in this order: uptime,
 * pid, memory, restarts, cpu; app and status always stay. Returns the
 * number of visible columns.
 */
int layout_columns(int width, struct ui_layout *out);
/* The display width of one Unicode code point (0, 1 or 2 cells). */
int layout_cp_width(unsigned cp);
/* The display width of UTF-8 text (invalid bytes count one each). */
int layout_width(const char *s);
/*
 * Copy s into buf (size bytes) cut to at most `cells` display cells,
 * ending in "~" when cut; UTF-8 aware (a character is never split, a
 * wide character counts two cells).
 */
char *layout_cut(const char *s, int cells, char *buf, size_t size);
/*
 * Draw values (n of them, newest last) as a sparkline of `cells` block
 * characters (ASCII mode: " .:-=+*#%@") scaled to max (max <= 0: the
 * largest value); the newest value is rightmost; missing history is
 * blank. Returns buf.
 */
char *layout_sparkline(const double *values, size_t n, double max, int cells,
		       char *buf, size_t size);

#endif

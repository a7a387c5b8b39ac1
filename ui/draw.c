/* draw.c: painting the dashboard with ncurses */
#include "ui/draw.h"
#include "core/format.h"
#include "core/loop.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

enum { PAIR_ONLINE = 1, PAIR_BUSY, PAIR_ERRORED, PAIR_STOPPED, PAIR_BAR };

#define DETAIL_MIN_ROWS 16	/* below this, no detail or log pane */

/* Colour pairs by status. */
void
draw_init_colors(bool color)
{
	if (!color || !has_colors())
		return;
	start_color();
	use_default_colors();
	init_pair(PAIR_ONLINE, COLOR_GREEN, -1);
	init_pair(PAIR_BUSY, COLOR_YELLOW, -1);
	init_pair(PAIR_ERRORED, COLOR_RED, -1);
	init_pair(PAIR_STOPPED, COLOR_BLUE, -1);
	init_pair(PAIR_BAR, COLOR_BLACK, COLOR_CYAN);
}

/* The attribute of a status. */
static attr_t
status_attr(const char *status, bool color)
{
	if (!color || status == NULL)
		return A_NORMAL;
	if (strcmp(status, "online") == 0)
		return COLOR_PAIR(PAIR_ONLINE);
	if (strcmp(status, "errored") == 0)
		return COLOR_PAIR(PAIR_ERRORED) | A_BOLD;
	if (strcmp(status, "stopped") == 0)
		return COLOR_PAIR(PAIR_STOPPED);
	return COLOR_PAIR(PAIR_BUSY);
}

/* Write s at (y, x) cut to w cells. */
static void
put(int y, int x, int w, const char *s)
{
	char buf[512];

	if (w <= 0)
		return;
	mvaddstr(y, x, layout_cut(s, w, buf, sizeof buf));
}

/* Write s right-aligned in w cells at (y, x). */
static void
put_right(int y, int x, int w, const char *s)
{
	int len = (int)strlen(s);

	if (w <= 0)
		return;
	put(y, len < w ? x + w - len : x, w, s);
}

/* Line 0: host, load, daemon uptime, counts, interval. */
static void
draw_header(const struct ui_model *m, const struct ui_view *v)
{
	struct utsname u;
	double load[3] = { 0, 0, 0 };
	char up[32], line[256];
	FILE *f = fopen("/proc/loadavg", "r");

	if (f != NULL) {
		if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
			load[0] = load[1] = load[2] = 0;
		fclose(f);
	}
	uname(&u);
	fmt_duration(m->daemon_started_ms ? wall_ms() - m->daemon_started_ms
		     : 0, up, sizeof up);
	snprintf(line, sizeof line, "%s  load %.2f %.2f %.2f  daemon up %s  "
		 "online %d  stopped %d  errored %d  every %.1fs",
		 u.nodename, load[0], load[1], load[2], up, m->n_online,
		 m->n_stopped, m->n_errored, v->interval_ms / 1000.0);
	attron(A_BOLD);
	put(0, 0, COLS, line);
	attroff(A_BOLD);
}

/* The cells of one instance line. */
static void
inst_cells(const struct ui_inst *in, char cells[COL_COUNT][48])
{
	snprintf(cells[COL_APP], 48, "  %s", in->app);
	snprintf(cells[COL_ID], 48, "%d", in->index);
	snprintf(cells[COL_PID], 48, in->pid > 0 ? "%d" : "-", in->pid);
	snprintf(cells[COL_STATUS], 48, "%s", in->status ? in->status : "?");
	snprintf(cells[COL_CPU], 48, in->pid > 0 ? "%.1f" : "-", in->cpu);
	if (in->pid > 0 && in->mem > 0)	/* 0: not sampled yet */
		fmt_bytes(in->mem, cells[COL_MEM], 48);
	else
		snprintf(cells[COL_MEM], 48, "-");
	snprintf(cells[COL_RESTARTS], 48, "%d", in->restarts);
	if (in->pid > 0)
		fmt_duration(in->uptime_ms, cells[COL_UPTIME], 48);
	else
		snprintf(cells[COL_UPTIME], 48, "-");
}

/* The cells of an app line: totals over its instances. */
static void
app_cells(const struct ui_model *m, const char *app, bool folded,
	  char cells[COL_COUNT][48])
{
	double cpu = 0;
	long long mem = 0;
	int n = 0, online = 0, restarts = 0;

	for (size_t i = 0; i < m->n_inst; i++) {
		if (strcmp(m->inst[i]->app, app) != 0)
			continue;
		n++;
		online += strcmp(m->inst[i]->status, "online") == 0;
		cpu += m->inst[i]->cpu;
		mem += m->inst[i]->mem;
		restarts += m->inst[i]->restarts;
	}
	snprintf(cells[COL_APP], 48, "%s %s", folded ? "+" : "-", app);
	snprintf(cells[COL_ID], 48, "%d", n);
	snprintf(cells[COL_PID], 48, " ");
	snprintf(cells[COL_STATUS], 48, "%d/%d online", online, n);
	snprintf(cells[COL_CPU], 48, "%.1f", cpu);
	fmt_bytes(mem, cells[COL_MEM], 48);
	snprintf(cells[COL_RESTARTS], 48, "%d", restarts);
	snprintf(cells[COL_UPTIME], 48, " ");
}

/* Whether the app line of name is folded. */
static bool
is_folded(const struct ui_model *m, const char *name)
{
	for (size_t a = 0; a < m->n_apps; a++)
		if (strcmp(m->apps[a].name, name) == 0)
			return m->apps[a].folded;
	return false;
}

/* The table: a heading and the lines that fit in rows. */
static void
draw_table(const struct ui_model *m, struct ui_view *v, int y, int rows)
{
	struct ui_layout lay;
	size_t sel = model_selected(m);

	layout_columns(COLS, &lay);
	attron(A_REVERSE);
	mvhline(y, 0, ' ', COLS);
	for (int c = 0; c < COL_COUNT; c++) {
		char head[32];

		snprintf(head, sizeof head, "%s%s", layout_col_name(c),
			 m->sort == (enum ui_col)c ? (m->sort_desc ? "▼" : "▲")
			 : "");
		(c == COL_APP || c == COL_STATUS ? put : put_right)(
			y, lay.x[c], lay.width[c], head);
	}
	attroff(A_REVERSE);
	rows--;
	if (sel < v->top)
		v->top = sel;
	if (rows > 0 && sel >= v->top + (size_t)rows)
		v->top = sel - (size_t)rows + 1;
	for (int r = 0; r < rows && v->top + (size_t)r < m->n_lines; r++) {
		const struct ui_line *l = &m->lines[v->top + (size_t)r];
		char cells[COL_COUNT][48];
		attr_t sa;

		if (l->inst != NULL)
			inst_cells(l->inst, cells);
		else
			app_cells(m, l->app, is_folded(m, l->app), cells);
		if (v->top + (size_t)r == sel)
			attron(A_REVERSE);
		mvhline(y + 1 + r, 0, ' ', COLS);
		sa = l->inst ? status_attr(l->inst->status, v->color) :
			A_BOLD;
		for (int c = 0; c < COL_COUNT; c++) {
			if (c == COL_STATUS)
				attron(sa);
			(c == COL_APP || c == COL_STATUS ? put : put_right)(
				y + 1 + r, lay.x[c], lay.width[c], cells[c]);
			if (c == COL_STATUS)
				attroff(sa);
		}
		attroff(A_REVERSE);
	}
}

/* The selected instance: command, cwd, port, restarts, history. */
static void
draw_detail(const struct ui_model *m, int y)
{
	const struct ui_inst *in = model_selected_inst(m);
	char line[1024], spark[400], mem[32], port[16] = "-";
	int w = COLS - 14 > 0 ? COLS - 14 : 1;

	mvhline(y, 0, ACS_HLINE, COLS);
	if (in == NULL) {
		put(y + 1, 0, COLS, "select an instance for its details");
		return;
	}
	snprintf(line, sizeof line, " %s:%d ", in->app, in->index);
	put(y, 2, COLS - 2, line);
	snprintf(line, sizeof line, "command  %s", in->command ?
		 in->command : "?");
	put(y + 1, 0, COLS, line);
	snprintf(line, sizeof line, "cwd      %s", in->cwd ? in->cwd : "?");
	put(y + 2, 0, COLS, line);
	if (in->port)
		snprintf(port, sizeof port, "%d", in->port);
	snprintf(line, sizeof line, "port %s  restarts %d  last %s", port,
		 in->restarts, in->reason ? in->reason :
		 in->last_exit ? in->last_exit : "-");
	put(y + 3, 0, COLS, line);
	layout_sparkline(in->cpu_hist, in->n_hist, 100, w, spark,
			 sizeof spark);
	snprintf(line, sizeof line, "cpu %5.1f%% %s", in->cpu, spark);
	put(y + 4, 0, COLS, line);
	layout_sparkline(in->mem_hist, in->n_hist, 0, w, spark, sizeof spark);
	fmt_bytes(in->mem, mem, sizeof mem);
	snprintf(line, sizeof line, "mem %6s %s", mem, spark);
	put(y + 5, 0, COLS, line);
}

/* The log pane: the newest lines that fit. */
static void
draw_logs(const struct logpane *lp, int y, int rows)
{
	char title[128];

	mvhline(y, 0, ACS_HLINE, COLS);
	snprintf(title, sizeof title, " logs: %s ", lp->app ? lp->app : "-");
	put(y, 2, COLS - 2, title);
	for (int r = 0; r < rows - 1; r++) {
		const char *l = logpane_line(lp, (size_t)(rows - 2 - r));

		if (l != NULL)
			put(y + 1 + r, 0, COLS, l);
	}
}

/* The help overlay. */
static void
draw_help(void)
{
	static const char *const text[] = {
		"deploy monit keys",
		"",
		"up/down, j/k   select        enter, space   fold an app",
		"1..8           sort by column (again: reverse)",
		"r              restart the selection",
		"R              reload (rolling) the selected app",
		"s              stop/start the selection (asks first)",
		"?              this help      q              quit",
	};
	int h = (int)(sizeof text / sizeof text[0]) + 2, w = 62;
	int y = (LINES - h) / 2, x = (COLS - w) / 2;

	for (int r = 0; r < h; r++) {
		mvhline(y + r, x < 0 ? 0 : x, ' ', w);
		if (r > 0 && r <= (int)(sizeof text / sizeof text[0]))
			put(y + r, (x < 0 ? 0 : x) + 2, w - 4, text[r - 1]);
	}
}

/* Paint everything. */
void
draw_screen(const struct ui_model *m, const struct logpane *lp,
	    struct ui_view *v)
{
	int table_rows = LINES - 2, y_detail = 0;
	bool panes = LINES >= DETAIL_MIN_ROWS;

	erase();
	draw_header(m, v);
	if (panes) {
		int rest = LINES - 2 - 7;

		table_rows = rest / 2 > (int)m->n_lines + 1 ?
			(int)m->n_lines + 1 : rest / 2;
		if (table_rows < 3)
			table_rows = 3;
		y_detail = 1 + table_rows;
	}
	if (!m->connected && m->error[0] != '\0') {
		attron(A_BOLD);
		put(1, 0, COLS, "daemon not reachable: retrying");
		put(2, 0, COLS, m->error);
		attroff(A_BOLD);
	} else {
		draw_table(m, v, 1, table_rows);
	}
	if (panes) {
		draw_detail(m, y_detail);
		draw_logs(lp, y_detail + 6, LINES - 1 - (y_detail + 6));
	}
	attron(A_REVERSE);
	mvhline(LINES - 1, 0, ' ', COLS);
	put(LINES - 1, 0, COLS, v->message ? v->message :
	    "q quit  ? help  1-8 sort  j/k select  enter fold  "
	    "r restart  R reload  s stop/start");
	attroff(A_REVERSE);
	if (v->help)
		draw_help();
	refresh();
}

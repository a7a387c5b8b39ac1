/* draw.c: painting the dashboard with ncurses */
#include "ui/draw.h"
#include "core/lib/format.h"
#include "core/lib/loop.h"
#include "core/lib/util.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

enum { PAIR_ONLINE = 1, PAIR_BUSY, PAIR_ERRORED, PAIR_STOPPED, PAIR_HOT };

#define HEAD_ROWS 2		/* host line and state counts */
#define DETAIL_ROWS 6		/* the detail pane's content */

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
	init_pair(PAIR_HOT, COLOR_WHITE, COLOR_RED);
}

/* The attribute of a state class; without colour only trouble shows. */
static attr_t
state_attr(enum ui_state st, bool color)
{
	static const short pairs[ST_COUNT] = {
		[ST_ONLINE] = PAIR_ONLINE, [ST_STOPPED] = PAIR_STOPPED,
		[ST_STOPPING] = PAIR_BUSY, [ST_STARTING] = PAIR_BUSY,
		[ST_WAITING] = PAIR_BUSY, [ST_ERRORED] = PAIR_ERRORED,
	};

	if (!color)		/* trouble underlined, errors bold too */
		return st == ST_ERRORED ? A_BOLD | A_UNDERLINE :
			st == ST_WAITING ? A_UNDERLINE : A_NORMAL;
	return COLOR_PAIR(pairs[st]) | (st == ST_ERRORED ? A_BOLD : 0);
}

/* The attribute of a restart count that just grew. */
static attr_t
hot_attr(bool color)
{
	return color ? COLOR_PAIR(PAIR_HOT) | A_BOLD : A_REVERSE | A_BOLD;
}

/* A horizontal line of w cells at (y, x), drawn as text (UTF-8 or
   ASCII) rather than with the terminal's alternate character set. */
static void
draw_hline(int y, int x, int w)
{
	move(y, x);
	for (int i = 0; i < w; i++)
		addstr(layout_glyph(G_HLINE));
}

/* A horizontal rule across the screen at row y. */
static void
rule(int y)
{
	draw_hline(y, 0, COLS);
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
	int len = layout_width(s);

	if (w <= 0)
		return;
	put(y, len < w ? x + w - len : x, w, s);
}

/* Add s at the cursor in attribute a, if it fits before the edge. */
static void
add(const char *s, attr_t a)
{
	int y, x;
	char buf[256];

	getyx(stdscr, y, x);
	(void)y;
	if (x >= COLS)
		return;
	attron(a);
	addstr(layout_cut(s, COLS - x, buf, sizeof buf));
	attroff(a);
}

/* Rows 0-1: host, load, daemon uptime; every state's count. */
static void
draw_header(const struct ui_model *m, const struct ui_view *v)
{
	static const char *const names[ST_COUNT] = {
		[ST_ONLINE] = "online", [ST_STARTING] = "starting",
		[ST_STOPPING] = "stopping", [ST_WAITING] = "waiting",
		[ST_STOPPED] = "stopped", [ST_ERRORED] = "errored",
	};
	static const enum ui_state order[ST_COUNT] = {
		ST_ONLINE, ST_STARTING, ST_STOPPING, ST_WAITING, ST_STOPPED,
		ST_ERRORED,
	};
	struct utsname u;
	double load[3] = { 0, 0, 0 };
	char up[32], line[256];
	FILE *f = fopen("/proc/loadavg", "r");
	int recent = model_recent_restarts(m, NULL, v->now);

	if (f != NULL) {
		if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
			load[0] = load[1] = load[2] = 0;
		fclose(f);
	}
	uname(&u);
	fmt_duration(m->daemon_started_ms ? wall_ms() - m->daemon_started_ms
		     : 0, up, sizeof up);
	snprintf(line, sizeof line, "%s  load %.2f %.2f %.2f  daemon up %s  "
		 "every %.1fs%s%s%s", u.nodename, load[0], load[1], load[2],
		 up, v->interval_ms / 1000.0, m->filter ? "  filter '" : "",
		 m->filter ? m->filter : "", m->filter ? "'" : "");
	attron(A_BOLD);
	put(0, 0, COLS, line);
	attroff(A_BOLD);
	move(1, 0);
	for (int i = 0; i < ST_COUNT; i++) {
		enum ui_state st = order[i];
		int n = m->n_state[st];

		snprintf(line, sizeof line, "%s %d", names[st], n);
		add(i ? "  " : "", A_NORMAL);
		add(line, n > 0 && st != ST_ONLINE && st != ST_STOPPED ?
		    state_attr(st, v->color) | A_BOLD : A_NORMAL);
	}
	snprintf(line, sizeof line, "%s 1m %d", layout_glyph(G_RESTART),
		 recent);
	add("  ", A_NORMAL);
	add(line, recent > 0 ? hot_attr(v->color) : A_NORMAL);
}

/* The status text of an instance (a waiting restart counts down). */
static void
status_text(const struct ui_inst *in, long long now, char *buf, size_t size)
{
	const char *st = in->status ? in->status : "?";

	if (model_state(st) == ST_WAITING && in->restart_at > 0) {
		char left[32];
		long long ms = in->restart_at - now;

		fmt_duration(ms > 0 ? ms + 999 : 0, left, sizeof left);
		snprintf(buf, size, "waiting %s", left);
	} else {
		snprintf(buf, size, "%s", st);
	}
}

/* The cells of one instance line: ":3" under its app, as a tree. */
static void
inst_cells(const struct ui_line *l, long long now, char cells[COL_COUNT][48])
{
	const struct ui_inst *in = l->inst;

	snprintf(cells[COL_APP], 48, "  %s :%d",
		 layout_glyph(l->last ? G_TREE_LAST : G_TREE_MID), in->index);
	snprintf(cells[COL_ID], 48, "%d", in->index);
	snprintf(cells[COL_PID], 48, in->pid > 0 ? "%d" : "-", in->pid);
	status_text(in, now, cells[COL_STATUS], 48);
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

/* Short names of the states, for app rows and the detail pane. */
static const char *const state_names[ST_COUNT] = {
	[ST_ONLINE] = "online", [ST_STOPPED] = "stopped",
	[ST_STOPPING] = "stopping", [ST_STARTING] = "starting",
	[ST_WAITING] = "waiting", [ST_ERRORED] = "errored",
};

/* The cells of an app line: totals over its instances. */
static void
app_cells(const struct ui_app *a, char cells[COL_COUNT][48])
{
	int worst = ST_ONLINE;
	size_t o;

	for (int s = ST_COUNT - 1; s > ST_ONLINE && worst == ST_ONLINE; s--)
		if (a->n_state[s] > 0)
			worst = s;
	snprintf(cells[COL_APP], 48, "%s %s", a->folded ? "+" : "-",
		 a->name);
	snprintf(cells[COL_ID], 48, "%d", a->n);
	snprintf(cells[COL_PID], 48, " ");
	o = (size_t)snprintf(cells[COL_STATUS], 48, "%d/%d online",
			     a->n_state[ST_ONLINE], a->n);
	if (worst != ST_ONLINE)
		snprintf(cells[COL_STATUS] + o, 48 - o, " %d %s",
			 a->n_state[worst], state_names[worst]);
	if (a->n_state[ST_ONLINE] + a->n_state[ST_STARTING] +
	    a->n_state[ST_STOPPING] > 0)
		snprintf(cells[COL_CPU], 48, "%.1f", a->cpu);
	else			/* nothing runs: no cpu to speak of */
		snprintf(cells[COL_CPU], 48, "-");
	if (a->mem > 0)
		fmt_bytes(a->mem, cells[COL_MEM], 48);
	else
		snprintf(cells[COL_MEM], 48, "-");
	snprintf(cells[COL_RESTARTS], 48, "%d", a->restarts);
	snprintf(cells[COL_UPTIME], 48, " ");
}

/* The column heading, with the sort mark. */
static void
draw_heading(const struct ui_model *m, const struct ui_layout *lay, int y)
{
	attron(A_REVERSE);
	mvhline(y, 0, ' ', COLS);
	for (int c = 0; c < COL_COUNT; c++) {
		char head[32];

		snprintf(head, sizeof head, "%s%s", layout_col_name(c),
			 m->sort == (enum ui_col)c ? layout_glyph(m->sort_desc
			 ? G_SORT_DOWN : G_SORT_UP) : "");
		/* Sorted by id: the app column shows the index. */
		if (c == COL_APP && m->sort == COL_ID)
			snprintf(head, sizeof head, "app :id%s",
				 layout_glyph(m->sort_desc ? G_SORT_DOWN :
					      G_SORT_UP));
		(c == COL_APP || c == COL_STATUS ? put : put_right)(
			y, lay->x[c], lay->width[c], head);
	}
	attroff(A_REVERSE);
}

/* One table line at row y. */
static void
draw_line(const struct ui_model *m, const struct ui_view *v,
	  const struct ui_layout *lay, const struct ui_line *l, int y,
	  bool selected)
{
	const struct ui_app *a = model_app(m, l->app);
	char cells[COL_COUNT][48];
	attr_t row = A_NORMAL, st;
	long long grew;

	if (l->inst != NULL) {
		inst_cells(l, v->now, cells);
		st = state_attr(model_state(l->inst->status), v->color);
		grew = l->inst->grew_at;
	} else {
		app_cells(a, cells);
		st = state_attr(model_app_worst(a, v->now), v->color);
		row = A_BOLD | (model_app_worst(a, v->now) > ST_STOPPED ? st :
				A_NORMAL);
		grew = a->grew_at;
	}
	if (selected)
		row |= A_REVERSE;
	attron(row);
	mvhline(y, 0, ' ', COLS);
	for (int c = 0; c < COL_COUNT; c++) {
		attr_t ca = c == COL_STATUS ? st : A_NORMAL;

		if (c == COL_RESTARTS && grew > 0 &&
		    v->now - grew < RESTART_HOT_MS)
			ca = hot_attr(v->color);
		attron(ca);
		(c == COL_APP || c == COL_STATUS ? put : put_right)(
			y, lay->x[c], lay->width[c], cells[c]);
		attroff(ca);
		attron(row);
	}
	attroff(row);
}

/* The table: a heading and the lines that fit in rows. */
static void
draw_table(const struct ui_model *m, struct ui_view *v, int y, int rows)
{
	struct ui_layout lay;
	size_t sel = model_selected(m);

	layout_columns(COLS, &lay);
	draw_heading(m, &lay, y);
	rows--;
	v->table_y = y + 1;
	v->table_rows = rows;
	if (sel < v->top)
		v->top = sel;
	if (rows > 0 && sel >= v->top + (size_t)rows)
		v->top = sel - (size_t)rows + 1;
	if (v->top + (size_t)rows > m->n_lines)	/* no blank tail */
		v->top = m->n_lines > (size_t)rows ? m->n_lines -
			(size_t)rows : 0;
	for (int r = 0; r < rows && v->top + (size_t)r < m->n_lines; r++)
		draw_line(m, v, &lay, &m->lines[v->top + (size_t)r],
			  y + 1 + r, v->top + (size_t)r == sel);
	if (m->n_lines == 0 && rows > 0)
		put(y + 1, 0, COLS, m->filter ? "no app matches the filter "
		    "(\\ or F4 to change it)" : "no apps: 'deploy up' "
		    "starts the ecosystem file's");
}

/* The selected app: instances by state, totals, command. */
static void
draw_app_detail(const struct ui_model *m, const struct ui_app *a,
		const struct ui_view *v, int y, int rows)
{
	char line[1024], mem[32];
	size_t o = 0;
	const struct ui_inst *any = NULL;

	for (size_t i = 0; i < m->n_inst && any == NULL; i++)
		if (strcmp(m->inst[i]->app, a->name) == 0)
			any = m->inst[i];
	o += (size_t)snprintf(line, sizeof line, "instances %d:", a->n);
	for (int s = 0; s < ST_COUNT; s++)
		if (a->n_state[s] > 0 && o < sizeof line)
			o += (size_t)snprintf(line + o, sizeof line - o,
					      " %d %s", a->n_state[s],
					      state_names[s]);
	if (rows > 0)
		put(y, 0, COLS, line);
	fmt_bytes(a->mem, mem, sizeof mem);
	snprintf(line, sizeof line, "cpu %.1f%%  mem %s  restarts %d "
		 "(%d in the last minute)", a->cpu, mem, a->restarts,
		 model_recent_restarts(m, a->name, v->now));
	if (rows > 1)
		put(y + 1, 0, COLS, line);
	snprintf(line, sizeof line, "command  %s", any && any->command ?
		 any->command : "?");
	if (rows > 2)
		put(y + 2, 0, COLS, line);
	snprintf(line, sizeof line, "cwd      %s", any && any->cwd ?
		 any->cwd : "?");
	if (rows > 3)
		put(y + 3, 0, COLS, line);
}

/* The selected instance: command, cwd, port, restarts, history. */
static void
draw_inst_detail(const struct ui_inst *in, int y, int rows)
{
	char line[1024], spark[400], mem[32], port[16] = "-";
	int w = COLS - 14 > 0 ? COLS - 14 : 1;
	const char *last = in->reason ? in->reason : in->last_exit;

	snprintf(line, sizeof line, "command  %s", in->command ?
		 in->command : "?");
	put(y, 0, COLS, line);
	snprintf(line, sizeof line, "cwd      %s", in->cwd ? in->cwd : "?");
	if (rows > 1)
		put(y + 1, 0, COLS, line);
	if (in->port)
		snprintf(port, sizeof port, "%d", in->port);
	snprintf(line, sizeof line, "port %s  restarts %d  ready by %s  "
		 "last %s", port, in->restarts, in->ready_by ? in->ready_by :
		 "-", last ? last : "-");
	if (rows > 2)
		put(y + 2, 0, COLS, line);
	/* A log that cannot be written matters more than what it said. */
	if (in->log_error != NULL)
		snprintf(line, sizeof line, "logs     %s", in->log_error);
	else
		snprintf(line, sizeof line, "stderr   %s", in->last_err &&
			 in->last_err[0] ? in->last_err : "-");
	if (rows > 3)
		put(y + 3, 0, COLS, line);
	layout_sparkline(in->cpu_hist, in->n_hist, 100, w, spark,
			 sizeof spark);
	snprintf(line, sizeof line, "cpu %5.1f%% %s", in->pid > 0 ? in->cpu :
		 0, spark);
	if (rows > 4)
		put(y + 4, 0, COLS, line);
	layout_sparkline(in->mem_hist, in->n_hist, 0, w, spark, sizeof spark);
	if (in->pid > 0)
		fmt_bytes(in->mem, mem, sizeof mem);
	else
		snprintf(mem, sizeof mem, "-");
	snprintf(line, sizeof line, "mem %6s %s", mem, spark);
	if (rows > 5)
		put(y + 5, 0, COLS, line);
}

/* The detail pane: a rule with the selection's name, then its details. */
static void
draw_detail(const struct ui_model *m, const struct ui_view *v, int y,
	    int rows)
{
	const struct ui_inst *in = model_selected_inst(m);
	const char *app = model_selected_app(m);
	char title[300];

	rule(y);
	if (app == NULL)
		return;
	if (in != NULL)
		snprintf(title, sizeof title, " %s:%d ", in->app, in->index);
	else
		snprintf(title, sizeof title, " %s ", app);
	put(y, 2, COLS - 2, title);
	if (in != NULL)
		draw_inst_detail(in, y + 1, rows - 1);
	else if (model_app(m, app) != NULL)
		draw_app_detail(m, model_app(m, app), v, y + 1, rows - 1);
}

/* The log pane: the newest lines that fit, or older ones scrolled to. */
static void
draw_logs(const struct logpane *lp, struct ui_view *v, int y, int rows)
{
	char title[160];
	size_t max_back = lp->n > (size_t)(rows - 1) ? lp->n -
		(size_t)(rows - 1) : 0;

	if (v->log_back > max_back)
		v->log_back = max_back;
	rule(y);
	if (v->log_back > 0)
		snprintf(title, sizeof title, " logs: %s (%zu back, ] for "
			 "newer) ", lp->app ? lp->app : "-", v->log_back);
	else
		snprintf(title, sizeof title, " logs: %s ", lp->app ?
			 lp->app : "-");
	put(y, 2, COLS - 2, title);
	v->log_y = y + 1;
	v->log_lines = rows - 1;
	for (int r = 0; r < rows - 1; r++) {
		const char *l = logpane_line(lp, v->log_back +
					     (size_t)(rows - 2 - r));

		if (l != NULL)
			put(y + 1 + r, 0, COLS, l);
	}
}

/* The help overlay: a framed box that fits 40 columns. */
static void
draw_help(void)
{
	static const char *const text[] = {
		"Up Dn j k   move   PgUp PgDn  page",
		"Home End g G  first, last line",
		"Enter Space   fold or unfold an app",
		"F5 t          tree: fold/unfold all",
		"F6 < >        next/previous sort",
		"1-8           sort by column",
		"F3 / n        search app names",
		"F4 \\          filter app names",
		"r             restart (app: asks)",
		"R             reload the app (asks)",
		"s F9          stop (asks) or start",
		"i  l          detail, logs pane",
		"+ -  [ ]      log size, log scroll",
		"mouse         click, wheel scrolls",
		"Esc           cancel, close",
		"F1 ? h        this help",
		"F10 q         quit",
	};
	int n = (int)ARRAY_SIZE(text), w = COLS < 40 ? COLS : 40;
	int h = n + 2 > LINES ? LINES : n + 2;
	int y = (LINES - h) / 2, x = (COLS - w) / 2;

	if (w < 4 || h < 3)
		return;
	for (int r = 0; r < h; r++) {
		mvhline(y + r, x, ' ', w);
		mvaddstr(y + r, x, layout_glyph(G_VLINE));
		mvaddstr(y + r, x + w - 1, layout_glyph(G_VLINE));
		if (r > 0 && r < h - 1)
			put(y + r, x + 2, w - 4, text[r - 1]);
	}
	draw_hline(y, x, w);
	draw_hline(y + h - 1, x, w);
	mvaddstr(y, x, layout_glyph(G_TOP_LEFT));
	mvaddstr(y, x + w - 1, layout_glyph(G_TOP_RIGHT));
	mvaddstr(y + h - 1, x, layout_glyph(G_BOTTOM_LEFT));
	mvaddstr(y + h - 1, x + w - 1, layout_glyph(G_BOTTOM_RIGHT));
	put(y, x + 2, w - 4, " deploy monit keys ");
	put(y + h - 1, x + 2, w - 4, " any key closes ");
}

/*
 * Split the rows under the header: the table takes what it needs, the
 * panes what is left (auto), or their rows when forced on, never
 * leaving the table fewer than min(its lines, 3, a third).
 */
static void
split_rows(const struct ui_model *m, const struct ui_view *v, int avail,
	   int *table, int *detail, int *logs)
{
	int need = m->connected ? (int)m->n_lines + 1 : 3;
	int min = avail / 3 > 3 ? avail / 3 : 3;
	int want_d = DETAIL_ROWS + 1, want_l;

	min = need < min ? need : min;
	*table = need < avail ? need : avail;
	*detail = *logs = 0;
	if (v->detail == PANE_ON || (v->detail == PANE_AUTO &&
				     avail - *table >= want_d)) {
		if (avail - *table < want_d)
			*table = avail - want_d > min ? avail - want_d : min;
		*detail = avail - *table < want_d ? avail - *table : want_d;
	}
	want_l = avail - *table - *detail;
	if (v->logs == PANE_ON && want_l < v->log_rows + 1) {
		want_l = v->log_rows + 1;
		if (avail - *detail - want_l < min)
			want_l = avail - *detail - min;
		*table = avail - *detail - want_l;
	}
	if (v->logs != PANE_OFF && want_l >= 3)
		*logs = want_l;
}

/* Paint everything. */
void
draw_screen(const struct ui_model *m, const struct logpane *lp,
	    struct ui_view *v)
{
	int avail = LINES - HEAD_ROWS - 1, table, detail, logs;

	erase();
	draw_header(m, v);
	split_rows(m, v, avail, &table, &detail, &logs);
	v->log_y = v->log_lines = 0;
	v->detail_rows = detail;
	if (!m->connected && m->error[0] != '\0') {
		attron(A_BOLD);
		put(HEAD_ROWS, 0, COLS, "daemon not reachable: retrying");
		put(HEAD_ROWS + 1, 0, COLS, m->error);
		attroff(A_BOLD);
		v->table_rows = 0;
	} else {
		draw_table(m, v, HEAD_ROWS, table);
	}
	if (detail > 0)
		draw_detail(m, v, HEAD_ROWS + table, detail);
	if (logs > 0)
		draw_logs(lp, v, HEAD_ROWS + table + detail, logs);
	attron(A_REVERSE);
	mvhline(LINES - 1, 0, ' ', COLS);
	put(LINES - 1, 0, COLS, v->prompt ? v->prompt : v->message ?
	    v->message : "F1 help  / search  \\ filter  F6 sort  r restart"
	    "  s stop  F10 quit");
	attroff(A_REVERSE);
	if (v->help)
		draw_help();
	refresh();
}

/* monit.c: the dashboard's loop: snapshots, keys, actions, logs */
#include "ui/monit.h"
#include "core/proto/aclient.h"
#include "core/lib/loop.h"
#include "ui/draw.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FDS 64

/* What a key asks of the loop. */
enum key_result {
	MK_NOTHING = 0,
	MK_REDRAW = 1 << 0,
	MK_QUIT = 1 << 1,
	MK_REFRESH = 1 << 2,	/* fetch a snapshot now */
};

enum input { IN_NONE, IN_SEARCH, IN_FILTER };

struct monit {
	const char *home;
	struct ui_model model;
	struct logpane logs;
	struct ui_view view;
	struct areq *snap;		/* the snapshot under way */
	struct areq *action;		/* the action under way */
	char *action_name;
	long long next_snap;
	char message[640];
	const char *confirm_op;		/* an action waiting for y/n */
	char *confirm_target;
	enum input input;		/* a line being typed */
	char typed[64];
	char *filter_before;		/* the filter when F4 was pressed */
	char *last_search;
	char prompt[128];
	bool tree;			/* instances shown under their apps */
};

/* Leave curses (also from fatal()). */
static void
end_curses(void)
{
	if (!isendwin())
		endwin();
}

/* Ask the daemon for a snapshot unless one is under way; false when it
   cannot be asked (the model then says why: the screen must show it). */
static bool
start_snapshot(struct monit *mo)
{
	json_t *req = json_pack("{s:s}", "op", "ls");
	bool asked = true;
	struct derr e;

	if (mo->snap == NULL) {
		mo->snap = areq_start(mo->home, req, &e);
		if (mo->snap == NULL) {
			model_disconnected(&mo->model, e.msg);
			asked = false;
		}
	}
	json_decref(req);
	mo->next_snap = now_ms() + mo->view.interval_ms;
	return asked;
}

/* Send an action on the selection; its answer shows in the footer. */
static void
start_action(struct monit *mo, const char *op, const char *target)
{
	json_t *req = json_pack("{s:s, s:s}", "op", op, "target", target);
	struct derr e;

	areq_free(mo->action);
	free(mo->action_name);
	mo->action = areq_start(mo->home, req, &e);
	mo->action_name = xasprintf("%s %s", op, target);
	snprintf(mo->message, sizeof mo->message, "%s%s%s",
		 mo->action_name, mo->action ? ": sent" : ": ",
		 mo->action ? "" : e.msg);
	json_decref(req);
}

/* The target of the selection: "app:i" or "app". */
static char *
selection_target(const struct ui_model *m)
{
	const struct ui_inst *in = model_selected_inst(m);
	const char *app = model_selected_app(m);

	if (in != NULL)
		return xasprintf("%s:%d", in->app, in->index);
	return app ? xstrdup(app) : NULL;
}

/* Ask "question (y/n)" before op on target (taken). */
static int
ask(struct monit *mo, const char *op, char *target, const char *question)
{
	free(mo->confirm_target);
	mo->confirm_op = op;
	mo->confirm_target = target;
	snprintf(mo->message, sizeof mo->message, "%s (y/n)", question);
	return MK_REDRAW;
}

/* 's', F9: stop a running selection (after y), start a stopped one. */
static int
key_stop_start(struct monit *mo)
{
	const struct ui_inst *in = model_selected_inst(&mo->model);
	const char *name = model_selected_app(&mo->model);
	const struct ui_app *a = name ? model_app(&mo->model, name) : NULL;
	char *target = selection_target(&mo->model);
	char q[300];

	if (target == NULL)
		return MK_NOTHING;
	if ((in != NULL && in->pid <= 0) || (in == NULL && a != NULL &&
	    a->n_state[ST_STOPPED] + a->n_state[ST_ERRORED] == a->n)) {
		start_action(mo, "start", target);
		free(target);
		return MK_REDRAW | MK_REFRESH;
	}
	if (in == NULL && a != NULL)
		snprintf(q, sizeof q, "stop every instance of %s (%d)?",
			 a->name, a->n);
	else
		snprintf(q, sizeof q, "stop %s?", target);
	return ask(mo, "stop", target, q);
}

/* 'r': restart an instance at once, a whole app after a question. */
static int
key_restart(struct monit *mo)
{
	const struct ui_inst *in = model_selected_inst(&mo->model);
	const char *name = model_selected_app(&mo->model);
	const struct ui_app *a = name ? model_app(&mo->model, name) : NULL;
	char q[300];

	if (a == NULL)
		return MK_NOTHING;
	if (in != NULL) {
		char *target = selection_target(&mo->model);

		start_action(mo, "restart", target);
		free(target);
		return MK_REDRAW | MK_REFRESH;
	}
	snprintf(q, sizeof q, "restart every instance of %s (%d) at once?",
		 a->name, a->n);
	return ask(mo, "restart", xstrdup(a->name), q);
}

/* 'R': a rolling reload of the whole app, after a question. */
static int
key_reload(struct monit *mo)
{
	const char *name = model_selected_app(&mo->model);
	const struct ui_app *a = name ? model_app(&mo->model, name) : NULL;
	char q[300];

	if (a == NULL)
		return MK_NOTHING;
	snprintf(q, sizeof q, "reload the whole app %s: all %d instances, "
		 "one at a time?", a->name, a->n);
	return ask(mo, "reload", xstrdup(a->name), q);
}

/* A key while a y/n question is up. */
static int
key_confirm(struct monit *mo, int ch)
{
	if ((ch == 'y' || ch == 'Y') && mo->confirm_target != NULL)
		start_action(mo, mo->confirm_op, mo->confirm_target);
	else
		snprintf(mo->message, sizeof mo->message, "cancelled: "
			 "nothing was done");
	mo->confirm_op = NULL;
	free(mo->confirm_target);
	mo->confirm_target = NULL;
	return MK_REDRAW | MK_REFRESH;
}

/* Show what is being typed in the footer. */
static void
show_prompt(struct monit *mo)
{
	snprintf(mo->prompt, sizeof mo->prompt, "%s: %s_  (Enter keeps, "
		 "Esc cancels)", mo->input == IN_SEARCH ? "search" : "filter",
		 mo->typed);
	mo->view.prompt = mo->prompt;
}

/* Start typing a search or a filter. */
static int
begin_input(struct monit *mo, enum input what)
{
	mo->input = what;
	mo->typed[0] = '\0';
	if (what == IN_FILTER) {
		free(mo->filter_before);
		mo->filter_before = mo->model.filter ?
			xstrdup(mo->model.filter) : NULL;
		snprintf(mo->typed, sizeof mo->typed, "%s",
			 mo->model.filter ? mo->model.filter : "");
	}
	show_prompt(mo);
	return MK_REDRAW;
}

/* Leave typing; keep (Enter) or undo (Esc) what it did. */
static void
end_input(struct monit *mo, bool keep)
{
	if (mo->input == IN_FILTER && !keep)
		model_set_filter(&mo->model, mo->filter_before);
	if (mo->input == IN_SEARCH && keep && mo->typed[0] != '\0') {
		free(mo->last_search);
		mo->last_search = xstrdup(mo->typed);
	}
	if (mo->input == IN_SEARCH && keep && mo->typed[0] != '\0' &&
	    !model_search(&mo->model, mo->typed, true))
		snprintf(mo->message, sizeof mo->message, "no app matches "
			 "'%s'", mo->typed);
	mo->input = IN_NONE;
	mo->view.prompt = NULL;
}

/* A key while a search or filter is typed: it applies as typed. */
static int
key_input(struct monit *mo, int ch)
{
	size_t len = strlen(mo->typed);

	if (ch == '\n' || ch == KEY_ENTER || ch == 27 || ch == KEY_F(10)) {
		end_input(mo, ch != 27 && ch != KEY_F(10));
		return MK_REDRAW;
	}
	if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (len > 0)
			mo->typed[len - 1] = '\0';
	} else if (ch == KEY_F(3) && mo->input == IN_SEARCH) {
		model_search(&mo->model, mo->typed, false);
		return MK_REDRAW;
	} else if (ch >= ' ' && ch < 127 && len + 1 < sizeof mo->typed) {
		mo->typed[len] = (char)ch;
		mo->typed[len + 1] = '\0';
	} else {
		return MK_NOTHING;
	}
	if (mo->input == IN_FILTER)
		model_set_filter(&mo->model, mo->typed);
	else
		model_search(&mo->model, mo->typed, true);
	show_prompt(mo);
	return MK_REDRAW;
}

/* Hide a pane that shows, show one that does not (taking lines from
   the table if need be), and say so. */
static int
key_pane(struct monit *mo, enum pane_mode *p, bool shown, const char *name)
{
	*p = shown ? PANE_OFF : PANE_ON;
	snprintf(mo->message, sizeof mo->message, "%s pane: %s", name,
		 shown ? "off" : "on");
	return MK_REDRAW;
}

/* The mouse: click selects, the wheel scrolls the table or the logs. */
static int
key_mouse(struct monit *mo)
{
	struct ui_view *v = &mo->view;
	MEVENT ev;
	bool in_logs;
	int step = 0;

	if (getmouse(&ev) != OK)
		return MK_NOTHING;
	in_logs = v->log_lines > 0 && ev.y >= v->log_y &&
		ev.y < v->log_y + v->log_lines;
	if (ev.bstate & BUTTON4_PRESSED)
		step = -3;
#ifdef BUTTON5_PRESSED
	else if (ev.bstate & BUTTON5_PRESSED)
		step = 3;
#endif
	if (step != 0 && in_logs) {
		v->log_back = step < 0 ? v->log_back + 3 :
			v->log_back > 3 ? v->log_back - 3 : 0;
		return MK_REDRAW;
	}
	if (step != 0) {
		model_move(&mo->model, step);
		return MK_REDRAW;
	}
	if ((ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)) &&
	    ev.y >= v->table_y && ev.y < v->table_y + v->table_rows &&
	    v->top + (size_t)(ev.y - v->table_y) < mo->model.n_lines) {
		model_select(&mo->model, v->top + (size_t)(ev.y - v->table_y));
		return MK_REDRAW;
	}
	return MK_NOTHING;
}

/* Keys that move the selection or scroll; MK_NOTHING when not one. */
static int
key_move(struct monit *mo, int ch)
{
	struct ui_model *m = &mo->model;
	int page = mo->view.table_rows > 1 ? mo->view.table_rows - 1 : 1;
	int logpage = mo->view.log_lines > 1 ? mo->view.log_lines - 1 : 1;

	switch (ch) {
	case KEY_UP: case 'k': model_move(m, -1); break;
	case KEY_DOWN: case 'j': model_move(m, 1); break;
	case KEY_PPAGE:		/* the view moves a page, as in htop */
		model_move(m, -page);
		mo->view.top = mo->view.top > (size_t)page ? mo->view.top -
			(size_t)page : 0;
		break;
	case KEY_NPAGE:
		model_move(m, page);
		mo->view.top += (size_t)page;
		break;
	case KEY_HOME: case 'g': model_select(m, 0); break;
	case KEY_END: case 'G': model_select(m, (size_t)-1); break;
	case '[': mo->view.log_back += (size_t)logpage; break;
	case ']':
		mo->view.log_back = mo->view.log_back > (size_t)logpage ?
			mo->view.log_back - (size_t)logpage : 0;
		break;
	case KEY_MOUSE: return key_mouse(mo);
	default: return MK_NOTHING;
	}
	return MK_REDRAW;
}

/* Keys that sort, fold, filter and size the panes. */
static int
key_view(struct monit *mo, int ch)
{
	struct ui_model *m = &mo->model;
	struct ui_view *v = &mo->view;

	switch (ch) {
	case '\n': case ' ': case KEY_ENTER: model_toggle_fold(m); break;
	case KEY_F(5): case 't':
		mo->tree = !mo->tree;
		model_fold_all(m, !mo->tree);
		break;
	case KEY_F(6): case '>':
		model_sort(m, (enum ui_col)((m->sort + 1) % COL_COUNT));
		m->sort_desc = false;
		break;
	case '<':
		model_sort(m, (enum ui_col)((m->sort + COL_COUNT - 1) %
					    COL_COUNT));
		m->sort_desc = false;
		break;
	case '/': case KEY_F(3): return begin_input(mo, IN_SEARCH);
	case '\\': case KEY_F(4): return begin_input(mo, IN_FILTER);
	case 'n':
		if (mo->last_search == NULL ||
		    !model_search(m, mo->last_search, false))
			snprintf(mo->message, sizeof mo->message,
				 "nothing to find: / searches");
		break;
	case 'i':
		return key_pane(mo, &v->detail, v->detail_rows > 0, "detail");
	case 'l': return key_pane(mo, &v->logs, v->log_lines > 0, "log");
	case '+': case '-':
		v->logs = PANE_ON;
		v->log_rows += ch == '+' ? 2 : -2;
		v->log_rows = v->log_rows < 2 ? 2 : v->log_rows > 200 ? 200 :
			v->log_rows;
		break;
	default:
		if (ch < '1' || ch >= '1' + COL_COUNT)
			return MK_NOTHING;
		model_sort(m, (enum ui_col)(ch - '1'));
	}
	return MK_REDRAW;
}

/* Handle one key; returns what the loop must do. */
static int
on_key(struct monit *mo, int ch)
{
	int r;

	if (ch == KEY_RESIZE) {
		clearok(stdscr, TRUE);
		return MK_REDRAW;
	}
	if (mo->confirm_op != NULL)
		return key_confirm(mo, ch);
	if (mo->input != IN_NONE)
		return key_input(mo, ch);
	if (mo->view.help) {
		mo->view.help = false;
		return MK_REDRAW;
	}
	mo->message[0] = '\0';
	switch (ch) {
	case 'q': case 'Q': case KEY_F(10): return MK_QUIT;
	case '?': case 'h': case KEY_F(1):
		mo->view.help = true;
		return MK_REDRAW;
	case 27:		/* Esc: drop the filter */
		if (mo->model.filter != NULL)
			model_set_filter(&mo->model, NULL);
		return MK_REDRAW;
	case 's': case KEY_F(9): return key_stop_start(mo);
	case 'r': return key_restart(mo);
	case 'R': return key_reload(mo);
	}
	r = key_move(mo, ch);
	return r != MK_NOTHING ? r : key_view(mo, ch);
}

/* Read a finished snapshot or action reply. */
static int
on_replies(struct monit *mo)
{
	struct derr e;
	json_t *reply;
	int flags = 0, rc;

	if (mo->snap != NULL && (rc = areq_read(mo->snap, &reply, &e)) != 0) {
		if (rc > 0)
			model_update(&mo->model, reply, now_ms());
		else
			model_disconnected(&mo->model, e.msg);
		json_decref(reply);
		areq_free(mo->snap);
		mo->snap = NULL;
		logpane_follow(&mo->logs, &mo->model,
			       model_selected_app(&mo->model));
		flags |= MK_REDRAW;
	}
	if (mo->action != NULL &&
	    (rc = areq_read(mo->action, &reply, &e)) != 0) {
		const char *err = json_string_value(json_object_get(reply,
								    "error"));
		snprintf(mo->message, sizeof mo->message, "%s: %s",
			 mo->action_name, rc < 0 ? e.msg : err ? err : "done");
		json_decref(reply);
		areq_free(mo->action);
		mo->action = NULL;
		flags |= MK_REDRAW | MK_REFRESH;
	}
	return flags;
}

/* Wait for input, a reply, new log lines or the next snapshot time. */
static void
wait_events(struct monit *mo)
{
	struct pollfd pfd[MAX_FDS];
	int fds[MAX_FDS - 3];
	nfds_t n = 0;
	long long left = mo->next_snap - now_ms();
	size_t nl = logpane_fds(&mo->logs, fds, MAX_FDS - 3);

	pfd[n++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
	if (mo->snap != NULL)
		pfd[n++] = (struct pollfd){ .fd = areq_fd(mo->snap),
					    .events = POLLIN };
	if (mo->action != NULL)
		pfd[n++] = (struct pollfd){ .fd = areq_fd(mo->action),
					    .events = POLLIN };
	for (size_t i = 0; i < nl; i++)
		pfd[n++] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	/* Log files are polled at least once a second without inotify. */
	poll(pfd, n, left < 0 ? 0 : left > 1000 ? 1000 : (int)left);
}

/* One turn: events, keys, replies, logs, paint when needed. */
static bool
turn(struct monit *mo, bool *dirty)
{
	int ch, flags = 0;

	wait_events(mo);
	while ((ch = getch()) != ERR)
		flags |= on_key(mo, ch);
	if (flags & MK_QUIT)
		return false;
	if (mo->logs.app == NULL || (flags & MK_REDRAW))
		logpane_follow(&mo->logs, &mo->model,
			       model_selected_app(&mo->model));
	flags |= on_replies(mo);
	if (logpane_read(&mo->logs))
		flags |= MK_REDRAW;
	if (((flags & MK_REFRESH) || now_ms() >= mo->next_snap) &&
	    !start_snapshot(mo))
		flags |= MK_REDRAW;
	if (flags & MK_REDRAW)
		*dirty = true;
	if (*dirty) {
		mo->view.message = mo->message[0] ? mo->message : NULL;
		mo->view.now = now_ms();
		draw_screen(&mo->model, &mo->logs, &mo->view);
		*dirty = false;
	}
	return true;
}

/* Run the dashboard. */
int
ui_monit(const char *home, int interval_ms, struct derr *e)
{
	struct monit mo = { .home = home };
	const char *nc = getenv("NO_COLOR");
	bool dirty = true;
	char *cup;
	SCREEN *scr;

	setlocale(LC_ALL, "");

	layout_set_ascii(strcmp(nl_langinfo(CODESET), "UTF-8") != 0);
	if (getenv("ESCDELAY") == NULL)
		setenv("ESCDELAY", "25", 1);	/* Esc acts at once */
	scr = newterm(NULL, stdout, stdin);
	if (scr == NULL)
		return derr_set(e, "cannot start the terminal (TERM=%s)",
				getenv("TERM") ? getenv("TERM") : "");
	cup = tigetstr("cup");
	if (cup == NULL || cup == (char *)-1) {	/* cannot move (dumb) */
		endwin();
		delscreen(scr);
		return 1;
	}
	set_fatal_hook(end_curses);
	cbreak();
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
		  | BUTTON5_PRESSED
#endif
		  , NULL);
	mouseinterval(0);
	/* Home and End as tmux, screen and the Linux console send them,
	   whatever TERM says. */
	define_key("\033[1~", KEY_HOME);
	define_key("\033[4~", KEY_END);
	define_key("\033[H", KEY_HOME);
	define_key("\033[F", KEY_END);
	define_key("\033OH", KEY_HOME);
	define_key("\033OF", KEY_END);
	mo.tree = true;
	mo.view.log_rows = LOG_ROWS_DEFAULT;
	mo.view.interval_ms = interval_ms;
	mo.view.color = nc == NULL || nc[0] == '\0';
	draw_init_colors(mo.view.color);
	model_init(&mo.model);
	logpane_init(&mo.logs);
	start_snapshot(&mo);
	while (turn(&mo, &dirty))
		;
	end_curses();
	set_fatal_hook(NULL);
	areq_free(mo.snap);
	areq_free(mo.action);
	free(mo.action_name);
	free(mo.confirm_target);
	free(mo.filter_before);
	free(mo.last_search);
	logpane_free(&mo.logs);
	model_free(&mo.model);
	return 0;
}

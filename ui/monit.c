/* monit.c: the dashboard's loop: snapshots, keys, actions, logs */
#include "ui/monit.h"
#include "core/aclient.h"
#include "core/loop.h"
#include "ui/draw.h"

#include <curses.h>
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
	char confirm;			/* pending y/n for 's' */
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

/* 's': stop a running selection (after y), start a stopped one. */
static int
key_stop_start(struct monit *mo)
{
	const struct ui_inst *in = model_selected_inst(&mo->model);
	char *target = selection_target(&mo->model);

	if (target == NULL)
		return MK_NOTHING;
	if (in != NULL && in->pid <= 0) {
		start_action(mo, "start", target);
	} else {
		mo->confirm = 's';
		snprintf(mo->message, sizeof mo->message,
			 "stop %s? (y/n)", target);
	}
	free(target);
	return MK_REDRAW;
}

/* A key while a y/n question is up. */
static int
key_confirm(struct monit *mo, int ch)
{
	char *target = selection_target(&mo->model);

	mo->confirm = 0;
	if ((ch == 'y' || ch == 'Y') && target != NULL)
		start_action(mo, "stop", target);
	else
		snprintf(mo->message, sizeof mo->message, "not stopped");
	free(target);
	return MK_REDRAW | MK_REFRESH;
}

/* Handle one key; returns what the loop must do. */
static int
on_key(struct monit *mo, int ch)
{
	struct ui_model *m = &mo->model;
	char *target;

	if (mo->confirm)
		return key_confirm(mo, ch);
	if (mo->view.help && ch != KEY_RESIZE) {
		mo->view.help = false;
		return MK_REDRAW;
	}
	mo->message[0] = '\0';
	switch (ch) {
	case 'q': case 'Q': return MK_QUIT;
	case '?': case 'h': mo->view.help = true; return MK_REDRAW;
	case KEY_UP: case 'k': model_move(m, -1); return MK_REDRAW;
	case KEY_DOWN: case 'j': model_move(m, 1); return MK_REDRAW;
	case KEY_PPAGE: model_move(m, -10); return MK_REDRAW;
	case KEY_NPAGE: model_move(m, 10); return MK_REDRAW;
	case '\n': case ' ': case KEY_ENTER:
		model_toggle_fold(m);
		return MK_REDRAW;
	case 's': return key_stop_start(mo);
	case 'r': case 'R':
		target = ch == 'R' ? (model_selected_app(m) ?
			xstrdup(model_selected_app(m)) : NULL) :
			selection_target(m);
		if (target != NULL)
			start_action(mo, ch == 'R' ? "reload" : "restart",
				     target);
		free(target);
		return MK_REDRAW | MK_REFRESH;
	case KEY_RESIZE:
		clearok(stdscr, TRUE);
		return MK_REDRAW;
	}
	if (ch >= '1' && ch < '1' + COL_COUNT) {
		model_sort(m, (enum ui_col)(ch - '1'));
		return MK_REDRAW;
	}
	return MK_NOTHING;
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
			model_update(&mo->model, reply);
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

	setlocale(LC_ALL, "");
	if (newterm(NULL, stdout, stdin) == NULL)
		return derr_set(e, "cannot start the terminal (TERM=%s)",
				getenv("TERM") ? getenv("TERM") : "");
	set_fatal_hook(end_curses);
	cbreak();
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
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
	logpane_free(&mo.logs);
	model_free(&mo.model);
	return 0;
}

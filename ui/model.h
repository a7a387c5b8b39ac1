/* model.h: what the dashboard shows: the daemon's snapshot, history,
 * folding, sorting and the selection; no curses here */
#ifndef DEPLOY_UI_MODEL_H
#define DEPLOY_UI_MODEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ui/layout.h"

#define HISTORY_LEN 120		/* samples kept per instance */

/* One instance as the daemon last described it. */
struct ui_inst {
	char *app;
	int index;
	int pid;
	char *status;
	double cpu;
	long long mem;
	int restarts;
	long long uptime_ms;
	int port;
	char *command, *cwd, *reason, *last_exit, *out_log, *err_log;
	double cpu_hist[HISTORY_LEN];	/* oldest first */
	double mem_hist[HISTORY_LEN];
	size_t n_hist;
	bool seen;			/* in the latest snapshot */
};

/* A line of the table: an app (folded or not) or one of its instances. */
struct ui_line {
	const char *app;
	struct ui_inst *inst;		/* NULL for an app line */
};

struct ui_app {
	char *name;
	bool folded;
};

struct ui_model {
	struct ui_inst **inst;
	size_t n_inst, cap_inst;
	struct ui_app *apps;
	size_t n_apps, cap_apps;
	struct ui_line *lines;		/* what the table shows, in order */
	size_t n_lines, cap_lines;
	enum ui_col sort;
	bool sort_desc;
	char *sel_app;			/* the selection, by name and index */
	int sel_index;			/* -1: the app line */
	bool connected;
	char error[256];
	int daemon_pid;
	long long daemon_started_ms;	/* wall clock */
	int n_online, n_stopped, n_errored;
};

void model_init(struct ui_model *m);
void model_free(struct ui_model *m);
/* Take a "ls" reply; keeps history; rebuilds the lines. */
void model_update(struct ui_model *m, json_t *reply);
/* The daemon could not be reached: say why, keep the old rows. */
void model_disconnected(struct ui_model *m, const char *why);
/* Sort by column c; the same column again reverses. */
void model_sort(struct ui_model *m, enum ui_col c);
/* Move the selection by delta lines (clamped). */
void model_move(struct ui_model *m, int delta);
/* Fold or unfold the selected app. */
void model_toggle_fold(struct ui_model *m);
/* The index in lines of the selection (0 when none). */
size_t model_selected(const struct ui_model *m);
/* The selected instance, or NULL (an app line, or nothing). */
struct ui_inst *model_selected_inst(const struct ui_model *m);
/* The app of the selection, or NULL. */
const char *model_selected_app(const struct ui_model *m);

#endif

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
	char *ready_by, *last_err;	/* when the daemon gives them */
	char *log_error;		/* its logs cannot be written */
	long long restart_at;		/* waiting: when it restarts (ms,
					   model clock), 0: unknown */
	long long grew_at;		/* when restarts last grew, 0: never */
	double cpu_hist[HISTORY_LEN];	/* oldest first */
	double mem_hist[HISTORY_LEN];
	size_t n_hist;
	bool seen;			/* in the latest snapshot */
};

/* A line of the table: an app (folded or not) or one of its instances. */
struct ui_line {
	const char *app;
	struct ui_inst *inst;		/* NULL for an app line */
	bool last;			/* the app's last instance line */
};

/* The states the header counts, from best to worst. */
enum ui_state {
	ST_ONLINE, ST_STOPPED, ST_STOPPING, ST_STARTING, ST_WAITING,
	ST_ERRORED, ST_COUNT
};

/* An app and its totals over its instances (running ones for cpu/mem). */
struct ui_app {
	char *name;
	bool folded;
	int n, n_state[ST_COUNT];
	double cpu;
	long long mem;
	int restarts;
	long long grew_at;		/* latest restart growth, 0: never */
};

#define RESTART_HOT_MS 10000	/* a restart stays highlighted this long */
#define RESTART_LOG 256		/* restart events kept for the header */

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
	int n_state[ST_COUNT];		/* instances by state */
	long long now;			/* the clock of the last update */
	bool first;			/* no snapshot taken yet */
	struct { long long at; int n; char *app; } restart_log[RESTART_LOG];
	size_t restart_head, n_restart_log;	/* a ring */
	char *filter;			/* only apps containing it, or NULL */
};

void model_init(struct ui_model *m);
void model_free(struct ui_model *m);
/*
 * Take a "ls" reply at time now (ms, any monotonic clock); keeps
 * history, notes restart counts that grew; rebuilds the lines.
 */
void model_update(struct ui_model *m, json_t *reply, long long now);
/* The state class of a status string ("waiting restart", ...). */
enum ui_state model_state(const char *status);
/* The worst state of an app, raised to ST_WAITING while a restart is
   recent (at now); ST_ONLINE when all is well. */
enum ui_state model_app_worst(const struct ui_app *a, long long now);
/* The app entry called name, or NULL. */
const struct ui_app *model_app(const struct ui_model *m, const char *name);
/* Restarts counted in the last minute before now, of app (NULL: all). */
int model_recent_restarts(const struct ui_model *m, const char *app,
			  long long now);
/* Show only apps whose name contains text (case-insensitive); NULL or
   "" shows all. */
void model_set_filter(struct ui_model *m, const char *text);
/* Select the next line after the selection (from the top when first)
   whose app name contains text; false when none does. */
bool model_search(struct ui_model *m, const char *text, bool first);
/* Select line i (clamped). */
void model_select(struct ui_model *m, size_t i);
/* Fold every app (tree off) or unfold every app (tree on). */
void model_fold_all(struct ui_model *m, bool folded);
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

/* model.c: the dashboard's data: snapshot, history, fold, sort, selection */
#include "ui/model.h"
#include "core/lib/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* An empty model, sorted by app. */
void
model_init(struct ui_model *m)
{
	memset(m, 0, sizeof *m);
	m->sort = COL_APP;
	m->sel_index = -1;
	m->first = true;
}

/* Free one instance. */
static void
inst_free(struct ui_inst *in)
{
	free(in->app);
	free(in->status);
	free(in->command);
	free(in->cwd);
	free(in->reason);
	free(in->last_exit);
	free(in->out_log);
	free(in->err_log);
	free(in->ready_by);
	free(in->last_err);
	free(in->log_error);
	free(in);
}

/* Free everything. */
void
model_free(struct ui_model *m)
{
	for (size_t i = 0; i < m->n_inst; i++)
		inst_free(m->inst[i]);
	for (size_t i = 0; i < m->n_apps; i++)
		free(m->apps[i].name);
	free(m->inst);
	free(m->apps);
	free(m->lines);
	free(m->sel_app);
	free(m->filter);
	for (size_t i = 0; i < RESTART_LOG; i++)
		free(m->restart_log[i].app);
	memset(m, 0, sizeof *m);
}

/* The instance app:index, or NULL. */
static struct ui_inst *
find_inst(const struct ui_model *m, const char *app, int index)
{
	for (size_t i = 0; i < m->n_inst; i++)
		if (m->inst[i]->index == index &&
		    strcmp(m->inst[i]->app, app) == 0)
			return m->inst[i];
	return NULL;
}

/* The app entry for name, added unfolded when new. */
static struct ui_app *
find_app(struct ui_model *m, const char *name)
{
	for (size_t i = 0; i < m->n_apps; i++)
		if (strcmp(m->apps[i].name, name) == 0)
			return &m->apps[i];
	ARRAY_GROW(m->apps, m->cap_apps, m->n_apps + 1);
	m->apps[m->n_apps] = (struct ui_app){ .name = xstrdup(name) };
	return &m->apps[m->n_apps++];
}

/* Replace *dst with a copy of the JSON string (or NULL). */
static void
set_str(char **dst, json_t *v)
{
	free(*dst);
	*dst = xstrdup(json_string_value(v));
}

/* Append a sample to the instance's history, oldest first. */
static void
push_hist(struct ui_inst *in)
{
	if (in->n_hist == HISTORY_LEN) {
		memmove(in->cpu_hist, in->cpu_hist + 1,
			(HISTORY_LEN - 1) * sizeof *in->cpu_hist);
		memmove(in->mem_hist, in->mem_hist + 1,
			(HISTORY_LEN - 1) * sizeof *in->mem_hist);
		in->n_hist--;
	}
	in->cpu_hist[in->n_hist] = in->cpu;
	in->mem_hist[in->n_hist] = (double)in->mem;
	in->n_hist++;
}

/* Note n restarts of app at m->now for the last-minute counts. */
static void
log_restarts(struct ui_model *m, const char *app, int n)
{
	size_t slot = (m->restart_head + m->n_restart_log) % RESTART_LOG;

	if (m->n_restart_log == RESTART_LOG) {
		slot = m->restart_head;
		m->restart_head = (m->restart_head + 1) % RESTART_LOG;
	} else {
		m->n_restart_log++;
	}
	free(m->restart_log[slot].app);
	m->restart_log[slot].at = m->now;
	m->restart_log[slot].n = n;
	m->restart_log[slot].app = xstrdup(app);
}

/* Restarts in the minute before now. */
int
model_recent_restarts(const struct ui_model *m, const char *app,
		      long long now)
{
	int n = 0;

	for (size_t i = 0; i < m->n_restart_log; i++) {
		size_t slot = (m->restart_head + i) % RESTART_LOG;

		if (now - m->restart_log[slot].at < 60000 && (app == NULL ||
		    strcmp(app, m->restart_log[slot].app) == 0))
			n += m->restart_log[slot].n;
	}
	return n;
}

/* Copy one "ls" row into its instance (new or known). */
static void
take_row(struct ui_model *m, json_t *row)
{
	const char *app = json_string_value(json_object_get(row, "app"));
	int index = (int)json_integer_value(json_object_get(row, "instance"));
	json_t *wait = json_object_get(row, "restart_in_ms");
	struct ui_inst *in;
	int before;

	if (app == NULL)
		return;
	in = find_inst(m, app, index);
	if (in == NULL) {
		in = xcalloc(1, sizeof *in);
		in->app = xstrdup(app);
		in->index = index;
		in->restarts = -1;	/* new: its count is no growth */
		ARRAY_GROW(m->inst, m->cap_inst, m->n_inst + 1);
		m->inst[m->n_inst++] = in;
	}
	find_app(m, app);
	in->seen = true;
	before = in->restarts;
	in->pid = (int)json_integer_value(json_object_get(row, "pid"));
	set_str(&in->status, json_object_get(row, "status"));
	in->cpu = json_number_value(json_object_get(row, "cpu"));
	in->mem = json_integer_value(json_object_get(row, "memory"));
	in->restarts = (int)json_integer_value(json_object_get(row,
							       "restarts"));
	in->uptime_ms = json_integer_value(json_object_get(row, "uptime_ms"));
	in->port = (int)json_integer_value(json_object_get(row, "port"));
	set_str(&in->command, json_object_get(row, "command"));
	set_str(&in->cwd, json_object_get(row, "cwd"));
	set_str(&in->reason, json_object_get(row, "reason"));
	set_str(&in->last_exit, json_object_get(row, "last_exit"));
	set_str(&in->out_log, json_object_get(row, "out_log"));
	set_str(&in->err_log, json_object_get(row, "err_log"));
	set_str(&in->ready_by, json_object_get(row, "ready_by"));
	set_str(&in->last_err, json_object_get(row, "last_err"));
	set_str(&in->log_error, json_object_get(row, "log_error"));
	in->restart_at = json_is_integer(wait) ?
		m->now + json_integer_value(wait) : 0;
	if (before >= 0 && in->restarts > before && !m->first) {
		in->grew_at = m->now;
		log_restarts(m, app, in->restarts - before);
	}
	push_hist(in);
}

/* The state class of a status string. */
enum ui_state
model_state(const char *status)
{
	static const struct { const char *name; enum ui_state st; } map[] = {
		{ "online", ST_ONLINE }, { "stopped", ST_STOPPED },
		{ "stopping", ST_STOPPING }, { "retiring", ST_STOPPING },
		{ "starting", ST_STARTING }, { "errored", ST_ERRORED },
		{ "waiting restart", ST_WAITING }, { "waiting", ST_WAITING },
	};

	for (size_t i = 0; status != NULL && i < ARRAY_SIZE(map); i++)
		if (strcmp(map[i].name, status) == 0)
			return map[i].st;
	return ST_STARTING;		/* unknown: not well, not broken */
}

/* The worst state of an app; a recent restart counts as waiting. */
enum ui_state
model_app_worst(const struct ui_app *a, long long now)
{
	enum ui_state worst = ST_ONLINE;

	for (int s = 0; s < ST_COUNT; s++)
		if (a->n_state[s] > 0 && s != ST_STOPPED)
			worst = (enum ui_state)s;
	if (worst < ST_WAITING && a->grew_at > 0 &&
	    now - a->grew_at < RESTART_HOT_MS)
		worst = ST_WAITING;
	if (worst == ST_ONLINE && a->n_state[ST_STOPPED] > 0)
		worst = ST_STOPPED;
	return worst;
}

/* The app entry called name. */
const struct ui_app *
model_app(const struct ui_model *m, const char *name)
{
	for (size_t a = 0; a < m->n_apps; a++)
		if (strcmp(m->apps[a].name, name) == 0)
			return &m->apps[a];
	return NULL;
}

/* Totals of every app and the counts of the header. */
static void
count(struct ui_model *m)
{
	memset(m->n_state, 0, sizeof m->n_state);
	for (size_t a = 0; a < m->n_apps; a++) {
		struct ui_app *ap = &m->apps[a];

		ap->n = ap->restarts = 0;
		ap->cpu = 0;
		ap->mem = 0;
		ap->grew_at = 0;
		memset(ap->n_state, 0, sizeof ap->n_state);
	}
	for (size_t i = 0; i < m->n_inst; i++) {
		const struct ui_inst *in = m->inst[i];
		struct ui_app *ap = find_app(m, in->app);
		enum ui_state st = model_state(in->status);

		ap->n++;
		ap->n_state[st]++;
		m->n_state[st]++;
		ap->restarts += in->restarts;
		if (in->grew_at > ap->grew_at)
			ap->grew_at = in->grew_at;
		if (in->pid <= 0)	/* stopped: no cpu, no memory */
			continue;
		ap->cpu += in->cpu;
		ap->mem += in->mem;
	}
}

/* Drop instances the latest snapshot no longer has. */
static void
drop_unseen(struct ui_model *m)
{
	size_t out = 0;

	for (size_t i = 0; i < m->n_inst; i++) {
		if (m->inst[i]->seen)
			m->inst[out++] = m->inst[i];
		else
			inst_free(m->inst[i]);
	}
	m->n_inst = out;
}

/* The value of column c for an instance, as a number. */
static double
col_value(const struct ui_inst *in, enum ui_col c)
{
	switch (c) {
	case COL_ID: return in->index;
	case COL_PID: return in->pid;
	case COL_CPU: return in->pid > 0 ? in->cpu : 0;
	case COL_MEM: return in->pid > 0 ? (double)in->mem : 0;
	case COL_RESTARTS: return in->restarts;
	case COL_UPTIME: return (double)in->uptime_ms;
	default: return 0;
	}
}

/* Sum of column c over an app's instances. */
static double
app_value(const struct ui_model *m, const char *app, enum ui_col c)
{
	double v = 0;

	for (size_t i = 0; i < m->n_inst; i++)
		if (strcmp(m->inst[i]->app, app) == 0)
			v += col_value(m->inst[i], c);
	return v;
}

static const struct ui_model *sort_model;

/* Order two numbers, or the text columns by name, for qsort. */
static int
cmp_num(double a, double b)
{
	return a < b ? -1 : a > b;
}

/* qsort comparator for instances. */
static int
cmp_inst(const void *pa, const void *pb)
{
	const struct ui_inst *a = *(struct ui_inst *const *)pa;
	const struct ui_inst *b = *(struct ui_inst *const *)pb;
	const struct ui_model *m = sort_model;
	int r = 0;

	if (m->sort == COL_STATUS)
		r = strcmp(a->status ? a->status : "", b->status ? b->status :
			   "");
	else if (m->sort != COL_APP)
		r = cmp_num(col_value(a, m->sort), col_value(b, m->sort));
	if (r == 0)
		r = a->index - b->index;
	return m->sort_desc ? -r : r;
}

/* qsort comparator for apps. */
static int
cmp_app(const void *pa, const void *pb)
{
	const struct ui_app *a = pa, *b = pb;
	const struct ui_model *m = sort_model;
	int r = 0;

	if (m->sort != COL_APP && m->sort != COL_STATUS)
		r = cmp_num(app_value(m, a->name, m->sort),
			    app_value(m, b->name, m->sort));
	if (r == 0)
		r = strcmp(a->name, b->name);
	return m->sort_desc ? -r : r;
}

/* Whether name passes the filter. */
static bool
shown(const struct ui_model *m, const char *name)
{
	return m->filter == NULL || strcasestr(name, m->filter) != NULL;
}

/* Rebuild the table lines: apps in order, each with its instances. */
static void
build_lines(struct ui_model *m)
{
	sort_model = m;
	qsort(m->inst, m->n_inst, sizeof *m->inst, cmp_inst);
	qsort(m->apps, m->n_apps, sizeof *m->apps, cmp_app);
	m->n_lines = 0;
	for (size_t a = 0; a < m->n_apps; a++) {
		if (!shown(m, m->apps[a].name))
			continue;
		ARRAY_GROW(m->lines, m->cap_lines, m->n_lines + 1);
		m->lines[m->n_lines++] = (struct ui_line){ m->apps[a].name,
							    NULL, false };
		if (m->apps[a].folded)
			continue;
		for (size_t i = 0; i < m->n_inst; i++) {
			if (strcmp(m->inst[i]->app, m->apps[a].name) != 0)
				continue;
			ARRAY_GROW(m->lines, m->cap_lines, m->n_lines + 1);
			m->lines[m->n_lines++] = (struct ui_line){
				m->apps[a].name, m->inst[i], false };
		}
		if (m->lines[m->n_lines - 1].inst != NULL)
			m->lines[m->n_lines - 1].last = true;
	}
}

/* Forget apps that have no instance any more. */
static void
drop_empty_apps(struct ui_model *m)
{
	size_t out = 0;

	for (size_t a = 0; a < m->n_apps; a++) {
		bool any = false;

		for (size_t i = 0; i < m->n_inst && !any; i++)
			any = strcmp(m->inst[i]->app, m->apps[a].name) == 0;
		if (any)
			m->apps[out++] = m->apps[a];
		else
			free(m->apps[a].name);
	}
	m->n_apps = out;
}

/* Take a fresh snapshot from the daemon. */
void
model_update(struct ui_model *m, json_t *reply, long long now)
{
	json_t *daemon = json_object_get(reply, "daemon"), *row;
	size_t i;

	m->now = now;
	m->connected = true;
	m->error[0] = '\0';
	m->daemon_pid = (int)json_integer_value(json_object_get(daemon,
								"pid"));
	m->daemon_started_ms = json_integer_value(json_object_get(daemon,
								  "started"));
	for (i = 0; i < m->n_inst; i++)
		m->inst[i]->seen = false;
	json_array_foreach(json_object_get(reply, "instances"), i, row)
		take_row(m, row);
	drop_unseen(m);
	drop_empty_apps(m);
	count(m);
	m->first = false;
	build_lines(m);
}

/* Remember that the daemon is not there. */
void
model_disconnected(struct ui_model *m, const char *why)
{
	m->connected = false;
	snprintf(m->error, sizeof m->error, "%s", why);
}

/* Sort by c, reversing on a second press. */
void
model_sort(struct ui_model *m, enum ui_col c)
{
	if (m->sort == c)
		m->sort_desc = !m->sort_desc;
	else
		m->sort_desc = c == COL_CPU || c == COL_MEM ||
			       c == COL_RESTARTS;
	m->sort = c;
	build_lines(m);
}

/* The line index of the selection. */
size_t
model_selected(const struct ui_model *m)
{
	for (size_t i = 0; m->sel_app != NULL && i < m->n_lines; i++) {
		const struct ui_line *l = &m->lines[i];

		if (strcmp(l->app, m->sel_app) != 0)
			continue;
		if ((l->inst == NULL && m->sel_index < 0) ||
		    (l->inst != NULL && l->inst->index == m->sel_index))
			return i;
	}
	for (size_t i = 0; m->sel_app != NULL && i < m->n_lines; i++)
		if (strcmp(m->lines[i].app, m->sel_app) == 0)
			return i;
	return 0;
}

/* Select line i (the last when past the end). */
void
model_select(struct ui_model *m, size_t i)
{
	if (m->n_lines == 0)
		return;
	if (i >= m->n_lines)
		i = m->n_lines - 1;
	free(m->sel_app);
	m->sel_app = xstrdup(m->lines[i].app);
	m->sel_index = m->lines[i].inst ? m->lines[i].inst->index : -1;
}

/* Move the selection up or down. */
void
model_move(struct ui_model *m, int delta)
{
	long i = (long)model_selected(m) + delta;

	if (m->n_lines == 0)
		return;
	if (i < 0)
		i = 0;
	if (i >= (long)m->n_lines)
		i = (long)m->n_lines - 1;
	model_select(m, (size_t)i);
}

/* Fold or unfold the app of the selection. */
void
model_toggle_fold(struct ui_model *m)
{
	const char *app = model_selected_app(m);

	if (app == NULL)
		return;
	for (size_t a = 0; a < m->n_apps; a++) {
		if (strcmp(m->apps[a].name, app) != 0)
			continue;
		m->apps[a].folded = !m->apps[a].folded;
		m->sel_index = -1;
	}
	build_lines(m);
}

/* The selected instance, if an instance line is selected. */
struct ui_inst *
model_selected_inst(const struct ui_model *m)
{
	if (m->n_lines == 0)
		return NULL;
	return m->lines[model_selected(m)].inst;
}

/* The app of the selected line. */
const char *
model_selected_app(const struct ui_model *m)
{
	if (m->n_lines == 0)
		return NULL;
	return m->lines[model_selected(m)].app;
}

/* Filter the apps by name. */
void
model_set_filter(struct ui_model *m, const char *text)
{
	free(m->filter);
	m->filter = text != NULL && text[0] != '\0' ? xstrdup(text) : NULL;
	build_lines(m);
}

/* Select the next line whose app name contains text. */
bool
model_search(struct ui_model *m, const char *text, bool first)
{
	size_t from = first ? 0 : model_selected(m) + 1;

	if (text == NULL || text[0] == '\0')
		return false;
	for (size_t k = 0; k < m->n_lines; k++) {
		size_t i = (from + k) % m->n_lines;

		if (strcasestr(m->lines[i].app, text) != NULL) {
			model_select(m, i);
			return true;
		}
	}
	return false;
}

/* Fold or unfold every app. */
void
model_fold_all(struct ui_model *m, bool folded)
{
	for (size_t a = 0; a < m->n_apps; a++)
		m->apps[a].folded = folded;
	if (folded)
		m->sel_index = -1;
	build_lines(m);
}

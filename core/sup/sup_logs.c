/* sup_logs.c: each instance's log files, shared by path (merge_logs) */
#include "core/lib/fileio.h"
#include "core/lib/logfile.h"
#include "core/sup/sup_int.h"

#include <stdlib.h>
#include <string.h>

struct log_entry {
	char *path;
	struct logfile *lf;	/* our reference */
	int users;
	int reported;		/* the write error the daemon log has */
};

struct sup_logs {
	struct log_entry *e;
	size_t n, cap;
};

/* An empty registry. */
struct sup_logs *
sup_logs_new(void)
{
	return xcalloc(1, sizeof(struct sup_logs));
}

/* Close every file. */
void
sup_logs_free(struct sup_logs *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++) {
		logfile_free(l->e[i].lf);
		free(l->e[i].path);
	}
	free(l->e);
	free(l);
}

/* "dir/name-3.log" from "dir/name.log" and 3. */
static char *
insert_index(const char *path, int index)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(path, '.');

	if (dot == NULL || (slash != NULL && dot < slash) || dot == path ||
	    dot[-1] == '/')
		return xasprintf("%s-%d", path, index);
	return xasprintf("%.*s-%d%s", (int)(dot - path), path, index, dot);
}

/* The log path of an instance's stdout (err false) or stderr. */
static char *
sup_logs_path(const struct sup *s, const struct sup_inst *in, bool err)
{
	const struct eco_app *cfg = in->app->cfg;
	const char *given = err ? cfg->error_file : cfg->out_file;
	const char *kind = err ? "err" : "out";
	char *full, *out;

	if (given == NULL) {
		if (cfg->merge_logs)
			return xasprintf("%s/%s-%s.log", s->logs_dir,
					 cfg->name, kind);
		return xasprintf("%s/%s-%d-%s.log", s->logs_dir, cfg->name,
				 in->index, kind);
	}
	full = path_join(cfg->cwd, given);
	if (cfg->merge_logs || cfg->instances == 1 ||
	    strcmp(given, "/dev/null") == 0)
		return full;
	out = insert_index(full, in->index);
	free(full);
	return out;
}

/* Open path (private_file: in our logs/) or share the open one; a new
 * writer on it. */
static struct logwriter *
logs_writer(struct sup_logs *l, const char *path,
	    const struct eco_app *cfg, bool private_file, struct derr *e)
{
	struct logfile_opts o = LOGFILE_OPTS_INIT;
	struct logfile *lf;

	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->e[i].path, path) == 0) {
			l->e[i].users++;
			return logwriter_new(l->e[i].lf);
		}
	}
	o.max_size = cfg->log_max_size;
	o.max_files = cfg->log_max_files;
	o.date_format = cfg->log_date_format;
	o.private_file = private_file;
	lf = logfile_open(path, &o, e);
	if (lf == NULL)
		return NULL;
	ARRAY_GROW(l->e, l->cap, l->n + 1);
	l->e[l->n++] = (struct log_entry){ xstrdup(path), lf, 1, 0 };
	return logwriter_new(lf);
}

/* Give up one use of the file at path; close it with the last. */
static void
logs_release(struct sup_logs *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->e[i].path, path) != 0 || --l->e[i].users > 0)
			continue;
		logfile_free(l->e[i].lf);
		free(l->e[i].path);
		l->e[i] = l->e[--l->n];
		return;
	}
}

/* Open the instance's out and err writers. */
int
sup_logs_attach(struct sup *s, struct sup_inst *in, struct derr *e)
{
	const struct eco_app *cfg = in->app->cfg;

	in->log_path[0] = sup_logs_path(s, in, false);
	in->log_path[1] = sup_logs_path(s, in, true);
	in->out = logs_writer(s->logs, in->log_path[0], cfg,
			      cfg->out_file == NULL, e);
	if (in->out != NULL)
		in->err = logs_writer(s->logs, in->log_path[1], cfg,
				      cfg->error_file == NULL, e);
	if (in->err == NULL) {
		sup_logs_detach(in);
		return -1;
	}
	logwriter_keep_last(in->err);
	return 0;
}

/* Flush and drop the instance's writers. */
void
sup_logs_detach(struct sup_inst *in)
{
	struct sup *s = in->app->s;

	for (int k = 0; k < 2; k++) {
		struct logwriter **w = k ? &in->err : &in->out;

		if (*w != NULL) {
			if (k == 1 && *logwriter_last_line(*w) != '\0') {
				free(in->last_err);
				in->last_err = xstrdup(logwriter_last_line(*w));
			}
			logwriter_free(*w);
			*w = NULL;
			logs_release(s->logs, in->log_path[k]);
		}
		free(in->log_path[k]);
		in->log_path[k] = NULL;
	}
}

/* Say in the daemon's log when a file stops or starts taking lines. */
static void
report_change(struct log_entry *le)
{
	int err = logfile_errno(le->lf);

	if (err == le->reported)
		return;
	if (err != 0)
		dlog("log file '%s': %s: lines are held, then dropped",
			le->path, strerror(err));
	else
		dlog("log file '%s': written again (%lld bytes dropped)",
			le->path, logfile_dropped(le->lf));
	le->reported = err;
}

/* Retry bytes a full disk held back; report failures and recoveries. */
void
sup_logs_retry(struct sup_logs *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (logfile_pending(l->e[i].lf) > 0)
			logfile_flush(l->e[i].lf);
		report_change(&l->e[i]);
	}
}

/* "cannot write 'path': why" for the instance's first failing log
   (caller frees), or NULL. */
static char *
sup_logs_problem(const struct sup_logs *l, const struct sup_inst *in)
{
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; in->log_path[k] != NULL && i < l->n; i++) {
			int err = logfile_errno(l->e[i].lf);

			if (err != 0 && strcmp(l->e[i].path,
					       in->log_path[k]) == 0)
				return xasprintf("cannot write '%s': %s",
						 in->log_path[k],
						 strerror(err));
		}
	}
	return NULL;
}

/* Bytes dropped so far on the file at path (0 when not open). */
static long long
sup_logs_dropped(const struct sup_logs *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->e[i].path, path) == 0)
			return logfile_dropped(l->e[i].lf);
	return 0;
}

/* The nearest time a held partial line is due, -1 when none is. */
long long
sup_logs_due(const struct sup_logs *l)
{
	long long due = -1;

	for (size_t i = 0; i < l->n; i++) {
		long long at = logfile_due(l->e[i].lf);

		if (at >= 0 && (due < 0 || at < due))
			due = at;
	}
	return due;
}

/* Write the partial lines held long enough (a prompt, a last line). */
void
sup_logs_tick(struct sup_logs *l, long long now)
{
	for (size_t i = 0; i < l->n; i++) {
		long long at = logfile_due(l->e[i].lf);

		if (at >= 0 && at <= now)
			logfile_tick(l->e[i].lf, now);
	}
}

/* The last non-blank stderr line: the live writer's, else the saved. */
const char *
sup_logs_last_err(const struct sup_inst *in)
{
	const char *line = in->err ? logwriter_last_line(in->err) : "";

	if (*line == '\0' && in->last_err != NULL)
		line = in->last_err;
	return line;
}

/* The log fields of an instance's ls row. */
void
sup_logs_to_json(const struct sup_inst *in, json_t *o)
{
	const struct sup *s = in->app->s;
	long long dropped = 0;
	char *problem;

	for (int k = 0; k < 2; k++) {
		char *path = in->log_path[k] ? xstrdup(in->log_path[k]) :
			sup_logs_path(s, in, k == 1);

		dropped += sup_logs_dropped(s->logs, path);
		json_object_set_new(o, k ? "err_log" : "out_log",
				    json_string(path));
		free(path);
	}
	json_object_set_new(o, "dropped_bytes", json_integer(dropped));
	json_object_set_new(o, "last_err", json_string(sup_logs_last_err(in)));
	if ((problem = sup_logs_problem(s->logs, in)) != NULL)
		json_object_set_new(o, "log_error", json_string(problem));
	free(problem);
}

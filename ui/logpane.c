/* logpane.c: the live tail of the selected app's logs */
#include "ui/logpane.h"
#include "core/lib/logread.h"
#include "core/lib/strbuf.h"
#include "core/lib/util.h"

#include <stdlib.h>
#include <string.h>

#define TAIL_LINES 20
#define LOOK_BACK 3

struct logpane_src {
	char *label;
	struct logfollow *f;
};

/* An empty pane. */
void
logpane_init(struct logpane *lp)
{
	memset(lp, 0, sizeof *lp);
}

/* Forget the lines. */
static void
clear_lines(struct logpane *lp)
{
	for (size_t i = 0; i < LOGPANE_LINES; i++) {
		free(lp->lines[i]);
		lp->lines[i] = NULL;
	}
	lp->head = lp->n = 0;
}

/* Close the followers. */
static void
close_sources(struct logpane *lp)
{
	for (size_t i = 0; i < lp->n_src; i++) {
		logfollow_free(lp->src[i].f);
		free(lp->src[i].label);
	}
	free(lp->src);
	lp->src = NULL;
	lp->n_src = 0;
}

/* Free everything. */
void
logpane_free(struct logpane *lp)
{
	close_sources(lp);
	clear_lines(lp);
	free(lp->app);
	lp->app = NULL;
}

/* Keep one line with its label. */
static void
add_line(struct logpane *lp, const char *label, const char *text, size_t len)
{
	size_t slot = (lp->head + lp->n) % LOGPANE_LINES;

	if (lp->n == LOGPANE_LINES) {
		free(lp->lines[lp->head]);
		lp->head = (lp->head + 1) % LOGPANE_LINES;
		slot = (lp->head + lp->n - 1) % LOGPANE_LINES;
	} else {
		lp->n++;
	}
	lp->lines[slot] = xasprintf("%s %.*s", label, (int)len, text);
}

/* Split text into lines and keep them. */
static void
add_text(struct logpane *lp, const char *label, const char *text)
{
	while (*text != '\0') {
		size_t len = strcspn(text, "\n");

		add_line(lp, label, text, len);
		text += len + (text[len] == '\n');
	}
}

/* Open a follower for path with the last lines shown. */
static void
open_source(struct logpane *lp, const char *path, const char *label)
{
	struct strbuf sb = STRBUF_INIT;
	struct derr e;
	struct logfollow *f = logfollow_open(path, &e);

	if (f == NULL)
		return;
	if (logfollow_tail(f, LOOK_BACK, TAIL_LINES, &sb, &e) == 0)
		add_text(lp, label, sb.buf);
	strbuf_release(&sb);
	lp->src = xrealloc(lp->src, (lp->n_src + 1) * sizeof *lp->src);
	lp->src[lp->n_src++] = (struct logpane_src){ xstrdup(label), f };
}

/* Follow every log of app's instances. */
void
logpane_follow(struct logpane *lp, const struct ui_model *m, const char *app)
{
	if (app == NULL || (lp->app != NULL && strcmp(lp->app, app) == 0))
		return;
	logpane_free(lp);
	lp->app = xstrdup(app);
	for (size_t i = 0; i < m->n_inst; i++) {
		const struct ui_inst *in = m->inst[i];
		char label[80];

		if (strcmp(in->app, app) != 0)
			continue;
		snprintf(label, sizeof label, "%d|", in->index);
		if (in->out_log != NULL)
			open_source(lp, in->out_log, label);
		snprintf(label, sizeof label, "%d!", in->index);
		if (in->err_log != NULL && (in->out_log == NULL ||
		    strcmp(in->err_log, in->out_log) != 0))
			open_source(lp, in->err_log, label);
	}
}

/* Take whatever the followers have. */
bool
logpane_read(struct logpane *lp)
{
	struct strbuf sb = STRBUF_INIT;
	bool any = false;
	struct derr e;

	for (size_t i = 0; i < lp->n_src; i++) {
		strbuf_reset(&sb);
		if (logfollow_read(lp->src[i].f, &sb, &e) == 0 && sb.len > 0) {
			add_text(lp, lp->src[i].label, sb.buf);
			any = true;
		}
	}
	strbuf_release(&sb);
	return any;
}

/* The followers' inotify fds. */
size_t
logpane_fds(const struct logpane *lp, int *fds, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < lp->n_src && n < max; i++)
		if (logfollow_fd(lp->src[i].f) >= 0)
			fds[n++] = logfollow_fd(lp->src[i].f);
	return n;
}

/* The k-th newest line. */
const char *
logpane_line(const struct logpane *lp, size_t k)
{
	if (k >= lp->n)
		return NULL;
	return lp->lines[(lp->head + lp->n - 1 - k) % LOGPANE_LINES];
}

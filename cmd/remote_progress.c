/* remote_progress.c: the output of a remote run while it goes: "[host]
 * line" lines, nothing (--quiet), or on a terminal one status line per
 * host redrawn in place */
#include "cmd/remote_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* The terminal's size; 80x24 for what it does not say. */
static void
term_size(int *cols, int *rows)
{
	struct winsize ws;

	*cols = 80;
	*rows = 24;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
		return;
	if (ws.ws_col > 0)
		*cols = ws.ws_col;
	if (ws.ws_row > 0)
		*rows = ws.ws_row;
}

/* Set up p for the hosts of o's target; see remote_cli.h. */
void
remote_progress_init(struct remote_progress *p, const struct remote_opts *o,
		     bool json, bool quiet)
{
	const struct eco_target *t = o->target;
	int rows;

	memset(p, 0, sizeof *p);
	p->json = json;
	p->quiet = quiet;
	term_size(&p->cols, &rows);
	/* In place only when every host's line fits on the screen. */
	p->live = !json && !quiet && use_color() &&
		t->n_hosts + 2 < (size_t)rows;
	if (!p->live)
		return;
	p->n = t->n_hosts;
	p->hosts = xcalloc(p->n + 1, sizeof *p->hosts);
	p->status = xcalloc(p->n + 1, sizeof *p->status);
	for (size_t i = 0; i < p->n; i++) {
		p->hosts[i] = remote_host_label(&t->hosts[i]);
		p->status[i] = xstrdup("waiting");
		p->width = strlen(p->hosts[i]) > p->width ?
			strlen(p->hosts[i]) : p->width;
	}
}

/* Draw every host's line over the ones drawn before. */
static void
redraw(struct remote_progress *p)
{
	int room = p->cols - (int)p->width - 3;

	if (p->drawn > 0)
		printf("\033[%zuA", p->drawn);
	for (size_t i = 0; i < p->n; i++)
		printf("\r\033[K%-*s  %.*s\n", (int)p->width, p->hosts[i],
		       room > 0 ? room : 0, p->status[i]);
	p->drawn = p->n;
	fflush(stdout);
}

/* The index of host in p's list, adding it when new ("local"). */
static size_t
host_index(struct remote_progress *p, const char *host)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->hosts[i], host) == 0)
			return i;
	p->hosts = xrealloc(p->hosts, (p->n + 1) * sizeof *p->hosts);
	p->status = xrealloc(p->status, (p->n + 1) * sizeof *p->status);
	p->hosts[i] = xstrdup(host);
	p->status[i] = xstrdup("");
	p->n++;
	if (strlen(host) > p->width)
		p->width = strlen(host);
	return i;
}

/* remote_line_fn: see remote_cli.h. */
void
remote_progress_line(void *arg, const char *host, int stream,
		     const char *line)
{
	struct remote_progress *p = arg;
	FILE *f = p->json || stream == 2 ? stderr : stdout;
	size_t i;

	if (p->quiet)
		return;
	if (!p->live) {
		fprintf(f, "[%s] %s\n", host, line);
		fflush(f);
		return;
	}
	if (*line == '\0')
		return;
	i = host_index(p, host);
	free(p->status[i]);
	p->status[i] = xstrdup(line);
	redraw(p);
}

/* Free what p holds. */
void
remote_progress_clear(struct remote_progress *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->hosts[i]);
		free(p->status[i]);
	}
	free(p->hosts);
	free(p->status);
	memset(p, 0, sizeof *p);
}

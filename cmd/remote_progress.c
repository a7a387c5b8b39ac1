/* remote_progress.c: the output of a remote run while it goes: "[host]
 * line" lines, nothing (--quiet), or on a terminal one status line per
 * host redrawn in place (the hosts heard from last when they outnumber
 * the terminal's lines) */
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
	p->live = !json && !quiet && use_color();
	if (!p->live)
		return;
	/* More hosts than lines: the ones heard from last are shown. */
	p->height = rows > 3 ? (size_t)rows - 2 : 1;
	p->n = t->n_hosts;
	p->hosts = xcalloc(p->n + 1, sizeof *p->hosts);
	p->status = xcalloc(p->n + 1, sizeof *p->status);
	p->heard = xcalloc(p->n + 1, sizeof *p->heard);
	for (size_t i = 0; i < p->n; i++) {
		p->hosts[i] = remote_host_label(&t->hosts[i]);
		p->status[i] = xstrdup("waiting");
		p->width = strlen(p->hosts[i]) > p->width ?
			strlen(p->hosts[i]) : p->width;
	}
}

/* True when host i is among the p->height heard from last. */
static bool
shown(const struct remote_progress *p, size_t i)
{
	size_t newer = 0;

	if (p->n <= p->height)
		return true;
	for (size_t k = 0; k < p->n; k++)
		if (p->heard[k] > p->heard[i])
			newer++;
	return newer < p->height;
}

/* Draw the hosts' lines over the ones drawn before. */
static void
redraw(struct remote_progress *p)
{
	int room = p->cols - (int)p->width - 3;
	size_t lines = 0;

	if (p->drawn > 0)
		printf("\033[%zuA", p->drawn);
	for (size_t i = 0; i < p->n && lines < p->height; i++) {
		if (!shown(p, i))
			continue;
		printf("\r\033[K%-*s  %.*s\n", (int)p->width, p->hosts[i],
		       room > 0 ? room : 0, p->status[i]);
		lines++;
	}
	p->drawn = lines;
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
	p->heard = xrealloc(p->heard, (p->n + 1) * sizeof *p->heard);
	p->hosts[i] = xstrdup(host);
	p->status[i] = xstrdup("");
	p->heard[i] = 0;
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
	p->heard[i] = ++p->clock;
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
	free(p->heard);
	memset(p, 0, sizeof *p);
}

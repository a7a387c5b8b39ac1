/* ls.c: deploy ls [APP...] [--json]: one row per worker instance */
#include "cmd/cmd.h"
#include "core/proto/client.h"
#include "core/lib/format.h"
#include "core/lib/paths.h"
#include "ui/layout.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define COLOR_RESET "\033[0m"
#define NAME_MIN 8		/* an app name is never cut below this */
#define NAME_FAIR 24		/* names are cut to this before columns go */
#define CELL 256

enum { LC_APP, LC_ID, LC_PID, LC_STATUS, LC_CPU, LC_MEM, LC_RESTARTS,
       LC_UPTIME, LC_COUNT };

/* The columns: heading, alignment, and the order narrow screens drop
   them in (1 first; 0: never dropped). */
static const struct {
	const char *head;
	bool right;
	int drop;
} cols[LC_COUNT] = {
	[LC_APP] = { "app", false, 0 }, [LC_ID] = { "id", true, 5 },
	[LC_PID] = { "pid", true, 1 }, [LC_STATUS] = { "status", false, 0 },
	[LC_CPU] = { "cpu", true, 4 }, [LC_MEM] = { "mem", true, 3 },
	[LC_RESTARTS] = { "restarts", true, 0 },
	[LC_UPTIME] = { "uptime", true, 2 },
};

/* One instance's cells. */
struct ls_row {
	char cell[LC_COUNT][CELL];
	json_t *in;
};

/* The colour of a status, or "" without colour. */
static const char *
status_color(const char *status, bool color)
{
	if (!color)
		return "";
	if (strcmp(status, "online") == 0)
		return "\033[32m";
	if (strcmp(status, "errored") == 0)
		return "\033[31m";
	if (strcmp(status, "stopped") == 0)
		return "\033[2m";
	return "\033[33m";
}

/* The width the table must fit: COLUMNS, else the terminal's, else
   none (0: piped, full names). */
static int
screen_width(void)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws;
	char *end;
	long w;

	if (env != NULL && *env != '\0') {
		w = strtol(env, &end, 10);
		if (*end == '\0' && w > 0 && w < 10000)
			return (int)w;
	}
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0
	    && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

/* Fill one row's cells from an instance of the reply. */
static void
fill_row(struct ls_row *r, json_t *in)
{
	const char *status = json_string_value(json_object_get(in, "status"));
	const char *app = json_string_value(json_object_get(in, "app"));
	json_int_t p = json_integer_value(json_object_get(in, "pid"));
	json_int_t mem = json_integer_value(json_object_get(in, "memory"));

	r->in = in;
	snprintf(r->cell[LC_APP], CELL, "%s", app ? app : "?");
	snprintf(r->cell[LC_ID], CELL, "%lld", (long long)json_integer_value(
		 json_object_get(in, "instance")));
	snprintf(r->cell[LC_PID], CELL, p > 0 ? "%lld" : "-", (long long)p);
	snprintf(r->cell[LC_STATUS], CELL, "%s", status ? status : "?");
	snprintf(r->cell[LC_CPU], CELL, "%.1f%%",
		 json_number_value(json_object_get(in, "cpu")));
	if (p <= 0)
		snprintf(r->cell[LC_CPU], CELL, "-");
	/* Memory 0: not sampled yet (the daemon samples every second). */
	if (p > 0 && mem > 0)
		fmt_bytes(mem, r->cell[LC_MEM], CELL);
	else
		snprintf(r->cell[LC_MEM], CELL, "-");
	snprintf(r->cell[LC_RESTARTS], CELL, "%lld", (long long)
		 json_integer_value(json_object_get(in, "restarts")));
	if (p > 0)
		fmt_duration(json_integer_value(json_object_get(in,
			     "uptime_ms")), r->cell[LC_UPTIME], CELL);
	else
		snprintf(r->cell[LC_UPTIME], CELL, "-");
}

/* The widest cell of each column, headings included. */
static void
measure(const struct ls_row *rows, size_t n, int *w)
{
	for (int c = 0; c < LC_COUNT; c++) {
		w[c] = layout_width(cols[c].head);
		for (size_t i = 0; i < n; i++) {
			int cw = layout_width(rows[i].cell[c]);

			w[c] = cw > w[c] ? cw : w[c];
		}
	}
}

/* The table's width with the columns shown. */
static int
total_width(const int *w)
{
	int t = 0;

	for (int c = 0; c < LC_COUNT; c++)
		if (w[c] > 0)
			t += w[c] + (t ? 2 : 0);
	return t;
}

/* Cut the app column by up to over cells, not below floor; returns
   what is still over. */
static int
cut_names(int *w, int over, int floor)
{
	int cut = w[LC_APP] - floor;

	if (over <= 0 || cut <= 0)
		return over;
	cut = cut < over ? cut : over;
	w[LC_APP] -= cut;
	return over - cut;
}

/* Fit the widths in screen cells: cut long names to a fair width,
   drop columns, then cut names further, then the status. */
static void
fit(int *w, int screen)
{
	int over;

	cut_names(w, total_width(w) - screen, NAME_FAIR);
	for (int order = 1; order <= 5 && total_width(w) > screen; order++)
		for (int c = 0; c < LC_COUNT; c++)
			if (cols[c].drop == order)
				w[c] = 0;
	over = cut_names(w, total_width(w) - screen, NAME_MIN);
	if (over > 0 && w[LC_STATUS] > 7)
		w[LC_STATUS] -= over < w[LC_STATUS] - 7 ? over :
			w[LC_STATUS] - 7;
}

/* Print s in w cells (cut when longer), aligned; colour around it. */
static void
print_cell(const char *s, int w, bool right, const char *color, bool first)
{
	char buf[CELL * 2];
	int pad;

	layout_cut(s, w, buf, sizeof buf);
	pad = w - layout_width(buf);
	printf("%s%*s%s%s%s%*s", first ? "" : "  ", right ? pad : 0, "",
	       color, buf, *color ? COLOR_RESET : "", right ? 0 : pad, "");
}

/* Print a line cut to the screen width (0: whole). */
static void
print_cut_line(const char *s, int screen)
{
	char buf[1024];

	printf("%s\n", screen > 0 ? layout_cut(s, screen, buf, sizeof buf) :
	       s);
}

/* The "why" lines under an errored or failing instance, and under any
   whose logs cannot be written. */
static void
print_reason(json_t *in, int screen)
{
	const char *status = json_string_value(json_object_get(in, "status"));
	const char *reason = json_string_value(json_object_get(in, "reason"));
	const char *err = json_string_value(json_object_get(in, "last_err"));
	const char *log = json_string_value(json_object_get(in, "log_error"));
	char line[1024];

	if (log != NULL) {
		snprintf(line, sizeof line, "  logs: %s", log);
		print_cut_line(line, screen);
	}
	if (err != NULL && err[0] == '\0')
		err = NULL;		/* "": nothing on stderr yet */
	if (status == NULL || strcmp(status, "online") == 0 ||
	    strcmp(status, "starting") == 0 || (reason == NULL && err == NULL))
		return;
	if (reason != NULL) {
		snprintf(line, sizeof line, "  reason: %s", reason);
		print_cut_line(line, screen);
	}
	if (err != NULL) {
		snprintf(line, sizeof line, "  stderr: %s", err);
		print_cut_line(line, screen);
	}
}

/* Print the table of the instances, fitted to the screen. */
static void
print_table(json_t *instances)
{
	bool color = use_color();
	size_t n = json_array_size(instances), i;
	struct ls_row *rows = xcalloc(n ? n : 1, sizeof *rows);
	int w[LC_COUNT], screen = screen_width();
	json_t *in;

	json_array_foreach(instances, i, in)
		fill_row(&rows[i], in);
	measure(rows, n, w);
	if (screen > 0)
		fit(w, screen);
	for (int c = 0, first = 1; c < LC_COUNT; c++)
		if (w[c] > 0) {
			print_cell(cols[c].head, w[c], cols[c].right, "",
				   first);
			first = 0;
		}
	putchar('\n');
	for (i = 0; i < n; i++) {
		for (int c = 0, first = 1; c < LC_COUNT; c++) {
			if (w[c] == 0)
				continue;
			print_cell(rows[i].cell[c], w[c], cols[c].right,
				   c == LC_STATUS ? status_color(
				   rows[i].cell[c], color) : "", first);
			first = 0;
		}
		putchar('\n');
		print_reason(rows[i].in, screen);
	}
	if (n == 0)
		printf("(no apps: 'deploy up' starts the ecosystem file's)\n");
	free(rows);
}

/* The running daemon's "ls" reply in *reply, or NULL when no daemon
   runs (never starts one); an exit code. */
int
ls_fetch(json_t **reply)
{
	char *home = deploy_home();
	char *sock = client_socket_path(home);
	bool running = access(sock, F_OK) == 0;

	*reply = NULL;
	free(sock);
	free(home);
	if (!running)
		return EXIT_OK;
	return daemon_call(json_pack("{s:s}", "op", "ls"), false, 10000,
			   reply);
}

/* Keep only the instances of the named apps; an error names the first
   app that has none. */
static int
keep_apps(json_t *reply, char **names, int n)
{
	json_t *list = json_object_get(reply, "instances"), *kept, *in;
	size_t i;

	if (n == 0)
		return EXIT_OK;
	kept = json_array();
	for (int k = 0; k < n; k++) {
		bool any = false;

		json_array_foreach(list, i, in) {
			const char *app = json_string_value(
				json_object_get(in, "app"));

			if (app != NULL && strcmp(app, names[k]) == 0) {
				json_array_append(kept, in);
				any = true;
			}
		}
		if (!any) {
			json_decref(kept);
			return error("no app '%s' (see 'deploy ls')",
				     names[k]);
		}
	}
	json_object_set_new(reply, "instances", kept);
	return EXIT_OK;
}

/* Print the daemon's instances (of the named apps, when n > 0). */
int
ls_show_apps(bool json, char **names, int n)
{
	json_t *reply;
	int rc = ls_fetch(&reply);

	if (rc != EXIT_OK)
		return rc;
	if (reply == NULL && n > 0)
		return error("no app '%s': the daemon is not running",
			     names[0]);
	if (reply != NULL && (rc = keep_apps(reply, names, n)) != EXIT_OK) {
		json_decref(reply);
		return rc;
	}
	if (json) {
		json_t *out = reply ? reply : json_pack("{s:n, s:[]}",
			"daemon", "instances");
		json_object_del(out, "ok");
		rc = print_json(out);
		json_decref(out);
		return rc;
	}
	if (reply == NULL) {
		printf("the daemon is not running: no apps\n");
		return EXIT_OK;
	}
	print_table(json_object_get(reply, "instances"));
	json_decref(reply);
	return rc;
}

/* Print every instance of the running daemon. */
int
ls_show(bool json)
{
	return ls_show_apps(json, NULL, 0);
}

/* deploy ls [APP...] [--json]. */
static int
ls_run(struct cmd_ctx *ctx)
{
	int c;

	while ((c = cmd_getopt(ctx, "", NULL)) != -1)
		if (c == '?')
			return EXIT_USAGE;
	return ls_show_apps(ctx->json, ctx->argv + optind, ctx->argc - optind);
}

const struct command cmd_ls = {
	.name = "ls",
	.usage = "ls [APP...] [--json]",
	.summary = "list every worker: pid, status, cpu, memory, restarts",
	.help = "  APP             only these apps' instances\n"
		"  the table fits the terminal (or COLUMNS): narrow ones "
		"cut names to 24,\n  drop pid, uptime, memory, cpu and id in "
		"that order, then cut names\n  further; piped, it is whole\n",
	.flags = CMD_JSON,
	.run = ls_run,
};

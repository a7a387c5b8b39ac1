/* logs.c: deploy logs [APP[:N]] [-n N] [-f] [--out|--err] */
#include "cmd/cmd.h"
#include "core/proto/client.h"
#include "core/lib/logread.h"
#include "core/lib/paths.h"
#include "core/lib/strbuf.h"

#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOOK_BACK_FILES 9

/* One log file to show, with the prefix of its lines. */
struct log_source {
	char *path;
	char *label;		/* "api:0 out" */
	struct logfollow *follow;
};

struct log_list {
	struct log_source *v;
	size_t n, cap;
};

/* One line of the backlog, for merging the sources in time order. */
struct log_line {
	const struct log_source *src;
	const char *text;
	size_t len;
	long long us;		/* when it was written */
	size_t seq;		/* position in the collection */
};

/* Add path with label to the list (once). */
static void
add_source(struct log_list *l, const char *path, const char *label)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].path, path) == 0)
			return;
	ARRAY_GROW(l->v, l->cap, l->n + 1);
	l->v[l->n++] = (struct log_source){ xstrdup(path), xstrdup(label),
					    NULL };
}

/* Close the followers and free the list. */
static void
log_list_free(struct log_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		logfollow_free(l->v[i].follow);
		free(l->v[i].path);
		free(l->v[i].label);
	}
	free(l->v);
}

/* The logs of each instance the daemon knows, filtered by app and
   instance (-1: all). */
static int
sources_from_daemon(struct log_list *l, const char *app, int inst,
		    int kinds)
{
	json_t *reply, *in;
	size_t i;
	int rc = daemon_call(json_pack("{s:s}", "op", "ls"), false, 10000,
			     &reply);

	if (rc != EXIT_OK)
		return rc;
	json_array_foreach(json_object_get(reply, "instances"), i, in) {
		const char *name = json_string_value(json_object_get(in,
								     "app"));
		int idx = (int)json_integer_value(json_object_get(in,
								  "instance"));
		static const char *const keys[] = { "out_log", "err_log" };

		if ((app != NULL && strcmp(app, name) != 0) ||
		    (inst >= 0 && idx != inst))
			continue;
		for (int k = 0; k < 2; k++) {
			const char *p = json_string_value(json_object_get(in,
								   keys[k]));
			char *label = xasprintf("%s:%d %s", name, idx,
						k ? "err" : "out");
			if (p != NULL && (kinds & (1 << k)))
				add_source(l, p, label);
			free(label);
		}
	}
	json_decref(reply);
	return EXIT_OK;
}

/* Add the files matching pattern, labelled by their names. */
static void
add_glob(struct log_list *l, const char *pattern)
{
	glob_t g;

	if (glob(pattern, 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *base = strrchr(g.gl_pathv[i], '/') + 1;
		char *label = xstrndup(base, strlen(base) - 4);

		add_source(l, g.gl_pathv[i], label);
		free(label);
	}
	globfree(&g);
}

/* The files in $DEPLOY_HOME/logs by their default names: when no daemon
   runs, or it no longer knows the app. */
static void
sources_from_dir(struct log_list *l, const char *app, int inst, int kinds)
{
	char *home = deploy_home();

	for (int k = 0; k < 2; k++) {
		const char *kind = k ? "err" : "out";
		char *p[2] = { NULL, NULL };

		if (!(kinds & (1 << k)))
			continue;
		if (app == NULL) {
			p[0] = xasprintf("%s/logs/*-%s.log", home, kind);
		} else {
			p[0] = xasprintf("%s/logs/%s-%s.log", home, app, kind);
			p[1] = inst >= 0 ?
				xasprintf("%s/logs/%s-%d-%s.log", home, app,
					  inst, kind) :
				xasprintf("%s/logs/%s-[0-9]*-%s.log", home,
					  app, kind);
		}
		for (int i = 0; i < 2; i++) {
			if (p[i] != NULL)
				add_glob(l, p[i]);
			free(p[i]);
		}
	}
	free(home);
}

/* Print one line with the source's label before it. */
static void
print_line(const struct log_source *s, const char *text, size_t len)
{
	printf("%s | %.*s\n", s->label, (int)len, text);
}

/* Print each line of text with the source's label before it. */
static void
print_lines(const struct log_source *s, const char *text)
{
	const char *p = text;

	while (*p != '\0') {
		size_t len = strcspn(p, "\n");

		print_line(s, p, len);
		p += len + (p[len] == '\n');
	}
}

/* Order of the backlog: by time, then as collected. */
static int
line_cmp(const void *a, const void *b)
{
	const struct log_line *x = a, *y = b;

	if (x->us != y->us)
		return x->us < y->us ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Add the lines of text from s, with their times, to the backlog. */
static void
collect_lines(struct log_line **v, size_t *nv, size_t *cap,
	      const struct log_source *s, const char *text,
	      const struct logtimes *t, size_t t0)
{
	for (const char *p = text; *p != '\0'; t0++) {
		size_t len = strcspn(p, "\n");

		ARRAY_GROW(*v, *cap, *nv + 1);
		(*v)[*nv] = (struct log_line){ s, p, len,
			t0 < t->n ? t->us[t0] : 0, *nv };
		(*nv)++;
		p += len + (p[len] == '\n');
	}
}

/*
 * Print the last n lines of all the sources together, oldest first, in
 * the order they were written (logread_tail_timed), so the last line
 * is the newest.
 */
static int
show_tails(struct log_list *l, size_t n, bool follow)
{
	struct strbuf *text = xcalloc(l->n ? l->n : 1, sizeof *text);
	struct logtimes t = { 0 };
	struct log_line *v = NULL;
	size_t nv = 0, cap = 0;
	struct derr e;
	int rc = EXIT_OK;

	for (size_t i = 0; i < l->n; i++) {
		struct log_source *s = &l->v[i];
		size_t t0 = t.n;
		int r;

		strbuf_init(&text[i], 0);
		if (follow) {
			s->follow = logfollow_open(s->path, &e);
			r = s->follow ? logfollow_tail_timed(s->follow,
				LOOK_BACK_FILES, n, &text[i], &t, &e) : -1;
		} else {
			r = logread_tail_timed(s->path, LOOK_BACK_FILES, n,
					       &text[i], &t, &e);
		}
		if (r < 0) {
			if (errno != ENOENT)
				rc = error("%s", e.msg);
			continue;
		}
		collect_lines(&v, &nv, &cap, s, text[i].buf, &t, t0);
	}
	qsort(v, nv, sizeof *v, line_cmp);
	for (size_t i = nv > n ? nv - n : 0; i < nv; i++)
		print_line(v[i].src, v[i].text, v[i].len);
	fflush(stdout);
	for (size_t i = 0; i < l->n; i++)
		strbuf_release(&text[i]);
	free(text);
	free(v);
	logtimes_release(&t);
	return rc;
}

/* Print new lines as they come, until interrupted or stdout closes. */
static int
follow_all(struct log_list *l)
{
	struct pollfd *pfd = xcalloc(l->n + 1, sizeof *pfd);
	struct strbuf sb = STRBUF_INIT;
	struct derr e;
	int rc = EXIT_OK;

	while (rc == EXIT_OK) {
		size_t n = 0;

		for (size_t i = 0; i < l->n; i++)
			if (l->v[i].follow && logfollow_fd(l->v[i].follow) >= 0)
				pfd[n++] = (struct pollfd){
					.fd = logfollow_fd(l->v[i].follow),
					.events = POLLIN };
		poll(pfd, n, 250);
		for (size_t i = 0; i < l->n && rc == EXIT_OK; i++) {
			if (l->v[i].follow == NULL)
				continue;
			strbuf_reset(&sb);
			if (logfollow_read(l->v[i].follow, &sb, &e) < 0)
				rc = error("%s", e.msg);
			else
				print_lines(&l->v[i], sb.buf);
		}
		if (fflush(stdout) != 0)
			break;	/* the reader went away */
	}
	free(pfd);
	strbuf_release(&sb);
	return rc;
}

/* Show the last lines of the logs, and follow them with -f. */
static int
logs_run(struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
		{ "lines", required_argument, NULL, 'n' },
		{ "follow", no_argument, NULL, 'f' },
		{ "out", no_argument, NULL, 'o' },
		{ "err", no_argument, NULL, 'e' },
		{ 0 }
	};
	struct log_list l = { 0 };
	long n = 15, inst = -1;
	bool follow = false;
	int kinds = 3, c, rc;
	char *app, *colon;
	char *home, *sock;
	char *end;

	while ((c = cmd_getopt(ctx, "n:foe", opts)) != -1) {
		switch (c) {
		case 'n':
			n = strtol(optarg, &end, 10);
			if (*end != '\0' || n < 0)
				return usage_error(&cmd_logs, "-n: expected "
						   "a number, got '%s'",
						   optarg);
			break;
		case 'f': follow = true; break;
		case 'o': kinds = 1; break;
		case 'e': kinds = 2; break;
		default: return EXIT_USAGE;
		}
	}
	if (ctx->argc - optind > 1)
		return usage_error(&cmd_logs, "unexpected argument '%s'",
				   ctx->argv[optind + 1]);
	app = optind < ctx->argc ? xstrdup(ctx->argv[optind]) : NULL;
	colon = app ? strrchr(app, ':') : NULL;
	if (colon != NULL) {
		inst = strtol(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0' || inst < 0 ||
		    inst > INT_MAX) {
			free(app);
			return usage_error(&cmd_logs, "expected APP or "
					   "APP:INSTANCE, got '%s'",
					   ctx->argv[optind]);
		}
		*colon = '\0';
	}
	home = deploy_home();
	sock = client_socket_path(home);
	rc = EXIT_OK;
	if (access(sock, F_OK) == 0)
		rc = sources_from_daemon(&l, app, (int)inst, kinds);
	if (rc == EXIT_OK && l.n == 0)
		sources_from_dir(&l, app, (int)inst, kinds);
	free(sock);
	free(home);
	if (rc == EXIT_OK && l.n == 0)
		rc = error("no logs%s%s%s", app ? " for '" : "",
			   app ? ctx->argv[optind] : "", app ? "'" : "");
	if (rc == EXIT_OK)
		rc = show_tails(&l, (size_t)n, follow);
	if (follow && rc == EXIT_OK)
		rc = follow_all(&l);
	log_list_free(&l);
	free(app);
	return rc;
}

const struct command cmd_logs = {
	.name = "logs",
	.usage = "logs [APP[:INSTANCE]] [-n N] [-f] [--out|--err]",
	.summary = "show the last lines of the logs, or follow them",
	.help = "  -n, --lines N   how many lines, the newest of all the logs\n"
		"                  merged in the order written (default 15)\n"
		"  -f, --follow    keep printing new lines (across rotations)\n"
		"  --out, --err    only stdout, or only stderr\n",
	.run = logs_run,
};

/* remote_cli.c: options, "[host]" output, the final table and report of
 * the remote commands */
#include "cmd/remote_cli.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/lib/strbuf.h"

/* --timeout's value: seconds, or a duration ("90s", "2m"). */
static int
parse_timeout(const char *arg, long *ms)
{
	char *end;
	long s = strtol(arg, &end, 10);

	if (*end == '\0' && end != arg && s > 0 && s <= INT_MAX / 1000) {
		*ms = s * 1000;
		return 0;
	}
	return eco_parse_duration(arg, ms) < 0 || *ms <= 0 ? -1 : 0;
}

/* Read the options (--force-unlock only when with_unlock) into o. */
static int
remote_cli_options(struct cmd_ctx *ctx, const struct command *cmd,
		   bool with_unlock, struct remote_opts *o)
{
	static const struct option all[] = {
		{ "accept-new", no_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "workers", required_argument, NULL, 'W' },
		{ "force-unlock", no_argument, NULL, 'u' },
		{ 0 }
	};
	char *end;
	long n;
	int c;

	/* The command line may have been read once already (deploy up). */
	optind = 0;
	while ((c = cmd_getopt(ctx, "t:q", all)) != -1) {
		if (c == '?')
			return EXIT_USAGE;
		if (c == 'u' && !with_unlock)
			return usage_error(cmd, "unknown option "
					   "'--force-unlock'");
		if (c == 'q')
			o->quiet = true;
		if (c == 'W') {
			n = strtol(optarg, &end, 10);
			if (*end != '\0' || n < 1 || n > 1024)
				return usage_error(cmd, "--workers: expected "
						   "1 to 1024, got '%s'",
						   optarg);
			o->workers = (int)n;
		}
		if (c == 'a')
			o->accept_new = true;
		else if (c == 'u')
			o->force_unlock = true;
		else if (c == 't' && parse_timeout(optarg, &o->timeout_ms) < 0)
			return usage_error(cmd, "--timeout: expected "
					   "seconds or a duration like "
					   "\"90s\", got '%s'", optarg);
	}
	return EXIT_OK;
}

/* Find the target called name; see remote_cli.h. */
int
remote_cli_target(const struct cmd_ctx *ctx, const struct command *cmd,
		  const char *name, const struct eco_target **t)
{
	struct strbuf names = STRBUF_INIT;

	*t = ecosystem_target(ctx->eco, name);
	if (*t != NULL)
		return EXIT_OK;
	for (size_t i = 0; i < ctx->eco->n_targets; i++)
		strbuf_addf(&names, "%s%s", i ? ", " : "",
			    ctx->eco->targets[i].name);
	usage_error(cmd, "no deploy target '%s' in '%s' (%s%s)", name,
		    ctx->eco->path, names.len ? "targets: " :
		    "it has no \"deploy\" section", names.buf);
	strbuf_release(&names);
	return EXIT_USAGE;
}

/* Options, TARGET and the arguments after it; see remote_cli.h. */
int
remote_cli_begin(struct cmd_ctx *ctx, const struct command *cmd,
		 bool with_unlock, struct remote_opts *o, int max_rest,
		 char ***rest, int *n_rest)
{
	int rc = remote_cli_options(ctx, cmd, with_unlock, o);

	if (rc != EXIT_OK)
		return rc;
	if (optind >= ctx->argc)
		return usage_error(cmd, "which target? (a name under "
				   "\"deploy\" in the file)");
	rc = remote_cli_target(ctx, cmd, ctx->argv[optind], &o->target);
	if (rc != EXIT_OK)
		return rc;
	*rest = ctx->argv + optind + 1;
	*n_rest = ctx->argc - optind - 1;
	if (*n_rest > max_rest)
		return usage_error(cmd, "unexpected argument '%s'",
				   (*rest)[max_rest]);
	return EXIT_OK;
}

/* The result column of one host. */
static void
result_text(const struct remote_opts *o, const struct remote_host_report *h,
	    char *buf, size_t len)
{
	if (o->op == REMOTE_EXEC && h->exit_status >= 0)
		snprintf(buf, len, "exit %d", h->exit_status);
	else
		snprintf(buf, len, "%s", remote_status_name(h->status));
}

/* The final table: host, release, result, seconds. */
static void
print_table(const struct remote_opts *o, const struct remote_report *rep)
{
	int wh = 4, wr = 7;
	bool releases = o->op == REMOTE_DEPLOY || o->op == REMOTE_ROLLBACK;
	char res[32];

	for (size_t i = 0; i < rep->n_hosts; i++) {
		const struct remote_host_report *h = &rep->hosts[i];
		int lh = (int)strlen(h->host);
		int lr = h->current ? (int)strlen(h->current) : 1;

		wh = lh > wh ? lh : wh;
		wr = lr > wr ? lr : wr;
	}
	printf("\n%-*s  ", wh, "HOST");
	if (releases)
		printf("%-*s  ", wr, "CURRENT");
	printf("%-11s %8s\n", "RESULT", "SECONDS");
	for (size_t i = 0; i < rep->n_hosts; i++) {
		const struct remote_host_report *h = &rep->hosts[i];

		result_text(o, h, res, sizeof res);
		printf("%-*s  ", wh, h->host);
		if (releases)
			printf("%-*s  ", wr, h->current ? h->current : "-");
		if (h->status == REMOTE_SKIPPED)
			printf("%-11s %8s\n", res, "-");
		else
			printf("%-11s %8.1f\n", res, h->seconds);
	}
}

/* How many hosts ended with each status. */
static void
count(const struct remote_report *rep, size_t n[REMOTE_N_STATUS])
{
	memset(n, 0, REMOTE_N_STATUS * sizeof *n);
	for (size_t i = 0; i < rep->n_hosts; i++)
		n[rep->hosts[i].status]++;
}

/* The count line: "97 ok, 1 failed, 1 rolled back, 1 unreachable"
 * (statuses no host has left out, ok always there). */
static void
print_counts(const struct remote_report *rep)
{
	size_t n[REMOTE_N_STATUS];
	bool first = true;

	count(rep, n);
	for (int s = 0; s < REMOTE_N_STATUS; s++) {
		if (n[s] == 0 && s != REMOTE_OK)
			continue;
		printf("%s%zu %s", first ? "" : ", ", n[s],
		       remote_status_name((enum remote_status)s));
		first = false;
	}
	printf("\n");
}

/* Each host's releases, newest first, current marked. */
static void
print_releases(const struct remote_report *rep)
{
	for (size_t i = 0; i < rep->n_hosts; i++) {
		const struct remote_host_report *h = &rep->hosts[i];
		size_t n = strv_len(h->releases);

		if (h->status != REMOTE_OK)
			continue;
		printf("%s:%s\n", h->host, n ? "" : " no releases");
		while (n-- > 0) {
			const char *r = h->releases[n];
			bool cur = h->current && strcmp(h->current, r) == 0;

			printf("  %s %s%s\n", cur ? "*" : " ", r,
			       cur ? "  (current)" :
			       remote_name_in(h->rolled_back, r) ?
			       "  (rolled back from)" : "");
		}
	}
}

/* A string or JSON null. */
static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* The count line as JSON, with the text's words as keys ("rolled
 * back": 1), every status there. */
static json_t *
counts_json(const struct remote_report *rep)
{
	size_t n[REMOTE_N_STATUS];
	json_t *j = json_object();

	count(rep, n);
	for (int s = 0; s < REMOTE_N_STATUS; s++)
		json_object_set_new(j, remote_status_name(
					    (enum remote_status)s),
				    json_integer((json_int_t)n[s]));
	return j;
}

/* The --json report. */
static json_t *
report_json(const struct remote_opts *o, const struct remote_report *rep)
{
	static const char *const ops[] = { "setup", "deploy", "rollback",
					   "releases", "exec" };
	json_t *hosts = json_array();

	for (size_t i = 0; i < rep->n_hosts; i++) {
		const struct remote_host_report *h = &rep->hosts[i];
		json_t *rel = json_array(), *left = json_array(), *j;

		for (char **r = h->releases; r && *r; r++)
			json_array_append_new(rel, json_string(*r));
		for (char **r = h->rolled_back; r && *r; r++)
			json_array_append_new(left, json_string(*r));
		/* Seconds as the table shows them: a tenth, or null for
		 * a host skipped. */
		j = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			      "host", h->host,
			      "result", remote_status_name(h->status),
			      "release", str_or_null(h->release),
			      "previous", str_or_null(h->previous),
			      "current", str_or_null(h->current),
			      "rev", str_or_null(h->rev),
			      "seconds", h->status == REMOTE_SKIPPED ?
			      json_null() :
			      json_real((double)(long)(h->seconds * 10 +
						       0.5) / 10),
			      "step", str_or_null(h->step),
			      "error", str_or_null(h->error));
		if (o->op == REMOTE_EXEC)
			json_object_set_new(j, "exit_status",
					    h->exit_status >= 0 ?
					    json_integer(h->exit_status) :
					    json_null());
		if (o->op == REMOTE_RELEASES) {
			json_object_set(j, "releases", rel);
			json_object_set(j, "rolled_back", left);
		}
		json_decref(rel);
		json_decref(left);
		json_array_append_new(hosts, j);
	}
	return json_pack("{s:s, s:s, s:b, s:o, s:o}", "target",
			 o->target->name, "operation", ops[o->op], "ok",
			 remote_report_ok(rep), "counts", counts_json(rep),
			 "hosts", hosts);
}

/* The exit code of a run. */
static int
exit_code(const struct remote_opts *o, const struct remote_report *rep)
{
	int worst = 0;

	if (o->op != REMOTE_EXEC)
		return remote_report_ok(rep) ? EXIT_OK : EXIT_REMOTE;
	for (size_t i = 0; i < rep->n_hosts; i++) {
		int st = rep->hosts[i].exit_status;

		/* As ssh: 255 when the command could not run. */
		if (st < 0)
			st = 255;
		worst = st > worst ? st : worst;
	}
	return worst;
}

/* Run and report; see remote_cli.h. */
int
remote_cli_run(const struct cmd_ctx *ctx, struct remote_opts *o)
{
	struct remote_progress progress;
	struct remote_report rep;
	bool json = ctx->json;
	struct derr e;
	int rc;

	o->dir = ctx->eco->dir;
	if (remote_check_target(o->target, &e) < 0)
		return error_code(EXIT_CONFIG, "%s", e.msg);
	if (o->op == REMOTE_DEPLOY) {
		char **w = remote_reach_warnings(ctx->eco, o->target);

		for (char **p = w; *p != NULL; p++)
			warning("%s", *p);
		strv_free(w);
	}
	remote_progress_init(&progress, o, json, o->quiet);
	o->line = remote_progress_line;
	o->line_arg = &progress;
	rc = remote_run(o, &rep, &e);
	remote_progress_clear(&progress);
	if (rc < 0)
		return error("%s", e.msg);
	for (char **w = rep.warnings; *w != NULL; w++)
		warning("%s", *w);
	if (json) {
		json_t *j = report_json(o, &rep);

		print_json(j);
		json_decref(j);
	} else if (o->op == REMOTE_RELEASES) {
		print_releases(&rep);
	} else {
		print_table(o, &rep);
		print_counts(&rep);
	}
	for (size_t i = 0; i < rep.n_hosts; i++)
		if (rep.hosts[i].error != NULL)
			error("%s: %s%s%s", rep.hosts[i].host,
			      rep.hosts[i].step ? rep.hosts[i].step : "",
			      rep.hosts[i].step ? ": " : "",
			      rep.hosts[i].error);
	rc = exit_code(o, &rep);
	remote_report_free(&rep);
	return rc;
}

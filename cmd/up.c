/* up.c: deploy up [APP...] [--wait]: make running apps match the file */
#include "cmd/cmd.h"
#include "core/probe/listeners.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* True when name is one of the names given on the command line. */
static bool
wanted(const char *name, char **names, int n)
{
	if (n == 0)
		return true;
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* Check that every name given is an app of the file. */
static int
check_names(const struct ecosystem *eco, char **names, int n)
{
	for (int i = 0; i < n; i++) {
		if (ecosystem_app(eco, names[i]) != NULL)
			continue;
		if (ecosystem_target(eco, names[i]) != NULL)
			return error_code(EXIT_USAGE, "'%s' is a deploy "
				"target: give it alone", names[i]);
		return error_code(EXIT_USAGE, "no app '%s' in '%s'", names[i],
				  eco->path);
	}
	return EXIT_OK;
}

/* Build the "up" request for the chosen apps. */
static json_t *
up_request(const struct ecosystem *eco, char **names, int n, bool wait,
	   long timeout_s)
{
	char *abs = realpath(eco->path, NULL);
	json_t *apps = json_array();
	json_t *req;

	for (size_t i = 0; i < eco->n_apps; i++)
		if (wanted(eco->apps[i].name, names, n))
			json_array_append(apps, eco->apps[i].raw);
	req = json_pack("{s:s, s:s?, s:s?, s:o, s:b, s:I}", "op", "up",
			"file", abs ? abs : eco->path, "env", eco->env_name,
			"apps", apps, "wait", wait, "timeout_ms",
			(json_int_t)timeout_s * 1000);
	free(abs);
	return req;
}

/* Create missing log folders (as PM2 does) and say which. */
static int
make_log_dirs(const struct ecosystem *eco)
{
	struct derr e;
	char **made;
	int rc = EXIT_OK;

	if (ecosystem_make_log_dirs(eco, &made, &e) < 0)
		rc = error_code(EXIT_CONFIG, "%s", e.msg);
	for (char **d = made; *d != NULL; d++)
		warning("created log folder '%s'", *d);
	strv_free(made);
	return rc;
}

/* Start the daemon if needed and hand it the apps. */
static int
up_run(struct cmd_ctx *ctx)
{
	static const struct option opts[] = {
		{ "wait", no_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ 0 }
	};
	bool wait = false;
	long timeout_s = 0;
	json_t *reply;
	char *end;
	int c, rc, nginx_rc;
	char **pw;

	/* deploy up TARGET: the first name is a deploy target. */
	for (int i = 1; i < ctx->argc; i++) {
		if (ctx->argv[i][0] == '-')
			continue;
		if (ecosystem_app(ctx->eco, ctx->argv[i]) == NULL &&
		    ecosystem_target(ctx->eco, ctx->argv[i]) != NULL)
			return remote_up_run(ctx, ctx->argv[i]);
		break;
	}

	while ((c = cmd_getopt(ctx, "wt:", opts)) != -1) {
		if (c == '?')
			return EXIT_USAGE;
		if (c == 'w') {
			wait = true;
			continue;
		}
		timeout_s = strtol(optarg, &end, 10);
		if (*end != '\0' || timeout_s <= 0 ||
		    timeout_s > INT_MAX / 1000)
			return usage_error(&cmd_up, "--timeout: expected "
					   "seconds, got '%s'", optarg);
	}
	rc = check_names(ctx->eco, ctx->argv + optind, ctx->argc - optind);
	if (rc != EXIT_OK || (rc = make_log_dirs(ctx->eco)) != EXIT_OK)
		return rc;
	pw = eco_port_warnings("/proc", ctx->eco);
	for (char **w = pw; *w != NULL; w++)
		warning("%s", *w);
	strv_free(pw);
	if (wait)
		rc = daemon_wait(up_request(ctx->eco, ctx->argv + optind,
					    ctx->argc - optind, true,
					    timeout_s),
				 true, !ctx->json, "the apps go on starting in "
				 "the daemon ('deploy ls' shows them)", &reply);
	else
		rc = daemon_call(up_request(ctx->eco, ctx->argv + optind,
					    ctx->argc - optind, false, 0),
				 true, 30000, &reply);
	if (rc != EXIT_OK)
		return rc;
	nginx_rc = nginx_auto_apply(ctx->eco);
	if (ctx->json) {
		json_object_del(reply, "ok");
		rc = print_json(reply);
	} else {
		size_t i;
		json_t *a;

		json_array_foreach(json_object_get(reply, "apps"), i, a)
			printf("%s: %s\n",
			       json_string_value(json_object_get(a, "app")),
			       json_string_value(json_object_get(a,
								 "action")));
		if (wait)
			printf("all instances ready\n");
	}
	json_decref(reply);
	return rc != EXIT_OK ? rc : nginx_rc;
}

const struct command cmd_up = {
	.name = "up",
	.usage = "up [APP...] [--env NAME] [--wait] [--timeout SECONDS]\n"
		 "       deploy up TARGET [--accept-new] [--force-unlock] "
		 "[--timeout T] [-q] [--workers N] [--json]",
	.summary = "make running apps match the file, or ship to a "
		   "target's hosts",
	.help = "  -w, --wait         return when every instance is ready "
		"(exit 5 if one\n"
		"                     is not, naming it)\n"
		"  -t, --timeout S    how long --wait waits (default: from "
		"the apps'\n"
		"                     kill_timeout, listen_timeout and "
		"instances)\n"
		"with TARGET (a key of \"deploy\"): ship a release to its "
		"hosts over SSH\n"
		"  --accept-new       record the key of a host not yet in "
		"known_hosts\n"
		"  --force-unlock     remove a lock a failed deploy left\n"
		"  --timeout T        give up at T (\"90s\"), undo, unlock\n"
		"  -q, --quiet        only the final table and the failures\n"
		"  --workers N        SSH sessions at work at once (32)\n",
	.flags = CMD_CONFIG | CMD_JSON,
	.run = up_run,
};

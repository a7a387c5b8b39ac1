/* flush.c: deploy flush [APP...]: empty the apps' log files */
#include "cmd/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* Whether app is one of names (every app when n is 0). */
static bool
named(const char *app, char **names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(app, names[i]) == 0)
			return true;
	return n == 0;
}

/* Empty path (once: seen collects the paths done); -1 on failure. */
static int
flush_file(const char *path, json_t *seen)
{
	int fd;

	if (json_object_get(seen, path) != NULL)
		return 0;
	json_object_set_new(seen, path, json_true());
	/* The daemon writes with O_APPEND: its next line lands at the new
	   end, and readers that follow the file start over. */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno != ENOENT)
		return error("cannot flush '%s': %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return 0;
}

/* Truncate the out and err logs that ls names for the chosen apps. */
static int
flush_run(struct cmd_ctx *ctx)
{
	json_t *reply, *in, *seen;
	char **names = ctx->argv + 1;
	int n = ctx->argc - 1, rc, failed = 0;
	size_t i;

	for (int k = 0; k < n; k++)
		if (names[k][0] == '-')
			return usage_error(&cmd_flush, "unknown option '%s'",
					   names[k]);
	rc = ls_fetch(&reply);
	if (rc != EXIT_OK || reply == NULL) {
		if (rc == EXIT_OK)
			printf("the daemon is not running: no logs to "
			       "flush\n");
		return rc;
	}
	seen = json_object();
	json_array_foreach(json_object_get(reply, "instances"), i, in) {
		const char *app = json_string_value(json_object_get(in,
								    "app"));
		const char *keys[] = { "out_log", "err_log" };

		if (app == NULL || !named(app, names, n))
			continue;
		for (size_t k = 0; k < 2; k++) {
			const char *p = json_string_value(json_object_get(in,
								keys[k]));

			if (p != NULL && flush_file(p, seen) < 0)
				failed = 1;
		}
	}
	for (int k = 0; k < n && !failed; k++) {
		bool any = false;

		json_array_foreach(json_object_get(reply, "instances"), i, in) {
			const char *app = json_string_value(
				json_object_get(in, "app"));

			any = any || (app != NULL && strcmp(app, names[k]) ==
				      0);
		}
		if (!any)
			failed = error("no app '%s' (see 'deploy ls')",
				       names[k]);
	}
	if (!failed)
		printf("flushed %zu log file%s\n", json_object_size(seen),
		       json_object_size(seen) == 1 ? "" : "s");
	json_decref(reply);
	json_decref(seen);
	return failed ? EXIT_FAIL : EXIT_OK;
}

const struct command cmd_flush = {
	.name = "flush",
	.usage = "flush [APP...]",
	.summary = "empty the log files of the apps (all when none named)",
	.run = flush_run,
};

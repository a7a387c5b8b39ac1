/* update.c: deploy update: replace the running daemon by this binary */
#include "cmd/cmd.h"
#include "core/lib/loop.h"
#include "core/lib/paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define UPDATE_WAIT_MS 10000

/* Ask the daemon who it is; EXIT_OK with *pong, or an exit code. */
static int
ping(json_t **pong)
{
	return daemon_call(json_pack("{s:s}", "op", "ping"), false, 5000,
			   pong);
}

/* The string value of key in o, or "?". */
static const char *
str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "?";
}

/* Wait until a daemon started after `started` answers; its pong, or
   NULL with the reason printed. */
static json_t *
wait_new_daemon(json_int_t started)
{
	long long deadline = now_ms() + UPDATE_WAIT_MS;
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	json_t *pong = NULL;

	while (now_ms() < deadline) {
		json_t *r;

		nanosleep(&tick, NULL);
		if (daemon_call(json_pack("{s:s}", "op", "ping"), false, 1000,
				&r) != EXIT_OK)
			continue;
		if (json_integer_value(json_object_get(r, "started")) !=
		    started) {
			pong = r;
			break;
		}
		if (json_object_get(r, "update_error") != NULL) {
			error("the daemon kept running the old binary: %s",
			      str(r, "update_error"));
			json_decref(r);
			return NULL;
		}
		json_decref(r);
	}
	if (pong == NULL)
		error("no new daemon answered within %d s (see "
		      "'$DEPLOY_HOME/daemon.log')", UPDATE_WAIT_MS / 1000);
	return pong;
}

/* Exec this binary in place of the daemon; print both versions. */
static int
update_run(struct cmd_ctx *ctx)
{
	char *exe = self_exe();
	json_t *old, *reply, *pong;
	int rc;

	if (ctx->argc > 1)
		return usage_error(&cmd_update, "unexpected argument '%s'",
				   ctx->argv[1]);
	rc = ping(&old);
	if (rc == EXIT_OK)
		rc = daemon_call(json_pack("{s:s, s:s}", "op", "update", "exe",
					   exe), false, 10000, &reply);
	free(exe);
	if (rc != EXIT_OK) {
		json_decref(old);
		return rc;
	}
	json_decref(reply);
	pong = wait_new_daemon(json_integer_value(json_object_get(old,
							      "started")));
	if (pong == NULL) {
		json_decref(old);
		return EXIT_DAEMON;
	}
	printf("daemon updated: %s -> %s (pid %d, its workers kept)\n",
	       str(old, "version"), str(pong, "version"),
	       (int)json_integer_value(json_object_get(pong, "pid")));
	json_decref(old);
	json_decref(pong);
	return EXIT_OK;
}

const struct command cmd_update = {
	.name = "update",
	.usage = "update",
	.summary = "replace the running daemon by this binary, keeping "
		   "every worker",
	.run = update_run,
};

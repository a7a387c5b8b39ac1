/* down.c: deploy down [APP...]: stop apps, or everything and the daemon */
#include "cmd/cmd.h"
#include "core/lib/paths.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#define DOWN_TIMEOUT_MS 60000

/* Wait until pid has exited; 0, or -1 after the timeout. */
static int
wait_gone(pid_t pid)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	for (int waited = 0; waited < DOWN_TIMEOUT_MS; waited += 10) {
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return 0;
		nanosleep(&tick, NULL);
	}
	return -1;
}

/* Stop the named apps, or every app and then the daemon. */
static int
down_run(struct cmd_ctx *ctx)
{
	json_t *reply;
	pid_t pid;
	int rc;

	if (ctx->argc > 1)
		return run_action(ctx, &cmd_down, "stop", false);
	pid = daemon_pid();
	if ((pid <= 0 || kill(pid, 0) < 0) && !daemon_left_workers()) {
		printf("the daemon is not running\n");
		return EXIT_OK;
	}
	/* A daemon that died left workers: a new one takes them back, and
	   then stops them with everything else. */
	rc = daemon_call(json_pack("{s:s}", "op", "ping"), false, 10000,
			 &reply);
	if (rc != EXIT_OK)
		return rc;
	pid = (pid_t)json_integer_value(json_object_get(reply, "pid"));
	json_decref(reply);
	rc = daemon_call(json_pack("{s:s}", "op", "kill"), false, 10000,
			 &reply);
	if (rc != EXIT_OK)
		return rc;
	json_decref(reply);
	if (pid > 0 && wait_gone(pid) < 0)
		return error_code(EXIT_DAEMON, "the daemon (pid %d) did not "
				  "stop within %d s", (int)pid,
				  DOWN_TIMEOUT_MS / 1000);
	printf("stopped every app and the daemon\n");
	return EXIT_OK;
}

const struct command cmd_down = {
	.name = "down",
	.usage = "down [APP...]",
	.summary = "stop apps gracefully; with no APP, all and the daemon",
	.run = down_run,
};

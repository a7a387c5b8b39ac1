/* ls.c: deploy ls [--json]: one row per worker instance */
#include "cmd/cmd.h"
#include "core/client.h"
#include "core/format.h"
#include "core/paths.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COLOR_RESET "\033[0m"

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

/* Print one instance as a table row. */
static void
print_row(json_t *in, bool color)
{
	char mem[32], up[32], cpu[32], pid[24], app[24];
	const char *status = json_string_value(json_object_get(in, "status"));
	json_int_t p = json_integer_value(json_object_get(in, "pid"));

	status = status ? status : "?";
	fmt_cut(json_string_value(json_object_get(in, "app")), 20, app,
		sizeof app);
	snprintf(pid, sizeof pid, p > 0 ? "%lld" : "-", (long long)p);
	snprintf(cpu, sizeof cpu, "%.1f%%",
		 json_number_value(json_object_get(in, "cpu")));
	/* Memory 0: not sampled yet (the daemon samples every second). */
	if (p > 0 && json_integer_value(json_object_get(in, "memory")) > 0)
		fmt_bytes(json_integer_value(json_object_get(in, "memory")),
			  mem, sizeof mem);
	else
		snprintf(mem, sizeof mem, "-");
	fmt_duration(json_integer_value(json_object_get(in, "uptime_ms")),
		     up, sizeof up);
	printf("%-20s %3lld %8s  %s%-15s%s %6s %9s %8lld %7s\n", app,
	       (long long)json_integer_value(json_object_get(in, "instance")),
	       pid, status_color(status, color), status,
	       color ? COLOR_RESET : "", p > 0 ? cpu : "-",
	       mem,
	       (long long)json_integer_value(json_object_get(in,
							     "restarts")),
	       p > 0 ? up : "-");
}

/* Print the table of every instance in reply. */
static void
print_table(json_t *instances)
{
	bool color = use_color();
	size_t i;
	json_t *in;

	printf("%-20s %3s %8s  %-15s %6s %9s %8s %7s\n", "app", "id", "pid",
	       "status", "cpu", "mem", "restarts", "uptime");
	json_array_foreach(instances, i, in)
		print_row(in, color);
	/* What the table has no room for: logs that cannot be written. */
	json_array_foreach(instances, i, in)
		if (json_is_string(json_object_get(in, "log_error")))
			printf("%s %lld: %s\n", json_string_value(
				       json_object_get(in, "app")),
			       (long long)json_integer_value(
				       json_object_get(in, "instance")),
			       json_string_value(json_object_get(in,
							       "log_error")));
	if (json_array_size(instances) == 0)
		printf("(no apps: 'deploy up' starts the ecosystem file's)\n");
}

/* Print the running daemon's instances (never starts one). */
int
ls_show(bool json)
{
	char *home = deploy_home();
	char *sock = client_socket_path(home);
	bool running = access(sock, F_OK) == 0;
	json_t *reply = NULL;
	int rc = EXIT_OK;

	free(sock);
	free(home);
	if (running) {
		rc = daemon_call(json_pack("{s:s}", "op", "ls"), false, 10000,
				 &reply);
		if (rc != EXIT_OK)
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

/* deploy ls [--json]. */
static int
ls_run(struct cmd_ctx *ctx)
{
	if (ctx->argc > 1)
		return usage_error(&cmd_ls, "unexpected argument '%s'",
				   ctx->argv[1]);
	return ls_show(ctx->json);
}

const struct command cmd_ls = {
	.name = "ls",
	.usage = "ls [--json]",
	.summary = "list every worker: pid, status, cpu, memory, restarts",
	.flags = CMD_JSON,
	.run = ls_run,
};

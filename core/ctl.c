/* ctl.c: the control requests the daemon answers, as a table */
#include "daemon.h"
#include "proto.h"
#include "sup.h"

#include <string.h>
#include <unistd.h>

/* {"op":"ping"}: who we are. */
static void
op_ping(struct daemon *d, struct conn *c, json_t *req)
{
	(void)req;
	conn_reply(c, json_pack("{s:b, s:s, s:i, s:I}", "ok", 1, "version",
				PROTO_VERSION, "pid", (int)getpid(),
				"started", (json_int_t)d->started_ms));
}

/* {"op":"kill"}: stop every worker, reply, and exit. */
static void
op_kill(struct daemon *d, struct conn *c, json_t *req)
{
	(void)req;
	daemon_shutdown(d);
	conn_reply(c, proto_ok());
}

/* start/stop/restart/reload/delete: the op names the action. */
static void
sup_action(struct sup *s, struct conn *c, json_t *req)
{
	sup_op_action(s, c, req,
		      json_string_value(json_object_get(req, "op")));
}

static const struct ctl_op {
	const char *name;
	bool any_version;	/* answered whatever the client's version */
	void (*dfn)(struct daemon *d, struct conn *c, json_t *req);
	void (*sfn)(struct sup *s, struct conn *c, json_t *req);
} ops[] = {
	{ "ping", true, op_ping, NULL },
	{ "kill", true, op_kill, NULL },
	{ "up", false, NULL, sup_op_up },
	{ "ls", false, NULL, sup_op_ls },
	{ "start", false, NULL, sup_action },
	{ "stop", false, NULL, sup_action },
	{ "restart", false, NULL, sup_action },
	{ "reload", false, NULL, sup_action },
	{ "delete", false, NULL, sup_action },
	{ "reset", false, NULL, sup_op_reset },
	{ "save", false, NULL, sup_op_save },
	{ "resurrect", false, NULL, sup_op_resurrect },
};

/* Find the op, check the client's version, run it. */
void
ctl_handle(struct daemon *d, struct conn *c, json_t *req)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	const char *ver = json_string_value(json_object_get(req, "version"));

	if (op == NULL) {
		conn_reply(c, proto_error(2, "request without \"op\""));
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		if (strcmp(ops[i].name, op) != 0)
			continue;
		if (!ops[i].any_version &&
		    (ver == NULL || strcmp(ver, PROTO_VERSION) != 0)) {
			conn_reply(c, proto_error(4, "the daemon is version "
				"%s, this deploy is %s: run 'deploy down' "
				"and try again", PROTO_VERSION,
				ver ? ver : "unknown"));
			return;
		}
		if (d->shutting_down && strcmp(op, "ping") != 0 &&
		    strcmp(op, "ls") != 0 && strcmp(op, "kill") != 0) {
			conn_reply(c, proto_error(4, "the daemon is "
						  "shutting down"));
			return;
		}
		if (ops[i].dfn != NULL)
			ops[i].dfn(d, c, req);
		else
			ops[i].sfn(d->sup, c, req);
		return;
	}
	conn_reply(c, proto_error(2, "unknown op '%s'", op));
}

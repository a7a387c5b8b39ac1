/* ctl.c: the control requests: parsed here, answered through the
   supervisor's typed API, replies built here */
#include "core/daemon/daemon.h"
#include "core/lib/dlog.h"
#include "core/proto/proto.h"
#include "core/sup/sup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The longest wait a client may ask for: 30 days, in ms. */
#define MAX_TIMEOUT_MS (30LL * 24 * 3600 * 1000)

/* A number from the request, clamped to [lo, hi]; def when absent. */
static long long
req_number(json_t *req, const char *key, long long lo, long long hi,
	   long long def)
{
	json_t *v = json_object_get(req, key);
	json_int_t n;

	if (!json_is_integer(v))
		return def;
	n = json_integer_value(v);
	return n < lo ? lo : n > hi ? hi : n;
}

/* A request's outcome, as its reply on the connection. */
static void
conn_done(void *arg, int code, const char *error, json_t *extra)
{
	struct conn *c = arg;
	json_t *reply;

	c->job = NULL;
	if (code != EXIT_OK) {
		reply = proto_error(code, "%s", error ? error : "failed");
	} else {
		reply = proto_ok();
		if (extra != NULL)
			json_object_update(reply, extra);
	}
	conn_reply(c, reply);
}

/* A progress event, as one more line before the reply. */
static void
conn_progress(void *arg, json_t *event)
{
	conn_send(arg, event);
}

/* Who hears of c's request: progress only when the client asked. */
static struct sup_reply
conn_sup_reply(struct conn *c, json_t *req)
{
	bool progress = json_is_true(json_object_get(req, "progress"));

	return (struct sup_reply){ conn_done, progress ? conn_progress : NULL,
				   c };
}

/* Remember the job c's reply waits for (NULL: answered already). */
static void
conn_await(struct conn *c, struct sup_job *job)
{
	c->job = job;
	if (job != NULL)
		c->waiting = true;
}

/* {"op":"ping"}: who we are. */
static void
op_ping(struct daemon *d, struct conn *c, json_t *req)
{
	(void)req;
	conn_reply(c, json_pack("{s:b, s:s, s:i, s:i, s:I, s:s?}", "ok", 1,
				"version", DEPLOY_VERSION, "proto",
				PROTO_LEVEL, "pid", (int)getpid(),
				"started", (json_int_t)d->started_ms,
				"update_error", d->update_error));
}

/* {"op":"kill"}: stop every worker, reply, and exit. */
static void
op_kill(struct daemon *d, struct conn *c, json_t *req)
{
	(void)req;
	daemon_shutdown(d);
	conn_reply(c, proto_ok());
}

/* {"op":"update", "exe": PATH}: answer, then exec PATH in place; the
   client then pings until the new daemon answers. */
static void
op_update(struct daemon *d, struct conn *c, json_t *req)
{
	const char *exe = json_string_value(json_object_get(req, "exe"));
	struct derr e;

	if (exe == NULL || exe[0] != '/') {
		conn_reply(c, proto_error(EXIT_USAGE, "update: needs the "
					  "absolute path of the new binary"));
		return;
	}
	free(d->update_error);
	d->update_error = NULL;
	conn_reply(c, json_pack("{s:b, s:I}", "ok", 1, "started",
				(json_int_t)d->started_ms));
	if (daemon_update(d, exe, &e) < 0) {
		dlog("update failed: %s", e.msg);
		d->update_error = xstrdup(e.msg);
	}
}

/* {"op":"up", "file", "env", "apps":[...], "wait", "timeout_ms"}. */
static void
op_up(struct daemon *d, struct conn *c, json_t *req)
{
	conn_await(c, sup_up(d->sup, req,
			     json_is_true(json_object_get(req, "wait")),
			     req_number(req, "timeout_ms", 0, MAX_TIMEOUT_MS,
					0), conn_sup_reply(c, req)));
}

/* {"op": start|stop|restart|reload|delete, "target", "parallel",
   "timeout_ms"}. */
static void
op_action(struct daemon *d, struct conn *c, json_t *req)
{
	enum sup_action a;

	if (sup_action_parse(json_string_value(json_object_get(req, "op")),
			     &a) < 0) {
		conn_reply(c, proto_error(EXIT_USAGE, "unknown action"));
		return;
	}
	conn_await(c, sup_act(d->sup, a, json_string_value(
		json_object_get(req, "target")),
		(int)req_number(req, "parallel", 1, 1000, 1),
		req_number(req, "timeout_ms", 0, MAX_TIMEOUT_MS, 0),
		conn_sup_reply(c, req)));
}

/* {"op":"reset", "target"}: restart counts back to 0. */
static void
op_reset(struct daemon *d, struct conn *c, json_t *req)
{
	sup_reset(d->sup, json_string_value(json_object_get(req, "target")),
		  conn_sup_reply(c, req));
}

/* {"op":"ls"}: the daemon and every instance. */
static void
op_ls(struct daemon *d, struct conn *c, json_t *req)
{
	(void)req;
	conn_reply(c, json_pack("{s:b, s:{s:i, s:I, s:s, s:s}, s:o}", "ok",
				1, "daemon", "pid", (int)getpid(), "started",
				(json_int_t)d->started_ms, "version",
				DEPLOY_VERSION, "stops", "process tree",
				"instances", sup_list(d->sup)));
}

/* {"op":"save"}: write state.json. */
static void
op_save(struct daemon *d, struct conn *c, json_t *req)
{
	struct derr e;
	size_t n = sup_app_count(d->sup);

	(void)req;
	if (n == 0)
		conn_reply(c, proto_error(EXIT_FAIL, "no apps to save"));
	else if (sup_save(d->sup, &e) < 0)
		conn_reply(c, proto_error(EXIT_FAIL, "%s", e.msg));
	else
		conn_reply(c, json_pack("{s:b, s:s+, s:i}", "ok", 1, "file",
					d->home, "/state.json", "apps",
					(int)n));
}

/* {"op":"resurrect"}: start the saved apps that are not running. */
static void
op_resurrect(struct daemon *d, struct conn *c, json_t *req)
{
	json_t *done = json_array(), *names = json_array(), *line;
	struct derr e;
	size_t i;

	(void)req;
	if (sup_resurrect(d->sup, done, &e) < 0) {
		conn_reply(c, proto_error(EXIT_FAIL, "%s", e.msg));
	} else {
		json_array_foreach(done, i, line)
			json_array_append(names, json_object_get(line,
								 "app"));
		conn_reply(c, json_pack("{s:b, s:O}", "ok", 1, "apps",
					names));
	}
	json_decref(names);
	json_decref(done);
}

static const struct ctl_op {
	const char *name;
	bool any_version;	/* answered whatever the client's version */
	bool while_stopping;	/* answered during a shutdown too */
	void (*fn)(struct daemon *d, struct conn *c, json_t *req);
} ops[] = {
	{ "ping", true, true, op_ping },
	{ "kill", true, true, op_kill },
	{ "update", true, false, op_update },
	{ "ls", true, true, op_ls },
	{ "up", false, false, op_up },
	{ "start", false, false, op_action },
	{ "stop", false, false, op_action },
	{ "restart", false, false, op_action },
	{ "reload", false, false, op_action },
	{ "delete", false, false, op_action },
	{ "reset", false, false, op_reset },
	{ "save", false, false, op_save },
	{ "resurrect", false, false, op_resurrect },
};

/* Find the op, check the client's version, run it. */
void
ctl_handle(struct daemon *d, struct conn *c, json_t *req)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	json_int_t proto = json_integer_value(json_object_get(req, "proto"));

	if (op == NULL) {
		conn_reply(c, proto_error(EXIT_USAGE,
					  "request without \"op\""));
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		if (strcmp(ops[i].name, op) != 0)
			continue;
		if (!ops[i].any_version && proto != PROTO_LEVEL) {
			conn_reply(c, proto_error(EXIT_DAEMON, "the daemon "
				"(deploy %s) speaks protocol %d, this deploy "
				"%d: run 'deploy update' to replace the "
				"daemon without stopping the apps",
				DEPLOY_VERSION, PROTO_LEVEL, (int)proto));
			return;
		}
		if (d->shutting_down && !ops[i].while_stopping) {
			conn_reply(c, proto_error(EXIT_DAEMON, "the daemon is "
						  "shutting down"));
			return;
		}
		ops[i].fn(d, c, req);
		return;
	}
	conn_reply(c, proto_error(EXIT_USAGE, "unknown op '%s'", op));
}

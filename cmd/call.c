/* call.c: one request to the daemon, with errors reported to the user */
#include "cmd/cmd.h"
#include "core/proto/client.h"
#include "core/lib/paths.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

/* Ctrl-C or SIGTERM while waiting: stop waiting. */
static void
on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* The daemon's pid from daemon.pid, or 0. */
pid_t
daemon_pid(void)
{
	char *home = deploy_home();
	char *path = xasprintf("%s/daemon.pid", home);
	FILE *f = fopen(path, "r");
	int pid = 0;

	if (f != NULL) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	free(path);
	free(home);
	return pid;
}

/* True when pid runs and is not a zombie (a killed daemon whose parent
   does not reap it stays one). */
static bool
pid_running(pid_t pid)
{
	char path[64], buf[512];
	FILE *f;
	char *p;
	bool run = false;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	if (fgets(buf, sizeof buf, f) != NULL && (p = strrchr(buf, ')')))
		run = p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
	fclose(f);
	return run;
}

/* True when pid has stopped running, or does within 200 ms (a daemon
   killed while it closed our connection is still exiting). */
static bool
pid_gone_soon(pid_t pid)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	for (int i = 0; i < 20; i++) {
		if (!pid_running(pid))
			return true;
		nanosleep(&tick, NULL);
	}
	return !pid_running(pid);
}

/* Send req to the daemon as w says; its reply, or NULL with e filled
   (*broken: the daemon went away before it answered). */
static json_t *
call_once(json_t *req, bool autostart, const struct client_wait *w,
	  bool *broken, struct derr *e)
{
	char *home = deploy_home();
	struct client *c;
	pid_t pid;
	json_t *r;

	/* A daemon that died left workers to take back: start one. */
	c = client_connect(home, autostart || daemon_left_workers(), e);
	free(home);
	*broken = false;
	if (c == NULL)
		return NULL;
	pid = daemon_pid();
	r = client_call(c, req, w, e);
	/* Asked again only when the daemon died before it answered: one
	   that closed the connection itself was not killed. */
	*broken = r == NULL && client_broken(c) && pid_gone_soon(pid);
	client_free(c);
	return r;
}

/* Send req (stolen) as w says; the reply or an exit code. A daemon
   that dies between accepting and answering (a kill -9 just before) is
   replaced and asked again, a few times. */
static int
call(json_t *req, bool autostart, const struct client_wait *w,
     json_t **reply)
{
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	struct derr e;
	bool broken = true;
	json_t *r = NULL;

	*reply = NULL;
	for (int try = 0; try < 3 && broken && !interrupted; try++) {
		if (try > 0)
			nanosleep(&pause, NULL);
		r = call_once(req, autostart, w, &broken, &e);
	}
	json_decref(req);
	if (r == NULL && interrupted)
		return EXIT_INTERRUPTED;
	if (r == NULL)
		return error_code(EXIT_DAEMON, "%s", e.msg);
	if (!json_is_true(json_object_get(r, "ok"))) {
		const char *msg = json_string_value(json_object_get(r,
								    "error"));
		json_int_t code = json_integer_value(json_object_get(r,
								     "code"));
		int rc = error_code(code > 0 ? (int)code : EXIT_FAIL, "%s",
				    msg ? msg : "the daemon refused");
		json_decref(r);
		return rc;
	}
	*reply = r;
	return EXIT_OK;
}

/* True when a daemon recorded workers in run.json (it runs, or it died
   and a new one must take them back). */
bool
daemon_left_workers(void)
{
	char *home = deploy_home();
	char *run = xasprintf("%s/run.json", home);
	bool there = access(run, F_OK) == 0;

	free(run);
	free(home);
	return there;
}

/* Send req (stolen) and put the reply in *reply; an exit code. */
int
daemon_call(json_t *req, bool autostart, int timeout_ms, json_t **reply)
{
	struct client_wait w = { .timeout_ms = timeout_ms };

	return call(req, autostart, &w, reply);
}

/* Print one progress event: "api:0 ready (pid 12) after 0.41 s". */
static void
print_event(void *arg, json_t *ev)
{
	(void)arg;
	fprintf(stderr, "%s:%d %s", json_string_value(json_object_get(ev,
		"app")), (int)json_integer_value(json_object_get(ev,
		"instance")), json_string_value(json_object_get(ev, "event")));
	if (json_integer_value(json_object_get(ev, "pid")) > 0)
		fprintf(stderr, " (pid %d%s%s)", (int)json_integer_value(
			json_object_get(ev, "pid")), json_object_get(ev,
			"ready_by") ? ", by " : "", json_object_get(ev,
			"ready_by") ? json_string_value(json_object_get(ev,
			"ready_by")) : "");
	fprintf(stderr, " after %.2f s\n", (double)json_integer_value(
		json_object_get(ev, "ms")) / 1000.0);
}

/* Send req (stolen) for work the daemon answers when done; see cmd.h. */
int
daemon_wait(json_t *req, bool autostart, bool progress, const char *after,
	    json_t **reply)
{
	struct client_wait w = { .timeout_ms = -1, .stop = &interrupted };
	struct sigaction sa = { .sa_handler = on_interrupt }, old_int,
		old_term;
	int rc;

	if (progress) {
		json_object_set_new(req, "progress", json_true());
		w.event = print_event;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	rc = call(req, autostart, &w, reply);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (rc == EXIT_INTERRUPTED)
		fprintf(stderr, "deploy: interrupted: %s\n", after);
	return rc;
}

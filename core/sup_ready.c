/* sup_ready.c: when a starting instance counts as ready */
#include "ready.h"
#include "serving.h"
#include "sup_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Probes come a tenth of the time since the start apart, between
   PROBE_MIN_MS and PROBE_MAX_MS: a worker that listens after 80 ms is
   seen by 90 ms, one that takes seconds costs 10 probes a second. */
#define PROBE_MIN_MS 10
#define PROBE_MAX_MS 100

/* Stop probing. */
void
ready_end(struct sup_inst *in)
{
	tcp_probe_free(in->tcp);
	http_probe_free(in->http);
	in->tcp = NULL;
	in->http = NULL;
	in->next_probe = -1;
}

/* True when readiness is probed: a health URL or the port answering. */
static bool
probed(const struct sup_inst *in)
{
	const struct eco_app *cfg = in->app->cfg;

	return !cfg->wait_ready && (cfg->health != NULL || cfg->port > 0);
}

/* True when, in listen mode with nothing else to go by, the instance is
   ready once it is seen serving the shared socket (or min_uptime). */
static bool
watches_listen(const struct sup_inst *in)
{
	return !in->app->cfg->wait_ready && !probed(in) &&
		in->app->listen_fd >= 0;
}

/* A fresh start: probe soon, give up after listen_timeout. */
void
ready_begin(struct sup_inst *in, long long now)
{
	const struct eco_app *cfg = in->app->cfg;

	ready_end(in);
	in->next_probe = probed(in) || watches_listen(in) ? now : -1;
	if (cfg->wait_ready || probed(in))
		in->deadline = now + cfg->listen_timeout;
	else
		in->deadline = now + cfg->min_uptime;
}

/* The instance is ready (or gave up waiting: ready_failed). */
static void
become_ready(struct sup_inst *in, bool failed)
{
	in->ready_failed = failed;
	if (!failed) {
		free(in->reason);	/* a failed probe before it listened */
		in->reason = NULL;
	} else {
		in->failed_at = now_ms();
		inst_set_reason(in, "not ready within listen_timeout "
				"(%ld ms)", in->app->cfg->listen_timeout);
		sup_log("%s:%d: %s", in->app->cfg->name, in->index,
			in->reason);
	}
	ready_end(in);
	in->deadline = -1;
	inst_event(in, EV_READY);
}

/* The wait before the next probe: a tenth of the time since start. */
static long long
next_gap(const struct sup_inst *in)
{
	long long gap = (now_ms() - in->started_mono) / 10;

	if (gap < PROBE_MIN_MS)
		return PROBE_MIN_MS;
	return gap > PROBE_MAX_MS ? PROBE_MAX_MS : gap;
}

/* Take the result of a finished probe; true when ready. */
static bool
probe_done(struct sup_inst *in)
{
	int r = READY_PENDING;

	if (in->tcp != NULL)
		r = tcp_probe_result(in->tcp);
	else if (in->http != NULL)
		r = http_probe_result(in->http);
	if (r == READY_PENDING)
		return false;
	if (r != READY_YES && in->http != NULL)
		inst_set_reason(in, "health check: %s",
				http_probe_error(in->http));
	ready_end(in);
	in->next_probe = now_ms() + next_gap(in);
	return r == READY_YES;
}

/* Start the next probe of the instance's kind. */
static void
probe_start(struct sup_inst *in)
{
	const struct eco_app *cfg = in->app->cfg;
	struct derr e;
	char *url;

	in->next_probe = -1;
	if (cfg->health != NULL &&
	    (url = eco_health_url(cfg, in->index)) != NULL) {
		in->http = http_probe_start(url, cfg->listen_timeout, &e);
		free(url);
	} else if (cfg->port > 0) {
		in->tcp = tcp_probe_start("127.0.0.1",
					  cfg->port + in->index, &e);
	} else {
		return;
	}
	if (in->tcp == NULL && in->http == NULL) {
		inst_set_reason(in, "%s", e.msg);
		in->next_probe = now_ms() + next_gap(in);
	}
}

/* Advance the readiness check of a starting instance. */
void
ready_tick(struct sup_inst *in, long long now)
{
	const struct eco_app *cfg = in->app->cfg;
	bool probing = probed(in);
	bool due = in->next_probe >= 0 && now >= in->next_probe;

	if (probing && (in->tcp != NULL || in->http != NULL) &&
	    probe_done(in)) {
		become_ready(in, false);
		return;
	}
	if (due && watches_listen(in)) {
		if (proc_serves_socket(in->pid, in->app->listen_fd)) {
			become_ready(in, false);
			return;
		}
		in->next_probe = now + next_gap(in);
	}
	if (in->deadline >= 0 && now >= in->deadline) {
		become_ready(in, probing || cfg->wait_ready);
		return;
	}
	if (probing && due)
		probe_start(in);
}

/* Loop callback for a TCP probe's fd: the result is read at tick. */
static void
probe_event(void *arg, int fd, short revents)
{
	(void)arg;
	(void)fd;
	(void)revents;
}

/* Register the probe's fd and the next probe time. */
void
ready_watch(struct sup_inst *in, struct loop *l)
{
	if (in->tcp != NULL)
		loop_add(l, tcp_probe_fd(in->tcp), tcp_probe_events(in->tcp),
			 probe_event, in);
	loop_deadline(l, in->next_probe);
	loop_deadline(l, in->deadline);
}

/* Is pid the worker's process or one of its descendants? */
static bool
sent_by(const struct sup_inst *in, pid_t sender)
{
	return in->pid > 0 && (sender == in->pid ||
			       getsid(sender) == in->pid);
}

/* READY=1 arrived on the notify socket from sender. */
void
ready_on_notify(struct sup *s, pid_t sender, const char *msg)
{
	if (!notify_has_ready(msg))
		return;
	for (size_t a = 0; a < s->n_apps; a++) {
		for (size_t i = 0; i < s->apps[a]->n_inst; i++) {
			struct sup_inst *in = s->apps[a]->inst[i];

			if (in->state == WS_STARTING && sent_by(in, sender)) {
				become_ready(in, false);
				return;
			}
		}
	}
}

/* Loop callback for a libcurl socket. */
static void
http_event(void *arg, int fd, short revents)
{
	(void)arg;
	http_probes_on_fd(fd, revents);
}

/* Register libcurl's sockets and timer with the loop. */
void
ready_http_watch(struct loop *l)
{
	struct pollfd fds[64];
	int n = http_probes_nfds() ? http_probes_pollfds(fds, 64) : 0;
	long t;

	for (int i = 0; i < n; i++)
		loop_add(l, fds[i].fd, fds[i].events, http_event, NULL);
	t = http_probes_timeout_ms();
	if (t >= 0)
		loop_deadline(l, now_ms() + t);
}

/* Let libcurl finish what the last poll made ready. */
void
ready_http_run(void)
{
	http_probes_run();
}

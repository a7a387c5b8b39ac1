/* sup_ready.c: when a starting instance counts as ready */
#include "core/probe/listeners.h"
#include "core/lib/procstat.h"
#include "core/probe/http_probe.h"
#include "core/probe/notify.h"
#include "core/probe/serving.h"
#include "core/sup/sup_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Probes come a tenth of the time since the start apart, between
   PROBE_MIN_MS and PROBE_MAX_MS: a worker that listens after 80 ms is
   seen by 90 ms, one that takes seconds costs 10 probes a second. */
#define PROBE_MIN_MS 10
#define PROBE_MAX_MS 100

/* Where the instances' sockets and processes are read. */
#define PROC_ROOT "/proc"
/* The most processes of one instance's tree looked at. */
#define TREE_MAX 64

/* How an instance shows it is ready. */
enum ready_kind {
	RK_NOTIFY,	/* READY=1 on the notify socket */
	RK_HTTP,	/* a 2xx from the health URL */
	RK_PORT,	/* its tree listens on port + index */
	RK_LISTEN,	/* it serves the shared socket (listen mode) */
	RK_ANY,		/* it listens on any port, or lived min_uptime */
};

/* Stop probing. */
void
sup_ready_end(struct sup_inst *in)
{
	http_probe_free(in->http);
	in->http = NULL;
	in->next_probe = -1;
}

/* How the instance shows it is ready. */
static enum ready_kind
ready_kind(const struct sup_inst *in)
{
	const struct eco_app *cfg = in->app->cfg;

	if (cfg->wait_ready)
		return RK_NOTIFY;
	if (cfg->health != NULL)
		return RK_HTTP;
	if (cfg->port > 0)
		return RK_PORT;
	return in->app->listen_fd >= 0 ? RK_LISTEN : RK_ANY;
}

/* The instance's own port (port + index), 0 when it has none. */
static int
inst_port(const struct sup_inst *in)
{
	return in->app->cfg->port > 0 ? in->app->cfg->port + in->index : 0;
}

/* A fresh start: probe soon, give up after listen_timeout. */
void
sup_ready_begin(struct sup_inst *in, long long now)
{
	enum ready_kind k = ready_kind(in);

	sup_ready_end(in);
	in->ready_by = NULL;
	in->held_ino = 0;
	in->next_probe = k == RK_NOTIFY ? -1 : now;
	if (k == RK_NOTIFY || k == RK_HTTP || k == RK_PORT)
		in->deadline = now + in->app->cfg->listen_timeout;
	else
		in->deadline = now + in->app->cfg->min_uptime;
}

/* True when the reason is a probe's (a failed health check, another
   process on the port), which readiness makes old; a restart's reason
   stays. */
static bool
probe_reason(const struct sup_inst *in)
{
	static const char health[] = "health check: ";

	return in->reason != NULL && (in->held_ino != 0 ||
		strncmp(in->reason, health, sizeof health - 1) == 0);
}

/* The ways to be ready, as ready_by names them. */
static const char *const ready_ways[] = {
	"notify", "http", "port", "listen", "uptime",
};

/* The ready_by string called name (from run.json), or NULL. */
const char *
sup_ready_by_find(const char *name)
{
	for (size_t i = 0; name != NULL && i < ARRAY_SIZE(ready_ways); i++)
		if (strcmp(ready_ways[i], name) == 0)
			return ready_ways[i];
	return NULL;
}

/* The instance is ready by the way named (NULL: gave up waiting). */
static void
become_ready(struct sup_inst *in, const char *by)
{
	in->ready_failed = by == NULL;
	in->ready_by = by;
	if (by != NULL) {
		if (probe_reason(in)) {
			free(in->reason);
			in->reason = NULL;
		}
	} else {
		char *old = in->reason;
		const char *held = in->held_ino != 0 ? old : NULL;

		in->failed_at = now_ms();
		in->reason = NULL;
		sup_inst_set_reason(in, "not ready within listen_timeout "
				"(%ld ms)%s%s", in->app->cfg->listen_timeout,
				held != NULL ? ": " : "", held ? held : "");
		free(old);
		dlog("%s:%d: %s", in->app->cfg->name, in->index,
			in->reason);
	}
	sup_ready_end(in);
	in->deadline = -1;
	sup_inst_event(in, EV_READY);
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

/* The instance's process and its descendants known to the sampler. */
static size_t
inst_tree(const struct sup_inst *in, pid_t *tree, size_t max)
{
	int n = procstat_descendants(in->app->s->proc, in->pid, tree + 1,
				     max - 1);

	tree[0] = in->pid;
	if (n < 0)
		n = 0;
	return 1 + ((size_t)n < max - 1 ? (size_t)n : max - 1);
}

/*
 * Another process listens on the instance's port (socket s): name it
 * in the reason, once per socket. True when it is the instance's after
 * all (a descendant the sampler has not seen yet: same session).
 */
static bool
note_holder(struct sup_inst *in, int port, const struct tcp_sock *s)
{
	struct port_holder h;
	struct derr e;
	char what[256];

	if (s->ino == in->held_ino)
		return false;
	in->held_ino = s->ino;
	if (port_holder_find(PROC_ROOT, port, 0, &h, &e) <= 0)
		return false;
	if (h.pid > 0 && h.sid == in->pid)
		return true;
	port_holder_describe(&h, port, what, sizeof what);
	sup_inst_set_reason(in, "%s, not by %s:%d", what, in->app->cfg->name,
			in->index);
	dlog("%s:%d: %s", in->app->cfg->name, in->index, in->reason);
	return false;
}

/*
 * True when the instance's own tree listens on port, read from /proc
 * (no connect: a probe's connect can take the port itself). A listener
 * of another process is named in the reason.
 */
static bool
port_ready(struct sup_inst *in, int port)
{
	struct tcp_sock *socks;
	pid_t tree[TREE_MAX];
	unsigned long *inos;
	struct derr e;
	size_t which = 0, nt;
	int n = tcp_socks_read(PROC_ROOT, port, true, &socks, &e);
	bool ours;

	if (n <= 0)
		return false;
	inos = xcalloc((size_t)n, sizeof *inos);
	for (int i = 0; i < n; i++)
		inos[i] = socks[i].ino;
	nt = inst_tree(in, tree, TREE_MAX);
	ours = socks_owner(PROC_ROOT, tree, nt, inos, (size_t)n, &which) > 0;
	if (!ours)
		ours = note_holder(in, port, &socks[0]);
	free(inos);
	free(socks);
	return ours;
}

/* True when the instance's tree listens on any TCP port. */
static bool
any_port_ready(const struct sup_inst *in)
{
	pid_t tree[TREE_MAX];
	size_t nt = inst_tree(in, tree, TREE_MAX);

	return tree_listen_port(PROC_ROOT, tree, nt, 0) > 0;
}

/* Take the result of a finished HTTP probe; true when ready. */
static bool
probe_done(struct sup_inst *in)
{
	int r = http_probe_result(in->http);

	if (r == HTTP_PENDING)
		return false;
	if (r != HTTP_YES)
		sup_inst_set_reason(in, "health check: %s",
				http_probe_error(in->http));
	sup_ready_end(in);
	in->next_probe = now_ms() + next_gap(in);
	return r == HTTP_YES;
}

/* Start the next HTTP probe: once the instance's tree listens on its
   port, when it has one (another server there must not answer). */
static void
probe_start(struct sup_inst *in)
{
	const struct eco_app *cfg = in->app->cfg;
	int port = in->app->listen_fd < 0 ? inst_port(in) : 0;
	struct derr e;
	char *url;

	in->next_probe = now_ms() + next_gap(in);
	if (port > 0 && !port_ready(in, port))
		return;
	url = eco_health_url(cfg, in->index);
	if (url == NULL)
		return;
	in->http = http_probe_start(in->app->s->probes, url,
				    cfg->listen_timeout, &e);
	free(url);
	if (in->http == NULL)
		sup_inst_set_reason(in, "%s", e.msg);
	else
		in->next_probe = -1;
}

/* One due check of a kind read from /proc; the way it is ready, or
   NULL. */
static const char *
check_proc(struct sup_inst *in, enum ready_kind k)
{
	switch (k) {
	case RK_PORT:
		return port_ready(in, inst_port(in)) ? "port" : NULL;
	case RK_LISTEN:
		return proc_serves_socket(in->pid, in->app->listen_fd) ?
		       "listen" : NULL;
	case RK_ANY:
		return any_port_ready(in) ? "port" : NULL;
	default:
		return NULL;
	}
}

/* Advance the readiness check of a starting instance. */
void
sup_ready_tick(struct sup_inst *in, long long now)
{
	enum ready_kind k = ready_kind(in);
	bool due = in->next_probe >= 0 && now >= in->next_probe;
	const char *by;

	if (k == RK_HTTP && in->http != NULL && probe_done(in)) {
		become_ready(in, "http");
		return;
	}
	if (due && k != RK_HTTP) {
		by = check_proc(in, k);
		if (by != NULL) {
			become_ready(in, by);
			return;
		}
		in->next_probe = now + next_gap(in);
	}
	if (in->deadline >= 0 && now >= in->deadline) {
		become_ready(in, k == RK_LISTEN || k == RK_ANY ? "uptime" :
			     NULL);
		return;
	}
	if (k == RK_HTTP && due && in->http == NULL)
		probe_start(in);
}

/* Append to buf what holds the dead instance's port. */
void
sup_ready_exit_note(const struct sup_inst *in, pid_t pid, char *buf,
		size_t size)
{
	int port = in->app->listen_fd < 0 ? inst_port(in) : 0;
	struct port_holder h;
	struct derr e;
	size_t len = strlen(buf);
	char what[256];

	if (port <= 0 || len + 1 >= size ||
	    port_holder_find(PROC_ROOT, port, pid, &h, &e) <= 0)
		return;
	port_holder_describe(&h, port, what, sizeof what);
	snprintf(buf + len, size - len, "; %s", what);
}

/* Register the probe's fd and the next probe time. */
void
sup_ready_watch(struct sup_inst *in, struct loop *l)
{
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
sup_ready_on_notify(struct sup *s, pid_t sender, const char *msg)
{
	if (!notify_has_ready(msg))
		return;
	for (size_t a = 0; a < s->n_apps; a++) {
		for (size_t i = 0; i < s->apps[a]->n_inst; i++) {
			struct sup_inst *in = s->apps[a]->inst[i];

			if (in->state == WS_STARTING && sent_by(in, sender)) {
				become_ready(in, "notify");
				return;
			}
		}
	}
}

/* Loop callback for a libcurl socket. */
static void
http_event(void *arg, int fd, short revents)
{
	http_probes_on_fd(arg, fd, revents);
}

/* Register libcurl's sockets and timer with the loop. */
void
sup_ready_http_watch(struct sup *s, struct loop *l)
{
	struct pollfd fds[64];
	int n = http_probes_pollfds(s->probes, fds, 64);
	long t;

	for (int i = 0; i < n; i++)
		loop_add(l, fds[i].fd, fds[i].events, http_event, s->probes);
	t = http_probes_timeout_ms(s->probes);
	if (t >= 0)
		loop_deadline(l, now_ms() + t);
}

/* Let libcurl finish what the last poll made ready. */
void
sup_ready_http_run(struct sup *s)
{
	http_probes_run(s->probes);
}

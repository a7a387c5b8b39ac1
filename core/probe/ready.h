/* ready.h: non-blocking readiness probes for the daemon's poll() loop */
#ifndef DEPLOY_READY_H
#define DEPLOY_READY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/lib/util.h"

/* Results shared by the probes. */
#define READY_PENDING	(-2)	/* not finished: poll again */
#define READY_ERROR	(-1)	/* will not get better: stop probing */
#define READY_NO	0	/* not (yet) ready: probe again later */
#define READY_YES	1

/*
 * sd_notify: one SOCK_DGRAM unix socket shared by all workers, with
 * SO_PASSCRED so each datagram carries its sender's pid. A sender may
 * be a worker's descendant: since each worker leads its own session,
 * getsid(sender) is the worker's pid unless the sender made its own
 * session (then walk /proc/<pid>/stat ppid).
 */
struct notify_sock;

/*
 * Bind path ('@name': the abstract namespace): non-blocking,
 * CLOEXEC. A stale socket file at path is replaced; anything else
 * there is an error. Caller frees with notify_close.
 */
struct notify_sock *notify_open(const char *path, struct derr *e);
int notify_fd(const struct notify_sock *ns);
/*
 * Read one datagram into buf (NUL-terminated, cut to len - 1) and its
 * sender's pid (0 if the kernel sent none). Returns the message length
 * (>= 0), or -1 with errno EAGAIN when none is waiting (or another
 * errno). File descriptors sent along (FDSTORE=1) are closed.
 */
int notify_recv(struct notify_sock *ns, pid_t *sender, char *buf,
		size_t len);
/* True when one of msg's lines is exactly READY=1. */
bool notify_has_ready(const char *msg);
/* Close the socket and remove its file. */
void notify_close(struct notify_sock *ns);

/*
 * HTTP health: a GET through libcurl (loaded on first use), the
 * transfers of all probes driven by one module-level multi handle and
 * the caller's poll(). Each loop turn:
 *
 *	n = http_probes_pollfds(fds + k, max - k);
 *	t = http_probes_timeout_ms();	(-1: no timer; fold into poll's)
 *	poll(...);
 *	http_probes_on_poll(fds + k, n);	(also when poll timed out)
 *
 * or, with a loop that dispatches each fd to its own callback, call
 * http_probes_on_fd(fd, revents) from it and http_probes_run() once
 * after every poll(). Proxies from the environment are not used; the
 * connection is never reused.
 */
struct http_probe;

/*
 * Start a GET of url (http:// or https://), giving up after timeout_ms
 * (<= 0: 5000). NULL with e filled when the URL is not http(s) or
 * libcurl cannot be loaded ("cannot load libcurl.so.4: ..."). Caller
 * frees.
 */
struct http_probe *http_probe_start(const char *url, long timeout_ms,
				    struct derr *e);
/*
 * READY_PENDING, READY_YES (a 2xx answer), READY_NO (refused, timed
 * out, or not 2xx: see http_probe_status), READY_ERROR (a URL libcurl
 * cannot fetch at all).
 */
int http_probe_result(const struct http_probe *p);
/* The HTTP status code of the answer; 0 when there was none. */
long http_probe_status(const struct http_probe *p);
/* Why the probe failed ("Couldn't connect to server", "HTTP 503"),
 * "" while pending or on success. Owned by p. */
const char *http_probe_error(const struct http_probe *p);
/* Cancel (if pending) and free. */
void http_probe_free(struct http_probe *p);

/* How many fds the probes want polled now. */
int http_probes_nfds(void);
/* Fill out with up to max of them (revents 0); returns the count. */
int http_probes_pollfds(struct pollfd *out, int max);
/* Milliseconds until the probes' next timer (0: now), -1 for none. */
long http_probes_timeout_ms(void);
/* After poll(): handle the given fds' revents, then http_probes_run. */
void http_probes_on_poll(const struct pollfd *fds, int n);
/* Handle one fd's revents (for per-fd callback loops). */
void http_probes_on_fd(int fd, short revents);
/* Run an expired timer and collect finished probes; cheap when idle. */
void http_probes_run(void);
/* Free the multi handle (all probes must be freed first). */
void http_probes_shutdown(void);

#endif

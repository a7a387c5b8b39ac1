/* http_probe.h: HTTP health probes driven by the daemon's poll() loop */
#ifndef DEPLOY_HTTP_PROBE_H
#define DEPLOY_HTTP_PROBE_H

#include <poll.h>

#include "core/lib/http_get.h"
#include "core/lib/util.h"

/*
 * The probes of one loop: a GET each (core/lib/http_get.h says which
 * options), their transfers driven by one libcurl multi handle and the
 * caller's poll(). The owner (the supervisor) creates one and passes
 * it explicitly. Each loop turn, register
 *
 *	n = http_probes_pollfds(hp, fds, max);
 *	t = http_probes_timeout_ms(hp);	(-1: no timer; fold into poll's)
 *
 * call http_probes_on_fd(hp, fd, revents) for each of those fds with
 * events, and http_probes_run(hp) once after every poll().
 */
struct http_probes;
struct http_probe;

/*
 * A new set of probes; libcurl is loaded on the first probe. Free with
 * http_probes_free once every probe is freed.
 */
struct http_probes *http_probes_new(void);
void http_probes_free(struct http_probes *hp);

/*
 * Start a GET of url (http:// or https://), giving up after timeout_ms
 * (<= 0: 5000). NULL with e filled when the URL is not http(s) or
 * libcurl cannot be loaded ("cannot load libcurl.so.4: ..."). Caller
 * frees.
 */
struct http_probe *http_probe_start(struct http_probes *hp,
				    const char *url, long timeout_ms,
				    struct derr *e);
/*
 * HTTP_PENDING, HTTP_YES (a 2xx answer), HTTP_NO (refused, timed out,
 * or not 2xx), HTTP_FATAL (a URL libcurl cannot fetch at all).
 */
int http_probe_result(const struct http_probe *p);
/* Why the probe failed ("Couldn't connect to server", "HTTP 503"),
 * "" while pending or on success. Owned by p. */
const char *http_probe_error(const struct http_probe *p);
/* Cancel (if pending) and free. */
void http_probe_free(struct http_probe *p);

/* How many fds the probes want polled now. */
int http_probes_nfds(const struct http_probes *hp);
/* Fill out with up to max of them (revents 0); returns the count. */
int http_probes_pollfds(const struct http_probes *hp, struct pollfd *out,
			int max);
/* Milliseconds until the probes' next timer (0: now), -1 for none. */
long http_probes_timeout_ms(const struct http_probes *hp);
/* Handle one fd's revents. */
void http_probes_on_fd(struct http_probes *hp, int fd, short revents);
/* Run an expired timer and collect finished probes; cheap when idle. */
void http_probes_run(struct http_probes *hp);

#endif

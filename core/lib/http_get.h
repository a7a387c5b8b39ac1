/* http_get.h: one health GET through libcurl, the options and verdict
   shared by the readiness probes and the remote health gate */
#ifndef DEPLOY_HTTP_GET_H
#define DEPLOY_HTTP_GET_H

#include <stdbool.h>
#include <stddef.h>

#include "core/lib/curl_dl.h"

/* How a GET ended. */
#define HTTP_PENDING	(-2)	/* not finished */
#define HTTP_FATAL	(-1)	/* will not get better: stop trying */
#define HTTP_NO		0	/* refused, timed out or not 2xx */
#define HTTP_YES	1	/* a 2xx answer */

/*
 * One transfer: proxies from the environment are not used, the
 * connection is never reused, redirects are not followed, the body is
 * discarded (reading stops after 64 KiB: the status is known), and a
 * socket connected to itself is refused. The user agent is
 * "deploy-health/<version>".
 */
struct http_get {
	CURL *easy;
	const struct curl_fns *c;
	curl_socket_t fd;	/* its socket, CURL_SOCKET_BAD: none */
	size_t body;		/* bytes of the answer read */
	bool cut;		/* stopped reading a long answer */
	char self[80];		/* "ip:port" it connected to itself
				   from (refused), "" if not */
	char error[CURL_ERROR_SIZE];
};

/*
 * Create g's easy handle for a GET of url giving up after timeout_ms,
 * with g->easy's CURLOPT_PRIVATE set to priv. CURLE_OK, or why not
 * (g->easy may be set: http_get_cleanup it). g must not move while the
 * transfer runs.
 */
CURLcode http_get_init(struct http_get *g, const struct curl_fns *c,
		       const char *url, long timeout_ms, void *priv);
/*
 * The verdict on a finished transfer that ended with code: HTTP_YES,
 * HTTP_NO or HTTP_FATAL, with g->error saying why when not HTTP_YES
 * ("Couldn't connect to server", "HTTP 503").
 */
int http_get_done(struct http_get *g, CURLcode code);
/* Free the easy handle (safe twice). */
void http_get_cleanup(struct http_get *g);

#endif

/* http_get.c: one health GET through libcurl */
#include "core/lib/http_get.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define HTTP_BODY_MAX	65536	/* read no more of an answer */

/* CURLOPT_WRITEFUNCTION: discard the body, giving up on a long one. */
static size_t
http_get_on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct http_get *g = userp;

	(void)data;
	g->body += size * nmemb;
	if (g->body > HTTP_BODY_MAX) {
		g->cut = true;
		return 0;		/* abort: the status is known */
	}
	return size * nmemb;
}

/* CURLOPT_SOCKOPTFUNCTION: remember the transfer's socket. */
static int
http_get_on_sockopt(void *userp, curl_socket_t fd, curlsocktype purpose)
{
	struct http_get *g = userp;

	(void)purpose;
	g->fd = fd;
	return CURL_SOCKOPT_OK;
}

/*
 * CURLOPT_PREREQFUNCTION, once connected: refuse a socket connected to
 * itself. With nothing listening on a port of the ephemeral range, a
 * connect may pick that very port as its source (TCP simultaneous
 * open) and "succeed"; the probe would then occupy the app's port.
 * Reset (SO_LINGER 0: no TIME-WAIT either) and abort.
 */
static int
http_get_on_connected(void *userp, char *peer_ip, char *local_ip,
		      int peer_port, int local_port)
{
	struct http_get *g = userp;
	struct linger off = { .l_onoff = 1, .l_linger = 0 };

	if (peer_port != local_port || strcmp(peer_ip, local_ip) != 0)
		return CURL_PREREQFUNC_OK;
	snprintf(g->self, sizeof g->self, "%s:%d", local_ip, local_port);
	if (g->fd != CURL_SOCKET_BAD)
		setsockopt(g->fd, SOL_SOCKET, SO_LINGER, &off, sizeof off);
	return CURL_PREREQFUNC_ABORT;
}

/* Create and set up the easy handle. */
CURLcode
http_get_init(struct http_get *g, const struct curl_fns *c,
	      const char *url, long timeout_ms, void *priv)
{
	CURL *h;
	CURLcode rc;

	memset(g, 0, sizeof *g);
	g->c = c;
	g->fd = CURL_SOCKET_BAD;
	h = g->easy = c->easy_init();
	if (h == NULL)
		return CURLE_OUT_OF_MEMORY;
	rc = c->easy_setopt(h, CURLOPT_URL, url);
	if (rc != CURLE_OK)
		return rc;
	c->easy_setopt(h, CURLOPT_PRIVATE, (char *)priv);
	c->easy_setopt(h, CURLOPT_ERRORBUFFER, g->error);
	c->easy_setopt(h, CURLOPT_WRITEFUNCTION, http_get_on_body);
	c->easy_setopt(h, CURLOPT_WRITEDATA, (void *)g);
	c->easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	c->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	/* "" overrides http_proxy and friends from the environment */
	c->easy_setopt(h, CURLOPT_PROXY, "");
	c->easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	c->easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	c->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	c->easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, http_get_on_sockopt);
	c->easy_setopt(h, CURLOPT_SOCKOPTDATA, (void *)g);
#if LIBCURL_VERSION_NUM >= 0x075000
	c->easy_setopt(h, CURLOPT_PREREQFUNCTION, http_get_on_connected);
	c->easy_setopt(h, CURLOPT_PREREQDATA, (void *)g);
#endif
#if LIBCURL_VERSION_NUM >= 0x075500
	/* older libraries at run time ignore it: the scheme check stays */
	c->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
#ifdef DEPLOY_VERSION
	c->easy_setopt(h, CURLOPT_USERAGENT, "deploy-health/" DEPLOY_VERSION);
#endif
	return CURLE_OK;
}

/* True for transfer errors that no retry will fix. */
static bool
http_get_is_fatal(CURLcode code)
{
	return code == CURLE_UNSUPPORTED_PROTOCOL ||
	       code == CURLE_URL_MALFORMAT || code == CURLE_NOT_BUILT_IN ||
	       code == CURLE_FAILED_INIT || code == CURLE_OUT_OF_MEMORY ||
	       code == CURLE_BAD_FUNCTION_ARGUMENT;
}

/* Judge a finished transfer. */
int
http_get_done(struct http_get *g, CURLcode code)
{
	long status = 0;

	g->c->easy_getinfo(g->easy, CURLINFO_RESPONSE_CODE, &status);
	if (code == CURLE_WRITE_ERROR && g->cut)
		code = CURLE_OK;
	if (g->self[0] != '\0') {
		snprintf(g->error, sizeof g->error, "refused a connection of "
			 "%s to itself (nothing listens there)", g->self);
		return HTTP_NO;
	}
	if (code != CURLE_OK) {
		if (g->error[0] == '\0')
			snprintf(g->error, sizeof g->error, "%s",
				 g->c->easy_strerror(code));
		return http_get_is_fatal(code) ? HTTP_FATAL : HTTP_NO;
	}
	if (status >= 200 && status < 300) {
		g->error[0] = '\0';
		return HTTP_YES;
	}
	snprintf(g->error, sizeof g->error, "HTTP %ld", status);
	return HTTP_NO;
}

/* Free the easy handle. */
void
http_get_cleanup(struct http_get *g)
{
	if (g->easy != NULL)
		g->c->easy_cleanup(g->easy);
	g->easy = NULL;
}

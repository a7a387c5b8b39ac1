/* http_probe.c: HTTP health probes driven by the daemon's poll() loop */
#include "core/probe/http_probe.h"
#include "core/lib/loop.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HTTP_DEFAULT_TIMEOUT_MS	5000

struct http_probe {
	struct http_probes *hp;
	struct http_get get;
	bool attached;		/* in the multi handle */
	int result;
};

/* One socket curl wants watched. */
struct http_sock {
	int fd;
	short events;
};

struct http_probes {
	const struct curl_fns *c;
	CURLM *multi;		/* NULL until the first probe */
	struct http_sock *socks;
	size_t n_socks, cap_socks;
	long long timer_at;	/* now_ms() of curl's timer; -1: none */
};

/* The index of fd in hp->socks, or -1. */
static int
http_sock_find(const struct http_probes *hp, int fd)
{
	for (size_t i = 0; i < hp->n_socks; i++)
		if (hp->socks[i].fd == fd)
			return (int)i;
	return -1;
}

/* CURLMOPT_SOCKETFUNCTION: watch, change or forget a socket. */
static int
http_on_socket(CURL *easy, curl_socket_t s, int what, void *userp,
	       void *socketp)
{
	struct http_probes *hp = userp;
	int i = http_sock_find(hp, s);

	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		if (i >= 0)
			hp->socks[i] = hp->socks[--hp->n_socks];
		return 0;
	}
	if (i < 0) {
		ARRAY_GROW(hp->socks, hp->cap_socks, hp->n_socks + 1);
		i = (int)hp->n_socks++;
		hp->socks[i].fd = s;
	}
	hp->socks[i].events = (short)((what & CURL_POLL_IN ? POLLIN : 0) |
				      (what & CURL_POLL_OUT ? POLLOUT : 0));
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: remember when to call curl back. */
static int
http_on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct http_probes *hp = userp;

	(void)multi;
	hp->timer_at = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	return 0;
}

struct http_probes *
http_probes_new(void)
{
	struct http_probes *hp = xcalloc(1, sizeof *hp);

	hp->timer_at = -1;
	return hp;
}

/* Free the multi handle and the socket list. */
void
http_probes_free(struct http_probes *hp)
{
	if (hp == NULL)
		return;
	if (hp->multi != NULL)
		hp->c->multi_cleanup(hp->multi);
	free(hp->socks);
	free(hp);
}

/* Record how p's transfer ended and take it out of the multi handle. */
static void
http_finish(struct http_probe *p, CURLcode code)
{
	p->hp->c->multi_remove_handle(p->hp->multi, p->get.easy);
	p->attached = false;
	p->result = http_get_done(&p->get, code);
}

/* Collect the transfers curl has finished. */
static void
http_collect(struct http_probes *hp)
{
	CURLMsg *msg;
	int left;

	while ((msg = hp->c->multi_info_read(hp->multi, &left)) != NULL) {
		CURL *easy = msg->easy_handle;
		CURLcode code = msg->data.result;
		char *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		hp->c->easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		if (priv != NULL)
			http_finish((struct http_probe *)(void *)priv, code);
	}
}

/* Create the multi handle on first use. */
static int
http_multi(struct http_probes *hp, struct derr *e)
{
	if (hp->multi != NULL)
		return 0;
	hp->c = curl_dl(e);
	if (hp->c == NULL)
		return -1;
	hp->multi = hp->c->multi_init();
	if (hp->multi == NULL)
		return derr_set(e, "cannot create a libcurl multi handle");
	hp->c->multi_setopt(hp->multi, CURLMOPT_SOCKETFUNCTION,
			    http_on_socket);
	hp->c->multi_setopt(hp->multi, CURLMOPT_SOCKETDATA, (void *)hp);
	hp->c->multi_setopt(hp->multi, CURLMOPT_TIMERFUNCTION,
			    http_on_timer);
	hp->c->multi_setopt(hp->multi, CURLMOPT_TIMERDATA, (void *)hp);
	return 0;
}

/* Start a GET of url. */
struct http_probe *
http_probe_start(struct http_probes *hp, const char *url, long timeout_ms,
		 struct derr *e)
{
	struct http_probe *p;
	CURLcode rc;
	CURLMcode mrc;

	if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0) {
		derr_set(e, "invalid health URL '%s': expected http:// or "
			 "https://", url);
		return NULL;
	}
	if (http_multi(hp, e) < 0)
		return NULL;
	p = xcalloc(1, sizeof *p);
	p->hp = hp;
	p->result = HTTP_PENDING;
	rc = http_get_init(&p->get, hp->c, url, timeout_ms > 0 ? timeout_ms :
			   HTTP_DEFAULT_TIMEOUT_MS, p);
	if (rc != CURLE_OK) {
		derr_set(e, "cannot probe '%s': %s", url,
			 hp->c->easy_strerror(rc));
		http_probe_free(p);
		return NULL;
	}
	mrc = hp->c->multi_add_handle(hp->multi, p->get.easy);
	if (mrc != CURLM_OK) {
		derr_set(e, "cannot probe '%s': %s", url,
			 hp->c->multi_strerror(mrc));
		http_probe_free(p);
		return NULL;
	}
	p->attached = true;
	return p;
}

/* The probe's verdict so far. */
int
http_probe_result(const struct http_probe *p)
{
	return p->result;
}

/* Why the probe failed, "" if it did not. */
const char *
http_probe_error(const struct http_probe *p)
{
	return p->result == HTTP_PENDING ? "" : p->get.error;
}

void
http_probe_free(struct http_probe *p)
{
	if (p == NULL)
		return;
	if (p->attached)
		p->hp->c->multi_remove_handle(p->hp->multi, p->get.easy);
	http_get_cleanup(&p->get);
	free(p);
}

/* How many fds the probes want polled. */
int
http_probes_nfds(const struct http_probes *hp)
{
	return (int)hp->n_socks;
}

/* Copy the probes' fds and events into out. */
int
http_probes_pollfds(const struct http_probes *hp, struct pollfd *out,
		    int max)
{
	int n = 0;

	for (size_t i = 0; i < hp->n_socks && n < max; i++, n++) {
		out[n].fd = hp->socks[i].fd;
		out[n].events = hp->socks[i].events;
		out[n].revents = 0;
	}
	return n;
}

/* Milliseconds until the probes' timer; -1 for none. */
long
http_probes_timeout_ms(const struct http_probes *hp)
{
	long long left;

	if (hp->timer_at < 0)
		return -1;
	left = hp->timer_at - now_ms();
	return left <= 0 ? 0 : (long)left;
}

/* Tell curl what poll() saw on one of its sockets. */
void
http_probes_on_fd(struct http_probes *hp, int fd, short revents)
{
	int mask = 0, running;

	if (hp->multi == NULL || revents == 0 || http_sock_find(hp, fd) < 0)
		return;
	if (revents & (POLLIN | POLLHUP))
		mask |= CURL_CSELECT_IN;
	if (revents & POLLOUT)
		mask |= CURL_CSELECT_OUT;
	if (revents & (POLLERR | POLLNVAL))
		mask |= CURL_CSELECT_ERR;
	hp->c->multi_socket_action(hp->multi, fd, mask, &running);
	http_collect(hp);
}

/* Run curl's timer if due and collect finished transfers. */
void
http_probes_run(struct http_probes *hp)
{
	int running;

	if (hp->multi == NULL)
		return;
	if (hp->timer_at >= 0 && now_ms() >= hp->timer_at) {
		hp->timer_at = -1;
		hp->c->multi_socket_action(hp->multi, CURL_SOCKET_TIMEOUT, 0,
					   &running);
	}
	http_collect(hp);
}

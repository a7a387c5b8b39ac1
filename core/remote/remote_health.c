/* remote_health.c: the health gate, HTTP GETs from this machine */
#include "core/remote/remote_int.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/lib/curl_dl.h"

#define RETRY_MS 500
#define ATTEMPT_MS 5000
#define MAX_FDS 8

/*
 * One attempt runs on its own multi handle, driven by poll() here:
 * curl_dl offers the multi socket interface (not curl_easy_perform),
 * and a handle per thread keeps the hosts' threads apart.
 */
struct attempt {
	struct pollfd fds[MAX_FDS];
	int n;
	long timer_ms;		/* -1: no timer */
};

/* Milliseconds on CLOCK_MONOTONIC. */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* CURLMOPT_SOCKETFUNCTION: track which fds curl wants polled. */
static int
on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *sockp)
{
	struct attempt *a = userp;
	int i;

	(void)easy;
	(void)sockp;
	for (i = 0; i < a->n && a->fds[i].fd != fd; i++)
		;
	if (what == CURL_POLL_REMOVE) {
		if (i < a->n)
			a->fds[i] = a->fds[--a->n];
		return 0;
	}
	if (i == a->n) {
		if (a->n == MAX_FDS)
			return -1;
		a->n++;
	}
	a->fds[i] = (struct pollfd){ .fd = fd };
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		a->fds[i].events |= POLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		a->fds[i].events |= POLLOUT;
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: remember when curl wants to be called. */
static int
on_timer(CURLM *m, long timeout_ms, void *userp)
{
	(void)m;
	((struct attempt *)userp)->timer_ms = timeout_ms;
	return 0;
}

/* CURLOPT_WRITEFUNCTION: the body is not needed. */
static size_t
discard(char *p, size_t size, size_t n, void *userp)
{
	(void)p;
	(void)userp;
	return size * n;
}

/* Tell curl about one poll() round. */
static void
drive(const struct curl_fns *c, CURLM *m, struct attempt *a, int ready,
      int *running)
{
	struct pollfd fds[MAX_FDS];
	int n = a->n;

	if (ready == 0) {
		c->multi_socket_action(m, CURL_SOCKET_TIMEOUT, 0, running);
		return;
	}
	/* Callbacks may change a->fds while we go through them. */
	memcpy(fds, a->fds, sizeof fds);
	for (int i = 0; i < n; i++) {
		int ev = 0;

		if (fds[i].revents & POLLIN)
			ev |= CURL_CSELECT_IN;
		if (fds[i].revents & POLLOUT)
			ev |= CURL_CSELECT_OUT;
		if (fds[i].revents & (POLLERR | POLLHUP))
			ev |= CURL_CSELECT_ERR;
		if (ev != 0)
			c->multi_socket_action(m, fds[i].fd, ev, running);
	}
}

/* Run one transfer to its end; its CURLcode. */
static CURLcode
transfer(const struct curl_fns *c, CURLM *m, CURL *easy)
{
	struct attempt a = { .timer_ms = -1 };
	CURLcode rc = CURLE_OPERATION_TIMEDOUT;
	int running = 1, left;
	CURLMsg *msg;

	c->multi_setopt(m, CURLMOPT_SOCKETFUNCTION, on_socket);
	c->multi_setopt(m, CURLMOPT_SOCKETDATA, &a);
	c->multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_timer);
	c->multi_setopt(m, CURLMOPT_TIMERDATA, &a);
	c->multi_add_handle(m, easy);
	while (running > 0) {
		long wait = a.timer_ms < 0 || a.timer_ms > 100 ? 100 :
			a.timer_ms;
		int ready = poll(a.fds, (nfds_t)a.n, (int)wait);

		if (ready < 0 && errno != EINTR)
			break;
		drive(c, m, &a, ready < 0 ? 0 : ready, &running);
	}
	while ((msg = c->multi_info_read(m, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE)
			rc = msg->data.result;
	c->multi_remove_handle(m, easy);
	return rc;
}

/* One GET of url; 0 on a 2xx answer, else -1 with why. */
static int
attempt_once(const struct curl_fns *c, const char *url, long timeout_ms,
	     struct derr *why)
{
	CURL *easy = c->easy_init();
	CURLM *m = c->multi_init();
	long status = 0;
	CURLcode rc;

	if (easy == NULL || m == NULL) {
		if (easy != NULL)
			c->easy_cleanup(easy);
		if (m != NULL)
			c->multi_cleanup(m);
		return derr_set(why, "out of memory");
	}
	c->easy_setopt(easy, CURLOPT_URL, url);
	c->easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	c->easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	c->easy_setopt(easy, CURLOPT_NOPROXY, "*");
	c->easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
	c->easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
	c->easy_setopt(easy, CURLOPT_USERAGENT, "deploy-health/1");
	rc = transfer(c, m, easy);
	c->easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	c->easy_cleanup(easy);
	c->multi_cleanup(m);
	if (rc != CURLE_OK)
		return derr_set(why, "%s", c->easy_strerror(rc));
	if (status < 200 || status > 299)
		return derr_set(why, "HTTP %ld", status);
	return 0;
}

/* Retry the GET until it succeeds or timeout_ms passes. */
int
remote_health_wait(const char *url, long timeout_ms, struct derr *e)
{
	const struct curl_fns *c = curl_dl(e);
	long long start = now_ms(), deadline = start + timeout_ms;
	struct derr why = { "no answer" };

	if (c == NULL)
		return -1;
	for (;;) {
		long long left = deadline - now_ms();
		struct timespec pause = { 0, RETRY_MS * 1000000L };

		if (attempt_once(c, url, left < ATTEMPT_MS && left > 0 ?
				 (long)left : ATTEMPT_MS, &why) == 0)
			return 0;
		if (now_ms() + RETRY_MS >= deadline)
			break;
		if (remote_interrupted())
			return derr_set(e, "interrupted while waiting for "
					"%s: %s", url, why.msg);
		nanosleep(&pause, NULL);
	}
	return derr_set(e, "health check %s failed for %.1f s: %s", url,
			(double)(now_ms() - start) / 1000, why.msg);
}

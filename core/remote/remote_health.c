/* remote_health.c: the health gate, HTTP GETs from this machine */
#include "core/remote/remote_int.h"

#include <time.h>

#include "core/lib/http_get.h"
#include "core/lib/loop.h"

#define RETRY_MS 500
#define ATTEMPT_MS 5000

/*
 * One GET of url with the probes' options (core/lib/http_get.h),
 * blocking: each host's deploy runs in its own thread. 0 on a 2xx
 * answer, else -1 with why.
 */
static int
attempt_once(const struct curl_fns *c, const char *url, long timeout_ms,
	     struct derr *why)
{
	struct http_get g;
	CURLcode rc = http_get_init(&g, c, url, timeout_ms, NULL);
	int r;

	if (rc == CURLE_OK)
		rc = c->easy_perform(g.easy);
	r = g.easy != NULL ? http_get_done(&g, rc) : HTTP_FATAL;
	if (r != HTTP_YES)
		derr_set(why, "%s", g.easy != NULL ? g.error :
			 c->easy_strerror(rc));
	http_get_cleanup(&g);
	return r == HTTP_YES ? 0 : -1;
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

/* loop.c: the poll() loop: watches rebuilt each turn, and the clock */
#include "core/lib/loop.h"
#include "core/lib/util.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* The loop whose events are being dispatched (one thread), or NULL. */
static struct loop *dispatching;

/* Milliseconds on clock c. */
static long long
clock_ms(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

long long
now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

/* Milliseconds since the epoch. */
long long
wall_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

/* Start a new turn. */
void
loop_reset(struct loop *l)
{
	l->n = 0;
	l->deadline = -1;
}

/* Add one watch for this turn. */
void
loop_add(struct loop *l, int fd, short events, loop_fn fn, void *arg)
{
	if (l->n == l->cap) {
		size_t cap = l->cap;

		ARRAY_GROW(l->pfd, cap, l->n + 1);
		l->w = xrealloc(l->w, cap * sizeof *l->w);
		l->cap = cap;
	}
	l->pfd[l->n] = (struct pollfd){ .fd = fd, .events = events };
	l->w[l->n] = (struct loop_watch){ .fn = fn, .arg = arg };
	l->n++;
}

/* Keep the nearest deadline. */
void
loop_deadline(struct loop *l, long long at)
{
	if (at >= 0 && (l->deadline < 0 || at < l->deadline))
		l->deadline = at;
}

/* Poll once and call the watchers of ready fds. */
int
loop_run_once(struct loop *l)
{
	int timeout = -1, n;

	if (l->deadline >= 0) {
		long long left = l->deadline - now_ms();
		timeout = left < 0 ? 0 : left > 60000 ? 60000 : (int)left;
	}
	n = poll(l->pfd, l->n, timeout);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	dispatching = l;
	for (size_t i = 0; i < l->n && n > 0; i++) {
		if (l->pfd[i].revents == 0)
			continue;
		n--;
		if (l->w[i].fn != NULL)
			l->w[i].fn(l->w[i].arg, l->pfd[i].fd,
				   l->pfd[i].revents);
	}
	dispatching = NULL;
	return 0;
}

/* Close fd and forget its watches in the turn being dispatched. */
void
loop_close(int fd)
{
	struct loop *l = dispatching;

	for (size_t i = 0; l != NULL && i < l->n; i++)
		if (l->pfd[i].fd == fd)
			l->w[i].fn = NULL;
	close(fd);
}

/* Free the arrays. */
void
loop_free(struct loop *l)
{
	free(l->pfd);
	free(l->w);
	l->pfd = NULL;
	l->w = NULL;
	l->n = l->cap = 0;
}

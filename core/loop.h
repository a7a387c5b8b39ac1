/* loop.h: the poll() loop: watches rebuilt each turn, and the clock */
#ifndef DEPLOY_LOOP_H
#define DEPLOY_LOOP_H

#include <poll.h>
#include <stddef.h>

/* Called with the revents of a watched fd. */
typedef void (*loop_fn)(void *arg, int fd, short revents);

struct loop_watch {
	loop_fn fn;
	void *arg;
};

struct loop {
	struct pollfd *pfd;
	struct loop_watch *w;
	size_t n, cap;
	long long deadline;	/* nearest deadline, ms; -1: none */
};

/* Milliseconds on CLOCK_MONOTONIC. */
long long now_ms(void);
/* Milliseconds since the epoch (for display). */
long long wall_ms(void);

/* Forget last turn's watches and deadline. */
void loop_reset(struct loop *l);
/* Watch fd for events this turn. */
void loop_add(struct loop *l, int fd, short events, loop_fn fn, void *arg);
/* Wake up no later than at (CLOCK_MONOTONIC ms); -1 is ignored. */
void loop_deadline(struct loop *l, long long at);
/* poll() until an fd is ready or the deadline; dispatch; 0 or -1. */
int loop_run_once(struct loop *l);
void loop_free(struct loop *l);

#endif

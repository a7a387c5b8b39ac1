/* loop.h: the poll() loop: watches rebuilt each turn, and the clock */
#ifndef DEPLOY_LOOP_H
#define DEPLOY_LOOP_H

#include <poll.h>
#include <stddef.h>

/*
 * Called with the revents of a watched fd. A watch is registered for one
 * turn; a handler may close any fd, including another watched one whose
 * events fired in the same poll(), as long as it closes it with
 * loop_close(): the loop then drops that fd's pending events instead of
 * handing them to a handler that would take the fd number for whatever
 * reuses it (as redis's ae.c checks a fired event against the live
 * registration).
 */
typedef void (*loop_fn)(void *arg, int fd, short revents);

struct loop_watch {
	loop_fn fn;		/* NULL: closed during this turn */
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
/* close(fd), dropping its events not yet dispatched in this turn. */
void loop_close(int fd);
void loop_free(struct loop *l);

#endif

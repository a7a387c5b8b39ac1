/* remote_fleet.c: the hosts of a run, phase by phase, through a bounded
 * pool of threads */
#include "core/remote/remote_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* True past --timeout. */
bool
remote_past_deadline(const struct remote_plan *p)
{
	return p->deadline_ms > 0 && now_ms() >= p->deadline_ms;
}

/* ssh_opts.cancel: stop on a quit or past --timeout. */
bool
rhost_cancelled(void *arg)
{
	const struct rhost *h = arg;

	return !h->cleaning && (remote_quit() ||
				remote_past_deadline(h->plan));
}

/* The work of a pool: hosts handed out one at a time. */
struct pool {
	struct rhost **hs;
	size_t n, next;
	void (*fn)(struct rhost *h);
	pthread_mutex_t lock;
	pthread_cond_t ended;	/* a worker thread ended */
	size_t running;		/* worker threads not yet ended */
};

/* Take hosts until none is left. */
static void
pool_work(struct pool *pl)
{
	for (;;) {
		size_t i;

		pthread_mutex_lock(&pl->lock);
		i = pl->next++;
		pthread_mutex_unlock(&pl->lock);
		if (i >= pl->n)
			return;
		pl->fn(pl->hs[i]);
	}
}

/* pthread entry: pool_work, then say so. */
static void *
pool_worker(void *arg)
{
	struct pool *pl = arg;

	pool_work(pl);
	pthread_mutex_lock(&pl->lock);
	pl->running--;
	pthread_cond_signal(&pl->ended);
	pthread_mutex_unlock(&pl->lock);
	return NULL;
}

/* Wait for the pool's threads, telling of signals as they come. */
static void
pool_wait(struct pool *pl)
{
	pthread_mutex_lock(&pl->lock);
	while (pl->running > 0) {
		struct timespec at;

		pthread_mutex_unlock(&pl->lock);
		remote_interrupt_say();
		clock_gettime(CLOCK_REALTIME, &at);
		at.tv_nsec += 100 * 1000000L;
		if (at.tv_nsec >= 1000000000L) {
			at.tv_sec++;
			at.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&pl->lock);
		if (pl->running > 0)
			pthread_cond_timedwait(&pl->ended, &pl->lock, &at);
	}
	pthread_mutex_unlock(&pl->lock);
	remote_interrupt_say();
}

/* Run fn on each of the n hosts hs, at most p->workers at once. */
static void
remote_pool(const struct remote_plan *p, struct rhost **hs, size_t n,
	    void (*fn)(struct rhost *h))
{
	struct pool pl = { .hs = hs, .n = n, .fn = fn };
	size_t k = n < p->workers ? n : p->workers, started = 0;
	pthread_t *tids;

	if (n == 0)
		return;
	pthread_mutex_init(&pl.lock, NULL);
	pthread_cond_init(&pl.ended, NULL);
	tids = xcalloc(k, sizeof *tids);
	pl.running = k;
	while (started < k &&
	       pthread_create(&tids[started], NULL, pool_worker, &pl) == 0)
		started++;
	pthread_mutex_lock(&pl.lock);
	pl.running -= k - started;
	pthread_mutex_unlock(&pl.lock);
	/* This thread works only when no other could be started; else it
	   waits, and is the one to tell of an interrupt. */
	if (started == 0)
		pool_work(&pl);
	pool_wait(&pl);
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	pthread_cond_destroy(&pl.ended);
	pthread_mutex_destroy(&pl.lock);
}

/* The phase functions the pool runs. */
static void
do_connect(struct rhost *h)
{
	rhost_phase(h, RPHASE_CONNECT);
}

static void
do_lock(struct rhost *h)
{
	rhost_phase(h, RPHASE_LOCK);
}

static void
do_prepare(struct rhost *h)
{
	rhost_phase(h, RPHASE_PREPARE);
}

static void
do_switch(struct rhost *h)
{
	rhost_phase(h, RPHASE_SWITCH);
}

static void
do_work(struct rhost *h)
{
	rhost_phase(h, RPHASE_WORK);
}

/* A prepared host of a batch that will not switch. */
static void
do_discard(struct rhost *h)
{
	if (h->rep->status != REMOTE_OK)
		return;
	rhost_say(h, "not switching: another host failed");
	rhost_discard(h);
	h->rep->status = REMOTE_SKIPPED;
}

static void
do_revert(struct rhost *h)
{
	rhost_revert(h, "went back with the others (on_failure: "
		     "rollback_all)");
}

/* True when every host of hs is still OK. */
static bool
all_ok(struct rhost **hs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (hs[i]->rep->status != REMOTE_OK)
			return false;
	return true;
}

/* qsort: hosts by label, the order locks are taken in. */
static int
cmp_label(const void *a, const void *b)
{
	const struct rhost *x = *(struct rhost *const *)a;
	const struct rhost *y = *(struct rhost *const *)b;

	return strcmp(x->rep->host, y->rep->host);
}

/*
 * Take every host's lock: the first host in sorted order alone, then
 * the rest at once. Two runs on one fleet meet at that first lock, so
 * one of them gets none; a lock left on any other host fails the run
 * before anything changed. True when all are held.
 */
static bool
lock_all(const struct remote_plan *p, struct rhost **hs, size_t n)
{
	struct rhost **sorted = xcalloc(n, sizeof *sorted);
	bool ok;

	memcpy(sorted, hs, n * sizeof *sorted);
	qsort(sorted, n, sizeof *sorted, cmp_label);
	do_lock(sorted[0]);
	if (sorted[0]->rep->status == REMOTE_OK)
		remote_pool(p, sorted + 1, n - 1, do_lock);
	ok = all_ok(sorted, n);
	free(sorted);
	return ok;
}

/* The size of the batch starting at from. */
static size_t
batch_size(const struct eco_target *t, size_t from, size_t n)
{
	size_t canary = (size_t)t->canary, par = (size_t)t->parallel;
	size_t size;

	if (canary > 0 && from == 0)
		size = canary;
	else
		size = par > 0 ? par : n - from;
	return size < n - from ? size : n - from;
}

/* Hosts [0, to) that switched in this run go back. */
static void
revert_all(const struct remote_plan *p, struct rhost **hs, size_t to)
{
	rhost_say(hs[0], "on_failure rollback_all: every switched host "
		  "goes back");
	remote_pool(p, hs, to, do_revert);
}

/* deploy, rollback: lock all, then prepare and switch batch by batch;
 * true when every host is still OK. */
static bool
run_fleet(const struct remote_plan *p, struct rhost **hs, size_t n)
{
	remote_pool(p, hs, n, do_connect);
	if (!all_ok(hs, n) || !lock_all(p, hs, n))
		return false;
	for (size_t from = 0; from < n;) {
		size_t k = batch_size(p->t, from, n);

		/* No new batch once asked to stop. */
		if (from > 0 && (remote_interrupted() ||
				 remote_past_deadline(p)))
			return false;
		remote_pool(p, hs + from, k, do_prepare);
		if (!all_ok(hs + from, k)) {
			remote_pool(p, hs + from, k, do_discard);
			return false;
		}
		remote_pool(p, hs + from, k, do_switch);
		from += k;
		if (!all_ok(hs + from - k, k)) {
			if (p->t->rollback_all)
				revert_all(p, hs, from);
			return false;
		}
	}
	return true;
}

/* setup: batches of parallel, none after a failed one. */
static void
run_batches(const struct remote_plan *p, struct rhost **hs, size_t n)
{
	size_t par = (size_t)p->t->parallel;

	for (size_t from = 0; from < n && !remote_interrupted();) {
		size_t k = par > 0 && par < n - from ? par : n - from;

		remote_pool(p, hs + from, k, do_work);
		from += k;
		if (!all_ok(hs + from - k, k))
			break;
	}
}

/* A host that never ran: skipped. */
static void
do_finish(struct rhost *h)
{
	if (h->rep->status == REMOTE_OK && h->ssh == NULL && h->t0 == 0)
		h->rep->status = REMOTE_SKIPPED;
	rhost_finish(h);
}

/* Run op's phases on every host. */
void
remote_fleet(const struct remote_plan *p, struct rhost *hosts, size_t n)
{
	struct rhost **hs = xcalloc(n, sizeof *hs);
	enum remote_op op = p->o->op;

	for (size_t i = 0; i < n; i++)
		hs[i] = &hosts[i];
	if (op == REMOTE_DEPLOY || op == REMOTE_ROLLBACK) {
		if (!run_fleet(p, hs, n))
			/* Hosts a failure kept from their turn. */
			for (size_t i = 0; i < n; i++)
				if (hs[i]->rep->status == REMOTE_OK &&
				    !hs[i]->switched)
					hs[i]->rep->status = REMOTE_SKIPPED;
	} else if (op == REMOTE_SETUP) {
		run_batches(p, hs, n);
	} else {
		remote_pool(p, hs, n, do_work);
	}
	remote_pool(p, hs, n, do_finish);
	free(hs);
}

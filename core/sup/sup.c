/* sup.c: the supervisor: its loop hooks, reaping, sampling, shutdown */
#include "core/lib/fileio.h"
#include "core/lib/holder.h"
#include "core/lib/procstat.h"
#include "core/probe/http_probe.h"
#include "core/probe/notify.h"
#include "core/sup/sup_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * /proc is sampled every second while someone watches (an "ls" in the
 * last WATCHED_MS: deploy monit asks every second) or an app has a
 * memory limit to enforce, and every IDLE_SAMPLE_MS otherwise. A full
 * sweep of /proc (about 15 us per process on the machine) finds the
 * workers' descendants: every FULL_SWEEP_MS, with only the workers and
 * the descendants known to it read in between (every second when a
 * memory limit needs the descendants forked since).
 */
#define SAMPLE_EVERY_MS 1000
#define IDLE_SAMPLE_MS 10000
#define WATCHED_MS 10000
#define FULL_SWEEP_MS 5000

/* A supervisor with no apps, its logs dir and notify socket ready. */
struct sup *
sup_new(const char *home, struct derr *e)
{
	struct sup *s = xcalloc(1, sizeof *s);

	s->home = xstrdup(home);
	s->logs_dir = xasprintf("%s/logs", home);
	s->notify_path = xasprintf("%s/notify.sock", home);
	s->logs = sup_logs_new();
	s->probes = http_probes_new();
	s->proc = procstat_new("/proc");
	procstat_keep_files(s->proc, true);
	s->next_sample = -1;
	s->last_sweep = -1;
	s->swept_turn = (unsigned long)-1;
	/* Serials only grow, across daemons too: from the clock. */
	s->serial = (unsigned long long)wall_ms() * 1000;
	if (mkdir_p(s->logs_dir, 0700, e) < 0)
		goto fail;
	unlink(s->notify_path);
	s->notify = notify_open(s->notify_path, e);
	if (s->notify == NULL)
		goto fail;
	s->holder = holder_open(home, e);
	if (s->holder == NULL)
		dlog("no fd holder: %s (workers die with the daemon)",
			e->msg);
	return s;
fail:
	sup_free(s);
	return NULL;
}

void
sup_free(struct sup *s)
{
	if (s == NULL)
		return;
	sup_holder_off(s);	/* the holder keeps what it has */
	for (size_t i = 0; i < s->n_apps; i++)
		sup_app_free(s->apps[i]);
	free(s->apps);
	for (size_t i = 0; i < s->n_jobs; i++)
		sup_job_free(s->jobs[i]);
	free(s->jobs);
	free(s->exits);
	if (s->notify != NULL) {
		notify_close(s->notify);
		unlink(s->notify_path);
	}
	sup_logs_free(s->logs);
	http_probes_free(s->probes);
	procstat_free(s->proc);
	free(s->notify_path);
	free(s->logs_dir);
	free(s->home);
	free(s);
}

/* Read sd_notify datagrams: READY=1 from a worker (or its child). */
static void
notify_event(void *arg, int fd, short revents)
{
	struct sup *s = arg;
	char buf[4096];
	pid_t sender;

	(void)fd;
	(void)revents;
	while (notify_recv(s->notify, &sender, buf, sizeof buf) > 0)
		sup_ready_on_notify(s, sender, buf);
}

/* True when an app has a max_memory_restart to enforce. */
static bool
any_memory_limit(const struct sup *s)
{
	for (size_t a = 0; a < s->n_apps; a++)
		if (s->apps[a]->cfg->max_memory_restart > 0)
			return true;
	return false;
}

/* How long until the next /proc sample. */
static long long
sample_interval(const struct sup *s)
{
	if (now_ms() < s->watched_until || any_memory_limit(s))
		return SAMPLE_EVERY_MS;
	return IDLE_SAMPLE_MS;
}

/* Someone looked at the stats: sample every second for a while. */
void
sup_watched(struct sup *s)
{
	s->watched_until = now_ms() + WATCHED_MS;
}

/* Register the fds and deadlines of every instance and job. */
void
sup_watch(struct sup *s, struct loop *l)
{
	bool any = false;

	s->turn++;	/* a new loop turn begins */
	loop_add(l, notify_fd(s->notify), POLLIN, notify_event, s);
	sup_holder_watch(s, l);
	for (size_t a = 0; a < s->n_apps; a++) {
		struct sup_app *app = s->apps[a];

		for (size_t i = 0; i < app->n_inst; i++) {
			sup_inst_watch(app->inst[i], l);
			any = any || sup_inst_has_process(app->inst[i]);
		}
		sup_cron_watch(app, l);
		sup_watch_register(app, l);
	}
	for (size_t i = 0; i < s->n_jobs; i++)
		loop_deadline(l, sup_job_wakeup(s->jobs[i]));
	loop_deadline(l, sup_logs_due(s->logs));
	sup_ready_http_watch(s, l);
	if (any) {
		if (s->next_sample < 0)
			s->next_sample = now_ms() + SAMPLE_EVERY_MS;
		else if (s->next_sample > now_ms() + sample_interval(s))
			s->next_sample = now_ms() + sample_interval(s);
		loop_deadline(l, s->next_sample);
	} else {
		s->next_sample = -1;
	}
}

/* Find the instance whose process is pid. */
static struct sup_inst *
inst_by_pid(const struct sup *s, pid_t pid)
{
	for (size_t a = 0; a < s->n_apps; a++)
		for (size_t i = 0; i < s->apps[a]->n_inst; i++)
			if (s->apps[a]->inst[i]->pid == pid)
				return s->apps[a]->inst[i];
	return NULL;
}

/*
 * Reap every exited child. Its instance hears of it after the turn
 * (sup_after_turn): acting now could spawn a replacement whose pipes
 * take the fd numbers of pipes whose events are still to be dispatched
 * in this turn.
 */
void
sup_reap(struct sup *s)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		sup_queue_exit(s, pid, status);
}

/* Remember an exit for handle_exits. */
void
sup_queue_exit(struct sup *s, pid_t pid, int status)
{
	ARRAY_GROW(s->exits, s->cap_exits, s->n_exits + 1);
	s->exits[s->n_exits++] = (struct sup_exit){ pid, status };
}

/* Tell each instance whose process was reaped this turn. */
static void
handle_exits(struct sup *s)
{
	for (size_t i = 0; i < s->n_exits; i++) {
		struct sup_inst *in = inst_by_pid(s, s->exits[i].pid);

		if (in != NULL)
			sup_inst_on_exit(in, s->exits[i].status);
	}
	s->n_exits = 0;
}

/* A new /proc sample: a full sweep when one is due or a memory limit
   must see every descendant each second, else the workers' known
   trees. 0, or -1 with e filled. */
static int
refresh_procs(struct sup *s, struct derr *e)
{
	long long now = now_ms();
	pid_t *roots;
	size_t n = 0, cap = 0;
	int rc;

	if (s->last_sweep < 0 || now - s->last_sweep >= FULL_SWEEP_MS ||
	    any_memory_limit(s)) {
		s->last_sweep = now;
		s->swept_turn = s->turn;
		return procstat_refresh(s->proc, e);
	}
	for (size_t a = 0; a < s->n_apps; a++)
		cap += s->apps[a]->n_inst;
	roots = xcalloc(cap + 1, sizeof *roots);
	for (size_t a = 0; a < s->n_apps; a++)
		for (size_t i = 0; i < s->apps[a]->n_inst; i++)
			if (s->apps[a]->inst[i]->pid > 0)
				roots[n++] = s->apps[a]->inst[i]->pid;
	rc = procstat_refresh_roots(s->proc, roots, n, e);
	free(roots);
	return rc;
}

/* Sample CPU and memory; restart instances over max_memory_restart. */
static void
sample(struct sup *s)
{
	struct proc_usage u;
	struct derr e;

	if (refresh_procs(s, &e) < 0)
		return;
	for (size_t a = 0; a < s->n_apps; a++) {
		struct sup_app *app = s->apps[a];

		for (size_t i = 0; i < app->n_inst; i++) {
			struct sup_inst *in = app->inst[i];

			if (in->pid <= 0 || procstat_tree(s->proc, in->pid,
							  &u) < 0)
				continue;
			in->cpu = u.cpu_pct;
			in->rss = u.rss_bytes;
			if (app->cfg->max_memory_restart > 0 &&
			    in->rss > app->cfg->max_memory_restart &&
			    in->state == WS_ONLINE)
				sup_inst_memory_restart(in);
		}
	}
	sup_logs_retry(s->logs);
}

/* Timers, probes, sampling, reloads, finished jobs, cleanup. */
void
sup_after_turn(struct sup *s)
{
	long long now = now_ms();
	size_t out = 0;

	handle_exits(s);
	sup_ready_http_run(s);
	sup_logs_tick(s->logs, now);
	for (size_t a = 0; a < s->n_apps; a++) {
		struct sup_app *app = s->apps[a];

		for (size_t i = 0; i < app->n_inst; i++)
			sup_inst_tick(app->inst[i], now);
		if (app->reload != NULL)
			sup_reload_tick(app);
		sup_cron_tick(app);
		sup_watch_tick(app);
	}
	if (s->next_sample >= 0 && now >= s->next_sample) {
		sample(s);
		s->next_sample = now + sample_interval(s);
	}
	sup_jobs_check(s);
	for (size_t a = 0; a < s->n_apps; a++) {
		struct sup_app *app = s->apps[a];

		sup_app_sweep(app);
		if (app->removing && app->n_inst == 0) {
			sup_app_free(app);
			s->run_dirty = true;
			continue;
		}
		s->apps[out++] = app;
	}
	s->n_apps = out;
	if (s->run_dirty)
		sup_run_save(s);
}

/* Stop every instance of every app. */
void
sup_stop_all(struct sup *s)
{
	for (size_t a = 0; a < s->n_apps; a++)
		for (size_t i = 0; i < s->apps[a]->n_inst; i++)
			sup_inst_stop(s->apps[a]->inst[i]);
}

/* True when no instance has a process left. */
bool
sup_all_stopped(const struct sup *s)
{
	for (size_t a = 0; a < s->n_apps; a++)
		for (size_t i = 0; i < s->apps[a]->n_inst; i++)
			if (sup_inst_has_process(s->apps[a]->inst[i]))
				return false;
	return true;
}

void
sup_reload_all(struct sup *s)
{
	for (size_t a = 0; a < s->n_apps; a++)
		if (s->apps[a]->reload == NULL)
			sup_reload_begin(s->apps[a], 1);
}

/* sup_tree.c: a stop reaches every descendant of an instance, whatever
   its session or process group */
#include "core/lib/procstat.h"
#include "core/lib/spawn.h"
#include "core/lib/procinfo.h"
#include "core/sup/sup_int.h"

#include <signal.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * A worker's child that calls setsid() (a daemonizing server, `nohup x
 * &` helpers, some npm scripts) leaves the worker's process group, so
 * signalling the group misses it; one that also forks twice is not
 * even the worker's descendant any more (it was reparented to the
 * daemon, the subreaper). When an instance is stopped, a fresh /proc
 * sample finds every descendant of its process, and every process that
 * carries the instance's mark in its environment (WORKER_MARK_VAR, set
 * for each worker and inherited by what it starts); those outside its
 * group get the same signal, and are remembered (pid and start time,
 * which tells a reused pid) until they are gone: the stop is not over
 * before.
 */

/* The mark of in's processes: "HOME|APP:INDEX|SERIAL", the serial
   telling this instance from the one it replaces in a reload; a new
   string. */
char *
sup_inst_marker(const struct sup_inst *in)
{
	return xasprintf("%s|%s:%d|%llu", in->app->s->home,
			 in->app->cfg->name, in->index, in->serial);
}

/* Remember stray pid (its start time tells it from a reused pid). */
static void
stray_add(struct sup_inst *in, pid_t pid)
{
	unsigned long long start = proc_start_time(pid);

	for (size_t i = 0; i < in->n_strays; i++)
		if (in->strays[i].pid == pid)
			return;
	if (start == 0)
		return;
	ARRAY_GROW(in->strays, in->cap_strays, in->n_strays + 1);
	in->strays[in->n_strays++] = (struct sup_stray){ pid, start };
}

/* True when pid's environment holds var=value exactly. */
static bool
environ_has(pid_t pid, const char *kv)
{
	char path[64], buf[65536];
	size_t len = strlen(kv);
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	for (ssize_t i = 0; n > 0 && i + (ssize_t)len <= n; ) {
		const char *end = memchr(buf + i, '\0', (size_t)(n - i));
		size_t l = end ? (size_t)(end - (buf + i)) : (size_t)(n - i);

		if (l == len && memcmp(buf + i, kv, len) == 0)
			return true;
		i += (ssize_t)l + 1;
	}
	return false;
}

/* Remember every orphan reparented to the daemon (the subreaper) that
   carries in's mark. Only the daemon's own children are looked at:
   reading another process's environment takes its memory map lock. */
static void
find_marked(struct sup_inst *in)
{
	char *mark = sup_inst_marker(in);
	char *kv = xasprintf("%s=%s", WORKER_MARK_VAR, mark);
	DIR *dir = opendir("/proc");
	struct dirent *de;

	while (dir != NULL && (de = readdir(dir)) != NULL) {
		pid_t pid = (pid_t)atoi(de->d_name);

		if (pid > 0 && pid != in->pid &&
		    proc_parent(pid) == getpid() &&
		    getpgid(pid) != in->pid && environ_has(pid, kv))
			stray_add(in, pid);
	}
	if (dir != NULL)
		closedir(dir);
	free(kv);
	free(mark);
}

/* Send sig to every descendant of the instance's process. */
void
sup_inst_signal_tree(struct sup_inst *in, int sig)
{
	struct sup *s = in->app->s;
	struct derr e;
	pid_t *kids;
	int n;

	/* One sweep a loop turn does for a whole "stop all". */
	if (in->pid > 0 && s->swept_turn != s->turn) {
		if (procstat_refresh(s->proc, &e) < 0)
			return;
		s->swept_turn = s->turn;
		s->last_sweep = now_ms();
	}
	if (in->pid > 0 &&
	    (n = procstat_descendants(s->proc, in->pid, NULL, 0)) > 0) {
		kids = xcalloc((size_t)n, sizeof *kids);
		n = procstat_descendants(s->proc, in->pid, kids, (size_t)n);
		for (int i = 0; i < n; i++)
			if (getpgid(kids[i]) != in->pid)
				stray_add(in, kids[i]);
		free(kids);
	}
	if (in->pid > 0)
		find_marked(in);
	for (size_t i = 0; i < in->n_strays; i++)
		if (proc_is_alive(in->strays[i].pid, in->strays[i].start))
			kill(in->strays[i].pid, sig);
}

/* True while a remembered stray still runs; forgets those gone. */
bool
sup_inst_strays_alive(struct sup_inst *in)
{
	size_t out = 0;

	for (size_t i = 0; i < in->n_strays; i++)
		if (proc_is_alive(in->strays[i].pid, in->strays[i].start))
			in->strays[out++] = in->strays[i];
	in->n_strays = out;
	return out > 0;
}

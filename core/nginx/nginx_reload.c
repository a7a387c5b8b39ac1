/* nginx_reload.c: signal a running nginx to reload, and see that it did */
#include "core/nginx/nginx_int.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/lib/strbuf.h"

#define RELOAD_TIMEOUT_MS 5000
#define POLL_MS 20
/* How nginx titles its master process. */
#define MASTER_TITLE "nginx: master process"

/* The pid of (4) ppid of /proc/pid/stat, or -1. */
static pid_t
parent_of(const char *pid)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = xasprintf("/proc/%s/stat", pid), *s;
	pid_t ppid = -1;

	if (strbuf_read_file(&sb, path, 4096) == 0 &&
	    (s = strrchr(sb.buf, ')')) != NULL)
		sscanf(s + 1, " %*c %d", &ppid);	/* (3) state, (4) */
	strbuf_release(&sb);
	free(path);
	return ppid;
}

/* The children of pid (its workers), as a NULL-terminated strv. */
static char **
children_of(pid_t pid)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	char **out = xcalloc(1, sizeof *out);

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (parent_of(de->d_name) == pid)
			out = strv_push(out, de->d_name);
	}
	if (d != NULL)
		closedir(d);
	return out;
}

/* Whether some pid in now is not in before. */
static bool
has_new(char **before, char **now)
{
	for (size_t i = 0; now[i] != NULL; i++) {
		size_t j = 0;

		while (before[j] != NULL && strcmp(before[j], now[i]) != 0)
			j++;
		if (before[j] == NULL)
			return true;
	}
	return false;
}

/* Read the pid in pid_file and check it is a running nginx master. */
static int
master_pid(const char *pid_file, pid_t *pid, struct derr *e)
{
	struct strbuf sb = STRBUF_INIT;
	char *path, *end;
	long n;
	int rc = -1;

	if (strbuf_read_file(&sb, pid_file, 64) < 0) {
		if (errno == ENOENT)
			return derr_set(e, "nginx is not running: no pid file "
					"'%s' (set nginx.pid_file or --pid)",
					pid_file);
		return derr_errno(e, "cannot read '%s'", pid_file);
	}
	n = strtol(sb.buf, &end, 10);
	if (end == sb.buf || (*end != '\0' && *end != '\n'))
		n = 0;
	strbuf_release(&sb);
	if (n <= 1 || n > INT_MAX)
		return derr_set(e, "nginx is not running: pid file '%s' "
				"holds no pid", pid_file);
	*pid = (pid_t)n;
	if (kill(*pid, 0) < 0 && errno == ESRCH)
		return derr_set(e, "nginx is not running: pid %ld from '%s' "
				"is gone", n, pid_file);
	path = xasprintf("/proc/%ld/cmdline", n);
	if (strbuf_read_file(&sb, path, 65536) < 0)
		derr_errno(e, "cannot read '%s'", path);
	else if (strncmp(sb.buf, MASTER_TITLE, strlen(MASTER_TITLE)) != 0)
		derr_set(e, "pid %ld from '%s' is not an nginx master "
			 "process", n, pid_file);
	else
		rc = 0;
	strbuf_release(&sb);
	free(path);
	return rc;
}

/* Sleep for ms milliseconds. */
static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* SIGHUP the master in pid_file; wait until it starts new workers. */
int
nginx_signal_reload(const char *pid_file, int timeout_ms, pid_t *pid,
		    struct derr *e)
{
	char **before, **now;
	bool fresh = false;

	*pid = 0;
	if (timeout_ms <= 0)
		timeout_ms = RELOAD_TIMEOUT_MS;
	if (master_pid(pid_file, pid, e) < 0)
		return -1;
	before = children_of(*pid);
	if (kill(*pid, SIGHUP) < 0) {
		strv_free(before);
		return derr_errno(e, "cannot signal nginx (pid %d)",
				  (int)*pid);
	}
	for (int waited = 0; !fresh && waited <= timeout_ms;
	     waited += POLL_MS) {
		now = children_of(*pid);
		fresh = has_new(before, now);
		strv_free(now);
		if (!fresh)
			sleep_ms(POLL_MS);
	}
	strv_free(before);
	if (!fresh)
		return derr_set(e, "nginx (pid %d) did not take the new "
				"config within %d ms (no new worker); its "
				"error log says why", (int)*pid, timeout_ms);
	return 0;
}

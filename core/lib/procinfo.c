/* procinfo.c: one process's state, parent, group and start time */
#include "core/lib/procinfo.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Read (3) state, (4) ppid, (5) pgrp and (22) starttime of pid from
   /proc/PID/stat; 0, or -1 when it is gone. */
static int
proc_stat_read(pid_t pid, char *state, pid_t *ppid, pid_t *pgrp,
	       unsigned long long *start)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd, pp, pg;
	char *p;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 1, " %c %d %d", state, &pp, &pg) != 3)
		return -1;
	*ppid = pp;
	*pgrp = pg;
	/* fields 6 to 21, then (22) */
	for (int field = 3; p != NULL && field <= 22; field++)
		p = strchr(p + 1, ' ');
	*start = p != NULL ? strtoull(p + 1, NULL, 10) : 0;
	return 0;
}

/* The start time of pid in clock ticks after boot; 0 when gone. */
unsigned long long
proc_start_time(pid_t pid)
{
	unsigned long long start;
	pid_t ppid, pgrp;
	char state;

	return proc_stat_read(pid, &state, &ppid, &pgrp, &start) < 0 ? 0 :
		start;
}

/* True when pid is still the process that started at start, and not a
   zombie. */
bool
proc_is_alive(pid_t pid, unsigned long long start)
{
	unsigned long long now;
	pid_t ppid, pgrp;
	char state;

	return proc_stat_read(pid, &state, &ppid, &pgrp, &now) == 0 &&
		now == start && state != 'Z' && state != 'X';
}

/* The parent of pid; 0 when gone. */
pid_t
proc_parent(pid_t pid)
{
	unsigned long long start;
	pid_t ppid, pgrp;
	char state;

	return proc_stat_read(pid, &state, &ppid, &pgrp, &start) < 0 ? 0 :
		ppid;
}

/* True while a process of group pgid is alive and not a zombie. An
   adopted group's exited members are not ours to reap: under an init
   that does not reap either, they stay zombies, which kill(-pgid, 0)
   still finds. */
bool
proc_group_live(pid_t pgid)
{
	DIR *dir = opendir("/proc");
	struct dirent *de;
	bool live = false;

	while (dir != NULL && !live && (de = readdir(dir)) != NULL) {
		unsigned long long start;
		pid_t ppid, pgrp;
		char state;

		if (de->d_name[0] >= '1' && de->d_name[0] <= '9' &&
		    proc_stat_read(atoi(de->d_name), &state, &ppid, &pgrp,
				   &start) == 0)
			live = pgrp == pgid && state != 'Z' && state != 'X';
	}
	if (dir != NULL)
		closedir(dir);
	return live;
}

/* A pidfd for pid. */
int
proc_pidfd(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* procinfo.h: one process's state, parent, group and start time */
#ifndef DEPLOY_PROCINFO_H
#define DEPLOY_PROCINFO_H

#include <stdbool.h>
#include <sys/types.h>

/* The start time of pid (/proc/PID/stat (22), clock ticks after boot),
   which tells a process from a later one with the same pid; 0 when pid
   is gone. */
unsigned long long proc_start_time(pid_t pid);
/* True when pid is still the process that started at start, and not a
   zombie. */
bool proc_is_alive(pid_t pid, unsigned long long start);
/* The parent of pid; 0 when gone. */
pid_t proc_parent(pid_t pid);
/*
 * True while a process of group pgid is alive and not a zombie (a scan
 * of /proc): unlike kill(-pgid, 0), zombies that nobody reaps (members
 * of an adopted group under an init that does not reap) do not count.
 */
bool proc_group_live(pid_t pgid);
/* A pidfd of pid (pidfd_open(2)): readable once pid exits, by a parent
   or not; -1 with errno set. */
int proc_pidfd(pid_t pid);

#endif

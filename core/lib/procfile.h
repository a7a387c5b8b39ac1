/* procfile.h: read a process's small /proc files, through kept fds */
#ifndef DEPLOY_PROCFILE_H
#define DEPLOY_PROCFILE_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * How many fds the reads keep open, and the most they may. A kept fd
 * of /proc/PID/stat reads that very process again (pread at 0 makes
 * the kernel write the file anew), without the path lookup, open and
 * close that cost as much as the read; once the process has gone it
 * reads nothing, even if its pid is reused.
 */
struct procfile_fds {
	int kept;
	int max;
};

/* A budget of a quarter of the soft fd limit, at most 1024 fds. */
void procfile_fds_init(struct procfile_fds *k);

/*
 * Read "<pid>/<file>" under dirfd into buf (at most size - 1 bytes,
 * NUL-terminated): through *fd when it is open and its process lives,
 * else by opening the file, keeping the new fd in *fd when keep is set
 * and the budget allows. Returns the length, or -1 when no process has
 * that pid (*fd is then closed, set to -1).
 */
ssize_t procfile_read(struct procfile_fds *k, int dirfd, pid_t pid,
		      const char *file, int *fd, bool keep, char *buf,
		      size_t size);

/* Close *fd (when open) and give its place back to the budget. */
void procfile_close(struct procfile_fds *k, int *fd);

#endif

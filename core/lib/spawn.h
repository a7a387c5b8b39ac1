/* spawn.h: start one worker process in its own session */
#ifndef DEPLOY_SPAWN_H
#define DEPLOY_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "core/lib/util.h"

struct spawn_req {
	/* argv[0] is the program; searched on the PATH of envp (not the
	 * daemon's) when it has no '/'. NULL-terminated. */
	const char *const *argv;
	/* The full environment, NULL-terminated. Any LISTEN_PID,
	 * LISTEN_FDS, LISTEN_FDNAMES and NOTIFY_SOCKET in it are dropped:
	 * this module sets them from the fields below. */
	const char *const *envp;
	const char *cwd;		/* NULL: the daemon's own */
	/* -1, or a socket the child gets as fd 3 with LISTEN_FDS=1,
	 * LISTEN_PID=<child pid> and LISTEN_FDNAMES=listen_name. The open
	 * file description is shared with the daemon and every worker. */
	int listen_fd;
	const char *listen_name;	/* NULL: "listen" */
	const char *notify_socket;	/* NULL, or the NOTIFY_SOCKET value */
	/* 0 (none), or one end of a socketpair the child gets as the next
	 * fd after fd 3 (or as fd 3 without listen_fd), named by
	 * NODE_CHANNEL_FD with NODE_CHANNEL_SERIALIZATION_MODE=json: Node's
	 * IPC channel, so process.send() works in a Node worker. */
	int ipc_fd;
};

struct spawn_result {
	pid_t pid;		/* also the child's session and group id */
	int out_fd;		/* its stdout's read end: O_NONBLOCK, CLOEXEC */
	int err_fd;		/* read end of its stderr: the same */
	/* On failure: the machine was short of something (fds, processes,
	 * memory) that may be there in a moment, so trying again makes
	 * sense; false when the program itself cannot run. */
	bool transient;
};

/*
 * Start req->argv as a new process: empty signal mask and default
 * signal dispositions, own session (pgid == pid), stdin from /dev/null,
 * stdout and stderr to pipes, cwd, fd 3 as described, every other fd
 * closed. Returns 0 once the program has been exec'd, and the caller
 * owns out->pid (reap it) and the two fds (close them). Returns -1 with
 * e filled ("cannot exec 'x': No such file or directory", "cannot
 * chdir to '/x': ...") when any step fails; the child is then already
 * reaped and nothing is left open.
 *
 * The parent waits only for the child's exec (a CLOEXEC pipe reports
 * failures), never for the program itself.
 */
int spawn_worker(const struct spawn_req *req, struct spawn_result *out,
		 struct derr *e);

/*
 * Send sig to every process in group pgid (kill(-pgid, sig)). A group
 * that no longer exists counts as success. Returns 0, or -1 with errno
 * set (EINVAL for pgid <= 1, which would name the caller's own group or
 * every process).
 */
int spawn_signal_group(pid_t pgid, int sig);

/*
 * True while any process of group pgid exists, zombies included (so
 * reap the leader first). EPERM counts as alive.
 */
bool spawn_group_alive(pid_t pgid);

#endif

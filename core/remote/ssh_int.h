/* ssh_int.h: what the core/ssh*.c files share; not for other modules */
#ifndef DEPLOY_SSH_INT_H
#define DEPLOY_SSH_INT_H

#include "core/remote/ssh.h"
#include "core/lib/loop.h"
#include "core/lib/ssh_dl.h"
#include "core/lib/strbuf.h"

#include <sys/types.h>

/* The defaults of struct ssh_opts. */
#define SSH_CONNECT_TIMEOUT_MS 10000
#define SSH_IO_TIMEOUT_MS 30000
#define SSH_ALIVE_INTERVAL_S 15
#define SSH_ALIVE_COUNT 3
/* How often a wait looks at the cancel callback. */
#define SSH_CANCEL_POLL_MS 100
/* The most of a command's stderr kept for an error message. */
#define SSH_ERR_MAX 4096

struct ssh {
	const struct ssh_fns *f;
	LIBSSH2_SESSION *sess;
	int fd;
	long io_timeout_ms;
	char *where;		/* "user@host:port", for messages */
	bool up;		/* authenticated: keepalives may go */
	ssh_log_fn *log;
	void *log_arg;
	bool (*cancel)(void *arg);
	void *cancel_arg;
	/* Set when OpenSSH's client carries the session (sess unused). */
	struct ssh_openssh *cli;
};

/* The user's name (dir false) or home directory (dir true) from the
 * password file, or NULL; thread-safe. Caller frees. */
char *ssh_passwd_field(bool dir);

/* The absolute deadline io_timeout_ms from now. */
long long ssh_io_deadline(const struct ssh *s);

/*
 * Wait until the socket is ready the way libssh2 last wanted, sending
 * keepalives meanwhile. deadline: now_ms() value, or -1 for none.
 * -1 with e filled when it passes or the socket fails.
 */
int ssh_wait(struct ssh *s, long long deadline, struct derr *e);

/* True when libssh2's last call would have blocked (EAGAIN). */
bool ssh_again(struct ssh *s);

/* Fill e with "what: <libssh2's last error>"; returns -1. */
int ssh_fail(struct ssh *s, struct derr *e, const char *what);

/* Pass a formatted note to the session's log callback. */
void ssh_note(struct ssh *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Check the session's host key against known_hosts (see ssh.h). */
int ssh_check_host_key(struct ssh *s, const struct ssh_opts *o,
		       const char *file, struct derr *e);

/* Authenticate as user: agent, then key files. */
int ssh_authenticate(struct ssh *s, const struct ssh_opts *o,
		     const char *user, struct derr *e);

/* OpenSSH's client (ssh) as the transport (ssh_openssh*.c) ---------- */

/*
 * One connection: a master ssh (ControlMaster) that holds it, and one
 * short-lived ssh per command that runs over it (ControlPath). The
 * master's own session is "cat >/dev/null" on the host, reading a pipe
 * only this process writes to: when it ends, even by SIGKILL, the
 * master sees EOF and exits, so no ssh outlives the run.
 */
struct ssh_openssh {
	char *dir;		/* 0700, for the control socket */
	char *ctl;
	char **args;		/* "ssh" and the options every call passes */
	char *host;
	char *known_name;	/* quoted, as ssh-keygen -R takes it */
	pid_t master;
	int master_fd;		/* its pidfd: readable once it has exited */
	int hold;		/* the write end of the master's stdin */
	int err;		/* the read end of its stderr (non-blocking) */
	struct strbuf said;	/* what it wrote there, not yet noted */
};

/* Start argv with fds as its 0, 1 and 2 (-1: /dev/null) in a process
 * group of its own; the pid, or -1 with e filled. */
pid_t ssh_child_start(char *const *argv, const int fds[3], struct derr *e);
/* True once pidfd's process has exited, waiting up to ms for it. */
bool ssh_child_exited(int pidfd, int ms);
/* End a child: SIGTERM, SIGKILL a second later, then reap it. */
void ssh_child_stop(pid_t pid, int pidfd);
/* True once the master has exited. */
bool ssh_openssh_gone(const struct ssh_openssh *c);
/* Close both ends of a pipe or socket pair; -1 ends are skipped. */
void ssh_close_pair(int p[2]);
/* The last non-empty line of text, or "" (points into text). */
char *ssh_last_line(char *text);

/*
 * Connect s through a master ssh (ControlMaster) run with o's settings,
 * for a host libssh2 cannot check; every later exec and upload goes
 * over it. -1 with e filled (OpenSSH's reason) when it cannot.
 */
int ssh_openssh_connect(struct ssh *s, const struct ssh_opts *o,
			const char *user, const char *kh, struct derr *e);
/* ssh_exec and ssh_upload over the master. */
int ssh_openssh_exec(struct ssh *s, const char *command, const char *input,
		     ssh_out_fn *out, void *arg, struct ssh_exit *x,
		     struct derr *e);
int ssh_openssh_upload(struct ssh *s, const char *local,
		       const char *remote_path, long mode, struct derr *e);
/* Stop the master and free; NULL is a no-op. */
void ssh_openssh_free(struct ssh_openssh *c);

#endif

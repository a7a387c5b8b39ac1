/* ssh_int.h: what the core/ssh*.c files share; not for other modules */
#ifndef DEPLOY_SSH_INT_H
#define DEPLOY_SSH_INT_H

#include "core/remote/ssh.h"
#include "core/lib/loop.h"
#include "core/lib/ssh_dl.h"

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

/* OpenSSH's client (ssh) as the transport (ssh_openssh.c) ----------- */

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
/* True when OpenSSH's client (ssh) is on PATH. */
bool ssh_openssh_installed(void);
/* Stop the master and free; NULL is a no-op. */
void ssh_openssh_free(struct ssh_openssh *c);

#endif

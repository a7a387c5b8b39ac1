/* ssh_openssh.c: OpenSSH's own client as a session's transport, for a
 * host libssh2 cannot check (an RSA host key before libssh2 1.11) */
#include "core/remote/ssh_int.h"
#include "core/remote/remote.h"
#include "core/lib/procinfo.h"
#include "core/lib/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define POLL_MS 100
#define STOP_MS 1000
#define ERR_MAX 4096

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

/* Where one command's output goes, and its stderr kept for errors. */
struct run {
	ssh_out_fn *out;
	void *arg;
	struct strbuf err;
};

/* The directory for the control socket: short, as sun_path is. */
static char *
make_dir(struct derr *e)
{
	const char *tmp = getenv("TMPDIR");
	char *dir;

	if (tmp == NULL || *tmp == '\0' || strlen(tmp) > 60)
		tmp = "/tmp";
	dir = xasprintf("%s/deploy-ssh-XXXXXX", tmp);
	if (mkdtemp(dir) != NULL)
		return dir;
	derr_errno(e, "cannot make a directory in %s", tmp);
	free(dir);
	return NULL;
}

/* The options of every call: the target's settings, no config file (as
 * the libssh2 path reads none), no prompt, the master's socket. */
static char **
common_args(const struct ssh_opts *o, const char *user, const char *kh,
	    const char *ctl)
{
	long timeout_s = ((o->connect_timeout_ms > 0 ?
			   o->connect_timeout_ms : 10000) + 999) / 1000;
	char **v = strv_push(NULL, "ssh");
	char *opt[] = {
		xasprintf("StrictHostKeyChecking=%s",
			  o->new_host == SSH_NEW_ACCEPT ? "accept-new" : "yes"),
		xasprintf("UserKnownHostsFile=%s", kh),
		xasprintf("ConnectTimeout=%ld", timeout_s),
		xasprintf("ServerAliveInterval=%d", o->alive_interval > 0 ?
			  o->alive_interval : 15),
		xasprintf("ServerAliveCountMax=%d", o->alive_count > 0 ?
			  o->alive_count : 3),
		xasprintf("ControlPath=%s", ctl),
		xasprintf("Port=%d", o->port),
		xasprintf("User=%s", user),
		xstrdup("GlobalKnownHostsFile=/dev/null"),
		xstrdup("BatchMode=yes"),
	};

	v = strv_push(strv_push(strv_push(v, "-F"), "/dev/null"), "-T");
	for (size_t i = 0; i < ARRAY_SIZE(opt); i++) {
		v = strv_push(strv_push(v, "-o"), opt[i]);
		free(opt[i]);
	}
	if (o->identity != NULL)
		v = strv_push(strv_push(v, "-i"), o->identity);
	return v;
}

/*
 * Start argv with fds as its 0, 1 and 2 (-1: /dev/null), in a process
 * group of its own: a Ctrl-C meant for the CLI must not cut the
 * connection that its clean-up (stopping a remote hook) still needs.
 */
static pid_t
start(char *const *argv, const int fds[3], struct derr *e)
{
	static const int reset[] = { SIGINT, SIGTERM, SIGPIPE, SIGHUP,
				     SIGQUIT, SIGCHLD };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	pid_t pid = -1;
	int rc;

	posix_spawn_file_actions_init(&fa);
	for (int i = 0; i < 3; i++) {
		if (fds[i] >= 0)
			posix_spawn_file_actions_adddup2(&fa, fds[i], i);
		else
			posix_spawn_file_actions_addopen(&fa, i, "/dev/null",
							 i ? O_WRONLY : O_RDONLY,
							 0);
	}
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&def);
	for (size_t i = 0; i < ARRAY_SIZE(reset); i++)
		sigaddset(&def, reset[i]);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
				 POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawnp(&pid, argv[0], &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (rc == 0)
		return pid;
	errno = rc;
	derr_errno(e, "cannot run OpenSSH's client '%s'", argv[0]);
	return -1;
}

/* True once pidfd's process has exited, waiting up to ms for it. */
static bool
exited(int pidfd, int ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return pidfd >= 0 && poll(&p, 1, ms) > 0;
}

/* End a child of ours: SIGTERM, SIGKILL after STOP_MS, then reap it. */
static void
stop_child(pid_t pid, int pidfd)
{
	kill(pid, SIGTERM);
	if (!exited(pidfd, STOP_MS))
		kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* True once the master has exited. */
static bool
master_gone(const struct ssh_openssh *c)
{
	return exited(c->master_fd, 0);
}

/* Add what the master has written to its stderr to c->said. */
static void
read_master(struct ssh_openssh *c)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(c->err, buf, sizeof buf)) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0)
			strbuf_add(&c->said, buf, (size_t)n);
}

/* The last non-empty line of text, or "" (points into text). */
static char *
last_line(char *text)
{
	char *end = text + strlen(text), *p;

	while (end > text && (end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	p = strrchr(text, '\n');
	return p != NULL ? p + 1 : text;
}

/* What to do about a refused host key, after OpenSSH's reason. */
static const char *
key_hint(const char *reason)
{
	if (strncmp(reason, "No ", 3) == 0 &&
	    strstr(reason, "host key is known") != NULL)
		return "; check it, then rerun with --accept-new";
	if (strstr(reason, "has changed") != NULL)
		return "; if expected: ssh-keygen -R ";
	return "";
}

/*
 * Why the master failed, from what it wrote: OpenSSH's reason line
 * ("No RSA host key is known for ...") before its verdict ("Host key
 * verification failed."), and what to do about a host key.
 */
static int
master_failed(struct ssh *s, struct ssh_openssh *c, struct derr *e)
{
	char *verdict, *reason = "", *cut;
	const char *hint;

	read_master(c);
	verdict = last_line(c->said.buf);
	if (verdict > c->said.buf) {
		verdict[-1] = '\0';
		reason = last_line(c->said.buf);
		if (*reason == '@' || strncmp(reason, "Warning", 7) == 0 ||
		    strstr(reason, "fingerprint") != NULL)
			reason = "";
		cut = strstr(reason, " and you have requested strict");
		if (cut != NULL)
			strcpy(cut, ".");
	}
	hint = key_hint(reason);
	derr_set(e, "%s: %s%s%s%s%s", s->where, reason, *reason ? " " : "",
		 *verdict ? verdict : "ssh exited", hint,
		 strstr(hint, " -R ") != NULL ? c->known_name : "");
	return -1;
}

/* Pass the master's new lines ("Warning: Permanently added ...") to the
 * session's log. */
static void
note_master(struct ssh *s, struct ssh_openssh *c)
{
	char *p, *nl;

	read_master(c);
	for (p = c->said.buf; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		if (*p != '\0')
			ssh_note(s, "ssh: %s", p);
	}
	strbuf_consume(&c->said, (size_t)(p - c->said.buf));
}

/* True once the control socket is there: the master is authenticated. */
static bool
ctl_ready(const struct ssh_openssh *c)
{
	struct stat st;

	return stat(c->ctl, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* Wait for the master's socket (inotify on its directory), its exit, a
 * cancel or the deadline. */
static int
wait_master(struct ssh *s, struct ssh_openssh *c, long long deadline,
	    struct derr *e)
{
	int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK), rc = -1;
	char buf[4096];

	if (in < 0 || inotify_add_watch(in, c->dir, IN_CREATE |
					IN_MOVED_TO) < 0) {
		rc = derr_errno(e, "inotify");
		goto out;
	}
	for (;;) {
		struct pollfd p[2] = { { .fd = c->master_fd, .events = POLLIN },
				       { .fd = in, .events = POLLIN } };
		long long left = deadline - now_ms();

		if (ctl_ready(c)) {
			rc = 0;
			break;
		}
		if (master_gone(c)) {
			rc = master_failed(s, c, e);
			break;
		}
		if (s->cancel != NULL && s->cancel(s->cancel_arg)) {
			rc = derr_set(e, "cancelled");
			break;
		}
		if (left <= 0) {
			rc = derr_set(e, "%s: timed out", s->where);
			break;
		}
		if (poll(p, 2, (int)(left < POLL_MS ? left : POLL_MS)) > 0 &&
		    (p[1].revents & POLLIN))
			while (read(in, buf, sizeof buf) > 0)
				;
	}
out:
	if (in >= 0)
		close(in);
	return rc;
}

/* Start the master and wait until it is connected and authenticated. */
static int
start_master(struct ssh *s, struct ssh_openssh *c, long long deadline,
	     struct derr *e)
{
	int in[2], err[2];
	char **argv;

	if (pipe2(in, O_CLOEXEC) < 0)
		return derr_errno(e, "pipe");
	if (pipe2(err, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return derr_errno(e, "pipe");
	}
	c->hold = in[1];
	c->err = err[0];
	fcntl(c->err, F_SETFL, O_NONBLOCK);
	argv = strv_push(strv_dup(c->args), "-M");
	argv = strv_push(strv_push(argv, "-o"), "ControlPersist=no");
	argv = strv_push(strv_push(argv, "--"), c->host);
	argv = strv_push(argv, "cat >/dev/null");
	c->master = start(argv, (int[3]){ in[0], -1, err[1] }, e);
	close(in[0]);
	close(err[1]);
	strv_free(argv);
	if (c->master < 0)
		return -1;
	c->master_fd = proc_pidfd(c->master);
	if (c->master_fd < 0)
		return derr_errno(e, "pidfd_open");
	if (wait_master(s, c, deadline, e) < 0)
		return -1;
	note_master(s, c);
	return 0;
}

/* Connect through OpenSSH's client. */
int
ssh_openssh_connect(struct ssh *s, const struct ssh_opts *o,
		    const char *user, const char *kh, struct derr *e)
{
	struct ssh_openssh *c = xcalloc(1, sizeof *c);
	char *name;
	long long deadline = now_ms() + (o->connect_timeout_ms > 0 ?
		o->connect_timeout_ms : 10000) + s->io_timeout_ms;

	c->master = -1;
	c->master_fd = -1;
	c->hold = -1;
	c->err = -1;
	strbuf_init(&c->said, ERR_MAX);
	s->cli = c;
	c->dir = make_dir(e);
	if (c->dir == NULL)
		return -1;
	c->ctl = xasprintf("%s/ctl", c->dir);
	c->host = xstrdup(o->host);
	name = ssh_known_name(o->host, o->port);
	c->known_name = xasprintf("'%s'", name);
	free(name);
	c->args = common_args(o, user, kh, c->ctl);
	return start_master(s, c, deadline, e);
}

/* Stop the master, remove its directory, free. */
void
ssh_openssh_free(struct ssh_openssh *c)
{
	if (c == NULL)
		return;
	/* EOF ends the master's session, and so the master. */
	if (c->hold >= 0)
		close(c->hold);
	if (c->master > 0 && exited(c->master_fd, STOP_MS))
		while (waitpid(c->master, NULL, 0) < 0 && errno == EINTR)
			;
	else if (c->master > 0)
		stop_child(c->master, c->master_fd);
	if (c->master_fd >= 0)
		close(c->master_fd);
	if (c->err >= 0)
		close(c->err);
	strbuf_release(&c->said);
	if (c->dir != NULL) {
		unlink(c->ctl);
		rmdir(c->dir);
	}
	free(c->dir);
	free(c->ctl);
	free(c->host);
	free(c->known_name);
	strv_free(c->args);
	free(c);
}

/* Read what fd has into the run: stream 1 or 2. False at EOF. */
static bool
take(struct run *r, int fd, int stream)
{
	char buf[16384];
	ssize_t n = read(fd, buf, sizeof buf);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false;
	if (stream == 2)
		strbuf_add(&r->err, buf, (size_t)n);
	if (r->out != NULL)
		r->out(r->arg, stream, buf, (size_t)n);
	return true;
}

/* Send more of the input; closes the socket (EOF) when all is sent or
 * the command stopped reading. */
static void
give(int *fd, const char **input, size_t *left)
{
	ssize_t w = send(*fd, *input, *left, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (w > 0) {
		*input += w;
		*left -= (size_t)w;
	}
	if ((w < 0 && errno != EAGAIN && errno != EINTR) || *left == 0) {
		close(*fd);
		*fd = -1;
	}
}

/* Pump input in and output out until both outputs end; -1 on cancel. */
static int
pump(struct ssh *s, int in, const char *input, int out, int err,
     struct run *r, struct derr *e)
{
	size_t left = input != NULL ? strlen(input) : 0;

	if (in >= 0 && left == 0) {
		close(in);
		in = -1;
	}
	while (out >= 0 || err >= 0) {
		struct pollfd p[3] = { { .fd = out, .events = POLLIN },
				       { .fd = err, .events = POLLIN },
				       { .fd = in, .events = POLLOUT } };

		if (e != NULL && s->cancel != NULL &&
		    s->cancel(s->cancel_arg)) {
			if (in >= 0)
				close(in);
			return derr_set(e, "cancelled");
		}
		if (poll(p, 3, POLL_MS) <= 0)
			continue;
		if (p[0].revents && !take(r, out, 1))
			out = -1;
		if (p[1].revents && !take(r, err, 2))
			err = -1;
		if (in >= 0 && p[2].revents)
			give(&in, &input, &left);
	}
	if (in >= 0)
		close(in);
	return 0;
}

/* The exit of a command's ssh: 255 is ssh's own failure when the master
 * is gone (the connection is lost), else the command's status. */
static int
ended(struct ssh *s, int status, struct run *r, struct ssh_exit *x,
      struct derr *e)
{
	x->signal[0] = '\0';
	if (WIFSIGNALED(status))
		return derr_set(e, "%s: ssh killed by signal %d", s->where,
				WTERMSIG(status));
	x->status = WEXITSTATUS(status);
	if (x->status == 255 && master_gone(s->cli))
		return derr_set(e, "connection lost: %s",
				last_line(r->err.buf));
	return 0;
}

/*
 * Run command on the host over the master's connection, stdin from
 * in_fd (>= 0) or input, output to r. The socketpair for input needs no
 * SIGPIPE guard: send() with MSG_NOSIGNAL.
 */
static int
run_remote(struct ssh *s, const char *command, int in_fd,
	   const char *input, struct run *r, struct ssh_exit *x,
	   struct derr *e)
{
	struct ssh_openssh *c = s->cli;
	int in[2] = { -1, -1 }, out[2], err[2], status = 0, rc;
	char **argv;
	pid_t pid;

	if (in_fd < 0 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    in) < 0)
		return derr_errno(e, "socketpair");
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return derr_errno(e, "pipe");
	argv = strv_push(strv_dup(c->args), "-o");
	argv = strv_push(strv_push(argv, "ControlMaster=no"), "--");
	argv = strv_push(strv_push(argv, c->host), command);
	pid = start(argv, (int[3]){ in_fd >= 0 ? in_fd : in[1], out[1],
				    err[1] }, e);
	strv_free(argv);
	if (in[1] >= 0)
		close(in[1]);
	close(out[1]);
	close(err[1]);
	rc = pid < 0 ? -1 : pump(s, in[0], input, out[0], err[0], r, e);
	if (rc < 0 && pid > 0)
		stop_child(pid, -1);
	else if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	if (pid < 0 && in[0] >= 0)
		close(in[0]);
	close(out[0]);
	close(err[0]);
	return rc < 0 ? -1 : ended(s, status, r, x, e);
}

/* Run a command through the master. */
int
ssh_openssh_exec(struct ssh *s, const char *command, const char *input,
		 ssh_out_fn *out, void *arg, struct ssh_exit *x,
		 struct derr *e)
{
	struct run r = { .out = out, .arg = arg };
	int rc;

	strbuf_init(&r.err, ERR_MAX);
	rc = run_remote(s, command, -1, input, &r, x, e);
	strbuf_release(&r.err);
	return rc;
}

/* Upload a file: cat on the host, the file as its stdin, created with
 * mode (as SFTP's open would). */
int
ssh_openssh_upload(struct ssh *s, const char *local,
		   const char *remote_path, long mode, struct derr *e)
{
	struct run r = { 0 };
	struct strbuf cmd = STRBUF_INIT;
	struct ssh_exit x = { 0 };
	int fd = open(local, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return derr_errno(e, "cannot read '%s'", local);
	strbuf_init(&r.err, ERR_MAX);
	strbuf_addf(&cmd, "umask %03lo && cat > ", 0777 & ~mode);
	remote_quote_path(&cmd, remote_path);
	rc = run_remote(s, cmd.buf, fd, NULL, &r, &x, e);
	if (rc == 0 && x.status != 0)
		rc = derr_set(e, "cannot create '%s': %s", remote_path,
			      *r.err.buf ? last_line(r.err.buf) :
			      "upload failed");
	close(fd);
	strbuf_release(&cmd);
	strbuf_release(&r.err);
	return rc;
}

/* True when OpenSSH's client (ssh) is on PATH. */
bool
ssh_openssh_installed(void)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	bool found = false;

	copy = xstrdup(path != NULL ? path : "/usr/bin:/bin");
	for (dir = strtok_r(copy, ":", &save); dir != NULL && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char *f = xasprintf("%s/ssh", *dir ? dir : ".");

		found = access(f, X_OK) == 0;
		free(f);
	}
	free(copy);
	return found;
}

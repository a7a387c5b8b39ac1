/* ssh_openssh.c: OpenSSH's own client as a session's transport, for a
 * host libssh2 cannot check: the master connection and its processes */
#include "core/remote/ssh_int.h"
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define STOP_MS 1000

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

/* Close both ends of a pipe or socket pair; -1 ends are skipped. */
void
ssh_close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
}

/* "Name=value" for a path: quoted (it may hold spaces), with '%' doubled
 * (ssh expands %-tokens in these options). Caller frees. */
static char *
path_option(const char *name, const char *path)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s=\"", name);
	for (const char *p = path; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_addch(&sb, '\\');
		strbuf_addstr(&sb, *p == '%' ? "%%" : (char[2]){ *p, 0 });
	}
	strbuf_addch(&sb, '"');
	return strbuf_detach(&sb);
}

/* The options of every call: the target's settings, no config file (as
 * the libssh2 path reads none), no prompt, the master's socket. */
static char **
common_args(const struct ssh_opts *o, const char *user, const char *kh,
	    const char *ctl)
{
	long timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms :
		SSH_CONNECT_TIMEOUT_MS;
	char **v = strv_push(NULL, "ssh");
	char *opt[] = {
		xasprintf("StrictHostKeyChecking=%s",
			  o->new_host == SSH_NEW_ACCEPT ? "accept-new" : "yes"),
		path_option("UserKnownHostsFile", kh),
		xasprintf("ConnectTimeout=%ld", (timeout_ms + 999) / 1000),
		xasprintf("ServerAliveInterval=%d", o->alive_interval > 0 ?
			  o->alive_interval : SSH_ALIVE_INTERVAL_S),
		xasprintf("ServerAliveCountMax=%d", o->alive_count > 0 ?
			  o->alive_count : SSH_ALIVE_COUNT),
		path_option("ControlPath", ctl),
		xasprintf("Port=%d", o->port),
		xasprintf("User=%s", user),
		o->identity ? path_option("IdentityFile", o->identity) : NULL,
		xstrdup("GlobalKnownHostsFile=/dev/null"),
		xstrdup("BatchMode=yes"),
	};

	v = strv_push(strv_push(strv_push(v, "-F"), "/dev/null"), "-T");
	for (size_t i = 0; i < ARRAY_SIZE(opt); i++) {
		if (opt[i] != NULL)
			v = strv_push(strv_push(v, "-o"), opt[i]);
		free(opt[i]);
	}
	return v;
}

/*
 * Start argv with fds as its 0, 1 and 2 (-1: /dev/null), in a process
 * group of its own: a Ctrl-C meant for the CLI must not cut the
 * connection that its clean-up (stopping a remote hook) still needs.
 */
pid_t
ssh_child_start(char *const *argv, const int fds[3], struct derr *e)
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
bool
ssh_child_exited(int pidfd, int ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	return pidfd >= 0 && poll(&p, 1, ms) > 0;
}

/* End a child of ours: SIGTERM, SIGKILL after STOP_MS, then reap it. */
void
ssh_child_stop(pid_t pid, int pidfd)
{
	kill(pid, SIGTERM);
	if (!ssh_child_exited(pidfd, STOP_MS))
		kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* True once the master has exited. */
bool
ssh_openssh_gone(const struct ssh_openssh *c)
{
	return ssh_child_exited(c->master_fd, 0);
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
char *
ssh_last_line(char *text)
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
	verdict = ssh_last_line(c->said.buf);
	if (verdict > c->said.buf) {
		verdict[-1] = '\0';
		reason = ssh_last_line(c->said.buf);
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
		if (ssh_openssh_gone(c)) {
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
		if (left > SSH_CANCEL_POLL_MS)
			left = SSH_CANCEL_POLL_MS;
		if (poll(p, 2, (int)left) > 0 &&
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
	int in[2] = { -1, -1 }, err[2] = { -1, -1 };
	char **argv;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		int saved = errno;

		ssh_close_pair(in);
		ssh_close_pair(err);
		errno = saved;
		return derr_errno(e, "cannot make the pipes of ssh");
	}
	c->hold = in[1];
	c->err = err[0];
	fcntl(c->err, F_SETFL, O_NONBLOCK);
	argv = strv_push(strv_dup(c->args), "-M");
	argv = strv_push(strv_push(argv, "-o"), "ControlPersist=no");
	argv = strv_push(strv_push(argv, "--"), c->host);
	argv = strv_push(argv, "cat >/dev/null");
	c->master = ssh_child_start(argv, (int[3]){ in[0], -1, err[1] }, e);
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
		o->connect_timeout_ms : SSH_CONNECT_TIMEOUT_MS) +
		s->io_timeout_ms;

	c->master = -1;
	c->master_fd = -1;
	c->hold = -1;
	c->err = -1;
	strbuf_init(&c->said, SSH_ERR_MAX);
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
	bool up;

	if (c == NULL)
		return;
	/* Once up, EOF ends the master's session, and so the master;
	 * before (a failed or cancelled connect) nothing would read it. */
	up = c->master > 0 && ctl_ready(c);
	if (c->hold >= 0)
		close(c->hold);
	if (up && ssh_child_exited(c->master_fd, STOP_MS))
		while (waitpid(c->master, NULL, 0) < 0 && errno == EINTR)
			;
	else if (c->master > 0)
		ssh_child_stop(c->master, c->master_fd);
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

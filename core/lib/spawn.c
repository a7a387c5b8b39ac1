/* spawn.c: start one worker process in its own session */
#include "core/lib/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_PATH	"/bin:/usr/bin"	/* glibc's execvp default */
#define LISTEN_FD	3
#define FIRST_SPARE_FD	5	/* the child parks its fds at or above */

/* The step of the child's set-up that failed, as sent up the pipe. */
enum spawn_step {
	STEP_DEVNULL,
	STEP_FDS,
	STEP_SETSID,
	STEP_CHDIR,
	STEP_EXEC,
};

/* What a failing child writes to the status pipe before _exit(127). */
struct child_status {
	int step;
	int err;
};

/*
 * Everything the child needs, built before fork so that the child only
 * makes system calls and never allocates.
 */
struct child_plan {
	const char *const *argv;
	const char **envp;		/* may point at listen_pid */
	char listen_pid[32];		/* "LISTEN_PID=", digits in child */
	char *fdnames_var;		/* "LISTEN_FDNAMES=..." or NULL */
	char *notify_var;		/* "NOTIFY_SOCKET=..." or NULL */
	const char *path;		/* PATH of the child's env */
	char *pathbuf;			/* room for any dir/argv[0] */
	const char **sh_argv;		/* /bin/sh FILE ARGS for ENOEXEC */
	const char *cwd;		/* NULL: stay */
	int fds[5];			/* become 0..4; -1: /dev/null or none */
	char *ipc_var;			/* "NODE_CHANNEL_FD=N" or NULL */
	int status_fd;			/* write end of the status pipe */
	int first_closed;		/* lowest fd the child closes */
	long open_max;			/* bound for the fallback close loop */
};

/* The variables this module owns; dropped from the caller's env. */
static const char *const owned_vars[] = {
	"LISTEN_PID=", "LISTEN_FDS=", "LISTEN_FDNAMES=", "NOTIFY_SOCKET=",
	"NODE_CHANNEL_FD=", "NODE_CHANNEL_SERIALIZATION_MODE=",
};

/* True when the env entry kv sets one of owned_vars. */
static bool
is_owned_var(const char *kv)
{
	for (size_t i = 0; i < ARRAY_SIZE(owned_vars); i++)
		if (strncmp(kv, owned_vars[i], strlen(owned_vars[i])) == 0)
			return true;
	return false;
}

/* Fill the child's environment and find its PATH. */
static void
plan_env(struct child_plan *p, const struct spawn_req *req)
{
	size_t n = 0, k = 0;

	while (req->envp != NULL && req->envp[n] != NULL)
		n++;
	p->envp = xcalloc(n + ARRAY_SIZE(owned_vars) + 1, sizeof *p->envp);
	p->path = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *kv = req->envp[i];

		if (is_owned_var(kv))
			continue;
		if (p->path == NULL && strncmp(kv, "PATH=", 5) == 0)
			p->path = kv + 5;
		p->envp[k++] = kv;
	}
	if (p->path == NULL)
		p->path = DEFAULT_PATH;
	if (req->listen_fd >= 0) {
		p->fdnames_var = xasprintf("LISTEN_FDNAMES=%s",
			req->listen_name ? req->listen_name : "listen");
		strcpy(p->listen_pid, "LISTEN_PID=");
		p->envp[k++] = "LISTEN_FDS=1";
		p->envp[k++] = p->listen_pid;
		p->envp[k++] = p->fdnames_var;
	}
	if (req->notify_socket != NULL) {
		p->notify_var = xasprintf("NOTIFY_SOCKET=%s",
					  req->notify_socket);
		p->envp[k++] = p->notify_var;
	}
	if (req->ipc_fd > 0) {
		p->ipc_var = xasprintf("NODE_CHANNEL_FD=%d",
				       req->listen_fd >= 0 ? LISTEN_FD + 1 :
				       LISTEN_FD);
		p->envp[k++] = p->ipc_var;
		p->envp[k++] = "NODE_CHANNEL_SERIALIZATION_MODE=json";
	}
	p->envp[k] = NULL;
}

/* Prepare the child's plan; out_w, err_w and status_w are pipe ends. */
static void
plan_init(struct child_plan *p, const struct spawn_req *req, int out_w,
	  int err_w, int status_w)
{
	size_t argc = 0;

	memset(p, 0, sizeof *p);
	p->argv = req->argv;
	plan_env(p, req);
	p->pathbuf = xmalloc(strlen(p->path) + strlen(req->argv[0]) + 4);
	while (req->argv[argc] != NULL)
		argc++;
	p->sh_argv = xcalloc(argc + 2, sizeof *p->sh_argv);
	p->sh_argv[0] = "/bin/sh";
	for (size_t i = 1; i < argc; i++)
		p->sh_argv[i + 1] = req->argv[i];
	p->cwd = req->cwd != NULL && req->cwd[0] != '\0' ? req->cwd : NULL;
	p->fds[0] = -1;
	p->fds[1] = out_w;
	p->fds[2] = err_w;
	p->fds[3] = req->listen_fd;
	p->fds[4] = -1;
	p->first_closed = req->listen_fd >= 0 ? LISTEN_FD + 1 : LISTEN_FD;
	if (req->ipc_fd > 0)	/* Node's IPC channel: the next fd */
		p->fds[p->first_closed++] = req->ipc_fd;
	p->status_fd = status_w;
	p->open_max = sysconf(_SC_OPEN_MAX);
	if (p->open_max < 0)
		p->open_max = 65536;
}

/* Free what plan_init allocated. */
static void
plan_free(struct child_plan *p)
{
	free(p->envp);
	free(p->fdnames_var);
	free(p->notify_var);
	free(p->ipc_var);
	free(p->pathbuf);
	free(p->sh_argv);
}

/* In the child: report the failed step and errno, then exit 127. */
static void __attribute__((noreturn))
child_fail(const struct child_plan *p, int step)
{
	struct child_status st = { .step = step, .err = errno };
	ssize_t r;

	do
		r = write(p->status_fd, &st, sizeof st);
	while (r < 0 && errno == EINTR);
	_exit(127);
}

/*
 * In the child: set the disposition of every signal to handler. glibc
 * refuses to touch its internal signals (32, 33), which may have been
 * ignored by whoever started the daemon; the kernel takes an all-zero
 * sigaction (SIG_DFL, no flags, empty mask) in any layout.
 */
static void
child_set_handlers(void (*handler)(int))
{
	static const unsigned long kernel_dfl[8];
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, &sa, NULL) < 0 && handler == SIG_DFL)
			syscall(SYS_rt_sigaction, sig, kernel_dfl, NULL,
				(NSIG - 1) / 8);
	}
}

/* In the child: move *fd out of 0..3 so the dup2 calls cannot clash. */
static void
child_park_fd(const struct child_plan *p, int *fd)
{
	int moved;

	if (*fd < 0 || *fd >= FIRST_SPARE_FD)
		return;
	moved = fcntl(*fd, F_DUPFD_CLOEXEC, FIRST_SPARE_FD);
	if (moved < 0)
		child_fail(p, STEP_FDS);
	*fd = moved;
}

/* In the child: mark (or close) every fd from first_closed on. */
static void
child_close_rest(const struct child_plan *p)
{
	if (close_range((unsigned)p->first_closed, ~0U,
			CLOSE_RANGE_CLOEXEC) == 0)
		return;
	/* Kernels before 5.11: close by hand, keeping the status pipe. */
	for (int fd = p->first_closed; fd < p->open_max; fd++)
		if (fd != p->status_fd)
			close(fd);
}

/* In the child: wire /dev/null, the pipes and the listen socket. */
static void
child_setup_fds(struct child_plan *p)
{
	p->fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (p->fds[0] < 0)
		child_fail(p, STEP_DEVNULL);
	/* The status pipe first: child_fail may need it at any point. */
	child_park_fd(p, &p->status_fd);
	for (int i = 0; i < 5; i++)
		child_park_fd(p, &p->fds[i]);
	for (int i = 0; i < 5; i++)
		if (p->fds[i] >= 0 && dup2(p->fds[i], i) < 0)
			child_fail(p, STEP_FDS);
	child_close_rest(p);
}

/* In the child: write "LISTEN_PID=<pid>" without stdio or malloc. */
static void
child_set_listen_pid(struct child_plan *p)
{
	char digits[24];
	size_t n = 0, at = strlen("LISTEN_PID=");
	unsigned long v = (unsigned long)getpid();

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	while (n > 0)
		p->listen_pid[at++] = digits[--n];
	p->listen_pid[at] = '\0';
}

/* In the child: execve path, or run it with /bin/sh if not a binary. */
static void
child_try_exec(struct child_plan *p, const char *path)
{
	execve(path, (char *const *)p->argv, (char *const *)p->envp);
	if (errno != ENOEXEC)
		return;
	p->sh_argv[1] = path;
	execve(p->sh_argv[0], (char *const *)p->sh_argv,
	       (char *const *)p->envp);
	errno = ENOEXEC;
}

/* True when execvp would go on to the next PATH entry after err. */
static bool
exec_error_is_soft(int err)
{
	return err == ENOENT || err == ENOTDIR || err == EACCES ||
	       err == ESTALE || err == ENODEV || err == ETIMEDOUT;
}

/* In the child: exec argv[0], searching the child env's PATH. */
static void __attribute__((noreturn))
child_exec(struct child_plan *p)
{
	const char *file = p->argv[0], *dir = p->path;
	bool eacces = false;

	if (strchr(file, '/') != NULL) {
		child_try_exec(p, file);
		child_fail(p, STEP_EXEC);
	}
	if (file[0] == '\0') {
		errno = ENOENT;
		child_fail(p, STEP_EXEC);
	}
	for (;;) {
		const char *end = strchrnul(dir, ':');
		size_t n = (size_t)(end - dir);

		if (n == 0) {		/* an empty entry is the cwd */
			dir = ".";
			n = 1;
		}
		memcpy(p->pathbuf, dir, n);
		p->pathbuf[n] = '/';
		strcpy(p->pathbuf + n + 1, file);
		child_try_exec(p, p->pathbuf);
		if (!exec_error_is_soft(errno))
			break;
		eacces |= errno == EACCES;
		if (*end == '\0') {
			errno = eacces ? EACCES : ENOENT;
			break;
		}
		dir = end + 1;
	}
	child_fail(p, STEP_EXEC);
}

/* The child between fork and exec. */
static void __attribute__((noreturn))
child_run(struct child_plan *p)
{
	sigset_t none;

	/*
	 * Signals stay blocked (the parent blocked all around fork) until
	 * the child has left the daemon's process group; ignoring them all
	 * first discards any sent to that group meanwhile.
	 */
	child_set_handlers(SIG_IGN);
	if (setsid() < 0)
		child_fail(p, STEP_SETSID);
	child_set_handlers(SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	child_setup_fds(p);
	if (p->cwd != NULL && chdir(p->cwd) < 0)
		child_fail(p, STEP_CHDIR);
	if (p->listen_pid[0] != '\0')
		child_set_listen_pid(p);
	child_exec(p);
}

/* Close *fd if open and mark it closed. */
static void
close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* Turn a failing child's report into the caller's message. */
static int
child_error(struct derr *e, const struct spawn_req *req,
	    const struct child_status *st)
{
	const char *prog = req->argv[0];

	errno = st->err;
	switch (st->step) {
	case STEP_EXEC:
		return derr_errno(e, "cannot exec '%s'", prog);
	case STEP_CHDIR:
		return derr_errno(e, "cannot chdir to '%s'", req->cwd);
	case STEP_DEVNULL:
		return derr_errno(e, "cannot open '/dev/null' for '%s'", prog);
	case STEP_SETSID:
		return derr_errno(e, "cannot start a session for '%s'", prog);
	default:
		return derr_errno(e, "cannot set up the fds of '%s'", prog);
	}
}

/* Read the child's status pipe: true (and st filled) if it failed. */
static bool
child_failed(int fd, struct child_status *st)
{
	ssize_t n;

	do
		n = read(fd, st, sizeof *st);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof *st;
}

/* Wait for pid to exit and reap it. */
static void
reap(pid_t pid)
{
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Make a CLOEXEC pipe whose read end is nonblocking if asked. */
static int
make_pipe(int fds[2], bool nonblock_read)
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	if (nonblock_read && fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) {
		close_fd(&fds[0]);
		close_fd(&fds[1]);
		return -1;
	}
	return 0;
}

/* Start one worker. */
int
spawn_worker(const struct spawn_req *req, struct spawn_result *out,
	     struct derr *e)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int statp[2] = { -1, -1 };
	struct child_plan plan;
	struct child_status st;
	sigset_t all, old;
	pid_t pid;
	int saved;

	out->pid = -1;
	out->out_fd = out->err_fd = -1;
	out->transient = false;
	if (req->argv == NULL || req->argv[0] == NULL)
		return derr_set(e, "no program to run");
	if (make_pipe(outp, true) < 0 || make_pipe(errp, true) < 0 ||
	    make_pipe(statp, false) < 0) {
		out->transient = errno == EMFILE || errno == ENFILE;
		derr_errno(e, "cannot create pipes for '%s'", req->argv[0]);
		goto fail;
	}
	plan_init(&plan, req, outp[1], errp[1], statp[1]);
	/* No handler of ours may run in the child before it resets them. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		child_run(&plan);
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	plan_free(&plan);
	close_fd(&outp[1]);
	close_fd(&errp[1]);
	close_fd(&statp[1]);
	if (pid < 0) {
		errno = saved;
		out->transient = errno == EAGAIN || errno == ENOMEM;
		derr_errno(e, "cannot fork for '%s'", req->argv[0]);
		goto fail;
	}
	if (child_failed(statp[0], &st)) {
		reap(pid);
		child_error(e, req, &st);
		goto fail;
	}
	close_fd(&statp[0]);
	out->pid = pid;
	out->out_fd = outp[0];
	out->err_fd = errp[0];
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		close_fd(&outp[i]);
		close_fd(&errp[i]);
		close_fd(&statp[i]);
	}
	return -1;
}

/* Send sig to process group pgid; a vanished group is not an error. */
int
spawn_signal_group(pid_t pgid, int sig)
{
	if (pgid <= 1) {
		errno = EINVAL;
		return -1;
	}
	if (kill(-pgid, sig) < 0 && errno != ESRCH)
		return -1;
	return 0;
}

/* True while some process of group pgid exists. */
bool
spawn_group_alive(pid_t pgid)
{
	if (pgid <= 1)
		return false;
	return kill(-pgid, 0) == 0 || errno == EPERM;
}

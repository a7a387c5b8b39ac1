/* check_spawn.c: start real worker processes and look at them */
#include <check.h>
#include <sys/resource.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/testutil.h"
#include "core/lib/spawn.h"

#define SH	"/bin/sh"
#define SLEEP	"/bin/sleep"
#define STD_PATH "PATH=/usr/bin:/bin"

/*
 * Cleanup. A passing test's teardown kills and reaps what it started
 * and removes its temporary directory; a failing assertion _exit()s
 * the test process at once, so a guardian process, told each pid as it
 * is started and reaped, kills what is left and removes the directory
 * when the end of the test process closes its pipe. It is forked twice
 * so as not to be the test's child (tests count their children).
 */
static pid_t started[64];
static size_t n_started;
static int guard_fd = -1;

/* The temporary directory of the running test (made in setup). */
static char test_dir[PATH_MAX];

/* Remove the test's temporary directory and all in it. */
static void
remove_test_dir(void)
{
	if (test_dir[0] != '\0')
		test_rmtree(test_dir);
	test_dir[0] = '\0';
}

/* Kill worker pid's process group (and pid, if setsid went wrong). */
static void
kill_worker(pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
}

/* The guardian: follow pid (started) and -pid (reaped) messages; when
 * the test process is gone, kill what is left. */
static void __attribute__((noreturn))
guardian(int fd)
{
	pid_t live[256], v;
	size_t n = 0;

	while (read(fd, &v, sizeof v) == sizeof v) {
		if (v > 0 && n < ARRAY_SIZE(live))
			live[n++] = v;
		for (size_t i = 0; v < 0 && i < n; i++)
			if (live[i] == -v)
				live[i] = live[--n];
	}
	for (size_t i = 0; i < n; i++)
		kill_worker(live[i]);
	remove_test_dir();
	_exit(0);
}

/* Start the guardian as a grandchild holding the pipe's read end. */
static void
guard_start(void)
{
	int p[2];
	pid_t mid;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	mid = fork();
	ck_assert_int_ge(mid, 0);
	if (mid == 0) {
		if (fork() == 0) {
			setsid();	/* Check kills the test's group */
			close(p[1]);
			guardian(p[0]);
		}
		_exit(0);
	}
	ck_assert_int_eq(waitpid(mid, NULL, 0), mid);
	close(p[0]);
	guard_fd = p[1];
}

/* Tell the guardian v: a pid started, or minus a pid reaped. */
static void
guard_tell(pid_t v)
{
	if (guard_fd >= 0 && write(guard_fd, &v, sizeof v) != sizeof v)
		ck_abort_msg("cannot write to the guardian");
}

/* Remember pid (a session leader) until it is reaped. */
static void
track(pid_t pid)
{
	ck_assert_uint_lt(n_started, ARRAY_SIZE(started));
	started[n_started++] = pid;
	guard_tell(pid);
}

/* Forget pid: it has been reaped. */
static void
forget(pid_t pid)
{
	for (size_t i = 0; i < n_started; i++)
		if (started[i] == pid) {
			started[i] = started[--n_started];
			guard_tell(-pid);
			return;
		}
}

/* Kill and reap what the test started; remove its directory; let the
 * guardian go. */
static void
cleanup(void)
{
	while (n_started > 0) {
		pid_t pid = started[0];

		kill_worker(pid);
		waitpid(pid, NULL, 0);
		forget(pid);
	}
	remove_test_dir();
	if (guard_fd >= 0)
		close(guard_fd);
	guard_fd = -1;
}

/* Checked fixture: a guardian, and cleanup at exit and in teardown. */
static void
setup(void)
{
	static bool registered;

	n_started = 0;
	if (!registered)
		atexit(cleanup);
	registered = true;
	strcpy(test_dir, "/tmp/check_spawn.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_dir));
	guard_start();
}

/* Spawn req and fail the test (with the message) if it fails. */
static struct spawn_result
spawn_ok(const struct spawn_req *req)
{
	struct spawn_result r;
	struct derr e = { "" };

	ck_assert_msg(spawn_worker(req, &r, &e) == 0, "spawn: %s", e.msg);
	track(r.pid);
	return r;
}

/* Read fd (nonblocking) to EOF within 5 s into buf; the length. */
static size_t
read_all(int fd, char *buf, size_t cap)
{
	size_t len = 0;

	for (int turns = 0; turns < 500; turns++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		ck_assert_int_ge(poll(&p, 1, 10), 0);
		n = read(fd, buf + len, cap - 1 - len);
		if (n == 0)
			break;
		if (n < 0)
			ck_assert_int_eq(errno, EAGAIN);
		else
			len += (size_t)n;
	}
	buf[len] = '\0';
	return len;
}

/* Wait up to 10 s for pid (ours) to end, forget it, return its status. */
static int
wait_for(pid_t pid)
{
	int st = 0;
	pid_t got = 0;

	for (int i = 0; i < 1000 && got == 0; i++) {
		got = waitpid(pid, &st, WNOHANG);
		if (got == 0)
			usleep(10000);
	}
	ck_assert_msg(got == pid, "process %d did not end", (int)pid);
	forget(pid);
	return st;
}

/* Run argv with envp and cwd, collect both streams, reap it. */
static void
run_collect(const char *const *argv, const char *const *envp,
	    const char *cwd, char *out, char *err, size_t cap)
{
	struct spawn_req req = { .argv = argv, .envp = envp, .cwd = cwd,
				 .listen_fd = -1 };
	struct spawn_result r = spawn_ok(&req);

	read_all(r.out_fd, out, cap);
	read_all(r.err_fd, err, cap);
	close(r.out_fd);
	close(r.err_fd);
	ck_assert_int_eq(wait_for(r.pid), 0);
}

/* True when this process has no child left (none running or zombie). */
static bool
no_children(void)
{
	return waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD;
}

/* The real path of the test's temporary directory in buf. */
static void
test_dir_path(char *buf, size_t cap)
{
	ck_assert_ptr_nonnull(realpath(test_dir, buf));
	ck_assert_uint_lt(strlen(buf), cap);
}

/* Write a file with mode. */
static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

START_TEST(test_env_and_cwd)
{
	char dir[PATH_MAX], out[512], err[512], want[PATH_MAX + 64];
	const char *argv[] = { SH, "-c",
		"printf '%s|%s|%s|%s|%s\\n' \"$FOO\" \"$(pwd -P)\" "
		"\"${LISTEN_FDS-unset}\" \"${LISTEN_PID-unset}\" "
		"\"$NOTIFY_SOCKET\"", NULL };
	const char *envp[] = { "FOO=bar baz", STD_PATH, "LISTEN_FDS=7",
			       "LISTEN_PID=1", "NOTIFY_SOCKET=/stale", NULL };
	struct spawn_req req = { .argv = argv, .envp = envp, .cwd = dir,
				 .listen_fd = -1,
				 .notify_socket = "/run/n.sock" };
	struct spawn_result r;

	test_dir_path(dir, sizeof dir);
	r = spawn_ok(&req);
	read_all(r.out_fd, out, sizeof out);
	read_all(r.err_fd, err, sizeof err);
	snprintf(want, sizeof want, "bar baz|%s|unset|unset|/run/n.sock\n",
		 dir);
	ck_assert_str_eq(out, want);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(wait_for(r.pid), 0);
	close(r.out_fd);
	close(r.err_fd);
}
END_TEST

START_TEST(test_stdio)
{
	const char *argv[] = { SH, "-c", "echo out; echo err >&2; "
			       "read x; echo \"stdin=[$x] rc=$?\"; exit 3",
			       NULL };
	const char *envp[] = { STD_PATH, NULL };
	struct spawn_req req = { .argv = argv, .envp = envp,
				 .listen_fd = -1 };
	struct spawn_result r = spawn_ok(&req);
	char out[256], err[256];
	int st;

	for (int i = 0; i < 2; i++) {
		int fd = i ? r.err_fd : r.out_fd;

		ck_assert_int_ne(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
		ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	}
	read_all(r.out_fd, out, sizeof out);
	read_all(r.err_fd, err, sizeof err);
	ck_assert_str_eq(out, "out\nstdin=[] rc=1\n");
	ck_assert_str_eq(err, "err\n");
	st = wait_for(r.pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 3);
	close(r.out_fd);
	close(r.err_fd);
}
END_TEST

/* Failures: the message, and nothing left behind. */
static const struct fail_row {
	const char *prog;
	const char *cwd;
	const char *path;	/* the child's PATH entry, or NULL */
	const char *msg;
} fail_rows[] = {
	{ "nodee", NULL, STD_PATH,
	  "cannot exec 'nodee': No such file or directory" },
	/* the child env's PATH is searched, not ours */
	{ "sh", NULL, "PATH=/nonexistent:/also/not",
	  "cannot exec 'sh': No such file or directory" },
	{ "/nonexistent/prog", NULL, STD_PATH,
	  "cannot exec '/nonexistent/prog': No such file or directory" },
	{ "/etc/passwd", NULL, STD_PATH,
	  "cannot exec '/etc/passwd': Permission denied" },
	{ "/bin", NULL, STD_PATH, "cannot exec '/bin': Permission denied" },
	/* found on PATH but not executable: EACCES wins over ENOENT */
	{ "passwd", NULL, "PATH=/nonexistent:/etc:/also/not",
	  "cannot exec 'passwd': Permission denied" },
	{ "", NULL, STD_PATH, "cannot exec '': No such file or directory" },
	{ SH, "/nope", STD_PATH,
	  "cannot chdir to '/nope': No such file or directory" },
	{ SH, "/etc/passwd", STD_PATH,
	  "cannot chdir to '/etc/passwd': Not a directory" },
};

/* Out of fds: the failure is one that may pass (transient). */
START_TEST(test_out_of_fds)
{
	const char *argv[] = { "/bin/true", NULL };
	const char *envp[] = { NULL };
	struct spawn_req req = { .argv = argv, .envp = envp,
				 .listen_fd = -1 };
	struct spawn_result r;
	struct derr e = { "" };
	struct rlimit rl;
	int fds = test_count_fds();

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = (rlim_t)fds + 1;	/* room for one fd, not six */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	ck_assert_int_eq(spawn_worker(&req, &r, &e), -1);
	ck_assert_msg(r.transient, "not transient: %s", e.msg);
	ck_assert(strstr(e.msg, "Too many open files") != NULL);
	ck_assert_int_eq(test_count_fds(), fds);
}
END_TEST

START_TEST(test_failures)
{
	const struct fail_row *row = &fail_rows[_i];
	const char *argv[] = { row->prog, "-c", "exit 0", NULL };
	const char *envp[] = { row->path, NULL };
	struct spawn_req req = { .argv = argv, .envp = envp, .cwd = row->cwd,
				 .listen_fd = -1 };
	struct spawn_result r = { 1, 1, 1, true };
	struct derr e = { "" };
	int fds = test_count_fds();

	ck_assert_int_eq(spawn_worker(&req, &r, &e), -1);
	ck_assert_str_eq(e.msg, row->msg);
	ck_assert(!r.transient);	/* trying again cannot help */
	ck_assert_int_eq(r.pid, -1);
	ck_assert_int_eq(r.out_fd, -1);
	ck_assert_int_eq(r.err_fd, -1);
	ck_assert_msg(no_children(), "the failed child was not reaped");
	ck_assert_int_eq(test_count_fds(), fds);
}
END_TEST

START_TEST(test_no_argv)
{
	const char *argv[] = { NULL };
	struct spawn_req req = { .argv = argv, .listen_fd = -1 };
	struct spawn_result r;
	struct derr e = { "" };

	ck_assert_int_eq(spawn_worker(&req, &r, &e), -1);
	ck_assert_str_eq(e.msg, "no program to run");
}
END_TEST

/* Programs found as execvp would find them. */
static const struct search_row {
	const char *prog;
	const char *path;	/* @: the test's temp dir */
	const char *out;
} search_rows[] = {
	{ "sh", "PATH=/nonexistent:/bin", "sh\n" },
	{ "sh", NULL, "sh\n" },			/* default /bin:/usr/bin */
	/* not executable in a/, so b/'s is run (EACCES goes on) */
	{ "tool", "PATH=@/a:@/b", "b\n" },
	/* no #! line: run by /bin/sh, as execvp does */
	{ "./noshebang", "PATH=/bin", "no shebang\n" },
	{ "noshebang", "PATH=/nonexistent::/bin", "no shebang\n" },
	{ "@/b/tool", "PATH=/nonexistent", "b\n" },
};

/* Copy tmpl to buf with each '@' replaced by dir. */
static void
subst_dir(char *buf, size_t cap, const char *tmpl, const char *dir)
{
	size_t len = 0;

	for (; *tmpl != '\0'; tmpl++) {
		const char *add = *tmpl == '@' ? dir : tmpl;
		size_t n = *tmpl == '@' ? strlen(dir) : 1;

		ck_assert_uint_lt(len + n, cap);
		memcpy(buf + len, add, n);
		len += n;
	}
	buf[len] = '\0';
}

START_TEST(test_path_search)
{
	const struct search_row *row = &search_rows[_i];
	char dir[PATH_MAX], path[3 * PATH_MAX], prog[2 * PATH_MAX];
	char file[2 * PATH_MAX], out[256], err[256];
	const char *argv[] = { prog, "-c", "echo sh", NULL };
	const char *envp[] = { row->path ? path : NULL, NULL };

	test_dir_path(dir, sizeof dir);
	snprintf(file, sizeof file, "%s/a", dir);
	ck_assert_int_eq(mkdir(file, 0700), 0);
	snprintf(file, sizeof file, "%s/b", dir);
	ck_assert_int_eq(mkdir(file, 0700), 0);
	snprintf(file, sizeof file, "%s/a/tool", dir);
	write_file(file, "#!/bin/sh\necho a\n", 0644);
	snprintf(file, sizeof file, "%s/b/tool", dir);
	write_file(file, "#!/bin/sh\necho b\n", 0755);
	snprintf(file, sizeof file, "%s/noshebang", dir);
	write_file(file, "echo no shebang\n", 0755);
	if (row->path != NULL)
		subst_dir(path, sizeof path, row->path, dir);
	subst_dir(prog, sizeof prog, row->prog, dir);

	run_collect(argv, envp, dir, out, err, sizeof out);
	ck_assert_str_eq(out, row->out);
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(test_session)
{
	const char *argv[] = { SLEEP, "30", NULL };
	struct spawn_req req = { .argv = argv, .listen_fd = -1 };
	struct spawn_result r = spawn_ok(&req);
	int st;

	ck_assert_int_eq(getpgid(r.pid), r.pid);
	ck_assert_int_eq(getsid(r.pid), r.pid);
	ck_assert_int_ne(getsid(0), r.pid);
	ck_assert(spawn_group_alive(r.pid));
	ck_assert_int_eq(spawn_signal_group(r.pid, SIGTERM), 0);
	st = wait_for(r.pid);
	ck_assert(WIFSIGNALED(st));
	ck_assert_int_eq(WTERMSIG(st), SIGTERM);
	ck_assert(!spawn_group_alive(r.pid));
	close(r.out_fd);
	close(r.err_fd);
}
END_TEST

/* The value of field (e.g. "SigBlk:") in /proc/pid/status. */
static unsigned long long
status_field(pid_t pid, const char *field)
{
	char path[64], line[256];
	unsigned long long v = ~0ULL;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, field, strlen(field)) == 0)
			v = strtoull(line + strlen(field), NULL, 16);
	fclose(f);
	ck_assert_msg(v != ~0ULL, "no %s in %s", field, path);
	return v;
}

/* Set signal sig (one glibc keeps for itself) to handler with a raw
 * kernel sigaction; the old handler in *old. Generic layout: handler,
 * flags, restorer, mask. */
static void
raw_sigaction(int sig, void (*handler)(int), void (**old)(int))
{
	unsigned long ksa[8] = { 0 }, oksa[8] = { 0 };

	memcpy(&ksa[0], &handler, sizeof handler);
	ck_assert_int_eq(syscall(SYS_rt_sigaction, sig, ksa, oksa,
				 (NSIG - 1) / 8), 0);
	memcpy(old, &oksa[0], sizeof *old);
}

/* A handler for the test's caught signal. */
static void
on_hup(int sig)
{
	(void)sig;
}

START_TEST(test_signals_reset)
{
	const char *argv[] = { SLEEP, "30", NULL };
	struct spawn_req req = { .argv = argv, .listen_fd = -1 };
	struct spawn_result r;
	sigset_t block, before, after;
	struct sigaction old[3];
	const int sigs[3] = { SIGPIPE, SIGUSR2, SIGHUP };
	struct sigaction sa = { .sa_handler = SIG_IGN };
	void (*old32)(int), (*dummy)(int);

	/* the daemon's state: blocked for signalfd, some ignored, even
	 * glibc's own 32 (when whoever started the daemon ignored it) */
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &block, NULL), 0);
	for (int i = 0; i < 3; i++) {
		sa.sa_handler = sigs[i] == SIGHUP ? on_hup : SIG_IGN;
		ck_assert_int_eq(sigaction(sigs[i], &sa, &old[i]), 0);
	}
	raw_sigaction(32, SIG_IGN, &old32);
	ck_assert_uint_ne(status_field(getpid(), "SigBlk:"), 0);
	ck_assert_uint_ne(status_field(getpid(), "SigIgn:"), 0);
	sigemptyset(&before);
	sigemptyset(&after);
	sigprocmask(SIG_SETMASK, NULL, &before);

	r = spawn_ok(&req);
	ck_assert_uint_eq(status_field(r.pid, "SigBlk:"), 0);
	ck_assert_uint_eq(status_field(r.pid, "SigIgn:"), 0);
	ck_assert_uint_eq(status_field(r.pid, "SigCgt:"), 0);
	/* and the caller's own mask is as it was */
	sigprocmask(SIG_SETMASK, NULL, &after);
	for (int sig = 1; sig < NSIG; sig++)
		ck_assert_int_eq(sigismember(&before, sig),
				 sigismember(&after, sig));
	ck_assert(sigismember(&after, SIGTERM));
	close(r.out_fd);
	close(r.err_fd);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	raw_sigaction(32, old32, &dummy);
}
END_TEST

/* The target of /proc/<pid>/fd/<fd> in buf ("" when none). */
static void
fd_link(pid_t pid, int fd, char *buf, size_t cap)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, fd);
	n = readlink(path, buf, cap - 1);
	buf[n < 0 ? 0 : n] = '\0';
}

/* The fds of pid as a bit set (fds below 64). */
static unsigned long long
fd_set_of(pid_t pid)
{
	char path[64];
	unsigned long long set = 0;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	d = opendir(path);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		ck_assert_int_lt(fd, 64);
		set |= 1ULL << fd;
	}
	closedir(d);
	return set;
}

/* Wait (up to 2 s) until pid's fds are exactly the set want: the new
 * program's dynamic loader briefly opens its libraries as fd 3 on. */
static void
expect_fds(pid_t pid, unsigned long long want)
{
	unsigned long long got = 0;

	for (int i = 0; i < 200 && (got = fd_set_of(pid)) != want; i++)
		usleep(10000);
	ck_assert_uint_eq(got, want);
}

/* The env var name (with '=') of pid; all matches joined by ';'. */
static void
env_of(pid_t pid, const char *name, char *buf, size_t cap)
{
	char path[64], data[8192];
	size_t n, len = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(data, 1, sizeof data - 1, f);
	fclose(f);
	data[n] = '\0';
	buf[0] = '\0';
	for (size_t at = 0; at < n; at += strlen(data + at) + 1) {
		if (strncmp(data + at, name, strlen(name)) != 0)
			continue;
		len += (size_t)snprintf(buf + len, cap - len, "%s%s",
					len ? ";" : "",
					data + at + strlen(name));
	}
}

/* Where the listen socket sits in the parent: -1 where socket() put it;
 * 0 forces the child to move it out of the way of its stdin. */
static const int listen_at[] = { -1, 0, 40 };

START_TEST(test_listen_fd)
{
	const char *argv[] = { SLEEP, "30", NULL };
	const char *envp[] = { STD_PATH, "LISTEN_FDS=9", NULL };
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct spawn_req req = { .argv = argv, .envp = envp,
				 .listen_name = "web" };
	struct spawn_result r;
	char want[64], got[256];
	struct stat st;
	int sock, stray;

	sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(sock, 0);
	ck_assert_int_eq(bind(sock, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(listen(sock, 8), 0);
	if (listen_at[_i] >= 0) {
		ck_assert_int_eq(dup3(sock, listen_at[_i], O_CLOEXEC),
				 listen_at[_i]);
		close(sock);
		sock = listen_at[_i];
	}
	/* an fd without CLOEXEC must not reach the child either */
	stray = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(stray, 0);
	ck_assert_int_eq(fstat(sock, &st), 0);
	req.listen_fd = sock;

	r = spawn_ok(&req);
	expect_fds(r.pid, 0xf);
	snprintf(want, sizeof want, "socket:[%lu]", (unsigned long)st.st_ino);
	fd_link(r.pid, 3, got, sizeof got);
	ck_assert_str_eq(got, want);
	fd_link(r.pid, 0, got, sizeof got);
	ck_assert_str_eq(got, "/dev/null");
	env_of(r.pid, "LISTEN_FDS=", got, sizeof got);
	ck_assert_str_eq(got, "1");
	env_of(r.pid, "LISTEN_FDNAMES=", got, sizeof got);
	ck_assert_str_eq(got, "web");
	env_of(r.pid, "LISTEN_PID=", got, sizeof got);
	snprintf(want, sizeof want, "%d", (int)r.pid);
	ck_assert_str_eq(got, want);
	/* the parent's socket keeps its CLOEXEC flag */
	ck_assert_int_ne(fcntl(sock, F_GETFD) & FD_CLOEXEC, 0);
	close(stray);
	close(sock);
	close(r.out_fd);
	close(r.err_fd);
}
END_TEST

START_TEST(test_no_listen_fd)
{
	const char *argv[] = { SLEEP, "30", NULL };
	struct spawn_req req = { .argv = argv, .listen_fd = -1 };
	int stray = open("/dev/null", O_RDONLY);
	struct spawn_result r;
	char got[64];

	ck_assert_int_ge(stray, 0);
	r = spawn_ok(&req);
	expect_fds(r.pid, 0x7);
	env_of(r.pid, "LISTEN_", got, sizeof got);
	ck_assert_str_eq(got, "");
	close(stray);
	close(r.out_fd);
	close(r.err_fd);
}
END_TEST

/* Milliseconds on CLOCK_MONOTONIC. */
static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

START_TEST(test_no_fd_leak)
{
	const char *ok_argv[] = { "true", NULL };
	const char *bad_argv[] = { "nodee", NULL };
	const char *envp[] = { STD_PATH, NULL };
	struct spawn_req ok = { .argv = ok_argv, .envp = envp,
				.listen_fd = -1 };
	struct spawn_req bad = { .argv = bad_argv, .envp = envp,
				 .listen_fd = -1 };
	struct spawn_req badcwd = { .argv = ok_argv, .envp = envp,
				    .cwd = "/nope", .listen_fd = -1 };
	int before = test_count_fds();
	long long t0 = mono_ms();
	struct derr e;

	for (int i = 0; i < 200; i++) {
		struct spawn_result r;

		if (i % 10 == 1) {
			ck_assert_int_eq(spawn_worker(&bad, &r, &e), -1);
			continue;
		}
		if (i % 10 == 2) {
			ck_assert_int_eq(spawn_worker(&badcwd, &r, &e), -1);
			continue;
		}
		r = spawn_ok(&ok);
		ck_assert_int_eq(wait_for(r.pid), 0);
		close(r.out_fd);
		close(r.err_fd);
	}
	ck_assert_int_eq(test_count_fds(), before);
	ck_assert(no_children());
	/* generous: about 1 ms each unsanitized */
	ck_assert_int_lt(mono_ms() - t0, 20000);
}
END_TEST

START_TEST(test_many_at_once)
{
	const char *argv[] = { SLEEP, "30", NULL };
	struct spawn_req req = { .argv = argv, .listen_fd = -1 };
	struct spawn_result r[50];
	int before = test_count_fds();

	for (size_t i = 0; i < ARRAY_SIZE(r); i++)
		r[i] = spawn_ok(&req);
	ck_assert_int_eq(test_count_fds(), before + 2 * (int)ARRAY_SIZE(r));
	for (size_t i = 0; i < ARRAY_SIZE(r); i++) {
		/* each child holds only its own 0, 1, 2 */
		expect_fds(r[i].pid, 0x7);
		ck_assert_int_eq(spawn_signal_group(r[i].pid, SIGKILL), 0);
		ck_assert(WIFSIGNALED(wait_for(r[i].pid)));
		close(r[i].out_fd);
		close(r[i].err_fd);
	}
	ck_assert_int_eq(test_count_fds(), before);
}
END_TEST

START_TEST(test_group_kill_grandchild)
{
	const char *argv[] = { SH, "-c", "sleep 30 & echo $!; wait", NULL };
	const char *envp[] = { STD_PATH, NULL };
	struct spawn_req req = { .argv = argv, .envp = envp,
				 .listen_fd = -1 };
	struct spawn_result r;
	char line[64] = "";
	pid_t grandchild;
	size_t len = 0;
	int st;

	/* orphans come to us, so the dead grandchild can be reaped */
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	r = spawn_ok(&req);
	while (strchr(line, '\n') == NULL) {
		struct pollfd p = { .fd = r.out_fd, .events = POLLIN };
		ssize_t n;

		ck_assert_int_eq(poll(&p, 1, 5000), 1);
		n = read(r.out_fd, line + len, sizeof line - 1 - len);
		ck_assert_int_gt(n, 0);
		len += (size_t)n;
		line[len] = '\0';
	}
	grandchild = atoi(line);
	ck_assert_int_gt(grandchild, 0);
	ck_assert_int_eq(getpgid(grandchild), r.pid);

	ck_assert_int_eq(spawn_signal_group(r.pid, SIGTERM), 0);
	st = wait_for(r.pid);
	ck_assert(WIFSIGNALED(st));
	for (int i = 0; i < 500 && kill(grandchild, 0) == 0; i++) {
		waitpid(-1, NULL, WNOHANG);
		usleep(10000);
	}
	ck_assert_msg(kill(grandchild, 0) == -1 && errno == ESRCH,
		      "grandchild %d survived", (int)grandchild);
	ck_assert(!spawn_group_alive(r.pid));
	/* a group that is gone is not an error */
	ck_assert_int_eq(spawn_signal_group(r.pid, SIGTERM), 0);
	close(r.out_fd);
	close(r.err_fd);
}
END_TEST

/* Group ids that would hit the caller or everything are refused. */
static const pid_t bad_groups[] = { 0, 1, -1, -5 };

START_TEST(test_bad_group)
{
	errno = 0;
	ck_assert_int_eq(spawn_signal_group(bad_groups[_i], 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(!spawn_group_alive(bad_groups[_i]));
}
END_TEST

/* The spawn suite. */
static Suite *
spawn_suite(void)
{
	Suite *s = suite_create("spawn");
	TCase *tc = tcase_create("spawn");

	tcase_add_checked_fixture(tc, setup, cleanup);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_env_and_cwd);
	tcase_add_test(tc, test_stdio);
	tcase_add_loop_test(tc, test_failures, 0, ARRAY_SIZE(fail_rows));
	tcase_add_test(tc, test_out_of_fds);
	tcase_add_test(tc, test_no_argv);
	tcase_add_loop_test(tc, test_path_search, 0,
			    ARRAY_SIZE(search_rows));
	tcase_add_test(tc, test_session);
	tcase_add_test(tc, test_signals_reset);
	tcase_add_loop_test(tc, test_listen_fd, 0, ARRAY_SIZE(listen_at));
	tcase_add_test(tc, test_no_listen_fd);
	tcase_add_test(tc, test_no_fd_leak);
	tcase_add_test(tc, test_many_at_once);
	tcase_add_test(tc, test_group_kill_grandchild);
	tcase_add_loop_test(tc, test_bad_group, 0, ARRAY_SIZE(bad_groups));
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; exit status 0 when every test passed. */
int
main(void)
{
	SRunner *sr = srunner_create(spawn_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ssh_openssh_run.c: commands and uploads over an OpenSSH master */
#include "core/remote/ssh_int.h"
#include "core/remote/remote.h"
#include "core/lib/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Where one command's output goes, and its stderr kept for errors. */
struct run {
	ssh_out_fn *out;
	void *arg;
	struct strbuf err;
};

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
		if (poll(p, 3, SSH_CANCEL_POLL_MS) <= 0)
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
	if (x->status == 255 && ssh_openssh_gone(s->cli))
		return derr_set(e, "connection lost: %s",
				ssh_last_line(r->err.buf));
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
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int status = 0, rc;
	char **argv;
	pid_t pid;

	if ((in_fd < 0 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				     in) < 0) ||
	    pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		int saved = errno;

		ssh_close_pair(in);
		ssh_close_pair(out);
		ssh_close_pair(err);
		errno = saved;
		return derr_errno(e, "cannot make the pipes of ssh");
	}
	argv = strv_push(strv_dup(c->args), "-o");
	argv = strv_push(strv_push(argv, "ControlMaster=no"), "--");
	argv = strv_push(strv_push(argv, c->host), command);
	pid = ssh_child_start(argv, (int[3]){ in_fd >= 0 ? in_fd : in[1], out[1],
				    err[1] }, e);
	strv_free(argv);
	if (in[1] >= 0)
		close(in[1]);
	close(out[1]);
	close(err[1]);
	rc = pid < 0 ? -1 : pump(s, in[0], input, out[0], err[0], r, e);
	if (rc < 0 && pid > 0)
		ssh_child_stop(pid, -1);
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

	strbuf_init(&r.err, SSH_ERR_MAX);
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
	strbuf_init(&r.err, SSH_ERR_MAX);
	strbuf_addf(&cmd, "umask %03lo && cat > ", 0777 & ~mode);
	remote_quote_path(&cmd, remote_path);
	rc = run_remote(s, cmd.buf, fd, NULL, &r, &x, e);
	if (rc == 0 && x.status != 0)
		rc = derr_set(e, "cannot create '%s': %s", remote_path,
			      *r.err.buf ? ssh_last_line(r.err.buf) :
			      "upload failed");
	close(fd);
	strbuf_release(&cmd);
	strbuf_release(&r.err);
	return rc;
}

/* ssh_exec.c: remote commands and SFTP uploads on a session */
#include "core/remote/ssh_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Open a session channel. */
static LIBSSH2_CHANNEL *
open_channel(struct ssh *s, struct derr *e)
{
	long long deadline = ssh_io_deadline(s);
	LIBSSH2_CHANNEL *ch;

	while ((ch = s->f->channel_open_ex(s->sess, "session", 7,
					   LIBSSH2_CHANNEL_WINDOW_DEFAULT,
					   LIBSSH2_CHANNEL_PACKET_DEFAULT,
					   NULL, 0)) == NULL) {
		if (!ssh_again(s)) {
			ssh_fail(s, e, "cannot open a channel");
			return NULL;
		}
		if (ssh_wait(s, deadline, e) < 0)
			return NULL;
	}
	return ch;
}

/*
 * Read what is waiting on one stream into out. Returns the bytes
 * read (0: nothing now or the stream is done), or a libssh2 error.
 */
static ssize_t
drain(struct ssh *s, LIBSSH2_CHANNEL *ch, int stream, ssh_out_fn *out,
      void *arg)
{
	char buf[16384];
	ssize_t n, total = 0;

	while ((n = s->f->channel_read_ex(ch, stream, buf, sizeof buf)) > 0) {
		if (out != NULL)
			out(arg, stream == 0 ? 1 : 2, buf, (size_t)n);
		total += n;
	}
	if (n < 0 && n != LIBSSH2_ERROR_EAGAIN)
		return n;
	return total;
}

/* Pump stdout and stderr until the remote end sends EOF. */
static int
pump(struct ssh *s, LIBSSH2_CHANNEL *ch, ssh_out_fn *out, void *arg,
     struct derr *e)
{
	for (;;) {
		ssize_t o = drain(s, ch, 0, out, arg);
		ssize_t r = drain(s, ch, SSH_EXTENDED_DATA_STDERR, out, arg);

		if (o < 0 || r < 0)
			return ssh_fail(s, e, "connection lost");
		if (s->f->channel_eof(ch))
			return 0;
		/* No deadline: a hook may run quietly for long; the
		 * keepalives and TCP_USER_TIMEOUT catch a dead host. */
		if (o == 0 && r == 0 && ssh_wait(s, -1, e) < 0)
			return -1;
	}
}

/* Close ch and read how the command ended. */
static int
finish(struct ssh *s, LIBSSH2_CHANNEL *ch, struct ssh_exit *x,
       struct derr *e)
{
	long long deadline = ssh_io_deadline(s);
	char *sig = NULL;
	size_t sig_len = 0;
	int rc;

	while ((rc = s->f->channel_close(ch)) == LIBSSH2_ERROR_EAGAIN)
		if (ssh_wait(s, deadline, e) < 0)
			return -1;
	while (rc == 0 && (rc = s->f->channel_wait_closed(ch)) ==
	       LIBSSH2_ERROR_EAGAIN)
		if (ssh_wait(s, deadline, e) < 0)
			return -1;
	if (rc != 0)
		return ssh_fail(s, e, "connection lost");
	x->status = s->f->channel_get_exit_status(ch);
	x->signal[0] = '\0';
	s->f->channel_get_exit_signal(ch, &sig, &sig_len, NULL, NULL, NULL,
				      NULL);
	if (sig != NULL) {
		snprintf(x->signal, sizeof x->signal, "%.*s", (int)sig_len,
			 sig);
		x->status = -1;
		s->f->free(s->sess, sig);
	}
	return 0;
}

/* Free a channel, waiting a little for libssh2. */
static void
free_channel(struct ssh *s, LIBSSH2_CHANNEL *ch)
{
	long long deadline = now_ms() + 1000;

	while (s->f->channel_free(ch) == LIBSSH2_ERROR_EAGAIN &&
	       ssh_wait(s, deadline, NULL) == 0)
		;
}

/* Write all of input to the command's stdin. */
static int
send_input(struct ssh *s, LIBSSH2_CHANNEL *ch, const char *input,
	   struct derr *e)
{
	long long deadline = ssh_io_deadline(s);
	size_t n = strlen(input);

	while (n > 0) {
		ssize_t w = s->f->channel_write_ex(ch, 0, input, n);

		if (w == LIBSSH2_ERROR_EAGAIN) {
			if (ssh_wait(s, deadline, e) < 0)
				return -1;
			continue;
		}
		if (w < 0)
			return ssh_fail(s, e,
					"cannot send to a remote command");
		input += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Run a command. */
int
ssh_exec(struct ssh *s, const char *command, const char *input,
	 ssh_out_fn *out, void *arg, struct ssh_exit *x, struct derr *e)
{
	long long deadline = ssh_io_deadline(s);
	LIBSSH2_CHANNEL *ch;
	int rc;

	if (s->cli != NULL)
		return ssh_openssh_exec(s, command, input, out, arg, x, e);
	ch = open_channel(s, e);
	if (ch == NULL)
		return -1;
	while ((rc = s->f->channel_process_startup(ch, "exec", 4, command,
			(unsigned)strlen(command))) == LIBSSH2_ERROR_EAGAIN)
		if (ssh_wait(s, deadline, e) < 0)
			goto fail;
	if (rc != 0) {
		ssh_fail(s, e, "cannot run a remote command");
		goto fail;
	}
	if (input != NULL && send_input(s, ch, input, e) < 0)
		goto fail;
	while (s->f->channel_send_eof(ch) == LIBSSH2_ERROR_EAGAIN)
		if (ssh_wait(s, deadline, e) < 0)
			goto fail;
	if (pump(s, ch, out, arg, e) < 0 || finish(s, ch, x, e) < 0)
		goto fail;
	free_channel(s, ch);
	return 0;
fail:
	free_channel(s, ch);
	return -1;
}

/* Write all of buf to an SFTP handle. */
static int
sftp_write_all(struct ssh *s, LIBSSH2_SFTP_HANDLE *h, const char *buf,
	       size_t n, struct derr *e)
{
	long long deadline = ssh_io_deadline(s);

	while (n > 0) {
		ssize_t w = s->f->sftp_write(h, buf, n);

		if (w == LIBSSH2_ERROR_EAGAIN) {
			if (ssh_wait(s, deadline, e) < 0)
				return -1;
			continue;
		}
		if (w < 0)
			return ssh_fail(s, e, "upload failed");
		buf += w;
		n -= (size_t)w;
		deadline = ssh_io_deadline(s);
	}
	return 0;
}

/* Open remote_path for writing over SFTP. */
static LIBSSH2_SFTP_HANDLE *
sftp_create(struct ssh *s, LIBSSH2_SFTP *sftp, const char *path, long mode,
	    struct derr *e)
{
	long long deadline = ssh_io_deadline(s);
	LIBSSH2_SFTP_HANDLE *h;

	while ((h = s->f->sftp_open_ex(sftp, path, (unsigned)strlen(path),
				       LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT |
				       LIBSSH2_FXF_TRUNC, mode,
				       LIBSSH2_SFTP_OPENFILE)) == NULL) {
		if (!ssh_again(s)) {
			if (s->f->session_last_errno(s->sess) ==
			    LIBSSH2_ERROR_SFTP_PROTOCOL)
				derr_set(e, "cannot create '%s': SFTP error "
					 "%lu", path,
					 s->f->sftp_last_error(sftp));
			else
				ssh_fail(s, e, "cannot create remote file");
			return NULL;
		}
		if (ssh_wait(s, deadline, e) < 0)
			return NULL;
	}
	return h;
}

/* Copy fd to an open handle, then close it. */
static int
send_file(struct ssh *s, LIBSSH2_SFTP_HANDLE *h, int fd, struct derr *e)
{
	long long deadline;
	char buf[65536];
	ssize_t n;
	int rc = 0;

	while (rc == 0 && (n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = derr_errno(e, "cannot read the upload");
		else
			rc = sftp_write_all(s, h, buf, (size_t)n, e);
	}
	deadline = ssh_io_deadline(s);
	while ((n = s->f->sftp_close_handle(h)) == LIBSSH2_ERROR_EAGAIN)
		if (ssh_wait(s, deadline, NULL) < 0)
			break;
	if (rc == 0 && n != 0)
		rc = ssh_fail(s, e, "upload failed");
	return rc;
}

/* Upload a file over SFTP. */
int
ssh_upload(struct ssh *s, const char *local, const char *remote_path,
	   long mode, struct derr *e)
{
	long long deadline = ssh_io_deadline(s);
	LIBSSH2_SFTP_HANDLE *h;
	LIBSSH2_SFTP *sftp;
	int fd, rc = -1;

	if (s->cli != NULL)
		return ssh_openssh_upload(s, local, remote_path, mode, e);
	fd = open(local, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return derr_errno(e, "cannot read '%s'", local);
	while ((sftp = s->f->sftp_init(s->sess)) == NULL) {
		if (!ssh_again(s)) {
			ssh_fail(s, e, "cannot start SFTP");
			goto out;
		}
		if (ssh_wait(s, deadline, e) < 0)
			goto out;
	}
	h = sftp_create(s, sftp, remote_path, mode, e);
	if (h != NULL)
		rc = send_file(s, h, fd, e);
	deadline = ssh_io_deadline(s);
	while (s->f->sftp_shutdown(sftp) == LIBSSH2_ERROR_EAGAIN)
		if (ssh_wait(s, deadline, NULL) < 0)
			break;
out:
	close(fd);
	return rc;
}

/* remote_io.c: a host's output, prefixed and serialised; running scripts */
#include "core/remote/remote_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAPTURE_MAX (1 << 20)

/* Pass one line to the caller's output, one thread at a time. */
void
remote_emit(const struct remote_plan *p, const char *host, int stream,
	    const char *line)
{
	pthread_mutex_t *m = (pthread_mutex_t *)&p->out_lock;

	if (p->o->line == NULL)
		return;
	pthread_mutex_lock(m);
	p->o->line(p->o->line_arg, host, stream, line);
	pthread_mutex_unlock(m);
}

/* A progress line of host h. */
void
rhost_say(struct rhost *h, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	remote_emit(h->plan, h->rep->host, 0, msg);
	free(msg);
}

/* Emit the complete lines in sb (all of it when flush), keep the rest. */
static void
emit_lines(struct rhost *h, int stream, struct strbuf *sb, bool flush)
{
	char *nl;

	while ((nl = memchr(sb->buf, '\n', sb->len)) != NULL ||
	       (flush && sb->len > 0)) {
		size_t n = nl != NULL ? (size_t)(nl - sb->buf) : sb->len;
		char *line = xstrndup(sb->buf, n);
		size_t len = strlen(line);

		if (len > 0 && line[len - 1] == '\r')
			line[len - 1] = '\0';
		if (stream == 2 && line[0] != '\0')
			snprintf(h->last_err, sizeof h->last_err, "%s", line);
		remote_emit(h->plan, h->rep->host, stream, line);
		free(line);
		strbuf_consume(sb, nl != NULL ? n + 1 : n);
	}
}

/* The line each script prints first: its shell's pid, which is its
 * process group too (sshd starts a command in a session of its own). */
#define PID_LINE "deploy-pid "

/* Where a command's output goes. */
struct sink {
	struct rhost *h;
	struct strbuf *out;	/* NULL: show the output */
	struct strbuf err;
	struct strbuf head;	/* stdout until the pid line is read */
	bool head_done;
	long pid;		/* the remote process group, or 0 */
};

/* Take the pid line off the front of stdout; what follows it is
 * left in *data and *n (nothing yet while the line is incomplete). */
static void
take_pid_line(struct sink *k, const char **data, size_t *n)
{
	char *nl;

	strbuf_add(&k->head, *data, *n);
	*n = 0;
	nl = memchr(k->head.buf, '\n', k->head.len);
	if (nl == NULL && k->head.len < 64)
		return;
	k->head_done = true;
	if (nl != NULL && strncmp(k->head.buf, PID_LINE,
				  strlen(PID_LINE)) == 0) {
		k->pid = strtol(k->head.buf + strlen(PID_LINE), NULL, 10);
		strbuf_consume(&k->head, (size_t)(nl - k->head.buf) + 1);
	}
	*data = k->head.buf;
	*n = k->head.len;
}

/* ssh_out_fn: keep or show a chunk of output. */
static void
on_output(void *arg, int stream, const char *data, size_t n)
{
	struct sink *k = arg;
	struct strbuf *sb;

	if (stream == 1 && !k->head_done)
		take_pid_line(k, &data, &n);
	if (n == 0)
		return;

	if (k->out != NULL) {
		strbuf_add(stream == 1 ? k->out : &k->err, data, n);
		return;
	}
	sb = &k->h->partial[stream];
	strbuf_add(sb, data, n);
	emit_lines(k->h, stream, sb, false);
}

/* The last non-empty line of text, or NULL; a new string. */
static char *
last_line(const char *text)
{
	const char *end = text + strlen(text), *start;

	while (end > text && (end[-1] == '\n' || end[-1] == '\r' ||
			      end[-1] == ' '))
		end--;
	if (end == text)
		return NULL;
	start = end;
	while (start > text && start[-1] != '\n')
		start--;
	return xstrndup(start, (size_t)(end - start));
}

/* The status 128+N for signal name ("TERM"), as a shell reports it. */
static int
signal_status(const char *name)
{
	char *full = xasprintf("SIG%s", name);
	int sig = 0;

	if (eco_parse_signal(full, &sig) < 0)
		sig = 0;
	free(full);
	return 128 + sig;
}

/*
 * A command left running by a quit or --timeout: its process group
 * gets SIGTERM, and SIGKILL 2 s later, over a new channel of the same
 * session.
 */
static void
stop_remote(struct rhost *h, long pid)
{
	bool was = h->cleaning;
	struct ssh_exit x;
	struct derr e;
	char *cmd;

	h->cleaning = true;
	/* The SIGKILL from a job of its own: no waiting here. */
	cmd = xasprintf("kill -TERM -- -%ld 2>/dev/null; "
			"{ sleep 2; kill -KILL -- -%ld 2>/dev/null; } "
			"</dev/null >/dev/null 2>&1 & true", pid, pid);
	if (ssh_exec(h->ssh, cmd, NULL, NULL, NULL, &x, &e) == 0)
		rhost_say(h, "stopped the remote command (process group %ld)",
			  pid);
	else
		rhost_say(h, "warning: cannot stop the remote command: %s",
			  e.msg);
	free(cmd);
	h->cleaning = was;
}

/* Run a script on the host. */
int
rhost_exec(struct rhost *h, const char *script, struct strbuf *out,
	   int *status)
{
	return rhost_exec_in(h, script, NULL, out, status);
}

/* Run a script with input on its stdin. */
int
rhost_exec_in(struct rhost *h, const char *script, const char *input,
	      struct strbuf *out, int *status)
{
	struct sink k = { .h = h, .out = out };
	struct ssh_exit x = { 0 };
	char *why, *full;
	int rc;

	if (status != NULL)
		*status = -1;
	strbuf_init(&k.err, CAPTURE_MAX);
	strbuf_init(&k.head, 0);
	h->last_err[0] = '\0';
	if (out != NULL)
		out->cap = CAPTURE_MAX;
	full = xasprintf("echo " PID_LINE "$$; %s", script);
	rc = ssh_exec(h->ssh, full, input, on_output, &k, &x, &h->err);
	free(full);
	if (!k.head_done && k.head.len > 0) {
		k.head_done = true;
		on_output(&k, 1, k.head.buf, k.head.len);
	}
	for (int s = 1; s <= 2; s++)
		emit_lines(h, s, &h->partial[s], true);
	if (rc < 0 && k.pid > 0 && rhost_cancelled(h))
		stop_remote(h, k.pid);
	strbuf_release(&k.head);
	if (rc < 0) {
		strbuf_release(&k.err);
		return -1;
	}
	if (status != NULL)
		*status = x.signal[0] ? signal_status(x.signal) : x.status;
	if (x.signal[0] != '\0')
		rc = derr_set(&h->err, "killed by SIG%s", x.signal);
	else if (x.status != 0) {
		why = last_line(out != NULL ? k.err.buf : h->last_err);
		rc = why ? derr_set(&h->err, "%s", why) :
			derr_set(&h->err, "exit %d", x.status);
		free(why);
	}
	strbuf_release(&k.err);
	return rc;
}

/* remote_local.c: what runs on this machine: pre-deploy-local, git archive */
#include "core/remote/remote_int.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/lib/spawn.h"

extern char **environ;

/* Read what fd has into sb; false at EOF or error. */
static bool
read_some(int fd, struct strbuf *sb)
{
	char buf[8192];
	ssize_t n = read(fd, buf, sizeof buf);

	if (n > 0) {
		strbuf_add(sb, buf, (size_t)n);
		return true;
	}
	return n < 0 && (errno == EAGAIN || errno == EINTR);
}

/* Emit sb's complete lines (all when flush) as "local" output. */
static void
emit_local(const struct remote_plan *p, int stream, struct strbuf *sb,
	   bool flush)
{
	char *nl;

	while ((nl = memchr(sb->buf, '\n', sb->len)) != NULL ||
	       (flush && sb->len > 0)) {
		size_t n = nl ? (size_t)(nl - sb->buf) : sb->len;
		char *line = xstrndup(sb->buf, n);

		remote_emit(p, "local", stream, line);
		free(line);
		strbuf_consume(sb, nl ? n + 1 : n);
	}
}

/*
 * Run argv in cwd until it ends. Its stdout goes to out, or (out NULL)
 * line by line to p's output like its stderr. The exit status, or -1
 * with e filled when it could not run or was killed.
 */
static int
run_local(const char *const *argv, const char *cwd, struct strbuf *out,
	  const struct remote_plan *p, struct derr *e)
{
	struct spawn_req req = { .argv = argv,
				 .envp = (const char *const *)environ,
				 .cwd = cwd, .listen_fd = -1 };
	struct spawn_result r;
	struct strbuf bufs[2] = { STRBUF_INIT, STRBUF_INIT };
	struct pollfd fds[2];
	int st = 0;

	if (spawn_worker(&req, &r, e) < 0)
		return -1;
	fds[0] = (struct pollfd){ .fd = r.out_fd, .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = r.err_fd, .events = POLLIN };
	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			struct strbuf *sb = i == 0 && out ? out : &bufs[i];

			if (fds[i].fd < 0 || fds[i].revents == 0)
				continue;
			if (!read_some(fds[i].fd, sb)) {
				close(fds[i].fd);
				fds[i].fd = -1;
			}
			if (sb == &bufs[i] && p != NULL)
				emit_local(p, i + 1, sb, fds[i].fd < 0);
		}
	}
	while (waitpid(r.pid, &st, 0) < 0 && errno == EINTR)
		;
	strbuf_release(&bufs[0]);
	strbuf_release(&bufs[1]);
	if (WIFSIGNALED(st))
		return derr_set(e, "'%s' killed by signal %d", argv[0],
				WTERMSIG(st));
	return WEXITSTATUS(st);
}

/* Run the pre-deploy-local hook. */
int
remote_local_hook(const struct remote_plan *p, const char *cmd,
		  const char *dir, struct derr *e)
{
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	int rc;

	remote_emit(p, "local", 0, "pre-deploy-local:");
	remote_emit(p, "local", 0, cmd);
	rc = run_local(argv, dir, NULL, p, e);
	if (rc > 0)
		return derr_set(e, "pre-deploy-local failed: exit %d", rc);
	return rc < 0 ? -1 : 0;
}

/* Make a temporary file for the archive; a new path. */
static char *
temp_file(struct derr *e)
{
	const char *dir = getenv("TMPDIR");
	char *path = xasprintf("%s/deploy-upload-XXXXXX.tar.gz",
			       dir && *dir ? dir : "/tmp");
	int fd = mkstemps(path, 7);

	if (fd < 0) {
		derr_errno(e, "cannot create '%s'", path);
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

/* Resolve ref and archive it. */
int
remote_local_archive(const char *dir, const char *ref, char **rev,
		     char **file, struct derr *e)
{
	struct strbuf out = STRBUF_INIT;
	char *commit = xasprintf("%s^{commit}", ref);
	const char *parse[] = { "git", "-C", dir, "rev-parse", "-q",
				"--verify", commit, NULL };
	size_t n;
	int rc;

	*rev = *file = NULL;
	rc = run_local(parse, dir, &out, NULL, e);
	free(commit);
	n = strspn(out.buf, "0123456789abcdef");
	if (rc == 0 && n >= 40)
		*rev = xstrndup(out.buf, n);
	strbuf_release(&out);
	if (*rev == NULL)
		return rc < 0 ? -1 : derr_set(e, "no revision '%s' in the git "
					      "repository at '%s'", ref, dir);
	*file = temp_file(e);
	if (*file != NULL) {
		const char *arch[] = { "git", "-C", dir, "archive",
				       "--format=tar.gz", "-o", *file, *rev,
				       NULL };

		rc = run_local(arch, dir, NULL, NULL, e);
		if (rc == 0)
			return 0;
		if (rc > 0)
			derr_set(e, "git archive of '%s' failed: exit %d",
				 ref, rc);
		unlink(*file);
		free(*file);
		*file = NULL;
	}
	free(*rev);
	*rev = NULL;
	return -1;
}

/* nginx_check.c: run `nginx -t` on a config and keep nginx's own message */
#include "core/nginx/nginx_int.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/lib/fileio.h"
#include "core/lib/loop.h"

#define CHECK_TIMEOUT_MS	30000
#define CHECK_OUTPUT_MAX	16384
/* Where nginx lives on Debian when it is not on a user's PATH. */
#define NGINX_SBIN		"/usr/sbin/nginx"
/* What a child that could not exec nginx writes before exiting. */
#define EXEC_FAILED		"deploy-exec-failed "
/* The name of the checked config inside the temporary prefix. */
#define CHECK_NAME		"deploy.conf"

/* In the child: exec t's program with argv (argv[0] replaced), or
 * report why not on stdout (the pipe). */
static void __attribute__((noreturn))
child_exec(const struct ngx_tool *t, char **argv)
{
	char msg[64];
	int len;

	if (t->binary != NULL) {
		argv[0] = (char *)t->binary;
		execvp(t->binary, argv);
	} else {
		argv[0] = (char *)t->name;
		execvp(t->name, argv);
		if (errno == ENOENT && t->fallback != NULL)
			execv(t->fallback, argv);
	}
	len = snprintf(msg, sizeof msg, EXEC_FAILED "%d\n", errno);
	if (write(1, msg, (size_t)len) < 0)
		_exit(127);
	_exit(127);
}

/* Run t's program with argv[1..] (argv[0] is a placeholder), stdin
 * from /dev/null, stdout and stderr into out (or stderr dropped when
 * t->quiet); its exit status, or -1 with e filled. */
int
ngx_run(const struct ngx_tool *t, char **argv, struct strbuf *out,
	struct derr *e)
{
	const char *shown = t->binary ? t->binary : t->name;
	int pfd[2], status, err;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return derr_errno(e, "cannot run %s", shown);
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return derr_errno(e, "cannot run %s", shown);
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null < 0)
			close(0);	/* nothing is read anyway */
		else if (null != 0)
			dup2(null, 0);
		if (dup2(pfd[1], 1) < 0 ||
		    dup2(t->quiet && null >= 0 ? null : pfd[1], 2) < 0)
			_exit(127);
		child_exec(t, argv);
	}
	close(pfd[1]);
	out->cap = CHECK_OUTPUT_MAX;
	err = read_fd_until(pfd[0], out, now_ms() + CHECK_TIMEOUT_MS);
	close(pfd[0]);
	if (err < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return derr_errno(e, "cannot wait for %s", shown);
	if (err < 0)
		return derr_set(e, "%s did not finish in %d s", shown,
				CHECK_TIMEOUT_MS / 1000);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 &&
	    strncmp(out->buf, EXEC_FAILED, strlen(EXEC_FAILED)) == 0)
		return derr_set(e, "cannot run '%s': %s%s", shown,
				strerror(atoi(out->buf + strlen(EXEC_FAILED))),
				t->binary || !t->hint ? "" : t->hint);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* nginx as a tool: binary, else from PATH, else Debian's. */
static struct ngx_tool
nginx_tool(const char *binary)
{
	return (struct ngx_tool){ .name = "nginx", .binary = binary,
		.fallback = NGINX_SBIN,
		.hint = " (set nginx.binary in the file)" };
}

/* The '[' of a "[level]" between line and end, or NULL. */
static const char *
find_level(const char *line, const char *end)
{
	size_t n;

	for (const char *p = line; p < end; p++) {
		if (*p != '[')
			continue;
		n = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz");
		if (n > 0 && p + 1 + n < end && p[1 + n] == ']')
			return p;
	}
	return NULL;
}

/* Past "PID#TID: " at s, or s itself. */
static const char *
skip_pid(const char *s)
{
	const char *p = s + strspn(s, " ");
	size_t n = strspn(p, "0123456789");

	if (n == 0 || p[n] != '#')
		return s;
	p += n + 1;
	n = strspn(p, "0123456789");
	return n > 0 && p[n] == ':' ? p + n + 1 : s;
}

/*
 * nginx's own message from its output: the first line with a level,
 * from the level on ("[emerg] unknown directive ..."), without the pid,
 * with tmp (when not NULL) replaced by name.
 */
static void
nginx_message(const char *output, int status, const char *tmp,
	      const char *name, struct derr *e)
{
	struct strbuf sb = STRBUF_INIT;
	const char *line, *end = output, *lvl = NULL, *s;
	size_t tlen = tmp ? strlen(tmp) : 0;

	for (line = output; *line != '\0'; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		if ((lvl = find_level(line, end)) != NULL)
			break;
	}
	if (lvl == NULL) {
		lvl = output;
		end = strchrnul(output, '\n');
	} else {
		s = strchr(lvl, ']') + 1;
		strbuf_add(&sb, lvl, (size_t)(s - lvl));
		lvl = skip_pid(s);
	}
	while (lvl < end) {
		if (tmp != NULL && strncmp(lvl, tmp, tlen) == 0) {
			strbuf_addstr(&sb, name);
			lvl += tlen;
		} else {
			strbuf_addch(&sb, *lvl++);
		}
	}
	if (sb.len > 0)
		derr_set(e, "nginx -t failed: %s", sb.buf);
	else
		derr_set(e, "nginx -t failed with status %d and no message",
			 status);
	strbuf_release(&sb);
}

/* A directory for the temporary prefix: $TMPDIR when it is safe in a
 * quoted config string, else /tmp. A new string. */
static char *
make_prefix(struct derr *e)
{
	const char *tmpdir = getenv("TMPDIR");
	char *dir;

	if (tmpdir == NULL || tmpdir[0] != '/' ||
	    strpbrk(tmpdir, "\"\\$;{}'\n") != NULL)
		tmpdir = "/tmp";
	dir = xasprintf("%s/deploy-nginx.XXXXXX", tmpdir);
	if (mkdtemp(dir) == NULL) {
		derr_errno(e, "cannot make a directory in '%s'", tmpdir);
		free(dir);
		return NULL;
	}
	return dir;
}

/* nftw callback: remove one entry (children come first). */
static int
remove_entry(const char *path, const struct stat *st, int flag,
	     struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* The main config that includes the checked file, all under dir. */
static char *
main_config(const char *dir)
{
	return xasprintf(
		"# written by deploy to check a generated config\n"
		"pid \"%1$s/nginx.pid\";\n"
		"error_log stderr;\n"
		"worker_processes 1;\n"
		"events {\n"
		"}\n"
		"http {\n"
		"\taccess_log off;\n"
		"\tclient_body_temp_path \"%1$s/client_body\";\n"
		"\tproxy_temp_path \"%1$s/proxy\";\n"
		"\tfastcgi_temp_path \"%1$s/fastcgi\";\n"
		"\tuwsgi_temp_path \"%1$s/uwsgi\";\n"
		"\tscgi_temp_path \"%1$s/scgi\";\n"
		"\tinclude \"%1$s/" CHECK_NAME "\";\n"
		"}\n", dir);
}

/* Run nginx -t on text included in the http block of a temp config. */
int
nginx_check_text(const char *binary, const char *text, size_t len,
		 const char *name, struct derr *e)
{
	struct strbuf out = STRBUF_INIT;
	char *dir = make_prefix(e), *conf = NULL, *main_path = NULL;
	char *file = NULL, *prefix = NULL;
	int rc = -1, status;

	if (dir == NULL)
		return -1;
	conf = main_config(dir);
	main_path = xasprintf("%s/nginx.conf", dir);
	file = xasprintf("%s/" CHECK_NAME, dir);
	prefix = xasprintf("%s/", dir);
	if (write_file_atomic(main_path, conf, strlen(conf), 0644, true,
			      e) < 0 ||
	    write_file_atomic(file, text, len, 0644, true, e) < 0)
		goto out;
	{
		char *argv[] = { NULL, "-t", "-q", "-e", "stderr", "-p",
				 prefix, "-c", main_path, NULL };

		struct ngx_tool t = nginx_tool(binary);

		status = ngx_run(&t, argv, &out, e);
	}
	if (status == 0)
		rc = 0;
	else if (status > 0)
		nginx_message(out.buf, status, file, name, e);
out:
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	strbuf_release(&out);
	free(dir);
	free(conf);
	free(main_path);
	free(file);
	free(prefix);
	return rc;
}

/* Run nginx -t on nginx's own main config. */
int
nginx_check_main(const char *binary, const char *main_conf,
		 struct derr *e)
{
	struct strbuf out = STRBUF_INIT;
	char *argv[] = { NULL, "-t", "-q", "-e", "stderr", "-c",
			 (char *)main_conf, NULL };
	struct ngx_tool t = nginx_tool(binary);
	int status = ngx_run(&t, argv, &out, e);

	if (status > 0)
		nginx_message(out.buf, status, NULL, NULL, e);
	strbuf_release(&out);
	return status == 0 ? 0 : -1;
}

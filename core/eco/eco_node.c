/* eco_node.c: evaluate a JavaScript ecosystem file with Node, as PM2 does */
#include "core/eco/eco_int.h"
#include "core/lib/fileio.h"
#include "core/lib/loop.h"
#include "core/lib/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NODE_TIMEOUT_MS	10000
#define NODE_OUTPUT_MAX	(16 << 20)
#define NODE_NOT_FOUND	"ENOENT-NODE\n"

/*
 * The program node runs: argv[1] the file, argv[2] its name for
 * messages. It loads the file as PM2 does (require; import() for ES
 * modules; a .json file as one JavaScript expression) in the working
 * directory of the command, so __dirname, require('./package.json'),
 * os.cpus() and process.env all work, and writes to fd 3 "OK\n" and the
 * exported object as JSON, or "ERR\n" and one line "FILE:LINE:COL:
 * message" taken from node's own error.
 */
static const char node_program[] =
"'use strict';\n"
"const fs = require('fs'), path = require('path'), url = require('url');\n"
"const vm = require('vm');\n"
"const file = path.resolve(process.argv[1]), shown = process.argv[2];\n"
"function send(s) { fs.writeSync(3, s); process.exit(0); }\n"
"function where(err) {\n"
"  const st = String(err && err.stack || '');\n"
"  const lines = st.split('\\n');\n"
"  const head = /^(?:file:\\/\\/)?(.*):(\\d+)$/.exec(lines[0]);\n"
"  if (head && path.resolve(head[1]) === file) {\n"
"    const col = (lines[2] || '').indexOf('^');\n"
"    return ':' + head[2] + ':' + (col >= 0 ? col + 1 : 1);\n"
"  }\n"
"  const re = /(?:file:\\/\\/)?(\\/[^\\s()]+):(\\d+):(\\d+)/g;\n"
"  let m;\n"
"  while ((m = re.exec(st)) !== null)\n"
"    if (m[1] === file) return ':' + m[2] + ':' + m[3];\n"
"  return '';\n"
"}\n"
"function fail(err) {\n"
"  const msg = err instanceof Error ?\n"
"    (err.name || 'Error') + ': ' + String(err.message).split('\\n')[0] :\n"
"    'thrown: ' + String(err);\n"
"  send('ERR\\n' + shown + where(err) + ': ' + msg);\n"
"}\n"
"function done(v) {\n"
"  if (v && typeof v === 'object' && v.default !== undefined &&\n"
"      v.apps === undefined) v = v.default;\n"
"  if (v === null || typeof v !== 'object')\n"
"    send('ERR\\n' + shown + ': exports no object (module.exports = '\n"
"         + '{ apps: [...] })');\n"
"  send('OK\\n' + JSON.stringify(v));\n"
"}\n"
"process.on('uncaughtException', fail);\n"
"process.on('unhandledRejection', fail);\n"
"if (/\\.json$/.test(file)) {\n"
"  done(vm.runInNewContext('(' + fs.readFileSync(file, 'utf8') + ')', {},\n"
"                          { filename: file, timeout: 1000 }));\n"
"} else if (/\\.mjs$/.test(file)) {\n"
"  import(url.pathToFileURL(file)).then(done, fail);\n"
"} else {\n"
"  let v;\n"
"  try { v = require(file); } catch (e) {\n"
"    if (e && e.code === 'ERR_REQUIRE_ESM')\n"
"      import(url.pathToFileURL(file)).then(done, fail);\n"
"    else fail(e);\n"
"    v = undefined;\n"
"  }\n"
"  if (v !== undefined) done(v);\n"
"}\n";

/* Whether path ends in a JavaScript extension (.js, .cjs, .mjs). */
bool
eco_is_js(const char *path)
{
	const char *dot = strrchr(path, '.');

	return dot != NULL && strchr(dot, '/') == NULL &&
	       (strcmp(dot, ".js") == 0 || strcmp(dot, ".cjs") == 0 ||
		strcmp(dot, ".mjs") == 0);
}

/* In the child: fd 3 is the result pipe, the rest quiet; exec node. */
static void
child(int fd, const char *node, const char *path)
{
	int null = open("/dev/null", O_RDWR);

	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    dup2(null, 2) < 0 || dup2(fd, 3) != 3)
		_exit(127);
	execlp(node, node, "-e", node_program, "--", path, path,
	       (char *)NULL);
	if (write(3, NODE_NOT_FOUND, strlen(NODE_NOT_FOUND)) < 0)
		_exit(127);
	_exit(127);
}

/* Evaluate path with node; out gets the exported object as JSON. */
int
eco_node_eval(const char *path, struct strbuf *out, struct derr *e)
{
	const char *node = getenv("DEPLOY_NODE");
	int pfd[2], status, rc;
	pid_t pid;

	if (node == NULL || *node == '\0')
		node = "node";
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return derr_errno(e, "cannot run node");
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return derr_errno(e, "cannot run node");
	}
	if (pid == 0)
		child(pfd[1], node, path);
	close(pfd[1]);
	out->cap = NODE_OUTPUT_MAX;
	rc = read_fd_until(pfd[0], out, now_ms() + NODE_TIMEOUT_MS);
	close(pfd[0]);
	if (rc < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc < 0)
		return derr_set(e, "%s: node did not finish evaluating it in "
				"%d s", path, NODE_TIMEOUT_MS / 1000);
	if (strcmp(out->buf, NODE_NOT_FOUND) == 0)
		return derr_set(e, "%s: a JavaScript file needs node to read "
				"it, and '%s' is not installed (install node, "
				"or write the file as JSON)", path, node);
	if (strncmp(out->buf, "OK\n", 3) == 0) {
		strbuf_consume(out, 3);
		return 0;
	}
	if (strncmp(out->buf, "ERR\n", 4) == 0)
		return derr_set(e, "%.*s", (int)strcspn(out->buf + 4, "\n"),
				out->buf + 4);
	return derr_set(e, "%s: node failed to evaluate it (%s %d)", path,
			WIFEXITED(status) ? "exit" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) :
			WTERMSIG(status));
}

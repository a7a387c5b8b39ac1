/* eco_app_paths.c: an app's cwd, script (file or $PATH) and log files */
#include "core/eco/eco_int.h"
#include "core/lib/fileio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "~/x" with $HOME for "~"; anything else as it is. Caller frees. */
static char *
expand_home(const char *p)
{
	const char *home = getenv("HOME");

	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0') && home != NULL)
		return xasprintf("%s%s", home, p + 1);
	return xstrdup(p);
}

/* Replace *p by its "~/" expansion made absolute against base. */
static void
resolve_path(char **p, const char *base)
{
	char *home = expand_home(*p), *abs;

	abs = eco_path_join(base, home);
	free(home);
	free(*p);
	*p = abs;
}

/*
 * Find the script: in cwd (the file's folder unless "cwd" is set);
 * without "cwd", then in the directory the command runs in, as PM2
 * does (the file's folder and that directory differ when a file in
 * src/ names "src/app.js"): cwd becomes that directory too, written
 * into the app's object so the daemon runs it the same way. Then a
 * program in $PATH ("npm"). Sets script_path and script_base.
 */
static void
find_script(struct eco_ctx *c, struct eco_app *a, struct eco_appstate *st,
	    bool cwd_given)
{
	char *here = NULL, *p;

	free(a->script_path);
	a->script_path = NULL;
	if (a->shell)
		return;
	p = expand_home(a->script);
	a->script_path = eco_path_join(a->cwd, p);
	a->script_base = cwd_given ? "cwd" : "the file's folder";
	if (path_exists(a->script_path) || p[0] == '/')
		goto out;
	if (!cwd_given && c->cli && (here = getcwd(NULL, 0)) != NULL) {
		free(a->script_path);
		a->script_path = eco_path_join(here, p);
		if (path_exists(a->script_path)) {
			free(a->cwd);
			a->cwd = xstrdup(here);
			a->script_base = "the working directory";
			json_object_set_new(st->obj, "cwd", json_string(here));
			goto out;
		}
	}
	free(a->script_path);
	a->script_path = path_has_program(p) ? xstrdup(p) : NULL;
	a->script_base = a->script_path != NULL ? "PATH" : NULL;
out:
	free(here);
	free(p);
}

/* Whether a log path means no log at all (PM2's "NULL"). */
static bool
null_log(const char *p)
{
	return strcmp(p, "NULL") == 0 || strcmp(p, "/dev/null") == 0;
}

/*
 * Whether the script at path (which has no extension) is for node:
 * PM2 runs such a script (Express's bin/www) with node unless it is a
 * binary. deploy does when its "#!" line names node, or when it is not
 * executable and not a binary.
 */
static bool
node_script(const char *path)
{
	char head[128] = "";
	FILE *f = fopen(path, "r");
	bool exec = access(path, X_OK) == 0;

	if (f == NULL)
		return false;
	if (fgets(head, sizeof head, f) == NULL)
		head[0] = '\0';
	fclose(f);
	if (strncmp(head, "#!", 2) == 0)
		return strstr(head, "node") != NULL;
	return !exec && strncmp(head, "\177ELF", 4) != 0;
}

/* Pick node for an extensionless Node script found as a file. */
static void
extensionless_node(struct eco_app *a, const struct eco_appstate *st)
{
	const char *base = path_base(a->script);

	if (st->has_interpreter || a->shell || a->interpreter != NULL ||
	    strchr(base, '.') != NULL || a->script_path == NULL ||
	    a->script_path[0] != '/' || !node_script(a->script_path))
		return;
	a->interpreter = xstrdup("node");
	if (!st->has_exec_mode && st->has_instances)
		a->exec_mode = ECO_CLUSTER;
}

/* Make cwd absolute (default: the file's directory), then log paths. */
int
eco_finish_paths(struct eco_ctx *c, struct eco_app *a, struct eco_appstate *st)
{
	bool cwd_given = a->cwd != NULL;
	char **logs[2] = { &a->out_file, &a->error_file };

	if (a->cwd == NULL)
		a->cwd = xstrdup(".");
	resolve_path(&a->cwd, c->eco->dir);
	find_script(c, a, st, cwd_given);
	if (a->watch != NULL && a->watch[0] == NULL)
		a->watch = strv_push(a->watch, ".");
	for (size_t i = 0; a->watch != NULL && a->watch[i] != NULL; i++)
		resolve_path(&a->watch[i], a->cwd);
	if (strcmp(a->script, "serve") == 0 && !st->has_interpreter &&
	    (a->script_path == NULL || a->script_path[0] != '/'))
		return eco_fail_key(c, st->obj, eco_script_key(st->obj),
				    "PM2's built-in \"serve\" is not "
				    "supported: serve the folder with nginx, "
				    "or run a static server as the app "
				    "(\"script\": \"npx\", \"args\": \"serve "
				    "-s DIR -l PORT\")");
	extensionless_node(a, st);
	for (size_t i = 0; i < ARRAY_SIZE(logs); i++) {
		if (*logs[i] == NULL)
			continue;
		if (null_log(*logs[i])) {
			free(*logs[i]);
			*logs[i] = xstrdup("/dev/null");
		} else {
			resolve_path(logs[i], a->cwd);
		}
	}
	return 0;
}


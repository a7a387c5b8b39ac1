/* ecosystem.c: load an ecosystem file and check it whole; find, free */
#include "core/eco/eco_int.h"
#include "core/lib/fileio.h"
#include "core/proto/proto.h"
#include "core/lib/strbuf.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FILE_SIZE (16 << 20)

/* deploy's own file (what deploy init writes), PM2's default file and
 * its other forms, then PM2's JSON names. */
static const char *const file_names[] = {
	"ecosystem.json", "ecosystem.config.js", "ecosystem.config.cjs",
	"ecosystem.config.mjs", "ecosystem.config.json", "process.json",
};

/* The absolute directory of path (made from the working directory). */
static char *
abs_dir(const char *path)
{
	char *dir = path_dirname(path), *cwd, *out;

	cwd = dir[0] == '/' ? NULL : getcwd(NULL, 0);
	out = eco_path_join(cwd, dir);
	free(cwd);
	free(dir);
	return out;
}

/* Refuse apps that would not fit in one "up" request to the daemon. */
static int
check_request_size(struct eco_ctx *c)
{
	size_t n = 2;

	for (size_t i = 0; i < c->eco->n_apps; i++)
		n += proto_encoded_size(c->eco->apps[i].raw) + 1;
	if (n <= PROTO_MAX_APPS)
		return 0;
	return derr_set(c->e, "%s: the apps take %zu bytes in a request to "
			"the daemon, over its limit of %d: split them into "
			"several files", c->file, n, PROTO_MAX_APPS);
}

/* Warn when --env names an overlay no app has. */
static void
check_env_name(struct eco_ctx *c)
{
	char *msg;

	if (c->eco->env_name == NULL || c->eco->n_apps == 0)
		return;
	for (size_t i = 0; i < c->eco->n_apps; i++)
		if (c->st[i].overlay != NULL)
			return;
	msg = xasprintf("%s: no app has \"env_%s\" (--env %s)", c->file,
			c->eco->env_name, c->eco->env_name);
	eco_add_warning(c, msg);
}

/*
 * Parse len bytes of text; path names the file in messages. flags
 * fills the context's no_pos and cli. *syntax (may be NULL) tells
 * whether it failed because the text is not JSON.
 */
static struct ecosystem *
parse_text(const char *text, size_t len, const char *path,
	   const char *env_name, const struct eco_ctx *flags, bool *syntax,
	   struct derr *e)
{
	struct eco_ctx c = { .file = path, .e = e, .no_pos = flags->no_pos,
			     .cli = flags->cli, .quiet = flags->quiet };
	struct ecosystem *eco;
	json_error_t je;
	json_t *root;
	char *buf;
	int rc;

	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		text += 3;	/* a byte order mark */
		len -= 3;
	}
	buf = xmalloc(len + 1);
	memcpy(buf, text, len);
	buf[len] = '\0';
	jsonpos_relax(buf, len);
	root = json_loadb(buf, len, 0, &je);
	if (syntax != NULL)
		*syntax = root == NULL;
	if (root == NULL) {
		derr_set(e, "%s:%d:%d: invalid JSON: %s", path, je.line,
			 je.column > 0 ? je.column : 1, je.text);
		free(buf);
		return NULL;
	}
	eco = xcalloc(1, sizeof *eco);
	eco->path = xstrdup(path);
	eco->dir = abs_dir(path);
	eco->env_name = xstrdup(env_name);
	eco->warnings = xcalloc(1, sizeof *eco->warnings);
	c.text = buf;
	c.len = len;
	c.eco = eco;
	if (!c.quiet)
		jsonpos_duplicates(buf, len, eco_dup_warning, &c);
	rc = eco_parse_root(&c, root);
	if (rc == 0)
		rc = check_request_size(&c);
	if (rc == 0) {
		eco_sort_warnings(eco);
		check_env_name(&c);
	}
	json_decref(root);
	jsonpos_index_free(c.ix);
	free(buf);
	free(c.st);
	if (rc < 0) {
		ecosystem_free(eco);
		return NULL;
	}
	return eco;
}

/* Parse an ecosystem held in memory. */
struct ecosystem *
ecosystem_parse(const char *text, const char *path, const char *env_name,
		struct derr *e)
{
	static const struct eco_ctx flags = { 0 };

	return parse_text(text, strlen(text), path, env_name, &flags, NULL,
			  e);
}

/* The same without warnings, for text a client has validated. */
struct ecosystem *
ecosystem_parse_quiet(const char *text, const char *path,
		      const char *env_name, struct derr *e)
{
	static const struct eco_ctx flags = { .quiet = true };

	return parse_text(text, strlen(text), path, env_name, &flags, NULL,
			  e);
}

/*
 * Read and parse an ecosystem file. JavaScript is evaluated by node (as
 * PM2 does); so is a .json file that is not JSON (PM2 reads it as a
 * JavaScript expression: unquoted keys, single quotes), and when node
 * cannot read it either, the JSON error (with its line) is the one
 * reported.
 */
struct ecosystem *
ecosystem_load(const char *path, const char *env_name, struct derr *e)
{
	struct eco_ctx flags = { .cli = true };
	struct strbuf sb = STRBUF_INIT, js = STRBUF_INIT;
	struct ecosystem *eco = NULL;
	struct derr je;
	bool syntax = false;

	if (eco_is_js(path)) {
		flags.no_pos = true;
		if (access(path, R_OK) < 0)
			derr_errno(e, "cannot read '%s'", path);
		else if (eco_node_eval(path, &js, e) == 0)
			eco = parse_text(js.buf, js.len, path, env_name,
					 &flags, NULL, e);
		strbuf_release(&js);
		return eco;
	}
	if (strbuf_read_file(&sb, path, MAX_FILE_SIZE) < 0) {
		derr_errno(e, "cannot read '%s'", path);
		strbuf_release(&sb);
		return NULL;
	}
	eco = parse_text(sb.buf, sb.len, path, env_name, &flags, &syntax, e);
	strbuf_release(&sb);
	if (eco != NULL || !syntax || eco_node_eval(path, &js, &je) < 0) {
		strbuf_release(&js);
		return eco;
	}
	flags.no_pos = true;
	eco = parse_text(js.buf, js.len, path, env_name, &flags, NULL, e);
	strbuf_release(&js);
	return eco;
}

/* The file's top-level value as JSON, read as ecosystem_load does. */
json_t *
ecosystem_read_json(const char *path, struct derr *e)
{
	struct strbuf sb = STRBUF_INIT;
	json_error_t je;
	json_t *root = NULL;

	if (!eco_is_js(path)) {
		if (strbuf_read_file(&sb, path, MAX_FILE_SIZE) < 0) {
			strbuf_release(&sb);
			derr_errno(e, "cannot read '%s'", path);
			return NULL;
		}
		jsonpos_relax(sb.buf, sb.len);
		root = json_loadb(sb.buf, sb.len, 0, &je);
		strbuf_reset(&sb);
	}
	if (root == NULL && eco_node_eval(path, &sb, e) == 0) {
		root = json_loadb(sb.buf, sb.len, 0, &je);
		if (root == NULL)
			derr_set(e, "%s: node's output is not JSON", path);
	}
	strbuf_release(&sb);
	return root;
}

/* Free an ecosystem and all it holds; NULL is a no-op. */
void
ecosystem_free(struct ecosystem *eco)
{
	if (eco == NULL)
		return;
	for (size_t i = 0; i < eco->n_apps; i++)
		eco_app_clear(&eco->apps[i]);
	free(eco->apps);
	for (size_t i = 0; i < eco->n_targets; i++)
		eco_target_clear(&eco->targets[i]);
	free(eco->targets);
	json_decref(eco->nginx);
	strv_free(eco->warnings);
	free(eco->path);
	free(eco->dir);
	free(eco->env_name);
	free(eco);
}

/* The first ecosystem file that exists in dir, or NULL. */
char *
ecosystem_find(const char *dir)
{
	bool here = dir == NULL || strcmp(dir, ".") == 0;
	char *p;

	for (size_t i = 0; i < ARRAY_SIZE(file_names); i++) {
		p = here ? xstrdup(file_names[i]) :
		    xasprintf("%s/%s", dir, file_names[i]);
		if (access(p, F_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

/* Create the missing folder of log file path; add it to *made. */
static int
make_log_dir(const char *path, char ***made, struct derr *e)
{
	char *dir = path_dirname(path);
	int rc = 0;

	if (!path_exists(dir)) {
		rc = mkdir_p(dir, 0755, e);
		if (rc == 0)
			*made = strv_push(*made, dir);
	}
	free(dir);
	return rc;
}

/* Create the missing folders of the apps' log files, as PM2 does. */
int
ecosystem_make_log_dirs(const struct ecosystem *eco, char ***made,
			struct derr *e)
{
	const struct eco_app *a;

	*made = xcalloc(1, sizeof **made);
	for (size_t i = 0; i < eco->n_apps; i++) {
		a = &eco->apps[i];
		if ((a->out_file != NULL &&
		     make_log_dir(a->out_file, made, e) < 0) ||
		    (a->error_file != NULL &&
		     make_log_dir(a->error_file, made, e) < 0))
			return -1;
	}
	return 0;
}

/* The app called name, or NULL. */
const struct eco_app *
ecosystem_app(const struct ecosystem *eco, const char *name)
{
	for (size_t i = 0; eco != NULL && i < eco->n_apps; i++)
		if (strcmp(eco->apps[i].name, name) == 0)
			return &eco->apps[i];
	return NULL;
}

/* The deploy target called name, or NULL. */
const struct eco_target *
ecosystem_target(const struct ecosystem *eco, const char *name)
{
	for (size_t i = 0; eco != NULL && i < eco->n_targets; i++)
		if (strcmp(eco->targets[i].name, name) == 0)
			return &eco->targets[i];
	return NULL;
}

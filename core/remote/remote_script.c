/* remote_script.c: the shell commands run on a host, values quoted */
#include "core/remote/remote_int.h"

#include <stdlib.h>
#include <string.h>

/* Append P/rel: the target path quoted, then a quoted suffix. */
static void
add_path(struct strbuf *sb, const char *path, const char *rel)
{
	remote_quote_path(sb, path);
	if (rel != NULL && *rel != '\0') {
		strbuf_addch(sb, '/');
		remote_quote(sb, rel);
	}
}

/* Append P/releases/name. */
static void
add_release(struct strbuf *sb, const char *path, const char *name)
{
	add_path(sb, path, "releases");
	strbuf_addch(sb, '/');
	remote_quote(sb, name);
}

/* Append a check that P was set up, failing with RSCRIPT_NOT_SET_UP. */
static void
add_set_up_check(struct strbuf *sb, const char *path)
{
	strbuf_addstr(sb, "[ -d ");
	add_path(sb, path, "releases");
	strbuf_addf(sb, " ] || { echo 'not set up: run deploy setup first' "
		    ">&2; exit %d; }; ", RSCRIPT_NOT_SET_UP);
}

/*
 * Take the lock: mkdir is atomic; the holder is written inside. When
 * that write fails (a full disk) the lock goes again: an empty lock
 * would stop every later deploy. An empty one met here is named so.
 */
char *
rscript_lock(const char *path, const char *info)
{
	struct strbuf sb = STRBUF_INIT, dir = STRBUF_INIT;

	add_path(&dir, path, ".deploy-lock");
	add_set_up_check(&sb, path);
	strbuf_addf(&sb, "if mkdir %s 2>/dev/null; then "
		    "if ! e=$(printf '%%s\\n' ", dir.buf);
	remote_quote(&sb, info);
	strbuf_addf(&sb, " 2>&1 >%s/info); then rm -rf %s; "
		    "echo \"cannot write the lock %s/info (disk full?): "
		    "${e:-write failed}\" >&2; exit 1; fi; "
		    "elif [ -d %s ]; then i=$(cat %s/info 2>/dev/null); "
		    "printf 'locked by: %%s\\n' \"${i:-nobody (an empty "
		    "lock; --force-unlock removes it)}\" >&2; exit %d; "
		    "else mkdir %s; exit 1; fi",
		    dir.buf, dir.buf, dir.buf, dir.buf, dir.buf,
		    RSCRIPT_LOCKED, dir.buf);
	strbuf_release(&dir);
	return strbuf_detach(&sb);
}

/* Release the lock when it is still ours (info matches). */
char *
rscript_unlock(const char *path, const char *info)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "if [ \"$(cat ");
	add_path(&sb, path, ".deploy-lock/info");
	strbuf_addstr(&sb, " 2>/dev/null)\" = ");
	remote_quote(&sb, info);
	strbuf_addstr(&sb, " ]; then rm -rf ");
	add_path(&sb, path, ".deploy-lock");
	strbuf_addstr(&sb, "; fi");
	return strbuf_detach(&sb);
}

/* Remove whatever lock there is, printing "unlocked <who held it>". */
char *
rscript_force_unlock(const char *path)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "if [ -d ");
	add_path(&sb, path, ".deploy-lock");
	strbuf_addstr(&sb, " ]; then printf 'unlocked %s\\n' \"$(cat ");
	add_path(&sb, path, ".deploy-lock/info");
	strbuf_addstr(&sb, " 2>/dev/null)\"; rm -rf ");
	add_path(&sb, path, ".deploy-lock");
	strbuf_addstr(&sb, "; fi");
	return strbuf_detach(&sb);
}

/* List releases (complete or partial) and what current points at. */
char *
rscript_list(const char *path)
{
	struct strbuf sb = STRBUF_INIT;

	add_set_up_check(&sb, path);
	strbuf_addstr(&sb, "cd ");
	add_path(&sb, path, "releases");
	strbuf_addstr(&sb, " && for d in *; do [ -d \"$d\" ] || continue; "
		      "if [ -f \"$d/" REMOTE_LEFT_MARK "\" ]; then "
		      "echo \"release $d rolledback\"; "
		      "elif [ -f \"$d/" REMOTE_MARK "\" ]; then "
		      "echo \"release $d complete\"; "
		      "else echo \"release $d partial\"; fi; done; "
		      "c=$(readlink ../current 2>/dev/null) && "
		      "echo \"current ${c##*/}\"; exit 0");
	return strbuf_detach(&sb);
}

/* Point P/repo's origin at the repository, creating the mirror. */
static void
add_repo(struct strbuf *sb, const struct eco_target *t)
{
	strbuf_addstr(sb, "if [ ! -d ");
	add_path(sb, t->path, "repo");
	strbuf_addstr(sb, " ]; then git init -q --bare ");
	add_path(sb, t->path, "repo");
	strbuf_addstr(sb, " && git -C ");
	add_path(sb, t->path, "repo");
	strbuf_addstr(sb, " remote add origin ");
	remote_quote(sb, t->repo);
	strbuf_addstr(sb, "; else git -C ");
	add_path(sb, t->path, "repo");
	strbuf_addstr(sb, " remote set-url origin ");
	remote_quote(sb, t->repo);
	strbuf_addstr(sb, "; fi");
}

/* Append "mkdir -p P/shared/<dir of rel>" (for rel's parent only when
 * parent_only). */
static void
add_shared_mkdir(struct strbuf *sb, const char *path, const char *rel,
		 bool parent_only)
{
	const char *slash = strrchr(rel, '/');
	char *dir;

	if (parent_only && slash == NULL)
		return;
	dir = parent_only ? xstrndup(rel, (size_t)(slash - rel)) :
		xstrdup(rel);
	strbuf_addstr(sb, " && mkdir -p ");
	add_path(sb, path, "shared");
	strbuf_addch(sb, '/');
	remote_quote(sb, dir);
	free(dir);
}

/* Create the layout; idempotent. */
char *
rscript_setup(const struct eco_target *t)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "mkdir -p ");
	add_path(&sb, t->path, "releases");
	strbuf_addch(&sb, ' ');
	add_path(&sb, t->path, "shared");
	for (char **d = t->shared_dirs; *d != NULL; d++)
		add_shared_mkdir(&sb, t->path, *d, false);
	for (char **f = t->shared_files; *f != NULL; f++)
		add_shared_mkdir(&sb, t->path, *f, true);
	if (!t->upload && t->repo != NULL) {
		strbuf_addstr(&sb, " && { ");
		add_repo(&sb, t);
		strbuf_addstr(&sb, "; }");
	}
	return strbuf_detach(&sb);
}

/* Fetch the repository and print the commit ref names. */
char *
rscript_fetch(const struct eco_target *t)
{
	struct strbuf sb = STRBUF_INIT;
	char *ref_commit = xasprintf("%s^{commit}", t->ref);
	char *origin_commit = xasprintf("origin/%s^{commit}", t->ref);

	add_repo(&sb, t);
	strbuf_addstr(&sb, " && git -C ");
	add_path(&sb, t->path, "repo");
	strbuf_addstr(&sb, " fetch -q --prune --tags origin "
		      "'+refs/heads/*:refs/remotes/origin/*' && "
		      "{ git -C ");
	add_path(&sb, t->path, "repo");
	strbuf_addstr(&sb, " rev-parse -q --verify ");
	remote_quote(&sb, ref_commit);
	strbuf_addstr(&sb, " || git -C ");
	add_path(&sb, t->path, "repo");
	strbuf_addstr(&sb, " rev-parse -q --verify ");
	remote_quote(&sb, origin_commit);
	strbuf_addstr(&sb, " || { echo 'no such ref: '");
	remote_quote(&sb, t->ref);
	strbuf_addstr(&sb, " >&2; exit 1; }; }");
	free(ref_commit);
	free(origin_commit);
	return strbuf_detach(&sb);
}

/* Make P/releases/name from rev of the mirror (via a tar file, so
 * that a failed git archive is seen). */
char *
rscript_extract_git(const char *path, const char *name, const char *rev)
{
	struct strbuf sb = STRBUF_INIT, tar = STRBUF_INIT;

	add_path(&tar, path, "releases");
	strbuf_addstr(&tar, "/.");
	remote_quote(&tar, name);
	strbuf_addstr(&tar, ".tar");
	strbuf_addstr(&sb, "mkdir ");
	add_release(&sb, path, name);
	strbuf_addstr(&sb, " && git -C ");
	add_path(&sb, path, "repo");
	strbuf_addf(&sb, " archive --format=tar -o %s ", tar.buf);
	remote_quote(&sb, rev);
	strbuf_addf(&sb, " && tar -xf %s -C ", tar.buf);
	add_release(&sb, path, name);
	strbuf_addf(&sb, " && rm -f %s", tar.buf);
	strbuf_release(&tar);
	return strbuf_detach(&sb);
}

/* Where the upload goes, as SFTP sees it (relative: from home). */
char *
rscript_upload_path(const char *path, const char *name)
{
	const char *p = strncmp(path, "~/", 2) == 0 ? path + 2 : path;

	return xasprintf("%s/releases/.%s.tar.gz", p, name);
}

/* Make P/releases/name from the uploaded archive. */
char *
rscript_extract_upload(const char *path, const char *name)
{
	struct strbuf sb = STRBUF_INIT, tgz = STRBUF_INIT;

	add_path(&tgz, path, "releases");
	strbuf_addstr(&tgz, "/.");
	remote_quote(&tgz, name);
	strbuf_addstr(&tgz, ".tar.gz");
	strbuf_addstr(&sb, "mkdir ");
	add_release(&sb, path, name);
	strbuf_addf(&sb, " && tar -xzf %s -C ", tgz.buf);
	add_release(&sb, path, name);
	strbuf_addf(&sb, " && rm -f %s", tgz.buf);
	strbuf_release(&tgz);
	return strbuf_detach(&sb);
}

/* Append the link of R/rel to P/shared/rel (relative, so that the
 * tree can move). */
static void
add_link(struct strbuf *sb, const char *path, const char *name,
	 const char *rel)
{
	struct strbuf target = STRBUF_INIT;
	const char *slash = strrchr(rel, '/');
	char *full = xasprintf("%s/%s", name, rel);

	strbuf_addstr(&target, "../../");
	for (const char *p = rel; *p != '\0'; p++)
		if (*p == '/')
			strbuf_addstr(&target, "../");
	strbuf_addf(&target, "shared/%s", rel);
	strbuf_addstr(sb, " && rm -rf ");
	add_release(sb, path, full);
	if (slash != NULL) {
		char *parent = xasprintf("%s/%.*s", name, (int)(slash - rel),
					 rel);

		strbuf_addstr(sb, " && mkdir -p ");
		add_release(sb, path, parent);
		free(parent);
	}
	strbuf_addstr(sb, " && ln -s ");
	remote_quote(sb, target.buf);
	strbuf_addch(sb, ' ');
	add_release(sb, path, full);
	strbuf_release(&target);
	free(full);
}

/* Link the shared dirs and files into the release. */
char *
rscript_link(const struct eco_target *t, const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "true");
	for (char **d = t->shared_dirs; *d != NULL; d++) {
		add_shared_mkdir(&sb, t->path, *d, false);
		add_link(&sb, t->path, name, *d);
	}
	for (char **f = t->shared_files; *f != NULL; f++) {
		strbuf_addstr(&sb, " && { [ -e ");
		add_path(&sb, t->path, "shared");
		strbuf_addch(&sb, '/');
		remote_quote(&sb, *f);
		strbuf_addstr(&sb, " ] || { echo 'missing shared file: '");
		remote_quote(&sb, *f);
		strbuf_addstr(&sb, " >&2; exit 1; }; }");
		add_link(&sb, t->path, name, *f);
	}
	return strbuf_detach(&sb);
}

/* Mark the release complete: its revision in REMOTE_MARK. */
char *
rscript_mark(const char *path, const char *name, const char *rev)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "printf '%s\\n' ");
	remote_quote(&sb, rev);
	strbuf_addstr(&sb, " >");
	add_release(&sb, path, name);
	strbuf_addstr(&sb, "/" REMOTE_MARK);
	return strbuf_detach(&sb);
}

/* Mark a release rolled back from (rollback no longer picks it). */
char *
rscript_mark_rolled_back(const char *path, const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "touch ");
	add_release(&sb, path, name);
	strbuf_addstr(&sb, "/" REMOTE_LEFT_MARK);
	return strbuf_detach(&sb);
}

/*
 * Point current at the release: a new symlink beside it, renamed over
 * it (rename is atomic, so current is always one release or the
 * other), then a line in revisions.log. The script fails only when
 * current did not move: a log it cannot write is a warning.
 */
char *
rscript_switch(const char *path, const char *name, const char *log_line)
{
	struct strbuf sb = STRBUF_INIT, tmp = STRBUF_INIT;
	char *target = xasprintf("releases/%s", name);
	char *tmp_name = xasprintf(".current-%s", name);

	add_path(&tmp, path, tmp_name);
	strbuf_addstr(&sb, "[ -f ");
	add_release(&sb, path, name);
	strbuf_addstr(&sb, "/" REMOTE_MARK " ] || { echo 'not a complete "
		      "release: '");
	remote_quote(&sb, name);
	strbuf_addstr(&sb, " >&2; exit 1; }; ln -sfn ");
	remote_quote(&sb, target);
	strbuf_addf(&sb, " %s && mv -Tf %s ", tmp.buf, tmp.buf);
	add_path(&sb, path, "current");
	strbuf_addstr(&sb, " && { printf '%s\\n' ");
	remote_quote(&sb, log_line);
	strbuf_addstr(&sb, " >>");
	add_path(&sb, path, "revisions.log");
	strbuf_addstr(&sb, " || echo 'warning: cannot write revisions.log' "
		      ">&2; }");
	strbuf_release(&tmp);
	free(target);
	free(tmp_name);
	return strbuf_detach(&sb);
}

/* Remove releases (and an upload left beside one). */
char *
rscript_remove(const char *path, char *const *names)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "rm -rf --");
	for (size_t i = 0; names[i] != NULL; i++) {
		char *upload = xasprintf(".%s.tar.gz", names[i]);
		char *tar = xasprintf(".%s.tar", names[i]);

		strbuf_addch(&sb, ' ');
		add_release(&sb, path, names[i]);
		strbuf_addch(&sb, ' ');
		add_release(&sb, path, upload);
		strbuf_addch(&sb, ' ');
		add_release(&sb, path, tar);
		free(upload);
		free(tar);
	}
	return strbuf_detach(&sb);
}

/*
 * Run a command from the file (a hook, or exec's) in a login shell, so
 * that the profile sets PATH (nvm, rbenv...), with vars exported after
 * the profile ran, in dir (NULL: home). The exports go in *input, for
 * the command's stdin: a value there (a secret) is on no command line
 * any user of the host can read with ps.
 */
char *
rscript_hook(const struct eco_env *vars, const char *dir, const char *cmd,
	     char **input)
{
	struct strbuf in = STRBUF_INIT, inner = STRBUF_INIT;
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < vars->n; i++) {
		/* remote_run refuses bad names first; never emit one. */
		if (!remote_env_name_ok(vars->vars[i].name))
			continue;
		strbuf_addf(&in, "export %s=", vars->vars[i].name);
		remote_quote(&in, vars->vars[i].value);
		strbuf_addch(&in, '\n');
	}
	strbuf_addstr(&inner, "eval \"$(cat)\" || exit 1\n");
	if (dir != NULL) {
		strbuf_addstr(&inner, "cd ");
		remote_quote_path(&inner, dir);
		strbuf_addstr(&inner, " || exit 1\n");
	}
	strbuf_addstr(&inner, cmd);
	strbuf_addstr(&sb, "if command -v bash >/dev/null 2>&1; then "
		      "exec bash -lc ");
	remote_quote(&sb, inner.buf);
	strbuf_addstr(&sb, "; else exec sh -lc ");
	remote_quote(&sb, inner.buf);
	strbuf_addstr(&sb, "; fi");
	strbuf_release(&inner);
	*input = strbuf_detach(&in);
	return strbuf_detach(&sb);
}

/*
 * The health gate on the host: GET url every half second until a 2xx
 * answer (curl, else wget), for up to timeout_ms; on failure the last
 * answer on stderr.
 */
char *
rscript_health(const char *url, long timeout_ms)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "u=");
	remote_quote(&sb, url);
	strbuf_addf(&sb, "; end=$(($(date +%%s) + %ld)); while :; do "
		    "if command -v curl >/dev/null 2>&1; then "
		    "c=$(curl -s -o /dev/null -w '%%{http_code}' "
		    "--max-time 5 \"$u\"); else "
		    "c=$(wget -q -S -O /dev/null -T 5 \"$u\" 2>&1 | "
		    "awk '/HTTP\\//{c=$2} END{print c}'); fi; "
		    "case \"$c\" in 2[0-9][0-9]) exit 0;; 000) c=;; esac; "
		    "if [ \"$(date +%%s)\" -ge \"$end\" ]; then "
		    "echo \"health check $u (on the host) failed: "
		    "${c:+HTTP }${c:-no answer}\" >&2; exit 1; fi; "
		    "sleep 0.5; done", (timeout_ms + 999) / 1000);
	return strbuf_detach(&sb);
}

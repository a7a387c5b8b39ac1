/* nginx_apply.c: check, write (keeping .bak), reload, and undo on failure */
#include "core/nginx/nginx_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lib/fileio.h"

/* The largest previous file kept in memory to put back. */
#define PREV_MAX (64 * 1024 * 1024)

/* The file being replaced, as it was. */
struct previous {
	char *path;		/* output, or the file its symlink names */
	bool existed;
	mode_t mode;
	struct strbuf text;
};

/* Read what output holds now (through a symlink). */
static int
read_previous(const char *output, struct previous *p, struct derr *e)
{
	struct stat st;
	char *real = realpath(output, NULL);

	p->path = real ? real : xstrdup(output);
	strbuf_init(&p->text, 0);
	p->mode = 0644;
	if (stat(p->path, &st) < 0) {
		if (errno != ENOENT)
			return derr_errno(e, "cannot read '%s'", output);
		p->existed = false;
		return 0;
	}
	p->existed = true;
	p->mode = st.st_mode & 07777;
	if (strbuf_read_file(&p->text, p->path, PREV_MAX) < 0)
		return derr_errno(e, "cannot read '%s'", output);
	return 0;
}

/* Keep the previous file as output.bak, then write the new one. */
static int
write_new(const struct nginx_apply *a, struct previous *p,
	  struct nginx_outcome *o, struct derr *e)
{
	char *bak;
	int rc = 0;

	if (p->existed) {
		bak = xasprintf("%s.bak", p->path);
		rc = write_file_atomic(bak, p->text.buf, p->text.len, p->mode,
				       true, e);
		free(bak);
		if (rc < 0)
			return -1;
		o->backup = true;
	}
	if (write_file_atomic(p->path, a->text, a->len, p->mode, true, e) < 0)
		return -1;
	o->written = true;
	return 0;
}

/* Put the previous file back (or remove a new one); e gets a note
 * appended when that fails too. */
static void
put_back(struct previous *p, struct nginx_outcome *o, struct derr *e)
{
	struct derr e2;
	char msg[sizeof e->msg];
	int rc;

	if (p->existed)
		rc = write_file_atomic(p->path, p->text.buf, p->text.len,
				       p->mode, true, &e2);
	else if ((rc = unlink(p->path)) < 0)
		derr_errno(&e2, "cannot remove '%s'", p->path);
	if (rc == 0) {
		o->restored = true;
		return;
	}
	memcpy(msg, e->msg, sizeof msg);
	derr_set(e, "%s; and the previous file could not be put back: %s",
		 msg, e2.msg);
}

/* Check, write, check nginx's own config, reload; undo on failure. */
int
nginx_apply(const struct nginx_apply *a, struct nginx_outcome *o,
	    struct derr *e)
{
	struct previous p = { .path = NULL };
	int rc = -1;

	memset(o, 0, sizeof *o);
	strbuf_init(&p.text, 0);
	if (a->output != NULL && read_previous(a->output, &p, e) < 0) {
		o->failed = NGINX_STEP_WRITE;
		goto out;
	}
	o->unchanged = p.existed && p.text.len == a->len &&
		       memcmp(p.text.buf, a->text, a->len) == 0;
	if (o->unchanged && a->skip_same) {
		rc = 0;
		goto out;
	}
	o->failed = NGINX_STEP_CHECK;
	if ((a->check || a->reload) &&
	    nginx_check_text(a->binary, a->text, a->len,
			     a->output ? a->output : "the config", e) < 0)
		goto out;
	o->failed = NGINX_STEP_WRITE;
	if (a->output == NULL) {
		rc = 0;
		goto out;
	}
	if (!o->unchanged && write_new(a, &p, o, e) < 0)
		goto out;
	o->failed = NGINX_STEP_CHECK;
	if ((a->check || a->reload) && a->main_config != NULL &&
	    nginx_check_main(a->binary, a->main_config, e) < 0)
		goto undo;
	o->failed = NGINX_STEP_RELOAD;
	if (a->reload && nginx_signal_reload(a->pid_file ? a->pid_file :
					     NGINX_PID_FILE,
					     a->reload_timeout_ms,
					     &o->reloaded, e) < 0) {
		o->reloaded = 0;
		goto undo;
	}
	o->failed = NGINX_STEP_NONE;
	rc = 0;
	goto out;
undo:
	if (o->written)
		put_back(&p, o, e);
out:
	if (rc == 0)
		o->failed = NGINX_STEP_NONE;
	strbuf_release(&p.text);
	free(p.path);
	return rc;
}

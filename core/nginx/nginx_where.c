/* nginx_where.c: name the place of a bad nginx value in the ecosystem file */
#include "core/nginx/nginx_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/lib/strbuf.h"

/* The most the file is read to find a line number; larger: no line. */
#define WHERE_MAX_FILE (16 * 1024 * 1024)

void
ngx_path_nginx(struct ngx_path *p, size_t app)
{
	p->n = 0;
	if (app != NGX_TOP) {
		ngx_path_key(p, "apps");
		ngx_path_index(p, app);
	}
	ngx_path_key(p, "nginx");
}

/* Append an object key; the key is kept by pointer. */
void
ngx_path_key(struct ngx_path *p, const char *key)
{
	jsonpos_push(p->s, &p->n, NGX_PATH_MAX, key, 0);
}

/* Append an array index. */
void
ngx_path_index(struct ngx_path *p, size_t index)
{
	jsonpos_push(p->s, &p->n, NGX_PATH_MAX, NULL, index);
}

/*
 * The path as it is in the text: PM2 allows the root to be the array
 * of apps, or one app object, and then "apps" (and the index) are not
 * in the file. Returns the first step to look up.
 */
static size_t
text_start(const char *text, size_t len, const struct ngx_path *p)
{
	struct jsonpos pos;
	size_t i = strspn(text, " \t\r\n");

	if (p->n < 2 || p->s[0].key == NULL || strcmp(p->s[0].key, "apps"))
		return 0;
	if (i < len && text[i] == '[')
		return 1;
	if (jsonpos_find(text, len, p->s, 1, 0, &pos) == 1)
		return 0;
	return 2;
}

/* Find the line and column of p in eco's file; 0 when not found. */
static int
locate(const struct ecosystem *eco, const struct ngx_path *p,
       struct jsonpos *pos)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *root;
	size_t from;
	int found = 0;

	if (eco->path == NULL ||
	    strbuf_read_file(&sb, eco->path, WHERE_MAX_FILE) < 0)
		goto out;
	jsonpos_relax(sb.buf, sb.len);
	root = json_loadb(sb.buf, sb.len, 0, NULL);
	if (root == NULL)
		goto out;	/* changed since it was loaded */
	json_decref(root);
	from = text_start(sb.buf, sb.len, p);
	jsonpos_find(sb.buf, sb.len, p->s + from, p->n - from, 0, pos);
	found = pos->line > 0;
out:
	strbuf_release(&sb);
	return found;
}

/* Fill e with "FILE:LINE:COL: PATH: message"; returns -1. */
int
ngx_fail(const struct ecosystem *eco, const struct ngx_path *p,
	 struct derr *e, const char *fmt, ...)
{
	struct jsonpos pos = { 0, 0 };
	char path[256], msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	jsonpos_format(p->s, p->n, path, sizeof path);
	if (locate(eco, p, &pos))
		return derr_set(e, "%s:%d:%d: %s: %s", eco->path, pos.line,
				pos.col, path, msg);
	return derr_set(e, "%s: %s: %s", eco->path ? eco->path : "-", path,
			msg);
}

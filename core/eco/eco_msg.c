/* eco_msg.c: key paths, errors and warnings of a parse, with line:col */
#include "core/eco/eco_int.h"
#include "core/lib/strbuf.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Go one key deeper. */
void
eco_push_key(struct eco_ctx *c, const char *key)
{
	jsonpos_push(c->path, &c->depth, ECO_MAX_DEPTH, key, 0);
}

/* Go one array element deeper. */
void
eco_push_index(struct eco_ctx *c, size_t index)
{
	jsonpos_push(c->path, &c->depth, ECO_MAX_DEPTH, NULL, index);
}

/* "file:line:col: path: message" for the current path; caller frees. */
__attribute__((format(printf, 3, 0)))
static char *
vmessage(struct eco_ctx *c, int at_key, const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonpos pos;
	char path[256];

	jsonpos_format(c->path, c->depth, path, sizeof path);
	if (c->no_pos) {
		strbuf_addf(&sb, "%s: ", c->file);
	} else {
		if (c->ix == NULL)
			c->ix = jsonpos_index_new(c->text, c->len);
		jsonpos_index_find(c->ix, c->path, c->depth, at_key, &pos);
		strbuf_addf(&sb, "%s:%d:%d: ", c->file, pos.line, pos.col);
	}
	if (path[0] != '\0')
		strbuf_addf(&sb, "%s: ", path);
	strbuf_vaddf(&sb, fmt, ap);
	return strbuf_detach(&sb);
}

/* Fail at the value of the current path. */
int
eco_fail(struct eco_ctx *c, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = vmessage(c, 0, fmt, ap);
	va_end(ap);
	derr_set(c->e, "%s", msg);
	free(msg);
	return -1;
}

/* Fail at key of obj (obj at the current path), or at obj. */
int
eco_fail_key(struct eco_ctx *c, json_t *obj, const char *key,
	     const char *fmt, ...)
{
	size_t depth = c->depth;
	va_list ap;
	char *msg;

	if (json_object_get(obj, key) != NULL)
		eco_push_key(c, key);
	va_start(ap, fmt);
	msg = vmessage(c, 0, fmt, ap);
	va_end(ap);
	c->depth = depth;
	derr_set(c->e, "%s", msg);
	free(msg);
	return -1;
}

/*
 * Append msg (taken) to the warnings, which stay NULL-terminated: in
 * amortized constant time, where strv_push counts and copies the list
 * on each call (a file with 16,000 unknown keys has as many warnings).
 */
void
eco_add_warning(struct eco_ctx *c, char *msg)
{
	ARRAY_GROW(c->eco->warnings, c->cap_warn, c->n_warn + 2);
	c->eco->warnings[c->n_warn++] = msg;
	c->eco->warnings[c->n_warn] = NULL;
}

/* Add a warning pointing at the current path's key. */
void
eco_warn(struct eco_ctx *c, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (c->quiet)
		return;
	va_start(ap, fmt);
	msg = vmessage(c, 1, fmt, ap);
	va_end(ap);
	eco_add_warning(c, msg);
}

/* Warn about a key written twice in one object (the last one counts). */
void
eco_dup_warning(void *ud, const struct jsonpos_step *path, size_t n,
	    struct jsonpos at, struct jsonpos first)
{
	struct eco_ctx *c = ud;
	char p[256], *msg;

	jsonpos_format(path, n, p, sizeof p);
	msg = xasprintf("%s:%d:%d: %s: duplicate key, replaces the one at "
			"line %d", c->file, at.line, at.col, p, first.line);
	eco_add_warning(c, msg);
}

/* Where a warning points, as line * 2^20 + column (no place: last). */
static long
warning_place(const char *w, size_t skip)
{
	int line, col;

	if (strlen(w) <= skip || sscanf(w + skip, ":%d:%d:", &line, &col) != 2)
		return LONG_MAX;
	return (long)line << 20 | col;
}

/* A warning and its place, for sorting. */
struct placed {
	long place;
	size_t order;
	char *w;
};

/* Order by place, then as added (so the sort is stable). */
static int
placed_cmp(const void *a, const void *b)
{
	const struct placed *x = a, *y = b;

	if (x->place != y->place)
		return x->place < y->place ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Order the warnings as their places in the file (a stable sort). */
void
eco_sort_warnings(struct ecosystem *eco)
{
	char **w = eco->warnings;
	size_t n = strv_len(w), skip = strlen(eco->path);
	struct placed *p = xcalloc(n + 1, sizeof *p);

	for (size_t i = 0; i < n; i++)
		p[i] = (struct placed){ warning_place(w[i], skip), i, w[i] };
	qsort(p, n, sizeof *p, placed_cmp);
	for (size_t i = 0; i < n; i++)
		w[i] = p[i].w;
	free(p);
}

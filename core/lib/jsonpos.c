/* jsonpos.c: find paths and repeated keys in a JSON text, by position */
#include "core/lib/jsonpos.h"
#include "core/lib/util.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A cursor over the text that knows its line and column. */
struct scan {
	const char *p, *end;
	struct jsonpos pos;
};

/* State of a walk looking for repeated keys. */
struct dupwalk {
	jsonpos_dup_fn fn;
	void *ud;
	struct jsonpos_step *path;
	size_t n, cap;
};

/* The byte under the cursor, or 0 at the end. */
static char
sc_peek(const struct scan *sc)
{
	return sc->p < sc->end ? *sc->p : '\0';
}

/*
 * Step over one byte. Columns count characters as jansson does: a
 * UTF-8 continuation byte does not start a new column.
 */
static void
sc_next(struct scan *sc)
{
	unsigned char c;

	if (sc->p >= sc->end)
		return;
	c = (unsigned char)*sc->p++;
	if (c == '\n') {
		sc->pos.line++;
		sc->pos.col = 1;
	} else if ((c & 0xC0) != 0x80) {
		sc->pos.col++;
	}
}

/* Skip JSON white space. */
static void
sc_ws(struct scan *sc)
{
	while (sc->p < sc->end && strchr(" \t\r\n", *sc->p) != NULL)
		sc_next(sc);
}

/* Skip a string at the cursor; *s and *e get its raw contents. */
static void
sc_string(struct scan *sc, const char **s, const char **e)
{
	sc_next(sc);
	*s = sc->p;
	while (sc->p < sc->end && *sc->p != '"') {
		if (*sc->p == '\\')
			sc_next(sc);
		sc_next(sc);
	}
	*e = sc->p;
	sc_next(sc);
}

/* Step into '{' or '['; false when it is not there or is empty. */
static bool
sc_enter(struct scan *sc, char open, char close)
{
	if (sc_peek(sc) != open)
		return false;
	sc_next(sc);
	sc_ws(sc);
	if (sc_peek(sc) == close) {
		sc_next(sc);
		return false;
	}
	return sc->p < sc->end;
}

/* After a member or element: true when another one follows. */
static bool
sc_more(struct scan *sc, char close)
{
	sc_ws(sc);
	if (sc_peek(sc) == ',') {
		sc_next(sc);
		sc_ws(sc);
		return sc->p < sc->end;
	}
	if (sc_peek(sc) == close)
		sc_next(sc);
	else
		sc->p = sc->end;	/* not valid JSON: stop here */
	return false;
}

/* Read a member's key and its ':'; the cursor ends on the value. */
static bool
sc_key(struct scan *sc, const char **s, const char **e, struct jsonpos *at)
{
	if (sc_peek(sc) != '"') {
		sc->p = sc->end;
		return false;
	}
	*at = sc->pos;
	sc_string(sc, s, e);
	sc_ws(sc);
	if (sc_peek(sc) == ':')
		sc_next(sc);
	sc_ws(sc);
	return true;
}

/* Skip the value at the cursor. */
static void
sc_value(struct scan *sc)
{
	const char *s, *e;
	struct jsonpos at;

	switch (sc_peek(sc)) {
	case '"':
		sc_string(sc, &s, &e);
		break;
	case '{':
		if (!sc_enter(sc, '{', '}'))
			break;
		do {
			if (!sc_key(sc, &s, &e, &at))
				break;
			sc_value(sc);
		} while (sc_more(sc, '}'));
		break;
	case '[':
		if (!sc_enter(sc, '[', ']'))
			break;
		do
			sc_value(sc);
		while (sc_more(sc, ']'));
		break;
	default:
		while (sc->p < sc->end && !strchr(" \t\r\n,]}:", *sc->p))
			sc_next(sc);
	}
}

/* Append code point cp to out as UTF-8. */
static char *
put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		*out++ = (char)cp;
	} else if (cp < 0x800) {
		*out++ = (char)(0xC0 | cp >> 6);
		*out++ = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*out++ = (char)(0xE0 | cp >> 12);
		*out++ = (char)(0x80 | (cp >> 6 & 0x3F));
		*out++ = (char)(0x80 | (cp & 0x3F));
	} else {
		*out++ = (char)(0xF0 | cp >> 18);
		*out++ = (char)(0x80 | (cp >> 12 & 0x3F));
		*out++ = (char)(0x80 | (cp >> 6 & 0x3F));
		*out++ = (char)(0x80 | (cp & 0x3F));
	}
	return out;
}

/* Read 4 hex digits at s (bounded by e); -1 when they are not there. */
static long
hex4(const char *s, const char *e)
{
	char buf[5];
	char *end;
	long v;

	if (e - s < 4)
		return -1;
	memcpy(buf, s, 4);
	buf[4] = '\0';
	v = strtol(buf, &end, 16);
	return *end == '\0' ? v : -1;
}

/* Decode the raw contents of a JSON string; caller frees. */
static char *
decode(const char *s, const char *e)
{
	static const char from[] = "bfnrt", to[] = "\b\f\n\r\t";
	char *out = xmalloc((size_t)(e - s) + 1), *o = out;
	const char *q;
	long cp, lo;

	while (s < e) {
		if (*s != '\\' || s + 1 >= e) {
			*o++ = *s++;
			continue;
		}
		s++;
		q = strchr(from, *s);
		if (*s != '\0' && q != NULL) {
			*o++ = to[q - from];
			s++;
		} else if (*s == 'u' && (cp = hex4(s + 1, e)) >= 0) {
			s += 5;
			if (cp >= 0xD800 && cp < 0xDC00 && e - s >= 6 &&
			    s[0] == '\\' && s[1] == 'u' &&
			    (lo = hex4(s + 2, e)) >= 0xDC00 && lo < 0xE000) {
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				     (lo - 0xDC00);
				s += 6;
			}
			o = put_utf8(o, (uint32_t)cp);
		} else {
			*o++ = *s++;	/* \" \\ \/ */
		}
	}
	*o = '\0';
	return out;
}

/* One member of a container: its key (objects) and where its value is. */
struct jp_member {
	char *key;		/* decoded; NULL in an array */
	struct jsonpos keyat;	/* the key's place (an element's own) */
	struct scan val;	/* a cursor on the value */
	size_t order;		/* place among the members */
};

/* A container scanned once; an object's members sorted by key. */
struct jp_box {
	size_t off;		/* of its '{' or '[' in the text */
	char type;		/* '{', '[', or 0: a slot not in use */
	struct jp_member *m;
	size_t n;
};

/*
 * The containers found so far, by offset (open addressing): each is
 * scanned the first time a path goes through it, so any number of
 * lookups costs one pass over the text plus a binary search per step.
 */
struct jsonpos_index {
	const char *text;
	size_t len;
	struct jp_box *slots;
	size_t nslots, used;
};

/* Order members by key, then by place (the last of a key wins). */
static int
member_cmp(const void *a, const void *b)
{
	const struct jp_member *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Scan the container at sc into box (which records its type). */
static void
box_scan(struct jp_box *box, struct scan sc)
{
	const char *s, *e;
	size_t cap = 0;
	struct jsonpos at;
	char close = box->type == '{' ? '}' : ']';

	if (!sc_enter(&sc, box->type, close))
		return;
	do {
		struct jp_member m = { NULL, sc.pos, sc, box->n };

		if (box->type == '{') {
			if (!sc_key(&sc, &s, &e, &at))
				break;
			m.key = decode(s, e);
			m.keyat = at;
			m.val = sc;
		}
		ARRAY_GROW(box->m, cap, box->n + 1);
		box->m[box->n++] = m;
		sc_value(&sc);
	} while (sc_more(&sc, close));
	if (box->type == '{' && box->n > 1)
		qsort(box->m, box->n, sizeof *box->m, member_cmp);
}

/* The slot for offset off: its box, or the free slot where it goes. */
static struct jp_box *
ix_slot(struct jsonpos_index *ix, size_t off)
{
	size_t h = (size_t)((off * 0x9E3779B97F4A7C15ull) >> 17);

	for (size_t i = h & (ix->nslots - 1); ;
	     i = (i + 1) & (ix->nslots - 1))
		if (ix->slots[i].type == 0 || ix->slots[i].off == off)
			return &ix->slots[i];
}

/* Double the table (kept at most half full). */
static void
ix_grow(struct jsonpos_index *ix)
{
	struct jp_box *old = ix->slots;
	size_t n = ix->nslots;

	ix->nslots = n ? n * 2 : 16;
	ix->slots = xcalloc(ix->nslots, sizeof *ix->slots);
	for (size_t i = 0; i < n; i++)
		if (old[i].type != 0)
			*ix_slot(ix, old[i].off) = old[i];
	free(old);
}

/* The container at sc, scanned on first use; NULL when sc is none. */
static const struct jp_box *
ix_box(struct jsonpos_index *ix, const struct scan *sc)
{
	struct jp_box *box;
	char c = sc_peek(sc);

	if (c != '{' && c != '[')
		return NULL;
	if ((ix->used + 1) * 2 > ix->nslots)
		ix_grow(ix);
	box = ix_slot(ix, (size_t)(sc->p - ix->text));
	if (box->type == 0) {
		box->off = (size_t)(sc->p - ix->text);
		box->type = c;
		ix->used++;
		box_scan(box, *sc);
	}
	return box;
}

/* The last member of box with key, or NULL. */
static const struct jp_member *
box_key(const struct jp_box *box, const char *key)
{
	size_t lo = 0, hi = box->n;

	/* The first member whose key is greater than key. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(box->m[mid].key, key) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || strcmp(box->m[lo - 1].key, key) != 0)
		return NULL;
	return &box->m[lo - 1];
}

/*
 * Take one step from the container at sc. On success *hit is a cursor
 * on the value and *keyat the position of its key (for objects).
 */
static bool
find_step(struct jsonpos_index *ix, const struct scan *sc,
	  const struct jsonpos_step *st, struct scan *hit,
	  struct jsonpos *keyat)
{
	const struct jp_box *box = ix_box(ix, sc);
	const struct jp_member *m = NULL;

	if (box == NULL)
		return false;
	if (st->key == NULL && box->type == '[' && st->index < box->n)
		m = &box->m[st->index];
	else if (st->key != NULL && box->type == '{')
		m = box_key(box, st->key);
	if (m == NULL)
		return false;
	*hit = m->val;
	*keyat = m->keyat;
	return true;
}

/* An empty index over text. */
struct jsonpos_index *
jsonpos_index_new(const char *text, size_t len)
{
	struct jsonpos_index *ix = xcalloc(1, sizeof *ix);

	ix->text = text;
	ix->len = len;
	ix_grow(ix);
	return ix;
}

/* Free the index and every container it scanned. */
void
jsonpos_index_free(struct jsonpos_index *ix)
{
	if (ix == NULL)
		return;
	for (size_t i = 0; i < ix->nslots; i++) {
		for (size_t k = 0; k < ix->slots[i].n; k++)
			free(ix->slots[i].m[k].key);
		free(ix->slots[i].m);
	}
	free(ix->slots);
	free(ix);
}

/* Find the value (or key) at path through the index. */
size_t
jsonpos_index_find(struct jsonpos_index *ix,
		   const struct jsonpos_step *path, size_t n, int want_key,
		   struct jsonpos *pos)
{
	struct scan sc = { ix->text, ix->text + ix->len, { 1, 1 } };
	struct scan hit;
	struct jsonpos keyat;
	size_t i;

	sc_ws(&sc);
	*pos = sc.pos;
	for (i = 0; i < n; i++) {
		if (!find_step(ix, &sc, &path[i], &hit, &keyat))
			break;
		sc = hit;
		*pos = want_key && i + 1 == n && path[i].key ? keyat : sc.pos;
	}
	return i;
}

/* Find the value (or key) at path; returns the steps matched. */
size_t
jsonpos_find(const char *text, size_t len, const struct jsonpos_step *path,
	     size_t n, int want_key, struct jsonpos *pos)
{
	struct jsonpos_index *ix = jsonpos_index_new(text, len);
	size_t found = jsonpos_index_find(ix, path, n, want_key, pos);

	jsonpos_index_free(ix);
	return found;
}

/* Push a step on the walk's path. */
static void
walk_push(struct dupwalk *w, const char *key, size_t index)
{
	ARRAY_GROW(w->path, w->cap, w->n + 1);
	w->path[w->n].key = key;
	w->path[w->n].index = index;
	w->n++;
}

/*
 * Report each key of an object that repeats an earlier one, against
 * the first: sorted by key, repeats are neighbours (n log n, where
 * comparing each key to those before it was quadratic).
 */
static void
report_repeats(struct dupwalk *w, struct jp_member *seen, size_t n)
{
	size_t first = 0;

	qsort(seen, n, sizeof *seen, member_cmp);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(seen[i].key, seen[first].key) != 0) {
			first = i;
			continue;
		}
		walk_push(w, seen[i].key, 0);
		w->fn(w->ud, w->path, w->n, seen[i].keyat,
		      seen[first].keyat);
		w->n--;
	}
}

/* Walk the value at sc, reporting repeated keys of every object. */
static void
walk(struct scan *sc, struct dupwalk *w)
{
	struct jp_member *seen = NULL;	/* the object's keys (no values) */
	size_t nseen = 0, cap = 0, i = 0;
	const char *s, *e;
	struct jsonpos at;

	if (sc_peek(sc) == '[') {
		if (!sc_enter(sc, '[', ']'))
			return;
		do {
			walk_push(w, NULL, i++);
			walk(sc, w);
			w->n--;
		} while (sc_more(sc, ']'));
		return;
	}
	if (sc_peek(sc) != '{') {
		sc_value(sc);
		return;
	}
	if (!sc_enter(sc, '{', '}'))
		return;
	do {
		if (!sc_key(sc, &s, &e, &at))
			break;
		ARRAY_GROW(seen, cap, nseen + 1);
		seen[nseen].key = decode(s, e);
		seen[nseen].keyat = at;
		seen[nseen].order = nseen;
		walk_push(w, seen[nseen].key, 0);
		nseen++;
		walk(sc, w);
		w->n--;
	} while (sc_more(sc, '}'));
	report_repeats(w, seen, nseen);
	for (i = 0; i < nseen; i++)
		free(seen[i].key);
	free(seen);
}

/* Report every repeated key in the text. */
void
jsonpos_duplicates(const char *text, size_t len, jsonpos_dup_fn fn, void *ud)
{
	struct scan sc = { text, text + len, { 1, 1 } };
	struct dupwalk w = { fn, ud, NULL, 0, 0 };

	sc_ws(&sc);
	walk(&sc, &w);
	free(w.path);
}

/* Blank comments and trailing commas, keeping newlines. */
void
jsonpos_relax(char *text, size_t len)
{
	char *p = text, *end = text + len, *comma = NULL, *close;

	while (p < end) {
		if (*p == '"') {
			comma = NULL;
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\' && p + 1 < end)
					p++;
			p++;
		} else if (*p == '/' && p + 1 < end && p[1] == '/') {
			for (; p < end && *p != '\n'; p++)
				*p = ' ';
		} else if (*p == '/' && p + 1 < end && p[1] == '*') {
			close = memmem(p + 2, (size_t)(end - p - 2), "*/", 2);
			if (close == NULL)
				return;	/* unterminated: jansson says so */
			for (; p < close + 2; p++)
				if (*p != '\n')
					*p = ' ';
		} else {
			if ((*p == '}' || *p == ']') && comma != NULL)
				*comma = ' ';
			if (*p == ',')
				comma = p;
			else if (strchr(" \t\r\n", *p) == NULL)
				comma = NULL;
			p++;
		}
	}
}

/* Whether key can be written after a '.' in a path. */
static bool
plain_key(const char *key)
{
	if (*key == '\0')
		return false;
	return strspn(key, "abcdefghijklmnopqrstuvwxyz"
		      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-$") ==
	       strlen(key);
}

/* Format a path as apps[2].env.PORT (odd keys as ["a.b"]). */
void
jsonpos_format(const struct jsonpos_step *path, size_t n, char *buf,
	       size_t size)
{
	size_t len = 0;
	int w;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++) {
		if (path[i].key == NULL)
			w = snprintf(buf + len, size - len, "[%zu]",
				     path[i].index);
		else if (plain_key(path[i].key))
			w = snprintf(buf + len, size - len, "%s%s",
				     i > 0 ? "." : "", path[i].key);
		else
			w = snprintf(buf + len, size - len, "[\"%s\"]",
				     path[i].key);
		if (w < 0)
			break;
		len += (size_t)w;
	}
}

/* Append one step to a path. */
void
jsonpos_push(struct jsonpos_step *path, size_t *n, size_t max,
	     const char *key, size_t index)
{
	if (*n == max)
		fatal("JSON path deeper than %zu", max);
	path[*n].key = key;
	path[*n].index = index;
	(*n)++;
}

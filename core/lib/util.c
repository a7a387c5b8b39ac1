/* util.c: allocation helpers that never fail, and the caller-owned error */
#include "core/lib/util.h"
#include "core/lib/exitcode.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void (*fatal_hook)(void);

/* Remember the function fatal() calls before exiting. */
void
set_fatal_hook(void (*hook)(void))
{
	fatal_hook = hook;
}

/* Print a fatal error, restore what needs restoring, exit 70. */
void
fatal(const char *fmt, ...)
{
	va_list ap;

	if (fatal_hook != NULL)
		fatal_hook();
	fputs("deploy: fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_INTERNAL);
}

#define DERR_CUT "..."

/* True for a UTF-8 continuation byte (10xxxxxx). */
static bool
utf8_cont(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

/*
 * Copy msg into e. One too long keeps its start and its end (where the
 * reason is) and gives up the middle, marked "...", never cutting a
 * UTF-8 character in two.
 */
static void
derr_fit(struct derr *e, const char *msg)
{
	size_t len = strlen(msg), room = sizeof e->msg - 1, head, tail;

	if (len <= room) {
		memcpy(e->msg, msg, len + 1);
		return;
	}
	head = (room - strlen(DERR_CUT)) / 2;
	tail = room - strlen(DERR_CUT) - head;
	while (head > 0 && utf8_cont(msg[head]))
		head--;
	while (tail > 0 && utf8_cont(msg[len - tail]))
		tail--;
	memcpy(e->msg, msg, head);
	memcpy(e->msg + head, DERR_CUT, strlen(DERR_CUT));
	memcpy(e->msg + head + strlen(DERR_CUT), msg + len - tail, tail + 1);
}

/* Fill e with a formatted message; returns -1. */
int
derr_set(struct derr *e, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	derr_fit(e, msg);
	free(msg);
	return -1;
}

/* Fill e with a formatted message and strerror(errno); returns -1. */
int
derr_errno(struct derr *e, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	char *msg, *full;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	full = xasprintf("%s: %s", msg, strerror(saved));
	derr_fit(e, full);
	free(full);
	free(msg);
	errno = saved;
	return -1;
}

/* malloc that never returns NULL. */
void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		fatal("out of memory (%zu bytes)", n);
	return p;
}

/* calloc that never returns NULL. */
void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		fatal("out of memory (%zu x %zu bytes)", nmemb, size);
	return p;
}

/* realloc that never returns NULL. */
void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		fatal("out of memory (%zu bytes)", n);
	return q;
}

/* strdup that never returns NULL; xstrdup(NULL) is NULL. */
char *
xstrdup(const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	p = strdup(s);
	if (p == NULL)
		fatal("out of memory");
	return p;
}

/* strndup that never returns NULL. */
char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		fatal("out of memory");
	return p;
}

/* vasprintf that never fails; caller frees. */
char *
xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		fatal("out of memory");
	return s;
}

/* asprintf that never fails; caller frees. */
char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

/* Grow an array to hold at least n elements, doubling its capacity. */
void
grow_array(void **arr, size_t *cap, size_t n, size_t sz)
{
	size_t c = *cap;

	if (n <= c)
		return;
	if (c < 8)
		c = 8;
	while (c < n)
		c *= 2;
	*arr = xrealloc(*arr, c * sz);
	*cap = c;
}

/* Free a NULL-terminated string array. */
void
strv_free(char **v)
{
	if (v == NULL)
		return;
	for (char **p = v; *p != NULL; p++)
		free(*p);
	free(v);
}

/* Count the strings of a NULL-terminated array (NULL counts 0). */
size_t
strv_len(char *const *v)
{
	size_t n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

/* Deep-copy a NULL-terminated string array. */
char **
strv_dup(char *const *v)
{
	size_t n = strv_len(v);
	char **out = xcalloc(n + 1, sizeof *out);

	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

/* Append a copy of s; returns the (possibly moved) array. */
char **
strv_push(char **v, const char *s)
{
	size_t n = strv_len(v);

	v = xrealloc(v, (n + 2) * sizeof *v);
	v[n] = xstrdup(s);
	v[n + 1] = NULL;
	return v;
}

/* c in lower case when it is an ASCII letter. */
static int
tolower_ascii(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Edit distance (with swaps of neighbours), case-insensitive. */
size_t
str_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), w = lb + 1, best;
	size_t *d = xcalloc((la + 1) * w, sizeof *d);
	size_t i, j, cost;
	int (*lc)(int) = tolower_ascii;

	for (i = 0; i <= la; i++)
		d[i * w] = i;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			cost = lc(a[i - 1]) != lc(b[j - 1]);
			best = d[(i - 1) * w + j] + 1;
			if (d[i * w + j - 1] + 1 < best)
				best = d[i * w + j - 1] + 1;
			if (d[(i - 1) * w + j - 1] + cost < best)
				best = d[(i - 1) * w + j - 1] + cost;
			if (i > 1 && j > 1 &&
			    lc(a[i - 1]) == lc(b[j - 2]) &&
			    lc(a[i - 2]) == lc(b[j - 1]) &&
			    d[(i - 2) * w + j - 2] + 1 < best)
				best = d[(i - 2) * w + j - 2] + 1;
			d[i * w + j] = best;
		}
	}
	best = d[la * w + lb];
	free(d);
	return best;
}

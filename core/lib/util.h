/* util.h: allocation helpers that never fail, and the caller-owned error */
#ifndef DEPLOY_UTIL_H
#define DEPLOY_UTIL_H

#include <stddef.h>
#include <stdarg.h>

/* An error message filled by core functions; the caller owns it. */
struct derr {
	char msg[256];
};

/*
 * Fill e (if not NULL) with a formatted message; always returns -1. A
 * message longer than msg keeps its start and its end (the reason) and
 * loses the middle, marked "...".
 */
int derr_set(struct derr *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Like derr_set, with ": strerror(errno)" appended (and kept); errno
   is left as it was. */
int derr_errno(struct derr *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print "deploy: fatal: ..." to stderr, run the fatal hook, exit. */
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* A function fatal() calls before exiting (the UI restores the terminal). */
void set_fatal_hook(void (*hook)(void));

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Allocate a formatted string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* Grow *arr (of *cap elements of size sz) so it holds at least n. */
void grow_array(void **arr, size_t *cap, size_t n, size_t sz);
#define ARRAY_GROW(arr, cap, n) \
	grow_array((void **)&(arr), &(cap), (n), sizeof(*(arr)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Free a NULL-terminated array of strings and the array itself. */
void strv_free(char **v);
/* Number of strings in a NULL-terminated array. */
size_t strv_len(char *const *v);
/* Copy a NULL-terminated array of strings; caller frees with strv_free. */
char **strv_dup(char *const *v);
/* Append a copy of s to a NULL-terminated array; returns the new array. */
char **strv_push(char **v, const char *s);

/* Edit distance of a and b, case-insensitive (ASCII), a swap of two
   neighbours counting one: for "did you mean". */
size_t str_edit_distance(const char *a, const char *b);

#endif

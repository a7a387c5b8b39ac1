/* strbuf.h: a growable string; buf is never NULL and always NUL-terminated */
#ifndef DEPLOY_STRBUF_H
#define DEPLOY_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
	size_t cap;		/* 0: unbounded; else appends stop at cap */
	bool truncated;		/* an append was cut at cap */
};

#define STRBUF_INIT { .buf = strbuf_empty, .len = 0, .alloc = 0, .cap = 0 }
extern char strbuf_empty[];

void strbuf_init(struct strbuf *sb, size_t cap);
/* Free the buffer and reset sb to empty. */
void strbuf_release(struct strbuf *sb);
/* Detach the buffer (caller frees) and reset sb. */
char *strbuf_detach(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
void strbuf_add(struct strbuf *sb, const void *data, size_t n);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* Drop the first n bytes. */
void strbuf_consume(struct strbuf *sb, size_t n);
/* Append the whole of file path; returns 0 or -1 with errno set. */
int strbuf_read_file(struct strbuf *sb, const char *path, size_t limit);

#endif

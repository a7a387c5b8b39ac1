/* strbuf.c: a growable, optionally capped string buffer */
#include "core/lib/strbuf.h"
#include "core/lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char strbuf_empty[1];

/* Start an empty buffer; cap 0 means unbounded. */
void
strbuf_init(struct strbuf *sb, size_t cap)
{
	sb->buf = strbuf_empty;
	sb->len = sb->alloc = 0;
	sb->cap = cap;
	sb->truncated = false;
}

/* Free the memory and leave sb empty (keeps its cap). */
void
strbuf_release(struct strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	strbuf_init(sb, sb->cap);
}

/* Hand the buffer to the caller (always malloc'd) and reset sb. */
char *
strbuf_detach(struct strbuf *sb)
{
	char *s = sb->alloc ? sb->buf : xstrdup("");

	strbuf_init(sb, sb->cap);
	return s;
}

/* Empty the buffer but keep its memory. */
void
strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->alloc)
		sb->buf[0] = '\0';
	sb->truncated = false;
}

/* Make room for n more bytes plus the NUL. */
static void
strbuf_grow(struct strbuf *sb, size_t n)
{
	size_t want = sb->len + n + 1;

	if (want <= sb->alloc)
		return;
	if (sb->alloc == 0)
		sb->buf = NULL;
	sb->alloc = sb->alloc ? sb->alloc : 64;
	while (sb->alloc < want)
		sb->alloc *= 2;
	sb->buf = xrealloc(sb->buf, sb->alloc);
	if (sb->len == 0)
		sb->buf[0] = '\0';
}

/* Append n bytes, cut at the cap when there is one. */
void
strbuf_add(struct strbuf *sb, const void *data, size_t n)
{
	if (sb->cap && sb->len + n > sb->cap) {
		n = sb->cap > sb->len ? sb->cap - sb->len : 0;
		sb->truncated = true;
	}
	if (n == 0)
		return;
	strbuf_grow(sb, n);
	memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

/* Append a C string. */
void
strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

/* Append one character. */
void
strbuf_addch(struct strbuf *sb, char c)
{
	strbuf_add(sb, &c, 1);
}

/* Append formatted text. */
void
strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	char small[256];
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(small, sizeof small, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		strbuf_add(sb, small, (size_t)n);
		return;
	}
	char *big = xvasprintf(fmt, ap);
	strbuf_add(sb, big, (size_t)n);
	free(big);
}

/* Append formatted text. */
void
strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

/* Remove the first n bytes. */
void
strbuf_consume(struct strbuf *sb, size_t n)
{
	if (n >= sb->len) {
		strbuf_reset(sb);
		return;
	}
	memmove(sb->buf, sb->buf + n, sb->len - n);
	sb->len -= n;
	sb->buf[sb->len] = '\0';
}

/* Append a file's content, at most limit bytes (0: no limit). */
int
strbuf_read_file(struct strbuf *sb, const char *path, size_t limit)
{
	char chunk[8192];
	size_t total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		if (limit && total + (size_t)n > limit) {
			close(fd);
			errno = EFBIG;
			return -1;
		}
		strbuf_add(sb, chunk, (size_t)n);
		total += (size_t)n;
	}
	close(fd);
	return 0;
}

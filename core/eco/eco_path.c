/* eco_path.c: join a path to a folder and tidy ".", ".." and "//" */
#include "core/eco/eco_int.h"
#include "core/lib/strbuf.h"

#include <stdlib.h>
#include <string.h>

/* Whether the path in sb (past its root) ends with a ".." part. */
static bool
ends_in_dotdot(const struct strbuf *sb, size_t root)
{
	return sb->len >= root + 2 &&
	       strcmp(sb->buf + sb->len - 2, "..") == 0 &&
	       (sb->len == root + 2 || sb->buf[sb->len - 3] == '/');
}

/* Join rel to base unless absolute; tidy ".", ".." and "//". */
char *
eco_path_join(const char *base, const char *rel)
{
	char *joined = rel[0] == '/' || base == NULL ? xstrdup(rel) :
		       xasprintf("%s/%s", base, rel);
	struct strbuf sb = STRBUF_INIT;
	const char *p = joined, *q;
	size_t root = *p == '/', n;
	char *slash;

	if (root)
		strbuf_addch(&sb, '/');
	for (; *p != '\0'; p = q) {
		while (*p == '/')
			p++;
		q = strchrnul(p, '/');
		n = (size_t)(q - p);
		if (n == 0 || (n == 1 && *p == '.'))
			continue;
		if (n == 2 && p[0] == '.' && p[1] == '.' && sb.len > root &&
		    !ends_in_dotdot(&sb, root)) {
			slash = strrchr(sb.buf + root, '/');
			sb.len = slash ? (size_t)(slash - sb.buf) : root;
			sb.buf[sb.len] = '\0';
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.' && root)
			continue;	/* "/.." is "/" */
		if (sb.len > root)
			strbuf_addch(&sb, '/');
		strbuf_add(&sb, p, n);
	}
	if (sb.len == 0)
		strbuf_addch(&sb, '.');
	free(joined);
	return strbuf_detach(&sb);
}

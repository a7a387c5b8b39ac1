/* remote_plan.c: a host's releases read back, pruning and rollback picks */
#include "core/remote/remote.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* qsort comparison of two strings. */
static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort a NULL-terminated string array in place. */
static void
sort_strv(char **v)
{
	qsort(v, strv_len(v), sizeof *v, cmp_str);
}

/*
 * Lines: "release NAME complete", "release NAME partial", "current
 * NAME". Names that are not release names are ignored (a stray
 * directory in releases/ is none of ours).
 */
void
remote_listing_parse(const char *text, struct remote_listing *l)
{
	const char *p = text;

	memset(l, 0, sizeof *l);
	l->complete = xcalloc(1, sizeof *l->complete);
	l->partial = xcalloc(1, sizeof *l->partial);
	l->rolled_back = xcalloc(1, sizeof *l->rolled_back);
	while (*p != '\0') {
		size_t n = strcspn(p, "\n");
		char *line = xstrndup(p, n), name[64], state[16];

		if (sscanf(line, "release %63s %15s", name, state) == 2 &&
		    remote_release_ok(name)) {
			if (strcmp(state, "rolledback") == 0)
				l->rolled_back = strv_push(l->rolled_back,
							   name);
			if (strcmp(state, "complete") == 0 ||
			    strcmp(state, "rolledback") == 0)
				l->complete = strv_push(l->complete, name);
			else
				l->partial = strv_push(l->partial, name);
		} else if (sscanf(line, "current %63s", name) == 1 &&
			   remote_release_ok(name)) {
			free(l->current);
			l->current = xstrdup(name);
		}
		free(line);
		p += n;
		if (*p == '\n')
			p++;
	}
	sort_strv(l->complete);
	sort_strv(l->partial);
	sort_strv(l->rolled_back);
}

/* Free what l holds. */
void
remote_listing_clear(struct remote_listing *l)
{
	strv_free(l->complete);
	strv_free(l->partial);
	strv_free(l->rolled_back);
	free(l->current);
	memset(l, 0, sizeof *l);
}

/* True when name is a or b (either may be NULL). */
static bool
is_one_of(const char *name, const char *a, const char *b)
{
	return (a != NULL && strcmp(name, a) == 0) ||
		(b != NULL && strcmp(name, b) == 0);
}

/* The releases to delete. */
char **
remote_prune_plan(const struct remote_listing *l, int keep,
		  const char *keep_also)
{
	char **out = xcalloc(1, sizeof *out);
	size_t n = strv_len(l->complete);
	size_t kept = 0;

	/* Newest first: the first `keep` stay (current among them when
	 * it is one of the newest), and current stays wherever it is. */
	for (size_t i = n; i-- > 0;) {
		const char *name = l->complete[i];

		if (kept++ < (size_t)keep ||
		    is_one_of(name, l->current, keep_also))
			continue;
		out = strv_push(out, name);
	}
	for (size_t i = 0; l->partial[i] != NULL; i++)
		if (!is_one_of(l->partial[i], l->current, keep_also))
			out = strv_push(out, l->partial[i]);
	return out;
}

/* True when name is in the NULL-terminated v (v may be NULL). */
bool
remote_name_in(char *const *v, const char *name)
{
	for (; v != NULL && *v != NULL; v++)
		if (strcmp(*v, name) == 0)
			return true;
	return false;
}

/*
 * The release steps before current. Releases are named in deploy
 * order, and one a rollback left is out of the history: after A, B,
 * rollback (to A), C, one step back from C is A.
 */
char *
remote_rollback_pick(const struct remote_listing *l, int steps,
		     struct derr *e)
{
	size_t n = strv_len(l->complete), at = n, before = 0;

	if (l->current == NULL) {
		derr_set(e, "no current release");
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(l->complete[i], l->current) == 0)
			at = i;
	if (at == n) {
		derr_set(e, "current release '%s' is not a complete release",
			 l->current);
		return NULL;
	}
	for (size_t i = at; i-- > 0;) {
		if (remote_name_in(l->rolled_back, l->complete[i]))
			continue;
		if (++before == (size_t)steps)
			return xstrdup(l->complete[i]);
	}
	derr_set(e, "only %zu release%s before '%s'", before,
		 before == 1 ? "" : "s", l->current);
	return NULL;
}

/* The UTC time a release name's 14-digit stamp stands for, or -1. */
static time_t
release_time(const char *name)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof tm);
	end = strptime(name, "%Y%m%d%H%M%S", &tm);
	if (end == NULL || *end != '-')
		return -1;
	return timegm(&tm);
}

/* The latest stamp among names, or -1 when there is none. */
static time_t
latest_time(char *const *names, time_t latest)
{
	for (; *names != NULL; names++) {
		time_t t = release_time(*names);

		if (t > latest)
			latest = t;
	}
	return latest;
}

/* The name for a release made at t, later than every release on the
   host (one deployed the same second, or stamped by a clock ahead). */
char *
remote_release_next(const struct remote_listing *l, time_t t,
		    const char *rev)
{
	time_t latest = latest_time(l->partial, latest_time(l->complete, -1));

	if (latest >= t)
		t = latest + 1;
	return remote_release_name(t, rev);
}

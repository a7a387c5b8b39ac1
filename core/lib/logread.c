/* logread.c: reading log files: the last N lines, and following */
#include "core/lib/logread.h"
#include "core/lib/fileio.h"
#include "core/lib/logfile.h"
#include "core/lib/strbuf.h"
#include "core/lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bytes read at a time, backwards for tail and forwards for copies. */
#define LR_BLOCK	(64 * 1024)
/* How many rotated names are searched for a followed file that moved. */
#define LR_SCAN_MAX	1000
/* A followed line longer than this is shown in pieces of this size. */
#define LR_CARRY_MAX	(1024 * 1024)
/* Index records read at a time, backwards. */
#define LR_RECS		256

struct logfollow {
	char *path;
	int fd;				/* the file being read */
	dev_t dev;			/* its identity */
	ino_t ino;
	off_t off;			/* bytes of it consumed */
	struct strbuf carry;		/* a last line still without '\n' */
	int ifd;			/* inotify on the directory, or -1 */
};

/* One file's share of a tail: bytes [start, end) of fd. */
struct lr_span {
	int fd;
	bool own;			/* opened here, closed here */
	off_t start, end;
};

/*
 * pread len bytes at off; returns 0, or -1 with errno set (0 when the file
 * ended early: it shrank under us).
 */
static int
lr_pread(int fd, char *buf, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t n = pread(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = 0;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Fill e for a failed read of name (errno 0: it shrank); returns -1. */
static int
lr_read_error(struct derr *e, const char *name)
{
	if (errno == 0)
		return derr_set(e, "'%s' changed while reading it", name);
	return derr_errno(e, "cannot read '%s'", name);
}

/*
 * Find where the last *need lines of bytes [0, end) of fd begin, reading
 * backwards a block at a time. Lowers *need by the lines found.
 */
static int
lr_scan_back(int fd, off_t end, size_t *need, off_t *start, char *buf)
{
	off_t pos = end;
	size_t found = 0;
	bool last = true;

	*start = 0;
	while (pos > 0) {
		size_t len = pos > LR_BLOCK ? LR_BLOCK : (size_t)pos;
		off_t at = pos - (off_t)len;
		size_t i = len;

		if (lr_pread(fd, buf, len, at) < 0)
			return -1;
		/* The file's final '\n' ends the last line, starts none. */
		if (last && buf[len - 1] == '\n')
			i--;
		last = false;
		while (i > 0) {
			char *p = memrchr(buf, '\n', i);

			if (p == NULL)
				break;
			if (++found == *need) {
				*start = at + (p - buf) + 1;
				*need = 0;
				return 0;
			}
			i = (size_t)(p - buf);
		}
		pos = at;
	}
	if (end > 0)
		*need -= found + 1;
	return 0;
}

/* Append bytes [start, end) of fd to out (less if the file shrank). */
static int
lr_copy(int fd, off_t start, off_t end, struct strbuf *out, char *buf)
{
	while (start < end) {
		size_t want = end - start > LR_BLOCK ? LR_BLOCK :
			(size_t)(end - start);
		ssize_t n = pread(fd, buf, want, start);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		strbuf_add(out, buf, (size_t)n);
		start += n;
	}
	return 0;
}

/* Free the entries of t. */
void
logtimes_release(struct logtimes *t)
{
	free(t->us);
	t->us = NULL;
	t->n = t->cap = 0;
}

/*
 * The records of the index of rotated file k of path (fd its log, st
 * its stat) that cover bytes from start on, oldest first, into *recs
 * (caller frees); *head_start: where the index began. Read backwards,
 * stopping at the first record needed or where the offsets go back (the
 * file was truncated and written again). 0 records when there is no
 * index or it is another file's.
 */
static size_t
lr_index(const char *path, int k, const struct stat *st, off_t start,
	 struct logfile_idx_rec **recs, off_t *head_start)
{
	char *name = logfile_index_name(path, k);
	int fd = open(name, O_RDONLY | O_CLOEXEC);
	struct logfile_idx_head h;
	struct logfile_idx_rec buf[LR_RECS], *v = NULL;
	size_t n = 0, cap = 0, left;
	struct stat ist;
	bool done = false;

	free(name);
	*recs = NULL;
	*head_start = 0;
	if (fd < 0)
		return 0;
	if (fstat(fd, &ist) < 0 || lr_pread(fd, (char *)&h, sizeof h, 0) < 0 ||
	    h.ino != (uint64_t)st->st_ino) {
		close(fd);
		return 0;
	}
	*head_start = (off_t)h.start;
	left = ((size_t)ist.st_size - sizeof h) / sizeof *buf;
	while (left > 0 && !done) {
		size_t m = left < LR_RECS ? left : LR_RECS;

		left -= m;
		if (lr_pread(fd, (char *)buf, m * sizeof *buf,
			     (off_t)(sizeof h + left * sizeof *buf)) < 0)
			break;
		while (m-- > 0 && !done) {
			if (n > 0 && buf[m].end > v[n - 1].end) {
				done = true;
				break;
			}
			if (buf[m].end > st->st_size)
				continue;
			ARRAY_GROW(v, cap, n + 1);
			v[n++] = buf[m];
			done = buf[m].end <= start;
		}
	}
	close(fd);
	for (size_t i = 0; i < n / 2; i++) {
		struct logfile_idx_rec tmp = v[i];

		v[i] = v[n - 1 - i];
		v[n - 1 - i] = tmp;
	}
	*recs = v;
	return n;
}

/* Add the write time of each line of text (bytes [start, ...) of
 * rotated file k of path, fd) to t. */
static void
lr_times(const char *path, int k, int fd, off_t start, const char *text,
	 size_t len, struct logtimes *t)
{
	struct logfile_idx_rec *recs;
	struct stat st;
	long long mtime;
	off_t head = 0;
	size_t n = 0, r = 0;

	if (fstat(fd, &st) < 0)
		memset(&st, 0, sizeof st);
	mtime = (long long)st.st_mtim.tv_sec * 1000000 +
		st.st_mtim.tv_nsec / 1000;
	n = lr_index(path, k, &st, start, &recs, &head);
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t next = nl ? (size_t)(nl - text) + 1 : len;
		off_t end = start + (off_t)next;

		while (r < n && recs[r].end < end)
			r++;
		ARRAY_GROW(t->us, t->cap, t->n + 1);
		t->us[t->n++] = end <= head ? LLONG_MIN :
			r < n ? (long long)recs[r].us : mtime;
		i = next;
	}
	free(recs);
}

/* Make the times from index `from` on never decrease. */
static void
lr_times_clamp(struct logtimes *t, size_t from)
{
	for (size_t i = t->n; i-- > from + 1;)
		if (t->us[i - 1] > t->us[i])
			t->us[i - 1] = t->us[i];
}

/*
 * The last n lines: of bytes [0, end0) of fd0 (the current file), then as
 * many as still wanted from path.1, path.2 ... Output oldest first; with
 * t, the time of each line too.
 */
static int
lr_tail(int fd0, off_t end0, const char *path, int max_files, size_t n,
	struct strbuf *out, struct logtimes *t, struct derr *e)
{
	size_t t0 = t ? t->n : 0;
	struct lr_span *spans = NULL;
	size_t need = n, nspans = 0, cap = 0, i;
	char *buf;
	int rc = 0;

	if (n == 0)
		return 0;
	if (max_files < 0)
		max_files = 0;
	buf = xmalloc(LR_BLOCK);
	for (int k = 0; k <= max_files && need > 0 && rc == 0; k++) {
		char *name = logfile_rotated_name(path, k);
		struct lr_span *sp;
		struct stat st;

		ARRAY_GROW(spans, cap, nspans + 1);
		sp = &spans[nspans];
		sp->own = false;
		sp->fd = fd0;
		sp->end = end0;
		if (k > 0) {
			sp->fd = open(name, O_RDONLY | O_CLOEXEC);
			if (sp->fd < 0 && errno == ENOENT) {
				free(name);
				break;
			}
			if (sp->fd < 0) {
				rc = derr_errno(e, "cannot open '%s'", name);
				free(name);
				break;
			}
			sp->own = true;
			sp->end = fstat(sp->fd, &st) == 0 ? st.st_size : 0;
		}
		nspans++;
		if (lr_scan_back(sp->fd, sp->end, &need, &sp->start, buf) < 0)
			rc = lr_read_error(e, name);
		free(name);
	}
	for (i = nspans; i-- > 0 && rc == 0;) {
		size_t before = out->len;

		if (lr_copy(spans[i].fd, spans[i].start, spans[i].end, out,
			    buf) < 0) {
			rc = derr_errno(e, "cannot read '%s'", path);
			break;
		}
		if (t != NULL)
			lr_times(path, (int)i, spans[i].fd, spans[i].start,
				 out->buf + before, out->len - before, t);
		if (i > 0 && out->len > before &&
		    out->buf[out->len - 1] != '\n')
			strbuf_addch(out, '\n');
	}
	for (i = 0; i < nspans; i++)
		if (spans[i].own)
			close(spans[i].fd);
	free(spans);
	free(buf);
	if (t != NULL)
		lr_times_clamp(t, t0);
	return rc;
}

/* The last n lines of path and its rotated files. */
int
logread_tail(const char *path, int max_files, size_t n,
	     struct strbuf *out, struct derr *e)
{
	return logread_tail_timed(path, max_files, n, out, NULL, e);
}

/* The last n lines and when each was written. */
int
logread_tail_timed(const char *path, int max_files, size_t n,
		   struct strbuf *out, struct logtimes *t, struct derr *e)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc;

	if (fd < 0 || fstat(fd, &st) < 0) {
		derr_errno(e, "cannot open '%s'", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rc = lr_tail(fd, st.st_size, path, max_files, n, out, t, e);
	close(fd);
	return rc;
}

/* ---- following ---- */

/* An inotify watch on the directory of path; -1 if unavailable. */
static int
lr_watch(const char *path)
{
	char *dir;
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0)
		return -1;
	dir = path_dirname(path);
	if (inotify_add_watch(fd, dir, IN_MODIFY | IN_CREATE | IN_DELETE |
			      IN_MOVED_FROM | IN_MOVED_TO) < 0) {
		close(fd);
		fd = -1;
	}
	free(dir);
	return fd;
}

/* Follow path from its end. */
struct logfollow *
logfollow_open(const char *path, struct derr *e)
{
	struct logfollow *f;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		derr_errno(e, "cannot open '%s'", path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	f = xcalloc(1, sizeof *f);
	f->path = xstrdup(path);
	f->fd = fd;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->off = S_ISREG(st.st_mode) ? st.st_size : 0;
	strbuf_init(&f->carry, 0);
	f->ifd = lr_watch(path);
	return f;
}

/* The last n lines before the follower's position. */
int
logfollow_tail(struct logfollow *f, int max_files, size_t n,
	       struct strbuf *out, struct derr *e)
{
	return lr_tail(f->fd, f->off, f->path, max_files, n, out, NULL, e);
}

/* The last n lines before the follower's position, with their times. */
int
logfollow_tail_timed(struct logfollow *f, int max_files, size_t n,
		     struct strbuf *out, struct logtimes *t, struct derr *e)
{
	return lr_tail(f->fd, f->off, f->path, max_files, n, out, t, e);
}

/* Pass complete lines of data to out; keep an unfinished one. */
static void
lr_take(struct logfollow *f, struct strbuf *out, const char *data,
	size_t len)
{
	const char *nl = memrchr(data, '\n', len);

	if (nl != NULL) {
		size_t k = (size_t)(nl - data) + 1;

		strbuf_add(out, f->carry.buf, f->carry.len);
		strbuf_reset(&f->carry);
		strbuf_add(out, data, k);
		data += k;
		len -= k;
	}
	strbuf_add(&f->carry, data, len);
	/* A line that never ends is shown in pieces, not held forever. */
	if (f->carry.len >= LR_CARRY_MAX) {
		strbuf_add(out, f->carry.buf, f->carry.len);
		strbuf_reset(&f->carry);
	}
}

/* Leaving a file: its unfinished last line is shown, ended with '\n'. */
static void
lr_leave(struct logfollow *f, struct strbuf *out)
{
	if (f->carry.len == 0)
		return;
	strbuf_add(out, f->carry.buf, f->carry.len);
	strbuf_addch(out, '\n');
	strbuf_release(&f->carry);
}

/* Read fd from *off to its end into out. */
static int
lr_drain(struct logfollow *f, int fd, off_t *off, struct strbuf *out,
	 char *buf, struct derr *e)
{
	for (;;) {
		ssize_t n = pread(fd, buf, LR_BLOCK, *off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return derr_errno(e, "cannot read '%s'", f->path);
		if (n == 0)
			return 0;
		*off += n;
		lr_take(f, out, buf, (size_t)n);
	}
}

/* Which path.k now holds the followed file; 0 if none does. */
static int
lr_find_old(const struct logfollow *f)
{
	for (int k = 1; k <= LR_SCAN_MAX; k++) {
		char *name = logfile_rotated_name(f->path, k);
		struct stat st;
		int rc = stat(name, &st);

		free(name);
		if (rc < 0)
			return 0;
		if (st.st_dev == f->dev && st.st_ino == f->ino)
			return k;
	}
	return 0;
}

/*
 * The path names a new file: having read the old one to its end, read
 * the files rotated after it (path.k-1 .. path.1 when it is now path.k),
 * then switch to the new file at offset 0.
 */
static int
lr_switch(struct logfollow *f, struct strbuf *out, char *buf,
	  struct derr *e)
{
	struct stat st, ist;
	int nfd = open(f->path, O_RDONLY | O_CLOEXEC);
	int k;

	if (nfd < 0)
		return 0;		/* gone again: look next time */
	if (fstat(nfd, &st) < 0 ||
	    (st.st_dev == f->dev && st.st_ino == f->ino)) {
		close(nfd);
		return 0;
	}
	k = lr_find_old(f);
	lr_leave(f, out);
	while (--k >= 1) {
		char *name = logfile_rotated_name(f->path, k);
		int fd = open(name, O_RDONLY | O_CLOEXEC);
		off_t off = 0;
		int rc = 0;

		free(name);
		if (fd < 0)
			continue;
		/* Rotated again meanwhile: the new file is read below. */
		if (fstat(fd, &ist) == 0 && ist.st_dev == st.st_dev &&
		    ist.st_ino == st.st_ino) {
			close(fd);
			continue;
		}
		rc = lr_drain(f, fd, &off, out, buf, e);
		close(fd);
		lr_leave(f, out);
		if (rc < 0)
			break;
	}
	close(f->fd);
	f->fd = nfd;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->off = 0;
	return lr_drain(f, f->fd, &f->off, out, buf, e);
}

/* Discard queued inotify events; logfollow_read looks at the files. */
static void
lr_drain_events(int ifd)
{
	char ev[4096];

	if (ifd < 0)
		return;
	while (read(ifd, ev, sizeof ev) > 0)
		;
}

/* New complete lines since the last call. */
int
logfollow_read(struct logfollow *f, struct strbuf *out, struct derr *e)
{
	struct stat ps, st;
	bool named;
	char *buf;
	int rc;

	lr_drain_events(f->ifd);
	/* Look at the name before draining: whatever the old file gets
	 * until its rename is then read from it. */
	named = stat(f->path, &ps) == 0;
	if (fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size < f->off) {
		lr_leave(f, out);
		f->off = 0;
	}
	buf = xmalloc(LR_BLOCK);
	rc = lr_drain(f, f->fd, &f->off, out, buf, e);
	if (rc == 0 && named && (ps.st_dev != f->dev || ps.st_ino != f->ino))
		rc = lr_switch(f, out, buf, e);
	free(buf);
	return rc;
}

/* The inotify descriptor to poll, or -1. */
int
logfollow_fd(const struct logfollow *f)
{
	return f->ifd;
}

void
logfollow_free(struct logfollow *f)
{
	if (f == NULL)
		return;
	close(f->fd);
	if (f->ifd >= 0)
		close(f->ifd);
	strbuf_release(&f->carry);
	free(f->path);
	free(f);
}

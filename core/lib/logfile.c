/* logfile.c: worker log files: line assembly, date prefix, rotation */
#include "core/lib/logfile.h"
#include "core/lib/loop.h"
#include "core/lib/strbuf.h"
#include "core/lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Flush early once this much is buffered, so a healthy file keeps the
 * buffer small whatever the size of the chunks handed in. */
#define LF_BATCH	(64 * 1024)
/* A buffer this large is given back to malloc once it is empty. */
#define LF_KEEP		(256 * 1024)
/* Room for the rendered date prefix plus ": ". */
#define LF_PREFIX_MAX	256

struct logwriter {
	struct logfile *lf;
	struct strbuf line;		/* the partial last line */
	struct timespec ts;		/* when that line began */
	long long held_ms;		/* since when line is held (mono) */
	char *last;			/* last non-blank line, or NULL */
	size_t last_len;
	bool last_open;			/* last is still being written */
	struct logwriter *next;		/* the file's other writers */
};

struct logfile {
	char *path;
	int fd;				/* -1: closed, opened on next flush */
	bool private;			/* opts.private_file */
	bool regular;			/* a regular file: may rotate */
	long long size;			/* bytes in the file at fd */
	long long rotate_at;		/* rotate the current file past this */
	long long max_size;
	int max_files;
	size_t max_pending;

	char *datefmt;			/* compiled date format, or NULL */
	bool date_ms;			/* it shows milliseconds */
	long long prefix_key;		/* the time prefix[] was made for */
	char prefix[LF_PREFIX_MAX];
	size_t prefix_len;

	struct strbuf out;		/* complete lines not yet written */
	unsigned long long written;	/* stream position of out.buf[0] */
	unsigned long long *cuts;	/* stream positions to rotate at */
	size_t ncuts, cuts_cap, cut_head;

	struct logwriter *open_by;	/* whose line the stream ends inside */
	struct logwriter *writers;	/* every writer on the file */
	int idx_fd;			/* the order index, or -1 */
	bool idx_dirty;			/* written since its last record */

	long long dropped;
	int err;
	bool stalled;			/* a write failed during this call */
	int refs;
	struct logwriter dflt;		/* the built-in writer */
};

/* ---- date formats ---- */

/* One moment.js token and its extended-strftime equivalent. */
struct moment_tok {
	const char *tok;
	const char *fmt;
};

/* Longer tokens first so "YYYY" wins over "YY". */
static const struct moment_tok moment_toks[] = {
	{ "YYYY", "%Y" }, { "YY", "%y" },
	{ "MMMM", "%B" }, { "MMM", "%b" }, { "MM", "%m" }, { "M", "%-m" },
	{ "DDDD", "%j" }, { "DD", "%d" }, { "D", "%-d" },
	{ "dddd", "%A" }, { "ddd", "%a" },
	{ "HH", "%H" }, { "H", "%-H" }, { "hh", "%I" }, { "h", "%-I" },
	{ "mm", "%M" }, { "m", "%-M" }, { "ss", "%S" }, { "s", "%-S" },
	{ "SSS", "%L" }, { "ZZ", "%z" }, { "Z", "%:z" },
	{ "A", "%p" }, { "a", "%P" }, { "X", "%s" },
};

/* Append a literal character to a strftime format. */
static void
date_lit(struct strbuf *sb, char c)
{
	if (c == '%')
		strbuf_addch(sb, '%');
	strbuf_addch(sb, c);
}

/* Translate a moment.js format, or copy a strftime one; caller frees. */
char *
logfile_date_compile(const char *fmt)
{
	struct strbuf sb = STRBUF_INIT;

	if (strchr(fmt, '%') != NULL)
		return xstrdup(fmt);
	for (const char *p = fmt; *p != '\0';) {
		size_t i;

		if (*p == '[') {
			for (p++; *p != '\0' && *p != ']'; p++)
				date_lit(&sb, *p);
			if (*p == ']')
				p++;
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(moment_toks); i++) {
			size_t len = strlen(moment_toks[i].tok);

			if (strncmp(p, moment_toks[i].tok, len) == 0) {
				strbuf_addstr(&sb, moment_toks[i].fmt);
				p += len;
				break;
			}
		}
		if (i == ARRAY_SIZE(moment_toks))
			date_lit(&sb, *p++);
	}
	return strbuf_detach(&sb);
}

/* The format is the app's log_date_format, a run-time string. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
/*
 * strftime one segment of a format onto buf+*len; 0 or -1 if it does not
 * fit. A leading space makes an empty result tell apart from an overflow.
 */
static int
date_strftime(char *seg, size_t seglen, const struct tm *tm,
	      char *buf, size_t size, size_t *len)
{
	size_t n;

	if (seglen == 1)
		return 0;
	seg[seglen] = '\0';
	n = strftime(buf + *len, size - *len, seg, tm);
	if (n == 0)
		return -1;
	memmove(buf + *len, buf + *len + 1, n);	/* drop the space */
	*len += n - 1;
	return 0;
}
#pragma GCC diagnostic pop

/* Render a compiled date format for ts in local time; 0 if too long. */
size_t
logfile_date_render(const char *cfmt, const struct timespec *ts,
		    char *buf, size_t size)
{
	char seg[LF_PREFIX_MAX], ext[48];
	size_t seglen = 1, len = 0;
	time_t t = ts->tv_sec;
	struct tm tm;

	if (size == 0 || localtime_r(&t, &tm) == NULL)
		return 0;
	buf[0] = '\0';
	seg[0] = ' ';
	for (const char *p = cfmt;;) {
		size_t skip = 0;

		ext[0] = '\0';
		if (p[0] == '%' && p[1] == 'L') {
			snprintf(ext, sizeof ext, "%03ld",
				 (long)(ts->tv_nsec / 1000000));
			skip = 2;
		} else if (p[0] == '%' && p[1] == ':' && p[2] == 'z') {
			long off = tm.tm_gmtoff;
			char sign = off < 0 ? '-' : '+';

			off = off < 0 ? -off : off;
			snprintf(ext, sizeof ext, "%c%02ld:%02ld", sign,
				 off / 3600, off / 60 % 60);
			skip = 3;
		}
		if (*p == '\0' || skip) {
			size_t elen = strlen(ext);

			if (date_strftime(seg, seglen, &tm, buf, size,
					  &len) < 0)
				return 0;
			seglen = 1;
			if (*p == '\0')
				break;
			if (len + elen >= size)
				return 0;
			memcpy(buf + len, ext, elen + 1);
			len += elen;
			p += skip;
			continue;
		}
		/* Keep a conversion whole, so "%%L" stays a literal "%L". */
		skip = (p[0] == '%' && p[1] != '\0') ? 2 : 1;
		if (seglen + skip >= sizeof seg)
			return 0;
		memcpy(seg + seglen, p, skip);
		seglen += skip;
		p += skip;
	}
	return len;
}

/* The "<date>: " prefix for a line that began at ts (cached per tick). */
static void
lf_prefix(struct logfile *lf, const struct timespec *ts)
{
	long long key = (long long)ts->tv_sec * 1000;
	size_t n;

	if (lf->date_ms)
		key += ts->tv_nsec / 1000000;
	if (key == lf->prefix_key)
		return;
	lf->prefix_key = key;
	n = logfile_date_render(lf->datefmt, ts, lf->prefix,
				sizeof lf->prefix - 2);
	if (n > 0)
		memcpy(lf->prefix + n, ": ", 3);
	lf->prefix_len = n > 0 ? n + 2 : 0;
}

/* ---- the file ---- */

/* The name of rotated file k (0: the path itself); caller frees. */
char *
logfile_rotated_name(const char *path, int k)
{
	return k == 0 ? xstrdup(path) : xasprintf("%s.%d", path, k);
}

/*
 * The order index of rotated file k of path (0: of path), hidden beside
 * it so that globs of the logs do not take it: "dir/.name.k.idx".
 * Caller frees.
 */
char *
logfile_index_name(const char *path, int k)
{
	char *name = logfile_rotated_name(path, k);
	const char *slash = strrchr(name, '/');
	int dir = slash ? (int)(slash - name) + 1 : 0;
	char *idx = xasprintf("%.*s.%s.idx", dir, name, name + dir);

	free(name);
	return idx;
}

/*
 * Open the order index of the file just opened (st), starting it afresh
 * when it was made for another file. Without one (not a regular file,
 * no room) readers fall back to the file's mtime.
 */
static void
lf_idx_open(struct logfile *lf, const struct stat *st)
{
	struct logfile_idx_head h;
	char *name;
	int fd;

	if (!S_ISREG(st->st_mode))
		return;
	name = logfile_index_name(lf->path, 0);
	fd = open(name, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY |
		  O_NONBLOCK | (lf->private ? O_NOFOLLOW : 0), 0640);
	free(name);
	if (fd < 0)
		return;
	if (pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h ||
	    h.ino != (uint64_t)st->st_ino) {
		h.ino = (uint64_t)st->st_ino;
		h.start = (int64_t)st->st_size;
		if (ftruncate(fd, 0) < 0 ||
		    write(fd, &h, sizeof h) != (ssize_t)sizeof h) {
			close(fd);
			return;
		}
	}
	lf->idx_fd = fd;
	lf->idx_dirty = false;
}

/* Record in the index when the bytes written so far were written. */
static void
lf_idx_note(struct logfile *lf)
{
	struct logfile_idx_rec r;
	struct timespec ts;

	if (lf->idx_fd < 0 || !lf->idx_dirty)
		return;
	lf->idx_dirty = false;
	clock_gettime(CLOCK_REALTIME, &ts);
	r.end = lf->size;
	r.us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if (write(lf->idx_fd, &r, sizeof r) != (ssize_t)sizeof r) {
		/* A short record would shift every later one: stop. */
		close(lf->idx_fd);
		lf->idx_fd = -1;
	}
}

/* Open the path for appending; -1 with errno (and lf->err) on failure. */
static int
lf_open_fd(struct logfile *lf)
{
	struct stat st;
	int fd = open(lf->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
		      O_NOCTTY | O_NONBLOCK | (lf->private ? O_NOFOLLOW : 0),
		      0640);

	if (fd >= 0 && lf->private && fstat(fd, &st) == 0 &&
	    (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))) {
		close(fd);
		fd = -1;
		errno = EPERM;
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		lf->err = errno;
		if (fd >= 0)
			close(fd);
		errno = lf->err;
		return -1;
	}
	lf->fd = fd;
	lf->regular = S_ISREG(st.st_mode);
	lf->size = lf->regular ? (long long)st.st_size : 0;
	lf->rotate_at = lf->max_size;
	lf_idx_open(lf, &st);
	return 0;
}

/* Close the file if open; the next one starts empty until opened. */
static void
lf_close_fd(struct logfile *lf)
{
	if (lf->fd >= 0)
		close(lf->fd);
	lf->fd = -1;
	lf_idx_note(lf);
	if (lf->idx_fd >= 0)
		close(lf->idx_fd);
	lf->idx_fd = -1;
	lf->size = 0;
	lf->rotate_at = lf->max_size;
}

/* Rename a rotated file, or unlink the path when k is 0; ENOENT is ok. */
static int
lf_shift(const char *path, int from, int to)
{
	char *a = logfile_rotated_name(path, from);
	char *b = logfile_rotated_name(path, to);
	int rc = to > 0 ? rename(a, b) : unlink(a);

	if (rc < 0 && errno == ENOENT)
		rc = 0;
	free(a);
	free(b);
	/* The index follows its file; a stale one is told by its inode. */
	a = logfile_index_name(path, from);
	b = logfile_index_name(path, to);
	if (rc == 0 && to > 0)
		rename(a, b);
	else if (rc == 0)
		unlink(a);
	free(a);
	free(b);
	return rc;
}

/*
 * Rotate: path.(k) -> path.(k+1) down from the first free slot (or from
 * max_files-1), then path -> path.1, and close so the next write opens a
 * fresh path. If a rename fails, keep writing to the current file and
 * try again once it has grown by another max_size: a log that grows past
 * its limit is better than lines lost.
 */
static void
lf_rotate(struct logfile *lf)
{
	int gap = 1, k;

	if (!lf->regular)
		return;
	for (; gap < lf->max_files; gap++) {
		char *name = logfile_rotated_name(lf->path, gap);
		struct stat st;
		int missing = lstat(name, &st) < 0 && errno == ENOENT;

		free(name);
		if (missing)
			break;
	}
	for (k = gap - 1; k >= 1; k--)
		if (lf_shift(lf->path, k, k + 1) < 0)
			goto failed;
	if (lf_shift(lf->path, 0, lf->max_files > 0 ? 1 : 0) < 0)
		goto failed;
	lf_close_fd(lf);
	return;
failed:
	lf->err = errno;
	lf->rotate_at = lf->size + lf->max_size;
}

/* Drop the cut list once every cut has been passed. */
static void
lf_trim_cuts(struct logfile *lf)
{
	if (lf->cut_head == lf->ncuts)
		lf->cut_head = lf->ncuts = 0;
}

/*
 * Write out what is buffered, rotating at the recorded cuts. 0 when all
 * is written; -1 when something stays pending. After one failure, later
 * calls within the same public call return -1 at once, so a broken file
 * costs one failed write per call, not one per line.
 */
static int
lf_flush_out(struct logfile *lf)
{
	size_t off = 0;
	int rc = 0;

	if (lf->stalled)
		return -1;
	while (off < lf->out.len) {
		unsigned long long pos = lf->written + off;
		size_t want = lf->out.len - off;
		ssize_t n;

		if (lf->cut_head < lf->ncuts &&
		    lf->cuts[lf->cut_head] == pos) {
			lf->cut_head++;
			lf_idx_note(lf);
			lf_rotate(lf);
			continue;
		}
		if (lf->fd < 0 && lf_open_fd(lf) < 0) {
			rc = -1;
			break;
		}
		if (lf->cut_head < lf->ncuts &&
		    lf->cuts[lf->cut_head] - pos < want)
			want = lf->cuts[lf->cut_head] - pos;
		n = write(lf->fd, lf->out.buf + off, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			lf->err = n < 0 ? errno : EIO;
			rc = -1;
			break;
		}
		off += (size_t)n;
		lf->size += n;
		lf->idx_dirty = true;
	}
	lf_idx_note(lf);
	lf->written += off;
	if (off == lf->out.len && lf->out.alloc > LF_KEEP)
		strbuf_release(&lf->out);
	else if (off > 0)
		strbuf_consume(&lf->out, off);
	lf_trim_cuts(lf);
	if (rc < 0)
		lf->stalled = true;
	else
		lf->err = 0;
	return rc;
}

/* Record that the file must rotate before stream position pos. */
static void
lf_add_cut(struct logfile *lf, unsigned long long pos)
{
	ARRAY_GROW(lf->cuts, lf->cuts_cap, lf->ncuts + 1);
	lf->cuts[lf->ncuts++] = pos;
}

/* Size the file holding the end of the buffer will have. */
static long long
lf_tail_size(const struct logfile *lf)
{
	unsigned long long end = lf->written + lf->out.len;

	if (lf->cut_head < lf->ncuts)
		return (long long)(end - lf->cuts[lf->ncuts - 1]);
	return lf->size + (long long)lf->out.len;
}

/* Length of the UTF-8 sequence at p (at most n bytes); 0 if invalid. */
static size_t
lw_utf8_len(const unsigned char *p, size_t n)
{
	size_t len = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
	unsigned char lo = 0x80, hi = 0xbf;

	if (p[0] < 0xc2 || p[0] > 0xf4 || n < len)
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;		/* overlong */
	else if (p[0] == 0xed)
		hi = 0x9f;		/* surrogates */
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* Append text to the writer's last line: valid UTF-8, no controls. */
static void
lw_last_add(struct logwriter *w, const char *text, size_t n)
{
	const unsigned char *p = (const unsigned char *)text;

	while (n > 0 && w->last_len < LOGFILE_LAST_MAX) {
		size_t k = p[0] < 0x80 ? 1 : lw_utf8_len(p, n);
		size_t step = k ? k : 1;

		if (k > 1) {
			if (w->last_len + k > LOGFILE_LAST_MAX)
				break;
			memcpy(w->last + w->last_len, p, k);
			w->last_len += k;
		} else if (p[0] != '\r') {
			w->last[w->last_len++] = k == 0 ? '?' :
				p[0] < 0x20 || p[0] == 0x7f ? ' ' : (char)p[0];
		}
		p += step;
		n -= step;
	}
	w->last[w->last_len] = '\0';
}

/* True when the bytes are all blanks. */
static bool
lw_blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

/* Remember the line a then b as the writer's last (blank ones not). */
static void
lw_note_last(struct logwriter *w, bool cont, const char *a, size_t an,
	     const char *b, size_t bn)
{
	if (w->last == NULL)
		return;
	if (bn > 0 && b[bn - 1] == '\n')
		bn--;
	if (!cont) {
		w->last_open = !(lw_blank(a, an) && lw_blank(b, bn));
		if (!w->last_open)
			return;
		w->last_len = 0;
	} else if (!w->last_open) {
		return;
	}
	lw_last_add(w, a, an);
	lw_last_add(w, b, bn);
}

/* How a piece handed to lf_commit ends. */
enum lf_end {
	LF_OPEN,		/* inside its line: more of it will follow */
	LF_NL,			/* with the line's '\n' (the last byte of b) */
	LF_ADD_NL,		/* the line ends here: add a '\n' */
};

/*
 * Accept a line or a piece of one from w, made of a then b: prefix it
 * when it begins a line, decide whether the file rotates before it,
 * buffer it. With LF_OPEN the stream stays inside w's line, and the next
 * piece of w continues it; a piece of another writer first ends it with
 * LOGFILE_CUT_MARK. Drops the bytes (and counts) when the buffer stays
 * full after a flush.
 */
static void
lf_commit(struct logfile *lf, struct logwriter *w, const struct timespec *ts,
	  const char *a, size_t an, const char *b, size_t bn, enum lf_end how)
{
	bool cont = lf->open_by == w;
	bool end = how != LF_OPEN;
	size_t plen = 0, len;

	if (lf->open_by != NULL && !cont) {
		strbuf_addstr(&lf->out, LOGFILE_CUT_MARK "\n");
		lf->open_by = NULL;
	}
	if (lf->datefmt != NULL && !cont) {
		lf_prefix(lf, ts);
		plen = lf->prefix_len;
	}
	len = plen + an + bn + (how == LF_ADD_NL);
	if (lf->out.len + len > lf->max_pending)
		lf_flush_out(lf);
	if (lf->out.len + len > lf->max_pending) {
		lf->dropped += (long long)(an + bn);
		if (cont && end) {
			strbuf_addch(&lf->out, '\n');
			lf->open_by = NULL;
		}
		return;
	}
	if (!cont && lf->max_size > 0 && lf->regular) {
		long long tail = lf_tail_size(lf);
		long long limit = lf->cut_head < lf->ncuts ?
			lf->max_size : lf->rotate_at;

		if (tail > 0 && tail + (long long)len > limit)
			lf_add_cut(lf, lf->written + lf->out.len);
	}
	strbuf_add(&lf->out, lf->prefix, plen);
	strbuf_add(&lf->out, a, an);
	strbuf_add(&lf->out, b, bn);
	if (how == LF_ADD_NL)
		strbuf_addch(&lf->out, '\n');
	lf->open_by = end ? NULL : w;
	lw_note_last(w, cont, a, an, b, bn);
	if (lf->out.len >= LF_BATCH)
		lf_flush_out(lf);
}

/* Open a log file. */
struct logfile *
logfile_open(const char *path, const struct logfile_opts *opts,
	     struct derr *e)
{
	static const struct logfile_opts defaults = LOGFILE_OPTS_INIT;
	struct logfile *lf;

	if (opts == NULL)
		opts = &defaults;
	lf = xcalloc(1, sizeof *lf);
	lf->path = xstrdup(path);
	lf->fd = -1;
	lf->private = opts->private_file;
	lf->idx_fd = -1;
	lf->max_size = opts->max_size > 0 ? opts->max_size : 0;
	lf->max_files = opts->max_files > 0 ? opts->max_files : 0;
	lf->max_pending = opts->max_pending ? opts->max_pending :
		LOGFILE_MAX_PENDING_DEFAULT;
	if (lf->max_pending < LOGFILE_PENDING_MIN)
		lf->max_pending = LOGFILE_PENDING_MIN;
	lf->prefix_key = -1;
	strbuf_init(&lf->out, 0);
	lf->refs = 1;
	lf->dflt.lf = lf;
	strbuf_init(&lf->dflt.line, 0);
	lf->writers = &lf->dflt;
	if (opts->date_format != NULL && opts->date_format[0] != '\0') {
		struct timespec now;
		char probe[LF_PREFIX_MAX];

		lf->datefmt = logfile_date_compile(opts->date_format);
		lf->date_ms = strstr(lf->datefmt, "%L") != NULL;
		clock_gettime(CLOCK_REALTIME, &now);
		if (logfile_date_render(lf->datefmt, &now, probe,
					sizeof probe - 2) == 0) {
			derr_set(e, "log date format '%s' is too long",
				 opts->date_format);
			goto fail;
		}
	}
	if (lf_open_fd(lf) < 0) {
		if (lf->private && (errno == ELOOP || errno == EPERM))
			derr_set(e, "log file '%s' is a symbolic link or "
				 "another user's: remove it", path);
		else
			derr_errno(e, "cannot open log file '%s'", path);
		goto fail;
	}
	lf->err = 0;
	return lf;
fail:
	lf->refs = 0;
	free(lf->datefmt);
	free(lf->path);
	free(lf);
	return NULL;
}

/* Take a reference. */
struct logfile *
logfile_ref(struct logfile *lf)
{
	lf->refs++;
	return lf;
}

/* End the writer's line: the held part, or the piece already out. */
static void
lw_flush_line(struct logwriter *w)
{
	if (w->line.len == 0 && w->lf->open_by != w)
		return;
	lf_commit(w->lf, w, &w->ts, w->line.buf, w->line.len, NULL, 0,
		  LF_ADD_NL);
	strbuf_release(&w->line);
}

/*
 * Split data into lines and commit the complete ones; a line reaching
 * LOGFILE_LINE_MAX goes out as a piece, the rest of it follows.
 */
static void
lw_write(struct logwriter *w, const char *data, size_t n)
{
	struct logfile *lf = w->lf;
	struct timespec now = { 0, 0 };

	if (lf->datefmt != NULL)
		clock_gettime(CLOCK_REALTIME, &now);
	lf->stalled = false;
	while (n > 0) {
		size_t room = LOGFILE_LINE_MAX - w->line.len;
		size_t look = n < room + 1 ? n : room + 1;
		const char *nl = memchr(data, '\n', look);
		const struct timespec *ts = w->line.len ? &w->ts : &now;
		size_t take;

		if (nl != NULL)
			take = (size_t)(nl - data) + 1;
		else if (n > room)
			take = room;
		else {
			if (w->line.len == 0) {
				w->ts = now;
				w->held_ms = now_ms();
			}
			strbuf_add(&w->line, data, n);
			break;
		}
		lf_commit(lf, w, ts, w->line.buf, w->line.len, data, take,
			  nl != NULL ? LF_NL : LF_OPEN);
		if (w->line.alloc > 4096)
			strbuf_release(&w->line);
		else
			strbuf_reset(&w->line);
		data += take;
		n -= take;
	}
	lf_flush_out(lf);
}

/* Flush a writer's partial line and the file's pending bytes. */
static void
lw_flush(struct logwriter *w)
{
	w->lf->stalled = false;
	lw_flush_line(w);
	lf_flush_out(w->lf);
}

/* Drop a reference; the last one flushes and frees. */
void
logfile_free(struct logfile *lf)
{
	if (lf == NULL || --lf->refs > 0)
		return;
	lw_flush(&lf->dflt);
	strbuf_release(&lf->dflt.line);
	lf_close_fd(lf);
	strbuf_release(&lf->out);
	free(lf->cuts);
	free(lf->datefmt);
	free(lf->path);
	free(lf);
}

/* Write through the built-in writer. */
void
logfile_write(struct logfile *lf, const char *data, size_t n)
{
	lw_write(&lf->dflt, data, n);
}

/* Flush the built-in writer and retry pending bytes. */
void
logfile_flush(struct logfile *lf)
{
	lw_flush(&lf->dflt);
}

/* Bytes of worker output dropped. */
long long
logfile_dropped(const struct logfile *lf)
{
	return lf->dropped;
}

/* Bytes buffered, not yet written. */
size_t
logfile_pending(const struct logfile *lf)
{
	return lf->out.len;
}

/* errno of the last failure, 0 when all is written. */
int
logfile_errno(const struct logfile *lf)
{
	return lf->err;
}

/* The log file's path. */
const char *
logfile_path(const struct logfile *lf)
{
	return lf->path;
}

/* A new producer on lf, holding a reference. */
struct logwriter *
logwriter_new(struct logfile *lf)
{
	struct logwriter *w = xcalloc(1, sizeof *w);

	w->lf = logfile_ref(lf);
	strbuf_init(&w->line, 0);
	w->next = lf->writers;
	lf->writers = w;
	return w;
}

/* Hand a producer's bytes to its file. */
void
logwriter_write(struct logwriter *w, const char *data, size_t n)
{
	lw_write(w, data, n);
}

/* Flush, release the file reference, free. */
void
logwriter_free(struct logwriter *w)
{
	if (w == NULL)
		return;
	lw_flush(w);
	for (struct logwriter **p = &w->lf->writers; *p != NULL;
	     p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			break;
		}
	}
	strbuf_release(&w->line);
	free(w->last);
	logfile_free(w->lf);
	free(w);
}

/* Keep the writer's last line from now on. */
void
logwriter_keep_last(struct logwriter *w)
{
	if (w->last == NULL)
		w->last = xcalloc(1, LOGFILE_LAST_MAX + 1);
}

/* The last non-blank line, "" when none or not kept. */
const char *
logwriter_last_line(const struct logwriter *w)
{
	return w->last != NULL ? w->last : "";
}

/* When a held partial line is due to be written; -1 when none is. */
long long
logfile_due(const struct logfile *lf)
{
	long long due = -1;

	for (const struct logwriter *w = lf->writers; w; w = w->next) {
		long long at = w->held_ms + LOGFILE_HOLD_MS;

		if (w->line.len > 0 && (due < 0 || at < due))
			due = at;
	}
	return due;
}

/* Write out the partial lines held LOGFILE_HOLD_MS or more at now. */
void
logfile_tick(struct logfile *lf, long long now)
{
	lf->stalled = false;
	for (struct logwriter *w = lf->writers; w; w = w->next) {
		if (w->line.len == 0 || now < w->held_ms + LOGFILE_HOLD_MS)
			continue;
		lf_commit(lf, w, &w->ts, w->line.buf, w->line.len, NULL, 0,
			  LF_OPEN);
		strbuf_release(&w->line);
	}
	lf_flush_out(lf);
}

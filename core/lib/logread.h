/* logread.h: reading log files: the last N lines, and following */
#ifndef DEPLOY_LOGREAD_H
#define DEPLOY_LOGREAD_H

#include <stddef.h>

#include "core/lib/strbuf.h"
#include "core/lib/util.h"

/*
 * Append the last n lines of the log path to out, looking back into the
 * rotated files path.1 .. path.max_files (path.1 newest, as logfile.c
 * names them) when path has fewer. Files are read backwards in blocks,
 * so a big file costs only what is shown. The look-back stops at the
 * first missing rotated file. A file's last line without '\n' counts as
 * a line; one is added between files. -1 with e naming the path if path
 * cannot be opened or read.
 */
int logread_tail(const char *path, int max_files, size_t n,
		 struct strbuf *out, struct derr *e);

/* When each line of a tail was written, one entry per line. */
struct logtimes {
	long long *us;		/* microseconds since the epoch */
	size_t n, cap;
};
/* Free the entries (the struct itself is the caller's). */
void logtimes_release(struct logtimes *t);

/*
 * logread_tail, and append to t when each line shown was written: from
 * the order index logfile.c keeps beside each file; a line written after
 * the index's last record (or with no index, as PM2 writes them) gets
 * its file's mtime; a line from before the index began gets LLONG_MIN.
 * The times of one call never decrease (an earlier line gets at most
 * the time of the next), so sorting several tails by time, stably,
 * keeps each one's order.
 */
int logread_tail_timed(const char *path, int max_files, size_t n,
		       struct strbuf *out, struct logtimes *t,
		       struct derr *e);

struct logfollow;

/*
 * Follow the log path from its current end (tail -F). Returns NULL with
 * e naming the path if it cannot be opened. Free with logfollow_free.
 */
struct logfollow *logfollow_open(const char *path, struct derr *e);
/*
 * The last n lines before the follower's position, as logread_tail: call
 * it right after logfollow_open so nothing written in between is lost or
 * shown twice.
 */
int logfollow_tail(struct logfollow *f, int max_files, size_t n,
		   struct strbuf *out, struct derr *e);
/* logfollow_tail with the times of the lines, as logread_tail_timed. */
int logfollow_tail_timed(struct logfollow *f, int max_files, size_t n,
			 struct strbuf *out, struct logtimes *t,
			 struct derr *e);
/*
 * Append the complete lines written since the last call. Rotation (the
 * path names a new file) is followed: the old file is read to its end,
 * then any files rotated in between (found as path.1, path.2 ... by
 * inode), then the new path from its start, so no line is lost or
 * repeated. A file that got shorter (copytruncate) is read again from
 * its start. A last line without '\n' is held until it completes, or
 * until its file is left (then it is ended with '\n'). 0, or -1 with e.
 */
int logfollow_read(struct logfollow *f, struct strbuf *out,
		   struct derr *e);
/*
 * An inotify descriptor that becomes readable when the log's directory
 * changes, for poll(); -1 if inotify is unavailable. Poll with a timeout
 * anyway (about a second): call logfollow_read on either.
 */
int logfollow_fd(const struct logfollow *f);
/* Close and free; NULL is a no-op. */
void logfollow_free(struct logfollow *f);

#endif

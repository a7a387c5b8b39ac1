/* logfile.h: worker log files: line assembly, date prefix, rotation */
#ifndef DEPLOY_LOGFILE_H
#define DEPLOY_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/lib/util.h"

/*
 * Two objects:
 *
 * - struct logfile: one open file, shared by reference count (PM2's
 *   merge_logs: every instance of an app writes one file). It owns the
 *   buffer of complete lines not yet written, the date prefix and the
 *   rotation. Writes never block: a failed write (ENOSPC, EIO, a file
 *   that cannot be reopened) leaves the lines in a pending buffer that
 *   is retried on the next write or flush; past max_pending whole lines
 *   are dropped and counted.
 *
 * - struct logwriter: one producer (a worker's stdout or stderr pipe).
 *   It holds that producer's partial last line, so two instances on one
 *   file never interleave within a line. Each writer holds a reference
 *   to its logfile.
 *
 * Every line reaches the file whole: rotation happens only between
 * lines. A writer holds at most LOGFILE_LINE_MAX bytes of a line: a
 * longer line goes to the file in pieces of that size with no '\n'
 * between them, so it arrives whole. A partial last line held for
 * LOGFILE_HOLD_MS is written the same way by logfile_tick (a prompt,
 * a last line without '\n' of a worker that keeps running); the rest of
 * it continues it. If another writer on the same file (merge_logs)
 * writes while a line is unfinished, that line is ended there with
 * LOGFILE_CUT_MARK and a '\n', and its rest starts a line of its own.
 * A partial last line flushed by logwriter_free (the worker exited) is
 * ended with a '\n'.
 *
 * Beside each regular file, an order index (logfile_index_name): a
 * struct logfile_idx_head, then one struct logfile_idx_rec per write,
 * telling when the bytes up to an offset were written, so that readers
 * can merge several logs in time order. It rotates with its file.
 */

#define LOGFILE_MAX_SIZE_DEFAULT	(10LL * 1024 * 1024)
#define LOGFILE_MAX_FILES_DEFAULT	5
#define LOGFILE_MAX_PENDING_DEFAULT	((size_t)1 << 20)
/* The longest piece of a line a writer holds (not counting its '\n'). */
#define LOGFILE_LINE_MAX		65536
/* A partial line is written out after this long (ms). */
#define LOGFILE_HOLD_MS			500
/* Ends a line another writer's line cut in two (merge_logs). */
#define LOGFILE_CUT_MARK		"\\"
/* The longest last line a writer keeps (bytes, UTF-8). */
#define LOGFILE_LAST_MAX		200

/* The order index: this header, then records. */
struct logfile_idx_head {
	uint64_t ino;		/* the inode of the log it indexes */
	int64_t start;		/* the log's size when the index began */
};

/* Bytes [previous end, end) of the log were written at us. */
struct logfile_idx_rec {
	int64_t end;
	int64_t us;		/* CLOCK_REALTIME, microseconds */
};
/* max_pending is raised to at least this: one full line and prefix. */
#define LOGFILE_PENDING_MIN		(LOGFILE_LINE_MAX + 512)

struct logfile_opts {
	long long max_size;	/* rotate before passing this; 0: never */
	int max_files;		/* rotated files kept, path.1 (newest) to
				   path.N; 0: old content is discarded */
	const char *date_format; /* strftime (has '%') or moment.js tokens;
				   NULL or "": no prefix; copied */
	size_t max_pending;	/* bound on unwritten bytes; 0: default */
	bool private_file;	/* in deploy's own logs/: never opened
				   through a link, nor when another user
				   owns it or may write it */
};

/* The defaults: 10 MiB, 5 files, no date, 1 MiB pending. */
#define LOGFILE_OPTS_INIT { \
	.max_size = LOGFILE_MAX_SIZE_DEFAULT, \
	.max_files = LOGFILE_MAX_FILES_DEFAULT, \
	.date_format = NULL, \
	.max_pending = LOGFILE_MAX_PENDING_DEFAULT, \
}

struct logfile;
struct logwriter;

/*
 * Open (create, append to) the log file path, mode 0640, O_CLOEXEC.
 * opts NULL means LOGFILE_OPTS_INIT. The directory must exist: a missing
 * one is an error naming the path. Only regular files rotate
 * ("/dev/null" as a target is fine). Returns a logfile with one
 * reference, or NULL with e filled. Drop the reference with
 * logfile_free.
 */
struct logfile *logfile_open(const char *path,
			     const struct logfile_opts *opts,
			     struct derr *e);
/* Take one more reference to lf; returns lf. */
struct logfile *logfile_ref(struct logfile *lf);
/*
 * Drop one reference; the last one flushes (the built-in writer's partial
 * line too), closes and frees. NULL is a no-op.
 */
void logfile_free(struct logfile *lf);

/*
 * Write through the logfile's built-in writer (for a file with a single
 * producer): complete lines go to the file, a partial last line is held.
 */
void logfile_write(struct logfile *lf, const char *data, size_t n);
/*
 * Write the built-in writer's partial line (ended with '\n') and retry
 * pending bytes. Call it from a timer while logfile_pending() > 0.
 */
void logfile_flush(struct logfile *lf);

/* Bytes of worker output dropped because max_pending was full (date
 * prefixes and added '\n's not counted). */
long long logfile_dropped(const struct logfile *lf);
/* Bytes accepted but not yet written (at most max_pending). */
size_t logfile_pending(const struct logfile *lf);
/* errno of the last failed write, open or rotation; 0 once all is
 * written again. */
int logfile_errno(const struct logfile *lf);
/* The path given to logfile_open. */
const char *logfile_path(const struct logfile *lf);
/* The name of rotated file k of path ("path.k"; k 0: path); caller
 * frees. */
char *logfile_rotated_name(const char *path, int k);
/* The order index of rotated file k: "dir/.name.k.idx" ("dir/.name.idx"
 * for k 0), hidden so globs of the logs leave it out; caller frees. */
char *logfile_index_name(const char *path, int k);
/* When (now_ms clock) a held partial line is due; -1 when none is. */
long long logfile_due(const struct logfile *lf);
/* Write out the partial lines held LOGFILE_HOLD_MS by now (now_ms). */
void logfile_tick(struct logfile *lf, long long now);

/* A new producer on lf; takes its own reference to lf. */
struct logwriter *logwriter_new(struct logfile *lf);
/* Hand bytes from the producer to the file; never blocks. */
void logwriter_write(struct logwriter *w, const char *data, size_t n);
/* Flush, drop the writer's reference to its logfile, free. NULL: no-op. */
void logwriter_free(struct logwriter *w);
/* Keep the writer's last line from now on (stderr: for ls and errors). */
void logwriter_keep_last(struct logwriter *w);
/*
 * The last non-blank line the writer wrote (or the part of the line
 * being written so far): at most LOGFILE_LAST_MAX bytes of valid UTF-8,
 * control characters as spaces, no date prefix; "" when none or not
 * kept. Valid until the next write.
 */
const char *logwriter_last_line(const struct logwriter *w);

/*
 * Date formats. A format containing '%' is strftime(3) with two
 * additions: %L (milliseconds, 000-999) and %:z (+hh:mm). Otherwise it
 * is a moment.js format (PM2's log_date_format): YYYY YY MMMM MMM MM M
 * DDDD DD D dddd ddd HH H hh h mm m ss s SSS ZZ Z A a X and [literal].
 */

/* Translate fmt into the extended strftime form above; caller frees. */
char *logfile_date_compile(const char *fmt);
/*
 * Render a compiled format for ts in local time into buf (NUL-terminated);
 * returns the length, or 0 when it does not fit in size.
 */
size_t logfile_date_render(const char *cfmt, const struct timespec *ts,
			   char *buf, size_t size);

#endif

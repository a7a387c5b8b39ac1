/* check_logread.c: the last N lines of rotated logs, and following */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/testutil.h"
#include "core/lib/logfile.h"
#include "core/lib/logread.h"
#include "core/lib/strbuf.h"

static char base[64];		/* per test case, made by the parent */
static char tmp[96];		/* per test, inside base */

/* Make the case's directory (in the parent: removed even if a test
 * fails and its own teardown never runs). */
static void
case_setup(void)
{
	snprintf(base, sizeof base, "/tmp/check_logread.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
}

/* Remove the case's directory and everything in it. */
static void
case_teardown(void)
{
	test_rmtree(base);
}

/* Make the test's own directory. */
static void
setup(void)
{
	snprintf(tmp, sizeof tmp, "%s/t.XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

/* Remove the test's directory. */
static void
teardown(void)
{
	test_rmtree(tmp);
}

/* A path inside the temporary directory; caller frees. */
static char *
tpath(const char *name)
{
	return xasprintf("%s/%s", tmp, name);
}

/* Replace (mode "w") or extend (mode "a") a file with text. */
static void
put(const char *path, const char *mode, const char *text)
{
	FILE *fp = fopen(path, mode);

	ck_assert_msg(fp != NULL, "cannot open %s", path);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

/* Lines "line <n>\n" for n in [from, to), padded to 6 digits. */
static void
numbered(struct strbuf *sb, long from, long to)
{
	for (long i = from; i < to; i++)
		strbuf_addf(sb, "line %06ld\n", i);
}

/* A small deterministic generator. */
static unsigned
rnd(unsigned *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

/* Bytes this process has read so far (rchar of /proc/self/io). */
static long long
bytes_read(void)
{
	struct strbuf sb = STRBUF_INIT;
	long long n = -1;
	char *p;

	ck_assert_int_eq(strbuf_read_file(&sb, "/proc/self/io", 0), 0);
	p = strstr(sb.buf, "rchar: ");
	if (p != NULL)
		n = strtoll(p + 7, NULL, 10);
	strbuf_release(&sb);
	ck_assert(n >= 0);
	return n;
}

/* ---- tail ---- */

/* History: app.log.2 has lines 0-9, app.log.1 10-19, app.log 20-24. */
static char *
make_history(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = tpath("app.log");

	for (int k = 2; k >= 0; k--) {
		char *name = logfile_rotated_name(path, k);

		strbuf_reset(&sb);
		numbered(&sb, (2 - k) * 10, k ? (3 - k) * 10 : 25);
		put(name, "w", sb.buf);
		free(name);
	}
	strbuf_release(&sb);
	return path;
}

static const struct {
	size_t n;
	long first;		/* first line number shown */
	long count;		/* lines shown */
} span_rows[] = {
	{ 0, 0, 0 }, { 1, 24, 1 }, { 5, 20, 5 }, { 6, 19, 6 },
	{ 15, 10, 15 }, { 20, 5, 20 }, { 25, 0, 25 }, { 1000, 0, 25 },
};

/* n lines across rotation boundaries, and more than the history. */
START_TEST(test_tail_spans)
{
	char *path = make_history();
	struct strbuf got = STRBUF_INIT, want = STRBUF_INIT;
	struct derr e = { "" };

	numbered(&want, span_rows[_i].first,
		 span_rows[_i].first + span_rows[_i].count);
	ck_assert_int_eq(logread_tail(path, 5, span_rows[_i].n, &got, &e), 0);
	ck_assert_str_eq(got.buf, want.buf);
	strbuf_release(&got);
	strbuf_release(&want);
	free(path);
}
END_TEST

/* With max_files 1, path.2 is not looked at. */
START_TEST(test_tail_max_files)
{
	char *path = make_history();
	struct strbuf got = STRBUF_INIT, want = STRBUF_INIT;

	numbered(&want, 10, 25);
	ck_assert_int_eq(logread_tail(path, 1, 100, &got, NULL), 0);
	ck_assert_str_eq(got.buf, want.buf);
	strbuf_reset(&got);
	strbuf_reset(&want);
	numbered(&want, 20, 25);
	ck_assert_int_eq(logread_tail(path, 0, 100, &got, NULL), 0);
	ck_assert_str_eq(got.buf, want.buf);
	strbuf_release(&got);
	strbuf_release(&want);
	free(path);
}
END_TEST

static const struct {
	const char *cur;	/* app.log */
	const char *one;	/* app.log.1, NULL: missing */
	const char *two;	/* app.log.2, NULL: missing */
	size_t n;
	const char *want;
} edge_rows[] = {
	{ "", NULL, NULL, 5, "" },			/* empty file */
	{ "", "a\nb\n", NULL, 1, "b\n" },		/* look back */
	{ "", "a\nb\n", NULL, 9, "a\nb\n" },
	{ "a\nb", NULL, NULL, 1, "b" },			/* no final '\n' */
	{ "a\nb", NULL, NULL, 5, "a\nb" },
	{ "x\n", "a\nb", NULL, 2, "b\nx\n" },		/* '\n' added */
	{ "\n\n", NULL, NULL, 1, "\n" },		/* empty lines */
	{ "\n\n", NULL, NULL, 3, "\n\n" },
	{ "a\n", NULL, NULL, 0, "" },
	{ "c\n", NULL, "a\n", 5, "c\n" },		/* stops at a gap */
	{ "c\n", "", "a\n", 5, "a\nc\n" },		/* empty middle */
};

/* Edge cases of line counting and of the look-back. */
START_TEST(test_tail_edges)
{
	char *path = tpath("app.log"), *one = tpath("app.log.1");
	char *two = tpath("app.log.2");
	struct strbuf got = STRBUF_INIT;
	struct derr e = { "" };

	put(path, "w", edge_rows[_i].cur);
	if (edge_rows[_i].one != NULL)
		put(one, "w", edge_rows[_i].one);
	if (edge_rows[_i].two != NULL)
		put(two, "w", edge_rows[_i].two);
	strbuf_addstr(&got, "kept:");
	ck_assert_int_eq(logread_tail(path, 5, edge_rows[_i].n, &got, &e), 0);
	ck_assert_str_eq(got.buf + 5, edge_rows[_i].want);
	ck_assert(strncmp(got.buf, "kept:", 5) == 0);
	strbuf_release(&got);
	free(path);
	free(one);
	free(two);
}
END_TEST

/* A missing log is an error naming it. */
START_TEST(test_tail_missing)
{
	char *path = tpath("none.log");
	struct strbuf got = STRBUF_INIT;
	struct derr e = { "" };

	ck_assert_int_eq(logread_tail(path, 5, 10, &got, &e), -1);
	ck_assert_msg(strstr(e.msg, path) != NULL, "msg: %s", e.msg);
	ck_assert_msg(strstr(e.msg, strerror(ENOENT)) != NULL, "msg: %s",
		      e.msg);
	ck_assert_uint_eq(got.len, 0);
	strbuf_release(&got);
	free(path);
}
END_TEST

/* A big file is read from the end in blocks, not whole. */
START_TEST(test_tail_big_file)
{
	char *path = tpath("big.log");
	struct strbuf all = STRBUF_INIT, got = STRBUF_INIT;
	struct strbuf want = STRBUF_INIT;
	long long before;

	numbered(&all, 0, 300000);		/* 3.6 MB */
	put(path, "w", all.buf);
	before = bytes_read();
	ck_assert_int_eq(logread_tail(path, 5, 10, &got, NULL), 0);
	ck_assert_int_lt(bytes_read() - before, 200 * 1024);
	numbered(&want, 299990, 300000);
	ck_assert_str_eq(got.buf, want.buf);

	strbuf_reset(&got);
	strbuf_reset(&want);
	numbered(&want, 200000, 300000);	/* many blocks */
	ck_assert_int_eq(logread_tail(path, 5, 100000, &got, NULL), 0);
	ck_assert_uint_eq(got.len, want.len);
	ck_assert_str_eq(got.buf, want.buf);
	strbuf_release(&all);
	strbuf_release(&got);
	strbuf_release(&want);
	free(path);
}
END_TEST

/* Files made by the writer: a tail across its rotation boundaries. */
START_TEST(test_tail_written_log)
{
	char *path = tpath("app.log");
	struct strbuf all = STRBUF_INIT, got = STRBUF_INIT;
	struct logfile_opts o = LOGFILE_OPTS_INIT;
	struct logfile *lf;
	char *one;

	o.max_size = 1200;		/* 100 lines a file */
	o.max_files = 10;
	lf = logfile_open(path, &o, NULL);
	ck_assert_ptr_nonnull(lf);
	numbered(&all, 0, 350);
	logfile_write(lf, all.buf, all.len);
	logfile_free(lf);
	one = logfile_rotated_name(path, 3);
	ck_assert_int_eq(access(one, F_OK), 0);
	ck_assert_int_eq(logread_tail(path, 10, 275, &got, NULL), 0);
	ck_assert_str_eq(got.buf, all.buf + 75 * 12);
	strbuf_release(&all);
	strbuf_release(&got);
	free(one);
	free(path);
}
END_TEST

/* Write the order index of rotated file k of path: its inode, start,
 * then (end, us) pairs; ino 0: that of the file, else this one. */
static void
put_index(const char *path, int k, unsigned long long ino, long long start,
	  const long long *pairs, size_t npairs)
{
	char *name = logfile_rotated_name(path, k);
	char *iname = logfile_index_name(path, k);
	struct logfile_idx_head h = { ino, start };
	struct stat st;
	FILE *fp = fopen(iname, "w");

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(stat(name, &st), 0);
	if (ino == 0)
		h.ino = (uint64_t)st.st_ino;
	ck_assert_int_eq(fwrite(&h, sizeof h, 1, fp), 1);
	for (size_t i = 0; i < npairs; i++) {
		struct logfile_idx_rec r = { pairs[2 * i], pairs[2 * i + 1] };

		ck_assert_int_eq(fwrite(&r, sizeof r, 1, fp), 1);
	}
	ck_assert_int_eq(fclose(fp), 0);
	free(name);
	free(iname);
}

/* Set the mtime of path to us microseconds since the epoch. */
static void
set_mtime(const char *path, long long us)
{
	struct timespec ts[2] = {
		{ us / 1000000, us % 1000000 * 1000 },
		{ us / 1000000, us % 1000000 * 1000 },
	};

	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

#define MT 9000000LL	/* the mtime the tests give the files */

static const struct {
	const char *name;
	long long ino;		/* 0: the file's; 1: another's; -1: none */
	long long start;
	long long pairs[8];
	size_t npairs;
	long long want[3];	/* times of "l1\nl2\nl3\n" */
} time_rows[] = {
	{ "one record a line", 0, 0, { 3, 100, 6, 300, 9, 500 }, 3,
	  { 100, 300, 500 } },
	{ "one record for two", 0, 0, { 6, 300, 9, 500 }, 2,
	  { 300, 300, 500 } },
	{ "after the last record: mtime", 0, 0, { 3, 100 }, 1,
	  { 100, MT, MT } },
	{ "no index (PM2): mtime", -1, 0, { 0 }, 0, { MT, MT, MT } },
	{ "another file's index: mtime", 1, 0, { 3, 100 }, 1,
	  { MT, MT, MT } },
	{ "from before the index: oldest", 0, 3, { 6, 300, 9, 500 }, 2,
	  { LLONG_MIN, 300, 500 } },
	{ "truncated and written again", 0, 0, { 6, 50, 9, 60, 3, 700 }, 3,
	  { 700, MT, MT } },
	{ "past the end (truncated): ignored", 0, 0, { 3, 100, 90, 200 }, 2,
	  { 100, MT, MT } },
	{ "never decreasing", 0, 0, { 3, 600, 6, 300, 9, 500 }, 3,
	  { 300, 300, 500 } },
};

/* When each line of a tail was written, from the order index. */
START_TEST(test_tail_times)
{
	char *path = tpath("app.log");
	struct strbuf got = STRBUF_INIT;
	struct logtimes t = { 0 };

	put(path, "w", "l1\nl2\nl3\n");
	if (time_rows[_i].ino >= 0)
		put_index(path, 0, (unsigned long long)time_rows[_i].ino,
			  time_rows[_i].start, time_rows[_i].pairs,
			  time_rows[_i].npairs);
	set_mtime(path, MT);
	ck_assert_int_eq(logread_tail_timed(path, 5, 10, &got, &t, NULL), 0);
	ck_assert_str_eq(got.buf, "l1\nl2\nl3\n");
	ck_assert_uint_eq(t.n, 3);
	for (size_t i = 0; i < 3; i++)
		ck_assert_msg(t.us[i] == time_rows[_i].want[i],
			      "%s: line %zu at %lld, want %lld",
			      time_rows[_i].name, i, t.us[i],
			      time_rows[_i].want[i]);
	logtimes_release(&t);
	strbuf_release(&got);
	free(path);
}
END_TEST

/* Through rotated files: each file's own index, oldest first, and the
 * times appended after what t held. */
START_TEST(test_tail_times_rotated)
{
	char *path = tpath("app.log");
	char *one = logfile_rotated_name(path, 1);
	static const long long p1[] = { 2, 100, 4, 200 };
	static const long long p0[] = { 2, 300 };
	struct strbuf got = STRBUF_INIT;
	struct logtimes t = { 0 };

	put(one, "w", "a\nb\n");
	put(path, "w", "c\nd");				/* no final '\n' */
	put_index(path, 1, 0, 0, p1, 2);
	put_index(path, 0, 0, 0, p0, 1);
	set_mtime(path, 400);
	ARRAY_GROW(t.us, t.cap, 1);
	t.us[t.n++] = 7;
	ck_assert_int_eq(logread_tail_timed(path, 5, 3, &got, &t, NULL), 0);
	ck_assert_str_eq(got.buf, "b\nc\nd");
	ck_assert_uint_eq(t.n, 4);
	ck_assert_int_eq(t.us[0], 7);
	ck_assert_int_eq(t.us[1], 200);
	ck_assert_int_eq(t.us[2], 300);
	ck_assert_int_eq(t.us[3], 400);
	logtimes_release(&t);
	strbuf_release(&got);
	free(one);
	free(path);
}
END_TEST

/* ---- follow ---- */

/* Open a follower on path; fails the test on error. */
static struct logfollow *
follow(const char *path)
{
	struct derr e = { "" };
	struct logfollow *f = logfollow_open(path, &e);

	ck_assert_msg(f != NULL, "follow %s: %s", path, e.msg);
	return f;
}

/* Read what the follower has now into got; fails the test on error. */
static void
follow_read(struct logfollow *f, struct strbuf *got)
{
	struct derr e = { "" };

	ck_assert_msg(logfollow_read(f, got, &e) == 0, "read: %s", e.msg);
}

/* Starts at the end; then exactly what is written. */
START_TEST(test_follow_basic)
{
	char *path = tpath("app.log");
	struct strbuf got = STRBUF_INIT;
	struct logfollow *f;

	put(path, "w", "old 1\nold 2\n");
	f = follow(path);
	follow_read(f, &got);
	ck_assert_str_eq(got.buf, "");
	put(path, "a", "new 1\n");
	follow_read(f, &got);
	ck_assert_str_eq(got.buf, "new 1\n");
	put(path, "a", "new 2\nnew 3\n");
	follow_read(f, &got);
	ck_assert_str_eq(got.buf, "new 1\nnew 2\nnew 3\n");
	follow_read(f, &got);
	ck_assert_str_eq(got.buf, "new 1\nnew 2\nnew 3\n");
	logfollow_free(f);
	logfollow_free(NULL);
	strbuf_release(&got);
	free(path);
}
END_TEST

/* An unfinished line is held until its '\n'. */
START_TEST(test_follow_partial)
{
	char *path = tpath("app.log");
	struct strbuf got = STRBUF_INIT;
	struct logfollow *f;

	put(path, "w", "");
	f = follow(path);
	put(path, "a", "ab");
	follow_read(f, &got);
	ck_assert_str_eq(got.buf, "");
	put(path, "a", "c");
	follow_read(f, &got);
	ck_assert_str_eq(got.buf, "");
	put(path, "a", "def\nxy");
	follow_read(f, &got);
	ck_assert_str_eq(got.buf, "abcdef\n");
	put(path, "a", "z\n");
	follow_read(f, &got);
	ck_assert_str_eq(got.buf, "abcdef\nxyz\n");
	logfollow_free(f);
	strbuf_release(&got);
	free(path);
}
END_TEST

/* Rotated by hand with an unfinished line: it is ended and shown. */
START_TEST(test_follow_rename)
{
	char *path = tpath("app.log"), *one = tpath("app.log.1");
	struct strbuf got = STRBUF_INIT;
	struct logfollow *f;

	put(path, "w", "");
	f = follow(path);
	put(path, "a", "a\nb");
	follow_read(f, &got);
	ck_assert_str_eq(got.buf, "a\n");
	ck_assert_int_eq(rename(path, one), 0);
	follow_read(f, &got);		/* renamed, no new file yet */
	ck_assert_str_eq(got.buf, "a\n");
	put(one, "a", "c\n");		/* the old file still grows */
	put(path, "w", "d\n");
	follow_read(f, &got);
	ck_assert_str_eq(got.buf, "a\nbc\nd\n");
	/* left for good with "e" unfinished: it is shown, ended */
	put(path, "a", "e");
	follow_read(f, &got);
	ck_assert_int_eq(rename(path, one), 0);
	put(path, "w", "f\n");
	follow_read(f, &got);
	ck_assert_str_eq(got.buf, "a\nbc\nd\ne\nf\n");
	logfollow_free(f);
	strbuf_release(&got);
	free(path);
	free(one);
}
END_TEST

static const struct {
	unsigned max_step;	/* lines written between two reads */
	long long max_size;
	int max_files;
} rot_rows[] = {
	{ 40, 2048, 50 },	/* at most one rotation per read */
	{ 3000, 2048, 400 },	/* many rotations between reads */
	{ 500, 0, 0 },		/* no rotation at all */
};

/* The writer rotates while we follow: every line once, in order. */
START_TEST(test_follow_rotation)
{
	char *path = tpath("app.log");
	struct strbuf all = STRBUF_INIT, got = STRBUF_INIT;
	struct logfile_opts o = LOGFILE_OPTS_INIT;
	struct logfile *lf;
	struct logfollow *f;
	unsigned seed = 77;
	size_t off = 0;
	char *far;

	o.max_size = rot_rows[_i].max_size;
	o.max_files = rot_rows[_i].max_files;
	lf = logfile_open(path, &o, NULL);
	ck_assert_ptr_nonnull(lf);
	logfile_write(lf, "before following\n", 17);
	f = follow(path);
	numbered(&all, 0, 30000);
	while (off < all.len) {
		size_t n = 12 * (1 + rnd(&seed) % rot_rows[_i].max_step);

		/* cut mid-line too: the writer holds the partial line */
		n += rnd(&seed) % 12;
		if (n > all.len - off)
			n = all.len - off;
		logfile_write(lf, all.buf + off, n);
		off += n;
		follow_read(f, &got);
	}
	follow_read(f, &got);
	ck_assert_uint_eq(got.len, all.len);
	ck_assert_str_eq(got.buf, all.buf);
	if (rot_rows[_i].max_size > 0) {
		far = logfile_rotated_name(path, 10);
		ck_assert_int_eq(access(far, F_OK), 0);
		free(far);
	}
	logfollow_free(f);
	logfile_free(lf);
	strbuf_release(&all);
	strbuf_release(&got);
	free(path);
}
END_TEST

/* copytruncate: the file gets shorter; the new lines are read. */
START_TEST(test_follow_truncate)
{
	char *path = tpath("app.log");
	struct strbuf got = STRBUF_INIT;
	struct logfollow *f;

	put(path, "w", "one\n");
	f = follow(path);
	put(path, "a", "two\nthree\n");
	follow_read(f, &got);
	ck_assert_str_eq(got.buf, "two\nthree\n");
	ck_assert_int_eq(truncate(path, 0), 0);
	put(path, "a", "four\n");
	follow_read(f, &got);
	ck_assert_str_eq(got.buf, "two\nthree\nfour\n");
	logfollow_free(f);
	strbuf_release(&got);
	free(path);
}
END_TEST

/* The inotify fd wakes poll() when the log is written. */
START_TEST(test_follow_fd)
{
	char *path = tpath("app.log");
	struct strbuf got = STRBUF_INIT;
	struct logfollow *f;
	struct pollfd pfd;

	put(path, "w", "");
	f = follow(path);
	pfd.fd = logfollow_fd(f);
	pfd.events = POLLIN;
	ck_assert_int_ge(pfd.fd, 0);
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	put(path, "a", "hello\n");
	ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
	follow_read(f, &got);
	ck_assert_str_eq(got.buf, "hello\n");
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);	/* events were drained */
	logfollow_free(f);
	strbuf_release(&got);
	free(path);
}
END_TEST

/* tail then follow from the same position: no gap, no repeat. */
START_TEST(test_follow_tail)
{
	char *path = tpath("app.log");
	struct strbuf all = STRBUF_INIT, got = STRBUF_INIT;
	struct strbuf want = STRBUF_INIT;
	struct logfollow *f;

	numbered(&all, 0, 100);
	put(path, "w", all.buf);
	f = follow(path);
	strbuf_reset(&all);
	numbered(&all, 100, 110);
	put(path, "a", all.buf);	/* written between open and tail */
	ck_assert_int_eq(logfollow_tail(f, 5, 20, &got, NULL), 0);
	numbered(&want, 80, 100);
	ck_assert_str_eq(got.buf, want.buf);
	follow_read(f, &got);
	numbered(&want, 100, 110);
	ck_assert_str_eq(got.buf, want.buf);
	logfollow_free(f);
	strbuf_release(&all);
	strbuf_release(&got);
	strbuf_release(&want);
	free(path);
}
END_TEST

/* Following a missing log is an error naming it. */
START_TEST(test_follow_missing)
{
	char *path = tpath("none.log");
	struct derr e = { "" };

	ck_assert_ptr_null(logfollow_open(path, &e));
	ck_assert_msg(strstr(e.msg, path) != NULL, "msg: %s", e.msg);
	free(path);
}
END_TEST

/* A new case of s with fixtures and a generous timeout. */
static TCase *
add_case(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, case_setup, case_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return tc;
}

/* The logread suite. */
static Suite *
logread_suite(void)
{
	Suite *s = suite_create("logread");
	TCase *tc;

	tc = add_case(s, "tail");
	tcase_add_loop_test(tc, test_tail_spans, 0, ARRAY_SIZE(span_rows));
	tcase_add_test(tc, test_tail_max_files);
	tcase_add_loop_test(tc, test_tail_edges, 0, ARRAY_SIZE(edge_rows));
	tcase_add_test(tc, test_tail_missing);
	tcase_add_test(tc, test_tail_big_file);
	tcase_add_test(tc, test_tail_written_log);
	tcase_add_loop_test(tc, test_tail_times, 0, ARRAY_SIZE(time_rows));
	tcase_add_test(tc, test_tail_times_rotated);

	tc = add_case(s, "follow");
	tcase_add_test(tc, test_follow_basic);
	tcase_add_test(tc, test_follow_partial);
	tcase_add_test(tc, test_follow_rename);
	tcase_add_loop_test(tc, test_follow_rotation, 0,
			    ARRAY_SIZE(rot_rows));
	tcase_add_test(tc, test_follow_truncate);
	tcase_add_test(tc, test_follow_fd);
	tcase_add_test(tc, test_follow_tail);
	tcase_add_test(tc, test_follow_missing);
	return s;
}

/* Run the suite; exit status tells whether all passed. */
int
main(void)
{
	SRunner *sr = srunner_create(logread_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

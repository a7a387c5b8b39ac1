/* check_logfile.c: log writing, date prefixes, rotation, failing files */
#include <check.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tests/testutil.h"
#include "core/lib/logfile.h"
#include "core/lib/loop.h"
#include "core/lib/strbuf.h"

static char base[64];		/* per test case, made by the parent */
static char tmp[96];		/* per test, inside base */

/* Make the case's directory (in the parent: removed even if a test
 * fails and its own teardown never runs). */
static void
case_setup(void)
{
	snprintf(base, sizeof base, "/tmp/check_logfile.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
}

/* Remove the case's directory and everything in it. */
static void
case_teardown(void)
{
	test_rmtree(base);
}

/* Make the test's own directory; run in UTC. */
static void
setup(void)
{
	snprintf(tmp, sizeof tmp, "%s/t.XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	setenv("TZ", "UTC", 1);
	tzset();
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

/* The whole content of path (which must exist). */
static void
slurp(const char *path, struct strbuf *sb)
{
	strbuf_reset(sb);
	ck_assert_msg(strbuf_read_file(sb, path, 0) == 0, "cannot read %s",
		      path);
}

/* Whether path exists (not following a final symlink). */
static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/*
 * Concatenate path.max .. path.1, path (oldest first) into sb, checking
 * that each file ends with '\n' and, when max_size > 0, that it is no
 * bigger than max_size. Returns how many files there were.
 */
static int
history(const char *path, int max_files, long long max_size,
	struct strbuf *sb)
{
	struct strbuf one = STRBUF_INIT;
	int n = 0;

	strbuf_reset(sb);
	for (int k = max_files; k >= 0; k--) {
		char *name = logfile_rotated_name(path, k);

		if (exists(name)) {
			slurp(name, &one);
			if (one.len > 0)
				ck_assert_msg(one.buf[one.len - 1] == '\n',
					      "%s ends inside a line", name);
			if (max_size > 0)
				ck_assert_msg((long long)one.len <= max_size,
					      "%s has %zu bytes", name,
					      one.len);
			strbuf_add(sb, one.buf, one.len);
			n++;
		}
		free(name);
	}
	strbuf_release(&one);
	return n;
}

/* The size of the smallest of path.1 .. path.max_files (-1: none), to
 * show that no file was rotated before it was full. */
static long long
min_rotated_size(const char *path, int max_files)
{
	long long min = -1;

	for (int k = 1; k <= max_files; k++) {
		char *name = logfile_rotated_name(path, k);
		struct stat st;

		if (stat(name, &st) == 0 && (min < 0 || st.st_size < min))
			min = st.st_size;
		free(name);
	}
	return min;
}

/* Lines "<tag> <n>\n" for n in [from, to), padded to 6 digits. */
static void
numbered(struct strbuf *sb, const char *tag, long from, long to)
{
	for (long i = from; i < to; i++)
		strbuf_addf(sb, "%s %06ld\n", tag, i);
}

/*
 * Check that text is exactly the lines "<tag> <n>" for consecutive n from
 * first (-1: whatever the first line says); returns the line count.
 */
static long
check_numbered(const char *text, size_t len, const char *tag, long first)
{
	size_t tl = strlen(tag);
	long count = 0, want = first;

	for (const char *p = text, *end = text + len; p < end; count++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		long got;

		ck_assert_msg(nl != NULL, "unterminated line at %ld", count);
		ck_assert_msg(nl - p == (long)tl + 7 &&
			      strncmp(p, tag, tl) == 0 && p[tl] == ' ',
			      "bad line %ld: '%.*s'", count,
			      (int)(nl - p), p);
		got = strtol(p + tl + 1, NULL, 10);
		if (want < 0)
			want = got;
		ck_assert_msg(got == want, "line %ld is %ld, want %ld", count,
			      got, want);
		want++;
		p = nl + 1;
	}
	return count;
}

/* A small deterministic generator for chunk sizes. */
static unsigned
rnd(unsigned *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

/* Write data through w (or lf's own writer) in chunks of 1..maxchunk
 * bytes (of maxchunk when seed is NULL); returns the number of calls. */
static long
feed(struct logfile *lf, struct logwriter *w, const char *data, size_t len,
     unsigned *seed, size_t maxchunk)
{
	long calls = 0;

	for (; len > 0; calls++) {
		size_t n = seed ? 1 + rnd(seed) % maxchunk : maxchunk;

		if (n > len)
			n = len;
		if (w != NULL)
			logwriter_write(w, data, n);
		else
			logfile_write(lf, data, n);
		data += n;
		len -= n;
	}
	return calls;
}

/* Write system calls made by this process so far (/proc/self/io). */
static long long
write_calls(void)
{
	struct strbuf sb = STRBUF_INIT;
	long long n = -1;
	char *p;

	ck_assert_int_eq(strbuf_read_file(&sb, "/proc/self/io", 0), 0);
	p = strstr(sb.buf, "syscw: ");
	if (p != NULL)
		n = strtoll(p + 7, NULL, 10);
	strbuf_release(&sb);
	ck_assert(n >= 0);
	return n;
}

/* Open path with the given rotation settings; fails the test on error. */
static struct logfile *
open_log(const char *path, long long max_size, int max_files,
	 const char *date_format, size_t max_pending)
{
	struct logfile_opts o = LOGFILE_OPTS_INIT;
	struct derr e = { "" };
	struct logfile *lf;

	o.max_size = max_size;
	o.max_files = max_files;
	o.date_format = date_format;
	o.max_pending = max_pending;
	lf = logfile_open(path, &o, &e);
	ck_assert_msg(lf != NULL, "open %s: %s", path, e.msg);
	return lf;
}

/* ---- date formats ---- */

static const struct {
	const char *fmt;
	const char *tz;
	const char *want;
} render_rows[] = {
	{ "YYYY-MM-DD HH:mm:ss", "UTC", "2023-11-14 22:13:20" },
	{ "YYYY-MM-DD HH:mm:ss.SSS Z", "UTC",
	  "2023-11-14 22:13:20.123 +00:00" },
	{ "YYYY-MM-DDTHH:mm:ssZZ", "UTC", "2023-11-14T22:13:20+0000" },
	{ "YYYY-MM-DD HH:mm Z", "IST-5:30", "2023-11-15 03:43 +05:30" },
	{ "HH:mm Z", "EST5", "17:13 -05:00" },
	{ "D/M/YY h:mm a", "UTC", "14/11/23 10:13 pm" },
	{ "ddd DD MMM YYYY", "UTC", "Tue 14 Nov 2023" },
	{ "[at] HH:mm:ss", "UTC", "at 22:13:20" },
	{ "X", "UTC", "1700000000" },
	{ "%Y-%m-%d %H:%M:%S", "UTC", "2023-11-14 22:13:20" },
	{ "%Y/%m/%d %H:%M:%S.%L", "UTC", "2023/11/14 22:13:20.123" },
	{ "%H:%M %:z", "IST-5:30", "03:43 +05:30" },
	{ "%%L %%:z %H", "UTC", "%L %:z 22" },
	{ "%L", "UTC", "123" },
};

/* A compiled format renders a fixed instant as expected. */
START_TEST(test_date_render)
{
	struct timespec ts = { 1700000000, 123456789 };
	char *c, buf[128];
	size_t n;

	setenv("TZ", render_rows[_i].tz, 1);
	tzset();
	c = logfile_date_compile(render_rows[_i].fmt);
	n = logfile_date_render(c, &ts, buf, sizeof buf);
	ck_assert_str_eq(buf, render_rows[_i].want);
	ck_assert_uint_eq(n, strlen(render_rows[_i].want));
	free(c);
}
END_TEST

static const struct {
	const char *fmt;
	const char *want;
} compile_rows[] = {
	{ "YYYY-MM-DD HH:mm:ss", "%Y-%m-%d %H:%M:%S" },
	{ "YYYY-MM-DD HH:mm:ss.SSS Z", "%Y-%m-%d %H:%M:%S.%L %:z" },
	{ "[Day] DDDD", "Day %j" },
	{ "%d/%m %H", "%d/%m %H" },
	{ "", "" },
};

/* moment tokens become strftime; '%' strings pass through. */
START_TEST(test_date_compile)
{
	char *c = logfile_date_compile(compile_rows[_i].fmt);

	ck_assert_str_eq(c, compile_rows[_i].want);
	free(c);
}
END_TEST

/* A buffer too small for the result gives 0, not a cut string. */
START_TEST(test_date_render_small)
{
	struct timespec ts = { 1700000000, 0 };
	char buf[16];

	ck_assert_uint_eq(logfile_date_render("%Y-%m-%d", &ts, buf, 8), 0);
	ck_assert_uint_eq(logfile_date_render("%Y.%L", &ts, buf, 7), 0);
	ck_assert_uint_eq(logfile_date_render("%Y.%L", &ts, buf, 9), 8);
	ck_assert_str_eq(buf, "2023.000");
}
END_TEST

/* ---- opening ---- */

/* A missing directory is a clear error naming the path. */
START_TEST(test_open_missing_dir)
{
	char *path = tpath("nodir/app.log");
	struct derr e = { "" };

	ck_assert_ptr_null(logfile_open(path, NULL, &e));
	ck_assert_msg(strstr(e.msg, path) != NULL, "msg: %s", e.msg);
	ck_assert_msg(strstr(e.msg, strerror(ENOENT)) != NULL, "msg: %s",
		      e.msg);
	ck_assert(!exists(path));
	free(path);
}
END_TEST

/* A date format whose result cannot fit is refused at open. */
START_TEST(test_open_long_date)
{
	char *path = tpath("app.log"), fmt[400];
	struct logfile_opts o = LOGFILE_OPTS_INIT;
	struct derr e = { "" };

	memset(fmt, 'x', sizeof fmt - 1);
	fmt[sizeof fmt - 1] = '\0';
	fmt[0] = '%';
	fmt[1] = 'Y';
	o.date_format = fmt;
	ck_assert_ptr_null(logfile_open(path, &o, &e));
	ck_assert_msg(strstr(e.msg, "date format") != NULL, "msg: %s", e.msg);
	free(path);
}
END_TEST

/* NULL frees are no-ops; the file is created 0640 by open. */
START_TEST(test_free_null_and_mode)
{
	char *path = tpath("app.log");
	struct logfile *lf;
	struct stat st;

	logfile_free(NULL);
	logwriter_free(NULL);
	umask(022);
	lf = logfile_open(path, NULL, NULL);
	ck_assert_ptr_nonnull(lf);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0640);
	ck_assert_str_eq(logfile_path(lf), path);
	logfile_free(lf);
	free(path);
}
END_TEST

/* ---- lines and rotation ---- */

#define BIG_LINES 200000

/* 200,000 lines in uneven chunks through many rotations: all of them,
 * once each, in order, every file within max_size. */
START_TEST(test_rotation_keeps_every_line)
{
	char *path = tpath("app.log");
	struct strbuf in = STRBUF_INIT, got = STRBUF_INIT;
	struct logfile *lf = open_log(path, 64 * 1024, 100, NULL, 0);
	unsigned seed = 12345;
	char *after_last;
	int files;

	numbered(&in, "line", 0, BIG_LINES);
	feed(lf, NULL, in.buf, in.len, &seed, 5000);
	ck_assert_int_eq(logfile_dropped(lf), 0);
	ck_assert_uint_eq(logfile_pending(lf), 0);
	logfile_free(lf);
	files = history(path, 100, 64 * 1024, &got);
	ck_assert_int_gt(files, 30);
	after_last = logfile_rotated_name(path, files);
	ck_assert(!exists(after_last));
	free(after_last);
	ck_assert_int_eq(check_numbered(got.buf, got.len, "line", 0),
			 BIG_LINES);
	ck_assert_uint_eq(got.len, in.len);
	ck_assert_int_gt(min_rotated_size(path, 100), 64 * 1024 - 12);
	strbuf_release(&in);
	strbuf_release(&got);
	free(path);
}
END_TEST

static const struct {
	int max_files;
	int want_files;		/* path plus rotated files */
} keep_rows[] = {
	{ 0, 1 }, { 1, 2 }, { 3, 4 },
};

/* Only max_files rotated files are kept; the newest lines survive. */
START_TEST(test_max_files)
{
	char *path = tpath("app.log");
	struct strbuf in = STRBUF_INIT, got = STRBUF_INIT;
	int mf = keep_rows[_i].max_files;
	struct logfile *lf = open_log(path, 1000, mf, NULL, 0);
	unsigned seed = 7;
	long lines;
	char *name;

	numbered(&in, "n", 0, 5000);
	feed(lf, NULL, in.buf, in.len, &seed, 300);
	logfile_free(lf);
	ck_assert_int_eq(history(path, mf + 5, 1000, &got),
			 keep_rows[_i].want_files);
	name = logfile_rotated_name(path, mf + 1);
	ck_assert(!exists(name));
	free(name);
	/* 111 lines of 9 bytes fill a file; 5000 = 45 * 111 + 5 */
	lines = check_numbered(got.buf, got.len, "n", -1);
	ck_assert_int_eq(lines, 5 + 111 * mf);
	/* The newest line is the last one written. */
	ck_assert_str_eq(got.buf + got.len - 9, "n 004999\n");
	strbuf_release(&in);
	strbuf_release(&got);
	free(path);
}
END_TEST

/* A file already over max_size is rotated before the first new line. */
START_TEST(test_rotates_existing_big_file)
{
	char *path = tpath("app.log"), *one = tpath("app.log.1");
	struct strbuf got = STRBUF_INIT;
	struct logfile *lf;
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	for (int i = 0; i < 100; i++)
		fputs("old line\n", fp);
	fclose(fp);
	lf = open_log(path, 500, 5, NULL, 0);
	logfile_write(lf, "new\n", 4);
	logfile_free(lf);
	slurp(path, &got);
	ck_assert_str_eq(got.buf, "new\n");
	slurp(one, &got);
	ck_assert_uint_eq(got.len, 900);
	strbuf_release(&got);
	free(path);
	free(one);
}
END_TEST

/* A partial line is held until its newline; flush writes it, ended. */
START_TEST(test_partial_line)
{
	char *path = tpath("app.log");
	struct strbuf got = STRBUF_INIT;
	struct logfile *lf = open_log(path, 0, 0, NULL, 0);

	logfile_write(lf, "abc", 3);
	slurp(path, &got);
	ck_assert_str_eq(got.buf, "");
	logfile_write(lf, "def\nxy", 6);
	slurp(path, &got);
	ck_assert_str_eq(got.buf, "abcdef\n");
	logfile_write(lf, "z", 1);
	slurp(path, &got);
	ck_assert_str_eq(got.buf, "abcdef\n");
	logfile_flush(lf);
	slurp(path, &got);
	ck_assert_str_eq(got.buf, "abcdef\nxyz\n");
	logfile_flush(lf);
	logfile_write(lf, "\n\n", 2);
	logfile_free(lf);
	slurp(path, &got);
	ck_assert_str_eq(got.buf, "abcdef\nxyz\n\n\n");
	strbuf_release(&got);
	free(path);
}
END_TEST

static const struct {
	size_t len;		/* bytes before the '\n' */
	size_t chunk;		/* written this many at a time; 0: random */
} long_rows[] = {
	{ LOGFILE_LINE_MAX - 1, 0 },
	{ LOGFILE_LINE_MAX, 0 },
	{ LOGFILE_LINE_MAX, LOGFILE_LINE_MAX },	/* '\n' comes alone */
	{ LOGFILE_LINE_MAX + 1, 0 },
	{ LOGFILE_LINE_MAX + 1, LOGFILE_LINE_MAX },
	{ 3 * LOGFILE_LINE_MAX, 0 },
	{ 200000, 0 },
	{ 200 * 1024, 65536 },			/* as pipe reads come */
};

/* A line over LOGFILE_LINE_MAX reaches the file whole, one line. */
START_TEST(test_long_line)
{
	char *path = tpath("app.log");
	size_t len = long_rows[_i].len;
	char *line = xmalloc(len + 1);
	struct strbuf got = STRBUF_INIT, joined = STRBUF_INIT;
	struct logfile *lf = open_log(path, 0, 0, NULL, 0);
	unsigned seed = 99;
	int pieces = 0;

	for (size_t i = 0; i < len; i++)
		line[i] = (char)('a' + i % 26);
	line[len] = '\n';
	if (long_rows[_i].chunk == 0)
		feed(lf, NULL, line, len + 1, &seed, 30000);
	else
		feed(lf, NULL, line, len + 1, NULL, long_rows[_i].chunk);
	logfile_write(lf, "after\n", 6);
	logfile_free(lf);
	slurp(path, &got);
	for (char *p = got.buf, *nl; (nl = strchr(p, '\n')) != NULL;
	     p = nl + 1) {
		if (strncmp(p, "after\n", 6) != 0) {
			strbuf_add(&joined, p, (size_t)(nl - p));
			pieces++;
		}
	}
	ck_assert_int_eq(pieces, 1);
	ck_assert_uint_eq(joined.len, len);
	ck_assert(memcmp(joined.buf, line, len) == 0);
	ck_assert_str_eq(got.buf + got.len - 6, "after\n");
	strbuf_release(&got);
	strbuf_release(&joined);
	free(line);
	free(path);
}
END_TEST

static const struct {
	const char *fmt;
	const char *re;		/* the whole line */
	const char *parse;	/* strptime format of the date */
} prefix_rows[] = {
	{ "%Y-%m-%d %H:%M:%S",
	  "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}: "
	  "(hello|world|tail)$", "%Y-%m-%d %H:%M:%S" },
	{ "YYYY-MM-DD HH:mm:ss.SSS Z",
	  "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} "
	  "\\+00:00: (hello|world|tail)$", "%Y-%m-%d %H:%M:%S" },
	{ "%s", "^[0-9]+: (hello|world|tail)$", "%s" },
};

/* Each complete line gets "<date>: " with the time it was written. */
START_TEST(test_date_prefix)
{
	char *path = tpath("app.log");
	struct strbuf got = STRBUF_INIT;
	struct logfile *lf = open_log(path, 0, 0, prefix_rows[_i].fmt, 0);
	struct timespec before, after;
	int lines = 0;
	regex_t re;

	ck_assert_int_eq(regcomp(&re, prefix_rows[_i].re,
				 REG_EXTENDED | REG_NOSUB), 0);
	clock_gettime(CLOCK_REALTIME, &before);
	logfile_write(lf, "hel", 3);
	logfile_write(lf, "lo\nworld\nta", 11);
	logfile_write(lf, "il", 2);
	logfile_flush(lf);
	clock_gettime(CLOCK_REALTIME, &after);
	logfile_free(lf);
	slurp(path, &got);
	for (char *line = strtok(got.buf, "\n"); line != NULL;
	     line = strtok(NULL, "\n"), lines++) {
		struct tm tm = { 0 };
		time_t t;

		ck_assert_msg(regexec(&re, line, 0, NULL, 0) == 0,
			      "line '%s' !~ %s", line, prefix_rows[_i].re);
		ck_assert_ptr_nonnull(strptime(line, prefix_rows[_i].parse,
					       &tm));
		t = mktime(&tm);
		ck_assert_msg(t >= before.tv_sec && t <= after.tv_sec,
			      "time %lld", (long long)t);
	}
	ck_assert_int_eq(lines, 3);
	regfree(&re);
	strbuf_release(&got);
	free(path);
}
END_TEST

/* ---- sharing ---- */

/* A partial line held LOGFILE_HOLD_MS goes out as it is (one date
 * prefix); the rest of the line continues it. */
START_TEST(test_partial_tick)
{
	char *path = tpath("app.log");
	struct strbuf got = STRBUF_INIT;
	struct logfile *lf = open_log(path, 0, 0, _i ? "[T]" : NULL, 0);
	const char *p = _i ? "T: " : "";
	char want[64];
	long long due;

	ck_assert_int_eq(logfile_due(lf), -1);
	logfile_write(lf, "ok\npassword: ", 13);
	due = logfile_due(lf);
	ck_assert_int_ge(due, now_ms() - 5000);
	ck_assert_int_le(due, now_ms() + LOGFILE_HOLD_MS);
	logfile_tick(lf, due - 1);		/* not yet */
	slurp(path, &got);
	snprintf(want, sizeof want, "%sok\n", p);
	ck_assert_str_eq(got.buf, want);
	logfile_tick(lf, due);
	ck_assert_int_eq(logfile_due(lf), -1);
	slurp(path, &got);
	snprintf(want, sizeof want, "%sok\n%spassword: ", p, p);
	ck_assert_str_eq(got.buf, want);
	logfile_write(lf, "hunter2\nnext\n", 13);
	slurp(path, &got);
	snprintf(want, sizeof want, "%sok\n%spassword: hunter2\n%snext\n",
		 p, p, p);
	ck_assert_str_eq(got.buf, want);
	logfile_write(lf, "end", 3);
	logfile_tick(lf, logfile_due(lf));
	logfile_free(lf);			/* ends the open line */
	slurp(path, &got);
	ck_assert_str_eq(got.buf + got.len - 4, "end\n");
	strbuf_release(&got);
	free(path);
}
END_TEST

/* On a shared file, another writer's line cuts an unfinished one: it
 * ends with LOGFILE_CUT_MARK, its rest is a line of its own. */
START_TEST(test_cut_mark)
{
	char *path = tpath("merged.log");
	struct strbuf got = STRBUF_INIT;
	struct logfile *lf = open_log(path, 0, 0, NULL, 0);
	struct logwriter *wa = logwriter_new(lf), *wb = logwriter_new(lf);

	logwriter_write(wa, "aaa", 3);
	logfile_tick(lf, logfile_due(lf));
	logwriter_write(wb, "bbb\n", 4);
	logwriter_write(wa, "ccc\n", 4);
	logwriter_free(wa);
	logwriter_free(wb);
	logfile_free(lf);
	slurp(path, &got);
	ck_assert_str_eq(got.buf, "aaa" LOGFILE_CUT_MARK "\nbbb\nccc\n");
	strbuf_release(&got);
	free(path);
}
END_TEST

static const struct {
	const char *in;
	const char *last;
} last_rows[] = {
	{ "one\ntwo\n", "two" },
	{ "err\n\n  \n", "err" },		/* blank lines do not count */
	{ "a\tb\r\n", "a b" },
	{ "bad \xff byte\n", "bad ? byte" },
	{ "caf\xc3\xa9 ok\n", "caf\xc3\xa9 ok" },
	{ "cut \xe2\x82\n", "cut ??" },	/* a sequence cut short */
	{ "\xed\xa0\x80\n", "???" },		/* a surrogate */
	{ "x\npartial", "x" },			/* still held */
	{ "", "" },
};

/* A writer's last line: the last non-blank one, valid UTF-8, bounded. */
START_TEST(test_last_line)
{
	char *path = tpath("err.log");
	struct logfile *lf = open_log(path, 0, 0, "[T]", 0);
	struct logwriter *w = logwriter_new(lf);
	struct strbuf big = STRBUF_INIT;

	ck_assert_str_eq(logwriter_last_line(w), "");
	logwriter_write(w, "not kept\n", 9);
	ck_assert_str_eq(logwriter_last_line(w), "");
	logwriter_keep_last(w);
	logwriter_write(w, last_rows[_i].in, strlen(last_rows[_i].in));
	ck_assert_str_eq(logwriter_last_line(w), last_rows[_i].last);
	/* bounded, and never cutting a character in two */
	logwriter_write(w, "\n", 1);
	for (int i = 0; i < 150; i++)
		strbuf_addstr(&big, "\xc3\xa9");
	strbuf_addch(&big, '\n');
	logwriter_write(w, big.buf, big.len);
	ck_assert_uint_eq(strlen(logwriter_last_line(w)), LOGFILE_LAST_MAX);
	logwriter_write(w, "x", 1);
	logwriter_write(w, big.buf, big.len);
	ck_assert_uint_eq(strlen(logwriter_last_line(w)),
			  LOGFILE_LAST_MAX - 1);
	logwriter_free(w);
	logfile_free(lf);
	strbuf_release(&big);
	free(path);
}
END_TEST

/* Read the order index of rotated file k of path into recs (at most
 * max); returns the count, checking the header names the file. */
static size_t
read_index(const char *path, int k, struct logfile_idx_rec *recs,
	   size_t max)
{
	char *name = logfile_rotated_name(path, k);
	char *iname = logfile_index_name(path, k);
	struct logfile_idx_head h;
	struct stat st;
	FILE *fp = fopen(iname, "r");
	size_t n;

	ck_assert_msg(fp != NULL, "no index '%s'", iname);
	ck_assert_int_eq(stat(name, &st), 0);
	ck_assert_int_eq(fread(&h, sizeof h, 1, fp), 1);
	ck_assert_uint_eq(h.ino, (uint64_t)st.st_ino);
	n = fread(recs, sizeof *recs, max, fp);
	fclose(fp);
	ck_assert_uint_gt(n, 0);
	for (size_t i = 1; i < n; i++)
		ck_assert_int_le(recs[i - 1].end, recs[i].end);
	ck_assert_int_eq(recs[n - 1].end, st.st_size);
	free(name);
	free(iname);
	return n;
}

/* Each write is recorded in the hidden index beside the file, which
 * rotates with it. */
START_TEST(test_index)
{
	char *path = tpath("app.log");
	struct logfile_idx_rec recs[64];
	struct strbuf in = STRBUF_INIT;
	struct timespec t0, t1;
	struct logfile *lf = open_log(path, 1200, 3, NULL, 0);
	long long us0, us1;
	size_t n;
	char *one = logfile_index_name(path, 1);

	ck_assert_str_eq(strrchr(one, '/'), "/.app.log.1.idx");
	free(one);
	clock_gettime(CLOCK_REALTIME, &t0);
	numbered(&in, "line", 0, 150);			/* 1800 bytes */
	for (size_t off = 0; off < in.len; off += 300)
		logfile_write(lf, in.buf + off, 300);
	clock_gettime(CLOCK_REALTIME, &t1);
	logfile_free(lf);
	us0 = (long long)t0.tv_sec * 1000000 + t0.tv_nsec / 1000;
	us1 = (long long)t1.tv_sec * 1000000 + t1.tv_nsec / 1000;
	n = read_index(path, 1, recs, 64);
	ck_assert_int_eq(recs[n - 1].end, 1200);
	ck_assert_int_ge(recs[0].us, us0);
	n = read_index(path, 0, recs, 64);
	ck_assert_int_eq(recs[n - 1].end, 600);
	ck_assert_int_le(recs[n - 1].us, us1);
	strbuf_release(&in);
	free(path);
}
END_TEST

/* Two writers on one file, chunks interleaved at random and cut
 * mid-line, through rotations: no line mixes the two. */
START_TEST(test_two_writers)
{
	char *path = tpath("merged.log");
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, got = STRBUF_INIT;
	struct logfile *lf = open_log(path, 16 * 1024, 1000, NULL, 0);
	struct logwriter *wa = logwriter_new(lf), *wb = logwriter_new(lf);
	size_t oa = 0, ob = 0;
	unsigned seed = 4242;
	long na = 0, nb = 0, want_a = 0, want_b = 0;

	logfile_free(lf);	/* the writers keep it open */
	numbered(&a, "A", 0, 20000);
	numbered(&b, "B", 0, 20000);
	while (oa < a.len || ob < b.len) {
		int pick_a = ob >= b.len || (oa < a.len && rnd(&seed) % 2);
		struct strbuf *src = pick_a ? &a : &b;
		size_t *off = pick_a ? &oa : &ob;
		size_t n = 1 + rnd(&seed) % 40;

		if (n > src->len - *off)
			n = src->len - *off;
		logwriter_write(pick_a ? wa : wb, src->buf + *off, n);
		*off += n;
	}
	logwriter_free(wa);
	logwriter_free(wb);
	ck_assert_int_gt(history(path, 1000, 16 * 1024, &got), 5);
	for (char *line = strtok(got.buf, "\n"); line != NULL;
	     line = strtok(NULL, "\n")) {
		long *want = line[0] == 'A' ? &want_a : &want_b;

		ck_assert_msg((line[0] == 'A' || line[0] == 'B') &&
			      strlen(line) == 8 && line[1] == ' ',
			      "mixed line '%s'", line);
		ck_assert_int_eq(strtol(line + 2, NULL, 10), *want);
		(*want)++;
		if (line[0] == 'A')
			na++;
		else
			nb++;
	}
	ck_assert_int_eq(na, 20000);
	ck_assert_int_eq(nb, 20000);
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&got);
	free(path);
}
END_TEST

/* The file lives until its last reference; the last one flushes. */
START_TEST(test_refcount)
{
	char *path = tpath("app.log");
	struct strbuf got = STRBUF_INIT;
	struct logfile *lf = open_log(path, 0, 0, NULL, 0);
	struct logfile *r = logfile_ref(lf);

	ck_assert_ptr_eq(r, lf);
	logfile_write(lf, "one\ntwo", 7);
	logfile_free(lf);
	slurp(path, &got);
	ck_assert_str_eq(got.buf, "one\n");
	logfile_write(r, " more", 5);
	logfile_free(r);
	slurp(path, &got);
	ck_assert_str_eq(got.buf, "one\ntwo more\n");
	strbuf_release(&got);
	free(path);
}
END_TEST

/* ---- failing files ---- */

/* Directory removed after open: no crash, pending stays bounded, lines
 * beyond it are dropped and counted; once the directory is back the
 * pending lines are written whole and in order. */
START_TEST(test_dir_removed)
{
	char *dir = tpath("sub"), *path = tpath("sub/app.log");
	char *idx = tpath("sub/.app.log.idx");
	struct strbuf in = STRBUF_INIT, got = STRBUF_INIT;
	struct logfile *lf;
	unsigned seed = 5;
	size_t pend;

	ck_assert_int_eq(mkdir(dir, 0755), 0);
	lf = open_log(path, 4096, 100, NULL, 1);
	numbered(&in, "line", 0, 200000);
	logfile_write(lf, in.buf, 1200);		/* lines 0..99 */
	ck_assert_int_eq(unlink(path), 0);
	unlink(idx);				/* the order index beside it */
	ck_assert_int_eq(rmdir(dir), 0);
	feed(lf, NULL, in.buf + 1200, in.len - 1200, &seed, 4000);
	pend = logfile_pending(lf);
	ck_assert_uint_gt(pend, 0);
	ck_assert_uint_le(pend, LOGFILE_PENDING_MIN);
	ck_assert_int_gt(logfile_dropped(lf), 0);
	ck_assert_int_eq(logfile_errno(lf), ENOENT);
	logfile_flush(lf);			/* still missing: no harm */
	ck_assert_uint_eq(logfile_pending(lf), pend);

	ck_assert_int_eq(mkdir(dir, 0755), 0);
	logfile_flush(lf);
	ck_assert_uint_eq(logfile_pending(lf), 0);
	ck_assert_int_eq(logfile_errno(lf), 0);
	history(path, 100, 4096, &got);
	ck_assert_uint_eq(got.len, pend);
	ck_assert_int_eq(check_numbered(got.buf, got.len, "line", -1),
			 (long)pend / 12);
	ck_assert_int_gt(min_rotated_size(path, 100), 4096 - 12);
	logfile_free(lf);
	strbuf_release(&in);
	strbuf_release(&got);
	free(dir);
	free(idx);
	free(path);
}
END_TEST

/* Rotation impossible (path.1 is a directory): keep writing to the
 * current file past max_size rather than lose lines. */
START_TEST(test_rotation_blocked)
{
	char *path = tpath("app.log"), *one = tpath("app.log.1");
	char *inner = tpath("app.log.1/keep");
	struct strbuf in = STRBUF_INIT, got = STRBUF_INIT;
	struct logfile *lf;
	struct stat st;
	unsigned seed = 3;
	FILE *fp;

	ck_assert_int_eq(mkdir(one, 0755), 0);
	ck_assert_ptr_nonnull(fp = fopen(inner, "w"));
	fclose(fp);
	lf = open_log(path, 4096, 1, NULL, 0);
	numbered(&in, "line", 0, 20000);
	feed(lf, NULL, in.buf, in.len, &seed, 3000);
	ck_assert_int_eq(logfile_dropped(lf), 0);
	ck_assert_uint_eq(logfile_pending(lf), 0);
	logfile_free(lf);
	slurp(path, &got);
	ck_assert_int_eq(check_numbered(got.buf, got.len, "line", 0), 20000);
	ck_assert_int_eq(stat(one, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	strbuf_release(&in);
	strbuf_release(&got);
	free(path);
	free(one);
	free(inner);
}
END_TEST

/* /dev/full (ENOSPC): no crash, memory bounded, every byte accounted
 * for as pending or dropped, and the device is never "rotated". */
START_TEST(test_dev_full)
{
	char *path = tpath("full.log"), *one = tpath("full.log.1");
	struct strbuf in = STRBUF_INIT;
	struct logfile *lf;
	unsigned seed = 11;
	long long writes;
	long calls;
	struct stat st;

	ck_assert_int_eq(symlink("/dev/full", path), 0);
	lf = open_log(path, 4096, 5, NULL, 100000);
	numbered(&in, "line", 0, 100000);
	writes = write_calls();
	calls = feed(lf, NULL, in.buf, in.len, &seed, 8000);
	/* a full disk costs one failed write per call, not one per line */
	ck_assert_int_le(write_calls() - writes, 2 * calls);
	ck_assert_int_eq(logfile_errno(lf), ENOSPC);
	ck_assert_uint_le(logfile_pending(lf), 100000);
	ck_assert_uint_gt(logfile_pending(lf), 100000 - 12);
	ck_assert_int_gt(logfile_dropped(lf), 0);
	ck_assert_int_eq(logfile_dropped(lf) + (long long)logfile_pending(lf),
			 (long long)in.len);
	/* a retry fails the same way and changes nothing */
	logfile_flush(lf);
	ck_assert_int_eq(logfile_dropped(lf) + (long long)logfile_pending(lf),
			 (long long)in.len);
	logfile_free(lf);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert(!exists(one));
	strbuf_release(&in);
	free(path);
	free(one);
}
END_TEST

/* "/dev/null" as a log (PM2 users write that) is never renamed. */
START_TEST(test_dev_null)
{
	char *path = tpath("null.log"), *one = tpath("null.log.1");
	struct strbuf in = STRBUF_INIT;
	struct logfile *lf;
	struct stat st;

	ck_assert_int_eq(symlink("/dev/null", path), 0);
	lf = open_log(path, 1024, 5, "%s", 0);
	numbered(&in, "line", 0, 10000);
	logfile_write(lf, in.buf, in.len);
	ck_assert_int_eq(logfile_dropped(lf), 0);
	ck_assert_uint_eq(logfile_pending(lf), 0);
	ck_assert_int_eq(logfile_errno(lf), 0);
	logfile_free(lf);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert(!exists(one));
	strbuf_release(&in);
	free(path);
	free(one);
}
END_TEST

/* Add test fn to a new case of s, with fixtures and a generous timeout. */
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

/* The logfile suite. */
static Suite *
logfile_suite(void)
{
	Suite *s = suite_create("logfile");
	TCase *tc;

	tc = add_case(s, "date");
	tcase_add_loop_test(tc, test_date_render, 0, ARRAY_SIZE(render_rows));
	tcase_add_loop_test(tc, test_date_compile, 0,
			    ARRAY_SIZE(compile_rows));
	tcase_add_test(tc, test_date_render_small);
	tcase_add_loop_test(tc, test_date_prefix, 0, ARRAY_SIZE(prefix_rows));

	tc = add_case(s, "open");
	tcase_add_test(tc, test_open_missing_dir);
	tcase_add_test(tc, test_open_long_date);
	tcase_add_test(tc, test_free_null_and_mode);

	tc = add_case(s, "lines");
	tcase_add_test(tc, test_partial_line);
	tcase_add_loop_test(tc, test_long_line, 0, ARRAY_SIZE(long_rows));
	tcase_add_loop_test(tc, test_partial_tick, 0, 2);
	tcase_add_test(tc, test_cut_mark);
	tcase_add_loop_test(tc, test_last_line, 0, ARRAY_SIZE(last_rows));
	tcase_add_test(tc, test_index);
	tcase_add_test(tc, test_refcount);
	tcase_add_test(tc, test_two_writers);

	tc = add_case(s, "rotation");
	tcase_add_test(tc, test_rotation_keeps_every_line);
	tcase_add_loop_test(tc, test_max_files, 0, ARRAY_SIZE(keep_rows));
	tcase_add_test(tc, test_rotates_existing_big_file);

	tc = add_case(s, "failure");
	tcase_add_test(tc, test_dir_removed);
	tcase_add_test(tc, test_rotation_blocked);
	tcase_add_test(tc, test_dev_full);
	tcase_add_test(tc, test_dev_null);
	return s;
}

/* Run the suite; exit status is the number of failures. */
int
main(void)
{
	SRunner *sr = srunner_create(logfile_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* check_procstat.c: process tree CPU% and RSS from fixture and real /proc */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/lib/procstat.h"
#include "tests/testutil.h"

#define FIXTURES "tests/fixtures/proc"

/* A temporary symlink standing in for the proc root, so one sampler
 * can read t0 and then t1. */
struct fxroot {
	char dir[64];
	char link[96];
};

/* Make the temporary directory of a fixture root. */
static void
fx_init(struct fxroot *fx)
{
	snprintf(fx->dir, sizeof fx->dir, "/tmp/check_procstat.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx->dir));
	snprintf(fx->link, sizeof fx->link, "%s/proc", fx->dir);
}

/* Point the fixture root at tests/fixtures/proc/<name>. */
static void
fx_point(struct fxroot *fx, const char *name)
{
	char rel[PATH_MAX], abs[PATH_MAX];

	snprintf(rel, sizeof rel, "%s/%s", FIXTURES, name);
	ck_assert_ptr_nonnull(realpath(rel, abs));
	unlink(fx->link);
	ck_assert_int_eq(symlink(abs, fx->link), 0);
}

/* Remove the fixture root. */
static void
fx_done(struct fxroot *fx)
{
	unlink(fx->link);
	rmdir(fx->dir);
}

/*
 * Refresh ps from each fixture named in snaps (NULL-terminated): "t0"
 * sweeps it whole, "t1:200,300" reads only those roots and the
 * descendants the previous sample knew.
 */
static void
sample_fixtures(struct procstat *ps, struct fxroot *fx,
		const char *const *snaps)
{
	struct derr e = { "" };

	for (; *snaps != NULL; snaps++) {
		char name[16];
		const char *colon = strchr(*snaps, ':');
		pid_t roots[8];
		size_t n = 0;
		int rc;

		snprintf(name, sizeof name, "%.*s",
			 colon ? (int)(colon - *snaps) : (int)strlen(*snaps),
			 *snaps);
		fx_point(fx, name);
		for (const char *p = colon; p != NULL && n < 8;
		     p = strchr(p + 1, ','))
			roots[n++] = (pid_t)atoi(p + 1);
		rc = colon ? procstat_refresh_roots(ps, roots, n, &e) :
			     procstat_refresh(ps, &e);
		ck_assert_msg(rc == 0, "%s: %s", *snaps, e.msg);
	}
}

static const struct tree_row {
	const char *snaps[4];
	pid_t root;
	int rc;
	int nprocs;
	long long pages;	/* statm resident */
	double cpu;
} tree_rows[] = {
	/* first sample: trees, RSS, CPU 0 */
	{ { "t0" }, 1, 0, 8, 2190, 0 },
	{ { "t0" }, 100, 0, 6, 2080, 0 },
	{ { "t0" }, 200, 0, 3, 1550, 0 },
	{ { "t0" }, 201, 0, 2, 550, 0 },	/* "(my (weird) app)" */
	{ { "t0" }, 202, 0, 1, 50, 0 },		/* "(x) (y)" */
	{ { "t0" }, 300, 0, 2, 330, 0 },
	{ { "t0" }, 203, -1, 0, 0, 0 },		/* no stat: vanished */
	{ { "t0" }, 500, -1, 0, 0, 0 },		/* stat cut short */
	{ { "t0" }, 600, -1, 0, 0, 0 },		/* no statm */
	{ { "t0" }, 123, -1, 0, 0, 0 },		/* "123abc" is no pid */
	{ { "t0" }, 999, -1, 0, 0, 0 },
	/* t0 then t1: 400 jiffies over 4 CPUs, 1 tick = 1% */
	{ { "t0", "t1" }, 200, 0, 3, 1770, 75.0 },	/* 50+15+10 new */
	{ { "t0", "t1" }, 201, 0, 2, 670, 25.0 },
	{ { "t0", "t1" }, 100, 0, 5, 2290, 84.0 },
	{ { "t0", "t1" }, 300, 0, 1, 320, 5.0 },	/* reused pid */
	{ { "t0", "t1" }, 301, 0, 1, 30, 2.0 },		/* stale ppid */
	{ { "t0", "t1" }, 400, 0, 1, 10, 0.0 },
	{ { "t0", "t1" }, 700, 0, 1, 5, 400.0 },	/* clamped */
	{ { "t0", "t1" }, 1, 0, 8, 2405, 400.0 },
	{ { "t0", "t1" }, 202, -1, 0, 0, 0 },		/* exited */
	/* t1 reading only known trees: 204 (forked since) is not seen,
	 * 202 has gone, 300's reused pid counts all its ticks, 301's
	 * stale ppid leaves it out; a new root is read all the same */
	{ { "t0", "t1:200" }, 200, 0, 2, 1700, 65.0 },
	{ { "t0", "t1:100" }, 100, 0, 4, 2220, 74.0 },
	{ { "t0", "t1:700" }, 700, 0, 1, 5, 400.0 },
	{ { "t0", "t1:200,202" }, 202, -1, 0, 0, 0 },
	{ { "t0", "t1:200" }, 300, -1, 0, 0, 0 },	/* not a root */
	{ { "t0:200" }, 200, 0, 1, 1000, 0 },		/* no tree known */
	/* and the next full sweep finds 204, deltas against the roots */
	{ { "t0", "t1:200", "t1" }, 200, 0, 3, 1770, 0.0 },
	{ { "t0", "t0:200", "t1" }, 200, 0, 3, 1770, 75.0 },
	/* no time passed, or time went backwards: 0, never negative */
	{ { "t0", "t0" }, 200, 0, 3, 1550, 0.0 },
	{ { "t1", "t0" }, 100, 0, 6, 2080, 0.0 },
};

/* Each row: sample the fixtures, check the tree of one root. */
START_TEST(test_tree_rows)
{
	const struct tree_row *r = &tree_rows[_i];
	struct proc_usage u = { -1, -1, -1 };
	long pg = sysconf(_SC_PAGESIZE);
	struct fxroot fx;
	struct procstat *ps;

	fx_init(&fx);
	ps = procstat_new(fx.link);
	sample_fixtures(ps, &fx, r->snaps);
	ck_assert_int_eq(procstat_tree(ps, r->root, &u), r->rc);
	if (r->rc == 0) {
		ck_assert_int_eq(u.nprocs, r->nprocs);
		ck_assert_int_eq(u.rss_bytes, r->pages * pg);
		ck_assert_double_eq_tol(u.cpu_pct, r->cpu, 1e-9);
	}
	procstat_free(ps);
	fx_done(&fx);
}
END_TEST

static const struct desc_row {
	pid_t root;
	size_t max;
	int rc;
	pid_t want[8];
	size_t nwant;
} desc_rows[] = {
	{ 100, 8, 5, { 200, 201, 202, 300, 301 }, 5 },	/* preorder */
	{ 100, 2, 5, { 200, 201 }, 2 },			/* truncated */
	{ 200, 8, 2, { 201, 202 }, 2 },
	{ 202, 8, 0, { 0 }, 0 },			/* a leaf */
	{ 1, 0, 7, { 0 }, 0 },				/* count only */
	{ 203, 8, -1, { 0 }, 0 },			/* vanished */
};

/* Each row: the descendants of a root in t0. */
START_TEST(test_descendants)
{
	const struct desc_row *r = &desc_rows[_i];
	pid_t out[8] = { 0 };
	const char *const snaps[] = { "t0", NULL };
	struct fxroot fx;
	struct procstat *ps;

	fx_init(&fx);
	ps = procstat_new(fx.link);
	sample_fixtures(ps, &fx, snaps);
	ck_assert_int_eq(procstat_descendants(ps, r->root,
					      r->max ? out : NULL, r->max),
			 r->rc);
	for (size_t i = 0; i < r->nwant; i++)
		ck_assert_int_eq(out[i], r->want[i]);
	for (size_t i = r->nwant; i < 8; i++)
		ck_assert_int_eq(out[i], 0);	/* nothing past max */
	procstat_free(ps);
	fx_done(&fx);
}
END_TEST

static const struct err_row {
	const char *root;
	const char *msg;
} err_rows[] = {
	{ FIXTURES "/nonexistent",
	  "cannot open '" FIXTURES "/nonexistent': No such file" },
	{ FIXTURES, "cannot open '" FIXTURES "/stat': No such file" },
	{ FIXTURES "/t0/net", "cannot open '" FIXTURES "/t0/net/stat'" },
};

/* Each row: a root that cannot be sampled fails with a clear message. */
START_TEST(test_refresh_errors)
{
	const struct err_row *r = &err_rows[_i];
	struct procstat *ps = procstat_new(r->root);
	struct derr e = { "" };

	ck_assert_int_eq(procstat_refresh(ps, &e), -1);
	ck_assert_msg(strncmp(e.msg, r->msg, strlen(r->msg)) == 0,
		      "got '%s'", e.msg);
	procstat_free(ps);
}
END_TEST

/* A failed refresh keeps the previous sample. */
START_TEST(test_failed_refresh_keeps_sample)
{
	const char *const snaps[] = { "t0", "t1", NULL };
	struct proc_usage u;
	struct fxroot fx;
	struct procstat *ps;
	struct derr e = { "" };

	fx_init(&fx);
	ps = procstat_new(fx.link);
	sample_fixtures(ps, &fx, snaps);
	unlink(fx.link);
	ck_assert_int_eq(procstat_refresh(ps, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "No such file"));
	ck_assert_int_eq(procstat_tree(ps, 200, &u), 0);
	ck_assert_double_eq_tol(u.cpu_pct, 75.0, 1e-9);
	ck_assert_int_eq(u.nprocs, 3);
	procstat_free(ps);
	fx_done(&fx);
}
END_TEST

/* Many refreshes reuse the arrays and keep giving the same answers. */
START_TEST(test_repeated_refresh)
{
	const char *const snaps[] = { "t0", "t1", NULL };
	struct proc_usage u;
	struct fxroot fx;
	struct procstat *ps;

	fx_init(&fx);
	ps = procstat_new(fx.link);
	for (int i = 0; i < 50; i++)
		sample_fixtures(ps, &fx, snaps);
	ck_assert_int_eq(procstat_tree(ps, 100, &u), 0);
	ck_assert_double_eq_tol(u.cpu_pct, 84.0, 1e-9);
	ck_assert_int_eq(u.nprocs, 5);
	procstat_free(ps);
	fx_done(&fx);
}
END_TEST

/* Spend at least ms of CPU time in this process. */
static void
burn_cpu(long ms)
{
	struct timespec t0, t;
	volatile unsigned long x = 0;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	do {
		for (int i = 0; i < 100000; i++)
			x += (unsigned long)i;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 +
		 (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}

/* Resident pages of pid from /proc/PID/statm, or -1. */
static long long
statm_resident(pid_t pid)
{
	char path[64];
	long long size, resident = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fscanf(f, "%lld %lld", &size, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident;
}

/* Wait up to 2 s for pid to be asleep (state S): true when it is. */
static bool
wait_sleeping(pid_t pid)
{
	char path[64], buf[256];
	struct timespec ms = { 0, 1000000 };

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	for (int i = 0; i < 2000; i++) {
		FILE *f = fopen(path, "r");
		char *p = NULL;

		if (f != NULL) {
			if (fgets(buf, sizeof buf, f) != NULL)
				p = strrchr(buf, ')');
			fclose(f);
		}
		if (p != NULL && p[1] == ' ' && p[2] == 'S')
			return true;
		nanosleep(&ms, NULL);
	}
	return false;
}

/* The real /proc: this process has RSS, its child is a descendant, and
 * burning CPU shows up. */
START_TEST(test_real_proc)
{
	struct procstat *ps = procstat_new("/proc");
	struct derr e = { "" };
	struct proc_usage u;
	pid_t kids[16], child;
	int n, found = 0, ncpus;

	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	ck_assert_msg(procstat_refresh(ps, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(procstat_tree(ps, getpid(), &u), 0);
	ck_assert_int_gt(u.rss_bytes, 0);
	ck_assert_int_ge(u.nprocs, 2);
	ck_assert_double_eq(u.cpu_pct, 0.0);
	n = procstat_descendants(ps, getpid(), kids, 16);
	for (int i = 0; i < n && i < 16; i++)
		found |= kids[i] == child;
	/* The paused child's RSS is statm's resident, as ps shows it. */
	ck_assert_msg(wait_sleeping(child), "child %d never paused", child);
	ck_assert_msg(procstat_refresh(ps, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(procstat_tree(ps, child, &u), 0);
	ck_assert_int_eq(u.rss_bytes,
			 statm_resident(child) * sysconf(_SC_PAGESIZE));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	ck_assert_int_ge(n, 1);
	ck_assert_msg(found, "child %d not among %d descendants", child, n);

	burn_cpu(300);
	ck_assert_msg(procstat_refresh(ps, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(procstat_tree(ps, getpid(), &u), 0);
	ncpus = (int)sysconf(_SC_NPROCESSORS_CONF);
	ck_assert_int_ge(ncpus, 1);
	ck_assert_double_gt(u.cpu_pct, 0.0);
	ck_assert_double_le(u.cpu_pct, 100.0 * ncpus);
	ck_assert_int_eq(procstat_tree(ps, child, &u), -1);
	procstat_free(ps);
}
END_TEST

/* Kept files: two per member of a watched tree, read anew each time
 * (CPU shows up), closed once the process has gone and on free. */
START_TEST(test_kept_files)
{
	struct procstat *ps = procstat_new("/proc");
	struct derr e = { "" };
	struct proc_usage u;
	pid_t self = getpid(), child;
	int base = test_count_fds();

	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	procstat_keep_files(ps, true);
	ck_assert_msg(procstat_refresh(ps, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(test_count_fds(), base);	/* a sweep keeps none */
	ck_assert_msg(procstat_refresh_roots(ps, &self, 1, &e) == 0, "%s",
		      e.msg);
	ck_assert_int_eq(test_count_fds(), base + 4);
	burn_cpu(300);
	ck_assert_msg(procstat_refresh_roots(ps, &self, 1, &e) == 0, "%s",
		      e.msg);
	ck_assert_int_eq(test_count_fds(), base + 4);
	ck_assert_int_eq(procstat_tree(ps, self, &u), 0);
	ck_assert_int_eq(u.nprocs, 2);
	ck_assert_double_gt(u.cpu_pct, 0.0);
	ck_assert_int_gt(u.rss_bytes, 0);
	/* A full sweep reads through the kept files and keeps them. */
	ck_assert_msg(procstat_refresh(ps, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(test_count_fds(), base + 4);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	ck_assert_msg(procstat_refresh_roots(ps, &self, 1, &e) == 0, "%s",
		      e.msg);
	ck_assert_int_eq(procstat_tree(ps, self, &u), 0);
	ck_assert_int_eq(u.nprocs, 1);
	ck_assert_int_eq(test_count_fds(), base + 2);
	procstat_free(ps);
	ck_assert_int_eq(test_count_fds(), base);
}
END_TEST

/* Without procstat_keep_files nothing stays open. */
START_TEST(test_files_not_kept)
{
	struct procstat *ps = procstat_new("/proc");
	struct derr e = { "" };
	pid_t self = getpid();
	int base = test_count_fds();

	ck_assert_msg(procstat_refresh_roots(ps, &self, 1, &e) == 0, "%s",
		      e.msg);
	ck_assert_msg(procstat_refresh_roots(ps, &self, 1, &e) == 0, "%s",
		      e.msg);
	ck_assert_int_eq(test_count_fds(), base);
	procstat_free(ps);
}
END_TEST

/* The procstat suite. */
static Suite *
procstat_suite(void)
{
	Suite *s = suite_create("procstat");
	TCase *tc = tcase_create("fixtures");

	tcase_add_loop_test(tc, test_tree_rows, 0, ARRAY_SIZE(tree_rows));
	tcase_add_loop_test(tc, test_descendants, 0, ARRAY_SIZE(desc_rows));
	tcase_add_loop_test(tc, test_refresh_errors, 0,
			    ARRAY_SIZE(err_rows));
	tcase_add_test(tc, test_failed_refresh_keeps_sample);
	tcase_add_test(tc, test_repeated_refresh);
	suite_add_tcase(s, tc);
	tc = tcase_create("real");
	tcase_add_test(tc, test_real_proc);
	tcase_add_test(tc, test_kept_files);
	tcase_add_test(tc, test_files_not_kept);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; exit status 0 when every test passed. */
int
main(void)
{
	SRunner *sr = srunner_create(procstat_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

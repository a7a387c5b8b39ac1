/* procstat.c: CPU% and RSS of process trees, sampled from /proc */
#include "core/lib/procstat.h"
#include "core/lib/procfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One process of a sample. Tree links are indexes into the sample. */
struct pentry {
	pid_t pid;
	pid_t ppid;
	unsigned long long ticks;	/* utime + stime */
	unsigned long long start;	/* starttime, tells reused pids */
	unsigned long long dticks;	/* ticks since the previous sample */
	long long rss;			/* bytes */
	int parent;			/* -1: parent not in the sample */
	int child;			/* first child, -1: none */
	int sibling;			/* next child of parent, -1: none */
	int fd[2];			/* kept stat and statm, -1: none */
};

/* All processes of one scan, sorted by pid. */
struct psample {
	struct pentry *v;
	size_t n, cap;
};

struct procstat {
	char *root;
	long pagesize;
	struct psample cur;		/* the sample the queries read */
	struct psample next;		/* scratch for the scan in progress */
	unsigned long long total;	/* jiffies of the cpu line, cur */
	unsigned long long dtotal;	/* total minus the previous total */
	int ncpus;
	bool sampled;			/* cur holds a sample */
	char *statbuf;			/* <root>/stat, reused */
	size_t statcap;
	bool keep_fds;			/* keep the members' files open */
	struct procfile_fds fds;
};

/*
 * A stat line is "pid (comm) S ppid ...". comm is at most 64 bytes on
 * current kernels, so the whole line fits easily; statm is seven
 * numbers.
 */
enum { PID_STAT_MAX = 1024, PID_STATM_MAX = 256, STAT_CHUNK = 4096 };

/* Make a sampler for proc_root. */
struct procstat *
procstat_new(const char *proc_root)
{
	struct procstat *ps = xcalloc(1, sizeof *ps);
	long pg = sysconf(_SC_PAGESIZE);

	ps->root = xstrdup(proc_root);
	ps->pagesize = pg > 0 ? pg : 4096;
	procfile_fds_init(&ps->fds);
	return ps;
}

/* Keep the files of the roots' trees open between samples, or not. */
void
procstat_keep_files(struct procstat *ps, bool keep)
{
	ps->keep_fds = keep;
}

/* Close the files e keeps open. */
static void
drop_fds(struct procstat *ps, struct pentry *e)
{
	procfile_close(&ps->fds, &e->fd[0]);
	procfile_close(&ps->fds, &e->fd[1]);
}

/* Close the files every entry of s keeps open. */
static void
drop_sample_fds(struct procstat *ps, struct psample *s)
{
	for (size_t i = 0; i < s->n; i++)
		drop_fds(ps, &s->v[i]);
}

/* Free a sampler and its arrays. */
void
procstat_free(struct procstat *ps)
{
	if (ps == NULL)
		return;
	drop_sample_fds(ps, &ps->cur);
	drop_sample_fds(ps, &ps->next);
	free(ps->root);
	free(ps->cur.v);
	free(ps->next.v);
	free(ps->statbuf);
	free(ps);
}

/*
 * Parse the next blank-separated integer at *p and advance past it.
 * Returns 0, or -1 when there is no number there.
 */
static int
next_num(const char **p, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(*p, &end, 10);
	if (end == *p || errno != 0)
		return -1;
	if (*end != '\0' && *end != ' ' && *end != '\n')
		return -1;
	*p = end;
	return 0;
}

/*
 * Fill e from the text of <pid>/stat. The comm (2) may hold spaces and
 * parentheses, so parsing starts after the last ')'. Returns 0 or -1.
 */
static int
parse_pid_stat(const char *buf, size_t len, struct pentry *e)
{
	const char *p = memrchr(buf, ')', len);
	long long v, utime = 0;
	int field;

	if (p == NULL)
		return -1;
	p++;
	/* (3) state: one letter */
	while (*p == ' ')
		p++;
	if (*p == '\0' || *p == '\n')
		return -1;
	p++;
	for (field = 4; field <= 22; field++) {
		if (next_num(&p, &v) < 0)
			return -1;
		switch (field) {
		case 4:		/* (4) ppid */
			e->ppid = (pid_t)v;
			break;
		/* (5) pgrp, (6) session, (7) tty_nr, (8) tpgid, (9) flags,
		 * (10) minflt, (11) cminflt, (12) majflt, (13) cmajflt */
		case 14:	/* (14) utime, clock ticks */
			utime = v;
			break;
		case 15:	/* (15) stime */
			e->ticks = (unsigned long long)utime +
				   (unsigned long long)v;
			break;
		/* (16) cutime, (17) cstime, (18) priority, (19) nice,
		 * (20) num_threads, (21) itrealvalue */
		case 22:	/* (22) starttime, ticks after boot */
			e->start = (unsigned long long)v;
			break;
		default:
			break;
		}
	}
	return 0;
}

/* Parse the resident pages (2) of <pid>/statm into bytes; 0 or -1. */
static int
parse_statm(const char *buf, long pagesize, long long *rss)
{
	const char *p = buf;
	long long size, resident;

	if (next_num(&p, &size) < 0 || next_num(&p, &resident) < 0 ||
	    resident < 0 || resident > LLONG_MAX / pagesize)
		return -1;	/* garbled: more bytes than a long long */
	*rss = resident * pagesize;
	return 0;
}

/*
 * Read <pid>/stat and <pid>/statm into e, through the files prev (the
 * same pid in the previous sample, or NULL) kept open, which move to
 * e; with keep, files newly opened stay open too. Returns -1 when
 * either is missing (the process exited) or garbled.
 */
static int
read_pid(struct procstat *ps, int dirfd, pid_t pid, struct pentry *prev,
	 bool keep, struct pentry *e)
{
	char buf[PID_STAT_MAX];
	ssize_t len;

	e->fd[0] = e->fd[1] = -1;
	if (prev != NULL) {
		memcpy(e->fd, prev->fd, sizeof e->fd);
		prev->fd[0] = prev->fd[1] = -1;
	}
	keep = keep && ps->keep_fds;
	len = procfile_read(&ps->fds, dirfd, pid, "stat", &e->fd[0], keep,
			    buf, sizeof buf);
	if (len <= 0 || parse_pid_stat(buf, (size_t)len, e) < 0)
		goto gone;
	len = procfile_read(&ps->fds, dirfd, pid, "statm", &e->fd[1], keep,
			    buf, PID_STATM_MAX);
	if (len <= 0 || parse_statm(buf, ps->pagesize, &e->rss) < 0)
		goto gone;
	e->pid = pid;
	return 0;
gone:
	drop_fds(ps, e);
	return -1;
}

/* The pid a directory name stands for, or 0 when it is not a pid. */
static pid_t
name_pid(const char *name)
{
	long long v = 0;

	if (*name == '\0')
		return 0;
	for (; *name != '\0'; name++) {
		if (*name < '0' || *name > '9')
			return 0;
		v = v * 10 + (*name - '0');
		if (v > 0x7fffffff)
			return 0;
	}
	return (pid_t)v;
}

/* True when the complete lines of buf[0..len) end the cpu lines. */
static bool
cpu_lines_done(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *nl;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		if (strncmp(p, "cpu", 3) != 0)
			return true;
		p = nl + 1;
	}
	return false;
}

/*
 * Read the start of <root>/stat into ps->statbuf, up to the first line
 * that is not a cpu line (the rest, with its long "intr" line, is not
 * needed). Returns 0, or -1 with e filled.
 */
static int
read_root_stat(struct procstat *ps, int dirfd, struct derr *e)
{
	size_t len = 0;
	ssize_t r;
	int fd = openat(dirfd, "stat", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return derr_errno(e, "cannot open '%s/stat'", ps->root);
	for (;;) {
		ARRAY_GROW(ps->statbuf, ps->statcap, len + STAT_CHUNK + 1);
		r = read(fd, ps->statbuf + len, STAT_CHUNK);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			derr_errno(e, "cannot read '%s/stat'", ps->root);
			close(fd);
			return -1;
		}
		len += (size_t)r;
		if (r == 0 || cpu_lines_done(ps->statbuf, len))
			break;
	}
	close(fd);
	ps->statbuf[len] = '\0';
	return 0;
}

/*
 * Parse the cpu lines of ps->statbuf: the total jiffies of the "cpu"
 * line and the number of "cpuN" lines. Returns 0 or -1.
 */
static int
parse_cpu_lines(const struct procstat *ps, unsigned long long *total,
		int *ncpus, struct derr *e)
{
	const char *p = ps->statbuf;
	long long v;
	bool found = false;
	int i;

	*ncpus = 0;
	*total = 0;
	while (strncmp(p, "cpu", 3) == 0) {
		if (p[3] >= '0' && p[3] <= '9') {
			(*ncpus)++;
		} else if (p[3] == ' ' && !found) {
			/* user nice system idle iowait irq softirq steal;
			 * guest and guest_nice are already in user and
			 * nice, so they are left out */
			p += 3;
			for (i = 0; i < 8 && next_num(&p, &v) == 0; i++)
				*total += (unsigned long long)v;
			found = i >= 4;
		}
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		p++;
	}
	if (!found)
		return derr_set(e, "'%s/stat': no cpu line", ps->root);
	if (*ncpus == 0)
		*ncpus = 1;
	return 0;
}

/* qsort comparator of entries by pid. */
static int
cmp_pid(const void *a, const void *b)
{
	pid_t x = ((const struct pentry *)a)->pid;
	pid_t y = ((const struct pentry *)b)->pid;

	return (x > y) - (x < y);
}

/* The index of pid in s, or -1. */
static int
find_pid(const struct psample *s, pid_t pid)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].pid == pid)
			return (int)mid;
		if (s->v[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The entry of pid in the current sample, or NULL. */
static struct pentry *
prev_entry(struct procstat *ps, pid_t pid)
{
	int i = ps->sampled ? find_pid(&ps->cur, pid) : -1;

	return i >= 0 ? &ps->cur.v[i] : NULL;
}

/*
 * Scan the pid directories of dir into s, sorted by pid. Returns 0, or
 * -1 with e filled when the directory cannot be read.
 */
static int
scan_pids(struct procstat *ps, DIR *dir, struct psample *s, struct derr *e)
{
	struct dirent *de;
	bool sorted = true;
	pid_t pid;

	s->n = 0;
	for (;;) {
		errno = 0;
		de = readdir(dir);
		if (de == NULL)
			break;
		pid = name_pid(de->d_name);
		if (pid <= 0)
			continue;
		ARRAY_GROW(s->v, s->cap, s->n + 1);
		if (read_pid(ps, dirfd(dir), pid, prev_entry(ps, pid), false,
			     &s->v[s->n]) < 0)
			continue;	/* exited meanwhile: normal */
		if (s->n > 0 && s->v[s->n - 1].pid > pid)
			sorted = false;
		s->n++;
	}
	if (errno != 0)
		return derr_errno(e, "cannot read '%s'", ps->root);
	if (!sorted)
		qsort(s->v, s->n, sizeof *s->v, cmp_pid);
	return 0;
}

/*
 * Set the ticks each process of s used since the previous sample prev
 * (both sorted by pid). With no previous sample every delta is 0.
 */
static void
set_deltas(struct psample *s, const struct psample *prev, bool have_prev)
{
	size_t i, j = 0;

	for (i = 0; i < s->n; i++) {
		struct pentry *p = &s->v[i];

		p->dticks = 0;
		if (!have_prev)
			continue;
		while (j < prev->n && prev->v[j].pid < p->pid)
			j++;
		if (j < prev->n && prev->v[j].pid == p->pid &&
		    prev->v[j].start == p->start)
			p->dticks = p->ticks > prev->v[j].ticks ?
				    p->ticks - prev->v[j].ticks : 0;
		else
			p->dticks = p->ticks;	/* new since then */
	}
}

/* Whether a is p or above it in the links made so far. */
static bool
is_ancestor(const struct psample *s, int a, int p)
{
	for (; p >= 0; p = s->v[p].parent)
		if (p == a)
			return true;
	return false;
}

/*
 * Link every process of s to its parent. A parent that started after
 * its "child" is a reused pid seen in a torn scan and is not linked.
 * Start times are in clock ticks, so a pid reused within the tick of
 * its child could still make two processes each other's parent: a link
 * that would close a loop (which no walk would leave) is not made.
 */
static void
link_tree(struct psample *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		s->v[i].parent = -1;
		s->v[i].child = -1;
		s->v[i].sibling = -1;
	}
	/* backwards, so that children end up in ascending pid order */
	for (i = s->n; i-- > 0;) {
		struct pentry *c = &s->v[i];
		int p = find_pid(s, c->ppid);

		if (p < 0 || (size_t)p == i || s->v[p].start > c->start ||
		    is_ancestor(s, (int)i, p))
			continue;
		c->parent = p;
		c->sibling = s->v[p].child;
		s->v[p].child = (int)i;
	}
}

/*
 * The process after i in a preorder walk of the subtree at root, or -1
 * at the end.
 */
static int
walk_next(const struct psample *s, int root, int i)
{
	if (s->v[i].child >= 0)
		return s->v[i].child;
	while (i != root) {
		if (s->v[i].sibling >= 0)
			return s->v[i].sibling;
		i = s->v[i].parent;
	}
	return -1;
}

/*
 * Open the proc root and read its cpu lines: the root's fd, or -1 with
 * e filled.
 */
static int
open_root(struct procstat *ps, unsigned long long *total, int *ncpus,
	  struct derr *e)
{
	int fd = open(ps->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return derr_errno(e, "cannot open '%s'", ps->root);
	if (read_root_stat(ps, fd, e) < 0 ||
	    parse_cpu_lines(ps, total, ncpus, e) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Make ps->next, just read, the current sample. */
static void
commit_sample(struct procstat *ps, unsigned long long total, int ncpus)
{
	struct psample tmp;

	set_deltas(&ps->next, &ps->cur, ps->sampled);
	link_tree(&ps->next);
	ps->dtotal = ps->sampled && total > ps->total ? total - ps->total : 0;
	ps->total = total;
	ps->ncpus = ncpus;
	tmp = ps->cur;
	ps->cur = ps->next;
	ps->next = tmp;
	ps->sampled = true;
	/* What the old sample still keeps open is of processes gone. */
	drop_sample_fds(ps, &ps->next);
	ps->next.n = 0;
}

/* Take a new sample of the proc root. */
int
procstat_refresh(struct procstat *ps, struct derr *e)
{
	unsigned long long total;
	int ncpus, fd;
	DIR *dir;

	fd = open_root(ps, &total, &ncpus, e);
	if (fd < 0)
		return -1;
	dir = fdopendir(fd);
	if (dir == NULL) {
		derr_errno(e, "cannot read '%s'", ps->root);
		close(fd);
		return -1;
	}
	if (scan_pids(ps, dir, &ps->next, e) < 0) {
		drop_sample_fds(ps, &ps->next);
		ps->next.n = 0;
		closedir(dir);
		return -1;
	}
	closedir(dir);
	commit_sample(ps, total, ncpus);
	return 0;
}

/* Read pid, a member of a watched tree, into the next sample (keeping
   its files open), unless it has gone. */
static void
add_member(struct procstat *ps, int dirfd, pid_t pid)
{
	struct psample *s = &ps->next;

	ARRAY_GROW(s->v, s->cap, s->n + 1);
	if (read_pid(ps, dirfd, pid, prev_entry(ps, pid), true,
		     &s->v[s->n]) == 0)
		s->n++;
}

/* Sort the next sample by pid and drop repeated pids. */
static void
sort_unique(struct procstat *ps)
{
	struct psample *s = &ps->next;
	size_t out = 0;

	qsort(s->v, s->n, sizeof *s->v, cmp_pid);
	for (size_t i = 0; i < s->n; i++) {
		if (out > 0 && s->v[out - 1].pid == s->v[i].pid)
			drop_fds(ps, &s->v[i]);
		else
			s->v[out++] = s->v[i];
	}
	s->n = out;
}

/* Take a new sample of the roots and their known descendants. */
int
procstat_refresh_roots(struct procstat *ps, const pid_t *roots, size_t n,
		       struct derr *e)
{
	const struct psample *cur = &ps->cur;
	unsigned long long total;
	int ncpus, fd;

	fd = open_root(ps, &total, &ncpus, e);
	if (fd < 0)
		return -1;
	ps->next.n = 0;
	for (size_t k = 0; k < n; k++) {
		int r = ps->sampled ? find_pid(cur, roots[k]) : -1;

		add_member(ps, fd, roots[k]);
		for (int i = r >= 0 ? walk_next(cur, r, r) : -1; i >= 0;
		     i = walk_next(cur, r, i))
			add_member(ps, fd, cur->v[i].pid);
	}
	close(fd);
	sort_unique(ps);
	commit_sample(ps, total, ncpus);
	return 0;
}

/* Sum the usage of root and its descendants. */
int
procstat_tree(const struct procstat *ps, pid_t root, struct proc_usage *out)
{
	const struct psample *s = &ps->cur;
	unsigned long long ticks = 0;
	int r = find_pid(s, root), i;
	size_t seen = 0;
	double max;

	if (r < 0)
		return -1;
	memset(out, 0, sizeof *out);
	for (i = r; i >= 0 && seen < s->n; i = walk_next(s, r, i), seen++) {
		ticks += s->v[i].dticks;
		/* Saturating: garbled statm files may say anything. */
		out->rss_bytes = s->v[i].rss > LLONG_MAX - out->rss_bytes ?
			LLONG_MAX : out->rss_bytes + s->v[i].rss;
		out->nprocs++;
	}
	if (ps->dtotal > 0) {
		max = 100.0 * ps->ncpus;
		out->cpu_pct = (double)ticks * max / (double)ps->dtotal;
		if (out->cpu_pct > max)
			out->cpu_pct = max;
	}
	return 0;
}

/* List the descendants of root. */
int
procstat_descendants(const struct procstat *ps, pid_t root, pid_t *out,
		     size_t max)
{
	const struct psample *s = &ps->cur;
	int r = find_pid(s, root), i;
	size_t n = 0;

	if (r < 0)
		return -1;
	for (i = walk_next(s, r, r); i >= 0 && n < s->n;
	     i = walk_next(s, r, i)) {
		if (n < max)
			out[n] = s->v[i].pid;
		n++;
	}
	return (int)n;
}

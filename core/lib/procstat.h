/* procstat.h: CPU% and RSS of process trees, sampled from /proc */
#ifndef DEPLOY_PROCSTAT_H
#define DEPLOY_PROCSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/lib/util.h"

/*
 * Usage of a process and all its descendants (linked by ppid).
 *
 * cpu_pct is htop's measure: 100 means one full core, so a tree can
 * reach 100 * ncpus. It is the sum over the tree of each process's
 * utime+stime ticks since the previous sample, divided by the ticks of
 * the "cpu" line of <root>/stat over the same interval, times the
 * number of "cpuN" lines, times 100. A process that is new since the
 * previous sample (or whose pid was reused: its starttime differs)
 * counts all its ticks. cpu_pct is 0 after the first sample.
 */
struct proc_usage {
	double cpu_pct;
	long long rss_bytes;	/* statm resident pages * page size */
	int nprocs;		/* root included */
};

/* One sampler; opaque. */
struct procstat;

/*
 * A sampler reading proc_root ("/proc"; tests pass a fixture dir). Does
 * not touch the file system until procstat_refresh. Caller frees with
 * procstat_free.
 */
struct procstat *procstat_new(const char *proc_root);
/*
 * With keep, procstat_refresh_roots keeps the stat and statm files of
 * the processes it reads open for the next samples (a live /proc only:
 * a kept fd reads its process, not what the path names later). Off by
 * default.
 */
void procstat_keep_files(struct procstat *ps, bool keep);
/* Free ps (closing the files it keeps); procstat_free(NULL) is a
 * no-op. */
void procstat_free(struct procstat *ps);

/*
 * Take a new sample: read the cpu lines of <root>/stat and, for every
 * numeric directory, <pid>/stat and <pid>/statm. A pid that vanishes
 * during the scan (or whose files do not parse) is skipped silently.
 * Returns 0, or -1 with e filled when the root or <root>/stat cannot be
 * read; on failure the previous sample stays in place. Arrays are
 * reused between calls: a refresh does no per-pid allocation.
 */
int procstat_refresh(struct procstat *ps, struct derr *e);

/*
 * Take a new sample of only the n roots and the descendants the current
 * sample links to them: far fewer files than a sweep of the whole root
 * on a busy machine. A process forked since the last procstat_refresh
 * is not seen until the next one, except a root. Returns as
 * procstat_refresh does.
 */
int procstat_refresh_roots(struct procstat *ps, const pid_t *roots, size_t n,
			   struct derr *e);

/*
 * Fill out with the usage of root and its descendants in the current
 * sample. Returns 0, or -1 when root is not in the sample (never
 * sampled, vanished, or no refresh yet).
 */
int procstat_tree(const struct procstat *ps, pid_t root,
		  struct proc_usage *out);

/*
 * Store up to max pids of root's descendants (root excluded, parents
 * before their children) in out. Returns the number of descendants,
 * which may exceed max (then out holds the first max), or -1 when root
 * is not in the sample. out may be NULL when max is 0.
 */
int procstat_descendants(const struct procstat *ps, pid_t root,
			 pid_t *out, size_t max);

#endif

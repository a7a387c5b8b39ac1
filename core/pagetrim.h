/* pagetrim.h: give back the code pages one-off work faulted in */
#ifndef DEPLOY_PAGETRIM_H
#define DEPLOY_PAGETRIM_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Unmap the resident pages of every loaded object's read-only segments
 * (code, constants), so the resident set is what the process touches
 * from now on. These pages are clean copies of the files, shared with
 * every process using them: nothing is lost, a later access faults the
 * page back in from the page cache. Writable segments (data, relocated
 * pointers) and objects with text relocations are left alone.
 * Returns the bytes of address space advised.
 */
size_t pagetrim_readonly(void);

/*
 * False when DEPLOY_NO_PAGETRIM is set (to anything but "") or a
 * debugger traces the process: breakpoints written into code pages
 * would be dropped with them (uprobes too: set the variable for those).
 */
bool pagetrim_allowed(void);

/* When to trim: once the daemon goes quiet after work, at most 1/s. */
struct pagetrim_timer {
	bool was_quiet;
	long long last;		/* ms of the last trim, -1: never */
	long long at;		/* ms of the next trim, -1: none due */
};

#define PAGETRIM_MIN_GAP_MS 1000

void pagetrim_timer_init(struct pagetrim_timer *t);
/*
 * Tell the timer whether the daemon is quiet at now (ms); true when it
 * is time to trim (the caller trims and the timer counts it done).
 */
bool pagetrim_due(struct pagetrim_timer *t, bool quiet, long long now);

#endif

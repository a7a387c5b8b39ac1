/* fuzz_procstat.c: libFuzzer harness for the /proc parsers, on a
 * fixture root whose files hold the input */
#include "core/lib/procstat.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The files the input fills, in order, separated by NUL bytes. */
static const char *const slots[] = {
	"stat", "100/stat", "100/statm", "101/stat", "101/statm",
};

static char *root;
static const int pids[] = { 1, 100, 101 };

/* Write n bytes to root/name. */
static void
put(const char *name, const void *p, size_t n)
{
	char *path = xasprintf("%s/%s", root, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd >= 0) {
		if (write(fd, p, n) < 0)
			fatal("cannot write '%s'", path);
		close(fd);
	}
	free(path);
}

/* Remove the fixture root at exit. */
static void
remove_root(void)
{
	char *path;

	for (size_t i = 0; i < ARRAY_SIZE(slots); i++) {
		path = xasprintf("%s/%s", root, slots[i]);
		unlink(path);
		free(path);
	}
	for (size_t i = 0; i < ARRAY_SIZE(pids); i++) {
		path = xasprintf("%s/%d/stat", root, pids[i]);
		unlink(path);
		free(path);
		path = xasprintf("%s/%d/statm", root, pids[i]);
		unlink(path);
		free(path);
		path = xasprintf("%s/%d", root, pids[i]);
		rmdir(path);
		free(path);
	}
	rmdir(root);
}

/* Make the fixture root once: pid 1, and dirs 100 and 101. */
static void
make_root(void)
{
	/* In memory when it can be: the files change on every input. */
	char shm[] = "/dev/shm/deploy-fuzz-proc.XXXXXX";
	char tmp[] = "/tmp/deploy-fuzz-proc.XXXXXX";
	char *tmpl = mkdtemp(shm) != NULL ? shm : mkdtemp(tmp);
	static const char init_stat[] = "1 (init) S 0 1 1 0 -1 0 0 0 0 0 "
		"5 5 0 0 20 0 1 0 1 1000 1 0\n";
	char *d;

	if (tmpl == NULL)
		fatal("cannot make a fixture root");
	root = xstrdup(tmpl);
	for (size_t i = 0; i < ARRAY_SIZE(pids); i++) {
		d = xasprintf("%s/%d", root, pids[i]);
		mkdir(d, 0700);
		free(d);
	}
	put("1/stat", init_stat, sizeof init_stat - 1);
	put("1/statm", "10 5 1 1 0 1 0\n", 15);
	atexit(remove_root);
}

/* Fill the slots from data, then sample twice and read the tree. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	pid_t roots[] = { 100, 101 };
	struct procstat *ps;
	struct proc_usage u;
	pid_t kids[8];
	struct derr e;

	if (root == NULL)
		make_root();
	for (size_t i = 0; i < ARRAY_SIZE(slots); i++) {
		const uint8_t *nul = memchr(p, '\0', (size_t)(end - p));
		const uint8_t *stop = nul ? nul : end;

		put(slots[i], p, (size_t)(stop - p));
		p = nul ? nul + 1 : end;
	}
	ps = procstat_new(root);
	for (int i = 0; i < 2; i++) {
		if (procstat_refresh(ps, &e) == 0) {
			procstat_tree(ps, 1, &u);
			procstat_tree(ps, 100, &u);
			procstat_descendants(ps, 1, kids, ARRAY_SIZE(kids));
		}
		procstat_refresh_roots(ps, roots, 2, &e);
	}
	procstat_free(ps);
	return 0;
}

/* testutil.c: helpers shared by the Check suites */
#include "tests/testutil.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>

/* nftw callback: remove one entry, children first. */
static int
remove_entry(const char *path, const struct stat *st, int flag,
	     struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Remove a whole temporary tree. */
void
test_rmtree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The number of fds this process has open (-1 when /proc is missing). */
int
test_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own fd */
}

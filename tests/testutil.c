/* testutil.c: helpers shared by the Check suites */
#include "tests/testutil.h"

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

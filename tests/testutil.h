/* testutil.h: helpers shared by the Check suites */
#ifndef DEPLOY_TESTUTIL_H
#define DEPLOY_TESTUTIL_H

/* Remove path and everything under it (a test's temporary tree). */
void test_rmtree(const char *path);

/* The number of fds this process has open (-1 when /proc is missing). */
int test_count_fds(void);

#endif

/* testutil.h: helpers shared by the Check suites */
#ifndef DEPLOY_TESTUTIL_H
#define DEPLOY_TESTUTIL_H

/* Remove path and everything under it (a test's temporary tree). */
void test_rmtree(const char *path);

#endif

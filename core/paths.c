/* paths.c: where deploy keeps its state and finds its templates */
#include "paths.h"
#include "fileio.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef DEPLOY_DATADIR
#define DEPLOY_DATADIR "/usr/local/share/deploy"
#endif

/* $DEPLOY_HOME or ~/.deploy. */
char *
deploy_home(void)
{
	const char *h = getenv("DEPLOY_HOME");
	struct passwd *pw;

	if (h != NULL && h[0] != '\0')
		return xstrdup(h);
	h = getenv("HOME");
	if ((h == NULL || h[0] == '\0') && (pw = getpwuid(getuid())) != NULL)
		h = pw->pw_dir;
	return xasprintf("%s/.deploy", h != NULL ? h : "/tmp");
}

/* mkdir -p the home with mode 0700. */
int
deploy_home_ensure(const char *home, struct derr *e)
{
	struct stat st;

	if (mkdir_p(home, 0700, e) < 0)
		return -1;
	if (stat(home, &st) < 0)
		return derr_errno(e, "cannot use '%s'", home);
	if (!S_ISDIR(st.st_mode))
		return derr_set(e, "'%s' is not a directory", home);
	return 0;
}

/* Resolve /proc/self/exe. */
char *
self_exe(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);

	if (n < 0)
		return xstrdup("deploy");
	buf[n] = '\0';
	return xstrdup(buf);
}

/* Try dir/name; returns it when it exists. */
static char *
try_template(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);

	if (access(p, R_OK) == 0)
		return p;
	free(p);
	return NULL;
}

/* Look for a template in the usual places. */
char *
template_find(const char *name, struct derr *e)
{
	const char *env = getenv("DEPLOY_TEMPLATES");
	char *exe = self_exe();
	char *exedir = path_dirname(exe);
	char *dirs[3];
	char *found = NULL;

	dirs[0] = xasprintf("%s/templates", exedir);
	dirs[1] = xasprintf("%s/../share/deploy/templates", exedir);
	dirs[2] = xstrdup(DEPLOY_DATADIR "/templates");
	if (env != NULL && env[0] != '\0')
		found = try_template(env, name);
	for (size_t i = 0; found == NULL && i < ARRAY_SIZE(dirs); i++)
		found = try_template(dirs[i], name);
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		free(dirs[i]);
	free(exe);
	free(exedir);
	if (found == NULL)
		derr_set(e, "cannot find template '%s' (set DEPLOY_TEMPLATES)",
			 name);
	return found;
}

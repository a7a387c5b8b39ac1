/* sup_watch.c: "watch": reload an app gracefully when its files change */
#include "core/lib/loop.h"
#include "core/lib/strbuf.h"
#include "core/sup/sup_int.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define WATCH_MAX_DIRS	4096
#define WATCH_EVENTS	(IN_CREATE | IN_DELETE | IN_MODIFY | \
			 IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | \
			 IN_ATTRIB)

/* One watched directory. */
struct wdir {
	int wd;
	char *path;
};

/* An app's inotify watch and its pending reload. */
struct app_watch {
	const struct eco_app *cfg;	/* the settings it was made for */
	int fd;
	struct wdir *dirs;
	size_t n, cap;
	long long due;			/* reload (mono ms), -1: none */
};

/* Whether name (one part of a path) is ignored: dot files,
 * node_modules, or a pattern of ignore_watch. */
static bool
ignored_name(const struct eco_app *cfg, const char *name)
{
	if (name[0] == '.' || strcmp(name, "node_modules") == 0)
		return true;
	for (char **p = cfg->ignore_watch; *p != NULL; p++)
		if (fnmatch(*p, name, 0) == 0)
			return true;
	return false;
}

/* Whether path is one of the app's own log files, or a rotated one
 * ("out.log.1"): the app writes them, they must not reload it. */
static bool
own_log(const struct eco_app *cfg, const char *path)
{
	const char *logs[2] = { cfg->out_file, cfg->error_file };

	for (size_t i = 0; i < 2; i++)
		if (logs[i] != NULL &&
		    strncmp(path, logs[i], strlen(logs[i])) == 0)
			return true;
	return false;
}

/* Watch dir and the folders below it that are not ignored. */
static void
add_tree(struct app_watch *w, const struct eco_app *cfg, const char *dir)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	char *sub;
	int wd;

	if (w->n >= WATCH_MAX_DIRS)
		return;
	wd = inotify_add_watch(w->fd, dir, WATCH_EVENTS | IN_ONLYDIR);
	if (wd < 0)
		return;
	ARRAY_GROW(w->dirs, w->cap, w->n + 1);
	w->dirs[w->n].wd = wd;
	w->dirs[w->n++].path = xstrdup(dir);
	d = opendir(dir);
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (ignored_name(cfg, de->d_name))
			continue;
		sub = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			add_tree(w, cfg, sub);
		free(sub);
	}
	if (d != NULL)
		closedir(d);
}

/* Free an app's watch; NULL is a no-op. */
void
sup_watch_free(struct app_watch *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	for (size_t i = 0; i < w->n; i++)
		free(w->dirs[i].path);
	free(w->dirs);
	free(w);
}

/* A new watch for the app's current settings, or NULL. */
static struct app_watch *
watch_new(const struct eco_app *cfg)
{
	struct app_watch *w;
	int fd;

	if (cfg->watch == NULL)
		return NULL;
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0) {
		dlog("%s: cannot watch: %s", cfg->name, strerror(errno));
		return NULL;
	}
	w = xcalloc(1, sizeof *w);
	w->cfg = cfg;
	w->fd = fd;
	w->due = -1;
	for (char **p = cfg->watch; *p != NULL; p++)
		add_tree(w, cfg, *p);
	return w;
}

/* The watched folder of wd, or NULL. */
static const char *
dir_of(const struct app_watch *w, int wd)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->dirs[i].wd == wd)
			return w->dirs[i].path;
	return NULL;
}

/* Loop callback: files changed; a reload after watch_delay of quiet. */
static void
watch_event(void *arg, int fd, short revents)
{
	struct sup_app *app = arg;
	struct app_watch *w = app->watch;
	char buf[8192] __attribute__((aligned(8)));
	const struct inotify_event *ev;
	const char *dir;
	char *path;
	ssize_t n;

	(void)revents;
	if (w == NULL || w->fd != fd)
		return;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (char *p = buf; p < buf + n;
		     p += sizeof *ev + ev->len) {
			ev = (const struct inotify_event *)(void *)p;
			dir = dir_of(w, ev->wd);
			if (ev->len == 0 || dir == NULL ||
			    ignored_name(w->cfg, ev->name))
				continue;
			path = xasprintf("%s/%s", dir, ev->name);
			if ((ev->mask & IN_ISDIR) && (ev->mask & IN_CREATE))
				add_tree(w, w->cfg, path);
			if (!own_log(w->cfg, path))
				w->due = now_ms() + w->cfg->watch_delay;
			free(path);
		}
	}
}

/* Register the app's watch with the loop (made when first needed). */
void
sup_watch_register(struct sup_app *app, struct loop *l)
{
	if (app->watch != NULL && app->watch->cfg != app->cfg) {
		sup_watch_free(app->watch);	/* the file changed */
		app->watch = NULL;
	}
	if (app->watch == NULL && app->cfg->watch != NULL && !app->removing)
		app->watch = watch_new(app->cfg);
	if (app->watch == NULL)
		return;
	loop_add(l, app->watch->fd, POLLIN, watch_event, app);
	loop_deadline(l, app->watch->due);
}

/* Start a graceful reload once the files have been quiet long enough. */
void
sup_watch_tick(struct sup_app *app)
{
	struct app_watch *w = app->watch;

	if (w == NULL || w->due < 0 || now_ms() < w->due)
		return;
	w->due = -1;
	if (app->reload != NULL || app->removing)
		return;
	dlog("%s: files changed, reloading", app->cfg->name);
	sup_reload_begin(app, 1);
}

/* sup_hold.c: the supervisor's side of the fd holder: every worker pipe,
   Node IPC channel and listen socket has a copy there, under a tag */
#include "core/lib/holder.h"
#include "core/sup/sup_int.h"

#include <poll.h>
#include <stdio.h>

/* The holder's tag of pid's output pipe. */
void
sup_pipe_tag(char *buf, size_t size, pid_t pid, bool err)
{
	snprintf(buf, size, "%s:%d", err ? "err" : "out", (int)pid);
}

/* The holder's tag of pid's Node IPC channel (the daemon's end). */
void
sup_ipc_tag(char *buf, size_t size, pid_t pid)
{
	snprintf(buf, size, "ipc:%d", (int)pid);
}

void
sup_listen_tag(char *buf, size_t size, const struct sup_app *app)
{
	snprintf(buf, size, "listen:%s", app->cfg->name);
}

/* Give a new holder every pipe and socket the daemon has. */
static void
holder_resync(struct sup *s)
{
	char tag[300];

	for (size_t a = 0; a < s->n_apps; a++) {
		struct sup_app *app = s->apps[a];

		if (app->listen_fd >= 0) {
			sup_listen_tag(tag, sizeof tag, app);
			holder_put(s->holder, tag, app->listen_fd);
		}
		for (size_t i = 0; i < app->n_inst; i++)
			if (app->inst[i]->pipe_pid > 0)
				sup_inst_hold_pipes(app->inst[i]);
	}
}

/* Reconnect to (or restart) a holder that went away; true if done. */
static bool
holder_reopen(struct sup *s)
{
	struct derr e;

	holder_close(s->holder);
	s->holder = holder_open(s->home, &e);
	if (s->holder == NULL) {
		dlog("no fd holder: %s (workers die with the daemon)",
			e.msg);
		return false;
	}
	dlog("fd holder restarted (pid %d)", (int)holder_pid(s->holder));
	holder_resync(s);
	return true;
}

/* Loop callback: the holder's connection hung up: it died. */
static void
holder_event(void *arg, int fd, short revents)
{
	struct sup *s = arg;

	(void)fd;
	(void)revents;
	dlog("the fd holder went away");
	holder_reopen(s);
}

/* Watch the holder's connection, to replace a holder that dies. */
void
sup_holder_watch(struct sup *s, struct loop *l)
{
	if (s->holder != NULL)
		loop_add(l, holder_fd(s->holder), POLLIN, holder_event, s);
}

/* Give the holder a copy of fd under tag. */
void
sup_hold(struct sup *s, const char *tag, int fd)
{
	if (s->holder_off || (s->holder == NULL && !holder_reopen(s)))
		return;
	if (holder_put(s->holder, tag, fd) < 0 && holder_reopen(s))
		holder_put(s->holder, tag, fd);
}

/* Make the holder close its copy under tag. */
void
sup_unhold(struct sup *s, const char *tag)
{
	if (s->holder != NULL && holder_drop(s->holder, tag) < 0)
		holder_reopen(s);
}

/* From now on nothing goes to a holder (shutting down). */
void
sup_holder_off(struct sup *s)
{
	holder_close(s->holder);
	s->holder = NULL;
	s->holder_off = true;
}

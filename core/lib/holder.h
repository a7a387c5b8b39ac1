/* holder.h: a small process that keeps fds open while the daemon is away */
#ifndef DEPLOY_HOLDER_H
#define DEPLOY_HOLDER_H

#include <sys/types.h>

#include "core/lib/util.h"

/*
 * The workers' output pipes, IPC channels and the shared listening
 * sockets must outlive the daemon: a pipe whose last read end closes
 * kills its writer with SIGPIPE, a listening socket closed by everyone
 * refuses connections, and a Node worker whose IPC channel closes sees
 * 'disconnect'. The holder is a process of its own (forked by the
 * first daemon, in its own session, nothing else open) that keeps
 * a copy of each such fd under a tag, never reads from them, and hands
 * copies back to the next daemon over $home/holder.sock (SCM_RIGHTS).
 * While no daemon reads a pipe, its writer can go on until the pipe's
 * buffer is full (64 KiB by default), then blocks until a daemon is
 * back; nothing written is lost.
 */
struct holder;

/* Connect to home's holder, starting one when none answers; NULL with
   e filled. */
struct holder *holder_open(const char *home, struct derr *e);
/* Disconnect (the holder keeps everything); NULL is a no-op. */
void holder_close(struct holder *h);
/* Give the holder a copy of fd under tag, replacing any fd it held
   under that tag; 0, or -1 when the holder is gone. */
int holder_put(struct holder *h, const char *tag, int fd);
/* Make the holder close the fd held under tag; 0 or -1 as above. */
int holder_drop(struct holder *h, const char *tag);
/* Take back a copy of every fd held: fn(arg, tag, fd) for each (fn
   owns fd); the holder keeps its own. 0, or -1 with e filled. */
int holder_take(struct holder *h, void (*fn)(void *arg, const char *tag,
					     int fd),
		void *arg, struct derr *e);
/* Make the holder close everything and exit (a clean shutdown). */
void holder_quit(struct holder *h);
/* The holder's pid. */
pid_t holder_pid(const struct holder *h);
/* The connection's fd: readable (EOF) when the holder has gone. */
int holder_fd(const struct holder *h);
/* The holder process's own life, serving on listener (`deploy
   __holder`); never returns. */
void holder_run(int listener, const char *pid_path)
	__attribute__((noreturn));

#endif

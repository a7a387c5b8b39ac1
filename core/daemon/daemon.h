/* daemon.h: the supervisor daemon: sockets, signals, connections */
#ifndef DEPLOY_DAEMON_H
#define DEPLOY_DAEMON_H

#include <jansson.h>
#include <stdbool.h>

#include "core/lib/loop.h"
#include "core/lib/strbuf.h"
#include "core/lib/util.h"

struct sup;
struct sup_job;
struct daemon;

/* One control connection. */
struct conn {
	struct daemon *d;
	int fd;
	struct strbuf in, out;
	bool dead;		/* closed at the end of this turn */
	bool close_after;	/* close once out is written */
	bool waiting;		/* a deferred reply is owed */
	struct sup_job *job;	/* the request the reply waits for */
	bool refused;		/* not our uid: told so, input discarded */
	long long last_ms;	/* last read or write, CLOCK_MONOTONIC */
};

struct daemon {
	char *home;
	char *sock_path;
	int lock_fd, listen_fd, sig_fd;
	int spare_fd;		/* given up to accept at the fd limit */
	struct conn **conns;
	size_t n_conns, cap_conns;
	struct loop loop;
	struct sup *sup;
	long long started_ms;	/* wall clock */
	char *update_error;	/* why the last update could not exec */
	bool shutting_down;	/* stopping every worker, then exit */
	bool done;
};

/*
 * Run the daemon for home in the foreground until SIGTERM/SIGINT or a
 * "kill" request: take the lock, bind the socket, with resurrect start
 * the apps of state.json (if there is one), supervise. Returns 0
 * after a clean shutdown, -1 with e filled when it cannot start.
 */
int daemon_run(const char *home, bool resurrect, struct derr *e);

/* Queue reply (stolen) on c and stop waiting. */
void conn_reply(struct conn *c, json_t *reply);
/* Queue one line (borrowed) on c, ahead of the reply it waits for. */
void conn_send(struct conn *c, const json_t *msg);
/* Begin a graceful shutdown: stop every worker, save, exit. */
void daemon_shutdown(struct daemon *d);

/* Write c's pending output now, as far as the socket takes it. */
void conn_flush(struct conn *c);
/* The connections in the loop (core/daemon/conn.c): watch the listener and
   each connection; after a turn answer, close idle and dead ones. */
void conns_watch(struct daemon *d, struct loop *l);
void conns_after_turn(struct daemon *d);
void conns_close_all(struct daemon *d);
/* Close every idle connection; how many were. */
size_t conns_shed(struct daemon *d);
/* The soft fd limit now. */
size_t fd_limit(void);

/* Replace the daemon by the binary exe in place (core/daemon/daemon_update.c):
   the workers stay its children. Returns only on failure, -1. */
int daemon_update(struct daemon *d, const char *exe, struct derr *e);
/* The lock and control socket fds an updating daemon left us, or -1. */
void daemon_inherited(int *lock, int *sock);
/* Tell systemd the daemon is ready (Type=notify), if it asked. */
void daemon_notify_ready(void);

/* Handle one request on c (core/daemon/ctl.c). */
void ctl_handle(struct daemon *d, struct conn *c, json_t *req);

#endif

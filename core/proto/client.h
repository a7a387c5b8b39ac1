/* client.h: the CLI side of the control socket */
#ifndef DEPLOY_CLIENT_H
#define DEPLOY_CLIENT_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>

#include "core/lib/util.h"

struct client;

/*
 * Connect to the daemon of home (see deploy_home). With autostart, start
 * `deploy daemon` in the background when none answers, and wait for its
 * socket. Returns NULL with e filled. Caller frees with client_free.
 */
struct client *client_connect(const char *home, bool autostart,
			      struct derr *e);
/* How client_call waits for its reply. */
struct client_wait {
	int timeout_ms;			/* -1: no limit */
	/* Called with each progress line ({"event": ...}, borrowed)
	   that comes before the reply; NULL: ignored. */
	void (*event)(void *arg, json_t *event);
	void *arg;
	/* Set (by a signal handler) to give up waiting; may be NULL. */
	const volatile sig_atomic_t *stop;
};

/*
 * Send req (with "version" added) and wait as w says for the reply.
 * Returns the reply (caller decrefs) or NULL with e filled when the
 * daemon went away, sent garbage, did not answer in time or *w->stop
 * was set.
 */
json_t *client_call(struct client *c, json_t *req,
		    const struct client_wait *w, struct derr *e);
/* True when the last client_call failed because the daemon went away
   before it answered (killed between accept and reply, say). */
bool client_broken(const struct client *c);
void client_free(struct client *c);

/* The path of the daemon's socket in home; a new string. */
char *client_socket_path(const char *home);

#endif

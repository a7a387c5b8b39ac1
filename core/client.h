/* client.h: the CLI side of the control socket */
#ifndef DEPLOY_CLIENT_H
#define DEPLOY_CLIENT_H

#include <jansson.h>
#include <stdbool.h>

#include "util.h"

struct client;

/*
 * Connect to the daemon of home (see deploy_home). With autostart, start
 * `deploy daemon` in the background when none answers, and wait for its
 * socket. Returns NULL with e filled. Caller frees with client_free.
 */
struct client *client_connect(const char *home, bool autostart,
			      struct derr *e);
/*
 * Send req (with "version" added) and wait up to timeout_ms (-1: no
 * limit) for the reply. Returns the reply (caller decrefs) or NULL with
 * e filled when the daemon went away or sent garbage.
 */
json_t *client_call(struct client *c, json_t *req, int timeout_ms,
		    struct derr *e);
/* Send req and return its fd for a streaming reply (logs -f). */
int client_fd(const struct client *c);
void client_free(struct client *c);

/* The path of the daemon's socket in home; a new string. */
char *client_socket_path(const char *home);

#endif

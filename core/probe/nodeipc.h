/* nodeipc.h: Node's IPC channel to a worker (process.send('ready')) */
#ifndef DEPLOY_NODEIPC_H
#define DEPLOY_NODEIPC_H

#include <stdbool.h>

#include "core/eco/ecosystem.h"

/*
 * Node opens an IPC channel on the fd named by NODE_CHANNEL_FD (a
 * stream socket carrying one JSON text per line with
 * NODE_CHANNEL_SERIALIZATION_MODE=json); process.send() then exists in
 * the child, and PM2's readiness signal, process.send('ready'), can
 * reach the daemon unchanged.
 */
struct nodeipc;

/* Whether the app's workers get a channel: node with wait_ready or
 * shutdown_with_message. */
bool nodeipc_wanted(const struct eco_app *cfg);
/* A socketpair: fds[0] the daemon's end (non-blocking), fds[1] the
 * child's; both CLOEXEC. 0, or -1 with errno. */
int nodeipc_pair(int fds[2]);
/* The daemon's side of a channel; takes fd. */
struct nodeipc *nodeipc_new(int fd);
/* Close and free; NULL is a no-op. */
void nodeipc_free(struct nodeipc *ipc);
int nodeipc_fd(const struct nodeipc *ipc);
/*
 * Read what arrived: 1 when a message was 'ready' (a string, or an
 * object whose "data" is), 0 when nothing of note, -1 when the channel
 * closed or broke (free it then). Other messages are ignored.
 */
int nodeipc_read(struct nodeipc *ipc);
/* Send msg as a JSON string (process.on('message') gets msg): PM2's
 * "shutdown". 0, or -1 when there is no channel or it is full. */
int nodeipc_send(struct nodeipc *ipc, const char *msg);

#endif

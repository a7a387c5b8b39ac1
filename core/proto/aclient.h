/* aclient.h: one request to the daemon without blocking (the dashboard) */
#ifndef DEPLOY_ACLIENT_H
#define DEPLOY_ACLIENT_H

#include <jansson.h>

#include "core/lib/util.h"

struct areq;

/*
 * Connect to home's daemon and send req (version added; not stolen).
 * Never starts a daemon and never waits. NULL with e filled when the
 * daemon is not there. Caller frees with areq_free.
 */
struct areq *areq_start(const char *home, json_t *req, struct derr *e);
/* The fd to poll for POLLIN. */
int areq_fd(const struct areq *r);
/*
 * Read what arrived: 1 with *reply set (caller decrefs) when the reply
 * is complete, 0 when more is to come, -1 with e filled when the daemon
 * went away or answered garbage.
 */
int areq_read(struct areq *r, json_t **reply, struct derr *e);
void areq_free(struct areq *r);

#endif

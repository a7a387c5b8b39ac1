/* proto.h: the control protocol, one JSON object per line */
#ifndef DEPLOY_PROTO_H
#define DEPLOY_PROTO_H

#include <jansson.h>
#include <stddef.h>

#include "core/lib/exitcode.h"
#include "core/lib/strbuf.h"
#include "core/lib/util.h"

/*
 * Requests: {"op": NAME, "version": VERSION, ...}. Replies: {"ok": true,
 * ...} or {"ok": false, "error": MESSAGE, "code": EXIT_CODE}. A line over
 * PROTO_MAX_LINE, malformed JSON or an unknown op gets an error reply.
 */
#define PROTO_MAX_LINE (1024 * 1024)
#define PROTO_VERSION DEPLOY_VERSION
/*
 * The protocol's level: requests carry it as "proto". It grows only by
 * additive changes; ping, ls, kill and update are answered whatever
 * the level, so any CLI can see, replace or stop any daemon.
 */
#define PROTO_LEVEL 2
/*
 * Room for the app objects of one "up" request: the line less what the
 * rest of it may take (the file's absolute path, the env name). An
 * ecosystem file whose apps need more is refused when it is read, so
 * that validate refuses what up could not send.
 */
#define PROTO_MAX_APPS (PROTO_MAX_LINE - 8192)

/* Add this client's "version" and "proto" to request req. */
void proto_stamp(json_t *req);
/* Encode msg as one line (with the newline); a new string. */
char *proto_encode(const json_t *msg);
/* The bytes msg takes in a request line (as proto_encode, no newline). */
size_t proto_encoded_size(const json_t *msg);
/*
 * Take the next complete line out of in and parse it. Returns 1 with *out
 * set, 0 when no full line is there yet, -1 with e filled on a bad line
 * (the line is consumed) or when in holds more than PROTO_MAX_LINE bytes
 * without a newline.
 */
int proto_next(struct strbuf *in, json_t **out, struct derr *e);
/* An error reply; caller decrefs. */
json_t *proto_error(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* An {"ok": true} reply; caller decrefs. */
json_t *proto_ok(void);

#endif

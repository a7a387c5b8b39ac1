/* proto.c: the control protocol, one JSON object per line */
#include "core/proto/proto.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* One compact line of JSON ending in a newline. */
char *
proto_encode(const json_t *msg)
{
	char *body = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII);
	char *line;

	if (body == NULL)
		fatal("cannot encode a control message");
	line = xasprintf("%s\n", body);
	free(body);
	return line;
}

/* Encoded size of msg, counted without building the text. */
size_t
proto_encoded_size(const json_t *msg)
{
	return json_dumpb(msg, NULL, 0, JSON_COMPACT | JSON_ENSURE_ASCII);
}

/* Parse the first complete line of in, consuming it. */
int
proto_next(struct strbuf *in, json_t **out, struct derr *e)
{
	char *nl = memchr(in->buf, '\n', in->len);
	json_error_t jerr;
	size_t len;

	*out = NULL;
	if (nl == NULL) {
		if (in->len > PROTO_MAX_LINE) {
			strbuf_reset(in);
			return derr_set(e, "request longer than %d bytes",
					PROTO_MAX_LINE);
		}
		return 0;
	}
	len = (size_t)(nl - in->buf);
	if (len > PROTO_MAX_LINE) {
		strbuf_consume(in, len + 1);
		return derr_set(e, "request longer than %d bytes",
				PROTO_MAX_LINE);
	}
	*out = json_loadb(in->buf, len, JSON_REJECT_DUPLICATES, &jerr);
	strbuf_consume(in, len + 1);
	if (*out == NULL)
		return derr_set(e, "malformed request: %s", jerr.text);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return derr_set(e, "malformed request: not an object");
	}
	return 1;
}

/* {"ok": false, "error": ..., "code": code}. */
json_t *
proto_error(int code, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	json_t *r;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	r = json_pack("{s:b, s:s, s:i}", "ok", 0, "error", msg, "code", code);
	free(msg);
	return r;
}

/* {"ok": true}. */
json_t *
proto_ok(void)
{
	return json_pack("{s:b}", "ok", 1);
}

/* Say who asks. */
void
proto_stamp(json_t *req)
{
	json_object_set_new(req, "version", json_string(PROTO_VERSION));
	json_object_set_new(req, "proto", json_integer(PROTO_LEVEL));
}

/* fuzz_proto.c: libFuzzer harness for the control protocol's request
 * parsing (what the daemon reads from any client of its socket) */
#include "core/proto/proto.h"
#include "core/lib/strbuf.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Feed data to a connection's input in two pieces (split where its
 * first byte says), taking every request out after each, as the daemon
 * does; encode what parses back into a line.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cut = size > 0 ? data[0] % (size + 1) : 0;
	struct strbuf in;
	struct derr e;
	json_t *req;
	int rc;

	strbuf_init(&in, 0);
	for (int piece = 0; piece < 2; piece++) {
		if (piece == 0)
			strbuf_add(&in, (const char *)data, cut);
		else
			strbuf_add(&in, (const char *)data + cut, size - cut);
		while ((rc = proto_next(&in, &req, &e)) != 0) {
			if (rc > 0) {
				char *line = proto_encode(req);

				free(line);
				json_decref(req);
			}
		}
	}
	strbuf_release(&in);
	return 0;
}

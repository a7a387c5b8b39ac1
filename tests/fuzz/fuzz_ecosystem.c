/* fuzz_ecosystem.c: libFuzzer harness for the ecosystem parser (the
 * tolerant pre-pass, jansson, positions, every key's checks) */
#include "core/eco/ecosystem.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse data as a file (with --env production when it starts with a
 * space), and print the result as validate --print would. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1);
	const char *env = size > 0 && data[0] == ' ' ? "production" : NULL;
	struct ecosystem *eco;
	struct derr e;

	memcpy(text, data, size);
	text[size] = '\0';
	eco = ecosystem_parse(text, "fuzz.json", env, &e);
	if (eco != NULL) {
		json_t *j = ecosystem_to_json(eco);
		char *s = json_dumps(j, JSON_COMPACT);

		free(s);
		json_decref(j);
		ecosystem_free(eco);
	}
	free(text);
	return 0;
}

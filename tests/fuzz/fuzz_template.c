/* fuzz_template.c: libFuzzer harness for the template engine */
#include "core/lib/strbuf.h"
#include "core/lib/template.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Rendered output is capped so nested loops cannot run away. */
#define TEMPLATE_OUT_CAP (1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * data is a template, then optionally a NUL byte and the JSON context
 * it renders with (no context: an empty one). Compile, render twice.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t tlen = nul ? (size_t)(nul - data) : size;
	char *text = xstrndup((const char *)data, tlen);
	json_t *ctx = NULL;
	struct template *t;
	struct strbuf out;
	struct derr e;

	if (nul != NULL)
		ctx = json_loadb((const char *)nul + 1, size - tlen - 1, 0,
				 NULL);
	t = template_parse(text, "fuzz.tmpl", &e);
	if (t != NULL) {
		for (int i = 0; i < 2; i++) {
			strbuf_init(&out, TEMPLATE_OUT_CAP);
			template_render(t, ctx, &out, &e);
			strbuf_release(&out);
		}
		template_free(t);
	}
	json_decref(ctx);
	free(text);
	return 0;
}

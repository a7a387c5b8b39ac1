/* template.h: a small mustache-like template engine for config files */
#ifndef DEPLOY_TEMPLATE_H
#define DEPLOY_TEMPLATE_H

#include <jansson.h>

#include "core/lib/strbuf.h"
#include "core/lib/util.h"

/*
 * Syntax (values come from a jansson context):
 *
 *   {{name}}  {{a.b}}  {{hosts.0}}  {{.}}
 *	A value, looked up from the innermost context outwards (the first
 *	part of a dotted name; later parts look inside that value only;
 *	a number part indexes an array). Strings print as they are,
 *	integers without decimals, reals in the shortest form that reads
 *	back the same, booleans as true/false. A missing name is an error,
 *	and so is null, an object or an array. The value is checked for
 *	config safety: it must not hold ; { } " ' \ a newline or another
 *	control character (the render fails, it does not escape).
 *   {{&name}}
 *	The same value inserted without the safety check.
 *   {{#name}}...{{/name}}
 *	An array: the body once per element, the element pushed as the
 *	innermost context. Another true value (an object, true, a number,
 *	0 included, a non-empty string): the body once with it pushed. A
 *	false value (missing, null, false, an empty array or string):
 *	nothing.
 *   {{^name}}...{{/name}}
 *	The body once when the value is false as above, else nothing.
 *   {{@index}} {{@first}} {{@last}}
 *	Inside a loop: the 0-based position in the innermost array loop,
 *	and whether it is the first or last element (booleans, usable as
 *	sections: {{^@last}},{{/@last}}).
 *   {{! comment }}
 *	Nothing; it may span lines.
 *
 * Spaces inside the braces are allowed ({{ name }}, {{# name }}). A line
 * that holds only section, close and comment tags and spaces or tabs is
 * removed whole, newline included ("standalone" lines), so section tags
 * can sit on lines of their own.
 *
 * Errors name the template and line: "nginx.conf.tmpl:7: no value for
 * 'upstream_name'". Mistakes in the template itself (an unclosed
 * section, a wrong close tag, an unterminated "{{", a bad name) are
 * found when it is parsed, before anything renders.
 */

struct template;

/*
 * Compile text; name is used in error messages ("name:line: ..."). The
 * text need not outlive the call. Returns NULL and fills e on error;
 * free the result with template_free.
 */
struct template *template_parse(const char *text, const char *name,
				struct derr *e);

/* Read and compile the file at path; errors name its base name. */
struct template *template_load(const char *path, struct derr *e);

/*
 * Render t with ctx (normally an object; NULL acts as an empty one),
 * appending to out. Returns 0, or -1 with e filled; out may then hold
 * part of the text, so write files only on success. Output cut at out's
 * cap is an error too. A template may be rendered any number of times.
 */
int template_render(const struct template *t, json_t *ctx,
		    struct strbuf *out, struct derr *e);

/* Free t; NULL is a no-op. */
void template_free(struct template *t);

#endif

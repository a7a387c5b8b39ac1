/* template.c: compile mustache-like templates to a node list, render them */
#include "core/lib/template.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Templates are small, trusted files; the limits only stop accidents. */
#define TEMPLATE_MAX_SIZE	(1024 * 1024)
#define TEMPLATE_MAX_DEPTH	32

enum kind {
	K_TEXT,
	K_VAR,			/* {{name}} */
	K_RAW,			/* {{&name}} */
	K_SECTION,		/* {{#name}} */
	K_INVERTED,		/* {{^name}} */
	K_CLOSE,		/* {{/name}} */
	K_COMMENT,		/* {{! ... }} */
};

/* The character after "{{" that selects each tag kind (K_VAR: none). */
static const char sigils[] = {
	[K_TEXT] = 0, [K_VAR] = 0, [K_RAW] = '&', [K_SECTION] = '#',
	[K_INVERTED] = '^', [K_CLOSE] = '/', [K_COMMENT] = '!',
};

/* What a tag's name is, as far as the parser can tell. */
enum special {
	SP_NONE,		/* a plain (maybe dotted) name */
	SP_DOT,			/* "." */
	SP_INDEX,		/* "@index" */
	SP_FIRST,		/* "@first" */
	SP_LAST,		/* "@last" */
	SP_UNKNOWN,		/* another "@..." */
	SP_BAD,			/* not a name */
};

/* A piece of the source, before the sections are nested. */
struct token {
	enum kind kind;
	int line;
	const char *s;		/* K_TEXT: the text; tags: the trimmed name */
	size_t len;
	bool drop;		/* K_TEXT on a standalone line */
};

/* One step of the compiled template. */
struct node {
	enum kind kind;		/* any but K_CLOSE and K_COMMENT */
	int line;
	size_t off, len;	/* K_TEXT: the bytes at t->text + off */
	char *name;		/* tags: the name as written */
	char **seg;		/* SP_NONE: the dotted parts (strv) */
	enum special special;
	size_t end;		/* sections: the index after the body */
};

struct template {
	char *name;
	char *text;		/* the text of every K_TEXT node */
	struct node *nodes;
	size_t n, cap;
};

/* The parser's state. */
struct parse {
	const char *name;
	struct derr *e;
	struct token *tok;
	size_t n, cap;
	size_t open[TEMPLATE_MAX_DEPTH];	/* indices of open sections */
	size_t depth;
};

/* One context on the render stack. */
struct frame {
	json_t *v;
	bool loop;		/* an element of an array section */
	size_t index, count;
};

/* The renderer's state. */
struct render {
	const struct template *t;
	struct strbuf *out;
	struct derr *e;
	struct frame f[TEMPLATE_MAX_DEPTH + 1];
	size_t depth;
};

/* Fill e with "name:line: message"; returns -1. */
static int __attribute__((format(printf, 4, 5)))
tmpl_fail(struct derr *e, const char *name, int line, const char *fmt, ...)
{
	char msg[sizeof e->msg];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return derr_set(e, "%s:%d: %s", name, line, msg);
}

/* True for the characters allowed in a part of a dotted name. */
static bool
is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Classify the name s (len bytes, not empty). */
static enum special
name_kind(const char *s, size_t len)
{
	static const struct {
		const char *name;
		enum special sp;
	} at[] = {
		{ "@index", SP_INDEX },
		{ "@first", SP_FIRST },
		{ "@last", SP_LAST },
	};
	bool part_empty = true;

	if (len == 1 && s[0] == '.')
		return SP_DOT;
	if (s[0] == '@') {
		for (size_t i = 0; i < ARRAY_SIZE(at); i++)
			if (strlen(at[i].name) == len &&
			    memcmp(at[i].name, s, len) == 0)
				return at[i].sp;
		return SP_UNKNOWN;
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (part_empty)
				return SP_BAD;
			part_empty = true;
		} else if (is_name_char(s[i])) {
			part_empty = false;
		} else {
			return SP_BAD;
		}
	}
	return part_empty ? SP_BAD : SP_NONE;
}

/* Append a token. */
static void
add_token(struct parse *p, enum kind kind, int line, const char *s,
	  size_t len)
{
	ARRAY_GROW(p->tok, p->cap, p->n + 1);
	p->tok[p->n++] = (struct token){ kind, line, s, len, false };
}

/* Append text as one token per line piece, each ending after its '\n'. */
static void
add_text(struct parse *p, const char *s, size_t len, int *line)
{
	while (len) {
		const char *nl = memchr(s, '\n', len);
		size_t piece = nl ? (size_t)(nl - s) + 1 : len;

		add_token(p, K_TEXT, *line, s, piece);
		if (nl)
			(*line)++;
		s += piece;
		len -= piece;
	}
}

/* Check a tag's name and the nesting of sections as tags arrive. */
static int
check_tag(struct parse *p, const struct token *tk)
{
	enum special sp;
	int len = (int)tk->len;
	char sigil = sigils[tk->kind];

	if (tk->kind == K_COMMENT)
		return 0;
	if (tk->len == 0)
		return tmpl_fail(p->e, p->name, tk->line,
				 "tag '{{%.*s}}' has no name",
				 sigil ? 1 : 0, &sigil);
	sp = name_kind(tk->s, tk->len);
	if (sp == SP_BAD)
		return tmpl_fail(p->e, p->name, tk->line, "bad name '%.*s'",
				 len, tk->s);
	if (sp == SP_UNKNOWN)
		return tmpl_fail(p->e, p->name, tk->line,
				 "unknown name '%.*s'", len, tk->s);
	if (sp == SP_INDEX &&
	    (tk->kind == K_SECTION || tk->kind == K_INVERTED))
		return tmpl_fail(p->e, p->name, tk->line,
				 "'@index' cannot open a section");
	if (sp >= SP_INDEX && tk->kind != K_CLOSE && p->depth == 0)
		return tmpl_fail(p->e, p->name, tk->line,
				 "'%.*s' outside a loop", len, tk->s);
	if (tk->kind == K_SECTION || tk->kind == K_INVERTED) {
		if (p->depth == TEMPLATE_MAX_DEPTH)
			return tmpl_fail(p->e, p->name, tk->line,
					 "sections nested deeper than %d",
					 TEMPLATE_MAX_DEPTH);
		p->open[p->depth++] = p->n - 1;
	} else if (tk->kind == K_CLOSE) {
		const struct token *o;

		if (p->depth == 0)
			return tmpl_fail(p->e, p->name, tk->line,
					 "'{{/%.*s}}' has no open section",
					 len, tk->s);
		o = &p->tok[p->open[p->depth - 1]];
		if (o->len != tk->len || memcmp(o->s, tk->s, tk->len) != 0)
			return tmpl_fail(p->e, p->name, tk->line,
					 "'{{/%.*s}}' does not match open "
					 "section '%.*s' (line %d)", len,
					 tk->s, (int)o->len, o->s, o->line);
		p->depth--;
	}
	return 0;
}

/* The tag kind that the first character after "{{" selects. */
static enum kind
tag_kind(char c)
{
	for (size_t k = K_RAW; k < ARRAY_SIZE(sigils); k++)
		if (sigils[k] == c)
			return (enum kind)k;
	return K_VAR;
}

/* Lex the tag at open ("{{"), add it, and move *s past it. */
static int
lex_tag(struct parse *p, const char *open, const char **s, int *line)
{
	const char *body = open + 2;
	const char *close = strstr(body, "}}");
	enum kind kind = tag_kind(*body);
	int start = *line;

	if (kind != K_VAR)
		body++;
	/* Only comments may span lines: a stray "{{" is caught at once. */
	if (close && kind != K_COMMENT &&
	    memchr(body, '\n', (size_t)(close - body)))
		close = NULL;
	if (!close)
		return tmpl_fail(p->e, p->name, start, "'{{' is not closed");
	*s = close + 2;
	for (const char *c = body; c < close; c++)
		if (*c == '\n')
			(*line)++;
	while (body < close && (*body == ' ' || *body == '\t'))
		body++;
	while (close > body && (close[-1] == ' ' || close[-1] == '\t'))
		close--;
	add_token(p, kind, start, body, (size_t)(close - body));
	return check_tag(p, &p->tok[p->n - 1]);
}

/* Split src into tokens, checking every tag and the section nesting. */
static int
lex(struct parse *p, const char *src)
{
	const char *s = src;
	int line = 1;

	for (;;) {
		const char *open = strstr(s, "{{");

		if (!open) {
			add_text(p, s, strlen(s), &line);
			break;
		}
		add_text(p, s, (size_t)(open - s), &line);
		if (lex_tag(p, open, &s, &line) < 0)
			return -1;
	}
	if (p->depth) {
		const struct token *o = &p->tok[p->open[p->depth - 1]];

		return tmpl_fail(p->e, p->name, o->line,
				 "section '%.*s' is not closed",
				 (int)o->len, o->s);
	}
	return 0;
}

/* True when a text token holds only spaces and tabs, and a line end. */
static bool
is_blank(const struct token *tk)
{
	size_t len = tk->len;

	if (len && tk->s[len - 1] == '\n') {
		len--;
		if (len && tk->s[len - 1] == '\r')
			len--;
	}
	for (size_t i = 0; i < len; i++)
		if (tk->s[i] != ' ' && tk->s[i] != '\t')
			return false;
	return true;
}

/* True when tokens from..to (inclusive) form a standalone line. */
static bool
is_standalone(const struct parse *p, size_t from, size_t to)
{
	bool tags = false;

	for (size_t i = from; i <= to; i++) {
		const struct token *tk = &p->tok[i];

		if (tk->kind == K_VAR || tk->kind == K_RAW)
			return false;
		if (tk->kind != K_TEXT)
			tags = true;
		else if (!is_blank(tk))
			return false;
	}
	return tags;
}

/* Mark the text of lines that hold only section and comment tags. */
static void
mark_standalone(struct parse *p)
{
	size_t from = 0;

	while (from < p->n) {
		size_t to = from;

		/* A line ends with a text token ending in '\n', or at EOF. */
		while (to + 1 < p->n && !(p->tok[to].kind == K_TEXT &&
					  p->tok[to].s[p->tok[to].len - 1]
					  == '\n'))
			to++;
		if (is_standalone(p, from, to))
			for (size_t i = from; i <= to; i++)
				p->tok[i].drop = true;
		from = to + 1;
	}
}

/* Split a dotted name into its parts (a strv). */
static char **
split_name(const char *name)
{
	char **v = NULL;
	char *copy = xstrdup(name), *save = NULL;

	for (char *part = strtok_r(copy, ".", &save); part;
	     part = strtok_r(NULL, ".", &save))
		v = strv_push(v, part);
	free(copy);
	return v;
}

/* Append a node for tag token tk to t. */
static struct node *
add_tag_node(struct template *t, const struct token *tk)
{
	struct node *n;

	ARRAY_GROW(t->nodes, t->cap, t->n + 1);
	n = &t->nodes[t->n++];
	*n = (struct node){ .kind = tk->kind, .line = tk->line };
	n->name = xstrndup(tk->s, tk->len);
	n->special = name_kind(tk->s, tk->len);
	if (n->special == SP_NONE)
		n->seg = split_name(n->name);
	return n;
}

/* Build the node list from checked tokens; adjacent text is merged. */
static struct template *
build(const struct parse *p)
{
	struct template *t = xcalloc(1, sizeof *t);
	struct strbuf text = STRBUF_INIT;
	size_t open[TEMPLATE_MAX_DEPTH], depth = 0;
	bool merge = false;

	t->name = xstrdup(p->name);
	for (size_t i = 0; i < p->n; i++) {
		const struct token *tk = &p->tok[i];

		switch (tk->kind) {
		case K_TEXT:
			if (tk->drop)
				break;
			if (!merge) {
				ARRAY_GROW(t->nodes, t->cap, t->n + 1);
				t->nodes[t->n++] = (struct node){
					.kind = K_TEXT, .line = tk->line,
					.off = text.len };
			}
			t->nodes[t->n - 1].len += tk->len;
			strbuf_add(&text, tk->s, tk->len);
			merge = true;
			break;
		case K_COMMENT:
			break;
		case K_CLOSE:
			t->nodes[open[--depth]].end = t->n;
			merge = false;
			break;
		case K_SECTION:
		case K_INVERTED:
			open[depth++] = t->n;
			add_tag_node(t, tk);
			merge = false;
			break;
		case K_VAR:
		case K_RAW:
			add_tag_node(t, tk);
			merge = false;
			break;
		}
	}
	t->text = strbuf_detach(&text);
	return t;
}

/* Compile text into a template. */
struct template *
template_parse(const char *text, const char *name, struct derr *e)
{
	struct parse p = { .name = name, .e = e };
	struct template *t = NULL;

	if (lex(&p, text) == 0) {
		mark_standalone(&p);
		t = build(&p);
	}
	free(p.tok);
	return t;
}

/* Read the file at path and compile it. */
struct template *
template_load(const char *path, struct derr *e)
{
	struct strbuf sb = STRBUF_INIT;
	struct template *t = NULL;
	const char *base = strrchr(path, '/');

	if (strbuf_read_file(&sb, path, TEMPLATE_MAX_SIZE) < 0)
		derr_errno(e, "cannot read '%s'", path);
	else if (memchr(sb.buf, '\0', sb.len))
		derr_set(e, "cannot read '%s': it holds a NUL byte", path);
	else
		t = template_parse(sb.buf, base ? base + 1 : path, e);
	strbuf_release(&sb);
	return t;
}

/* Free t and everything it holds. */
void
template_free(struct template *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->nodes[i].name);
		strv_free(t->nodes[i].seg);
	}
	free(t->nodes);
	free(t->text);
	free(t->name);
	free(t);
}

/* The part named seg of v: an object's member or an array's element. */
static json_t *
child(json_t *v, const char *seg)
{
	char *end;
	unsigned long i;

	if (json_is_object(v))
		return json_object_get(v, seg);
	if (!json_is_array(v) || *seg < '0' || *seg > '9')
		return NULL;
	i = strtoul(seg, &end, 10);
	return *end ? NULL : json_array_get(v, i);
}

/* The innermost loop frame, or NULL outside any loop. */
static const struct frame *
loop_frame(const struct render *r)
{
	for (size_t i = r->depth; i-- > 0;)
		if (r->f[i].loop)
			return &r->f[i];
	return NULL;
}

/* Fill e with a render error at node n; returns -1. */
#define render_fail(r, n, ...) \
	tmpl_fail((r)->e, (r)->t->name, (n)->line, __VA_ARGS__)

/*
 * Find the value of n's name: *v is NULL when there is none, and for
 * @index, which callers read from loop_frame(). Returns -1 only for an
 * @name outside a loop.
 */
static int
lookup(const struct render *r, const struct node *n, json_t **v)
{
	const struct frame *lf;

	*v = NULL;
	switch (n->special) {
	case SP_DOT:
		*v = r->f[r->depth - 1].v;
		return 0;
	case SP_INDEX:
	case SP_FIRST:
	case SP_LAST:
		if (!(lf = loop_frame(r)))
			return render_fail(r, n, "'%s' outside a loop",
					   n->name);
		if (n->special == SP_FIRST)
			*v = json_boolean(lf->index == 0);
		else if (n->special == SP_LAST)
			*v = json_boolean(lf->index + 1 == lf->count);
		return 0;
	default:
		break;
	}
	for (size_t i = r->depth; i-- > 0 && !*v;)
		if (json_is_object(r->f[i].v))
			*v = json_object_get(r->f[i].v, n->seg[0]);
	for (char **s = n->seg + 1; *v && *s; s++)
		*v = child(*v, *s);
	return 0;
}

/* True when v makes a section render. */
static bool
is_true(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_NULL:
	case JSON_FALSE:
		return false;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_STRING:
		return json_string_length(v) > 0;
	default:
		return true;
	}
}

/* Describe c when it must not appear in a checked value, else NULL. */
static const char *
unsafe_char(unsigned char c, char *buf, size_t size)
{
	switch (c) {
	case '\n':
		return "a newline";
	case '\t':
		return "a tab";
	case '\r':
		return "a carriage return";
	case '\'':
		return "\"'\"";
	case ';': case '{': case '}': case '"': case '\\':
		snprintf(buf, size, "'%c'", c);
		return buf;
	default:
		if (c >= 0x20 && c != 0x7f)
			return NULL;
		snprintf(buf, size, "control character 0x%02x", c);
		return buf;
	}
}

/* Append string s, first checking it for config safety unless raw. */
static int
put_string(struct render *r, const struct node *n, const char *s,
	   size_t len)
{
	char buf[32];
	const char *bad;

	if (n->kind != K_RAW)
		for (size_t i = 0; i < len; i++)
			if ((bad = unsafe_char((unsigned char)s[i], buf,
					       sizeof buf)))
				return render_fail(r, n, "value of '%s' "
						   "contains %s", n->name,
						   bad);
	strbuf_add(r->out, s, len);
	return 0;
}

/* Append the decimal digits of i (snprintf costs more in long loops). */
static void
put_int(struct strbuf *out, long long i)
{
	char buf[24], *p = buf + sizeof buf;
	unsigned long long u = i < 0 ? 0ULL - (unsigned long long)i
				     : (unsigned long long)i;

	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (i < 0)
		*--p = '-';
	strbuf_add(out, p, (size_t)(buf + sizeof buf - p));
}

/* Append d in the shortest form that reads back the same, with a '.'. */
static void
put_real(struct strbuf *out, double d)
{
	char buf[64];
	int prec = 15;

	do
		snprintf(buf, sizeof buf, "%.*g", prec, d);
	while (strtod(buf, NULL) != d && ++prec <= 17);
	for (char *c = buf; *c; c++)
		if (*c == ',')		/* a locale's decimal comma */
			*c = '.';
	strbuf_addstr(out, buf);
}

/* Append the value v of node n. */
static int
put_value(struct render *r, const struct node *n, json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return put_string(r, n, json_string_value(v),
				  json_string_length(v));
	case JSON_INTEGER:
		put_int(r->out, json_integer_value(v));
		break;
	case JSON_REAL:
		put_real(r->out, json_real_value(v));
		break;
	case JSON_TRUE:
		strbuf_add(r->out, "true", 4);
		break;
	case JSON_FALSE:
		strbuf_add(r->out, "false", 5);
		break;
	case JSON_NULL:
		return render_fail(r, n, "value of '%s' is null", n->name);
	case JSON_OBJECT:
		return render_fail(r, n, "value of '%s' is an object",
				   n->name);
	case JSON_ARRAY:
		return render_fail(r, n, "value of '%s' is an array",
				   n->name);
	}
	return 0;
}

/* Append the value a {{name}} or {{&name}} node stands for. */
static int
render_var(struct render *r, const struct node *n)
{
	json_t *v;

	if (lookup(r, n, &v) < 0)
		return -1;
	if (n->special == SP_INDEX) {
		put_int(r->out, (long long)loop_frame(r)->index);
		return 0;
	}
	if (!v)
		return render_fail(r, n, "no value for '%s'", n->name);
	return put_value(r, n, v);
}

static int render_nodes(struct render *r, size_t from, size_t to);

/* Render the body of section i once with v pushed as the context. */
static int
render_body(struct render *r, size_t i, json_t *v, bool loop,
	    size_t index, size_t count)
{
	int rc;

	r->f[r->depth++] = (struct frame){ v, loop, index, count };
	rc = render_nodes(r, i + 1, r->t->nodes[i].end);
	r->depth--;
	return rc;
}

/* Render section (or inverted section) i as its value says. */
static int
render_section(struct render *r, size_t i)
{
	const struct node *n = &r->t->nodes[i];
	json_t *v;
	size_t count;

	if (lookup(r, n, &v) < 0)
		return -1;
	if (n->kind == K_INVERTED)
		return is_true(v) ? 0 : render_nodes(r, i + 1, n->end);
	if (!is_true(v))
		return 0;
	if (!json_is_array(v))
		return render_body(r, i, v, false, 0, 0);
	count = json_array_size(v);
	for (size_t k = 0; k < count; k++)
		if (render_body(r, i, json_array_get(v, k), true, k,
				count) < 0)
			return -1;
	return 0;
}

/* Render nodes from..to-1. */
static int
render_nodes(struct render *r, size_t from, size_t to)
{
	size_t i = from;

	while (i < to) {
		const struct node *n = &r->t->nodes[i];

		switch (n->kind) {
		case K_TEXT:
			strbuf_add(r->out, r->t->text + n->off, n->len);
			i++;
			break;
		case K_SECTION:
		case K_INVERTED:
			if (render_section(r, i) < 0)
				return -1;
			i = n->end;
			break;
		default:
			if (render_var(r, n) < 0)
				return -1;
			i++;
			break;
		}
	}
	return 0;
}

/* Render t with ctx, appending to out. */
int
template_render(const struct template *t, json_t *ctx, struct strbuf *out,
		struct derr *e)
{
	struct render r = { .t = t, .out = out, .e = e, .depth = 1 };
	bool truncated = out->truncated;

	r.f[0] = (struct frame){ ctx, false, 0, 0 };
	if (render_nodes(&r, 0, t->n) < 0)
		return -1;
	/* A config cut at a capped buffer's end must not be written. */
	if (out->truncated && !truncated)
		return derr_set(e, "%s: output is longer than %zu bytes",
				t->name, out->cap);
	return 0;
}

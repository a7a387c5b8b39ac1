/* ecosystem.c: load an ecosystem file; messages, key tables, values */
#include "core/eco/eco_int.h"
#include "core/lib/fileio.h"
#include "core/proto/proto.h"
#include "core/lib/strbuf.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FILE_SIZE (16 << 20)

/* deploy's own file (what deploy init writes), PM2's default file and
 * its other forms, then PM2's JSON names. */
static const char *const file_names[] = {
	"ecosystem.json", "ecosystem.config.js", "ecosystem.config.cjs",
	"ecosystem.config.mjs", "ecosystem.config.json", "process.json",
};

/* Go one key deeper. */
void
eco_push_key(struct eco_ctx *c, const char *key)
{
	if (c->depth == ECO_MAX_DEPTH)
		fatal("ecosystem: path too deep");
	c->path[c->depth].key = key;
	c->path[c->depth].index = 0;
	c->depth++;
}

/* Go one array element deeper. */
void
eco_push_index(struct eco_ctx *c, size_t index)
{
	if (c->depth == ECO_MAX_DEPTH)
		fatal("ecosystem: path too deep");
	c->path[c->depth].key = NULL;
	c->path[c->depth].index = index;
	c->depth++;
}

/* "file:line:col: path: message" for the current path; caller frees. */
__attribute__((format(printf, 3, 0)))
static char *
vmessage(struct eco_ctx *c, int at_key, const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonpos pos;
	char path[256];

	jsonpos_format(c->path, c->depth, path, sizeof path);
	if (c->no_pos) {
		strbuf_addf(&sb, "%s: ", c->file);
	} else {
		if (c->ix == NULL)
			c->ix = jsonpos_index_new(c->text, c->len);
		jsonpos_index_find(c->ix, c->path, c->depth, at_key, &pos);
		strbuf_addf(&sb, "%s:%d:%d: ", c->file, pos.line, pos.col);
	}
	if (path[0] != '\0')
		strbuf_addf(&sb, "%s: ", path);
	strbuf_vaddf(&sb, fmt, ap);
	return strbuf_detach(&sb);
}

/* Fail at the value of the current path. */
int
eco_fail(struct eco_ctx *c, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = vmessage(c, 0, fmt, ap);
	va_end(ap);
	derr_set(c->e, "%s", msg);
	free(msg);
	return -1;
}

/* Fail at key of obj (obj at the current path), or at obj. */
int
eco_fail_key(struct eco_ctx *c, json_t *obj, const char *key,
	     const char *fmt, ...)
{
	size_t depth = c->depth;
	va_list ap;
	char *msg;

	if (json_object_get(obj, key) != NULL)
		eco_push_key(c, key);
	va_start(ap, fmt);
	msg = vmessage(c, 0, fmt, ap);
	va_end(ap);
	c->depth = depth;
	derr_set(c->e, "%s", msg);
	free(msg);
	return -1;
}

/*
 * Append msg (taken) to the warnings, which stay NULL-terminated: in
 * amortized constant time, where strv_push counts and copies the list
 * on each call (a file with 16,000 unknown keys has as many warnings).
 */
static void
add_warning(struct eco_ctx *c, char *msg)
{
	ARRAY_GROW(c->eco->warnings, c->cap_warn, c->n_warn + 2);
	c->eco->warnings[c->n_warn++] = msg;
	c->eco->warnings[c->n_warn] = NULL;
}

/* Add a warning pointing at the current path's key. */
void
eco_warn(struct eco_ctx *c, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (c->quiet)
		return;
	va_start(ap, fmt);
	msg = vmessage(c, 1, fmt, ap);
	va_end(ap);
	add_warning(c, msg);
}

/* Warn about a key written twice in one object (the last one counts). */
static void
dup_warning(void *ud, const struct jsonpos_step *path, size_t n,
	    struct jsonpos at, struct jsonpos first)
{
	struct eco_ctx *c = ud;
	char p[256], *msg;

	jsonpos_format(path, n, p, sizeof p);
	msg = xasprintf("%s:%d:%d: %s: duplicate key, replaces the one at "
			"line %d", c->file, at.line, at.col, p, first.line);
	add_warning(c, msg);
}

/* The known key closest to key, or NULL when none is close. */
static const char *
suggest(const struct eco_field *tab, size_t n, const char *key)
{
	size_t len = strlen(key), limit = 1 + len / 4, best = SIZE_MAX, d;
	const char *found = NULL;

	if (limit > 3)
		limit = 3;
	for (size_t i = 0; i < n; i++) {
		size_t klen = strlen(tab[i].key);

		/* The distance is at least the difference in length. */
		if (tab[i].prefix || klen > len + limit || len > klen + limit)
			continue;
		d = str_edit_distance(key, tab[i].key);
		if (d <= limit && d < best) {
			best = d;
			found = tab[i].key;
		}
	}
	return found;
}

/* The table row for key, or NULL. */
static const struct eco_field *
find_field(const struct eco_field *tab, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++) {
		if (tab[i].prefix ?
		    strncmp(key, tab[i].key, strlen(tab[i].key)) == 0 :
		    strcmp(key, tab[i].key) == 0)
			return &tab[i];
	}
	return NULL;
}

/* Whether an unused PM2 setting would have done something. */
static bool
is_set(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_FALSE:
	case JSON_NULL:
		return false;
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_OBJECT:
		return json_object_size(v) > 0;
	case JSON_INTEGER:
	case JSON_REAL:
		return json_number_value(v) != 0;
	default:
		return true;
	}
}

/* An integer value (integral reals too); false for anything else. */
bool
eco_json_ll(json_t *v, long long *out)
{
	double d;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return true;
	}
	if (!json_is_real(v))
		return false;
	d = json_real_value(v);
	if (d != floor(d) || fabs(d) > 9007199254740992.0)
		return false;
	*out = (long long)d;
	return true;
}

/* A string of digits ("10", "-1"), as PM2 takes numbers written so. */
bool
eco_string_ll(json_t *v, long long *out)
{
	const char *s = json_string_value(v);
	char *end;

	if (s == NULL || *s == '\0' || strlen(s) > 18)
		return false;
	*out = strtoll(s, &end, 10);
	return *end == '\0';
}

/* Check an integer against [min, max]. */
static int
want_range(struct eco_ctx *c, long long n, long long min, long long max)
{
	if (n < min)
		return eco_fail(c, "must be %lld or more", min);
	if (n > max)
		return eco_fail(c, "must be %lld or less", max);
	return 0;
}

/* Read an int member described by f. */
static int
want_int(struct eco_ctx *c, json_t *v, const struct eco_field *f, int *out)
{
	long long n;

	if (!eco_json_ll(v, &n) && !eco_string_ll(v, &n))
		return eco_fail(c, "expected an integer");
	if (want_range(c, n, f->min, f->max) < 0)
		return -1;
	*out = (int)n;
	return 0;
}

/*
 * Read a duration in ms: a number, or "1500", "5s", "2m", "1h"; at
 * most INT32_MAX (24 days) so deadline sums cannot overflow.
 */
static int
want_ms(struct eco_ctx *c, json_t *v, long *out)
{
	long long n;
	long ms;

	if (json_is_string(v) &&
	    eco_parse_duration(json_string_value(v), &ms) == 0)
		n = ms;
	else if (json_is_string(v) || !eco_json_ll(v, &n))
		return eco_fail(c, "expected milliseconds or a duration like "
				"\"5s\"");
	if (want_range(c, n, 0, INT32_MAX) < 0)
		return -1;
	*out = (long)n;
	return 0;
}

/* Read a size in bytes: a number, or "300M", "1G". */
static int
want_bytes(struct eco_ctx *c, json_t *v, long long *out)
{
	long long n;

	if (json_is_string(v)) {
		if (eco_parse_bytes(json_string_value(v), out) < 0)
			return eco_fail(c, "expected bytes or a size like "
					"\"300M\"");
		return 0;
	}
	if (!eco_json_ll(v, &n))
		return eco_fail(c, "expected bytes or a size like \"300M\"");
	if (want_range(c, n, 0, INT64_MAX) < 0)
		return -1;
	*out = n;
	return 0;
}

/* A string, number or boolean as text (as JavaScript's String()). */
static char *
scalar_string(json_t *v)
{
	char buf[32];
	double d;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return xstrdup(json_string_value(v));
	case JSON_INTEGER:
		return xasprintf("%lld", (long long)json_integer_value(v));
	case JSON_REAL:
		d = json_real_value(v);
		if (d == floor(d) && fabs(d) < 1e21)
			return xasprintf("%.0f", d);	/* 100.0 is "100" */
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(buf, sizeof buf, "%.*g", prec, d);
			if (strtod(buf, NULL) == d)
				break;
		}
		return xstrdup(buf);
	case JSON_TRUE:
		return xstrdup("true");
	case JSON_FALSE:
		return xstrdup("false");
	default:
		return NULL;
	}
}

/* Read words: a string (split like sh, or one item) or an array. */
static int
want_words(struct eco_ctx *c, json_t *v, enum eco_ftype type, char ***out)
{
	char **words = xcalloc(1, sizeof *words), **w, *s;
	struct derr de;
	json_t *item;
	size_t i;

	if (json_is_string(v) && type == ECO_F_LIST) {
		words = strv_push(words, json_string_value(v));
	} else if (json_is_string(v)) {
		free(words);
		if (eco_split_args(json_string_value(v), &words, &de) < 0)
			return eco_fail(c, "%s", de.msg);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item) {
			s = type == ECO_F_LIST ? NULL : scalar_string(item);
			if (s == NULL && json_is_string(item))
				s = xstrdup(json_string_value(item));
			if (s == NULL) {
				strv_free(words);
				eco_push_index(c, i);
				eco_fail(c, "expected a string");
				c->depth--;
				return -1;
			}
			words = strv_push(words, s);
			free(s);
		}
	} else {
		strv_free(words);
		return eco_fail(c, "expected a string or an array of strings");
	}
	if (type == ECO_F_MOREWORDS && *out != NULL) {
		for (w = words; *w != NULL; w++)
			*out = strv_push(*out, *w);
		strv_free(words);
	} else {
		strv_free(*out);
		*out = words;
	}
	return 0;
}

/* Read a string; with nonempty, "" is an error. Replaces *out. */
int
eco_want_string(struct eco_ctx *c, json_t *v, bool nonempty, char **out)
{
	if (!json_is_string(v))
		return eco_fail(c, "expected a string");
	if (nonempty && json_string_length(v) == 0)
		return eco_fail(c, "must not be empty");
	free(*out);
	*out = xstrdup(json_string_value(v));
	return 0;
}

/* Read a TCP port: a number or a string of digits, 1 to 65535. */
int
eco_want_port(struct eco_ctx *c, json_t *v, int *out)
{
	long long n = 0;
	const char *s;

	if (json_is_string(v)) {
		s = json_string_value(v);
		if (*s == '\0' || strlen(s) > 5 ||
		    strspn(s, "0123456789") != strlen(s))
			n = 0;
		else
			n = atoll(s);
	} else if (!eco_json_ll(v, &n)) {
		n = 0;
	}
	if (n < 1 || n > 65535)
		return eco_fail(c, "expected a port number (1-65535)");
	*out = (int)n;
	return 0;
}

/* Read a health URL: http://, https://, or a path "/...". */
int
eco_want_url(struct eco_ctx *c, json_t *v, char **out)
{
	const char *s;

	if (!json_is_string(v))
		return eco_fail(c, "expected a string");
	s = json_string_value(v);
	if ((strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0
	     && s[0] != '/') || strpbrk(s, " \t\r\n") != NULL)
		return eco_fail(c, "expected an http:// or https:// URL, or "
				"a path starting with \"/\"");
	free(*out);
	*out = xstrdup(s);
	return 0;
}

/* Check an env object; apply it to dst unless dst is NULL. */
int
eco_want_env(struct eco_ctx *c, json_t *v, struct eco_env *dst)
{
	const char *key;
	json_t *val;
	char *s;

	if (!json_is_object(v))
		return eco_fail(c, "expected an object");
	json_object_foreach(v, key, val) {
		eco_push_key(c, key);
		s = scalar_string(val);
		if (*key == '\0' || strchr(key, '=') != NULL) {
			free(s);
			return eco_fail(c, "a variable name must not be "
					"empty or contain '='");
		}
		if (s == NULL && !json_is_null(val))
			return eco_fail(c, "expected a string, number or "
					"boolean");
		c->depth--;
		if (dst != NULL && s != NULL)
			eco_env_set(dst, key, s);
		else if (dst != NULL)
			eco_env_unset(dst, key);
		free(s);
	}
	return 0;
}

/* Read one key's value as its table row says. */
static int
apply_field(struct eco_ctx *c, const struct eco_field *f, void *obj,
	    json_t *v)
{
	char *at = (char *)obj + f->off;

	switch (f->type) {
	case ECO_F_STR:
	case ECO_F_NONEMPTY:
		return eco_want_string(c, v, f->type == ECO_F_NONEMPTY,
				       (char **)(void *)at);
	case ECO_F_BOOL:
		if (!json_is_boolean(v))
			return eco_fail(c, "expected true or false");
		*(bool *)at = json_is_true(v);
		return 0;
	case ECO_F_INT:
		return want_int(c, v, f, (int *)(void *)at);
	case ECO_F_MS:
		return want_ms(c, v, (long *)(void *)at);
	case ECO_F_BYTES:
		return want_bytes(c, v, (long long *)(void *)at);
	case ECO_F_WORDS:
	case ECO_F_MOREWORDS:
	case ECO_F_LIST:
		return want_words(c, v, f->type, (char ***)(void *)at);
	case ECO_F_FN:
		return f->fn(c, obj, v);
	case ECO_F_UNUSED:
		if (is_set(v))
			eco_warn(c, "not used by deploy, ignored");
		return 0;
	case ECO_F_QUIET:
		break;
	}
	return 0;
}

/* Read every key of o by the table; unknown keys are warnings. */
int
eco_apply_fields(struct eco_ctx *c, const struct eco_field *tab, size_t n,
		 void *obj, json_t *o)
{
	const struct eco_field *f;
	const char *key, *near;
	json_t *v;
	int rc = 0;

	json_object_foreach(o, key, v) {
		f = find_field(tab, n, key);
		eco_push_key(c, key);
		near = f == NULL && !c->quiet ? suggest(tab, n, key) : NULL;
		if (near != NULL)
			eco_warn(c, "unknown key (did you mean \"%s\"?)",
				 near);
		else if (f == NULL)
			eco_warn(c, "unknown key");
		else if (!json_is_null(v))
			rc = apply_field(c, f, obj, v);
		c->depth--;
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Whether the path in sb (past its root) ends with a ".." part. */
static bool
ends_in_dotdot(const struct strbuf *sb, size_t root)
{
	return sb->len >= root + 2 &&
	       strcmp(sb->buf + sb->len - 2, "..") == 0 &&
	       (sb->len == root + 2 || sb->buf[sb->len - 3] == '/');
}

/* Join rel to base unless absolute; tidy ".", ".." and "//". */
char *
eco_path_join(const char *base, const char *rel)
{
	char *joined = rel[0] == '/' || base == NULL ? xstrdup(rel) :
		       xasprintf("%s/%s", base, rel);
	struct strbuf sb = STRBUF_INIT;
	const char *p = joined, *q;
	size_t root = *p == '/', n;
	char *slash;

	if (root)
		strbuf_addch(&sb, '/');
	for (; *p != '\0'; p = q) {
		while (*p == '/')
			p++;
		q = strchrnul(p, '/');
		n = (size_t)(q - p);
		if (n == 0 || (n == 1 && *p == '.'))
			continue;
		if (n == 2 && p[0] == '.' && p[1] == '.' && sb.len > root &&
		    !ends_in_dotdot(&sb, root)) {
			slash = strrchr(sb.buf + root, '/');
			sb.len = slash ? (size_t)(slash - sb.buf) : root;
			sb.buf[sb.len] = '\0';
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.' && root)
			continue;	/* "/.." is "/" */
		if (sb.len > root)
			strbuf_addch(&sb, '/');
		strbuf_add(&sb, p, n);
	}
	if (sb.len == 0)
		strbuf_addch(&sb, '.');
	free(joined);
	return strbuf_detach(&sb);
}

/* The absolute directory of path (made from the working directory). */
static char *
abs_dir(const char *path)
{
	char *dir = path_dirname(path), *cwd, *out;

	cwd = dir[0] == '/' ? NULL : getcwd(NULL, 0);
	out = eco_path_join(cwd, dir);
	free(cwd);
	free(dir);
	return out;
}

/* "apps": an array of apps, or (as PM2 allows) one app object. */
static int
root_apps(struct eco_ctx *c, void *obj, json_t *v)
{
	(void)obj;
	if (!json_is_array(v) && !json_is_object(v))
		return eco_fail(c, "expected an array of apps");
	c->apps_array = json_is_array(v);
	return eco_parse_apps(c, v);
}

/* "deploy": the deploy targets. */
static int
root_deploy(struct eco_ctx *c, void *obj, json_t *v)
{
	(void)obj;
	return eco_parse_deploy(c, v);
}

/* "nginx": options for all apps, kept as written. */
static int
root_nginx(struct eco_ctx *c, void *obj, json_t *v)
{
	struct ecosystem *eco = obj;

	if (!json_is_object(v))
		return eco_fail(c, "expected an object");
	json_decref(eco->nginx);
	eco->nginx = json_incref(v);
	return 0;
}

static const struct eco_field root_fields[] = {
	{ "apps", ECO_F_FN, .fn = root_apps },
	{ "deploy", ECO_F_FN, .fn = root_deploy },
	{ "nginx", ECO_F_FN, .fn = root_nginx },
};

/* Whether key is in o and not null. */
bool
eco_has(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return v != NULL && !json_is_null(v);
}

/* Warn when a deploy target has an app's name ("deploy up NAME"). */
static void
check_target_names(struct eco_ctx *c)
{
	const char *name;

	for (size_t i = 0; i < c->eco->n_targets; i++) {
		name = c->eco->targets[i].name;
		if (ecosystem_app(c->eco, name) == NULL)
			continue;
		eco_push_key(c, "deploy");
		eco_push_key(c, name);
		eco_warn(c, "an app has this name too: 'deploy up %s' starts "
			 "the app, so rename the target to deploy it", name);
		c->depth -= 2;
	}
}

/* Refuse apps that would not fit in one "up" request to the daemon. */
static int
check_request_size(struct eco_ctx *c)
{
	size_t n = 2;

	for (size_t i = 0; i < c->eco->n_apps; i++)
		n += proto_encoded_size(c->eco->apps[i].raw) + 1;
	if (n <= PROTO_MAX_APPS)
		return 0;
	return derr_set(c->e, "%s: the apps take %zu bytes in a request to "
			"the daemon, over its limit of %d: split them into "
			"several files", c->file, n, PROTO_MAX_APPS);
}

/* Read the root: {apps, deploy, nginx}, an array of apps, or one app. */
static int
parse_root(struct eco_ctx *c, json_t *root)
{
	if (json_is_array(root)) {
		c->apps_array = true;
		return eco_parse_apps(c, root);
	}
	if (!eco_has(root, "apps") &&
	    (eco_has(root, "script") || eco_has(root, "exec") ||
	     eco_has(root, "cmd") || eco_has(root, "name"))) {
		c->apps_array = false;
		return eco_parse_apps(c, root);
	}
	if (eco_apply_fields(c, root_fields, ARRAY_SIZE(root_fields),
			     c->eco, root) < 0)
		return -1;
	if (!eco_has(root, "apps") && !eco_has(root, "deploy"))
		return eco_fail(c, "missing \"apps\"%s", eco_has(root, "Apps")
				? " (keys are case-sensitive: \"Apps\" is "
				  "not \"apps\")" : eco_has(root, "app") ?
				" (\"app\" is not \"apps\")" : "");
	check_target_names(c);
	return 0;
}

/* Warn when --env names an overlay no app has. */
static void
check_env_name(struct eco_ctx *c)
{
	char *msg;

	if (c->eco->env_name == NULL || c->eco->n_apps == 0)
		return;
	for (size_t i = 0; i < c->eco->n_apps; i++)
		if (c->st[i].overlay != NULL)
			return;
	msg = xasprintf("%s: no app has \"env_%s\" (--env %s)", c->file,
			c->eco->env_name, c->eco->env_name);
	add_warning(c, msg);
}

/* Where a warning points, as line * 2^20 + column (no place: last). */
static long
warning_place(const char *w, size_t skip)
{
	int line, col;

	if (strlen(w) <= skip || sscanf(w + skip, ":%d:%d:", &line, &col) != 2)
		return LONG_MAX;
	return (long)line << 20 | col;
}

/* A warning and its place, for sorting. */
struct placed {
	long place;
	size_t order;
	char *w;
};

/* Order by place, then as added (so the sort is stable). */
static int
placed_cmp(const void *a, const void *b)
{
	const struct placed *x = a, *y = b;

	if (x->place != y->place)
		return x->place < y->place ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Order the warnings as their places in the file (a stable sort). */
static void
sort_warnings(struct ecosystem *eco)
{
	char **w = eco->warnings;
	size_t n = strv_len(w), skip = strlen(eco->path);
	struct placed *p = xcalloc(n + 1, sizeof *p);

	for (size_t i = 0; i < n; i++)
		p[i] = (struct placed){ warning_place(w[i], skip), i, w[i] };
	qsort(p, n, sizeof *p, placed_cmp);
	for (size_t i = 0; i < n; i++)
		w[i] = p[i].w;
	free(p);
}

/*
 * Parse len bytes of text; path names the file in messages. flags
 * fills the context's no_pos and cli. *syntax (may be NULL) tells
 * whether it failed because the text is not JSON.
 */
static struct ecosystem *
parse_text(const char *text, size_t len, const char *path,
	   const char *env_name, const struct eco_ctx *flags, bool *syntax,
	   struct derr *e)
{
	struct eco_ctx c = { .file = path, .e = e, .no_pos = flags->no_pos,
			     .cli = flags->cli, .quiet = flags->quiet };
	struct ecosystem *eco;
	json_error_t je;
	json_t *root;
	char *buf;
	int rc;

	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		text += 3;	/* a byte order mark */
		len -= 3;
	}
	buf = xmalloc(len + 1);
	memcpy(buf, text, len);
	buf[len] = '\0';
	jsonpos_relax(buf, len);
	root = json_loadb(buf, len, 0, &je);
	if (syntax != NULL)
		*syntax = root == NULL;
	if (root == NULL) {
		derr_set(e, "%s:%d:%d: invalid JSON: %s", path, je.line,
			 je.column > 0 ? je.column : 1, je.text);
		free(buf);
		return NULL;
	}
	eco = xcalloc(1, sizeof *eco);
	eco->path = xstrdup(path);
	eco->dir = abs_dir(path);
	eco->env_name = xstrdup(env_name);
	eco->warnings = xcalloc(1, sizeof *eco->warnings);
	c.text = buf;
	c.len = len;
	c.eco = eco;
	if (!c.quiet)
		jsonpos_duplicates(buf, len, dup_warning, &c);
	rc = parse_root(&c, root);
	if (rc == 0)
		rc = check_request_size(&c);
	if (rc == 0) {
		sort_warnings(eco);
		check_env_name(&c);
	}
	json_decref(root);
	jsonpos_index_free(c.ix);
	free(buf);
	free(c.st);
	if (rc < 0) {
		ecosystem_free(eco);
		return NULL;
	}
	return eco;
}

/* Parse an ecosystem held in memory. */
struct ecosystem *
ecosystem_parse(const char *text, const char *path, const char *env_name,
		struct derr *e)
{
	static const struct eco_ctx flags = { 0 };

	return parse_text(text, strlen(text), path, env_name, &flags, NULL,
			  e);
}

/* The same without warnings, for text a client has validated. */
struct ecosystem *
ecosystem_parse_quiet(const char *text, const char *path,
		      const char *env_name, struct derr *e)
{
	static const struct eco_ctx flags = { .quiet = true };

	return parse_text(text, strlen(text), path, env_name, &flags, NULL,
			  e);
}

/*
 * Read and parse an ecosystem file. JavaScript is evaluated by node (as
 * PM2 does); so is a .json file that is not JSON (PM2 reads it as a
 * JavaScript expression: unquoted keys, single quotes), and when node
 * cannot read it either, the JSON error (with its line) is the one
 * reported.
 */
struct ecosystem *
ecosystem_load(const char *path, const char *env_name, struct derr *e)
{
	struct eco_ctx flags = { .cli = true };
	struct strbuf sb = STRBUF_INIT, js = STRBUF_INIT;
	struct ecosystem *eco = NULL;
	struct derr je;
	bool syntax = false;

	if (eco_is_js(path)) {
		flags.no_pos = true;
		if (access(path, R_OK) < 0)
			derr_errno(e, "cannot read '%s'", path);
		else if (eco_node_eval(path, &js, e) == 0)
			eco = parse_text(js.buf, js.len, path, env_name,
					 &flags, NULL, e);
		strbuf_release(&js);
		return eco;
	}
	if (strbuf_read_file(&sb, path, MAX_FILE_SIZE) < 0) {
		derr_errno(e, "cannot read '%s'", path);
		strbuf_release(&sb);
		return NULL;
	}
	eco = parse_text(sb.buf, sb.len, path, env_name, &flags, &syntax, e);
	strbuf_release(&sb);
	if (eco != NULL || !syntax || eco_node_eval(path, &js, &je) < 0) {
		strbuf_release(&js);
		return eco;
	}
	flags.no_pos = true;
	eco = parse_text(js.buf, js.len, path, env_name, &flags, NULL, e);
	strbuf_release(&js);
	return eco;
}

/* The file's top-level value as JSON, read as ecosystem_load does. */
json_t *
ecosystem_read_json(const char *path, struct derr *e)
{
	struct strbuf sb = STRBUF_INIT;
	json_error_t je;
	json_t *root = NULL;

	if (!eco_is_js(path)) {
		if (strbuf_read_file(&sb, path, MAX_FILE_SIZE) < 0) {
			strbuf_release(&sb);
			derr_errno(e, "cannot read '%s'", path);
			return NULL;
		}
		jsonpos_relax(sb.buf, sb.len);
		root = json_loadb(sb.buf, sb.len, 0, &je);
		strbuf_reset(&sb);
	}
	if (root == NULL && eco_node_eval(path, &sb, e) == 0) {
		root = json_loadb(sb.buf, sb.len, 0, &je);
		if (root == NULL)
			derr_set(e, "%s: node's output is not JSON", path);
	}
	strbuf_release(&sb);
	return root;
}

/* Free an ecosystem and all it holds; NULL is a no-op. */
void
ecosystem_free(struct ecosystem *eco)
{
	if (eco == NULL)
		return;
	for (size_t i = 0; i < eco->n_apps; i++)
		eco_app_clear(&eco->apps[i]);
	free(eco->apps);
	for (size_t i = 0; i < eco->n_targets; i++)
		eco_target_clear(&eco->targets[i]);
	free(eco->targets);
	json_decref(eco->nginx);
	strv_free(eco->warnings);
	free(eco->path);
	free(eco->dir);
	free(eco->env_name);
	free(eco);
}

/* The first ecosystem file that exists in dir, or NULL. */
char *
ecosystem_find(const char *dir)
{
	bool here = dir == NULL || strcmp(dir, ".") == 0;
	char *p;

	for (size_t i = 0; i < ARRAY_SIZE(file_names); i++) {
		p = here ? xstrdup(file_names[i]) :
		    xasprintf("%s/%s", dir, file_names[i]);
		if (access(p, F_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

/* Create the missing folder of log file path; add it to *made. */
static int
make_log_dir(const char *path, char ***made, struct derr *e)
{
	char *dir = path_dirname(path);
	int rc = 0;

	if (!path_exists(dir)) {
		rc = mkdir_p(dir, 0755, e);
		if (rc == 0)
			*made = strv_push(*made, dir);
	}
	free(dir);
	return rc;
}

/* Create the missing folders of the apps' log files, as PM2 does. */
int
ecosystem_make_log_dirs(const struct ecosystem *eco, char ***made,
			struct derr *e)
{
	const struct eco_app *a;

	*made = xcalloc(1, sizeof **made);
	for (size_t i = 0; i < eco->n_apps; i++) {
		a = &eco->apps[i];
		if ((a->out_file != NULL &&
		     make_log_dir(a->out_file, made, e) < 0) ||
		    (a->error_file != NULL &&
		     make_log_dir(a->error_file, made, e) < 0))
			return -1;
	}
	return 0;
}

/* The app called name, or NULL. */
const struct eco_app *
ecosystem_app(const struct ecosystem *eco, const char *name)
{
	for (size_t i = 0; eco != NULL && i < eco->n_apps; i++)
		if (strcmp(eco->apps[i].name, name) == 0)
			return &eco->apps[i];
	return NULL;
}

/* The deploy target called name, or NULL. */
const struct eco_target *
ecosystem_target(const struct ecosystem *eco, const char *name)
{
	for (size_t i = 0; eco != NULL && i < eco->n_targets; i++)
		if (strcmp(eco->targets[i].name, name) == 0)
			return &eco->targets[i];
	return NULL;
}

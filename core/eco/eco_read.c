/* eco_read.c: read one JSON value: number, size, words, port, URL, env */
#include "core/eco/eco_int.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
int
eco_want_int(struct eco_ctx *c, json_t *v, const struct eco_field *f, int *out)
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
int
eco_want_ms(struct eco_ctx *c, json_t *v, long *out)
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
int
eco_want_bytes(struct eco_ctx *c, json_t *v, long long *out)
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
int
eco_want_words(struct eco_ctx *c, json_t *v, enum eco_ftype type, char ***out)
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

	if (json_is_string(v))
		n = eco_port_string(json_string_value(v));
	else if (!eco_json_ll(v, &n))
		n = 0;
	if (n < 1 || n > 65535)
		return eco_fail(c, "expected a port number (1-65535)");
	*out = (int)n;
	return 0;
}

/* Read an object, kept as written (a reference); replaces *out. */
int
eco_want_object(struct eco_ctx *c, json_t *v, json_t **out)
{
	if (!json_is_object(v))
		return eco_fail(c, "expected an object");
	json_decref(*out);
	*out = json_incref(v);
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

/* Whether key is in o and not null. */
bool
eco_has(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return v != NULL && !json_is_null(v);
}

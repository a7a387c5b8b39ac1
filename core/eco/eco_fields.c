/* eco_fields.c: read an object's keys by a table; unknown keys warned */
#include "core/eco/eco_int.h"

#include <stdint.h>
#include <string.h>

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
		return eco_want_int(c, v, f, (int *)(void *)at);
	case ECO_F_MS:
		return eco_want_ms(c, v, (long *)(void *)at);
	case ECO_F_BYTES:
		return eco_want_bytes(c, v, (long long *)(void *)at);
	case ECO_F_WORDS:
	case ECO_F_MOREWORDS:
	case ECO_F_LIST:
		return eco_want_words(c, v, f->type, (char ***)(void *)at);
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

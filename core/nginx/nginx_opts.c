/* nginx_opts.c: the keys of "nginx" objects, and the checks of their values */
#include "core/nginx/nginx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How a key's value is checked. */
enum ngx_type {
	NT_BOOL,
	NT_INT,		/* an integer from min to max */
	NT_TIME,	/* seconds, or nginx's "10s", "1m30s" */
	NT_SIZE,	/* bytes, or nginx's "10m" */
	NT_NAME,	/* an upstream name */
	NT_LISTEN,	/* a port, or "host:port" */
	NT_NAMES,	/* a server name, or an array of them */
	NT_MARKS,	/* hosts (strings) and instances (numbers) */
	NT_BALANCE,	/* "least_conn", "hash $uri consistent", ... */
	NT_STATIC,	/* {"location", "dir", "expires"} */
	NT_PATH,	/* a file of ours, never put in the config */
	NT_LOCATION,	/* a URL path "/api/" */
	NT_TLS,		/* {"certificate", "key"} or {"live"}, ... */
};

/* Where a key may be. */
enum ngx_scope { NS_BOTH, NS_TOP, NS_APP };

/* One known key. */
struct ngx_key {
	const char *key;
	enum ngx_type type;
	enum ngx_scope scope;
	long long min, max;
};

static const struct ngx_key keys[] = {
	{ "auto", NT_BOOL, NS_TOP, 0, 0 },
	{ "output", NT_PATH, NS_TOP, 0, 0 },
	{ "template", NT_PATH, NS_TOP, 0, 0 },
	{ "pid_file", NT_PATH, NS_TOP, 0, 0 },
	{ "main_config", NT_PATH, NS_TOP, 0, 0 },
	{ "binary", NT_PATH, NS_TOP, 0, 0 },
	{ "enabled", NT_BOOL, NS_BOTH, 0, 0 },
	{ "upstream", NT_NAME, NS_APP, 0, 0 },
	{ "listen", NT_LISTEN, NS_BOTH, 0, 0 },
	{ "server_name", NT_NAMES, NS_BOTH, 0, 0 },
	{ "weight", NT_INT, NS_BOTH, 1, 10000 },
	{ "max_fails", NT_INT, NS_BOTH, 0, 10000 },
	{ "fail_timeout", NT_TIME, NS_BOTH, 0, 0 },
	{ "max_conns", NT_INT, NS_BOTH, 0, 1000000 },
	{ "backup", NT_MARKS, NS_BOTH, 0, 0 },
	{ "down", NT_MARKS, NS_BOTH, 0, 0 },
	{ "balance", NT_BALANCE, NS_BOTH, 0, 0 },
	{ "keepalive", NT_INT, NS_BOTH, 0, 100000 },
	{ "next_upstream_tries", NT_INT, NS_BOTH, 0, 100 },
	{ "client_max_body_size", NT_SIZE, NS_BOTH, 0, 0 },
	{ "static", NT_STATIC, NS_APP, 0, 0 },
	{ "server", NT_NAMES, NS_BOTH, 0, 0 },
	{ "location", NT_LOCATION, NS_APP, 0, 0 },
	{ "strip_prefix", NT_BOOL, NS_BOTH, 0, 0 },
	{ "tls", NT_TLS, NS_BOTH, 0, 0 },
};

/* The key called name, or NULL. */
static const struct ngx_key *
find_key(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].key, name) == 0)
			return &keys[i];
	return NULL;
}

/* The edit distance of a and b, stopping at 3. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[40], prev, tmp;

	if (la >= ARRAY_SIZE(row) || lb >= ARRAY_SIZE(row))
		return 3;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb] < 3 ? row[lb] : 3;
}

/* A known key close to name, or NULL. */
static const char *
suggest(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (distance(name, keys[i].key) <= 2)
			return keys[i].key;
	return NULL;
}

/* Check every string inside v for safety; fail at its path. */
static int
check_strings(const struct ecosystem *eco, struct ngx_path *p, json_t *v,
	      struct derr *e)
{
	const char *key, *bad;
	char buf[48];
	json_t *item;
	size_t i;
	int rc = 0;

	if (json_is_string(v)) {
		bad = ngx_unsafe(json_string_value(v), buf, sizeof buf);
		return bad ? ngx_fail(eco, p, e, "%s", bad) : 0;
	}
	json_array_foreach(v, i, item) {
		ngx_path_index(p, i);
		rc = check_strings(eco, p, item, e);
		p->n--;
		if (rc < 0)
			return -1;
	}
	json_object_foreach(v, key, item) {
		ngx_path_key(p, key);
		rc = check_strings(eco, p, item, e);
		p->n--;
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Server names: a string or a non-empty array of strings. */
static int
check_names(const struct ecosystem *eco, struct ngx_path *p, json_t *v,
	    struct derr *e)
{
	const char *bad;
	json_t *item;
	size_t i;

	if (json_is_string(v)) {
		bad = ngx_check_server_name(json_string_value(v));
		return bad ? ngx_fail(eco, p, e, "%s", bad) : 0;
	}
	if (!json_is_array(v) || json_array_size(v) == 0)
		return ngx_fail(eco, p, e, "expected a name or an array of "
				"names");
	json_array_foreach(v, i, item) {
		ngx_path_index(p, i);
		bad = json_is_string(item) ?
		      ngx_check_server_name(json_string_value(item)) :
		      "expected a string";
		if (bad != NULL)
			return ngx_fail(eco, p, e, "%s", bad);
		p->n--;
	}
	return 0;
}

/* backup/down: a host, an instance number, or an array of them. */
static int
check_marks(const struct ecosystem *eco, struct ngx_path *p, json_t *v,
	    struct derr *e)
{
	const char *msg = "expected a host, an instance number, or an "
			  "array of them";
	json_t *item;
	long long n;
	size_t i;
	int array = json_is_array(v);

	for (i = 0; array ? i < json_array_size(v) : i < 1; i++) {
		item = array ? json_array_get(v, i) : v;
		if (array)
			ngx_path_index(p, i);
		if (json_is_string(item)) {
			if (!ngx_is_host(json_string_value(item)))
				return ngx_fail(eco, p, e, "'%s' is not "
						"a host",
						json_string_value(item));
		} else if (!eco_json_ll(item, &n) || n < 0) {
			return ngx_fail(eco, p, e, "%s", msg);
		}
		if (array)
			p->n--;
	}
	return 0;
}

/* A location's URL path: starts and ends with '/', no space or '$'. */
static const char *
check_location(const char *loc)
{
	if (loc[0] != '/' || loc[strlen(loc) - 1] != '/' ||
	    strpbrk(loc, " \t$") != NULL)
		return "expected a URL path that starts and ends with '/', "
		       "without spaces or '$'";
	return NULL;
}

/* The keys a "tls" object may hold. */
static const char *const tls_keys[] = {
	"certificate", "key", "live", "webroot", "http_listen", "http2",
	"hsts",
};

/* One key of "tls": its value's type. */
static const char *
check_tls_key(const char *key, json_t *v)
{
	long long n;

	if (!strcmp(key, "http2"))
		return json_is_boolean(v) ? NULL : "expected true or false";
	if (!strcmp(key, "hsts"))
		return json_is_boolean(v) || (eco_json_ll(v, &n) && n >= 0 &&
		       n <= 1000000000) ? NULL : "expected true, false or "
		       "seconds from 0 to 1000000000";
	if (!strcmp(key, "http_listen"))
		return json_is_false(v) ? NULL : ngx_check_listen(v);
	if (!json_is_string(v) || *json_string_value(v) == '\0')
		return "expected a file name";
	return strchr(json_string_value(v), '$') ? "contains '$'" : NULL;
}

/* "tls": {"certificate", "key"} or {"live"}, and the optional keys. */
static int
check_tls(const struct ecosystem *eco, struct ngx_path *p, json_t *v,
	  struct derr *e)
{
	const char *key, *bad;
	bool cert, priv, live;
	json_t *item;
	size_t k;

	if (!json_is_object(v))
		return ngx_fail(eco, p, e, "expected an object with "
				"\"certificate\" and \"key\", or \"live\"");
	json_object_foreach(v, key, item) {
		ngx_path_key(p, key);
		for (k = 0; k < ARRAY_SIZE(tls_keys); k++)
			if (strcmp(key, tls_keys[k]) == 0)
				break;
		if (k == ARRAY_SIZE(tls_keys))
			return ngx_fail(eco, p, e, "unknown key (known: "
					"certificate, key, live, webroot, "
					"http_listen, http2, hsts)");
		if ((bad = check_tls_key(key, item)) != NULL)
			return ngx_fail(eco, p, e, "%s", bad);
		p->n--;
	}
	cert = json_object_get(v, "certificate") != NULL;
	priv = json_object_get(v, "key") != NULL;
	live = json_object_get(v, "live") != NULL;
	if (live ? cert || priv : !cert || !priv)
		return ngx_fail(eco, p, e, "needs \"certificate\" and "
				"\"key\", or \"live\" (a Let's Encrypt "
				"live directory), not both");
	return 0;
}

/* "static": {"location": "/static/", "dir": "public", "expires": T}. */
static int
check_static(const struct ecosystem *eco, struct ngx_path *p, json_t *v,
	     struct derr *e)
{
	const char *loc, *dir, *key, *exp;
	json_t *item;

	if (!json_is_object(v))
		return ngx_fail(eco, p, e, "expected an object with "
				"\"location\" and \"dir\"");
	json_object_foreach(v, key, item) {
		ngx_path_key(p, key);
		if (strcmp(key, "location") && strcmp(key, "dir") &&
		    strcmp(key, "expires"))
			return ngx_fail(eco, p, e, "unknown key (known: "
					"location, dir, expires)");
		if ((!json_is_string(item) || !*json_string_value(item)) &&
		    !(json_is_integer(item) && !strcmp(key, "expires")))
			return ngx_fail(eco, p, e, "expected a string");
		p->n--;
	}
	loc = json_string_value(json_object_get(v, "location"));
	dir = json_string_value(json_object_get(v, "dir"));
	if (loc == NULL || dir == NULL)
		return ngx_fail(eco, p, e, "needs \"location\" and \"dir\"");
	ngx_path_key(p, "location");
	if (check_location(loc) != NULL)
		return ngx_fail(eco, p, e, "%s", check_location(loc));
	p->s[p->n - 1].key = "dir";
	if (strchr(dir, '$') != NULL)
		return ngx_fail(eco, p, e, "contains '$'");
	item = json_object_get(v, "expires");
	exp = json_string_value(item);
	p->s[p->n - 1].key = "expires";
	if (item != NULL && !(exp != NULL && (!strcmp(exp, "off") ||
	    !strcmp(exp, "max") || !strcmp(exp, "epoch"))) &&
	    ngx_check_time(item) != NULL)
		return ngx_fail(eco, p, e, "expected a time such as \"7d\", "
				"or off, max or epoch");
	p->n--;
	return 0;
}

/* Check v, the value of key k, at path p. */
static int
check_value(const struct ecosystem *eco, struct ngx_path *p,
	    const struct ngx_key *k, json_t *v, struct derr *e)
{
	const char *bad = NULL;
	long long n;

	if (check_strings(eco, p, v, e) < 0)
		return -1;
	switch (k->type) {
	case NT_BOOL:
		if (!json_is_boolean(v))
			bad = "expected true or false";
		break;
	case NT_INT:
		if (!eco_json_ll(v, &n) || n < k->min || n > k->max)
			return ngx_fail(eco, p, e, "expected an integer from "
					"%lld to %lld", k->min, k->max);
		break;
	case NT_TIME: bad = ngx_check_time(v); break;
	case NT_SIZE: bad = ngx_check_size(v); break;
	case NT_NAME: bad = ngx_check_name(v); break;
	case NT_LISTEN: bad = ngx_check_listen(v); break;
	case NT_NAMES: return check_names(eco, p, v, e);
	case NT_MARKS: return check_marks(eco, p, v, e);
	case NT_BALANCE: bad = ngx_check_balance(v); break;
	case NT_STATIC: return check_static(eco, p, v, e);
	case NT_TLS: return check_tls(eco, p, v, e);
	case NT_LOCATION:
		bad = !json_is_string(v) ? "expected a URL path" :
		      check_location(json_string_value(v));
		break;
	case NT_PATH:
		if (!json_is_string(v) || *json_string_value(v) == '\0')
			bad = "expected a file name";
		break;
	}
	return bad ? ngx_fail(eco, p, e, "%s", bad) : 0;
}

/*
 * Check every key of the nginx object obj (of app, or NGX_TOP) by the
 * option table: known key, allowed at this level, a value of the right
 * type and free of characters that could break out of a directive.
 */
static int
ngx_check_object(const struct ecosystem *eco, size_t app, json_t *obj,
		 struct derr *e)
{
	const struct ngx_key *k;
	struct ngx_path p;
	const char *key, *near;
	json_t *v;

	ngx_path_nginx(&p, app);
	json_object_foreach(obj, key, v) {
		ngx_path_key(&p, key);
		k = find_key(key);
		near = k == NULL ? suggest(key) : NULL;
		if (near != NULL)
			return ngx_fail(eco, &p, e, "unknown key (did you "
					"mean \"%s\"?)", near);
		if (k == NULL)
			return ngx_fail(eco, &p, e, "unknown key");
		if (k->scope == NS_TOP && app != NGX_TOP)
			return ngx_fail(eco, &p, e, "only allowed in the "
					"top-level \"nginx\" object");
		if (k->scope == NS_APP && app == NGX_TOP)
			return ngx_fail(eco, &p, e, "only allowed in an app's "
					"\"nginx\" object");
		if (!json_is_null(v) && check_value(eco, &p, k, v, e) < 0)
			return -1;
		p.n--;
	}
	return 0;
}

/* A path setting made absolute against the file's directory, or NULL. */
static char *
setting_path(const struct ecosystem *eco, const char *key)
{
	const char *s = json_string_value(json_object_get(eco->nginx, key));

	if (s == NULL)
		return NULL;
	return s[0] == '/' || eco->dir == NULL ? xstrdup(s) :
	       xasprintf("%s/%s", eco->dir, s);
}

/* Check every nginx object of eco and read the top-level settings. */
int
nginx_settings_read(const struct ecosystem *eco, struct nginx_settings *s,
		    struct derr *e)
{
	const char *bin;

	memset(s, 0, sizeof *s);
	if (eco->nginx != NULL && ngx_check_object(eco, NGX_TOP, eco->nginx,
						   e) < 0)
		return -1;
	for (size_t i = 0; i < eco->n_apps; i++)
		if (eco->apps[i].nginx != NULL &&
		    ngx_check_object(eco, i, eco->apps[i].nginx, e) < 0)
			return -1;
	s->auto_apply = json_is_true(json_object_get(eco->nginx, "auto"));
	s->output = setting_path(eco, "output");
	s->template_path = setting_path(eco, "template");
	s->pid_file = setting_path(eco, "pid_file");
	if (s->pid_file == NULL)
		s->pid_file = xstrdup(NGINX_PID_FILE);
	s->main_config = setting_path(eco, "main_config");
	s->binary = setting_path(eco, "binary");
	bin = json_string_value(json_object_get(eco->nginx, "binary"));
	if (bin != NULL && strchr(bin, '/') == NULL) {
		free(s->binary);	/* a name to find on PATH */
		s->binary = xstrdup(bin);
	}
	return 0;
}

/* Free what s holds; s may then be read again. */
void
nginx_settings_clear(struct nginx_settings *s)
{
	free(s->output);
	free(s->template_path);
	free(s->pid_file);
	free(s->main_config);
	free(s->binary);
	memset(s, 0, sizeof *s);
}

/* nginx_opts.c: the keys of "nginx" objects, and the checks of their values */
#include "nginx_int.h"

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
};

/* Describe why s cannot go into a config ("contains ';'"), or NULL. */
const char *
ngx_unsafe(const char *s, char *buf, size_t size)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n')
			return "contains a newline";
		if (strchr(";{}\"'\\", c) != NULL) {
			snprintf(buf, size, "contains '%c'", c);
			return buf;
		}
		if (c < 0x20 || c == 0x7f) {
			snprintf(buf, size, "contains control character "
				 "0x%02x", c);
			return buf;
		}
	}
	return NULL;
}

/* True when s is a host name or an IPv4/IPv6 address nginx can use. */
bool
ngx_is_host(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '-' || s[0] == '.')
		return false;
	if (strchr(s, ':') != NULL)	/* IPv6 */
		return strspn(s, "0123456789abcdefABCDEF:.") == n;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789.-_") == n;
}

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

/* An integer value (integral reals too), or false. */
static bool
int_value(json_t *v, long long *out)
{
	double d;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return true;
	}
	if (!json_is_real(v))
		return false;
	d = json_real_value(v);
	if (d != (double)(long long)d)
		return false;
	*out = (long long)d;
	return true;
}

/* True when s is digits, each run followed by one of units (the last
 * unit may be left out): nginx's times ("1m30s") and sizes ("10m"). */
static bool
is_measure(const char *s, const char *const *units, size_t n, bool many)
{
	size_t d, u;

	if (*s == '\0')
		return false;
	while (*s != '\0') {
		d = strspn(s, "0123456789");
		if (d == 0 || d > 9)
			return false;
		s += d;
		if (*s == '\0')
			return true;
		for (u = 0; u < n; u++)
			if (strncmp(s, units[u], strlen(units[u])) == 0)
				break;
		if (u == n)
			return false;
		s += strlen(units[u]);
		if (!many)
			return *s == '\0';
	}
	return true;
}

/* nginx's time units, longest first where one is a prefix. */
static const char *const time_units[] = {
	"ms", "s", "m", "h", "d", "w", "M", "y",
};
static const char *const size_units[] = {
	"k", "K", "m", "M", "g", "G",
};

/* A time: whole seconds, or nginx's notation. */
static const char *
check_time(json_t *v)
{
	long long n;

	if (int_value(v, &n))
		return n >= 0 && n <= 100000000 ? NULL :
		       "expected seconds from 0 to 100000000";
	if (json_is_string(v) && is_measure(json_string_value(v), time_units,
					    ARRAY_SIZE(time_units), true))
		return NULL;
	return "expected seconds or a time such as \"10s\" or \"1m30s\"";
}

/* A size: bytes, or nginx's notation. */
static const char *
check_size(json_t *v)
{
	long long n;

	if (int_value(v, &n))
		return n >= 0 ? NULL : "expected bytes, 0 or more";
	if (json_is_string(v) && is_measure(json_string_value(v), size_units,
					    ARRAY_SIZE(size_units), false))
		return NULL;
	return "expected bytes or a size such as \"10m\"";
}

/* An upstream name: letters, digits, '_', '-', '.'. */
static const char *
check_name(json_t *v)
{
	const char *s = json_string_value(v);

	if (s == NULL || *s == '\0' || strlen(s) > 100 ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789_-.") != strlen(s))
		return "expected a name of letters, digits, '_', '-' and '.'";
	return NULL;
}

/* A listen address: a port, or "host:port" with a numeric host. */
static const char *
check_listen(json_t *v)
{
	const char *msg = "expected a port or \"host:port\"";
	long long n;
	char *host;
	int port;

	if (int_value(v, &n))
		return n >= 1 && n <= 65535 ? NULL : "expected a port from 1 "
		       "to 65535";
	if (!json_is_string(v) ||
	    eco_split_hostport(json_string_value(v), &host, &port) < 0)
		return msg;
	if (port == 0 || (host != NULL && !ngx_is_host(host)))
		msg = port == 0 ? "a port is needed" : "bad host";
	else
		msg = NULL;
	free(host);
	return msg;
}

/* One server name: a host name, maybe with a leading or final '*'. */
static const char *
check_server_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return "expected a non-empty name";
	if (strcmp(s, "_") == 0)
		return NULL;
	if (strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789.-_*") != n)
		return "expected host names (letters, digits, '.', '-', "
		       "'_', '*')";
	return NULL;
}

/* A "balance" value: one of the forms nginx knows. */
static const char *
check_balance(json_t *v)
{
	static const char *const msg = "expected \"round_robin\", "
		"\"least_conn\", \"ip_hash\", \"hash KEY [consistent]\" or "
		"\"random [two [least_conn]]\"";
	char *copy, *w[4], *save = NULL;
	size_t n = 0;
	const char *bad = msg;

	if (!json_is_string(v))
		return msg;
	copy = xstrdup(json_string_value(v));
	for (char *t = strtok_r(copy, " \t", &save); t != NULL;
	     t = strtok_r(NULL, " \t", &save))
		if (n < ARRAY_SIZE(w))
			w[n++] = t;
		else
			goto out;
	if (n == 1 && (strcmp(w[0], "round_robin") == 0 ||
		       strcmp(w[0], "least_conn") == 0 ||
		       strcmp(w[0], "ip_hash") == 0 ||
		       strcmp(w[0], "random") == 0))
		bad = NULL;
	else if (n >= 2 && n <= 3 && strcmp(w[0], "hash") == 0 &&
		 (n == 2 || strcmp(w[2], "consistent") == 0))
		bad = NULL;
	else if (n >= 2 && strcmp(w[0], "random") == 0 &&
		 strcmp(w[1], "two") == 0 &&
		 (n == 2 || (n == 3 && strcmp(w[2], "least_conn") == 0)))
		bad = NULL;
out:
	free(copy);
	return bad;
}

/* Read a checked "balance" string into its kind and directive. */
enum ngx_balance
ngx_balance_parse(const char *s, char **directive)
{
	struct strbuf sb = STRBUF_INIT;
	char *copy = xstrdup(s), *save = NULL, *first = NULL;
	enum ngx_balance kind = NGX_ROUND_ROBIN;

	for (char *t = strtok_r(copy, " \t", &save); t != NULL;
	     t = strtok_r(NULL, " \t", &save)) {
		if (first == NULL)
			first = t;
		else
			strbuf_addch(&sb, ' ');
		strbuf_addstr(&sb, t);
	}
	if (strcmp(first, "least_conn") == 0)
		kind = NGX_LEAST_CONN;
	else if (strcmp(first, "ip_hash") == 0)
		kind = NGX_IP_HASH;
	else if (strcmp(first, "hash") == 0)
		kind = NGX_HASH;
	else if (strcmp(first, "random") == 0)
		kind = NGX_RANDOM;
	free(copy);
	if (kind == NGX_ROUND_ROBIN) {
		strbuf_release(&sb);
		*directive = NULL;
	} else {
		*directive = strbuf_detach(&sb);
	}
	return kind;
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
		bad = check_server_name(json_string_value(v));
		return bad ? ngx_fail(eco, p, e, "%s", bad) : 0;
	}
	if (!json_is_array(v) || json_array_size(v) == 0)
		return ngx_fail(eco, p, e, "expected a name or an array of "
				"names");
	json_array_foreach(v, i, item) {
		ngx_path_index(p, i);
		bad = json_is_string(item) ?
		      check_server_name(json_string_value(item)) :
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
				return ngx_fail(eco, p, e, "'%s' is not a host",
						json_string_value(item));
		} else if (!int_value(item, &n) || n < 0) {
			return ngx_fail(eco, p, e, "%s", msg);
		}
		if (array)
			p->n--;
	}
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
		if (!json_is_string(item) || !*json_string_value(item))
			return ngx_fail(eco, p, e, "expected a string");
		p->n--;
	}
	loc = json_string_value(json_object_get(v, "location"));
	dir = json_string_value(json_object_get(v, "dir"));
	if (loc == NULL || dir == NULL)
		return ngx_fail(eco, p, e, "needs \"location\" and \"dir\"");
	ngx_path_key(p, "location");
	if (loc[0] != '/' || loc[strlen(loc) - 1] != '/' ||
	    strpbrk(loc, " \t$") != NULL)
		return ngx_fail(eco, p, e, "expected a URL path that starts "
				"and ends with '/', without spaces or '$'");
	p->s[p->n - 1].key = "dir";
	if (strchr(dir, '$') != NULL)
		return ngx_fail(eco, p, e, "contains '$'");
	item = json_object_get(v, "expires");
	exp = json_string_value(item);
	p->s[p->n - 1].key = "expires";
	if (exp != NULL && strcmp(exp, "off") && strcmp(exp, "max") &&
	    strcmp(exp, "epoch") && check_time(item) != NULL)
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
		if (!int_value(v, &n) || n < k->min || n > k->max)
			return ngx_fail(eco, p, e, "expected an integer from "
					"%lld to %lld", k->min, k->max);
		break;
	case NT_TIME: bad = check_time(v); break;
	case NT_SIZE: bad = check_size(v); break;
	case NT_NAME: bad = check_name(v); break;
	case NT_LISTEN: bad = check_listen(v); break;
	case NT_NAMES: return check_names(eco, p, v, e);
	case NT_MARKS: return check_marks(eco, p, v, e);
	case NT_BALANCE: bad = check_balance(v); break;
	case NT_STATIC: return check_static(eco, p, v, e);
	case NT_PATH:
		if (!json_is_string(v) || *json_string_value(v) == '\0')
			bad = "expected a file name";
		break;
	}
	return bad ? ngx_fail(eco, p, e, "%s", bad) : 0;
}

/* Check every key of the nginx object obj (of app, or NGX_TOP). */
int
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
			return ngx_fail(eco, &p, e, "unknown key (did you mean "
					"\"%s\"?)", near);
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

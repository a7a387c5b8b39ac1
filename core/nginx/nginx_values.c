/* nginx_values.c: checks of single nginx values (times, sizes, names) */
#include "core/nginx/nginx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
const char *
ngx_check_time(json_t *v)
{
	long long n;

	if (eco_json_ll(v, &n))
		return n >= 0 && n <= 100000000 ? NULL :
		       "expected seconds from 0 to 100000000";
	if (json_is_string(v) && is_measure(json_string_value(v), time_units,
					    ARRAY_SIZE(time_units), true))
		return NULL;
	return "expected seconds or a time such as \"10s\" or \"1m30s\"";
}

/* A size: bytes, or nginx's notation. */
const char *
ngx_check_size(json_t *v)
{
	long long n;

	if (eco_json_ll(v, &n))
		return n >= 0 ? NULL : "expected bytes, 0 or more";
	if (json_is_string(v) && is_measure(json_string_value(v), size_units,
					    ARRAY_SIZE(size_units), false))
		return NULL;
	return "expected bytes or a size such as \"10m\"";
}

/* An upstream name: letters, digits, '_', '-', '.'. */
const char *
ngx_check_name(json_t *v)
{
	const char *s = json_string_value(v);

	if (s == NULL || *s == '\0' || strlen(s) > 100 ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789_-.") != strlen(s))
		return "expected a name of letters, digits, '_', '-' and '.'";
	return NULL;
}

/* A listen address: a port, or "host:port" with a numeric host. */
const char *
ngx_check_listen(json_t *v)
{
	const char *msg = "expected a port or \"host:port\"";
	long long n;
	char *host;
	int port;

	if (eco_json_ll(v, &n))
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
const char *
ngx_check_server_name(const char *s)
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
const char *
ngx_check_balance(json_t *v)
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

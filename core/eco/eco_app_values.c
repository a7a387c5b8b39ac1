/* eco_app_values.c: app keys with a syntax of their own: signal, listen */
#include "core/lib/cron.h"
#include "core/eco/eco_int.h"

#include <arpa/inet.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* "stop_exit_codes": an exit code or an array of them. */
int
eco_app_stop_exit_codes(struct eco_ctx *c, void *obj, json_t *v)
{
	struct eco_app *a = obj;
	size_t n = json_is_array(v) ? json_array_size(v) : 1;
	long long code;
	json_t *item;

	if (!json_is_array(v) && !json_is_number(v))
		return eco_fail(c, "expected an exit code or an array of "
				"them");
	free(a->stop_exit_codes);
	a->stop_exit_codes = xcalloc(n, sizeof *a->stop_exit_codes);
	a->n_stop_exit_codes = 0;
	for (size_t i = 0; i < n; i++) {
		item = json_is_array(v) ? json_array_get(v, i) : v;
		if (!eco_json_ll(item, &code) || code < 0 || code > 255) {
			if (json_is_array(v))
				eco_push_index(c, i);
			return eco_fail(c, "expected an exit code (0-255)");
		}
		a->stop_exit_codes[a->n_stop_exit_codes++] = (int)code;
	}
	return 0;
}

/* "kill_signal": "SIGTERM", "TERM" or a number. */
int
eco_app_kill_signal(struct eco_ctx *c, void *obj, json_t *v)
{
	struct eco_app *a = obj;
	long long n;

	if (json_is_string(v) &&
	    eco_parse_signal(json_string_value(v), &a->kill_signal) == 0)
		return 0;
	if (eco_json_ll(v, &n) && n >= 1 && n <= SIGRTMAX) {
		a->kill_signal = (int)n;
		return 0;
	}
	return eco_fail(c, "expected a signal name like \"SIGTERM\" or a "
			"number");
}

/* "listen": "host:port", ":port" or a port; kept as "HOST:PORT". */
int
eco_app_listen(struct eco_ctx *c, void *obj, json_t *v)
{
	struct eco_app *a = obj;
	unsigned char buf[sizeof(struct in6_addr)];
	char *spec, *host = NULL;
	int port = 0, rc;

	if (json_is_string(v))
		spec = xstrdup(json_string_value(v));
	else if (json_is_integer(v))
		spec = xasprintf("%lld", (long long)json_integer_value(v));
	else
		return eco_fail(c, "expected \"host:port\", \":port\" or a "
				"port number");
	rc = eco_split_hostport(spec, &host, &port);
	free(spec);
	if (rc < 0 || port == 0) {
		free(host);
		return eco_fail(c, "expected \"host:port\", \":port\" or a "
				"port number");
	}
	if (host == NULL || strcmp(host, "*") == 0) {
		free(host);
		host = xstrdup("0.0.0.0");
	} else if (strcmp(host, "localhost") == 0) {
		free(host);
		host = xstrdup("127.0.0.1");
	}
	free(a->listen);
	if (inet_pton(AF_INET, host, buf) == 1)
		a->listen = xasprintf("%s:%d", host, port);
	else if (inet_pton(AF_INET6, host, buf) == 1)
		a->listen = xasprintf("[%s]:%d", host, port);
	else
		a->listen = NULL;
	free(host);
	if (a->listen == NULL)
		return eco_fail(c, "the host must be an IP address");
	return 0;
}

/* "cron_restart": a cron schedule; "0" or 0 turns it off (PM2's). */
int
eco_app_cron(struct eco_ctx *c, void *obj, json_t *v)
{
	struct eco_app *a = obj;
	struct cron cr;
	struct derr e;
	const char *s = json_string_value(v);

	free(a->cron_restart);
	a->cron_restart = NULL;
	if (json_is_false(v) || (json_is_number(v) &&
				 json_number_value(v) == 0) ||
	    (s != NULL && strcmp(s, "0") == 0))
		return 0;
	if (s == NULL)
		return eco_fail(c, "expected a cron schedule like "
				"\"0 3 * * *\"");
	if (cron_parse(s, &cr, &e) < 0)
		return eco_fail(c, "%s", e.msg);
	a->cron_restart = xstrdup(s);
	return 0;
}

/* "watch": true (the app's cwd), a path, or an array of paths. */
int
eco_app_watch(struct eco_ctx *c, void *obj, json_t *v)
{
	struct eco_app *a = obj;
	json_t *item;
	size_t i;

	strv_free(a->watch);
	a->watch = NULL;
	if (json_is_false(v))
		return 0;
	a->watch = xcalloc(1, sizeof *a->watch);
	if (json_is_true(v))
		return 0;	/* the cwd, once it is known */
	if (json_is_string(v)) {
		a->watch = strv_push(a->watch, json_string_value(v));
		return 0;
	}
	json_array_foreach(v, i, item) {
		if (!json_is_string(item))
			break;
		a->watch = strv_push(a->watch, json_string_value(item));
	}
	if (json_is_array(v) && i == json_array_size(v))
		return 0;
	return eco_fail(c, "expected true, a path or an array of paths");
}

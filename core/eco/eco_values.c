/* eco_values.c: value parsers, environments and per-instance settings */
#include "core/eco/eco_int.h"
#include "core/lib/strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* A unit suffix and what it multiplies by. */
struct unit {
	const char *suffix;
	long long mult;
};

#define SIG(name) { "SIG" #name, SIG##name }
static const struct {
	const char *name;
	int sig;
} signals[] = {
	SIG(HUP), SIG(INT), SIG(QUIT), SIG(ILL), SIG(TRAP), SIG(ABRT),
	SIG(BUS), SIG(FPE), SIG(KILL), SIG(USR1), SIG(SEGV), SIG(USR2),
	SIG(PIPE), SIG(ALRM), SIG(TERM), SIG(CHLD), SIG(CONT), SIG(STOP),
	SIG(TSTP), SIG(TTIN), SIG(TTOU), SIG(URG), SIG(XCPU), SIG(XFSZ),
	SIG(VTALRM), SIG(PROF), SIG(WINCH), SIG(IO), SIG(PWR), SIG(SYS),
};
#undef SIG

static const struct unit duration_units[] = {
	{ "", 1 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 },
	{ "h", 3600000 },
};

static const struct unit byte_units[] = {
	{ "", 1 }, { "b", 1 },
	{ "k", 1LL << 10 }, { "kb", 1LL << 10 }, { "kib", 1LL << 10 },
	{ "m", 1LL << 20 }, { "mb", 1LL << 20 }, { "mib", 1LL << 20 },
	{ "g", 1LL << 30 }, { "gb", 1LL << 30 }, { "gib", 1LL << 30 },
	{ "t", 1LL << 40 }, { "tb", 1LL << 40 }, { "tib", 1LL << 40 },
};

/*
 * Parse digits followed by one of units' suffixes (case-insensitive)
 * into a value up to max; 0 or -1.
 */
static int
parse_units(const char *s, const struct unit *units, size_t nunits,
	    long long max, long long *out)
{
	unsigned long long v;
	char *end;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || v > (unsigned long long)max)
		return -1;
	for (size_t i = 0; i < nunits; i++) {
		if (strcasecmp(end, units[i].suffix) != 0)
			continue;
		if ((long long)v > max / units[i].mult)
			return -1;
		*out = (long long)v * units[i].mult;
		return 0;
	}
	return -1;
}

/* Parse a size: "300M", "1G", "512k", "1048576"; 1024-based. */
int
eco_parse_bytes(const char *s, long long *out)
{
	return parse_units(s, byte_units, ARRAY_SIZE(byte_units), LLONG_MAX,
			   out);
}

/* Parse a duration: "1500", "1500ms", "2s", "5m", "1h" into ms. */
int
eco_parse_duration(const char *s, long *out_ms)
{
	long long v;

	if (parse_units(s, duration_units, ARRAY_SIZE(duration_units),
			LONG_MAX, &v) < 0)
		return -1;
	*out_ms = (long)v;
	return 0;
}

/* Parse "SIGTERM", "TERM", "sigterm" or "15". */
int
eco_parse_signal(const char *s, int *out)
{
	char *end;
	long n;

	if (s == NULL || *s == '\0')
		return -1;
	if (isdigit((unsigned char)*s)) {
		errno = 0;
		n = strtol(s, &end, 10);
		if (errno != 0 || *end != '\0' || n < 1 || n > SIGRTMAX)
			return -1;
		*out = (int)n;
		return 0;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signals); i++) {
		if (strcasecmp(s, signals[i].name + 3) == 0) {
			*out = signals[i].sig;
			return 0;
		}
	}
	return -1;
}

/* The name of a signal, "SIGINT", or NULL when it has none. */
const char *
eco_signal_name(int sig)
{
	for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
		if (signals[i].sig == sig)
			return signals[i].name;
	return NULL;
}

/* Append one backslash escape outside quotes; returns the next char. */
static const char *
split_backslash(const char *s, struct strbuf *w)
{
	if (s[1] == '\0') {
		strbuf_addch(w, '\\');
		return s + 1;
	}
	if (s[1] != '\n')
		strbuf_addch(w, s[1]);
	return s + 2;
}

/* Append a "double quoted" part; NULL when it is not closed. */
static const char *
split_dquote(const char *s, struct strbuf *w)
{
	for (s++; *s != '"'; s++) {
		if (*s == '\0')
			return NULL;
		if (*s == '\\' && s[1] != '\0' && strchr("\"\\$`\n", s[1])) {
			s++;
			if (*s == '\n')
				continue;
		}
		strbuf_addch(w, *s);
	}
	return s + 1;
}

/* Split s into words like sh: quotes and backslashes, no expansion. */
int
eco_split_args(const char *s, char ***out, struct derr *e)
{
	struct strbuf w = STRBUF_INIT;
	char **v = xcalloc(1, sizeof *v);
	const char *q;
	bool word = false;
	char quote = '\0';

	while (*s != '\0') {
		if (strchr(" \t\r\n", *s) != NULL) {
			if (word)
				v = strv_push(v, w.buf);
			strbuf_reset(&w);
			word = false;
			s++;
			continue;
		}
		word = true;
		quote = *s;
		if (*s == '\'') {
			q = strchr(s + 1, '\'');
			if (q == NULL)
				goto unterminated;
			strbuf_add(&w, s + 1, (size_t)(q - s - 1));
			s = q + 1;
		} else if (*s == '"') {
			s = split_dquote(s, &w);
			if (s == NULL)
				goto unterminated;
		} else if (*s == '\\') {
			s = split_backslash(s, &w);
		} else {
			strbuf_addch(&w, *s++);
		}
	}
	if (word)
		v = strv_push(v, w.buf);
	strbuf_release(&w);
	*out = v;
	return 0;
unterminated:
	strbuf_release(&w);
	strv_free(v);
	return derr_set(e, "unterminated %s quote",
			quote == '"' ? "double" : "single");
}

/* Parse a port number "1".."65535"; 0 on anything else. */
static int
parse_port(const char *s)
{
	long n;
	char *end;

	if (!isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > 65535)
		return 0;
	return (int)n;
}

/* A port of at most 5 digits ("3000"); 0 on anything else and NULL. */
int
eco_port_string(const char *s)
{
	return s != NULL && strlen(s) <= 5 ? parse_port(s) : 0;
}

/* Split host and port of "host:port", "[v6]:port", ":port", "port". */
int
eco_split_hostport(const char *s, char **host, int *port)
{
	const char *colon, *close;
	size_t hlen;

	*host = NULL;
	*port = 0;
	if (s == NULL || *s == '\0' || *s == '-' ||
	    strpbrk(s, " \t\r\n/") != NULL)
		return -1;	/* '-': never let a host read as an option */
	if (*s == '[') {
		close = strchr(s, ']');
		if (close == NULL || close == s + 1)
			return -1;
		if (close[1] != '\0' &&
		    (close[1] != ':' || !(*port = parse_port(close + 2))))
			return -1;
		*host = xstrndup(s + 1, (size_t)(close - s - 1));
		return 0;
	}
	colon = strchr(s, ':');
	if (colon != NULL && strchr(colon + 1, ':') != NULL) {
		*host = xstrdup(s);	/* a bare IPv6 address */
		return 0;
	}
	if (colon == NULL) {
		if (strspn(s, "0123456789") == strlen(s))
			return (*port = parse_port(s)) ? 0 : -1;
		*host = xstrdup(s);
		return 0;
	}
	if (!(*port = parse_port(colon + 1)))
		return -1;
	hlen = (size_t)(colon - s);
	*host = hlen ? xstrndup(s, hlen) : NULL;
	return 0;
}

/* Set name to value, replacing an earlier value in place. */
void
eco_env_set(struct eco_env *env, const char *name, const char *value)
{
	for (size_t i = 0; i < env->n; i++) {
		if (strcmp(env->vars[i].name, name) == 0) {
			free(env->vars[i].value);
			env->vars[i].value = xstrdup(value);
			return;
		}
	}
	ARRAY_GROW(env->vars, env->cap, env->n + 1);
	env->vars[env->n].name = xstrdup(name);
	env->vars[env->n].value = xstrdup(value);
	env->n++;
}

/* Remove name from env; nothing happens when it is not there. */
void
eco_env_unset(struct eco_env *env, const char *name)
{
	for (size_t i = 0; i < env->n; i++) {
		if (strcmp(env->vars[i].name, name) != 0)
			continue;
		free(env->vars[i].name);
		free(env->vars[i].value);
		memmove(&env->vars[i], &env->vars[i + 1],
			(env->n - i - 1) * sizeof env->vars[0]);
		env->n--;
		return;
	}
}

/* The value of name, or NULL. */
const char *
eco_env_get(const struct eco_env *env, const char *name)
{
	for (size_t i = 0; i < env->n; i++)
		if (strcmp(env->vars[i].name, name) == 0)
			return env->vars[i].value;
	return NULL;
}

/* Free the variables and leave env empty; NULL is a no-op. */
void
eco_env_free(struct eco_env *env)
{
	if (env == NULL)
		return;
	for (size_t i = 0; i < env->n; i++) {
		free(env->vars[i].name);
		free(env->vars[i].value);
	}
	free(env->vars);
	env->vars = NULL;
	env->n = env->cap = 0;
}

/* Instance i's environment: app env, increment var, instance var. */
void
eco_instance_env(const struct eco_app *app, int i, struct eco_env *out)
{
	char num[16];

	out->vars = NULL;
	out->n = out->cap = 0;
	for (size_t k = 0; k < app->env.n; k++)
		eco_env_set(out, app->env.vars[k].name,
			    app->env.vars[k].value);
	if (app->port > 0) {
		snprintf(num, sizeof num, "%d", app->port + i);
		eco_env_set(out, app->increment_var, num);
	}
	snprintf(num, sizeof num, "%d", i);
	eco_env_set(out, app->instance_var, num);
}

/* The shell for a command string: bash when present (as PM2), else sh. */
const char *
eco_shell(void)
{
	return access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh";
}

/* Instance i's health URL, or NULL; caller frees. */
char *
eco_health_url(const struct eco_app *app, int i)
{
	char *host = NULL, *url;
	const char *h = "127.0.0.1";
	int port = 0;

	if (app->health == NULL)
		return NULL;
	if (app->health[0] != '/')
		return xstrdup(app->health);
	if (app->port > 0) {
		port = app->port + i;
	} else if (app->listen != NULL &&
		   eco_split_hostport(app->listen, &host, &port) == 0 &&
		   host != NULL && strcmp(host, "0.0.0.0") != 0 &&
		   strcmp(host, "::") != 0) {
		h = host;
	}
	if (port == 0) {
		free(host);
		return NULL;
	}
	url = xasprintf(strchr(h, ':') ? "http://[%s]:%d%s" :
			"http://%s:%d%s", h, port, app->health);
	free(host);
	return url;
}

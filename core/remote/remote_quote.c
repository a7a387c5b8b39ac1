/* remote_quote.c: shell quoting and the checks on values from the file */
#include "core/remote/remote.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Single quotes keep every byte literal in a POSIX shell except the
 * quote itself, which is closed, escaped and reopened: ' becomes '\''.
 * No value can then end the word, so none can inject a command.
 */
void
remote_quote(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, '\'');
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			strbuf_addstr(sb, "'\\''");
		else
			strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '\'');
}

/* Quote a path, letting the shell expand a leading "~/" to $HOME. */
void
remote_quote_path(struct strbuf *sb, const char *path)
{
	if (strcmp(path, "~") == 0) {
		strbuf_addstr(sb, "\"$HOME\"");
		return;
	}
	if (strncmp(path, "~/", 2) == 0) {
		strbuf_addstr(sb, "\"$HOME\"/");
		path += 2;
	}
	remote_quote(sb, path);
}

/* A valid environment variable name. */
bool
remote_env_name_ok(const char *name)
{
	if (!isalpha((unsigned char)*name) && *name != '_')
		return false;
	for (; *name != '\0'; name++)
		if (!isalnum((unsigned char)*name) && *name != '_')
			return false;
	return true;
}

/* A relative path without ".", ".." or empty parts. */
bool
remote_shared_ok(const char *rel)
{
	const char *p = rel;

	if (*rel == '\0' || *rel == '/')
		return false;
	while (*p != '\0') {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p == '/')
			p++;
		if (*p == '\0' && p[-1] == '/')
			return false;
	}
	return true;
}

/* "yyyymmddHHMMSS-<rev[0..7)>"; caller frees. */
char *
remote_release_name(time_t t, const char *rev)
{
	char stamp[32];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
	return xasprintf("%s-%.7s", stamp, rev);
}

/* True for a release name: 14 digits, '-', 7 to 40 hex digits. */
bool
remote_release_ok(const char *name)
{
	size_t n = strlen(name);

	if (n < 22 || n > 55 || name[14] != '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (i < 14 && !isdigit((unsigned char)name[i]))
			return false;
		if (i > 14 && !isxdigit((unsigned char)name[i]))
			return false;
	}
	return true;
}

/* The health URL of one host. */
char *
remote_health_url(const char *tmpl, const char *host)
{
	struct strbuf sb = STRBUF_INIT;
	char *h = strchr(host, ':') != NULL ? xasprintf("[%s]", host) :
		xstrdup(host);
	const char *p;

	if (tmpl[0] == '/')
		strbuf_addf(&sb, "http://%s", h);
	for (p = tmpl; *p != '\0';) {
		if (strncmp(p, "{host}", 6) == 0) {
			strbuf_addstr(&sb, h);
			p += 6;
		} else {
			strbuf_addch(&sb, *p++);
		}
	}
	free(h);
	return strbuf_detach(&sb);
}

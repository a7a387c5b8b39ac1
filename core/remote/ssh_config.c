/* ssh_config.c: a target's "ssh_options", read as OpenSSH options */
#include "core/remote/ssh_int.h"

#include <ctype.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* The user's name (dir false) or home (dir true) from the password
 * file, or NULL; thread-safe. Caller frees. */
char *
ssh_passwd_field(bool dir)
{
	struct passwd pw, *found = NULL;
	char buf[4096];

	if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &found) != 0 ||
	    found == NULL)
		return NULL;
	return xstrdup(dir ? pw.pw_dir : pw.pw_name);
}

/* path with a leading "~/" (or a lone "~") made absolute: $HOME, else
 * the password file's home. Caller frees. */
char *
ssh_expand_home(const char *path)
{
	const char *h = getenv("HOME");
	char *home, *out;

	if (path[0] != '~' || (path[1] != '/' && path[1] != '\0'))
		return xstrdup(path);
	if (h != NULL && *h != '\0')
		return xasprintf("%s%s", h, path + 1);
	home = ssh_passwd_field(true);
	out = xasprintf("%s%s", home ? home : "", path + 1);
	free(home);
	return out;
}

/* Parse a whole number in [lo, hi]; -1 when it is not one. */
static int
parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* StrictHostKeyChecking's value: 1 strict, 0 accept new, -1 unknown. */
static int
parse_strict(const char *v)
{
	static const char *const strict[] = { "yes", "ask", "true" };
	static const char *const lax[] = { "no", "off", "accept-new",
					   "false" };

	for (size_t i = 0; i < ARRAY_SIZE(strict); i++)
		if (strcasecmp(v, strict[i]) == 0)
			return 1;
	for (size_t i = 0; i < ARRAY_SIZE(lax); i++)
		if (strcasecmp(v, lax[i]) == 0)
			return 0;
	return -1;
}

/*
 * The first word of v, as ssh_config(5) reads a path: in double or
 * single quotes it may hold spaces. Caller frees.
 */
static char *
first_word(const char *v)
{
	const char *end;

	if ((*v == '"' || *v == '\'') && (end = strchr(v + 1, *v)) != NULL)
		return xstrndup(v + 1, (size_t)(end - v - 1));
	return xstrndup(v, strcspn(v, " \t"));
}

/* Replace *slot with a ~-expanded copy of the first word of v. */
static void
set_path(char **slot, const char *v)
{
	char *word = first_word(v);

	free(*slot);
	*slot = ssh_expand_home(word);
	free(word);
}

/* Apply one option key = v to c; -1 with e filled on a bad value. */
static int
apply(struct ssh_config *c, const char *key, const char *v, struct derr *e)
{
	long n;

	if (strcasecmp(key, "StrictHostKeyChecking") == 0) {
		c->strict = parse_strict(v);
		if (c->strict < 0)
			return derr_set(e, "StrictHostKeyChecking: expected "
					"yes, no or accept-new, got '%s'", v);
	} else if (strcasecmp(key, "UserKnownHostsFile") == 0) {
		set_path(&c->known_hosts, v);
	} else if (strcasecmp(key, "IdentityFile") == 0) {
		set_path(&c->identity, v);
	} else if (strcasecmp(key, "User") == 0) {
		free(c->user);
		c->user = xstrdup(v);
	} else if (strcasecmp(key, "Port") == 0) {
		if (parse_int(v, 1, 65535, &n) < 0)
			return derr_set(e, "Port: expected 1-65535, got "
					"'%s'", v);
		c->port = (int)n;
	} else if (strcasecmp(key, "ConnectTimeout") == 0) {
		if (parse_int(v, 1, INT_MAX / 1000, &n) < 0)
			return derr_set(e, "ConnectTimeout: expected "
					"seconds, got '%s'", v);
		c->connect_timeout_ms = n * 1000;
	} else if (strcasecmp(key, "ServerAliveInterval") == 0 ||
		   strcasecmp(key, "ServerAliveCountMax") == 0) {
		if (parse_int(v, 1, 3600, &n) < 0)
			return derr_set(e, "%s: expected a number from 1 to "
					"3600, got '%s'", key, v);
		if (strcasecmp(key, "ServerAliveInterval") == 0)
			c->alive_interval = (int)n;
		else
			c->alive_count = (int)n;
	} else {
		char *w = xasprintf("ssh_options: '%s' is not used by "
				    "deploy, ignored", key);

		c->warnings = strv_push(c->warnings, w);
		free(w);
	}
	return 0;
}

/* Split one option into key and value and apply it. */
static int
parse_one(struct ssh_config *c, const char *opt, struct derr *e)
{
	const char *p = opt, *sep;
	char *key;
	int rc;

	if (strncmp(p, "-o", 2) == 0)
		p += 2;
	p += strspn(p, " \t");
	sep = p + strcspn(p, "= \t");
	if (sep == p || *sep == '\0')
		return derr_set(e, "ssh_options: expected \"Key=Value\", got "
				"'%s'", opt);
	key = xstrndup(p, (size_t)(sep - p));
	sep += strspn(sep, " \t");
	if (*sep == '=')
		sep++;
	sep += strspn(sep, " \t");
	rc = apply(c, key, sep, e);
	free(key);
	return rc;
}

/* Read a target's ssh_options. */
int
ssh_config_parse(char *const *opts, struct ssh_config *c, struct derr *e)
{
	memset(c, 0, sizeof *c);
	c->strict = -1;
	c->warnings = xcalloc(1, sizeof *c->warnings);
	for (size_t i = 0; opts != NULL && opts[i] != NULL; i++)
		if (parse_one(c, opts[i], e) < 0) {
			ssh_config_clear(c);
			return -1;
		}
	return 0;
}

/* Free what c holds. */
void
ssh_config_clear(struct ssh_config *c)
{
	free(c->known_hosts);
	free(c->identity);
	free(c->user);
	strv_free(c->warnings);
	memset(c, 0, sizeof *c);
}

/* nginx_tls.c: what a certificate says, read with openssl(1), not libcrypto */
#include "core/nginx/nginx_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Where Debian puts openssl when it is not on PATH. */
#define OPENSSL_BIN "/usr/bin/openssl"
#define SAN_TITLE "X509v3 Subject Alternative Name:"
#define PEM_BEGIN "-----BEGIN PUBLIC KEY-----"
#define PEM_END "-----END PUBLIC KEY-----"

/* Fail unless path can be opened for reading (the check nginx's
 * master, which reads it as the same user, would fail later). */
static int
readable(const char *path, struct derr *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return derr_errno(e, "cannot read '%s'", path);
	close(fd);
	return 0;
}

/* Run openssl with argv (argv[0] a placeholder); its output in out.
 * 0 on exit status 0, 1 on another status, -1 when it cannot run. */
static int
openssl(char **argv, struct strbuf *out, struct derr *e)
{
	static const struct ngx_tool t = { .name = "openssl",
		.fallback = OPENSSL_BIN, .quiet = true,
		.hint = " (install openssl to use \"tls\")" };
	int status = ngx_run(&t, argv, out, e);

	return status < 0 ? -1 : status != 0;
}

/* "Dec  4 22:38:15 2026 GMT" (openssl's date) as a time; -1 if bad. */
static time_t
parse_date(const char *s)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm = { 0 };
	char mon[4];
	const char *m;

	if (sscanf(s, "%3s %d %d:%d:%d %d", mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec, &tm.tm_year) != 6 ||
	    strlen(mon) != 3 || (m = strstr(months, mon)) == NULL ||
	    (m - months) % 3 != 0)
		return -1;
	tm.tm_mon = (int)(m - months) / 3;
	tm.tm_year -= 1900;
	return timegm(&tm);
}

/* Add the names of a subjectAltName line ("DNS:a, IP Address:b"). */
static void
add_alt_names(struct ngx_cert *c, const char *line)
{
	char *copy = xstrdup(line), *save = NULL, *colon;

	for (char *t = strtok_r(copy, ", \t", &save); t != NULL;
	     t = strtok_r(NULL, ", \t", &save)) {
		if (strcmp(t, "IP") == 0)	/* "IP Address:1.2.3.4" */
			continue;
		colon = strchr(t, ':');
		if (colon == NULL)
			continue;
		if (strncmp(t, "DNS:", 4) == 0 ||
		    strncmp(t, "Address:", 8) == 0)
			c->names = strv_push(c->names, colon + 1);
	}
	free(copy);
}

/* The CN of an RFC 2253 subject ("CN=a.test,O=x"), added to names. */
static void
add_common_name(struct ngx_cert *c, const char *subject)
{
	const char *cn = strstr(subject, "CN=");
	char *name;

	if (cn == NULL || (cn != subject && cn[-1] != ','))
		return;
	cn += 3;
	name = xstrndup(cn, strcspn(cn, ","));
	c->names = strv_push(c->names, name);
	free(name);
}

/* Read the lines openssl x509 printed into c. */
static void
parse_x509(struct ngx_cert *c, char *text)
{
	char *save = NULL, *subject = NULL, *pem;
	bool san = false, in_key = false;
	struct strbuf key = STRBUF_INIT;

	for (char *l = strtok_r(text, "\n", &save); l != NULL;
	     l = strtok_r(NULL, "\n", &save)) {
		if (in_key || strcmp(l, PEM_BEGIN) == 0) {
			strbuf_addf(&key, "%s\n", l);
			in_key = strcmp(l, PEM_END) != 0;
		} else if (strncmp(l, "notAfter=", 9) == 0) {
			c->not_after = parse_date(l + 9);
		} else if (strncmp(l, "subject=", 8) == 0) {
			subject = l + 8;
		} else if (strncmp(l, SAN_TITLE, strlen(SAN_TITLE)) == 0) {
			san = true;
		} else if (san && isspace((unsigned char)l[0])) {
			add_alt_names(c, l);
			san = false;
		}
	}
	if (c->names == NULL && subject != NULL)
		add_common_name(c, subject);
	pem = strbuf_detach(&key);
	if (*pem == '\0')
		free(pem);
	else
		c->pubkey = pem;
}

/* Read the first certificate of the PEM file at path. */
int
ngx_cert_read(const char *path, struct ngx_cert *c, struct derr *e)
{
	char *argv[] = { NULL, "x509", "-in", (char *)path, "-noout",
			 "-enddate", "-subject", "-nameopt", "RFC2253",
			 "-ext", "subjectAltName", "-pubkey", NULL };
	struct strbuf out = STRBUF_INIT;
	int rc;

	memset(c, 0, sizeof *c);
	c->not_after = -1;
	if (readable(path, e) < 0)
		return -1;
	rc = openssl(argv, &out, e);
	if (rc == 0)
		parse_x509(c, out.buf);
	strbuf_release(&out);
	if (rc < 0)
		return -1;
	if (rc > 0 || c->not_after == -1 || c->pubkey == NULL)
		return derr_set(e, "'%s' is not a PEM certificate", path);
	return 0;
}

/* 0 when the private key at path belongs to c. */
int
ngx_cert_key_matches(const struct ngx_cert *c, const char *path,
		     struct derr *e)
{
	char *argv[] = { NULL, "pkey", "-in", (char *)path, "-pubout",
			 "-passin", "pass:", NULL };
	struct strbuf out = STRBUF_INIT;
	int rc;

	if (readable(path, e) < 0)
		return -1;
	rc = openssl(argv, &out, e);
	if (rc > 0 || (rc == 0 && strstr(out.buf, PEM_BEGIN) == NULL))
		rc = derr_set(e, "'%s' is not a private key nginx can read "
			      "(PEM, without a passphrase)", path);
	else if (rc == 0 && strcmp(out.buf, c->pubkey) != 0)
		rc = derr_set(e, "'%s' is not the key of the certificate",
			      path);
	strbuf_release(&out);
	return rc;
}

/* Whether the certificate's name pattern covers server name s: equal
 * (case aside), or "*.rest" covering exactly one label before rest. */
static bool
covers(const char *pattern, const char *s)
{
	const char *dot;

	if (strcasecmp(pattern, s) == 0)
		return true;
	if (strncmp(pattern, "*.", 2) != 0 || s[0] == '*' ||
	    (dot = strchr(s, '.')) == NULL || dot == s)
		return false;
	return strcasecmp(pattern + 1, dot) == 0;
}

/* Whether some name of c covers s. */
static bool
covered(const struct ngx_cert *c, const char *s)
{
	for (size_t i = 0; c->names != NULL && c->names[i] != NULL; i++)
		if (covers(c->names[i], s))
			return true;
	return false;
}

/* The first of the space-separated names that c does not cover. nginx's
 * ".example.com" stands for example.com and *.example.com; "_" and
 * the empty name are no names. */
const char *
ngx_cert_uncovered(const struct ngx_cert *c, const char *names, char *buf,
		   size_t size)
{
	char *copy = xstrdup(names), *save = NULL, *wild;
	const char *bad = NULL;

	for (char *t = strtok_r(copy, " ", &save); t != NULL && !bad;
	     t = strtok_r(NULL, " ", &save)) {
		if (strcmp(t, "_") == 0)
			continue;
		if (t[0] == '.') {
			wild = xasprintf("*%s", t);
			if (!covered(c, t + 1) || !covered(c, wild))
				bad = t;
			free(wild);
		} else if (!covered(c, t)) {
			bad = t;
		}
	}
	if (bad != NULL)
		snprintf(buf, size, "%s", bad);
	free(copy);
	return bad ? buf : NULL;
}

/* Days from now until c expires, to the nearest (a certificate made
 * for 90 days has 90 for its first half day); negative once expired. */
long
ngx_cert_days_left(const struct ngx_cert *c, time_t now)
{
	time_t d = c->not_after - now;

	return (long)(d >= 0 ? (d + 43200) / 86400 : -((-d + 86399) / 86400));
}

/* Free what c holds. */
void
ngx_cert_clear(struct ngx_cert *c)
{
	strv_free(c->names);
	free(c->pubkey);
	memset(c, 0, sizeof *c);
}

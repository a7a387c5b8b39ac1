/* nginx_blocks.c: server blocks: apps sharing one by path, TLS, conflicts */
#include "core/nginx/nginx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lib/fileio.h"

/* HSTS "true": a year. */
#define HSTS_DEFAULT 31536000
/* Where certbot's webroot mode puts its challenges unless told. */
#define WEBROOT_DEFAULT "/var/www/acme"

/* A string of obj, or "" when it has none. */
static const char *
field(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

/* Whether the space-separated lists a and b share a word (an empty
 * list counts as the one name ""); the word goes to buf. */
static bool
share_word(const char *a, const char *b, char *buf, size_t size)
{
	char *hay = xasprintf(" %s ", b), *needle;
	const char *w = a, *end;
	bool found = false;
	int n;

	do {
		end = strchr(w, ' ');
		n = end ? (int)(end - w) : (int)strlen(w);
		needle = xasprintf(" %.*s ", n, w);
		found = strstr(hay, needle) != NULL;
		snprintf(buf, size, "%.*s", n, w);
		free(needle);
		w = end ? end + 1 : NULL;
	} while (!found && w != NULL);
	free(hay);
	return found;
}

/* The addresses a server block listens on: its listen, and the plain
 * HTTP one of its TLS redirect. */
static const char *
listen_of(json_t *srv, int which)
{
	if (which == 0)
		return field(srv, "listen");
	return json_string_value(json_object_get(json_object_get(srv, "tls"),
						 "http_listen"));
}

/* The place to blame for a clash of ap's server block. */
static void
blame(struct ngx_build *b, struct ngx_app *ap, struct ngx_path *p)
{
	if (ngx_pick(b->eco, ap->i, "server_name", p) == NULL &&
	    ngx_pick(b->eco, ap->i, "server", p) == NULL &&
	    ngx_pick(b->eco, ap->i, "listen", p) == NULL)
		ngx_path_nginx(p, ap->i);
}

/* Fail when another server block has a listen and a server name of
 * srv (nginx would only warn, and send every request for that name to
 * the first). */
static int
check_conflict(struct ngx_build *b, struct ngx_app *ap, json_t *srv)
{
	const char *mine, *theirs, *names = field(srv, "server_name");
	struct ngx_path p;
	char name[256];
	json_t *other;

	for (size_t k = 0; k < b->n_srv; k++) {
		other = b->srv[k].obj;
		for (int i = 0; i < 4; i++) {
			mine = listen_of(srv, i / 2);
			theirs = listen_of(other, i % 2);
			if (mine == NULL || theirs == NULL ||
			    strcmp(mine, theirs) != 0 ||
			    !share_word(names, field(other, "server_name"),
					name, sizeof name))
				continue;
			blame(b, ap, &p);
			other = json_array_get(json_object_get(other, "apps"),
					       0);
			if (name[0] == '\0')
				return ngx_fail(b->eco, &p, b->e, "upstream "
						"'%s' has listen %s without a "
						"server_name too; give each "
						"app a server_name or its own "
						"listen",
						field(other, "upstream"),
						mine);
			return ngx_fail(b->eco, &p, b->e, "listen %s with "
					"server name '%s' is taken by "
					"upstream '%s'", mine, name,
					field(other, "upstream"));
		}
	}
	return 0;
}

/* A path of the file made absolute, checked for the config: a new
 * string, or NULL with e filled at p. */
static char *
tls_path(struct ngx_build *b, struct ngx_path *p, const char *s,
	 const char *file)
{
	char *dir = path_join(b->eco->dir, s), *abs, buf[48];
	const char *bad;

	abs = file ? xasprintf("%s/%s", dir, file) : xstrdup(dir);
	free(dir);
	bad = ngx_unsafe(abs, buf, sizeof buf);
	if (bad == NULL && strchr(abs, '$') == NULL)
		return abs;
	ngx_fail(b->eco, p, b->e, "the path '%s' %s", abs,
		 bad ? bad : "contains '$'");
	free(abs);
	return NULL;
}

/* "2026-12-04" for t. */
static void
day_text(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d", &tm);
}

/* Remember cert for --check, once per file. */
static void
note_cert(struct ngx_build *b, const char *cert, const struct ngx_cert *c)
{
	char day[16];
	json_t *o;
	size_t k;

	json_array_foreach(b->certs, k, o)
		if (strcmp(field(o, "certificate"), cert) == 0)
			return;
	day_text(c->not_after, day, sizeof day);
	json_array_append_new(b->certs, json_pack("{s:s, s:s, s:I}",
		"certificate", cert, "expires", day, "days",
		(json_int_t)ngx_cert_days_left(c, time(NULL))));
}

/* The names of c, ", "-separated and cut short, into buf. */
static const char *
cert_names(const struct ngx_cert *c, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; c->names && c->names[i] && n + 1 < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "",
				      c->names[i]);
	return buf[0] ? buf : "none";
}

/*
 * The certificate at cert, once checked to be readable, not expired and
 * the pair of key; errors name the key in the file. Servers that share
 * a pair read it once. NULL on failure.
 */
static const struct ngx_cert *
good_pair(struct ngx_build *b, const char *cert, const char *key,
	  struct ngx_path *pc, struct ngx_path *pk)
{
	struct ngx_pair *p;
	struct ngx_cert c;
	struct derr e2;
	char day[16];

	for (size_t k = 0; k < b->n_pairs; k++)
		if (!strcmp(b->pairs[k].cert, cert) &&
		    !strcmp(b->pairs[k].key, key))
			return &b->pairs[k].c;
	if (ngx_cert_read(cert, &c, &e2) < 0) {
		ngx_fail(b->eco, pc, b->e, "%s", e2.msg);
	} else if (c.not_after <= time(NULL)) {
		day_text(c.not_after, day, sizeof day);
		ngx_fail(b->eco, pc, b->e, "the certificate '%s' expired on "
			 "%s", cert, day);
	} else if (ngx_cert_key_matches(&c, key, &e2) < 0) {
		ngx_fail(b->eco, pk, b->e, "%s '%s'", e2.msg, cert);
	} else {
		grow_array((void **)&b->pairs, &b->cap_pairs, b->n_pairs + 1,
			   sizeof *p);
		p = &b->pairs[b->n_pairs++];
		p->cert = xstrdup(cert);
		p->key = xstrdup(key);
		p->c = c;
		note_cert(b, cert, &c);
		return &p->c;
	}
	ngx_cert_clear(&c);
	return NULL;
}

/* Check the certificate and key of the server block srv before
 * anything is written: a good pair that covers its server names. */
static int
check_cert(struct ngx_build *b, json_t *srv, const char *cert,
	   const char *key, struct ngx_path *pc, struct ngx_path *pk)
{
	const struct ngx_cert *c = good_pair(b, cert, key, pc, pk);
	char name[256], names[160];

	if (c == NULL)
		return -1;
	if (ngx_cert_uncovered(c, field(srv, "server_name"), name,
			       sizeof name) != NULL)
		return ngx_fail(b->eco, pc, b->e, "the certificate '%s' does "
				"not cover server name '%s' (it names %s)",
				cert, name, cert_names(c, names, sizeof names));
	return 0;
}

/* Free the pairs kept by good_pair. */
void
ngx_pairs_free(struct ngx_build *b)
{
	for (size_t k = 0; k < b->n_pairs; k++) {
		free(b->pairs[k].cert);
		free(b->pairs[k].key);
		ngx_cert_clear(&b->pairs[k].c);
	}
	free(b->pairs);
}

/* The plain HTTP side of a TLS server: where it listens (by default
 * port 80 of the HTTPS listen's host; none for false), and the port
 * its redirects name (":8443", or "" for 443). */
static void
add_http_side(json_t *tls, json_t *v, const char *listen)
{
	const char *colon = strrchr(listen, ':');
	char *host = NULL, *text;
	int port = 443;

	if (json_is_false(v))
		return;
	if (v == NULL && colon != NULL) {
		host = xstrndup(listen, (size_t)(colon - listen));
		text = xasprintf("%s:80", host);
	} else {
		text = ngx_listen_text(v, 80);
	}
	json_object_set_new_nocheck(tls, "http_listen", json_string(text));
	port = atoi(colon ? colon + 1 : listen);
	json_object_set_new_nocheck(tls, "https_port", port == 443 ?
				    json_string("") :
				    json_sprintf(":%d", port));
	free(host);
	free(text);
}

/* "tls" of the server block srv that ap opens: the checked files and
 * the settings the template needs. */
static int
add_tls(struct ngx_build *b, struct ngx_app *ap, json_t *srv)
{
	struct ngx_path p, pc, pk;
	json_t *v = ngx_pick(b->eco, ap->i, "tls", &p), *tls, *hsts;
	const char *live = json_string_value(json_object_get(v, "live"));
	const char *web = json_string_value(json_object_get(v, "webroot"));
	char *cert = NULL, *key = NULL, *root = NULL;
	int rc = -1;

	if (v == NULL)
		return 0;
	pc = pk = p;
	ngx_path_key(&pc, live ? "live" : "certificate");
	ngx_path_key(&pk, live ? "live" : "key");
	cert = tls_path(b, &pc, live ? live : field(v, "certificate"),
			live ? "fullchain.pem" : NULL);
	key = cert ? tls_path(b, &pk, live ? live : field(v, "key"),
			      live ? "privkey.pem" : NULL) : NULL;
	ngx_path_key(&p, "webroot");
	root = key ? tls_path(b, &p, web ? web : WEBROOT_DEFAULT, NULL) : NULL;
	if (root == NULL || check_cert(b, srv, cert, key, &pc, &pk) < 0)
		goto out;
	hsts = json_object_get(v, "hsts");
	tls = json_pack("{s:s, s:s, s:s, s:b}", "certificate", cert, "key",
			key, "webroot", root, "http2",
			!json_is_false(json_object_get(v, "http2")));
	if (json_is_true(hsts) || (json_is_number(hsts) && ngx_number(hsts)))
		json_object_set_new_nocheck(tls, "hsts", json_integer(
			json_is_true(hsts) ? HSTS_DEFAULT : ngx_number(hsts)));
	add_http_side(tls, json_object_get(v, "http_listen"),
		      field(srv, "listen"));
	json_object_set_new_nocheck(srv, "tls", tls);
	rc = 0;
out:
	free(cert);
	free(key);
	free(root);
	return rc;
}

/* Fail unless ap's value of key is the same as that of the app that
 * opened the shared server block s. */
static int
same_setting(struct ngx_build *b, struct ngx_app *ap,
	     const struct ngx_srv *s, const char *key)
{
	struct ngx_path p, q;
	json_t *mine = ngx_pick(b->eco, ap->i, key, &p);
	json_t *theirs = ngx_pick(b->eco, s->first, key, &q);

	if ((mine == NULL && theirs == NULL) ||
	    (mine != NULL && theirs != NULL && json_equal(mine, theirs)))
		return 0;
	if (mine == NULL)
		ngx_path_nginx(&p, ap->i);
	return ngx_fail(b->eco, &p, b->e, "\"%s\" differs from that of "
			"upstream '%s', which shares server '%s'", key,
			field(json_array_get(json_object_get(s->obj, "apps"),
					     0), "upstream"),
			field(s->obj, "server_name"));
}

/* Fail when the location of ap (or of its static files) is one that
 * another app of the shared server srv has. */
static int
check_locations(struct ngx_build *b, struct ngx_app *ap, json_t *srv)
{
	const char *loc = field(ap->out, "location");
	const char *st = field(json_object_get(ap->out, "static"), "location");
	const char *theirs[2], *mine[2] = { loc, st };
	struct ngx_path p;
	json_t *other;
	size_t k;

	json_array_foreach(json_object_get(srv, "apps"), k, other) {
		theirs[0] = field(other, "location");
		theirs[1] = field(json_object_get(other, "static"),
				  "location");
		for (int i = 0; i < 4; i++) {
			if (!*mine[i / 2] ||
			    strcmp(mine[i / 2], theirs[i % 2]) != 0)
				continue;
			if (ngx_pick(b->eco, ap->i, i / 2 ? "static" :
				     "location", &p) == NULL)
				ngx_path_nginx(&p, ap->i);
			return ngx_fail(b->eco, &p, b->e, "location '%s' is "
					"taken by upstream '%s' in server "
					"'%s'", mine[i / 2],
					field(other, "upstream"),
					field(srv, "server_name"));
		}
	}
	return 0;
}

/* Open a server block for ap. */
static int
open_server(struct ngx_build *b, struct ngx_app *ap, bool shared)
{
	json_t *srv = json_object(), *v;
	struct ngx_srv *s;

	json_object_set_nocheck(srv, "listen",
				json_object_get(ap->out, "listen"));
	if ((v = json_object_get(ap->out, "server_name")) != NULL)
		json_object_set_nocheck(srv, "server_name", v);
	if ((v = json_object_get(ap->out, "client_max_body_size")) != NULL)
		json_object_set_nocheck(srv, "client_max_body_size", v);
	json_object_set_new_nocheck(srv, "tls", json_false());
	json_object_set_new_nocheck(srv, "apps", json_array());
	if (add_tls(b, ap, srv) < 0 || check_conflict(b, ap, srv) < 0) {
		json_decref(srv);
		return -1;
	}
	json_array_append(json_object_get(srv, "apps"), ap->out);
	grow_array((void **)&b->srv, &b->cap_srv, b->n_srv + 1, sizeof *s);
	s = &b->srv[b->n_srv++];
	s->obj = srv;
	s->first = ap->i;
	s->shared = shared;
	return 0;
}

/* Put ap into the shared server block of its "server" and listen, or
 * into a new one. */
int
ngx_add_to_server(struct ngx_build *b, struct ngx_app *ap)
{
	struct ngx_path p, q;
	struct ngx_srv *s;

	if (ngx_pick(b->eco, ap->i, "server", &p) == NULL)
		return open_server(b, ap, false);
	if (ngx_pick(b->eco, ap->i, "server_name", &q) != NULL)
		return ngx_fail(b->eco, &q, b->e, "give either \"server\" "
				"(a server block apps share) or "
				"\"server_name\", not both");
	for (size_t k = 0; k < b->n_srv; k++) {
		s = &b->srv[k];
		if (!s->shared ||
		    strcmp(field(s->obj, "listen"),
			   field(ap->out, "listen")) != 0 ||
		    strcmp(field(s->obj, "server_name"),
			   field(ap->out, "server_name")) != 0)
			continue;
		if (same_setting(b, ap, s, "tls") < 0 ||
		    same_setting(b, ap, s, "client_max_body_size") < 0 ||
		    check_locations(b, ap, s->obj) < 0)
			return -1;
		json_array_append(json_object_get(s->obj, "apps"), ap->out);
		return 0;
	}
	return open_server(b, ap, true);
}

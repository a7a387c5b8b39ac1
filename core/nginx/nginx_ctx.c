/* nginx_ctx.c: the template context of the nginx config, from the ecosystem */
#include "core/nginx/nginx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lib/fileio.h"
#include "core/lib/paths.h"
#include "core/lib/template.h"

/* A checked time or size: a number gets unit (or none). */
static json_t *
measure(json_t *v, const char *unit)
{
	if (json_is_string(v))
		return json_string(json_string_value(v));
	return json_sprintf("%lld%s", ngx_number(v), unit);
}

/* "balance": the method, which nginx allows with backup servers only
 * for round robin and least_conn. */
static int
add_balance(struct ngx_build *b, struct ngx_app *ap)
{
	struct ngx_path p, pb;
	json_t *v = ngx_pick(b->eco, ap->i, "balance", &p);
	enum ngx_balance kind;
	char *directive;

	if (v == NULL)
		return 0;
	kind = ngx_balance_parse(json_string_value(v), &directive);
	if (directive != NULL)
		json_object_set_new_nocheck(ap->out, "balance",
					    json_string(directive));
	free(directive);
	if (kind != NGX_ROUND_ROBIN && kind != NGX_LEAST_CONN &&
	    ngx_pick(b->eco, ap->i, "backup", &pb) != NULL)
		return ngx_fail(b->eco, &pb, b->e, "nginx allows backup "
				"servers only with round_robin or least_conn "
				"balancing, not '%s'", json_string_value(v));
	return 0;
}

/*
 * "params": the parameters every server line of the app shares
 * (" weight=2 max_fails=0"), so that a template with thousands of
 * servers need not look each one up per line.
 */
static void
add_params(json_t *app)
{
	static const char *const keys[] = {
		"weight", "max_fails", "fail_timeout", "max_conns",
	};
	struct strbuf sb = STRBUF_INIT;
	json_t *v;

	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		v = json_object_get(app, keys[k]);
		if (json_is_integer(v))
			strbuf_addf(&sb, " %s=%lld", keys[k],
				    (long long)json_integer_value(v));
		else if (json_is_string(v))
			strbuf_addf(&sb, " %s=%s", keys[k],
				    json_string_value(v));
	}
	json_object_set_new_nocheck(app, "params", json_string(sb.buf));
	strbuf_release(&sb);
}

/* Copy the plain options of ap into its context, converted. */
static void
add_options(struct ngx_build *b, struct ngx_app *ap)
{
	static const char *const ints[] = {
		"weight", "max_fails", "max_conns", "keepalive",
	};
	struct ngx_path p;
	json_t *v;

	/* 0 means "off" for all but max_fails, where it turns off the
	 * marking of failed servers */
	for (size_t k = 0; k < ARRAY_SIZE(ints); k++) {
		v = ngx_pick(b->eco, ap->i, ints[k], &p);
		if (v != NULL && (ngx_number(v) > 0 ||
				  strcmp(ints[k], "max_fails") == 0))
			json_object_set_new_nocheck(ap->out, ints[k],
				json_integer(ngx_number(v)));
	}
	/*
	 * max_fails 0 unless set, here and on a target's hosts. A refused
	 * port costs little to retry (proxy_next_upstream), while nginx's
	 * default (a failed server is skipped for fail_timeout) marks each
	 * instance of a rolling reload or a deploy in turn, until no
	 * server is left ("no live upstreams", 502) though all are up.
	 */
	if (json_object_get(ap->out, "max_fails") == NULL)
		json_object_set_new_nocheck(ap->out, "max_fails",
					    json_integer(0));
	v = ngx_pick(b->eco, ap->i, "next_upstream_tries", &p);
	json_object_set_new_nocheck(ap->out, "next_upstream_tries",
				    json_integer(v ? ngx_number(v) : 3));
	if ((v = ngx_pick(b->eco, ap->i, "fail_timeout", &p)) != NULL)
		json_object_set_new_nocheck(ap->out, "fail_timeout",
					    measure(v, "s"));
	if ((v = ngx_pick(b->eco, ap->i, "client_max_body_size", &p)) != NULL)
		json_object_set_new_nocheck(ap->out, "client_max_body_size",
					    measure(v, ""));
	add_params(ap->out);
}

/* The listen of a server block: the checked value v ("host:port" or
 * a port), else port on every address. A new string. */
char *
ngx_listen_text(json_t *v, int port)
{
	char *host = NULL, *out;

	if (json_is_string(v))
		eco_split_hostport(json_string_value(v), &host, &port);
	else if (v != NULL)
		port = (int)ngx_number(v);
	if (host == NULL)
		return xasprintf("%d", port);
	out = xasprintf(strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
	free(host);
	return out;
}

/* "listen" and "server_name" (or "server") of the server block, and
 * the app's "location" in it. */
static void
add_server_block(struct ngx_build *b, struct ngx_app *ap)
{
	struct ngx_path p;
	json_t *v = ngx_pick(b->eco, ap->i, "listen", &p), *item;
	bool tls = ngx_pick(b->eco, ap->i, "tls", &p) != NULL;
	struct strbuf sb = STRBUF_INIT;
	char *listen = ngx_listen_text(v, tls ? 443 : 80);
	const char *loc;
	size_t k;

	json_object_set_new_nocheck(ap->out, "listen", json_string(listen));
	free(listen);
	v = ngx_pick(b->eco, ap->i, "server", &p);
	if (v == NULL)
		v = ngx_pick(b->eco, ap->i, "server_name", &p);
	json_array_foreach(v, k, item)
		strbuf_addf(&sb, "%s%s", k ? " " : "",
			    json_string_value(item));
	if (json_is_string(v))
		strbuf_addstr(&sb, json_string_value(v));
	if (sb.len > 0)
		json_object_set_new_nocheck(ap->out, "server_name",
					    json_string(sb.buf));
	strbuf_release(&sb);
	v = ngx_pick(b->eco, ap->i, "location", &p);
	loc = v ? json_string_value(v) : "/";
	json_object_set_new_nocheck(ap->out, "location", json_string(loc));
	v = ngx_pick(b->eco, ap->i, "strip_prefix", &p);
	json_object_set_new_nocheck(ap->out, "strip", json_boolean(
		json_is_true(v) && strcmp(loc, "/") != 0));
}

/* "static": a location served from a directory of the app (whose cwd
 * is checked here, as it becomes part of the path). */
static int
add_static(struct ngx_build *b, struct ngx_app *ap)
{
	struct ngx_path p;
	json_t *v = ngx_pick(b->eco, ap->i, "static", &p), *exp;
	const char *dir, *bad;
	char *abs, buf[48];

	if (v == NULL)
		return 0;
	dir = json_string_value(json_object_get(v, "dir"));
	abs = dir[0] == '/' || ap->a->cwd == NULL ? xstrdup(dir) :
	      xasprintf("%s/%s", ap->a->cwd, dir);
	if (abs[strlen(abs) - 1] != '/') {
		char *slash = xasprintf("%s/", abs);

		free(abs);
		abs = slash;
	}
	bad = ngx_unsafe(abs, buf, sizeof buf);
	if (bad != NULL || strchr(abs, '$') != NULL) {
		ngx_path_key(&p, "dir");
		ngx_fail(b->eco, &p, b->e, "the directory '%s' %s", abs,
			 bad ? bad : "contains '$'");
		free(abs);
		return -1;
	}
	exp = json_object_get(v, "expires");
	json_object_set_new_nocheck(ap->out, "static", json_pack(
		"{s:O, s:s, s:o*}", "location", json_object_get(v, "location"),
		"dir", abs, "expires", exp ? measure(exp, "s") : NULL));
	free(abs);
	return 0;
}

/* Set p to apps[i].key. */
static void
app_key(struct ngx_path *p, size_t i, const char *key)
{
	ngx_path_nginx(p, i);
	p->s[p->n - 1].key = key;
}

/* The upstream name: "upstream", else the app's name if it can be. */
static int
add_upstream(struct ngx_build *b, struct ngx_app *ap)
{
	struct ngx_path p;
	json_t *v = ngx_pick(b->eco, ap->i, "upstream", &p), *other;
	const char *name = v ? json_string_value(v) : ap->a->name;
	size_t k;

	if (v == NULL && (name[0] == '\0' || strspn(name,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	    "_-.") != strlen(name))) {
		app_key(&p, ap->i, "name");
		return ngx_fail(b->eco, &p, b->e, "cannot name an nginx "
				"upstream; set \"nginx\": {\"upstream\": "
				"\"NAME\"}");
	}
	json_array_foreach(b->apps, k, other) {
		if (strcmp(json_string_value(json_object_get(other,
				"upstream")), name) != 0)
			continue;
		if (v == NULL)
			app_key(&p, ap->i, "name");
		return ngx_fail(b->eco, &p, b->e, "upstream '%s' is taken by "
				"another app", name);
	}
	json_object_set_new_nocheck(ap->out, "upstream", json_string(name));
	return 0;
}

/* Build the context of app i, appending it to b->apps unless the app
 * is left out (no port or listen, or "enabled": false). */
static int
add_app(struct ngx_build *b, size_t i)
{
	struct ngx_app ap = { .i = i, .a = &b->eco->apps[i] };
	struct ngx_path p;
	json_t *enabled = ngx_pick(b->eco, i, "enabled", &p);
	int rc;

	if (enabled != NULL && !json_is_true(enabled))
		return 0;
	if (ngx_app_endpoint(&ap) != 0) {
		if (ap.a->nginx == NULL)
			return 0;
		ngx_path_nginx(&p, i);
		return ngx_fail(b->eco, &p, b->e, "the app has no \"port\" "
				"or \"listen\" for nginx to proxy to");
	}
	ap.out = json_object();
	rc = add_upstream(b, &ap);
	if (rc == 0) {
		add_server_block(b, &ap);
		rc = add_balance(b, &ap);
	}
	if (rc == 0)
		rc = ngx_add_servers(b, &ap);
	if (rc == 0) {
		add_options(b, &ap);
		rc = add_static(b, &ap);
	}
	if (rc == 0)
		rc = ngx_add_to_server(b, &ap);
	if (rc == 0)
		json_array_append(b->apps, ap.out);
	json_decref(ap.out);
	free(ap.local);
	return rc;
}

/* The root of the context: source, target, whether a map is needed.
 * The names go into a comment only, and are left out when unsafe. */
static json_t *
root(struct ngx_build *b)
{
	const char *base = b->eco->path ? path_base(b->eco->path) : NULL;
	char buf[48];
	json_t *r = json_object(), *app;
	bool keepalive = false;
	size_t k;

	if (base != NULL && ngx_unsafe(base, buf, sizeof buf) == NULL)
		json_object_set_new_nocheck(r, "source", json_string(base));
	if (b->target != NULL &&
	    ngx_unsafe(b->target->name, buf, sizeof buf) == NULL)
		json_object_set_new_nocheck(r, "target",
					    json_string(b->target->name));
	json_array_foreach(b->apps, k, app)
		keepalive |= json_object_get(app, "keepalive") != NULL;
	json_object_set_new_nocheck(r, "keepalive_map",
				    json_boolean(keepalive));
	json_object_set(r, "apps", b->apps);
	json_object_set_new_nocheck(r, "servers", json_array());
	for (k = 0; k < b->n_srv; k++)
		json_array_append(json_object_get(r, "servers"),
				  b->srv[k].obj);
	json_object_set(r, "certificates", b->certs);
	return r;
}

/* The template context of eco's config, on this host or on target's. */
json_t *
nginx_context(const struct ecosystem *eco, const char *target,
	      struct derr *e)
{
	struct ngx_build b = { .eco = eco, .e = e };
	struct nginx_settings s;
	json_t *ctx = NULL;

	if (nginx_settings_read(eco, &s, e) < 0)
		goto out;
	if (target != NULL &&
	    (b.target = ecosystem_target(eco, target)) == NULL) {
		derr_set(e, "%s: no deploy target '%s'", eco->path, target);
		goto out;
	}
	if (b.target != NULL && ngx_target_hosts(&b) < 0)
		goto out;
	b.apps = json_array();
	b.certs = json_array();
	for (size_t i = 0; i < eco->n_apps; i++)
		if (add_app(&b, i) < 0)
			goto out;
	if (json_array_size(b.apps) == 0) {
		derr_set(e, "%s: no app has a \"port\" or \"listen\" for "
			 "nginx to proxy to", eco->path);
		goto out;
	}
	ctx = root(&b);
out:
	nginx_settings_clear(&s);
	json_decref(b.apps);
	json_decref(b.certs);
	for (size_t k = 0; k < b.n_srv; k++)
		json_decref(b.srv[k].obj);
	free(b.srv);
	ngx_pairs_free(&b);
	strv_free(b.hosts);
	return ctx;
}

/* The template to render: override, the file's, or the installed one. */
char *
nginx_template_path(const struct nginx_settings *s, const char *override,
		    struct derr *e)
{
	if (override != NULL)
		return xstrdup(override);
	if (s != NULL && s->template_path != NULL)
		return xstrdup(s->template_path);
	return template_find(NGINX_TEMPLATE, e);
}

/* Load the template at path and render ctx with it into out. */
int
nginx_render(json_t *ctx, const char *tmpl_path, struct strbuf *out,
	     struct derr *e)
{
	struct template *t = template_load(tmpl_path, e);
	int rc;

	if (t == NULL)
		return -1;
	rc = template_render(t, ctx, out, e);
	template_free(t);
	return rc;
}

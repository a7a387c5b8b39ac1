/* nginx_ctx.c: the template context of the nginx config, from the ecosystem */
#include "nginx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paths.h"
#include "template.h"

/* What the whole config is being built for. */
struct build {
	const struct ecosystem *eco;
	const struct eco_target *target;	/* NULL: this host */
	char **hosts;		/* target: its hosts as nginx writes them */
	json_t *apps;		/* the "apps" built so far */
	struct derr *e;
};

/* One app being built. */
struct app {
	size_t i;
	const struct eco_app *a;
	int port;		/* of instance 0, or of the listen socket */
	int per_host;		/* server lines per host */
	bool listen;		/* one shared socket */
	char *local;		/* the local host of the servers */
	json_t *out;
};

/* The value of key for app i: its own, else the top level's; where
 * tells which. NULL when neither is set (null counts as not set). */
static json_t *
pick(const struct ecosystem *eco, size_t i, const char *key,
     struct ngx_path *where)
{
	json_t *v = json_object_get(eco->apps[i].nginx, key);
	size_t from = i;

	if (v == NULL || json_is_null(v)) {
		v = json_object_get(eco->nginx, key);
		from = NGX_TOP;
	}
	if (v == NULL || json_is_null(v))
		return NULL;
	ngx_path_nginx(where, from);
	ngx_path_key(where, key);
	return v;
}

/* A checked number value as a long long. */
static long long
number(json_t *v)
{
	return json_is_integer(v) ? json_integer_value(v) :
	       (long long)json_real_value(v);
}

/* A checked time or size: a number gets unit (or none). */
static json_t *
measure(json_t *v, const char *unit)
{
	if (json_is_string(v))
		return json_string(json_string_value(v));
	return json_sprintf("%lld%s", number(v), unit);
}

/* "HOST:PORT" for nginx, with IPv6 hosts in brackets. */
static char *
address(const char *host, int port)
{
	return xasprintf(strchr(host, ':') ? "[%s]:%d" : "%s:%d", host,
			 port);
}

/* Check the target's hosts and keep them as nginx will name them. */
static int
target_hosts(struct build *b)
{
	const struct eco_target *t = b->target;
	const char *name, *at;
	struct ngx_path p = { .n = 0 };

	b->hosts = xcalloc(t->n_hosts + 1, sizeof *b->hosts);
	for (size_t j = 0; j < t->n_hosts; j++) {
		name = t->hosts[j].name;
		at = strrchr(name, '@');
		name = at != NULL ? at + 1 : name;	/* "user@host" */
		b->hosts[j] = xstrdup(name);
		if (ngx_is_host(name))
			continue;
		ngx_path_key(&p, "deploy");
		ngx_path_key(&p, t->name);
		ngx_path_key(&p, "host");
		if (t->n_hosts > 1)
			ngx_path_index(&p, j);
		return ngx_fail(b->eco, &p, b->e, "'%s' is not a host nginx "
				"can reach", name);
	}
	return 0;
}

/* Where app's workers listen: a port range on the local host, or one
 * socket. 0, or 1 when the app has neither (nothing to proxy). */
static int
app_endpoint(struct app *ap)
{
	char *host = NULL;

	if (ap->a->listen != NULL &&
	    eco_split_hostport(ap->a->listen, &host, &ap->port) == 0) {
		ap->listen = true;
		ap->per_host = 1;
		if (host == NULL || strcmp(host, "0.0.0.0") == 0)
			ap->local = xstrdup("127.0.0.1");
		else if (strcmp(host, "::") == 0)
			ap->local = xstrdup("::1");
		else
			ap->local = xstrdup(host);
		free(host);
		return 0;
	}
	free(host);
	if (ap->a->port <= 0)
		return 1;
	ap->per_host = ap->a->instances;
	ap->local = xstrdup("127.0.0.1");
	return 0;
}

/* Whether the marks (backup or down) name host h or instance i. */
static bool
marked(json_t *marks, const char *h, int i)
{
	size_t n = json_is_array(marks) ? json_array_size(marks) : 1;
	json_t *m;

	for (size_t k = 0; marks != NULL && k < n; k++) {
		m = json_is_array(marks) ? json_array_get(marks, k) : marks;
		if (json_is_string(m) && strcmp(json_string_value(m), h) == 0)
			return true;
		if (json_is_number(m) && number(m) == i)
			return true;
	}
	return false;
}

/* Check that each mark names a host of the target and an instance. */
static int
check_marks(struct build *b, struct app *ap, json_t *marks,
	    struct ngx_path *p)
{
	size_t n = json_is_array(marks) ? json_array_size(marks) : 1;
	bool found;
	json_t *m;

	for (size_t k = 0; k < n; k++) {
		m = json_is_array(marks) ? json_array_get(marks, k) : marks;
		if (json_is_array(marks))
			ngx_path_index(p, k);
		if (json_is_number(m) && number(m) >= ap->per_host)
			return ngx_fail(b->eco, p, b->e, "no instance %lld "
					"(the app has %d server%s per host)",
					number(m), ap->per_host,
					ap->per_host == 1 ? "" : "s");
		found = b->hosts == NULL || !json_is_string(m);
		for (size_t j = 0; !found && b->hosts[j] != NULL; j++)
			found = !strcmp(b->hosts[j], json_string_value(m));
		if (!found)
			return ngx_fail(b->eco, p, b->e, "'%s' is not a host "
					"of target '%s'", json_string_value(m),
					b->target->name);
		if (json_is_array(marks))
			p->n--;
	}
	return 0;
}

/* Add the "servers" of ap: every instance on every host. */
static int
add_servers(struct build *b, struct app *ap)
{
	struct ngx_path pb, pd;
	json_t *backup = pick(b->eco, ap->i, "backup", &pb);
	json_t *down = pick(b->eco, ap->i, "down", &pd);
	json_t *servers = json_array(), *s;
	char *one[] = { ap->local, NULL }, **hosts = b->hosts ? b->hosts : one;
	bool live = false, is_backup, is_down;
	char *addr;

	if ((backup && check_marks(b, ap, backup, &pb) < 0) ||
	    (down && check_marks(b, ap, down, &pd) < 0)) {
		json_decref(servers);
		return -1;
	}
	for (size_t h = 0; hosts[h] != NULL; h++) {
		for (int i = 0; i < ap->per_host; i++) {
			addr = address(hosts[h], ap->port + i);
			s = json_object();
			json_object_set_new_nocheck(s, "address",
						    json_string_nocheck(addr));
			free(addr);
			is_backup = marked(backup, hosts[h], i);
			is_down = marked(down, hosts[h], i);
			if (is_backup)
				json_object_set_new_nocheck(s, "backup",
							    json_true());
			if (is_down)
				json_object_set_new_nocheck(s, "down",
							    json_true());
			live |= !is_backup && !is_down;
			json_array_append_new(servers, s);
		}
	}
	json_object_set_new_nocheck(ap->out, "servers", servers);
	if (!live)
		return ngx_fail(b->eco, backup ? &pb : &pd, b->e, "leaves no "
				"server that is neither backup nor down");
	return 0;
}

/* "balance": the method, which nginx allows with backup servers only
 * for round robin and least_conn. */
static int
add_balance(struct build *b, struct app *ap)
{
	struct ngx_path p, pb;
	json_t *v = pick(b->eco, ap->i, "balance", &p);
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
	    pick(b->eco, ap->i, "backup", &pb) != NULL)
		return ngx_fail(b->eco, &pb, b->e, "nginx allows backup "
				"servers only with round_robin or least_conn "
				"balancing, not '%s'", json_string_value(v));
	return 0;
}

/* Copy the plain options of ap into its context, converted. */
static void
add_options(struct build *b, struct app *ap)
{
	static const char *const ints[] = {
		"weight", "max_fails", "max_conns", "keepalive",
	};
	struct ngx_path p;
	json_t *v;

	/* 0 means "off" for all but max_fails, where it turns off the
	 * marking of failed servers */
	for (size_t k = 0; k < ARRAY_SIZE(ints); k++) {
		v = pick(b->eco, ap->i, ints[k], &p);
		if (v != NULL && (number(v) > 0 ||
				  strcmp(ints[k], "max_fails") == 0))
			json_object_set_new_nocheck(ap->out, ints[k],
						    json_integer(number(v)));
	}
	v = pick(b->eco, ap->i, "next_upstream_tries", &p);
	json_object_set_new_nocheck(ap->out, "next_upstream_tries",
				    json_integer(v ? number(v) : 3));
	if ((v = pick(b->eco, ap->i, "fail_timeout", &p)) != NULL)
		json_object_set_new_nocheck(ap->out, "fail_timeout",
					    measure(v, "s"));
	if ((v = pick(b->eco, ap->i, "client_max_body_size", &p)) != NULL)
		json_object_set_new_nocheck(ap->out, "client_max_body_size",
					    measure(v, ""));
}

/* "listen" and "server_name" of the server block. */
static void
add_server_block(struct build *b, struct app *ap)
{
	struct ngx_path p;
	json_t *v = pick(b->eco, ap->i, "listen", &p), *item;
	struct strbuf sb = STRBUF_INIT;
	char *host = NULL;
	int port = 80;
	size_t k;

	if (json_is_string(v))
		eco_split_hostport(json_string_value(v), &host, &port);
	else if (v != NULL)
		port = (int)number(v);
	if (host != NULL)
		strbuf_addstr(&sb, strchr(host, ':') ? "[" : "");
	strbuf_addf(&sb, "%s%s%d", host ? host : "",
		    host ? (strchr(host, ':') ? "]:" : ":") : "", port);
	free(host);
	json_object_set_new_nocheck(ap->out, "listen",
				    json_string(sb.buf));
	strbuf_reset(&sb);
	v = pick(b->eco, ap->i, "server_name", &p);
	json_array_foreach(v, k, item)
		strbuf_addf(&sb, "%s%s", k ? " " : "",
			    json_string_value(item));
	if (json_is_string(v))
		strbuf_addstr(&sb, json_string_value(v));
	if (sb.len > 0)
		json_object_set_new_nocheck(ap->out, "server_name",
					    json_string(sb.buf));
	strbuf_release(&sb);
}

/* "static": a location served from a directory of the app. */
static void
add_static(struct build *b, struct app *ap)
{
	struct ngx_path p;
	json_t *v = pick(b->eco, ap->i, "static", &p), *exp;
	const char *dir;
	char *abs;

	if (v == NULL)
		return;
	dir = json_string_value(json_object_get(v, "dir"));
	abs = dir[0] == '/' || ap->a->cwd == NULL ? xstrdup(dir) :
	      xasprintf("%s/%s", ap->a->cwd, dir);
	if (abs[strlen(abs) - 1] != '/') {
		char *slash = xasprintf("%s/", abs);

		free(abs);
		abs = slash;
	}
	exp = json_object_get(v, "expires");
	json_object_set_new_nocheck(ap->out, "static", json_pack(
		"{s:O, s:s, s:o*}", "location", json_object_get(v, "location"),
		"dir", abs, "expires", exp ? measure(exp, "s") : NULL));
	free(abs);
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
add_upstream(struct build *b, struct app *ap)
{
	struct ngx_path p;
	json_t *v = pick(b->eco, ap->i, "upstream", &p), *other;
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

/* The listen or server name of an app's context ("" when none). */
static const char *
field(json_t *app, const char *key)
{
	const char *s = json_string_value(json_object_get(app, key));

	return s ? s : "";
}

/* Fail when another app's server block has the same listen and one of
 * the same server names (nginx would only warn, and send every request
 * for that name to the first). */
static int
check_conflict(struct build *b, struct app *ap)
{
	struct ngx_path p;
	char name[256];
	json_t *other;
	size_t k;

	json_array_foreach(b->apps, k, other) {
		if (strcmp(field(other, "listen"), field(ap->out, "listen")) ||
		    !share_word(field(ap->out, "server_name"),
				field(other, "server_name"), name,
				sizeof name))
			continue;
		if (pick(b->eco, ap->i, "server_name", &p) == NULL &&
		    pick(b->eco, ap->i, "listen", &p) == NULL)
			ngx_path_nginx(&p, ap->i);
		return ngx_fail(b->eco, &p, b->e, "listen %s with server name "
				"'%s' is taken by upstream '%s'",
				field(ap->out, "listen"), name,
				field(other, "upstream"));
	}
	return 0;
}

/* Build the context of app i, appending it to b->apps unless the app
 * is left out (no port or listen, or "enabled": false). */
static int
add_app(struct build *b, size_t i)
{
	struct app ap = { .i = i, .a = &b->eco->apps[i] };
	struct ngx_path p;
	json_t *enabled = pick(b->eco, i, "enabled", &p);
	int rc;

	if (enabled != NULL && !json_is_true(enabled))
		return 0;
	if (app_endpoint(&ap) != 0) {
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
		rc = check_conflict(b, &ap);
	}
	if (rc == 0)
		rc = add_balance(b, &ap);
	if (rc == 0)
		rc = add_servers(b, &ap);
	if (rc == 0) {
		add_options(b, &ap);
		add_static(b, &ap);
		json_array_append(b->apps, ap.out);
	}
	json_decref(ap.out);
	free(ap.local);
	return rc;
}

/* The root of the context: source, target, whether a map is needed. */
static json_t *
root(struct build *b)
{
	const char *base = b->eco->path ? strrchr(b->eco->path, '/') : NULL;
	char buf[48];
	json_t *r = json_object(), *app;
	bool keepalive = false;
	size_t k;

	base = base ? base + 1 : b->eco->path;
	if (base != NULL && ngx_unsafe(base, buf, sizeof buf) == NULL)
		json_object_set_new_nocheck(r, "source", json_string(base));
	if (b->target != NULL)
		json_object_set_new_nocheck(r, "target",
					    json_string(b->target->name));
	json_array_foreach(b->apps, k, app)
		keepalive |= json_object_get(app, "keepalive") != NULL;
	json_object_set_new_nocheck(r, "keepalive_map",
				    json_boolean(keepalive));
	json_object_set(r, "apps", b->apps);
	return r;
}

/* The template context of eco's config, on this host or on target's. */
json_t *
nginx_context(const struct ecosystem *eco, const char *target,
	      struct derr *e)
{
	struct build b = { .eco = eco, .e = e };
	struct nginx_settings s;
	json_t *ctx = NULL;

	if (nginx_settings_read(eco, &s, e) < 0)
		goto out;
	if (target != NULL &&
	    (b.target = ecosystem_target(eco, target)) == NULL) {
		derr_set(e, "%s: no deploy target '%s'", eco->path, target);
		goto out;
	}
	if (b.target != NULL && target_hosts(&b) < 0)
		goto out;
	b.apps = json_array();
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

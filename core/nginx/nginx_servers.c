/* nginx_servers.c: the servers of each upstream, on this host or a target's */
#include "core/nginx/nginx_int.h"

#include <stdlib.h>
#include <string.h>

json_t *
ngx_pick(const struct ecosystem *eco, size_t i, const char *key,
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

long long
ngx_number(json_t *v)
{
	return json_is_integer(v) ? json_integer_value(v) :
	       (long long)json_real_value(v);
}

/* Check the target's hosts and keep them as nginx will name them. */
int
ngx_target_hosts(struct ngx_build *b)
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
int
ngx_app_endpoint(struct ngx_app *ap)
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
	ap->port = ap->a->port;
	ap->per_host = ap->a->instances;
	ap->local = xstrdup("127.0.0.1");
	return 0;
}

/* Whether the marks (backup or down) name host h (h not NULL) or
 * instance i (h NULL). */
static bool
marked(json_t *marks, const char *h, int i)
{
	size_t n = json_is_array(marks) ? json_array_size(marks) : 1;
	json_t *m;

	for (size_t k = 0; marks != NULL && k < n; k++) {
		m = json_is_array(marks) ? json_array_get(marks, k) : marks;
		if (h != NULL && json_is_string(m) &&
		    strcmp(json_string_value(m), h) == 0)
			return true;
		if (h == NULL && json_is_number(m) && ngx_number(m) == i)
			return true;
	}
	return false;
}

/* Set "backup" and "down" on o (a host or a port) as marked; true
 * when it has neither. */
static bool
set_marks(json_t *o, json_t *backup, json_t *down, const char *h, int i)
{
	bool b = marked(backup, h, i), d = marked(down, h, i);

	if (b)
		json_object_set_new_nocheck(o, "backup", json_true());
	if (d)
		json_object_set_new_nocheck(o, "down", json_true());
	return !b && !d;
}

/* Check that each mark names a host of the target and an instance. */
static int
check_marks(struct ngx_build *b, struct ngx_app *ap, json_t *marks,
	    struct ngx_path *p)
{
	size_t n = json_is_array(marks) ? json_array_size(marks) : 1;
	bool found;
	json_t *m;

	for (size_t k = 0; k < n; k++) {
		m = json_is_array(marks) ? json_array_get(marks, k) : marks;
		if (json_is_array(marks))
			ngx_path_index(p, k);
		if (json_is_number(m) && ngx_number(m) >= ap->per_host)
			return ngx_fail(b->eco, p, b->e, "no instance %lld "
					"(the app has %d server%s per host)",
					ngx_number(m), ap->per_host,
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

/*
 * Add the servers of ap: "hosts" (each {host}, IPv6 in brackets) and
 * "ports" (each {port}), every port on every host, which a template
 * walks as two nested loops; a host or a port may carry "backup" and
 * "down", so that inside both loops those names mean either. The
 * context grows with hosts + instances, not their product.
 */
int
ngx_add_servers(struct ngx_build *b, struct ngx_app *ap)
{
	struct ngx_path pb, pd;
	json_t *backup = ngx_pick(b->eco, ap->i, "backup", &pb);
	json_t *down = ngx_pick(b->eco, ap->i, "down", &pd);
	json_t *hosts_out, *ports_out, *o;
	char *one[] = { ap->local, NULL }, **hosts = b->hosts ? b->hosts : one;
	bool host_live = false, port_live = false;

	if ((backup && check_marks(b, ap, backup, &pb) < 0) ||
	    (down && check_marks(b, ap, down, &pd) < 0))
		return -1;
	hosts_out = json_array();
	for (size_t h = 0; hosts[h] != NULL; h++) {
		o = json_object();
		json_object_set_new_nocheck(o, "host", strchr(hosts[h], ':') ?
			json_sprintf("[%s]", hosts[h]) :
			json_string(hosts[h]));
		host_live |= set_marks(o, backup, down, hosts[h], 0);
		json_array_append_new(hosts_out, o);
	}
	ports_out = json_array();
	for (int i = 0; i < ap->per_host; i++) {
		o = json_object();
		json_object_set_new_nocheck(o, "port",
					    json_integer(ap->port + i));
		port_live |= set_marks(o, backup, down, NULL, i);
		json_array_append_new(ports_out, o);
	}
	json_object_set_new_nocheck(ap->out, "hosts", hosts_out);
	json_object_set_new_nocheck(ap->out, "ports", ports_out);
	if (!host_live || !port_live)
		return ngx_fail(b->eco, backup ? &pb : &pd, b->e, "leaves no "
				"server that is neither backup nor down");
	return 0;
}

/* eco_app_check.c: the checks across apps: unique names, no shared port */
#include "core/eco/eco_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A port or ports an app takes, to find clashes between apps. */
struct claim {
	bool listen;		/* listen address, else port range */
	char *host;		/* listen host */
	int lo, hi;
};

/* What app a takes: its port range and its listen address. */
static size_t
claims(const struct eco_app *a, struct claim out[2])
{
	size_t n = 0;
	int port;

	if (a->port > 0) {
		out[n].listen = false;
		out[n].host = NULL;
		out[n].lo = a->port;
		out[n++].hi = a->port + a->instances - 1;
	}
	if (a->listen != NULL &&
	    eco_split_hostport(a->listen, &out[n].host, &port) == 0) {
		out[n].listen = true;
		out[n].lo = out[n].hi = port;
		n++;
	}
	return n;
}

/* Whether a listen host means every address. */
static bool
wildcard(const char *host)
{
	return strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0;
}

/* Whether two claims take the same port. */
static bool
clash(const struct claim *x, const struct claim *y)
{
	if (x->hi < y->lo || y->hi < x->lo)
		return false;
	if (!x->listen || !y->listen)
		return true;
	return strcmp(x->host, y->host) == 0 || wildcard(x->host) ||
	       wildcard(y->host);
}

/* Describe a claim of app a: "3000-3003", "3000" or the address. */
static void
describe(const struct eco_app *a, const struct claim *k, char *buf,
	 size_t size)
{
	if (k->listen)
		snprintf(buf, size, "%s", a->listen);
	else if (k->lo == k->hi)
		snprintf(buf, size, "%d", k->lo);
	else
		snprintf(buf, size, "%d-%d", k->lo, k->hi);
}

/* Fail at app j's claim k, which clashes with claim o of app i. */
static int
fail_clash(struct eco_ctx *c, size_t j, const struct claim *k, size_t i,
	   const struct claim *o)
{
	const struct eco_app *a = &c->eco->apps[j], *b = &c->eco->apps[i];
	char mine[64], theirs[64];
	size_t depth = c->depth;

	describe(a, k, mine, sizeof mine);
	describe(b, o, theirs, sizeof theirs);
	eco_push_app(c, j);
	if (k->listen) {
		eco_push_key(c, "listen");
		eco_fail(c, "address %s clashes with app '%s' (%s)", mine,
			 b->name, theirs);
	} else {
		eco_push_port(c, &c->st[j]);
		eco_fail(c, "port%s %s overlap%s app '%s' (%s)",
			 k->lo == k->hi ? "" : "s", mine,
			 k->lo == k->hi ? "s" : "", b->name, theirs);
	}
	c->depth = depth;
	return -1;
}

/* Free the hosts of claims. */
static void
claims_free(struct claim *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(k[i].host);
}

/* Check that no two apps take the same port or address. */
int
eco_check_ports(struct eco_ctx *c)
{
	struct claim ki[2], kj[2];
	size_t ni, nj, i, j, x, y;
	int rc = 0;

	for (j = 1; j < c->eco->n_apps && rc == 0; j++) {
		nj = claims(&c->eco->apps[j], kj);
		for (i = 0; i < j && rc == 0; i++) {
			ni = claims(&c->eco->apps[i], ki);
			for (y = 0; y < nj && rc == 0; y++)
				for (x = 0; x < ni && rc == 0; x++)
					if (clash(&kj[y], &ki[x]))
						rc = fail_clash(c, j, &kj[y],
								i, &ki[x]);
			claims_free(ki, ni);
		}
		claims_free(kj, nj);
	}
	return rc;
}

/* Check that app names are unique. */
int
eco_check_names(struct eco_ctx *c)
{
	const struct eco_app *apps = c->eco->apps;
	size_t depth = c->depth;
	char where[256];

	for (size_t j = 1; j < c->eco->n_apps; j++) {
		for (size_t i = 0; i < j; i++) {
			if (strcmp(apps[i].name, apps[j].name) != 0)
				continue;
			eco_push_app(c, i);
			jsonpos_format(c->path, c->depth, where, sizeof where);
			c->depth = depth;
			eco_push_app(c, j);
			return eco_fail_key(c, c->st[j].obj,
					    eco_name_key(c->st[j].obj),
					    "duplicate app name '%s' (also "
					    "%s)", apps[j].name, where);
		}
	}
	return 0;
}


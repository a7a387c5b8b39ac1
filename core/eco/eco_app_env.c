/* eco_app_env.c: an app's env and the port it gives, shared or not */
#include "core/eco/eco_int.h"
#include "core/lib/fileio.h"
#include "core/lib/paths.h"

#include <stdlib.h>
#include <string.h>

/* Which of env and env_<E> sets var last ("env_<E>", "env" or NULL). */
static const char *
env_source(const struct eco_appstate *st, const char *var)
{
	if (st->overlay != NULL && json_object_get(st->overlay, var) != NULL)
		return st->overlay_key;
	if (st->env != NULL && json_object_get(st->env, var) != NULL)
		return "env";
	return NULL;
}

/* Go to where the app's port was written. */
void
eco_push_port(struct eco_ctx *c, const struct eco_appstate *st)
{
	for (size_t i = 0; i < st->n_port_path; i++)
		eco_push_key(c, st->port_path[i]);
}

/* Apply env then env_<E>; take the port from env as PM2 would. */
int
eco_finish_env(struct eco_ctx *c, struct eco_app *a, struct eco_appstate *st)
{
	size_t depth = c->depth;
	const char *from, *val;
	int n;

	if (st->env != NULL) {
		eco_push_key(c, "env");
		eco_want_env(c, st->env, &a->env);
		c->depth = depth;
	}
	if (st->overlay != NULL) {
		eco_push_key(c, st->overlay_key);
		eco_want_env(c, st->overlay, &a->env);
		c->depth = depth;
	}
	from = env_source(st, a->increment_var);
	val = eco_env_get(&a->env, a->increment_var);
	if (a->port > 0 || from == NULL || val == NULL)
		return 0;
	eco_push_key(c, from);
	eco_push_key(c, a->increment_var);
	if (st->has_increment_var && (n = eco_port_string(val)) != 0) {
		a->port = n;
		st->port_path[0] = from;
		st->port_path[1] = a->increment_var;
		st->n_port_path = 2;
	} else if (a->instances > 1 && a->listen == NULL) {
		st->same_port_from = from;	/* see eco_share_port */
	}
	c->depth = depth;
	return 0;
}

/* Whether the app runs with node. */
bool
eco_runs_node(const struct eco_app *a)
{
	return a->interpreter != NULL &&
		strncmp(path_base(a->interpreter), "node", 4) == 0;
}

/*
 * Every instance gets the same PORT from env. A Node app in cluster
 * mode then shares it as under PM2's cluster master: the daemon binds
 * it once ("listen" on all addresses) and templates/node-cluster.js,
 * loaded through NODE_OPTIONS, makes the app's listen(PORT) take that
 * socket. Anything else gets a warning: the instances would clash.
 */
void
eco_share_port(struct eco_ctx *c, struct eco_app *a, struct eco_appstate *st)
{
	const char *val = eco_env_get(&a->env, a->increment_var);
	const char *opts = eco_env_get(&a->env, "NODE_OPTIONS");
	size_t depth = c->depth;
	char *preload = NULL, *v;
	struct derr e;
	int port;

	if (st->same_port_from == NULL)
		return;
	port = eco_port_string(val);
	if (a->exec_mode == ECO_CLUSTER && eco_runs_node(a) && port != 0 &&
	    (preload = template_find("node-cluster.js", &e)) != NULL) {
		a->listen = xasprintf("0.0.0.0:%d", port);
		v = xasprintf("%s%s--require \"%s\"", opts ? opts : "",
			      opts ? " " : "", preload);
		eco_env_set(&a->env, "NODE_OPTIONS", v);
		eco_env_set(&a->env, "DEPLOY_SHARED_PORT", val);
		free(v);
		free(preload);
		return;
	}
	eco_push_key(c, st->same_port_from);
	eco_push_key(c, a->increment_var);
	eco_warn(c, "all %d instances get the same %s; set \"port\" "
		 "(instance i gets port + i) or \"listen\"", a->instances,
		 a->increment_var);
	c->depth = depth;
}


/* eco_deploy.c: read the deploy targets of an ecosystem file */
#include "core/eco/eco_int.h"

#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Add one "host" or "host:port" to t (port 0: the target's port). */
static int
add_host(struct eco_ctx *c, struct eco_target *t, json_t *v)
{
	char *host = NULL;
	int port = 0;

	if (!json_is_string(v) ||
	    eco_split_hostport(json_string_value(v), &host, &port) < 0 ||
	    host == NULL) {
		free(host);
		return eco_fail(c, "expected \"host\" or \"host:port\"");
	}
	t->hosts = xrealloc(t->hosts, (t->n_hosts + 1) * sizeof *t->hosts);
	t->hosts[t->n_hosts].name = host;
	t->hosts[t->n_hosts].port = port;
	t->n_hosts++;
	return 0;
}

/* Drop the hosts of t. */
static void
clear_hosts(struct eco_target *t)
{
	for (size_t i = 0; i < t->n_hosts; i++)
		free(t->hosts[i].name);
	free(t->hosts);
	t->hosts = NULL;
	t->n_hosts = 0;
}

/* "host": a host or an array of them, each maybe with ":port". */
static int
target_host(struct eco_ctx *c, void *obj, json_t *v)
{
	struct eco_target *t = obj;
	json_t *item;
	size_t i;

	clear_hosts(t);
	if (!json_is_array(v))
		return add_host(c, t, v);
	if (json_array_size(v) == 0)
		return eco_fail(c, "expected at least one host");
	json_array_foreach(v, i, item) {
		eco_push_index(c, i);
		if (add_host(c, t, item) < 0)
			return -1;
		c->depth--;
	}
	return 0;
}

/* "port": the ssh port of hosts that do not name their own. */
static int
target_port(struct eco_ctx *c, void *obj, json_t *v)
{
	(void)obj;
	return eco_want_port(c, v, &c->target_port);
}

/* "env": variables for the remote hooks. */
static int
target_env(struct eco_ctx *c, void *obj, json_t *v)
{
	struct eco_target *t = obj;

	eco_env_free(&t->env);
	return eco_want_env(c, v, &t->env);
}

/* "on_failure": "rollback" (each failed host alone, the default) or
 * "rollback_all" (every switched host back when one fails). */
static int
target_on_failure(struct eco_ctx *c, void *obj, json_t *v)
{
	struct eco_target *t = obj;
	const char *s = json_string_value(v);

	if (s != NULL && strcmp(s, "rollback") == 0)
		t->rollback_all = false;
	else if (s != NULL && strcmp(s, "rollback_all") == 0)
		t->rollback_all = true;
	else
		return eco_fail(c, "expected \"rollback\" or "
				"\"rollback_all\"");
	return 0;
}

/* "health": the URL checked before a release is kept, or {"url": URL,
 * "from": "here" or "host" (checked on the host, over SSH)}. */
static int
target_health(struct eco_ctx *c, void *obj, json_t *v)
{
	struct eco_target *t = obj;
	size_t depth = c->depth;
	const char *key, *from;
	json_t *val;

	if (!json_is_object(v))
		return eco_want_url(c, v, &t->health);
	json_object_foreach(v, key, val) {
		eco_push_key(c, key);
		if (strcmp(key, "url") == 0) {
			if (eco_want_url(c, val, &t->health) < 0)
				return -1;
		} else if (strcmp(key, "from") == 0) {
			from = json_string_value(val);
			if (from == NULL || (strcmp(from, "here") != 0 &&
					     strcmp(from, "host") != 0))
				return eco_fail(c, "expected \"here\" or "
						"\"host\"");
			t->health_from_host = strcmp(from, "host") == 0;
		} else {
			return eco_fail(c, "unknown key (url, from)");
		}
		c->depth = depth;
	}
	if (t->health == NULL)
		return eco_fail(c, "missing \"url\"");
	return 0;
}

/* Whether the shell command s runs pm2 (as a command word). */
static bool
runs_pm2(const char *s)
{
	for (const char *p = strstr(s, "pm2"); p != NULL;
	     p = strstr(p + 3, "pm2"))
		if ((p == s || strchr(" \t;&|(", p[-1]) != NULL) &&
		    (p[3] == ' ' || p[3] == '\t' || p[3] == '\0'))
			return true;
	return false;
}

/* "post-deploy": a warning when it runs pm2, which deploy replaces. */
static int
target_post_deploy(struct eco_ctx *c, void *obj, json_t *v)
{
	struct eco_target *t = obj;

	if (eco_want_string(c, v, false, &t->post_deploy) < 0)
		return -1;
	if (runs_pm2(t->post_deploy))
		eco_warn(c, "runs pm2: with deploy, end it with 'deploy up "
			 "--env %s --wait' instead (what deploy runs when "
			 "post-deploy is not set)", t->name);
	return 0;
}

#define T(m) offsetof(struct eco_target, m)
#define STR(k, m) { k, ECO_F_STR, T(m), 0, 0, NULL, false }
#define NONEMPTY(k, m) { k, ECO_F_NONEMPTY, T(m), 0, 0, NULL, false }
#define LIST(k, m) { k, ECO_F_LIST, T(m), 0, 0, NULL, false }
static const struct eco_field target_fields[] = {
	NONEMPTY("user", user),
	{ "host", ECO_F_FN, .fn = target_host },
	{ "port", ECO_F_FN, .fn = target_port },
	NONEMPTY("key", key),
	NONEMPTY("ref", ref),
	NONEMPTY("repo", repo),
	NONEMPTY("path", path),
	LIST("ssh_options", ssh_options),
	STR("pre-setup", pre_setup),
	STR("post-setup", post_setup),
	STR("pre-deploy-local", pre_deploy_local),
	STR("pre-deploy", pre_deploy),
	{ "post-deploy", ECO_F_FN, .fn = target_post_deploy },
	{ "env", ECO_F_FN, .fn = target_env },
	{ "keep_releases", ECO_F_INT, T(keep_releases), 1, 1000, NULL,
	  false },
	{ "parallel", ECO_F_INT, T(parallel), 0, INT_MAX, NULL, false },
	{ "canary", ECO_F_INT, T(canary), 0, INT_MAX, NULL, false },
	{ "on_failure", ECO_F_FN, .fn = target_on_failure },
	{ "health", ECO_F_FN, .fn = target_health },
	{ "health_timeout", ECO_F_MS, T(health_timeout), 0, 0, NULL, false },
	LIST("shared_dirs", shared_dirs),
	LIST("shared_files", shared_files),
	{ "upload", ECO_F_BOOL, T(upload), 0, 0, NULL, false },
	/* pm2-deploy settings we do not act on */
	{ "forward-agent", ECO_F_UNUSED, 0, 0, 0, NULL, false },
	{ "test", ECO_F_UNUSED, 0, 0, 0, NULL, false },
	{ "needs_tty", ECO_F_QUIET, 0, 0, 0, NULL, false },
	{ "fetch", ECO_F_QUIET, 0, 0, 0, NULL, false },
};

/* Fill t with the defaults. */
static void
target_init(struct eco_target *t, const char *name)
{
	memset(t, 0, sizeof *t);
	t->name = xstrdup(name);
	t->ssh_options = xcalloc(1, sizeof *t->ssh_options);
	t->shared_dirs = xcalloc(1, sizeof *t->shared_dirs);
	t->shared_files = xcalloc(1, sizeof *t->shared_files);
	t->keep_releases = 5;
	t->health_timeout = 30000;
}

/* Free what a target holds. */
void
eco_target_clear(struct eco_target *t)
{
	free(t->name);
	free(t->user);
	clear_hosts(t);
	free(t->key);
	free(t->ref);
	free(t->repo);
	free(t->path);
	strv_free(t->ssh_options);
	free(t->pre_setup);
	free(t->post_setup);
	free(t->pre_deploy_local);
	free(t->pre_deploy);
	free(t->post_deploy);
	eco_env_free(&t->env);
	free(t->health);
	strv_free(t->shared_dirs);
	strv_free(t->shared_files);
}

/*
 * Check what a target must have; default the rest. A target without
 * host, path or repo (PM2's template leaves them out) is only warned
 * about, as PM2 reads them only when deploying: 1 drops it.
 */
static int
finish_target(struct eco_ctx *c, struct eco_target *t)
{
	const char *missing = t->n_hosts == 0 ? "\"host\"" :
			      t->path == NULL ? "\"path\"" :
			      t->repo == NULL && !t->upload ?
			      "\"repo\" (or \"upload\": true)" : NULL;

	if (missing != NULL) {
		eco_warn(c, "missing %s: this target is ignored until it "
			 "has one", missing);
		return 1;
	}
	if (t->ref == NULL)
		t->ref = xstrdup("origin/main");
	if (c->target_port == 0)
		c->target_port = 22;
	for (size_t i = 0; i < t->n_hosts; i++)
		if (t->hosts[i].port == 0)
			t->hosts[i].port = c->target_port;
	return 0;
}

/* Read "deploy": an object of targets. */
int
eco_parse_deploy(struct eco_ctx *c, json_t *deploy)
{
	size_t depth = c->depth;
	struct eco_target *t;
	const char *name;
	json_t *obj;
	int rc;

	if (!json_is_object(deploy))
		return eco_fail(c, "expected an object of deploy targets");
	c->eco->targets = xcalloc(json_object_size(deploy) + 1,
				  sizeof *c->eco->targets);
	json_object_foreach(deploy, name, obj) {
		eco_push_key(c, name);
		if (*name == '\0')
			return eco_fail(c, "a target name must not be empty");
		if (!json_is_object(obj))
			return eco_fail(c, "expected an object");
		t = &c->eco->targets[c->eco->n_targets++];
		target_init(t, name);
		c->target_port = 0;
		if (eco_apply_fields(c, target_fields,
				     ARRAY_SIZE(target_fields), t, obj) < 0)
			return -1;
		rc = finish_target(c, t);
		if (rc < 0)
			return -1;
		if (rc > 0)
			eco_target_clear(&c->eco->targets[--c->eco->n_targets]);
		c->depth = depth;
	}
	return 0;
}

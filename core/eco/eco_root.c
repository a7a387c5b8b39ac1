/* eco_root.c: read the file's root: apps, deploy targets, nginx */
#include "core/eco/eco_int.h"

/* "apps": an array of apps, or (as PM2 allows) one app object. */
static int
root_apps(struct eco_ctx *c, void *obj, json_t *v)
{
	(void)obj;
	if (!json_is_array(v) && !json_is_object(v))
		return eco_fail(c, "expected an array of apps");
	c->apps_array = json_is_array(v);
	return eco_parse_apps(c, v);
}

/* "deploy": the deploy targets. */
static int
root_deploy(struct eco_ctx *c, void *obj, json_t *v)
{
	(void)obj;
	return eco_parse_deploy(c, v);
}

/* "nginx": options for all apps, kept as written. */
static int
root_nginx(struct eco_ctx *c, void *obj, json_t *v)
{
	return eco_want_object(c, v, &((struct ecosystem *)obj)->nginx);
}

static const struct eco_field root_fields[] = {
	{ "apps", ECO_F_FN, .fn = root_apps },
	{ "deploy", ECO_F_FN, .fn = root_deploy },
	{ "nginx", ECO_F_FN, .fn = root_nginx },
};

/* Warn when a deploy target has an app's name ("deploy up NAME"). */
static void
check_target_names(struct eco_ctx *c)
{
	const char *name;

	for (size_t i = 0; i < c->eco->n_targets; i++) {
		name = c->eco->targets[i].name;
		if (ecosystem_app(c->eco, name) == NULL)
			continue;
		eco_push_key(c, "deploy");
		eco_push_key(c, name);
		eco_warn(c, "an app has this name too: 'deploy up %s' starts "
			 "the app, so rename the target to deploy it", name);
		c->depth -= 2;
	}
}

/* Read the root: {apps, deploy, nginx}, an array of apps, or one app. */
int
eco_parse_root(struct eco_ctx *c, json_t *root)
{
	if (json_is_array(root)) {
		c->apps_array = true;
		return eco_parse_apps(c, root);
	}
	if (!eco_has(root, "apps") &&
	    (eco_has(root, "script") || eco_has(root, "exec") ||
	     eco_has(root, "cmd") || eco_has(root, "name"))) {
		c->apps_array = false;
		return eco_parse_apps(c, root);
	}
	if (eco_apply_fields(c, root_fields, ARRAY_SIZE(root_fields),
			     c->eco, root) < 0)
		return -1;
	if (!eco_has(root, "apps") && !eco_has(root, "deploy"))
		return eco_fail(c, "missing \"apps\"%s", eco_has(root, "Apps")
				? " (keys are case-sensitive: \"Apps\" is "
				  "not \"apps\")" : eco_has(root, "app") ?
				" (\"app\" is not \"apps\")" : "");
	check_target_names(c);
	return 0;
}

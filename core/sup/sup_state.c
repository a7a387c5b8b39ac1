/* sup_state.c: state.json: save the apps, bring them back */
#include "core/lib/fileio.h"
#include "core/lib/paths.h"
#include "core/sup/sup_int.h"

#include <stdlib.h>
#include <string.h>

#define STATE_FORMAT 1

/* $home/state.json. */
static char *
state_path(const struct sup *s)
{
	return xasprintf("%s/state.json", s->home);
}

/* One app as saved: its file, its --env and its object in the file. */
static json_t *
app_state(const struct sup_app *app)
{
	return json_pack("{s:s, s:s?, s:O}", "file", app->file, "env",
			 app->env_name, "app", app->raw);
}

/* Write state.json atomically; with no apps, keep the last one. */
int
sup_save(struct sup *s, struct derr *e)
{
	json_t *apps = json_array(), *doc;
	char *path, *text;
	int rc;

	for (size_t a = 0; a < s->n_apps; a++)
		if (!s->apps[a]->removing)
			json_array_append_new(apps, app_state(s->apps[a]));
	if (json_array_size(apps) == 0) {
		json_decref(apps);
		return 0;
	}
	doc = json_pack("{s:i, s:s, s:o}", "format", STATE_FORMAT,
			"version", DEPLOY_VERSION, "apps", apps);
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	path = state_path(s);
	rc = write_file_atomic(path, text, strlen(text), 0600, true, e);
	free(path);
	free(text);
	return rc;
}

/* Read and check state.json; NULL with e filled. */
static json_t *
load_state(const struct sup *s, struct derr *e)
{
	char *path = state_path(s);
	bool missing;
	/* It says what to run: only from a file no one else could write. */
	json_t *doc = deploy_home_json(s->home, "state.json", &missing, e);

	if (missing)
		derr_set(e, "no saved state ('%s'): run 'deploy save' first",
			 path);
	if (doc != NULL && !json_is_array(json_object_get(doc, "apps"))) {
		derr_set(e, "%s: no \"apps\" array", path);
		json_decref(doc);
		doc = NULL;
	}
	free(path);
	return doc;
}

/*
 * Start every saved app that is not running; their names go to names.
 * -1 with e filled when state.json is missing or corrupt, or an app
 * cannot start.
 */
int
sup_resurrect(struct sup *s, json_t *names, struct derr *e)
{
	json_t *doc = load_state(s, e), *st, *up;
	size_t i;
	int rc = 0;

	if (doc == NULL)
		return -1;
	json_array_foreach(json_object_get(doc, "apps"), i, st) {
		const char *file = json_string_value(json_object_get(st,
								     "file"));
		json_t *raw = json_object_get(st, "app");
		json_t *name = json_object_get(raw, "name");

		if (file == NULL || !json_is_object(raw))
			continue;
		if (json_is_string(name) &&
		    sup_app_find(s, json_string_value(name)) != NULL)
			continue;
		up = json_pack("{s:s, s:O?, s:[O]}", "file", file, "env",
			       json_object_get(st, "env"), "apps", raw);
		rc = sup_apply_request(s, up, NULL, names, e);
		json_decref(up);
		if (rc < 0)
			break;
	}
	json_decref(doc);
	return rc;
}

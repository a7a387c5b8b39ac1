/* sup_app.c: apps in the supervisor: lookup, instances, listen socket */
#include "core/sup/sup_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The app called name, or NULL. */
struct sup_app *
sup_app_find(const struct sup *s, const char *name)
{
	for (size_t i = 0; i < s->n_apps; i++)
		if (strcmp(s->apps[i]->cfg->name, name) == 0)
			return s->apps[i];
	return NULL;
}

/* Parse one app object as it was in its file. */
struct ecosystem *
sup_app_parse(json_t *raw, const char *file, const char *env, struct derr *e)
{
	json_t *doc = json_pack("{s:[O]}", "apps", raw);
	char *text = json_dumps(doc, JSON_PRESERVE_ORDER);
	struct ecosystem *eco = ecosystem_parse_quiet(text, file, env, e);

	free(text);
	json_decref(doc);
	if (eco != NULL && eco->n_apps != 1) {
		ecosystem_free(eco);
		derr_set(e, "expected one app");
		return NULL;
	}
	return eco;
}

/* A new app from its parsed file, with its instances (not started). */
struct sup_app *
sup_app_new(struct sup *s, struct ecosystem *eco, json_t *raw, const char *file,
	const char *env)
{
	struct sup_app *app = xcalloc(1, sizeof *app);

	app->s = s;
	app->eco = eco;
	app->cfg = &eco->apps[0];
	app->raw = json_incref(raw);
	app->file = xstrdup(file);
	app->env_name = xstrdup(env);
	app->listen_fd = -1;
	s->run_dirty = true;
	for (int i = 0; i < app->cfg->instances; i++)
		sup_app_add_instance(app, sup_inst_new(app, i));
	ARRAY_GROW(s->apps, s->cap_apps, s->n_apps + 1);
	s->apps[s->n_apps++] = app;
	return app;
}

/* A new app (not started) from its object in file; NULL with e
   filled. */
struct sup_app *
sup_app_from_raw(struct sup *s, json_t *raw, const char *file, const char *env,
	     struct derr *e)
{
	struct ecosystem *eco = sup_app_parse(raw, file, env, e);

	return eco != NULL ? sup_app_new(s, eco, raw, file, env) : NULL;
}

/* Append an instance to the app. */
void
sup_app_add_instance(struct sup_app *app, struct sup_inst *in)
{
	ARRAY_GROW(app->inst, app->cap_inst, app->n_inst + 1);
	app->inst[app->n_inst++] = in;
}

/* Free the app and its instances (their processes are not touched). */
void
sup_app_free(struct sup_app *app)
{
	if (app == NULL)
		return;
	for (size_t i = 0; i < app->n_inst; i++)
		sup_inst_free(app->inst[i]);
	free(app->inst);
	sup_reload_free(app->reload);
	sup_watch_free(app->watch);
	if (app->listen_fd >= 0) {
		char tag[300];

		sup_listen_tag(tag, sizeof tag, app);
		sup_unhold(app->s, tag);
		close(app->listen_fd);
	}
	ecosystem_free(app->eco);
	json_decref(app->raw);
	free(app->file);
	free(app->env_name);
	free(app->reload_error);
	free(app);
}

/* Take app out of the supervisor and free it (no process of it may
   run). */
void
sup_app_discard(struct sup *s, struct sup_app *app)
{
	size_t out = 0;

	for (size_t i = 0; i < s->n_apps; i++)
		if (s->apps[i] != app)
			s->apps[out++] = s->apps[i];
	s->n_apps = out;
	s->run_dirty = true;
	sup_app_free(app);
}

/* Drop instances that were retired or removed and are now down. */
void
sup_app_sweep(struct sup_app *app)
{
	size_t out = 0;

	for (size_t i = 0; i < app->n_inst; i++) {
		struct sup_inst *in = app->inst[i];

		if ((in->retiring || in->removing) &&
		    !sup_inst_has_process(in) &&
		    in->state != WS_STOPPING) {
			sup_inst_free(in);
			continue;
		}
		app->inst[out++] = in;
	}
	app->n_inst = out;
}

/* Split "host:port", ":port" or "port" into host (maybe NULL) and port. */
static int
split_listen(const char *spec, char *host, size_t hostlen, char *port,
	     size_t portlen)
{
	const char *colon = strrchr(spec, ':');
	const char *h = spec, *p = spec;
	size_t hl = 0;

	if (colon != NULL) {
		hl = (size_t)(colon - spec);
		p = colon + 1;
		if (hl >= 2 && spec[0] == '[' && colon[-1] == ']') {
			h = spec + 1;
			hl -= 2;
		}
	}
	if (hl >= hostlen || strlen(p) >= portlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	strcpy(port, p);
	return 0;
}

/* Bind the app's shared listen socket (listen mode), once. */
int
sup_app_listen_open(struct sup_app *app, struct derr *e)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICHOST |
					      AI_NUMERICSERV };
	struct addrinfo *res;
	char host[256], port[16];
	int fd, one = 1, rc;

	if (app->cfg->listen == NULL || app->listen_fd >= 0)
		return 0;
	if (split_listen(app->cfg->listen, host, sizeof host, port,
			 sizeof port) < 0)
		return derr_set(e, "bad listen address '%s'", app->cfg->listen);
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rc != 0)
		return derr_set(e, "bad listen address '%s': %s",
				app->cfg->listen, gai_strerror(rc));
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		freeaddrinfo(res);
		return derr_errno(e, "cannot create a socket");
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, 511) < 0) {
		derr_errno(e, "cannot listen on '%s'", app->cfg->listen);
		close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	app->listen_fd = fd;
	sup_listen_tag(host, sizeof host, app);
	sup_hold(app->s, host, fd);
	return 0;
}

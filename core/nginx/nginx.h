/* nginx.h: the nginx config of an ecosystem: options, rendering, applying */
#ifndef DEPLOY_NGINX_H
#define DEPLOY_NGINX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <jansson.h>

#include "core/eco/ecosystem.h"
#include "core/lib/strbuf.h"
#include "core/lib/util.h"

/* The template deploy uses unless told otherwise. */
#define NGINX_TEMPLATE "nginx.conf.tmpl"
/* The pid file of a running nginx when the file names none (Debian's). */
#define NGINX_PID_FILE "/run/nginx.pid"

/*
 * How the config is applied: the keys of the top-level "nginx" object
 * that only make sense there. Paths are made absolute against the
 * ecosystem file's directory.
 */
struct nginx_settings {
	bool auto_apply;	/* "auto": deploy up writes and reloads */
	char *output;		/* "output": the file to write, or NULL */
	char *template_path;	/* "template", or NULL: the installed */
	char *pid_file;		/* "pid_file", or NGINX_PID_FILE */
	char *main_config;	/* "main_config": nginx's own, or NULL */
	char *binary;		/* "binary", or NULL: nginx on PATH */
};

/*
 * Check every "nginx" object of eco (the top level and each app's) and
 * read the settings. Returns 0, or -1 with e naming the key:
 * "eco.json:3:20: nginx.output: expected a string". Clear s with
 * nginx_settings_clear, even after a failure.
 */
int nginx_settings_read(const struct ecosystem *eco,
			struct nginx_settings *s, struct derr *e);
void nginx_settings_clear(struct nginx_settings *s);

/*
 * The template context of eco's config: one entry of "apps" per app
 * that has a port or a listen socket, its upstream's servers on
 * 127.0.0.1 (target NULL) or on every host of deploy target target.
 * Every value from the file is checked before it is used; a bad one
 * fails with e naming it ("eco.json:4:25: apps[0].nginx.server_name:
 * contains ';'"). Caller decrefs. The shape is documented in
 * templates/nginx.conf.tmpl.
 */
json_t *nginx_context(const struct ecosystem *eco, const char *target,
		      struct derr *e);

/*
 * The template to render: override (--template) when not NULL, else
 * the file's "nginx.template", else the installed NGINX_TEMPLATE. A new
 * string, or NULL with e filled.
 */
char *nginx_template_path(const struct nginx_settings *s,
			  const char *override, struct derr *e);

/* Load the template at path and render ctx with it, appending to out. */
int nginx_render(json_t *ctx, const char *tmpl_path, struct strbuf *out,
		 struct derr *e);

/*
 * Run `nginx -t` on text as if it were included in the http block of a
 * main config, in a temporary prefix (no root needed, no nginx need be
 * running, nothing outside the prefix is touched). binary NULL runs
 * nginx from PATH, else /usr/sbin/nginx. name is what nginx's message
 * calls the file. Returns 0, or -1 with nginx's own message in e.
 */
int nginx_check_text(const char *binary, const char *text, size_t len,
		     const char *name, struct derr *e);

/* Run `nginx -t -c main_config` (nginx's real config); 0 or -1. */
int nginx_check_main(const char *binary, const char *main_config,
		     struct derr *e);

/*
 * Send SIGHUP to the nginx master whose pid is in pid_file, after
 * checking that the pid is an nginx master process, and wait up to
 * timeout_ms for it to start new workers (which it does only when it
 * accepted the config). *pid gets the master's pid (0 if unknown).
 */
int nginx_signal_reload(const char *pid_file, int timeout_ms, pid_t *pid,
			struct derr *e);

/* The steps of applying a config, to say which one failed. */
enum nginx_step {
	NGINX_STEP_NONE,
	NGINX_STEP_CHECK,	/* nginx -t rejected the config */
	NGINX_STEP_WRITE,	/* the file or its .bak was not written */
	NGINX_STEP_RELOAD,	/* the running nginx was not reloaded */
};

/* What to do with a rendered config. */
struct nginx_apply {
	const char *text;	/* the config */
	size_t len;
	const char *output;	/* the file; NULL: nothing is written */
	const char *binary;	/* nginx; NULL: from PATH */
	const char *main_config; /* also check nginx's config; or NULL */
	const char *pid_file;	/* reload: the master's pid file */
	bool check;		/* run nginx -t first */
	bool reload;		/* then reload the running nginx */
	bool skip_same;		/* nothing to do when output holds it */
	int reload_timeout_ms;	/* 0: 5000 */
};

/* What happened. */
struct nginx_outcome {
	enum nginx_step failed;	/* NGINX_STEP_NONE on success */
	bool unchanged;		/* output already held the text */
	bool written;		/* output was replaced (or created) */
	bool backup;		/* the previous file is now output.bak */
	bool restored;		/* a failure put the old file back */
	pid_t reloaded;		/* the master that took it, or 0 */
};

/*
 * Apply a config: check it (nginx -t in a temporary prefix), write it
 * atomically to output keeping the previous file as output.bak, check
 * nginx's main config when given, then reload. A check or reload
 * failure after the file was written puts the previous file back byte
 * for byte (or removes the new one when there was none) and reloads
 * nothing. Returns 0, or -1 with o->failed and e set.
 */
int nginx_apply(const struct nginx_apply *a, struct nginx_outcome *o,
		struct derr *e);

#endif

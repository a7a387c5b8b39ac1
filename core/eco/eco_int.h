/* eco_int.h: what the ecosystem parser's files share (not for others) */
#ifndef DEPLOY_ECO_INT_H
#define DEPLOY_ECO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "core/eco/ecosystem.h"
#include "core/lib/jsonpos.h"

#define ECO_MAX_DEPTH 8

/* What the parser learnt about one app beyond struct eco_app. */
struct eco_appstate {
	json_t *obj;			/* the app's object */
	json_t *env;			/* "env", or NULL */
	json_t *overlay;		/* "env_<env_name>", or NULL */
	const char *overlay_key;
	bool has_interpreter;
	bool has_instances;
	bool has_exec_mode;
	bool has_increment_var;
	bool time;
	const char *port_path[2];	/* keys holding the port, or NULL */
	const char *same_port_from;	/* env key giving every instance one
					 * port ("env", "env_<E>"), or NULL */
	size_t n_port_path;
};

/* A parse in progress: the text, where we are in it, what we built. */
struct eco_ctx {
	const char *file;		/* as given, for messages */
	const char *text;		/* the relaxed text jansson read */
	size_t len;
	struct jsonpos_index *ix;	/* places in text, made on first use */
	bool quiet;			/* no warnings: nobody reads them */
	size_t n_warn, cap_warn;	/* eco->warnings: used, allocated */
	struct jsonpos_step path[ECO_MAX_DEPTH];
	size_t depth;
	bool apps_array;		/* apps are elements of an array */
	struct ecosystem *eco;
	struct eco_appstate *st;	/* one per app */
	int target_port;		/* the target's "port", 0: none */
	bool no_pos;			/* node's output: no line:col */
	bool cli;			/* read by a command, not the daemon */
	struct derr *e;
};

/* How a key's value is read. */
enum eco_ftype {
	ECO_F_STR,	/* string */
	ECO_F_NONEMPTY,	/* string, not empty */
	ECO_F_BOOL,
	ECO_F_INT,	/* integer from min to max */
	ECO_F_MS,	/* duration in ms: number, "5s", "2m" */
	ECO_F_BYTES,	/* size: number, "300M" */
	ECO_F_WORDS,	/* string split like sh, or array; replaces */
	ECO_F_MOREWORDS,	/* the same, appended */
	ECO_F_LIST,	/* string (one item) or array of strings */
	ECO_F_FN,	/* a function reads it */
	ECO_F_QUIET,	/* a PM2 key we do not use: accepted */
	ECO_F_UNUSED,	/* a PM2 key we do not use: warned about when set */
};

/* One known key of an object, and where its value goes. */
struct eco_field {
	const char *key;
	enum eco_ftype type;
	size_t off;		/* offset of the member in the struct */
	long long min, max;	/* ECO_F_INT */
	int (*fn)(struct eco_ctx *c, void *obj, json_t *v);
	bool prefix;		/* key is a prefix ("env_") */
};

/* eco_msg.c: key paths, errors and warnings */
/* Go one key deeper. */
void eco_push_key(struct eco_ctx *c, const char *key);
/* Go one array element deeper. */
void eco_push_index(struct eco_ctx *c, size_t index);
/* Fail with "file:line:col: path: message" at the current path. */
int eco_fail(struct eco_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Fail at key of the object at the current path (the object if absent). */
int eco_fail_key(struct eco_ctx *c, json_t *obj, const char *key,
		 const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Add a warning at the current path's key. */
void eco_warn(struct eco_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append msg (taken) to the warnings. */
void eco_add_warning(struct eco_ctx *c, char *msg);
/* Warn about a key written twice (a jsonpos_duplicates callback, ud c). */
void eco_dup_warning(void *ud, const struct jsonpos_step *path, size_t n,
		     struct jsonpos at, struct jsonpos first);
/* Order the warnings as their places in the file (a stable sort). */
void eco_sort_warnings(struct ecosystem *eco);

/* eco_fields.c */
/* Read every key of object o into obj by the table. */
int eco_apply_fields(struct eco_ctx *c, const struct eco_field *tab,
		     size_t n, void *obj, json_t *o);

/* eco_read.c: value readers; they fail at the current path */
/* A string; with nonempty, "" is an error. Replaces *out. */
int eco_want_string(struct eco_ctx *c, json_t *v, bool nonempty, char **out);
/* A TCP port: a number or a string of digits, 1 to 65535. */
int eco_want_port(struct eco_ctx *c, json_t *v, int *out);
/* A health URL: http://, https://, or a path "/...". */
int eco_want_url(struct eco_ctx *c, json_t *v, char **out);
/* An object, kept as written (a new reference); replaces *out. */
int eco_want_object(struct eco_ctx *c, json_t *v, json_t **out);
/* An integer within f's min and max. */
int eco_want_int(struct eco_ctx *c, json_t *v, const struct eco_field *f,
		 int *out);
/* A duration in ms: a number, or "1500", "5s", "2m", "1h". */
int eco_want_ms(struct eco_ctx *c, json_t *v, long *out);
/* A size in bytes: a number, or "300M", "1G". */
int eco_want_bytes(struct eco_ctx *c, json_t *v, long long *out);
/* Words of type ECO_F_WORDS, ECO_F_MOREWORDS or ECO_F_LIST into *out. */
int eco_want_words(struct eco_ctx *c, json_t *v, enum eco_ftype type,
		   char ***out);
/* Check env object v and apply it to dst (NULL: only check). */
int eco_want_env(struct eco_ctx *c, json_t *v, struct eco_env *dst);
/* A string of digits as an integer ("10"); false for anything else. */
bool eco_string_ll(json_t *v, long long *out);
/* Whether key is in object o and not null. */
bool eco_has(json_t *o, const char *key);

/* eco_values.c */
/* A port (1-65535) of at most 5 digits; 0 for anything else or NULL. */
int eco_port_string(const char *s);

/* eco_path.c */
/* Join rel to base (unless absolute) and tidy "." and ".."; caller frees. */
char *eco_path_join(const char *base, const char *rel);

/* eco_root.c */
/* Read the root: {apps, deploy, nginx}, an array of apps, or one app. */
int eco_parse_root(struct eco_ctx *c, json_t *root);

/* eco_apps.c: the apps, their defaults and names */
/* Read the apps (array, or one object) and check them together. */
int eco_parse_apps(struct eco_ctx *c, json_t *apps);
/* Free what an app holds (not the struct itself). */
void eco_app_clear(struct eco_app *a);
/* Go to app i's object (nothing when the apps are one object). */
void eco_push_app(struct eco_ctx *c, size_t i);
/* The key that names the script: "script", "cmd" or "exec". */
const char *eco_script_key(json_t *obj);
/* The key an app's name comes from: "name", else eco_script_key's. */
const char *eco_name_key(json_t *obj);

/* eco_app_keys.c */
/* Read the keys of app a (its object obj) by the app's table. */
int eco_app_read_keys(struct eco_ctx *c, struct eco_app *a, json_t *obj);

/* eco_app_values.c: readers of app keys (ECO_F_FN) */
/* "stop_exit_codes": an exit code or an array of them. */
int eco_app_stop_exit_codes(struct eco_ctx *c, void *obj, json_t *v);
/* "kill_signal": "SIGTERM", "TERM" or a number. */
int eco_app_kill_signal(struct eco_ctx *c, void *obj, json_t *v);
/* "listen": "host:port", ":port" or a port; kept as "HOST:PORT". */
int eco_app_listen(struct eco_ctx *c, void *obj, json_t *v);
/* "cron_restart": a cron schedule; "0" or 0 turns it off. */
int eco_app_cron(struct eco_ctx *c, void *obj, json_t *v);
/* "watch": true (the app's cwd), a path, or an array of paths. */
int eco_app_watch(struct eco_ctx *c, void *obj, json_t *v);

/* eco_app_env.c */
/* Apply env then env_<E> to a; take the port from env as PM2 would. */
int eco_finish_env(struct eco_ctx *c, struct eco_app *a,
		   struct eco_appstate *st);
/* Give a cluster of Node instances one PORT from env, or warn. */
void eco_share_port(struct eco_ctx *c, struct eco_app *a,
		    struct eco_appstate *st);
/* Go to where the app's port was written. */
void eco_push_port(struct eco_ctx *c, const struct eco_appstate *st);

/* eco_app_paths.c */
/* Make cwd absolute, find the script, resolve watch and log paths. */
int eco_finish_paths(struct eco_ctx *c, struct eco_app *a,
		     struct eco_appstate *st);

/* eco_app_check.c */
/* Fail when two apps have one name. */
int eco_check_names(struct eco_ctx *c);
/* Fail when two apps take one port or address. */
int eco_check_ports(struct eco_ctx *c);

/* eco_deploy.c */
/* Read the "deploy" object. */
int eco_parse_deploy(struct eco_ctx *c, json_t *deploy);
/* Free what a target holds (not the struct itself). */
void eco_target_clear(struct eco_target *t);

/* eco_node.c */
/* Whether path names a JavaScript file (.js, .cjs, .mjs). */
bool eco_is_js(const char *path);
/*
 * Evaluate the ecosystem file path with node (PM2's way of reading it)
 * and put the object it exports, as JSON, in out. -1 with e filled with
 * node's "file:line:col: message", or a line saying node is missing.
 */
struct strbuf;
int eco_node_eval(const char *path, struct strbuf *out, struct derr *e);

#endif

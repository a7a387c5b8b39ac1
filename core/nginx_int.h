/* nginx_int.h: what the nginx module's files share (not for others) */
#ifndef DEPLOY_NGINX_INT_H
#define DEPLOY_NGINX_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "ecosystem.h"
#include "jsonpos.h"
#include "nginx.h"

#define NGX_PATH_MAX 8
/* The app index of the top-level "nginx" object. */
#define NGX_TOP ((size_t)-1)

/* Where a value is in the ecosystem file, as a JSON path. */
struct ngx_path {
	struct jsonpos_step s[NGX_PATH_MAX];
	size_t n;
};

/* Start p at apps[app].nginx, or at nginx for NGX_TOP. */
void ngx_path_nginx(struct ngx_path *p, size_t app);
/* Append an object key (kept by pointer) or an array index. */
void ngx_path_key(struct ngx_path *p, const char *key);
void ngx_path_index(struct ngx_path *p, size_t index);

/*
 * Fill e with "FILE:LINE:COL: PATH: message" (the place found by
 * reading the ecosystem file again; "FILE: PATH: message" when it
 * cannot be read). Returns -1.
 */
int ngx_fail(const struct ecosystem *eco, const struct ngx_path *p,
	     struct derr *e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Check every key of the nginx object obj (of app, or NGX_TOP) by the
 * option table: known key, allowed at this level, a value of the right
 * type and free of characters that could break out of a directive.
 */
int ngx_check_object(const struct ecosystem *eco, size_t app, json_t *obj,
		     struct derr *e);

/* Checks of single values (nginx_values.c). */

/* Describe why s cannot go into a config ("contains ';'"), or NULL. */
const char *ngx_unsafe(const char *s, char *buf, size_t size);
/* True when s is a host name or an IPv4/IPv6 address nginx can use. */
bool ngx_is_host(const char *s);
/* Each returns NULL for a good value, else what was expected. */
const char *ngx_check_time(json_t *v);	/* seconds, or "1m30s" */
const char *ngx_check_size(json_t *v);	/* bytes, or "10m" */
const char *ngx_check_name(json_t *v);	/* an upstream name */
const char *ngx_check_listen(json_t *v);	/* port, or "host:port" */
const char *ngx_check_server_name(const char *s);
const char *ngx_check_balance(json_t *v);

/* The parts of a "balance" value. */
enum ngx_balance {
	NGX_ROUND_ROBIN,
	NGX_LEAST_CONN,
	NGX_IP_HASH,
	NGX_HASH,
	NGX_RANDOM,
};

/*
 * Read a checked "balance" string: its kind, and the directive to put
 * in the upstream (a new string, NULL for round robin).
 */
enum ngx_balance ngx_balance_parse(const char *s, char **directive);

/* Building the context (nginx_ctx.c, nginx_servers.c). */

/* What the whole config is being built for. */
struct ngx_build {
	const struct ecosystem *eco;
	const struct eco_target *target;	/* NULL: this host */
	char **hosts;		/* target: hosts as nginx names them */
	json_t *apps;		/* the "apps" built so far */
	struct derr *e;
};

/* One app being built. */
struct ngx_app {
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
json_t *ngx_pick(const struct ecosystem *eco, size_t i, const char *key,
		 struct ngx_path *where);
/* A checked number value as a long long. */
long long ngx_number(json_t *v);
/* Check the target's hosts and keep them in b->hosts. */
int ngx_target_hosts(struct ngx_build *b);
/* Where ap's workers listen; 0, or 1 when it has no port or listen. */
int ngx_app_endpoint(struct ngx_app *ap);
/* Add the "servers" of ap, with their backup and down marks. */
int ngx_add_servers(struct ngx_build *b, struct ngx_app *ap);

#endif

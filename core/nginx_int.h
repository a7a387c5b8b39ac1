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

/* Describe why s cannot go into a config ("contains ';'"), or NULL. */
const char *ngx_unsafe(const char *s, char *buf, size_t size);
/* True when s is a host name or an IPv4/IPv6 address nginx can use. */
bool ngx_is_host(const char *s);

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

#endif

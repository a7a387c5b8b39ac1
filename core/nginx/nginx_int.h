/* nginx_int.h: what the nginx module's files share (not for others) */
#ifndef DEPLOY_NGINX_INT_H
#define DEPLOY_NGINX_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <jansson.h>

#include "core/eco/ecosystem.h"
#include "core/lib/jsonpos.h"
#include "core/nginx/nginx.h"

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

/* A program the nginx module runs (nginx -t, openssl). */
struct ngx_tool {
	const char *name;	/* found on PATH when binary is NULL */
	const char *binary;	/* the file's choice, or NULL */
	const char *fallback;	/* tried when name is not on PATH */
	const char *hint;	/* added to "cannot run" when not binary */
	bool quiet;		/* drop its stderr */
};

/*
 * Run t's program with argv[1..] (argv[0] is a placeholder it fills),
 * stdin from /dev/null, stdout (and stderr unless quiet) into out,
 * within 30 s. Its exit status, or -1 with e filled when it could not
 * run or did not finish (nginx_check.c).
 */
int ngx_run(const struct ngx_tool *t, char **argv, struct strbuf *out,
	    struct derr *e);

/* What a certificate says (nginx_tls.c, read with openssl(1)). */
struct ngx_cert {
	time_t not_after;
	char **names;		/* subjectAltName DNS names and addresses,
				 * else the subject's CN */
	char *pubkey;		/* its public key, PEM */
};

/* Read the first certificate of the PEM file at path; ngx_cert_clear
 * c even after a failure ("'x' is not a PEM certificate"). */
int ngx_cert_read(const char *path, struct ngx_cert *c, struct derr *e);
/* 0 when the private key at path belongs to c, else -1 and e. */
int ngx_cert_key_matches(const struct ngx_cert *c, const char *path,
			 struct derr *e);
/* The first of the space-separated server names that c does not cover
 * (copied into buf), or NULL when it covers them all. */
const char *ngx_cert_uncovered(const struct ngx_cert *c, const char *names,
			       char *buf, size_t size);
/* Days from now until c expires, to the nearest (negative once
 * expired). */
long ngx_cert_days_left(const struct ngx_cert *c, time_t now);
void ngx_cert_clear(struct ngx_cert *c);

/* Building the context (nginx_ctx.c, nginx_servers.c). */

/* A server block being built. */
struct ngx_srv {
	json_t *obj;		/* its context: listen, tls, apps[], ... */
	size_t first;		/* the app that opened it */
	bool shared;		/* opened by "server": others may join */
};

/* A certificate and key found to be a good pair. */
struct ngx_pair {
	char *cert, *key;
	struct ngx_cert c;
};

/* What the whole config is being built for. */
struct ngx_build {
	const struct ecosystem *eco;
	const struct eco_target *target;	/* NULL: this host */
	char **hosts;		/* target: hosts as nginx names them */
	json_t *apps;		/* the "apps" built so far */
	struct ngx_srv *srv;	/* the server blocks so far */
	size_t n_srv, cap_srv;
	json_t *certs;		/* each certificate used, once */
	struct ngx_pair *pairs;	/* the pairs checked so far */
	size_t n_pairs, cap_pairs;
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
/* The listen of a checked "listen" value v, or of port when v is
 * NULL: "80", "127.0.0.1:8080", "[::]:443". A new string. */
char *ngx_listen_text(json_t *v, int port);
/* Put the built app ap into its server block: a new one, or the one
 * of the apps with the same "server" and listen (nginx_blocks.c). */
int ngx_add_to_server(struct ngx_build *b, struct ngx_app *ap);
/* Free the certificate pairs b keeps. */
void ngx_pairs_free(struct ngx_build *b);

#endif

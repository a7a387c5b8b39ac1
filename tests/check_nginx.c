/* check_nginx.c: nginx context, value checks, errors, check and apply */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lib/fileio.h"
#include "core/nginx/nginx.h"
#include "core/nginx/nginx_int.h"

#define NGINX_BIN "/usr/sbin/nginx"

/* The directory of the test certificates (tests/fixtures/nginx/
 * mkcert.sh), made once for the whole case. */
static char *certs;

/* text with each CERTS replaced by the certificates' directory. */
static char *
expand(const char *text)
{
	struct strbuf sb = STRBUF_INIT;
	const char *at;

	while ((at = strstr(text, "CERTS")) != NULL) {
		strbuf_add(&sb, text, (size_t)(at - text));
		strbuf_addstr(&sb, certs ? certs : "CERTS");
		text = at + 5;
	}
	strbuf_addstr(&sb, text);
	return strbuf_detach(&sb);
}

/* Rows are written with ' for " to stay readable. */
static char *
quotes(const char *text)
{
	char *s = expand(text);

	for (char *c = s; *c; c++)
		if (*c == '\'')
			*c = '"';
	return s;
}

/* A fresh temporary directory; caller frees the name. */
static char *
tmp_dir(void)
{
	char *dir = strdup("/tmp/check_nginx.XXXXXX");

	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

/* Write text to dir/name; returns the path (caller frees). */
static char *
put_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct derr e;

	ck_assert_msg(write_file_atomic(path, text, strlen(text), mode, true,
					&e) == 0, "%s", e.msg);
	return path;
}

/* Remove what the tests put in dir, then dir. */
static void
rm_dir(char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(dir);
}

/* Load an ecosystem from a row's text, written to dir/eco.json. */
static struct ecosystem *
load_eco(const char *dir, const char *text)
{
	char *json = quotes(text), *path = put_file(dir, "eco.json", json,
						    0644);
	struct derr e;
	struct ecosystem *eco = ecosystem_load(path, NULL, &e);

	ck_assert_msg(eco != NULL, "bad test ecosystem %s: %s", json, e.msg);
	free(json);
	free(path);
	return eco;
}

/* The value at a dotted path ("apps.0.hosts.1.host"), or NULL. */
static json_t *
at(json_t *v, const char *path)
{
	char *copy = strdup(path), *save = NULL;

	for (char *t = strtok_r(copy, ".", &save); t && v;
	     t = strtok_r(NULL, ".", &save))
		v = json_is_array(v) ? json_array_get(v, strtoul(t, NULL, 10))
				     : json_object_get(v, t);
	free(copy);
	return v;
}

#define APP "{'apps':[{'name':'web','script':'s.js','port':3000," \
	    "'instances':2"
#define PROD ",'deploy':{'prod':{'user':'u','host':['192.0.2.1'," \
	     "'deploy@192.0.2.2','fd00::7'],'path':'/srv','repo':'r'}}"
/* Two apps under /api/ (stripped) and / of one server. */
#define SHARED SHARED_APPS "}"
#define SHARED_APPS "{'nginx':{'server':'example.com'},'apps':[" \
	"{'name':'api','script':'a.js','port':4000,'nginx':{'location':" \
	"'/api/','strip_prefix':true}},{'name':'www','script':'w.js'," \
	"'port':3000}]"
/* One app for app.test with tls holding keys (the file unclosed). */
#define TLS(keys) APP ",'nginx':{'server_name':'app.test','tls':{" keys "}"
/* The same, closed. */
#define TLS_END(keys) TLS(keys) "}}]}"

/* An ecosystem, a target, a path into the context, the value there. */
static const struct ctx_row {
	const char *eco, *target, *path, *want;
} ctx_rows[] = {
	/* one upstream per app, a server per instance */
	{ APP "}]}", NULL, "apps.0.upstream", "'web'" },
	{ APP "}]}", NULL, "apps.0.hosts", "[{'host':'127.0.0.1'}]" },
	{ APP "}]}", NULL, "apps.0.ports", "[{'port':3000},{'port':3001}]" },
	{ APP "}]}", NULL, "apps.0.listen", "'80'" },
	{ APP "}]}", NULL, "apps.0.next_upstream_tries", "3" },
	/* max_fails is 0 unless set, on a target too */
	{ APP "}]}", NULL, "apps.0.max_fails", "0" },
	{ APP "}]" PROD "}", "prod", "apps.0.max_fails", "0" },
	{ APP ",'nginx':{'max_fails':2}}]}", NULL, "apps.0.max_fails", "2" },
	{ APP "}]}", NULL, "apps.0.server_name", NULL },
	{ APP "}]}", NULL, "apps.0.balance", NULL },
	{ APP "}]}", NULL, "keepalive_map", "false" },
	{ APP "}]}", NULL, "source", "'eco.json'" },
	{ APP "}]}", NULL, "target", NULL },
	/* every host of a target, user@ dropped, IPv6 in brackets */
	{ APP "}]" PROD "}", "prod", "apps.0.hosts",
	  "[{'host':'192.0.2.1'},{'host':'192.0.2.2'},{'host':'[fd00::7]'}]" },
	{ APP "}]" PROD "}", "prod", "apps.0.ports",
	  "[{'port':3000},{'port':3001}]" },
	{ APP "}]" PROD "}", "prod", "target", "'prod'" },
	/* names that only go into the comment are left out when unsafe */
	{ APP "}],'deploy':{'a;b':{'host':'h','path':'/p','repo':'r'}}}",
	  "a;b", "target", NULL },
	{ APP "}],'deploy':{'a;b':{'host':'h','path':'/p','repo':'r'}}}",
	  "a;b", "apps.0.hosts.0.host", "'h'" },
	/* a listen socket is one server line per host */
	{ "{'apps':[{'name':'l','script':'s.js','instances':4,"
	  "'listen':8000}]}", NULL, "apps.0.ports", "[{'port':8000}]" },
	{ "{'apps':[{'name':'l','script':'s.js','instances':4,"
	  "'listen':8000}]}", NULL, "apps.0.hosts", "[{'host':'127.0.0.1'}]" },
	{ "{'apps':[{'name':'l','script':'s.js','instances':4,"
	  "'listen':'[::]:8000'}]}", NULL, "apps.0.hosts",
	  "[{'host':'[::1]'}]" },
	{ "{'apps':[{'name':'l','script':'s.js','listen':'127.0.0.2:80'}]"
	  PROD "}", "prod", "apps.0.hosts.1.host", "'192.0.2.2'" },
	{ "{'apps':[{'name':'l','script':'s.js','listen':'127.0.0.2:80'}]"
	  PROD "}", "prod", "apps.0.ports", "[{'port':80}]" },
	/* per-server options; the app's own win over the top level's */
	{ APP ",'nginx':{'weight':3}}],'nginx':{'weight':2,'max_fails':0,"
	  "'fail_timeout':30,'max_conns':100}}", NULL, "apps.0",
	  "{'upstream':'web','listen':'80','location':'/','strip':false,"
	  "'weight':3,'max_fails':0,"
	  "'fail_timeout':'30s','max_conns':100,'next_upstream_tries':3,"
	  "'params':' weight=3 max_fails=0 fail_timeout=30s max_conns=100',"
	  "'hosts':[{'host':'127.0.0.1'}],"
	  "'ports':[{'port':3000},{'port':3001}]}" },
	{ APP ",'nginx':{'fail_timeout':'1m30s','max_conns':0}}]}", NULL,
	  "apps.0.fail_timeout", "'1m30s'" },
	{ APP ",'nginx':{'max_conns':0,'keepalive':0}}]}", NULL,
	  "apps.0.max_conns", NULL },
	/* backup and down by instance number or host */
	{ APP ",'nginx':{'backup':1,'down':['192.0.2.1']}}]" PROD "}",
	  "prod", "apps.0.ports.1", "{'port':3001,'backup':true}" },
	{ APP ",'nginx':{'backup':1,'down':['192.0.2.1']}}]" PROD "}",
	  "prod", "apps.0.hosts.0", "{'host':'192.0.2.1','down':true}" },
	{ APP ",'nginx':{'down':0}}]" PROD "}", "prod", "apps.0.ports.0",
	  "{'port':3000,'down':true}" },
	{ APP ",'nginx':{'backup':['fd00::7']}}]" PROD "}", "prod",
	  "apps.0.hosts.2", "{'host':'[fd00::7]','backup':true}" },
	{ APP ",'nginx':{'backup':['192.0.2.9']}}]}", NULL,
	  "apps.0.hosts.0", "{'host':'127.0.0.1'}" },
	/* balancing */
	{ APP ",'nginx':{'balance':'least_conn'}}]}", NULL,
	  "apps.0.balance", "'least_conn'" },
	{ APP ",'nginx':{'balance':'round_robin'}}]}", NULL,
	  "apps.0.balance", NULL },
	{ APP ",'nginx':{'balance':'  hash   $request_uri consistent'}}]}",
	  NULL, "apps.0.balance", "'hash $request_uri consistent'" },
	{ APP ",'nginx':{'balance':'random two least_conn'}}]}", NULL,
	  "apps.0.balance", "'random two least_conn'" },
	{ APP ",'nginx':{'balance':'ip_hash'}}]}", NULL, "apps.0.balance",
	  "'ip_hash'" },
	/* keepalive turns on the second map */
	{ APP ",'nginx':{'keepalive':16}}]}", NULL, "apps.0.keepalive",
	  "16" },
	{ APP ",'nginx':{'keepalive':16}}]}", NULL, "keepalive_map", "true" },
	/* the server block */
	{ APP ",'nginx':{'listen':'127.0.0.1:8080','server_name':"
	  "['a.example','*.b.example']}}]}", NULL, "apps.0",
	  "{'upstream':'web','listen':'127.0.0.1:8080',"
	  "'server_name':'a.example *.b.example','next_upstream_tries':3,"
	  "'location':'/','strip':false,"
	  "'max_fails':0,'params':' max_fails=0',"
	  "'hosts':[{'host':'127.0.0.1'}],"
	  "'ports':[{'port':3000},{'port':3001}]}" },
	{ APP ",'nginx':{'listen':':8081'}}]}", NULL, "apps.0.listen",
	  "'8081'" },
	{ APP ",'nginx':{'listen':'[::]:443'}}]}", NULL, "apps.0.listen",
	  "'[::]:443'" },
	{ APP "}],'nginx':{'client_max_body_size':1048576}}", NULL,
	  "apps.0.client_max_body_size", "'1048576'" },
	{ APP "}],'nginx':{'client_max_body_size':'10m',"
	  "'next_upstream_tries':0}}", NULL, "apps.0",
	  "{'upstream':'web','listen':'80','client_max_body_size':'10m',"
	  "'location':'/','strip':false,"
	  "'max_fails':0,'params':' max_fails=0','next_upstream_tries':0,"
	  "'hosts':[{'host':'127.0.0.1'}],"
	  "'ports':[{'port':3000},{'port':3001}]}" },
	{ APP ",'cwd':'/srv/web','nginx':{'static':{'location':'/static/',"
	  "'dir':'public','expires':'7d'}}}]}", NULL, "apps.0.static",
	  "{'location':'/static/','dir':'/srv/web/public/',"
	  "'expires':'7d'}" },
	{ APP ",'nginx':{'static':{'location':'/a/','dir':'/var/www/',"
	  "'expires':3600}}}]}", NULL, "apps.0.static",
	  "{'location':'/a/','dir':'/var/www/','expires':'3600s'}" },
	/* the upstream's name */
	{ APP ",'nginx':{'upstream':'web_v2'}}]}", NULL, "apps.0.upstream",
	  "'web_v2'" },
	/* apps without port or listen, or disabled, are left out */
	{ "{'apps':[{'name':'w','script':'w.js'},{'name':'a','script':'a.js',"
	  "'port':3000},{'name':'b','script':'b.js','port':4000,"
	  "'nginx':{'enabled':false}}]}", NULL, "apps.1", NULL },
	{ "{'apps':[{'name':'w','script':'w.js'},{'name':'a','script':'a.js',"
	  "'port':3000}]}", NULL, "apps.0.upstream", "'a'" },
	/* null is not set */
	{ APP ",'nginx':{'weight':null}}],'nginx':{'weight':4}}", NULL,
	  "apps.0.weight", "4" },
	/* apps under locations of one shared server block */
	{ SHARED, NULL, "servers.0.apps.1.upstream", "'www'" },
	{ SHARED, NULL, "servers.1", NULL },
	{ SHARED, NULL, "servers.0.server_name", "'example.com'" },
	{ SHARED, NULL, "servers.0.tls", "false" },
	{ SHARED, NULL, "apps.0.location", "'/api/'" },
	{ SHARED, NULL, "apps.0.strip", "true" },
	{ SHARED, NULL, "apps.1.location", "'/'" },
	{ SHARED, NULL, "apps.1.strip", "false" },
	{ SHARED, NULL, "apps.1.server_name", "'example.com'" },
	{ SHARED_APPS PROD "}", "prod", "servers.0.apps.0.hosts.1.host",
	  "'192.0.2.2'" },
	{ APP ",'nginx':{'server':'a.example','location':'/a/'}},"
	  "{'name':'b','script':'b.js','port':4000,'nginx':{'server':"
	  "'b.example'}}]}", NULL, "servers.1.apps.0.upstream", "'b'" },
	{ APP ",'nginx':{'server':'a.example','listen':81}},"
	  "{'name':'b','script':'b.js','port':4000,'nginx':{'server':"
	  "'a.example','location':'/b/'}}]}", NULL, "servers.1.listen",
	  "'80'" },
	/* an app alone has a server block of its own */
	{ APP ",'nginx':{'location':'/x/'}}]}", NULL, "servers.0.apps.0",
	  "{'upstream':'web','listen':'80','location':'/x/','strip':false,"
	  "'max_fails':0,'next_upstream_tries':3,'params':' max_fails=0',"
	  "'hosts':[{'host':'127.0.0.1'}],"
	  "'ports':[{'port':3000},{'port':3001}]}" },
	/* tls: checked files, defaults */
	{ TLS_END("'certificate':'CERTS/site.pem','key':'CERTS/site.key'"),
	  NULL,
	  "servers.0.tls", "{'certificate':'CERTS/site.pem','key':"
	  "'CERTS/site.key','webroot':'/var/www/acme','http2':true,"
	  "'http_listen':'80','https_port':''}" },
	{ TLS_END("'certificate':'CERTS/site.pem','key':'CERTS/site.key'"),
	  NULL,
	  "servers.0.listen", "'443'" },
	{ TLS_END("'certificate':'CERTS/site.pem','key':'CERTS/site.key'"),
	  NULL,
	  "certificates.0.days", "90" },
	{ TLS_END("'certificate':'CERTS/soon.pem','key':'CERTS/site.key'"),
	  NULL,
	  "certificates.0.days", "5" },
	{ TLS_END("'live':'CERTS/live/app.test','http2':false,'hsts':true"),
	  NULL,
	  "servers.0.tls", "{'certificate':'CERTS/live/app.test/fullchain"
	  ".pem','key':'CERTS/live/app.test/privkey.pem','webroot':"
	  "'/var/www/acme','http2':false,'hsts':31536000,'http_listen':"
	  "'80','https_port':''}" },
	{ TLS("'live':'CERTS/live/app.test','hsts':600,'http_listen':false,"
	      "'webroot':'CERTS/acme'") ",'listen':'127.0.0.1:8443'}}]}",
	  NULL, "servers.0.tls", "{'certificate':'CERTS/live/app.test/"
	  "fullchain.pem','key':'CERTS/live/app.test/privkey.pem',"
	  "'webroot':'CERTS/acme','http2':true,'hsts':600}" },
	{ TLS("'live':'CERTS/live/app.test','hsts':false") ",'listen':"
	  "'127.0.0.1:8443'}}]}", NULL, "servers.0.tls.http_listen",
	  "'127.0.0.1:80'" },
	{ TLS("'live':'CERTS/live/app.test'") ",'listen':'127.0.0.1:8443'}}]}",
	  NULL, "servers.0.tls.https_port", "':8443'" },
	{ TLS("'live':'CERTS/live/app.test','http_listen':8080") ",'listen':"
	  "'[::]:443'}}]}", NULL, "servers.0.tls", "{'certificate':"
	  "'CERTS/live/app.test/fullchain.pem','key':'CERTS/live/app.test/"
	  "privkey.pem','webroot':'/var/www/acme','http2':true,"
	  "'http_listen':'8080','https_port':''}" },
	/* names the certificate covers: wildcards of one label, nginx's
	 * ".name" (both), "_", no name at all */
	{ TLS("'live':'CERTS/live/app.test'") ",'server_name':['x.app.test',"
	  "'LOCALHOST','.app.test','_','127.0.0.1']}}]}", NULL,
	  "servers.0.server_name",
	  "'x.app.test LOCALHOST .app.test _ 127.0.0.1'" },
	{ APP ",'nginx':{'tls':{'live':'CERTS/live/app.test'}}}]}", NULL,
	  "servers.0.server_name", NULL },
	{ APP ",'nginx':{'server_name':'cn.app.test','tls':{'certificate':"
	  "'CERTS/cn.pem','key':'CERTS/site.key'}}}]}", NULL,
	  "servers.0.server_name", "'cn.app.test'" },
	/* one certificate listed once however many servers use it */
	{ "{'nginx':{'tls':{'live':'CERTS/live/app.test'}},'apps':["
	  "{'name':'a','script':'a.js','port':3000,'nginx':{'server':"
	  "'a.app.test'}},{'name':'b','script':'b.js','port':4000,"
	  "'nginx':{'server':'b.app.test'}}]}", NULL, "certificates.1", NULL },
	{ "{'nginx':{'tls':{'live':'CERTS/live/app.test'}},'apps':["
	  "{'name':'a','script':'a.js','port':3000,'nginx':{'server':"
	  "'a.app.test'}},{'name':'b','script':'b.js','port':4000,"
	  "'nginx':{'server':'b.app.test'}}]}", NULL,
	  "servers.1.tls.certificate", "'CERTS/live/app.test/fullchain.pem'" },
	/* the other shapes PM2 allows */
	{ "[{'name':'arr','script':'s.js','port':3000}]", NULL,
	  "apps.0.upstream", "'arr'" },
	{ "{'name':'one','script':'s.js','port':3000,'nginx':{'weight':5}}",
	  NULL, "apps.0.weight", "5" },
};

/* The context holds the expected value at the row's path. */
START_TEST(test_context)
{
	const struct ctx_row *r = &ctx_rows[_i];
	char *dir = tmp_dir();
	struct ecosystem *eco = load_eco(dir, r->eco);
	struct derr e;
	json_t *ctx = nginx_context(eco, r->target, &e), *got, *want = NULL;
	char *w = r->want ? quotes(r->want) : NULL, *dump;

	ck_assert_msg(ctx != NULL, "row %d: %s", _i, e.msg);
	got = at(ctx, r->path);
	if (w != NULL)
		want = json_loads(w, JSON_DECODE_ANY, NULL);
	ck_assert_msg(w == NULL || want != NULL, "row %d: bad want", _i);
	dump = got ? json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
	ck_assert_msg(want == NULL ? got == NULL : json_equal(got, want),
		      "row %d: %s is %s, wanted %s", _i, r->path,
		      dump ? dump : "absent", w ? w : "absent");
	free(dump);
	free(w);
	json_decref(want);
	json_decref(ctx);
	ecosystem_free(eco);
	rm_dir(dir);
}
END_TEST

/* An ecosystem, a target, and the end of the error message. */
static const struct err_row {
	const char *eco, *target, *want;
} err_rows[] = {
	/* nothing that could end a directive gets through, by key */
	{ APP ",'nginx':{'server_name':'a;b'}}]}", NULL,
	  "eco.json:1:89: apps[0].nginx.server_name: contains ';'" },
	{ APP ",'nginx':{'server_name':['ok','a{']}}]}", NULL,
	  "apps[0].nginx.server_name[1]: contains '{'" },
	{ APP ",'nginx':{'server_name':'a}'}}]}", NULL,
	  "apps[0].nginx.server_name: contains '}'" },
	{ APP ",'nginx':{'server_name':'a\\u0027'}}]}", NULL,
	  "apps[0].nginx.server_name: contains '''" },
	{ APP ",'nginx':{'server_name':'a\\u0022'}}]}", NULL,
	  "apps[0].nginx.server_name: contains '\"'" },
	{ APP ",'nginx':{'server_name':'a\\nb'}}]}", NULL,
	  "apps[0].nginx.server_name: contains a newline" },
	{ APP ",'nginx':{'server_name':'a\\\\b'}}]}", NULL,
	  "apps[0].nginx.server_name: contains '\\'" },
	{ APP ",'nginx':{'server_name':'a\\u0001'}}]}", NULL,
	  "apps[0].nginx.server_name: contains control character 0x01" },
	{ APP "}],'nginx':{'balance':'hash $a;'}}", NULL,
	  "eco.json:1:87: nginx.balance: contains ';'" },
	{ APP ",'nginx':{'static':{'location':'/s/','dir':'a;b'}}}]}", NULL,
	  "apps[0].nginx.static.dir: contains ';'" },
	/* keys */
	{ APP ",'nginx':{'wieght':2}}]}", NULL,
	  "eco.json:1:84: apps[0].nginx.wieght: unknown key (did you mean "
	  "\"weight\"?)" },
	{ APP ",'nginx':{'gzip':true}}]}", NULL,
	  "apps[0].nginx.gzip: unknown key" },
	{ APP ",'nginx':{'auto':true}}]}", NULL,
	  "apps[0].nginx.auto: only allowed in the top-level \"nginx\" "
	  "object" },
	{ APP "}],'nginx':{'upstream':'x'}}", NULL,
	  "nginx.upstream: only allowed in an app's \"nginx\" object" },
	/* types and ranges */
	{ APP ",'nginx':{'weight':0}}]}", NULL,
	  "apps[0].nginx.weight: expected an integer from 1 to 10000" },
	{ APP ",'nginx':{'weight':'2'}}]}", NULL,
	  "apps[0].nginx.weight: expected an integer from 1 to 10000" },
	{ APP ",'nginx':{'max_fails':1.5}}]}", NULL,
	  "apps[0].nginx.max_fails: expected an integer from 0 to 10000" },
	{ APP ",'nginx':{'keepalive':-1}}]}", NULL,
	  "apps[0].nginx.keepalive: expected an integer from 0 to 100000" },
	{ APP ",'nginx':{'fail_timeout':'10 s'}}]}", NULL,
	  "apps[0].nginx.fail_timeout: expected seconds or a time" },
	{ APP ",'nginx':{'client_max_body_size':'1mb'}}]}", NULL,
	  "apps[0].nginx.client_max_body_size: expected bytes or a size" },
	{ APP ",'nginx':{'listen':70000}}]}", NULL,
	  "apps[0].nginx.listen: expected a port from 1 to 65535" },
	{ APP ",'nginx':{'listen':'1.2.3.4'}}]}", NULL,
	  "apps[0].nginx.listen: a port is needed" },
	{ APP ",'nginx':{'listen':true}}]}", NULL,
	  "apps[0].nginx.listen: expected a port or \"host:port\"" },
	{ APP ",'nginx':{'server_name':'a b'}}]}", NULL,
	  "apps[0].nginx.server_name: expected host names" },
	{ APP ",'nginx':{'server_name':[]}}]}", NULL,
	  "apps[0].nginx.server_name: expected a name or an array of names" },
	{ APP ",'nginx':{'upstream':'a b'}}]}", NULL,
	  "apps[0].nginx.upstream: expected a name of letters" },
	{ APP ",'nginx':{'balance':'hash'}}]}", NULL,
	  "apps[0].nginx.balance: expected \"round_robin\"" },
	{ APP ",'nginx':{'balance':'random three'}}]}", NULL,
	  "apps[0].nginx.balance: expected \"round_robin\"" },
	{ APP ",'nginx':{'backup':[true]}}]}", NULL,
	  "apps[0].nginx.backup[0]: expected a host, an instance number" },
	{ APP ",'nginx':{'down':'a b'}}]}", NULL,
	  "apps[0].nginx.down: 'a b' is not a host" },
	{ APP ",'cwd':'/srv/a;b','nginx':{'static':{'location':'/s/',"
	  "'dir':'public'}}}]}", NULL, "apps[0].nginx.static.dir: the "
	  "directory '/srv/a;b/public/' contains ';'" },
	{ APP ",'nginx':{'static':{'location':'/s','dir':'x'}}}]}", NULL,
	  "apps[0].nginx.static.location: expected a URL path" },
	{ APP ",'nginx':{'static':{'dir':'x'}}}]}", NULL,
	  "apps[0].nginx.static: needs \"location\" and \"dir\"" },
	{ APP ",'nginx':{'static':{'location':'/s/','dir':'x',"
	  "'expires':'soon'}}}]}", NULL,
	  "apps[0].nginx.static.expires: expected a time" },
	{ APP ",'nginx':{'static':{'location':'/s/','dir':'x','root':'y'}}}"
	  "]}", NULL, "apps[0].nginx.static.root: unknown key" },
	{ APP "}],'nginx':{'output':''}}", NULL,
	  "nginx.output: expected a file name" },
	{ APP "}],'nginx':{'auto':'yes'}}", NULL,
	  "nginx.auto: expected true or false" },
	/* what only the whole file can tell */
	{ APP ",'nginx':{'backup':[2]}}]}", NULL,
	  "apps[0].nginx.backup[0]: no instance 2 (the app has 2 servers "
	  "per host)" },
	{ APP ",'nginx':{'backup':'198.51.100.9'}}]" PROD "}", "prod",
	  "apps[0].nginx.backup: '198.51.100.9' is not a host of target "
	  "'prod'" },
	{ APP ",'nginx':{'backup':1,'balance':'ip_hash'}}]}", NULL,
	  "apps[0].nginx.backup: nginx allows backup servers only with "
	  "round_robin or least_conn balancing, not 'ip_hash'" },
	{ APP "}],'nginx':{'backup':0,'balance':'hash $uri'}}", NULL,
	  "nginx.backup: nginx allows backup servers only" },
	{ APP ",'nginx':{'down':[0,1]}}]}", NULL,
	  "apps[0].nginx.down: leaves no server that is neither backup nor "
	  "down" },
	{ APP "},{'name':'api','script':'a.js','port':4000}]}", NULL,
	  "apps[1].nginx: upstream 'web' has listen 80 without a server_name "
	  "too" },
	{ APP ",'nginx':{'server_name':'x'}},{'name':'api','script':'a.js',"
	  "'port':4000,'nginx':{'server_name':['y','x']}}]}", NULL,
	  "apps[1].nginx.server_name: listen 80 with server name 'x' is "
	  "taken by upstream 'web'" },
	{ APP ",'nginx':{'upstream':'u'}},{'name':'api','script':'a.js',"
	  "'port':4000,'nginx':{'upstream':'u','listen':81}}]}", NULL,
	  "apps[1].nginx.upstream: upstream 'u' is taken by another app" },
	{ "{'apps':[{'name':'web app','script':'s.js','port':3000}]}", NULL,
	  "apps[0].name: cannot name an nginx upstream" },
	{ "{'apps':[{'name':'w','script':'s.js','nginx':{}}]}", NULL,
	  "apps[0].nginx: the app has no \"port\" or \"listen\"" },
	{ "{'apps':[{'name':'w','script':'s.js'}]}", NULL,
	  "eco.json: no app has a \"port\" or \"listen\" for nginx" },
	{ APP "}]}", "nope", "eco.json: no deploy target 'nope'" },
	{ APP "}],'deploy':{'p':{'host':'a_b!c','path':'/x','repo':'r'}}}",
	  "p", "deploy.p.host: 'a_b!c' is not a host nginx can reach" },
	/* shared server blocks */
	{ "{'nginx':{'server':'example.com','server_name':'x'},'apps':["
	  "{'name':'a','script':'a.js','port':3000}]}", NULL,
	  "nginx.server_name: give either \"server\" (a server block apps "
	  "share) or \"server_name\", not both" },
	{ "{'nginx':{'server':'example.com'},'apps':[{'name':'a','script':"
	  "'a.js','port':3000},{'name':'b','script':'b.js','port':4000}]}",
	  NULL, "apps[1].nginx: location '/' is taken by upstream 'a' in "
	  "server 'example.com'" },
	{ "{'nginx':{'server':'example.com'},'apps':[{'name':'a','script':"
	  "'a.js','port':3000,'nginx':{'static':{'location':'/s/','dir':"
	  "'p'}}},{'name':'b','script':'b.js','port':4000,'nginx':{"
	  "'location':'/s/'}}]}", NULL, "apps[1].nginx.location: location "
	  "'/s/' is taken by upstream 'a' in server 'example.com'" },
	{ "{'nginx':{'server':'example.com'},'apps':[{'name':'a','script':"
	  "'a.js','port':3000,'nginx':{'client_max_body_size':'1m'}},"
	  "{'name':'b','script':'b.js','port':4000,'nginx':{'location':"
	  "'/b/'}}]}", NULL, "apps[1].nginx: \"client_max_body_size\" "
	  "differs from that of upstream 'a', which shares server "
	  "'example.com'" },
	{ "{'nginx':{'server':'app.test','tls':{'live':'CERTS/live/app.test'"
	  "}},'apps':[{'name':'a','script':'a.js','port':3000},{'name':'b',"
	  "'script':'b.js','port':4000,'nginx':{'location':'/b/','tls':{"
	  "'live':'CERTS/live/app.test','hsts':true}}}]}", NULL,
	  "apps[1].nginx.tls: \"tls\" differs from that of "
	  "upstream 'a'" },
	{ APP ",'nginx':{'location':'api/'}}]}", NULL,
	  "apps[0].nginx.location: expected a URL path that starts and ends "
	  "with '/'" },
	{ APP ",'nginx':{'location':'/a b/'}}]}", NULL,
	  "apps[0].nginx.location: expected a URL path" },
	{ APP "}],'nginx':{'location':'/a/'}}", NULL,
	  "nginx.location: only allowed in an app's \"nginx\" object" },
	{ APP ",'nginx':{'strip_prefix':1}}]}", NULL,
	  "apps[0].nginx.strip_prefix: expected true or false" },
	/* tls: the object */
	{ TLS_END("'certificate':'c.pem'"), NULL, "apps[0].nginx.tls: "
	  "needs \"certificate\" and \"key\", or \"live\"" },
	{ TLS_END("'live':'l','key':'k.pem'"), NULL,
	  "apps[0].nginx.tls: needs" },
	{ APP ",'nginx':{'tls':true}}]}", NULL, "apps[0].nginx.tls: expected "
	  "an object" },
	{ TLS_END("'live':'l','ocsp':true"), NULL,
	  "apps[0].nginx.tls.ocsp: unknown key (known: certificate, key, " },
	{ TLS_END("'live':'l','hsts':'yes'"), NULL,
	  "apps[0].nginx.tls.hsts: expected true, false or seconds" },
	{ TLS_END("'live':'l','http2':1"), NULL,
	  "apps[0].nginx.tls.http2: expected true or false" },
	{ TLS_END("'live':'l','http_listen':0"), NULL,
	  "apps[0].nginx.tls.http_listen: expected a port from 1 to 65535" },
	{ TLS_END("'live':'a$b'"), NULL,
	  "apps[0].nginx.tls.live: contains '$'" },
	{ TLS_END("'live':'a;b'"), NULL,
	  "apps[0].nginx.tls.live: contains ';'" },
	/* tls: the certificate and key, before anything is written */
	{ TLS("'certificate':'CERTS/nosuch.pem','key':'CERTS/site.key'")
	  "}}]}", NULL, "eco.json:1:121: apps[0].nginx.tls.certificate: "
	  "cannot read 'CERTS/nosuch.pem': No such file or directory" },
	{ TLS("'certificate':'CERTS/site.pem','key':'CERTS/nosuch.key'")
	  "}}]}", NULL, "apps[0].nginx.tls.key: cannot read "
	  "'CERTS/nosuch.key': No such file or directory" },
	{ TLS("'certificate':'CERTS/notcert.pem','key':'CERTS/site.key'")
	  "}}]}", NULL, "apps[0].nginx.tls.certificate: 'CERTS/notcert.pem' "
	  "is not a PEM certificate" },
	{ TLS("'certificate':'CERTS/site.key','key':'CERTS/site.key'")
	  "}}]}", NULL, "apps[0].nginx.tls.certificate: 'CERTS/site.key' "
	  "is not a PEM certificate" },
	{ TLS("'certificate':'CERTS/site.pem','key':'CERTS/other.key'")
	  "}}]}", NULL, "apps[0].nginx.tls.key: 'CERTS/other.key' is not the "
	  "key of the certificate 'CERTS/site.pem'" },
	{ TLS("'certificate':'CERTS/site.pem','key':'CERTS/site.pem'")
	  "}}]}", NULL, "apps[0].nginx.tls.key: 'CERTS/site.pem' is not a "
	  "private key nginx can read" },
	{ TLS("'certificate':'CERTS/old.pem','key':'CERTS/site.key'")
	  "}}]}", NULL, "apps[0].nginx.tls.certificate: the certificate "
	  "'CERTS/old.pem' expired on 2020-01-02" },
	{ TLS_END("'live':'CERTS/nosuch'"), NULL, "apps[0].nginx.tls.live: "
	  "cannot read 'CERTS/nosuch/fullchain.pem'" },
	{ TLS("'live':'CERTS/live/app.test'") ",'server_name':['app.test',"
	  "'a.b.app.test']}}]}", NULL, "apps[0].nginx.tls.live: the "
	  "certificate 'CERTS/live/app.test/fullchain.pem' does not cover "
	  "server name 'a.b.app.test' (it names app.test, *.app.test, "
	  "localhost, 127.0.0.1)" },
	{ "{'nginx':{'tls':{'live':'CERTS/live/app.test'}},'apps':[{'name':"
	  "'a','script':'a.js','port':3000,'nginx':{'server_name':"
	  "'www.*'}}]}", NULL, "nginx.tls.live: the certificate "
	  "'CERTS/live/app.test/fullchain.pem' does not cover server name "
	  "'www.*'" },
	{ TLS("'live':'CERTS/live/app.test'") ",'server_name':'.test'}}]}",
	  NULL, "apps[0].nginx.tls.live: the certificate "
	  "'CERTS/live/app.test/fullchain.pem' does not cover server name "
	  "'.test'" },
	/* without subjectAltName, the subject's CN names it */
	{ TLS_END("'certificate':'CERTS/cn.pem','key':'CERTS/site.key'"),
	  NULL, "apps[0].nginx.tls.certificate: the certificate "
	  "'CERTS/cn.pem' does not cover server name 'app.test' (it names "
	  "cn.app.test)" },
	/* the redirect's port 80 is taken like any listen */
	{ TLS("'live':'CERTS/live/app.test'") "}},{'name':'b','script':'b.js',"
	  "'port':4000,'nginx':{'server_name':'app.test'}}]}", NULL,
	  "apps[1].nginx.server_name: listen 80 with server name 'app.test' "
	  "is taken by upstream 'web'" },
	/* the place is found in the other shapes of the file too */
	{ "[{'name':'w','script':'s.js','port':3000,'nginx':{'weight':0}}]",
	  NULL, "eco.json:1:60: apps[0].nginx.weight: expected an integer" },
	{ "{'name':'w','script':'s.js','port':3000,\n'nginx':{'weight':0}}",
	  NULL, "eco.json:2:19: apps[0].nginx.weight: expected an integer" },
};

/* A bad value fails with an error that names its key and place. */
START_TEST(test_error)
{
	const struct err_row *r = &err_rows[_i];
	char *dir = tmp_dir();
	struct ecosystem *eco = load_eco(dir, r->eco);
	struct derr e = { "" };
	json_t *ctx = nginx_context(eco, r->target, &e);
	char *expanded = expand(r->want);
	char *want = xasprintf("%s%s", strncmp(r->want, "eco.json", 8) ?
			       ": " : "/", expanded);

	ck_assert_msg(ctx == NULL, "row %d: no error", _i);
	ck_assert_msg(strstr(e.msg, want) != NULL, "row %d: '%s' lacks '%s'",
		      _i, e.msg, want);
	ck_assert_msg(strncmp(e.msg, dir, strlen(dir)) == 0, "row %d: '%s' "
		      "does not start with the file", _i, e.msg);
	free(want);
	free(expanded);
	ecosystem_free(eco);
	rm_dir(dir);
}
END_TEST

/* Which checker a value row is for. */
enum checker { C_TIME, C_SIZE, C_LISTEN, C_BALANCE, C_NAME, C_HOST };

/* A checker, a JSON value (or a plain string for C_NAME, C_HOST), and
 * whether it is good. */
static const struct value_row {
	enum checker c;
	const char *value;
	int ok;
} value_rows[] = {
	{ C_TIME, "10", 1 }, { C_TIME, "0", 1 }, { C_TIME, "'10s'", 1 },
	{ C_TIME, "'1m30s'", 1 }, { C_TIME, "'500ms'", 1 },
	{ C_TIME, "'2h'", 1 }, { C_TIME, "'1d'", 1 }, { C_TIME, "'7'", 1 },
	{ C_TIME, "-1", 0 }, { C_TIME, "'s'", 0 }, { C_TIME, "'10x'", 0 },
	{ C_TIME, "''", 0 }, { C_TIME, "'1 m'", 0 }, { C_TIME, "1.5", 0 },
	{ C_TIME, "true", 0 }, { C_TIME, "'99999999999s'", 0 },
	{ C_SIZE, "0", 1 }, { C_SIZE, "1048576", 1 }, { C_SIZE, "'10m'", 1 },
	{ C_SIZE, "'512k'", 1 }, { C_SIZE, "'1G'", 1 }, { C_SIZE, "'7'", 1 },
	{ C_SIZE, "'1mb'", 0 }, { C_SIZE, "'1m1k'", 0 }, { C_SIZE, "-5", 0 },
	{ C_SIZE, "'m'", 0 }, { C_SIZE, "null", 0 },
	{ C_LISTEN, "80", 1 }, { C_LISTEN, "'8080'", 1 },
	{ C_LISTEN, "'127.0.0.1:8080'", 1 }, { C_LISTEN, "'[::]:443'", 1 },
	{ C_LISTEN, "':81'", 1 }, { C_LISTEN, "'localhost:80'", 1 },
	{ C_LISTEN, "0", 0 }, { C_LISTEN, "65536", 0 },
	{ C_LISTEN, "'1.2.3.4'", 0 }, { C_LISTEN, "'a b:80'", 0 },
	{ C_LISTEN, "'-x:80'", 0 }, { C_LISTEN, "'h:0'", 0 },
	{ C_BALANCE, "'round_robin'", 1 }, { C_BALANCE, "'least_conn'", 1 },
	{ C_BALANCE, "'ip_hash'", 1 }, { C_BALANCE, "'hash $uri'", 1 },
	{ C_BALANCE, "'hash $remote_addr$uri consistent'", 1 },
	{ C_BALANCE, "'random'", 1 }, { C_BALANCE, "'random two'", 1 },
	{ C_BALANCE, "'random two least_conn'", 1 },
	{ C_BALANCE, "'hash'", 0 }, { C_BALANCE, "'hash a b'", 0 },
	{ C_BALANCE, "'least_time'", 0 }, { C_BALANCE, "'ip_hash x'", 0 },
	{ C_BALANCE, "'random two least_time'", 0 },
	{ C_BALANCE, "''", 0 }, { C_BALANCE, "3", 0 },
	{ C_NAME, "example.com", 1 }, { C_NAME, "*.example.com", 1 },
	{ C_NAME, "_", 1 }, { C_NAME, "www.*", 1 }, { C_NAME, "", 0 },
	{ C_NAME, "a b", 0 }, { C_NAME, "~^re$", 0 }, { C_NAME, "a/b", 0 },
	{ C_HOST, "192.0.2.1", 1 }, { C_HOST, "web-1.internal", 1 },
	{ C_HOST, "fd00::1", 1 }, { C_HOST, "", 0 }, { C_HOST, "-x", 0 },
	{ C_HOST, "a b", 0 }, { C_HOST, "a:b:g", 0 }, { C_HOST, "a;b", 0 },
};

/* Each single-value checker takes the good values and only those. */
START_TEST(test_value)
{
	const struct value_row *r = &value_rows[_i];
	char *text = quotes(r->value);
	json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
	const char *bad = NULL;
	int ok;

	switch (r->c) {
	case C_TIME: bad = ngx_check_time(v); break;
	case C_SIZE: bad = ngx_check_size(v); break;
	case C_LISTEN: bad = ngx_check_listen(v); break;
	case C_BALANCE: bad = ngx_check_balance(v); break;
	case C_NAME: bad = ngx_check_server_name(r->value); break;
	case C_HOST: bad = ngx_is_host(r->value) ? NULL : "bad"; break;
	}
	ok = bad == NULL;
	ck_assert_msg(ok == r->ok, "row %d: %s: got %s", _i, r->value,
		      bad ? bad : "ok");
	json_decref(v);
	free(text);
}
END_TEST

/* A balance value, its kind, and the directive it becomes. */
static const struct balance_row {
	const char *in;
	enum ngx_balance kind;
	const char *directive;
} balance_rows[] = {
	{ "round_robin", NGX_ROUND_ROBIN, NULL },
	{ "least_conn", NGX_LEAST_CONN, "least_conn" },
	{ " ip_hash ", NGX_IP_HASH, "ip_hash" },
	{ "hash\t$uri   consistent", NGX_HASH, "hash $uri consistent" },
	{ "random two", NGX_RANDOM, "random two" },
};

/* ngx_balance_parse gives the kind and tidies the directive. */
START_TEST(test_balance)
{
	const struct balance_row *r = &balance_rows[_i];
	char *d;

	ck_assert_int_eq(ngx_balance_parse(r->in, &d), r->kind);
	if (r->directive == NULL)
		ck_assert_ptr_null(d);
	else
		ck_assert_str_eq(d, r->directive);
	free(d);
}
END_TEST

/* Settings: paths against the file's directory, defaults. */
START_TEST(test_settings)
{
	char *dir = tmp_dir(), *want;
	struct ecosystem *eco = load_eco(dir, APP "}],'nginx':{'auto':true,"
		"'output':'conf/deploy.conf','template':'/t/x.tmpl',"
		"'binary':'nginx-debug','main_config':'/etc/nginx/n.conf'}}");
	struct nginx_settings s;
	struct derr e;

	ck_assert_int_eq(nginx_settings_read(eco, &s, &e), 0);
	ck_assert(s.auto_apply);
	want = xasprintf("%s/conf/deploy.conf", dir);
	ck_assert_str_eq(s.output, want);
	ck_assert_str_eq(s.template_path, "/t/x.tmpl");
	ck_assert_str_eq(s.binary, "nginx-debug");
	ck_assert_str_eq(s.main_config, "/etc/nginx/n.conf");
	ck_assert_str_eq(s.pid_file, NGINX_PID_FILE);
	nginx_settings_clear(&s);
	nginx_settings_clear(&s);	/* twice is harmless */
	ck_assert_ptr_null(s.output);
	free(want);
	ecosystem_free(eco);
	eco = load_eco(dir, APP "}]}");
	ck_assert_int_eq(nginx_settings_read(eco, &s, &e), 0);
	ck_assert(!s.auto_apply);
	ck_assert_ptr_null(s.output);
	ck_assert_ptr_null(s.binary);
	nginx_settings_clear(&s);
	ecosystem_free(eco);
	rm_dir(dir);
}
END_TEST

/* The installed template renders a context; it refuses unsafe values
 * that a hand-made context might hold. */
START_TEST(test_render)
{
	char *dir = tmp_dir(), *tmpl = xasprintf("%s/t.tmpl", dir);
	struct ecosystem *eco = load_eco(dir, APP ",'nginx':{'keepalive':8,"
		"'backup':1,'weight':2}}]}");
	struct strbuf out = STRBUF_INIT;
	struct derr e;
	json_t *ctx = nginx_context(eco, NULL, &e);
	FILE *f;

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(nginx_render(ctx, "templates/" NGINX_TEMPLATE, &out,
				      &e), 0);
	ck_assert_ptr_nonnull(strstr(out.buf, "upstream web {\n"
		"\tserver 127.0.0.1:3000 weight=2 max_fails=0;\n"
		"\tserver 127.0.0.1:3001 weight=2 max_fails=0 backup;\n"
		"\tkeepalive 8;\n}\n"));
	ck_assert_ptr_nonnull(strstr(out.buf, "proxy_set_header Connection "
				     "$deploy_connection_keepalive;"));
	f = fopen(tmpl, "w");
	ck_assert_ptr_nonnull(f);
	fputs("{{#apps}}\nserver_name {{upstream}};\n{{/apps}}\n", f);
	fclose(f);
	json_object_set_new(json_array_get(json_object_get(ctx, "apps"), 0),
			    "upstream", json_string("x;evil"));
	strbuf_reset(&out);
	ck_assert_int_eq(nginx_render(ctx, tmpl, &out, &e), -1);
	ck_assert_str_eq(e.msg, "t.tmpl:2: value of 'upstream' contains ';'");
	json_decref(ctx);
	strbuf_release(&out);
	free(tmpl);
	ecosystem_free(eco);
	rm_dir(dir);
}
END_TEST

/* nginx -t in a temporary prefix: passes a good config; a bad one
 * fails with nginx's own message naming the file as the caller does. */
START_TEST(test_check_text)
{
	static const char good[] = "upstream u {\n\tserver 127.0.0.1:1;\n"
		"}\nserver {\n\tlisten 127.0.0.1:1;\n\tlocation / {\n"
		"\t\tproxy_pass http://u;\n\t}\n}\n";
	struct derr e;

	if (access(NGINX_BIN, X_OK) != 0)
		return;		/* make deps installs it */
	ck_assert_msg(nginx_check_text(NULL, good, strlen(good), "x.conf",
				       &e) == 0, "%s", e.msg);
	ck_assert_int_eq(nginx_check_text(NULL, "\nbogus on;\n", 11,
					  "/etc/nginx/conf.d/x.conf", &e), -1);
	ck_assert_str_eq(e.msg, "nginx -t failed: [emerg] unknown directive "
			 "\"bogus\" in /etc/nginx/conf.d/x.conf:2");
	ck_assert_int_eq(nginx_check_text("/nonexistent/nginx", good,
					  strlen(good), "x", &e), -1);
	ck_assert_str_eq(e.msg, "cannot run '/nonexistent/nginx': No such "
			 "file or directory");
}
END_TEST

/* A fake nginx: -t passes in a temporary prefix (-p) and fails on the
 * main config, printing what nginx would. */
static const char fake_nginx[] =
	"#!/bin/sh\n"
	"case \"$*\" in *' -p '*) exit 0 ;; esac\n"
	"echo 'nginx: [emerg] host not found in upstream \"x\" in "
	"/etc/nginx/nginx.conf:9' >&2\n"
	"echo 'nginx: configuration file /etc/nginx/nginx.conf test "
	"failed' >&2\n"
	"exit 1\n";

/* What a row of the apply table sets up and expects. */
static const struct apply_row {
	bool old;		/* a previous file exists */
	bool main_config;	/* the fake fails on the main config */
	bool reload;		/* reload; the pid file names no nginx */
	bool skip_same;
	bool same;		/* the new text is the old one */
	int rc;
	enum nginx_step failed;
	const char *msg;	/* start of e.msg */
	const char *after;	/* the file afterwards; NULL: absent */
	const char *bak;	/* FILE.bak afterwards; NULL: absent */
} apply_rows[] = {
	/* plain writes keep the previous file as .bak */
	{ false, false, false, false, false, 0, NGINX_STEP_NONE, NULL,
	  "new\n", NULL },
	{ true, false, false, false, false, 0, NGINX_STEP_NONE, NULL,
	  "new\n", "old\n" },
	/* nginx's config fails after the write: put back byte for byte */
	{ true, true, false, false, false, -1, NGINX_STEP_CHECK,
	  "nginx -t failed: [emerg] host not found in upstream \"x\" in "
	  "/etc/nginx/nginx.conf:9", "old\n", "old\n" },
	{ false, true, false, false, false, -1, NGINX_STEP_CHECK,
	  "nginx -t failed: [emerg]", NULL, NULL },
	/* the reload fails: put back too */
	{ true, false, true, false, false, -1, NGINX_STEP_RELOAD,
	  "pid ", "old\n", "old\n" },
	/* the same text with skip_same: nothing happens at all */
	{ true, true, true, true, true, 0, NGINX_STEP_NONE, NULL,
	  "new\n", NULL },
};

/* nginx_apply writes, keeps .bak and undoes as the table says. */
START_TEST(test_apply)
{
	const struct apply_row *r = &apply_rows[_i];
	char *dir = tmp_dir(), *out = xasprintf("%s/deploy.conf", dir);
	char *bak = xasprintf("%s.bak", out), *fake, *pid;
	char self[32];
	struct strbuf sb = STRBUF_INIT;
	struct nginx_apply a = { .text = "new\n", .len = 4, .output = out };
	struct nginx_outcome o;
	struct derr e = { "" };
	int rc;

	fake = put_file(dir, "nginx", fake_nginx, 0755);
	snprintf(self, sizeof self, "%d\n", (int)getpid());
	pid = put_file(dir, "nginx.pid", self, 0644);
	free(put_file(dir, "deploy.conf", r->same ? "new\n" : "old\n",
		      0640));
	if (!r->old)
		unlink(out);
	a.binary = fake;
	a.check = true;
	a.main_config = r->main_config ? "/etc/nginx/nginx.conf" : NULL;
	a.reload = r->reload;
	a.pid_file = pid;
	a.skip_same = r->skip_same;
	rc = nginx_apply(&a, &o, &e);
	ck_assert_msg(rc == r->rc, "row %d: rc %d: %s", _i, rc, e.msg);
	ck_assert_int_eq(o.failed, r->failed);
	if (r->msg != NULL)
		ck_assert_msg(strncmp(e.msg, r->msg, strlen(r->msg)) == 0,
			      "row %d: '%s'", _i, e.msg);
	ck_assert_int_eq(strbuf_read_file(&sb, out, 0) == 0, r->after != 0);
	if (r->after != NULL)
		ck_assert_str_eq(sb.buf, r->after);
	strbuf_reset(&sb);
	ck_assert_int_eq(strbuf_read_file(&sb, bak, 0) == 0, r->bak != 0);
	if (r->bak != NULL)
		ck_assert_str_eq(sb.buf, r->bak);
	if (r->old && r->after != NULL) {
		struct stat st;

		ck_assert_int_eq(stat(out, &st), 0);
		ck_assert_int_eq(st.st_mode & 0777, 0640);	/* kept */
	}
	ck_assert_int_eq(o.restored, r->failed != NGINX_STEP_NONE);
	strbuf_release(&sb);
	free(fake);
	free(pid);
	free(out);
	free(bak);
	rm_dir(dir);
}
END_TEST

/* The reload refuses a missing pid file and a pid that is not nginx. */
START_TEST(test_reload_refuses)
{
	char *dir = tmp_dir(), *missing = xasprintf("%s/none.pid", dir);
	char *pid, self[32];
	struct derr e;
	pid_t got;

	ck_assert_int_eq(nginx_signal_reload(missing, 100, &got, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "nginx is not running: no pid "
				     "file"));
	pid = put_file(dir, "junk.pid", "x\n", 0644);
	ck_assert_int_eq(nginx_signal_reload(pid, 100, &got, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "holds no pid"));
	free(pid);
	snprintf(self, sizeof self, "%d", (int)getpid());
	pid = put_file(dir, "self.pid", self, 0644);
	ck_assert_int_eq(nginx_signal_reload(pid, 100, &got, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "is not an nginx master"));
	free(pid);
	free(missing);
	rm_dir(dir);
}
END_TEST

/* Make the test certificates once, before the case's forks. */
static void
make_certs(void)
{
	char *cmd;

	certs = tmp_dir();
	cmd = xasprintf("tests/fixtures/nginx/mkcert.sh '%s'", certs);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/* Remove them. */
static void
remove_certs(void)
{
	rm_dir(certs);
	certs = NULL;
}

/* The nginx suite. */
static Suite *
nginx_suite(void)
{
	Suite *s = suite_create("nginx");
	TCase *tc = tcase_create("nginx");

	tcase_set_timeout(tc, 30);
	tcase_add_unchecked_fixture(tc, make_certs, remove_certs);
	tcase_add_loop_test(tc, test_context, 0, ARRAY_SIZE(ctx_rows));
	tcase_add_loop_test(tc, test_error, 0, ARRAY_SIZE(err_rows));
	tcase_add_loop_test(tc, test_value, 0, ARRAY_SIZE(value_rows));
	tcase_add_loop_test(tc, test_balance, 0, ARRAY_SIZE(balance_rows));
	tcase_add_test(tc, test_settings);
	tcase_add_test(tc, test_render);
	tcase_add_test(tc, test_check_text);
	tcase_add_loop_test(tc, test_apply, 0, ARRAY_SIZE(apply_rows));
	tcase_add_test(tc, test_reload_refuses);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; exit status 0 when every test passed. */
int
main(void)
{
	SRunner *sr = srunner_create(nginx_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

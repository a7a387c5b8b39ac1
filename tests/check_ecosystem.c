/* check_ecosystem.c: the ecosystem parser, its values and its messages */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/lib/cron.h"
#include "core/eco/eco_int.h"
#include "core/eco/ecosystem.h"
#include "core/lib/jsonpos.h"
#include "core/lib/loop.h"
#include "core/lib/strbuf.h"

/* Run from the top of the tree (tests/run.sh does). */
#define FIX "tests/fixtures/ecosystems/"

/* A fixture or text that must fail with exactly this message. */
struct bad_case {
	const char *input;	/* file name under FIX, or JSON text */
	const char *env;
	const char *msg;
};

/* A resolved value: the JSON at path of ecosystem_to_json(). */
struct value_case {
	const char *file;
	const char *env;
	const char *path;	/* "apps.0.env.PORT" */
	const char *json;	/* compact; @DIR@ is the file's directory */
};

/* A warning a fixture must produce. */
struct warn_case {
	const char *file;
	const char *env;
	const char *msg;
};

/* The start of an app, so that line 2 holds the key under test. */
#define APP "{\"apps\":[{\"script\":\"a.js\",\n"
#define END "}]}"

static const struct bad_case bad_files[] = {
	{ "bad-instances.json", NULL, FIX "bad-instances.json:14:20: "
	  "apps[2].instances: expected a number or \"max\"" },
	{ "dup-name.json", NULL, FIX "dup-name.json:6:15: apps[3].name: "
	  "duplicate app name 'api' (also apps[1])" },
	{ "missing-script.json", NULL, FIX "missing-script.json:3:5: "
	  "apps[0]: missing \"script\"" },
	{ "port-overlap.json", NULL, FIX "port-overlap.json:4:50: "
	  "apps[1].port: ports 3000-3003 overlap app 'web' (3002-3003)" },
	{ "deploy-bad-host.json", NULL, FIX "deploy-bad-host.json:6:9: "
	  "deploy.production.host[1]: expected \"host\" or \"host:port\"" },
	{ "bad-env.json", NULL, FIX "bad-env.json:7:19: apps[0].env.CONFIG: "
	  "expected a string, number or boolean" },
	{ "syntax-error.json", NULL, FIX "syntax-error.json:6:17: invalid "
	  "JSON: '}' expected near '\"instances\"'" },
	{ "no-such-file.json", NULL, "cannot read '" FIX "no-such-file.json"
	  "': No such file or directory" },
};

static const struct bad_case bad_texts[] = {
	/* syntax */
	{ "", NULL, "eco.json:1:1: invalid JSON: '[' or '{' expected near "
	  "end of file" },
	{ "{\"apps\": [}", NULL, "eco.json:1:11: invalid JSON: unexpected "
	  "token near '}'" },
	{ "{\"apps\":[]} /* open", NULL, "eco.json:1:13: invalid JSON: end "
	  "of file expected near '/'" },
	{ "\"apps\"", NULL, "eco.json:1:6: invalid JSON: '[' or '{' expected "
	  "near '\"apps\"'" },
	/* shape */
	{ "{}", NULL, "eco.json:1:1: missing \"apps\"" },
	{ "{\"apps\":5}", NULL, "eco.json:1:9: apps: expected an array of "
	  "apps" },
	{ "{\"apps\":[1]}", NULL, "eco.json:1:10: apps[0]: expected an "
	  "object" },
	{ "{\"apps\":[{\"name\":\"x\"}]}", NULL, "eco.json:1:10: apps[0]: "
	  "missing \"script\"" },
	{ "[{\"script\":\"a.js\",\"instances\":2.5}]", NULL, "eco.json:1:31: "
	  "[0].instances: expected a number or \"max\"" },
	{ "{\"script\":\"a.js\",\"port\":\"x\"}", NULL, "eco.json:1:25: port: "
	  "expected a port number (1-65535)" },
	{ "{\"apps\":[],\"nginx\":5}", NULL, "eco.json:1:20: nginx: expected "
	  "an object" },
	/* app values */
	{ APP "\"instances\":\"four\"" END, NULL, "eco.json:2:13: "
	  "apps[0].instances: expected a number or \"max\"" },
	{ APP "\"instances\":true" END, NULL, "eco.json:2:13: "
	  "apps[0].instances: expected a number or \"max\"" },
	{ APP "\"instances\":5000" END, NULL, "eco.json:2:13: "
	  "apps[0].instances: must be 4096 or less" },
	{ APP "\"exec_mode\":\"threads\"" END, NULL, "eco.json:2:13: "
	  "apps[0].exec_mode: expected \"fork\" or \"cluster\"" },
	{ APP "\"port\":0" END, NULL, "eco.json:2:8: apps[0].port: expected "
	  "a port number (1-65535)" },
	{ APP "\"port\":70000" END, NULL, "eco.json:2:8: apps[0].port: "
	  "expected a port number (1-65535)" },
	{ APP "\"port\":65534,\"instances\":4" END, NULL, "eco.json:2:8: "
	  "apps[0].port: ports 65534-65537 go past 65535" },
	{ APP "\"max_memory_restart\":\"300Q\"" END, NULL, "eco.json:2:22: "
	  "apps[0].max_memory_restart: expected bytes or a size like "
	  "\"300M\"" },
	{ APP "\"max_memory_restart\":-1" END, NULL, "eco.json:2:22: "
	  "apps[0].max_memory_restart: must be 0 or more" },
	{ APP "\"min_uptime\":\"5 seconds\"" END, NULL, "eco.json:2:14: "
	  "apps[0].min_uptime: expected milliseconds or a duration like "
	  "\"5s\"" },
	{ APP "\"kill_timeout\":-5" END, NULL, "eco.json:2:16: "
	  "apps[0].kill_timeout: must be 0 or more" },
	{ APP "\"kill_timeout\":\"1000h\"" END, NULL, "eco.json:2:16: "
	  "apps[0].kill_timeout: must be 2147483647 or less" },
	{ APP "\"restart_delay\":true" END, NULL, "eco.json:2:17: "
	  "apps[0].restart_delay: expected milliseconds or a duration like "
	  "\"5s\"" },
	{ APP "\"autorestart\":\"yes\"" END, NULL, "eco.json:2:15: "
	  "apps[0].autorestart: expected true or false" },
	{ APP "\"max_restarts\":-1" END, NULL, "eco.json:2:16: "
	  "apps[0].max_restarts: must be 0 or more" },
	{ APP "\"max_restarts\":1.5" END, NULL, "eco.json:2:16: "
	  "apps[0].max_restarts: expected an integer" },
	{ APP "\"log_max_files\":2000" END, NULL, "eco.json:2:17: "
	  "apps[0].log_max_files: must be 1000 or less" },
	{ APP "\"kill_signal\":\"SIGFOO\"" END, NULL, "eco.json:2:15: "
	  "apps[0].kill_signal: expected a signal name like \"SIGTERM\" or "
	  "a number" },
	{ APP "\"kill_signal\":99" END, NULL, "eco.json:2:15: "
	  "apps[0].kill_signal: expected a signal name like \"SIGTERM\" or "
	  "a number" },
	{ APP "\"listen\":\"host:port\"" END, NULL, "eco.json:2:10: "
	  "apps[0].listen: expected \"host:port\", \":port\" or a port "
	  "number" },
	{ APP "\"listen\":\"example.com:80\"" END, NULL, "eco.json:2:10: "
	  "apps[0].listen: the host must be an IP address" },
	{ APP "\"health\":\"ftp://x\"" END, NULL, "eco.json:2:10: "
	  "apps[0].health: expected an http:// or https:// URL, or a path "
	  "starting with \"/\"" },
	{ APP "\"health\":\"/hz\"" END, NULL, "eco.json:2:10: "
	  "apps[0].health: a path needs \"port\" or \"listen\" to make a "
	  "URL" },
	{ APP "\"env\":{\"A\":{\"b\":1}}" END, NULL, "eco.json:2:12: "
	  "apps[0].env.A: expected a string, number or boolean" },
	{ APP "\"env\":[1]" END, NULL, "eco.json:2:7: apps[0].env: expected "
	  "an object" },
	{ APP "\"env\":{\"A=B\":\"x\"}" END, NULL, "eco.json:2:14: "
	  "apps[0].env[\"A=B\"]: a variable name must not be empty or contain "
	  "'='" },
	{ APP "\"env_production\":{\"X\":[]}" END, NULL, "eco.json:2:23: "
	  "apps[0].env_production.X: expected a string, number or "
	  "boolean" },
	{ APP "\"args\":\"a 'b\"" END, NULL, "eco.json:2:8: apps[0].args: "
	  "unterminated single quote" },
	{ APP "\"args\":\"\\\"b\"" END, NULL, "eco.json:2:8: apps[0].args: "
	  "unterminated double quote" },
	{ APP "\"args\":{}" END, NULL, "eco.json:2:8: apps[0].args: expected "
	  "a string or an array of strings" },
	{ APP "\"args\":[\"a\",{}]" END, NULL, "eco.json:2:13: "
	  "apps[0].args[1]: expected a string" },
	{ APP "\"node_args\":5" END, NULL, "eco.json:2:13: "
	  "apps[0].node_args: expected a string or an array of strings" },
	{ APP "\"stop_exit_codes\":[0,\"x\"]" END, NULL, "eco.json:2:22: "
	  "apps[0].stop_exit_codes[1]: expected an exit code (0-255)" },
	{ APP "\"stop_exit_codes\":\"0\"" END, NULL, "eco.json:2:19: "
	  "apps[0].stop_exit_codes: expected an exit code or an array of "
	  "them" },
	{ APP "\"name\":\"\"" END, NULL, "eco.json:2:8: apps[0].name: must "
	  "not be empty" },
	{ APP "\"name\":\"a/b\"" END, NULL, "eco.json:2:8: apps[0].name: app "
	  "name 'a/b' must not contain '/' or control characters" },
	{ APP "\"name\":\"all\"" END, NULL, "eco.json:2:8: apps[0].name: app "
	  "name 'all' is reserved" },
	{ APP "\"cwd\":5" END, NULL, "eco.json:2:7: apps[0].cwd: expected a "
	  "string" },
	{ APP "\"nginx\":[]" END, NULL, "eco.json:2:9: apps[0].nginx: "
	  "expected an object" },
	{ APP "\"interpreter\":\"\"" END, NULL, "eco.json:2:15: "
	  "apps[0].interpreter: must not be empty" },
	{ APP "\"wait_ready\":1" END, NULL, "eco.json:2:14: "
	  "apps[0].wait_ready: expected true or false" },
	{ APP "\"time\":\"yes\"" END, NULL, "eco.json:2:8: apps[0].time: "
	  "expected true or false" },
	/* between apps */
	{ "{\"apps\":[{\"script\":\"a\",\"port\":3000},\n"
	  "{\"script\":\"b\",\"port\":3000}]}", NULL, "eco.json:2:22: "
	  "apps[1].port: port 3000 overlaps app 'a' (3000)" },
	{ "[{\"script\":\"a\",\"listen\":8080},\n"
	  "{\"script\":\"b\",\"listen\":\"127.0.0.1:8080\"}]", NULL,
	  "eco.json:2:24: [1].listen: address 127.0.0.1:8080 clashes with "
	  "app 'a' (0.0.0.0:8080)" },
	{ "[{\"script\":\"a\",\"port\":8080,\"instances\":2},\n"
	  "{\"script\":\"b\",\"listen\":\":8081\"}]", NULL,
	  "eco.json:2:24: [1].listen: address 0.0.0.0:8081 clashes with "
	  "app 'a' (8080-8081)" },
	{ "[{\"script\":\"x/a.js\"},\n{\"script\":\"y/a.py\"}]", NULL,
	  "eco.json:2:11: [1].script: duplicate app name 'a' (also [0])" },
	{ "[{\"script\":\"a\",\"increment_var\":\"PORT\",\n"
	  "\"env\":{\"PORT\":3000}},\n{\"script\":\"b\",\"port\":3000}]",
	  NULL, "eco.json:3:22: [1].port: port 3000 overlaps app 'a' "
	  "(3000)" },
	{ "[{\"script\":\"a\",\"increment_var\":\"PORT\",\"env\":{\n"
	  "\"PORT\":3000},\"env_prod\":{\n\"PORT\":3001}},\n"
	  "{\"script\":\"b\",\"port\":3001}]", "prod", "eco.json:4:22: "
	  "[1].port: port 3001 overlaps app 'a' (3001)" },
	/* deploy */
	{ "{\"deploy\":[]}", NULL, "eco.json:1:11: deploy: expected an "
	  "object of deploy targets" },
	{ "{\"deploy\":{\"prod\":5}}", NULL, "eco.json:1:19: deploy.prod: "
	  "expected an object" },
	{ "{\"deploy\":{\"\":{}}}", NULL, "eco.json:1:15: deploy[\"\"]: a "
	  "target name must not be empty" },
	{ "{\"deploy\":{\"prod\":{\"host\":[\"a\",5],\"path\":\"/p\"}}}",
	  NULL, "eco.json:1:32: deploy.prod.host[1]: expected \"host\" or "
	  "\"host:port\"" },
	{ "{\"deploy\":{\"prod\":{\"host\":[],\"path\":\"/p\"}}}", NULL,
	  "eco.json:1:27: deploy.prod.host: expected at least one host" },
	{ "{\"deploy\":{\"prod\":{\"host\":\"h\",\"port\":\"22x\"}}}", NULL,
	  "eco.json:1:38: deploy.prod.port: expected a port number "
	  "(1-65535)" },
	{ "{\"deploy\":{\"prod\":{\"keep_releases\":0}}}", NULL,
	  "eco.json:1:36: deploy.prod.keep_releases: must be 1 or more" },
	{ "{\"deploy\":{\"prod\":{\"parallel\":-1}}}", NULL,
	  "eco.json:1:31: deploy.prod.parallel: must be 0 or more" },
	{ "{\"deploy\":{\"prod\":{\"health\":{\"from\":\"x\"}}}}", NULL,
	  "eco.json:1:37: deploy.prod.health.from: expected \"here\" or "
	  "\"host\"" },
	{ "{\"deploy\":{\"prod\":{\"health\":{\"from\":\"host\"}}}}", NULL,
	  "eco.json:1:29: deploy.prod.health: missing \"url\"" },
	{ "{\"deploy\":{\"prod\":{\"canary\":-1}}}", NULL,
	  "eco.json:1:29: deploy.prod.canary: must be 0 or more" },
	{ "{\"deploy\":{\"prod\":{\"on_failure\":\"x\"}}}", NULL,
	  "eco.json:1:33: deploy.prod.on_failure: expected \"rollback\" "
	  "or \"rollback_all\"" },
	{ "{\"deploy\":{\"prod\":{\"health_timeout\":\"x\"}}}", NULL,
	  "eco.json:1:37: deploy.prod.health_timeout: expected "
	  "milliseconds or a duration like \"5s\"" },
	{ "{\"deploy\":{\"prod\":{\"env\":{\"A\":[]}}}}", NULL,
	  "eco.json:1:31: deploy.prod.env.A: expected a string, number or "
	  "boolean" },
	{ "{\"deploy\":{\"prod\":{\"ssh_options\":[1]}}}", NULL,
	  "eco.json:1:35: deploy.prod.ssh_options[0]: expected a string" },
	{ "{\"deploy\":{\"prod\":{\"health\":\"tcp://x\"}}}", NULL,
	  "eco.json:1:29: deploy.prod.health: expected an http:// or "
	  "https:// URL, or a path starting with \"/\"" },
	/* positions: UTF-8 counts by character, escaped keys, tabs */
	{ "{\"apps\":[{\"script\":\"\xc3\xa9t\xc3\xa9.js\",\"port\":-1}]}",
	  NULL, "eco.json:1:36: apps[0].port: expected a port number "
	  "(1-65535)" },
	{ "{\"apps\":[{\"script\":\"a\",\n\t\"\\u0070ort\":0}]}", NULL,
	  "eco.json:2:14: apps[0].port: expected a port number (1-65535)" },
	{ "{\"apps\":[{\"script\":\"a\",\"port\":1,\n\"port\":0}]}", NULL,
	  "eco.json:2:8: apps[0].port: expected a port number (1-65535)" },
};

static const struct value_case values[] = {
	/* a Koa app in cluster mode, with env_production */
	{ "koa-cluster.json", "production", "apps.0.name", "\"koa-api\"" },
	{ "koa-cluster.json", "production", "apps.0.exec_mode",
	  "\"cluster\"" },
	{ "koa-cluster.json", "production", "apps.0.interpreter", "\"node\"" },
	{ "koa-cluster.json", "production", "apps.0.interpreter_args",
	  "[\"--max-old-space-size=512\"]" },
	{ "koa-cluster.json", "production", "apps.0.args",
	  "[\"--color\",\"log level\",\"x y\"]" },
	{ "koa-cluster.json", "production", "apps.0.max_memory_restart",
	  "314572800" },
	{ "koa-cluster.json", "production", "apps.0.env",
	  "{\"NODE_ENV\":\"production\",\"LOG_LEVEL\":\"info\","
	  "\"WORKERS\":\"4\"}" },
	{ "koa-cluster.json", NULL, "apps.0.env",
	  "{\"NODE_ENV\":\"development\",\"LOG_LEVEL\":\"debug\","
	  "\"WORKERS\":\"4\",\"DEBUG\":\"true\"}" },
	{ "koa-cluster.json", "production", "apps.0.instances_list.0.env",
	  "{\"NODE_ENV\":\"production\",\"LOG_LEVEL\":\"info\","
	  "\"WORKERS\":\"4\",\"PORT\":\"3000\",\"NODE_APP_INSTANCE\":\"0\"}" },
	{ "koa-cluster.json", "production", "apps.0.instances_list.0.health",
	  "\"http://127.0.0.1:3000/healthz\"" },
	{ "koa-cluster.json", "production", "apps.0.kill_timeout", "5000" },
	/* numbers written as strings, as PM2 takes them */
	{ "{\"apps\":[{\"script\":\"a\",\"instances\":\"3\"}]}", NULL,
	  "apps.0.instances", "3" },
	{ "{\"apps\":[{\"script\":\"a\",\"max_restarts\":\"10\"}]}", NULL,
	  "apps.0.max_restarts", "10" },
	/* PM2's "cmd" is "script" */
	{ "{\"apps\":[{\"cmd\":\"hello.py\"}]}", NULL, "apps.0.script",
	  "\"hello.py\"" },
	{ "{\"apps\":[{\"cmd\":\"hello.py\"}]}", NULL, "apps.0.name",
	  "\"hello\"" },
	{ "{\"apps\":[{\"cmd\":\"hello.py\"}]}", NULL,
	  "apps.0.interpreter", "\"python3\"" },
	{ "koa-cluster.json", "production", "apps.0.listen_timeout", "8000" },
	{ "koa-cluster.json", "production", "apps.0.wait_ready", "true" },
	{ "koa-cluster.json", "production", "apps.0.merge_logs", "true" },
	{ "koa-cluster.json", "production", "apps.0.kill_signal",
	  "\"SIGTERM\"" },
	{ "koa-cluster.json", "production", "apps.0.cwd", "\"@DIR@/app\"" },
	{ "koa-cluster.json", "production", "apps.0.out_file",
	  "\"@DIR@/app/logs/out.log\"" },
	{ "koa-cluster.json", "production", "apps.0.error_file",
	  "\"/var/log/koa-err.log\"" },
	{ "koa-cluster.json", "production", "apps.0.log_date_format",
	  "\"YYYY-MM-DD HH:mm Z\"" },
	{ "koa-cluster.json", "production", "apps.0.script",
	  "\"./src/server.js\"" },
	/* several apps and deploy targets, host as an array */
	{ "multi-deploy.json", "production", "apps.0.instances_list.1.port",
	  "4001" },
	{ "multi-deploy.json", "production", "apps.0.instances_list.1.env",
	  "{\"NODE_ENV\":\"production\",\"PORT\":\"4001\","
	  "\"NODE_APP_INSTANCE\":\"1\"}" },
	{ "multi-deploy.json", "production", "apps.0.exec_mode",
	  "\"cluster\"" },
	{ "multi-deploy.json", "production", "apps.1.interpreter",
	  "\"python3\"" },
	{ "multi-deploy.json", "production", "apps.1.env",
	  "{\"QUEUE\":\"prod\"}" },
	{ "multi-deploy.json", NULL, "apps.1.env", "{}" },
	{ "multi-deploy.json", "production", "apps.2.interpreter", "null" },
	{ "multi-deploy.json", "production", "apps.2.args",
	  "[\"run\",\"serve\"]" },
	{ "multi-deploy.json", "production", "apps.2.shell", "false" },
	{ "multi-deploy.json", "production", "deploy.production.hosts",
	  "[{\"host\":\"192.0.2.1\",\"port\":2200},{\"host\":\"192.0.2.2\","
	  "\"port\":2222},{\"host\":\"web3.example.com\",\"port\":2200}]" },
	{ "multi-deploy.json", NULL, "deploy.production.ref",
	  "\"origin/master\"" },
	{ "multi-deploy.json", NULL, "deploy.production.ssh_options",
	  "[\"StrictHostKeyChecking=no\",\"PasswordAuthentication=no\"]" },
	{ "multi-deploy.json", NULL, "deploy.production.keep_releases", "3" },
	{ "multi-deploy.json", NULL, "deploy.production.parallel", "2" },
	{ "multi-deploy.json", NULL, "deploy.production.canary", "0" },
	{ "multi-deploy.json", NULL, "deploy.production.on_failure",
	  "\"rollback\"" },
	{ "multi-deploy.json", NULL, "deploy.production.health_timeout",
	  "60000" },
	{ "multi-deploy.json", NULL, "deploy.production.shared_files",
	  "[\".env\"]" },
	{ "multi-deploy.json", NULL, "deploy.production.pre-deploy-local",
	  "\"echo deploying\"" },
	{ "multi-deploy.json", NULL, "deploy.production.env",
	  "{\"NODE_ENV\":\"production\"}" },
	{ "multi-deploy.json", NULL, "deploy.staging.hosts",
	  "[{\"host\":\"staging.example.com\",\"port\":22}]" },
	{ "multi-deploy.json", NULL, "deploy.staging.ref",
	  "\"origin/main\"" },
	{ "multi-deploy.json", NULL, "deploy.staging.keep_releases", "5" },
	{ "multi-deploy.json", NULL, "deploy.staging.health_timeout",
	  "30000" },
	{ "multi-deploy.json", NULL, "deploy.staging.ssh_options",
	  "[\"ForwardAgent=yes\"]" },
	/* a Python app with an interpreter */
	{ "python.json", NULL, "apps.0.interpreter", "\"/usr/bin/python3\"" },
	{ "python.json", NULL, "apps.0.interpreter_args", "[\"-u\"]" },
	{ "python.json", NULL, "apps.0.args", "[\"--workers\",\"2\"]" },
	{ "python.json", NULL, "apps.0.cwd", "\"/srv/flask\"" },
	{ "python.json", NULL, "apps.0.port", "5000" },
	{ "python.json", NULL, "apps.0.exec_mode", "\"fork\"" },
	{ "python.json", NULL, "apps.0.instances_list.1.env.PORT",
	  "\"5001\"" },
	{ "python.json", NULL, "apps.0.autorestart", "false" },
	{ "python.json", NULL, "apps.0.max_restarts", "3" },
	{ "python.json", NULL, "apps.0.min_uptime", "10000" },
	{ "python.json", NULL, "apps.0.restart_delay", "2000" },
	{ "python.json", NULL, "apps.0.exp_backoff_restart_delay", "100" },
	{ "python.json", NULL, "apps.0.stop_exit_codes", "[0,3]" },
	{ "python.json", NULL, "apps.0.out_file", "null" },
	{ "python.json", NULL, "apps.1.name", "\"cleanup\"" },
	{ "python.json", NULL, "apps.1.interpreter", "\"python3\"" },
	{ "python.json", NULL, "apps.1.cwd", "\"@DIR@\"" },
	{ "python.json", NULL, "apps.1.instances_list",
	  "[{\"index\":0,\"port\":null,\"health\":null,"
	  "\"env\":{\"NODE_APP_INSTANCE\":\"0\"}}]" },
	/* a bare array of apps, and the defaults */
	{ "bare-array.json", NULL, "apps.0.name", "\"server\"" },
	{ "bare-array.json", NULL, "apps.0.exec_mode", "\"cluster\"" },
	{ "bare-array.json", NULL, "apps.0.instances", "2" },
	{ "bare-array.json", NULL, "apps.0.kill_signal", "\"SIGINT\"" },
	{ "bare-array.json", NULL, "apps.0.min_uptime", "1000" },
	{ "bare-array.json", NULL, "apps.0.kill_timeout", "1600" },
	{ "bare-array.json", NULL, "apps.0.listen_timeout", "3000" },
	{ "bare-array.json", NULL, "apps.0.max_restarts", "16" },
	{ "bare-array.json", NULL, "apps.0.restart_delay", "0" },
	{ "bare-array.json", NULL, "apps.0.log_max_size", "10485760" },
	{ "bare-array.json", NULL, "apps.0.log_max_files", "5" },
	{ "bare-array.json", NULL, "apps.0.autorestart", "true" },
	{ "bare-array.json", NULL, "apps.0.max_memory_restart", "0" },
	{ "bare-array.json", NULL, "apps.0.increment_var", "\"PORT\"" },
	{ "bare-array.json", NULL, "apps.0.instance_var",
	  "\"NODE_APP_INSTANCE\"" },
	{ "bare-array.json", NULL, "apps.0.port", "null" },
	{ "bare-array.json", NULL, "apps.0.args", "[]" },
	{ "bare-array.json", NULL, "apps.1.kill_signal", "\"SIGTERM\"" },
	{ "bare-array.json", NULL, "apps.1.interpreter", "\"bash\"" },
	{ "bare-array.json", NULL, "apps.1.exec_mode", "\"fork\"" },
	{ "bare-array.json", NULL, "apps.2.shell", "true" },
	{ "bare-array.json", NULL, "apps.2.name", "\"shell\"" },
	{ "[{\"script\":\"a\",\"env\":{\"A\":100.0,\"B\":1.5,\"C\":false,"
	  "\"D\":-7}}]", NULL, "apps.0.env",
	  "{\"A\":\"100\",\"B\":\"1.5\",\"C\":\"false\",\"D\":\"-7\"}" },
	{ "[{\"script\":\"a\",\"kill_timeout\":\"1h\"}]", NULL,
	  "apps.0.kill_timeout", "3600000" },
	{ "[{\"script\":\"npm run start\"}]", NULL, "apps.0.name",
	  "\"npm run start\"" },
	{ "[{\"script\":\"node x.js\",\"interpreter\":\"node\"}]", NULL,
	  "apps.0.shell", "false" },
	{ "bare-array.json", NULL, "apps.2.interpreter", "null" },
	/* one app object at the top (process.json style) */
	{ "single-app.json", NULL, "apps.0.listen", "\"0.0.0.0:8080\"" },
	{ "single-app.json", NULL, "apps.0.exec_mode", "\"cluster\"" },
	{ "single-app.json", NULL, "apps.0.instances_list.2.health",
	  "\"http://127.0.0.1:8080/ping\"" },
	{ "single-app.json", NULL, "apps.0.instances_list.2.port", "null" },
	/* JavaScript comments, trailing commas, a repeated key */
	{ "pm2-js.json", NULL, "apps.0.port", "3100" },
	{ "pm2-js.json", NULL, "apps.0.instances", "1" },
	{ "pm2-js.json", NULL, "deploy", "{}" },
};

static const struct warn_case warns[] = {
	{ "pm2-js.json", NULL, FIX "pm2-js.json:8:7: apps[0].instnaces: "
	  "unknown key (did you mean \"instances\"?)" },
	{ "pm2-js.json", NULL, FIX "pm2-js.json:9:7: apps[0].uid: not "
	  "used by deploy, ignored" },
	{ "pm2-js.json", NULL, FIX "pm2-js.json:11:7: apps[0].colour: "
	  "unknown key" },
	{ "pm2-js.json", NULL, FIX "pm2-js.json:13:7: apps[0].port: "
	  "duplicate key, replaces the one at line 12" },
	{ "koa-cluster.json", "staging", FIX "koa-cluster.json: no app has "
	  "\"env_staging\" (--env staging)" },
};

/* A warning from a text, checked as the only warning. */
static const struct bad_case warn_texts[] = {
	{ "{\"apps\":[],\"dpeloy\":{}}", NULL, "eco.json:1:12: dpeloy: "
	  "unknown key (did you mean \"deploy\"?)" },
	{ APP "\"Name\":\"x\"" END, NULL, "eco.json:2:1: apps[0].Name: "
	  "unknown key (did you mean \"name\"?)" },
	{ APP "\"log_file\":\"all.log\"" END, NULL, "eco.json:2:1: "
	  "apps[0].log_file: not used by deploy, ignored" },
	{ APP "\"autostart\":false" END, NULL, "eco.json:2:1: "
	  "apps[0].autostart: not used by deploy, ignored" },
	{ APP "\"instances\":4,\"env\":{\"PORT\":3000},\"exec_mode\":\"fork\""
	  END, NULL,
	  "eco.json:2:22: apps[0].env.PORT: all 4 instances get the same "
	  "PORT; set \"port\" (instance i gets port + i) or \"listen\"" },
	{ "{\"apps\":[{\"name\":\"web\",\"script\":\"w.js\"}],\n"
	  "\"deploy\":{\"web\":{\"host\":\"h\",\"path\":\"/p\",\"upload\":"
	  "true}}}", NULL, "eco.json:2:11: deploy.web: an app has this name "
	  "too: 'deploy up web' starts the app, so rename the target to "
	  "deploy it" },
	{ "{\"deploy\":{\"p\":{\"host\":\"h\",\"path\":\"/p\",\"repo\":\"r\","
	  "\"forward-agent\":\"yes\"}}}", NULL, "eco.json:1:51: "
	  "deploy.p.forward-agent: not used by deploy, ignored" },
	/* PM2 reads targets only to deploy: an incomplete one is left out */
	{ "{\"deploy\":{\"prod\":{\"path\":\"/x\",\"repo\":\"r\"}}}", NULL,
	  "eco.json:1:12: deploy.prod: missing \"host\": this target is "
	  "ignored until it has one" },
	{ "{\"deploy\":{\"prod\":{\"host\":\"h\",\"repo\":\"r\"}}}", NULL,
	  "eco.json:1:12: deploy.prod: missing \"path\": this target is "
	  "ignored until it has one" },
	{ "{\"deploy\":{\"prod\":{\"host\":\"h\",\"path\":\"/p\"}}}", NULL,
	  "eco.json:1:12: deploy.prod: missing \"repo\" (or \"upload\": "
	  "true): this target is ignored until it has one" },
	{ "{\"apps\":{\"script\":\"a.js\",\"env\":{\"a.b\":1,\"Z\":\"x\","
	  "\"Z\":\"y\"}}}", NULL, "eco.json:1:49: apps.env.Z: duplicate "
	  "key, replaces the one at line 1" },
};

/* Parse a bad_case: a fixture file or (with '{', '[' or "") a text. */
static struct ecosystem *
load_case(const char *input, const char *env, struct derr *e)
{
	char path[256];

	if (input[0] == '{' || input[0] == '[' || input[0] == '"' ||
	    input[0] == '\0')
		return ecosystem_parse(input, "eco.json", env, e);
	snprintf(path, sizeof path, FIX "%s", input);
	return ecosystem_load(path, env, e);
}

/* An invalid fixture fails with exactly its message. */
START_TEST(test_bad_files)
{
	const struct bad_case *t = &bad_files[_i];
	struct derr e = { "" };
	struct ecosystem *eco = load_case(t->input, t->env, &e);

	ck_assert_ptr_null(eco);
	ck_assert_str_eq(e.msg, t->msg);
}
END_TEST

/* An invalid text fails with its message, place and path. */
START_TEST(test_bad_texts)
{
	const struct bad_case *t = &bad_texts[_i];
	struct derr e = { "" };
	struct ecosystem *eco = load_case(t->input, t->env, &e);

	if (eco != NULL)
		ecosystem_free(eco);
	ck_assert_msg(eco == NULL, "case %d parsed: %s", _i, t->input);
	ck_assert_str_eq(e.msg, t->msg);
}
END_TEST

/* Replace "@DIR@" in s with dir; caller frees. */
static char *
expand_dir(const char *s, const char *dir)
{
	struct strbuf sb = STRBUF_INIT;
	const char *at;

	while ((at = strstr(s, "@DIR@")) != NULL) {
		strbuf_add(&sb, s, (size_t)(at - s));
		strbuf_addstr(&sb, dir);
		s = at + 5;
	}
	strbuf_addstr(&sb, s);
	return strbuf_detach(&sb);
}

/* The value at a dotted path of j as compact JSON; caller frees. */
static char *
query(json_t *j, const char *path)
{
	char *copy = strdup(path), *tok, *save = NULL;

	for (tok = strtok_r(copy, ".", &save); tok != NULL && j != NULL;
	     tok = strtok_r(NULL, ".", &save)) {
		if (json_is_array(j))
			j = json_array_get(j, strtoul(tok, NULL, 10));
		else
			j = json_object_get(j, tok);
	}
	free(copy);
	if (j == NULL)
		return strdup("(missing)");
	return json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
}

/* A valid file resolves to exactly the expected values. */
START_TEST(test_values)
{
	const struct value_case *t = &values[_i];
	struct derr e = { "" };
	struct ecosystem *eco = load_case(t->file, t->env, &e);
	char *got, *want;
	json_t *j;

	ck_assert_msg(eco != NULL, "%s: %s", t->file, e.msg);
	j = ecosystem_to_json(eco);
	got = query(j, t->path);
	want = expand_dir(t->json, eco->dir);
	ck_assert_msg(strcmp(got, want) == 0, "%s %s: got %s, want %s",
		      t->file, t->path, got, want);
	free(got);
	free(want);
	json_decref(j);
	ecosystem_free(eco);
}
END_TEST

/* Whether the NULL-terminated list v holds s. */
static bool
strv_has(char **v, const char *s)
{
	for (; v != NULL && *v != NULL; v++)
		if (strcmp(*v, s) == 0)
			return true;
	return false;
}

/* A fixture gives the expected warning. */
START_TEST(test_warnings)
{
	const struct warn_case *t = &warns[_i];
	struct derr e = { "" };
	struct ecosystem *eco = load_case(t->file, t->env, &e);

	ck_assert_msg(eco != NULL, "%s: %s", t->file, e.msg);
	ck_assert_msg(strv_has(eco->warnings, t->msg), "missing warning %s",
		      t->msg);
	ecosystem_free(eco);
}
END_TEST

/* A text gives exactly one warning, the expected one. */
START_TEST(test_warn_texts)
{
	const struct bad_case *t = &warn_texts[_i];
	struct derr e = { "" };
	struct ecosystem *eco = load_case(t->input, t->env, &e);

	ck_assert_msg(eco != NULL, "case %d: %s", _i, e.msg);
	ck_assert_uint_eq(strv_len(eco->warnings), 1);
	ck_assert_str_eq(eco->warnings[0], t->msg);
	ecosystem_free(eco);
}
END_TEST

/* Clean fixtures warn of nothing; warnings come in file order. */
START_TEST(test_clean_fixtures_have_no_warnings)
{
	static const char *const files[] = {
		"koa-cluster.json", "multi-deploy.json", "python.json",
		"bare-array.json", "single-app.json",
	};
	struct derr e = { "" };
	struct ecosystem *eco;

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		eco = load_case(files[i], NULL, &e);
		ck_assert_msg(eco != NULL, "%s: %s", files[i], e.msg);
		ck_assert_msg(strv_len(eco->warnings) == 0, "%s: %s",
			      files[i], eco->warnings[0]);
		ecosystem_free(eco);
	}
	eco = load_case("pm2-js.json", "prod", &e);
	ck_assert_ptr_nonnull(eco);
	/* in file order; the one without a place comes last */
	ck_assert_uint_eq(strv_len(eco->warnings), 5);
	ck_assert_str_eq(eco->warnings[0], warns[0].msg);
	ck_assert_str_eq(eco->warnings[1], warns[1].msg);
	ck_assert_str_eq(eco->warnings[2], warns[2].msg);
	ck_assert_str_eq(eco->warnings[3], warns[3].msg);
	ck_assert_str_eq(eco->warnings[4], FIX "pm2-js.json: no app has "
			 "\"env_prod\" (--env prod)");
	ecosystem_free(eco);
}
END_TEST

/* The number of CPUs the parser sees. */
static int
cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : (int)n;
}

/* instances "max", 0 and -N against the CPU count. */
static const struct {
	const char *value;
	int minus;		/* expected: CPUs - minus, at least 1 */
	int fixed;		/* or this when not 0 */
} instance_cases[] = {
	{ "\"max\"", 0, 0 }, { "0", 0, 0 }, { "-1", 1, 0 },
	{ "-1000", 0, 1 }, { "3", 0, 3 }, { "3.0", 0, 3 },
};

/* "max", 0 and -N instances follow the CPU count. */
START_TEST(test_instances)
{
	char *text = xasprintf("{\"apps\":[{\"script\":\"a.js\","
			       "\"instances\":%s}]}",
			       instance_cases[_i].value);
	struct derr e = { "" };
	struct ecosystem *eco = ecosystem_parse(text, "e.json", NULL, &e);
	int want = instance_cases[_i].fixed;

	if (want == 0)
		want = cpus() - instance_cases[_i].minus;
	if (want < 1)
		want = 1;
	ck_assert_msg(eco != NULL, "%s", e.msg);
	ck_assert_int_eq(eco->apps[0].instances, want);
	ck_assert_int_eq(eco->apps[0].exec_mode, ECO_CLUSTER);
	ecosystem_free(eco);
	free(text);
}
END_TEST

/* The Koa app runs one instance per CPU, the last on 3000 + n - 1. */
START_TEST(test_koa_instances_max)
{
	struct derr e = { "" };
	struct ecosystem *eco = ecosystem_load(FIX "koa-cluster.json", NULL,
					       &e);
	const struct eco_app *a;
	struct eco_env env;
	char port[16];

	ck_assert_msg(eco != NULL, "%s", e.msg);
	a = ecosystem_app(eco, "koa-api");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_null(ecosystem_app(eco, "nope"));
	ck_assert_int_eq(a->instances, cpus());
	eco_instance_env(a, a->instances - 1, &env);
	snprintf(port, sizeof port, "%d", 3000 + a->instances - 1);
	ck_assert_str_eq(eco_env_get(&env, "PORT"), port);
	eco_env_free(&env);
	ecosystem_free(eco);
}
END_TEST

/* Targets are found by name and hold their hosts and hooks. */
START_TEST(test_targets_lookup)
{
	struct derr e = { "" };
	struct ecosystem *eco = ecosystem_load(FIX "multi-deploy.json",
					       "production", &e);
	const struct eco_target *t;

	ck_assert_msg(eco != NULL, "%s", e.msg);
	ck_assert_uint_eq(eco->n_targets, 2);
	t = ecosystem_target(eco, "production");
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t->n_hosts, 3);
	ck_assert_str_eq(t->hosts[1].name, "192.0.2.2");
	ck_assert_int_eq(t->hosts[1].port, 2222);
	ck_assert_str_eq(t->post_deploy,
			 "npm install && deploy up --env production");
	ck_assert_str_eq(t->health, "http://{host}:4000/health");
	ck_assert_ptr_null(t->pre_setup);
	ck_assert_ptr_null(ecosystem_target(eco, "nope"));
	ck_assert_str_eq(eco->env_name, "production");
	ecosystem_free(eco);
}
END_TEST

/* Freeing NULL does nothing; lookups in NULL find nothing. */
START_TEST(test_free_null)
{
	ecosystem_free(NULL);
	eco_env_free(NULL);
	ck_assert_ptr_null(ecosystem_app(NULL, "x"));
}
END_TEST

/* nginx objects are kept as written, top level and per app. */
START_TEST(test_nginx_kept)
{
	struct derr e = { "" };
	struct ecosystem *eco = ecosystem_parse(
		"{\"nginx\":{\"server_name\":\"example.com\"},\"apps\":[{"
		"\"script\":\"a\",\"port\":3000,\"nginx\":{\"weight\":2}}]}",
		"e.json", NULL, &e);

	ck_assert_msg(eco != NULL, "%s", e.msg);
	ck_assert_str_eq(json_string_value(json_object_get(eco->nginx,
		"server_name")), "example.com");
	ck_assert_int_eq(json_integer_value(json_object_get(
		eco->apps[0].nginx, "weight")), 2);
	ecosystem_free(eco);
}
END_TEST

/* ecosystem_find prefers ecosystem.json, then .config.json. */
START_TEST(test_find)
{
	char dir[] = "/tmp/check_ecosystem.XXXXXX", *p, *want;
	static const char *const names[] = {
		"process.json", "ecosystem.config.json", "ecosystem.json",
	};
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_null(ecosystem_find(dir));
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		p = xasprintf("%s/%s", dir, names[i]);
		f = fopen(p, "w");
		ck_assert_ptr_nonnull(f);
		fclose(f);
		free(p);
		want = xasprintf("%s/%s", dir, names[i]);
		p = ecosystem_find(dir);
		ck_assert_str_eq(p, want);
		free(p);
		free(want);
	}
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		p = xasprintf("%s/%s", dir, names[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}
END_TEST

/* An instance env is the app env plus its port and index. */
START_TEST(test_instance_env)
{
	struct derr e = { "" };
	struct ecosystem *eco = ecosystem_parse(
		"{\"apps\":[{\"script\":\"a\",\"port\":7000,\"instances\":3,"
		"\"increment_var\":\"HTTP_PORT\",\"instance_var\":\"ID\","
		"\"env\":{\"A\":\"1\",\"ID\":\"x\"}}]}", "e.json", NULL, &e);
	struct eco_env env;

	ck_assert_msg(eco != NULL, "%s", e.msg);
	eco_instance_env(&eco->apps[0], 2, &env);
	ck_assert_uint_eq(env.n, 3);
	ck_assert_str_eq(env.vars[0].name, "A");
	ck_assert_str_eq(eco_env_get(&env, "ID"), "2");
	ck_assert_str_eq(eco_env_get(&env, "HTTP_PORT"), "7002");
	ck_assert_ptr_null(eco_env_get(&env, "PORT"));
	eco_env_free(&env);
	ck_assert_uint_eq(env.n, 0);
	ecosystem_free(eco);
}
END_TEST

/* eco_env_set replaces in place; unset removes. */
START_TEST(test_env_helpers)
{
	struct eco_env env = { NULL, 0, 0 };

	eco_env_set(&env, "A", "1");
	eco_env_set(&env, "B", "2");
	eco_env_set(&env, "A", "3");
	ck_assert_uint_eq(env.n, 2);
	ck_assert_str_eq(env.vars[0].value, "3");
	eco_env_unset(&env, "A");
	eco_env_unset(&env, "nope");
	ck_assert_uint_eq(env.n, 1);
	ck_assert_str_eq(env.vars[0].name, "B");
	ck_assert_ptr_null(eco_env_get(&env, "A"));
	eco_env_free(&env);
}
END_TEST

static const struct {
	const char *s;
	long ms;		/* -1: invalid */
} durations[] = {
	{ "1500", 1500 }, { "1500ms", 1500 }, { "2s", 2000 },
	{ "5m", 300000 }, { "1h", 3600000 }, { "0", 0 }, { "5S", 5000 },
	{ "", -1 }, { "s", -1 }, { "-1", -1 }, { "1.5s", -1 },
	{ "2 s", -1 }, { "2d", -1 }, { "99999999999999999999", -1 },
	{ "9223372036854775807h", -1 },
};

/* Durations: ms, s, m, h; anything else is refused. */
START_TEST(test_durations)
{
	long ms = -7;
	int rc = eco_parse_duration(durations[_i].s, &ms);

	if (durations[_i].ms < 0) {
		ck_assert_int_eq(rc, -1);
	} else {
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(ms, durations[_i].ms);
	}
}
END_TEST

static const struct {
	const char *s;
	long long bytes;	/* -1: invalid */
} sizes[] = {
	{ "300M", 314572800 }, { "1G", 1073741824 }, { "512k", 524288 },
	{ "1048576", 1048576 }, { "10MB", 10485760 }, { "1GiB", 1073741824 },
	{ "2T", 2199023255552LL }, { "0", 0 }, { "7b", 7 },
	{ "M", -1 }, { "-1", -1 }, { "1.5G", -1 }, { "300X", -1 },
	{ "9223372036854775807K", -1 }, { "", -1 }, { " 1", -1 },
};

/* Sizes: K, M, G, T (1024-based); anything else is refused. */
START_TEST(test_sizes)
{
	long long n = -7;
	int rc = eco_parse_bytes(sizes[_i].s, &n);

	if (sizes[_i].bytes < 0) {
		ck_assert_int_eq(rc, -1);
	} else {
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(n, sizes[_i].bytes);
	}
}
END_TEST

static const struct {
	const char *s;
	int sig;		/* -1: invalid */
} signal_cases[] = {
	{ "SIGTERM", SIGTERM }, { "TERM", SIGTERM }, { "term", SIGTERM },
	{ "sigint", SIGINT }, { "9", SIGKILL }, { "SIGUSR2", SIGUSR2 },
	{ "HUP", SIGHUP }, { "SIGFOO", -1 }, { "0", -1 }, { "65", -1 },
	{ "", -1 }, { "15x", -1 }, { "SIG", -1 },
};

/* Signals by name, short name or number. */
START_TEST(test_signals)
{
	int sig = -7;
	int rc = eco_parse_signal(signal_cases[_i].s, &sig);

	if (signal_cases[_i].sig < 0) {
		ck_assert_int_eq(rc, -1);
	} else {
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(sig, signal_cases[_i].sig);
	}
}
END_TEST

/* Signal numbers back to names. */
START_TEST(test_signal_names)
{
	ck_assert_str_eq(eco_signal_name(SIGINT), "SIGINT");
	ck_assert_str_eq(eco_signal_name(SIGTERM), "SIGTERM");
	ck_assert_ptr_null(eco_signal_name(SIGRTMIN + 1));
}
END_TEST

static const struct {
	const char *s;
	int n;			/* words; -1: error */
	const char *joined;	/* words joined by '|', or the error */
} splits[] = {
	{ "a b  c", 3, "a|b|c" },
	{ "'a b' c", 2, "a b|c" },
	{ "\"a \\\"b\\\"\" c", 2, "a \"b\"|c" },
	{ "a\\ b", 1, "a b" },
	{ "''", 1, "" },
	{ "", 0, "" },
	{ " \t ", 0, "" },
	{ "--port=3000 --name='my app'", 2, "--port=3000|--name=my app" },
	{ "\"a\\nb\"", 1, "a\\nb" },
	{ "'a\\b'", 1, "a\\b" },
	{ "x\\", 1, "x\\" },
	{ "a\"b c\"d", 1, "ab cd" },
	{ "'abc", -1, "unterminated single quote" },
	{ "a \"b", -1, "unterminated double quote" },
};

/* Argument strings split as sh would split them. */
START_TEST(test_split_args)
{
	struct derr e = { "" };
	struct strbuf sb = STRBUF_INIT;
	char **v = NULL;
	int rc = eco_split_args(splits[_i].s, &v, &e);

	if (splits[_i].n < 0) {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(e.msg, splits[_i].joined);
		return;
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq((int)strv_len(v), splits[_i].n);
	for (char **w = v; *w != NULL; w++)
		strbuf_addf(&sb, "%s%s", w == v ? "" : "|", *w);
	ck_assert_str_eq(sb.buf, splits[_i].joined);
	strbuf_release(&sb);
	strv_free(v);
}
END_TEST

static const struct {
	const char *s;
	int rc;
	const char *host;	/* NULL: none */
	int port;
} hostports[] = {
	{ "host:22", 0, "host", 22 },
	{ "[::1]:8080", 0, "::1", 8080 },
	{ "[::1]", 0, "::1", 0 },
	{ ":80", 0, NULL, 80 },
	{ "8080", 0, NULL, 8080 },
	{ "example.com", 0, "example.com", 0 },
	{ "::1", 0, "::1", 0 },
	{ "192.0.2.1:2222", 0, "192.0.2.1", 2222 },
	{ "", -1, NULL, 0 },
	{ "host:", -1, NULL, 0 },
	{ "host:0", -1, NULL, 0 },
	{ "host:70000", -1, NULL, 0 },
	{ "[::1", -1, NULL, 0 },
	{ "[::1]x", -1, NULL, 0 },
	{ "a b", -1, NULL, 0 },
	{ "host:port", -1, NULL, 0 },
	{ "0", -1, NULL, 0 },
	{ "-oProxyCommand=x", -1, NULL, 0 },
};

/* host:port forms, IPv6 included. */
START_TEST(test_hostport)
{
	char *host = (char *)"unset";
	int port = -7;
	int rc = eco_split_hostport(hostports[_i].s, &host, &port);

	ck_assert_int_eq(rc, hostports[_i].rc);
	if (rc < 0) {
		ck_assert_ptr_null(host);
		return;
	}
	if (hostports[_i].host == NULL)
		ck_assert_ptr_null(host);
	else
		ck_assert_str_eq(host, hostports[_i].host);
	ck_assert_int_eq(port, hostports[_i].port);
	free(host);
}
END_TEST

static const struct {
	const char *base;
	const char *rel;
	const char *want;
} joins[] = {
	{ "/srv/app", "logs/out.log", "/srv/app/logs/out.log" },
	{ "/srv/app", "/var/log/x", "/var/log/x" },
	{ "/srv/app", ".", "/srv/app" },
	{ "/srv/app", "./a/./b/", "/srv/app/a/b" },
	{ "/srv/app", "../other", "/srv/other" },
	{ "/srv", "../../..", "/" },
	{ "/", ".", "/" },
	{ NULL, "a//b/../c", "a/c" },
	{ NULL, "../a", "../a" },
	{ NULL, "a/../..", ".." },
	{ NULL, "a/..", "." },
	{ NULL, "a/..b/../c", "a/c" },
	{ "/x", "y/..", "/x" },
};

/* Paths join and tidy "." and "..". */
START_TEST(test_path_join)
{
	char *p = eco_path_join(joins[_i].base, joins[_i].rel);

	ck_assert_str_eq(p, joins[_i].want);
	free(p);
}
END_TEST

static const char pos_doc[] =
	"{\n"
	"  \"apps\": [\n"
	"    {\"name\": \"\xc3\xa9\xc3\xa9\", \"port\": 1},\n"
	"    {\"a\\\"b\": [10, 20,\n"
	"       {\"x\": null}]}\n"
	"  ],\n"
	"  \"k\": 1, \"k\": 2\n"
	"}\n";

static const struct {
	struct jsonpos_step path[4];
	size_t n;
	int want_key;
	size_t matched;
	int line, col;
} positions[] = {
	{ { { NULL, 0 } }, 0, 0, 0, 1, 1 },
	{ { { "apps", 0 } }, 1, 0, 1, 2, 11 },
	{ { { "apps", 0 } }, 1, 1, 1, 2, 3 },
	{ { { "apps", 0 }, { NULL, 0 }, { "port", 0 } }, 3, 0, 3, 3, 28 },
	{ { { "apps", 0 }, { NULL, 0 }, { "port", 0 } }, 3, 1, 3, 3, 20 },
	{ { { "apps", 0 }, { NULL, 1 }, { "a\"b", 0 }, { NULL, 2 } }, 4, 0,
	  4, 5, 8 },
	{ { { "apps", 0 }, { NULL, 1 }, { "a\"b", 0 }, { NULL, 1 } }, 4, 0,
	  4, 4, 19 },
	{ { { "apps", 0 }, { NULL, 5 } }, 2, 0, 1, 2, 11 },
	{ { { "apps", 0 }, { NULL, 0 }, { "nope", 0 } }, 3, 0, 2, 3, 5 },
	{ { { "k", 0 } }, 1, 0, 1, 7, 16 },
	{ { { "k", 0 } }, 1, 1, 1, 7, 11 },
	{ { { "apps", 0 }, { "x", 0 } }, 2, 0, 1, 2, 11 },
};

/* The locator finds values and keys by path. */
START_TEST(test_positions)
{
	struct jsonpos pos = { 0, 0 };
	size_t got = jsonpos_find(pos_doc, strlen(pos_doc),
				  positions[_i].path, positions[_i].n,
				  positions[_i].want_key, &pos);

	struct jsonpos_index *ix = jsonpos_index_new(pos_doc,
						     strlen(pos_doc));

	ck_assert_uint_eq(got, positions[_i].matched);
	ck_assert_int_eq(pos.line, positions[_i].line);
	ck_assert_int_eq(pos.col, positions[_i].col);
	/* The same through one index, twice (the second from its cache). */
	for (int round = 0; round < 2; round++) {
		got = jsonpos_index_find(ix, positions[_i].path,
					 positions[_i].n,
					 positions[_i].want_key, &pos);
		ck_assert_uint_eq(got, positions[_i].matched);
		ck_assert_int_eq(pos.line, positions[_i].line);
		ck_assert_int_eq(pos.col, positions[_i].col);
	}
	jsonpos_index_free(ix);
}
END_TEST

/* 20,000 keys of one object each looked up: one scan, not 20,000. */
START_TEST(test_positions_many_keys)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonpos_step path[1];
	struct jsonpos_index *ix;
	struct jsonpos pos;
	long long t0 = now_ms();
	char key[32];

	strbuf_addch(&sb, '{');
	for (int i = 0; i < 20000; i++)
		strbuf_addf(&sb, "%s\n\"k%d\": %d", i ? "," : "", i, i);
	strbuf_addch(&sb, '}');
	ix = jsonpos_index_new(sb.buf, sb.len);
	for (int i = 0; i < 20000; i++) {
		snprintf(key, sizeof key, "k%d", i);
		path[0].key = key;
		ck_assert_uint_eq(jsonpos_index_find(ix, path, 1, 1, &pos), 1);
		ck_assert_int_eq(pos.line, i + 2);
	}
	jsonpos_index_free(ix);
	strbuf_release(&sb);
	ck_assert_msg(now_ms() - t0 < 2000, "took %lld ms", now_ms() - t0);
}
END_TEST

/* Collects what jsonpos_duplicates reports. */
static void
collect_dup(void *ud, const struct jsonpos_step *path, size_t n,
	    struct jsonpos at, struct jsonpos first)
{
	struct strbuf *sb = ud;
	char p[128];

	jsonpos_format(path, n, p, sizeof p);
	strbuf_addf(sb, "%s@%d:%d/%d:%d;", p, at.line, at.col, first.line,
		    first.col);
}

/* Repeated keys are reported with both places. */
START_TEST(test_duplicates)
{
	static const char doc[] = "{\"a\":1,\"b\":[{\"c\":1,\"c\":2,"
		"\"\\u0063\":3}],\n\"a\":{\"a\":1}}";
	struct strbuf sb = STRBUF_INIT;

	jsonpos_duplicates(doc, strlen(doc), collect_dup, &sb);
	ck_assert_str_eq(sb.buf, "b[0].c@1:20/1:14;b[0].c@1:26/1:14;"
			 "a@2:1/1:2;");
	strbuf_release(&sb);
}
END_TEST

/* Comments and trailing commas become spaces, in place. */
START_TEST(test_relax)
{
	char doc[] = "// top\n{\"a\": [1, 2,], /* x\ny */ \"s\": \"//no\",}";
	const char *want = "      \n{\"a\": [1, 2 ],     \n     \"s\": "
			   "\"//no\" }";
	json_t *j;

	jsonpos_relax(doc, strlen(doc));
	ck_assert_str_eq(doc, want);
	j = json_loads(doc, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_object_get(j, "s")), "//no");
	json_decref(j);
}
END_TEST

/* Paths print as JSON paths, odd keys quoted. */
START_TEST(test_format_path)
{
	static const struct jsonpos_step p[] = {
		{ "deploy", 0 }, { "prod.eu", 0 }, { "host", 0 }, { NULL, 3 },
	};
	char buf[64], tiny[8];

	jsonpos_format(p, 4, buf, sizeof buf);
	ck_assert_str_eq(buf, "deploy[\"prod.eu\"].host[3]");
	jsonpos_format(p, 4, tiny, sizeof tiny);
	ck_assert_str_eq(tiny, "deploy[");
	jsonpos_format(&p[3], 1, buf, sizeof buf);
	ck_assert_str_eq(buf, "[3]");
}
END_TEST

/* Health paths become URLs on each instance's port. */
START_TEST(test_health_urls)
{
	struct derr e = { "" };
	struct ecosystem *eco = ecosystem_parse(
		"[{\"script\":\"a\",\"port\":3000,\"health\":\"/h\"},"
		"{\"script\":\"b\",\"listen\":\"198.51.100.3:90\","
		"\"health\":\"/h\"},"
		"{\"script\":\"c\",\"listen\":\"[::1]:91\",\"health\":\"/h\"},"
		"{\"script\":\"d\",\"health\":\"https://x/y\"},"
		"{\"script\":\"e\"}]", "e.json", NULL, &e);
	char *u;

	ck_assert_msg(eco != NULL, "%s", e.msg);
	u = eco_health_url(&eco->apps[0], 2);
	ck_assert_str_eq(u, "http://127.0.0.1:3002/h");
	free(u);
	u = eco_health_url(&eco->apps[1], 2);
	ck_assert_str_eq(u, "http://198.51.100.3:90/h");
	free(u);
	u = eco_health_url(&eco->apps[2], 0);
	ck_assert_str_eq(u, "http://[::1]:91/h");
	free(u);
	u = eco_health_url(&eco->apps[3], 0);
	ck_assert_str_eq(u, "https://x/y");
	free(u);
	ck_assert_ptr_null(eco_health_url(&eco->apps[4], 0));
	ck_assert_str_eq(eco->apps[2].listen, "[::1]:91");
	ecosystem_free(eco);
}
END_TEST

/* PM2's aliases (exec, out, err_log, ...) work as the keys. */
START_TEST(test_pm2_aliases)
{
	struct derr e = { "" };
	struct ecosystem *eco = ecosystem_parse(
		"{\"apps\":[{\"exec\":\"s.js\",\"exec_interpreter\":\"bun\","
		"\"interpreterArgs\":[\"--smol\"],\"node_args\":\"--x 'y z'\","
		"\"out\":\"o.log\",\"err_log\":\"/e.log\","
		"\"combine_logs\":true,\"time\":true,\"instances\":2}]}",
		"/srv/eco.json", NULL, &e);
	const struct eco_app *a;

	ck_assert_msg(eco != NULL, "%s", e.msg);
	a = &eco->apps[0];
	ck_assert_str_eq(a->name, "s");
	ck_assert_str_eq(a->script, "s.js");
	ck_assert_str_eq(a->interpreter, "bun");
	ck_assert_uint_eq(strv_len(a->interpreter_args), 3);
	ck_assert_str_eq(a->interpreter_args[2], "y z");
	ck_assert_str_eq(a->out_file, "/srv/o.log");
	ck_assert_str_eq(a->error_file, "/e.log");
	ck_assert(a->merge_logs);
	ck_assert_str_eq(a->log_date_format, "YYYY-MM-DDTHH:mm:ss");
	ck_assert_int_eq(a->exec_mode, ECO_CLUSTER);
	ck_assert_str_eq(eco->dir, "/srv");
	ck_assert_uint_eq(strv_len(eco->warnings), 0);
	ck_assert_str_eq(json_string_value(json_object_get(a->raw, "exec")),
			 "s.js");
	ecosystem_free(eco);
}
END_TEST

/* The resolved JSON has the expected top-level shape. */
START_TEST(test_to_json_shape)
{
	struct derr e = { "" };
	struct ecosystem *eco = ecosystem_load(FIX "multi-deploy.json",
					       "production", &e);
	json_t *j;

	ck_assert_msg(eco != NULL, "%s", e.msg);
	j = ecosystem_to_json(eco);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "apps")), 3);
	ck_assert_str_eq(json_string_value(json_object_get(j, "env_name")),
			 "production");
	ck_assert_str_eq(json_string_value(json_object_get(j, "file")),
			 FIX "multi-deploy.json");
	ck_assert(json_is_null(json_object_get(j, "nginx")));
	ck_assert_uint_eq(json_array_size(json_object_get(j, "warnings")), 0);
	json_decref(j);
	j = eco_app_to_json(&eco->apps[0]);
	ck_assert_uint_eq(json_array_size(json_object_get(j,
		"instances_list")), 2);
	json_decref(j);
	ecosystem_free(eco);
}
END_TEST

/* A cron schedule and its next time after a UTC time (both
 * "YYYY-MM-DD HH:MM:SS"), or NULL when the schedule is invalid. */
static const struct {
	const char *spec, *after, *next;
} crons[] = {
	{ "0 3 * * *", "2026-12-01 22:00:00", "2026-12-02 03:00:00" },
	{ "*/15 * * * *", "2026-12-01 22:07:10", "2026-12-01 22:15:00" },
	{ "*/2 * * * * *", "2026-12-01 22:07:10", "2026-12-01 22:07:12" },
	{ "30 0 0 1 * *", "2026-12-01 22:07:10", "2027-01-01 00:00:30" },
	{ "0 9 * * 1-5", "2026-12-04 10:00:00", "2026-12-07 09:00:00" },
	{ "0 0 * * 7", "2026-12-01 00:00:00", "2026-12-06 00:00:00" },
	{ "0 0 13 * 5", "2026-12-01 00:00:00", "2026-12-04 00:00:00" },
	{ "0 12 29 2 *", "2026-03-01 00:00:00", "2028-02-29 12:00:00" },
	{ "5,10 1-2 * * *", "2026-12-01 01:07:00", "2026-12-01 01:10:00" },
	{ "0 3 * *", "", NULL },
	{ "60 * * * *", "", NULL },
	{ "* * 0 * *", "", NULL },
	{ "a b c d e", "", NULL },
	{ "*/0 * * * *", "", NULL },
};

/* UTC text to ms since the epoch. */
static long long
utc_ms(const char *text)
{
	struct tm tm = { 0 };

	ck_assert_ptr_nonnull(strptime(text, "%Y-%m-%d %H:%M:%S", &tm));
	return (long long)timegm(&tm) * 1000;
}

/* A schedule parses (or not) and gives the expected next time. */
START_TEST(test_cron)
{
	struct cron c;
	struct derr e;
	int rc;

	setenv("TZ", "UTC", 1);
	tzset();
	rc = cron_parse(crons[_i].spec, &c, &e);
	if (crons[_i].next == NULL) {
		ck_assert_int_eq(rc, -1);
		return;
	}
	ck_assert_msg(rc == 0, "%s: %s", crons[_i].spec, e.msg);
	ck_assert_msg(cron_next(&c, utc_ms(crons[_i].after)) ==
		      utc_ms(crons[_i].next), "%s after %s", crons[_i].spec,
		      crons[_i].after);
}
END_TEST

/* Add a loop test over a table. */
#define LOOP(tc, fn, table) \
	tcase_add_loop_test(tc, fn, 0, (int)ARRAY_SIZE(table))

/* The suite: files and messages, value parsers, the locator. */
static Suite *
ecosystem_suite(void)
{
	Suite *s = suite_create("ecosystem");
	TCase *tc = tcase_create("files");

	LOOP(tc, test_bad_files, bad_files);
	LOOP(tc, test_bad_texts, bad_texts);
	LOOP(tc, test_values, values);
	LOOP(tc, test_warnings, warns);
	LOOP(tc, test_warn_texts, warn_texts);
	LOOP(tc, test_instances, instance_cases);
	tcase_add_test(tc, test_clean_fixtures_have_no_warnings);
	tcase_add_test(tc, test_koa_instances_max);
	tcase_add_test(tc, test_targets_lookup);
	tcase_add_test(tc, test_free_null);
	tcase_add_test(tc, test_nginx_kept);
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_instance_env);
	tcase_add_test(tc, test_health_urls);
	tcase_add_test(tc, test_pm2_aliases);
	tcase_add_test(tc, test_to_json_shape);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	LOOP(tc, test_durations, durations);
	LOOP(tc, test_sizes, sizes);
	LOOP(tc, test_signals, signal_cases);
	LOOP(tc, test_split_args, splits);
	LOOP(tc, test_hostport, hostports);
	LOOP(tc, test_path_join, joins);
	LOOP(tc, test_cron, crons);
	tcase_add_test(tc, test_env_helpers);
	tcase_add_test(tc, test_signal_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("jsonpos");
	LOOP(tc, test_positions, positions);
	tcase_add_test(tc, test_positions_many_keys);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tc, test_relax);
	tcase_add_test(tc, test_format_path);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; exit 0 when every test passed. */
int
main(void)
{
	SRunner *sr = srunner_create(ecosystem_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

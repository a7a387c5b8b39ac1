#!/usr/bin/env bash
# pm2_compat.sh: what real PM2 files rely on, one check each: command
# strings run by bash, extensionless node scripts, numbers written as
# strings, missing log folders, "~/" paths, and the messages for PM2's
# "serve", a post-deploy that runs pm2, and "Apps".
. "$(dirname "$0")/lib.sh"

if ! command -v node >/dev/null; then
	skip_all "node is not installed"
fi
STUB=$FIXTURES/pm2/stub.js
export HOME=$TMP/h PM2_CORPUS_OUT=$TMP/rec
mkdir -p "$HOME" "$PM2_CORPUS_OUT" "$TMP/app/bin"
cd "$TMP/app" || exit 1

# records N: true when the stub apps wrote N records or more.
records() { [ "$(find "$PM2_CORPUS_OUT" -name '*.json' | wc -l)" -ge "$1" ]; }
# answers PORT: true when http://127.0.0.1:PORT/ sends a body.
answers() { http_get "$1" | grep -q .; }
# field JQ: JQ over every record, one line each, sorted.
field() { cat "$PM2_CORPUS_OUT"/*.json | jq -r "$1" | sort | tr '\n' ' '; }

cp "$STUB" stub.js
echo 'export FROM_BASH=yes' >env.sh
# Express's generator: bin/www, no extension, not executable here.
grep -v '^#!' "$STUB" >bin/www
cat >ecosystem.config.js <<'JS'
module.exports = {
  apps: [
    { name: "venv", script: "source ./env.sh && exec node stub.js" },
    { name: "www", script: "bin/www", env: { PORT: "3000" } },
    { name: "api", script: "stub.js", instances: "2", max_restarts: "10",
      exec_mode: "fork", out_file: "logs/api.log",
      error_file: "~/pm2logs/api-err.log" },
  ],
};
JS
run "$DEPLOY" up
check_rc "up starts the file" 0
check_err "and says it created the missing log folder" \
	"created log folder '$TMP/app/logs'"
track_pid "$(cat "$DEPLOY_HOME/daemon.pid")"
wait_for 10 records 4
check_true "4 processes: \"instances\": \"2\" is 2" records 4
check_true "a command string runs with bash (source works)" \
	test "$(field '.env.FROM_BASH // empty')" = "yes "
check_true "bin/www (no extension, not executable) runs with node" \
	grep -q "\"script\":\"$TMP/app/bin/www\"" "$PM2_CORPUS_OUT"/*.json
check_true "\"~/\" in error_file is the home folder" \
	test -d "$HOME/pm2logs"
run "$DEPLOY" validate --print
check_true "max_restarts \"10\" is 10" \
	test "$(jq '.apps[2].max_restarts' <<<"$out")" = 10
daemon_down

# wait_ready with Node's process.send('ready'), over Node's IPC channel.
cat >ready.js <<'JS'
setTimeout(() => process.send('ready'), 300);
setInterval(() => {}, 1 << 30);
JS
echo '{"apps": [{"name": "ready", "script": "ready.js", "instances": 2,
  "exec_mode": "fork", "wait_ready": true, "listen_timeout": 60000}]}' \
	>ready.json
start=$(date +%s)
run "$DEPLOY" -c ready.json up --wait --timeout 20
check_rc "up --wait returns once process.send('ready') arrives" 0
check_true "well before listen_timeout (60 s)" \
	test $(($(date +%s) - start)) -lt 15
check_true "both instances online" all_online ready
daemon_down

# cron_restart, PM2's 6-field form (seconds first): every 2 s here.
rm -f "$PM2_CORPUS_OUT"/*.json
echo '{"apps": [{"name": "cron", "script": "stub.js",
  "cron_restart": "*/2 * * * * *"}]}' >cron.json
run "$DEPLOY" -c cron.json validate --print
check_true "cron_restart is read" \
	test "$(jq -r '.apps[0].cron_restart' <<<"$out")" = "*/2 * * * * *"
run "$DEPLOY" -c cron.json up
check_rc "an app with cron_restart starts" 0
check_true "and is restarted by its schedule (3 starts within 10 s)" \
	wait_for 10 records 3
daemon_down
echo '{"apps": [{"script": "stub.js", "cron_restart": "0 3 * *"}]}' \
	>badcron.json
run "$DEPLOY" -c badcron.json validate
check_rc "a bad cron_restart is refused" 3
check_err "saying what is wrong" \
	'apps\[0\].cron_restart: expected 5 fields \(minute hour day month weekday\)'

# watch: a change reloads the app gracefully after watch_delay; its own
# log files and ignore_watch do not.
mkdir -p "$TMP/w/src" "$TMP/w/cache" && cp "$STUB" "$TMP/w/src/app.js"
rm -f "$PM2_CORPUS_OUT"/*.json
cat >"$TMP/w/ecosystem.json" <<'JSON'
{"apps": [{"name": "watched", "script": "src/app.js", "watch": true,
  "ignore_watch": ["cache"], "watch_delay": 200,
  "out_file": "app.log"}]}
JSON
(cd "$TMP/w" && "$DEPLOY" up --wait --timeout 20 >/dev/null 2>&1)
check_true "a watched app starts" wait_for 10 records 1
touch "$TMP/w/cache/x" "$TMP/w/app.log" "$TMP/w/.hidden"
sleep 1	# 5 x watch_delay: a reload would have begun by now
check_true "ignore_watch, its own log and dot files do not reload it" \
	test "$(find "$PM2_CORPUS_OUT" -name '*.json' | wc -l)" -eq 1
echo "// changed" >>"$TMP/w/src/app.js"
touch "$TMP/w/src/other.js"
check_true "a changed file reloads it" wait_for 10 records 2
check_true "once, for the burst of changes" \
	test "$(find "$PM2_CORPUS_OUT" -name '*.json' | wc -l)" -eq 2
daemon_down

# shutdown_with_message: the stop is process.send('shutdown'), not a
# signal (this app ignores SIGINT).
cat >graceful.js <<'JS'
process.on('SIGINT', () => {});
process.on('message', (m) => {
	if (m === 'shutdown') {
		require('fs').writeFileSync('shutdown.seen', 'yes');
		process.exit(0);
	}
});
setInterval(() => {}, 1 << 30);
JS
echo '{"apps": [{"name": "graceful", "script": "graceful.js",
  "shutdown_with_message": true, "kill_timeout": 20000}]}' >graceful.json
run "$DEPLOY" -c graceful.json up --wait --timeout 20
check_rc "an app with shutdown_with_message starts" 0
start=$(date +%s)
run "$DEPLOY" stop graceful
check_rc "and stops" 0
check_true "by the message 'shutdown' (the app saw it)" test -f shutdown.seen
check_true "well before kill_timeout (20 s)" \
	test $(($(date +%s) - start)) -lt 10
daemon_down

# Cluster mode on one port: every instance of an unchanged Node app
# listens on the same PORT (a plain http app, and the Express style
# listen({port}, cb) on a second port).
port=$(free_port 2)
cat >plain.js <<'JS'
require('http').createServer((req, res) => res.end(String(process.pid)))
	.listen(process.env.PORT);
JS
cat >express-style.js <<'JS'
const http = require('http');
const app = (req, res) => res.end('x' + process.pid);
http.createServer(app).listen({ port: Number(process.env.PORT) },
	() => console.log('listening'));
JS
cat >cluster.json <<JSON
{"apps": [
  {"name": "plain", "script": "plain.js", "instances": 4,
   "exec_mode": "cluster", "env": {"PORT": $port}},
  {"name": "styled", "script": "express-style.js", "instances": 2,
   "exec_mode": "cluster", "env": {"PORT": $((port + 1))}}]}
JSON
run "$DEPLOY" -c cluster.json validate
check_true "cluster mode on one port gives no warning" test -z "$err"
run "$DEPLOY" -c cluster.json up --wait --timeout 20
check_rc "4 + 2 instances on one port each start" 0
wait_for 5 answers "$port"
pids=$(for _ in $(seq 1 30); do http_get "$port"; echo; done | sort -u |
	grep -c .)
check_true "the port answers, from $pids instance(s)" test "$pids" -ge 1
check_true "the Express style listen({port}) answers too" \
	grep -q '^x' <<<"$(http_get $((port + 1)))"
sleep 1.2	# past min_uptime: a crash loop would show now
check_true "no instance crashed (EADDRINUSE)" test \
	"$(jls 'map(.restarts) | add')" = 0
check_true "all 6 online" test "$(count_status plain online)" = 4 -a \
	"$(count_status styled online)" = 2
"$HTTP_LOAD" "$port" 60 "$TMP/stop" >"$TMP/load.out" &
loadpid=$!
track_pid $loadpid
for i in 1 2 3; do
	run "$DEPLOY" -c cluster.json reload plain
	check_rc "reload $i of the shared-port app succeeds" 0
done
touch "$TMP/stop"
wait "$loadpid"
check_true "3 reloads under a request loop: $(cat "$TMP/load.out")" \
	grep -qE '^ok=[1-9][0-9]* failed=0$' "$TMP/load.out"
check_true "and it still answers" answers "$port"
# The same under keep-alive load: a stopping instance lets each open
# connection carry one more request, answered with Connection: close.
wrk -t1 -c8 -d6s "http://127.0.0.1:$port/" >"$TMP/wrk.out" 2>&1 &
wrkpid=$!
track_pid $wrkpid
for i in 1 2 3; do
	"$DEPLOY" -c cluster.json reload plain >/dev/null 2>&1
done
wait "$wrkpid"
check_true "3 reloads under keep-alive load lose nothing: $(grep -E 'requests in|errors|Non-2xx' "$TMP/wrk.out" | tr '\n' ' ')" \
	bash -c "grep -q 'requests in' '$TMP/wrk.out' && ! grep -qE 'Socket errors|Non-2xx' '$TMP/wrk.out'"
daemon_down

# Ad-hoc start without a file, as pm2 start app.js.
rm -f "$PM2_CORPUS_OUT"/*.json
run "$DEPLOY" start stub.js --name adhoc -i 2 -- one "two words"
check_rc "deploy start SCRIPT starts it" 0
check_out "under the given name" '^adhoc: '
track_pid "$(cat "$DEPLOY_HOME/daemon.pid")"
wait_for 10 records 2
check_true "2 instances with the arguments after --" test \
	"$(field '.args | join("|")')" = "one|two words one|two words "
run "$DEPLOY" save
check_rc "save keeps an ad-hoc app" 0
check_true "in the saved state" grep -q '"adhoc"' "$DEPLOY_HOME"/*.json
daemon_down

echo '{"apps": [{"name": "static", "script": "serve", "env":
  {"PM2_SERVE_PATH": "dist", "PM2_SERVE_PORT": 8080}}]}' >serve.json
run "$DEPLOY" -c serve.json validate
check_rc "PM2's serve is refused" 3
check_err "naming what to do instead" \
	"serve.json:1:40: apps\\[0\\].script: PM2's built-in \"serve\" is not supported: serve the folder with nginx"

cat >deploy.json <<'EOF2'
{"apps": [{"script": "stub.js"}],
 "deploy": {"production": {"host": "h", "repo": "r", "path": "/p",
   "post-deploy": "npm install && pm2 reload ecosystem.config.js --env production"}}}
EOF2
run "$DEPLOY" -c deploy.json validate
check_rc "a post-deploy that runs pm2 is valid" 0
check_err "with a warning naming deploy's equivalent" \
	"deploy.production.post-deploy: runs pm2: with deploy, end it with 'deploy up --env production --wait' instead"

echo '{"Apps": [{"script": "stub.js"}]}' >caps.json
run "$DEPLOY" -c caps.json validate
check_rc "\"Apps\" is an error" 3
check_err "that says keys are case-sensitive" \
	'missing "apps" \(keys are case-sensitive: "Apps" is not "apps"\)'

finish

#!/usr/bin/env bash
# Supervisor: readiness (sd_notify, HTTP health, TCP), failed readiness in
# up --wait and in a reload, memory limits, SIGHUP.
. "$(dirname "$0")/lib.sh"

HTTP_LOAD=${BUILD:-$ROOT/build}/helpers/http_load
mkdir -p "$TMP/app" && cd "$TMP/app" || exit 1
port=$(free_port 4)
lport=$(free_port 1)
cat >ecosystem.json <<JSON
{"apps": [
  {"name": "notify", "script": "$HTTP_WORKER", "port": $port,
   "wait_ready": true, "listen_timeout": 5000,
   "env": {"NOTIFY": "1", "START_DELAY_MS": "300"}},
  {"name": "health", "script": "$HTTP_WORKER", "port": $((port + 1)),
   "health": "/healthz", "env": {"START_DELAY_MS": "200"}}
]}
JSON
run "$DEPLOY" up --wait --timeout 20
check_rc "wait_ready and health apps become ready" 0
check_true "the wait_ready app is online" all_online notify
check_true "the health app is online" all_online health
check_true "the health app answers" http_get $((port + 1))

cat >slow.json <<JSON
{"apps": [{"name": "silent", "script": "$HTTP_WORKER",
  "port": $((port + 2)), "wait_ready": true, "listen_timeout": 600}]}
JSON
run "$DEPLOY" -c slow.json up --wait --timeout 20
check_rc "up --wait fails when READY=1 never comes" 5
check_err "naming the instance and the reason" \
	'silent:0 is not ready: not ready within listen_timeout \(600 ms\)'

cat >dead.json <<JSON
{"apps": [{"name": "deaf", "script": "$HTTP_WORKER",
  "port": $((port + 3)), "listen_timeout": 700,
  "env": {"START_DELAY_MS": "60000"}}]}
JSON
run "$DEPLOY" -c dead.json up --wait --timeout 20
check_rc "up --wait fails when the port never accepts" 5
check_err "naming the instance" 'deaf:0 is not ready'

write_listen() {
	cat >listen.json <<JSON
{"apps": [{"name": "ln", "script": "$HTTP_WORKER", "instances": 2,
  "listen": "127.0.0.1:$lport", "wait_ready": true, "listen_timeout": 800,
  "env": $1}]}
JSON
}
write_listen '{"NOTIFY": "1", "MSG": "good"}'
run "$DEPLOY" -c listen.json up --wait --timeout 20
check_rc "listen app with wait_ready starts" 0
before=$(app_pids ln)
"$HTTP_LOAD" "$lport" 30 "$TMP/stop" >"$TMP/load.out" &
track_pid $!
loadpid=$!
write_listen '{"MSG": "bad"}'
run "$DEPLOY" -c listen.json up --wait --timeout 20
check_rc "a reload whose new instance is never ready fails" 5
check_err "it says where it stopped and why" \
	"reload of 'ln' stopped at instance 0: not ready within listen_timeout"
touch "$TMP/stop"
wait "$loadpid"
check_true "the old instances kept serving: $(cat "$TMP/load.out")" \
	grep -qE '^ok=[1-9][0-9]* failed=0$' "$TMP/load.out"
check_true "the old instances are still the ones running" \
	test "$(app_pids ln)" = "$before"
check_true "and they still answer with the old env" \
	bash -c "curl -s http://127.0.0.1:$lport/ | grep -q msg=good"

cat >mem.json <<JSON
{"apps": [{"name": "fat", "script": "$HTTP_WORKER",
  "max_memory_restart": "8M", "env": {"ALLOC_MB": "24"}}]}
JSON
run "$DEPLOY" -c mem.json up
check_rc "a memory-hungry app starts" 0
restarted() { [ "$(jls '.[] | select(.app == "fat") | .restarts')" -ge 1 ]; }
check_true "max_memory_restart restarts it" wait_for 15 restarted
check_true "with a reason naming the limit" \
	bash -c "'$DEPLOY' ls --json | jq -r '.instances[] | select(.app == \"fat\") | .reason' | grep -q max_memory_restart"
"$DEPLOY" delete fat >/dev/null

# Nothing to probe (no port, health or wait_ready): ready after
# min_uptime, and the daemon sleeps until then instead of spinning.
cat >calm.json <<JSON
{"apps": [{"name": "calm", "script": "sleep", "args": "600",
  "min_uptime": 2000}]}
JSON
dpid=$(cat "$DEPLOY_HOME/daemon.pid")
ticks() { awk '{ print $14 + $15 }' "/proc/$dpid/stat"; }
t0=$(ticks)
run "$DEPLOY" -c calm.json up --wait --timeout 10
check_rc "an app with nothing to probe is ready after min_uptime" 0
t1=$(ticks)
check_true "the daemon did not spin meanwhile ($((t1 - t0)) ticks)" \
	test $((t1 - t0)) -lt 50
"$DEPLOY" delete calm >/dev/null

# listen mode, nothing but the shared socket: a Node instance is ready
# once its event loop watches the socket, long before min_uptime.
lport2=$(free_port 1)
cat >serve.json <<JSON
{"apps": [{"name": "serve", "script": "$ROOT/tests/fixtures/apps/hello.js",
  "instances": 2, "listen": "127.0.0.1:$lport2", "min_uptime": 30000,
  "listen_timeout": 30000}]}
JSON
s0=$(date +%s)
run "$DEPLOY" -c serve.json up --wait --timeout 60
s1=$(date +%s)
check_rc "listen mode: up --wait succeeds" 0
check_true "ready as soon as they serve the socket ($((s1 - s0)) s, min_uptime 30 s)" \
	test $((s1 - s0)) -lt 20
check_true "and they answer on it" \
	bash -c "curl -s http://127.0.0.1:$lport2/ | grep -q instance"
"$DEPLOY" delete serve >/dev/null

before=$(app_pids health)
kill -HUP "$(cat "$DEPLOY_HOME/daemon.pid")"
hup_done() { [ "$(app_pids health)" != "$before" ] && all_online health; }
check_true "SIGHUP reloads every app" wait_for 15 hup_done

finish

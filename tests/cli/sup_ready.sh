#!/usr/bin/env bash
# Supervisor: readiness (sd_notify, HTTP health, a port its own process
# listens on), failed readiness in up --wait and in a reload, another
# process on the port, ports in the ephemeral range, memory limits, SIGHUP.
. "$(dirname "$0")/lib.sh"

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
ready_by() { jls "map(select(.app == \"$1\")) | map(.ready_by) | join(\" \")"; }
check_true "ready_by notify" test "$(ready_by notify)" = notify
check_true "ready_by http" test "$(ready_by health)" = http

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
check_true "ready_by uptime" test "$(ready_by calm)" = uptime
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
check_true "ready_by listen" test "$(ready_by serve)" = "listen listen"
"$DEPLOY" delete serve >/dev/null

# No port, health or wait_ready, but it listens (on its env PORT): ready
# once its process listens, not after min_uptime (200 s).
qport=$(free_port 1)
cat >quick.json <<JSON
{"apps": [{"name": "quick", "script": "$HTTP_WORKER", "min_uptime": "200s",
  "env": {"PORT": "$qport", "START_DELAY_MS": "300"}}]}
JSON
t0=$(date +%s%N)
run "$DEPLOY" -c quick.json up --wait --timeout 30
ms=$((($(date +%s%N) - t0) / 1000000))
check_rc "a listening app with min_uptime 200s: up --wait succeeds" 0
check_true "ready once it listens ($ms ms)" test "$ms" -lt 3000
check_true "ready_by port" test "$(ready_by quick)" = port
check_true "and it answers" http_get "$qport"
"$DEPLOY" delete quick >/dev/null

# hold PROGRAM ARGS...: run a python3 program that takes a port, then
# creates the file its last argument names; its pid in $holder.
hold() {
	local ready=${*: -1}
	python3 -c "$@" &
	holder=$!
	track_pid "$holder"
	wait_for 10 test -e "$ready"
}

# up_on APP PORT: up --wait of an app on PORT (2 s listen_timeout).
up_on() {
	cat >"$1.json" <<JSON
{"apps": [{"name": "$1", "script": "$HTTP_WORKER", "port": $2,
  "listen_timeout": 2000}]}
JSON
	run "$DEPLOY" -c "$1.json" up --wait --timeout 10
}

# Another process listens on an instance's port: never ready, and up
# --wait and ls name that process.
hport=$(free_port 1)
check_true "a squatter listens on the port" hold 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
open(sys.argv[2], "w").close(); time.sleep(600)' "$hport" "$TMP/held"
up_on squat "$hport"
check_rc "up --wait fails while another process holds the port" 5
check_err "naming the holder" "port $hport is held by pid $holder \(.*python3"
reason() { jls ".[] | select(.app == \"$1\") | .reason"; }
names_holder() { reason squat | grep -q "port $hport is held by pid $holder"; }
check_true "ls --json names it in the reason: $(reason squat)" names_holder
kill "$holder"
squat_ready() { [ "$(ready_by squat)" = port ]; }
check_true "once the squatter is gone it becomes ready by port" \
	wait_for 20 squat_ready
"$DEPLOY" delete squat >/dev/null

# A client connection holds the port (its local end): the instance
# fails with EADDRINUSE, and its reason names that connection.
cport=$(free_port 1)
sport=$(free_port 1)
check_true "a client socket sits on the port" hold 'import socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", int(sys.argv[2]))); l.listen(8)
c = socket.socket(); c.bind(("127.0.0.1", int(sys.argv[1])))
c.connect(("127.0.0.1", int(sys.argv[2]))); a, _ = l.accept()
open(sys.argv[3], "w").close(); time.sleep(600)' "$cport" "$sport" "$TMP/conn"
up_on blocked "$cport"
check_rc "up --wait fails while a connection holds the port" 5
check_err "the reason names the connection, its pid and where to" \
	"port $cport is held by a connection of pid $holder \(.*python3.*\) to 127\.0\.0\.1:$sport"
kill "$holder"
"$DEPLOY" delete blocked >/dev/null

# Ports inside the kernel's ephemeral range are warned about.
read -r elo ehi </proc/sys/net/ipv4/ip_local_port_range
cat >eph.json <<JSON
{"apps": [{"name": "eph", "script": "$HTTP_WORKER", "port": $((elo + 100)),
  "instances": 2}]}
JSON
eph_warn="ports $((elo + 100))-$((elo + 101)) are inside the kernel's ephemeral port range $elo-$ehi .*net\.ipv4\.ip_local_reserved_ports"
run "$DEPLOY" -c eph.json validate
check_err "validate warns about ports in the ephemeral range" "$eph_warn"
run "$DEPLOY" -c eph.json nginx
check_err "so does deploy nginx" "$eph_warn"
run "$DEPLOY" -c calm.json validate
check_true "a file without ports gets no such warning" \
	test -z "$(grep ephemeral <<<"$err")"

# In a network namespace whose ephemeral range is just the app's port,
# a probe that connected would reach itself (and take the port): the
# app listens 1.5 s after start; up --wait returns once it really does.
if unshare -rn true 2>/dev/null; then
	mkdir -p "$TMP/ns" && cd "$TMP/ns" || exit 1
	cat >ecosystem.json <<JSON
{"apps": [{"name": "late", "script": "$HTTP_WORKER", "port": 45100,
  "listen_timeout": 20000, "env": {"START_DELAY_MS": "1500"}}]}
JSON
	cat >ns.sh <<'SH'
ip link set lo up
echo "45100 45100" >/proc/sys/net/ipv4/ip_local_port_range
export DEPLOY_HOME=$PWD/home
"$DEPLOY" up --wait --timeout 20 >up.out 2>up.err
echo $? >up.rc
echo "32768 60999" >/proc/sys/net/ipv4/ip_local_port_range	# for curl
curl -s --max-time 2 http://127.0.0.1:45100/ >get.out
ss -Htan >ss.out
"$DEPLOY" ls --json >ls.json
"$DEPLOY" down >/dev/null 2>&1
SH
	DEPLOY=$DEPLOY unshare -rn bash ns.sh
	[ -f home/daemon.pid ] && track_pid "$(cat home/daemon.pid)"
	check_true "netns: up --wait succeeds ($(cat up.err))" \
		test "$(cat up.rc)" = 0
	check_true "netns: up warns that the port is in the ephemeral range" \
		grep -q "port 45100 is inside the kernel's ephemeral" up.err
	check_true "netns: the app answers as soon as up --wait returns" \
		grep -q "pid=$(jq -r '.instances[0].pid' ls.json)" get.out
	check_true "netns: no socket connected to itself" \
		bash -c "! grep -q '127.0.0.1:45100 *127.0.0.1:45100' ss.out"
	check_true "netns: never restarted" \
		test "$(jq -r '.instances[0].restarts' ls.json)" = 0
	cd "$TMP/app" || exit 1
else
	echo "# skip: no network namespace (unshare -rn)"
fi

before=$(app_pids health)
kill -HUP "$(cat "$DEPLOY_HOME/daemon.pid")"
hup_done() { [ "$(app_pids health)" != "$before" ] && all_online health; }
check_true "SIGHUP reloads every app" wait_for 15 hup_done

finish

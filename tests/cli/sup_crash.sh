#!/usr/bin/env bash
# The crash-only daemon: kill -9 of the daemon loses no worker, no
# request and no line; the next command re-adopts the workers; a pid
# reused by another process is not adopted; a stopped daemon (SIGSTOP)
# costs nothing.
. "$(dirname "$0")/lib.sh"

STOP_SECONDS=${STOP_SECONDS:-30}
port=$(free_port 1)
mkdir -p "$TMP/app" && cd "$TMP/app" || exit 1
cat >ecosystem.json <<JSON
{"apps": [
  {"name": "web", "script": "$HTTP_WORKER", "instances": 2,
   "listen": "127.0.0.1:$port"},
  {"name": "talk", "script": "$CHATTY", "env": {"CHATTY_US": "20000"}},
  {"name": "flood", "script": "$CHATTY", "env": {"CHATTY_US": "200"}}
]}
JSON

# Kill the daemon of this test for real.
kill_daemon() {
	local pid
	pid=$(cat "$DEPLOY_HOME/daemon.pid")
	kill -KILL "$pid"
	wait_for 5 bash -c "! kill -0 $pid 2>/dev/null || grep -q '^State:.*Z' /proc/$pid/status"
}
# The number of processes running from this test's DEPLOY_HOME that
# are workers (not the daemon, not the fd holder).
count_workers() {
	local n=0 p
	for p in /proc/[0-9]*; do
		grep -qzx "DEPLOY_HOME=$DEPLOY_HOME" "$p/environ" 2>/dev/null ||
			continue
		case $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) in
		*"$HTTP_WORKER"*|*"$CHATTY"*) n=$((n + 1)) ;;
		esac
	done
	echo "$n"
}

run "$DEPLOY" up --wait
check_rc "up starts web (listen mode), talk and flood" 0
check_true "4 workers run" test "$(count_workers)" = 4
pids=$(jls 'map("\(.app):\(.instance)=\(.pid)") | join(" ")')
holder=$(cat "$DEPLOY_HOME/holder.pid")
check_true "an fd holder runs beside the daemon" kill -0 "$holder"

"$HTTP_LOAD" "$port" 4 >"$TMP/load1" 2>&1 &
load=$!
track_pid "$load"
kill_daemon
wait "$load"
check_true "kill -9 of the daemon under load: 0 failed requests ($(cat "$TMP/load1"))" \
	grep -q ' failed=0' "$TMP/load1"
check_true "the workers live on without the daemon" test "$(count_workers)" = 4

t0=$(date +%s%N)
run "$DEPLOY" ls --json
ms=$((($(date +%s%N) - t0) / 1000000))
check_rc "the next command starts a daemon" 0
check_true "it re-adopted the same pids ($ms ms)" \
	test "$(jls 'map("\(.app):\(.instance)=\(.pid)") | join(" ")')" = "$pids"
check_true "all online, no restart counted" \
	test "$(jls 'map(select(.status == "online" and .restarts == 0)) | length')" = 4
run "$DEPLOY" up
check_rc "up after the re-adoption" 0
check_true "starts no duplicate (still 4 workers)" test "$(count_workers)" = 4

# Output written while no daemon runs, and after: nothing lost.
fpid=$(jls '.[] | select(.app == "flood") | .pid')
kill_daemon
sleep 2	# the scenario: the daemon stays dead for 2 s
run "$DEPLOY" ls
check_true "the flooding worker never died" \
	test "$(jls '.[] | select(.app == "flood") | .pid')" = "$fpid"
flog=$(jls '.[] | select(.app == "flood") | .out_log')
settled() { [ "$(grep -c "^pid=$fpid out " "$flog")" -gt 30000 ]; }
check_true "it went on writing after the re-adoption" wait_for 20 settled
gaps=$(grep "^pid=$fpid out " "$flog" |
	awk '$3 != NR - 1 { print "line " NR ": " $3; exit }')
check_true "every line it wrote is in the log, in order (${gaps:-no gap})" \
	test -z "$gaps"
tpid=$(jls '.[] | select(.app == "talk") | .pid')
tlog=$(jls '.[] | select(.app == "talk") | .out_log')
last=$(grep -c "^pid=$tpid out " "$tlog")
grows() { [ "$(grep -c "^pid=$tpid out " "$tlog")" -gt $((last + 3)) ]; }
check_true "a line printed after the re-adoption reaches the log" \
	wait_for 5 grows
check_true "and deploy logs" bash -c "'$DEPLOY' logs talk -n 3 | grep -q 'pid=$tpid out'"

# A re-adopted worker that dies is restarted, and reloads still work.
wpid=$(jls '.[] | select(.app == "web" and .instance == 0) | .pid')
kill -KILL "$wpid"
replaced() {
	local p
	p=$(jls '.[] | select(.app == "web" and .instance == 0) | .pid')
	[ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$wpid" ] && all_online web
}
check_true "a re-adopted worker that dies is restarted" wait_for 10 replaced
"$HTTP_LOAD" "$port" 3 >"$TMP/load2" 2>&1 &
load=$!
track_pid "$load"
run "$DEPLOY" reload web
wait "$load"
check_rc "reload after the re-adoption" 0
check_true "refuses no connection on the kept listen socket ($(cat "$TMP/load2"))" \
	grep -q ' failed=0' "$TMP/load2"

# The holder killed: the daemon starts another and gives it everything.
kill -KILL "$holder"
new_holder() {
	local h
	h=$(cat "$DEPLOY_HOME/holder.pid" 2>/dev/null)
	[ -n "$h" ] && [ "$h" != "$holder" ] && kill -0 "$h" 2>/dev/null
}
check_true "a killed fd holder is replaced at once" wait_for 5 new_holder
holder=$(cat "$DEPLOY_HOME/holder.pid")
tpid=$(jls '.[] | select(.app == "talk") | .pid')
kill_daemon
run "$DEPLOY" ls
check_true "the new holder kept the pipes: talk re-adopted" \
	test "$(jls '.[] | select(.app == "talk") | .pid')" = "$tpid"
last=$(grep -c "^pid=$tpid out " "$tlog")
check_true "and its lines still reach the log" wait_for 5 grows
gaps=$(grep "^pid=$tpid out " "$tlog" |
	awk '$3 != NR - 1 { print "line " NR ": " $3; exit }')
check_true "with none lost (${gaps:-no gap})" test -z "$gaps"

# SIGSTOP: the workers keep serving, nothing is lost.
dpid=$(cat "$DEPLOY_HOME/daemon.pid")
"$HTTP_LOAD" "$port" "$((STOP_SECONDS + 2))" >"$TMP/load3" 2>&1 &
load=$!
track_pid "$load"
kill -STOP "$dpid"
sleep "$STOP_SECONDS"	# the scenario: the daemon is stopped this long
kill -CONT "$dpid"
wait "$load"
check_true "SIGSTOP of the daemon for $STOP_SECONDS s: 0 failed requests ($(cat "$TMP/load3"))" \
	grep -q ' failed=0' "$TMP/load3"
check_true "and the workers are the same" test "$(count_workers)" = 4
run "$DEPLOY" ls
check_rc "the daemon answers again" 0

# kill -9 in the middle of a listen-mode reload: the old and the new
# process of one index are both alive; the next daemon keeps one, and
# the reload the CLI asks again finishes with exactly 3 instances.
sport=$(free_port 1)
cat >slow.json <<JSON
{"apps": [{"name": "slow", "script": "$HTTP_WORKER", "instances": 3,
  "listen": "127.0.0.1:$sport", "env": {"START_DELAY_MS": "800"}}]}
JSON
run "$DEPLOY" -c slow.json up --wait
check_rc "a slow-starting listen app comes up" 0
"$DEPLOY" -c slow.json reload slow >"$TMP/reload.out" 2>&1 &
cli=$!
track_pid "$cli"
mid_reload() { grep -q 'slow:1: started pid' "$DEPLOY_HOME/daemon.log"; }
wait_for 10 mid_reload
kill_daemon
wait "$cli"
check_true "the reload asked again of the next daemon finishes ($(tail -1 "$TMP/reload.out"))" \
	grep -q '^slow: reloaded' "$TMP/reload.out"
# The number of live processes marked as instances of slow.
slow_procs() {
	local n=0 p
	for p in /proc/[0-9]*; do
		{ tr '\0' '\n' <"$p/environ"; } 2>/dev/null |
			grep -q "^DEPLOY_WORKER=$DEPLOY_HOME|slow:" &&
			! grep -q '^State:.*Z' "$p/status" 2>/dev/null &&
			n=$((n + 1))
	done
	echo "$n"
}
three() { [ "$(slow_procs)" = 3 ]; }
check_true "exactly 3 processes of it run, not one per index too many" \
	wait_for 10 three
check_true "and ls lists indexes 0, 1 and 2 once each" test \
	"$(jls 'map(select(.app == "slow")) | map(.instance) | sort | join(",")')" = 0,1,2
run "$DEPLOY" delete slow
check_rc "delete slow" 0

# Node's IPC channel outlives the daemon (the holder keeps the daemon's
# end): the worker sees no 'disconnect', and a stop after re-adoption
# still sends PM2's "shutdown" message, not a signal.
if command -v node >/dev/null; then
	up_ipc_app
	ipid=$(app_pids ipc)
	kill_daemon
	run "$DEPLOY" ls --json
	check_true "it is re-adopted ($ipid)" test "$(app_pids ipc)" = "$ipid"
	run "$DEPLOY" stop ipc
	check_rc "stop it after re-adoption" 0
	check_true "no 'disconnect' ever reached it" \
		test "$(grep -c disconnect "$TMP/ipc.mark")" = 0
	check_true "the stop sent PM2's shutdown message over the kept \
channel, not SIGINT ($(tr '\n' ' ' <"$TMP/ipc.mark"))" \
		grep -qx shutdown-message "$TMP/ipc.mark"
	run "$DEPLOY" delete ipc
else
	skip_test "Node's IPC channel outlives the daemon" "no node"
fi

# A record whose pid now belongs to another process is not adopted.
sleep 300 &
stranger=$!
track_pid "$stranger"
tpid=$(jls '.[] | select(.app == "talk") | .pid')
kill_daemon
kill -KILL "$tpid"
sed -i "s/\"pid\":$tpid,/\"pid\":$stranger,/" "$DEPLOY_HOME/run.json"
check_true "(the record now names the stranger)" \
	grep -q "\"pid\":$stranger," "$DEPLOY_HOME/run.json"
run "$DEPLOY" ls --json
npid=$(jls '.[] | select(.app == "talk") | .pid')
check_true "a pid reused by another process is not adopted ($npid)" \
	test "$npid" != "$stranger"
check_true "the stranger is left alone" kill -0 "$stranger"
check_true "talk runs again under a new pid" wait_for 10 all_online talk

# A command at once after the kill (the dying daemon may still accept).
pids=$(jls 'map("\(.app):\(.instance)=\(.pid)") | join(" ")')
bad=0
for ((r = 0; r < 10; r++)); do
	kill -KILL "$(cat "$DEPLOY_HOME/daemon.pid")"
	"$DEPLOY" ls --json >"$TMP/ls.json" 2>"$TMP/ls.err" || bad=$((bad + 1))
	[ "$(jq -r '.instances | map("\(.app):\(.instance)=\(.pid)") | join(" ")' "$TMP/ls.json")" = "$pids" ] || bad=$((bad + 1))
done
check_true "ls right after each of 10 kills answers with the same workers ($(cat "$TMP/ls.err"))" \
	test "$bad" = 0

kill -KILL "$(cat "$DEPLOY_HOME/holder.pid")"
wait_for 5 new_holder
holder=$(cat "$DEPLOY_HOME/holder.pid")
kill_daemon
run "$DEPLOY" down
check_rc "down with the daemon dead (killed) takes the workers back and stops them" 0
check_true "down leaves no worker" wait_for 10 test "$(count_workers)" = 0
check_true "and no fd holder" wait_for 5 bash -c "! kill -0 $holder 2>/dev/null"
check_true "and no run.json" test ! -e "$DEPLOY_HOME/run.json"

finish

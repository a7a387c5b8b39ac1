#!/usr/bin/env bash
# deploy update: the daemon replaced in place by another binary, 20
# times under load: no failed request, the same workers, output still
# flowing, no fd or memory growth; and READY=1 for systemd.
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-20}
port=$(free_port 1)
mkdir -p "$TMP/app" && cd "$TMP/app" || exit 1
cat >ecosystem.json <<JSON
{"apps": [
  {"name": "web", "script": "$HTTP_WORKER", "instances": 2,
   "listen": "127.0.0.1:$port"},
  {"name": "talk", "script": "$CHATTY", "env": {"CHATTY_US": "5000"}}
]}
JSON
cp "$DEPLOY" "$TMP/deploy-new"

run "$DEPLOY" up --wait
check_rc "up" 0
dpid=$(cat "$DEPLOY_HOME/daemon.pid")
pids=$(jls 'map(.pid) | join(" ")')
tpid=$(jls '.[] | select(.app == "talk") | .pid')
tlog=$(jls '.[] | select(.app == "talk") | .out_log')
# The daemon's open fds, and its anonymous (heap, stack) memory in kB.
daemon_fds() { ls "/proc/$dpid/fd" | wc -l; }
daemon_anon() {
	awk '/^Anonymous:/ { print $2 }' \
		"/proc/$dpid/smaps_rollup"
}

"$HTTP_LOAD" "$port" 60 "$TMP/stop-load" >"$TMP/load" 2>&1 &
load=$!
track_pid "$load"
fails=0 fds2= mem2=
for ((r = 1; r <= ROUNDS; r++)); do
	bin=$DEPLOY
	[ $((r % 2)) = 1 ] && bin=$TMP/deploy-new
	"$bin" update >"$TMP/update.out" 2>&1 || fails=$((fails + 1))
	if [ "$r" = 2 ]; then
		fds2=$(daemon_fds)
		mem2=$(daemon_anon)
	fi
done
touch "$TMP/stop-load"
wait "$load"
check_true "$ROUNDS updates succeed" test "$fails" = 0
check_out_file() { grep -qE "$1" "$TMP/update.out"; }
check_true "update prints both versions" \
	check_out_file '^daemon updated: [0-9.]+ -> [0-9.]+ \(pid [0-9]+'
check_true "0 failed requests through $ROUNDS updates ($(cat "$TMP/load"))" \
	grep -q ' failed=0' "$TMP/load"
check_true "the daemon keeps its pid" test "$(cat "$DEPLOY_HOME/daemon.pid")" = "$dpid"
check_true "and the same workers, never restarted" \
	test "$(jls 'map(.pid) | join(" ")')" = "$pids" -a \
	"$(jls 'map(.restarts) | add')" = 0
check_true "the daemon runs the new binary (/proc/PID/exe)" \
	test "$(readlink "/proc/$dpid/exe")" = "$DEPLOY"
"$TMP/deploy-new" update >/dev/null 2>&1
check_true "and the other one after one more update" \
	test "$(readlink "/proc/$dpid/exe")" = "$TMP/deploy-new"
last=$(grep -c "^pid=$tpid out " "$tlog")
grows() { [ "$(grep -c "^pid=$tpid out " "$tlog")" -gt $((last + 5)) ]; }
check_true "the worker's lines keep reaching its log" wait_for 5 grows
gaps=$(grep "^pid=$tpid out " "$tlog" |
	awk '$3 != NR - 1 { print "line " NR ": " $3; exit }')
check_true "with no line lost across the updates (${gaps:-no gap})" \
	test -z "$gaps"
fds=$(daemon_fds)
mem=$(daemon_anon)
check_true "no fd growth over $ROUNDS updates ($fds2 -> $fds)" \
	test "$fds" -le "$fds2"
check_true "no memory growth ($mem2 -> $mem kB anonymous)" \
	test "$mem" -le $((mem2 + 64))

# Node's IPC channel is kept across an update: a stop afterwards still
# sends PM2's "shutdown" message, and the worker saw no 'disconnect'.
if command -v node >/dev/null; then
	up_ipc_app
	run "$DEPLOY" update
	check_rc "update" 0
	run "$DEPLOY" stop ipc
	check_true "after the update, stop sends the shutdown message over \
the kept channel ($(tr '\n' ' ' <"$TMP/ipc.mark" 2>/dev/null))" \
		test "$(cat "$TMP/ipc.mark")" = shutdown-message
	run "$DEPLOY" delete ipc
else
	skip_test "Node's IPC channel is kept across an update" "no node"
fi

run "$DEPLOY" startup
check_out "the unit waits for READY=1 (Type=notify)" '^Type=notify$'
check_out "restarts the daemon whatever ended it" '^Restart=always$'
check_out "and signals only the daemon" '^KillMode=process$'

# The daemon tells systemd it is ready once it has re-adopted.
kill -KILL "$dpid"
socat -u "UNIX-RECV:$TMP/notify" "OPEN:$TMP/notified,creat" &
track_pid $!
wait_for 5 test -S "$TMP/notify"
NOTIFY_SOCKET=$TMP/notify "$DEPLOY" daemon >"$TMP/fg.log" 2>&1 &
track_pid $!
check_true "a daemon under systemd sends READY=1" \
	wait_for 10 grep -q 'READY=1' "$TMP/notified"
check_true "after re-adopting its workers" \
	test "$(jls 'map(.pid) | join(" ")')" = "$pids"
check_true "(which are not its children: adopted through pidfds)" \
	grep -q 'adopted pid' "$TMP/fg.log"

finish

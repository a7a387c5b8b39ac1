#!/usr/bin/env bash
# Supervisor: 4 instances on distinct ports, kill -9 recovery, stop/start,
# delete, ls --json against the real processes.
. "$(dirname "$0")/lib.sh"

port=$(free_port 4)
mkdir -p "$TMP/app" && cd "$TMP/app" || exit 1
cat >ecosystem.json <<JSON
{"apps": [{"name": "web", "script": "$HTTP_WORKER", "instances": 4,
  "port": $port, "env": {"MSG": "hello"}}]}
JSON

run "$DEPLOY" up --wait --timeout 20
check_rc "up --wait starts 4 instances" 0
check_out "up says it started web" '^web: started'
check_true "the daemon wrote its pid file" test -s "$DEPLOY_HOME/daemon.pid"
check_true "DEPLOY_HOME is 0700" \
	test "$(stat -c %a "$DEPLOY_HOME")" = 700
check_true "daemon.sock is 0600" \
	test "$(stat -c %a "$DEPLOY_HOME/daemon.sock")" = 600

answers=0 pids_seen=""
for i in 0 1 2 3; do
	body=$(http_get $((port + i)))
	if grep -q "instance=$i pid=[0-9]* msg=hello" <<<"$body"; then
		answers=$((answers + 1))
		pids_seen="$pids_seen $(sed 's/.*pid=\([0-9]*\).*/\1/' <<<"$body")"
	fi
done
check_true "each instance answers on PORT+i with its index and env" \
	test "$answers" = 4
ls_pids=$(jls 'map(.pid) | sort | join(" ")')
real_pids=$(tr ' ' '\n' <<<"$pids_seen" | grep . | sort -n | tr '\n' ' ' |
	sed 's/ $//')
check_true "ls --json pids are the pids that answered" \
	test "$ls_pids" = "$(tr ' ' '\n' <<<"$real_pids" | sort | tr '\n' ' ' | sed 's/ $//')"
check_true "ls --json shows 4 online" test "$(count_status web online)" = 4

check_true "ls --json has each instance's port" \
	test "$(jls 'map(.port) | sort | join(",")')" = \
	"$port,$((port + 1)),$((port + 2)),$((port + 3))"

run "$DEPLOY" ls
check_rc "ls exits 0" 0
check_out "ls shows a table row per instance" '^web +3 +[0-9]+ +online'

victim=$(jls '.[] | select(.instance == 2) | .pid')
others=$(jls 'map(select(.instance != 2)) | map(.pid) | join(" ")')
# True once instance 2 is online with a pid other than the victim's.
replaced() {
	local s
	s=$(jls '.[] | select(.instance == 2) | "\(.status) \(.pid)"')
	[ "${s%% *}" = online ] && [ "${s#* }" != "$victim" ]
}
[ "${victim:-0}" -gt 1 ] && kill -9 "$victim"
wait_for 10 replaced
check_true "a killed instance is replaced with a new pid" \
	test "$(jls '.[] | select(.instance == 2) | .pid')" != "$victim"
check_true "its restart count is 1" \
	test "$(jls '.[] | select(.instance == 2) | .restarts')" = 1
check_true "the other instances are untouched" \
	test "$(jls 'map(select(.instance != 2)) | map(.pid) | join(" ")')" = "$others"
check_true "the replacement answers" wait_for 5 http_get $((port + 2))

sampled() { [ "$(jls '.[] | select(.instance == 1) | .memory')" -gt 0 ]; }
check_true "web:1's memory is sampled" wait_for 5 sampled
run "$DEPLOY" stop web:1
check_rc "stop web:1 exits 0" 0
check_true "web:1 is stopped" \
	test "$(jls '.[] | select(.instance == 1) | .status')" = stopped
check_true "a stopped instance shows no CPU or memory" \
	test "$(jls '.[] | select(.instance == 1) | "\(.cpu) \(.memory)"')" = "0 0"
check_true "web:0 still online" \
	test "$(jls '.[] | select(.instance == 0) | .status')" = online
run "$DEPLOY" start web
check_rc "start web exits 0" 0
check_true "web:1 is back" wait_for 10 all_online web

run "$DEPLOY" stop nosuch
check_rc "stop of an unknown app fails" 1
check_err "the unknown app is named" "no app 'nosuch'"

pids=$(app_pids web)
run "$DEPLOY" delete web
check_rc "delete web exits 0" 0
check_true "no instance is listed after delete" \
	test "$(jls 'length')" = 0
gone=1
for p in $pids; do kill -0 "$p" 2>/dev/null && gone=0; done
check_true "every worker process is gone after delete" test $gone = 1

run "$DEPLOY" down
check_rc "down exits 0" 0
check_true "the daemon is gone" test ! -S "$DEPLOY_HOME/daemon.sock"
run "$DEPLOY" ls --json
check_rc "ls without a daemon exits 0" 0
check_out "ls --json without a daemon has no instances" '"instances": \[\]'

finish

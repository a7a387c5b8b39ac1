#!/usr/bin/env bash
# Supervisor: crash loops, exec failures, stubborn apps, process trees.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/app" && cd "$TMP/app" || exit 1
port=$(free_port 2)
cat >ecosystem.json <<JSON
{"apps": [
  {"name": "crash", "script": "$HTTP_WORKER", "max_restarts": 3,
   "env": {"EXIT_CODE": "3"}},
  {"name": "noexec", "script": "/nonexistent/server"},
  {"name": "stubborn", "script": "$HTTP_WORKER", "port": $port,
   "kill_timeout": 700, "env": {"IGNORE_STOP": "1"}},
  {"name": "tree", "script": "$HTTP_WORKER", "port": $((port + 1)),
   "env": {"FORK_CHILD": "1"}},
  {"name": "done", "script": "$HTTP_WORKER", "stop_exit_codes": [0],
   "env": {"EXIT_CODE": "0"}}
]}
JSON

run "$DEPLOY" up
check_rc "up says it could not start one of the five apps" 1
check_err "naming the instance and why" \
	"noexec:0: cannot exec '/nonexistent/server'"

crash_errored() { [ "$(count_status crash errored)" = 1 ]; }
check_true "a crash loop ends in errored" wait_for 15 crash_errored
check_true "after exactly max_restarts restarts" \
	test "$(jls '.[] | select(.app == "crash") | .restarts')" = 3
check_out_reason() {
	jls ".[] | select(.app == \"$1\") | .reason" | grep -qE -- "$2"
}
check_true "the errored reason says how it exited" \
	check_out_reason crash 'exited with code 3'

check_true "an exec failure is errored" \
	test "$(count_status noexec errored)" = 1
check_true "its reason names the program and the errno" \
	check_out_reason noexec \
	"cannot exec '/nonexistent/server': No such file or directory"

check_true "an exit code listed in stop_exit_codes means stopped" \
	wait_for 5 bash -c "[ \"\$('$DEPLOY' ls --json | jq -r '.instances[] | select(.app == \"done\") | .status')\" = stopped ]"
check_true "and it was not restarted" \
	test "$(jls '.[] | select(.app == "done") | .restarts')" = 0

check_true "stubborn comes online" wait_for 10 all_online stubborn
spid=$(jls '.[] | select(.app == "stubborn") | .pid')
t0=$(date +%s%N)
run "$DEPLOY" stop stubborn
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
check_rc "stop of an app ignoring SIGINT exits 0" 0
check_true "it took about kill_timeout (700 ms): ${ms} ms" \
	test "$ms" -ge 650 -a "$ms" -lt 3000
check_true "the process is gone (SIGKILL)" group_gone "$spid"

check_true "tree comes online" wait_for 10 all_online tree
tpid=$(jls '.[] | select(.app == "tree") | .pid')
grandchild_up() { [ -n "$(pgrep -g "$tpid" -x sleep)" ]; }
check_true "tree's grandchild runs in its group" wait_for 5 grandchild_up
run "$DEPLOY" stop tree
check_rc "stop tree exits 0" 0
check_true "no process of tree's group is left" group_gone "$tpid"

run "$DEPLOY" start crash
check_rc "start of a crashing app says it did not become ready" 5
check_err "naming the instance and why" \
	'crash:0 crashed: exited with code 3'
check_true "start gave it another max_restarts tries" \
	test "$(jls '.[] | select(.app == "crash") | .restarts')" -gt 3

finish

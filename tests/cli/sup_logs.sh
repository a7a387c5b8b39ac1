#!/usr/bin/env bash
# Supervisor: worker output to log files, rotation without loss, logs -n.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/app" && cd "$TMP/app" || exit 1
cat >ecosystem.json <<JSON
{"apps": [{"name": "chatty", "script": "$HTTP_WORKER",
  "autorestart": false, "log_max_size": 262144, "log_max_files": 100,
  "env": {"LINES": "200000"}}]}
JSON
# The worker prints 200,000 numbered lines, then serves; port 0 = any.
run "$DEPLOY" up
check_rc "up starts the chatty app" 0
log=$DEPLOY_HOME/logs/chatty-0-out.log
all_lines() {
	[ "$(cat "$log" "$log".* 2>/dev/null | grep -c '^line ')" -ge 200000 ]
}
check_true "all lines arrive" wait_for 30 all_lines
check_true "the log rotated several times" test -e "$log.3"
check_true "no rotated file is over the limit" \
	bash -c "! find '$DEPLOY_HOME/logs' -name 'chatty-0-out.log*' -size +262145c | grep -q ."
sorted=$(cat "$log" "$log".* | grep '^line ' | sed 's/^line //' | sort -n)
check_true "every line present exactly once" \
	test "$(uniq <<<"$sorted" | wc -l)" = 200000 -a \
	"$(wc -l <<<"$sorted")" = 200000
check_true "first and last lines are 1 and 200000" \
	test "$(head -1 <<<"$sorted")" = 1 -a "$(tail -1 <<<"$sorted")" = 200000

run "$DEPLOY" logs chatty -n 3 --out
check_rc "logs -n 3 exits 0" 0
check_true "logs -n 3 prints 3 lines" test "$(wc -l <<<"$out")" = 3
check_out "lines carry the instance label" '^chatty:0 out \| '
check_true "dropped bytes are reported as 0" \
	test "$(jls '.[0].dropped_bytes')" = 0

cat >tick.json <<'JSON'
{"apps": [{"name": "tick", "script": "/bin/sh",
  "args": ["-c", "i=0; while :; do i=$((i+1)); echo tick $i; echo oops $i >&2; sleep 0.02; done"],
  "log_date_format": "YYYY-MM-DD"}]}
JSON
run "$DEPLOY" -c tick.json up
check_rc "a ticking app starts" 0
"$DEPLOY" logs tick -f -n 2 >"$TMP/follow.out" 2>&1 &
follower=$!
track_pid $follower
got_20() { [ "$(grep -c 'tick:0 out | .*tick ' "$TMP/follow.out")" -ge 20 ]; }
check_true "logs -f keeps printing new lines" wait_for 15 got_20
kill "$follower"
wait "$follower" 2>/dev/null
nums=$(grep 'tick:0 out' "$TMP/follow.out" | sed 's/.* tick //')
check_true "followed lines are consecutive, none lost or repeated" \
	test "$(awk 'NR > 1 && $1 != prev + 1 { bad = 1 } { prev = $1 }
		END { print bad + 0 }' <<<"$nums")" = 0
check_true "stderr lines are followed too" \
	grep -q 'tick:0 err | .*oops ' "$TMP/follow.out"
check_true "log_date_format prefixes each line with the date" \
	grep -qE "^tick:0 out \| $(date +%Y-%m-%d): tick [0-9]+$" \
	"$TMP/follow.out"
run "$DEPLOY" logs tick --err -n 5
check_true "--err shows only stderr" \
	test "$(grep -c ' err | ' <<<"$out")" = 5 -a \
	"$(grep -c ' out | ' <<<"$out")" = 0

cat >merged.json <<JSON
{"apps": [
  {"name": "merged", "script": "$HTTP_WORKER", "instances": 2,
   "merge_logs": true, "env": {"LINES": "3"}},
  {"name": "own", "script": "$HTTP_WORKER", "instances": 2,
   "out_file": "custom/own.log", "error_file": "/dev/null",
   "env": {"LINES": "2"}}
]}
JSON
mkdir -p custom
run "$DEPLOY" -c merged.json up --wait --timeout 20
check_rc "apps with merge_logs and out_file start" 0
merged=$DEPLOY_HOME/logs/merged-out.log
both_in_one() { [ "$(grep -c '^listening pid=' "$merged" 2>/dev/null)" = 2 ]; }
check_true "merge_logs: both instances write one file" wait_for 10 both_in_one
check_true "with every line of each (2 x 3 numbered lines)" \
	test "$(grep -c '^line [123]$' "$merged")" = 6
own_files() { [ -s custom/own-0.log ] && [ -s custom/own-1.log ]; }
check_true "out_file with 2 instances: one file each, -0 and -1" \
	wait_for 10 own_files
check_true "out_file is relative to the app's cwd" \
	grep -q '^line 2$' custom/own-1.log
check_true "ls --json names the custom log path" \
	test "$(jls '.[] | select(.app == "own" and .instance == 0)
		| .out_log')" = "$PWD/custom/own-0.log"

run "$DEPLOY" logs nosuch
check_rc "logs of an unknown app fails" 1
check_err "and says so" "no logs for 'nosuch'"

finish

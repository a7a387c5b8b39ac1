#!/usr/bin/env bash
# Supervisor: what up --wait and the actions report is what happened:
# crashes during the wait, a result per request, unknown instances,
# start failures without --wait, --timeout, progress and Ctrl-C.
. "$(dirname "$0")/lib.sh"

port=$(free_port 8)
mkdir -p "$TMP/app" && cd "$TMP/app" || exit 1
# Exits 0.6 s after it started listening (killed by timeout's TERM).
cat >late.sh <<SH
#!/bin/sh
exec timeout 0.6 $HTTP_WORKER
SH
# Never listens, exits with 1 after 1.2 s.
cat >quiet.sh <<'SH'
#!/bin/sh
sleep 1.2
echo "boom: cannot reach the database" >&2
exit 1
SH
chmod +x late.sh quiet.sh
cat >ecosystem.json <<JSON
{"apps": [
  {"name": "web", "script": "$HTTP_WORKER", "instances": 3,
   "port": $port},
  {"name": "late", "script": "./late.sh", "port": $((port + 3))},
  {"name": "quiet", "script": "./quiet.sh"},
  {"name": "never", "script": "$HTTP_WORKER", "port": $((port + 4)),
   "listen_timeout": 700, "env": {"START_DELAY_MS": "600000"}},
  {"name": "slow", "script": "$HTTP_WORKER", "instances": 2,
   "port": $((port + 5)), "listen_timeout": 10000,
   "env": {"START_DELAY_MS": "1500"}},
  {"name": "noexec", "script": "/nonexistent/server"}
]}
JSON

run "$DEPLOY" up --wait web
check_rc "up --wait of a healthy app exits 0" 0
check_err "it tells of each instance as it becomes ready" \
	'^web:2 ready \(pid [0-9]+, by port\) after [0-9.]+ s'
check_true "one progress line per instance" \
	test "$(grep -c ' ready (pid' <<<"$err")" = 3

t0=$(date +%s%N)
run "$DEPLOY" up --wait late
ms=$((($(date +%s%N) - t0) / 1000000))
check_rc "up --wait of an app that dies 0.6 s after it is ready fails" 5
check_err "naming the instance that crashed and how" \
	'late:0 crashed: exited with code 124|late:0 crashed: '
check_true "within a few seconds ($ms ms)" test "$ms" -lt 5000

run "$DEPLOY" up --wait quiet
check_rc "up --wait of an app that never listens and exits at 1.2 s fails" 5
check_err "naming it, with its last line on stderr" \
	'quiet:0 crashed: exited with code 1 \(last stderr: "boom: cannot reach the database"\)'

run "$DEPLOY" up never
check_rc "up without --wait of an app that will not get ready exits 0" 0
run "$DEPLOY" restart never
check_rc "restart of an app that never gets ready exits 5" 5
check_err "saying it is not ready" 'never:0 is not ready'
t0=$(date +%s%N)
run "$DEPLOY" restart never
ms=$((($(date +%s%N) - t0) / 1000000))
check_rc "a second restart fails again" 5
check_true "after waiting for its own attempt, not at once ($ms ms)" \
	test "$ms" -ge 600

for action in restart stop start delete; do
	run "$DEPLOY" "$action" web:99
	check_rc "$action web:99 (instances 0-2) exits 1" 1
	check_err "$action web:99 says there is no such instance" \
		"no instance 99 of 'web'"
done
check_true "web is untouched by those" test "$(count_status web online)" = 3

run "$DEPLOY" up noexec
check_rc "up without --wait of an app that cannot exec exits 1" 1
check_err "saying what failed" \
	"noexec:0: cannot exec '/nonexistent/server': No such file"
check_true "and prints no 'started' for it" test -z "$out"

run "$DEPLOY" up --wait slow
check_rc "slow comes up" 0
t0=$(date +%s%N)
run "$DEPLOY" reload slow --timeout 1
ms=$((($(date +%s%N) - t0) / 1000000))
check_rc "reload --timeout 1 of instances that need 1.5 s each exits 5" 5
check_err "saying what was not done in time" 'not ready within 1 s'
check_true "after about a second ($ms ms)" \
	test "$ms" -ge 900 -a "$ms" -lt 3000
check_true "slow finishes that reload anyway" wait_for 10 all_online slow

old=$(app_pids slow)
"$DEPLOY" reload slow >"$TMP/reload.out" 2>"$TMP/reload.err" &
cli=$!
track_pid "$cli"
started() { grep -q ' ready (pid' "$TMP/reload.err"; }
check_true "reload prints progress as instances come up" wait_for 10 started
kill -TERM "$cli"
wait "$cli"
rc=$?
check_true "SIGTERM while waiting: the CLI exits 130 (got $rc)" test "$rc" = 130
check_true "and says the reload goes on in the daemon" \
	grep -q "interrupted: the reload of 'slow' goes on in the daemon" \
	"$TMP/reload.err"
replaced() {
	local now
	now=$(app_pids slow)
	all_online slow && [ -n "$now" ] &&
		! grep -qw -- "$(cut -d' ' -f2 <<<"$old")" <<<"$now"
}
check_true "the daemon finished the reload" wait_for 15 replaced

finish

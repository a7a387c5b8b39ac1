#!/usr/bin/env bash
# Supervisor: zero-downtime reloads (listen and port mode), env changes.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/app" && cd "$TMP/app" || exit 1
lport=$(free_port 1)
pport=$(free_port 3)
write_eco() {
	cat >ecosystem.json <<JSON
{"apps": [
  {"name": "shared", "script": "$HTTP_WORKER", "instances": 2,
   "listen": "127.0.0.1:$lport", "env": {"MSG": "$1"}},
  {"name": "ports", "script": "$HTTP_WORKER", "instances": 3,
   "port": $pport, "env": {"MSG": "$1"}}
]}
JSON
}
write_eco one
run "$DEPLOY" up --wait --timeout 20
check_rc "up --wait: listen and port apps ready" 0
check_true "the listen socket answers" http_get "$lport"

"$HTTP_LOAD" "$lport" 60 "$TMP/stop" >"$TMP/load.out" &
load=$!
track_pid $load
before=$(app_pids shared)
for round in 1 2 3; do
	run "$DEPLOY" reload shared
	check_rc "listen-mode reload $round exits 0" 0
done
touch "$TMP/stop"
wait $load
check_true "0 failed requests during 3 listen-mode reloads: $(cat "$TMP/load.out")" \
	grep -qE '^ok=[1-9][0-9]* failed=0$' "$TMP/load.out"
after=$(app_pids shared)
check_true "every listen-mode instance has a new pid" \
	test -z "$(comm -12 <(tr ' ' '\n' <<<"$before" | sort) <(tr ' ' '\n' <<<"$after" | sort))"
check_true "2 instances after the reloads" \
	test "$(count_status shared online)" = 2

before=$(app_pids ports)
run "$DEPLOY" reload ports
check_rc "port-mode reload exits 0" 0
after=$(app_pids ports)
check_true "port-mode reload replaced every pid" \
	test -z "$(comm -12 <(tr ' ' '\n' <<<"$before" | sort) <(tr ' ' '\n' <<<"$after" | sort))"
check_true "all three answer after the reload" \
	bash -c "curl -sf http://127.0.0.1:$pport/ && curl -sf http://127.0.0.1:$((pport + 1))/ && curl -sf http://127.0.0.1:$((pport + 2))/" 

write_eco two
run "$DEPLOY" up --wait --timeout 30
check_rc "up with a changed env exits 0" 0
check_out "up says it reloads the changed apps" 'ports: reloading'
check_true "the new env is visible on the listen socket" \
	bash -c "curl -s http://127.0.0.1:$lport/ | grep -q msg=two"
check_true "the new env is visible on each port" \
	bash -c "for p in $pport $((pport + 1)) $((pport + 2)); do curl -s http://127.0.0.1:\$p/ | grep -q msg=two || exit 1; done"

run "$DEPLOY" up
check_rc "up with nothing changed exits 0" 0
check_out "up says unchanged" 'ports: unchanged'

# The same app from another file (a new release): its code may differ.
mkdir -p "$TMP/release2" && cp ecosystem.json "$TMP/release2/"
before=$(app_pids ports)
run "$DEPLOY" -c "$TMP/release2/ecosystem.json" up --wait --timeout 30
check_out "the same config from another file reloads" \
	'ports: reloading'
check_true "with new processes" test "$(app_pids ports)" != "$before"
check_true "which run in the new file's directory" \
	test "$(jls '.[] | select(.app == "ports" and .instance == 0)
		| .cwd')" = "$TMP/release2"

# A reload heals: stopped and errored instances start (PM2's
# startOrReload), so deploying over a broken host brings it back.
run "$DEPLOY" stop ports:1
check_rc "stop ports:1" 0
run "$DEPLOY" reload ports
check_rc "reload of an app with a stopped instance exits 0" 0
check_true "the stopped instance runs again" wait_for 10 all_online ports

finish

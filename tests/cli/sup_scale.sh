#!/usr/bin/env bash
# Supervisor at scale: 1000 instances of a tiny sleeping program, scaling
# up and down by editing the file, a parallel reload.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/app" && cd "$TMP/app" || exit 1
write_eco() {
	cat >ecosystem.json <<JSON
{"apps": [{"name": "many", "script": "sleep", "args": "3600",
  "instances": $1, "min_uptime": 200}]}
JSON
}
write_eco 1000
run "$DEPLOY" up --wait --timeout 120
check_rc "up --wait brings 1000 instances online" 0
check_true "ls --json lists 1000 online" \
	test "$(count_status many online)" = 1000
check_true "1000 distinct pids" \
	test "$(jls 'map(.pid) | unique | length')" = 1000
alive=0
for p in $(jls '.[].pid'); do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
check_true "each listed pid is a live process" test "$alive" = 1000

t0=$(date +%s%N)
for _ in 1 2 3 4 5; do "$DEPLOY" ls --json >/dev/null; done
t1=$(date +%s%N)
ms=$(((t1 - t0) / 5000000))
check_true "ls --json with 1000 instances takes ${ms} ms (< 500)" \
	test "$ms" -lt 500

write_eco 10
run "$DEPLOY" up --wait --timeout 120
check_rc "scaling down to 10 exits 0" 0
check_out "up says scaled down" 'many: scaled down'
ten() { [ "$(jls 'length')" = 10 ]; }
check_true "990 instances are stopped and gone" wait_for 60 ten

write_eco 12
run "$DEPLOY" up --wait --timeout 60
check_out "up says scaled up" 'many: scaled up'
check_true "12 online" test "$(count_status many online)" = 12

before=$(app_pids many)
run "$DEPLOY" reload many --parallel 4
check_rc "reload --parallel 4 exits 0" 0
after=$(app_pids many)
check_true "every pid changed" \
	test -z "$(comm -12 <(tr ' ' '\n' <<<"$before" | sort) <(tr ' ' '\n' <<<"$after" | sort))"

run "$DEPLOY" down
check_rc "down with 12 instances exits 0" 0
left=0
for p in $after; do kill -0 "$p" 2>/dev/null && left=$((left + 1)); done
check_true "no worker is left" test "$left" = 0

finish

#!/usr/bin/env bash
# Hardening: no quadratic work on a file with many unknown keys, and
# validate refuses what up cannot send to the daemon.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/app" && cd "$TMP/app" || exit 1
port=$(free_port)

# keys_file FILE N: one app with N unknown keys.
keys_file() {
	jq -n --arg w "$HTTP_WORKER" --argjson p "$port" --argjson n "$2" \
		'{apps: [{name: "k", script: $w, port: $p}
			+ ([range($n)] | map({key: "zz_unknown_\(.)",
					     value: .}) | from_entries)]}' >"$1"
}

# elapsed_ms CMD...: run CMD (output in $out/$err/$rc), time in $ms.
elapsed_ms() {
	local t0 t1
	t0=$(date +%s%N)
	run "$@"
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
}

# Today's bound: 5 s (it takes 0.3 s; it took 80 s when each warning
# scanned the whole text); three times that for the sanitizer build.
limit=5000
[ "$DEPLOY" = "$ROOT/deploy" ] || limit=15000

keys_file keys.json 16000
elapsed_ms "$DEPLOY" -c keys.json validate
check_rc "16,000 unknown keys: valid" 0
check_true "16,000 unknown keys: a warning each" \
	test "$(grep -c 'unknown key' <<<"$err")" = 16000
check_true "16,000 unknown keys validate in under $limit ms (took $ms)" \
	test "$ms" -lt "$limit"
last=$(awk '/"zz_unknown_15999"/ { print NR ":" index($0, "\"") }' keys.json)
check_true "the warnings keep the file's order and places" \
	test "$(sed -n 16000p <<<"$err")" = \
	"deploy: warning: keys.json:$last: apps[0].zz_unknown_15999: unknown key"

elapsed_ms "$DEPLOY" -c keys.json up
check_rc "up of the app with 16,000 unknown keys" 0
check_true "the daemon took it in under $limit ms (took $ms)" \
	test "$ms" -lt "$limit"
elapsed_ms "$DEPLOY" ls --json
check_true "and answers ls at once after (took $ms ms)" test "$ms" -lt 2000
daemon_down

# A file of 1.2 MB: up could not send it in one request (1 MiB), so
# validate refuses it too, with the same message.
# pad_file FILE NAME BYTES: one app whose x_note holds BYTES of text.
pad_file() {
	{
		printf '{"apps": [{"name": "%s", "script": "%s", "port": %d,' \
			"$2" "$HTTP_WORKER" "$port"
		printf ' "x_note": "'
		head -c "$3" /dev/zero | tr '\0' a
		printf '"}]}\n'
	} >"$1"
}

pad_file big.json big 1200000
run "$DEPLOY" -c big.json validate
check_rc "validate refuses a 1.2 MB app list (exit 3)" 3
check_err "naming the daemon's request limit" \
	"^deploy: big.json: the apps take 12[0-9]{5} bytes in a request to the daemon, over its limit of [0-9]+: split them"
verr=$err
run "$DEPLOY" -c big.json up
check_rc "up refuses it the same way" 3
check_true "with the same message" test "$err" = "$verr"

# Just under the limit: validate accepts and up goes through.
pad_file near.json near 1000000
run "$DEPLOY" -c near.json validate
check_rc "validate accepts a 1.0 MB app list" 0
run "$DEPLOY" -c near.json up
check_rc "and up sends it to the daemon" 0
check_true "which runs it" wait_for 10 all_online near

finish

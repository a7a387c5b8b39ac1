#!/usr/bin/env bash
# deploy logs: stopped and errored apps, one instance, the backlog merged
# in the order written; long and unfinished lines; ls --json last_err.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/app" && cd "$TMP/app" || exit 1
logs=$DEPLOY_HOME/logs

# -- an app that dies at once: its logs still tell why ------------------
cat >die.json <<'JSON'
{"apps": [{"name": "die", "script": "/bin/sh", "autorestart": false,
  "args": ["-c", "echo starting; echo 'fatal: cannot bind port' >&2; echo >&2; exit 1"]}]}
JSON
run "$DEPLOY" -c die.json up
died() { [ "$(jls '.[] | select(.app == "die") | .pid')" = 0 ]; }
check_true "the dying app is down" wait_for 10 died
run "$DEPLOY" logs die
check_rc "logs of a dead app exits 0" 0
check_out "and shows its stderr" '^die:0 err \| fatal: cannot bind port$'
check_out "and its stdout" '^die:0 out \| starting$'
check_true "ls --json: last_err is the last non-blank stderr line" \
	test "$(jls '.[] | select(.app == "die") | .last_err')" = \
	"fatal: cannot bind port"
check_true "ls --json: a stopped instance still names its logs" \
	test "$(jls '.[] | select(.app == "die") | .err_log')" = \
	"$logs/die-0-err.log"
run "$DEPLOY" delete die
run "$DEPLOY" logs die --err
check_rc "logs of a deleted app exits 0 (the files are still there)" 0
check_out "and shows them" 'fatal: cannot bind port$'

# -- one instance: api:1 ------------------------------------------------
cat >api.json <<'JSON'
{"apps": [{"name": "api", "script": "/bin/sh", "instances": 2,
  "args": ["-c", "echo i am $NODE_APP_INSTANCE; exec sleep 600"]}]}
JSON
run "$DEPLOY" -c api.json up
both_said() {
	grep -q 'i am 0' "$logs/api-0-out.log" 2>/dev/null &&
	grep -q 'i am 1' "$logs/api-1-out.log" 2>/dev/null
}
check_true "both api instances write" wait_for 10 both_said
run "$DEPLOY" logs api:1
check_rc "logs api:1 exits 0" 0
check_out "shows instance 1" '^api:1 out \| i am 1$'
check_true "and only instance 1" test "$(grep -c 'api:0' <<<"$out")" = 0
run "$DEPLOY" stop api
run "$DEPLOY" logs api:0 --out
check_rc "logs api:0 of a stopped app exits 0" 0
check_out "and shows it" '^api:0 out \| i am 0$'
run "$DEPLOY" logs api:x
check_rc "logs api:x is a usage error" 2

# -- the backlog merged in the order written ------------------------------
# Two instances take turns through a counter file: each prints seq N (to
# stderr when N is a multiple of 3, else stdout), then hands the turn
# over; 200 ms between turns, so the order written is known (the daemon
# reads each pipe in far less, even on a busy machine).
turns() {
	cat <<JSON
{"name": "$1", "script": "/bin/sh", "instances": 2 $2,
 "args": ["-c", "i=\$NODE_APP_INSTANCE; f=$TMP/$1.turn; while :; do n=\$(cat \$f 2>/dev/null || echo 0); [ \$n -ge 20 ] && exec sleep 600; if [ \$((n % 2)) = \$i ]; then sleep 0.2; if [ \$((n % 3)) = 0 ]; then echo seq \$n >&2; else echo seq \$n; fi; echo \$((n + 1)) >\$f.tmp; mv \$f.tmp \$f; fi; sleep 0.01; done"]}
JSON
}
cat >alt.json <<JSON
{"apps": [$(turns alt ""), $(turns altd ', "log_date_format": "HH:mm:ss"')]}
JSON
run "$DEPLOY" -c alt.json up
all_turns() { [ "$(cat "$TMP/alt.turn" "$TMP/altd.turn" 2>/dev/null)" = "20
20" ]; }
check_true "both apps took 20 turns" wait_for 60 all_turns
for app in alt altd; do
	run "$DEPLOY" logs "$app" -n 20
	check_rc "$app: logs -n 20 exits 0" 0
	check_true "$app: 20 lines from 4 logs (2 instances, out and err)" \
		test "$(wc -l <<<"$out")" = 20 -a \
		"$(sed 's/ |.*//' <<<"$out" | sort -u | wc -l)" = 4
	check_true "$app: merged in the order written, the newest last" \
		test "$(sed 's/.*seq //' <<<"$out" | tr '\n' ' ')" = \
		"$(seq 0 19 | tr '\n' ' ')"
	run "$DEPLOY" logs "$app" -n 3
	check_true "$app: -n 3 is the newest 3 of them all" \
		test "$(sed 's/.*seq //' <<<"$out" | tr '\n' ' ')" = "17 18 19 "
done

# -- a long line arrives whole; an unfinished one within a second --------
cat >long.json <<'JSON'
{"apps": [
 {"name": "long", "script": "/bin/sh",
  "args": ["-c", "head -c 204800 /dev/zero | tr '\\0' x; echo; echo done; exec sleep 600"]},
 {"name": "prompt", "script": "/bin/sh",
  "args": ["-c", "echo ready; printf 'password: '; exec sleep 600"]}
]}
JSON
run "$DEPLOY" -c long.json up
long_done() { grep -q '^done$' "$logs/long-0-out.log" 2>/dev/null; }
check_true "the long app's output arrives" wait_for 10 long_done
check_true "a 200 KiB line is one line, whole" \
	test "$(head -1 "$logs/long-0-out.log" | tr -d '\n' | wc -c)" = 204800 -a \
	"$(grep -c . "$logs/long-0-out.log")" = 2
ready=$(date +%s%N)
said_ready() { grep -q '^ready$' "$logs/prompt-0-out.log" 2>/dev/null; }
wait_for 10 said_ready
ready=$(date +%s%N)
prompted() { grep -q '^password: $' "$logs/prompt-0-out.log" 2>/dev/null; }
check_true "a last line without newline reaches the file" wait_for 5 prompted
check_true "within about a second" \
	test $((($(date +%s%N) - ready) / 1000000)) -lt 1500
prompt_pid=$(jls '.[] | select(.app == "prompt") | .pid')
check_true "while the app keeps running" \
	test "$prompt_pid" -gt 0 -a -d "/proc/$prompt_pid"

finish

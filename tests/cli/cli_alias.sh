#!/usr/bin/env bash
# PM2's words: list/status/l, jlist, show/describe/info, kill, flush,
# reset; "did you mean" for an unknown command, in one line.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/app" && cd "$TMP/app" || exit 1
port=$(free_port 2)
cat >ecosystem.json <<JSON
{"apps": [
  {"name": "web", "script": "$HTTP_WORKER", "instances": 2, "port": $port,
   "max_restarts": 20},
  {"name": "chatty", "script": "/bin/sh",
   "args": ["-c", "i=0; while :; do echo line \$i; echo err \$i >&2; i=\$((i + 1)); sleep 0.05; done"]}
]}
JSON
run "$DEPLOY" up --wait --timeout 20
check_rc "the apps are up" 0

# The first columns of ls (app, id, pid): what aliases must print too.
cols3() { awk '{print $1, $2, $3}' <<<"$1"; }
ls_out=$("$DEPLOY" ls)
for w in list status l; do
	run "$DEPLOY" "$w"
	check_rc "$w exits 0" 0
	check_true "$w prints ls's table" test "$(cols3 "$out")" = \
		"$(cols3 "$ls_out")"
done
run "$DEPLOY" list web
check_true "list APP is ls APP" test "$(grep -c '^web ' <<<"$out")-$(grep -c \
	'^chatty' <<<"$out")" = 2-0
run "$DEPLOY" jlist
check_rc "jlist exits 0" 0
check_true "jlist is ls --json" test "$(jq -c '[.instances[].pid]' \
	<<<"$out")" = "$("$DEPLOY" ls --json | jq -c '[.instances[].pid]')"

for w in show describe info; do
	run "$DEPLOY" "$w" web
	check_rc "$w APP exits 0" 0
	check_out "$w APP sums the app up" '^web: 2 instances, 2 online, 0 restarts$'
	check_out "$w APP shows the command" "^  command +$HTTP_WORKER"
	check_out "$w APP shows the config from the file" '^config \(.*ecosystem.json\):$'
	check_out "$w APP lists the instances" '^web +1 +[0-9]+ +online '
done
run "$DEPLOY" show nosuch
check_rc "show of an unknown app exits 1" 1
check_err "and says so" "^deploy: no app 'nosuch' \(see 'deploy ls'\)$"
run "$DEPLOY" show
check_rc "show without an app is a usage error" 2
run "$DEPLOY" show web --json
check_true "show --json has the documented keys" test \
	"$(jq -r 'keys | join(" ")' <<<"$out")" = \
	"$(awk '/json-schema show begin/ { on = 1 } /json-schema show end/ {
		on = 0 } on && p == ".TP" && /^\.B / { print $2 } { p = $1 }' \
		"$ROOT/man/deploy.1" | sort | tr '\n' ' ' | sed 's/ $//')"
check_true "show --json: instance_count and the config" test \
	"$(jq -r '"\(.instance_count) \(.config.name) \(.instances | length)"' \
	<<<"$out")" = "2 web 2"

# flush: the logs are emptied and the daemon goes on writing them.
out_log=$(jls '.[] | select(.app == "chatty") | .out_log')
err_log=$(jls '.[] | select(.app == "chatty") | .err_log')
grown() { [ "$(stat -c %s "$out_log")" -gt 2000 ]; }
wait_for 10 grown
run "$DEPLOY" flush chatty
check_rc "flush APP exits 0" 0
check_out "flush says how many files" '^flushed 2 log files$'
small() { [ "$(stat -c %s "$out_log")" -lt 2000 ] &&
	[ "$(stat -c %s "$err_log")" -lt 2000 ]; }
check_true "the out and err logs were emptied" small
check_true "the web logs were left alone" test "$(stat -c %s \
	"$(jls '.[] | select(.app == "web" and .instance == 0) | .out_log')")" -gt 0
writes_again() { head -c 5 "$out_log" | grep -q '^line'; }
check_true "the daemon writes on, from the top (no hole)" wait_for 5 writes_again
check_true "no NUL byte in the file" bash -c "! tr -d '\n -~' <'$out_log' |
	grep -q ."
run "$DEPLOY" flush nosuch
check_rc "flush of an unknown app exits 1" 1
run "$DEPLOY" flush
check_out "flush with no app empties every log" '^flushed [0-9]+ log files$'

# reset: restart counts back to 0.
victim=$(jls '.[] | select(.app == "web" and .instance == 0) | .pid')
[ "${victim:-0}" -gt 1 ] && kill -9 "$victim"
once() { [ "$(jls '.[] | select(.app == "web" and .instance == 0) |
	.restarts')" = 1 ]; }
wait_for 10 once
check_true "kill -9 counts a restart" once
run "$DEPLOY" reset web
check_rc "reset APP exits 0" 0
check_out "reset says what it did" '^web: restart count reset \(2 instances\)$'
check_true "the counts are 0" test "$(jls '[.[] | select(.app == "web") |
	.restarts] | add')" = 0
run "$DEPLOY" reset web:1
check_out "reset APP:N resets one" '\(1 instance\)$'
run "$DEPLOY" reset nosuch
check_rc "reset of an unknown app exits 1" 1
run "$DEPLOY" reset
check_rc "reset without a target is a usage error" 2

# Unknown commands: one line, with a guess when one is close.
for pair in lsit:list restrat:restart jlsit:jlist shwo:show flsuh:flush; do
	run "$DEPLOY" "${pair%%:*}"
	check_rc "'${pair%%:*}' exits 2" 2
	check_true "'${pair%%:*}': did you mean '${pair#*:}', in one line" test \
		"$err" = "deploy: unknown command '${pair%%:*}' (did you mean '${pair#*:}'?)"
done
run "$DEPLOY" xyzzy
check_true "no guess for a word far from all: one line" test "$err" = \
	"deploy: unknown command 'xyzzy' (see 'deploy --help')"
run "$DEPLOY" help list
check_out "help ALIAS is the command's help" '^usage: deploy ls'
check_out "and names the aliases" '^also called: list, status, l, jlist'
run "$DEPLOY" --help
check_out "--help lists PM2's words" '^  show +describe, info$'

# kill: everything and the daemon, as down.
daemon=$(cat "$DEPLOY_HOME/daemon.pid")
run "$DEPLOY" kill
check_rc "kill exits 0" 0
check_out "kill stops everything" '^stopped every app and the daemon$'
check_true "the daemon is gone" bash -c "! kill -0 $daemon 2>/dev/null"

finish

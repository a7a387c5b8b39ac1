#!/usr/bin/env bash
# Supervisor: save/resurrect after SIGTERM, concurrent ups, the control
# socket's guards (other uid, bad requests, huge requests).
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/app" && cd "$TMP/app" || exit 1
port=$(free_port 2)
cat >ecosystem.json <<JSON
{"apps": [
  {"name": "a", "script": "$HTTP_WORKER", "port": $port},
  {"name": "b", "script": "$HTTP_WORKER", "port": $((port + 1))}
]}
JSON

"$DEPLOY" up a >"$TMP/up1" 2>&1 &
u1=$!
"$DEPLOY" up b >"$TMP/up2" 2>&1 &
u2=$!
wait $u1; r1=$?
wait $u2; r2=$?
check_true "two concurrent ups both succeed" test $r1 = 0 -a $r2 = 0
both_online() { all_online a && all_online b &&
	[ "$(jls 'length')" = 2 ]; }
check_true "one daemon runs both apps, once each" wait_for 10 both_online
check_true "the daemon that answers is the one in daemon.pid" \
	test "$("$DEPLOY" ls --json | jq .daemon.pid)" = \
	"$(cat "$DEPLOY_HOME/daemon.pid")"

dpid=$(cat "$DEPLOY_HOME/daemon.pid")
pids=$(jls 'map(.pid) | join(" ")')
kill -TERM "$dpid"
daemon_gone() { ! kill -0 "$dpid" 2>/dev/null; }
check_true "SIGTERM stops the daemon" wait_for 15 daemon_gone
gone=1
for p in $pids; do kill -0 "$p" 2>/dev/null && gone=0; done
check_true "SIGTERM stopped every worker" test $gone = 1
check_true "state.json was written" test -s "$DEPLOY_HOME/state.json"

cd / || exit 1
run "$DEPLOY" resurrect
check_rc "resurrect exits 0" 0
check_out "resurrect names the apps" '^a: started'
check_true "the same apps come back" wait_for 10 both_online
check_true "they answer again" http_get "$port"
run "$DEPLOY" resurrect
check_out "a second resurrect starts nothing" 'already running'

sock=$DEPLOY_HOME/daemon.sock
printf 'this is not json\n' >"$TMP/bad.txt"
reply=$(timeout 5 socat -t 5 - "UNIX-CONNECT:$sock" <"$TMP/bad.txt" 2>/dev/null)
if command -v socat >/dev/null; then
	check_true "malformed JSON gets an error reply" \
		grep -q '"malformed request' <<<"$reply"
	reply=$(printf '{"op":"frob","version":"x"}\n' |
		timeout 5 socat -t 5 - "UNIX-CONNECT:$sock")
	check_true "an unknown op gets an error reply" \
		grep -q "unknown op 'frob'" <<<"$reply"
	reply=$(printf '{"op":"save","version":"0.0.1","proto":1}\n' |
		timeout 5 socat -t 5 - "UNIX-CONNECT:$sock")
	check_true "a client of another protocol level is told what to run" \
		grep -q "speaks protocol 2, this deploy 1: run 'deploy update'" <<<"$reply"
	reply=$(printf '{"op":"ls","version":"0.0.1","proto":1}\n' |
		timeout 5 socat -t 5 - "UNIX-CONNECT:$sock")
	check_true "but is answered ls, whatever its level" \
		grep -q '"instances"' <<<"$reply"
	reply=$(head -c 1100000 /dev/zero | tr '\0' 'x' |
		timeout 5 socat -t 5 - "UNIX-CONNECT:$sock")
	check_true "a request over 1 MiB gets an error reply" \
		grep -q 'longer than' <<<"$reply"
	check_true "the daemon survived all that" http_get "$port"
	chmod 711 "$TMP" "$DEPLOY_HOME"
	chmod 666 "$sock"
	reply=$(printf '{"op":"ping"}\n' | timeout 5 setpriv --reuid=65534 \
		--regid=65534 --clear-groups socat -t 5 - "UNIX-CONNECT:$sock")
	chmod 700 "$TMP" "$DEPLOY_HOME"
	chmod 600 "$sock"
	check_true "a client of another uid is refused" \
		grep -q 'permission denied' <<<"$reply"
fi

run "$DEPLOY" startup
check_rc "startup prints a systemd unit" 0
check_out "the unit runs this binary's daemon with --resurrect" \
	"^ExecStart=$DEPLOY daemon --resurrect$"
check_out "with this DEPLOY_HOME" "^Environment=DEPLOY_HOME=$DEPLOY_HOME$"
run "$DEPLOY" startup -o "$TMP/deploy.service"
check_rc "startup -o writes the unit" 0
check_true "the written unit is the printed one" \
	bash -c "'$DEPLOY' startup | cmp -s - '$TMP/deploy.service'"

dpid=$(cat "$DEPLOY_HOME/daemon.pid")
kill -TERM "$dpid"
check_true "SIGTERM again" wait_for 15 daemon_gone
"$DEPLOY" daemon --resurrect >"$TMP/fg.log" 2>&1 &
track_pid $!
check_true "deploy daemon --resurrect (foreground) brings the apps back" \
	wait_for 15 both_online
check_true "and logs to stderr when in the foreground" \
	grep -q 'a:0: started pid' "$TMP/fg.log"

rm -f "$DEPLOY_HOME/state.json.bak"
echo '{"apps": [' >"$DEPLOY_HOME/state.json"
cp "$DEPLOY_HOME/state.json" "$TMP/corrupt"
run "$DEPLOY" resurrect
check_rc "a corrupt state file is an error" 1
check_err "the error names the file and position" 'state.json:[0-9]+:[0-9]+'
check_true "the corrupt file is left as it was" \
	cmp -s "$DEPLOY_HOME/state.json" "$TMP/corrupt"
rm -f "$DEPLOY_HOME/state.json"
run "$DEPLOY" resurrect
check_rc "a missing state file is an error" 1
check_err "it says to save first" "run 'deploy save' first"
run "$DEPLOY" save
check_rc "save exits 0" 0
check_true "save wrote state.json with both apps" \
	test "$(jq '.apps | length' "$DEPLOY_HOME/state.json")" = 2

finish

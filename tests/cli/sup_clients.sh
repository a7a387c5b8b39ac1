#!/usr/bin/env bash
# No client can stall or fool the daemon, no process escapes a stop, a
# failed up wedges nothing: issue-16 cases against the real daemon.
. "$(dirname "$0")/lib.sh"

port=$(free_port 3)
mkdir -p "$TMP/app" && cd "$TMP/app" || exit 1
# A worker that leaves a grandchild in a session of its own, and one
# that double-forks away (its parent exits: it is no descendant).
cat >stray.sh <<SH
#!/bin/sh
setsid sleep 300 &
echo \$! >"$TMP/stray.pid"
setsid sh -c 'sleep 301 & echo \$! >"$TMP/stray2.pid"'
exec $HTTP_WORKER
SH
chmod +x stray.sh
cat >ecosystem.json <<JSON
{"apps": [
  {"name": "web", "script": "$HTTP_WORKER", "port": $port},
  {"name": "stray", "script": "./stray.sh", "port": $((port + 1))}
]}
JSON
sock=$DEPLOY_HOME/daemon.sock

# hold_conns N SECONDS: open N connections to the daemon (as many as it
# takes), touch $TMP/conns.ready, keep them SECONDS; its pid in $held.
hold_conns() {
	rm -f "$TMP/conns.ready"
	python3 - "$sock" "$TMP/conns.ready" "$1" "$2" <<'PY' &
import socket, sys, time
conns = []
for _ in range(int(sys.argv[3])):
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sys.argv[1])
        conns.append(s)
    except OSError:
        pass
open(sys.argv[2], "w").close()
time.sleep(float(sys.argv[4]))
PY
	held=$!
	track_pid "$held"
	wait_for 5 test -e "$TMP/conns.ready"
}

run "$DEPLOY" up --wait
check_rc "up" 0
dpid=$(cat "$DEPLOY_HOME/daemon.pid")
check_true "ls --json says how stops reach processes" \
	test "$("$DEPLOY" ls --json | jq -r .daemon.stops)" = "process tree"

# No process escapes a stop.
spid=$(cat "$TMP/stray.pid")
track_pid "$spid"
dpid2=$(cat "$TMP/stray2.pid")
track_pid "$dpid2"
check_true "the double-forked one is no descendant of the worker" \
	test "$(ps -o ppid= -p "$dpid2" | tr -d ' ')" = "$dpid"
check_true "the setsid'd grandchild runs in its own session" \
	test "$(ps -o sid= -p "$spid" | tr -d ' ')" = "$spid"
run "$DEPLOY" stop stray
check_rc "stop stray" 0
gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status"; }
check_true "stop ended the grandchild that left the group" gone "$spid"
check_true "and the double-forked one" gone "$dpid2"

# A request whose client gave up is not carried out later.
kill -STOP "$dpid"
timeout 1 "$DEPLOY" stop web >/dev/null 2>&1
kill -CONT "$dpid"
run "$DEPLOY" ls --json
check_true "a stop the client gave up on (daemon stopped) is not done later" \
	test "$(jls '.[] | select(.app == "web") | .status')" = online

# Absurd numbers are clamped, not overflowed.
reply=$(printf '{"op":"restart","target":"web","timeout_ms":9223372036854775807,"parallel":-5,"proto":2}\n' |
	timeout 20 socat -t 20 - "UNIX-CONNECT:$sock")
check_true "a timeout_ms of INT64_MAX is clamped ($reply)" \
	grep -q '"ok": *true' <<<"$reply"
check_true "the daemon survived it" kill -0 "$dpid"

# A client that pipelines requests and never reads.
python3 - "$sock" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.setblocking(False)
line = b'{"op":"ls","proto":2}\n' * 1000
end = time.time() + 4
while time.time() < end:
    try:
        s.send(line)
    except BlockingIOError:
        time.sleep(0.01)
time.sleep(2)
PY
hog=$!
track_pid "$hog"
sleep_until_hog_blocks() { [ "$(awk '/^VmRSS/ { print $2 }' "/proc/$dpid/status")" -gt 0 ]; }
wait_for 2 sleep_until_hog_blocks
t0=$(date +%s%N)
run "$DEPLOY" ls
ms=$((($(date +%s%N) - t0) / 1000000))
check_rc "ls answers while a client floods requests it never reads" 0
check_true "quickly ($ms ms)" test "$ms" -lt 2000
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$dpid/status")
check_true "the daemon's memory stays bounded (${rss} kB)" test "$rss" -lt 20000
wait "$hog"

# 300 idle connections do not lock the CLI out.
hold_conns 300 5
idle=$held
run "$DEPLOY" ls
check_rc "ls works with 300 idle connections open" 0

wait "$idle"

# At the fd limit, accept() does not spin. The soft limit is set to
# the fds the daemon has open (the hard limit stays, to restore it).
hard=$(awk '/^Max open files/ { print $5 }' "/proc/$dpid/limits")
nfds=$(ls "/proc/$dpid/fd" | wc -l)
prlimit --pid "$dpid" --nofile="$nfds:"
hold_conns 100 3
full=$held
t0=$(awk '{ print $14 + $15 }' "/proc/$dpid/stat")
sleep 1	# the window over which the daemon's CPU is measured
t1=$(awk '{ print $14 + $15 }' "/proc/$dpid/stat")
check_true "at the fd limit the daemon does not spin ($((t1 - t0)) ticks in 1 s)" \
	test $((t1 - t0)) -lt 20
wait "$full"
check_true "the daemon survives it" kill -0 "$dpid"
prlimit --pid "$dpid" --nofile="$hard:"
run "$DEPLOY" ls
check_rc "and answers once fds are free" 0

# poll() over the fd limit (lowered under the daemon) does not kill it.
hold_conns 100 2
many=$held
prlimit --pid "$dpid" --nofile=64:
wait "$many"
run "$DEPLOY" ls
check_rc "a daemon whose fd limit fell under its open fds still answers" 0
check_true "(the same daemon)" test "$(cat "$DEPLOY_HOME/daemon.pid")" = "$dpid"
prlimit --pid "$dpid" --nofile="$hard:"

# Out of fds at a spawn: tried again, not errored.
nfds=$(ls "/proc/$dpid/fd" | wc -l)
prlimit --pid "$dpid" --nofile=$((nfds + 1)):
"$DEPLOY" restart web >"$TMP/restart.out" 2>&1 &
cli=$!
track_pid "$cli"
retrying() { grep -q "web:0: cannot create pipes .*Too many open files (trying again)" "$DEPLOY_HOME/daemon.log"; }
check_true "a spawn out of fds is tried again" wait_for 10 retrying
prlimit --pid "$dpid" --nofile="$hard:"
wait "$cli"
check_true "and the restart succeeds once fds are free ($(cat "$TMP/restart.out"))" \
	grep -q 'web: restarted' "$TMP/restart.out"
check_true "web is online, not errored" all_online web

# A listen app whose address is taken: the others still start, nothing
# wedges, the next up starts it.
socat "TCP-LISTEN:$((port + 2)),bind=127.0.0.1,reuseaddr,fork" /dev/null &
squat=$!
track_pid "$squat"
wait_for 5 bash -c "ss -Htln | grep -q ':$((port + 2)) '"
cat >two.json <<JSON
{"apps": [
  {"name": "shared", "script": "$HTTP_WORKER", "instances": 2,
   "listen": "127.0.0.1:$((port + 2))"},
  {"name": "other", "script": "$HTTP_WORKER", "port": $((port + 1))}
]}
JSON
run "$DEPLOY" -c two.json up
check_rc "up with a listen address in use fails" 3
check_err "naming the app and the address" \
	"shared: cannot listen on '127.0.0.1:$((port + 2))': Address already in use"
check_true "the other app of the file is started" wait_for 10 all_online other
check_true "the failed app is not left behind" \
	test "$(jls 'map(select(.app == "shared")) | length')" = 0
kill "$squat"
wait "$squat" 2>/dev/null
wait_for 5 bash -c "! ss -Htln | grep -q ':$((port + 2)) '"
run "$DEPLOY" -c two.json up --wait
check_rc "once the address is free, up starts it" 0
check_true "both instances online" all_online shared

finish

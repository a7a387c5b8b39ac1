#!/usr/bin/env bash
# Supervisor: a replaced worker's output is never lost. Its replacement
# spawns in the same loop turn in which the old pipes hang up, so its
# pipes take the old fd numbers: each replacement's stdout and stderr
# must still reach the logs, and the daemon must not leak fds.
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-25}
mkdir -p "$TMP/app" && cd "$TMP/app" || exit 1
cat >ecosystem.json <<JSON
{"apps": [{"name": "chatty", "script": "$CHATTY", "instances": 2,
  "min_uptime": 100, "env": {"CHATTY_US": "500"}}]}
JSON

run "$DEPLOY" up
check_rc "up starts two chatty workers" 0
check_true "both come online" wait_for 10 all_online chatty
out_log=$(jls '.[0].out_log')
err_log=$(jls '.[0].err_log')
dpid=$(cat "$DEPLOY_HOME/daemon.pid")

# The pid of chatty:0 once it differs from $1.
new_pid() {
	local p
	p=$(jls '.[] | select(.instance == 0) | .pid')
	[ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$1" ] && echo "$p"
}
# True when both logs hold a line written by pid $1.
logged() {
	grep -qF "pid=$1 out " "$out_log" && grep -qF "pid=$1 err " "$err_log"
}
# The daemon's open fds.
daemon_fds() { ls "/proc/$dpid/fd" | wc -l; }

pid=$(new_pid 0)
check_true "chatty:0's first output reaches both logs" wait_for 5 logged "$pid"
fds0=$(daemon_fds)
lost=0 lost_at=
for ((r = 0; r < ROUNDS; r++)); do
	for how in restart kill; do
		if [ $how = restart ]; then
			"$DEPLOY" restart chatty:0 >/dev/null 2>&1
		else
			kill -KILL "$pid"
		fi
		wait_for 5 new_pid "$pid" >/dev/null
		next=$(new_pid "$pid")
		if [ -z "$next" ] || ! wait_for 3 logged "$next"; then
			lost=$((lost + 1)); lost_at="$lost_at $r/$how"
		fi
		[ -n "$next" ] && pid=$next
	done
done
check_true "every one of $((ROUNDS * 2)) replacements' output reaches the logs (lost:$lost_at)" \
	test "$lost" = 0

# A blocked worker stops writing: the last replacement keeps going.
count_now() { grep -cF "pid=$pid out " "$out_log"; }
c1=$(count_now)
grows() { [ "$(count_now)" -gt $((c1 + 100)) ]; }
check_true "the last replacement keeps writing (not blocked)" wait_for 5 grows
fds1=$(daemon_fds)
check_true "the daemon's fd count is stable ($fds0 before, $fds1 after)" \
	test "$fds1" -le $((fds0 + 4))
check_true "chatty:1 was never touched and still writes" \
	test "$(jls '.[] | select(.instance == 1) | .restarts')" = 0

finish

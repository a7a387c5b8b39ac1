#!/usr/bin/env bash
# Hardening: a log file that cannot be written (a full disk) shows in ls
# (text and --json) and in the daemon's log, and so does its recovery.
# The full disk is a 64 KiB tmpfs on logs/, mounted in a mount namespace
# of the daemon's own. Run as root.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
	skip_all "needs root and unshare -m"
fi

mkdir -p "$TMP/app" "$DEPLOY_HOME/logs" && cd "$TMP/app" || exit 1
chmod 0700 "$DEPLOY_HOME"
cat >ecosystem.json <<JSON
{"apps": [{"name": "chatty", "script": "/bin/sh", "args": ["-c",
  "while :; do echo a-line-of-output-to-fill-the-disk-with; sleep 0.002; done"]}]}
JSON

# The daemon starts inside the namespace, with the small tmpfs on logs/;
# the socket is outside it, so the rest of the test talks to it as usual.
run unshare -m --propagation private sh -c '
	mount -t tmpfs -o size=64k,mode=0700 deploy-full "$1/logs" &&
	exec "$2" up' sh "$DEPLOY_HOME" "$DEPLOY"
check_rc "up with logs/ on a 64 KiB tmpfs" 0
dpid=$(cat "$DEPLOY_HOME/daemon.pid")
track_pid "$dpid"
log="/proc/$dpid/root$DEPLOY_HOME/logs/chatty-0-out.log"

log_error() { jls '.[0].log_error // empty'; }
full() { [ -n "$(log_error)" ]; }
check_true "ls --json gives the instance a log_error" wait_for 20 full
check_true "naming the file and the reason" test "$(log_error)" = \
	"cannot write '$DEPLOY_HOME/logs/chatty-0-out.log': No space left on device"
run "$DEPLOY" ls
check_out "plain ls shows it under the instance" \
	"^  logs: cannot write '.*chatty-0-out.log': No space left on device$"
in_daemon_log() { grep -qF -- "$1" "$DEPLOY_HOME/daemon.log"; }
check_true "the daemon's log says so" wait_for 10 in_daemon_log \
	"log file '$DEPLOY_HOME/logs/chatty-0-out.log': No space left on device: lines are held, then dropped"
check_true "the instance stays online" \
	test "$(count_status chatty online)" = 1
if command -v tmux >/dev/null; then
	sock=$TMP/tmux.sock
	tmux -S "$sock" new-session -d -s mon -x 100 -y 30 \
		"env DEPLOY_HOME='$DEPLOY_HOME' LANG=C.UTF-8 '$DEPLOY' monit -d 0.5"
	drawn() { tmux -S "$sock" capture-pane -p -t mon | grep -q ':0 '; }
	wait_for 10 drawn
	tmux -S "$sock" send-keys -t mon Down
	monit_says() {
		tmux -S "$sock" capture-pane -p -t mon |
			grep -q "logs *cannot write '.*chatty-0-out.log'"
	}
	check_true "monit's detail of the instance shows it too" \
		wait_for 10 monit_says
	tmux -S "$sock" kill-server
fi

# Make room (the tmpfs grows to 4 MiB: what was held meanwhile fits):
# the file takes lines again and the error goes away.
nsenter -t "$dpid" -m mount -o remount,size=4m "$DEPLOY_HOME/logs"
clear() { [ -z "$(log_error)" ]; }
check_true "once there is room, log_error is gone" wait_for 20 clear
check_true "the daemon's log says the file is written again" \
	wait_for 10 in_daemon_log \
	"log file '$DEPLOY_HOME/logs/chatty-0-out.log': written again"
check_true "and new lines reach the file" \
	wait_for 10 grep -q a-line-of-output "$log"

daemon_down
finish

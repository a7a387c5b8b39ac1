#!/usr/bin/env bash
# Hardening: a DEPLOY_HOME another user could write is refused, nothing
# under it is opened through a planted link, resurrect runs no state.json
# another user wrote, no shared /tmp fallback without a home, and the
# auto-started daemon keeps none of its caller's fds. Run as root.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	skip_all "needs root (other uids, chown)"
fi

mkdir -p "$TMP/app" && cd "$TMP/app" || exit 1
cat >ecosystem.json <<JSON
{"apps": [{"name": "w", "script": "/bin/sh",
  "args": ["-c", "echo secret-line; exec sleep 60"]}]}
JSON

# A group- or other-writable home: refused, with the fix in one line.
mkdir -m 0777 "$DEPLOY_HOME"
chmod 0777 "$DEPLOY_HOME"
run "$DEPLOY" up
check_rc "up refuses a home others can write (exit 4)" 4
check_true "with one line naming the fix" test "$err" = \
	"deploy: '$DEPLOY_HOME' is writable by group or others: run 'chmod go-w $DEPLOY_HOME'"
check_true "and starts no daemon there" test ! -e "$DEPLOY_HOME/daemon.pid"
run timeout 5 "$DEPLOY" daemon
check_rc "deploy daemon refuses it too" 4
check_err "for the same reason" "is writable by group or others"
daemon_down

# A home that belongs to another user.
chmod 0700 "$DEPLOY_HOME"
chown 65534 "$DEPLOY_HOME"
run timeout 5 "$DEPLOY" daemon
check_rc "deploy daemon refuses a home of another uid" 4
check_err "saying whose it is" "belongs to uid 65534, not to uid 0"
chown 0 "$DEPLOY_HOME"
daemon_down

# A home of ours in a directory others may write (not sticky): they
# could rename it away and put theirs in its place.
mkdir -m 0777 "$TMP/shared" && chmod 0777 "$TMP/shared"
run env DEPLOY_HOME="$TMP/shared/home" timeout 5 "$DEPLOY" daemon
check_rc "deploy daemon refuses a home in a shared directory" 4
check_true "saying which directory" test "$err" = \
	"deploy: '$TMP/shared/home' is in '$TMP/shared', which another user may change: use a home in a directory only you or root may write"
DEPLOY_HOME=$TMP/shared/home "$DEPLOY" down >/dev/null 2>&1

# daemon.pid planted as a link to a file of ours: not truncated.
echo precious >"$TMP/victim"
ln -sfn "$TMP/victim" "$DEPLOY_HOME/daemon.pid"
run timeout 5 "$DEPLOY" daemon
check_rc "a daemon.pid link stops the daemon (exit 4)" 4
check_err "naming the link" "daemon.pid' is a symbolic link"
check_true "the link's target is untouched" \
	test "$(cat "$TMP/victim")" = precious
daemon_down
rm -f "$DEPLOY_HOME/daemon.pid"

# A log file planted as a link: the worker's output does not go there.
mkdir -p "$DEPLOY_HOME/logs"
echo precious >"$TMP/victim2"
ln -sfn "$TMP/victim2" "$DEPLOY_HOME/logs/w-0-out.log"
run "$DEPLOY" up
check_rc "up with a planted log link fails" 1
check_err "naming the link" \
	"w:0: log file '.*w-0-out.log' is a symbolic link or another user's"
check_true "the instance is errored" wait_for 5 \
	test "$(count_status w errored)" = 1
check_true "with the reason naming the link" test "$(jls '.[0].reason')" = \
	"log file '$DEPLOY_HOME/logs/w-0-out.log' is a symbolic link or another user's: remove it"
check_true "the link's target got no line" \
	test "$(cat "$TMP/victim2")" = precious
rm "$DEPLOY_HOME/logs/w-0-out.log"
daemon_down

# state.json another uid wrote (here: handed to it) is not run.
cat >"$DEPLOY_HOME/state.json" <<JSON
{"format": 1, "version": "0.1.0", "apps": [{"file":
  "$TMP/app/ecosystem.json", "app": {"name": "evil", "script": "/bin/sh",
  "args": ["-c", "id >$TMP/pwned; exec sleep 60"]}}]}
JSON
chown 65534 "$DEPLOY_HOME/state.json"
run "$DEPLOY" resurrect
check_true "resurrect refuses a state.json of uid 65534 (exit $rc)" \
	test "$rc" -ne 0
check_err "saying whose it is" "state.json' belongs to uid 65534"
chown 0 "$DEPLOY_HOME/state.json"
chmod 0666 "$DEPLOY_HOME/state.json"
run "$DEPLOY" resurrect
check_err "and one others may write" \
	"state.json' is writable by group or others"
"$DEPLOY" ls >/dev/null 2>&1
check_true "the command in it never ran" test ! -e "$TMP/pwned"
daemon_down
rm -f "$DEPLOY_HOME/state.json"

# run.json (what a restarted daemon re-adopts and starts) of another uid
# is not followed either.
cat >"$DEPLOY_HOME/run.json" <<JSON
{"format": 1, "daemon": 1, "apps": [{"file": "$TMP/app/ecosystem.json",
  "app": {"name": "evil2", "script": "/bin/sh",
  "args": ["-c", "id >$TMP/pwned2; exec sleep 60"]}, "removing": false,
  "instances": [{"index": 0, "pid": 0, "state": "online", "restarts": 0}]}]}
JSON
chown 65534 "$DEPLOY_HOME/run.json"
run "$DEPLOY" ls
"$DEPLOY" up >/dev/null 2>&1
check_true "the daemon refuses a run.json of uid 65534" \
	grep -q "run.json' belongs to uid 65534, not to uid 0: remove it" \
	"$DEPLOY_HOME/daemon.log"
check_true "and starts nothing it names" test "$(jls 'map(select(.app ==
	"evil2")) | length')" = 0 -a ! -e "$TMP/pwned2"
daemon_down
rm -f "$DEPLOY_HOME/run.json"

# The auto-started daemon holds none of its caller's fds: a script's
# flock on fd 9 is free once the script lets go.
exec 9>"$TMP/lockfile"
flock 9
run "$DEPLOY" up
check_rc "up with a lock held on fd 9" 0
exec 9>&-
dpid=$(cat "$DEPLOY_HOME/daemon.pid")
check_true "the daemon has no fd on the lock file" \
	test -z "$(find "/proc/$dpid/fd" -lname "$TMP/lockfile" 2>/dev/null)"
check_true "and the lock is free again" flock -n "$TMP/lockfile" true
daemon_down

# No home at all: a uid with no passwd entry and no $HOME fails, and
# uses no shared fallback in /tmp; $XDG_RUNTIME_DIR is used when set.
uid=23456
while getent passwd "$uid" >/dev/null; do uid=$((uid + 1)); done
chmod 0711 "$TMP"
mkdir -p "$TMP/nohome" && chmod 0755 "$TMP/app" "$TMP/nohome"
cat >"$TMP/nohome/ecosystem.json" <<JSON
{"apps": [{"name": "s", "script": "/bin/sleep", "args": ["60"]}]}
JSON
cd "$TMP/nohome" || exit 1
as_uid() {
	setpriv --reuid "$uid" --regid "$uid" --clear-groups \
		env -u HOME -u DEPLOY_HOME -u XDG_RUNTIME_DIR "$@"
}
# Where a fallback would have gone; ended if it appears (today's main).
tmp_fallback_cleanup() {
	local pid
	[ "$(stat -c %u /tmp/.deploy 2>/dev/null)" = "$uid" ] || return 0
	pid=$(cat /tmp/.deploy/daemon.pid 2>/dev/null)
	if [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; then
		wait_for 10 eval "! kill -0 $pid 2>/dev/null"
	fi
	rm -rf /tmp/.deploy
}
run as_uid "$DEPLOY" up
check_rc "uid $uid without a home: up fails (exit 4)" 4
check_true "saying why and what to set" test "$err" = \
	"deploy: no home for deploy: \$HOME is unset and uid $uid has no passwd entry (set DEPLOY_HOME or XDG_RUNTIME_DIR)"
check_true "and made nothing in /tmp" \
	test "$(stat -c %u /tmp/.deploy 2>/dev/null)" != "$uid"
tmp_fallback_cleanup

mkdir -m 0700 "$TMP/run" && chown "$uid" "$TMP/run"
run as_uid XDG_RUNTIME_DIR="$TMP/run" "$DEPLOY" up
check_rc "with XDG_RUNTIME_DIR set, up works" 0
check_true "its home is \$XDG_RUNTIME_DIR/deploy, the uid's, 0700" \
	test "$(stat -c '%u %a' "$TMP/run/deploy" 2>/dev/null)" = "$uid 700"
xpid=$(cat "$TMP/run/deploy/daemon.pid" 2>/dev/null)
[ -n "$xpid" ] && track_pid "$xpid"
run as_uid XDG_RUNTIME_DIR="$TMP/run" "$DEPLOY" down
check_rc "and down stops that daemon" 0
tmp_fallback_cleanup

finish

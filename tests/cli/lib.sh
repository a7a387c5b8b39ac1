# tests/cli/lib.sh: helpers for CLI tests that drive the real binary.
# Source it; call the check_* helpers; end with `finish`.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEPLOY=${DEPLOY:-$ROOT/deploy}
# A binary outside the tree's top (the sanitizer build) finds the
# templates through DEPLOY_TEMPLATES.
[ "$DEPLOY" = "$ROOT/deploy" ] || export DEPLOY_TEMPLATES=$ROOT/templates
FIXTURES=$ROOT/tests/fixtures
TMP=$(mktemp -d /tmp/deploy-test.XXXXXX)
export DEPLOY_HOME=$TMP/home
export NO_COLOR=1
pass=0 fail=0 skipped=0
PIDS_FILE=$TMP/pids

# Record a pid this test started so cleanup ends it.
track_pid() { echo "$1" >>"$PIDS_FILE"; }

# End every process this test recorded, and the daemon of its DEPLOY_HOME.
cleanup() {
	local pid
	if [ -f "$DEPLOY_HOME/daemon.pid" ]; then
		pid=$(cat "$DEPLOY_HOME/daemon.pid" 2>/dev/null)
		[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$pid" 2>/dev/null
	fi
	# A test that killed its daemon may leave the fd holder.
	if [ -f "$DEPLOY_HOME/holder.pid" ]; then
		pid=$(cat "$DEPLOY_HOME/holder.pid" 2>/dev/null)
		[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
	fi
	if [ -f "$PIDS_FILE" ]; then
		while read -r pid; do
			kill -KILL -- "-$pid" 2>/dev/null
			kill -KILL "$pid" 2>/dev/null
		done <"$PIDS_FILE"
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "ok - $1"; }
not_ok() {
	fail=$((fail + 1)); echo "not ok - $1"
	shift
	local l
	for l in "$@"; do echo "# $l"; done
}

# Run a command; keep its stdout in $out, stderr in $err, status in $rc.
run() {
	out=$("$@" 2>"$TMP/.stderr")
	rc=$?
	err=$(cat "$TMP/.stderr")
}

# check_rc NAME WANT: the last run exited with WANT.
check_rc() {
	if [ "$rc" -eq "$2" ]; then ok "$1"
	else not_ok "$1" "exit $rc, wanted $2" "stderr: $err"; fi
}

# check_out NAME REGEX: the last run's stdout matches REGEX.
check_out() {
	if grep -qE -- "$2" <<<"$out"; then ok "$1"
	else not_ok "$1" "stdout lacks /$2/" "stdout: ${out:0:600}"; fi
}

# check_err NAME REGEX: the last run's stderr matches REGEX.
check_err() {
	if grep -qE -- "$2" <<<"$err"; then ok "$1"
	else not_ok "$1" "stderr lacks /$2/" "stderr: ${err:0:600}"; fi
}

# check_true NAME CMD...: CMD succeeds.
check_true() {
	local name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi
}

# wait_for SECONDS CMD...: poll CMD every 20 ms until it succeeds.
wait_for() {
	local limit=$1 i; shift
	for ((i = 0; i < limit * 50; i++)); do
		"$@" && return 0
		sleep 0.02
	done
	return 1
}

# Stop this test's daemon and fail if a sanitizer reported anything in
# its log (leaks show only when it exits).
check_daemon_log() {
	local log=$DEPLOY_HOME/daemon.log pid
	[ -f "$log" ] || return 0
	if [ -f "$DEPLOY_HOME/daemon.pid" ]; then
		pid=$(cat "$DEPLOY_HOME/daemon.pid")
		if kill -0 "$pid" 2>/dev/null; then
			"$DEPLOY" down >/dev/null 2>&1
			for _ in $(seq 1 200); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.05
			done
		fi
	fi
	if grep -qE 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$log"; then
		not_ok "the daemon's log has no sanitizer report" \
			"$(grep -A12 -E 'Sanitizer|runtime error:' "$log" | head -40)"
	fi
}

# Print the TAP plan (after the tests) and the count; fail if any
# check failed.
finish() {
	check_daemon_log
	echo "1..$((pass + fail + skipped))"
	echo "# $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}

# Skip one test: skip_test NAME REASON (counted in the plan).
skip_test() {
	skipped=$((skipped + 1))
	echo "ok - $1 # skip $2"
}

# Skip the whole script: a TAP plan of no test, with the REASON.
skip_all() {
	echo "1..0 # skip $1"
	exit 0
}

# Supervisor helpers -------------------------------------------------------
HTTP_WORKER=${BUILD:-$ROOT/build}/helpers/http_worker
HTTP_LOAD=${BUILD:-$ROOT/build}/helpers/http_load
CHATTY=${BUILD:-$ROOT/build}/helpers/chatty

# A free TCP port on 127.0.0.1 with the next n-1 free too, below the
# kernel's ephemeral range (where client sockets would take it) and not
# handed out before in this test.
free_port() {
	local n=${1:-1} p i lo=10000 hi used
	read -r hi _ </proc/sys/net/ipv4/ip_local_port_range || hi=32768
	used=" $(ss -Htan 2>/dev/null | awk '{print $4}' | sed 's/.*://' |
		tr '\n' ' ') $(cat "$TMP/.ports" 2>/dev/null | tr '\n' ' ') "
	for ((p = lo + RANDOM % (hi - lo - n - 100); p + n < hi; p += n)); do
		for ((i = 0; i < n; i++)); do
			[[ $used == *" $((p + i)) "* ]] && continue 2
		done
		seq "$p" $((p + n - 1)) >>"$TMP/.ports"
		echo "$p"
		return 0
	done
	return 1
}

# ls --json field: jls FILTER (jq filter over .instances)
jls() { "$DEPLOY" ls --json | jq -r ".instances | $1"; }

# up_ipc_app: start app "ipc" from ipc.json (tests/fixtures/apps/ipc-mark.js,
# wait_ready and shutdown_with_message: Node's IPC channel both ways),
# which writes what reaches it to $TMP/ipc.mark; one check.
up_ipc_app() {
	cat >ipc.json <<JSON
{"apps": [{"name": "ipc", "script": "$ROOT/tests/fixtures/apps/ipc-mark.js",
  "wait_ready": true, "shutdown_with_message": true, "kill_timeout": 3000,
  "env": {"PORT": "$(free_port 1)", "MARK": "$TMP/ipc.mark"}}]}
JSON
	run "$DEPLOY" -c ipc.json up --wait
	check_rc "a Node app with wait_ready and shutdown_with_message" 0
}

# The pids of app APP as one line.
app_pids() { jls "map(select(.app == \"$1\")) | map(.pid) | join(\" \")"; }

# The number of instances of APP with status STATUS.
count_status() {
	jls "map(select(.app == \"$1\" and .status == \"$2\")) | length"
}

# True when every instance of APP is online.
all_online() {
	[ "$(jls "map(select(.app == \"$1\" and .status != \"online\"))
		| length")" = 0 ]
}

# GET http://127.0.0.1:PORT/ and print the body.
http_get() { curl -s --max-time 5 "http://127.0.0.1:$1/"; }

# True when no process of group PGID is left.
group_gone() { ! kill -0 -- "-$1" 2>/dev/null; }

# Stop the daemon of this test (used before cleanup where a test wants).
daemon_down() { "$DEPLOY" down >/dev/null 2>&1; }

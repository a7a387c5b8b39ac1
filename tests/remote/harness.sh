# tests/remote/harness.sh: real sshd "hosts" for the remote deploy tests.
# Source it after tests/cli/lib.sh (or define TMP, DEPLOY, track_pid PID
# and free_port as tests/bench/remote.sh does). Each host is an sshd on its own
# loopback address (127.0.0.2, 127.0.0.3, ...) in its own mount and pid
# namespace, with a private directory bind-mounted over $REMOTE_ROOT, so
# the hosts share no files under it; the directory stays readable from
# here as $TMP/hosts/<n>/root. Each also gets an empty home directory
# over root's, as on a fresh server: the dotfiles of the machine running
# the tests (which a non-interactive ssh bash reads) do not leak in. Killing a host (host_kill) ends every
# process it runs, as a machine going down would.
#
#   remote_init || exit 0      keys, config; prints a skip line if it can't
#   host_start N               start host N (1: 127.0.0.2, 2: 127.0.0.3...);
#                              a new host key of $HOST_KEY_TYPE (ed25519)
#   host_kill N                SIGKILL it (its files stay)
#   host_root N                where its $REMOTE_ROOT is, seen from here
#   host_ns N CMD...           run CMD in host N's mount namespace
#   host_procs N               the names of the processes host N runs
#   make_repo                  $SRC (work tree) and $REPO (bare) with app.js
#   commit MSG                 commit $SRC and push it to $REPO
REMOTE_ROOT=/srv/deploy-test
SSHD=/usr/sbin/sshd
NODE=$(command -v node || true)
SSH_DIR=$TMP/ssh
KNOWN=$SSH_DIR/known_hosts
SRC=$TMP/src
REPO=$TMP/repo.git
# Local defaults must not come from the user running the tests.
export HOME=$TMP/localhome
unset SSH_AUTH_SOCK

# Print the reason the remote tests cannot run here, or nothing.
remote_missing() {
	[ "$(id -u)" = 0 ] || { echo "not root"; return; }
	[ -x "$SSHD" ] || { echo "no $SSHD (make test-deps)"; return; }
	local t
	for t in unshare ssh-keygen git ss jq curl; do
		command -v "$t" >/dev/null || { echo "no $t"; return; }
	done
	[ -n "$NODE" ] || { echo "no node"; return; }
	unshare -m -p -f --mount-proc true 2>/dev/null ||
		echo "unshare -m -p not permitted"
}

# Make the user key, the sshd port and directories; skip when we can't.
remote_init() {
	local why
	why=$(remote_missing)
	if [ -n "$why" ]; then
		# A developer without root may skip; CI (as root, after
		# `make test-deps`) must run these, so there it is a failure.
		[ -n "${CI:-}" ] || skip_all "$why"
		echo "not ok 1 - the remote test hosts can run: $why"
		echo "1..1"
		return 1
	fi
	mkdir -p "$SSH_DIR" "$HOME" "$REMOTE_ROOT" /run/sshd
	chmod 700 "$SSH_DIR"
	ssh-keygen -q -t ed25519 -N '' -C deploy-test -f "$SSH_DIR/user_key"
	cp "$SSH_DIR/user_key.pub" "$SSH_DIR/authorized_keys"
	: >"$KNOWN"
	SSH_PORT=$(free_port)
	APP_PORT=$SSH_PORT APP_PORT2=$SSH_PORT
	while [ "$APP_PORT" = "$SSH_PORT" ]; do APP_PORT=$(free_port); done
	while [ "$APP_PORT2" = "$SSH_PORT" ] || [ "$APP_PORT2" = "$APP_PORT" ]
	do APP_PORT2=$(free_port); done
	return 0
}

# The address of host N: 127.0.0.N+1, or with HOST_NETNS set 10.231.N.2
# in a network namespace of its own (a veth from 10.231.N.1 here), where
# its apps may listen on any address, 127.0.0.1 included, as on a real
# machine.
host_addr() {
	if [ -n "${HOST_NETNS:-}" ]; then echo "10.231.$1.2"
	else echo "127.0.0.$(($1 + 1))"; fi
}

# The network namespace of host N ("" without HOST_NETNS).
host_netns() { [ -z "${HOST_NETNS:-}" ] || echo "deploy-test-$$-$1"; }

# Make host N's network namespace and its veth link, once.
host_net_up() {
	local ns here=dth$$$1 there=dtn$$$1
	ns=$(host_netns "$1")
	[ -n "$ns" ] || return 0
	ip netns list | grep -q "^$ns\b" && return 0
	ip netns add "$ns" &&
	ip link add "$here" type veth peer name "$there" &&
	ip link set "$there" netns "$ns" &&
	ip addr add "10.231.$1.1/30" dev "$here" && ip link set "$here" up &&
	ip netns exec "$ns" sh -c "ip addr add $(host_addr "$1")/30 \
		dev $there && ip link set $there up && ip link set lo up"
}

# Remove the network namespaces of the hosts (their links go with them).
host_nets_down() {
	local n
	for n in 1 2 3 4; do
		[ -n "$(host_netns "$n")" ] &&
			ip netns del "$(host_netns "$n")" 2>/dev/null
	done
	return 0
}

# Run CMD... in host N's network namespace (here without HOST_NETNS).
host_net() {
	local ns
	ns=$(host_netns "$1")
	shift
	if [ -n "$ns" ]; then nsenter --net="/run/netns/$ns" "$@"
	else "$@"; fi
}

# Host N's $REMOTE_ROOT as seen from here.
host_root() { echo "$TMP/hosts/$1/root"; }

# Write host N's sshd_config (and its host key when it has none).
host_config() {
	local d=$TMP/hosts/$1
	mkdir -p "$d/root"
	[ -f "$d/host_key" ] ||
		ssh-keygen -q -t "${HOST_KEY_TYPE:-ed25519}" -N '' -C "host$1" \
			-f "$d/host_key"
	cat >"$d/sshd_config" <<EOF
ListenAddress $(host_addr "$1"):$SSH_PORT
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $SSH_DIR/authorized_keys
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
Subsystem sftp internal-sftp
SetEnv DEPLOY_TEST_ADDR=$(host_addr "$1") DEPLOY_TEST_LISTEN=$(
	[ -n "${HOST_NETNS:-}" ] && echo 0.0.0.0 || host_addr "$1")
MaxStartups 100
LogLevel ERROR
EOF
}

# True once host N accepts TCP connections.
host_listening() {
	host_net "$1" ss -Htln "src $(host_addr "$1"):$SSH_PORT" 2>/dev/null |
		grep -q .
}

# Start host N: sshd -D as pid 1 of new mount and pid namespaces, its
# private root bound over $REMOTE_ROOT.
host_start() {
	local d=$TMP/hosts/$1 pid enter=()
	host_config "$1"
	mkdir -p "$d/home"
	host_net_up "$1" || return 1
	# A simple command, so that $! is unshare's pid (nsenter execs it).
	[ -n "$(host_netns "$1")" ] &&
		enter=(nsenter --net="/run/netns/$(host_netns "$1")")
	"${enter[@]}" unshare -m -p -f --mount-proc --kill-child sh -c \
		'mount --bind "$1" "$2" && mount --bind "$5" "$6" &&
		exec "$3" -D -e -f "$4"' sh \
		"$d/root" "$REMOTE_ROOT" "$SSHD" "$d/sshd_config" \
		"$d/home" "$(getent passwd root | cut -d: -f6)" \
		>>"$d/sshd.log" 2>&1 &
	pid=$!
	echo "$pid" >"$d/unshare.pid"
	track_pid "$pid"
	harness_wait 10 host_listening "$1" || {
		echo "# host $1 did not start:"; sed 's/^/# /' "$d/sshd.log"
		return 1
	}
}

# Kill host N and everything it runs.
host_kill() {
	local pid
	pid=$(cat "$TMP/hosts/$1/unshare.pid" 2>/dev/null) || return 0
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	harness_wait 5 eval '! host_listening '"$1"
}

# harness_wait SECONDS CMD...: poll CMD every 20 ms until it succeeds.
harness_wait() {
	local limit=$1 i
	shift
	for ((i = 0; i < limit * 50; i++)); do
		"$@" && return 0
		sleep 0.02
	done
	return 1
}

# host_ns N CMD...: run CMD in host N's mount namespace (where its
# $REMOTE_ROOT is), e.g. to mount a small file system there.
host_ns() {
	local upid pid
	upid=$(cat "$TMP/hosts/$1/unshare.pid") || return 1
	pid=$(cat "/proc/$upid/task/$upid/children" 2>/dev/null | cut -d' ' -f1)
	[ -n "$pid" ] || return 1
	shift
	nsenter -t "$pid" -m -- "$@"
}

# The command names of the processes running on host N (its pid
# namespace), one a line; with FIELD cmdline, their command lines.
host_procs() {
	local upid pid ns p
	upid=$(cat "$TMP/hosts/$1/unshare.pid") || return 1
	pid=$(cut -d' ' -f1 "/proc/$upid/task/$upid/children" 2>/dev/null)
	ns=$(readlink "/proc/$pid/ns/pid") || return 1
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] &&
			tr '\0' ' ' <"$p/${2:-comm}" 2>/dev/null && echo
	done
}

# A new host key for host N (its next start offers a changed key).
host_rekey() {
	rm -f "$TMP/hosts/$1/host_key" "$TMP/hosts/$1/host_key.pub"
	host_config "$1"
}

# The release current points at on host N ("" when none).
current_of() {
	local l
	l=$(readlink "$(host_root "$1")/$2/current" 2>/dev/null) || return 0
	echo "${l##*/}"
}

# The app of the test repository: answers with its release and address;
# /health says 503 while $REMOTE_ROOT/fail-health exists on its host and
# is empty or holds the app's version.
write_app() {
	cat >"$SRC/app.js" <<'EOF'
'use strict';
const http = require('http'), fs = require('fs'), path = require('path');
const addr = process.env.DEPLOY_TEST_ADDR || '127.0.0.1';
const bind = process.env.DEPLOY_TEST_LISTEN || addr;
const release = path.basename(process.cwd());
// Sick while fail-health exists, holding nothing or this APP_VERSION.
const sick = () => {
  try {
    const v = fs.readFileSync('/srv/deploy-test/fail-health', 'utf8').trim();
    return v === '' || v === process.env.APP_VERSION;
  } catch (e) { return false; }
};
http.createServer((req, res) => {
  if (req.url === '/health' && sick()) {
    res.statusCode = 503;
    res.end('sick\n');
    return;
  }
  res.end(`release=${release} addr=${addr} v=${process.env.APP_VERSION}\n`);
}).listen(Number(process.env.PORT), bind);
process.on('SIGINT', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
EOF
}

# $SRC: a work tree with app.js; $REPO: a bare clone it pushes to.
make_repo() {
	mkdir -p "$SRC"
	git -C "$SRC" init -q -b main
	git -C "$SRC" config user.email test@example.com
	git -C "$SRC" config user.name test
	write_app
	git init -q --bare "$REPO"
	git -C "$SRC" remote add origin "$REPO"
}

# Commit everything in $SRC and push it.
commit() {
	git -C "$SRC" add -A
	git -C "$SRC" commit -q -m "$1"
	git -C "$SRC" push -q origin main 2>/dev/null
}

# The pre-deploy hook of the test targets: markers in a host's root make
# that host slow (for the lock and kill tests: 3 s, or the seconds the
# marker holds) or fail the hook.
PRE_DEPLOY='if [ -e /srv/deploy-test/slow ]; then'
PRE_DEPLOY+=' touch /srv/deploy-test/reached;'
PRE_DEPLOY+=' s=$(cat /srv/deploy-test/slow); sleep "${s:-3}"; fi;'
PRE_DEPLOY+=' if [ -e /srv/deploy-test/fail-hook ]; then'
PRE_DEPLOY+=' echo "hook says: npm ci failed" >&2; exit 3; fi; test -f app.js'

# write_eco VERSION [PARALLEL]: $SRC/ecosystem.json. The app's
# APP_VERSION is VERSION, so each version is a new config (the daemon
# leaves an app whose config did not change running, even when its file
# is now in another release: so without it the app would not restart
# into new code). Targets:
# "production" (git mode, from $REPO) and "staging" (upload mode, from
# $SRC), both on hosts $REMOTE_HOSTS (default 1 2), each app on its own
# port. With $POST_DEPLOY set, production runs that instead of the
# default post-deploy and has no health gate; with $NO_KEY set, the
# targets name no key file (the agent or ~/.ssh/id_* must do).
write_eco() {
	local v=$1 par=${2:-0} hosts="" common path_env n
	for n in ${REMOTE_HOSTS:-1 2}; do
		hosts+="${hosts:+, }\"$(host_addr "$n"):$SSH_PORT\""
	done
	hosts="[$hosts]"
	path_env="$(dirname "$DEPLOY"):/usr/local/bin:/usr/bin:/bin"
	common="\"user\": \"root\", \"host\": $hosts,
      $([ -n "${NO_KEY:-}" ] || echo "\"key\": \"$SSH_DIR/user_key\",")
      \"ssh_options\": [\"UserKnownHostsFile=$KNOWN\"],
      \"health_timeout\": \"4s\", \"keep_releases\": 3,
      \"parallel\": $par, \"shared_dirs\": [\"logs\"],
      \"pre-deploy\": $(jq -Rn --arg s "$PRE_DEPLOY" '$s')"
	cat >"$SRC/ecosystem.json" <<JSON
{
  "apps": [{"name": "web", "script": "app.js",
            "env": {"APP_VERSION": "$v"},
            "env_production": {"PORT": "$APP_PORT"},
            "env_staging": {"PORT": "$APP_PORT2"}}],
  "deploy": {
    "production": {
      $common,
      "repo": "$REPO", "ref": "origin/main", "path": "$REMOTE_ROOT/app",
      "env": {"DEPLOY_HOME": "$REMOTE_ROOT/home", "PATH": "$path_env",
              "EVIL": "\$(touch $REMOTE_ROOT/pwned)'; touch $REMOTE_ROOT/pwned #"},
      $(if [ -n "${POST_DEPLOY:-}" ]; then
		echo "\"post-deploy\": $(jq -Rn --arg s "$POST_DEPLOY" '$s')"
	else
		echo "\"health\": \"http://{host}:$APP_PORT/health\""
	fi)
    },
    "staging": {
      $common,
      "upload": true, "ref": "main", "path": "$REMOTE_ROOT/staging",
      "env": {"DEPLOY_HOME": "$REMOTE_ROOT/home-staging",
              "PATH": "$path_env"},
      "health": "http://{host}:$APP_PORT2/health"
    }
  }
}
JSON
}

# GET http://ADDR:PORT/PATH and print the body.
app_get() { curl -s --max-time 5 "http://$1:$2${3:-/}"; }

# Two hosts with a repository at v1, ready for deploys to TARGET: sets
# H1, H2 (host:port) and R1, R2 (their roots as seen from here), cds into
# the repository, and stops the hosts (and the daemons the deploys
# started there) when the test exits. Exits the test when it cannot.
two_hosts() {
	remote_init || exit 0
	make_repo
	write_eco 1
	commit v1
	host_start 1 && host_start 2 ||
		{ not_ok "the sshd hosts start"; finish; }
	cd "$SRC" || exit 1
	H1="$(host_addr 1):$SSH_PORT" H2="$(host_addr 2):$SSH_PORT"
	R1=$(host_root 1) R2=$(host_root 2)
	HOSTS_TARGET=$1
	trap 'stop_hosts; cleanup' EXIT
}

# first_deploy DIR: set up $HOSTS_TARGET's hosts and deploy to them
# (two checks); rel1 gets host 1's release (DIR: the target's path under
# $REMOTE_ROOT).
first_deploy() {
	run "$DEPLOY" setup "$HOSTS_TARGET" --accept-new
	check_rc "setup succeeds" 0
	run "$DEPLOY" up "$HOSTS_TARGET"
	check_rc "a first deploy succeeds" 0
	rel1=$(current_of 1 "$1")
}

# Stop the daemons the deploys started on the hosts, then the hosts.
stop_hosts() {
	"$DEPLOY" exec "$HOSTS_TARGET" -- deploy down >/dev/null 2>&1
	host_kill 1
	host_kill 2
	host_nets_down
}

# tests/helpers/nginx-lib.sh: a real nginx for the CLI tests, sourced
# after tests/cli/lib.sh. NGX is the prefix (pid file, error log, temp
# files); start_nginx runs nginx on $NGX/nginx.conf in the foreground
# of its own session, stop_nginx ends it, by its recorded pid only.
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
ngx_pid=

# Stop the nginx this test started: TERM, wait, then KILL its group.
stop_nginx() {
	[ -n "$ngx_pid" ] || return 0
	kill -TERM "$ngx_pid" 2>/dev/null
	for _ in $(seq 1 100); do
		kill -0 "$ngx_pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL -- "-$ngx_pid" 2>/dev/null
	ngx_pid=
}
trap 'stop_nginx; cleanup' EXIT

# Start nginx on $NGX/nginx.conf, as root with -p, -e and a pid file in
# $NGX (nothing under /var/log/nginx or /run).
start_nginx() {
	setsid "$NGINX_BIN" -p "$NGX/" -e "$NGX/error.log" \
		-c "$NGX/nginx.conf" -g 'daemon off;' </dev/null \
		>"$NGX/stdout" 2>&1 &
	ngx_pid=$!
	track_pid "$ngx_pid"
}

# True while the nginx we started runs as a master.
nginx_alive() {
	kill -0 "$ngx_pid" 2>/dev/null &&
		grep -q '^nginx: master' "/proc/$ngx_pid/cmdline"
}

# Stop the daemon and nginx, and check that nginx went.
stop_all() {
	local pid=$ngx_pid

	daemon_down
	stop_nginx
	check_true "nginx stops on TERM" \
		wait_for 5 bash -c "! kill -0 $pid 2>/dev/null"
}

# reload_during PID APP: deploy reload APP (at most 20 times) while the
# load generator PID runs, then wait for it; $reloads says how many
# reloads succeeded.
reload_during() {
	reloads=0
	while kill -0 "$1" 2>/dev/null && [ $reloads -lt 20 ]; do
		"$DEPLOY" reload "$2" >/dev/null 2>>"$TMP/reload.err" &&
			reloads=$((reloads + 1))
	done
	wait "$1"
}

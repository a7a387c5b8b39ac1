#!/usr/bin/env bash
# A real nginx running the config `deploy nginx --target production`
# renders, in front of two sshd hosts (each in network namespace of its
# own, so that their apps listen as on real machines): a steady request loop through it
# while `deploy up production` ships a new release to both must see no
# failed request, with the defaults. And a warning for an app that
# listens on loopback only (nginx elsewhere could not reach it).
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/remote/harness.sh"

NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
HTTP_LOAD=${BUILD:-$ROOT/build}/helpers/http_load
NGX=$TMP/nginx
CONF=$NGX/deploy.conf
ngx_pid=
if [ ! -x "$NGINX_BIN" ] || [ ! -x "$HTTP_LOAD" ]; then
	not_ok "nginx and $HTTP_LOAD are there (make test-deps; make $HTTP_LOAD)"
	finish
fi
HOST_NETNS=1
two_hosts production

# Stop the nginx this test started.
stop_nginx() {
	[ -n "$ngx_pid" ] || return 0
	kill -TERM "$ngx_pid" 2>/dev/null
	wait_for 5 eval '! kill -0 "$ngx_pid" 2>/dev/null'
	kill -KILL -- "-$ngx_pid" 2>/dev/null
	ngx_pid=
}
trap 'stop_nginx; stop_hosts; cleanup' EXIT

nport=$(free_port)
# The target's app: two instances a host (PORT, PORT+1) on all its
# addresses, nginx in front on 127.0.0.1:$nport.
fleet_eco() {
	write_eco "$1"
	jq --argjson p "$APP_PORT" --arg l "127.0.0.1:$nport" \
		'.apps[0].port = $p | .apps[0].instances = 2 |
		 .apps[0].exec_mode = "fork" |
		 del(.apps[0].env_production.PORT) |
		 .apps[0].nginx = {listen: $l}' ecosystem.json >"$TMP/e" &&
		mv "$TMP/e" ecosystem.json
}
# True when nginx answers 200 through the proxy.
serving() {
	curl -sf --max-time 5 -o /dev/null "http://127.0.0.1:$nport/"
}

fleet_eco 1 && commit v1
run "$DEPLOY" setup production --accept-new
check_rc "setup" 0
run "$DEPLOY" up production
check_rc "a first deploy" 0
check_true "no loopback warning for apps on the hosts' addresses" \
	test "$(grep -c "warning" <<<"$err")" = 0
mkdir -p "$NGX"
run "$DEPLOY" nginx --target production -o "$CONF"
check_rc "deploy nginx --target production writes the config" 0
check_true "each server is retried, never marked down (max_fails=0)" \
	test "$(grep -c "server 10\.231\.[12]\.2:[0-9]* max_fails=0;" "$CONF")" = 4
"$ROOT/tests/helpers/nginx-main.sh" "$NGX" "$CONF" >"$NGX/nginx.conf"
setsid "$NGINX_BIN" -p "$NGX/" -e "$NGX/error.log" -c "$NGX/nginx.conf" \
	-g 'daemon off;' </dev/null >"$NGX/stdout" 2>&1 &
ngx_pid=$!
track_pid "$ngx_pid"
check_true "nginx serves the fleet on 127.0.0.1:$nport" wait_for 10 serving

# Deploy twice under a steady request loop.
for v in 2 3; do
	fleet_eco "$v" && commit "v$v"
	rm -f "$TMP/stop"
	"$HTTP_LOAD" "$nport" 120 "$TMP/stop" >"$TMP/load$v" &
	load=$!
	track_pid "$load"
	run "$DEPLOY" up production
	check_rc "deploy v$v to both hosts under load" 0
	touch "$TMP/stop"
	wait "$load"
	check_true "no failed request through nginx ($(cat "$TMP/load$v"))" \
		grep -q "failed=0$" "$TMP/load$v"
	check_true "the new release serves" \
		grep -q "v=$v" <<<"$(curl -s --max-time 5 "http://127.0.0.1:$nport/")"
done

# An app on loopback only -------------------------------------------------
jq '.apps[0].env.HOST = "127.0.0.1"' ecosystem.json >"$TMP/e" &&
	mv "$TMP/e" ecosystem.json
run "$DEPLOY" releases production
check_true "releases does not warn" test -z "$err"
run "$DEPLOY" up production --quiet
check_err "a deploy warns about an app with HOST on loopback" \
	"warning: apps\[0\] 'web' has HOST=127\.0\.0\.1 \(loopback only\): \
nginx on another machine \(deploy nginx --target production\) cannot"
finish

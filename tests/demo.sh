#!/usr/bin/env bash
# make demo: the whole product on a built-in demo. Validates the demo
# ecosystem, starts a 4-instance Node app under the deploy daemon, renders
# the nginx config and starts a real nginx on 127.0.0.1:8080 in front of
# it, sends requests through nginx showing which instance answered, kills
# one instance and watches it come back, reloads with no failed request,
# then opens `deploy monit` on a terminal (prints `deploy ls` otherwise).
# `tests/demo.sh --stop` (make demo-stop) stops everything it started.
set -eu
DEPLOY=$(cd "$(dirname "${1:-./deploy}")" && pwd)/$(basename "${1:-deploy}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ECO=$ROOT/tests/fixtures/apps/ecosystem.json
DEMO=$ROOT/build/demo
NGX=$DEMO/nginx
NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
export DEPLOY_HOME=${DEPLOY_HOME:-$DEMO/home}
port=$(jq -r '.apps[0].port' "$ECO")
front=8080

step() {
	if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
		printf '\n\033[1m==> %s\033[0m\n' "$*"
	else
		printf '\n==> %s\n' "$*"
	fi
}

# Stop nginx (by its pid file) and every app and the daemon.
stop_all() {
	if [ -s "$NGX/nginx.pid" ]; then
		kill -QUIT "$(cat "$NGX/nginx.pid")" 2>/dev/null || true
		rm -f "$NGX/nginx.pid"
	fi
	"$DEPLOY" down
}

if [ "${2:-}" = --stop ] || [ "${1:-}" = --stop ]; then
	DEPLOY=$ROOT/deploy
	stop_all
	exit 0
fi

step "deploy validate: the demo ecosystem file"
"$DEPLOY" -c "$ECO" --env production validate

step "deploy up --wait: 4 instances of a Node app on ports $port-$((port + 3))"
"$DEPLOY" -c "$ECO" --env production up --wait --timeout 30

step "deploy nginx: the upstream for them, checked with nginx -t"
mkdir -p "$NGX"
"$DEPLOY" -c "$ECO" nginx --check -o "$NGX/deploy.conf"
sed -n '/^upstream/,/^}/p' "$NGX/deploy.conf"
"$ROOT/tests/helpers/nginx-main.sh" "$NGX" "$NGX/deploy.conf" \
	>"$NGX/nginx.conf"
if [ -s "$NGX/nginx.pid" ] && kill -0 "$(cat "$NGX/nginx.pid")" 2>/dev/null
then
	kill -HUP "$(cat "$NGX/nginx.pid")"
else
	"$NGINX_BIN" -p "$NGX/" -e "$NGX/error.log" -c "$NGX/nginx.conf"
fi
for _ in $(seq 1 100); do
	curl -sf -o /dev/null "http://127.0.0.1:$front/" && break
	sleep 0.05
done

step "8 requests through nginx on 127.0.0.1:$front"
for _ in $(seq 1 8); do
	printf '  '
	curl -s --max-time 5 "http://127.0.0.1:$front/"
done

step "kill -9 instance 2: the daemon replaces it, nginx keeps serving"
victim=$("$DEPLOY" ls --json | jq '.instances[] | select(.instance == 2)
	| .pid')
kill -9 "$victim"
failed=0
for _ in $(seq 1 40); do
	curl -sf -o /dev/null --max-time 5 "http://127.0.0.1:$front/" ||
		failed=$((failed + 1))
done
echo "  40 requests right after the kill: $failed failed"
"$DEPLOY" ls

step "deploy reload hello: rolling, each new instance ready before the next"
(for _ in $(seq 1 400); do
	curl -sf -o /dev/null --max-time 5 "http://127.0.0.1:$front/" ||
		echo fail
done) >"$DEMO/load.out" &
load=$!
"$DEPLOY" reload hello
wait "$load"
echo "  400 requests during the reload: $(grep -c fail "$DEMO/load.out" ||
	true) failed"

if [ -t 0 ] && [ -t 1 ]; then
	step "deploy monit (q to leave)"
	sleep 1
	"$DEPLOY" monit
	printf 'stop the demo (apps, daemon, nginx)? [Y/n] '
	read -r answer
	case $answer in
	[nN]*) echo "left running: 'make demo-stop' ends it" ;;
	*) stop_all ;;
	esac
else
	step "deploy ls"
	"$DEPLOY" ls
	if [ "${DEMO_KEEP:-0}" = 1 ]; then
		step "left running on 127.0.0.1:$front: 'make demo-stop' ends it"
	else
		step "stopping nginx, the apps and the daemon"
		stop_all
	fi
fi

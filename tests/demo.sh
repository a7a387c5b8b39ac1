#!/usr/bin/env bash
# make demo: the built-in demo. Validates the demo ecosystem, starts a
# 4-instance Node cluster under the deploy daemon, sends requests to each
# instance, shows `deploy ls`, then stops it (DEMO_KEEP=1 leaves it up;
# `make demo-stop` ends it).
set -eu
DEPLOY=${1:-./deploy}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ECO=$ROOT/tests/fixtures/apps/ecosystem.json
export DEPLOY_HOME=${DEPLOY_HOME:-$ROOT/build/demo-home}
port=$(jq -r '.apps[0].port' "$ECO" 2>/dev/null || echo 3100)

step() {
	if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
		printf '\n\033[1m==> %s\033[0m\n' "$*"
	else
		printf '\n==> %s\n' "$*"
	fi
}

step "deploy validate: the demo ecosystem file, resolved"
"$DEPLOY" -c "$ECO" --env production validate
"$DEPLOY" -c "$ECO" --env production validate --print |
	sed -n '1,/"instances_list"/p' | head -n 30
echo "  ..."

step "deploy up --wait: 4 instances of a Node app, ports $port-$((port + 3))"
"$DEPLOY" -c "$ECO" --env production up --wait --timeout 30

step "one request to each instance"
for i in 0 1 2 3; do
	printf '  :%d -> ' $((port + i))
	curl -s --max-time 5 "http://127.0.0.1:$((port + i))/"
done

step "deploy ls"
"$DEPLOY" ls

step "kill -9 instance 2: the daemon replaces it"
victim=$("$DEPLOY" ls --json | jq '.instances[] | select(.instance == 2)
	| .pid')
kill -9 "$victim"
for _ in $(seq 1 100); do
	now=$("$DEPLOY" ls --json | jq -r '.instances[] |
		select(.instance == 2) | "\(.status) \(.pid)"')
	[ "${now%% *}" = online ] && [ "${now#* }" != "$victim" ] && break
	sleep 0.05
done
"$DEPLOY" ls

step "deploy reload hello: rolling, one instance at a time"
"$DEPLOY" reload hello
"$DEPLOY" ls

if [ "${DEMO_KEEP:-0}" = 1 ]; then
	step "left running (DEPLOY_HOME=$DEPLOY_HOME): 'make demo-stop' ends it"
else
	step "deploy down"
	"$DEPLOY" down
fi

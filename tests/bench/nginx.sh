#!/usr/bin/env bash
# tests/bench/nginx.sh: deploy nginx's render time, and what nginx in
# front of several instances buys over one.
#   1. render time of `deploy nginx --target T` for one app of 1000
#      instances on 10 hosts (10000 server lines), the whole command
#      timed RENDER_RUNS times; the median against the 10 ms goal, and
#      the same command for 1 instance as the floor (exec, file, exit);
#   2. wrk through a real nginx (127.0.0.1, a prefix in the temp dir) to
#      4 instances and to 1 instance of tests/fixtures/apps/hello.js
#      started by deploy up; requests/s for each (median of BENCH_RUNS
#      runs of WRK_SECONDS) and their ratio.
# Prints a Markdown table on stdout (progress on stderr); the raw samples
# go to ${BENCH_OUT:-build/bench}/nginx.json.
#
# Environment: BENCH_RUNS (default 3), RENDER_RUNS (default 200),
# WRK_SECONDS (default 5), WRK_CONNECTIONS (default 64), BENCH_OUT,
# DEPLOY (default ./deploy), NGINX_BIN (default /usr/sbin/nginx),
# BENCH_KEEP=1 (keep the temporary dir). Loopback only; every process it
# starts is stopped at the end, on failure and on Ctrl-C.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

RUNS=${BENCH_RUNS:-3}
RENDER_RUNS=${RENDER_RUNS:-200}
WRK_SECONDS=${WRK_SECONDS:-5}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
GOAL_MS=10


bench_positive RUNS RENDER_RUNS WRK_SECONDS WRK_CONNECTIONS
bench_need node curl jq wrk
[ -x "$NGINX_BIN" ] || die "no nginx at '$NGINX_BIN' (make deps installs it)"

bench_init
WORK=$BENCH_TMP/work
NGX=$BENCH_TMP/nginx
mkdir -p "$WORK" "$NGX" "$OUT_DIR"
export DEPLOY_HOME=$BENCH_TMP/deploy-home NO_COLOR=1
cd "$WORK" || exit 1

# 1. Render time ------------------------------------------------------

# render_eco INSTANCES: one app on 10 hosts of target "prod".
render_eco() {
	local hosts
	hosts=$(seq 1 10 | sed 's/.*/"192.0.2.&"/' | paste -sd,)
	cat >"render-$1.json" <<JSON
{"apps": [{"name": "big", "script": "hello.js", "instances": $1,
  "port": 20000, "nginx": {"server_name": "big.example.com",
  "keepalive": 64, "balance": "least_conn"}}],
 "deploy": {"prod": {"user": "deploy", "host": [$hosts],
  "path": "/srv/big", "repo": "git@example.com:big.git",
  "ref": "origin/main"}}}
JSON
}

# time_render INSTANCES: RENDER_RUNS timed runs into samples render_N.
time_render() {
	local n=$1 i t0 t1 lines
	render_eco "$n"
	lines=$("$DEPLOY" -c "render-$n.json" nginx --target prod |
		grep -c '^	server ')
	[ "$lines" = $((n * 10)) ] ||
		die "render of $n instances gave $lines server lines"
	for ((i = 0; i < 5; i++)); do	# warm the page cache
		"$DEPLOY" -c "render-$n.json" nginx --target prod >/dev/null
	done
	for ((i = 0; i < RENDER_RUNS; i++)); do
		stamp t0
		"$DEPLOY" -c "render-$n.json" nginx --target prod >/dev/null
		stamp t1
		add_sample render "ms_$n" "$(us_to_ms $((t1 - t0)))"
	done
}

say "render: $RENDER_RUNS runs of 1000 instances x 10 hosts, and of 1"
time_render 1000
time_render 1

# 2. wrk through nginx ------------------------------------------------

port=$(free_ports 5) || die "no free ports"
nport=$((port + 4))

# proxy_eco INSTANCES: hello.js behind nginx, applied by deploy up.
proxy_eco() {
	cat >ecosystem.json <<JSON
{"apps": [{"name": "hello", "script": "$HELLO", "instances": $1,
  "port": $port, "nginx": {"listen": "127.0.0.1:$nport",
  "keepalive": 32}}],
 "nginx": {"auto": true, "output": "$NGX/deploy.conf",
  "pid_file": "$NGX/nginx.pid"}}
JSON
}

NGINX_WORKERS=auto NGINX_CONNECTIONS=4096 \
	"$BENCH_ROOT/tests/helpers/nginx-main.sh" "$NGX" "$NGX/deploy.conf" \
	>"$NGX/nginx.conf"

NGINX_PID=
# Stop nginx and the apps (a cleanup hook; runs on every exit).
stop_all() {
	[ -n "$NGINX_PID" ] && stop_pid "$NGINX_PID"
	"$DEPLOY" down >/dev/null 2>&1
}
bench_on_exit stop_all

proxy_eco 1
"$DEPLOY" nginx -o "$NGX/deploy.conf" --check >/dev/null ||
	die "deploy nginx --check failed"
"$NGINX_BIN" -p "$NGX/" -e "$NGX/error.log" -c "$NGX/nginx.conf" ||
	die "nginx did not start: $(tail -n 3 "$NGX/error.log")"
for _ in $(seq 1 100); do
	[ -s "$NGX/nginx.pid" ] && break
	sleep 0.02
done
NGINX_PID=$(cat "$NGX/nginx.pid")
track "$NGINX_PID"

# wrk_round INSTANCES: scale to INSTANCES (deploy up rewrites and
# reloads nginx), then RUNS runs of wrk through nginx.
wrk_round() {
	local n=$1 i out rps errors
	proxy_eco "$n"
	"$DEPLOY" up --wait --timeout 60 >"$BENCH_TMP/up.$n" 2>&1 ||
		die "deploy up of $n instances: $(tail -n 3 "$BENCH_TMP/up.$n")"
	track_children "$(cat "$DEPLOY_HOME/daemon.pid")"
	[ "$(grep -c "server 127.0.0.1:" "$NGX/deploy.conf")" = "$n" ] ||
		die "the nginx config does not list $n servers"
	wait_http "$(date +%s%6N)" 20 "$nport" >/dev/null ||
		die "nginx does not answer on $nport"
	wrk -t2 -c"$WRK_CONNECTIONS" -d1s "http://127.0.0.1:$nport/" \
		>"$BENCH_TMP/warmup.$n" 2>&1	# node's JIT, nginx's keepalive
	for ((i = 1; i <= RUNS; i++)); do
		say "wrk: $n instance(s), run $i of $RUNS (${WRK_SECONDS}s)"
		out=$(wrk -t2 -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" \
			"http://127.0.0.1:$nport/" 2>&1)
		rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
		[ -n "$rps" ] || die "wrk gave no result: $out"
		errors=$(awk '/^  Non-2xx/ { n += $NF }
			/^  Socket errors/ { gsub(",", ""); n += $4 + $6 + $8 + $10 }
			END { print n + 0 }' <<<"$out")
		[ "$errors" = 0 ] || say "wrk: $errors errors: $out"
		add_sample wrk "rps_$n" "$rps"
		add_sample wrk "errors_$n" "$errors"
	done
}

wrk_round 4
wrk_round 1

# Results -------------------------------------------------------------
jq -n --argjson render "$(samples_json render)" \
	--argjson wrk "$(samples_json wrk)" \
	--arg cpus "$(nproc)" --arg nginx "$("$NGINX_BIN" -v 2>&1)" \
	--arg wrk_s "$WRK_SECONDS" --arg conns "$WRK_CONNECTIONS" \
	"$JQ_STATS"'
	{cpus: ($cpus | tonumber), nginx: $nginx,
	 wrk: {seconds: ($wrk_s | tonumber),
	       connections: ($conns | tonumber)},
	 samples: {render: $render, wrk: $wrk},
	 stats: {render_1000x10_ms: ($render.ms_1000 | stats),
		 render_1x10_ms: ($render.ms_1 | stats),
		 rps_4: ($wrk.rps_4 | stats), rps_1: ($wrk.rps_1 | stats)}}
	| .stats.ratio_4_to_1 = (.stats.rps_4.median / .stats.rps_1.median)
	' >"$OUT_DIR/nginx.json"

jq -r --arg goal "$GOAL_MS" '
	def f: . * 1000 | round / 1000;
	.stats as $s |
	"| measure | median | min | max | runs |",
	"|---|---|---|---|---|",
	"| deploy nginx --target, 1000 instances x 10 hosts (ms) | \($s.render_1000x10_ms.median | f) | \($s.render_1000x10_ms.min) | \($s.render_1000x10_ms.max) | \($s.render_1000x10_ms.n) |",
	"| the same, 1 instance x 10 hosts (ms) | \($s.render_1x10_ms.median | f) | \($s.render_1x10_ms.min) | \($s.render_1x10_ms.max) | \($s.render_1x10_ms.n) |",
	"| wrk via nginx, 4 instances (req/s) | \($s.rps_4.median | round) | \($s.rps_4.min | round) | \($s.rps_4.max | round) | \($s.rps_4.n) |",
	"| wrk via nginx, 1 instance (req/s) | \($s.rps_1.median | round) | \($s.rps_1.min | round) | \($s.rps_1.max | round) | \($s.rps_1.n) |",
	"",
	"render cost above the floor (difference of the medians): \($s.render_1000x10_ms.median - $s.render_1x10_ms.median | f) ms",
	"render goal < \($goal) ms (whole command): \(if $s.render_1000x10_ms.median < ($goal | tonumber) then "met" else "NOT met" end); 4/1 throughput ratio: \($s.ratio_4_to_1 | f) on \(.cpus) CPUs (\(.nginx); wrk -t2 -c\(.wrk.connections) -d\(.wrk.seconds)s; \(.samples.wrk.errors_4 + .samples.wrk.errors_1 | add) wrk errors)"
	' "$OUT_DIR/nginx.json"

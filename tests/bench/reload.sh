#!/usr/bin/env bash
# tests/bench/reload.sh: failed requests during rolling reloads under
# load. deploy and PM2 (installed from npm into a temporary prefix, fork
# mode, increment_var PORT) each run 4 instances of hello.js on the same
# 4 ports behind the same real nginx (a prefix in the temp dir, an
# upstream of the 4 ports with max_fails=0, as `deploy nginx` writes it);
# wrk sends load through nginx while `deploy reload hello` / `pm2 reload
# hello` runs BENCH_RELOADS times (after each: all 4 ports answer, 1 s
# pause). A failed request is a non-2xx answer or a socket error
# (connect, read, write, timeout). Then deploy's listen mode (the
# instances share one socket the daemon bound; no nginx) under the same
# load, and again with every request on a new connection (wrk -H
# "Connection: close"), which tells the errors of keep-alive connections
# that a stopping instance closes from the rest; PM2 has no equivalent.
# Then cluster mode on one port, for both tools from the same ecosystem
# file (exec_mode cluster, 4 instances, env.PORT one port: PM2's
# cluster master shares it; deploy binds it once and its preload
# node-cluster.js hands it to the app's listen(PORT)), the same load on
# that port, no nginx. Also: how long each reload command takes.
# Without wrk, 8 bounded http_load loops (build/helpers) are the load.
# Prints a Markdown table on stdout (progress on stderr); the raw samples
# go to ${BENCH_OUT:-build/bench}/reload.json.
#
# Environment: BENCH_RUNS (default 3), BENCH_RELOADS (default 3),
# WRK_THREADS (2), WRK_CONNECTIONS (32), BENCH_OUT, DEPLOY (default
# ./deploy), NGINX_BIN (default /usr/sbin/nginx), PM2_BIN, PM2_VERSION,
# BENCH_KEEP=1 (keep the temporary dir). Loopback only; every process it
# starts is stopped at the end, on failure and on Ctrl-C.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

RUNS=${BENCH_RUNS:-3}
RELOADS=${BENCH_RELOADS:-3}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-32}
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
HTTP_LOAD=${BUILD:-$BENCH_ROOT/build}/helpers/http_load
NGINX_MAIN=$BENCH_ROOT/tests/helpers/nginx-main.sh
INSTANCES=4
HTTP_LOADS=8		# parallel http_load loops when there is no wrk
LOAD_LIMIT=300		# seconds: the load stops by itself after this


bench_positive RUNS RELOADS WRK_THREADS WRK_CONNECTIONS
bench_need node curl jq timeout
[ -x "$NGINX_BIN" ] || die "no nginx at '$NGINX_BIN' (make deps installs it)"
if command -v wrk >/dev/null; then
	LOADER="wrk -t$WRK_THREADS -c$WRK_CONNECTIONS"
elif [ -x "$HTTP_LOAD" ]; then
	LOADER="$HTTP_LOADS http_load loops (no wrk)"
else
	die "neither wrk nor '$HTTP_LOAD' (make $HTTP_LOAD) is there"
fi

bench_init
WORK=$BENCH_TMP/work
NGX=$BENCH_TMP/nginx
mkdir -p "$WORK" "$NGX"
export DEPLOY_HOME=$BENCH_TMP/deploy-home PM2_HOME=$BENCH_TMP/pm2-home
export NO_COLOR=1
cd "$WORK" || exit 1
: >"$BENCH_RES/rounds.jsonl"
: >"$BENCH_RES/failures"

TOOLS=(deploy)
pm2_install && TOOLS+=(pm2)

base=$(free_ports $((INSTANCES + 3))) || die "no free ports"
NPORT=$((base + INSTANCES))		# nginx
LPORT=$((base + INSTANCES + 1))	# deploy's listen socket
CPORT=$((base + INSTANCES + 2))	# cluster mode, both tools
NGINX_PID=
LOAD_PIDS=()

# Cleanup hook: stop the load, nginx and both tools.
stop_all() {
	local p
	for p in "${LOAD_PIDS[@]}"; do stop_pid "$p"; done
	[ -n "$NGINX_PID" ] && stop_pid "$NGINX_PID"
	tool_stop deploy
	[ -n "${PM2:-}" ] && tool_stop pm2
}
bench_on_exit stop_all

# fail TOOL MESSAGE: report a round that failed; its samples are left
# out, the other rounds go on.
fail() {
	load_stop >/dev/null
	bench_fail "$@"
}

# The nginx in front: config from `deploy nginx` (the same 4 ports serve
# both tools), nginx in the foreground in its own session, tracked.
start_nginx() {
	local i
	hello_eco deploy $INSTANCES "$base" "$WORK/nginx-eco.json" \
		"\"nginx\": {\"listen\": \"127.0.0.1:$NPORT\"}"
	"$DEPLOY" -c "$WORK/nginx-eco.json" nginx -o "$NGX/deploy.conf" \
		>>"$BENCH_TMP/log.nginx" 2>&1 ||
		die "deploy nginx failed: $(tail -n 2 "$BENCH_TMP/log.nginx")"
	grep -q 'max_fails=0' "$NGX/deploy.conf" ||
		say "warning: the upstream has no max_fails=0"
	"$NGINX_MAIN" "$NGX" "$NGX/deploy.conf" >"$NGX/nginx.conf" ||
		die "cannot write the nginx main config"
	# env -u: nginx takes an NGINX variable for inherited sockets.
	setsid env -u NGINX "$NGINX_BIN" -p "$NGX/" -e "$NGX/error.log" \
		-c "$NGX/nginx.conf" -g 'daemon off;' \
		</dev/null >"$NGX/stdout" 2>&1 &
	NGINX_PID=$!
	track "$NGINX_PID"
	for ((i = 0; i < 250; i++)); do
		# 502 until a tool runs: nginx is up when it answers at all.
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 \
			"http://127.0.0.1:$NPORT/")" != 000 ] && return 0
		kill -0 "$NGINX_PID" 2>/dev/null || break
		sleep 0.02
	done
	die "nginx did not start: $(tail -n 3 "$NGX/error.log")"
}

# load_start PORT [HEADER]: start the load on 127.0.0.1:PORT in the
# background, with HEADER on every request if given (http_load always
# sends "Connection: close").
load_start() {
	local i
	local -a extra=()
	[ -n "${2:-}" ] && extra=(-H "$2")
	LOAD_PIDS=()
	rm -f "$BENCH_TMP/load.stop" "$BENCH_TMP"/load.out.*
	if [ "${LOADER%% *}" = wrk ]; then
		wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${LOAD_LIMIT}s" \
			"${extra[@]}" "http://127.0.0.1:$1/" \
			>"$BENCH_TMP/load.out.0" 2>&1 &
		LOAD_PIDS+=($!)
	else
		for ((i = 0; i < HTTP_LOADS; i++)); do
			"$HTTP_LOAD" "$1" "$LOAD_LIMIT" \
				"$BENCH_TMP/load.stop" \
				>"$BENCH_TMP/load.out.$i" 2>&1 &
			LOAD_PIDS+=($!)
		done
	fi
	track "${LOAD_PIDS[@]}"
	stamp LOAD_T0
}

# load_stop: stop the load (wrk on SIGINT prints its summary; http_load
# on its stop file) and print "REQUESTS FAILED NON2XX SOCKET SECONDS".
load_stop() {
	local p t1 i
	[ ${#LOAD_PIDS[@]} -gt 0 ] || return 1
	touch "$BENCH_TMP/load.stop"
	[ "${LOADER%% *}" = wrk ] && kill -INT "${LOAD_PIDS[0]}" 2>/dev/null
	for ((i = 0; i < 500; i++)); do
		for p in "${LOAD_PIDS[@]}"; do
			kill -0 "$p" 2>/dev/null && { sleep 0.02; continue 2; }
		done
		break
	done
	for p in "${LOAD_PIDS[@]}"; do stop_pid "$p"; wait "$p"; done
	stamp t1
	LOAD_PIDS=()
	cat "$BENCH_TMP"/load.out.* | awk -v us=$((t1 - LOAD_T0)) '
		/requests in/ { req += $1 }
		/^  Non-2xx/ { non2xx += $NF }
		/^  Socket errors/ {
			gsub(",", ""); sock += $4 + $6 + $8 + $10 }
		/^ok=/ { split($1, a, "="); split($2, b, "=")
			req += a[2] + b[2]; sock += b[2] }
		END { printf "%d %d %d %d %.3f\n", req, non2xx + sock,
			non2xx, sock, us / 1e6 }'
}

# reload_cmd TOOL: the rolling reload of app hello.
reload_cmd() {
	case $1 in
	deploy) "$DEPLOY" reload hello ;;
	pm2) "$PM2" reload hello ;;
	esac >>"$BENCH_TMP/log.$1" 2>&1
}

# round TOOL MODE RUN: start the 4 instances (MODE nginx: ports behind
# nginx; listen: deploy's shared socket; listen_close: the same with
# "Connection: close" on every request; cluster: exec_mode cluster on
# one port, the same file for both tools), put the load on, reload
# RELOADS times, stop the load and keep its figures.
round() {
	local tool=$1 mode=$2 run=$3 f d t0 a b k res target before after
	local req failed non2xx sock secs hdr=
	local -a ports
	f=$WORK/$tool-$mode-$run.json
	if [ "$mode" = nginx ]; then
		hello_eco "$tool" $INSTANCES "$base" "$f"
		mapfile -t ports < <(port_list "$base" $INSTANCES)
		target=$NPORT
	elif [ "$mode" = cluster ]; then
		f=$WORK/cluster-$run.json
		hello_eco "$tool" $INSTANCES "cluster:$CPORT" "$f"
		ports=("$CPORT")
		target=$CPORT
	else
		hello_eco "$tool" $INSTANCES "listen:127.0.0.1:$LPORT" "$f"
		ports=("$LPORT")
		target=$LPORT
		[ "$mode" = listen_close ] && hdr="Connection: close"
	fi
	stamp t0
	tool_start "$tool" "$f" ||
		{ fail "$tool" "start exited $?"; return 1; }
	d=$(tool_daemon_pid "$tool") ||
		{ fail "$tool" "no daemon after start"; return 1; }
	track "$d"
	track_children "$d"
	wait_http "$t0" 60 "${ports[@]}" "$target" >/dev/null ||
		{ fail "$tool" "no answer ($mode)"; return 1; }
	before=$(proc_children "$d" | sort -n | paste -sd' ')
	# Warm up node's JIT and nginx, outside the measured run.
	if [ "${LOADER%% *}" = wrk ]; then
		wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d1s \
			"http://127.0.0.1:$target/" >/dev/null 2>&1
	fi
	load_start "$target" "$hdr"
	sleep 1
	for ((k = 1; k <= RELOADS; k++)); do
		stamp a
		reload_cmd "$tool" ||
			{ fail "$tool" "reload $k exited $?"; return 1; }
		stamp b
		add_sample "$tool" "reload_ms_$mode" "$(us_to_ms $((b - a)))"
		track_children "$d"
		# The next reload starts from all instances answering.
		wait_http "$b" 30 "${ports[@]}" >/dev/null ||
			{ fail "$tool" "no answer after reload $k"; return 1; }
		sleep 1
	done
	res=$(load_stop) || { fail "$tool" "no load figures"; return 1; }
	read -r req failed non2xx sock secs <<<"$res"
	after=$(proc_children "$d" | sort -n | paste -sd' ')
	[ "$before" != "$after" ] ||
		say "warning: $tool's workers are the same after the reloads"
	add_sample "$tool" "failed_$mode" "$failed"
	add_sample "$tool" "requests_$mode" "$req"
	jq -nc --arg tool "$tool" --arg mode "$mode" --argjson run "$run" \
		--argjson req "$req" --argjson failed "$failed" \
		--argjson non2xx "$non2xx" --argjson sock "$sock" \
		--argjson secs "$secs" --arg before "$before" \
		--arg after "$after" \
		--rawfile out <(cat "$BENCH_TMP"/load.out.*) \
		'{tool: $tool, mode: $mode, run: $run, requests: $req,
		  failed: $failed, non2xx: $non2xx, socket_errors: $sock,
		  load_seconds: $secs, pids_before: $before,
		  pids_after: $after, load_output: $out}' \
		>>"$BENCH_RES/rounds.jsonl"
	say "$tool ($mode): $failed failed of $req requests in ${secs}s"
	tool_stop "$tool"
}

FIGURES="failed_nginx|1|failed requests, $RELOADS reloads under load, via nginx
failed_listen|1|failed requests, $RELOADS reloads under load, listen mode
failed_listen_close|1|the same, listen mode, \"Connection: close\"
requests_nginx|1|requests sent during the reloads, via nginx
requests_listen|1|requests sent during the reloads, listen mode
reload_ms_nginx|1|reload command, $INSTANCES instances, port mode (ms)
reload_ms_listen|1|reload command, $INSTANCES instances, listen mode (ms)
failed_cluster|1|failed requests, $RELOADS reloads under load, cluster mode
requests_cluster|1|requests sent during the reloads, cluster mode
reload_ms_cluster|1|reload command, $INSTANCES instances, cluster mode (ms)"

start_nginx
bench_begin
for ((run = 1; run <= RUNS; run++)); do
	order=("${TOOLS[@]}")
	if ((run % 2 == 0)) && [ ${#TOOLS[@]} = 2 ]; then
		order=(pm2 deploy)
	fi
	for tool in "${order[@]}"; do
		say "run $run/$RUNS: $tool, $RELOADS reloads via nginx" \
			"($LOADER)"
		round "$tool" nginx "$run"
	done
	say "run $run/$RUNS: deploy, $RELOADS reloads in listen mode"
	round deploy listen "$run"
	say "run $run/$RUNS: deploy, listen mode, Connection: close"
	round deploy listen_close "$run"
	for tool in "${order[@]}"; do
		say "run $run/$RUNS: $tool, $RELOADS reloads in cluster" \
			"mode on one port"
		round "$tool" cluster "$run"
	done
done
bench_end

figs=$(figures_json "$FIGURES") || die "cannot summarize the samples"
mkdir -p "$OUT_DIR"
jq -n --argjson figures "$figs" \
	--argjson dr "$(samples_json deploy)" \
	--argjson pr "$(samples_json pm2)" \
	--slurpfile rounds "$BENCH_RES/rounds.jsonl" \
	--rawfile failures "$BENCH_RES/failures" \
	--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	--arg pm2 "${PM2_VERSION_FOUND:-}" --arg pm2_error "$PM2_ERROR" \
	--arg load0 "$LOAD0" --arg load1 "$LOAD1" --arg loader "$LOADER" \
	--arg nginx "$("$NGINX_BIN" -v 2>&1)" --rawfile conf "$NGX/deploy.conf" \
	--argjson runs "$RUNS" --argjson reloads "$RELOADS" '
	{meta: {date: $date, runs: $runs, reloads_per_run: $reloads,
	  instances: 4, app: "tests/fixtures/apps/hello.js",
	  load: $loader, nginx: $nginx,
	  loadavg_1min: {before: ($load0 | tonumber),
		after: ($load1 | tonumber)},
	  pm2: (if $pm2 == "" then null else $pm2 end),
	  pm2_error: (if $pm2_error == "" then null else $pm2_error end),
	  failures: ($failures | split("\n") | map(select(. != ""))),
	  notes: ("Per run and tool: start 4 instances, warm up 1 s, " +
	    "start the load, 1 s, then \($reloads) times: the reload " +
	    "command, wait until every instance port answers, 1 s; stop " +
	    "the load. failed = non-2xx answers + socket errors over " +
	    "the whole load. PM2 runs in fork mode (its reload of a " +
	    "fork-mode app restarts each process); listen mode is " +
	    "deploy only (no nginx: the load goes to the shared socket); " +
	    "listen_close: the same with wrk -H \"Connection: close\", " +
	    "so no keep-alive connection is open when an instance stops " +
	    "(then a failure would be the socket hand-over itself). " +
	    "cluster: both tools from one ecosystem file (exec_mode " +
	    "cluster, 4 instances, env.PORT = one port; PM2 in cluster " +
	    "mode, deploy sharing the port it binds through its " +
	    "node-cluster.js preload), the load on that port, no nginx.")},
	 nginx_conf: $conf, figures: $figures, rounds: $rounds,
	 raw: {deploy: $dr, pm2: $pr}}' >"$OUT_DIR/reload.json" ||
	die "cannot write $OUT_DIR/reload.json"
say "raw results: $OUT_DIR/reload.json"

echo "## deploy vs PM2: rolling reloads under load"
echo
modes="fork mode; cluster mode in the cluster rows"
pm2_desc=${PM2_VERSION_FOUND:+$PM2_VERSION_FOUND ($modes)}
echo "PM2 ${pm2_desc:-not available}, 4 hello.js" \
	"instances, $("$NGINX_BIN" -v 2>&1 | sed 's/.*: //'), $LOADER;" \
	"$RUNS runs; load average $LOAD0 before and $LOAD1 after;" \
	"cells: median (min–max, n samples)."
[ -n "$PM2_ERROR" ] && echo "PM2 could not be installed: $PM2_ERROR"
echo
figures_table <<<"$figs"
if [ -s "$BENCH_RES/failures" ]; then
	echo
	echo "Failed rounds (left out of the figures):"
	sed 's/^/- /' "$BENCH_RES/failures"
	! grep -q '^deploy:' "$BENCH_RES/failures"
	exit $?
fi
exit 0

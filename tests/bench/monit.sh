#!/usr/bin/env bash
# tests/bench/monit.sh: the cost of leaving the dashboard open.
# `deploy monit` against `pm2 monit` (PM2 installed from npm into a
# temporary prefix), each in tmux on the same 100 sleeping instances:
# the monitor's CPU (% of one core) and RSS, and the CPU its daemon spends
# on top of what it spends with no monitor open. Several runs, medians.
# Prints a Markdown table; raw samples go to
# ${BENCH_OUT:-build/bench}/monit.json.
#
# Environment: BENCH_RUNS (default 3), BENCH_SECONDS (per measurement,
# default 20), BENCH_SETTLE (seconds between the start and the idle
# window, default 5), BENCH_INSTANCES (default 100), BENCH_OUT, DEPLOY,
# PM2_BIN, PM2_VERSION, BENCH_KEEP=1.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

RUNS=${BENCH_RUNS:-3}
SECS=${BENCH_SECONDS:-20}
SETTLE=${BENCH_SETTLE:-5}
N=${BENCH_INSTANCES:-100}

bench_need tmux jq ps

bench_init
export DEPLOY_HOME=$BENCH_TMP/deploy-home PM2_HOME=$BENCH_TMP/pm2-home
export NO_COLOR=
TMUX_SOCK=$BENCH_TMP/tmux.sock
TOOLS=(deploy)
pm2_install && TOOLS+=(pm2)
mkdir -p "$BENCH_TMP/work" && cd "$BENCH_TMP/work" || exit 1

# Stop both daemons and the terminal server.
stop_everything() {
	tmux -S "$TMUX_SOCK" kill-server 2>/dev/null
	"$DEPLOY" down >/dev/null 2>&1
	[ -n "${PM2:-}" ] && [ -x "$PM2" ] && "$PM2" kill >/dev/null 2>&1
}
bench_on_exit stop_everything

# The ecosystem file of N sleeping instances for TOOL.
write_eco() {
	jq -n --argjson n "$N" --arg tool "$1" '{apps: [{name: "sleepy",
		script: "sleep", args: "3600", instances: $n,
		min_uptime: 100} + (if $tool == "pm2" then
		{exec_mode: "fork", interpreter: "none"} else {} end)]}' \
		>"eco-$1.json"
}

# The daemon pid of TOOL.
daemon_of() {
	case $1 in
	deploy) cat "$DEPLOY_HOME/daemon.pid" ;;
	pm2) cat "$PM2_HOME/pm2.pid" ;;
	esac
}

# Start TOOL's N instances and wait until all are up.
start_apps() {
	write_eco "$1"
	case $1 in
	deploy) "$DEPLOY" -c eco-deploy.json up --wait --timeout 120 \
		>/dev/null || die "deploy up failed" ;;
	pm2) "$PM2" start eco-pm2.json >/dev/null 2>&1 ||
		die "pm2 start failed"
		for _ in $(seq 1 300); do
			[ "$("$PM2" jlist 2>/dev/null | jq '[.[] |
				select(.pm2_env.status == "online")] | length')" \
				= "$N" ] && break
			sleep 0.1
		done ;;
	esac
	track "$(daemon_of "$1")"
	track_children "$(daemon_of "$1")"
}

# Stop TOOL's apps and daemon.
stop_apps() {
	case $1 in
	deploy) "$DEPLOY" down >/dev/null 2>&1 ;;
	pm2) "$PM2" kill >/dev/null 2>&1 ;;
	esac
}

# pct_over PID...: the CPU each PID uses during SECS seconds, in % of one
# core, rounded to 0.001 (cpu_pct_over in lib.sh: exact from schedstat
# when the threads stay the same, else from clock ticks).
pct_over() {
	cpu_pct_over "$SECS" "$@" | awk '{ printf "%.3f\n", $1 }'
}

# One run for TOOL: daemon alone, then with its monitor in tmux.
run_tool() {
	local tool=$1 d mon cmd idle t
	start_apps "$tool"
	d=$(daemon_of "$tool")
	# The start (and PM2's jlist polls) is not idle time: let it settle.
	sleep "$SETTLE"
	idle=$(pct_over "$d")
	case $tool in
	deploy) cmd="$DEPLOY monit -d 1" ;;
	pm2) cmd="$PM2 monit" ;;
	esac
	tmux -S "$TMUX_SOCK" new-session -d -s "mon-$tool" -x 160 -y 50 \
		"env DEPLOY_HOME=$DEPLOY_HOME PM2_HOME=$PM2_HOME TERM=xterm-256color $cmd"
	mon=$(tmux -S "$TMUX_SOCK" display -p -t "mon-$tool" '#{pane_pid}')
	track "$mon"
	sleep 3		# let it start and settle
	mapfile -t t < <(pct_over "$mon" "$d")
	add_sample "$tool" monitor_cpu_pct "${t[0]}"
	add_sample "$tool" monitor_rss_mib "$(jq -n --argjson k \
		"$(rss_kb "$mon")" '$k / 1024 * 1000 | round / 1000')"
	add_sample "$tool" daemon_idle_cpu_pct "$idle"
	add_sample "$tool" daemon_extra_cpu_pct \
		"$(awk -v a="${t[1]}" -v b="$idle" 'BEGIN { print a - b }')"
	tmux -S "$TMUX_SOCK" kill-session -t "mon-$tool" 2>/dev/null
	stop_apps "$tool"
}

for ((run = 1; run <= RUNS; run++)); do
	for tool in "${TOOLS[@]}"; do
		say "run $run/$RUNS: $tool ($N instances, ${SECS}s windows)"
		run_tool "$tool"
	done
done

# The results as JSON, with medians.
results=$(jq -n --argjson deploy "$(samples_json deploy)" \
	--argjson pm2 "$(samples_json pm2)" --arg n "$N" --arg secs "$SECS" \
	--arg pm2v "${PM2_VERSION_FOUND:-}" --arg pm2err "${PM2_ERROR:-}" \
	"$JQ_STATS"' {instances: ($n | tonumber), window_s: ($secs |
	tonumber), pm2_version: $pm2v, pm2_error: $pm2err,
	samples: {deploy: $deploy, pm2: $pm2},
	stats: {deploy: ($deploy | map_values(stats)),
		pm2: ($pm2 | map_values(stats))}}')
mkdir -p "$OUT_DIR"
echo "$results" >"$OUT_DIR/monit.json"

echo "| figure ($N instances, 1 s refresh) | deploy | PM2 | ratio |"
echo "|---|---|---|---|"
for m in monitor_cpu_pct monitor_rss_mib daemon_extra_cpu_pct \
	daemon_idle_cpu_pct; do
	jq -r --arg m "$m" '.stats as $s |
		def cell($t): if $s[$t][$m] == null then "-" else
			"\($s[$t][$m].median) (\($s[$t][$m].min)-\($s[$t][$m].max))"
			end;
		def ratio: if ($s.pm2[$m].median // 0) == 0 then "-" else
			($s.deploy[$m].median / $s.pm2[$m].median * 1000 | round
			/ 1000) end;
		"| \($m) | \(cell("deploy")) | \(cell("pm2")) | \(ratio) |"' \
		<<<"$results"
done
[ -n "${PM2_ERROR:-}" ] && echo "PM2 could not be installed: $PM2_ERROR"
exit 0

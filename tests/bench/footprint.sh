#!/usr/bin/env bash
# tests/bench/footprint.sh: what each supervisor costs while nothing
# happens. deploy and PM2 (installed from npm into a temporary prefix,
# fork mode, one port per instance) run the same hello.js with 4, 16 and
# 100 instances, one tool and one count at a time, a fresh daemon each:
#   1. daemon memory: PSS and private memory (Private_Clean +
#      Private_Dirty) from smaps_rollup, what the daemon costs the
#      machine, next to RSS (ps -o rss=, shared library pages counted
#      in full) and anonymous memory;
#   2. daemon idle CPU: after all instances answer HTTP and a settle
#      period, the CPU the daemon process uses over a window in which
#      nobody talks to it (no ls, no jlist: deploy samples /proc every
#      10 s then, every 1 s for 10 s after an ls);
#   3. the mean RSS of one worker (PM2 wraps each app in its own
#      container script; deploy execs the app as it is).
# Prints a Markdown table on stdout (progress on stderr); the raw samples
# go to ${BENCH_OUT:-build/bench}/footprint.json.
#
# Environment: BENCH_RUNS (default 3), BENCH_COUNTS (default "4 16 100"),
# FOOTPRINT_SETTLE (seconds, default 5), FOOTPRINT_WINDOW (seconds,
# default 20), BENCH_OUT, DEPLOY (default ./deploy), PM2_BIN, PM2_VERSION,
# BENCH_KEEP=1 (keep the temporary dir). Loopback only; every process it
# starts is stopped at the end, on failure and on Ctrl-C.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

RUNS=${BENCH_RUNS:-3}
COUNTS=${BENCH_COUNTS:-4 16 100}
SETTLE=${FOOTPRINT_SETTLE:-5}
WINDOW=${FOOTPRINT_WINDOW:-20}


bench_positive RUNS SETTLE WINDOW
for n in $COUNTS; do
	case $n in
	*[!0-9]*|0) die "BENCH_COUNTS: '$n' is not a positive number" ;;
	esac
done
bench_need node curl jq ps timeout

bench_init
WORK=$BENCH_TMP/work
mkdir -p "$WORK"
export DEPLOY_HOME=$BENCH_TMP/deploy-home PM2_HOME=$BENCH_TMP/pm2-home
export NO_COLOR=1
cd "$WORK" || exit 1
: >"$BENCH_RES/windows.jsonl"
: >"$BENCH_RES/failures"

TOOLS=(deploy)
pm2_install && TOOLS+=(pm2)

# Cleanup hook: stop both tools, whatever state they are in.
stop_all() {
	tool_stop deploy
	[ -n "${PM2:-}" ] && tool_stop pm2
}
bench_on_exit stop_all

# nprocs: the number of processes on the machine (deploy's /proc sweep
# reads every one of them, so its idle cost depends on this).
nprocs() {
	local p n=0
	for p in /proc/[0-9]*; do n=$((n + 1)); done
	echo "$n"
}

# workers_of PID: the children of PID, sorted, one a line.
workers_of() { proc_children "$1" | sort -n; }

# measure TOOL N RUN: start N instances with a fresh daemon, wait until
# all answer, settle, measure, stop.
measure() {
	local tool=$1 n=$2 run=$3 port f d t0 up w0 w1 cpu procs rss anon
	local pss priv
	local wsum=0 wk v
	port=$(free_ports "$n") || die "no $n free ports"
	f=$WORK/$tool-$n-$run.json
	# 100 node processes starting at once on a few CPUs take longer
	# than the default listen_timeout (3 s) to listen, and deploy up
	# --wait would give up on them (PM2 ignores it without wait_ready).
	hello_eco "$tool" "$n" "$port" "$f" '"listen_timeout": 60000'
	stamp t0
	tool_start "$tool" "$f" ||
		{ bench_fail "$tool" "start of $n instances exited $?"; return 1; }
	d=$(tool_daemon_pid "$tool") ||
		{ bench_fail "$tool" "no daemon after start"; return 1; }
	track "$d"
	track_children "$d"
	# shellcheck disable=SC2046
	up=$(wait_http "$t0" 180 $(port_list "$port" "$n")) ||
		{ bench_fail "$tool" "$n instances do not all answer"; return 1; }
	track_children "$d"
	sleep "$SETTLE"
	w0=$(workers_of "$d")
	procs=$(nprocs)
	cpu=$(cpu_pct_over "$WINDOW" "$d")
	[ "${cpu% *}" != null ] ||
		{ bench_fail "$tool" "the daemon went away"; return 1; }
	w1=$(workers_of "$d")
	rss=$(rss_kb "$d")
	anon=$(smaps_json "$d" | jq '.Anonymous')
	pss=$(smaps_kb "$d" Pss)
	priv=$(smaps_kb "$d" Private_Clean Private_Dirty)
	[ -n "$pss" ] && [ -n "$priv" ] ||
		{ bench_fail "$tool" "no smaps_rollup for the daemon"; return 1; }
	[ "$w0" = "$w1" ] ||
		say "warning: $tool's workers changed during the window"
	[ "$(wc -l <<<"$w1")" = "$n" ] ||
		say "warning: $tool's daemon has $(wc -l <<<"$w1") children"
	for wk in $w1; do
		v=$(rss_kb "$wk")
		wsum=$((wsum + ${v:-0}))
	done
	add_sample "$tool" "rss_kb_$n" "$rss"
	add_sample "$tool" "anon_kb_$n" "$anon"
	add_sample "$tool" "pss_kb_$n" "$pss"
	add_sample "$tool" "private_kb_$n" "$priv"
	add_sample "$tool" "idle_cpu_pct_$n" "${cpu% *}"
	add_sample "$tool" "worker_rss_kb_$n" $((wsum / n))
	add_sample "$tool" "up_ms_$n" "$up"
	jq -nc --arg tool "$tool" --argjson n "$n" --argjson run "$run" \
		--arg cpu "$cpu" --argjson procs "$procs" \
		--argjson rss "$rss" --argjson anon "$anon" \
		--argjson pss "$pss" --argjson priv "$priv" \
		--argjson workers "$(wc -l <<<"$w1")" \
		--argjson same "$([ "$w0" = "$w1" ] && echo true ||
			echo false)" \
		--argjson up "$up" --argjson wsum "$wsum" \
		'{tool: $tool, instances: $n, run: $run,
		  idle_cpu_pct: ($cpu | split(" ")[0] | tonumber),
		  cpu_method: ($cpu | split(" ")[1]),
		  processes_on_machine: $procs, daemon_rss_kb: $rss,
		  daemon_anon_kb: $anon, daemon_pss_kb: $pss,
		  daemon_private_kb: $priv, workers: $workers,
		  workers_unchanged: $same, workers_rss_kb: $wsum,
		  up_ms: $up}' >>"$BENCH_RES/windows.jsonl"
	say "$tool, $n instances: idle CPU ${cpu% *}% (${cpu#* })," \
		"PSS $pss kB, private $priv kB, RSS $rss kB"
	tool_stop "$tool"
}

# FIGURES: key|scale|label, one a line (see figures_json in lib.sh).
FIGURES=$(for n in $COUNTS; do
	echo "pss_kb_$n|1024|daemon PSS, $n instances (MiB)"
done
for n in $COUNTS; do
	echo "private_kb_$n|1024|daemon private memory, $n instances (MiB)"
done
for n in $COUNTS; do
	echo "rss_kb_$n|1024|daemon RSS, $n instances (MiB)"
done
for n in $COUNTS; do
	echo "anon_kb_$n|1024|daemon anonymous memory, $n instances (MiB)"
done
for n in $COUNTS; do
	echo "idle_cpu_pct_$n|1|daemon idle CPU, $n instances (% of a core)"
done
for n in $COUNTS; do
	echo "worker_rss_kb_$n|1024|RSS of one worker, $n instances (MiB)"
done
for n in $COUNTS; do
	echo "up_ms_$n|1|start → $n instances answer HTTP (ms, curl sweep)"
done)

bench_begin
for ((run = 1; run <= RUNS; run++)); do
	order=("${TOOLS[@]}")
	if ((run % 2 == 0)) && [ ${#TOOLS[@]} = 2 ]; then
		order=(pm2 deploy)
	fi
	for n in $COUNTS; do
		for tool in "${order[@]}"; do
			say "run $run/$RUNS: $tool, $n instances" \
				"(settle ${SETTLE}s, window ${WINDOW}s)"
			measure "$tool" "$n" "$run"
		done
	done
done
bench_end

figs=$(figures_json "$FIGURES") || die "cannot summarize the samples"
mkdir -p "$OUT_DIR"
jq -n --argjson figures "$figs" \
	--argjson dr "$(samples_json deploy)" \
	--argjson pr "$(samples_json pm2)" \
	--slurpfile windows "$BENCH_RES/windows.jsonl" \
	--rawfile failures "$BENCH_RES/failures" \
	--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	--arg pm2 "${PM2_VERSION_FOUND:-}" --arg pm2_error "$PM2_ERROR" \
	--arg load0 "$LOAD0" --arg load1 "$LOAD1" \
	--argjson runs "$RUNS" --argjson settle "$SETTLE" \
	--argjson window "$WINDOW" '
	{meta: {date: $date, runs: $runs, settle_s: $settle,
	  window_s: $window, app: "tests/fixtures/apps/hello.js",
	  loadavg_1min: {before: ($load0 | tonumber),
		after: ($load1 | tonumber)},
	  pm2: (if $pm2 == "" then null else $pm2 end),
	  pm2_error: (if $pm2_error == "" then null else $pm2_error end),
	  failures: ($failures | split("\n") | map(select(. != ""))),
	  notes: ("One tool and one instance count at a time, a fresh " +
	    "daemon each. After every instance answered HTTP and " +
	    "\($settle) s more, the daemon pid alone (deploy: " +
	    "daemon.pid, PM2: pm2.pid) is measured over \($window) s " +
	    "in which nothing talks to it: CPU from the sum of its " +
	    "threads schedstat run times (exact) when its threads " +
	    "stayed the same, else from utime+stime ticks; at the end " +
	    "Pss and Private_Clean+Private_Dirty (private) from " +
	    "smaps_rollup, what the daemon costs the machine, RSS from " +
	    "ps -o rss= (shared library pages counted in full) and " +
	    "Anonymous. " +
	    "deploy samples all of /proc every 10 s when nobody lists, " +
	    "so its idle CPU grows with processes_on_machine. up_ms: " +
	    "from the start command to the last port answering a curl " +
	    "sweep over every port (the sweep itself costs CPU).")},
	 figures: $figures, windows: $windows,
	 raw: {deploy: $dr, pm2: $pr}}' >"$OUT_DIR/footprint.json" ||
	die "cannot write $OUT_DIR/footprint.json"
say "raw results: $OUT_DIR/footprint.json"

echo "## deploy vs PM2: footprint at rest"
echo
echo "PM2 ${PM2_VERSION_FOUND:-not available}, hello.js, $RUNS runs," \
	"${WINDOW} s idle windows after ${SETTLE} s; load average $LOAD0" \
	"before and $LOAD1 after; cells: median (min–max, n samples)."
[ -n "$PM2_ERROR" ] && echo "PM2 could not be installed: $PM2_ERROR"
echo
figures_table <<<"$figs"
if [ -s "$BENCH_RES/failures" ]; then
	echo
	echo "Failed measurements (left out of the figures):"
	sed 's/^/- /' "$BENCH_RES/failures"
	! grep -q '^deploy:' "$BENCH_RES/failures"
	exit $?
fi
exit 0

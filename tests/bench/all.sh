#!/usr/bin/env bash
# tests/bench/all.sh: `make bench`. Installs PM2 once (npm, a temporary
# prefix), runs the benchmarks that compare deploy with it on the same
# hello.js app, BENCH_RUNS runs each, and prints ONE Markdown table:
# figure | deploy | PM2 | ratio, cells "median (min–max)". The raw
# results of every benchmark, with the date, the machine and the tool
# versions, are merged into ${BENCH_OUT:-build/bench}/all.json; each
# benchmark's own table (with its notes) is kept as NAME.md beside it.
#   supervisor.sh  ls / jlist latency, start → 4 answering, kill -9 →
#                  replacement (16 and 4 instances);
#   footprint.sh   daemon PSS, private memory, RSS and idle CPU with 4,
#                  16 and 100 instances;
#   reload.sh      failed requests during rolling reloads under wrk, via
#                  nginx for both, deploy's listen mode, and cluster
#                  mode on one port for both;
#   monit.sh       `deploy monit` / `pm2 monit` CPU and RSS in tmux, 100
#                  instances;
#   crash.sh       kill -9 of the daemon under load (failed requests,
#                  time until the workers are listed again, lost and
#                  duplicate workers) and `deploy update` / `pm2 update`
#                  (duration, workers restarted, failed requests);
#   nginx.sh       deploy only: render time of the nginx config.
# remote.sh (SSH deploys to 4 sshd hosts; root, about 2 minutes; PM2
# deploy is not measured) runs only with BENCH_REMOTE=1.
# When PM2 cannot be installed it says so and still measures deploy.
#
# Environment: BENCH_RUNS (default 3), BENCH_OUT, DEPLOY, PM2_BIN (use
# this pm2), PM2_VERSION, FOOTPRINT_WINDOW (idle CPU window, default 10
# s here), BENCH_SECONDS (monit's windows, default 10 s here),
# WRK_SECONDS (nginx.sh's wrk runs, default 2 s here: only its render
# time is in the table), BENCH_REMOTE=1, BENCH_KEEP=1. Exit 1 when a benchmark failed on
# deploy's side (PM2's failures are reported, not fatal).
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
RUNS=${BENCH_RUNS:-3}
NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
SCRIPTS=(supervisor footprint reload monit crash nginx)
[ "${BENCH_REMOTE:-0}" = 1 ] && SCRIPTS+=(remote)


case $RUNS in
''|*[!0-9]*|0) die "BENCH_RUNS must be a positive number, not '$RUNS'" ;;
esac
bench_need jq node curl

# Not NGINX: nginx itself reads that variable (sockets inherited on a
# binary upgrade), and with it set does not daemonize.
export BENCH_RUNS=$RUNS BENCH_OUT=$OUT_DIR DEPLOY
export FOOTPRINT_WINDOW=${FOOTPRINT_WINDOW:-10}
export BENCH_SECONDS=${BENCH_SECONDS:-10}
export WRK_SECONDS=${WRK_SECONDS:-2}

bench_init
mkdir -p "$OUT_DIR" || die "cannot make '$OUT_DIR'"
export PM2_HOME=$BENCH_TMP/pm2-home
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
stamp all_t0

# One install for every benchmark; they take it from PM2_BIN, or the
# reason it failed from PM2_UNAVAILABLE.
if pm2_install; then
	export PM2_BIN=$PM2
	unset PM2_UNAVAILABLE
else
	export PM2_UNAVAILABLE=$PM2_ERROR
	unset PM2_BIN
fi

# Run each benchmark: its table to NAME.md, progress on stderr; remember
# its exit status and duration in $BENCH_RES/scripts.jsonl.
: >"$BENCH_RES/scripts.jsonl"
for s in "${SCRIPTS[@]}"; do
	say "== $s.sh (BENCH_RUNS=$RUNS)"
	rm -f "$OUT_DIR/$s.json" "$OUT_DIR/$s.md"
	stamp t0
	bash "$BENCH_DIR/$s.sh" >"$OUT_DIR/$s.md"
	rc=$?
	stamp t1
	# shellcheck disable=SC2154 # stamp sets them
	say "== $s.sh: exit $rc after $(((t1 - t0) / 1000000)) s"
	jq -nc --arg s "$s" --argjson rc "$rc" \
		--argjson secs $(((t1 - t0) / 1000000)) \
		'{($s): {exit: $rc, seconds: $secs}}' \
		>>"$BENCH_RES/scripts.jsonl"
done
stamp all_t1
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# The figures of the combined table: source|key|scale|label. The samples
# are read raw from each benchmark's JSON (see SAMPLES below) and divided
# by scale; the labels name the units.
FIGURES="footprint|pss_kb_4|1024|daemon PSS, 4 instances (MiB)
footprint|pss_kb_16|1024|daemon PSS, 16 instances (MiB)
footprint|pss_kb_100|1024|daemon PSS, 100 instances (MiB)
footprint|private_kb_4|1024|daemon private memory, 4 instances (MiB)
footprint|private_kb_16|1024|daemon private memory, 16 instances (MiB)
footprint|private_kb_100|1024|daemon private memory, 100 instances (MiB)
footprint|rss_kb_4|1024|daemon RSS, 4 instances (MiB)
footprint|rss_kb_16|1024|daemon RSS, 16 instances (MiB)
footprint|rss_kb_100|1024|daemon RSS, 100 instances (MiB)
footprint|idle_cpu_pct_4|1|daemon idle CPU, 4 instances (% of a core)
footprint|idle_cpu_pct_16|1|daemon idle CPU, 16 instances (% of a core)
footprint|idle_cpu_pct_100|1|daemon idle CPU, 100 instances (% of a core)
footprint|worker_rss_kb_16|1024|RSS of one hello.js worker (MiB)
supervisor|ls_ms|1|\`deploy ls --json\` / \`pm2 jlist\`, 16 instances (ms)
supervisor|up_cold_ms|1|start → 4 instances answer HTTP, no daemon yet (ms)
supervisor|up_warm_ms|1|start → 4 instances answer HTTP, daemon up (ms)
supervisor|exec_ms|1|kill -9 of a worker → replacement exec'd (ms)
supervisor|http_ms|1|kill -9 of a worker → replacement answers HTTP (ms)
reload|failed_nginx|1|failed requests, 3 rolling reloads under wrk, via nginx
reload|failed_listen|1|the same, listen mode (no nginx)
reload|failed_listen_close|1|the same, listen mode, a connection per request
reload|reload_ms_nginx|1|reload command, 4 instances behind nginx (ms)
reload|failed_cluster|1|failed requests, 3 reloads, cluster mode on one port
reload|reload_ms_cluster|1|reload command, cluster mode on one port (ms)
monit|monitor_cpu_pct|1|monitor CPU, 100 instances (% of a core)
monit|monitor_rss_mib|1|monitor RSS, 100 instances (MiB)
monit|daemon_extra_cpu_pct|1|daemon CPU added by the open monitor (% of a core)
crash|kill_failed|1|failed requests, kill -9 of the daemon under load
crash|kill_listed_ms|1|kill -9 of the daemon → next \`ls --json\` / \`jlist\` (ms)
crash|kill_unsupervised|1|workers not supervised again after it (of 2)
crash|kill_dups|1|duplicates after the next \`deploy up\` / \`pm2 start\`
crash|update_ms|1|\`deploy update\` / \`pm2 update\` (ms)
crash|update_restarts|1|workers restarted by the update (of 2)
crash|update_failed|1|failed requests during the update
nginx|render/ms_1000|1|\`deploy nginx\`, 1000 instances × 10 hosts (ms)
remote|full.parallel|1|\`deploy up TARGET\`, 4 hosts in parallel (ms)
remote|full.one|1|\`deploy up TARGET\`, 1 host (ms)"

# jq: samples(src; tool; key): the raw numbers of one figure, or [].
# supervisor, footprint, reload and crash keep them in .raw.TOOL.KEY,
# monit in .samples.TOOL.KEY; nginx (.samples.GROUP.KEY) and remote
# (.samples.KEY) are deploy only.
# shellcheck disable=SC2016 # jq's $variables
SAMPLES='def samples($src; $tool; $key):
	if $src == null then []
	elif $src.raw then $src.raw[$tool][$key]
	elif $src.stats.deploy then $src.samples[$tool][$key]
	elif $tool != "deploy" then []
	elif ($key | contains("/")) then
		($key | split("/")) as $p | $src.samples[$p[0]][$p[1]]
	else $src.samples[$key] end // [];'

# Slurp each benchmark's JSON (an empty array when it wrote none).
slurps=()
for s in supervisor footprint reload monit crash nginx remote; do
	f=$OUT_DIR/$s.json
	[[ " ${SCRIPTS[*]} " == *" $s "* ]] && [ -s "$f" ] ||
		f=/dev/null
	slurps+=(--slurpfile "$s" "$f")
done

mem_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
versions=$(jq -n --arg deploy "$("$DEPLOY" --version | head -n 1)" \
	--arg pm2 "${PM2_VERSION_FOUND:-}" \
	--arg node "$(node --version)" \
	--arg npm "$(npm --version 2>/dev/null)" \
	--arg nginx "$("$NGINX_BIN" -v 2>&1 | sed 's/.*: //')" \
	--arg wrk "$(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2)" \
	--arg tmux "$(tmux -V 2>/dev/null)" \
	--arg hyperfine "$(hyperfine --version 2>/dev/null)" \
	'$ARGS.named | map_values(if . == "" then null else . end)')

# shellcheck disable=SC2154 # stamp sets all_t0 and all_t1
jq -n "${slurps[@]}" --arg figs "$FIGURES" --arg date "$DATE" \
	--argjson runs "$RUNS" --argjson versions "$versions" \
	--slurpfile scripts "$BENCH_RES/scripts.jsonl" \
	--arg nproc "$(nproc)" --arg mem_kb "$mem_kb" \
	--arg kernel "$(uname -sr)" --arg arch "$(uname -m)" \
	--arg cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo |
		head -n 1)" \
	--arg load0 "$LOAD0" --arg load1 "$LOAD1" \
	--argjson secs $(((all_t1 - all_t0) / 1000000)) \
	--arg pm2_error "${PM2_ERROR:-}" \
	--arg footprint_window "$FOOTPRINT_WINDOW" \
	--arg monit_window "$BENCH_SECONDS" \
	"$JQ_STATS $SAMPLES"'
	def loads: split(" ") | map(tonumber)
		| {"1min": .[0], "5min": .[1], "15min": .[2]};
	{supervisor: $supervisor[0], footprint: $footprint[0],
	 reload: $reload[0], monit: $monit[0], crash: $crash[0],
	 nginx: $nginx[0], remote: $remote[0]} as $src
	| {meta: {date: $date, runs: $runs, seconds: $secs,
	    machine: {nproc: ($nproc | tonumber), cpu: $cpu, arch: $arch,
	      memory_kib: ($mem_kb | tonumber), kernel: $kernel,
	      loadavg: {before: ($load0 | loads),
		after: ($load1 | loads)}},
	    versions: $versions,
	    pm2_error: (if $pm2_error == "" then null else $pm2_error end),
	    windows_s: {footprint_idle: ($footprint_window | tonumber),
	      monit: ($monit_window | tonumber)},
	    scripts: ($scripts | add // {})},
	   figures: [$figs | split("\n")[] | split("|")
	     | {source: .[0], key: .[1], scale: (.[2] | tonumber),
		figure: .[3]}
	     | select($src[.source] != null) | . as $f
	     | (samples($src[$f.source]; "deploy"; $f.key)
		| map(. / $f.scale) | stats) as $d
	     | (samples($src[$f.source]; "pm2"; $f.key)
		| map(. / $f.scale) | stats) as $p
	     | select($d != null or $p != null)
	     | {source, key, figure, deploy: $d, pm2: $p,
		ratio: (if $d and $p and $p.median > 0
			then $d.median / $p.median else null end)}],
	   results: $src}' >"$OUT_DIR/all.json" ||
	die "cannot write $OUT_DIR/all.json"
say "raw results: $OUT_DIR/all.json"

# The table: a header line naming the date and the machine, then the
# figures; a figure whose sample count is not one per run names it.
jq -r '.meta as $m
	| "## deploy vs PM2, \($m.date | sub("T"; " ") | sub(":[0-9]+Z$";
	  " UTC"))",
	"",
	"\($m.versions.deploy) vs PM2 " +
	"\($m.versions.pm2 // "(not installed)")" +
	" on \($m.machine.nproc) CPUs (\($m.machine.cpu)), " +
	"\($m.machine.memory_kib / 1048576 * 10 | round / 10) GiB RAM, " +
	"\($m.machine.kernel), node \($m.versions.node); load average " +
	"\($m.machine.loadavg.before["1min"]) before, " +
	"\($m.machine.loadavg.after["1min"]) after; " +
	"\($m.runs) runs (\($m.seconds / 60 | floor) min); " +
	"cells: median (min–max)."' "$OUT_DIR/all.json"
[ -n "${PM2_ERROR:-}" ] &&
	printf '\nPM2 could not be installed (%s): its side is n/a.\n' \
		"$PM2_ERROR"
echo
jq --argjson runs "$RUNS" '.figures | map(. as $f
	| ([.deploy.n // 0, .pm2.n // 0] | max) as $n
	| .figure += (if $n == $runs then "" else " [n=\($n)]" end))' \
	"$OUT_DIR/all.json" | figures_table --brief
echo
jq -r --arg out "$OUT_DIR" '
	[.figures[] | select(.ratio != null and .ratio > 1)
	 | "\(.figure) (×\(.ratio * 100 | round / 100))"] as $w
	| if all(.figures[]; .ratio == null) then
		"No figure to compare with PM2."
	  elif ($w | length) == 0 then
		"deploy is ahead of PM2 (or level) on every figure PM2 has."
	  else "deploy is behind PM2 on: " + ($w | join("; ")) + "." end,
	"n/a under PM2: no equivalent (listen mode: a socket shared by" +
	" the instances; the nginx renderer)" +
	(if .meta.versions.pm2 == null then ", or PM2 not installed"
	 else "" end) + ". Lower is better in every row.",
	"Idle CPU: \(.meta.windows_s.footprint_idle) s windows, nothing" +
	" talking to the daemons; monitor: \(.meta.windows_s.monit) s" +
	" windows. Each benchmark'"'"'s own table and notes:" +
	" \($out)/NAME.md; raw results: \($out)/all.json.",
	(.meta.scripts | to_entries[] | select(.value.exit != 0)
	 | "\(.key).sh exited \(.value.exit): see \($out)/\(.key).md."),
	(if .results.remote == null then "Not in this table: remote" +
	 " deploys (tests/bench/remote.sh, deploy only; BENCH_REMOTE=1" +
	 " adds them)." else empty end)' "$OUT_DIR/all.json"

# Fail when a benchmark failed on deploy's side (they exit 0 when only
# PM2 failed).
jq -e '[.meta.scripts[] | select(.exit != 0)] | length == 0' \
	"$OUT_DIR/all.json" >/dev/null

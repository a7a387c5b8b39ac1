# tests/bench/lib.sh: helpers shared by the benchmarks in tests/bench.
# Source it, then call bench_init. It gives a private $BENCH_TMP, clocks
# that do not fork, /proc helpers, sample files with median and range, and
# a cleanup that runs on exit, Ctrl-C and failure: the hooks the benchmark
# registered, then SIGKILL for every process it tracked that still runs.
# shellcheck shell=bash disable=SC2034 # globals for the benchmarks
set -u
export LC_ALL=C
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_HOOKS=()

# Where the results go and which binary runs, as absolute paths:
# BENCH_OUT (default build/bench) and DEPLOY (default the tree's deploy).
OUT_DIR=${BENCH_OUT:-build/bench}
case $OUT_DIR in /*) ;; *) OUT_DIR=$PWD/$OUT_DIR ;; esac
DEPLOY=${DEPLOY:-$BENCH_ROOT/deploy}
case $DEPLOY in /*) ;; *) DEPLOY=$PWD/$DEPLOY ;; esac

# The app every benchmark runs: a Node hello-world that drains on SIGINT.
HELLO=$BENCH_ROOT/tests/fixtures/apps/hello.js

# Print a progress line on stderr (stdout is for the results).
say() { printf '%s\n' "$*" >&2; }

# Print an error naming the benchmark and exit 1 (the cleanup still runs).
die() { say "$(basename "$0"): $*"; exit 1; }

# bench_positive VAR...: exit with a clear line unless each variable
# named holds a positive whole number.
bench_positive() {
	local v
	for v in "$@"; do
		case ${!v} in
		''|*[!0-9]*|0)
			die "$v must be a positive number, not '${!v}'" ;;
		esac
	done
}

# bench_need TOOL...: exit with a clear line unless every TOOL is
# installed, the deploy binary is built and the demo app is there.
bench_need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null ||
			die "'$t' is needed and not installed"
	done
	[ -x "$DEPLOY" ] || die "no '$DEPLOY': run make first"
	[ -f "$HELLO" ] || die "no '$HELLO'"
}

# Make $BENCH_TMP and $BENCH_RES, and arm the cleanup traps.
bench_init() {
	BENCH_TMP=$(mktemp -d /tmp/deploy-bench.XXXXXX) || exit 1
	BENCH_RES=$BENCH_TMP/res
	BENCH_TRACKED=$BENCH_TMP/tracked
	mkdir -p "$BENCH_RES"
	: >"$BENCH_TRACKED"
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

# Register a function that bench_cleanup calls before the SIGKILL sweep.
bench_on_exit() { BENCH_HOOKS+=("$1"); }

# Run the hooks, kill what is still tracked, remove $BENCH_TMP.
bench_cleanup() {
	local rc=$? h
	trap '' INT TERM HUP
	for h in "${BENCH_HOOKS[@]}"; do "$h"; done
	kill_tracked
	if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $BENCH_TMP"
	else rm -rf "$BENCH_TMP"; fi
	exit "$rc"
}

# stamp VAR: set VAR to the wall clock in microseconds, without forking.
stamp() {
	if [ -n "${EPOCHREALTIME:-}" ]; then
		printf -v "$1" '%s' "${EPOCHREALTIME/./}"
	else
		printf -v "$1" '%s' "$(date +%s%6N)"
	fi
}

# us_to_ms US: print a microsecond count as milliseconds, 3 decimals.
us_to_ms() { printf '%d.%03d\n' $(($1 / 1000)) $(($1 % 1000)); }

# proc_field PID N: print field N (1-based, as in proc(5)) of
# /proc/PID/stat; the fields are counted after the last ')' of (2) comm.
proc_field() {
	local s f
	{ s=$(<"/proc/$1/stat"); } 2>/dev/null || return 1
	s=${s##*) }
	read -ra f <<<"$s"
	printf '%s\n' "${f[$2 - 3]}"
}

# proc_children PID: print the children of PID, one a line (all threads).
proc_children() {
	local t
	if [ -e "/proc/$1/task/$1/children" ]; then
		for t in /proc/"$1"/task/*/children; do
			tr ' ' '\n' <"$t" 2>/dev/null
		done | grep .
	else
		ps -o pid= --ppid "$1" | tr -d ' '
	fi
}

# proc_ids PID...: print "PID STARTTIME" for each PID that runs, where
# STARTTIME is field (22) of its stat: the pair names one process even if
# the pid is reused later.
proc_ids() {
	local p st
	for p in "$@"; do
		st=$(proc_field "$p" 22) && echo "$p $st"
	done
}

# kill_ids: read "PID STARTTIME" lines and SIGKILL each process that is
# still the one named (and its group, if it leads one).
kill_ids() {
	local p st
	while read -r p st; do
		[ "$(proc_field "$p" 22 2>/dev/null)" = "$st" ] || continue
		if [ "$(proc_field "$p" 5)" = "$p" ]; then
			kill -KILL -- "-$p" 2>/dev/null
		fi
		kill -KILL "$p" 2>/dev/null
	done
}

# track PID...: remember these processes for the cleanup's SIGKILL sweep.
track() { proc_ids "$@" >>"$BENCH_TRACKED"; }

# track_children PID: track PID's current children.
track_children() {
	# shellcheck disable=SC2046
	track $(proc_children "$1")
}

# SIGKILL every tracked process that still runs; forget them.
kill_tracked() {
	[ -f "$BENCH_TRACKED" ] || return 0
	kill_ids <"$BENCH_TRACKED"
	: >"$BENCH_TRACKED"
}

# stop_pid PID: SIGTERM, wait up to 5 s, then SIGKILL.
stop_pid() {
	local i
	kill -0 "$1" 2>/dev/null || return 0
	kill -TERM "$1" 2>/dev/null
	for ((i = 0; i < 250; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.02
	done
	kill -KILL "$1" 2>/dev/null
}

# wait_ids_gone SECONDS: read "PID STARTTIME" lines (see proc_ids) and
# wait until none of those processes runs (a zombie counts as gone).
wait_ids_gone() {
	local limit=$1 i p st alive
	local -a ids=()
	mapfile -t ids
	for ((i = 0; i < limit * 50; i++)); do
		alive=0
		for p in "${ids[@]}"; do
			st=${p#* }
			p=${p%% *}
			[ "$(proc_field "$p" 22 2>/dev/null)" = "$st" ] &&
				[ "$(proc_field "$p" 3)" != Z ] && alive=1
		done
		[ $alive = 0 ] && return 0
		sleep 0.02
	done
	return 1
}

# The local ports of every TCP socket, in any state (IPv4 and IPv6).
used_ports() {
	local f local_addr
	for f in /proc/net/tcp /proc/net/tcp6; do
		[ -r "$f" ] || continue
		while read -r _ local_addr _; do
			echo $((16#${local_addr##*:}))
		done < <(tail -n +2 "$f")
	done
}

# free_ports N: print a port P such that P..P+N-1 are free: no socket on
# them, not handed out before (in $BENCH_TMP/ports.used), and below the
# kernel's ephemeral range, where client sockets would take them.
free_ports() {
	local n=$1 p i lo=10000 hi eph_lo eph_hi
	local -A used=()
	read -r eph_lo eph_hi </proc/sys/net/ipv4/ip_local_port_range ||
		{ eph_lo=32768; eph_hi=60999; }
	hi=$((eph_lo - 1))
	if [ $((hi - lo)) -lt $((n * 64)) ]; then
		lo=$((eph_hi + 1)) hi=65535
	fi
	for p in $(used_ports) $(cat "$BENCH_TMP/ports.used" 2>/dev/null)
	do
		used[$p]=1
	done
	for ((p = lo + RANDOM % (hi - lo - n); p + n <= hi; p += n)); do
		for ((i = 0; i < n; i++)); do
			[ -n "${used[$((p + i))]:-}" ] && continue 2
		done
		seq "$p" $((p + n - 1)) >>"$BENCH_TMP/ports.used"
		echo "$p"
		return 0
	done
	return 1
}

# wait_http T0_US LIMIT_S PORT...: poll http://127.0.0.1:PORT/ with curl
# every 10 ms until every PORT answers 2xx; print the ms from T0_US (a
# stamp) to the moment the last one answered. Fails after LIMIT_S.
wait_http() {
	local t0=$1 limit=$2 p now deadline
	shift 2
	local -a left=("$@") next=()
	stamp now
	deadline=$((now + limit * 1000000))
	while :; do
		next=()
		for p in "${left[@]}"; do
			curl -fs -o /dev/null --max-time 1 \
				"http://127.0.0.1:$p/" || next+=("$p")
		done
		stamp now
		left=("${next[@]}")
		[ ${#left[@]} = 0 ] && break
		[ "$now" -gt "$deadline" ] && return 1
		sleep 0.01
	done
	us_to_ms $((now - t0))
}

# add_sample TOOL METRIC VALUE: append VALUE to the samples of METRIC.
add_sample() {
	mkdir -p "$BENCH_RES/$1"
	echo "$3" >>"$BENCH_RES/$1/$2"
}

# samples_json TOOL: print {"METRIC": [numbers...], ...} for TOOL.
samples_json() {
	local f obj='{}'
	for f in "$BENCH_RES/$1"/*; do
		[ -f "$f" ] || continue
		obj=$(jq --arg k "${f##*/}" --rawfile v "$f" \
			'.[$k] = ($v | split("\n") | map(select(length > 0)
			| tonumber))' <<<"$obj")
	done
	echo "$obj"
}

# jq definitions: `stats` turns an array of numbers into {median, min,
# max, n} (null when empty).
# shellcheck disable=SC2016 # jq's $variables
JQ_STATS='def stats: if length == 0 then null else sort as $s
	| ($s | length) as $n
	| {median: (if $n % 2 == 1 then $s[($n - 1) / 2]
		else ($s[$n / 2 - 1] + $s[$n / 2]) / 2 end),
	   min: $s[0], max: $s[-1], n: $n} end;'

# smaps_json PID: /proc/PID/smaps_rollup as {"Rss": kB, ...}.
smaps_json() {
	awk '$3 == "kB" { sub(":", "", $1); printf "%s %s\n", $1, $2 }' \
		"/proc/$1/smaps_rollup" 2>/dev/null |
		jq -R -s 'split("\n") | map(select(length > 0) | split(" ")
		| {(.[0]): (.[1] | tonumber)}) | add // {}'
}

# smaps_kb PID KEY...: the sum of the KEY lines of /proc/PID/smaps_rollup
# in kB (Pss; Private_Clean Private_Dirty), empty when PID is gone.
smaps_kb() {
	local pid=$1
	shift
	awk -v keys=" $* " '$3 == "kB" && index(keys, " " substr($1, 1,
		length($1) - 1) " ") { s += $2; n++ } END { if (n) print s }' \
		"/proc/$pid/smaps_rollup" 2>/dev/null
}

# smaps_top PID: the RSS of PID by mapping, largest first, as
# [{"map": name, "rss_kb": n}, ...] (the top 8).
smaps_top() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { name = ($6 == "") ? "[anon]" : $6 }
	     /^Rss:/ { rss[name] += $2 }
	     END { for (n in rss) printf "%d %s\n", rss[n], n }' \
		"/proc/$1/smaps" 2>/dev/null | sort -rn | head -n 8 |
		jq -R -s 'split("\n") | map(select(length > 0)
		| capture("^(?<kb>[0-9]+) (?<map>.*)$")
		| {map, rss_kb: (.kb | tonumber)})'
}

# pm2_install: install PM2 into $BENCH_TMP/pm2 unless $PM2_BIN names one
# (PM2_VERSION picks the version, default latest). Sets PM2 (the
# executable) and PM2_VERSION_FOUND; on failure sets PM2_ERROR, says why
# and returns 1, so the benchmark can still measure deploy's side.
# PM2_UNAVAILABLE=REASON (set by all.sh when its one install failed)
# skips the install and fails with that reason.
pm2_install() {
	local prefix=$BENCH_TMP/pm2 v=${PM2_VERSION:-latest}
	PM2=${PM2_BIN:-}
	PM2_ERROR=${PM2_UNAVAILABLE:-}
	if [ -n "$PM2_ERROR" ]; then
		PM2=
	elif [ -z "$PM2" ]; then
		say "installing pm2@$v from npm into $prefix"
		if ! command -v npm >/dev/null; then
			PM2_ERROR="npm is not installed"
		elif ! timeout 300 npm install --prefix "$prefix" \
		    "pm2@$v" --no-audit --no-fund >"$BENCH_TMP/npm.log" 2>&1
		then
			PM2_ERROR="npm install pm2@$v failed: $(grep -m1 -i \
				'err' "$BENCH_TMP/npm.log")"
		fi
		PM2=$prefix/node_modules/.bin/pm2
	fi
	if [ -z "$PM2_ERROR" ] && [ ! -x "$PM2" ]; then
		PM2_ERROR="no pm2 executable at '$PM2'"
	fi
	if [ -n "$PM2_ERROR" ]; then
		say "PM2 could not be installed: $PM2_ERROR"
		say "measuring deploy's side only"
		return 1
	fi
	PM2_VERSION_FOUND=$(pm2_version "$PM2")
}

# pm2_version PM2: print the version of the pm2 executable PM2, read
# from its package.json: `pm2 --version` would spawn a God daemon in
# $PM2_HOME, which would make the first "cold" start of a benchmark warm.
pm2_version() {
	local bin pkg
	bin=$(readlink -f "$1") || return 1
	pkg=${bin%/bin/*}/package.json
	if [ -f "$pkg" ]; then
		jq -r '.version // empty' "$pkg"
		return
	fi
	# Not an npm layout: ask it, with a home of its own, and stop the
	# daemon that this starts.
	PM2_HOME=$BENCH_TMP/pm2-version-home "$1" --version 2>/dev/null |
		tail -n 1
	PM2_HOME=$BENCH_TMP/pm2-version-home "$1" kill >/dev/null 2>&1
}

# cpu_ns PID: print "TIDS NS": the thread ids of PID (sorted, joined by
# commas) and the CPU time its threads have run so far in nanoseconds
# (field 1 of /proc/PID/task/*/schedstat). Two readings with the same
# TIDS give an exact difference; threads that exit in between take
# their time with them, so then use cpu_ticks (whole process, 10 ms).
cpu_ns() {
	local t ns sum=0 tids=()
	for t in /proc/"$1"/task/*; do
		read -r ns _ 2>/dev/null <"$t/schedstat" || continue
		sum=$((sum + ns))
		tids+=("${t##*/}")
	done
	[ ${#tids[@]} -gt 0 ] || return 1
	printf '%s %s\n' "$(printf '%s\n' "${tids[@]}" | sort -n |
		paste -sd,)" "$sum"
}

# cpu_pct_over SECONDS PID...: sleep SECONDS and print, one line per PID,
# "PCT METHOD": the CPU that PID used meanwhile in % of one core. METHOD
# is schedstat (exact) when PID had the same threads at both ends, else
# ticks (utime + stime: 1/HZ s resolution, but it keeps the time of
# threads that exited). A PID that is gone prints "null gone".
cpu_pct_over() {
	local secs=$1 i t0 t1 hz
	shift
	local -a ns0=() ns1=() k0=() k1=()
	hz=$(getconf CLK_TCK)
	for i in "$@"; do
		ns0+=("$(cpu_ns "$i")")
		k0+=("$(cpu_ticks "$i" 2>/dev/null)")
	done
	stamp t0
	sleep "$secs"
	for i in "$@"; do
		ns1+=("$(cpu_ns "$i")")
		k1+=("$(cpu_ticks "$i" 2>/dev/null)")
	done
	stamp t1
	for i in "${!ns0[@]}"; do
		if [ -z "${ns0[i]}" ] || [ -z "${ns1[i]}" ] ||
		    [ -z "${k0[i]}" ] || [ -z "${k1[i]}" ]; then
			echo "null gone"
		elif [ "${ns0[i]% *}" = "${ns1[i]% *}" ]; then
			# ns / (us * 1000) * 100
			awk -v ns=$((${ns1[i]#* } - ${ns0[i]#* })) \
				-v us=$((t1 - t0)) 'BEGIN {
				printf "%.4f schedstat\n", ns / us / 10 }'
		else
			# ticks / hz / (us / 1e6) * 100
			awk -v k=$((k1[i] - k0[i])) -v hz="$hz" \
				-v us=$((t1 - t0)) 'BEGIN {
				printf "%.4f ticks\n", k / hz / us * 1e8 }'
		fi
	done
}

# cpu_ticks PID: utime + stime of PID in clock ticks.
cpu_ticks() { echo $(($(proc_field "$1" 14) + $(proc_field "$1" 15))); }

# rss_kb PID: the resident set of PID in kB, as ps shows it.
rss_kb() { ps -o rss= -p "$1" | tr -d ' '; }

# Both tools on the same app --------------------------------------------
# The helpers below need DEPLOY (the binary), PM2 (from pm2_install),
# DEPLOY_HOME, PM2_HOME and HELLO (tests/fixtures/apps/hello.js) set.

# tool_daemon_pid TOOL: print the pid of TOOL's daemon (deploy or pm2)
# if it runs.
tool_daemon_pid() {
	local f p s
	case $1 in
	deploy) f=$DEPLOY_HOME/daemon.pid ;;
	pm2) f=$PM2_HOME/pm2.pid ;;
	esac
	p=$(cat "$f" 2>/dev/null) && [ -n "$p" ] || return 1
	s=$(proc_field "$p" 3 2>/dev/null) && [ "$s" != Z ] || return 1
	echo "$p"
}

# hello_eco TOOL N PORT FILE [DEPLOY_KEYS]: write an ecosystem file of N
# hello.js instances on PORT, PORT+1, ... in the form each tool documents
# (PM2: fork mode, increment_var PORT); DEPLOY_KEYS (JSON members, e.g.
# "nginx": {...}) are added to deploy's app. With PORT "listen:ADDR"
# deploy's instances share one socket on ADDR instead ("listen"). With
# PORT "cluster:P" the file is the same for both tools: PM2's cluster
# mode, every instance with env.PORT = P (one port shared).
hello_eco() {
	local app
	case $1:$3 in
	*:cluster:*) app="\"exec_mode\": \"cluster\",
	  \"env\": {\"PORT\": ${3#cluster:}}" ;;
	deploy:listen:*) app="\"listen\": \"${3#listen:}\"" ;;
	deploy:*) app="\"port\": $3" ;;
	pm2:*) app="\"exec_mode\": \"fork\", \"increment_var\": \"PORT\",
	  \"env\": {\"PORT\": $3}" ;;
	esac
	[ -n "${5:-}" ] && app="$app, $5"
	cat >"$4" <<-JSON
	{"apps": [{"name": "hello", "script": "$HELLO", "instances": $2,
	  $app}]}
	JSON
}

# tool_start TOOL FILE: start the apps of FILE, and the daemon if it is
# not running (`deploy up --wait`, `pm2 start`); output to $BENCH_TMP/log.
tool_start() {
	case $1 in
	deploy) "$DEPLOY" -c "$2" up --wait --timeout 120 ;;
	pm2) "$PM2" start "$2" ;;
	esac >>"$BENCH_TMP/log.$1" 2>&1
}

# tool_stop TOOL: stop TOOL's apps and daemon (`deploy down`, `pm2
# kill`); SIGKILL whatever of them is left after 20 s.
tool_stop() {
	local d ids
	d=$(tool_daemon_pid "$1") || return 0
	# shellcheck disable=SC2046
	ids=$(proc_ids "$d" $(proc_children "$d"))
	case $1 in
	deploy) timeout 30 "$DEPLOY" down ;;
	pm2) timeout 30 "$PM2" kill ;;
	esac >>"$BENCH_TMP/log.$1" 2>&1
	if ! wait_ids_gone 20 <<<"$ids"; then
		say "warning: $1 left processes behind; killing them"
		kill_ids <<<"$ids"
	fi
}

# port_list PORT N: print PORT .. PORT+N-1, one a line.
port_list() { seq "$1" $(($1 + $2 - 1)); }

# figures_json FIGURES: the samples of both tools ($BENCH_RES/deploy,
# $BENCH_RES/pm2) summarized for each line "key|scale|label" of FIGURES
# (values divided by scale) as [{key, figure, deploy: stats, pm2: stats,
# ratio}], stats as JQ_STATS gives them; ratio = deploy / PM2 medians.
figures_json() {
	jq -n --argjson d "$(samples_json deploy)" \
		--argjson p "$(samples_json pm2)" --arg figs "$1" \
		"$JQ_STATS"'
		[$figs | split("\n")[] | select(length > 0) | split("|")
		 | {key: .[0], scale: (.[1] | tonumber), figure: .[2]}
		 | . as $f
		 | (($d[$f.key] // []) | map(. / $f.scale) | stats) as $ds
		 | (($p[$f.key] // []) | map(. / $f.scale) | stats) as $ps
		 | {key, figure, deploy: $ds, pm2: $ps,
		    ratio: (if $ds and $ps and $ps.median > 0
			then $ds.median / $ps.median else null end)}]'
}

# figures_table [--brief]: print the figures JSON on stdin (figures_json)
# as a Markdown table: figure | deploy | PM2 | ratio. Cells are "median
# (min–max, n=N)", or "median (min–max)" with --brief; "n/a" when a
# side has no samples.
figures_table() {
	local brief=0
	[ "${1:-}" = --brief ] && brief=1
	jq -r '.[] | [.figure,
		(.deploy // {} | .median, .min, .max, .n),
		(.pm2 // {} | .median, .min, .max, .n), .ratio]
		| map(if . == null then "" else tostring end) | join("\t")' |
	awk -F'\t' -v brief=$brief '
	function f(v,  a) {
		a = v < 0 ? -v : v
		if (a >= 100) return sprintf("%.0f", v)
		if (a >= 10) return sprintf("%.1f", v)
		if (a >= 1) return sprintf("%.2f", v)
		if (a >= 0.1) return sprintf("%.3f", v)
		if (a == 0) return "0"
		return sprintf("%.2g", v)
	}
	function cell(m, lo, hi, n) {
		if (m == "") return "n/a"
		if (n == 1) return f(m) (brief ? "" : " (n=1)")
		return f(m) " (" f(lo) "–" f(hi) (brief ? "" : ", n=" n) ")"
	}
	BEGIN {
		print "| figure | deploy | PM2 | ratio deploy/PM2 |"
		print "|---|---|---|---|"
	}
	{
		printf "| %s | %s | %s | %s |\n", $1, cell($2, $3, $4, $5),
			cell($6, $7, $8, $9), ($10 == "" ? "n/a" : f($10))
	}'
}

# bench_fail TOOL MESSAGE: report a measurement of TOOL that failed, with
# the first error its workers logged, in $BENCH_RES/failures; stop TOOL.
# Its samples are left out and the other rounds go on. Returns 1.
bench_fail() {
	local home=$DEPLOY_HOME hint
	[ "$1" = pm2 ] && home=$PM2_HOME
	hint=$(grep -h -m1 -E 'Error|error' "$home"/logs/*err* 2>/dev/null |
		head -n 1)
	say "$1: $2${hint:+ ($hint)}"
	echo "$1: $2${hint:+ ($hint)}" >>"$BENCH_RES/failures"
	tool_stop "$1"
	return 1
}

# bench_begin / bench_end: the load average (LOAD0, LOAD1) and wall time
# around the measurements; bench_end says how long they took.
bench_begin() {
	LOAD0=$(cut -d' ' -f1 /proc/loadavg)
	stamp BENCH_T0
}
bench_end() {
	local t1
	stamp t1
	LOAD1=$(cut -d' ' -f1 /proc/loadavg)
	say "measured in $(((t1 - BENCH_T0) / 1000000)) s"
}

# bench_work: make $WORK ($BENCH_TMP/work) and go there; give both tools
# private homes under $BENCH_TMP (DEPLOY_HOME, PM2_HOME), set NO_COLOR
# and start empty $BENCH_RES/failures and $BENCH_RES/rounds.jsonl.
bench_work() {
	WORK=$BENCH_TMP/work
	mkdir -p "$WORK" || die "cannot make '$WORK'"
	export DEPLOY_HOME=$BENCH_TMP/deploy-home
	export PM2_HOME=$BENCH_TMP/pm2-home
	export NO_COLOR=1
	cd "$WORK" || exit 1
	: >"$BENCH_RES/failures"
	: >"$BENCH_RES/rounds.jsonl"
}

# bench_json FIGURES META: print a benchmark's results as {meta,
# figures, rounds, raw}. FIGURES is figures_json's output; meta is the
# JSON object META plus the date, deploy's and PM2's versions (or why
# PM2 is missing), the load average around the measurements (bench_begin,
# bench_end) and the lines of $BENCH_RES/failures; rounds are the lines
# of $BENCH_RES/rounds.jsonl; raw the samples of both tools.
bench_json() {
	jq -n --argjson figures "$1" --argjson meta "$2" \
		--argjson dr "$(samples_json deploy)" \
		--argjson pr "$(samples_json pm2)" \
		--slurpfile rounds "$BENCH_RES/rounds.jsonl" \
		--rawfile failures "$BENCH_RES/failures" \
		--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		--arg deploy "$("$DEPLOY" --version | head -n 1)" \
		--arg pm2 "${PM2_VERSION_FOUND:-}" \
		--arg pm2_error "${PM2_ERROR:-}" \
		--arg load0 "$LOAD0" --arg load1 "$LOAD1" '
		{meta: ({date: $date, deploy: $deploy,
		  pm2: (if $pm2 == "" then null else $pm2 end),
		  pm2_error: (if $pm2_error == "" then null
			else $pm2_error end),
		  loadavg_1min: {before: ($load0 | tonumber),
			after: ($load1 | tonumber)},
		  failures: ($failures | split("\n")
			| map(select(. != "")))} + $meta),
		 figures: $figures, rounds: $rounds,
		 raw: {deploy: $dr, pm2: $pr}}'
}

# bench_order RUN TOOL...: print the TOOLs in the order run RUN measures
# them, one a line: as given on odd runs, reversed on even ones, so that
# neither tool always goes first.
bench_order() {
	local run=$1
	shift
	if ((run % 2 == 0)); then printf '%s\n' "$@" | tac
	else printf '%s\n' "$@"; fi
}

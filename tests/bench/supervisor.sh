#!/usr/bin/env bash
# tests/bench/supervisor.sh: deploy's supervisor side by side with PM2,
# which it installs from npm into a temporary prefix. Same app (hello.js),
# same instance counts, PM2 in fork mode with one port per instance.
#   1. daemon memory with 16 workers (PSS and private memory from
#      smaps_rollup, RSS from ps -o rss=);
#   2. `deploy ls --json` against `pm2 jlist` with those 16 workers;
#   3. kill -9 of one worker to its replacement (fork, exec, listed, HTTP);
#   4. start command to 4 instances answering HTTP (curl every 10 ms).
# Prints a Markdown table on stdout (progress on stderr); the raw samples
# go to ${BENCH_OUT:-build/bench}/supervisor.json.
#
# Environment: BENCH_RUNS (default 5), BENCH_OUT, DEPLOY (the binary,
# default ./deploy), PM2_VERSION (default latest), PM2_BIN (use this pm2
# instead of installing one), BENCH_HYPERFINE=0 (time ls in bash even if
# hyperfine is installed), BENCH_KEEP=1 (keep the temporary dir).
# Every process it starts is stopped at the end, on failure and on Ctrl-C.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

RUNS=${BENCH_RUNS:-5}
LS_CALLS_DEPLOY=30	# ls --json calls timed per run
LS_CALLS_PM2=10		# pm2 jlist calls timed per run (each ~0.3 s)
WORKERS=16
HYPERFINE=${BENCH_HYPERFINE:-1}
command -v hyperfine >/dev/null || HYPERFINE=0
START_INSTANCES=4


case $RUNS in
''|*[!0-9]*|0) die "BENCH_RUNS must be a positive number, not '$RUNS'" ;;
esac
bench_need node curl jq ps timeout

bench_init
WORK=$BENCH_TMP/work
LOG=$BENCH_TMP/log
PROBE=$BENCH_TMP/killprobe.js
mkdir -p "$WORK"
export DEPLOY_HOME=$BENCH_TMP/deploy-home PM2_HOME=$BENCH_TMP/pm2-home
export NO_COLOR=1
cd "$WORK" || exit 1

TOOLS=(deploy)

# Install PM2 (lib.sh); on failure measure deploy's side alone.
install_pm2() {
	pm2_install || return 1
	TOOLS+=(pm2)
}

# write_eco TOOL N PORT FILE: an ecosystem file of N hello.js instances on
# PORT, PORT+1, ... in the form each tool documents for that.
write_eco() {
	case $1 in
	deploy) cat >"$4" <<-JSON ;;
	{"apps": [{"name": "hello", "script": "$HELLO", "instances": $2,
	  "port": $3}]}
	JSON
	pm2) cat >"$4" <<-JSON ;;
	{"apps": [{"name": "hello", "script": "$HELLO", "instances": $2,
	  "exec_mode": "fork", "increment_var": "PORT",
	  "env": {"PORT": $3}}]}
	JSON
	esac
}

# start_apps TOOL FILE [--wait]: start the apps of FILE (and the daemon
# if it is not running): `deploy up` or `pm2 start`.
start_apps() {
	case $1 in
	deploy) "$DEPLOY" -c "$2" up ${3:+"$3"} >>"$LOG.$1" 2>&1 ;;
	pm2) "$PM2" start "$2" >>"$LOG.$1" 2>&1 ;;
	esac
}

# start_idle TOOL: start TOOL's daemon with no apps.
start_idle() {
	case $1 in
	deploy)
		echo '{"apps": []}' >"$WORK/empty.json"
		"$DEPLOY" -c "$WORK/empty.json" up >>"$LOG.$1" 2>&1 ;;
	pm2) "$PM2" ping >>"$LOG.$1" 2>&1 ;;
	esac
	tool_daemon_pid "$1" >/dev/null ||
		{ bench_fail "$1" "the idle daemon did not start"; return 1; }
	track "$(tool_daemon_pid "$1")"
}

# Cleanup hook: stop both tools, whatever state they are in.
stop_all() {
	local t
	for t in deploy pm2; do
		[ "$t" = pm2 ] && [ -z "$PM2" ] && continue
		tool_stop "$t"
	done
}
bench_on_exit stop_all

# list_cmd TOOL: set LIST to TOOL's listing command.
list_cmd() {
	case $1 in
	deploy) LIST=("$DEPLOY" ls --json) ;;
	pm2) LIST=("$PM2" jlist) ;;
	esac
}

# port_range PORT N: print PORT .. PORT+N-1.
port_range() { seq "$1" $(($1 + $2 - 1)); }

# The kill probe (node, so that it can poll /proc every ~50 us without
# forking): SIGKILL one worker and time, from just before kill(2), the
# first moment it saw each event; see FIGURES for what they mean.
write_probe() {
	cat >"$PROBE" <<-'JS'
	'use strict';
	const fs = require('fs');
	const http = require('http');
	const { execFile, execFileSync } = require('child_process');
	const [daemon, victim, port, mode, ...list] = process.argv.slice(2);
	const cell = new Int32Array(new SharedArrayBuffer(4));
	const LIMIT = 20e9;
	const now = () => process.hrtime.bigint();
	const ms = (t) => t === null ? null : Number(t - t0) / 1e6;
	let tasks = [];

	// read: the contents of a /proc file, or null if it is gone.
	function read(path) {
		try { return fs.readFileSync(path, 'latin1'); }
		catch (e) { return null; }
	}
	// children: the set of the daemon's child pids (every thread's).
	function children() {
		const set = new Set();
		for (const t of tasks) {
			const s = read(`/proc/${daemon}/task/${t}/children`);
			if (s) for (const p of s.split(' ')) if (p) set.add(p);
		}
		return set;
	}
	// reapable: true once the victim is a zombie with no thread left
	// (its parent can reap it; the leader alone is Z earlier) or gone.
	function reapable() {
		const s = read(`/proc/${victim}/status`);
		return s === null ||
			(/\nState:\tZ/.test(s) && /\nThreads:\t1\n/.test(s));
	}
	// finish: print the result as one JSON line and exit.
	function finish(res, err) {
		if (err) res.error = err;
		console.log(JSON.stringify(res));
		process.exit(err ? 1 : 0);
	}

	// One listing run before the kill: warms node's child_process up,
	// so that the first poll after the kill costs what the next do.
	const res = { victim: Number(victim), mode };
	if (mode === 'list') {
		const w = now();
		execFileSync(list[0], list.slice(1));
		res.list_call_ms = Number(now() - w) / 1e6;
	}
	tasks = fs.readdirSync(`/proc/${daemon}/task`);
	const base = read(`/proc/${daemon}/cmdline`);
	const before = children();
	let dead = null, forked = null, execd = null, pid = null, n = 0;
	const t0 = now();
	process.kill(Number(victim), 'SIGKILL');
	while (execd === null) {
		if (now() - t0 > LIMIT)
			finish(res, 'no replacement after 20 s');
		if (dead === null && reapable())
			dead = now();
		if (pid === null) {
			if (++n % 256 === 0)
				tasks = fs.readdirSync(`/proc/${daemon}/task`);
			for (const c of children()) {
				if (before.has(c)) continue;
				pid = c;
				forked = now();
				break;
			}
		}
		if (pid !== null) {
			const c = read(`/proc/${pid}/cmdline`);
			if (c === null) { before.add(pid); pid = null; }
			else if (c !== base) { execd = now(); break; }
		}
		Atomics.wait(cell, 0, 0, 0.05);
	}
	Object.assign(res, { pid: Number(pid), dead_ms: ms(dead),
		fork_ms: ms(forked), exec_ms: ms(execd) });
	if (dead !== null)
		res.react_ms = Number(execd - dead) / 1e6;
	if (mode === 'list') pollList(); else pollHttp();

	// pollList: run the listing command until it shows the new pid.
	function pollList() {
		res.listed_polls = (res.listed_polls || 0) + 1;
		execFile(list[0], list.slice(1), { maxBuffer: 1 << 26 },
			(err, out) => {
			if (now() - t0 > LIMIT) finish(res, 'never listed');
			let j = null;
			try { j = JSON.parse(out.slice(out.search(/[[{]/))); }
			catch (e) { j = null; }
			const rows = j === null ? [] :
				Array.isArray(j) ? j : j.instances || [];
			const row = rows.find((r) => String(r.pid) === pid);
			if (!row) return pollList();
			res.listed_ms = ms(now());
			res.listed_status = row.status ||
				(row.pm2_env && row.pm2_env.status);
			finish(res);
		});
	}
	// pollHttp: GET the port every ms until the new pid answers.
	function pollHttp() {
		const again = () => {
			if (now() - t0 > LIMIT) finish(res, 'never answered');
			setTimeout(pollHttp, 1);
		};
		http.get({ host: '127.0.0.1', port: Number(port), path: '/',
			agent: false }, (r) => {
			let body = '';
			r.setEncoding('latin1');
			r.on('data', (d) => { body += d; });
			r.on('end', () => {
				if (body.includes(`(pid ${pid})`)) {
					res.http_ms = ms(now());
					finish(res);
				}
				again();
			});
		}).on('error', again);
	}
	JS
}

# worker_pid PORT: the pid that answers on PORT (hello.js says it).
worker_pid() {
	curl -fs --max-time 2 "http://127.0.0.1:$1/" |
		sed -n 's/.*(pid \([0-9]*\)).*/\1/p'
}

# kill_round TOOL DAEMON PORT MODE: kill -9 the worker on PORT with the
# probe, keep its figures, wait until the replacement answers and has
# outlived min_uptime (1 s in both) so that the next kill is a first crash.
kill_round() {
	local tool=$1 d=$2 port=$3 mode=$4 victim line k v t0
	victim=$(worker_pid "$port")
	if [ -z "$victim" ]; then
		echo "$tool: nobody answers on $port" >>"$BENCH_RES/failures"
		return 1
	fi
	list_cmd "$tool"
	line=$(timeout 60 node "$PROBE" "$d" "$victim" "$port" "$mode" \
		"${LIST[@]}") || {
		say "$tool: kill probe failed: $line"
		echo "$tool: kill probe failed: $line" >>"$BENCH_RES/failures"
	}
	track_children "$d"
	[ -n "$line" ] || return 1
	echo "$line" >>"$BENCH_RES/$tool.kills"
	for k in dead_ms react_ms fork_ms exec_ms listed_ms http_ms; do
		v=$(jq -r ".$k // empty" <<<"$line")
		[ -n "$v" ] && add_sample "$tool" "$k" "$v"
	done
	stamp t0
	wait_http "$t0" 30 "$port" >/dev/null ||
		say "$tool: the replacement on $port does not answer"
	sleep 1.2
}

# ls_latency TOOL N: time N runs of TOOL's listing command (hyperfine if
# installed, else a loop of stamps around each run).
ls_latency() {
	local tool=$1 n=$2 i a b j=$BENCH_TMP/hyperfine.json
	list_cmd "$tool"
	if [ "$HYPERFINE" = 1 ]; then
		hyperfine -N --warmup 3 --runs "$n" --export-json "$j" \
			-- "$(printf '%q ' "${LIST[@]}")" >>"$LOG.hf" 2>&1 ||
			{ say "$tool: hyperfine failed"; return 1; }
		mkdir -p "$BENCH_RES/$tool"
		jq -r '.results[0].times[] * 1000' "$j" \
			>>"$BENCH_RES/$tool/ls_ms"
		return 0
	fi
	for ((i = 0; i < n + 3; i++)); do
		stamp a
		"${LIST[@]}" >/dev/null 2>&1
		stamp b
		((i >= 3)) && add_sample "$tool" ls_ms "$(us_to_ms $((b - a)))"
	done
}

# workers_round TOOL RUN: figures 1-3 with 16 workers.
workers_round() {
	local tool=$1 run=$2 port f d t0 k inst n mode
	port=$(free_ports $WORKERS) || die "no free ports"
	f=$WORK/$tool-$WORKERS-$run.json
	write_eco "$tool" $WORKERS "$port" "$f"
	start_apps "$tool" "$f" --wait || say "$tool: start exited $?"
	d=$(tool_daemon_pid "$tool") ||
		{ bench_fail "$tool" "no daemon after start"; return 1; }
	track "$d"
	track_children "$d"
	stamp t0
	# shellcheck disable=SC2046
	if ! wait_http "$t0" 60 $(port_range "$port" $WORKERS) >/dev/null
	then
		bench_fail "$tool" "the $WORKERS workers do not all answer"
		return 1
	fi
	n=$(proc_children "$d" | wc -l)
	[ "$n" = $WORKERS ] || say "warning: $tool daemon has $n children"
	sleep 1
	add_sample "$tool" rss_kb "$(ps -o rss= -p "$d" | tr -d ' ')"
	smaps_json "$d" >"$BENCH_RES/$tool.smaps.json"
	smaps_top "$d" >"$BENCH_RES/$tool.smaps_top.json"
	add_sample "$tool" anon_kb \
		"$(jq '.Anonymous' "$BENCH_RES/$tool.smaps.json")"
	add_sample "$tool" pss_kb "$(jq '.Pss' "$BENCH_RES/$tool.smaps.json")"
	add_sample "$tool" private_kb "$(jq '.Private_Clean + .Private_Dirty' \
		"$BENCH_RES/$tool.smaps.json")"
	if [ "$tool" = deploy ]; then
		ls_latency "$tool" $LS_CALLS_DEPLOY
	else
		ls_latency "$tool" $LS_CALLS_PM2
	fi
	for k in 0 1; do
		inst=$(((2 * run + k) % WORKERS))
		if [ $k = 0 ]; then mode=list; else mode=http; fi
		kill_round "$tool" "$d" $((port + inst)) $mode
	done
	add_sample "$tool" rss_after_kb "$(ps -o rss= -p "$d" | tr -d ' ')"
	tool_stop "$tool"
}

# start_round TOOL RUN MODE: figure 4; MODE cold (no daemon running) or
# warm (an idle daemon is up). The clock starts just before the command.
start_round() {
	local tool=$1 run=$2 mode=$3 port f t0 ms cpid
	port=$(free_ports $START_INSTANCES) || die "no free ports"
	f=$WORK/$tool-$START_INSTANCES-$run-$mode.json
	write_eco "$tool" $START_INSTANCES "$port" "$f"
	if [ "$mode" = warm ]; then start_idle "$tool" || return 1; fi
	stamp t0
	start_apps "$tool" "$f" &
	cpid=$!
	# shellcheck disable=SC2046
	if ms=$(wait_http "$t0" 30 $(port_range "$port" $START_INSTANCES))
	then
		add_sample "$tool" "up_${mode}_ms" "$ms"
		wait "$cpid"
		tool_stop "$tool"
	else
		wait "$cpid"
		bench_fail "$tool" \
			"$START_INSTANCES did not answer in 30 s ($mode start)"
	fi
}

# FIGURES: key|scale|label, one a line; values are divided by scale.
FIGURES="pss_kb|1024|1. daemon PSS, $WORKERS workers (MiB, smaps_rollup)
private_kb|1024|1. daemon private memory (MiB, smaps_rollup)
rss_kb|1024|1. daemon RSS, $WORKERS workers (MiB, ps -o rss=)
anon_kb|1024|1. daemon anonymous memory (MiB, smaps_rollup)
rss_after_kb|1024|1. daemon RSS after the ls and kill rounds (MiB)
ls_ms|1|2. \`deploy ls --json\` / \`pm2 jlist\`, $WORKERS workers (ms)
dead_ms|1|3. kill -9 → victim reapable (all threads gone) (ms)
react_ms|1|3. victim reapable → replacement exec'd (ms)
fork_ms|1|3. kill -9 → replacement forked (ms)
exec_ms|1|3. kill -9 → replacement exec'd (ms)
listed_ms|1|3. kill -9 → new pid in \`ls --json\` / \`jlist\` (ms)
http_ms|1|3. kill -9 → replacement answers HTTP (ms)
up_cold_ms|1|4. start → $START_INSTANCES answer HTTP, no daemon yet (ms)
up_warm_ms|1|4. start → $START_INSTANCES answer HTTP, idle daemon up (ms)"

# What each figure measures, exactly: "key" line, text lines, blank line.
NOTES=$(cat <<EOF
pss_kb
Pss of /proc/DAEMON/smaps_rollup 1 s after all $WORKERS workers answered
HTTP: the daemon's own pages plus its share of each page it maps with
other processes (shared libraries), what it costs the machine.

private_kb
Private_Clean + Private_Dirty of the same rollup: pages no other process
maps (its heap and stack, and the pages of its binary when no other
process runs it).

rss_kb
ps -o rss= of the daemon process only (deploy: daemon.pid, PM2: pm2.pid)
with $WORKERS hello.js workers, 1 s after all of them answered HTTP.

anon_kb
Anonymous of /proc/DAEMON/smaps_rollup at the same moment: the memory that
is the daemon's own (heap, stack, data written). Unlike private_kb it
leaves out the binary's pages, which count as private when no other
process maps them and as dirty while a fresh build is not yet written
back to disk. The whole rollup is in raw.

rss_after_kb
ps -o rss= of the daemon after the ls timings and the two kill rounds.

ls_ms
Wall time of one \`deploy ls --json\` or \`pm2 jlist\` process with the
$WORKERS workers up (hyperfine -N when installed, else stamps around each
run in bash, which adds the fork of the shell).

kill
A node probe takes t0 just before kill(SIGKILL) of one worker and polls
/proc about every 50 us. dead: the victim's status says Z and Threads 1
(all its threads have exited, so the kernel has told the daemon), or it
is gone; react = exec - dead, the supervisor's own share. fork:
a new pid in /proc/DAEMON/task/*/children. exec: that pid's cmdline is no
longer the daemon's (its execve is done). Then, on one kill per run,
listed: the first of back-to-back \`ls --json\` / \`jlist\` runs (spawned by
the probe, one run before the kill to warm it up) whose output holds the
new pid (list_call_ms: how long the warm-up run took, the resolution of
listed); on the other, http: the first GET (every 1 ms) that the new pid
answers. Each time is the first poll that saw the event.

up_ms
From just before the start command (\`deploy -c FILE up\`, \`pm2 start
FILE\`) to every one of the $START_INSTANCES ports answering a curl GET,
polled every 10 ms. cold: no daemon running; warm: an idle daemon is up
(\`deploy up\` of an empty app list, \`pm2 ping\`).
EOF
)

# Print the figures as JSON objects with median, range and ratio.
summarize() { figures_json "$FIGURES"; }

# Print the Markdown table of the figures JSON on stdin.
print_table() { figures_table; }

# Print whether deploy met its goal of kill -9 to exec in 5 ms, and how
# the time splits between the kernel and the supervisor.
goal_line() {
	jq -r 'map({(.key): .deploy.median}) | add
		| if .exec_ms == null then "goal: no kill -9 figure"
		else "goal kill -9 → exec ≤ 5 ms for deploy: " +
		(if .exec_ms <= 5 then "met" else "missed" end) +
		" (median \(.exec_ms * 1000 | round / 1000) ms). Medians of" +
		" the parts: the victim is reapable after" +
		" \(.dead_ms * 1000 | round / 1000) ms (kernel teardown);" +
		" deploy forks and execs the replacement" +
		" \(.react_ms * 1000 | round / 1000) ms later." end'
}

# Write the JSON report: meta, figures, raw samples and kill records.
write_json() {
	local figs=$1 out=$OUT_DIR/supervisor.json t k
	mkdir -p "$OUT_DIR"
	touch "$BENCH_RES/failures"
	for t in deploy pm2; do
		[ -f "$BENCH_RES/$t.kills" ] || : >"$BENCH_RES/$t.kills"
		for k in smaps smaps_top; do
			[ -s "$BENCH_RES/$t.$k.json" ] ||
				echo null >"$BENCH_RES/$t.$k.json"
		done
	done
	jq -n --argjson figures "$figs" --arg notes "$NOTES" \
		--argjson dr "$(samples_json deploy)" \
		--argjson pr "$(samples_json pm2)" \
		--slurpfile dk "$BENCH_RES/deploy.kills" \
		--slurpfile pk "$BENCH_RES/pm2.kills" \
		--slurpfile ds "$BENCH_RES/deploy.smaps.json" \
		--slurpfile ps "$BENCH_RES/pm2.smaps.json" \
		--slurpfile dt "$BENCH_RES/deploy.smaps_top.json" \
		--slurpfile pt "$BENCH_RES/pm2.smaps_top.json" \
		--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		--arg kernel "$(uname -r)" --arg cpus "$(nproc)" \
		--arg cpu "$(sed -n 's/^model name\t*: //p' /proc/cpuinfo |
			head -n 1)" \
		--arg node "$(node --version)" \
		--arg deploy "$("$DEPLOY" --version | head -n 1)" \
		--arg load0 "$LOAD0" --arg load1 "$LOAD1" \
		--arg pm2 "${PM2_VERSION_FOUND:-}" \
		--arg pm2_error "$PM2_ERROR" \
		--rawfile failures "$BENCH_RES/failures" \
		--arg hyperfine "$([ "$HYPERFINE" = 1 ] &&
			hyperfine --version)" \
		--argjson runs "$RUNS" --argjson workers $WORKERS \
		--argjson start_instances $START_INSTANCES '
		{meta: {date: $date, kernel: $kernel, cpus: ($cpus | tonumber),
		  cpu: $cpu, node: $node, deploy: $deploy,
		  loadavg_1min: {before: ($load0 | tonumber),
			after: ($load1 | tonumber)},
		  pm2: (if $pm2 == "" then null else $pm2 end),
		  pm2_error: (if $pm2_error == "" then null
			else $pm2_error end),
		  ls_timer: (if $hyperfine == "" then "bash stamps"
			else $hyperfine end),
		  failures: ($failures | split("\n") | map(select(. != ""))),
		  runs: $runs, workers: $workers,
		  start_instances: $start_instances,
		  app: "tests/fixtures/apps/hello.js",
		  notes: ($notes | split("\n\n") | map(split("\n")
			| {(.[0]): (.[1:] | join(" "))}) | add)},
		 figures: $figures,
		 raw: {deploy: $dr, pm2: $pr,
		   kills: {deploy: $dk, pm2: $pk},
		   smaps_rollup: {deploy: $ds[0], pm2: $ps[0]},
		   rss_by_mapping: {deploy: $dt[0], pm2: $pt[0]}}}' >"$out" ||
		die "cannot write '$out'"
	say "raw results: $out"
}

install_pm2
write_probe
bench_begin
for ((run = 1; run <= RUNS; run++)); do
	order=("${TOOLS[@]}")
	if ((run % 2 == 0)) && [ ${#TOOLS[@]} = 2 ]; then
		order=(pm2 deploy)
	fi
	say "run $run/$RUNS: ${order[*]}"
	for tool in "${order[@]}"; do
		start_round "$tool" "$run" cold
		start_round "$tool" "$run" warm
		workers_round "$tool" "$run"
	done
done
bench_end

figs=$(summarize) || die "cannot summarize the samples"
write_json "$figs"
echo "## deploy vs PM2: supervisor"
echo
echo "deploy $("$DEPLOY" --version | head -n 1 | sed 's/^deploy //')," \
	"PM2 ${PM2_VERSION_FOUND:-not available}, node $(node --version)," \
	"$(nproc) CPUs, load average $LOAD0 before and $LOAD1 after;" \
	"$RUNS runs; cells: median (min–max, n samples)."
[ -n "$PM2_ERROR" ] && echo "PM2 could not be installed: $PM2_ERROR"
echo
print_table <<<"$figs"
echo
goal_line <<<"$figs"
if [ -s "$BENCH_RES/failures" ]; then
	echo
	echo "Failed rounds (left out of the figures):"
	sed 's/^/- /' "$BENCH_RES/failures"
	# PM2's failures are reported; only deploy's fail the benchmark.
	! grep -q '^deploy:' "$BENCH_RES/failures"
	exit $?
fi

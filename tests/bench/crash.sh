#!/usr/bin/env bash
# tests/bench/crash.sh: the supervisor's own death and its upgrade, under
# load. deploy and PM2 (installed from npm into a temporary prefix, fork
# mode, increment_var PORT) each run 2 instances of hello.js, one port
# each; an http_load loop per port (a new connection per request) runs
# through each event:
#   1. kill -9 of the daemon (deploy's daemon.pid, PM2's God in pm2.pid),
#      then at once the listing command (`deploy ls --json`, `pm2
#      jlist`: each starts a new daemon), until it answers (deploy: with
#      the same pids online); then the start command again (`deploy up`,
#      `pm2 start FILE`) and CRASH_SETTLE seconds in which the app's
#      processes are counted every 100 ms: the old workers that died, the
#      ones still running but not listed (orphans), duplicates.
#   2. `deploy update` run by a copy of the binary (so the exec is real)
#      against `pm2 update`: its duration, the workers it restarted
#      (pids before and after), failed requests from 1 s before to
#      CRASH_SETTLE s after.
# Prints a Markdown table on stdout (progress on stderr); the raw samples
# go to ${BENCH_OUT:-build/bench}/crash.json.
#
# Environment: BENCH_RUNS (default 3), CRASH_SETTLE (default 3 s),
# BENCH_OUT, DEPLOY (default ./deploy), BUILD (where helpers/http_load
# is), PM2_BIN, PM2_VERSION, BENCH_KEEP=1 (keep the temporary dir).
# Loopback only; every process it starts is stopped at the end, on
# failure and on Ctrl-C; deploy's failures (a failed request, a lost or
# duplicated worker) make it exit 1, PM2's are reported.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

RUNS=${BENCH_RUNS:-3}
SETTLE=${CRASH_SETTLE:-3}
HTTP_LOAD=${BUILD:-$BENCH_ROOT/build}/helpers/http_load
INSTANCES=2
LOAD_LIMIT=120		# seconds: the load stops by itself after this
LIST_LIMIT=20		# seconds: give up waiting for the listing after this


bench_positive RUNS SETTLE
bench_need node curl jq timeout
[ -x "$HTTP_LOAD" ] || die "no '$HTTP_LOAD' (make $HTTP_LOAD)"

bench_init
bench_work
LOAD_PIDS=()

TOOLS=(deploy)
pm2_install && TOOLS+=(pm2)
# The binary whose `update` replaces the daemon: another file, so that
# the daemon's /proc/PID/exe shows that the exec happened.
DEPLOY_COPY=$BENCH_TMP/deploy-copy
cp "$DEPLOY" "$DEPLOY_COPY" || die "cannot copy '$DEPLOY'"

# Cleanup hook: stop the load and both tools. A deploy daemon killed by
# a round is started again by `deploy ls` first, so that `deploy down`
# stops the workers it re-adopts.
stop_all() {
	local p
	for p in "${LOAD_PIDS[@]}"; do stop_pid "$p"; done
	if [ -f "$DEPLOY_HOME/run.json" ] && ! tool_daemon_pid deploy \
	    >/dev/null; then
		timeout 30 "$DEPLOY" ls >>"$BENCH_TMP/log.deploy" 2>&1
	fi
	tool_stop deploy
	[ -n "${PM2:-}" ] && tool_stop pm2
}
bench_on_exit stop_all

# app_pids: the running hello.js processes of this benchmark (those with
# its DEPLOY_HOME in their environment, PM2's workers too), sorted.
app_pids() {
	local p
	local -a argv
	for p in /proc/[0-9]*; do
		{ mapfile -d '' argv <"$p/cmdline"; } 2>/dev/null || continue
		[[ " ${argv[*]} " == *"$HELLO"* ]] || continue
		grep -qzx "DEPLOY_HOME=$DEPLOY_HOME" "$p/environ" \
			2>/dev/null || continue
		[ "$(proc_field "${p#/proc/}" 3)" = Z ] && continue
		echo "${p#/proc/}"
	done | sort -n
}

# listing TOOL: run TOOL's listing command (starting its daemon if none
# runs) and print app hello's instances as [{pid, status, restarts}];
# fails when the command fails.
listing() {
	local out
	case $1 in
	deploy)
		out=$("$DEPLOY" ls --json) && jq -c '[.instances[]
			| select(.app == "hello")
			| {pid, status, restarts}]' <<<"$out" ;;
	pm2)
		# The last line: spawning a God daemon prints lines first.
		out=$("$PM2" jlist) && tail -n 1 <<<"$out" | jq -c '[.[]
			| select(.name == "hello")
			| {pid, status: .pm2_env.status,
			   restarts: .pm2_env.restart_time}]' ;;
	esac 2>>"$BENCH_TMP/log.$1"
}

# load_start PORT...: one bounded http_load loop per port, in the
# background, until load_stop.
load_start() {
	local p
	LOAD_PIDS=()
	rm -f "$BENCH_TMP/load.stop" "$BENCH_TMP"/load.out.*
	for p in "$@"; do
		"$HTTP_LOAD" "$p" "$LOAD_LIMIT" "$BENCH_TMP/load.stop" \
			>"$BENCH_TMP/load.out.$p" 2>&1 &
		LOAD_PIDS+=($!)
	done
	track "${LOAD_PIDS[@]}"
}

# load_stop: stop the loops (each checks the stop file before every
# request) and set LOAD_OK and LOAD_FAILED, summed over the ports, and
# LOAD_OUT, what each loop printed ("PORT:ok=N failed=M" lines).
load_stop() {
	local p
	touch "$BENCH_TMP/load.stop"
	for p in "${LOAD_PIDS[@]}"; do wait "$p"; done
	LOAD_PIDS=()
	LOAD_OUT=$(grep -H . "$BENCH_TMP"/load.out.* | sed 's|.*load.out.||')
	read -r LOAD_OK LOAD_FAILED < <(awk -F'[= ]' '/^ok=/ {
		ok += $2; failed += $4 }
		END { printf "%d %d\n", ok, failed }' "$BENCH_TMP"/load.out.*)
}

# fail TOOL MESSAGE...: report a round that failed (its samples are
# left out; the other rounds go on).
fail() {
	[ ${#LOAD_PIDS[@]} -gt 0 ] && load_stop
	bench_fail "$1" "${*:2}"
}

# finding TOOL MESSAGE...: note something the tool did wrong in a round
# whose figures are kept (for deploy, this fails the benchmark).
finding() {
	say "$1: ${*:2}"
	echo "$1: ${*:2}" >>"$BENCH_RES/failures"
}

# up_round TOOL FILE PORT: start FILE's 2 instances on PORT and PORT+1,
# wait until both answer; print the daemon's pid. Tracks what it started.
up_round() {
	local t0 d
	stamp t0
	tool_start "$1" "$2" || { fail "$1" "start exited $?"; return 1; }
	d=$(tool_daemon_pid "$1") ||
		{ fail "$1" "no daemon after start"; return 1; }
	track "$d"
	track_children "$d"
	# shellcheck disable=SC2046
	wait_http "$t0" 60 $(port_list "$3" $INSTANCES) >/dev/null ||
		{ fail "$1" "the instances do not answer"; return 1; }
	echo "$d"
}

# end_round TOOL: stop TOOL; the app's processes must all be gone
# (after `deploy down` or `pm2 kill`) within 10 s. Those left are
# reported for deploy and killed; for PM2 they are the orphans already
# counted.
end_round() {
	local ids
	tool_stop "$1"
	# shellcheck disable=SC2046
	ids=$(proc_ids $(app_pids))
	[ -n "$ids" ] || return 0
	wait_ids_gone 10 <<<"$ids" && return 0
	[ "$1" = deploy ] && finding deploy "$(wc -l <<<"$ids") worker(s)" \
		"still running after \`deploy down\`"
	kill_ids <<<"$ids"
}

# ids_dead IDS: of the "PID STARTTIME" lines IDS, print how
# many name a process that no longer runs (a zombie counts as gone).
ids_dead() {
	local p st n=0
	while read -r p st; do
		[ "$(proc_field "$p" 22 2>/dev/null)" = "$st" ] &&
			[ "$(proc_field "$p" 3)" != Z ] && continue
		n=$((n + 1))
	done <<<"$1"
	echo "$n"
}

# kill_round TOOL RUN: figure 1, see the header.
kill_round() {
	local tool=$1 run=$2 port f d t0 t1 now l old old_ids ok failed
	local tries=0 retries=0 listed_ms unsup dead orphans max=0 n
	local restarts up_rc list_log='' k
	port=$(free_ports $INSTANCES) || die "no free ports"
	f=$WORK/$tool-kill-$run.json
	hello_eco "$tool" $INSTANCES "$port" "$f"
	d=$(up_round "$tool" "$f" "$port") || return 1
	old=$(app_pids | paste -sd' ')
	# shellcheck disable=SC2086
	old_ids=$(proc_ids $old)
	[ "$(wc -w <<<"$old")" = $INSTANCES ] ||
		say "warning: $tool runs [$old] before the kill"
	# shellcheck disable=SC2046
	load_start $(port_list "$port" $INSTANCES)
	sleep 1
	stamp t0
	kill -KILL "$d"
	# The next command, at once, again until it answers (deploy: with
	# every old pid online).
	while :; do
		tries=$((tries + 1))
		if l=$(listing "$tool"); then
			stamp t1
			unsup=$(jq --arg old "$old" '($old | split(" ")
				| map(tonumber)) - [.[] | select(.status
				== "online") | .pid] | length' <<<"$l")
			[ "$tool" = pm2 ] || [ "$unsup" = 0 ] && break
		fi
		list_log+="try $tries: ${l:-failed: $(tail -n 1 \
			"$BENCH_TMP/log.$tool")}"$'\n'
		retries=$((retries + 1))
		stamp now
		if [ $((now - t0)) -gt $((LIST_LIMIT * 1000000)) ]; then
			fail "$tool" "no listing with the old workers" \
				"$LIST_LIMIT s after the kill"
			return 1
		fi
		sleep 0.01
	done
	listed_ms=$(us_to_ms $((t1 - t0)))
	d=$(tool_daemon_pid "$tool") && track "$d" && track_children "$d"
	dead=$(ids_dead "$old_ids")
	orphans=$(app_pids | jq -R -s --argjson l "$l" 'split("\n")
		| map(select(length > 0) | tonumber)
		- [$l[].pid] | length')
	# The start command again: it must not start a second copy.
	tool_start "$tool" "$f"
	up_rc=$?
	[ "$tool" = deploy ] && [ "$up_rc" != 0 ] &&
		finding deploy "\`deploy up\` after the re-adoption exited $up_rc"
	d=$(tool_daemon_pid "$tool") && track_children "$d"
	for ((k = 0; k < SETTLE * 10; k++)); do
		n=$(app_pids | wc -l)
		[ "$n" -gt "$max" ] && max=$n
		sleep 0.1
	done
	d=$(tool_daemon_pid "$tool") && track_children "$d"
	load_stop
	ok=$LOAD_OK failed=$LOAD_FAILED
	l=$(listing "$tool") || l='[]'
	restarts=$(jq 'map(.restarts // 0) | add // 0' <<<"$l")
	add_sample "$tool" kill_failed "$failed"
	add_sample "$tool" kill_requests "$((ok + failed))"
	add_sample "$tool" kill_listed_ms "$listed_ms"
	add_sample "$tool" kill_list_retries "$retries"
	add_sample "$tool" kill_unsupervised "$unsup"
	add_sample "$tool" kill_dead "$dead"
	add_sample "$tool" kill_orphans "$orphans"
	add_sample "$tool" kill_dups $((max > INSTANCES ? max - INSTANCES : 0))
	add_sample "$tool" kill_up_restarts "$restarts"
	if [ "$tool" = deploy ]; then
		[ "$failed" = 0 ] || finding deploy \
			"$failed failed requests around kill -9 of the daemon"
		[ "$retries" = 0 ] || finding deploy "$retries listing" \
			"command(s) failed or showed no old pid before" \
			"the answer: $(tr '\n' ';' <<<"$list_log")"
		[ "$dead$orphans" = 00 ] || finding deploy "$dead old" \
			"worker(s) dead, $orphans orphan(s) after the kill"
		[ "$max" -le $INSTANCES ] || finding deploy "$max" \
			"processes of the app after \`deploy up\`"
	fi
	jq -nc --arg tool "$tool" --argjson run "$run" --arg old "$old" \
		--argjson ok "$ok" --argjson failed "$failed" \
		--argjson listed_ms "$listed_ms" --argjson retries "$retries" \
		--arg list_log "$list_log" --argjson listing "$l" \
		--argjson unsup "$unsup" --argjson dead "$dead" \
		--argjson orphans "$orphans" --argjson max "$max" \
		--argjson up_rc "$up_rc" --arg after "$(app_pids |
		paste -sd' ')" --arg load "$LOAD_OUT" \
		'{event: "kill", tool: $tool, run: $run, old_pids: $old,
		  requests: ($ok + $failed), failed: $failed,
		  listed_ms: $listed_ms, list_retries: $retries,
		  list_log: $list_log, unsupervised: $unsup, dead: $dead,
		  orphans: $orphans, max_processes_after_start: $max,
		  start_exit: $up_rc, listing_after_start: $listing,
		  pids_after_start: $after, load_output: $load}' \
		>>"$BENCH_RES/rounds.jsonl"
	say "$tool (kill -9): listed after $listed_ms ms, $unsup of" \
		"$INSTANCES not supervised, $dead dead, $orphans orphans," \
		"$max processes after the start; $failed failed of" \
		"$((ok + failed)) requests"
	end_round "$tool"
}

# update_round TOOL RUN: figure 2, see the header.
update_round() {
	local tool=$1 run=$2 port f d d2 a b before after ok failed rc
	local restarts exe=
	port=$(free_ports $INSTANCES) || die "no free ports"
	f=$WORK/$tool-update-$run.json
	hello_eco "$tool" $INSTANCES "$port" "$f"
	d=$(up_round "$tool" "$f" "$port") || return 1
	before=$(app_pids | paste -sd' ')
	# shellcheck disable=SC2046
	load_start $(port_list "$port" $INSTANCES)
	sleep 1
	stamp a
	case $tool in
	deploy) timeout 60 "$DEPLOY_COPY" update ;;
	pm2) timeout 60 "$PM2" update ;;
	esac >>"$BENCH_TMP/log.$tool" 2>&1
	rc=$?
	stamp b
	d2=$(tool_daemon_pid "$tool") && track "$d2" && track_children "$d2"
	sleep "$SETTLE"
	d2=$(tool_daemon_pid "$tool") && track_children "$d2"
	load_stop
	ok=$LOAD_OK failed=$LOAD_FAILED
	after=$(app_pids | paste -sd' ')
	# Workers restarted: their pids are gone.
	restarts=$(comm -23 <(tr ' ' '\n' <<<"$before" | sort) \
		<(tr ' ' '\n' <<<"$after" | sort) | grep -c .)
	[ -n "$d2" ] && exe=$(readlink "/proc/$d2/exe")
	if [ "$rc" != 0 ]; then
		fail "$tool" "the update exited $rc"
		return 1
	fi
	add_sample "$tool" update_ms "$(us_to_ms $((b - a)))"
	add_sample "$tool" update_restarts "$restarts"
	add_sample "$tool" update_failed "$failed"
	add_sample "$tool" update_requests "$((ok + failed))"
	if [ "$tool" = deploy ]; then
		[ "$exe" = "$DEPLOY_COPY" ] || finding deploy "after the" \
			"update the daemon runs '$exe', not '$DEPLOY_COPY'"
		[ "$d2" = "$d" ] || finding deploy "the update changed" \
			"the daemon's pid ($d -> ${d2:-none})"
		if [ "$restarts" != 0 ] || [ "$failed" != 0 ]; then
			finding deploy "the update restarted $restarts" \
				"worker(s), $failed failed requests"
		fi
	fi
	jq -nc --arg tool "$tool" --argjson run "$run" \
		--arg before "$before" --arg after "$after" \
		--argjson ok "$ok" --argjson failed "$failed" \
		--argjson ms "$(us_to_ms $((b - a)))" \
		--arg daemon_before "$d" --arg daemon_after "$d2" \
		--arg exe "$exe" --arg load "$LOAD_OUT" \
		'{event: "update", tool: $tool, run: $run, ms: $ms,
		  pids_before: $before, pids_after: $after,
		  requests: ($ok + $failed), failed: $failed,
		  daemon_before: $daemon_before, daemon_after: $daemon_after,
		  daemon_exe_after: $exe, load_output: $load}' \
		>>"$BENCH_RES/rounds.jsonl"
	say "$tool (update): $(us_to_ms $((b - a))) ms, $restarts of" \
		"$INSTANCES workers restarted, $failed failed of" \
		"$((ok + failed)) requests"
	end_round "$tool"
}

FIGURES="kill_failed|1|1. daemon kill -9: failed requests (see notes)
kill_requests|1|1. requests sent in that window
kill_listed_ms|1|1. kill -9 → next \`ls --json\` / \`jlist\` answer (ms)
kill_list_retries|1|1. listing runs that failed or lacked an old pid
kill_unsupervised|1|1. old workers not supervised again (of $INSTANCES)
kill_dead|1|1. old workers that died with the daemon (of $INSTANCES)
kill_orphans|1|1. orphans: app processes running, not listed
kill_dups|1|1. duplicates after \`deploy up\` / \`pm2 start FILE\`
kill_up_restarts|1|1. restarts counted after that start (crash loops)
update_ms|1|2. \`deploy update\` / \`pm2 update\` (ms)
update_restarts|1|2. workers restarted by the update (of $INSTANCES)
update_failed|1|2. failed requests, 1 s before to $SETTLE s after the update
update_requests|1|2. requests sent in that window"

bench_begin
for ((run = 1; run <= RUNS; run++)); do
	for tool in $(bench_order "$run" "${TOOLS[@]}"); do
		say "run $run/$RUNS: $tool, kill -9 of the daemon"
		kill_round "$tool" "$run"
		say "run $run/$RUNS: $tool, update"
		update_round "$tool" "$run"
	done
done
bench_end

NOTES="Both tools run hello.js in fork mode, one port per instance (deploy
\"port\", PM2 increment_var PORT): the fairest set-up for a daemon's
death, since PM2's cluster workers are children of its God daemon.
Load: one http_load loop per port, a new connection per request; a
request fails when refused, reset or not answered 200 within 5 s.
kill: the load runs 1 s, then kill -9 of the daemon and at once the
listing command, repeated until it answers (deploy: until the old pids
show online; PM2 never lists them, its first answer counts), then the
start command again and $SETTLE s in which the app's processes are
counted every 100 ms (duplicates: the most seen at once, above
$INSTANCES); the failed requests cover that whole window. Orphans: app
processes running just after the listing that it does not show.
PM2's fork-mode Node workers exit (status 1) within a second of their
God's death, before any new God runs, so they are lost, not orphaned.
update: \`deploy update\` run by a copy of the binary (its exec is
real: /proc/PID/exe is checked), \`pm2 update\` (dump, kill, new God,
resurrect); restarts: worker pids gone after it."

figs=$(figures_json "$FIGURES") || die "cannot summarize the samples"
mkdir -p "$OUT_DIR"
meta=$(jq -n --argjson runs "$RUNS" --argjson settle "$SETTLE" \
	--argjson instances $INSTANCES --arg notes "$NOTES" \
	'{runs: $runs, instances: $instances, settle_s: $settle,
	  app: "tests/fixtures/apps/hello.js",
	  load: "http_load, one loop per port",
	  notes: ($notes | gsub("\n"; " "))}')
bench_json "$figs" "$meta" >"$OUT_DIR/crash.json" ||
	die "cannot write $OUT_DIR/crash.json"
say "raw results: $OUT_DIR/crash.json"

echo "## deploy vs PM2: the daemon killed, the daemon updated"
echo
pm2_desc=${PM2_VERSION_FOUND:+$PM2_VERSION_FOUND (fork mode)}
echo "PM2 ${pm2_desc:-not available}, $INSTANCES hello.js instances" \
	"on a port each, an http_load loop per port; $RUNS runs; load" \
	"average $LOAD0 before and $LOAD1 after; cells: median (min–max," \
	"n samples)."
[ -n "$PM2_ERROR" ] && echo "PM2 could not be installed: $PM2_ERROR"
echo
figures_table <<<"$figs"
echo
tr '\n' ' ' <<<"$NOTES" | fold -s -w 72 | sed 's/ *$//'
echo
if [ -s "$BENCH_RES/failures" ]; then
	echo
	echo "Failures and findings:"
	sed 's/^/- /' "$BENCH_RES/failures"
	# PM2's failures are reported; only deploy's fail the benchmark.
	! grep -q '^deploy:' "$BENCH_RES/failures"
	exit $?
fi
exit 0

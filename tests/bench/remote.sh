#!/usr/bin/env bash
# tests/bench/remote.sh: `deploy up TARGET` to 1 host, to 4 hosts at once
# and to 4 hosts one after another ("parallel": 1), against real sshd
# hosts on 127.0.0.2-5 (tests/remote/harness.sh: one mount and pid
# namespace each). Each deploy is the full thing: SSH, lock, git fetch on
# the host, release, pre-deploy, switch, post-deploy (`deploy up --wait`
# of a Node app on the host), the health gate, prune. Goal: 4 hosts in
# parallel within 1.3x of one host.
#
# All the "hosts" share this machine's CPUs, so their own work (sshd
# key exchanges, Node starting, the daemons) competes, which real hosts
# would not: a second set of rows runs a light post-deploy (`sleep 1`,
# no health gate) that measures deploy's side of the parallelism.
# Prints a Markdown table on stdout (progress on stderr); the samples go
# to ${BENCH_OUT:-build/bench}/remote.json.
#
# With BENCH_FLEET="1 10 50 100" it measures fleets instead: one deploy
# ("post-deploy": "true", so the hosts' own work is small) to each number
# of hosts, its wall time and the CLI's CPU time and peak RSS
# (/usr/bin/time), the median of BENCH_RUNS.
#
# With HOST_KEY_TYPE=rsa the hosts have only an RSA key, which a libssh2
# before 1.11 cannot check: deploy then reaches them through OpenSSH's
# client (one ssh master per host), and the fleet table adds the peak
# PSS of those ssh processes together, sampled every 0.2 s (their CPU is
# in the CLI's: it reaps them).
#
# Environment: BENCH_RUNS (default 5), BENCH_OUT, DEPLOY (the binary,
# default ./deploy), BENCH_KEEP=1 (keep the temporary dir), BENCH_FLEET,
# HOST_KEY_TYPE. Needs root.
. "$(dirname "$0")/lib.sh"

RUNS=${BENCH_RUNS:-5}

bench_init
TMP=$BENCH_TMP
# What the harness needs from its host script.
track_pid() { track "$1"; }
free_port() { free_ports 1; }
. "$BENCH_ROOT/tests/remote/harness.sh"
remote_init >/dev/null || { say "remote.sh: $(remote_missing)"; exit 1; }
ROOTS=""

# Stop the apps on the hosts, then the hosts.
stop_all() {
	local n last=${FLEET_MAX:-4}
	REMOTE_HOSTS=$(seq -s ' ' 1 "$last") write_eco stop
	(cd "$SRC" && "$DEPLOY" exec production -- deploy down) \
		>/dev/null 2>&1
	for ((n = 1; n <= last; n++)); do host_kill "$n"; done
}
bench_on_exit stop_all

make_repo
version=0
declare -A samples
# deploy_once KEY HOSTS PARALLEL: commit a new app version (so the hosts
# restart it), time one deploy to HOSTS, add the ms to samples[KEY].
deploy_once() {
	local t0 t1
	version=$((version + 1))
	REMOTE_HOSTS=$2 write_eco "$version" "$3"
	commit "v$version"
	sleep 1			# release names have one-second resolution
	stamp t0
	(cd "$SRC" && "$DEPLOY" up production) >"$BENCH_TMP/last.out" 2>&1 ||
		{ cat "$BENCH_TMP/last.out" >&2; die "deploy failed"; }
	stamp t1
	grep -q "reloading with the new config\|started\|sleep 1" \
		"$BENCH_TMP/last.out" || die "the app was not restarted"
	samples[$1]+="$(us_to_ms $((t1 - t0))) "
}


# The pids listed in the children files of every thread of PID.
children_of() {
	local t kids
	for t in /proc/"$1"/task/*/children; do
		kids=()
		# (no newline at the end of the file: read's status is 1)
		read -r -a kids 2>/dev/null <"$t"
		echo "${kids[@]}"
	done
}

# The summed PSS (kB) of the ssh processes that the deploy run under
# /usr/bin/time (pid TIME_PID) has now: its children named ssh. Only
# builtins, so that sampling costs the measured run next to nothing.
ssh_pss_kb() {
	local d p k v comm sum=0
	for d in $(children_of "$1"); do
		for p in $(children_of "$d"); do
			read -r comm 2>/dev/null <"/proc/$p/comm" || continue
			[ "$comm" = ssh ] || continue
			while read -r k v _; do
				[ "$k" = Pss: ] && sum=$((sum + v))
			done 2>/dev/null <"/proc/$p/smaps_rollup"
		done
	done
	echo "$sum"
}

# Sample ssh_pss_kb TIME_PID every 0.2 s while it runs; the peak goes
# to FILE.
ssh_pss_peak() {
	local peak=0 kb
	while kill -0 "$1" 2>/dev/null; do
		kb=$(ssh_pss_kb "$1")
		[ "$kb" -gt "$peak" ] && peak=$kb && echo "$peak" >"$2"
		sleep 0.2	# a sampling period, not a wait for a condition
	done
}

# The median of the numbers on stdin.
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# fleet_rows SIZES: start max(SIZES) hosts, then for each size deploy
# to that many BENCH_RUNS times; print the table.
fleet_rows() {
	local sizes=$1 max=0 n r hosts f wall cpu rss pss tpid
	for n in $sizes; do [ "$n" -gt "$max" ] && max=$n; done
	say "starting $max hosts"
	for ((n = 1; n <= max; n++)); do
		host_start "$n" || die "host $n did not start"
	done
	hosts=$(seq -s ' ' 1 "$max")
	REMOTE_HOSTS=$hosts write_eco 0
	commit v0
	(cd "$SRC" && "$DEPLOY" setup production --accept-new) >/dev/null ||
		die "setup failed"
	export POST_DEPLOY=true
	local pss_col="" pss_sep=""
	if [ "${HOST_KEY_TYPE:-}" = rsa ]; then
		pss_col=" ssh PSS MiB, peak |" pss_sep="---:|"
	fi
	echo "| hosts | wall s | CLI CPU s | CLI CPU ms/host |" \
		"CLI peak RSS MiB |$pss_col"
	echo "|---:|---:|---:|---:|---:|$pss_sep"
	for n in $sizes; do
		f=$BENCH_TMP/fleet.$n
		: >"$f"
		for ((r = 1; r <= RUNS; r++)); do
			version=$((version + 1))
			REMOTE_HOSTS=$(seq -s ' ' 1 "$n") write_eco "$version"
			commit "v$version"
			say "fleet of $n, run $r/$RUNS"
			echo 0 >"$f.pss"
			(cd "$SRC" && exec /usr/bin/time -f '%e %U %S %M' \
				-o "$BENCH_TMP/time" "$DEPLOY" up production \
				--quiet) >"$BENCH_TMP/last.out" 2>&1 &
			tpid=$!
			[ -z "$pss_col" ] || ssh_pss_peak "$tpid" "$f.pss"
			wait "$tpid" || { cat "$BENCH_TMP/last.out" >&2;
					  die "deploy to $n failed"; }
			echo "$(cat "$BENCH_TMP/time") $(cat "$f.pss")" >>"$f"
		done
		wall=$(awk '{print $1}' "$f" | median)
		cpu=$(awk '{printf "%.2f\n", $2 + $3}' "$f" | median)
		rss=$(awk '{printf "%.1f\n", $4 / 1024}' "$f" | median)
		pss=""
		[ -n "$pss_col" ] && pss=" $(awk '{printf "%.1f\n", $5 / 1024}' \
			"$f" | median) |"
		echo "| $n | $wall | $cpu |" \
			"$(awk -v c="$cpu" -v n="$n" \
			'BEGIN {printf "%.1f", c * 1000 / n}') | $rss |$pss"
	done
	unset POST_DEPLOY
	echo
	echo "($(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg))"
}

if [ -n "${BENCH_FLEET:-}" ]; then
	FLEET_MAX=0
	for n in $BENCH_FLEET; do
		[ "$n" -gt "$FLEET_MAX" ] && FLEET_MAX=$n
	done
	fleet_rows "$BENCH_FLEET"
	exit 0
fi

for n in 1 2 3 4; do host_start "$n" || die "host $n did not start"; done
REMOTE_HOSTS="1 2 3 4" write_eco 0
commit v0
(cd "$SRC" && "$DEPLOY" setup production --accept-new) >/dev/null ||
	die "setup failed"
say "warm-up deploy"
deploy_once warmup "1 2 3 4" 0
unset "samples[warmup]"

for ((r = 1; r <= RUNS; r++)); do
	for mode in full light; do
		say "run $r/$RUNS, $mode post-deploy"
		[ $mode = light ] && export POST_DEPLOY="sleep 1"
		deploy_once $mode.one "1" 0
		deploy_once $mode.parallel "1 2 3 4" 0
		deploy_once $mode.serial "1 2 3 4" 1
		unset POST_DEPLOY
	done
done

# The median of the samples of one key.
med() { tr ' ' '\n' <<<"${samples[$1]}" | grep . | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

echo "| deploy up production, median of $RUNS | post-deploy | ms |" \
	"vs 1 host |"
echo "|---|---|---:|---:|"
for mode in full light; do
	one=$(med $mode.one) par=$(med $mode.parallel) ser=$(med $mode.serial)
	label="\`deploy up --wait\` + health"
	[ $mode = light ] && label="\`sleep 1\`"
	echo "| 1 host | $label | $one | 1.00 |"
	echo "| 4 hosts in parallel | $label | $par | $(ratio "$par" "$one") |"
	echo "| 4 hosts, \"parallel\": 1 | $label | $ser |" \
		"$(ratio "$ser" "$one") |"
done
echo
echo "($(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg))"

mkdir -p "$OUT_DIR"
for k in "${!samples[@]}"; do
	printf '%s %s\n' "$k" "${samples[$k]}"
done | jq -Rn --argjson runs "$RUNS" '
	[inputs | split(" ") | select(.[0] != "")
	 | {key: .[0], value: (.[1:] | map(select(. != "") | tonumber))}]
	| {runs: $runs, unit: "ms", samples: from_entries}' \
	>"$OUT_DIR/remote.json"
say "samples: $OUT_DIR/remote.json"

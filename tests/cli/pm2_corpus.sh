#!/usr/bin/env bash
# pm2_corpus.sh: each real PM2 ecosystem file in tests/fixtures/pm2 (see
# the README there) is started by deploy, unchanged, with stub apps that
# record their argv, node flags, cwd and environment; what they record
# must equal what they recorded under PM2 (the file's "expected").
#
# `pm2_corpus.sh --record PM2` runs PM2 (a pm2 executable) instead and
# rewrites the expected files: PM2 is too slow to run in make check.
. "$(dirname "$0")/lib.sh"

CORPUS=$FIXTURES/pm2
MODE=deploy PM2=
if [ "${1:-}" = --record ]; then
	MODE=pm2 PM2=$2
	shift 2
fi
ONLY=" $* "	# fixture names to run; all when none is given
if ! command -v node >/dev/null; then
	skip_all "node is not installed"
fi
export HOME=$TMP/h PM2_HOME=$TMP/pm2home
mkdir -p "$HOME"

# meta DIR KEY: the value of KEY in DIR/meta (first line).
meta() { sed -n "s/^$2=//p" "$CORPUS/$1/meta" | head -n1; }

# setup NAME: copy fixture NAME to $TMP/w/NAME and put the stub apps and
# package.json scripts its meta file lists in place; prints the copy.
setup() {
	local root=$TMP/w/$1 path kind dir script cmd
	mkdir -p "$TMP/w" && cp -r "$CORPUS/$1" "$root"
	rm -f "$root/meta" "$root/expected.json"
	while read -r path kind; do
		mkdir -p "$(dirname "$root/$path")"
		cp "$CORPUS/stub.$kind" "$root/$path"
		chmod +x "$root/$path"
	done < <(sed -n 's/^stub=//p' "$CORPUS/$1/meta")
	while read -r dir script cmd; do
		jq -n --arg s "$script" --arg c "$cmd" \
			'{name: "app", scripts: {($s): $c}}' \
			>"$root/$dir/package.json"
	done < <(sed -n 's/^npm=//p' "$CORPUS/$1/meta")
	echo "$root"
}

# count DIR: the number of records in DIR.
count() { find "$1" -name '*.json' | wc -l; }

# has DIR N: true when DIR has N records or more.
has() { [ "$(count "$1")" -ge "$2" ]; }

# settled DIR: true once DIR has records and no new one came in 1.5 s.
settled() {
	local n
	n=$(count "$1")
	[ "$n" -gt 0 ] || return 1
	sleep 1.5
	[ "$(count "$1")" -eq "$n" ]
}

# start NAME ROOT OUT: start the fixture's file with the tool under test;
# the exit status says whether the tool accepted it. Output goes to
# $TMP/start.log.
start() {
	local file from env rel
	file=$(meta "$1" file) from=$(meta "$1" from) env=$(meta "$1" env)
	[ -n "$from" ] || from=$(dirname "$file")
	rel=$(realpath --relative-to="$2/$from" "$2/$file")
	cd "$2/$from" || return 1
	if [ "$MODE" = pm2 ]; then
		PM2_CORPUS_OUT=$3 "$PM2" start "$rel" ${env:+--env "$env"} \
			>"$TMP/start.log" 2>&1 &&
			! grep -qE '\[PM2\]\[(ERROR|WARN)\].*(not found|No process|Error)' \
				"$TMP/start.log"
	else
		PM2_CORPUS_OUT=$3 "$DEPLOY" -c "$rel" up ${env:+--env "$env"} \
			>"$TMP/start.log" 2>&1
	fi
	local rc=$?
	cd "$ROOT" || return 1
	return $rc
}

# stop: stop every app the tool runs.
stop() {
	if [ "$MODE" = pm2 ]; then
		"$PM2" kill >/dev/null 2>&1
	else
		[ -f "$DEPLOY_HOME/daemon.pid" ] &&
			track_pid "$(cat "$DEPLOY_HOME/daemon.pid")"
		check_daemon_log	# deploy down, and no sanitizer report
	fi
}

# want_count EXPECTED: the number of processes EXPECTED lists.
want_count() { jq '.processes | length' "$1"; }

runs=0 same=0
for dir in "$CORPUS"/*/; do
	name=$(basename "$dir")
	[ -f "$dir/meta" ] || continue
	[ "$ONLY" = "  " ] || [[ $ONLY == *" $name "* ]] || continue
	root=$(setup "$name")
	out=$TMP/out/$name
	mkdir -p "$out"
	export DEPLOY_HOME=$TMP/home-$name
	expected=$CORPUS/$name/expected.json
	file=$root/$(meta "$name" file)
	if [ "$MODE" = pm2 ]; then
		if start "$name" "$root" "$out" && wait_for 20 settled "$out"
		then
			node "$CORPUS/normalize.js" "$root" "$out" "$file" |
				jq --argjson n "$(nproc)" '{cpus: $n} + .' \
				>"$expected"
			echo "recorded $name: $(want_count "$expected") processes"
		else
			jq -n --arg m "$(tail -n3 "$TMP/start.log")" \
				'{pm2_fails: $m}' >"$expected"
			echo "recorded $name: PM2 does not run it"
		fi
		stop
		continue
	fi
	if jq -e 'has("pm2_fails")' "$expected" >/dev/null; then
		start "$name" "$root" "$out"
		rc=$?
		stop
		if [ "$rc" -ne 0 ] && [ "$(count "$out")" -eq 0 ]; then
			ok "$name: refused, as by PM2"
		else
			not_ok "$name: refused, as by PM2" "exit $rc" \
				"$(cat "$TMP/start.log")"
		fi
		continue
	fi
	if grep -q "'max'\|\"max\"" "$root/$(meta "$name" file)" &&
	    [ "$(jq .cpus "$expected")" != "$(nproc)" ]; then
		why="recorded with $(jq .cpus "$expected") CPUs"
		skip_test "$name" "$why, this machine has $(nproc)"
		continue
	fi
	runs=$((runs + 1))
	n=$(want_count "$expected")
	if ! start "$name" "$root" "$out"; then
		stop
		not_ok "$name: starts under deploy" "$(cat "$TMP/start.log")"
		continue
	fi
	wait_for 15 has "$out" "$n"
	got=$(node "$CORPUS/normalize.js" "$root" "$out" "$file" |
		jq --argjson n "$(jq .cpus "$expected")" '{cpus: $n} + .')
	stop
	if [ "$got" = "$(cat "$expected")" ]; then
		same=$((same + 1))
		ok "$name: the same $n processes as PM2"
	else
		not_ok "$name: the same $n processes as PM2" \
			"$(diff <(echo "$got") "$expected" | head -30)"
	fi
done
[ "$MODE" = pm2 ] && exit 0
echo "# corpus: $same of $runs files PM2 runs start the same under deploy"
finish

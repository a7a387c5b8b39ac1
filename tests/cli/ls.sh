#!/usr/bin/env bash
# deploy ls: fits 80 and 40 columns (COLUMNS or a real tmux pane) with
# long and UTF-8 names, whole when piped, cuts that keep UTF-8 valid,
# ls APP, a reason line for errored instances; the JSON keys of ls and
# up checked against the lists in deploy(1).
. "$(dirname "$0")/lib.sh"

export LC_ALL=C.UTF-8		# wc -L counts display cells
long=a-really-long-application-name-for-the-payments-service-v2
utf=日本語のアプリ-café
mkdir -p "$TMP/app" && cd "$TMP/app" || exit 1
port=$(free_port 3)
cat >ecosystem.json <<JSON
{"apps": [
  {"name": "$long", "script": "$HTTP_WORKER", "instances": 2, "port": $port},
  {"name": "$utf", "script": "$HTTP_WORKER", "port": $((port + 2))},
  {"name": "crash", "script": "$HTTP_WORKER", "max_restarts": 1,
   "env": {"EXIT_CODE": "1"}}
]}
JSON
run "$DEPLOY" up "$long" "$utf" --wait --timeout 20 --json
check_rc "the apps are up" 0
up_json=$out
run "$DEPLOY" up crash
crash_errored() { [ "$(count_status crash errored)" = 1 ]; }
check_true "the crashing app ends errored" wait_for 15 crash_errored

# No COLUMNS, not a terminal: whole names, every column.
unset COLUMNS
run "$DEPLOY" ls
check_rc "ls exits 0" 0
check_out "piped, the long name is whole" "^$long +0 +[0-9]+ +online "
check_out "piped, the UTF-8 name is whole" "^$utf +0 +[0-9]+ +online "
check_out "piped, every column is there" \
	'^app +id +pid +status +cpu +mem +restarts +uptime$'
check_out "an errored instance has a reason line" \
	'^  reason: .*exited with code 1'
check_true "one line per instance and the heading, then reason lines" \
	test "$(grep -vc '^  ' <<<"$out")" = 5

# fits WIDTH: no line wider, one line per instance, valid UTF-8.
fits() {
	local w=$1
	out=$(COLUMNS=$w "$DEPLOY" ls)
	[ "$(wc -L <<<"$out")" -le "$w" ] &&
		[ "$(grep -vc '^  ' <<<"$out")" = 5 ] &&
		iconv -f UTF-8 -t UTF-8 <<<"$out" >/dev/null
}
for w in 80 40 30; do
	check_true "COLUMNS=$w: every line fits, valid UTF-8" fits "$w"
done
out=$(COLUMNS=80 "$DEPLOY" ls)
check_out "80 columns: the long name is cut with ~" '^a-really-long[a-z-]*~ '
check_out "80 columns: status and restarts stay" ' status .* restarts'
check_out "80 columns: the UTF-8 name is whole" "^$utf "
out=$(COLUMNS=40 "$DEPLOY" ls)
check_out "40 columns: pid and uptime are dropped first" \
	'^app +id +status +cpu +restarts$|^app +status +restarts$|^app +id +status +restarts$'
check_out "40 columns: the rows still say online" ' online '
out=$(COLUMNS=17 "$DEPLOY" ls)
check_true "17 columns: the UTF-8 name is cut between characters" \
	bash -c "iconv -f UTF-8 -t UTF-8 <<<'$out' >/dev/null &&
		grep -q '^日本語~' <<<'$out'"

# A real terminal 40 columns wide: the size comes from the tty.
command -v tmux >/dev/null || { echo "tmux missing"; exit 1; }
sock=$TMP/tmux.sock
tmux -S "$sock" new-session -d -s ls -x 40 -y 20 "env -i PATH=$PATH \
	HOME=$HOME DEPLOY_HOME=$DEPLOY_HOME LANG=C.UTF-8 NO_COLOR=1 \
	TERM=xterm-256color bash --norc"
track_pid "$(tmux -S "$sock" display -p -t ls '#{pid}')"
track_pid "$(tmux -S "$sock" display -p -t ls '#{pane_pid}')"
tmux -S "$sock" send-keys -t ls "clear; $DEPLOY ls; echo END" Enter
pane() { tmux -S "$sock" capture-pane -p -t ls; }
wait_for 5 bash -c "tmux -S '$sock' capture-pane -p -t ls | grep -q '^END'"
before_end() { pane | awk '/^END/ { exit } /./ { n++ } END { print n }'; }
check_true "in a 40-column pane nothing wraps" test "$(before_end)" = 6
check_true "and the rows are there" \
	bash -c "tmux -S '$sock' capture-pane -p -t ls | grep -q '^a-really.*~ .* online '"
tmux -S "$sock" kill-server 2>/dev/null

# ls APP
run "$DEPLOY" ls crash
check_rc "ls APP exits 0" 0
check_true "ls APP shows that app only" \
	test "$(grep -c '^crash ' <<<"$out")-$(grep -c "^$long" <<<"$out")" = 1-0
run "$DEPLOY" ls --json "$long"
check_true "ls --json APP has that app's instances only" \
	test "$(jq '[.instances[].app] | unique | length' <<<"$out")" = 1
run "$DEPLOY" ls nosuch
check_rc "ls of an unknown app exits 1" 1
check_err "and says so" "^deploy: no app 'nosuch' \(see 'deploy ls'\)$"

# JSON keys against deploy(1)'s lists (.\" json-schema NAME begin/end).
doc_keys() {	# doc_keys SCHEMA all|required
	awk -v s="$1" -v want="$2" '
		$0 ~ "json-schema " s " begin" { on = 1; next }
		$0 ~ "json-schema " s " end" { on = 0 }
		on && prev == ".TP" && /^\.B / {
			key = $2; getline d
			if (want == "all" || d !~ /^\(when/) print key
		}
		{ prev = $1 }' "$ROOT/man/deploy.1" | sort -u
}
keys_within() {	# keys_within JSON_KEYS SCHEMA: every key documented
	[ -z "$(comm -23 <(sort -u <<<"$1") <(doc_keys "$2" all))" ]
}
required_in() {	# required_in JQ_ARRAY_OF_OBJECTS_JSON SCHEMA
	local req
	req=$(doc_keys "$2" required | jq -R . | jq -s .)
	jq -e --argjson req "$req" \
		'all(.[]; . as $o | $req | all(. as $k | $o | has($k)))' \
		<<<"$1" >/dev/null
}
check_true "deploy(1) lists the ls keys" test "$(doc_keys ls.instances all |
	wc -l)" -ge 14
ls_json=$("$DEPLOY" ls --json)
check_true "ls --json: every instance key is documented" keys_within \
	"$(jq -r '[.instances[] | keys[]] | unique[]' <<<"$ls_json")" ls.instances
check_true "ls --json: every instance has the keys documented as always there" \
	required_in "$(jq .instances <<<"$ls_json")" ls.instances
whole_ms() {
	jq -e '[.instances[].uptime_ms | type == "number" and floor == .] |
		all' <<<"$ls_json" >/dev/null
}
check_true "ls --json: durations are whole milliseconds" whole_ms
check_true "up --json: every key is documented" keys_within \
	"$(jq -r '[.apps[] | keys[]] | unique[]' <<<"$up_json")" up.apps
check_true "up --json: every app has them all" \
	required_in "$(jq .apps <<<"$up_json")" up.apps
check_true "up --json and ls --json say app for the name" \
	test "$(jq -r '.apps[0].app' <<<"$up_json")" = "$long"

finish

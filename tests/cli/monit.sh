#!/usr/bin/env bash
# deploy monit in a real terminal (tmux): what it shows, a crash seen
# live, sorting, resizing, and the terminal given back on 'q'.
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null || { echo "tmux missing"; exit 1; }
sock=$TMP/tmux.sock
tm() { tmux -S "$sock" "$@"; }
screen() { tm capture-pane -p -t mon; }

mkdir -p "$TMP/app" && cd "$TMP/app" || exit 1
port=$(free_port 5)
cat >ecosystem.json <<JSON
{"apps": [
  {"name": "web", "script": "$HTTP_WORKER", "instances": 3, "port": $port},
  {"name": "api", "script": "$HTTP_WORKER", "instances": 2,
   "port": $((port + 3))}
]}
JSON
run "$DEPLOY" up --wait --timeout 20
check_rc "five instances up" 0

# A shell in a fixed-size terminal; monit runs inside it.
tm new-session -d -s mon -x 100 -y 30 "env -i PATH=$PATH HOME=$HOME \
	TERM=xterm-256color DEPLOY_HOME=$DEPLOY_HOME NO_COLOR=1 bash --norc"
track_pid "$(tm display -p -t mon '#{pid}')"		# the tmux server
track_pid "$(tm display -p -t mon '#{pane_pid}')"	# the shell
tm send-keys -t mon "stty -a > $TMP/stty.before; clear; echo MARKER-BEFORE" \
	Enter
on_screen() { screen | grep -qE -- "$1"; }
wait_for 5 on_screen MARKER-BEFORE
tm send-keys -t mon "$DEPLOY monit -d 0.5" Enter

check_true "the dashboard comes up" wait_for 10 on_screen 'daemon up'
pids_shown() {
	local s p
	s=$(screen)
	for p in $(jls '.[].pid'); do grep -qw "$p" <<<"$s" || return 1; done
}
check_true "every pid of ls --json is on screen" wait_for 5 pids_shown
check_true "both app names are on screen" \
	bash -c "tmux -S '$sock' capture-pane -p -t mon | grep -q '^- web' &&
		tmux -S '$sock' capture-pane -p -t mon | grep -q '^- api'"
check_true "the header counts 5 online" on_screen 'online 5 '

victim=$(jls '.[] | select(.app == "web" and .instance == 1) | .pid')
[ "${victim:-0}" -gt 1 ] && kill -9 "$victim"
new_pid_shown() {
	local row
	row=$(screen | grep -E '^  web +1 ')
	! grep -qw "$victim" <<<"$row" &&
		grep -qE '^  web +1 +[0-9]+ +online +[0-9.]+ +[0-9.a-z]+ +1 ' \
		<<<"$row"
}
check_true "after kill -9 the new pid and 1 restart show within two refreshes" \
	wait_for 3 new_pid_shown

order() { screen | grep -E '^  web ' | awk '{print $3}' | tr '\n' ' '; }
tm send-keys -t mon 3
sleep_until_sorted() { [ "$(order)" = "$(order | tr ' ' '\n' | grep . |
	sort -n | tr '\n' ' ')" ]; }
check_true "key 3 sorts by pid ascending" wait_for 3 sleep_until_sorted
asc=$(order)
tm send-keys -t mon 3
reversed() { [ "$(order)" != "$asc" ] && [ "$(order)" = "$(tr ' ' '\n' \
	<<<"$asc" | grep . | tac | tr '\n' ' ')" ]; }
check_true "key 3 again reverses the order" wait_for 3 reversed

tm send-keys -t mon j j
check_true "selecting an instance shows its details" \
	wait_for 3 on_screen "^command  $HTTP_WORKER"

# 's' on a running instance asks first; 'y' stops it.
tm send-keys -t mon s
check_true "s asks before stopping" wait_for 3 on_screen 'stop [a-z]+:[0-9]\? \(y/n\)'
tm send-keys -t mon y
sel_stopped() { [ "$(count_status web stopped)" = 1 ] ||
	[ "$(count_status api stopped)" = 1 ]; }
check_true "y stops the selected instance" wait_for 5 sel_stopped
tm send-keys -t mon s
restarted_sel() { [ "$(count_status web stopped)" = 0 ] &&
	[ "$(count_status api stopped)" = 0 ]; }
check_true "s on a stopped instance starts it, no question" \
	wait_for 10 restarted_sel

"$DEPLOY" down >/dev/null
check_true "the screen says when the daemon is gone" \
	wait_for 5 on_screen 'daemon not reachable'
run "$DEPLOY" up --wait --timeout 20
check_true "and shows the apps again once it is back" \
	wait_for 5 on_screen '^- web'

tm resize-window -t mon -x 40 -y 10
small() { [ "$(screen | wc -L)" -le 40 ] && on_screen 'online'; }
check_true "a 40x10 terminal still shows the table" wait_for 3 small
tm resize-window -t mon -x 100 -y 30
big() { on_screen '^command' && on_screen 'logs: '; }
check_true "back at 100x30 the panes come back" wait_for 3 big

tm send-keys -t mon q
check_true "q gives the screen back (what was there before)" \
	wait_for 5 on_screen MARKER-BEFORE
check_true "and the dashboard is gone from it" \
	bash -c "! tmux -S '$sock' capture-pane -p -t mon | grep -q 'daemon up'"
tm send-keys -t mon "stty -a > $TMP/stty.after" Enter
wait_for 5 test -s "$TMP/stty.after"
check_true "the terminal modes are as before" \
	cmp -s "$TMP/stty.before" "$TMP/stty.after"

run "$DEPLOY" monit
check_rc "without a terminal monit prints one snapshot" 0
check_out "the snapshot is the ls table" '^web +0 +[0-9]+ +online'
run "$DEPLOY" monit --json
check_true "monit --json is ls --json" \
	test "$(jq '.instances | length' <<<"$out")" = 5

tm kill-server 2>/dev/null
finish

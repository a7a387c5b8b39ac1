#!/usr/bin/env bash
# deploy monit in a real terminal (tmux): 60 workers at 80x24, a crash
# loop seen at once, the htop keys, whole-app actions that ask, ASCII
# screens for LANG=C and TERM=dumb, resizing, and the terminal given
# back on 'q'. CAPTURE_DIR=DIR keeps text captures of the screens.
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null || { echo "tmux missing"; exit 1; }
sock=$TMP/tmux.sock
tm() { tmux -S "$sock" "$@"; }
screen() { tm capture-pane -p -t "${1:-mon}"; }
# The screen with attributes (SGR sequences).
screen_e() { tm capture-pane -e -p -t "${1:-mon}"; }
on_screen() { screen | grep -qE -- "$1"; }
off_screen() { ! on_screen "$1"; }
# The screen's lines, each after the attributes its first character
# has: "R" reverse, "U" underline, "B" bold, "F<n>" colour <n> (SGR
# state carried over from line to line, as capture-pane -e gives it).
attr_lines() {
	screen_e "${1:-mon}" | awk '{
		line = $0; out = ""; at = ""
		while (length(line) > 0) {
			if (match(line, /^\033\[[0-9;]*m/)) {
				seq = substr(line, 3, RLENGTH - 3)
				line = substr(line, RLENGTH + 1)
				n = split(seq == "" ? "0" : seq, p, ";")
				for (i = 1; i <= n; i++) {
					v = p[i] + 0
					if (v == 38 || v == 48) { i += p[i + 1] == 5 ? 2 : 4; continue }
					if (v == 0) { b = u = r = 0; fg = "" }
					else if (v == 1) b = 1
					else if (v == 4) u = 1
					else if (v == 7) r = 1
					else if (v == 22) b = 0
					else if (v == 24) u = 0
					else if (v == 27) r = 0
					else if (v >= 30 && v <= 37) fg = v
					else if (v == 39) fg = ""
				}
				continue
			}
			if (at == "")
				at = (r ? "R" : "") (u ? "U" : "") (b ? "B" : "") \
					(fg != "" ? "F" fg : "") " "
			out = out substr(line, 1, 1)
			line = substr(line, 2)
		}
		print at out
	}'
}
# press NAME PATTERN KEY...: the keys make PATTERN show (a check).
press() {
	local name=$1 pat=$2; shift 2
	tm send-keys -t mon "$@"
	check_true "$name" wait_for 3 on_screen "$pat"
}
# press_selects NAME PATTERN KEY...: the keys select the line PATTERN.
press_selects() {
	local name=$1 pat=$2; shift 2
	tm send-keys -t mon "$@"
	check_true "$name" wait_for 3 is_selected "$pat"
}
# Whether the line matching $1 is the selected (reversed) one.
is_selected() { attr_lines | grep -E -- "$1" | grep -q '^R'; }
keep() { [ -n "${CAPTURE_DIR:-}" ] && screen "${2:-mon}" >"$CAPTURE_DIR/$1"; }
# The instance rows of app $1 (lines under its app line), as on screen.
rows_of() {
	screen | awk -v app="$1" '/^[-+] /{cur=$2; next}
		cur == app && /^  [^ ]+ :[0-9]+ /'
}
# A shell in a terminal of $2 x $3 named $1, with env $4...; track it.
term() {
	local name=$1 x=$2 y=$3; shift 3
	tm new-session -d -s "$name" -x "$x" -y "$y" "env -i PATH=$PATH \
		HOME=$HOME DEPLOY_HOME=$DEPLOY_HOME $* bash --norc"
	track_pid "$(tm display -p -t "$name" '#{pid}')"
	track_pid "$(tm display -p -t "$name" '#{pane_pid}')"
}

mkdir -p "$TMP/app" && cd "$TMP/app" || exit 1
port=$(free_port 66)
cat >ecosystem.json <<JSON
{"apps": [
  {"name": "many", "script": "$HTTP_WORKER", "instances": 60,
   "port": $((port + 6))},
  {"name": "crashy", "script": "/bin/sh",
   "args": ["-c", "sleep 1.3; echo boom >&2; exit 1"],
   "min_uptime": 1000},
  {"name": "web", "script": "$HTTP_WORKER", "instances": 3, "port": $port,
   "env": {"LINES": "60"}},
  {"name": "api", "script": "$HTTP_WORKER", "instances": 2,
   "port": $((port + 3))},
  {"name": "slow", "script": "/bin/sh", "args": ["-c", "exit 1"],
   "restart_delay": 6000}
]}
JSON

# --- 60 workers at 80x24 ---------------------------------------------------
run "$DEPLOY" up many --wait --timeout 60
check_rc "60 instances up" 0
term mon 80 24 TERM=xterm-256color LANG=C.UTF-8 NO_COLOR=1
tm send-keys -t mon "stty -a > $TMP/stty.before; clear; echo MARKER-BEFORE" \
	Enter
wait_for 5 on_screen MARKER-BEFORE
tm send-keys -t mon "$DEPLOY monit -d 0.5" Enter
check_true "the dashboard comes up" wait_for 10 on_screen 'daemon up'
many_rows() { [ "$(rows_of many | wc -l)" -ge 18 ]; }
check_true "60 workers at 80x24: at least 18 worker rows" \
	wait_for 5 many_rows
check_true "instance rows say :N under the app, not the app's name" \
	bash -c "! tmux -S '$sock' capture-pane -p -t mon |
		grep -qE '^ +many +[0-9]'"
check_true "no line is wider than 80" test "$(screen | wc -L)" -le 80
check_true "the header counts every state" on_screen \
	'^online 60  starting 0  stopping 0  waiting 0  stopped 0  errored 0'
keep monit-60x80x24.txt

# --- a crash loop turns the row and the header within two refreshes ---------
underlined() { attr_lines | grep -E -- "$1" | grep -qE '^R?U'; }
not_underlined() { ! underlined "$1"; }
check_true "a healthy app row is not underlined" not_underlined '- many'

run "$DEPLOY" up crashy
check_rc "the crash-looping app is started" 0
restarted() { [ "$(jls '.[] | select(.app == "crashy") | .restarts')" -ge 1 ]; }
wait_for 10 restarted
crash_seen() {
	on_screen '↺ 1m [1-9]' && underlined '- crashy'
}
check_true "its row and the header change within two refreshes" \
	wait_for 1 crash_seen
check_true "the header's restart count is highlighted" \
	bash -c "tmux -S '$sock' capture-pane -e -p -t mon | grep '↺ 1m' |
		grep -qE $'\e''\[([0-9]+;)*7(;[0-9]+)*m'"
keep monit-crash-80x24.txt
# With colour the row is coloured by its worst instance.
term col 80 24 TERM=xterm-256color LANG=C.UTF-8
tm send-keys -t col "$DEPLOY monit -d 0.5" Enter
wait_for 10 on_screen 'daemon up' col
coloured() { attr_lines col | grep -E -- '- crashy' | grep -qE '^R?U?B?F3[13] '; }
check_true "with colour the crash-looping app's row is yellow or red" \
	wait_for 3 coloured
tm send-keys -t col q
many_restarts() { [ "$(jls '.[] | select(.app == "crashy") | .restarts')" -ge 3 ]; }
wait_for 10 many_restarts && wait_for 3 on_screen '↺ 1m [3-9]'
keep monit-crash-later-80x24.txt

# --- keys --------------------------------------------------------------------
tm send-keys -t mon G
check_true "G goes to the last line" wait_for 3 bash -c \
	"tmux -S '$sock' capture-pane -p -t mon | grep -qE '└─ :59 '"
press_selects "g goes back to the first line" '- crashy' g

press "PgDn shows a later page" '├─ :3[0-9] ' NPage
press "End shows the last worker" '└─ :59 ' End
press "Home shows the first app" '^- crashy' Home PPage

press "/ opens the search prompt" '^search: _' /
tm send-keys -t mon m a n
check_true "typing selects the first match" \
	wait_for 3 is_selected '- many'
tm send-keys -t mon Escape
check_true "Esc leaves the prompt at once" wait_for 1 \
	off_screen '^search:'
tm send-keys -t mon F3 c r a Enter
check_true "F3 searches too" \
	wait_for 3 is_selected '- crashy'

tm send-keys -t mon '\' c r a
check_true "\\ filters the apps as typed" wait_for 3 bash -c \
	"tmux -S '$sock' capture-pane -p -t mon | grep -q '^- crashy' &&
	! tmux -S '$sock' capture-pane -p -t mon | grep -q '^- many'"
press "the header names the filter" "filter 'cra'" Enter
press "Esc drops the filter" '^- many' Escape
tm send-keys -t mon F4 m a n y Enter
check_true "F4 filters too" wait_for 3 off_screen '^- crashy'
tm send-keys -t mon Escape

tm send-keys -t mon F5
check_true "F5 folds every app (tree off)" wait_for 3 bash -c \
	"tmux -S '$sock' capture-pane -p -t mon | grep -q '^+ many' &&
	! tmux -S '$sock' capture-pane -p -t mon | grep -q ' :0 '"
press "F5 again unfolds them" '^- many' F5
press "F6 sorts by the next column" '^app :id▲' F6
press "F6 again: the one after" ' pid▲ ' F6
press "< goes back" '^app▲ ' '<' '<'

# Mouse: a click on a row selects it (SGR mouse report, as xterm sends).
row=$(screen | grep -nE '├─ :4 ' | head -1 | cut -d: -f1)
tm send-keys -t mon -l $'\e[<0;10;'"$row"'M'$'\e[<0;10;'"$row"'m'
check_true "a mouse click selects the row clicked" \
	wait_for 3 is_selected '├─ :4 '
tm send-keys -t mon -l $'\e[<65;10;10M'
check_true "the wheel moves the selection" \
	wait_for 3 is_selected '├─ :7 '

# Whole-app actions ask first; 'n' leaves the app alone.
tm send-keys -t mon g
tm send-keys -t mon j		# crashy:0 ... then back to the many line
tm send-keys -t mon / m a n y Enter
wait_for 3 is_selected '- many'
pids_before=$(app_pids many)
tm send-keys -t mon r
check_true "r on an app line asks first" wait_for 3 on_screen \
	'restart every instance of many \(60\) at once\? \(y/n\)'
press "n answers no" 'cancelled: nothing was done' n
check_true "and no instance was restarted" \
	test "$(app_pids many)" = "$pids_before"
tm send-keys -t mon j R
check_true "R on an instance line says it reloads the whole app" \
	wait_for 3 on_screen 'reload the whole app many: all 60 instances'
press "Esc answers no" 'cancelled' Escape
tm send-keys -t mon k s
check_true "s on an app line asks before stopping it all" \
	wait_for 3 on_screen 'stop every instance of many \(60\)\? \(y/n\)'
tm send-keys -t mon n

# The panes: hidden while the table needs the lines, shown on request.
press "i shows the detail pane when the table left it no room" \
	'^instances 60: 60 online' i
press "l shows the log pane too" 'logs: many' l
check_true "and the table keeps its app line" on_screen '^- crashy'
press "i again hides the detail pane" 'detail pane: off' i
tm send-keys -t mon l

# Help: F1, framed, and within 40 columns.
tm resize-window -t mon -x 40 -y 24
tm send-keys -t mon F1
framed() {
	local s; s=$(screen)
	grep -qE '^┌─ deploy monit keys ─+┐$' <<<"$s" &&
		grep -qE '^└─ any key closes ─+┘$' <<<"$s" &&
		grep -qE '^│ +F10 q +quit +│$' <<<"$s" &&
		[ "$(wc -L <<<"$s")" -le 40 ]
}
check_true "F1: a framed help that fits 40 columns" wait_for 3 framed
keep monit-help-40.txt
tm send-keys -t mon x
check_true "any key closes it" wait_for 3 off_screen 'deploy monit keys'
tm send-keys -t mon q
wait_for 5 on_screen MARKER-BEFORE

# LANG=C and TERM=dumb: nothing but ASCII on screen.
ascii_only() { ! screen "$1" | LC_ALL=C grep -q $'[\x80-\xff]'; }
term c8 80 24 TERM=xterm-256color LANG=C
tm send-keys -t c8 "$DEPLOY monit -d 0.5" Enter
wait_for 10 on_screen 'daemon up' c8
tm send-keys -t c8 G
wait_for 3 on_screen '`- :59 ' c8
check_true "LANG=C: the tree, sort and restart marks in ASCII" \
	bash -c "tmux -S '$sock' capture-pane -p -t c8 | grep -q '^app^ ' &&
		tmux -S '$sock' capture-pane -p -t c8 | grep -q 'rst 1m'"
check_true "LANG=C: no character outside ASCII" ascii_only c8
check_true "LANG=C: and no curses stand-ins (M-b...) for UTF-8 bytes" \
	bash -c "! tmux -S '$sock' capture-pane -p -t c8 | grep -q 'M-[a-z^]'"
tm send-keys -t c8 F1
wait_for 3 on_screen 'deploy monit keys' c8
check_true "LANG=C: the help's frame in ASCII" \
	bash -c "tmux -S '$sock' capture-pane -p -t c8 | grep -qE '\+- deploy monit keys -+\+'"
check_true "LANG=C: still no character outside ASCII" ascii_only c8
keep monit-langc.txt c8
tm send-keys -t c8 q q
term dumb 80 24 TERM=dumb LANG=C.UTF-8
tm send-keys -t dumb "$DEPLOY monit 2>$TMP/dumb.err; echo rc=\$?" Enter
check_true "TERM=dumb: one snapshot and a warning instead" \
	wait_for 10 bash -c "tmux -S '$sock' capture-pane -p -t dumb |
		grep -q '^rc=0' && grep -q 'TERM=dumb cannot draw the dashboard' \
		'$TMP/dumb.err' && tmux -S '$sock' capture-pane -p -t dumb |
		grep -qE '^many +59 '"
check_true "TERM=dumb: no replacement or other non-ASCII character" \
	ascii_only dumb

"$DEPLOY" delete many crashy >/dev/null 2>&1

# --- the web and api apps at 100x30 -----------------------------------------
run "$DEPLOY" up web api --wait --timeout 20
check_rc "five instances up" 0
tm resize-window -t mon -x 100 -y 30
tm send-keys -t mon "$DEPLOY monit -d 0.5" Enter
check_true "the dashboard comes up again" wait_for 10 on_screen 'daemon up'
pids_shown() {
	local s p
	s=$(screen)
	for p in $(jls '.[].pid'); do grep -qw "$p" <<<"$s" || return 1; done
}
check_true "every pid of ls --json is on screen" wait_for 5 pids_shown
check_true "both app names are on screen" \
	bash -c "tmux -S '$sock' capture-pane -p -t mon | grep -q '^- web' &&
		tmux -S '$sock' capture-pane -p -t mon | grep -q '^- api'"
check_true "the header counts 5 online" on_screen '^online 5 '
check_true "the app line has a detail pane of its own" \
	on_screen '^instances 2: 2 online'

victim=$(jls '.[] | select(.app == "web" and .instance == 1) | .pid')
[ "${victim:-0}" -gt 1 ] && kill -9 "$victim"
new_pid_shown() {
	local row
	row=$(rows_of web | grep -E ' :1 ')
	! grep -qw "$victim" <<<"$row" &&
		grep -qE ' :1 +[0-9]+ +online +[0-9.]+ +[0-9.a-z]+ +1 ' <<<"$row"
}
check_true "after kill -9 the new pid and 1 restart show within two refreshes" \
	wait_for 3 new_pid_shown

order() { rows_of web | awk '{print $3}' | tr '\n' ' '; }
tm send-keys -t mon 3
sorted() { [ "$(order)" = "$(order | tr ' ' '\n' | grep . |
	sort -n | tr '\n' ' ')" ]; }
check_true "key 3 sorts by pid ascending" wait_for 3 sorted
asc=$(order)
tm send-keys -t mon 3
reversed() { [ "$(order)" != "$asc" ] && [ "$(order)" = "$(tr ' ' '\n' \
	<<<"$asc" | grep . | tac | tr '\n' ' ')" ]; }
check_true "key 3 again reverses the order" wait_for 3 reversed
tm send-keys -t mon 1

tm send-keys -t mon g j j j j
check_true "selecting an instance shows its details" \
	wait_for 3 on_screen "^command  $HTTP_WORKER"
check_true "the log pane shows the app's lines" \
	wait_for 5 on_screen '^[0-9]\| '
press "[ scrolls the log pane back" 'logs: web \([0-9]+ back' '['
press "] comes back to the newest lines" 'logs: web $|logs: web ─' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']'
tm send-keys -t mon i
check_true "i turns the detail pane off" wait_for 3 off_screen '^command '
tm send-keys -t mon i
tm send-keys -t mon l
check_true "l turns the log pane off" wait_for 3 off_screen 'logs: '
tm send-keys -t mon l

# 's' on a running instance asks first; 'y' stops it.
press "s asks before stopping" 'stop [a-z]+:[0-9]\? \(y/n\)' s
tm send-keys -t mon y
sel_stopped() { [ "$(count_status web stopped)" = 1 ] ||
	[ "$(count_status api stopped)" = 1 ]; }
check_true "y stops the selected instance" wait_for 5 sel_stopped
check_true "the header counts it stopped" wait_for 3 on_screen 'stopped 1 '
tm send-keys -t mon s
restarted_sel() { [ "$(count_status web stopped)" = 0 ] &&
	[ "$(count_status api stopped)" = 0 ]; }
check_true "s on a stopped instance starts it, no question" \
	wait_for 10 restarted_sel

# A restart that waits counts down.
"$DEPLOY" up slow >/dev/null
check_true "a waiting restart shows its countdown" \
	wait_for 5 on_screen '└─ :0 +- waiting [1-6]s '
check_true "and the header counts it waiting" on_screen 'waiting 1 '
"$DEPLOY" delete slow >/dev/null 2>&1

"$DEPLOY" down >/dev/null
check_true "the screen says when the daemon is gone" \
	wait_for 5 on_screen 'daemon not reachable'
run "$DEPLOY" up web api --wait --timeout 20
check_true "and shows the apps again once it is back" \
	wait_for 5 on_screen '^- web'

tm resize-window -t mon -x 40 -y 10
small() { [ "$(screen | wc -L)" -le 40 ] && on_screen 'online'; }
check_true "a 40x10 terminal still shows the table" wait_for 3 small
tm resize-window -t mon -x 100 -y 30
big() { on_screen 'logs: '; }
check_true "back at 100x30 the panes come back" wait_for 3 big

tm send-keys -t mon F10
check_true "F10 gives the screen back (what was there before)" \
	wait_for 5 on_screen MARKER-BEFORE
check_true "and the dashboard is gone from it" \
	off_screen 'daemon up'
tm send-keys -t mon "stty -a > $TMP/stty.after" Enter
wait_for 5 test -s "$TMP/stty.after"
modes() { sed -E 's/rows [0-9]+; columns [0-9]+;//' "$1"; }
check_true "the terminal modes are as before" \
	cmp -s <(modes "$TMP/stty.before") <(modes "$TMP/stty.after")

run "$DEPLOY" monit
check_rc "without a terminal monit prints one snapshot" 0
check_out "the snapshot is the ls table" '^web +0 +[0-9]+ +online'
run "$DEPLOY" monit --json
check_true "monit --json is ls --json" \
	test "$(jq '.instances | length' <<<"$out")" = 5

tm kill-server 2>/dev/null
finish

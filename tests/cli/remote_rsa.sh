#!/usr/bin/env bash
# Hosts known only by their RSA key, as OpenSSH 8.8 and later serve them
# (rsa-sha2-256/512 only, never ssh-rsa with SHA-1): a libssh2 before
# 1.11 cannot check such a key, so deploy connects through OpenSSH's own
# client (one master connection per host, every command over it), and
# everything works as over libssh2: the unknown key refused, then
# recorded with --accept-new; deploys in git and upload mode; exec;
# rollback; a changed key refused; failed authentication named; a
# Ctrl-C to the whole process group still stops the remote hook; no ssh
# process or control socket left behind.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/remote/harness.sh"
export HOST_KEY_TYPE=rsa
two_hosts production
# The control sockets go here, so that the test can see them.
export TMPDIR=$TMP/t
mkdir -p "$TMPDIR"

# The ssh processes this test's deploys started (their ControlPath is
# under $TMPDIR), one a line.
our_ssh() {
	local p
	for p in /proc/[0-9]*; do
		tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q \
			"^ssh .*ControlPath=\"$TMPDIR/deploy-ssh-" && echo "${p#/proc/}"
	done
	return 0
}

# Nothing of the OpenSSH transport is left after a command.
check_clean() {
	check_true "$1: no ssh process left" test -z "$(our_ssh)"
	check_true "$1: no control directory left" \
		test -z "$(ls -A "$TMPDIR")"
}

# The key exchange a host offers: RSA only ---------------------------------
check_true "host 1 has only an RSA host key" \
	grep -q "^ssh-rsa " "$TMP/hosts/1/host_key.pub"

# An unknown RSA host is refused, then recorded ----------------------------
run "$DEPLOY" setup production
check_rc "an unknown RSA host is refused (exit 7)" 7
check_err "the reason is given, with the host and what to do" \
	"(root@127\.0\.0\.2:$SSH_PORT: No RSA host key is known for \
\[127\.0\.0\.2\]:$SSH_PORT\. Host key verification failed\.|unknown host key \
for \[127\.0\.0\.2\]:$SSH_PORT \(ssh-rsa SHA256:[^)]*\)); check it, then rerun \
with --accept-new"
check_true "nothing was recorded" test ! -s "$KNOWN"
check_clean "after a refusal"

run "$DEPLOY" setup production --accept-new
check_rc "setup --accept-new connects to RSA-only hosts" 0
check_true "both RSA keys are recorded" \
	test "$(grep -c "^\[127\.0\.0\.[23]\]:$SSH_PORT ssh-rsa " "$KNOWN")" = 2
check_clean "after setup"
# OpenSSH's client carries the sessions only where libssh2 cannot (before
# 1.11, as Debian 12's); with a newer one libssh2 checks rsa-sha2-512
# itself, and the checks of the ssh processes below do not apply.
via_openssh=
grep -q "connecting with OpenSSH's ssh" <<<"$out" && via_openssh=1
[ -z "$via_openssh" ] || check_out "a new host: after the key exchange \
failed" "connecting with OpenSSH's ssh: the key exchange failed \\(as with \
a host offering only an RSA key"

# Without OpenSSH's client: what to do instead
if [ -n "$via_openssh" ]; then
run env PATH=/nonexistent "$DEPLOY" setup production
check_rc "with no ssh on PATH: exit 7" 7
check_err "it says why and what to do" "cannot check the RSA host key of \
\[127\.0\.0\.2\]:$SSH_PORT \(libssh2 before 1\.11 has no rsa-sha2\) without \
OpenSSH's ssh: install openssh-client, or record its ed25519 key: \
ssh-keyscan -t ed25519 -p $SSH_PORT 127\.0\.0\.2$"
else
	skip_test "no ssh on PATH" "this libssh2 checks rsa-sha2 itself"
fi

# Deploys, exec, rollback -------------------------------------------------
run "$DEPLOY" up production
check_rc "a deploy (git mode, env over stdin) succeeds" 0
rel1=$(current_of 1 app)
check_true "host 1 switched" test -n "$rel1"
check_true "host 2 serves it" \
	grep -q "v=1" <<<"$(app_get 127.0.0.3 "$APP_PORT")"
check_true "the target's env ran no command" test ! -e "$R1/pwned"
[ -z "$via_openssh" ] || check_out "a known RSA host: at once, without \
trying libssh2" "connecting with OpenSSH's ssh: known_hosts has only an RSA key"
check_clean "after a deploy"

run "$DEPLOY" setup staging
check_rc "setup staging" 0
run "$DEPLOY" up staging
check_rc "a deploy in upload mode (the archive over the connection)" 0
check_true "host 2 serves the upload" \
	grep -q "v=1" <<<"$(app_get 127.0.0.3 "$APP_PORT2")"

run "$DEPLOY" exec production -- 'echo out-$((6*7)); echo err-$((6*8)) >&2; exit 3'
check_out "exec: stdout arrives from host 1" "127\.0\.0\.2:$SSH_PORT\] out-42"
check_out "exec: stdout arrives from host 2" "127\.0\.0\.3:$SSH_PORT\] out-42"
check_out "exec: stderr arrives" "err-48"
check_out "exec: the remote exit status is reported" "exit 3"

write_eco 2 && commit v2
run "$DEPLOY" up production
check_rc "a second deploy" 0
run "$DEPLOY" rollback production
check_rc "rollback" 0
check_true "back on the first release" test "$(current_of 1 app)" = "$rel1"
check_clean "after a rollback"

# Ctrl-C twice to the whole process group, mid-hook: the first asks each
# host to stop after its step, the second quits at once; neither reaches
# the ssh processes, so the clean-up still has its connections.
write_eco 3 && commit v3
echo 30 >"$R1/slow"
cur1=$(current_of 1 app) cur2=$(current_of 2 app)
# Its own process group (setsid in a script without job control execs in
# place: pgid = $!), which the terminal's Ctrl-C would reach whole.
env --default-signal=INT setsid "$DEPLOY" up production >"$TMP/q.out" 2>&1 &
q=$!
wait_for 20 test -e "$R1/reached"
check_true "the hook runs on host 1" grep -q "^sleep" <<<"$(host_procs 1)"
ssh_before=$(our_ssh)
kill -INT -- "-$q"
wait_for 5 grep -q "^deploy: interrupted" "$TMP/q.out"
check_true "the first Ctrl-C: it stops after the step" \
	grep -q "^deploy: interrupted" "$TMP/q.out"
all_alive() {
	local p
	for p in $ssh_before; do kill -0 "$p" 2>/dev/null || return 1; done
	[ -n "$ssh_before" ]
}
[ -z "$via_openssh" ] ||
	check_true "the ssh processes did not get it" all_alive
start=$(date +%s%N)
kill -INT -- "-$q"
wait "$q"
rc=$?
took=$((($(date +%s%N) - start) / 1000000))
check_true "Ctrl-C: exit 7 ($rc)" test "$rc" = 7
check_true "the second quits in $took ms, not after the 30 s hook" \
	test "$took" -lt 3000
wait_for 5 eval '! grep -q "^sleep" <<<"$(host_procs 1)"'
check_true "the remote hook was stopped over the kept connection" \
	test "$(host_procs 1 | grep -c "^sleep")" = 0
check_true "it says so" grep -q "stopped the remote command" "$TMP/q.out"
check_true "no host switched" test "$(current_of 1 app)" = "$cur1" -a \
	"$(current_of 2 app)" = "$cur2"
check_true "the locks are released" \
	test ! -e "$R1/app/.deploy-lock" -a ! -e "$R2/app/.deploy-lock"
check_clean "after Ctrl-C"
rm -f "$R1/slow" "$R1/reached"

# SIGKILL mid-hook: no ssh outlives the run ---------------------------------
# (The hook itself runs to its end on the host, as with libssh2; so do
# the ssh processes carrying it, then the masters see their stdin close.)
if [ -n "$via_openssh" ]; then
	echo 1 >"$R1/slow"
	"$DEPLOY" up production >"$TMP/k.out" 2>&1 &
	k=$!
	wait_for 20 test -e "$R1/reached"
	check_true "mid-hook, its ssh processes run" test -n "$(our_ssh)"
	kill -KILL "$k"
	wait "$k" 2>/dev/null
	wait_for 10 test -z "$(our_ssh)"
	check_true "after SIGKILL, the ssh processes end with the hook" \
		test -z "$(our_ssh)"
	check_true "and leave no control socket" \
		test -z "$(find "$TMPDIR" -type s)"
	# Left: the empty directories, which only the run could remove.
	rmdir "$TMPDIR"/deploy-ssh-* 2>/dev/null
	rm -f "$R1/slow" "$R1/reached"
	# The locks the killed run left (deploy's --force-unlock, by hand).
	rm -rf "$R1/app/.deploy-lock" "$R2/app/.deploy-lock"
fi

# Authentication that fails is named --------------------------------------
NO_KEY=1 write_eco 3
run "$DEPLOY" exec production -- true
check_true "no usable key: it fails ($rc)" test "$rc" != 0
check_err "the reason" "root@127\.0\.0\.2:$SSH_PORT: \
(.*Permission denied \(publickey\)|no key to log in with)"
check_clean "after a failed login"
write_eco 3

# Paths with a space and a '%' (ssh would split or expand them) -----------
odd="$TMP/known hosts %h"
mkdir -p "$odd"
cp "$KNOWN" "$odd/known_hosts"
cp "$SSH_DIR/user_key" "$odd/key %d"
jq --arg k "$odd/known_hosts" --arg i "$odd/key %d" \
	'.deploy.production.ssh_options = ["UserKnownHostsFile=\"" + $k + "\""] |
	 .deploy.production.key = $i' ecosystem.json >"$TMP/e" &&
	cp "$TMP/e" ecosystem.json
run "$DEPLOY" exec production -- echo '$DEPLOY_TEST_ADDR'
check_rc "known_hosts and key paths with a space and a '%'" 0
check_out "both hosts answer" "127\.0\.0\.3:$SSH_PORT\] 127\.0\.0\.3"
write_eco 3

# A changed RSA key is refused --------------------------------------------
host_kill 2
host_rekey 2
host_start 2 || not_ok "host 2 restarts with a new key"
run "$DEPLOY" up production
check_rc "a changed RSA host key is refused (exit 7)" 7
check_err "it says the key changed, for host 2, and what to do" \
	"root@127\.0\.0\.3:$SSH_PORT: Host key for \[127\.0\.0\.3\]:$SSH_PORT has \
changed\. Host key verification failed\.; if expected: ssh-keygen -R \
'\[127\.0\.0\.3\]:$SSH_PORT'|host key for \[127\.0\.0\.3\]:$SSH_PORT has CHANGED"
check_true "host 1 did not switch (all or nothing)" \
	test "$(current_of 1 app)" = "$cur1"
check_true "the recorded key is kept" \
	test "$(grep -c "ssh-rsa " "$KNOWN")" = 2
check_clean "after a changed key"
finish

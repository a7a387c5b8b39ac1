#!/usr/bin/env bash
# Fleet deploys: one deploy at a time fleet-wide (every lock before any
# change, none kept when one cannot be taken, none left by a full disk),
# all hosts switch or none, canary, on_failure rollback_all, --timeout,
# a health gate run on the hosts, SIGINT then SIGTERM quits at once
# (the remote hook stopped too, the target's env on no command line),
# rollback along the deploy history, "rolled back" only when the old
# release serves, a failed switch step reported as such, a fleet with a
# host known only by its RSA key.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/remote/harness.sh"
two_hosts production

# The releases on host N, one line.
releases_of() { ls "$(host_root "$1")/app/releases" | tr '\n' ' '; }

# After a deploy stopped early: current as $cur1 and $cur2, no lock.
check_unchanged() {
	check_true "no host switched" \
		test "$(current_of 1 app)" = "$cur1" -a \
		"$(current_of 2 app)" = "$cur2"
	check_true "both locks are released" \
		test ! -e "$R1/app/.deploy-lock" -a ! -e "$R2/app/.deploy-lock"
}

first_deploy app

# A lock left on the second host (in lock order) -------------------------
write_eco 2 && commit v2
mkdir "$R2/app/.deploy-lock"
echo "ci@runner pid=4242 since=2026-01-01T00:00:00Z op=deploy" \
	>"$R2/app/.deploy-lock/info"
list1=$(releases_of 1)
run "$DEPLOY" up production
check_rc "a deploy meeting another's lock on host 2 exits 7" 7
check_err "the message names the holder" \
	"$H2: lock: locked by: ci@runner pid=4242"
check_true "host 1 did not switch (no split fleet)" \
	test "$(current_of 1 app)" = "$rel1"
check_true "host 1 has no new release" test "$(releases_of 1)" = "$list1"
check_true "host 1's lock was released" test ! -e "$R1/app/.deploy-lock"
check_true "host 2's lock (not ours) stays" test -d "$R2/app/.deploy-lock"
rm -rf "$R2/app/.deploy-lock"

# Two deploys at once: one gets the fleet, the other none of it ----------
"$DEPLOY" up production >"$TMP/a.out" 2>&1 &
a=$!
"$DEPLOY" up production >"$TMP/b.out" 2>&1
rc_b=$?
wait "$a"
rc_a=$?
check_true "of two deploys at once, at most one fails" \
	test "$rc_a" = 0 -o "$rc_b" = 0
check_true "both hosts end on one release" \
	test "$(current_of 1 app)" = "$(current_of 2 app)"
check_true "no lock is left" \
	test ! -e "$R1/app/.deploy-lock" -a ! -e "$R2/app/.deploy-lock"
rel2=$(current_of 1 app)

# A full disk at the lock step --------------------------------------------
if host_ns 1 sh -c 'mount -t tmpfs -o size=256k tmpfs /srv/deploy-test/app' \
	2>"$TMP/mount.err"; then
	run "$DEPLOY" setup production
	check_rc "setup on host 1's small disk" 0
	host_ns 1 sh -c 'dd if=/dev/zero of=/srv/deploy-test/app/fill bs=4k \
		2>/dev/null; true'
	run "$DEPLOY" up production
	check_rc "a deploy on a full disk exits 7" 7
	check_err "it says the lock could not be written" \
		"$H1: lock: cannot write the lock .*disk full"
	check_true "no empty lock is left behind" \
		host_ns 1 test ! -e /srv/deploy-test/app/.deploy-lock
	host_ns 1 rm -f /srv/deploy-test/app/fill
	touch "$R2/fail-hook"
	run "$DEPLOY" up production
	check_rc "with room again (and host 2 failing later on) exit 7" 7
	check_true "the lock step passed: no --force-unlock needed" \
		grep -q "^deploy: $H2: pre-deploy: hook says" <<<"$err"
	rm -f "$R2/fail-hook"
	check_true "and no lock is left" \
		host_ns 1 test ! -e /srv/deploy-test/app/.deploy-lock
	host_ns 1 umount /srv/deploy-test/app
else
	not_ok "a small file system can be mounted on host 1: $(cat "$TMP/mount.err")"
fi

# All or none: a failed pre-deploy on host 2 ------------------------------
write_eco 3 && commit v3
touch "$R2/fail-hook"
list1=$(releases_of 1)
run "$DEPLOY" up production
check_rc "a failed pre-deploy on host 2 exits 7" 7
check_true "host 1 did not switch either" test "$(current_of 1 app)" = "$rel2"
check_true "host 1's prepared release is removed" \
	test "$(releases_of 1)" = "$list1"
check_out "host 1 is reported skipped" "^127\.0\.0\.2:$SSH_PORT +$rel2 +skipped"
check_out "the count line sums it up" "^0 ok, 1 failed, 1 skipped$"
rm -f "$R2/fail-hook"

# canary: host 1 first, then the rest -------------------------------------
jq '.deploy.production.canary = 1' ecosystem.json >"$TMP/e" &&
	mv "$TMP/e" ecosystem.json
touch "$R2/fail-hook"
run "$DEPLOY" up production
check_rc "a canary deploy whose second batch fails exits 7" 7
rel3=$(current_of 1 app)
check_true "the canary (host 1) switched" test "$rel3" != "$rel2"
check_true "host 2 did not" test "$(current_of 2 app)" = "$rel2"
check_out "the canary stays ok" "^127\.0\.0\.2:$SSH_PORT +$rel3 +ok"
rm -f "$R2/fail-hook"

# on_failure rollback_all --------------------------------------------------
write_eco 4 && commit v4
jq '.deploy.production.on_failure = "rollback_all"' ecosystem.json \
	>"$TMP/e" && mv "$TMP/e" ecosystem.json
run "$DEPLOY" up production
check_rc "v4 on both" 0
rel4=$(current_of 1 app)
write_eco 5 && commit v5
jq '.deploy.production.on_failure = "rollback_all"' ecosystem.json \
	>"$TMP/e" && mv "$TMP/e" ecosystem.json
echo 5 >"$R2/fail-health"
run "$DEPLOY" up production
check_rc "a failed health gate on host 2 exits 7" 7
check_true "host 2 went back" test "$(current_of 2 app)" = "$rel4"
check_true "and so did host 1 (rollback_all)" \
	test "$(current_of 1 app)" = "$rel4"
check_true "host 1's app serves v4 again" \
	grep -q "release=$rel4 addr=127.0.0.2 v=4" \
	<<<"$(app_get 127.0.0.2 "$APP_PORT")"
check_out "both are reported rolled back" \
	"^127\.0\.0\.2:$SSH_PORT +$rel4 +rolled back"
rm -f "$R2/fail-health"

# rolled back only when the old release serves -----------------------------
write_eco 6 && commit v6
: >"$R2/fail-health"
run "$DEPLOY" up production
check_rc "every version sick on host 2: exit 7" 7
check_true "host 2 is back on v4" test "$(current_of 2 app)" = "$rel4"
check_out "but not reported rolled back (v4 is sick too)" \
	"^127\.0\.0\.3:$SSH_PORT +$rel4 +failed"
check_err "the error says so" "went back to $rel4, which does not serve"
rm -f "$R2/fail-health"

# --timeout ----------------------------------------------------------------
write_eco 7 && commit v7
touch "$R1/slow"
cur1=$(current_of 1 app) cur2=$(current_of 2 app)
start=$(date +%s%N)
run "$DEPLOY" up production --timeout 1s
took=$((($(date +%s%N) - start) / 1000000))
check_rc "a deploy past --timeout exits 7" 7
check_err "it says it timed out" "$H1: pre-deploy: timed out"
check_true "it stops at the deadline, not after the 3 s hook ($took ms)" \
	test "$took" -lt 2500
check_unchanged
rm -f "$R1/slow" "$R1/reached"

# The health gate on the host, over SSH ---------------------------------
write_eco 13 && commit v13
jq --arg u "http://{host}:$APP_PORT/health" \
	'.deploy.production.health = {url: $u, from: "host"}' ecosystem.json \
	>"$TMP/e" && mv "$TMP/e" ecosystem.json
echo 13 >"$R2/fail-health"
cur2=$(current_of 2 app)
run "$DEPLOY" up production
check_rc "a health gate run on the hosts fails on host 2: exit 7" 7
check_err "it says it ran on the host" \
	"$H2: health: health check http://127\.0\.0\.3:$APP_PORT/health \
\(on the host\) failed: HTTP 503"
check_true "host 2 went back" test "$(current_of 2 app)" = "$cur2"
check_out "host 1 passed its gate" "^127\.0\.0\.2:$SSH_PORT +[0-9]+-[0-9a-f]+ +ok"
rm -f "$R2/fail-health"

# CI cancel: SIGINT, then SIGTERM, quits at once ---------------------------
echo 30 >"$R1/slow"
cur1=$(current_of 1 app) cur2=$(current_of 2 app)
list1=$(releases_of 1) list2=$(releases_of 2)
# A background job starts with SIGINT ignored; a CI runner's is not.
env --default-signal=INT "$DEPLOY" up production >"$TMP/q.out" 2>&1 &
q=$!
wait_for 20 test -e "$R1/reached"
check_true "the hook runs on host 1" grep -q "^sleep" <<<"$(host_procs 1)"
check_true "the target's env is on no command line there (ps)" \
	test "$(host_procs 1 cmdline | grep -c "touch /srv/deploy-test/pwned")" = 0
start=$(date +%s%N)
kill -INT "$q"
kill -TERM "$q"
wait "$q"
rc=$?
took=$((($(date +%s%N) - start) / 1000000))
check_true "SIGINT then SIGTERM: exit 7" test "$rc" = 7
check_true "at once ($took ms), not after the 30 s hook" test "$took" -lt 3000
check_true "it says it quits" grep -q "^deploy: quitting" "$TMP/q.out"
wait_for 5 eval '! grep -q "^sleep" <<<"$(host_procs 1)"'
check_true "the remote hook was stopped too" \
	test "$(host_procs 1 | grep -c "^sleep")" = 0
check_unchanged
check_true "the unfinished releases are removed" \
	test "$(releases_of 1)" = "$list1" -a "$(releases_of 2)" = "$list2"
rm -f "$R1/slow" "$R1/reached"

# rollback follows the deploy history --------------------------------------
write_eco 8 && commit v8
run "$DEPLOY" up production
check_rc "A (v8)" 0
relA=$(current_of 1 app)
write_eco 9 && commit v9
run "$DEPLOY" up production
check_rc "B (v9)" 0
run "$DEPLOY" rollback production
check_rc "rollback from B" 0
check_true "back on A" test "$(current_of 1 app)" = "$relA"
write_eco 10 && commit v10
run "$DEPLOY" up production
check_rc "C (v10)" 0
run "$DEPLOY" rollback production
check_rc "rollback from C" 0
check_true "lands on A, not on B that was rolled back from" \
	test "$(current_of 1 app)" = "$relA" -a "$(current_of 2 app)" = "$relA"
run "$DEPLOY" releases production
check_out "releases marks the ones rolled back from" "rolled back"
run "$DEPLOY" releases production --json
check_true "and so does --json" \
	test "$(jq '.hosts[0].rolled_back | length' <<<"$out")" -ge 1

# a failure inside the switch step -----------------------------------------
write_eco 11 && commit v11
mv "$R2/app/current" "$TMP/current.saved"
mkdir -p "$R2/app/current/x"
run "$DEPLOY" up production
check_rc "a failed switch on host 2 exits 7" 7
check_err "it is reported at the switch step" "$H2: switch: "
reverted=$(grep -c "going back\|no previous release" <<<"$out$err")
check_true "without a revert that never was" test "$reverted" = 0
rm -rf "$R2/app/current"
mv "$TMP/current.saved" "$R2/app/current"

# Output ------------------------------------------------------------------
run "$DEPLOY" up production --quiet
check_rc "a deploy with --quiet" 0
check_true "shows no progress lines" test "$(grep -c '^\[' <<<"$out$err")" = 0
check_out "but the table" "^127\.0\.0\.3:$SSH_PORT +[0-9]+-[0-9a-f]+ +ok"
check_out "and the count line" "^2 ok$"
run "$DEPLOY" releases production --json
check_true "--json counts with the text's words" \
	test "$(jq -c .counts <<<"$out")" = \
	'{"ok":2,"failed":0,"rolled back":0,"skipped":0,"unreachable":0}'
rounded=$(jq 'all(.hosts[]; .seconds | tostring |
	test("^[0-9]+(\\.[0-9])?$"))' <<<"$out")
check_true "and seconds rounded as the table shows them" \
	test "$rounded" = true
run env -u NO_COLOR script -qfec \
	"$DEPLOY exec production -- echo from-the-host" /dev/null
check_out "on a terminal, one line per host" \
	$'\e\\[K127\\.0\\.0\\.2:'"$SSH_PORT +from-the-host"
check_out "redrawn in place (cursor up over both)" $'\e\\[2A'
run env -u NO_COLOR script -qfec "stty rows 3; $DEPLOY exec production \
-- echo from-the-host" /dev/null
check_out "a terminal of 3 lines shows the host heard from last" \
	$'\e\\[1A\r\e\\[K127\\.0\\.0\\.[23]:'"$SSH_PORT  "
check_true "on one line" test "$(grep -c $'\e\\[2A' <<<"$out")" = 0
run "$DEPLOY" exec production -- echo from-the-host
check_out "elsewhere, plain lines" "^\[$H1\] from-the-host$"
check_true "without escapes" test "$(grep -c $'\e' <<<"$out")" = 0
start=$(date +%s%N)
run "$DEPLOY" exec production --workers 1 -- sleep 0.5
took=$((($(date +%s%N) - start) / 1000000))
check_true "--workers 1: one host at a time ($took ms)" test "$took" -ge 1000
start=$(date +%s%N)
run "$DEPLOY" exec production -- sleep 0.5
took=$((($(date +%s%N) - start) / 1000000))
check_true "by default both at once ($took ms)" test "$took" -lt 1000

# A fleet of an ed25519 host (libssh2) and one known only by its RSA
# key (OpenSSH's client; tests/cli/remote_rsa.sh has the rest) ----------
if HOST_KEY_TYPE=rsa host_start 3; then
	ssh-keyscan -t rsa -p "$SSH_PORT" 127.0.0.4 >>"$KNOWN" 2>/dev/null
	REMOTE_HOSTS="1 3" write_eco 12
	run "$DEPLOY" setup production
	check_rc "a fleet with a host known only by its RSA key" 0
	check_out "both hosts are set up" "^2 ok"
	check_true "the RSA host has its directories" \
		test -d "$(host_root 3)/app/releases"
	host_kill 3
else
	not_ok "host 3 (RSA key) starts"
fi
finish

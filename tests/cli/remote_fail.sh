#!/usr/bin/env bash
# Remote deploys when things go wrong: a second deploy while one holds
# the lock, an sshd killed in the middle of a deploy (current must stay
# on a complete release, the other host does not switch alone; the
# stale lock needs --force-unlock), a failing hook (its stderr shown,
# no host switched), a changed host key.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/remote/harness.sh"
two_hosts production

# True when release $2 on host $1 is complete.
complete() { test -f "$(host_root "$1")/app/releases/$2/.deploy-revision"; }

first_deploy app

# The lock ---------------------------------------------------------------
write_eco 2 && commit v2
touch "$R1/slow" "$R2/slow"
"$DEPLOY" up production >"$TMP/first.out" 2>&1 &
first=$!
wait_for 20 test -e "$R1/reached" -a -e "$R2/reached"
check_true "the first deploy holds the lock" test -d "$R1/app/.deploy-lock"
run "$DEPLOY" up production
check_rc "a second deploy meanwhile exits 7" 7
check_err "it says who holds the lock" \
	"$H1: lock: locked by: [^ ]+@[^ ]+ pid=$first since=[0-9T:-]+Z op=deploy ref=origin/main"
check_out "host 2 (after host 1 in lock order) is skipped" \
	"^127\.0\.0\.3:$SSH_PORT +- +skipped"
wait "$first"
check_true "the first deploy still succeeds" test $? = 0
rel2=$(current_of 1 app)
check_true "and switched both hosts" \
	test "$rel2" != "$rel1" -a "$(current_of 2 app)" = "$rel2"
check_true "the lock is gone" test ! -e "$R1/app/.deploy-lock"
rm -f "$R1/slow" "$R2/slow" "$R1/reached" "$R2/reached"

# sshd killed mid-deploy -------------------------------------------------
write_eco 3 && commit v3
touch "$R1/slow"
"$DEPLOY" up production >"$TMP/killed.out" 2>&1 &
victim=$!
wait_for 20 test -e "$R1/reached"
host_kill 1
wait "$victim"
check_true "the deploy whose host died exits 7" test $? = 7
check_true "it says the connection was lost" \
	grep -q "^deploy: $H1: pre-deploy: connection lost" "$TMP/killed.out"
check_true "host 1's current still points at the complete release" \
	test "$(current_of 1 app)" = "$rel2"
complete 1 "$rel2"
check_true "which is complete" test $? = 0
partial=$(ls "$R1/app/releases" | grep -v "^$rel1$" | grep -v "^$rel2$")
check_true "the half-made release is not marked complete" \
	test -n "$partial" -a ! -e "$R1/app/releases/$partial/.deploy-revision"
check_true "host 2 did not switch either (all hosts or none)" \
	test "$(current_of 2 app)" = "$rel2"
check_true "and its prepared release is removed" \
	test "$(ls "$R2/app/releases" | tr '\n' ' ')" = "$rel1 $rel2 "
rm -f "$R1/slow" "$R1/reached"
host_start 1

run "$DEPLOY" up production
check_rc "the next deploy finds the stale lock on host 1" 7
check_err "and says to use --force-unlock" "$H1: lock: locked by: .*op=deploy"
check_true "host 1 is unchanged" test "$(current_of 1 app)" = "$rel2"
check_true "so is host 2, though its lock was free" \
	test "$(current_of 2 app)" = "$rel2"
check_true "whose lock is released again" test ! -e "$R2/app/.deploy-lock"

run "$DEPLOY" rollback production --force-unlock
check_rc "rollback --force-unlock clears the stale lock" 0
check_out "it says whose lock it removed" "^\[$H1\] removed the lock of .*op=deploy"
check_true "host 1 went back to v1" test "$(current_of 1 app)" = "$rel1"
check_true "host 2 went back to v1 too" \
	test "$(current_of 2 app)" = "$rel1"

run "$DEPLOY" up production
check_rc "then a deploy succeeds on both" 0
check_true "host 1 no longer has the half-made release" \
	test ! -e "$R1/app/releases/$partial"

# A failing hook ---------------------------------------------------------
before=$(current_of 2 app)
write_eco 4 && commit v4
touch "$R2/fail-hook"
run "$DEPLOY" up production
check_rc "a failing pre-deploy hook exits 7" 7
check_err "the hook's stderr is shown, prefixed" \
	"^\[$H2\] hook says: npm ci failed$"
check_err "the error names the step and the hook's message" \
	"deploy: $H2: pre-deploy: hook says: npm ci failed"
check_true "host 2 is unchanged" test "$(current_of 2 app)" = "$before"
check_true "its unfinished release is removed" \
	test "$(ls "$R2/app/releases" | wc -l)" -le 3
check_true "host 1 (no failure) did not switch either" \
	test "$(current_of 1 app)" = "$before"
check_true "and its prepared release is removed" \
	test -z "$(ls "$R1/app/releases" | grep -v -e "$before" \
		-e "$rel1" -e "$rel2" -e "$partial")"
rm -f "$R2/fail-hook"

# Interrupted (Ctrl-C, or SIGTERM as here: a background job ignores
# SIGINT) while both hosts run the pre-deploy hook ------------------------
cur1=$(current_of 1 app) cur2=$(current_of 2 app)
list1=$(ls "$R1/app/releases") list2=$(ls "$R2/app/releases")
write_eco 5 && commit v5
touch "$R1/slow" "$R2/slow"
"$DEPLOY" up production >"$TMP/int.out" 2>&1 &
int=$!
wait_for 20 test -e "$R1/reached" -a -e "$R2/reached"
kill -TERM "$int"
wait "$int"
rc=$?
out=$(cat "$TMP/int.out")
check_true "an interrupted deploy exits 7" test "$rc" = 7
check_true "it says it stops after the current step" \
	grep -q "^deploy: interrupted: each host stops after its current step" \
	<<<"$out"
check_true "each host names where it stopped" \
	grep -q "deploy: $H2: switch: interrupted" <<<"$out"
check_true "neither host switched" \
	test "$(current_of 1 app)" = "$cur1" -a "$(current_of 2 app)" = "$cur2"
check_true "the half-made releases are removed" \
	test "$(ls "$R1/app/releases")" = "$list1" -a \
	"$(ls "$R2/app/releases")" = "$list2"
check_true "both locks are released" \
	test ! -e "$R1/app/.deploy-lock" -a ! -e "$R2/app/.deploy-lock"
rm -f "$R1/slow" "$R2/slow" "$R1/reached" "$R2/reached"
run "$DEPLOY" up production
check_rc "the next deploy needs no --force-unlock" 0

# A changed host key -----------------------------------------------------
fp_old=$(ssh-keygen -lf "$TMP/hosts/2/host_key.pub" | awk '{print $2}')
cp "$TMP/hosts/2/host_key" "$TMP/host_key.saved"
cp "$TMP/hosts/2/host_key.pub" "$TMP/host_key.pub.saved"
host_kill 2
host_rekey 2
host_start 2
fp_new=$(ssh-keygen -lf "$TMP/hosts/2/host_key.pub" | awk '{print $2}')
run "$DEPLOY" releases production --accept-new
check_rc "a changed host key is refused, even with --accept-new" 7
check_err "the message names the host" \
	"host key for \[127\.0\.0\.3\]:$SSH_PORT has CHANGED"
check_true "with the known fingerprint" grep -qF "known $fp_old" <<<"$err"
check_true "and the offered one" grep -qF "offered $fp_new" <<<"$err"
check_true "known_hosts is untouched" \
	test "$(grep -c "127.0.0.3" "$KNOWN")" = 1
check_out "host 1 still answers" "^$H1:"

host_kill 2
cp "$TMP/host_key.saved" "$TMP/hosts/2/host_key"
cp "$TMP/host_key.pub.saved" "$TMP/hosts/2/host_key.pub"
host_start 2
run "$DEPLOY" releases production
check_rc "with the old key back, host 2 is accepted again" 0
finish

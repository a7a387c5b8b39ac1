#!/usr/bin/env bash
# Remote deploys against two real sshd hosts: host keys (unknown, then
# recorded, then hashed), setup, deploys from a bare git repository, the
# app answering from the new release, the health gate putting one host
# back, pruning, rollback (with --json), releases, exec, quoting.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/remote/harness.sh"
two_hosts production

# Host keys --------------------------------------------------------------
run "$DEPLOY" setup production
check_rc "setup with unknown host keys fails" 7
check_err "the unknown key is named with its fingerprint" \
	"unknown host key for \[127\.0\.0\.2\]:$SSH_PORT \(ssh-ed25519 SHA256:[A-Za-z0-9+/]{43}\)"
check_err "it says how to accept it" "rerun with --accept-new"
check_true "nothing was recorded" test ! -s "$KNOWN"
check_true "nothing was created on the hosts" test ! -e "$R1/app"

run "$DEPLOY" setup production --accept-new
check_rc "setup --accept-new succeeds" 0
check_out "the keys are reported as added" "^\[$H1\] added \[127\.0\.0\.2\]:$SSH_PORT"
check_true "known_hosts has both hosts as [host]:port" \
	test "$(grep -c "^\[127\.0\.0\.[23]\]:$SSH_PORT ssh-ed25519 " "$KNOWN")" = 2
fp1=$(ssh-keygen -lf "$TMP/hosts/1/host_key.pub" | awk '{print $2}')
check_true "the fingerprint shown is the host's (ssh-keygen -l)" \
	grep -qF "(ssh-ed25519 $fp1)" <<<"$out"
check_true "setup made releases/ and shared/logs on host 1" \
	test -d "$R1/app/releases" -a -d "$R1/app/shared/logs"
check_true "and the repository mirror on host 2" test -f "$R2/app/repo/HEAD"
check_out "the table lists both hosts ok" "^127\.0\.0\.3:$SSH_PORT +ok"

run "$DEPLOY" setup production
check_rc "setup again (idempotent) succeeds" 0
check_true "without adding keys again" test "$(wc -l <"$KNOWN")" = 2

ssh-keygen -q -H -f "$KNOWN" 2>/dev/null
rm -f "$KNOWN.old"
run "$DEPLOY" releases production
check_rc "hashed known_hosts entries are accepted" 0
check_out "releases says there are none yet" "^$H1: no releases"

# Deploy -----------------------------------------------------------------
run "$DEPLOY" up production
check_rc "deploy v1 succeeds" 0
rel1=$(current_of 1 app)
check_true "current on host 1 points at a release" \
	test -n "$rel1" -a -f "$R1/app/releases/$rel1/$(echo .deploy-revision)"
check_true "the same release on host 2" test "$(current_of 2 app)" = "$rel1"
check_true "the release is named <UTC time>-<short rev>" \
	grep -qE "^[0-9]{14}-$(git rev-parse --short=7 HEAD)$" <<<"$rel1"
check_true "it records the full revision" \
	test "$(cat "$R1/app/releases/$rel1/.deploy-revision")" = \
	"$(git rev-parse HEAD)"
check_true "current is a relative link" \
	test "$(readlink "$R1/app/current")" = "releases/$rel1"
check_true "shared dir linked into the release" \
	test "$(readlink "$R1/app/releases/$rel1/logs")" = ../../shared/logs
check_out "output lines carry the host" "^\[$H2\] current -> $rel1"
check_out "post-deploy ran deploy up on the host" \
	"^\[$H1\] all instances ready"
check_out "the final table shows both ok" "^127\.0\.0\.2:$SSH_PORT +$rel1 +ok"
check_true "host 1's app answers from the release" \
	grep -q "release=$rel1 addr=127.0.0.2 v=1" <<<"$(app_get 127.0.0.2 "$APP_PORT")"
check_true "host 2's app answers from the release" \
	grep -q "release=$rel1 addr=127.0.0.3 v=1" <<<"$(app_get 127.0.0.3 "$APP_PORT")"
check_true "revisions.log has the switch" \
	grep -q " deploy $rel1 from=- by=" "$R1/app/revisions.log"
check_true "the lock is released" test ! -e "$R1/app/.deploy-lock"
check_true "no value from the file ran as shell (env EVIL)" \
	test ! -e "$R1/pwned" -a ! -e "$R2/pwned"

write_eco 2 && commit v2
run "$DEPLOY" up production
check_rc "deploy v2 succeeds" 0
rel2=$(current_of 1 app)
check_true "current moved to a new release on both" \
	test "$rel2" != "$rel1" -a "$(current_of 2 app)" = "$rel2"
check_true "the app answers from the new release" \
	grep -q "release=$rel2 addr=127.0.0.3 v=2" <<<"$(app_get 127.0.0.3 "$APP_PORT")"

# Health gate ------------------------------------------------------------
echo 3 >"$R2/fail-health"
write_eco 3 && commit v3
run "$DEPLOY" up production
check_rc "a failed health gate on one host exits 7" 7
rel3=$(current_of 1 app)
check_true "host 1 is on the new release" \
	test "$rel3" != "$rel2" -a -n "$rel3"
check_true "host 2 is back on the previous release" \
	test "$(current_of 2 app)" = "$rel2"
check_out "the table says host 2 rolled back" \
	"^127\.0\.0\.3:$SSH_PORT +$rel2 +rolled back"
check_err "the error names the health check" \
	"$H2: health: health check http://127\.0\.0\.3:$APP_PORT/health failed .*HTTP 503"
check_true "host 2's failed release is removed" test ! -e "$R2/app/releases/$rel3"
check_true "revisions.log on host 2 has the revert" \
	grep -q " revert $rel2 from=$rel3 " "$R2/app/revisions.log"
check_true "host 2's app runs the previous release again" \
	grep -q "release=$rel2 addr=127.0.0.3 v=2" <<<"$(app_get 127.0.0.3 "$APP_PORT")"
rm -f "$R2/fail-health"

# Pruning ----------------------------------------------------------------
write_eco 4 && commit v4
run "$DEPLOY" up production --json
check_rc "deploy v4 succeeds" 0
rel4=$(current_of 1 app)
check_true "up TARGET --json reports ok for both hosts" \
	test "$(jq -r '[.ok, (.hosts | length)] | join(" ")' <<<"$out")" \
	= "true 2"
check_err "host 1 pruned one release (progress on stderr)" \
	"^\[$H1\] removed 1 old release$"
check_true "host 1 keeps keep_releases (3): v2, v3, v4" \
	test "$(ls "$R1/app/releases" | tr '\n' ' ')" = "$rel2 $rel3 $rel4 "
check_true "host 2 keeps its three: v1, v2, v4" \
	test "$(ls "$R2/app/releases" | tr '\n' ' ')" = "$rel1 $rel2 $rel4 "

# Rollback ---------------------------------------------------------------
run "$DEPLOY" rollback production --json
check_rc "rollback succeeds" 0
check_true "host 1 went back to v3" test "$(current_of 1 app)" = "$rel3"
check_true "host 2 went back to v2" test "$(current_of 2 app)" = "$rel2"
check_true "the JSON report says ok" test "$(jq -r .ok <<<"$out")" = true
check_true "the JSON report has each host's current" \
	test "$(jq -r '.hosts[1].current' <<<"$out")" = "$rel2"
check_true "and the previous one" \
	test "$(jq -r '.hosts[0].previous' <<<"$out")" = "$rel4"
check_err "progress goes to stderr with --json" "^\[$H1\] rolling back"
check_true "the app follows the rollback" \
	grep -q "release=$rel3 addr=127.0.0.2 v=3" <<<"$(app_get 127.0.0.2 "$APP_PORT")"

run "$DEPLOY" rollback production 5
check_rc "rolling back further than there are releases fails" 7
check_err "it says how many there are" "only 1 release before '$rel3'"
check_true "and changes nothing" test "$(current_of 1 app)" = "$rel3"

run "$DEPLOY" rollback production x
check_rc "a bad N is a usage error" 2

# Releases, exec ---------------------------------------------------------
run "$DEPLOY" releases production
check_rc "releases succeeds" 0
check_out "current is marked" "^  \* $rel3  \(current\)$"
check_out "the newest is listed first" "^$H1:"$'\n'"    $rel4"

run "$DEPLOY" releases production --json
check_true "releases --json lists them oldest first" \
	test "$(jq -r '.hosts[0].releases | join(" ")' <<<"$out")" = \
	"$rel2 $rel3 $rel4"

cmd='echo "in $(basename "$(pwd -P)") as $DEPLOY_TARGET";'
cmd+=' printf "%s\n" "$EVIL"; test "$DEPLOY_TEST_ADDR" = 127.0.0.2 || exit 4'
run "$DEPLOY" exec production -- "$cmd"
check_rc "exec exits with the worst host status" 4
check_out "exec output is prefixed, runs in current" \
	"^\[$H2\] in $rel2 as production$"
check_out "values reach the shell verbatim" \
	"^\[$H1\] \\\$\(touch /srv/deploy-test/pwned\)'; touch /srv/deploy-test/pwned #$"
check_true "and never run" test ! -e "$R1/pwned" -a ! -e "$R2/pwned"
check_out "the table gives each exit status" "^127\.0\.0\.3:$SSH_PORT +exit 4"

run "$DEPLOY" exec production -- 'kill -TERM $$'
check_rc "a command killed by a signal counts as 128+N" 143
check_err "the signal is named" "$H1: exec: killed by SIGTERM"

run "$DEPLOY" exec production --json -- true
check_rc "exec true exits 0" 0
check_true "exec --json has exit_status" \
	test "$(jq -r '[.hosts[].exit_status] | join(",")' <<<"$out")" = 0,0

run "$DEPLOY" up nosuch
check_rc "an unknown name is a usage error" 2
run "$DEPLOY" releases nosuch
check_rc "an unknown target is a usage error" 2
check_err "it names the targets there are" "targets: production, staging"

# The same commit twice at once (a CI retry): two new releases, each
# named after the newest before it (the same-second case is in
# check_remote's release_next rows).
run "$DEPLOY" up production
check_rc "a redeploy of the same commit succeeds" 0
relA=$(current_of 1 app)
run "$DEPLOY" up production
check_rc "and again at once" 0
relB=$(current_of 1 app)
check_true "each is named after the newest before it" \
	test "$(printf '%s\n' "$relB" "$rel4" "$relA" | sort |
		tr '\n' ' ')" = "$rel4 $relA $relB "

run "$DEPLOY" exec production -- deploy down
check_rc "exec deploy down stops the hosts' daemons" 0
finish

#!/usr/bin/env bash
# Remote deploys in upload mode (git archive here, SFTP there) and in
# rolling batches ("parallel": 1: no batch after a failed one).
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/remote/harness.sh"
two_hosts staging
export TMPDIR=$TMP/tmpdir
mkdir -p "$TMPDIR"

run "$DEPLOY" setup staging --accept-new
check_rc "setup of an upload target succeeds" 0
check_true "it has no repository mirror" test ! -e "$R1/staging/repo"

run "$DEPLOY" up staging
check_rc "an upload deploy succeeds" 0
rel1=$(current_of 1 staging)
check_true "the release is named after the local revision" \
	grep -qE "^[0-9]{14}-$(git rev-parse --short=7 main)$" <<<"$rel1"
check_true "both hosts are on it" test "$(current_of 2 staging)" = "$rel1"
check_out "the archive went over SFTP" "^\[$H1\] uploading "
check_true "the release holds the committed files" \
	test -f "$R2/staging/releases/$rel1/app.js" -a \
	-f "$R2/staging/releases/$rel1/ecosystem.json"
check_true "the uploaded archive was removed" \
	test -z "$(ls -A "$R1/staging/releases" | grep '^\.')"
check_true "host 1's app answers from the release" \
	grep -q "release=$rel1 addr=127.0.0.2 v=1" <<<"$(app_get 127.0.0.2 "$APP_PORT2")"
check_true "host 2's app answers from the release" \
	grep -q "release=$rel1 addr=127.0.0.3 v=1" <<<"$(app_get 127.0.0.3 "$APP_PORT2")"
check_true "no local archive is left behind" test -z "$(ls -A "$TMPDIR")"

echo "uncommitted" >"$SRC/junk.txt"
write_eco 2 1
commit v2
rm -f "$SRC/junk.txt"
touch "$R1/fail-hook"
run "$DEPLOY" up staging
check_rc "a rolling deploy whose first batch fails exits 7" 7
check_out "host 1 failed" "^127\.0\.0\.2:$SSH_PORT +$rel1 +failed"
check_out "host 2 was skipped" "^127\.0\.0\.3:$SSH_PORT +$rel1 +skipped +-$"
check_true "host 2 was not touched" \
	test "$(ls "$R2/staging/releases" | wc -l)" = 1
rm -f "$R1/fail-hook"

run "$DEPLOY" up staging
check_rc "a rolling deploy succeeds" 0
rel2=$(current_of 1 staging)
check_true "both hosts are on the new release" \
	test "$rel2" != "$rel1" -a "$(current_of 2 staging)" = "$rel2"
first1=$(grep -n "^\[$H1\] healthy" <<<"$out" | cut -d: -f1)
first2=$(grep -n "^\[$H2\] connected\|^\[$H2\] uploading" <<<"$out" |
	head -n 1 | cut -d: -f1)
check_true "host 2 started after host 1 was healthy (parallel: 1)" \
	test -n "$first1" -a -n "$first2" -a "${first2:-0}" -gt "${first1:-0}"

run "$DEPLOY" exec staging -- 'cat .deploy-revision'
check_out "exec reads the revision file of current" \
	"^\[$H2\] $(git rev-parse main)$"

# Authentication without "key": the agent, then ~/.ssh/id_* -----------
NO_KEY=1 write_eco 2
run "$DEPLOY" releases staging
check_rc "without a key, an agent or ~/.ssh keys, auth fails" 7
check_err "it says there was no key to try" \
	"root@127\.0\.0\.2:$SSH_PORT: no key to log in with \(no ssh-agent"

mkdir -p "$HOME/.ssh"
cp "$TMP/hosts/1/host_key" "$HOME/.ssh/id_ecdsa"	# not authorized
run "$DEPLOY" releases staging
check_rc "with a key the host does not take, auth fails" 7
check_err "it names the key it tried" \
	"permission denied \(tried $HOME/\.ssh/id_ecdsa\)"
rm -f "$HOME/.ssh/id_ecdsa"

eval "$(ssh-agent -s -a "$TMP/agent.sock")" >/dev/null
track_pid "$SSH_AGENT_PID"
ssh-add -q "$SSH_DIR/user_key" 2>/dev/null
run "$DEPLOY" releases staging
check_rc "with the key in ssh-agent, auth works" 0
check_out "it says which agent key" "^\[$H1\] authenticated with the agent's key 'deploy-test'"
kill "$SSH_AGENT_PID"
unset SSH_AUTH_SOCK SSH_AGENT_PID

cp "$SSH_DIR/user_key" "$HOME/.ssh/id_ed25519"
run "$DEPLOY" releases staging
check_rc "with ~/.ssh/id_ed25519, auth works" 0
rm -f "$HOME/.ssh/id_ed25519"
cp "$SSH_DIR/user_key" "$HOME/.ssh/id_rsa"	# any key under that name
run "$DEPLOY" releases staging
check_rc "~/.ssh/id_rsa is tried too" 0
rm -f "$HOME/.ssh/id_rsa"
write_eco 2

sed -i 's/"ref": "main"/"ref": "nosuch"/' "$SRC/ecosystem.json"
run "$DEPLOY" up staging
check_rc "an unknown ref fails before any host" 1
check_err "naming the ref" "no revision 'nosuch' in the git repository"
finish

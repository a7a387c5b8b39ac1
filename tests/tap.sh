#!/bin/sh
# tests/tap.sh TEST: run one test for prove (prove --exec tests/tap.sh),
# its TAP on stdout: a CLI script under bash, a Check binary with
# CK_TAP_LOG_FILE_NAME=- (each test in its own process). Either is
# stopped after 600 s; the stderr of one that fails follows its TAP as
# comments ("# ..."), so that prove --comments shows it.
err=$(mktemp /tmp/deploy-tap.XXXXXX) || exit 1
case $1 in
*.sh) timeout 600 bash "$1" 2>"$err" ;;
*) CK_FORK=yes CK_TAP_LOG_FILE_NAME=- timeout 600 "$1" 2>"$err" ;;
esac
rc=$?
[ $rc -eq 124 ] && echo "# $1: stopped after 600 s"
[ $rc -ne 0 ] && sed 's/^/# /' "$err"
rm -f "$err"
exit $rc

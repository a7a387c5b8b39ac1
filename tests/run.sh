#!/usr/bin/env bash
# tests/run.sh [--unit-only | --cli-only] [UNIT_BINARY...]: run the Check
# unit test binaries given and every tests/cli/*.sh under prove, which
# reads their TAP (tests/tap.sh runs each): TEST_JOBS (2) at a time, then
# the heavy scripts of SERIAL one by one. Closes with the line CI reads:
# "N passed, N failed" (tests, and a script that failed with no failed
# test counts as one failed).
set -u
cd "$(dirname "$0")/.." || exit 1
mode=all
case "${1:-}" in
--unit-only) mode=unit; shift ;;
--cli-only) mode=cli; shift ;;
esac
# Scripts that start hundreds of processes: alone, not beside another.
SERIAL=${SERIAL-tests/cli/sup_scale.sh}

par=() seq=()
[ "$mode" != cli ] && par+=("$@")
if [ "$mode" != unit ]; then
	for t in tests/cli/*.sh; do
		[ "$t" = tests/cli/lib.sh ] && continue
		case " $SERIAL " in
		*" $t "*) seq+=("$t") ;;
		*) par+=("$t") ;;
		esac
	done
fi

log=$(mktemp /tmp/deploy-prove.XXXXXX)
trap 'rm -f "$log"' EXIT
rc=0
# prove ARGS... TEST...: run the tests, keep prove's output in $log too.
run_prove() {
	prove --exec tests/tap.sh --failures --comments --timer "$@" 2>&1 |
		tee -a "$log"
	[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
}
[ ${#par[@]} -gt 0 ] && run_prove -j"${TEST_JOBS:-2}" "${par[@]}"
[ ${#seq[@]} -gt 0 ] && run_prove "${seq[@]}"

# The counts from prove's summaries: "Files=F, Tests=T, ..." and, for a
# test that failed, "NAME (Wstat: W Tests: T Failed: F)".
awk -v rc=$rc '
/^Files=[0-9]+, Tests=[0-9]+,/ {
	sub(/^Files=[0-9]+, Tests=/, ""); tests += $0 + 0
}
/ \(Wstat: [0-9]+.* Tests: [0-9]+ Failed: [0-9]+\)$/ {
	n = $NF; sub(/\)$/, "", n); n += 0
	if (n > 0) bad += n; else broken++
	names = names " " $1
}
END {
	if (rc && !bad && !broken) broken = 1
	if (names != "") print "failing:" names
	print tests - bad " passed, " bad + broken " failed"
}' "$log"
exit $rc

#!/usr/bin/env bash
# Run the Check unit test binaries given as arguments, then every
# tests/cli/*.sh, and print one closing line: "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
mode=all
case "${1:-}" in
--unit-only) mode=unit; shift ;;
--cli-only) mode=cli; shift ;;
esac

passed=0 failed=0 broken=()

# Add the counts from a Check summary line ("100%: Checks: 9, Failures: 0,
# Errors: 0") to the totals.
count_check() {
	local line=$1 checks fails errs
	checks=$(sed -n 's/.*Checks: \([0-9]*\).*/\1/p' <<<"$line")
	fails=$(sed -n 's/.*Failures: \([0-9]*\).*/\1/p' <<<"$line")
	errs=$(sed -n 's/.*Errors: \([0-9]*\).*/\1/p' <<<"$line")
	passed=$((passed + checks - fails - errs))
	failed=$((failed + fails + errs))
}

if [ "$mode" != cli ]; then
	for t in "$@"; do
		out=$(CK_FORK=yes "$t" 2>&1)
		rc=$?
		summary=$(grep -E 'Checks: [0-9]+' <<<"$out" | tail -n 1)
		if [ -z "$summary" ]; then
			echo "$out"
			echo "FAIL $(basename "$t"): no Check summary (exit $rc)"
			failed=$((failed + 1)); broken+=("$t")
			continue
		fi
		count_check "$summary"
		if [ $rc -ne 0 ]; then
			grep -vE '^Running suite' <<<"$out"
			broken+=("$t")
		fi
		echo "unit $(basename "$t"): $summary"
	done
fi

if [ "$mode" != unit ]; then
	for t in tests/cli/*.sh; do
		[ "$(basename "$t")" = lib.sh ] && continue
		log=$(mktemp)
		timeout 600 bash "$t" >"$log" 2>&1
		rc=$?
		last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
		if [ -z "$last" ]; then
			cat "$log"
			echo "FAIL $t: no result line (exit $rc)"
			failed=$((failed + 1)); broken+=("$t")
		else
			p=${last%% passed*}; f=${last#*passed, }; f=${f%% failed*}
			passed=$((passed + p)); failed=$((failed + f))
			if [ "$f" -ne 0 ] || [ $rc -ne 0 ]; then
				grep -E '^(not ok|#)' "$log"
				broken+=("$t")
				[ $rc -ne 0 ] && [ "$f" -eq 0 ] && failed=$((failed + 1))
			fi
			echo "cli $(basename "$t"): $last"
		fi
		rm -f "$log"
	done
fi

[ ${#broken[@]} -gt 0 ] && echo "failing: ${broken[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ ${#broken[@]} -eq 0 ]

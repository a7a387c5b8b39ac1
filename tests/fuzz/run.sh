#!/usr/bin/env bash
# tests/fuzz/run.sh DIR: run each libFuzzer harness DIR/fuzz_NAME for
# FUZZ_SECONDS (default 60) on a copy of tests/fuzz/corpus/NAME, after
# replaying tests/fuzz/regress/NAME (inputs that once crashed). Prints
# the executions of each; a crash input is left in DIR/crash-NAME-* (add
# it to tests/fuzz/regress/NAME) and fails the run.
set -u
cd "$(dirname "$0")/../.."
dir=${1:?usage: run.sh DIR}
seconds=${FUZZ_SECONDS:-60}
failed=0

for bin in "$dir"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=${bin##*/fuzz_}
	work=$dir/corpus-$name
	mkdir -p "$work"
	if [ -d "tests/fuzz/regress/$name" ] &&
	   ! "$bin" tests/fuzz/regress/"$name"/* >"$dir/$name.regress.log" 2>&1
	then
		echo "FAIL $name: a regression input crashes" \
			"(see $dir/$name.regress.log)"
		failed=1
		continue
	fi
	"$bin" -max_total_time="$seconds" -print_final_stats=1 \
		-rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix="$dir/crash-$name-" \
		"$work" "tests/fuzz/corpus/$name" >"$dir/$name.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
		"$dir/$name.log" | tail -n 1)
	if [ $rc -ne 0 ]; then
		echo "FAIL $name after ${runs:-?} executions (see $dir/$name.log)"
		grep -E 'ERROR|runtime error|SUMMARY' "$dir/$name.log" | head -5
		failed=1
	else
		echo "fuzz $name: ${runs:-?} executions in $seconds s, no crash"
	fi
done
exit $failed

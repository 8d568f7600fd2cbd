#!/bin/sh
# Run each libFuzzer target for the given number of seconds, starting
# from its seed corpus in regress/fuzz/corpus/<target>/ and growing a
# scratch corpus in build/fuzz/corpus/<target>/.
#   usage: fuzz.sh SECONDS TARGET...
set -eu
secs=$1; shift
status=0
for t in "$@"; do
	work=build/fuzz/corpus/$t
	mkdir -p "$work" build/fuzz/artifacts
	echo "fuzz: $t for ${secs}s"
	if ! ./build/fuzz/fuzz/"$t" -max_total_time="$secs" \
	    -artifact_prefix=build/fuzz/artifacts/"$t"- \
	    -print_final_stats=1 "$work" regress/fuzz/corpus/"$t" \
	    >build/fuzz/"$t".log 2>&1; then
		echo "fuzz: $t FOUND A PROBLEM, see build/fuzz/$t.log"
		tail -40 build/fuzz/"$t".log
		status=1
	else
		grep -E 'stat::number_of_executed_units' build/fuzz/"$t".log || true
	fi
done
exit $status

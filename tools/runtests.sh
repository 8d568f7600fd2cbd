#!/bin/sh
# Run the whole kyua suite (test programs from build/asan/regress) and end
# with exactly one line:
#   N passed, N failed[, N skipped]
# Exit non-zero on any failure.  Details of failed tests go before the
# summary; the full verbose report is left in build/kyua-report.txt.
set -u
top=$(pwd)
root=$top/build/asan/regress
db=$top/build/kyua-results.db
rm -f "$db"
mkdir -p "$root"
kyua -v test_suites.postern.top="$top" \
    -v test_suites.postern.bindir="$top/build/asan" \
    -v test_suites.postern.plainbindir="$top/build" \
    test --kyuafile="$top/regress/Kyuafile" --build-root="$root" \
    --results-file="$db" >"$top/build/kyua-test.log" 2>&1
rc=$?
kyua report --results-file="$db" --verbose \
    >"$top/build/kyua-report.txt" 2>&1
line=$(grep '^Test cases:' "$top/build/kyua-report.txt" || true)
if [ -z "$line" ]; then
	cat "$top/build/kyua-test.log"
	echo "0 passed, 1 failed"
	exit 1
fi
# "Test cases: T total, S skipped, X expected failures, B broken, F failed"
# shellcheck disable=SC2046
set -- $(echo "$line" | tr -cs '0-9' ' ')
total=$1 skipped=$2 xfail=$3 broken=$4 failed=$5
passed=$((total - skipped - xfail - broken - failed))
failed=$((failed + broken))
if [ "$failed" -gt 0 ]; then
	# Each failed or broken case with its output, without kyua's
	# execution context and metadata noise.
	kyua report --results-file="$db" --results-filter=broken,failed \
	    --verbose 2>/dev/null |
	    awk '/^===> (Failed|Broken|Summary)/ { on = 0 }
		/^===> [^ ]+:[^ ]+$/ { on = 1 }
		/^Metadata:/ { skip = 1 } /^Standard (output|error):/ { skip = 0 }
		on && !skip' | head -600
	kyua report --results-file="$db" --results-filter=broken,failed \
	    2>/dev/null | grep -- '->'
fi
if [ "$skipped" -gt 0 ]; then
	kyua report --results-file="$db" --results-filter=skipped \
	    2>/dev/null | grep -- '->'
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]

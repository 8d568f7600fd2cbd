#!/bin/sh
# Run the whole kyua suite against build/asan and end with one line:
#   N passed, N failed[, N skipped]
# Exit non-zero on any failure.
set -u
top=$(pwd)
root=$top/build/asan/regress
db=$top/build/kyua-results.db
rm -f "$db"
mkdir -p "$root"
# kyua looks for Kyuafiles in the source tree and test programs in the
# build root; the sh tests and data files are installed there by make.
kyua test --kyuafile="$top/regress/Kyuafile" --build-root="$root" \
    --results-file="$db" \
    -v test_suites.postern.top="$top" \
    -v test_suites.postern.bindir="$top/build/asan" \
    -v test_suites.postern.plainbindir="$top/build" \
    >"$top/build/kyua-test.log" 2>&1
rc=$?
kyua report --results-file="$db" \
    --results-filter=broken,failed --verbose 2>/dev/null |
    sed -n '/===> Failed tests/,$p;/===> Broken tests/,$p' | head -400
kyua report --results-file="$db" >"$top/build/kyua-report.txt" 2>&1
# kyua's summary: "Test cases: T total, S skipped, X expected failures,
# B broken, F failed"
line=$(grep '^Test cases:' "$top/build/kyua-report.txt" || true)
if [ -z "$line" ]; then
	cat "$top/build/kyua-test.log"
	echo "0 passed, 1 failed"
	exit 1
fi
set -- $(echo "$line" | tr -cs '0-9' ' ')
total=$1 skipped=$2 xfail=$3 broken=$4 failed=$5
passed=$((total - skipped - xfail - broken - failed))
failed=$((failed + broken))
grep -E '(failed|broken)' "$top/build/kyua-test.log" | grep -v '^Results' || true
if [ "$skipped" -gt 0 ]; then
	kyua report --results-file="$db" --results-filter=skipped --verbose \
	    2>/dev/null | grep -E '^(===>|[a-z].*->)' | head -50
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]

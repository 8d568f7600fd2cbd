#! /usr/bin/env atf-sh
#
# Run every libFuzzer target once over each file of its seed corpus
# (regress/fuzz/corpus/<target>/).  No fuzzing happens here: this checks
# that the targets build, that the seeds are accepted, and that none of
# them crashes, trips a sanitizer or leaks.  `make fuzz` does the real
# fuzzing.  One test case per target, found from regress/fuzz/fuzz_*.c;
# a target whose binary is not built (make fuzzers) is skipped.

# The repository top, found from where this script is installed (the
# build tree sits inside it), so that test cases can be listed before
# kyua passes any configuration.
_fuzz_find_top()
{
	_d=$(atf_get_srcdir)
	while [ -n "$_d" ] && [ "$_d" != / ]; do
		if [ -f "$_d/regress/fuzz/fuzz_smoke_test.sh" ] &&
		    [ -f "$_d/Makefile" ]; then
			echo "$_d"
			return 0
		fi
		_d=$(dirname "$_d")
	done
	return 1
}

# Run one target over its corpus; fail on any crash, and check that
# every seed was executed.
fuzz_smoke_run()
{
	t=$1
	top=$(atf_config_get top "$(_fuzz_find_top)")
	bin=$top/build/fuzz/fuzz/$t
	corpus=$top/regress/fuzz/corpus/$t
	if [ ! -x "$bin" ]; then
		atf_skip "$t: $bin is not built (run 'make fuzzers')"
	fi
	[ -d "$corpus" ] || atf_fail "$t: no seed corpus in $corpus"
	find "$corpus" -type f | sort >seeds
	n=$(wc -l <seeds)
	[ "$n" -gt 0 ] || atf_fail "$t: seed corpus $corpus is empty"
	# libFuzzer given files (not directories) runs each one once.
	if ! tr '\n' '\0' <seeds | xargs -0 "$bin" -rss_limit_mb=4096 \
	    >out 2>&1; then
		tail -60 out
		atf_fail "$t: an input of the seed corpus crashed or leaked"
	fi
	ran=$(grep -c '^Executed ' out)
	if [ "$ran" -ne "$n" ]; then
		tail -60 out
		atf_fail "$t: ran $ran of $n seed inputs"
	fi
	echo "$t: $n seed inputs ran cleanly"
}

# One test case per target.  If the sources cannot be found at listing
# time, a single case runs whatever targets exist at run time.
atf_init_test_cases()
{
	_top=$(_fuzz_find_top) || _top=
	_found=
	for _src in "$_top"/regress/fuzz/fuzz_*.c; do
		[ -n "$_top" ] && [ -f "$_src" ] || continue
		_t=$(basename "$_src" .c)
		_found=yes
		atf_test_case "$_t"
		eval "${_t}_head() {
			atf_set descr 'Seed corpus of ${_t} runs without a finding'
		}
		${_t}_body() { fuzz_smoke_run ${_t}; }"
		atf_add_test_case "$_t"
	done
	if [ -z "$_found" ]; then
		atf_add_test_case all_fuzzers
	fi
}

atf_test_case all_fuzzers
all_fuzzers_head()
{
	atf_set descr 'Every fuzz target runs its seed corpus'
}

all_fuzzers_body()
{
	top=$(atf_config_get top)
	any=
	for src in "$top"/regress/fuzz/fuzz_*.c; do
		[ -f "$src" ] || continue
		any=yes
		t=$(basename "$src" .c)
		[ -x "$top/build/fuzz/fuzz/$t" ] || continue
		(fuzz_smoke_run "$t") || atf_fail "$t failed"
	done
	[ -n "$any" ] || atf_skip "no fuzz targets in $top/regress/fuzz"
}

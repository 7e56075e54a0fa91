#!/bin/sh
# Runs every test binary under BUILD/tests, each with a time limit, and prints one line per
# binary plus the failures' output. Exit status is non-zero when any test failed.
set -u
build=${1:-build/default}
root=$(pwd)
export WMS_BIN="$root/$build/bin"
export WMS_ROOT="$root"
# A test that hangs must not eat the CI budget: each binary gets its own bound.
limit=${WMS_TEST_TIMEOUT:-300}
fail=0
total=0
failed=""
log=$(mktemp)
start=$(date +%s)
for t in $(find "$build/tests" -type f -name 'test_*' ! -name '*.d' | sort); do
	total=$((total + 1))
	name=${t#"$build/tests/"}
	t0=$(date +%s)
	if timeout -k 10 "$limit" "$t" >"$log" 2>&1; then
		printf 'PASS  %-40s %4ss\n' "$name" $(($(date +%s) - t0))
	else
		rc=$?
		printf 'FAIL  %-40s %4ss (exit %s)\n' "$name" $(($(date +%s) - t0)) "$rc"
		sed 's/^/      | /' "$log" | tail -n 60
		fail=$((fail + 1))
		failed="$failed $name"
	fi
done
rm -f "$log"
echo "tests: $((total - fail))/$total binaries passed in $(($(date +%s) - start))s"
[ "$fail" -eq 0 ] || { echo "failed:$failed"; exit 1; }

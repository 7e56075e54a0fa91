#!/bin/sh
# make bench: every benchmark in one run, raw LMDB and nng figures first so that the engine's
# figures can be read as ratios of them. Output is what benchmarks/README.md quotes.
set -eu
build=${1:-build/default}
secs=${BENCH_SECONDS:-3}
echo "# make bench on $(uname -n), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
"$build/bench/bench_core" "$build/bin/wmsd" "$secs"
for b in "$build"/bench/bench_*; do
	case "$b" in
	*/bench_core | *.d) continue ;;
	esac
	echo
	"$b" "$build/bin/wmsd"
done

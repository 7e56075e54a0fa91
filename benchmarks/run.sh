#!/bin/sh
# make bench: every benchmark in one run, raw LMDB and nng figures first so that the engine's
# figures can be read as ratios of them. Output is what benchmarks/README.md quotes.
set -eu
build=${1:-build/default}
secs=${BENCH_SECONDS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
core_out=$(mktemp /tmp/wms-bench-core-XXXXXX)
dir=
pid=
# Whatever happens, no engine of ours is left running and no scratch directory left behind.
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	[ -z "$dir" ] || rm -rf "$dir"
	rm -f "$core_out"
}
trap cleanup EXIT
echo "# make bench on $(uname -n), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
"$build/bench/bench_core" "$build/bin/wmsd" "$secs" | tee "$core_out"
for b in "$build"/bench/bench_*; do
	case "$b" in
	*/bench_core | *.d) continue ;;
	esac
	echo
	"$b" "$build/bin/wmsd"
done

# Durable scan verification: wms-floor's pickers, 1, 8 and 64 devices (threads, each with its
# own device id and connection), against a fresh wmsd per level on tcp loopback, loaded with
# the demo network and given generated, planned and released orders; pick.scan only (no pack
# stations, no mistakes). The figures are over the floor phase; the ratios use the raw LMDB and
# nng figures bench_core measured above in this same run.
scan_orders=${BENCH_SCAN_ORDERS:-1500}
figure() { # figure KEY FILE: the number after "KEY": in a compact JSON report
	sed -n "s/.*\"$1\":\([-0-9.e+]*\).*/\1/p" "$2" | head -n 1
}
raw_commits=$(sed -n 's/^raw_lmdb_durable_commits: \([0-9.]*\) .*/\1/p' "$core_out")
echo
echo "# scan verification: wms-floor pickers on the demo network, $scan_orders orders per level," \
	"$secs s floor phase per level, tcp loopback"
port=$((27450 + ($$ % 500) * 4))
for n in 1 8 64; do
	dir=$(mktemp -d /tmp/wms-bench-scan-XXXXXX)
	url=tcp://127.0.0.1:$port
	ev=tcp://127.0.0.1:$((port + 1))
	"$build/bin/wmsd" --data "$dir/data" --listen "$url" --events "$ev" --quiet \
		>"$dir/wmsd.log" 2>&1 &
	pid=$!
	status=0
	"$build/bin/wmsctl" --url "$url" load "$root/engine/demo/network.json" >/dev/null ||
		status=$?
	if [ "$status" -eq 0 ]; then
		"$build/bin/wms-floor" --url "$url" --events "$ev" \
			--network "$root/engine/demo/network.json" --orders "$scan_orders" \
			--pickers "$n" --stations 0 --duration "$secs" --seed 42 --json --quiet \
			>"$dir/report.json" || status=$?
	fi
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=
	if [ "$status" -ne 0 ]; then
		echo "engine_scan_verify_$n: FAILED (status $status); report:"
		cat "$dir/report.json" 2>/dev/null || true
		rm -rf "$dir"
		dir=
		port=$((port + 2))
		continue
	fi
	raw_nng=$(sed -n "s/^raw_nng_reqrep_$n: \([0-9.]*\) .*/\1/p" "$core_out")
	awk -v n="$n" -v rate="$(figure per_s "$dir/report.json")" \
		-v p50="$(figure p50_ms "$dir/report.json")" \
		-v p99="$(figure p99_ms "$dir/report.json")" \
		-v sent="$(figure sent "$dir/report.json")" \
		-v nexts="$(figure next_calls "$dir/report.json")" \
		-v secs="$(figure seconds "$dir/report.json")" \
		-v nng="${raw_nng:-0}" -v lmdb="${raw_commits:-0}" \
		-v cpc="$(figure commands_per_commit "$dir/report.json")" \
		-v us="$(figure exec_us_per_command "$dir/report.json")" \
		-v cus="$(figure commit_us "$dir/report.json")" \
		-v busy="$(figure busy_pct "$dir/report.json")" 'BEGIN {
		printf "engine_scan_verify_%d: %.0f scans/s (p50 %.3f ms, p99 %.3f ms; %d scans and %d task.next in %.1f s) = %.2fx raw nng at %d, %.2fx raw LMDB commits\n",
			n, rate, p50, p99, sent, nexts, secs, (nng > 0 ? rate / nng : 0), n,
			(lmdb > 0 ? rate / lmdb : 0)
		printf "engine_scan_writer_%d: %.1f commands per commit, %.0f us handler time per command, %.0f us per durable commit, writer busy %.0f%%\n",
			n, cpc, us, cus, busy
	}'
	rm -rf "$dir"
	dir=
	port=$((port + 2))
done

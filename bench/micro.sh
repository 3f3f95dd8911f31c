#!/usr/bin/env bash
# Section micro of make bench (BENCH_ONLY=micro make bench): the unit tests' micro-benchmarks, every test named
# `Benchmark` (object encode/decode throughput, SHA-256 of a segment against its signed PUT to moto, WAL record
# scanning), which make test skips. Built in release with testing enabled: a debug build's figures mean little.
# It prints the figures and appends them to $BENCH_OUT/bench.md; it asserts no wall time.
set -euo pipefail

BENCH_SECTION=micro
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

log=$BENCH_OUT/micro.log
say "swift test -c release --filter Benchmark (log: $log)"
(cd "$BENCH_ROOT" && swift test -c release -Xswiftc -enable-testing --filter Benchmark) >"$log" 2>&1 \
    || { tail -30 "$log" >&2; die "the micro-benchmarks failed (log: $log)"; }
{
    echo "## Micro-benchmarks (swift test -c release --filter Benchmark)"
    echo
    grep -E '^(throughput|SHA-256 of|scanner):? ' "$log" | sed 's/^/    /'
    echo
} | tee -a "$BENCH_OUT/bench.md"

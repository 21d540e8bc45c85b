#!/usr/bin/env bash
# HTTP server load figure: builds keel-bench and the keel command, then runs
# dev.keel.bench.HttpLoadBenchmark, which in one run measures durable inserts (and reads by id) through
# the Java API in process and over HTTP against `keel serve` on loopback (load from wrk if installed,
# else a Java client), and prints a Markdown report with requests/s, p50, p99 and HTTP / in-process.
#
#   Smoke (seconds):   keel-bench/run-http.sh --seconds 2 --warmup-seconds 1 --preload 10000
#   Full:              keel-bench/run-http.sh --out keel-bench/target/http-bench.md
#   Options:           keel-bench/run-http.sh --help
#
# Build step: mvn -q -Pbench -pl keel-bench,keel-cli -am package -DskipTests
#   KEEL_BENCH_SKIP_BUILD=1   reuse the last build
#   KEEL_BENCH_MVN_ARGS=-o    extra Maven arguments (e.g. offline)
#   KEEL_BENCH_HEAP=2g        heap of the benchmark JVM (the server's: --server-heap, default 1g)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ "${KEEL_BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  # shellcheck disable=SC2086
  mvn -q ${KEEL_BENCH_MVN_ARGS:-} -Pbench -pl keel-bench,keel-cli -am package -DskipTests
fi

HEAP="${KEEL_BENCH_HEAP:-2g}"
exec java "-Xms$HEAP" "-Xmx$HEAP" -XX:+UseG1GC \
  -cp "keel-bench/target/keel-bench.jar:keel-bench/target/lib/*" \
  dev.keel.bench.HttpLoadBenchmark --data-dir keel-bench/target/bench-data \
  --keel-jar keel-cli/target/keel-cli.jar "$@"

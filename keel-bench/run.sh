#!/usr/bin/env bash
# KeelDB peer benchmark: builds keel-bench and runs dev.keel.bench.PeerBenchmark, which compares
# KeelDB with SQLite, RocksDB, LMDB and the raw 4 KiB write+fdatasync rate in one run and prints
# a Markdown report. Run from anywhere; paths are relative to the repository root.
#
#   Smoke (10,000 entities, 1 repetition; seconds after the build):
#     keel-bench/run.sh --smoke
#   Full (1,000,000 entities, 3 repetitions; keep the machine otherwise idle):
#     keel-bench/run.sh --out docs/benchmarks.md
#   Options (sizes, --bench, --stores, --reps, ...):
#     keel-bench/run.sh --help
#
# Build step: mvn -q -Pbench -pl keel-bench -am package -DskipTests
#   KEEL_BENCH_SKIP_BUILD=1   reuse the last build
#   KEEL_BENCH_MVN_ARGS=-o    extra Maven arguments (e.g. offline)
#   KEEL_BENCH_HEAP=4g        JVM heap (fixed: -Xms = -Xmx, for the heap-per-entity figure)
#   KEEL_BENCH_JAVA_OPTS=...  extra JVM flags
# The --add-opens flags are what lmdbjava needs on Java 17.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ "${KEEL_BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  # shellcheck disable=SC2086
  mvn -q ${KEEL_BENCH_MVN_ARGS:-} -Pbench -pl keel-bench -am package -DskipTests
fi

HEAP="${KEEL_BENCH_HEAP:-4g}"
JVM_FLAGS=(
  "-Xms$HEAP" "-Xmx$HEAP" -XX:+UseG1GC
  --add-opens java.base/java.nio=ALL-UNNAMED
  --add-opens java.base/sun.nio.ch=ALL-UNNAMED
)

# shellcheck disable=SC2086
exec java "${JVM_FLAGS[@]}" ${KEEL_BENCH_JAVA_OPTS:-} \
  -cp "keel-bench/target/keel-bench.jar:keel-bench/target/lib/*" \
  dev.keel.bench.PeerBenchmark --data-dir keel-bench/target/bench-data "$@"

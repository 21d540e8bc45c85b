#!/usr/bin/env bash
# YCSB core workloads A-F against KeelDB (dev.keel.bench.ycsb.KeelDbClient) and RocksDB
# (dev.keel.bench.ycsb.RocksDbClient), both committing every write durably (KeelDB SYNC, RocksDB
# sync=true). Each workload gets a fresh load, then its run; databases live under
# keel-bench/target/bench-data/ycsb and are deleted afterwards. Prints a Markdown summary.
#
#   Smoke:   keel-bench/run-ycsb.sh --records 1000 --operations 1000 --threads 2
#   Full:    keel-bench/run-ycsb.sh --out keel-bench/target/ycsb.md
#
# Options: --records N (default 50000)  --operations N (default 50000)  --threads N (default 8)
#          --workloads "a b c d e f"  --dbs "keeldb rocksdb"  --max-seconds S (per phase, default 300)
#          --out FILE  --skip-build
# Build step: mvn -q -Pbench -pl keel-bench -am package -DskipTests (KEEL_BENCH_MVN_ARGS adds args).
# Raw YCSB output of each phase: keel-bench/target/ycsb-logs/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

RECORDS=50000
OPERATIONS=50000
THREADS=8
WORKLOADS="a b c d e f"
DBS="keeldb rocksdb"
MAX_SECONDS=300
OUT=""
BUILD=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --records) RECORDS="$2"; shift 2 ;;
    --operations) OPERATIONS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --workloads) WORKLOADS="$2"; shift 2 ;;
    --dbs) DBS="$2"; shift 2 ;;
    --max-seconds) MAX_SECONDS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --skip-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [[ $BUILD == 1 ]]; then
  # shellcheck disable=SC2086
  mvn -q ${KEEL_BENCH_MVN_ARGS:-} -Pbench -pl keel-bench -am package -DskipTests
fi

CP="keel-bench/target/keel-bench.jar:keel-bench/target/lib/*"
JVM_FLAGS=(-Xms2g -Xmx2g -XX:+UseG1GC)
DATA="keel-bench/target/bench-data/ycsb"
LOGS="keel-bench/target/ycsb-logs"
mkdir -p "$DATA" "$LOGS"
trap 'rm -rf "$DATA"' EXIT

db_class() {
  case "$1" in
    keeldb) echo dev.keel.bench.ycsb.KeelDbClient ;;
    rocksdb) echo dev.keel.bench.ycsb.RocksDbClient ;;
    *) echo "unknown db $1 (keeldb, rocksdb)" >&2; exit 2 ;;
  esac
}

# overall <log> <metric>: a value of the [OVERALL] section, e.g. Throughput(ops/sec).
overall() { awk -F', ' -v m="$2" '$1 == "[OVERALL]" && $2 == m { printf "%.0f", $3 }' "$1"; }
# failures <log>: number of operations that did not return OK.
failures() { awk -F', ' '$2 ~ /^Return=/ && $2 != "Return=OK" { n += $3 } END { print n + 0 }' "$1"; }
# p99 <log>: the 99th-percentile latency (us) of each operation type, e.g. "READ 120, UPDATE 900".
p99() {
  awk -F', ' '$2 == "99thPercentileLatency(us)" && $1 !~ /FAILED|CLEANUP/ {
      gsub(/[\[\]]/, "", $1); out = out (out ? ", " : "") $1 " " $3 } END { print out }' "$1"
}

ycsb() { # ycsb <db> <workload> <phase-flag> <log>
  local db="$1" w="$2" phase="$3" log="$4"
  java "${JVM_FLAGS[@]}" -cp "$CP" site.ycsb.Client "$phase" -db "$(db_class "$db")" \
    -P "keel-bench/src/main/resources/workloads/workload$w" \
    -p recordcount="$RECORDS" -p operationcount="$OPERATIONS" -p maxexecutiontime="$MAX_SECONDS" \
    -p "$db.dir=$DATA/$db-$w" -threads "$THREADS" > "$log" 2> "$log.err" || {
      echo "YCSB $phase failed for $db workload $w; see $log.err" >&2; tail -20 "$log.err" >&2; return 1; }
}

declare -A LOAD RUN FAIL P99
for w in $WORKLOADS; do
  for db in $DBS; do
    rm -rf "${DATA:?}/$db-$w"
    echo "[$(date +%T)] workload $w, $db: load $RECORDS records" >&2
    ycsb "$db" "$w" -load "$LOGS/$db-$w-load.txt"
    echo "[$(date +%T)] workload $w, $db: run $OPERATIONS operations" >&2
    ycsb "$db" "$w" -t "$LOGS/$db-$w-run.txt"
    LOAD[$db-$w]="$(overall "$LOGS/$db-$w-load.txt" 'Throughput(ops/sec)')"
    RUN[$db-$w]="$(overall "$LOGS/$db-$w-run.txt" 'Throughput(ops/sec)')"
    FAIL[$db-$w]="$(( $(failures "$LOGS/$db-$w-load.txt") + $(failures "$LOGS/$db-$w-run.txt") ))"
    P99[$db-$w]="$(p99 "$LOGS/$db-$w-run.txt")"
    echo "[$(date +%T)] workload $w, $db: load ${LOAD[$db-$w]} ops/s, run ${RUN[$db-$w]} ops/s, not OK ${FAIL[$db-$w]}" >&2
    rm -rf "${DATA:?}/$db-$w"
  done
done

report() {
  echo "# YCSB workloads A-F: KeelDB and RocksDB"
  echo
  echo "$(date -u +%FT%TZ); $RECORDS records, $OPERATIONS operations, $THREADS threads, durable writes"
  echo "(KeelDB Durability.SYNC, RocksDB sync=true); $(nproc) cores; $(java -version 2>&1 | head -1)."
  echo "Throughput in operations/s; KeelDB/RocksDB above 1 means KeelDB is faster."
  echo
  echo "| workload | db | load ops/s | run ops/s | run p99 latency (us) | not OK |"
  echo "|---|---|---:|---:|---|---:|"
  for w in $WORKLOADS; do
    for db in $DBS; do
      echo "| ${w^^} | $db | ${LOAD[$db-$w]} | ${RUN[$db-$w]} | ${P99[$db-$w]} | ${FAIL[$db-$w]} |"
    done
  done
  if [[ " $DBS " == *" keeldb "* && " $DBS " == *" rocksdb "* ]]; then
    echo
    echo "| workload | KeelDB/RocksDB load | KeelDB/RocksDB run |"
    echo "|---|---:|---:|"
    for w in $WORKLOADS; do
      echo "| ${w^^} | $(awk -v a="${LOAD[keeldb-$w]}" -v b="${LOAD[rocksdb-$w]}" 'BEGIN { printf (b > 0 ? "%.2f" : "-"), a / (b > 0 ? b : 1) }') |" \
           "$(awk -v a="${RUN[keeldb-$w]}" -v b="${RUN[rocksdb-$w]}" 'BEGIN { printf (b > 0 ? "%.2f" : "-"), a / (b > 0 ? b : 1) }') |"
    done
  fi
}

if [[ -n "$OUT" ]]; then
  mkdir -p "$(dirname "$OUT")"
  report | tee "$OUT"
else
  report
fi

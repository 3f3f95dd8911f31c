#!/usr/bin/env bash
# make bench, section "dump": logical dump throughput of one pgbench database, in the same run, each in turn:
#   tailtown-pitr dump-push --database postgres (pg_dump -Fc -Z0 of it and pg_dumpall --globals-only, each streamed
#     through lz4 and AES-256-GCM into a file:// repository),
#   pg_dump -Fc -Z0 | lz4 -1 | openssl enc -aes-256-ctr > file (the same work as a shell pipeline).
# Reports wall time, MB of pg_dump output per second and peak RSS (of the largest process of the tree, pg_dump
# included; pg_dump alone is measured once beside them). It measures and reports; it asserts no wall time.
# Run through bench/bench.sh (BENCH_ONLY=dump make bench).
#
# Tunables (environment): BENCH_DUMP_SCALE (pgbench scale, 100: about 1.5 GB of database), BENCH_DUMP_RUNS (runs per tool, 2).
set -euo pipefail

BENCH_SECTION=dump
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SCALE=${BENCH_DUMP_SCALE:-100}
RUNS=${BENCH_DUMP_RUNS:-2}
TARGET_RSS_MIB=32
TARGET_VS_PIPELINE=1.1

bench_workspace
PIPE_OUT=$WS/pg_dump.lz4.aes
bench_folders "$TT_REPO"
bench_binary
[[ -n $TT ]] || die "nothing to measure: BENCH_SKIP_OURS=1"
[[ -x $PGBIN/pg_dump ]] || die "$PGBIN has no pg_dump"

PORT=$(free_port 54359)
pg_cluster_start "$PGDATA" "$PORT" "$SOCKETS" "$WS/postgres.log" "max_wal_size = 4GB" "checkpoint_timeout = 1h" "fsync = off" "synchronous_commit = off"
say "pgbench -i -s $SCALE"
pgbench_run -i -s "$SCALE" -q -I dtGvp
DB_BYTES=$(psql_q "select pg_database_size('postgres')")
DB_MB=$(mb "$DB_BYTES")
tt_config "$TT_CONF" "file://$TT_REPO"
chown postgres:postgres "$TT_CONF" "$TT_KEY"
CONNINFO="host=$SOCKETS port=$PORT user=postgres dbname=postgres"
say "database: $DB_MB MB, $RUNS runs per tool"

bench_logs
declare -A WALLS RSS STORED LABEL
# run_timed <key> <run> <command...>: lib.sh's `timed` under key-run; appends the wall time, keeps the peak RSS.
run_timed() {
    local key=$1 run=$2
    shift 2
    timed "$key-$run" "$@"
    WALLS[$key]="${WALLS[$key]:-} ${WALL[$key-$run]}"
    if ((${RSS_KB[$key-$run]} > ${RSS[$key]:-0})); then RSS[$key]=${RSS_KB[$key-$run]}; fi
}
LABEL[tt]="tailtown-pitr dump-push (lz4, AES-256-GCM, file://)"
LABEL[pipe]="pg_dump -Fc -Z0 \\| lz4 -1 \\| openssl enc -aes-256-ctr > file"

for ((run = 1; run <= RUNS; run++)); do
    say "run $run: tailtown-pitr dump-push"
    rm -rf "$TT_REPO/dumps"
    # --pg-bin: the measured major's programs, wherever scripts/postgresql-bin.sh found them.
    run_timed tt "$run" "$TT" --config "$TT_CONF" dump-push --dbname "$CONNINFO" --database postgres --pg-bin "$PGBIN"
    STORED[tt]=$(find "$TT_REPO/dumps" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
    RAW=$(as_pg "$TT" --config "$TT_CONF" dump-list --json | jq '[.[0].dumps[] | select(.database == "postgres") | .raw_bytes] | add')
    say "run $run: pg_dump | lz4 -1 | openssl"
    rm -f "$PIPE_OUT"
    run_timed pipe "$run" bash -o pipefail -c "$PGBIN/pg_dump -h $SOCKETS -p $PORT -U postgres -Fc -Z0 postgres | lz4 -1 -q | openssl enc -aes-256-ctr -pbkdf2 -pass pass:x > $PIPE_OUT"
    STORED[pipe]=$(stat -c %s "$PIPE_OUT")
done
# pg_dump alone, once: the floor both stand on, and its own peak RSS.
run_timed floor 1 bash -o pipefail -c "$PGBIN/pg_dump -h $SOCKETS -p $PORT -U postgres -Fc -Z0 postgres > /dev/null"
RAW_MB=$(mb "$RAW")

declare -A MEDIAN
for key in tt pipe floor; do MEDIAN[$key]=$(median_of "${WALLS[$key]}"); done
REPORT=$WS/dump.md
{
    echo "### Logical dumps"
    echo
    echo "pgbench -i -s $SCALE: $DB_MB MB of database, $RAW_MB MB of pg_dump -Fc -Z0 output; $("$PGBIN/pg_dump" --version), lz4 $(lz4 --version 2>&1 | sed -E 's/.* v([0-9.]+).*/\1/'), $(openssl version | cut -d' ' -f1-2)."
    echo "Median of $RUNS runs per tool, the tools in turn; pg_dump alone (to /dev/null) once."
    echo
    echo "| Tool | wall s | MB/s of dump | peak RSS MiB | stored MB |"
    echo "|---|---:|---:|---:|---:|"
    for key in tt pipe; do
        echo "| ${LABEL[$key]} | $(fmt "${MEDIAN[$key]}" %.1f) | $(awk -v mb="$RAW_MB" -v s="${MEDIAN[$key]}" 'BEGIN { printf "%.0f", mb / s }') | $(mib "${RSS[$key]}") | $(mb "${STORED[$key]}") |"
    done
    echo "| pg_dump -Fc -Z0 > /dev/null | $(fmt "${MEDIAN[floor]}" %.1f) | $(awk -v mb="$RAW_MB" -v s="${MEDIAN[floor]}" 'BEGIN { printf "%.0f", mb / s }') | $(mib "${RSS[floor]}") | |"
    echo
    goal_table Target
    goal_row "dump-push / (pg_dump \\| lz4 -1 \\| openssl), wall time" "$(ratio "${MEDIAN[tt]}" "${MEDIAN[pipe]}")" "$TARGET_VS_PIPELINE"
    goal_row "peak RSS of dump-push, MiB" "$(mib "${RSS[tt]}")" "$TARGET_RSS_MIB"
} >"$REPORT"
bench_report "$REPORT"

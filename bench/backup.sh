#!/usr/bin/env bash
# make bench, section "backup": base backup throughput of one pgbench database (no extra tablespace:
# pg_basebackup refuses to write those to standard output), in the same run, each tool in turn:
#   tailtown-pitr backup-push (lz4, file:// repository, waits for its WAL like the others),
#   pg_basebackup -Ft -X none -c fast -D - | lz4 -1 > file,
#   pgbackrest backup --type=full --start-fast (lz4 level 1, posix repository).
# Reports wall time, MB of database per second and peak RSS. It measures and reports; it asserts no wall time.
# Run through bench/bench.sh (BENCH_ONLY=backup make bench).
#
# Tunables (environment): BENCH_BACKUP_SCALE (pgbench scale, 100: about 1.5 GB), BENCH_BACKUP_RUNS (runs per tool, 2).
set -euo pipefail

BENCH_SECTION=backup
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SCALE=${BENCH_BACKUP_SCALE:-100}
RUNS=${BENCH_BACKUP_RUNS:-2}
TARGET_RSS_MIB=64

bench_workspace
PIPE_OUT=$WS/pg_basebackup.tar.lz4
bench_folders "$TT_REPO" "$PGBR_DIR/repo"

bench_binary

# ---------------------------------------------------------------------------------------------
# 1. A cluster with pgbench data; archiving goes on only after the load (the WAL of the load is not the point).

PORT=$(free_port 54349)
pgbench_cluster
DB_MB=$(mb "$DB_BYTES")

if ((WITH_PGBACKREST)); then
    pgbackrest_config "$PGBR_DIR/pgbackrest.conf" "$PGDATA" "$PORT" "$SOCKETS" \
        "repo1-path=$PGBR_DIR/repo" "repo1-retention-full=1" "expire-auto=n" "compress-type=lz4" "compress-level=1" "start-fast=y"
fi
cat >"$TT_CONF" <<EOF
TAILTOWN_REPO=file://$TT_REPO
TAILTOWN_COMPRESSION=lz4
EOF
chown postgres:postgres "$TT_CONF"
PGBR="pgbackrest --config=$PGBR_DIR/pgbackrest.conf --stanza=bench"

# Both tools archive every segment: each waits for the WAL its backup needs in its own archive.
archive=()
if [[ -n $TT ]]; then archive+=("$TT --config $TT_CONF wal-push %p"); fi
if ((WITH_PGBACKREST)); then archive+=("$PGBR archive-push %p"); fi
((${#archive[@]})) || die "nothing to back up: BENCH_SKIP_OURS=1, and $PGBACKREST_SKIPPED"
archive=$(printf '%s && ' "${archive[@]}")
archive=${archive% && }
say "archive_command = '$archive'"
if ((WITH_PGBACKREST)); then
    (cd "$PGDATA" && as_pg $PGBR stanza-create) >"$WS/stanza.log" 2>&1 || { cat "$WS/stanza.log" >&2; die "pgbackrest stanza-create failed"; }
fi
psql_q "alter system set archive_command = '$archive'" >/dev/null
psql_q "select pg_reload_conf()" >/dev/null
if ((WITH_PGBACKREST)); then
    (cd "$PGDATA" && as_pg $PGBR check) >"$WS/check.log" 2>&1 || { cat "$WS/check.log" >&2; die "pgbackrest check failed"; }
fi
say "database: $DB_MB MB (pg_database_size of all databases), $RUNS runs per tool"

# ---------------------------------------------------------------------------------------------
# 2. Runs: each tool in turn, RUNS times, under /usr/bin/time (wall seconds, peak RSS of the largest process).

declare -A WALLS RSS STORED LABEL
ORDER=()
CONNINFO="host=$SOCKETS port=$PORT user=postgres dbname=postgres"
# timed <key> <command...>: one run as postgres in the data directory; appends its wall time, keeps the peak RSS.
timed() {
    local key=$1
    shift
    (cd "$PGDATA" && as_pg /usr/bin/time -f '%e %M' -o "$WS/time-$key.txt" "$@") >>"$WS/runs.log" 2>&1 \
        || { tail -20 "$WS/runs.log" >&2; die "$key failed (log: $WS/runs.log)"; }
    local wall kb
    read -r wall kb < <(tail -1 "$WS/time-$key.txt")
    WALLS[$key]="${WALLS[$key]:-} $wall"
    if ((kb > ${RSS[$key]:-0})); then RSS[$key]=$kb; fi
}

if [[ -n $TT ]]; then LABEL[tt]="tailtown-pitr backup-push (lz4, file://)"; ORDER+=(tt); fi
LABEL[pipe]="pg_basebackup -Ft -X none -D - \\| lz4 -1 > file"
LABEL[pgbr]="pgbackrest backup --type=full (lz4 1, posix)"
ORDER+=(pipe)
if ((WITH_PGBACKREST)); then ORDER+=(pgbr); fi

for ((run = 1; run <= RUNS; run++)); do
    if [[ -n $TT ]]; then
        say "run $run: tailtown-pitr backup-push"
        rm -rf "$TT_REPO/backups"
        timed tt "$TT" --config "$TT_CONF" backup-push --dbname "$CONNINFO"
        STORED[tt]=$(find "$TT_REPO/backups" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
    fi
    say "run $run: pg_basebackup | lz4 -1"
    rm -f "$PIPE_OUT"
    timed pipe bash -o pipefail -c "$PGBIN/pg_basebackup -h $SOCKETS -p $PORT -U postgres -Ft -X none -c fast -D - | lz4 -1 -q > $PIPE_OUT"
    STORED[pipe]=$(stat -c %s "$PIPE_OUT")
    ((WITH_PGBACKREST)) || continue
    say "run $run: pgbackrest backup"
    (cd "$PGDATA" && as_pg $PGBR expire) >>"$WS/runs.log" 2>&1 || true
    timed pgbr $PGBR backup --type=full
    STORED[pgbr]=$(as_pg $PGBR info --output=json | jq '[.[0].backup[-1].info.repository.delta] | add')
done

# ---------------------------------------------------------------------------------------------
# 3. Report.

declare -A WALL
for key in "${ORDER[@]}"; do WALL[$key]=$(median_of "${WALLS[$key]}"); done

REPORT=$WS/backup.md
{
    echo "### Base backups"
    echo
    echo "pgbench -i -s $SCALE: $DB_MB MB of database; $( ((WITH_PGBACKREST)) && echo "$(pgbackrest version), ")$("$PGBIN/pg_basebackup" --version), lz4 $(lz4 --version 2>&1 | sed -E 's/.* v([0-9.]+).*/\1/')."
    echo "Median of $RUNS runs per tool, the tools in turn; fast checkpoint everywhere; each waits for its WAL to be archived."
    echo
    echo "| Tool | wall s | MB/s of database | peak RSS MiB | stored MB |"
    echo "|---|---:|---:|---:|---:|"
    for key in "${ORDER[@]}"; do
        echo "| ${LABEL[$key]} | $(fmt "${WALL[$key]}" %.1f) | $(awk -v mb="$DB_MB" -v s="${WALL[$key]}" 'BEGIN { printf "%.0f", mb / s }') | $(mib "${RSS[$key]}") | $(mb "${STORED[$key]}") |"
    done
    echo
    if [[ -n $TT ]]; then
        goal_table Target
        goal_row "backup-push / (pg_basebackup \\| lz4 -1), wall time" "$(ratio "${WALL[tt]}" "${WALL[pipe]}")" 1.0
        if ((WITH_PGBACKREST)); then
            goal_row "backup-push / pgbackrest backup, wall time" "$(ratio "${WALL[tt]}" "${WALL[pgbr]}")" 0.99 "< 1.0"
        fi
        goal_row "peak RSS of backup-push, MiB" "$(mib "${RSS[tt]}")" "$TARGET_RSS_MIB" "< $TARGET_RSS_MIB"
    else
        echo "(tailtown-pitr skipped: BENCH_SKIP_OURS=1)"
    fi
    if ((!WITH_PGBACKREST)); then echo; echo "$PGBACKREST_SKIPPED."; fi
} >"$REPORT"
bench_report "$REPORT"

#!/usr/bin/env bash
# make bench, section "files": a cluster of many small relation files (issue 17: "Full backup, incremental backup
# and restore each stay at or under 64 MiB RSS and take no longer than pgBackRest"). PostgreSQL 15, N empty tables
# `(id int primary key, v int)` (two files each: about 100,000 files for the default 50,000); a full backup; a row
# into every 20th table; an incremental backup; then a restore of the full and of the incremental (a chain of 2).
# tailtown-pitr (file://, lz4, AES-256-GCM; backup-push, restore --immediate) against pgBackRest (posix, lz4 1;
# --type=full and --type=incr, restore --type=immediate) in the same run, each command once under /usr/bin/time:
# wall seconds and peak RSS, with the goals (<= 64 MiB; time <= pgBackRest's) as PASS or MISS.
# fsync = off. It measures and reports; it asserts no wall time. Run through bench/bench.sh
# (BENCH_ONLY=files make bench). BENCH_PG 16 and later leave out the pgBackRest rows (and so the time goals).
#
# Tunables (environment): BENCH_FILES_TABLES (tables, 50000), BENCH_FILES_EVERY (a row into every Nth table
# between the two backups, 20).
set -euo pipefail

BENCH_SECTION=files
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TABLES=${BENCH_FILES_TABLES:-50000}
EVERY=${BENCH_FILES_EVERY:-20}
TARGET_RSS_MIB=64

bench_workspace
bench_folders "$TT_REPO" "$PGBR_DIR"
bench_binary
[[ -n $TT ]] || die "this section measures tailtown-pitr: BENCH_SKIP_OURS=1 leaves nothing to compare"
bench_logs
declare -A NAME

PORT=$(free_port 54600)
CONNINFO="host=$SOCKETS port=$PORT user=postgres dbname=postgres"
pg_cluster_start "$PGDATA" "$PORT" "$SOCKETS" "$WS/postgres.log" \
    "wal_level = replica" "archive_mode = on" "archive_command = 'true'" "max_wal_size = 8GB" \
    "checkpoint_timeout = 1h" "fsync = off" "autovacuum = off"
say "creating $TABLES tables"
started=$(now)
# psql -c takes no \gexec: the statement goes in on stdin.
echo "select format('create table t%s (id int primary key, v int)', i) from generate_series(1, $TABLES) i \\gexec" \
    | as_pg "$PGBIN/psql" -h "$SOCKETS" -p "$PORT" -U postgres -d postgres -Atq -v ON_ERROR_STOP=1 >/dev/null
psql_q "checkpoint" >/dev/null
FILES=$(find "$PGDATA/base" -type f | wc -l)
say "$FILES files under base/ ($(du -sm "$PGDATA/base" | cut -f1) MiB), made in $(elapsed "$started") s"

tt_config "$TT_CONF" "file://$TT_REPO"
chown postgres:postgres "$TT_CONF"
archive="$TT --config $TT_CONF wal-push %p"
if ((WITH_PGBACKREST)); then
    pgbackrest_config "$PGBR_DIR/pgbackrest.conf" "$PGDATA" "$PORT" "$SOCKETS" \
        "repo1-path=$PGBR_DIR/repo" "repo1-retention-full=2" "expire-auto=n" "compress-type=lz4" "compress-level=1" "start-fast=y"
    pgbr="pgbackrest --config=$PGBR_DIR/pgbackrest.conf --stanza=bench"
    (cd "$WS" && as_pg $pgbr stanza-create) >"$LOGS/stanza.log" 2>&1 || { cat "$LOGS/stanza.log" >&2; die "pgbackrest stanza-create failed"; }
    archive+=" && $pgbr archive-push %p"
fi
psql_q "alter system set archive_command = '$archive'" >/dev/null
psql_q "select pg_reload_conf()" >/dev/null

# backups <full|incr>: ours (its backup's name into NAME[type]), then pgBackRest's (its label into NAME[pgbr_type]).
backups() {
    local type=$1 ours
    ours=$([[ $type == full ]] && echo full || echo incremental)
    say "backup-push --type $ours"
    timed "tt_$type" "$TT" --config "$TT_CONF" backup-push --dbname "$CONNINFO" --type "$ours"
    NAME[$type]=$(sed -nE 's/^backup ([^:]+): .*/\1/p' "$LOGS/tt_$type.log" | tail -1)
    [[ -n ${NAME[$type]} ]] || die "backup-push printed no backup line (log: $LOGS/tt_$type.log)"
    if ((WITH_PGBACKREST)); then
        say "pgbackrest backup --type=$type"
        timed "pgbr_$type" $pgbr backup --type="$type"
        NAME[pgbr_$type]=$(as_pg $pgbr info --output=json | jq -r '.[0].backup[-1].label')
    fi
}
# restores <full|incr>: ours (restore --immediate), then pgBackRest's (--type=immediate), each into an empty
# folder, removed afterwards.
restores() {
    local type=$1 target=$WS/restored
    say "restore --immediate --backup ${NAME[$type]}"
    rm -rf "$target" "$target.tailtown-pitr.conf"
    sync
    timed "tt_restore_$type" "$TT" --config "$TT_CONF" restore --immediate --backup "${NAME[$type]}" --target-dir "$target"
    RESTORED[$type]=$(find "$target" -type f | wc -l)
    rm -rf "$target" "$target.tailtown-pitr.conf"
    if ((WITH_PGBACKREST)); then
        say "pgbackrest restore --type=immediate --set=${NAME[pgbr_$type]}"
        install -d -m 0700 -o postgres -g postgres "$target"
        sync
        timed "pgbr_restore_$type" $pgbr --pg1-path="$target" restore --type=immediate --set="${NAME[pgbr_$type]}"
        rm -rf "$target"
    fi
}
declare -A RESTORED

backups full
say "a row into every ${EVERY}th table"
psql_q "do \$\$ begin for i in 1..$TABLES by $EVERY loop execute format('insert into t%s values (1, 1)', i); end loop; end \$\$" >/dev/null
psql_q "checkpoint" >/dev/null
backups incr
restores full
restores incr

# ---------------------------------------------------------------------------------------------
# Report.

has() { [[ -n ${WALL[$1]:-} ]]; }
sec() { if has "$1"; then fmt "${WALL[$1]}" %.1f; fi; }
rss() { if has "$1"; then mib "${RSS_KB[$1]}"; fi; }
REPORT=$WS/files.md
{
    echo "### Many small relation files"
    echo
    echo "PostgreSQL $PG_MAJOR, $TABLES empty tables \`(id int primary key, v int)\`: $FILES files under base/; one row into"
    echo "every ${EVERY}th table between the two backups. tailtown-pitr: file://, lz4, AES-256-GCM; $(pgbackrest version): posix,"
    echo "lz4 1. Each command once, in the same run, under /usr/bin/time; fsync = off. Restores: tailtown-pitr restore"
    echo "--immediate, pgBackRest restore --type=immediate (${RESTORED[full]} and ${RESTORED[incr]} files restored by ours)."
    echo
    echo "| run | tailtown-pitr s | peak RSS MiB | pgBackRest s | peak RSS MiB |"
    echo "|---|---:|---:|---:|---:|"
    echo "| full backup | $(sec tt_full) | $(rss tt_full) | $(sec pgbr_full) | $(rss pgbr_full) |"
    echo "| incremental backup (pgBackRest: --type=incr) | $(sec tt_incr) | $(rss tt_incr) | $(sec pgbr_incr) | $(rss pgbr_incr) |"
    echo "| restore of the full | $(sec tt_restore_full) | $(rss tt_restore_full) | $(sec pgbr_restore_full) | $(rss pgbr_restore_full) |"
    echo "| restore of the incremental (chain of 2) | $(sec tt_restore_incr) | $(rss tt_restore_incr) | $(sec pgbr_restore_incr) | $(rss pgbr_restore_incr) |"
    echo
    goal_table Goal
    for run in full incr restore_full restore_incr; do
        goal_row "$run: peak RSS, MiB" "$(rss "tt_$run")" "$TARGET_RSS_MIB"
        if has "pgbr_$run"; then goal_row "$run: time / pgBackRest's" "$(ratio "${WALL[tt_$run]}" "${WALL[pgbr_$run]}")" 1; fi
    done
    if [[ -n $PGBACKREST_SKIPPED ]]; then echo; echo "$PGBACKREST_SKIPPED."; fi
} >"$REPORT"
bench_report "$REPORT"

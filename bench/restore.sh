#!/usr/bin/env bash
# make bench, section "restore": point-in-time recovery of one pgbench database to a time in the second
# half of the WAL archived after its base backup, per phase, in the same run, each in turn:
#   tailtown-pitr restore --to T --start (file:// repository, lz4, AES-256-GCM), with prefetch at its default
#     (TAILTOWN_PREFETCH=8) and with prefetch off (TAILTOWN_PREFETCH=0),
#   pgbackrest restore --type=time --target=T, then PostgreSQL started until it pauses at T
#     (posix repository, lz4 level 1, aes-256-cbc, archive-get for every segment),
#   the floors: the same base backup (restored by tailtown-pitr, untimed), PostgreSQL started until it pauses
#     at T with the same WAL already in pg_wal (the limit: replay with no fetching at all), and with
#     restore_command = 'cp' from a plain local folder (the cheapest restore_command).
# Both backups are taken one after the other with nothing written in between (the same data), and one
# archive_command archives every segment into both repositories and a plain local folder.
# It measures and reports; it asserts no wall time. Run through bench/bench.sh (BENCH_ONLY=restore make bench).
#
# Tunables (environment): BENCH_RESTORE_SCALE (pgbench scale, 150: about 2.3 GB of database),
# BENCH_RESTORE_WAL_MB (WAL written between the backup and the target, default: the database's size),
# BENCH_RESTORE_RUNS (rounds of the five restores, 3; the medians are reported).
set -euo pipefail

BENCH_SECTION=restore
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SCALE=${BENCH_RESTORE_SCALE:-150}
RUNS=${BENCH_RESTORE_RUNS:-3}
TARGET_TOTAL_VS_PGBACKREST=1.0
TARGET_REPLAY_VS_LOCAL=1.15

bench_workspace
LOCAL_WAL=$WS/local-wal
bench_folders "$TT_REPO" "$PGBR_DIR/repo" "$LOCAL_WAL"

bench_binary
[[ -n $TT ]] || ((WITH_PGBACKREST)) || die "nothing to restore: BENCH_SKIP_OURS=1, and $PGBACKREST_SKIPPED"

# ---------------------------------------------------------------------------------------------
# 1. A cluster with pgbench data; archiving goes on only after the load (the WAL of the load is not replayed).

PORT=$(free_port 54369)
pg_cluster_start "$PGDATA" "$PORT" "$SOCKETS" "$WS/postgres.log" \
    "wal_level = replica" "archive_mode = on" "archive_command = 'true'" "max_wal_size = 1GB" \
    "fsync = off" "synchronous_commit = off"
say "pgbench -i -s $SCALE"
as_pg "$PGBIN/pgbench" -h "$SOCKETS" -p "$PORT" -U postgres -i -s "$SCALE" -q -I dtGvp postgres >"$WS/pgbench.log" 2>&1 \
    || { tail -20 "$WS/pgbench.log" >&2; die "pgbench -i failed"; }
DB_BYTES=$(psql_q "select sum(pg_database_size(oid)) from pg_database")
DB_MB=$(mb "$DB_BYTES")
WAL_MB=${BENCH_RESTORE_WAL_MB:-$DB_MB}

PGBR="pgbackrest --config=$PGBR_DIR/pgbackrest.conf --stanza=bench"
archive="cp %p $LOCAL_WAL/%f"
if ((WITH_PGBACKREST)); then
    pgbackrest_config "$PGBR_DIR/pgbackrest.conf" "$PGDATA" "$PORT" "$SOCKETS" \
        "repo1-path=$PGBR_DIR/repo" "repo1-cipher-type=aes-256-cbc" "repo1-cipher-pass=tailtown-bench-cipher-pass-0123456789abcdef" \
        "repo1-retention-full=1" "expire-auto=n" "compress-type=lz4" "compress-level=1" "start-fast=y"
    archive="$PGBR archive-push %p && $archive"
fi
if [[ -n $TT ]]; then
    tt_config "$TT_CONF" "file://$TT_REPO"
    # The same settings with prefetch off: restore hands every explicit setting on to restore_command.
    TT_CONF_NOPREFETCH=$WS/tailtown-noprefetch.conf
    { cat "$TT_CONF"; echo "TAILTOWN_PREFETCH=0"; } >"$TT_CONF_NOPREFETCH"
    chown postgres:postgres "$TT_CONF" "$TT_CONF_NOPREFETCH"
    archive="$TT --config $TT_CONF wal-push %p && $archive"
fi
say "archive_command = '$archive'"
if ((WITH_PGBACKREST)); then
    (cd "$PGDATA" && as_pg $PGBR stanza-create) >"$WS/stanza.log" 2>&1 || { cat "$WS/stanza.log" >&2; die "pgbackrest stanza-create failed"; }
fi
psql_q "alter system set archive_command = '$archive'" >/dev/null
psql_q "select pg_reload_conf()" >/dev/null
if ((WITH_PGBACKREST)); then
    (cd "$PGDATA" && as_pg $PGBR check) >"$WS/check.log" 2>&1 || { cat "$WS/check.log" >&2; die "pgbackrest check failed"; }
fi

# ---------------------------------------------------------------------------------------------
# 2. Both base backups of the same data (nothing runs in between), then WAL up to the target time T and a
#    little after it (recovery stops at the first commit after T, so one must exist).

CONNINFO="host=$SOCKETS port=$PORT user=postgres dbname=postgres"
if [[ -n $TT ]]; then
    say "tailtown-pitr backup-push ($DB_MB MB of database)"
    (cd "$PGDATA" && as_pg "$TT" --config "$TT_CONF" backup-push --dbname "$CONNINFO") >"$WS/backup.log" 2>&1 \
        || { tail -20 "$WS/backup.log" >&2; die "tailtown-pitr backup-push failed"; }
fi
if ((WITH_PGBACKREST)); then
    say "pgbackrest backup --type=full"
    (cd "$PGDATA" && as_pg $PGBR backup --type=full) >>"$WS/backup.log" 2>&1 || { tail -20 "$WS/backup.log" >&2; die "pgbackrest backup failed"; }
fi
START_LSN=$(psql_q "select pg_current_wal_lsn()")

wal_since_backup() { psql_q "select pg_wal_lsn_diff(pg_current_wal_lsn(), '$START_LSN')::bigint"; }
# -n: no vacuum before a round, whose TRUNCATE of pgbench_history would empty the table the rows are counted in
# (and, right after T, hold the lock recovery pauses with).
pgbench_round() { # <seconds>
    as_pg "$PGBIN/pgbench" -h "$SOCKETS" -p "$PORT" -U postgres -n -c 2 -j 2 -T "$1" postgres >>"$WS/pgbench.log" 2>&1 \
        || { tail -20 "$WS/pgbench.log" >&2; die "pgbench failed"; }
}
# A checkpoint before each round: the first change of each page after it is logged as a full-page image,
# as on a busy server, which also makes the WAL grow fast enough to keep this section short.
say "pgbench rounds until $WAL_MB MB of WAL follow the backups"
while (($(wal_since_backup) < WAL_MB * 1000000)); do
    psql_q "checkpoint" >/dev/null
    pgbench_round 10
    say "  $(($(wal_since_backup) / 1000000)) MB of WAL"
done
# pgbench is idle here: T lies between two commits, and the rows committed by then are counted.
TARGET=$(psql_q "select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
TARGET_LSN=$(psql_q "select pg_current_wal_lsn()")
EXPECTED_ROWS=$(psql_q "select count(*) from pgbench_history")
REPLAY_BYTES=$(psql_q "select pg_wal_lsn_diff('$TARGET_LSN', '$START_LSN')::bigint")
REPLAY_MB=$(mb "$REPLAY_BYTES")
sleep 0.1 # the next commit lies clearly after T, whatever the clocks' rounding
pgbench_round 5
switched=$(psql_q "select pg_walfile_name(pg_switch_wal())")
say "target $TARGET ($REPLAY_MB MB of WAL after the backups, $EXPECTED_ROWS rows in pgbench_history); waiting for the archiver"
for _ in $(seq 1 1200); do
    archived=$(psql_q "select coalesce(last_archived_wal, '') from pg_stat_archiver")
    [[ $archived > $switched || $archived == "$switched" ]] && break
    sleep 0.5
done
[[ $archived > $switched || $archived == "$switched" ]] || die "the archiver did not reach $switched (last archived: $archived)"
SEGMENTS=$(find "$LOCAL_WAL" -type f -regextype posix-extended -regex '.*/[0-9A-F]{24}' | wc -l)

# The source stops: the restored copies start with its postgresql.conf (same port and socket folder),
# one at a time, and nothing else writes to the disk while they run.
as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
say "source cluster stopped; $SEGMENTS segments archived"

# ---------------------------------------------------------------------------------------------
# 3. The restores, one at a time, each until PostgreSQL pauses at T; then the rows are counted.
#    RUNS rounds; each round runs every restore once, starting with a different one each round.

declare -A TIMES ROWS
declare -A LABEL=([tt]=tailtown-pitr [tt0]="tailtown-pitr, prefetch off" [pgbr]=pgBackRest [local]="local pg_wal" [cp]="restore_command cp")
TT_RSS_KB=0
NOTES=()
for copy in tt tt0 pgbackrest local cp; do bench_on_exit "runuser -u postgres -- $PGBIN/pg_ctl -D $WS/restore-$copy -m immediate -w stop"; done
record() { TIMES[$1]="${TIMES[$1]:-} $2"; } # <key> <seconds>
# Before each timed step: what the previous copy left for the kernel to write back is written now, not
# during the next tool's turn (the copies run with fsync = off, like their source).
settle() { sync; sleep 1; }
stop_copy() { # <data dir>
    as_pg "$PGBIN/pg_ctl" -D "$1" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$1"
}
count_rows() { # <key>: pgbench_history as the paused copy has it, checked against the source at T
    ROWS[$1]=$(psql_q "set lock_timeout = '60s'; select count(*) from pgbench_history") || die "counting the rows of the $1 copy failed"
    [[ ${ROWS[$1]} == "$EXPECTED_ROWS" ]] || NOTES+=("${LABEL[$1]}: pgbench_history holds ${ROWS[$1]} rows at the target, the source held $EXPECTED_ROWS")
}
restore_tailtown() { # <tt: prefetch at its default | tt0: prefetch off>
    local key=$1 target=$WS/restore-$1 conf=$TT_CONF started kb phases plan extract replay staged
    if [[ $key == tt0 ]]; then conf=$TT_CONF_NOPREFETCH; fi
    say "tailtown-pitr restore --to '$TARGET' --start (${LABEL[$key]})"
    settle
    started=$(now)
    (cd "$WS" && as_pg /usr/bin/time -f '%e %M' -o "$WS/time-restore.txt" \
        "$TT" --config "$conf" restore --to "$TARGET" --target-dir "$target" --start --pg-bin "$PGBIN") >"$WS/restore-$key.log" 2>&1 \
        || { tail -30 "$WS/restore-$key.log" >&2; die "tailtown-pitr restore failed (log: $WS/restore-$key.log)"; }
    record "${key}_outside" "$(elapsed "$started")"
    read -r _ kb < <(tail -1 "$WS/time-restore.txt")
    if ((kb > TT_RSS_KB)); then TT_RSS_KB=$kb; fi
    # "phases: plan 0.3 s, download+extract 41.2 s, recovery to target 63.0 s"
    phases=$(grep '^phases:' "$WS/restore-$key.log") || die "restore printed no phase times (log: $WS/restore-$key.log)"
    phases=$(sed -E 's/.*plan ([0-9.]+) s, download\+extract ([0-9.]+) s, recovery to target ([0-9.]+) s.*/\1 \2 \3/' <<<"$phases")
    read -r plan extract replay <<<"$phases"
    # "  WAL: 112 segments staged for recovery in 0.7 s" (prefetch on): part of download+extract.
    staged=$(sed -nE 's/.*WAL: ([0-9]+) segments? staged for recovery in ([0-9.]+) s.*/\2/p' "$WS/restore-$key.log")
    if [[ -n $staged ]]; then record "${key}_staged" "$staged"; fi
    record "${key}_plan" "$plan"
    record "${key}_extract" "$extract"
    record "${key}_replay" "$replay"
    record "${key}_total" "$(awk -v a="$plan" -v b="$extract" -v c="$replay" 'BEGIN { printf "%.2f", a + b + c }')"
    count_rows "$key"
    stop_copy "$target"
}

restore_pgbackrest() {
    local target=$WS/restore-pgbackrest started extract replay
    say "pgbackrest restore --type=time --target='$TARGET', then PostgreSQL until it pauses (restore_command: archive-get)"
    install -d -m 0700 -o postgres -g postgres "$target"
    settle
    started=$(now)
    (cd "$WS" && as_pg $PGBR --pg1-path="$target" restore --type=time --target="$TARGET") >"$WS/restore-pgbackrest.log" 2>&1 \
        || { tail -30 "$WS/restore-pgbackrest.log" >&2; die "pgbackrest restore failed"; }
    extract=$(elapsed "$started")
    started=$(now)
    start_until_paused "$target" "$WS/restore-pgbackrest.postgresql.log"
    replay=$(elapsed "$started")
    record pgbr_extract "$extract"
    record pgbr_replay "$replay"
    record pgbr_total "$(awk -v a="$extract" -v b="$replay" 'BEGIN { printf "%.2f", a + b }')"
    count_rows pgbr
    stop_copy "$target"
}

# The floors: the same base backup (restored untimed) replayed with no fetching at all, from every segment
# already in pg_wal (local), or with the cheapest restore_command there is (cp from the plain local folder).
replay_floor() { # <local|cp>
    local kind=$1 target=$WS/restore-$1 started
    say "the floor ($kind): the same base backup (restored untimed), ${LABEL[$kind]}"
    (cd "$WS" && as_pg "$TT" --config "$TT_CONF" restore --to "$TARGET" --target-dir "$target") >"$WS/restore-$kind.log" 2>&1 \
        || { tail -30 "$WS/restore-$kind.log" >&2; die "tailtown-pitr restore (untimed) failed"; }
    if [[ $kind == local ]]; then
        # Hard links, no copy to wait for: a recovery that pauses never writes into a segment, and restartpoints
        # only rename or unlink the ones replayed, which leaves the local folder whole for the next round.
        ln "$LOCAL_WAL"/* "$target/pg_wal/"
        # Archive recovery needs a restore_command; this one finds nothing, so PostgreSQL reads pg_wal.
        echo "restore_command = 'false'" >>"$target/postgresql.auto.conf"
    else
        echo "restore_command = 'cp $LOCAL_WAL/%f %p'" >>"$target/postgresql.auto.conf"
    fi
    settle
    started=$(now)
    start_until_paused "$target" "$WS/restore-$kind.postgresql.log"
    record "${kind}_replay" "$(elapsed "$started")"
    count_rows "$kind"
    stop_copy "$target"
}

TOOLS=(pgbr)
if [[ -n $TT ]]; then TOOLS=(tt pgbr local tt0 cp); fi
if ((!WITH_PGBACKREST)); then TOOLS=(tt local tt0 cp); fi
for ((run = 0; run < RUNS; run++)); do
    for ((i = 0; i < ${#TOOLS[@]}; i++)); do
        tool=${TOOLS[$(((i + run) % ${#TOOLS[@]}))]}
        case $tool in
            tt | tt0) restore_tailtown "$tool" ;;
            pgbr) restore_pgbackrest ;;
            *) replay_floor "$tool" ;;
        esac
    done
done

# ---------------------------------------------------------------------------------------------
# 4. Report: medians over the runs.

declare -A MEDIAN
for key in "${!TIMES[@]}"; do MEDIAN[$key]=$(median_of "${TIMES[$key]}"); done
cell() { # <seconds key> [MB]: "12.3", or "12.3 (456)" with MB/s
    local seconds
    seconds=$(fmt "${MEDIAN[$1]}" %.1f)
    if [[ -n ${2:-} ]]; then seconds+=" ($(awk -v mb="$2" -v s="${MEDIAN[$1]}" 'BEGIN { printf "%.0f", mb / s }'))"; fi
    echo "$seconds"
}

# pgbr_col <text>: a cell of the pgBackRest column, which is left out when pgBackRest is.
pgbr_col() { if ((WITH_PGBACKREST)); then printf ' %s |' "$1"; fi; }

REPORT=$WS/restore.md
{
    echo "### Restore to a point in time"
    echo
    echo "pgbench -i -s $SCALE: $DB_MB MB of database; $REPLAY_MB MB of WAL (pgbench -c 2, a checkpoint every 10 s) from the backups to the target,"
    echo "$SEGMENTS segments archived in all; $( ((WITH_PGBACKREST)) && echo "$(pgbackrest version), ")PostgreSQL $PG_MAJOR."
    echo "Median of $RUNS runs of each, the tools in turn (a different one first in each round), on the same data."
    echo
    echo "| Phase, seconds | tailtown-pitr | tailtown-pitr, prefetch off |$(pgbr_col pgBackRest) local pg_wal (limit) | restore_command cp |"
    echo "|---|---:|---:|$(pgbr_col ---:)---:|---:|"
    if [[ -n $TT ]]; then
        echo "| plan | $(cell tt_plan) | $(cell tt0_plan) |$(pgbr_col "") | |"
        echo "| download + extract (MB/s of database) | $(cell tt_extract "$DB_MB") | $(cell tt0_extract "$DB_MB") |$(pgbr_col "$(cell pgbr_extract "$DB_MB")") | |"
        echo "| of which WAL staged before the start (MB/s of WAL) | $(cell tt_staged "$REPLAY_MB") | |$(pgbr_col "") | |"
        echo "| start and replay to the target (MB/s of WAL) | $(cell tt_replay "$REPLAY_MB") | $(cell tt0_replay "$REPLAY_MB") |$(pgbr_col "$(cell pgbr_replay "$REPLAY_MB")") $(cell local_replay "$REPLAY_MB") | $(cell cp_replay "$REPLAY_MB") |"
        echo "| total | $(cell tt_total) | $(cell tt0_total) |$(pgbr_col "$(cell pgbr_total)") | |"
        echo
        echo "tailtown-pitr restore timed from outside: $(cell tt_outside) s (prefetch off: $(cell tt0_outside) s); its peak RSS $(mib "$TT_RSS_KB") MiB."
        echo "tailtown-pitr is run with TAILTOWN_PREFETCH at its default (8), and with TAILTOWN_PREFETCH=0 (prefetch off)."
        echo
        goal_table Target
        if ((WITH_PGBACKREST)); then
            goal_row "restore total / pgBackRest total" "$(ratio "${MEDIAN[tt_total]}" "${MEDIAN[pgbr_total]}")" 0.99 "< $TARGET_TOTAL_VS_PGBACKREST"
        fi
        goal_row "replay / replay of local pg_wal" "$(ratio "${MEDIAN[tt_replay]}" "${MEDIAN[local_replay]}")" "$TARGET_REPLAY_VS_LOCAL"
        goal_row "replay / replay with prefetch off" "$(ratio "${MEDIAN[tt_replay]}" "${MEDIAN[tt0_replay]}")" 1.0
        r=$(ratio "${MEDIAN[tt0_replay]}" "${MEDIAN[local_replay]}")
        echo "| (replay with prefetch off / replay of local pg_wal) | $r | | |"
        if ((WITH_PGBACKREST)); then
            r=$(ratio "${MEDIAN[pgbr_replay]}" "${MEDIAN[local_replay]}")
            echo "| (pgBackRest replay / replay of local pg_wal) | $r | | |"
        fi
        r=$(ratio "${MEDIAN[tt_replay]}" "${MEDIAN[cp_replay]}")
        echo "| (replay / replay with restore_command cp) | $r | | |"
    else
        echo "| download + extract (MB/s of database) | | | $(cell pgbr_extract "$DB_MB") | | |"
        echo "| start and replay to the target (MB/s of WAL) | | | $(cell pgbr_replay "$REPLAY_MB") | | |"
        echo "| total | | | $(cell pgbr_total) | | |"
        echo
        echo "(tailtown-pitr and the floors skipped: BENCH_SKIP_OURS=1; the floors restore the base backup with it)"
    fi
    echo
    rows="source $EXPECTED_ROWS"
    for key in tt tt0 pgbr local cp; do
        if [[ -n ${ROWS[$key]:-} ]]; then rows+=", ${LABEL[$key]} ${ROWS[$key]}"; fi
    done
    echo "Rows in pgbench_history at the target (last round): $rows."
    if ((!WITH_PGBACKREST)); then echo "$PGBACKREST_SKIPPED."; fi
    for note in "${NOTES[@]}"; do echo "WARNING: $note"; done
} >"$REPORT"
bench_report "$REPORT"

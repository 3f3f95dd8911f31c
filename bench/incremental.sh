#!/usr/bin/env bash
# make bench, section "incremental": incremental backups (issue 17) on a pgbench database where, between two
# backups, a contiguous 5% of pgbench_accounts' blocks is updated (`where (ctid::text::point)[0]` in a range of
# blocks; random updates of 5% of the rows would touch nearly every page). Each comparison in the same run:
#   PostgreSQL 15, block compare: backup-push --type full, then --type incremental, against pgbackrest backup
#     --type=incr with its block incremental on (repo-bundle, repo-block) and off, on the same data;
#   PostgreSQL 18, summaries off (block compare), then on (the server-side way), against pg_basebackup
#     --incremental + pg_combinebackup (time and peak disk); then a chain of 6 (a full and 5 incrementals)
#     whose newest backup is restored against an equal full backup taken at the same point;
#   the stored bytes of each incremental against lz4 -1 of the 8 KiB blocks that changed (counted by digests of
#     every block before and after, bench/changed-blocks.py), and on 18 the changed fraction the WAL summaries show;
#   peak RSS of backup-push and restore on file://, and on s3:// against moto (behind stunnel, as in section s3).
# Everything runs with fsync = off, a fast checkpoint, lz4 and AES-256-GCM (tailtown-pitr), lz4 1 (pgBackRest).
# It measures and reports; it asserts no wall time. Run through bench/bench.sh (BENCH_ONLY=incremental make bench).
# The section picks its own majors (15 and 18): BENCH_PG does not apply.
#
# Tunables (environment): BENCH_INCR_SCALE (pgbench scale, 300: about 4.5 GB), BENCH_INCR_PERCENT (share of
# pgbench_accounts' blocks updated between two backups, 5), BENCH_INCR_CHAIN (backups in the restored chain, 6),
# BENCH_INCR_MAJORS (the majors measured, "15 18"), BENCH_INCR_S3 (1: the s3:// memory rows; 0 leaves them out).
set -euo pipefail

BENCH_SECTION=incremental
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SCALE=${BENCH_INCR_SCALE:-300}
PERCENT=${BENCH_INCR_PERCENT:-5}
CHAIN=${BENCH_INCR_CHAIN:-6}
MAJORS=${BENCH_INCR_MAJORS:-15 18}
WITH_S3=${BENCH_INCR_S3:-1}
TARGET_STORED_VS_BLOCKS=1.5
TARGET_SERVER_SIDE_VS_FULL=0.3
TARGET_BLOCK_COMPARE_VS_FULL=0.7
TARGET_CHAIN_RESTORE_VS_FULL=1.15
TARGET_RSS_MIB=64
ACCESS_KEY=AKIDBENCH
SECRET_KEY=bench-secret-key
BUCKET=bench

bench_workspace
bench_folders "$TT_REPO" "$PGBR_DIR"
bench_binary
[[ -n $TT ]] || die "this section measures tailtown-pitr's incremental backups: BENCH_SKIP_OURS=1 leaves nothing to compare"
CHANGED_BLOCKS="python3 $BENCH_ROOT/bench/changed-blocks.py"

# use_major <major>: PGBIN and PG_MAJOR of that PostgreSQL, for pg_cluster_start, psql_q and pgbench_run.
use_major() {
    PGBIN=$(bash "$BENCH_ROOT/scripts/postgresql-bin.sh" "$1") || return 1
    PG_MAJOR=$1
}

# ---------------------------------------------------------------------------------------------
# Measuring: each command once, as postgres, under /usr/bin/time; its output kept in $WS/logs.

declare -A STORED NOTE
bench_logs
# tt_backup <key> <config> <full|incremental>: backup-push, timed; STORED[key] is its stored bytes (backup-list).
tt_backup() {
    local key=$1 conf=$2 type=$3 name
    say "backup-push --type $type ($key)"
    timed "$key" "$TT" --config "$conf" backup-push --dbname "$CONNINFO" --type "$type"
    name=$(sed -nE 's/^backup ([^:]+): .*/\1/p' "$LOGS/$key.log" | tail -1)
    [[ -n $name ]] || die "backup-push printed no backup line (log: $LOGS/$key.log)"
    STORED[$key]=$(as_pg "$TT" --config "$conf" backup-list --json | jq --arg n "$name" '.[] | select(.name == $n) | .stored_bytes')
    NAME[$key]=$name
    if [[ $type == incremental ]]; then
        if grep -q "by block compare" "$LOGS/$key.log"; then WAY[$key]="block compare"; else WAY[$key]=server-side; fi
    fi
}
declare -A NAME WAY
# tt_restore <key> <config> <backup name>: restore --immediate into a new folder, timed, then removed.
tt_restore() {
    local key=$1 conf=$2 backup=$3 target=$WS/restored
    say "restore --backup $backup ($key)"
    rm -rf "$target"
    sync
    if ! (cd "$WS" && as_pg /usr/bin/time -f '%e %M' -o "$LOGS/$key.time" \
        "$TT" --config "$conf" restore --immediate --backup "$backup" --target-dir "$target") >"$LOGS/$key.log" 2>&1; then
        rm -rf "$target"
        return 1
    fi
    local wall kb
    read -r wall kb < <(tail -1 "$LOGS/$key.time")
    # A chain restored without its rebuild leaves PostgreSQL's INCREMENTAL.* files and an incremental backup_label,
    # which the server refuses to start from: not a restore.
    if [[ -n $(find "$target" -name 'INCREMENTAL.*' -print -quit) ]] || grep -q '^INCREMENTAL FROM' "$target/backup_label" 2>/dev/null; then
        echo "error: the restored directory holds INCREMENTAL.* files or an incremental backup_label: the chain was not rebuilt" >>"$LOGS/$key.log"
        rm -rf "$target" "$target.tailtown-pitr.conf"
        return 1
    fi
    WALL[$key]=$wall
    RSS_KB[$key]=$kb
    DISK[$key]=$(du -sb "$target" | cut -f1)
    rm -rf "$target" "$target.tailtown-pitr.conf"
}
declare -A DISK

# ---------------------------------------------------------------------------------------------
# The database and the changes between backups.

# start_cluster <major> <extra postgresql.conf lines...>: a new cluster with pgbench -i at SCALE; archiving
# (archive_command) is set by the caller once the load is in.
start_cluster() {
    local major=$1
    shift
    use_major "$major" || die "no PostgreSQL $major"
    PGDATA=$WS/pgdata-$major
    SOCKETS=$WS/run-$major
    PORT=$(free_port $((54400 + major)))
    CONNINFO="host=$SOCKETS port=$PORT user=postgres dbname=postgres"
    pg_cluster_start "$PGDATA" "$PORT" "$SOCKETS" "$WS/postgres-$major.log" \
        "wal_level = replica" "archive_mode = on" "archive_command = 'true'" "max_wal_size = 8GB" \
        "checkpoint_timeout = 1h" "fsync = off" "autovacuum = off" "$@"
    say "PostgreSQL $major: pgbench -i -s $SCALE"
    pgbench_run -i -s "$SCALE" -q -I dtGvp
    # Settled pages, as on a database in service: a second VACUUM sets what the first could not (hint bits),
    # which the first update would otherwise set on every page, a change of nearly every block.
    psql_q "vacuum" >/dev/null
    psql_q "checkpoint" >/dev/null
    DB_BYTES[$major]=$(psql_q "select sum(pg_database_size(oid)) from pg_database")
    ACCOUNT_BLOCKS=$(psql_q "select pg_relation_size('pgbench_accounts') / 8192")
    STEP=$((ACCOUNT_BLOCKS * PERCENT / 100))
    ROUND=0
}
declare -A DB_BYTES
stop_cluster() {
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
    rm -rf "$PGDATA"
}
set_archive_command() {
    psql_q "alter system set archive_command = '$1'" >/dev/null
    psql_q "select pg_reload_conf()" >/dev/null
}

# update_round: updates the rows of the next contiguous PERCENT% of pgbench_accounts' blocks (blocks
# ROUND*STEP up to (ROUND+1)*STEP), vacuums it (so that the next round's new row versions reuse the space
# freed here, as autovacuum would) and checkpoints. Sets ROUND_LSNS to the WAL written by the round ("from to").
update_round() {
    local from=$((ROUND * STEP)) to=$(((ROUND + 1) * STEP)) before
    before=$(psql_q "select pg_current_wal_lsn()")
    say "update of pgbench_accounts' blocks $from to $to of $ACCOUNT_BLOCKS"
    psql_q "update pgbench_accounts set abalance = abalance + 1 where (ctid::text::point)[0] >= $from and (ctid::text::point)[0] < $to" >/dev/null
    psql_q "vacuum pgbench_accounts" >/dev/null
    psql_q "checkpoint" >/dev/null
    ROUND_LSNS="$before $(psql_q "select pg_current_wal_lsn()")"
    ROUND=$((ROUND + 1))
}

# snapshot_blocks: a digest of every block as it is now (after a checkpoint, nothing running), for changed_blocks.
snapshot_blocks() { $CHANGED_BLOCKS snapshot "$PGDATA" "$WS/blocks.snapshot"; }
# changed_blocks <key>: CHANGED[key] blocks of TOTAL[key] differ from the snapshot; LZ4[key] is lz4 -1 of them.
declare -A CHANGED TOTAL LZ4 SUMMARIZED
changed_blocks() {
    local key=$1 counts
    counts=$($CHANGED_BLOCKS changed "$PGDATA" "$WS/blocks.snapshot" "$WS/changed.blocks")
    read -r "CHANGED[$key]" "TOTAL[$key]" <<<"$counts"
    LZ4[$key]=$(lz4 -1 -c "$WS/changed.blocks" | wc -c)
    rm -f "$WS/changed.blocks"
}
# summarized_blocks <key> <from LSN> <to LSN>: the blocks the WAL summaries between the two LSNs name
# (pg_wal_summary_contents, what pg_walsummary prints), once the summarizer has summarized the WAL up to the
# last checkpoint (a summary file ends at each checkpoint's redo point).
summarized_blocks() {
    local key=$1 from=$2 to=$3
    wait_summarized
    SUMMARIZED[$key]=$(psql_q "select count(*) from (select distinct c.relfilenode, c.reltablespace, c.reldatabase, c.relforknumber, c.relblocknumber
        from pg_available_wal_summaries() s, pg_wal_summary_contents(s.tli, s.start_lsn, s.end_lsn) c
        where s.end_lsn > '$from' and s.start_lsn < '$to' and not c.is_limit_block) b")
}
# wait_summarized: checkpoints, then waits (a minute at most) until the WAL summarizer has written the summary
# that ends at that checkpoint's redo point.
wait_summarized() {
    local redo
    psql_q "checkpoint" >/dev/null
    redo=$(psql_q "select redo_lsn from pg_control_checkpoint()")
    for _ in $(seq 1 300); do
        [[ $(psql_q "select coalesce(summarized_lsn >= '$redo', false) from pg_get_wal_summarizer_state()") == t ]] && return 0
        sleep 0.2
    done
    say "warning: the WAL summarizer did not reach $redo within a minute"
}

# pgbr_backups <full|incr>: pgbackrest backup --type=<type> into repo1 (block incremental on) and repo2 (off),
# timed, with the bytes each stored (the key pgbr_<type>_block, pgbr_<type>_file). pgbr is the command line.
pgbr_backups() {
    local type=$1 repo key
    say "pgbackrest backup --type=$type, block incremental on (repo1) and off (repo2)"
    for repo in 1 2; do
        key=pgbr_${type}_$( ((repo == 1)) && echo block || echo file)
        timed "$key" $pgbr --repo=$repo backup --type="$type"
        STORED[$key]=$(as_pg $pgbr --repo=$repo info --output=json | jq '.[0].backup[-1].info.repository.delta')
    done
}

# ---------------------------------------------------------------------------------------------
# The s3:// rows: moto behind stunnel (bench/lib.sh), one repository per major measured.

if ((WITH_S3)); then
    s3_tls_server "$WS/tls"
    s3_make_bucket "$BUCKET"
    say "moto behind stunnel at $S3_ENDPOINT"
fi
s3_config() { # <file> <prefix>
    tt_config "$1" "s3://$BUCKET/$2" "AWS_ENDPOINT_URL=$S3_ENDPOINT" "TAILTOWN_S3_CA_FILE=$S3_CA" \
        "AWS_ACCESS_KEY_ID=$ACCESS_KEY" "AWS_SECRET_ACCESS_KEY=$SECRET_KEY" "AWS_REGION=us-east-1"
    chown postgres:postgres "$1"
    chmod 0600 "$1" # it holds a secret: tailtown-pitr refuses a config file others may read
}

# tt_configs <major>: conf (file://) and s3conf (s3://, with WITH_S3) of that major's repositories, and archive,
# the archive_command that pushes into both.
tt_configs() {
    conf=$WS/tailtown-$1.conf
    s3conf=$WS/tailtown-$1-s3.conf
    tt_config "$conf" "file://$TT_REPO/$1"
    chown postgres:postgres "$conf"
    archive="$TT --config $conf wal-push %p"
    if ((WITH_S3)); then
        s3_config "$s3conf" "tailtown-$1"
        archive+=" && $TT --config $s3conf wal-push %p"
    fi
}

RESTORE_PENDING=""
# restore_or_pending <key> <config> <backup>: a restore of an incremental that this build refuses is noted once
# (restore of incremental chains comes with the rebuild), not a failure of the section.
restore_or_pending() {
    if ! tt_restore "$@"; then
        RESTORE_PENDING="restore of an incremental failed or is not supported by this build: $(grep -m1 -i 'error' "$LOGS/$1.log" || tail -1 "$LOGS/$1.log")"
        say "$RESTORE_PENDING"
    fi
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL 15: block compare, against pgBackRest's incremental with block incremental on and off.

run_15() {
    start_cluster 15
    local conf s3conf archive pgbr_conf=$PGBR_DIR/pgbackrest.conf
    tt_configs 15
    # repo1: block incremental on (it needs bundling); repo2: off. archive-push stores into both.
    pgbackrest_config "$pgbr_conf" "$PGDATA" "$PORT" "$SOCKETS" \
        "repo1-path=$PGBR_DIR/repo-block" "repo1-bundle=y" "repo1-block=y" "repo1-retention-full=2" \
        "repo2-path=$PGBR_DIR/repo-file" "repo2-retention-full=2" \
        "expire-auto=n" "compress-type=lz4" "compress-level=1" "start-fast=y"
    # --beta: repo1-block is a beta option in 2.45, refused by every command without it.
    local pgbr="pgbackrest --config=$pgbr_conf --stanza=bench --beta"
    (cd "$PGDATA" && as_pg $pgbr stanza-create) >"$LOGS/stanza.log" 2>&1 || { cat "$LOGS/stanza.log" >&2; die "pgbackrest stanza-create failed"; }
    archive+=" && $pgbr archive-push %p"
    set_archive_command "$archive"
    say "archive_command = '$archive'"

    tt_backup full15 "$conf" full
    pgbr_backups full
    if ((WITH_S3)); then tt_backup s3_full15 "$s3conf" full; fi
    snapshot_blocks

    update_round
    changed_blocks incr15
    tt_backup incr15 "$conf" incremental
    pgbr_backups incr
    if ((WITH_S3)); then
        tt_backup s3_incr15 "$s3conf" incremental
        tt_restore s3_restore_full15 "$s3conf" "${NAME[s3_full15]}" || die "restore of a full backup from s3:// failed (log: $LOGS/s3_restore_full15.log)"
        restore_or_pending s3_restore_incr15 "$s3conf" "${NAME[s3_incr15]}"
    fi
    tt_restore restore_full15 "$conf" "${NAME[full15]}" || die "restore of a full backup failed (log: $LOGS/restore_full15.log)"
    restore_or_pending restore_incr15 "$conf" "${NAME[incr15]}"
    DB15=${DB_BYTES[15]}
    stop_cluster
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL 18: block compare with summarize_wal off, then the server-side way with it on, against
# pg_basebackup --incremental and pg_combinebackup, then the chain restored against an equal full backup.

run_18() {
    start_cluster 18 "summarize_wal = off"
    local conf s3conf archive
    tt_configs 18
    set_archive_command "$archive"

    # Summaries off: the block-compare way.
    tt_backup full18_off "$conf" full
    snapshot_blocks
    update_round
    changed_blocks incr18_off
    tt_backup incr18_off "$conf" incremental

    # Summaries on: a new full (the summaries must cover the WAL from its start), then the server-side way.
    psql_q "alter system set summarize_wal = on" >/dev/null
    psql_q "select pg_reload_conf()" >/dev/null
    wait_summarized
    tt_backup full18 "$conf" full
    if ((WITH_S3)); then tt_backup s3_full18 "$s3conf" full; fi
    local pgbb=$WS/pg_basebackup
    rm -rf "$pgbb"
    install -d -o postgres -g postgres "$pgbb"
    say "pg_basebackup (full, plain format, with its manifest)"
    timed pgbb_full "$PGBIN/pg_basebackup" -h "$SOCKETS" -p "$PORT" -U postgres -c fast -X none -D "$pgbb/full"
    snapshot_blocks
    update_round
    changed_blocks incr18
    read -r from to <<<"$ROUND_LSNS"
    summarized_blocks incr18 "$from" "$to"
    wait_summarized
    tt_backup incr18 "$conf" incremental
    say "pg_basebackup --incremental, then pg_combinebackup"
    timed pgbb_incr "$PGBIN/pg_basebackup" -h "$SOCKETS" -p "$PORT" -U postgres -c fast -X none \
        --incremental="$pgbb/full/backup_manifest" -D "$pgbb/incr"
    sync
    timed pgbb_combine "$PGBIN/pg_combinebackup" "$pgbb/full" "$pgbb/incr" -o "$pgbb/combined"
    DISK[pgbb_full]=$(du -sb "$pgbb/full" | cut -f1)
    DISK[pgbb_incr]=$(du -sb "$pgbb/incr" | cut -f1)
    DISK[pgbb_combined]=$(du -sb "$pgbb/combined" | cut -f1)
    rm -rf "$pgbb"
    if ((WITH_S3)); then tt_backup s3_incr18 "$s3conf" incremental; fi

    # The chain: full18, incr18, and more incrementals until it holds CHAIN backups; then a full of the same data.
    local length=2 key
    while ((length < CHAIN)); do
        update_round
        wait_summarized
        key=chain$((length + 1))
        tt_backup "$key" "$conf" incremental
        length=$((length + 1))
    done
    NEWEST=$key
    tt_backup full18_equal "$conf" full
    tt_restore restore_full18 "$conf" "${NAME[full18_equal]}" || die "restore of a full backup failed (log: $LOGS/restore_full18.log)"
    restore_or_pending restore_chain18 "$conf" "${NAME[$NEWEST]}"
    if ((WITH_S3)); then
        tt_restore s3_restore_full18 "$s3conf" "${NAME[s3_full18]}" || die "restore of a full backup from s3:// failed (log: $LOGS/s3_restore_full18.log)"
        restore_or_pending s3_restore_incr18 "$s3conf" "${NAME[s3_incr18]}"
    fi
    stop_cluster
}

for major in $MAJORS; do
    case $major in
        15) run_15 ;;
        18)
            if use_major 18 2>/dev/null; then run_18; else NOTE[18]="PostgreSQL 18 not found: its rows are left out"; fi
            ;;
        *) die "BENCH_INCR_MAJORS: $major is not 15 or 18" ;;
    esac
done

# ---------------------------------------------------------------------------------------------
# Report.

has() { [[ -n ${WALL[$1]:-} ]]; }
sec() { fmt "${WALL[$1]}" %.1f; }
mbytes() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f%%", 100 * a / b }'; }
rss() { if [[ -n ${RSS_KB[$1]:-} ]]; then mib "${RSS_KB[$1]}"; else echo "n/a"; fi; }

declare -A LABEL=(
    [full15]="PostgreSQL 15: backup-push --type full"
    [incr15]="PostgreSQL 15: backup-push --type incremental"
    [pgbr_full_block]="PostgreSQL 15: pgbackrest --type=full, block incremental on"
    [pgbr_incr_block]="PostgreSQL 15: pgbackrest --type=incr, block incremental on"
    [pgbr_full_file]="PostgreSQL 15: pgbackrest --type=full, block incremental off"
    [pgbr_incr_file]="PostgreSQL 15: pgbackrest --type=incr, block incremental off"
    [full18_off]="PostgreSQL 18, summarize_wal off: backup-push --type full"
    [incr18_off]="PostgreSQL 18, summarize_wal off: backup-push --type incremental"
    [full18]="PostgreSQL 18, summarize_wal on: backup-push --type full"
    [incr18]="PostgreSQL 18, summarize_wal on: backup-push --type incremental"
    [full18_equal]="PostgreSQL 18: full backup of the chain's newest data"
    [restore_full15]="PostgreSQL 15: the full backup"
    [restore_incr15]="PostgreSQL 15: the incremental (chain of 2)"
    [s3_restore_full15]="PostgreSQL 15, s3://: the full backup"
    [s3_restore_incr15]="PostgreSQL 15, s3://: the incremental (chain of 2)"
    [restore_full18]="PostgreSQL 18: a full backup of the chain's newest data"
    [restore_chain18]="PostgreSQL 18: the newest of a chain of $CHAIN"
    [s3_restore_full18]="PostgreSQL 18, s3://: the full backup"
    [s3_restore_incr18]="PostgreSQL 18, s3://: the incremental (chain of 2)"
)
for ((i = 3; i <= CHAIN; i++)); do LABEL[chain$i]="PostgreSQL 18: incremental $i of the chain"; done

REPORT=$WS/incremental.md
{
    echo "### Incremental backups"
    echo
    echo "pgbench -i -s $SCALE; between two backups the rows of the next contiguous $PERCENT% of pgbench_accounts' blocks"
    echo "are updated, then VACUUM and CHECKPOINT. tailtown-pitr: lz4, AES-256-GCM, file:// unless s3:// is said;"
    echo "$(pgbackrest version): lz4 1, posix; every run once, in the same run; fsync = off, autovacuum = off."
    echo
    echo "| Backup | way | wall s | peak RSS MiB | stored MB | changed blocks (of all) | lz4 -1 of the changed blocks, MB |"
    echo "|---|---|---:|---:|---:|---:|---:|"
    for key in full15 incr15 pgbr_full_block pgbr_incr_block pgbr_full_file pgbr_incr_file full18_off incr18_off full18 incr18 $(for ((i = 3; i <= CHAIN; i++)); do echo "chain$i"; done) full18_equal; do
        has "$key" || continue
        changed="" packed=""
        way=${WAY[$key]:-}
        if [[ -n ${CHANGED[$key]:-} ]]; then
            changed="${CHANGED[$key]} ($(pct "${CHANGED[$key]}" "${TOTAL[$key]}"))"
            packed=$(mbytes "${LZ4[$key]}")
        fi
        echo "| ${LABEL[$key]} | $way | $(sec "$key") | $(rss "$key") | $(mbytes "${STORED[$key]}") | $changed | $packed |"
    done
    if has pgbb_full; then
        echo "| PostgreSQL 18: pg_basebackup (full, plain) | | $(sec pgbb_full) | $(rss pgbb_full) | $(mbytes "${DISK[pgbb_full]}") | | |"
        echo "| PostgreSQL 18: pg_basebackup --incremental | | $(sec pgbb_incr) | $(rss pgbb_incr) | $(mbytes "${DISK[pgbb_incr]}") | | |"
        echo "| PostgreSQL 18: pg_combinebackup full incr | | $(sec pgbb_combine) | $(rss pgbb_combine) | $(mbytes "${DISK[pgbb_combined]}") | | |"
    fi
    echo
    if [[ -n ${SUMMARIZED[incr18]:-} ]]; then
        echo "WAL summaries on 18 (pg_wal_summary_contents over the round's WAL, the blocks pg_walsummary lists): ${SUMMARIZED[incr18]} blocks,"
        echo "$(pct "${SUMMARIZED[incr18]}" "${TOTAL[incr18]}") of the cluster's ${TOTAL[incr18]} relation blocks; by digests before and after: ${CHANGED[incr18]}."
        echo
    fi
    echo "| Restore (restore --immediate --backup NAME) | wall s | peak RSS MiB | restored MB |"
    echo "|---|---:|---:|---:|"
    for key in restore_full15 restore_incr15 s3_restore_full15 s3_restore_incr15 restore_full18 restore_chain18 s3_restore_full18 s3_restore_incr18; do
        has "$key" || continue
        echo "| ${LABEL[$key]} | $(sec "$key") | $(rss "$key") | $(mbytes "${DISK[$key]}") |"
    done
    if [[ -n $RESTORE_PENDING ]]; then echo; echo "Pending: $RESTORE_PENDING."; fi
    echo
    echo "| Backup, peak RSS MiB | full | incremental |"
    echo "|---|---:|---:|"
    for major in 15 18; do
        has "full$major" || continue
        echo "| PostgreSQL $major, file:// | $(rss "full$major") | $(rss "incr$major") |"
        if has "s3_full$major"; then echo "| PostgreSQL $major, s3:// (moto) | $(rss "s3_full$major") | $(rss "s3_incr$major") |"; fi
    done
    echo
    goal_table Ratio
    for key in incr15 incr18_off incr18; do
        has "$key" || continue
        goal_row "$key (${WAY[$key]}): stored / lz4 -1 of the changed blocks" "$(ratio "${STORED[$key]}" "${LZ4[$key]}")" "$TARGET_STORED_VS_BLOCKS"
    done
    if has incr15; then goal_row "PostgreSQL 15, ${WAY[incr15]}: incremental / full backup-push, time" "$(ratio "${WALL[incr15]}" "${WALL[full15]}")" "$TARGET_BLOCK_COMPARE_VS_FULL"; fi
    if has incr18_off; then goal_row "PostgreSQL 18 off, ${WAY[incr18_off]}: incremental / full backup-push, time" "$(ratio "${WALL[incr18_off]}" "${WALL[full18_off]}")" "$TARGET_BLOCK_COMPARE_VS_FULL"; fi
    if has incr18; then
        goal_row "PostgreSQL 18 on, ${WAY[incr18]}: incremental / full backup-push, time" "$(ratio "${WALL[incr18]}" "${WALL[full18]}")" "$TARGET_SERVER_SIDE_VS_FULL"
        echo "| (PostgreSQL 18: incremental / pg_basebackup --incremental, time) | $(ratio "${WALL[incr18]}" "${WALL[pgbb_incr]}") | | |"
    fi
    if has restore_chain18; then
        goal_row "restore of the newest of $CHAIN / restore of an equal full, time" "$(ratio "${WALL[restore_chain18]}" "${WALL[restore_full18]}")" "$TARGET_CHAIN_RESTORE_VS_FULL"
        echo "| (restore of the newest of $CHAIN / pg_combinebackup of 2, time) | $(ratio "${WALL[restore_chain18]}" "${WALL[pgbb_combine]}") | | |"
    fi
    if has pgbb_full; then
        echo "| (pg_basebackup full + incremental + pg_combinebackup, peak disk / database) | $(ratio "$((DISK[pgbb_full] + DISK[pgbb_incr] + DISK[pgbb_combined]))" "${DB_BYTES[18]}") | | |"
    fi
    if has pgbr_incr_block; then
        echo "| (PostgreSQL 15: incremental / pgbackrest incr block on, time) | $(ratio "${WALL[incr15]}" "${WALL[pgbr_incr_block]}") | | |"
        echo "| (PostgreSQL 15: incremental / pgbackrest incr block on, stored) | $(ratio "${STORED[incr15]}" "${STORED[pgbr_incr_block]}") | | |"
        echo "| (PostgreSQL 15: incremental / pgbackrest incr block off, time) | $(ratio "${WALL[incr15]}" "${WALL[pgbr_incr_file]}") | | |"
        echo "| (PostgreSQL 15: incremental / pgbackrest incr block off, stored) | $(ratio "${STORED[incr15]}" "${STORED[pgbr_incr_file]}") | | |"
    fi
    peak=0
    for key in "${!RSS_KB[@]}"; do
        [[ $key == pgbr_* || $key == pgbb_* ]] && continue
        if ((RSS_KB[$key] > peak)); then peak=${RSS_KB[$key]}; fi
    done
    goal_row "peak RSS of backup-push and restore (every run above), MiB" "$(mib "$peak")" "$TARGET_RSS_MIB"
    for note in "${NOTE[@]}"; do echo; echo "$note."; done
} >"$REPORT"
bench_report "$REPORT"

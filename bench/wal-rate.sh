#!/usr/bin/env bash
# make bench, part 2: keeping up with a WAL rate (issue 4), tailtown-pitr and pgBackRest side by side in one run.
#   1. Backlog drain: a backlog of .ready segments drained by PostgreSQL's archiver, no load running
#      (file repositories: tailtown-pitr lz4 + AES-256-GCM; pgBackRest lz4 1 + aes-256-cbc, async process-max=2 and sync).
#   2. Archive throughput: pgbench at full speed with archiving to a local S3 server (moto over TLS), the .ready
#      backlog sampled each second, and the time to drain it once pgbench stops.
#   3. Recovery throughput: the same archived WAL replayed through restore_command (wal-fetch with and without
#      prefetch, pgBackRest archive-get async) against the same WAL already in pg_wal (PostgreSQL's own replay speed).
# It measures and reports; it asserts no wall time. Runs as root on Debian 12; takes about 6 to 10 minutes on two cores.
# Tunables: BENCH_DRAIN_SEGMENTS (backlog size, 64), BENCH_LOAD_SECONDS (pgbench run per tool, 30),
# BENCH_KEEP=1 (keep workspace). Run through bench/bench.sh (BENCH_ONLY=walrate make bench).
set -euo pipefail

BENCH_SECTION=walrate
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
OUT=$BENCH_OUT
DRAIN_SEGMENTS=${BENCH_DRAIN_SEGMENTS:-64}
LOAD_SECONDS=${BENCH_LOAD_SECONDS:-30}
REPORT=$OUT/bench-wal-rate.md

bench_workspace
mkdir -p "$OUT"
bench_folders "$SOCKETS"
bench_binary
[[ -n $TT ]] || die "this section measures tailtown-pitr: run it without BENCH_SKIP_OURS"
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", n / s; else print "n/a" }'; }

# ---------------------------------------------------------------------------------------------
# Repositories: file folders, and buckets on one moto server behind stunnel, which both tools reach over TLS.

s3_tls_server "$WS/tls"
S3=$S3_ENDPOINT
S3_PORT=${S3_ENDPOINT##*:}
for bucket in tailtown pgbackrest; do s3_make_bucket "$bucket"; done

chown -R postgres:postgres "$WS"
tt_config "$WS/tailtown-file.conf" "file://$TT_REPO"
tt_config "$WS/tailtown-s3.conf" "s3://tailtown/bench" "AWS_ENDPOINT_URL=$S3" "AWS_ACCESS_KEY_ID=AKIDBENCH" \
    "AWS_SECRET_ACCESS_KEY=bench-secret-key" "AWS_REGION=us-east-1" "TAILTOWN_S3_CA_FILE=$S3_CA"
sed 's/^TAILTOWN_COMPRESSION=lz4$/&\nTAILTOWN_PREFETCH=0/' "$WS/tailtown-file.conf" >"$WS/tailtown-noprefetch.conf"
sed 's/^TAILTOWN_COMPRESSION=lz4$/&\nTAILTOWN_PREFETCH=0/' "$WS/tailtown-s3.conf" >"$WS/tailtown-s3-noprefetch.conf"
sed 's|^TAILTOWN_REPO=.*|TAILTOWN_REPO=s3://tailtown/serial\nTAILTOWN_PUSH_AHEAD=0|' "$WS/tailtown-s3.conf" >"$WS/tailtown-s3-serial.conf"

# pgbr_config <folder> <async y|n> <repository lines...>: the same compression and cipher for every pgBackRest repository.
pgbr_config() {
    local folder=$1 async=$2
    shift 2
    mkdir -p "$folder"
    pgbackrest_config "$folder/pgbackrest.conf" "$PGDATA" "$PORT" "$SOCKETS" "$@" \
        "repo1-cipher-type=aes-256-cbc" "repo1-cipher-pass=tailtown-bench-cipher-pass-0123456789abcdef" \
        "compress-type=lz4" "compress-level=1" "archive-async=$async" "process-max=2"
}

# ---------------------------------------------------------------------------------------------
# The cluster: keeps every segment (wal_keep_size) so the same backlog can be drained by each tool in turn.

PGDATA=$WS/primary
PORT=$(free_port 54400)
ready_count() { find "$PGDATA/pg_wal/archive_status" -name '*.ready' | wc -l; }
set_archive_command() {
    psql_q "alter system set archive_command = '$1'" >/dev/null
    psql_q "select pg_reload_conf()" >/dev/null
}

chown -R postgres:postgres "$WS"
pg_cluster_start "$PGDATA" "$PORT" "$SOCKETS" "$WS/primary.log" \
    "archive_mode = on" "archive_command = ''" "wal_keep_size = 8GB" "max_wal_size = 8GB" "checkpoint_timeout = 1d" \
    "fsync = off" "synchronous_commit = off"

if ((WITH_PGBACKREST)); then
    pgbr_config "$WS/pgbr-file-async" y "repo1-path=$WS/pgbr-repo"
    pgbr_config "$WS/pgbr-file-sync" n "repo1-path=$WS/pgbr-repo"
    S3_LINES=("repo1-type=s3" "repo1-path=/bench" "repo1-s3-bucket=pgbackrest" "repo1-s3-endpoint=127.0.0.1" "repo1-storage-port=$S3_PORT"
        "repo1-s3-region=us-east-1" "repo1-s3-key=AKIDBENCH" "repo1-s3-key-secret=bench-secret-key" "repo1-s3-uri-style=path"
        "repo1-storage-ca-file=$S3_CA")
    pgbr_config "$WS/pgbr-s3-async" y "${S3_LINES[@]}"
    chown -R postgres:postgres "$WS"
    for folder in pgbr-file-async pgbr-s3-async; do
        (cd "$PGDATA" && as_pg pgbackrest --config-path="$WS/$folder" --stanza=bench stanza-create >"$WS/$folder/stanza.log" 2>&1) \
            || { cat "$WS/$folder/stanza.log" >&2; die "pgbackrest stanza-create ($folder) failed"; }
    done
fi

# Taken before the load: recoveries replay everything the load writes. With its own WAL (-X stream), as
# archive_command is unset and -X none would wait for the backup's last segment to be archived.
as_pg "$PGBIN/pg_basebackup" -D "$WS/base" -X stream -c fast -U postgres -h "$SOCKETS" -p "$PORT" >/dev/null 2>&1 || die "pg_basebackup failed"

say "building a backlog of $DRAIN_SEGMENTS .ready segments with pgbench (archive_command unset)"
pgbench_run -i -q -s 30
while (($(ready_count) < DRAIN_SEGMENTS - 1)); do
    pgbench_run -n -c 2 -j 2 -T 3
done
psql_q "checkpoint" >/dev/null
LAST_SEGMENT=$(psql_q "select pg_walfile_name(pg_switch_wal())")
sleep 1
BACKLOG=$(ready_count)
mapfile -t BACKLOG_FILES < <(find "$PGDATA/pg_wal/archive_status" -name '*.ready' -printf '%f\n' | sed 's/\.ready$//' | sort)
say "backlog: $BACKLOG segments (${BACKLOG_FILES[0]} .. ${BACKLOG_FILES[-1]})"

# ---------------------------------------------------------------------------------------------
# 1. Backlog drain.

declare -A DRAIN
drain() { # <key> <archive_command>
    local key=$1 command=$2 start end
    for name in "${BACKLOG_FILES[@]}"; do
        if [[ -f $PGDATA/pg_wal/archive_status/$name.done ]]; then
            mv "$PGDATA/pg_wal/archive_status/$name.done" "$PGDATA/pg_wal/archive_status/$name.ready"
        fi
    done
    start=$(now)
    set_archive_command "$command"
    for _ in $(seq 1 6000); do
        (($(ready_count) == 0)) && break
        sleep 0.05
    done
    end=$(now)
    set_archive_command ""
    (($(ready_count) == 0)) || die "$key: the backlog did not drain (see $WS/primary.log)"
    DRAIN[$key]=$(rate "$BACKLOG" "$(elapsed "$start" "$end")")
    say "drain $key: $BACKLOG segments in $(elapsed "$start" "$end") s = ${DRAIN[$key]} segments/s"
}
PGBR_FILE_ASYNC="pgbackrest --config-path=$WS/pgbr-file-async --stanza=bench archive-push %p"
PGBR_FILE_SYNC="pgbackrest --config-path=$WS/pgbr-file-sync --stanza=bench archive-push %p"
clear_pgbr_archive() { find "$WS/pgbr-repo/archive/bench" -mindepth 2 -maxdepth 2 -type d -name '0*' -exec rm -rf {} +; }

drain tailtown "$TT --config $WS/tailtown-file.conf wal-push %p"
if ((WITH_PGBACKREST)); then
    drain pgbr_sync "$PGBR_FILE_SYNC"
    clear_pgbr_archive
    # Last, so that pgBackRest's archive holds the backlog for the archive-get recovery below.
    drain pgbr_async "$PGBR_FILE_ASYNC"
fi
# The same backlog to S3, with and without push-ahead, where one request at a time waits on the network.
drain tailtown_s3 "$TT --config $WS/tailtown-s3.conf wal-push %p"
drain tailtown_s3_serial "$TT --config $WS/tailtown-s3-serial.conf wal-push %p"

# ---------------------------------------------------------------------------------------------
# 3. Recovery throughput (before the S3 load, which would add WAL the base backup does not need).

declare -A RECOVERY
recover() { # <key> <restore_command, @DIR@ for the data directory> <with local WAL: yes|no>
    local key=$1 command=${2//@DIR@/$WS/recovery-$1} local_wal=$3 dir=$WS/recovery-$1 port start end
    rm -rf "$dir"
    cp -a "$WS/base" "$dir"
    if [[ $local_wal == yes ]]; then
        for name in "${BACKLOG_FILES[@]}"; do cp "$PGDATA/pg_wal/$name" "$dir/pg_wal/"; done
    fi
    port=$(free_port $((PORT + 10)))
    cat >>"$dir/postgresql.conf" <<EOF
port = $port
archive_mode = off
restore_command = '$command'
recovery_target_action = 'promote'
EOF
    touch "$dir/recovery.signal"
    chown -R postgres:postgres "$dir"
    bench_on_exit "[[ -f $dir/postmaster.pid ]] && runuser -u postgres -- $PGBIN/pg_ctl -D $dir -m immediate -w stop"
    sync
    start=$(now)
    as_pg "$PGBIN/pg_ctl" -D "$dir" -l "$WS/recovery-$key.log" -w -t 600 start >/dev/null || { tail -20 "$WS/recovery-$key.log" >&2; die "$key: recovery did not start"; }
    for _ in $(seq 1 12000); do
        [[ $(as_pg "$PGBIN/psql" -X -h "$SOCKETS" -p "$port" -U postgres -d postgres -Atqc "select pg_is_in_recovery()" 2>/dev/null) == f ]] && break
        sleep 0.05
    done
    end=$(now)
    [[ $(as_pg "$PGBIN/psql" -X -h "$SOCKETS" -p "$port" -U postgres -d postgres -Atqc "select count(*) from pgbench_accounts" 2>/dev/null) -gt 0 ]] \
        || die "$key: the recovered cluster has no pgbench rows (see $WS/recovery-$key.log)"
    as_pg "$PGBIN/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null
    cp "$dir/pg_wal/tailtown-pitr/prefetch/prefetcher.log" "$OUT/prefetcher-$key.log" 2>/dev/null || true
    rm -rf "$dir"
    RECOVERY[$key]=$(elapsed "$start" "$end")
    say "recovery $key: ${RECOVERY[$key]} s"
}
WAL_BYTES=$(( ${#BACKLOG_FILES[@]} * 16 ))
recover local "false" yes
recover tailtown "$TT --config $WS/tailtown-file.conf wal-fetch %f %p" no
recover tailtown_noprefetch "$TT --config $WS/tailtown-noprefetch.conf wal-fetch %f %p" no
recover tailtown_s3 "$TT --config $WS/tailtown-s3.conf wal-fetch %f %p" no
recover tailtown_s3_noprefetch "$TT --config $WS/tailtown-s3-noprefetch.conf wal-fetch %f %p" no
if ((WITH_PGBACKREST)); then
    # pg1-path: pgBackRest resolves %p against it, and must write into the recovering data directory.
    recover pgbr_async "pgbackrest --config-path=$WS/pgbr-file-async --stanza=bench --pg1-path=@DIR@ archive-get %f \"%p\"" no
fi

# ---------------------------------------------------------------------------------------------
# 2. Archive throughput under pgbench, to S3.

declare -A LOAD_RATE LOAD_MAX LOAD_DRAIN LOAD_SAMPLES
under_load() { # <key> <archive_command>
    local key=$1 command=$2 lsn0 lsn1 start end pid samples=() max=0 count drain_start
    set_archive_command "$command"
    sleep 1
    lsn0=$(psql_q "select pg_current_wal_lsn()")
    start=$(now)
    as_pg "$PGBIN/pgbench" -h "$SOCKETS" -p "$PORT" -U postgres -n -c 2 -j 2 -T "$LOAD_SECONDS" postgres >>"$WS/pgbench.log" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        count=$(ready_count)
        samples+=("$count")
        ((count > max)) && max=$count
        sleep 1
    done
    wait "$pid" || die "pgbench failed under $key"
    end=$(now)
    lsn1=$(psql_q "select pg_current_wal_lsn()")
    psql_q "select pg_switch_wal()" >/dev/null
    drain_start=$(now)
    for _ in $(seq 1 12000); do
        (($(ready_count) == 0)) && break
        sleep 0.05
    done
    LOAD_DRAIN[$key]=$(elapsed "$drain_start" "$(now)")
    LOAD_RATE[$key]=$(awk -v b="$(psql_q "select pg_wal_lsn_diff('$lsn1', '$lsn0')")" -v s="$(elapsed "$start" "$end")" 'BEGIN { printf "%.1f", b / s / 1048576 }')
    LOAD_MAX[$key]=$max
    LOAD_SAMPLES[$key]=$(IFS=' '; echo "${samples[*]}")
    [[ $(psql_q "select failed_count from pg_stat_archiver") == 0 ]] || say "WARNING: archive_command failures under $key"
    set_archive_command ""
    say "load $key: ${LOAD_RATE[$key]} MB/s of WAL, backlog max ${LOAD_MAX[$key]}, drained in ${LOAD_DRAIN[$key]} s; samples: ${LOAD_SAMPLES[$key]}"
}
under_load tailtown "$TT --config $WS/tailtown-s3.conf wal-push %p"
if ((WITH_PGBACKREST)); then under_load pgbr_async "pgbackrest --config-path=$WS/pgbr-s3-async --stanza=bench archive-push %p"; fi

# ---------------------------------------------------------------------------------------------
# Report.

{
    echo "## WAL rate ($(date -u +%Y-%m-%d), $(nproc) cores, PostgreSQL $PG_MAJOR$( ((WITH_PGBACKREST)) && echo ", $(pgbackrest version)"))"
    if ((!WITH_PGBACKREST)); then echo; echo "$PGBACKREST_SKIPPED."; fi
    echo
    echo "Backlog drain: $BACKLOG segments of pgbench WAL, drained by PostgreSQL's archiver, file repositories."
    echo
    echo "| Archiver | Segments/s |"
    echo "|---|---|"
    echo "| tailtown-pitr wal-push (push-ahead, defaults) | ${DRAIN[tailtown]} |"
    if ((WITH_PGBACKREST)); then
        echo "| pgBackRest archive-push async, process-max=2 | ${DRAIN[pgbr_async]} |"
        echo "| pgBackRest archive-push sync | ${DRAIN[pgbr_sync]} |"
    fi
    echo "| tailtown-pitr wal-push to S3 (moto, TLS), push-ahead | ${DRAIN[tailtown_s3]} |"
    echo "| tailtown-pitr wal-push to S3 (moto, TLS), TAILTOWN_PUSH_AHEAD=0 | ${DRAIN[tailtown_s3_serial]} |"
    if ((WITH_PGBACKREST)); then
        r=$(ratio "${DRAIN[tailtown]}" "${DRAIN[pgbr_async]}")
        echo
        echo "tailtown-pitr / pgBackRest async: **$r** (target >= 1.5: $(verdict_at_least "$r" 1.5))."
    fi
    echo
    echo "Archive throughput: pgbench -c 2 -j 2 -T $LOAD_SECONDS at full speed, archiving to moto over TLS; backlog = .ready files, sampled each second."
    echo
    echo "| Archiver | WAL MB/s | Backlog max | Drain after load, s | Backlog samples |"
    echo "|---|---|---|---|---|"
    echo "| tailtown-pitr wal-push | ${LOAD_RATE[tailtown]} | ${LOAD_MAX[tailtown]} | ${LOAD_DRAIN[tailtown]} | ${LOAD_SAMPLES[tailtown]} |"
    if ((WITH_PGBACKREST)); then
        echo "| pgBackRest async, process-max=2 | ${LOAD_RATE[pgbr_async]} | ${LOAD_MAX[pgbr_async]} | ${LOAD_DRAIN[pgbr_async]} | ${LOAD_SAMPLES[pgbr_async]} |"
    fi
    echo
    echo "Recovery throughput: base backup + $WAL_BYTES MB of archived WAL replayed to the end, from \`pg_ctl start\` to promotion."
    echo
    echo "| Recovery | Seconds | / local replay |"
    echo "|---|---|---|"
    echo "| WAL already in pg_wal (PostgreSQL's replay speed) | ${RECOVERY[local]} | 1.00 |"
    echo "| tailtown-pitr wal-fetch, prefetch 8 | ${RECOVERY[tailtown]} | $(ratio "${RECOVERY[tailtown]}" "${RECOVERY[local]}") |"
    echo "| tailtown-pitr wal-fetch, TAILTOWN_PREFETCH=0 | ${RECOVERY[tailtown_noprefetch]} | $(ratio "${RECOVERY[tailtown_noprefetch]}" "${RECOVERY[local]}") |"
    if ((WITH_PGBACKREST)); then
        echo "| pgBackRest archive-get async, process-max=2 | ${RECOVERY[pgbr_async]} | $(ratio "${RECOVERY[pgbr_async]}" "${RECOVERY[local]}") |"
    fi
    echo "| tailtown-pitr wal-fetch from S3 (moto, TLS), prefetch 8 | ${RECOVERY[tailtown_s3]} | $(ratio "${RECOVERY[tailtown_s3]}" "${RECOVERY[local]}") |"
    echo "| tailtown-pitr wal-fetch from S3 (moto, TLS), TAILTOWN_PREFETCH=0 | ${RECOVERY[tailtown_s3_noprefetch]} | $(ratio "${RECOVERY[tailtown_s3_noprefetch]}" "${RECOVERY[local]}") |"
    r=$(ratio "${RECOVERY[tailtown]}" "${RECOVERY[local]}")
    echo
    echo "tailtown-pitr with prefetch / local replay: **$r** (target <= 1.15: $(verdict "$r" 1.15))$( ((WITH_PGBACKREST)) && echo "; / pgBackRest async: $(ratio "${RECOVERY[tailtown]}" "${RECOVERY[pgbr_async]}")")."
} >"$REPORT"
bench_report "$REPORT"

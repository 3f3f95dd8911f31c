#!/usr/bin/env bash
# make bench, section "s3restore": a whole restore from S3 at a distance (issue 17): every request to moto waits
# BENCH_S3R_DELAY_MS (50) in bench/s3-delay-proxy.py, behind stunnel, against pgBackRest restoring from the same S3.
# One pgbench database; tailtown-pitr backup-push and pgbackrest backup --type=full of the same data into the same
# moto (prefixes tailtown/ and pgbackrest/, written without the delay), then, in turn, each restore through the
# delaying endpoint until the cluster is consistent and readable (paused at the end of the backup's WAL):
#   tailtown-pitr restore --immediate --start (the backup, the WAL to consistency staged, then wal-fetch);
#   pgbackrest restore --type=immediate, then PostgreSQL started until it pauses (archive-get for each segment).
# Each is timed whole, from outside; the proxy counts the requests each made. tailtown-pitr's restore is also run
# against moto direct and through the proxy at 0 ms (what the distance costs, and what the proxy itself costs), and
# the proxy at 0 ms is checked against moto direct (a 256 MiB GET through each): it must not be what is measured.
# It measures and reports; it asserts no wall time. Run through bench/bench.sh (BENCH_ONLY=s3restore make bench).
#
# Tunables (environment): BENCH_S3R_SCALE (pgbench scale, 100: about 1.5 GB), BENCH_S3R_DELAY_MS (50),
# BENCH_S3R_RUNS (rounds of the four restores, 3; medians), BENCH_S3R_PGBR_PROCESSES (pgBackRest's process-max,
# the number of cores: tailtown-pitr stages WAL on every core).
set -euo pipefail

BENCH_SECTION=s3restore
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SCALE=${BENCH_S3R_SCALE:-100}
DELAY_MS=${BENCH_S3R_DELAY_MS:-50}
RUNS=${BENCH_S3R_RUNS:-3}
PGBR_PROCESSES=${BENCH_S3R_PGBR_PROCESSES:-$(nproc)}
TARGET_VS_PGBACKREST=0.5
ACCESS_KEY=AKIDBENCH
SECRET_KEY=bench-secret-key
BUCKET=bench

if ((!WITH_PGBACKREST)); then
    # Its one goal is against pgBackRest: on 16 and later there is nothing to measure.
    printf '%s\n\n' "### Restore from S3 at a distance" "$PGBACKREST_SKIPPED; this section's one goal is against pgBackRest, so it measures nothing here." >>"$BENCH_OUT/bench.md"
    exit 0
fi
[[ -n ${BENCH_BINARY:-} ]] || die "this section compares tailtown-pitr's restore: BENCH_SKIP_OURS=1 leaves nothing to compare"
bench_workspace
bench_folders "$PGBR_DIR"
bench_binary

# ---------------------------------------------------------------------------------------------
# 1. moto behind stunnel, and the same moto behind the delaying proxy (at 0 ms for the check, at DELAY_MS).

s3_tls_server "$WS/tls"
s3_make_bucket "$BUCKET"
s3_delayed_endpoint "$WS/tls" 0
UNDELAYED=$S3_DELAYED_ENDPOINT
UNDELAYED_LOG=$S3_DELAYED_LOG
s3_delayed_endpoint "$WS/tls" "$DELAY_MS"
say "moto at $S3_ENDPOINT, through the proxy at $UNDELAYED (0 ms) and $S3_DELAYED_ENDPOINT ($DELAY_MS ms)"

AUTH="Authorization: AWS4-HMAC-SHA256 Credential=$ACCESS_KEY/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"
head -c $((256 << 20)) /dev/urandom >"$WS/probe"
curl -sSf -o /dev/null --cacert "$S3_CA" -H "$AUTH" -T "$WS/probe" "$S3_ENDPOINT/$BUCKET/probe" || die "cannot store the probe object"
declare -A SPEED
for round in 1 2 3; do
    for way in direct proxy; do
        endpoint=$S3_ENDPOINT
        if [[ $way == proxy ]]; then endpoint=$UNDELAYED; fi
        SPEED[$way]+=" $(curl -sSf -o /dev/null --cacert "$S3_CA" -H "$AUTH" -w '%{speed_download}' "$endpoint/$BUCKET/probe")"
    done
done
rm -f "$WS/probe"
DIRECT_MBS=$(mb "$(median_of "${SPEED[direct]}")")
PROXY_MBS=$(mb "$(median_of "${SPEED[proxy]}")")
say "a 256 MiB GET: $DIRECT_MBS MB/s direct, $PROXY_MBS MB/s through the proxy at 0 ms"

# ---------------------------------------------------------------------------------------------
# 2. The database, archived into both repositories, and both backups of the same data.

PORT=$(free_port 54379)
pg_cluster_start "$PGDATA" "$PORT" "$SOCKETS" "$WS/postgres.log" \
    "wal_level = replica" "archive_mode = on" "archive_command = 'true'" "max_wal_size = 4GB" \
    "fsync = off" "synchronous_commit = off"
say "pgbench -i -s $SCALE"
pgbench_run -i -s "$SCALE" -q -I dtGvp
DB_MB=$(mb "$(psql_q "select sum(pg_database_size(oid)) from pg_database")")

# s3_settings <endpoint>: tailtown-pitr's settings for the repository through that endpoint.
s3_settings() {
    echo "AWS_ENDPOINT_URL=$1" "TAILTOWN_S3_CA_FILE=$S3_CA" "AWS_ACCESS_KEY_ID=$ACCESS_KEY" \
        "AWS_SECRET_ACCESS_KEY=$SECRET_KEY" "AWS_REGION=us-east-1"
}
# The same repository three ways: direct (backup-push, archiving, the restore without the proxy), through the proxy
# at 0 ms, and at DELAY_MS. The keys of TT_CONFS are the restores' keys.
declare -A TT_CONFS=([tt]=$WS/tailtown-delayed.conf [tt0]=$WS/tailtown-undelayed.conf [ttd]=$TT_CONF)
declare -A TT_ENDPOINT=([tt]=$S3_DELAYED_ENDPOINT [tt0]=$UNDELAYED [ttd]=$S3_ENDPOINT)
declare -A PROXY_LOG=([tt]=$S3_DELAYED_LOG [tt0]=$UNDELAYED_LOG [pgbr]=$S3_DELAYED_LOG)
for key in "${!TT_CONFS[@]}"; do
    # shellcheck disable=SC2046 # one setting a word
    tt_config "${TT_CONFS[$key]}" "s3://$BUCKET/tailtown" $(s3_settings "${TT_ENDPOINT[$key]}")
    chown postgres:postgres "${TT_CONFS[$key]}"
    chmod 0600 "${TT_CONFS[$key]}" # it holds a secret: tailtown-pitr refuses a config file others may read
done

# pgbr_config <file> <endpoint> <data dir>: pgBackRest's S3 repository through that endpoint, lz4 1, aes-256-cbc.
pgbr_config() {
    local port=${2##*:}
    pgbackrest_config "$1" "$3" "$PORT" "$SOCKETS" \
        "repo1-type=s3" "repo1-path=/pgbackrest" "repo1-s3-bucket=$BUCKET" "repo1-s3-endpoint=127.0.0.1" \
        "repo1-storage-port=$port" "repo1-storage-ca-file=$S3_CA" "repo1-s3-uri-style=path" "repo1-s3-region=us-east-1" \
        "repo1-s3-key=$ACCESS_KEY" "repo1-s3-key-secret=$SECRET_KEY" \
        "repo1-cipher-type=aes-256-cbc" "repo1-cipher-pass=tailtown-bench-cipher-pass-0123456789abcdef" \
        "repo1-retention-full=1" "expire-auto=n" "compress-type=lz4" "compress-level=1" "start-fast=y" \
        "process-max=$PGBR_PROCESSES"
}
PGBR_RESTORED=$WS/restore-pgbackrest
pgbr_config "$PGBR_DIR/pgbackrest.conf" "$S3_ENDPOINT" "$PGDATA"
mkdir -p "$WS/pgbackrest-delayed"
pgbr_config "$WS/pgbackrest-delayed/pgbackrest.conf" "$S3_DELAYED_ENDPOINT" "$PGBR_RESTORED"
PGBR="pgbackrest --config=$PGBR_DIR/pgbackrest.conf --stanza=bench"
PGBR_DELAYED="pgbackrest --config=$WS/pgbackrest-delayed/pgbackrest.conf --stanza=bench"

(cd "$PGDATA" && as_pg $PGBR stanza-create) >"$WS/stanza.log" 2>&1 || { cat "$WS/stanza.log" >&2; die "pgbackrest stanza-create on S3 failed"; }
archive="$TT --config $TT_CONF wal-push %p && $PGBR archive-push %p"
psql_q "alter system set archive_command = '$archive'" >/dev/null
psql_q "select pg_reload_conf()" >/dev/null
say "archive_command = '$archive'"

CONNINFO="host=$SOCKETS port=$PORT user=postgres dbname=postgres"
say "tailtown-pitr backup-push ($DB_MB MB of database)"
(cd "$PGDATA" && as_pg "$TT" --config "$TT_CONF" backup-push --dbname "$CONNINFO") >"$WS/backup.log" 2>&1 \
    || { tail -20 "$WS/backup.log" >&2; die "tailtown-pitr backup-push failed"; }
BACKUP=$(sed -nE 's/^backup ([^:]+): .*/\1/p' "$WS/backup.log" | tail -1)
[[ -n $BACKUP ]] || die "backup-push printed no backup line (log: $WS/backup.log)"
say "pgbackrest backup --type=full"
(cd "$PGDATA" && as_pg $PGBR backup --type=full) >>"$WS/backup.log" 2>&1 || { tail -20 "$WS/backup.log" >&2; die "pgbackrest backup failed"; }
switch_wal_and_wait
EXPECTED_ROWS=$(psql_q "select count(*) from pgbench_accounts")
# The restored copies start with the source's postgresql.conf (same port and socket folder), one at a time.
as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
say "source cluster stopped"

# ---------------------------------------------------------------------------------------------
# 3. The restores through the delaying endpoint, in turn (the other one first in the next round).

declare -A TIMES REQUESTS PHASES
declare -A LABEL=([tt]="$DELAY_MS ms" [tt0]="the proxy at 0 ms" [ttd]="moto direct" [pgbr]="pgBackRest, $DELAY_MS ms")
TT_RSS_KB=0
TT_RESTORED=$WS/restore-tailtown
for copy in "$TT_RESTORED" "$PGBR_RESTORED"; do bench_on_exit "runuser -u postgres -- $PGBIN/pg_ctl -D $copy -m immediate -w stop"; done
NOTES=()
settle() { sync; sleep 1; }
# requests_since <key> <line>: the requests after that line of the key's proxy log, by method ("GET 57, HEAD 2").
requests_since() {
    [[ -n ${PROXY_LOG[$1]:-} ]] || return 0
    tail -n +"$(($2 + 1))" "${PROXY_LOG[$1]}" | awk '{ n[$1]++ } END { for (m in n) printf "%s%s %d", (s++ ? ", " : ""), m, n[m] }'
}
log_lines() { if [[ -n ${PROXY_LOG[$1]:-} ]]; then wc -l <"${PROXY_LOG[$1]}"; else echo 0; fi; } # <key>
# finish_copy <key> <data dir>: counts pgbench_accounts in the paused copy (it must be readable and whole), stops it.
finish_copy() {
    local rows
    rows=$(psql_q "select count(*) from pgbench_accounts") || die "reading the $1 copy failed"
    [[ $rows == "$EXPECTED_ROWS" ]] || NOTES+=("$1: pgbench_accounts holds $rows rows, the source held $EXPECTED_ROWS")
    as_pg "$PGBIN/pg_ctl" -D "$2" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$2" "$2.tailtown-pitr.conf"
}

restore_tailtown() { # <tt: at DELAY_MS | tt0: through the proxy at 0 ms | ttd: moto direct>
    local key=$1 started lines kb log=$WS/restore-$1.log
    say "tailtown-pitr restore --immediate --start (${LABEL[$key]})"
    settle
    lines=$(log_lines "$key")
    started=$(now)
    (cd "$WS" && as_pg /usr/bin/time -f '%e %M' -o "$WS/time-restore.txt" "$TT" --config "${TT_CONFS[$key]}" \
        restore --immediate --backup "$BACKUP" --target-dir "$TT_RESTORED" --start --pg-bin "$PGBIN") >"$log" 2>&1 \
        || { tail -30 "$log" >&2; die "tailtown-pitr restore failed (log: $log)"; }
    TIMES[$key]+=" $(elapsed "$started")"
    REQUESTS[$key]=$(requests_since "$key" "$lines")
    # "phases: plan 0.3 s, download+extract 41.2 s, recovery to target 63.0 s"
    PHASES[$key]=$(sed -nE 's/^phases: (.*)/\1/p' "$log")
    read -r _ kb < <(tail -1 "$WS/time-restore.txt")
    if ((kb > TT_RSS_KB)); then TT_RSS_KB=$kb; fi
    finish_copy "${LABEL[$key]}" "$TT_RESTORED"
}

restore_pgbackrest() {
    local started lines
    say "pgbackrest restore --type=immediate, then PostgreSQL until it pauses, through the delay"
    install -d -m 0700 -o postgres -g postgres "$PGBR_RESTORED"
    settle
    lines=$(log_lines pgbr)
    started=$(now)
    (cd "$WS" && as_pg $PGBR_DELAYED restore --type=immediate) >"$WS/restore-pgbackrest.log" 2>&1 \
        || { tail -30 "$WS/restore-pgbackrest.log" >&2; die "pgbackrest restore failed"; }
    start_until_paused "$PGBR_RESTORED" "$WS/restore-pgbackrest.postgresql.log"
    TIMES[pgbr]+=" $(elapsed "$started")"
    REQUESTS[pgbr]=$(requests_since pgbr "$lines")
    finish_copy "${LABEL[pgbr]}" "$PGBR_RESTORED"
}

TOOLS=(tt pgbr tt0 ttd)
for ((run = 0; run < RUNS; run++)); do
    for ((i = 0; i < ${#TOOLS[@]}; i++)); do
        tool=${TOOLS[$(((i + run) % ${#TOOLS[@]}))]}
        if [[ $tool == pgbr ]]; then restore_pgbackrest; else restore_tailtown "$tool"; fi
    done
done

# ---------------------------------------------------------------------------------------------
# 4. Report.

declare -A MEDIAN
for key in "${!TIMES[@]}"; do MEDIAN[$key]=$(median_of "${TIMES[$key]}"); done
REPORT=$WS/s3-restore.md
{
    echo "### Restore from S3 at a distance ($DELAY_MS ms added to every request)"
    echo
    echo "pgbench -i -s $SCALE: $DB_MB MB of database; $(pgbackrest version) (process-max=$PGBR_PROCESSES), PostgreSQL $PG_MAJOR;"
    echo "moto behind stunnel, every request forwarded $DELAY_MS ms after it arrived. Both restore to the end of the backup"
    echo "(consistent, paused, read: pgbench_accounts counted). Median of $RUNS runs, whole commands timed from outside."
    echo
    echo "| Restore | seconds | requests (last run) | phases (last run) |"
    echo "|---|---:|---|---|"
    echo "| pgbackrest restore --type=immediate + start until paused, $DELAY_MS ms | $(fmt "${MEDIAN[pgbr]}" %.1f) | ${REQUESTS[pgbr]} | |"
    for key in tt tt0 ttd; do
        echo "| tailtown-pitr restore --immediate --start, ${LABEL[$key]} | $(fmt "${MEDIAN[$key]}" %.1f) | ${REQUESTS[$key]:-} | ${PHASES[$key]} |"
    done
    echo
    goal_table Target
    goal_row "restore from S3 at $DELAY_MS ms / pgBackRest, total" "$(ratio "${MEDIAN[tt]}" "${MEDIAN[pgbr]}")" "$TARGET_VS_PGBACKREST"
    echo "| (restore at $DELAY_MS ms / through the proxy at 0 ms: what the distance costs) | $(ratio "${MEDIAN[tt]}" "${MEDIAN[tt0]}") | | |"
    echo "| (restore through the proxy at 0 ms / moto direct: what the proxy costs) | $(ratio "${MEDIAN[tt0]}" "${MEDIAN[ttd]}") | | |"
    echo
    echo "tailtown-pitr restore's peak RSS: $(mib "$TT_RSS_KB") MiB. The proxy itself (0 ms) against moto direct, a 256 MiB"
    echo "GET, median of 3: $PROXY_MBS MB/s against $DIRECT_MBS MB/s ($(ratio "$PROXY_MBS" "$DIRECT_MBS")x)."
    for note in "${NOTES[@]}"; do echo "WARNING: $note"; done
} >"$REPORT"
bench_report "$REPORT"

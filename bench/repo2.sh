#!/usr/bin/env bash
# make bench, section "repo2": backup-push of one pgbench database with a second repository (TAILTOWN_REPO2), file://
# first and s3:// second (moto behind stunnel, as in section s3), in the same run, in turn:
#   the first alone (no TAILTOWN_REPO2),
#   both, written at the same time (the measured binary: MirroredUpload hands the second's writes to a thread),
#   both, written one after the other, when BENCH_REPO2_SEQUENTIAL names a binary that does so (an older build).
# Reports wall time, MB of database per second, peak RSS, and each against the first alone. It asserts no wall time.
# Run through bench/bench.sh (BENCH_ONLY=repo2 make bench).
#
# Tunables (environment): BENCH_REPO2_SCALE (pgbench scale, 30: about 450 MB), BENCH_REPO2_RUNS (runs of each, 2),
# BENCH_REPO2_SEQUENTIAL (a tailtown-pitr that writes the second after the first, chunk by chunk; unset: no such row).
set -euo pipefail

BENCH_SECTION=repo2
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SCALE=${BENCH_REPO2_SCALE:-30}
RUNS=${BENCH_REPO2_RUNS:-2}
SEQUENTIAL=${BENCH_REPO2_SEQUENTIAL:-}
BUCKET=tailtown-bench-repo2
ACCESS_KEY=AKIDBENCH
SECRET_KEY=bench-secret-key

bench_workspace
bench_folders "$TT_REPO"
bench_binary
[[ -n $TT ]] || die "nothing to measure: BENCH_SKIP_OURS=1"
if [[ -n $SEQUENTIAL ]]; then
    install -m 0755 -o postgres -g postgres "$SEQUENTIAL" "$WS/bin/tailtown-pitr-sequential"
    SEQUENTIAL=$WS/bin/tailtown-pitr-sequential
fi

s3_tls_server "$WS/tls"
s3_make_bucket "$BUCKET"
say "moto behind stunnel at $S3_ENDPOINT"

PORT=$(free_port 54359)
pgbench_cluster
DB_MB=$(mb "$DB_BYTES")

# The first alone also archives: backup-push waits for its WAL in the first repository only.
tt_config "$TT_CONF" "file://$TT_REPO"
chown postgres:postgres "$TT_CONF"
psql_q "alter system set archive_command = '$TT --config $TT_CONF wal-push %p'" >/dev/null
psql_q "select pg_reload_conf()" >/dev/null
# both_config <file> <prefix>: the first and, as TAILTOWN_REPO2, a fresh prefix of the bucket.
both_config() {
    tt_config "$1" "file://$TT_REPO" "TAILTOWN_REPO2=s3://$BUCKET/$2" "TAILTOWN_REPO2_AWS_ENDPOINT_URL=$S3_ENDPOINT" \
        "TAILTOWN_REPO2_S3_CA_FILE=$S3_CA" "TAILTOWN_REPO2_AWS_ACCESS_KEY_ID=$ACCESS_KEY" \
        "TAILTOWN_REPO2_AWS_SECRET_ACCESS_KEY=$SECRET_KEY" "TAILTOWN_REPO2_AWS_REGION=us-east-1"
    chown postgres:postgres "$1"
    chmod 0600 "$1"
}
say "database: $DB_MB MB, $RUNS runs of each"

bench_logs
declare -A LABEL MEDIAN PEAK
CONNINFO="host=$SOCKETS port=$PORT user=postgres dbname=postgres"
ORDER=(one both)
LABEL[one]="backup-push, the first alone (file://)"
LABEL[both]="backup-push to both at the same time (file:// and s3://)"
LABEL[sequential]="backup-push to both, one after the other (file:// then s3://)"
if [[ -n $SEQUENTIAL ]]; then ORDER+=(sequential); fi
for ((run = 1; run <= RUNS; run++)); do
    for key in "${ORDER[@]}"; do
        say "run $run: $key"
        rm -rf "$TT_REPO/backups"
        if [[ $key == one ]]; then
            timed "one-$run" "$TT" --config "$TT_CONF" backup-push --dbname "$CONNINFO"
            continue
        fi
        both_config "$WS/$key-$run.conf" "$key-$run"
        binary=$TT
        [[ $key == both ]] || binary=$SEQUENTIAL
        timed "$key-$run" "$binary" --config "$WS/$key-$run.conf" backup-push --dbname "$CONNINFO"
        # A second that missed objects would make the run measure something else: both must hold the same pieces.
        stored=$(find "$TT_REPO/backups" -type f | wc -l)
        copied=$(curl -sf --cacert "$S3_CA" "$S3_ENDPOINT/$BUCKET?list-type=2&prefix=$key-$run/backups/" \
            -H "Authorization: AWS4-HMAC-SHA256 Credential=$ACCESS_KEY/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0" \
            | grep -o '<Key>' | wc -l)
        ((copied == stored)) || die "$key: the second repository holds $copied backup objects, the first $stored (log: $LOGS/$key-$run.log)"
    done
done
for key in "${ORDER[@]}"; do
    walls="" PEAK[$key]=0
    for ((run = 1; run <= RUNS; run++)); do
        walls+=" ${WALL[$key-$run]}"
        if ((RSS_KB[$key-$run] > PEAK[$key])); then PEAK[$key]=${RSS_KB[$key-$run]}; fi
    done
    MEDIAN[$key]=$(median_of "$walls")
done
REPORT=$WS/repo2.md
{
    echo "### Backups to two repositories"
    echo
    echo "pgbench -i -s $SCALE: $DB_MB MB of database; lz4, encrypted; the second repository on moto $(python3 -c 'import moto; print(moto.__version__)') behind stunnel (TLS, loopback)."
    echo "Median of $RUNS runs of each, in turn; the machine has $(nproc) cores, shared with the server and moto."
    echo
    echo "| Run | wall s | MB/s of database | peak RSS MiB | wall / first alone |"
    echo "|---|---:|---:|---:|---:|"
    for key in "${ORDER[@]}"; do
        echo "| ${LABEL[$key]} | $(fmt "${MEDIAN[$key]}" %.1f) | $(awk -v mb="$DB_MB" -v s="${MEDIAN[$key]}" 'BEGIN { printf "%.0f", mb / s }') | $(mib "${PEAK[$key]}") | $(ratio "${MEDIAN[$key]}" "${MEDIAN[one]}") |"
    done
    if [[ -n $SEQUENTIAL ]]; then
        echo
        echo "At the same time / one after the other, wall time: $(ratio "${MEDIAN[both]}" "${MEDIAN[sequential]}")."
    fi
} >"$REPORT"
bench_report "$REPORT"

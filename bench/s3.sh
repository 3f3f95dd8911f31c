#!/usr/bin/env bash
# make bench, section "s3": one 16 MiB WAL segment to and from a local S3 server over TLS, whole processes,
# side by side: tailtown-pitr wal-push/wal-fetch, `aws s3 cp` of the same stored bytes, pgBackRest
# archive-push/archive-get (S3 repository, lz4, aes-256-cbc), and bare `curl` requests (the server's ceiling); and the
# requests a wal-push and a wal-fetch make in steady state (the S3 client's count, which they log at debug level);
# and wal-push/wal-fetch with cached role credentials into a bucket with Object Lock on, beside static keys without.
# Everything goes through one stunnel4 endpoint (self-signed certificate) in front of plain-HTTP moto:
# pgBackRest speaks only HTTPS to S3 and fails against moto's own TLS mode.
# Run through bench/bench.sh (BENCH_ONLY=s3 make bench). It measures and reports; it asserts no wall time.
#
# Tunables (environment): BENCH_S3_RUNS (timed runs per segment, 20), BENCH_S3_SEGMENTS (segments measured, 4),
# BENCH_WARMUP (per segment, 1), BENCH_S3_ROUNDS (rounds in which the compared commands take turns, 10: each ratio to
# pgBackRest and between our configurations is the median of its rounds' ratios).
set -euo pipefail

BENCH_SECTION=s3
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUNS=${BENCH_S3_RUNS:-20}
ROUNDS=${BENCH_S3_ROUNDS:-10}
WARMUP=${BENCH_WARMUP:-1}
SEGMENT_COUNT=${BENCH_S3_SEGMENTS:-4}
OUT=$BENCH_OUT
TARGET_VS_PGBACKREST=0.5
TARGET_PUSH_VS_CURL=1.6
TARGET_REQUESTS=1
ACCESS_KEY=AKIDBENCH
SECRET_KEY=bench-secret-key
BUCKET=bench
LOCKED_BUCKET=bench-locked

AWS=$(command -v aws) || die "aws (awscli) not found: bench/deps.sh installs it"

bench_workspace
TLS=$WS/tls
bench_folders "$CORPUS" "$TLS" "$REF" "$FETCHED" "$JSON" "$PGBR_DIR"

# ---------------------------------------------------------------------------------------------
# 1. The S3 server: moto on plain HTTP, stunnel4 with a self-signed certificate in front of it.

s3_tls_server "$TLS"
ENDPOINT=$S3_ENDPOINT
CA=$S3_CA
STUNNEL=$(command -v stunnel4 || command -v stunnel)
TLS_PORT=${S3_ENDPOINT##*:}

# A small S3 client of bare curl requests (moto checks no signatures): ls PREFIX, rm PREFIX NAME (the keys under
# PREFIX whose last part starts with NAME), get KEY FILE, put FILE KEY, mb (make the bucket); S3_BUCKET picks another bucket.
cat >"$WS/bin/s3" <<EOF
#!/usr/bin/env bash
set -euo pipefail
auth='Authorization: AWS4-HMAC-SHA256 Credential=$ACCESS_KEY/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0'
base=$ENDPOINT/\${S3_BUCKET:-$BUCKET}
req() { curl -sSf --cacert $CA -H "\$auth" "\$@"; }
case \$1 in
ls) req "\$base?list-type=2&prefix=\$2" | grep -o '<Key>[^<]*</Key>' | sed -e 's/<Key>//' -e 's/<\/Key>//' || true ;;
rm) for key in \$("\$0" ls "\$2"); do [[ \${key##*/} == "\$3"* ]] && req -o /dev/null -X DELETE "\$base/\$key"; done; true ;;
get) req -o "\$3" "\$base/\$2" ;;
put) req -o /dev/null -H 'Content-Type: application/octet-stream' -T "\$2" "\$base/\$3" ;;
mb) req -o /dev/null -X PUT "\$base" "\${@:2}" ;;
esac
EOF
chmod 0755 "$WS/bin/s3"
S3=$WS/bin/s3

"$S3" mb || die "cannot create bucket $BUCKET through $ENDPOINT (logs: $TLS)"
S3_BUCKET=$LOCKED_BUCKET "$S3" mb -H "x-amz-bucket-object-lock-enabled: true" \
    || die "cannot create bucket $LOCKED_BUCKET with Object Lock through $ENDPOINT (logs: $TLS)"
say "moto behind stunnel at $ENDPOINT, bucket $BUCKET"

# ---------------------------------------------------------------------------------------------
# 2. Corpus: real WAL from pgbench, archived with `cp` by a throwaway cluster.

PORT=$(free_port 54339)
pg_cluster_start "$PGDATA" "$PORT" "$SOCKETS" "$WS/postgres.log" \
    "wal_level = replica" "archive_mode = on" "archive_command = 'cp %p $CORPUS/%f'" "max_wal_size = 1GB" \
    "fsync = off" "synchronous_commit = off"
say "pgbench -i -s 10"
pgbench_run -i -s 10 -q
# Then updates with full-page images: segments that compress less, as most archived WAL does.
say "pgbench -c 2 -T 30"
pgbench_run -c 2 -j 2 -T 30
switch_wal_and_wait
SYSID=$(psql_q "select system_identifier from pg_control_system()")

# pgBackRest: S3 repository through the same endpoint, synchronous archive-push, lz4 level 1, aes-256-cbc.
PGBR="pgbackrest --config=$PGBR_DIR/pgbackrest.conf --stanza=bench"
if ((WITH_PGBACKREST)); then
    pgbackrest_config "$PGBR_DIR/pgbackrest.conf" "$PGDATA" "$PORT" "$SOCKETS" \
        "repo1-type=s3" "repo1-path=/pgbackrest" "repo1-s3-bucket=$BUCKET" "repo1-s3-endpoint=127.0.0.1" \
        "repo1-storage-port=$TLS_PORT" "repo1-storage-ca-file=$CA" "repo1-s3-uri-style=path" "repo1-s3-region=us-east-1" \
        "repo1-s3-key=$ACCESS_KEY" "repo1-s3-key-secret=$SECRET_KEY" \
        "repo1-cipher-type=aes-256-cbc" "repo1-cipher-pass=tailtown-bench-cipher-pass-0123456789abcdef" \
        "compress-type=lz4" "compress-level=1"
    say "pgbackrest stanza-create (S3 repository)"
    # shellcheck disable=SC2086 # PGBR is a command line
    (cd "$PGDATA" && as_pg $PGBR stanza-create) >"$WS/stanza.log" 2>&1 \
        || { cat "$WS/stanza.log" >&2; die "pgbackrest stanza-create on S3 failed"; }
fi
as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null

mapfile -t corpus < <(find "$CORPUS" -maxdepth 1 -type f -regextype posix-extended -regex '.*/[0-9A-F]{24}' -printf '%f\n' | sort)
n=${#corpus[@]}
((n >= 3)) || die "only $n WAL segments archived"
if ((SEGMENT_COUNT > n - 2)); then SEGMENT_COUNT=$((n - 2)); fi
SEGS=()
# Skip the first segment (initdb's catalog) and the last (closed early by pg_switch_wal, mostly zeros);
# spread the rest evenly over the bulk load and the updates.
for ((i = 0; i < SEGMENT_COUNT; i++)); do SEGS+=("${corpus[$((1 + i * (n - 3) / (SEGMENT_COUNT > 1 ? SEGMENT_COUNT - 1 : 1)))]}"); done
SEG_LIST=$(IFS=,; echo "${SEGS[*]}")
for seg in "${SEGS[@]}"; do install -m 0600 -o postgres -g postgres "$CORPUS/$seg" "$PGDATA/pg_wal/$seg"; done
say "measuring ${SEGS[*]} of $n segments"

# ---------------------------------------------------------------------------------------------
# 3. Correctness pass (untimed): each tool stores and gives back the same bytes.

bench_binary
if [[ -n $TT ]]; then
    # The cache (the repository's metadata, and the role's credentials below) in the workspace: a cache of an earlier
    # run's repository at the same address would be read again only after its 5 minutes.
    install -d -m 0700 -o postgres -g postgres "$WS/cache"
    tt_config "$TT_CONF" "s3://$BUCKET/tailtown" "AWS_ENDPOINT_URL=$ENDPOINT" "TAILTOWN_S3_CA_FILE=$CA" \
        "AWS_ACCESS_KEY_ID=$ACCESS_KEY" "AWS_SECRET_ACCESS_KEY=$SECRET_KEY" "AWS_REGION=us-east-1" "TAILTOWN_CACHE_DIR=$WS/cache"
    chown postgres:postgres "$TT_CONF"
    chmod 0600 "$TT_CONF" # it holds a secret: tailtown-pitr refuses a config file others may read
    # The same repository reached as a workload identity (EKS IRSA) reaches it: web identity credentials from moto's
    # STS (on its plain HTTP port: STS is asked once, then the credentials are cached across processes).
    TT_ROLE_CONF=$WS/tailtown-role.conf
    echo "bench-web-identity-token" >"$WS/web-identity-token"
    tt_config "$TT_ROLE_CONF" "s3://$BUCKET/tailtown" "AWS_ENDPOINT_URL=$ENDPOINT" "TAILTOWN_S3_CA_FILE=$CA" "AWS_REGION=us-east-1" \
        "AWS_WEB_IDENTITY_TOKEN_FILE=$WS/web-identity-token" "AWS_ROLE_ARN=arn:aws:iam::123456789012:role/bench" \
        "AWS_ENDPOINT_URL_STS=http://$(sed -n 's/^connect = //p' "$TLS/stunnel.conf")" "TAILTOWN_CACHE_DIR=$WS/cache"
    # The same role into a bucket with Object Lock (governance): every PUT carries the lock's headers.
    TT_LOCK_CONF=$WS/tailtown-lock.conf
    sed "s|^TAILTOWN_REPO=.*|TAILTOWN_REPO=s3://$LOCKED_BUCKET/tailtown|" "$TT_ROLE_CONF" >"$TT_LOCK_CONF"
    echo "TAILTOWN_S3_OBJECT_LOCK=governance" >>"$TT_LOCK_CONF"
    chown postgres:postgres "$TT_ROLE_CONF" "$TT_LOCK_CONF" "$WS/web-identity-token"
fi
tt_key() { echo "tailtown/wal/$PG_MAJOR-$SYSID/${1:0:16}/$1"; }
# aws reads no profile: the bench's keys come from the environment of its hyperfine run.
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY AWS_DEFAULT_REGION=us-east-1
AWSCP="$AWS --endpoint-url $ENDPOINT --ca-bundle $CA s3 cp --only-show-errors"

for seg in "${SEGS[@]}"; do
    if ((WITH_PGBACKREST)); then
        # shellcheck disable=SC2086
        out=$(cd "$PGDATA" && as_pg $PGBR archive-push "pg_wal/$seg" --log-level-console=info 2>&1) \
            || die "pgbackrest archive-push $seg failed: $out"
        grep -q "pushed WAL file '$seg' to the archive" <<<"$out" || die "pgbackrest archive-push $seg did not push: $out"
        # shellcheck disable=SC2086
        (cd "$PGDATA" && as_pg $PGBR archive-get "$seg" "$FETCHED/$seg.pgbackrest") || die "pgbackrest archive-get $seg failed"
        check_same pgbackrest "$CORPUS/$seg" "$FETCHED/$seg.pgbackrest"
    fi
    if [[ -n $TT ]]; then
        (cd "$PGDATA" && as_pg "$TT" --config "$TT_CONF" wal-push "pg_wal/$seg") || die "tailtown-pitr wal-push $seg to S3 failed"
        (cd "$PGDATA" && as_pg "$TT" --config "$TT_CONF" wal-fetch "$seg" "$FETCHED/$seg.tailtown") || die "tailtown-pitr wal-fetch $seg failed"
        check_same tailtown-pitr "$CORPUS/$seg" "$FETCHED/$seg.tailtown"
        (cd "$PGDATA" && as_pg "$TT" --config "$TT_LOCK_CONF" wal-push "pg_wal/$seg") || die "tailtown-pitr wal-push $seg to the locked bucket failed"
        (cd "$PGDATA" && as_pg "$TT" --config "$TT_LOCK_CONF" wal-fetch "$seg" "$FETCHED/$seg.locked") || die "tailtown-pitr wal-fetch $seg from the locked bucket failed"
        check_same "tailtown-pitr (Object Lock)" "$CORPUS/$seg" "$FETCHED/$seg.locked"
        "$S3" get "$(tt_key "$seg")" "$REF/$seg.object"
    else
        lz4 -1 -c "$CORPUS/$seg" >"$REF/$seg.object"
    fi
    # shellcheck disable=SC2086
    $AWSCP "$REF/$seg.object" "s3://$BUCKET/aws/$seg"
    # shellcheck disable=SC2086
    $AWSCP "s3://$BUCKET/aws/$seg" "$FETCHED/$seg.aws"
    check_same "aws s3 cp" "$REF/$seg.object" "$FETCHED/$seg.aws"
done
chown -R postgres:postgres "$REF" "$FETCHED"
OBJECT_BYTES=$(for seg in "${SEGS[@]}"; do stat -c %s "$REF/$seg.object"; done | awk '{ s += $1 } END { print s / NR }')

# ---------------------------------------------------------------------------------------------
# 4. Measurements: hyperfine without a shell, median of all runs over all measured segments; peak RSS of one run.

declare -A MEDIAN RSS LABEL
ORDER=()
# time_runs <key> <user: postgres|root> <prepare template or ""> <command template> <runs> <warm-up runs>: hyperfine's
# times of the command over the measured segments, added to those $JSON/<key>.json already holds.
time_runs() {
    local key=$1 user=$2 prepare=$3 command=$4 runs=$5 warmup=$6
    local args=(-N --style basic --warmup "$warmup" --runs "$runs" --export-json "$JSON/$key.round.json" -L seg "$SEG_LIST")
    if [[ -n $prepare ]]; then args+=(--prepare "$prepare"); fi
    {
        if [[ $user == postgres ]]; then
            (cd "$PGDATA" && as_pg hyperfine "${args[@]}" "$command")
        else
            (cd "$PGDATA" && hyperfine "${args[@]}" "$command")
        fi
    } >>"$OUT/s3-hyperfine.log" 2>&1 || { tail -20 "$OUT/s3-hyperfine.log" >&2; die "hyperfine failed for ${LABEL[$key]}"; }
    # Timed in turn (ROUND set by measure_in_turn): each round's times kept apart too, for round_ratio.
    if [[ -n ${ROUND:-} ]]; then cp "$JSON/$key.round.json" "$JSON/$key.round-$ROUND.json"; fi
    if [[ -f $JSON/$key.json ]]; then
        jq -s '{results: [{command: .[1].results[0].command, times: [.[].results[].times[]]}]}' \
            "$JSON/$key.json" "$JSON/$key.round.json" >"$JSON/$key.merged.json"
        mv "$JSON/$key.merged.json" "$JSON/$key.json"
    else
        mv "$JSON/$key.round.json" "$JSON/$key.json"
    fi
}

# record <key> <user> <prepare> <command>: once timed, the median of all its runs and the peak RSS of one more run.
record() {
    local key=$1 user=$2 prepare=$3 command=$4
    cp "$JSON/$key.json" "$OUT/s3-$key.json"
    MEDIAN[$key]=$(median_ms "$JSON/$key.json")
    local seg=${SEGS[0]} run
    if [[ -n $prepare ]]; then eval "${prepare//\{seg\}/$seg}" >/dev/null 2>&1 || true; fi
    run=${command//\{seg\}/$seg}
    if [[ $user == postgres ]]; then
        # shellcheck disable=SC2086 # a command line
        (cd "$PGDATA" && as_pg /usr/bin/time -f %M -o "$WS/rss-$key.txt" $run) >/dev/null 2>>"$OUT/s3-hyperfine.log"
    else
        # shellcheck disable=SC2086
        (cd "$PGDATA" && /usr/bin/time -f %M -o "$WS/rss-$key.txt" $run) >/dev/null 2>>"$OUT/s3-hyperfine.log"
    fi
    RSS[$key]=$(tail -1 "$WS/rss-$key.txt")
    ORDER+=("$key")
}

# measure <key> <label> <user: postgres|root> <prepare template or ""> <command template>
measure() {
    local key=$1 label=$2 user=$3 prepare=$4 command=$5
    LABEL[$key]=$label
    say "measuring $label"
    echo "=== $label" >>"$OUT/s3-hyperfine.log"
    time_runs "$key" "$user" "$prepare" "$command" "$RUNS" "$WARMUP"
    record "$key" "$user" "$prepare" "$command"
}

# in_turn <key> <label> <prepare template or ""> <command template>: a command (run as postgres) for the next
# measure_in_turn, which times every command declared so far in rounds: each round takes them one after another, with
# ROUNDS rounds of RUNS / ROUNDS runs (warm-up in the first), each round starting one command further on, so that a
# load that changes during the section (other work on a shared machine) weighs on them alike. Their ratios, a few per cent apart, are what these rows are for.
declare -A TURN_PREPARE TURN_COMMAND
TURN=()
in_turn() { LABEL[$1]=$2 TURN_PREPARE[$1]=$3 TURN_COMMAND[$1]=$4; TURN+=("$1"); }
measure_in_turn() {
    local round key
    say "measuring in turn, $ROUNDS rounds: ${TURN[*]}"
    local n=${#TURN[@]} i
    for ((round = 0; round < ROUNDS; round++)); do
        # Each round starts one command further on, so none always follows the same one.
        for ((i = 0; i < n; i++)); do
            key=${TURN[(round + i) % n]}
            echo "=== ${LABEL[$key]}, round $((round + 1))" >>"$OUT/s3-hyperfine.log"
            ROUND=$round time_runs "$key" postgres "${TURN_PREPARE[$key]}" "${TURN_COMMAND[$key]}" $((RUNS / ROUNDS)) $((round == 0 ? WARMUP : 0))
        done
    done
    for key in "${TURN[@]}"; do record "$key" postgres "${TURN_PREPARE[$key]}" "${TURN_COMMAND[$key]}"; done
    TURN=()
}

# round_ratio <key> <key> [measure]: for two commands timed in turn, the ratio of their medians (or of `measure`)
# within each round (the same minutes, the same load), then the median of those ratios; round_range gives the lowest
# and highest, "0.97-1.04".
round_ratios() {
    local round measure=${3:-median_ms}
    for ((round = 0; round < ROUNDS; round++)); do
        ratio "$("$measure" "$JSON/$1.round-$round.json")" "$("$measure" "$JSON/$2.round-$round.json")"
        echo
    done
}
round_ratio() { fmt "$(median_of "$(round_ratios "$@" | tr '\n' ' ')")" %.2f; }
round_range() { round_ratios "$@" | sort -g | sed -n '1p;$p' | paste -sd-; }
# cpu_ms <hyperfine json>: the CPU time (user and system) of the command's own process, ms, the mean over its runs and
# segments: what the command spends, without the server's share of the wall time.
cpu_ms() { jq '[.results[] | .user + .system] | add / length * 1000' "$1"; }

# Options in a file: the placeholder Authorization header has spaces, and hyperfine runs no shell.
cat >"$WS/curl.conf" <<EOF
silent
show-error
fail
cacert = "$CA"
header = "Content-Type: application/octet-stream"
header = "Authorization: AWS4-HMAC-SHA256 Credential=$ACCESS_KEY/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"
EOF
CURL="curl --config $WS/curl.conf"
measure curl_put16 "curl PUT of the raw 16 MiB segment (server ceiling)" root "" "$CURL -o /dev/null -T $CORPUS/{seg} $ENDPOINT/$BUCKET/raw/{seg}"
measure curl_get16 "curl GET of the raw 16 MiB segment (server ceiling)" root "" "$CURL -o $FETCHED/{seg}.raw $ENDPOINT/$BUCKET/raw/{seg}"
# What the server itself spends on a versioned bucket with Object Lock: the same bare PUT with the headers a locked
# wal-push sends (mode, retain-until date, SHA-256 checksum), taken in turn with the plain one and with the pushes.
retain_until=$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)
for seg in "${SEGS[@]}"; do
    printf 'x-amz-object-lock-mode: GOVERNANCE\nx-amz-object-lock-retain-until-date: %s\nx-amz-sdk-checksum-algorithm: SHA256\nx-amz-checksum-sha256: %s\n' \
        "$retain_until" "$(openssl dgst -sha256 -binary "$REF/$seg.object" | base64)" >"$REF/$seg.lock-headers"
done
chown postgres:postgres "$REF"/*.lock-headers
in_turn curl_put "curl PUT of the stored bytes (request floor)" "" "$CURL -o /dev/null -T $REF/{seg}.object $ENDPOINT/$BUCKET/curl/{seg}"
in_turn curl_put_lock "curl PUT of the stored bytes into the Object Lock bucket, with the lock's headers" "" \
    "$CURL -o /dev/null -H @$REF/{seg}.lock-headers -T $REF/{seg}.object $ENDPOINT/$LOCKED_BUCKET/curl/{seg}"
if [[ -n $TT ]]; then
    in_turn tt_push "tailtown-pitr wal-push (lz4, AES-256-GCM)" "$S3 rm tailtown/wal/ {seg}" \
        "$TT --config $TT_CONF wal-push pg_wal/{seg}"
    in_turn tt_push_role "tailtown-pitr wal-push, cached web identity credentials" "$S3 rm tailtown/wal/ {seg}" \
        "$TT --config $TT_ROLE_CONF wal-push pg_wal/{seg}"
    # A locked object cannot be deleted: the DELETE without a version id hides it under a delete marker, and the next
    # conditional PUT writes a new version.
    in_turn tt_push_lock "tailtown-pitr wal-push, cached web identity credentials, Object Lock" \
        "env S3_BUCKET=$LOCKED_BUCKET $S3 rm tailtown/wal/ {seg}" "$TT --config $TT_LOCK_CONF wal-push pg_wal/{seg}"
fi
# pgBackRest in the same rounds: its ratios are taken round by round as well, so a load that comes and goes during
# the section weighs on both sides of them alike.
if ((WITH_PGBACKREST)); then
    in_turn pgbr_push "pgbackrest archive-push (lz4 1, aes-256-cbc)" "$S3 rm pgbackrest/archive/ {seg}" "$PGBR archive-push pg_wal/{seg}"
fi
measure_in_turn
in_turn curl_get "curl GET of the stored bytes (request floor)" "" "$CURL -o $FETCHED/{seg}.curl $ENDPOINT/$BUCKET/curl/{seg}"
in_turn curl_get_lock "curl GET of the stored bytes from the Object Lock bucket" "" "$CURL -o $FETCHED/{seg}.curl $ENDPOINT/$LOCKED_BUCKET/curl/{seg}"
if [[ -n $TT ]]; then
    in_turn tt_fetch "tailtown-pitr wal-fetch" "rm -f $FETCHED/{seg}.tailtown" \
        "$TT --config $TT_CONF wal-fetch {seg} $FETCHED/{seg}.tailtown"
    in_turn tt_fetch_role "tailtown-pitr wal-fetch, cached web identity credentials" "rm -f $FETCHED/{seg}.tailtown" \
        "$TT --config $TT_ROLE_CONF wal-fetch {seg} $FETCHED/{seg}.tailtown"
    in_turn tt_fetch_lock "tailtown-pitr wal-fetch, cached web identity credentials, Object Lock" "rm -f $FETCHED/{seg}.locked" \
        "$TT --config $TT_LOCK_CONF wal-fetch {seg} $FETCHED/{seg}.locked"
fi
if ((WITH_PGBACKREST)); then
    in_turn pgbr_get "pgbackrest archive-get" "rm -f $FETCHED/{seg}.pgbackrest" "$PGBR archive-get {seg} $FETCHED/{seg}.pgbackrest"
fi
measure_in_turn
if [[ -n $TT ]]; then
    # Requests per call in steady state, as the S3 client counts them (retries included), averaged over the segments.
    # A binary that logs no count (one from before it did, through BENCH_BINARY) gives n/a.
    requests_of() { { grep -o '[0-9]* PUT/POST/LIST, [0-9]* GET/HEAD and [0-9]* DELETE requests' || true; } | awk '{ print $1 + $3 + $6 }'; }
    PUSH_REQUESTS=() FETCH_REQUESTS=()
    for seg in "${SEGS[@]}"; do
        "$S3" rm tailtown/wal/ "$seg"
        PUSH_REQUESTS+=("$(cd "$PGDATA" && as_pg env TAILTOWN_LOG_LEVEL=debug "$TT" --config "$TT_CONF" wal-push "pg_wal/$seg" 2>&1 | requests_of)")
        rm -f "$FETCHED/$seg.tailtown"
        FETCH_REQUESTS+=("$(cd "$PGDATA" && as_pg env TAILTOWN_LOG_LEVEL=debug "$TT" --config "$TT_CONF" wal-fetch "$seg" "$FETCHED/$seg.tailtown" 2>&1 | requests_of)")
    done
    mean_of() { printf '%s\n' "$@" | awk '/^[0-9]+$/ { s += $1; n++ } END { if (n) printf "%.2f", s / n; else print "n/a" }'; }
fi
measure aws_put "aws s3 cp of the stored bytes, upload" root "" "$AWSCP $REF/{seg}.object s3://$BUCKET/aws/{seg}"
measure aws_get "aws s3 cp of the stored bytes, download" root "rm -f $FETCHED/{seg}.aws" "$AWSCP s3://$BUCKET/aws/{seg} $FETCHED/{seg}.aws"

# ---------------------------------------------------------------------------------------------
# 5. Report.

REPORT=$WS/s3.md
ms_of() { fmt "${MEDIAN[$1]}" %.1f; }
{
    echo "### S3 over TLS"
    echo
    echo "moto $(python3 -c 'import moto; print(moto.__version__)') behind $("$STUNNEL" -version 2>&1 | grep -m1 -o 'stunnel [0-9.]*'),"
    echo "$( ((WITH_PGBACKREST)) && echo "$(pgbackrest version), ")$("$AWS" --version 2>&1 | cut -d' ' -f1), curl $(curl --version | head -1 | cut -d' ' -f2)."
    echo "Measured ${SEGMENT_COUNT} of $n segments of pgbench WAL (bulk load and updates), $RUNS runs each after $WARMUP warm-up;"
    echo "the stored object is $(awk -v b="$OBJECT_BYTES" 'BEGIN { printf "%.1f", b / 1048576 }') MiB on average (what aws and curl send)."
    echo
    echo "| Measurement (per 16 MiB segment, HTTPS through stunnel) | median ms | MiB/s of WAL | peak RSS MiB |"
    echo "|---|---:|---:|---:|"
    for key in "${ORDER[@]}"; do
        echo "| ${LABEL[$key]} | $(ms_of "$key") | $(segment_rate "${MEDIAN[$key]}") | $(mib "${RSS[$key]}") |"
    done
    echo
    goal_table Ratio
    if [[ -n $TT ]]; then
        # Each round's ratio, then their median (the rounds' range in the label).
        turn_row() { goal_row "$1, median of $ROUNDS rounds' ratios ($(round_range "$2" "$3"))" "$(round_ratio "$2" "$3")" "${4:-1.02}"; }
        if ((WITH_PGBACKREST)); then
            turn_row "wal-push / pgbackrest archive-push" tt_push pgbr_push "$TARGET_VS_PGBACKREST"
            turn_row "wal-fetch / pgbackrest archive-get" tt_fetch pgbr_get "$TARGET_VS_PGBACKREST"
        fi
        turn_row "wal-push, cached role credentials / static keys" tt_push_role tt_push
        turn_row "wal-fetch, cached role credentials / static keys" tt_fetch_role tt_fetch
        turn_row "wal-push, cached role credentials and Object Lock / static keys, no lock" tt_push_lock tt_push
        # The server's own cost of a locked, versioned bucket (the bare PUT's difference) taken off the locked push.
        lock_cost=$(awk -v l="${MEDIAN[curl_put_lock]}" -v p="${MEDIAN[curl_put]}" 'BEGIN { print l - p }')
        echo "| wal-push, cached role credentials and Object Lock, less the server's own lock cost ($(fmt "$lock_cost" %.1f) ms) / static keys, no lock | $(ratio "$(awk -v t="${MEDIAN[tt_push_lock]}" -v c="$lock_cost" 'BEGIN { print t - c }')" "${MEDIAN[tt_push]}") | | |"
        turn_row "wal-fetch, cached role credentials and Object Lock / static keys, no lock" tt_fetch_lock tt_fetch
        # The same comparisons in the process's own CPU time, which the server's answers (moto's own cost of a
        # versioned, locked bucket, its pauses) do not enter: what the credentials cache and the lock cost the tool.
        cpu_row() { echo "| $1, CPU time of the process, median of $ROUNDS rounds' ratios ($(round_range "$2" "$3" cpu_ms)) | $(round_ratio "$2" "$3" cpu_ms) | | |"; }
        cpu_row "wal-push, cached role credentials / static keys" tt_push_role tt_push
        cpu_row "wal-fetch, cached role credentials / static keys" tt_fetch_role tt_fetch
        cpu_row "wal-push, cached role credentials and Object Lock / static keys, no lock" tt_push_lock tt_push
        cpu_row "wal-fetch, cached role credentials and Object Lock / static keys, no lock" tt_fetch_lock tt_fetch
        echo "| wal-push / aws s3 cp upload | $(ratio "${MEDIAN[tt_push]}" "${MEDIAN[aws_put]}") | | |"
        echo "| wal-fetch / aws s3 cp download | $(ratio "${MEDIAN[tt_fetch]}" "${MEDIAN[aws_get]}") | | |"
        goal_row "wal-push / curl PUT of the stored bytes" "$(ratio "${MEDIAN[tt_push]}" "${MEDIAN[curl_put]}")" "$TARGET_PUSH_VS_CURL"
        echo "| curl PUT into the Object Lock bucket, with the lock's headers / into the plain bucket (the server's own cost) | $(ratio "${MEDIAN[curl_put_lock]}" "${MEDIAN[curl_put]}") | | |"
        echo "| curl GET from the Object Lock bucket / from the plain bucket (the server's own cost) | $(ratio "${MEDIAN[curl_get_lock]}" "${MEDIAN[curl_get]}") | | |"
        goal_row "requests per wal-push, steady state (${PUSH_REQUESTS[*]})" "$(mean_of "${PUSH_REQUESTS[@]}")" "$TARGET_REQUESTS"
        goal_row "requests per wal-fetch, steady state (${FETCH_REQUESTS[*]})" "$(mean_of "${FETCH_REQUESTS[@]}")" "$TARGET_REQUESTS"
        echo "| wal-fetch / curl GET of the stored bytes | $(ratio "${MEDIAN[tt_fetch]}" "${MEDIAN[curl_get]}") | | |"
    fi
    if ((WITH_PGBACKREST)); then
        echo "| pgbackrest archive-push / aws s3 cp upload | $(ratio "${MEDIAN[pgbr_push]}" "${MEDIAN[aws_put]}") | | |"
    fi
    echo
    put16=$(segment_rate "${MEDIAN[curl_put16]}")
    get16=$(segment_rate "${MEDIAN[curl_get16]}")
    echo "Server ceiling: a bare curl moves $put16 MiB/s up and $get16 MiB/s down through stunnel to moto (16 MiB bodies)."
    if [[ -n $TT ]]; then
        awk -v tp="${MEDIAN[tt_push]}" -v cp="${MEDIAN[curl_put]}" -v tf="${MEDIAN[tt_fetch]}" -v cf="${MEDIAN[curl_get]}" 'BEGIN {
            printf "Of a wal-push, %.0f%% is the time a bare curl needs to PUT the same bytes; of a wal-fetch, %.0f%% is a bare GET", 100 * cp / tp, 100 * cf / tf
            if (cp / tp > 0.6 || cf / tf > 0.6) printf ": the server (moto behind stunnel) is the bottleneck, not the tool"
            print "."
        }'
    fi
    if ((!WITH_PGBACKREST)); then echo "$PGBACKREST_SKIPPED."; fi
    for note in "${CMP_NOTES[@]}"; do echo "WARNING: $note"; done
} >"$REPORT"
bench_report "$REPORT"

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
# BENCH_BINARY (a tailtown-pitr binary instead of a release build), BENCH_OUT (.build/bench), BENCH_KEEP=1 (keep workspace).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${BENCH_OUT:-$ROOT/.build/bench}
DRAIN_SEGMENTS=${BENCH_DRAIN_SEGMENTS:-64}
LOAD_SECONDS=${BENCH_LOAD_SECONDS:-30}
REPORT=$OUT/bench-wal-rate.md

say() { printf '[bench-wal-rate %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() { printf '[bench-wal-rate] error: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root: it installs packages and runs PostgreSQL as user postgres"
while IFS='=' read -r name _; do
    if [[ $name == TAILTOWN_* || $name == PGBACKREST_* || $name == AWS_* ]]; then unset "$name"; fi
done < <(env)
bash "$ROOT/scripts/bench-deps.sh"
command -v stunnel4 >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends stunnel4 >/dev/null; }
python3 -c 'import moto.server, flask, flask_cors' 2>/dev/null || bash "$ROOT/scripts/s3-server.sh" status >/dev/null 2>&1 || true

PGBIN=$(pg_config --bindir 2>/dev/null || true)
[[ -x $PGBIN/pgbench ]] || PGBIN=/usr/lib/postgresql/15/bin
[[ -x $PGBIN/pgbench ]] || die "pgbench not found in $PGBIN: install postgresql-15"

WS=$(mktemp -d /tmp/tailtown-walrate.XXXXXX)
chmod 0755 "$WS"
mkdir -p "$WS/run" "$WS/bin" "$WS/tls" "$OUT"
MOTO_PID=""
STUNNEL_PID=""
CLUSTERS=()

cleanup() {
    local status=$?
    for dir in "${CLUSTERS[@]}"; do
        if [[ -f $dir/postmaster.pid ]]; then
            runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null 2>&1 || true
        fi
    done
    if [[ -n $MOTO_PID ]]; then kill "$MOTO_PID" 2>/dev/null || true; fi
    if [[ -n $STUNNEL_PID ]]; then kill "$STUNNEL_PID" 2>/dev/null || true; fi
    # Background prefetchers of the recoveries end with their postmaster; give them a moment before removing their folders.
    sleep 0.5
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then echo "[bench-wal-rate] workspace kept: $WS"; else rm -rf "$WS"; fi
    exit $status
}
trap cleanup EXIT

as_pg() { runuser -u postgres -- "$@"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", n / s; else print "n/a" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
free_port() {
    local port=$1
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || [[ -e $WS/run/.s.PGSQL.$port ]]; do port=$((port + 1)); done
    echo "$port"
}

# ---------------------------------------------------------------------------------------------
# Binaries and repositories.

if [[ -n ${BENCH_BINARY:-} ]]; then
    [[ -x $BENCH_BINARY ]] || die "BENCH_BINARY=$BENCH_BINARY is not an executable file"
    install -m 0755 "$BENCH_BINARY" "$WS/bin/tailtown-pitr"
else
    say "building tailtown-pitr (swift build -c release --static-swift-stdlib)"
    (cd "$ROOT" && swift build -c release --static-swift-stdlib >"$OUT/build-wal-rate.log" 2>&1) \
        || { tail -30 "$OUT/build-wal-rate.log" >&2; die "swift build failed (log: $OUT/build-wal-rate.log)"; }
    install -m 0755 "$(cd "$ROOT" && swift build -c release --static-swift-stdlib --show-bin-path)/tailtown-pitr" "$WS/bin/tailtown-pitr"
fi
TT=$WS/bin/tailtown-pitr

# A certificate for 127.0.0.1 so that both tools speak TLS to the same moto server, each verifying it
# (pgBackRest matches the host name against DNS names only, curl an IP address against IP names: both are listed).
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:127.0.0.1 \
    -keyout "$WS/tls/key.pem" -out "$WS/tls/cert.pem" >/dev/null 2>&1 || die "openssl could not make a test certificate"
# moto's own TLS (werkzeug) ends connections without a TLS close_notify, which pgBackRest's OpenSSL 3 refuses:
# stunnel terminates TLS in front of moto's plain HTTP instead, for both tools alike.
MOTO_PORT=$(free_port 9080)
python3 -m moto.server -H 127.0.0.1 -p "$MOTO_PORT" >"$WS/moto.log" 2>&1 &
MOTO_PID=$!
S3_PORT=$(free_port 9443)
cat >"$WS/tls/stunnel.conf" <<EOF
foreground = yes
pid =
[s3]
accept = 127.0.0.1:$S3_PORT
connect = 127.0.0.1:$MOTO_PORT
cert = $WS/tls/cert.pem
key = $WS/tls/key.pem
EOF
stunnel4 "$WS/tls/stunnel.conf" >"$WS/stunnel.log" 2>&1 &
STUNNEL_PID=$!
S3=https://127.0.0.1:$S3_PORT
for _ in $(seq 1 100); do curl -s -o /dev/null --cacert "$WS/tls/cert.pem" "$S3/" && break; sleep 0.1; done
for bucket in tailtown pgbackrest; do
    curl -sf -o /dev/null --cacert "$WS/tls/cert.pem" -X PUT "$S3/$bucket" \
        -H "Authorization: AWS4-HMAC-SHA256 Credential=AKIDBENCH/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0" \
        || die "cannot create bucket $bucket on moto ($WS/moto.log)"
done

chown -R postgres:postgres "$WS"
as_pg "$TT" keygen "$WS/tailtown.key" >/dev/null
cat >"$WS/tailtown-file.conf" <<EOF
TAILTOWN_REPO=file://$WS/tailtown-repo
TAILTOWN_COMPRESSION=lz4
TAILTOWN_ENCRYPTION_KEY_FILE=$WS/tailtown.key
EOF
cat >"$WS/tailtown-s3.conf" <<EOF
TAILTOWN_REPO=s3://tailtown/bench
TAILTOWN_COMPRESSION=lz4
TAILTOWN_ENCRYPTION_KEY_FILE=$WS/tailtown.key
AWS_ENDPOINT_URL=$S3
AWS_ACCESS_KEY_ID=AKIDBENCH
AWS_SECRET_ACCESS_KEY=bench-secret-key
AWS_REGION=us-east-1
TAILTOWN_S3_CA_FILE=$WS/tls/cert.pem
EOF
sed 's/^TAILTOWN_COMPRESSION=lz4$/&\nTAILTOWN_PREFETCH=0/' "$WS/tailtown-file.conf" >"$WS/tailtown-noprefetch.conf"
sed 's/^TAILTOWN_COMPRESSION=lz4$/&\nTAILTOWN_PREFETCH=0/' "$WS/tailtown-s3.conf" >"$WS/tailtown-s3-noprefetch.conf"
sed 's|^TAILTOWN_REPO=.*|TAILTOWN_REPO=s3://tailtown/serial\nTAILTOWN_PUSH_AHEAD=0|' "$WS/tailtown-s3.conf" >"$WS/tailtown-s3-serial.conf"

pgbr_config() { # <folder> <async y|n> <repository lines...>
    local folder=$1 async=$2
    shift 2
    mkdir -p "$folder"
    {
        echo "[global]"
        printf '%s\n' "$@"
        cat <<EOF
repo1-cipher-type=aes-256-cbc
repo1-cipher-pass=tailtown-bench-cipher-pass-0123456789abcdef
compress-type=lz4
compress-level=1
archive-async=$async
process-max=2
lock-path=$folder/lock
spool-path=$folder/spool
log-path=$folder/log
log-level-console=warn
log-level-file=off

[bench]
pg1-path=$PGDATA
pg1-port=$PORT
pg1-socket-path=$WS/run
EOF
    } >"$folder/pgbackrest.conf"
}

# ---------------------------------------------------------------------------------------------
# The cluster: keeps every segment (wal_keep_size) so the same backlog can be drained by each tool in turn.

PGDATA=$WS/primary
PORT=$(free_port 54400)
CLUSTERS+=("$PGDATA")
psql_q() { as_pg "$PGBIN/psql" -X -h "$WS/run" -p "$PORT" -U postgres -d postgres -Atqc "$1"; }
ready_count() { find "$PGDATA/pg_wal/archive_status" -name '*.ready' | wc -l; }
set_archive_command() {
    psql_q "alter system set archive_command = '$1'" >/dev/null
    psql_q "select pg_reload_conf()" >/dev/null
}

chown -R postgres:postgres "$WS"
as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust --no-sync -E UTF8 >"$WS/initdb.log" 2>&1 || { cat "$WS/initdb.log" >&2; die "initdb failed"; }
cat >>"$PGDATA/postgresql.conf" <<EOF
port = $PORT
listen_addresses = ''
unix_socket_directories = '$WS/run'
archive_mode = on
archive_command = ''
wal_keep_size = 8GB
max_wal_size = 8GB
checkpoint_timeout = 1d
fsync = off
synchronous_commit = off
EOF
as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$WS/primary.log" -w start >/dev/null || { tail -20 "$WS/primary.log" >&2; die "PostgreSQL did not start"; }

pgbr_config "$WS/pgbr-file-async" y "repo1-path=$WS/pgbr-repo"
pgbr_config "$WS/pgbr-file-sync" n "repo1-path=$WS/pgbr-repo"
S3_LINES=("repo1-type=s3" "repo1-path=/bench" "repo1-s3-bucket=pgbackrest" "repo1-s3-endpoint=127.0.0.1" "repo1-storage-port=$S3_PORT"
    "repo1-s3-region=us-east-1" "repo1-s3-key=AKIDBENCH" "repo1-s3-key-secret=bench-secret-key" "repo1-s3-uri-style=path"
    "repo1-storage-ca-file=$WS/tls/cert.pem")
pgbr_config "$WS/pgbr-s3-async" y "${S3_LINES[@]}"
chown -R postgres:postgres "$WS"
for folder in pgbr-file-async pgbr-s3-async; do
    (cd "$PGDATA" && as_pg pgbackrest --config-path="$WS/$folder" --stanza=bench stanza-create >"$WS/$folder/stanza.log" 2>&1) \
        || { cat "$WS/$folder/stanza.log" >&2; die "pgbackrest stanza-create ($folder) failed"; }
done

# Taken before the load: recoveries replay everything the load writes. With its own WAL (-X stream), as
# archive_command is unset and -X none would wait for the backup's last segment to be archived.
as_pg "$PGBIN/pg_basebackup" -D "$WS/base" -X stream -c fast -U postgres -h "$WS/run" -p "$PORT" >/dev/null 2>&1 || die "pg_basebackup failed"

say "building a backlog of $DRAIN_SEGMENTS .ready segments with pgbench (archive_command unset)"
as_pg "$PGBIN/pgbench" -h "$WS/run" -p "$PORT" -U postgres -i -q -s 30 postgres >"$WS/pgbench.log" 2>&1 || die "pgbench -i failed"
while (($(ready_count) < DRAIN_SEGMENTS - 1)); do
    as_pg "$PGBIN/pgbench" -h "$WS/run" -p "$PORT" -U postgres -n -c 2 -j 2 -T 3 postgres >>"$WS/pgbench.log" 2>&1 || die "pgbench failed"
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
drain pgbr_sync "$PGBR_FILE_SYNC"
clear_pgbr_archive
# Last, so that pgBackRest's archive holds the backlog for the archive-get recovery below.
drain pgbr_async "$PGBR_FILE_ASYNC"
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
    CLUSTERS+=("$dir")
    sync
    start=$(now)
    as_pg "$PGBIN/pg_ctl" -D "$dir" -l "$WS/recovery-$key.log" -w -t 600 start >/dev/null || { tail -20 "$WS/recovery-$key.log" >&2; die "$key: recovery did not start"; }
    for _ in $(seq 1 12000); do
        [[ $(as_pg "$PGBIN/psql" -X -h "$WS/run" -p "$port" -U postgres -d postgres -Atqc "select pg_is_in_recovery()" 2>/dev/null) == f ]] && break
        sleep 0.05
    done
    end=$(now)
    [[ $(as_pg "$PGBIN/psql" -X -h "$WS/run" -p "$port" -U postgres -d postgres -Atqc "select count(*) from pgbench_accounts" 2>/dev/null) -gt 0 ]] \
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
# pg1-path: pgBackRest resolves %p against it, and must write into the recovering data directory.
recover pgbr_async "pgbackrest --config-path=$WS/pgbr-file-async --stanza=bench --pg1-path=@DIR@ archive-get %f \"%p\"" no

# ---------------------------------------------------------------------------------------------
# 2. Archive throughput under pgbench, to S3.

declare -A LOAD_RATE LOAD_MAX LOAD_DRAIN LOAD_SAMPLES
under_load() { # <key> <archive_command>
    local key=$1 command=$2 lsn0 lsn1 start end pid samples=() max=0 count drain_start
    set_archive_command "$command"
    sleep 1
    lsn0=$(psql_q "select pg_current_wal_lsn()")
    start=$(now)
    as_pg "$PGBIN/pgbench" -h "$WS/run" -p "$PORT" -U postgres -n -c 2 -j 2 -T "$LOAD_SECONDS" postgres >>"$WS/pgbench.log" 2>&1 &
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
under_load pgbr_async "pgbackrest --config-path=$WS/pgbr-s3-async --stanza=bench archive-push %p"

# ---------------------------------------------------------------------------------------------
# Report.

verdict() { awk -v v="$1" -v l="$2" -v d="$3" 'BEGIN { if (v == "n/a") print "n/a"; else if ((d == "ge" && v >= l) || (d == "le" && v <= l)) print "PASS"; else print "MISS" }'; }
{
    echo "## WAL rate ($(date -u +%Y-%m-%d), $(nproc) cores, $(pgbackrest version))"
    echo
    echo "Backlog drain: $BACKLOG segments of pgbench WAL, drained by PostgreSQL's archiver, file repositories."
    echo
    echo "| Archiver | Segments/s |"
    echo "|---|---|"
    echo "| tailtown-pitr wal-push (push-ahead, defaults) | ${DRAIN[tailtown]} |"
    echo "| pgBackRest archive-push async, process-max=2 | ${DRAIN[pgbr_async]} |"
    echo "| pgBackRest archive-push sync | ${DRAIN[pgbr_sync]} |"
    echo "| tailtown-pitr wal-push to S3 (moto, TLS), push-ahead | ${DRAIN[tailtown_s3]} |"
    echo "| tailtown-pitr wal-push to S3 (moto, TLS), TAILTOWN_PUSH_AHEAD=0 | ${DRAIN[tailtown_s3_serial]} |"
    r=$(ratio "${DRAIN[tailtown]}" "${DRAIN[pgbr_async]}")
    echo
    echo "tailtown-pitr / pgBackRest async: **$r** (target >= 1.5: $(verdict "$r" 1.5 ge))."
    echo
    echo "Archive throughput: pgbench -c 2 -j 2 -T $LOAD_SECONDS at full speed, archiving to moto over TLS; backlog = .ready files, sampled each second."
    echo
    echo "| Archiver | WAL MB/s | Backlog max | Drain after load, s | Backlog samples |"
    echo "|---|---|---|---|---|"
    echo "| tailtown-pitr wal-push | ${LOAD_RATE[tailtown]} | ${LOAD_MAX[tailtown]} | ${LOAD_DRAIN[tailtown]} | ${LOAD_SAMPLES[tailtown]} |"
    echo "| pgBackRest async, process-max=2 | ${LOAD_RATE[pgbr_async]} | ${LOAD_MAX[pgbr_async]} | ${LOAD_DRAIN[pgbr_async]} | ${LOAD_SAMPLES[pgbr_async]} |"
    echo
    echo "Recovery throughput: base backup + $WAL_BYTES MB of archived WAL replayed to the end, from \`pg_ctl start\` to promotion."
    echo
    echo "| Recovery | Seconds | / local replay |"
    echo "|---|---|---|"
    echo "| WAL already in pg_wal (PostgreSQL's replay speed) | ${RECOVERY[local]} | 1.00 |"
    echo "| tailtown-pitr wal-fetch, prefetch 8 | ${RECOVERY[tailtown]} | $(ratio "${RECOVERY[tailtown]}" "${RECOVERY[local]}") |"
    echo "| tailtown-pitr wal-fetch, TAILTOWN_PREFETCH=0 | ${RECOVERY[tailtown_noprefetch]} | $(ratio "${RECOVERY[tailtown_noprefetch]}" "${RECOVERY[local]}") |"
    echo "| pgBackRest archive-get async, process-max=2 | ${RECOVERY[pgbr_async]} | $(ratio "${RECOVERY[pgbr_async]}" "${RECOVERY[local]}") |"
    echo "| tailtown-pitr wal-fetch from S3 (moto, TLS), prefetch 8 | ${RECOVERY[tailtown_s3]} | $(ratio "${RECOVERY[tailtown_s3]}" "${RECOVERY[local]}") |"
    echo "| tailtown-pitr wal-fetch from S3 (moto, TLS), TAILTOWN_PREFETCH=0 | ${RECOVERY[tailtown_s3_noprefetch]} | $(ratio "${RECOVERY[tailtown_s3_noprefetch]}" "${RECOVERY[local]}") |"
    r=$(ratio "${RECOVERY[tailtown]}" "${RECOVERY[local]}")
    echo
    echo "tailtown-pitr with prefetch / local replay: **$r** (target <= 1.15: $(verdict "$r" 1.15 le)); / pgBackRest async: $(ratio "${RECOVERY[tailtown]}" "${RECOVERY[pgbr_async]}")."
} >"$REPORT"
echo
cat "$REPORT"
say "report written to $REPORT"

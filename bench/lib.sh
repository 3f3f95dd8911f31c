# Functions shared by the sections of make bench (bench/*.sh); sourced, not run.
# A section gets from bench/bench.sh: BENCH_ROOT (the checkout), BENCH_OUT (results folder),
# BENCH_BINARY (the release tailtown-pitr, empty with BENCH_SKIP_OURS=1) and BENCH_BUILT (how it was built).

BENCH_SECTION=${BENCH_SECTION:-bench}

say() { printf '[bench %s %s] %s\n' "$BENCH_SECTION" "$(date -u +%H:%M:%S)" "$*"; }
die() { printf '[bench %s] error: %s\n' "$BENCH_SECTION" "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root: it installs packages and runs PostgreSQL as user postgres"
[[ -n ${BENCH_ROOT:-} && -n ${BENCH_OUT:-} ]] || die "run through bench/bench.sh (BENCH_ONLY=$BENCH_SECTION make bench)"

# The PostgreSQL major measured: BENCH_PG (15 to 18, default 15), its programs found by scripts/postgresql-bin.sh.
BENCH_PG=${BENCH_PG:-15}
[[ $BENCH_PG =~ ^(15|16|17|18)$ ]] || die "BENCH_PG=$BENCH_PG: the supported majors are 15, 16, 17 and 18"
PGBIN=$(bash "$BENCH_ROOT/scripts/postgresql-bin.sh" "$BENCH_PG") || die "no PostgreSQL $BENCH_PG to measure (see the line above)"
PG_MAJOR=$("$PGBIN/postgres" --version | sed -E 's/.* ([0-9]+)\..*/\1/')
[[ $PG_MAJOR == "$BENCH_PG" ]] || die "$PGBIN/postgres is PostgreSQL $PG_MAJOR, not $BENCH_PG"
for program in initdb pg_ctl psql pgbench pg_basebackup; do
    [[ -x $PGBIN/$program ]] || die "$PGBIN has no $program: the bench needs it for PostgreSQL $PG_MAJOR"
done

# pgBackRest (Debian 12's 2.45) knows PostgreSQL up to 15 and refuses a later cluster ("unexpected control
# version"): on 16 and later a section leaves out just its pgBackRest rows and keeps every other comparison.
# WITH_PGBACKREST is 1 when the section compares with pgBackRest; else PGBACKREST_SKIPPED says why, once.
if ((PG_MAJOR <= 15)); then
    WITH_PGBACKREST=1
    PGBACKREST_SKIPPED=""
else
    WITH_PGBACKREST=0
    PGBACKREST_SKIPPED="pgBackRest rows skipped: $(pgbackrest version 2>/dev/null || echo pgBackRest) refuses PostgreSQL $PG_MAJOR (it supports up to 15); BENCH_PG=15 measures them"
    say "$PGBACKREST_SKIPPED"
fi

as_pg() { runuser -u postgres -- "$@"; }

# A workspace folder owned by postgres, removed at exit (BENCH_KEEP=1 keeps it), with `bench_on_exit`
# hooks run first (stop servers). Sets WS.
BENCH_EXIT_HOOKS=()
bench_on_exit() { BENCH_EXIT_HOOKS+=("$1"); }
# Writes tailtown-pitr's config FILE for repository URL: lz4, encrypted with $TT_KEY (made by keygen the first
# time), and any further KEY=value lines given.
tt_config() {
    local file=$1 url=$2
    shift 2
    [[ -f $TT_KEY ]] || as_pg "$TT" keygen "$TT_KEY" >/dev/null
    printf '%s\n' "TAILTOWN_REPO=$url" "TAILTOWN_COMPRESSION=lz4" "TAILTOWN_ENCRYPTION_KEY_FILE=$TT_KEY" "$@" >"$file"
}

# The section's workspace, removed at exit, and the usual places in it (a section may point any elsewhere).
bench_workspace() {
    WS=$(mktemp -d "/tmp/tailtown-bench-$BENCH_SECTION.XXXXXX")
    chmod 0755 "$WS"
    PGDATA=$WS/pgdata
    SOCKETS=$WS/run
    TT_REPO=$WS/tailtown-repo
    TT_CONF=$WS/tailtown.conf
    TT_KEY=$WS/tailtown.key
    PGBR_DIR=$WS/pgbackrest
    CORPUS=$WS/corpus
    REF=$WS/reference
    FETCHED=$WS/fetched
    JSON=$WS/json
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}
# bench_folders <folder...>: creates them and $WS/bin (where bench_binary installs), and gives the whole workspace
# to postgres, which runs the servers and the archive commands.
bench_folders() {
    mkdir -p "$@" "$WS/bin"
    chown -R postgres:postgres "$WS"
}
bench_cleanup() {
    local status=$? hook
    for hook in "${BENCH_EXIT_HOOKS[@]}"; do eval "$hook" >/dev/null 2>&1 || true; done
    if [[ ${BENCH_KEEP:-0} == 1 ]]; then
        echo "[bench $BENCH_SECTION] workspace kept: $WS"
    else
        rm -rf "$WS"
    fi
    exit "$status"
}

# bench_logs: LOGS ($WS/logs, for postgres), and WALL and RSS_KB, which `timed` fills.
bench_logs() {
    declare -gA WALL RSS_KB
    LOGS=$WS/logs
    mkdir -p "$LOGS"
    chown postgres:postgres "$LOGS"
}
# timed <key> <command...>: the command once, as postgres in $WS, under /usr/bin/time: wall seconds into WALL[key],
# peak RSS in KiB into RSS_KB[key], output in $LOGS/key.log (bench_logs first).
timed() {
    local key=$1 wall kb
    shift
    (cd "$WS" && as_pg /usr/bin/time -f '%e %M' -o "$LOGS/$key.time" "$@") >"$LOGS/$key.log" 2>&1 \
        || { tail -20 "$LOGS/$key.log" >&2; die "$key failed (log: $LOGS/$key.log)"; }
    read -r wall kb < <(tail -1 "$LOGS/$key.time")
    WALL[$key]=$wall
    RSS_KB[$key]=$kb
}

# A TCP port on loopback that nothing listens on, from $1 upwards.
free_port() {
    local port=$1
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || [[ -e /var/run/postgresql/.s.PGSQL.$port ]]; do
        port=$((port + 1))
    done
    echo "$port"
}

# pg_cluster_start <data dir> <port> <socket dir> <log> [postgresql.conf lines...]: initdb as postgres, start,
# and stop it (immediate) at exit.
pg_cluster_start() {
    local data=$1 port=$2 sockets=$3 log=$4
    shift 4
    mkdir -p "$sockets"
    chown postgres:postgres "$sockets"
    # Data checksums off on every major (initdb's default until 17; 18 turns them on), so that the majors differ
    # in nothing else.
    local checksums=()
    if ((PG_MAJOR >= 18)); then checksums=(--no-data-checksums); fi
    as_pg "$PGBIN/initdb" -D "$data" -U postgres --auth=trust --no-sync -E UTF8 "${checksums[@]}" >"$log" 2>&1 \
        || { cat "$log" >&2; die "initdb $data failed"; }
    chown postgres:postgres "$log"
    {
        echo "# tailtown-pitr bench"
        echo "port = $port"
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$sockets'"
        printf '%s\n' "$@"
    } >>"$data/postgresql.conf"
    bench_on_exit "runuser -u postgres -- $PGBIN/pg_ctl -D $data -m immediate -w stop"
    as_pg "$PGBIN/pg_ctl" -D "$data" -l "$log" -w -t 120 start >/dev/null \
        || { tail -20 "$log" >&2; die "PostgreSQL in $data did not start"; }
}

# Median in ms of every run of a hyperfine JSON export (all commands and parameter values together).
median_ms() {
    jq '[.results[].times[]] | sort
        | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end
        | . * 1000' "$1"
}

# median_of "<numbers, separated by spaces>": their median.
median_of() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# check_same <label> <original> <copy>: a copy that differs is noted in CMP_NOTES, which a section prints as
# WARNING lines under its table.
CMP_NOTES=()
check_same() { cmp -s "$2" "$3" || CMP_NOTES+=("$1: $(basename "$2") came back different"); }

fmt() { awk -v v="$1" -v f="$2" 'BEGIN { printf f, v }'; }
now() { date +%s.%N; }
# elapsed <start> [end]: seconds between two `now` readings (end: now), two decimals.
elapsed() { awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
# PASS when value <= limit.
verdict() {
    awk -v v="$1" -v l="$2" 'BEGIN { if (v == "n/a") print "n/a"; else if (v + 0 <= l + 0) print "PASS"; else print "MISS" }'
}
# PASS when value >= goal.
verdict_at_least() {
    awk -v v="$1" -v l="$2" 'BEGIN { if (v == "n/a") print "n/a"; else if (v + 0 >= l + 0) print "PASS"; else print "MISS" }'
}
# goal_table <first column's title>: the head of a table of goal_row lines.
goal_table() {
    echo "| $1 | measured | goal | |"
    echo "|---|---:|---:|---|"
}
# goal_row <label> <value> <limit> [<goal as shown>]: a row that says PASS when value <= limit; the goal reads
# "<= limit" unless shown otherwise (say "< 1.0" for the limit 0.99).
goal_row() { echo "| $1 | $2 | ${4:-<= $3} | $(verdict "$2" "$3") |"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; } # KiB -> MiB
mb() { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1e6 }'; } # bytes -> whole MB
# segment_rate <ms>: MiB/s of a 16 MiB segment handled in that many milliseconds.
segment_rate() { awk -v ms="$1" 'BEGIN { printf "%.0f", 16 / (ms / 1000) }'; }

# Appends a section's report (a file) to the run's table and prints it.
bench_report() {
    { cat "$1"; echo; } >>"$BENCH_OUT/bench.md"
    echo
    cat "$1"
    echo
}

# bench_binary: TT is the measured tailtown-pitr, installed for postgres into $WS/bin, or empty when
# BENCH_BINARY is unset (references only).
bench_binary() {
    TT=""
    if [[ -n ${BENCH_BINARY:-} ]]; then
        install -m 0755 -o postgres -g postgres "$BENCH_BINARY" "$WS/bin/tailtown-pitr"
        TT=$WS/bin/tailtown-pitr
    fi
}

# pgbackrest_config <file> <data dir> <port> <socket dir> [more [global] lines...]: stanza "bench" for the
# cluster, synchronous archive-push unless the lines say archive-async=y, console logging from warnings on,
# lock/spool/log folders beside the file.
pgbackrest_config() {
    local file=$1 data=$2 port=$3 sockets=$4 dir
    dir=$(dirname "$file")
    shift 4
    {
        echo "[global]"
        printf '%s\n' "$@"
        [[ " $* " == *" archive-async="* ]] || echo "archive-async=n"
        echo "lock-path=$dir/lock"
        echo "spool-path=$dir/spool"
        echo "log-path=$dir/log"
        echo "log-level-console=warn"
        echo "log-level-file=off"
        echo
        echo "[bench]"
        echo "pg1-path=$data"
        echo "pg1-port=$port"
        echo "pg1-socket-path=$sockets"
    } >"$file"
    chown -R postgres:postgres "$dir"
}

# The section's cluster is the one at SOCKETS and PORT (set by the section before these are called).
# psql_q <sql>: one query as postgres, unaligned, tuples only.
psql_q() { as_pg "$PGBIN/psql" -h "$SOCKETS" -p "$PORT" -U postgres -d postgres -Atqc "$1"; }
# pgbench_run <pgbench options...>: on the database postgres, its output appended to $WS/pgbench.log.
# pgbench_cluster: a cluster at $PGDATA on $PORT whose archiving waits (archive_command 'true') for the section to set
# it, loaded by pgbench at scale $SCALE (the WAL of the load is not the point); sets DB_BYTES, its size.
pgbench_cluster() {
    pg_cluster_start "$PGDATA" "$PORT" "$SOCKETS" "$WS/postgres.log" \
        "wal_level = replica" "archive_mode = on" "archive_command = 'true'" "max_wal_size = 4GB" \
        "checkpoint_timeout = 1h" "fsync = off" "synchronous_commit = off"
    say "pgbench -i -s $SCALE"
    pgbench_run -i -s "$SCALE" -q -I dtGvp
    DB_BYTES=$(psql_q "select sum(pg_database_size(oid)) from pg_database")
}

pgbench_run() {
    as_pg "$PGBIN/pgbench" -h "$SOCKETS" -p "$PORT" -U postgres "$@" postgres >>"$WS/pgbench.log" 2>&1 \
        || { tail -20 "$WS/pgbench.log" >&2; die "pgbench $* failed"; }
}
# start_until_paused <data dir> <log>: starts a restored copy (at SOCKETS and PORT) and waits until recovery paused
# at the target, polling every 0.25 s like restore --start.
start_until_paused() { # <data dir> <log>
    as_pg "$PGBIN/pg_ctl" -D "$1" -l "$2" -W start >/dev/null || { tail -20 "$2" >&2; die "pg_ctl start $1 failed"; }
    local state="" waited=0
    while [[ $state != paused ]]; do
        sleep 0.25
        state=$(psql_q "select case when pg_is_in_recovery() then pg_get_wal_replay_pause_state()::text else 'promoted' end" 2>/dev/null || true)
        [[ $state != promoted ]] || die "PostgreSQL in $1 ended recovery instead of pausing at the target (log: $2)"
        [[ -f $1/postmaster.pid ]] || { tail -20 "$2" >&2; die "PostgreSQL in $1 stopped before reaching the target"; }
        waited=$((waited + 1))
        ((waited < 4 * 3600)) || die "PostgreSQL in $1 did not pause at the target within an hour (log: $2)"
    done
}

# switch_wal_and_wait: closes the current WAL segment and waits (two minutes at most) until it is archived.
switch_wal_and_wait() {
    local switched archived
    switched=$(psql_q "select pg_walfile_name(pg_switch_wal())")
    for _ in $(seq 1 240); do
        archived=$(psql_q "select coalesce(last_archived_wal, '') from pg_stat_archiver")
        [[ $archived > $switched || $archived == "$switched" ]] && return 0
        sleep 0.5
    done
}

# s3_tls_server <folder>: moto on plain HTTP behind stunnel4 with a self-signed certificate for 127.0.0.1, both
# stopped at exit; sets S3_ENDPOINT (https://127.0.0.1:PORT), S3_CA (the certificate) and S3_MOTO_PORT (moto's
# plain-HTTP port, for s3_delayed_endpoint). Logs and keys go into <folder>. pgBackRest speaks only HTTPS to S3 and fails against moto's own TLS mode (no close_notify), hence stunnel.
s3_tls_server() {
    local folder=$1 stunnel moto_port tls_port
    python3 -c 'import moto.server, flask, flask_cors' 2>/dev/null \
        || die "moto is not installed: run scripts/install-deps.sh (make deps)"
    stunnel=$(command -v stunnel4 || command -v stunnel) || die "stunnel4 not found: bench/deps.sh installs it"
    mkdir -p "$folder"
    moto_port=$(free_port 9300)
    python3 -m moto.server -H 127.0.0.1 -p "$moto_port" >"$folder/moto.log" 2>&1 &
    bench_on_exit "kill $!"
    tls_port=$(free_port $((moto_port + 1)))
    # The address is both an IP and a DNS entry: curl and Python check the IP entry, pgBackRest the DNS ones.
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
        -addext "subjectAltName=IP:127.0.0.1,DNS:127.0.0.1,DNS:localhost" \
        -keyout "$folder/key.pem" -out "$folder/cert.pem" >/dev/null 2>&1 || die "openssl could not make a test certificate"
    chmod 0644 "$folder/cert.pem"
    printf '%s\n' "foreground = yes" "pid =" "output = $folder/stunnel.log" "[s3]" "accept = 127.0.0.1:$tls_port" \
        "connect = 127.0.0.1:$moto_port" "cert = $folder/cert.pem" "key = $folder/key.pem" >"$folder/stunnel.conf"
    "$stunnel" "$folder/stunnel.conf" >/dev/null 2>&1 &
    bench_on_exit "kill $!"
    S3_ENDPOINT=https://127.0.0.1:$tls_port
    S3_CA=$folder/cert.pem
    S3_MOTO_PORT=$moto_port
    for _ in $(seq 1 100); do
        curl -s -o /dev/null --cacert "$S3_CA" "$S3_ENDPOINT/moto-api/" && return 0
        sleep 0.1
    done
    die "moto behind stunnel did not answer at $S3_ENDPOINT (logs: $folder)"
}

# s3_delayed_endpoint <folder> <milliseconds>: a second way to the same moto, through bench/s3-delay-proxy.py (every
# request forwarded that many milliseconds after it arrived) behind a stunnel of its own, both stopped at exit; sets
# S3_DELAYED_ENDPOINT (https://127.0.0.1:PORT, the certificate is S3_CA) and S3_DELAYED_LOG (the proxy's log: one
# line "METHOD STATUS BYTES PATH" per request). Call s3_tls_server first.
s3_delayed_endpoint() {
    local folder=$1/delay-$2 stunnel proxy_port tls_port
    stunnel=$(command -v stunnel4 || command -v stunnel)
    mkdir -p "$folder"
    S3_DELAYED_LOG=$folder/proxy.log
    python3 "$BENCH_ROOT/bench/s3-delay-proxy.py" "$S3_MOTO_PORT" "$2" >"$S3_DELAYED_LOG" 2>"$folder/proxy.err" &
    bench_on_exit "kill $!"
    for _ in $(seq 1 50); do
        proxy_port=$(head -1 "$S3_DELAYED_LOG")
        [[ -n $proxy_port ]] && break
        sleep 0.1
    done
    [[ -n $proxy_port ]] || die "the delaying proxy did not start (log: $folder/proxy.err)"
    tls_port=$(free_port $((S3_MOTO_PORT + 10)))
    printf '%s\n' "foreground = yes" "pid =" "output = $folder/stunnel.log" "[s3]" "accept = 127.0.0.1:$tls_port" \
        "connect = 127.0.0.1:$proxy_port" "cert = $S3_CA" "key = ${S3_CA%/*}/key.pem" >"$folder/stunnel.conf"
    "$stunnel" "$folder/stunnel.conf" >/dev/null 2>&1 &
    bench_on_exit "kill $!"
    S3_DELAYED_ENDPOINT=https://127.0.0.1:$tls_port
    for _ in $(seq 1 100); do
        curl -s -o /dev/null --cacert "$S3_CA" "$S3_DELAYED_ENDPOINT/moto-api/" && return 0
        sleep 0.1
    done
    die "moto behind the delaying proxy did not answer at $S3_DELAYED_ENDPOINT (logs: $folder)"
}

# s3_make_bucket <name>: creates a bucket on the s3_tls_server (moto checks no signatures).
s3_make_bucket() {
    curl -sf -o /dev/null --cacert "$S3_CA" -X PUT "$S3_ENDPOINT/$1" \
        -H "Authorization: AWS4-HMAC-SHA256 Credential=AKIDBENCH/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0" \
        || die "cannot create bucket $1 at $S3_ENDPOINT"
}

#!/usr/bin/env bash
# make demo: the worst day, rehearsed. A PostgreSQL 15 cluster archives its WAL through tailtown-pitr under a
# pgbench load and takes a base backup with backup-push; at time T the data is fingerprinted, more load runs,
# then an accident deletes every account. `restore --to T --start` must bring back exactly the data of time T.
# Everything happens in a throwaway workspace under /tmp, removed at the end (also on failure).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '==> %s\n' "$*"; }
fail() { printf 'demo: %s\n' "$*" >&2; exit 1; }

pgbin=/usr/lib/postgresql/15/bin
[[ -x $pgbin/initdb ]] || pgbin=$(pg_config --bindir 2>/dev/null || true)
[[ -x $pgbin/initdb ]] || fail "PostgreSQL 15 not found: run 'make deps' as root"

# --- build -------------------------------------------------------------------------------------------------------
if [[ -n ${TAILTOWN_BIN:-} ]]; then
    binary=$TAILTOWN_BIN  # an already built binary, e.g. from a benchmark run
else
    say "building tailtown-pitr (release)"
    build_log=$(mktemp)
    if ! swift build -c release --static-swift-stdlib --disable-local-rpath >"$build_log" 2>&1; then cat "$build_log" >&2; rm -f "$build_log"; fail "build failed"; fi
    rm -f "$build_log"
    binary=$(swift build -c release --static-swift-stdlib --disable-local-rpath --show-bin-path)/tailtown-pitr
fi

# --- workspace ---------------------------------------------------------------------------------------------------
ws=$(mktemp -d /tmp/tailtown-demo.XXXXXX)
primary=$ws/primary
restored=$ws/restored
started=()

cleanup() {
    local status=$?
    local mode=fast
    [[ $status -eq 0 ]] || mode=immediate
    for data in "${started[@]}"; do
        as_postgres "$pgbin/pg_ctl" -D "$data" -m "$mode" -w stop >/dev/null 2>&1 || true
    done
    rm -rf "$ws"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs a command as postgres (when we are root) with a clean environment: no TAILTOWN_* or PG* leaks in.
as_postgres() {
    local clean=(env -i PATH=/usr/bin:/bin LANG=C HOME="$ws")
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "${clean[@]}" "$@"; else "${clean[@]}" "$@"; fi
}
[[ $(id -u) -ne 0 ]] || chown postgres:postgres "$ws"
chmod 700 "$ws"
install -m 0755 "$binary" "$ws/tailtown-pitr"
bin=$ws/tailtown-pitr
conf=$ws/tailtown-pitr.conf

# A port nothing listens on (the clusters only listen on a socket in the workspace, but keep the names distinct).
free_port() {
    local port
    for port in $(seq "$1" 5499); do
        [[ $port -ne 5432 ]] || continue
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && [[ ! -e $ws/.s.PGSQL.$port ]]; then echo "$port"; return; fi
    done
    fail "no free port in $1-5499"
}
primary_port=$(free_port 5433)
restored_port=$(free_port $((primary_port + 1)))

sql() { as_postgres "$pgbin/psql" -X -A -t -q -v ON_ERROR_STOP=1 -h "$ws" -p "$1" -U postgres -d postgres -c "$2"; }
now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }  # arithmetic on decimals (awk is always there, bc is not)

# --- repository and key --------------------------------------------------------------------------------------------
say "workspace $ws; key and file:// repository"
as_postgres "$bin" keygen "$ws/demo.key"
as_postgres mkdir -m 0700 "$ws/repo"
as_postgres sh -c "umask 077; cat > '$conf'" <<CONF
TAILTOWN_REPO=file://$ws/repo
TAILTOWN_COMPRESSION=lz4
TAILTOWN_ENCRYPTION_KEY_FILE=$ws/demo.key
CONF
as_postgres "$bin" --config "$conf" config | sed 's/^/    /'

# --- primary -----------------------------------------------------------------------------------------------------
say "primary cluster on port $primary_port, archive_command = tailtown-pitr wal-push"
as_postgres "$pgbin/initdb" -D "$primary" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
as_postgres sh -c "cat >> '$primary/postgresql.conf'" <<PGCONF
port = $primary_port
listen_addresses = ''
unix_socket_directories = '$ws'
archive_mode = on
archive_command = '$bin --config $conf wal-push %p'
PGCONF
as_postgres "$pgbin/pg_ctl" -D "$primary" -l "$ws/primary.log" -w start >/dev/null
started+=("$primary")

pgbench_load() {  # seconds
    as_postgres "$pgbin/pgbench" -h "$ws" -p "$primary_port" -U postgres -n -c 4 -j 2 -T "$1" postgres >"$ws/pgbench.out" 2>&1 \
        || { cat "$ws/pgbench.out" >&2; fail "pgbench failed"; }
    sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$ws/pgbench.out" | head -1
}

say "pgbench: initialize (scale 20); base backup with tailtown-pitr backup-push; 15 s of load"
as_postgres "$pgbin/pgbench" -h "$ws" -p "$primary_port" -U postgres -i -q -s 20 postgres >/dev/null 2>&1
as_postgres "$bin" --config "$conf" backup-push --dbname "host=$ws port=$primary_port user=postgres" | sed 's/^/    /'
tps=$(pgbench_load 15)

fingerprint() {
    sql "$1" "select 'accounts: ' || count(*) || ' rows, sum(abalance) ' || coalesce(sum(abalance), 0)
              || ', md5 ' || coalesce(md5(string_agg(md5(a::text), '' order by aid)), '-') from pgbench_accounts a"
    sql "$1" "select 'history:  ' || count(*) || ' rows, sum(delta) ' || coalesce(sum(delta), 0)
              || ', md5 ' || coalesce(md5(string_agg(h::text, ',' order by h::text)), '-') from pgbench_history h"
    sql "$1" "select 'branches: sum(bbalance) ' || sum(bbalance) || ', tellers: sum(tbalance) '
              || (select sum(tbalance) from pgbench_tellers) from pgbench_branches"
}
at_t=$(fingerprint "$primary_port")
sleep 1
target=$(date -u '+%Y-%m-%d %H:%M:%S.%N+00')
sleep 1
say "T = $target: the data is fingerprinted; 10 s more load, then the accident: DELETE FROM pgbench_accounts"
pgbench_load 10 >/dev/null
sql "$primary_port" "delete from pgbench_accounts"

last=$(sql "$primary_port" "select pg_walfile_name(pg_switch_wal())")
say "switched WAL; waiting until $last is archived"
deadline=$((SECONDS + 120))
until [[ $(sql "$primary_port" "select coalesce(last_archived_wal, '') >= '$last' from pg_stat_archiver") == t ]]; do
    (( SECONDS < deadline )) || { tail -20 "$ws/primary.log" >&2; fail "$last not archived within 120 s"; }
    sleep 0.2
done
failed=$(sql "$primary_port" "select failed_count from pg_stat_archiver")
[[ $failed -eq 0 ]] || { tail -20 "$ws/primary.log" >&2; fail "archive_command failed $failed time(s)"; }

segment_mb=$(( $(sql "$primary_port" "select setting from pg_settings where name = 'wal_segment_size'") / 1048576 ))
segments=$(find "$ws/repo/wal" -type f -regextype posix-extended -regex '.*/[0-9A-F]{24}' | wc -l)
repo_bytes=$(du -sb "$ws/repo" | cut -f1)
wal_bytes=$((segments * segment_mb * 1048576))
as_postgres "$bin" --config "$conf" backup-list | sed 's/^/    /'

# --- point-in-time recovery ----------------------------------------------------------------------------------------
say "restore --to '$target' --start: plan, download and extract the backup, replay the archive to T (port $restored_port)"
begin=$(now)
as_postgres "$bin" --config "$conf" restore --to "$target" --target-dir "$restored" --port "$restored_port" --pg-bin "$pgbin" --start \
    | tee "$ws/restore.out" | sed 's/^/    /' || { tail -20 "$restored/log/"* "$ws"/*.log 2>/dev/null >&2; fail "restore failed"; }
started+=("$restored")
recovery_seconds=$(calc "$(now) - $begin")

# --- comparison --------------------------------------------------------------------------------------------------
restored_print=$(fingerprint "$restored_port")
after=$(fingerprint "$primary_port")

echo
echo "Summary"
printf '  load:           pgbench scale 20, 25 s at %.0f transactions/s, then DELETE FROM pgbench_accounts\n' "${tps:-0}"
printf '  archived:       %d WAL segments of %d MB (%d MB), 0 failures\n' "$segments" "$segment_mb" $((wal_bytes / 1048576))
printf '  repository:     %.1f MB (lz4 + AES-256-GCM, WAL and base backup)\n' "$(calc "$repo_bytes / 1048576")"
printf '  restore:        %.1f s from the command to a paused, readable copy at T\n' "$recovery_seconds"
echo "  primary at T:";  sed 's/^/    /' <<<"$at_t"
echo "  primary now:";   sed 's/^/    /' <<<"$after"
echo "  restored to T:"; sed 's/^/    /' <<<"$restored_print"
if [[ $at_t != "$restored_print" ]]; then
    echo "RESULT: the restored cluster differs from the primary at T" >&2
    exit 1
fi
echo "RESULT: the restored cluster holds exactly the primary's data as of $target"

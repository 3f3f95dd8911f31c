#!/usr/bin/env bash
# make bench, section incidents: finding the moment and proving the window (issue 20), on a file:// repository.
#   1. `incidents` over about BENCH_INCIDENTS_GB of archived WAL (downloaded, authenticated, decompressed, decoded and
#      classified, tables named), against `pg_waldump` reading the same segments from pg_wal (its text to /dev/null),
#      in the same run, each BENCH_INCIDENTS_RUNS times in turn: the medians and their ratio (goal: at most 1.0x).
#   2. `verify --window` over the same archive: a first run, which decodes every segment, and a second one, which
#      remembers what the first proved: wall time and the segments each read (on file:// no request is billed; each
#      segment read is one GET on S3).
#   3. What the held-locks decode costs a plan: `restore --dry-run` to the backup's end (--immediate, a few segments),
#      and --lsn just after a checkpoint and 3 GB after the last one (decoded from that checkpoint to the stop).
# The WAL: a backup-push (with its relation names), `pgbench -i`, then pgbench until the archive holds the size asked
# for, with one DROP TABLE and one 20,000-row DELETE among it. It measures and reports; it asserts no wall time.
# Runs as root on Debian 12; about 10 minutes on two cores for 3 GB.
# Tunables: BENCH_INCIDENTS_GB (GB of WAL, 3), BENCH_INCIDENTS_RUNS (runs of each measured command, 3),
# BENCH_KEEP=1 (keep the workspace: the WAL twice, in pg_wal and in the repository), BENCH_INCIDENTS_BASELINE (another
# tailtown-pitr binary whose `incidents --json` is timed in turn with this build's: a before/after). Run through bench/bench.sh
# (BENCH_ONLY=incidents make bench).
set -euo pipefail

BENCH_SECTION=incidents
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
OUT=$BENCH_OUT
GB=${BENCH_INCIDENTS_GB:-3}
RUNS=${BENCH_INCIDENTS_RUNS:-3}
REPORT=$OUT/bench-incidents.md
[[ $GB =~ ^[0-9]+$ && $GB -ge 1 ]] || die "BENCH_INCIDENTS_GB=$GB: give a whole number of GB, at least 1"
[[ $RUNS =~ ^[0-9]+$ && $RUNS -ge 1 ]] || die "BENCH_INCIDENTS_RUNS=$RUNS: give a number of runs, at least 1"
BASELINE=${BENCH_INCIDENTS_BASELINE:-}
[[ -z $BASELINE || -x $BASELINE ]] || die "BENCH_INCIDENTS_BASELINE=$BASELINE is not an executable file"
[[ -x $PGBIN/pg_waldump ]] || die "$PGBIN has no pg_waldump: this section compares with it"

bench_workspace
bench_folders "$SOCKETS"
bench_binary
bench_logs
[[ -n $TT ]] || die "this section measures tailtown-pitr: run it without BENCH_SKIP_OURS"

# Every segment stays in pg_wal (wal_keep_size), so that pg_waldump reads locally what the archive holds.
PORT=$(free_port 54600)
CONNINFO="host=$SOCKETS port=$PORT user=postgres dbname=postgres"
tt_config "$TT_CONF" "file://$TT_REPO"
chown -R postgres:postgres "$WS"
pg_cluster_start "$PGDATA" "$PORT" "$SOCKETS" "$WS/primary.log" \
    "archive_mode = on" "archive_command = '$TT --config $TT_CONF wal-push %p'" "wal_keep_size = $((GB + 2))GB" \
    "max_wal_size = $((GB + 2))GB" "checkpoint_timeout = 1d" "fsync = off" "synchronous_commit = off"

say "backup-push, then pgbench and bulk updates until $GB GB of WAL are archived"
timed backup "$TT" --config "$TT_CONF" backup-push --dbname "$CONNINFO"
wal_bytes() { psql_q "select pg_current_wal_lsn() - '0/0'::pg_lsn"; }
pgbench_run -i -q -s 20
psql_q "create table doomed as select g from generate_series(1, 100000) g" >/dev/null
pgbench_run -n -c 2 -j 2 -T 10
psql_q "drop table doomed" >/dev/null
psql_q "delete from pgbench_accounts where aid <= 20000" >/dev/null
# pgbench's small records, and bulk updates (a quarter of the accounts each) that write the bulk of the WAL quickly.
part=0
while (($(wal_bytes) < GB * 1000000000)); do
    pgbench_run -n -c 2 -j 2 -T 5
    psql_q "update pgbench_accounts set filler = md5(random()::text) where aid % 4 = $((part++ % 4))" >/dev/null
done
# Two stops for the planner: one far from the last checkpoint (the backup's, checkpoint_timeout being 1d), one just after
# a checkpoint. --lsn decodes from the last checkpoint before its stop to find the locks held there (HeldLocks).
FAR_LSN=$(psql_q "select pg_current_wal_insert_lsn()")
psql_q "checkpoint" >/dev/null
pgbench_run -n -c 2 -j 2 -T 5
NEAR_LSN=$(psql_q "select pg_current_wal_insert_lsn()")
switch_wal_and_wait
# (awk, not head: under pipefail, head leaving early would fail the pipeline with sort's SIGPIPE.)
FIRST=$(find "$PGDATA/pg_wal" -maxdepth 1 -printf '%f\n' | grep -E '^[0-9A-F]{24}$' | sort | awk 'NR == 1')
LAST=$(psql_q "select last_archived_wal from pg_stat_archiver")
say "WAL $FIRST .. $LAST"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------------------------
# 1. incidents against pg_waldump, in turn.
declare -a T_WALDUMP T_INCIDENTS T_BASELINE
if [[ -n $BASELINE ]]; then
    install -m 0755 -o postgres -g postgres "$BASELINE" "$WS/bin/tailtown-pitr-baseline"
fi
for run in $(seq 1 "$RUNS"); do
    say "run $run of $RUNS: pg_waldump, then incidents"
    # pg_waldump stops at the end of LAST; its status is not the measure (it reports the end of valid WAL as an error).
    timed "waldump_$run" bash -c "'$PGBIN/pg_waldump' -p '$PGDATA/pg_wal' $FIRST $LAST >/dev/null 2>'$LOGS/waldump_$run.err' || true"
    T_WALDUMP+=("${WALL[waldump_$run]}")
    timed "incidents_$run" "$TT" --config "$TT_CONF" incidents --json
    T_INCIDENTS+=("${WALL[incidents_$run]}")
    if [[ -n $BASELINE ]]; then
        timed "baseline_$run" "$WS/bin/tailtown-pitr-baseline" --config "$TT_CONF" incidents --json
        T_BASELINE+=("${WALL[baseline_$run]}")
    fi
done
RECORDS=$("$PGBIN/pg_waldump" -p "$PGDATA/pg_wal" --stats "$FIRST" "$LAST" 2>/dev/null | awk '/^Total/ { print $2; exit }' || true)
read -r FOUND READ < <(jq -r '"\(.incidents | length) \(.segments_read)"' "$LOGS/incidents_1.log")
KINDS=$(jq -r '[.incidents[] | "\(.kind) \([.tables[].name // "(unnamed)"] | unique | join(", "))"] | group_by(.)
    | map("\(length) x \(.[0])") | join("; ")' "$LOGS/incidents_1.log")
M_WALDUMP=$(median_of "${T_WALDUMP[*]}")
M_INCIDENTS=$(median_of "${T_INCIDENTS[*]}")

# ---------------------------------------------------------------------------------------------
# 2. verify --window, twice: the second run remembers the first one's proof.
for run in first second; do
    say "verify --window ($run run)"
    # Its status says whether the window is proven; the JSON ("ok") is reported below.
    timed "window_$run" bash -c "'$TT' --config '$TT_CONF' verify --window --json >'$WS/window_$run.json' || true"
done
window_field() { jq -r "[.archives[].$2] | add" "$WS/window_$1.json"; }
WINDOW_OK=$(jq -r .ok "$WS/window_first.json")

# ---------------------------------------------------------------------------------------------
# 3. What the held-locks decode adds to planning: restore --dry-run to the backup's end, to just after a checkpoint,
# and to a stop 3 GB after the last checkpoint.
declare -A PLAN_TARGET=([immediate]="--immediate" [near]="--lsn $NEAR_LSN --exclusive" [far]="--lsn $FAR_LSN --exclusive")
for plan in immediate near far; do
    say "restore --dry-run ${PLAN_TARGET[$plan]}"
    # shellcheck disable=SC2086 # the target is a list of arguments
    timed "plan_$plan" "$TT" --config "$TT_CONF" restore ${PLAN_TARGET[$plan]} --dry-run --target-dir "$WS/never"
done
segments_between() { # <from LSN> <to LSN>: the 16 MiB segments from the one holding the first to the one holding the second
    psql_q "select ((('$2'::pg_lsn - '0/0') / 16777216)::bigint - (('$1'::pg_lsn - '0/0') / 16777216)::bigint + 1)"
}
BACKUP_START=$(sed -nE '/ started at /{s/.* started at ([0-9A-F]+\/[0-9A-F]+) .*/\1/p;q}' "$LOGS/backup.log")

{
    echo "### incidents and verify --window (BENCH_ONLY=incidents)"
    echo
    echo "File repository (lz4, AES-256-GCM), PostgreSQL $PG_MAJOR, $READ segments of 16 MiB ($FIRST .. $LAST, ${RECORDS:-?} records);"
    echo "medians of $RUNS runs each, in turn; load average before the runs: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
    echo "| command | median wall time | runs |"
    echo "|---|---:|---|"
    echo "| \`pg_waldump -p pg_wal FIRST LAST > /dev/null\` (local files) | $M_WALDUMP s | ${T_WALDUMP[*]} |"
    echo "| \`incidents --json\` (file://: read, authenticated, decompressed, decoded, classified, named) | $M_INCIDENTS s | ${T_INCIDENTS[*]} |"
    [[ -z $BASELINE ]] || echo "| \`incidents --json\` of BENCH_INCIDENTS_BASELINE (the before) | $(median_of "${T_BASELINE[*]}") s | ${T_BASELINE[*]} |"
    echo "| \`verify --window\`, first run: $(window_field first segments_read) segments read, window proven: $WINDOW_OK | ${WALL[window_first]} s | 1 |"
    echo "| \`verify --window\`, second run: $(window_field second segments_read) read, $(window_field second segments_remembered) remembered | ${WALL[window_second]} s | 1 |"
    echo "| \`restore --immediate --dry-run\` (stop at the backup's end) | ${WALL[plan_immediate]} s | 1 |"
    echo "| \`restore --lsn --dry-run\`, stop just after a checkpoint (held locks decoded over $(segments_between "$FAR_LSN" "$NEAR_LSN") segments) | ${WALL[plan_near]} s | 1 |"
    echo "| \`restore --lsn --dry-run\`, stop $(segments_between "${BACKUP_START:-$FAR_LSN}" "$FAR_LSN") segments after the last checkpoint (the backup's): held locks decoded over all of them | ${WALL[plan_far]} s | 1 |"
    echo
    goal_table "goal"
    goal_row "incidents / pg_waldump, wall time" "$(ratio "$M_INCIDENTS" "$M_WALDUMP")" 1.0
    echo
    [[ -z $BASELINE ]] || printf '%s\n\n' "Baseline: incidents / pg_waldump $(ratio "$(median_of "${T_BASELINE[*]}")" "$M_WALDUMP")x; this build / baseline $(ratio "$M_INCIDENTS" "$(median_of "${T_BASELINE[*]}")")x."
    echo "incidents found $FOUND: $KINDS. Peak RSS: incidents $(mib "${RSS_KB[incidents_1]}") MiB, verify --window $(mib "${RSS_KB[window_first]}") MiB."
} >"$REPORT"
bench_report "$REPORT"

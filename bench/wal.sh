#!/usr/bin/env bash
# make bench, section "wal": measures the hot path (wal-push, wal-fetch) on real 16 MiB WAL segments made by
# pgbench, against the physical floor (lz4 | openssl, cat) and pgBackRest, and prints a comparison table.
# It measures and reports; it asserts no wall time (a MISS is printed, the exit status stays 0).
# Run through bench/bench.sh (BENCH_ONLY=wal make bench).
#
# Tunables (environment): BENCH_RUNS (timed runs per segment, 20), BENCH_WARMUP (per segment, 1),
# BENCH_SEGMENTS (segments measured, 6), BENCH_MIN_CORPUS (segments archived, 12),
# BENCH_RSS_RUNS (runs for peak RSS, 3).
set -euo pipefail

BENCH_SECTION=wal
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUNS=${BENCH_RUNS:-20}
WARMUP=${BENCH_WARMUP:-1}
SEGMENT_COUNT=${BENCH_SEGMENTS:-6}
MIN_CORPUS=${BENCH_MIN_CORPUS:-12}
RSS_RUNS=${BENCH_RSS_RUNS:-3}
OUT=$BENCH_OUT
SEGMENT_BYTES=$((16 * 1024 * 1024))

# Targets (see docs/performance.md).
TARGET_PUSH_VS_PGBACKREST=0.6
TARGET_PUSH_VS_PIPELINE=1.2
TARGET_FETCH_VS_PGBACKREST=0.6
TARGET_DUPLICATE_MS=10
TARGET_RSS_MIB=24
TARGET_PUSH_REPO2_VS_ONE=1.1

# ---------------------------------------------------------------------------------------------
# Workspace: everything lives under one folder owned by postgres and is removed at exit.

bench_workspace
PGBR_REPO=$PGBR_DIR/repo
bench_folders "$CORPUS" "$SOCKETS" "$PGBR_DIR/conf.d" "$PGBR_REPO" "$REF" "$FETCHED" "$JSON"

# Runs a command as postgres in the data directory, the way PostgreSQL runs archive_command.
in_pgdata() { (cd "$PGDATA" && runuser -u postgres -- "$@"); }

# ---------------------------------------------------------------------------------------------
# 1. The binary built by bench/bench.sh, copied so that postgres can run it whatever the permissions of the checkout.

bench_binary

# ---------------------------------------------------------------------------------------------
# 2. Corpus: real WAL from pgbench, archived by a throwaway cluster with `cp`.

PORT=$(free_port 54329)

say "creating a PostgreSQL $PG_MAJOR cluster in $PGDATA (port $PORT, socket in $SOCKETS)"
pg_cluster_start "$PGDATA" "$PORT" "$SOCKETS" "$WS/postgres.log" \
    "wal_level = replica" "archive_mode = on" "archive_command = 'cp %p $CORPUS/%f'" "max_wal_size = 1GB" \
    "fsync = off" "synchronous_commit = off"

corpus_segments() { find "$CORPUS" -maxdepth 1 -type f -regextype posix-extended -regex '.*/[0-9A-F]{24}' -printf '%f\n' | sort; }

say "pgbench -i -s 20"
pgbench_run -i -s 20 -q
for attempt in 1 2 3 4 5 6 7 8; do
    say "pgbench -T 10 (round $attempt)"
    pgbench_run -c 2 -j 2 -T 10
    switch_wal_and_wait
    count=$(corpus_segments | wc -l)
    say "corpus: $count segments archived"
    if ((count >= MIN_CORPUS)); then break; fi
done
((count >= MIN_CORPUS)) || die "only $count WAL segments archived, wanted $MIN_CORPUS"

# ---------------------------------------------------------------------------------------------
# pgBackRest: posix repository in the workspace, synchronous archive-push, lz4 level 1, aes-256-cbc.

PGBR="pgbackrest --config-path=$PGBR_DIR --stanza=bench"
if ((WITH_PGBACKREST)); then
    pgbackrest_config "$PGBR_DIR/pgbackrest.conf" "$PGDATA" "$PORT" "$SOCKETS" \
        "repo1-path=$PGBR_REPO" "repo1-cipher-type=aes-256-cbc" "repo1-cipher-pass=tailtown-bench-cipher-pass-0123456789abcdef" \
        "compress-type=lz4" "compress-level=1"
    say "pgbackrest stanza-create"
    # shellcheck disable=SC2086 # PGBR is a command line
    in_pgdata $PGBR stanza-create >"$WS/stanza.log" 2>&1 || { cat "$WS/stanza.log" >&2; die "pgbackrest stanza-create failed"; }
fi

# The cluster is no longer needed: stopping it keeps its checkpointer and archiver from recycling the
# segments copied into pg_wal below, and from adding noise to the timings.
as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
say "cluster stopped"

# Measured segments: spread evenly over the corpus (initial load, index build, pgbench updates).
mapfile -t corpus < <(corpus_segments)
n=${#corpus[@]}
if ((SEGMENT_COUNT > n)); then SEGMENT_COUNT=$n; fi
SEGS=()
for ((i = 0; i < SEGMENT_COUNT; i++)); do
    if ((SEGMENT_COUNT == 1)); then idx=$((n / 2)); else idx=$((i * (n - 1) / (SEGMENT_COUNT - 1))); fi
    SEGS+=("${corpus[$idx]}")
done
SEG_LIST=$(IFS=,; echo "${SEGS[*]}")
for seg in "${SEGS[@]}"; do
    install -m 0600 -o postgres -g postgres "$CORPUS/$seg" "$PGDATA/pg_wal/$seg"
done
lz4_bytes=0
for seg in "${SEGS[@]}"; do
    lz4_bytes=$((lz4_bytes + $(lz4 -1 -c "$CORPUS/$seg" | wc -c)))
done
LZ4_RATIO=$(awk -v a="$lz4_bytes" -v b="$((SEGMENT_COUNT * SEGMENT_BYTES))" 'BEGIN { printf "%.1f%%", 100 * a / b }')
say "measuring ${SEGMENT_COUNT} of $n segments (${SEGS[0]} .. ${SEGS[-1]}), lz4 -1 output is $LZ4_RATIO of the input"

# ---------------------------------------------------------------------------------------------
# Correctness pass (untimed): every tool must really store and give back the same bytes, so that the
# timings below measure real work. It also primes the repositories for the duplicate-push runs.

PIPE_PUSH="bash -c 'lz4 -1 -c pg_wal/{seg} | openssl enc -aes-256-ctr -pbkdf2 -pass pass:x > $REF/{seg}.lz4.aes'"
PIPE_FETCH="bash -c 'openssl enc -d -aes-256-ctr -pbkdf2 -pass pass:x < $REF/{seg}.lz4.aes | lz4 -d -c > $REF/{seg}.back'"
CAT_COPY="bash -c 'cat pg_wal/{seg} > $REF/{seg}.copy'"
PGBR_PUSH="$PGBR archive-push pg_wal/{seg}"
PGBR_GET="$PGBR archive-get {seg} $FETCHED/{seg}.pgbackrest"
PGBR_CLEAR="find $PGBR_REPO/archive -name {seg}-* -delete"
TT_PUSH="$TT --config $TT_CONF wal-push pg_wal/{seg}"
TT_FETCH="$TT --config $TT_CONF wal-fetch {seg} $FETCHED/{seg}.tailtown"
TT_CLEAR="find $TT_REPO/wal -name {seg}* -delete"
# With a second repository (file://, beside the first): wal-push stores in the first and queues the name; the copier
# it starts copies meanwhile. A binary from before TAILTOWN_REPO2 measures without it.
TT_REPO2=$WS/tailtown-repo2
TT_CONF2=$WS/tailtown-repo2.conf
TT_PUSH2="$TT --config $TT_CONF2 wal-push pg_wal/{seg}"
TT_CLEAR2="find $TT_REPO/wal $TT_REPO2/wal -name {seg}* -delete"
WITH_REPO2=0
if [[ -n $TT ]] && grep -q '^TAILTOWN_REPO2 ' <<<"$("$TT" config 2>/dev/null || true)"; then WITH_REPO2=1; fi

# Runs a command template for one segment as postgres in the data directory.
# The templates are built above from workspace paths (no spaces); eval keeps their quoting.
run_for() { # <segment> <template> [prefix words...]
    local seg=$1 template=$2
    shift 2
    eval "in_pgdata $* ${template//\{seg\}/$seg}"
}

say "correctness pass: reference pipeline$( ((WITH_PGBACKREST)) && echo " and pgBackRest")"
for seg in "${SEGS[@]}"; do
    run_for "$seg" "$CAT_COPY"
    run_for "$seg" "$PIPE_PUSH"
    run_for "$seg" "$PIPE_FETCH"
    check_same "lz4 | openssl" "$CORPUS/$seg" "$REF/$seg.back"
    ((WITH_PGBACKREST)) || continue
    out=$(run_for "$seg" "$PGBR_PUSH --log-level-console=info" 2>&1) || die "pgbackrest archive-push $seg failed: $out"
    grep -q "pushed WAL file '$seg' to the archive" <<<"$out" || die "pgbackrest archive-push $seg did not push: $out"
    out=$(run_for "$seg" "$PGBR_PUSH --log-level-console=info" 2>&1) || die "pgbackrest repeated archive-push $seg failed: $out"
    grep -q "already exists" <<<"$out" || CMP_NOTES+=("pgbackrest repeated archive-push of $seg did not report 'already exists'")
    run_for "$seg" "$PGBR_GET"
    check_same "pgbackrest" "$CORPUS/$seg" "$FETCHED/$seg.pgbackrest"
done

if [[ -n $TT ]]; then
    say "correctness pass: tailtown-pitr"
    tt_config "$TT_CONF" "file://$TT_REPO"
    chown postgres:postgres "$TT_CONF"
    for seg in "${SEGS[@]}"; do
        run_for "$seg" "$TT_PUSH" || die "tailtown-pitr wal-push $seg failed"
        stored=$(find "$TT_REPO/wal" -type f -name "$seg" | head -1)
        [[ -n $stored ]] || die "tailtown-pitr wal-push $seg exited 0 but $TT_REPO/wal holds no object named $seg"
        run_for "$seg" "$TT_PUSH" || die "tailtown-pitr repeated wal-push $seg failed"
        run_for "$seg" "$TT_FETCH" || die "tailtown-pitr wal-fetch $seg failed"
        check_same "tailtown-pitr" "$CORPUS/$seg" "$FETCHED/$seg.tailtown"
    done
    TT_OBJECT_BYTES=$(find "$TT_REPO/wal" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
fi
if ((WITH_REPO2)); then
    say "correctness pass: tailtown-pitr with a second repository"
    bench_folders "$TT_REPO2"
    tt_config "$TT_CONF2" "file://$TT_REPO" "TAILTOWN_REPO2=file://$TT_REPO2"
    chown postgres:postgres "$TT_CONF2"
    for seg in "${SEGS[@]}"; do
        run_for "$seg" "$TT_CLEAR"
        run_for "$seg" "$TT_PUSH2" || die "tailtown-pitr wal-push $seg with TAILTOWN_REPO2 failed"
    done
    for seg in "${SEGS[@]}"; do
        for _ in $(seq 100); do [[ -n $(find "$TT_REPO2/wal" -type f -name "$seg") ]] && break; sleep 0.1; done
        first=$(find "$TT_REPO/wal" -type f -name "$seg" | head -1) second=$(find "$TT_REPO2/wal" -type f -name "$seg" | head -1)
        [[ -n $second ]] && cmp -s "$first" "$second" || die "the copier did not copy $seg to $TT_REPO2 as it is in $TT_REPO"
    done
fi
PGBR_OBJECT_BYTES=""
if ((WITH_PGBACKREST)); then
    PGBR_OBJECT_BYTES=$(find "$PGBR_REPO/archive" -type f -name '*-*' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
fi

# ---------------------------------------------------------------------------------------------
# 3. Measurements: hyperfine (no shell, median of all runs over all measured segments) and peak RSS.

declare -A MEDIAN RSS LABEL
ORDER=()

# measure <key> <label> <prepare template or ""> <command template> [per-segment: yes|no]
measure() {
    local key=$1 label=$2 prepare=$3 command=$4 per_segment=${5:-yes}
    local args=(-N --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$JSON/$key.json")
    if [[ -n $prepare ]]; then args+=(--prepare "$prepare"); fi
    if [[ $per_segment == yes ]]; then args+=(-L seg "$SEG_LIST"); fi
    say "measuring $label"
    {
        echo "=== $label"
        in_pgdata hyperfine "${args[@]}" "$command"
    } >>"$OUT/hyperfine.log" 2>&1 || { tail -20 "$OUT/hyperfine.log" >&2; die "hyperfine failed for $label"; }
    cp "$JSON/$key.json" "$OUT/$key.json"
    MEDIAN[$key]=$(median_ms "$JSON/$key.json")

    # Peak RSS: /usr/bin/time on the process itself (for a `bash -c` pipeline: the largest process in it).
    local max_kb=0 kb i seg
    for ((i = 0; i < RSS_RUNS; i++)); do
        seg=${SEGS[$((i % SEGMENT_COUNT))]}
        if [[ -n $prepare ]]; then run_for "$seg" "$prepare"; fi
        run_for "$seg" "$command" /usr/bin/time -f %M -o "$WS/rss.txt" >/dev/null 2>>"$OUT/hyperfine.log"
        kb=$(tail -1 "$WS/rss.txt")
        if ((kb > max_kb)); then max_kb=$kb; fi
    done
    RSS[$key]=$max_kb
    LABEL[$key]=$label
    ORDER+=("$key")
}

measure floor_true "\`true\` (process start-up floor)" "" "true" no
if [[ -n $TT ]]; then measure tt_help "tailtown-pitr --help (start-up)" "" "$TT --help" no; fi
measure ref_cat "cat SEG > OUT (copy floor)" "" "$CAT_COPY"
measure ref_push "lz4 -1 \\| openssl aes-256-ctr (push reference)" "" "$PIPE_PUSH"
measure ref_fetch "openssl -d \\| lz4 -d (fetch reference)" "" "$PIPE_FETCH"
if [[ -n $TT ]]; then
    measure tt_push "tailtown-pitr wal-push (lz4, AES-256-GCM)" "$TT_CLEAR" "$TT_PUSH"
    # The prepare above removed the objects of the last runs; push them back before the duplicate path.
    for seg in "${SEGS[@]}"; do run_for "$seg" "$TT_PUSH" >/dev/null 2>&1; done
    measure tt_dup "tailtown-pitr wal-push, already archived" "" "$TT_PUSH"
    measure tt_fetch "tailtown-pitr wal-fetch" "rm -f $FETCHED/{seg}.tailtown" "$TT_FETCH"
fi
if ((WITH_REPO2)); then
    measure tt_push2 "tailtown-pitr wal-push, with TAILTOWN_REPO2 (copier beside it)" "$TT_CLEAR2" "$TT_PUSH2"
fi
if ((WITH_PGBACKREST)); then
    measure pgbr_push "pgbackrest archive-push (lz4 1, aes-256-cbc)" "$PGBR_CLEAR" "$PGBR_PUSH"
    for seg in "${SEGS[@]}"; do run_for "$seg" "$PGBR_PUSH" >/dev/null 2>&1; done
    measure pgbr_dup "pgbackrest archive-push, already archived" "" "$PGBR_PUSH"
    measure pgbr_get "pgbackrest archive-get" "rm -f $FETCHED/{seg}.pgbackrest" "$PGBR_GET"
fi

# ---------------------------------------------------------------------------------------------
# 4. Report.

REPORT=$WS/bench.md
{
    echo "### WAL segments on a file:// repository"
    echo
    echo "$( ((WITH_PGBACKREST)) && echo "$(pgbackrest version), ")lz4 $(lz4 --version 2>&1 | sed -E 's/.* v([0-9.]+).*/\1/'), $(openssl version | cut -d' ' -f1-2), hyperfine $(hyperfine --version | cut -d' ' -f2), PostgreSQL $PG_MAJOR."
    echo "Corpus: $n pgbench WAL segments; measured $SEGMENT_COUNT of them, $RUNS runs each after $WARMUP warm-up; lz4 -1 output is $LZ4_RATIO of the input."
    echo
    echo "| Measurement (per 16 MiB segment) | median ms | MiB/s | peak RSS MiB |"
    echo "|---|---:|---:|---:|"
    for key in "${ORDER[@]}"; do
        ms=${MEDIAN[$key]}
        case $key in
            floor_true | tt_help | tt_dup | pgbr_dup) rate="" ;;
            *) rate=$(segment_rate "$ms") ;;
        esac
        echo "| ${LABEL[$key]} | $(fmt "$ms" %.1f) | $rate | $(mib "${RSS[$key]}") |"
    done
    echo
    goal_table Target
    if [[ -n $TT ]]; then
        if ((WITH_PGBACKREST)); then
            goal_row "wal-push / pgbackrest archive-push" "$(ratio "${MEDIAN[tt_push]}" "${MEDIAN[pgbr_push]}")" "$TARGET_PUSH_VS_PGBACKREST"
        fi
        goal_row "wal-push / (lz4 -1 \\| openssl)" "$(ratio "${MEDIAN[tt_push]}" "${MEDIAN[ref_push]}")" "$TARGET_PUSH_VS_PIPELINE"
        if ((WITH_PGBACKREST)); then
            goal_row "wal-fetch / pgbackrest archive-get" "$(ratio "${MEDIAN[tt_fetch]}" "${MEDIAN[pgbr_get]}")" "$TARGET_FETCH_VS_PGBACKREST"
        fi
        r=$(ratio "${MEDIAN[tt_fetch]}" "${MEDIAN[ref_fetch]}")
        echo "| (wal-fetch / (openssl -d \\| lz4 -d)) | $r | | |"
        if ((WITH_REPO2)); then
            goal_row "wal-push with TAILTOWN_REPO2 / wal-push" "$(ratio "${MEDIAN[tt_push2]}" "${MEDIAN[tt_push]}")" "$TARGET_PUSH_REPO2_VS_ONE"
        fi
        goal_row "repeated wal-push (already archived), ms" "$(fmt "${MEDIAN[tt_dup]}" %.1f)" "$TARGET_DUPLICATE_MS"
        peak=0
        for key in tt_push tt_dup tt_fetch; do
            if ((RSS[$key] > peak)); then peak=${RSS[$key]}; fi
        done
        goal_row "peak RSS of wal-push / wal-fetch, MiB" "$(mib "$peak")" "$TARGET_RSS_MIB"
        echo
        startup=$(awk -v h="${MEDIAN[tt_help]}" -v t="${MEDIAN[floor_true]}" -v p="${MEDIAN[tt_push]}" \
            'BEGIN { printf "`tailtown-pitr --help` takes %.1f ms (`true`: %.1f ms), %.0f%% of a wal-push", h, t, 100 * h / p }')
        echo "Start-up: $startup."
        echo "Stored bytes for the $SEGMENT_COUNT segments: tailtown-pitr $TT_OBJECT_BYTES${PGBR_OBJECT_BYTES:+, pgBackRest $PGBR_OBJECT_BYTES}."
    else
        echo "| (tailtown-pitr skipped: BENCH_SKIP_OURS=1) | | | |"
        echo
        if ((WITH_PGBACKREST)); then echo "Stored bytes for the $SEGMENT_COUNT segments: pgBackRest $PGBR_OBJECT_BYTES."; fi
    fi
    if ((WITH_PGBACKREST)); then
        echo "Reference pipeline / pgbackrest archive-push: $(ratio "${MEDIAN[ref_push]}" "${MEDIAN[pgbr_push]}")."
    else
        echo "$PGBACKREST_SKIPPED."
    fi
    for note in "${CMP_NOTES[@]}"; do echo "WARNING: $note"; done
} >"$REPORT"

bench_report "$REPORT"
say "hyperfine JSON and log in $OUT"

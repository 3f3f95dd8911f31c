#!/usr/bin/env bash
# make bench: installs what is missing, builds the release binary once, then runs the selected sections,
# each a script of its own that prints its table and appends it to .build/bench/bench.md
# (docs/performance.md explains each). It measures and reports; it asserts no wall time.
#
# Needs root on Debian 12 (it installs what is missing and runs PostgreSQL as user postgres).
# BENCH_ONLY selects sections by name, comma-separated (default: all of them), e.g. BENCH_ONLY=wal,s3.
# BENCH_PG selects the PostgreSQL major, 15 (default), 16, 17 or 18 (found by scripts/postgresql-bin.sh);
# pgBackRest 2.45 refuses 16 and later, so on those the sections leave out their pgBackRest rows.
# Common tunables: BENCH_SWIFT_FLAGS (swift build flags, default --static-swift-stdlib --disable-local-rpath, as make release),
# BENCH_BINARY (a tailtown-pitr binary to measure instead of building one), BENCH_SKIP_OURS=1 (references only),
# BENCH_OUT (results folder, .build/bench), BENCH_KEEP=1 (keep the workspaces). Each section lists its own.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export BENCH_ROOT=$ROOT
export BENCH_OUT=${BENCH_OUT:-$ROOT/.build/bench}
ONLY=${BENCH_ONLY:-all}
export BENCH_PG=${BENCH_PG:-15}

say() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() { printf '[bench] error: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root: it installs packages and runs PostgreSQL as user postgres"

# Settings from the caller's environment would override the bench's own config files.
while IFS='=' read -r name _; do
    if [[ $name == TAILTOWN_* || $name == PGBACKREST_* || $name == AWS_* ]]; then unset "$name"; fi
done < <(env)

bash "$ROOT/bench/deps.sh"
# Before the build: a major that is not there stops the run at once (postgresql-bin.sh prints why).
bash "$ROOT/scripts/postgresql-bin.sh" "$BENCH_PG" >/dev/null || die "BENCH_PG=$BENCH_PG: no PostgreSQL $BENCH_PG to measure"

mkdir -p "$BENCH_OUT"
rm -f "$BENCH_OUT"/*.json "$BENCH_OUT"/*.log "$BENCH_OUT/bench.md"

export BENCH_BINARY=${BENCH_BINARY:-}
export BENCH_BUILT
if [[ ${BENCH_SKIP_OURS:-0} == 1 ]]; then
    BENCH_BINARY=""
    BENCH_BUILT="not built (BENCH_SKIP_OURS=1)"
elif [[ -n $BENCH_BINARY ]]; then
    [[ -x $BENCH_BINARY ]] || die "BENCH_BINARY=$BENCH_BINARY is not an executable file"
    BENCH_BUILT="BENCH_BINARY=$BENCH_BINARY"
else
    flags=${BENCH_SWIFT_FLAGS---static-swift-stdlib --disable-local-rpath}
    BENCH_BUILT="swift build -c release $flags"
    say "building tailtown-pitr ($BENCH_BUILT)"
    # shellcheck disable=SC2086 # flags is a list of flags
    (cd "$ROOT" && swift build -c release $flags >"$BENCH_OUT/build.log" 2>&1) \
        || { tail -30 "$BENCH_OUT/build.log" >&2; die "swift build -c release failed (log: $BENCH_OUT/build.log)"; }
    # shellcheck disable=SC2086
    BENCH_BINARY=$(cd "$ROOT" && swift build -c release $flags --show-bin-path)/tailtown-pitr
fi

# The commit the measured binary was built from, as its --version says; a plain swift build says none, and was built
# from the checkout.
BENCH_COMMIT=$([[ -n $BENCH_BINARY ]] && "$BENCH_BINARY" --version 2>/dev/null | sed -n "s/^commit //p" || true)
if [[ -z $BENCH_COMMIT || $BENCH_COMMIT == "unknown commit" ]]; then
    BENCH_COMMIT="$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?') (the checkout)"
fi
{
    echo "## Latest figures"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')),"
    echo "tailtown-pitr $BENCH_COMMIT ($BENCH_BUILT), PostgreSQL $BENCH_PG (BENCH_PG)."
    echo
} >"$BENCH_OUT/bench.md"

RAN=()
FAILED=()
finish() {
    local status=$?
    echo
    say "sections run: ${RAN[*]:-none}${FAILED[*]:+; FAILED: ${FAILED[*]}}; the whole table is in $BENCH_OUT/bench.md"
    if [[ ${#RAN[@]} -eq 0 ]]; then
        echo "[bench] error: BENCH_ONLY=$ONLY selects no section" >&2
        exit 1
    fi
    if [[ ${#FAILED[@]} -gt 0 ]]; then exit 1; fi
    exit "$status"
}
trap finish EXIT

# bench_section <name> <script>: runs the script when BENCH_ONLY selects <name>; a failed section is
# reported at the end and does not stop the others.
bench_section() {
    local name=$1 script=$2
    [[ $ONLY == all || ,$ONLY, == *,$name,* ]] || return 0
    say "section $name ($script)"
    RAN+=("$name")
    local started=$SECONDS
    if ! bash "$ROOT/$script"; then
        FAILED+=("$name")
    fi
    say "section $name took $((SECONDS - started)) s"
}

bench_section wal bench/wal.sh
bench_section s3 bench/s3.sh
bench_section backup bench/backup.sh
bench_section repo2 bench/repo2.sh  # backup-push to two repositories at once, against the first alone and one after the other
bench_section dump bench/dump.sh  # dump-push against pg_dump | lz4 | openssl, peak RSS
bench_section walrate bench/wal-rate.sh  # push-ahead, prefetch and recovery rates
bench_section restore bench/restore.sh
bench_section incremental bench/incremental.sh  # incremental backups: stored bytes, times, chain restore, peak RSS
bench_section files bench/files.sh  # 100,000 small relation files: backups and restores, time and peak RSS against pgBackRest
bench_section s3restore bench/s3-restore.sh  # restore from S3 with a delay added to every request, against pgBackRest
bench_section incidents bench/incidents.sh  # incidents over ~3 GB of archived WAL against pg_waldump; verify --window
bench_section micro bench/micro.sh  # the unit tests' micro-benchmarks, in a release build

#!/usr/bin/env bash
# Installs, with apt-get, what bench/bench.sh needs and this machine lacks.
# Runs `apt-get update` only when something is missing, so a ready machine is left untouched.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
    echo "bench-deps: run as root (it installs Debian packages with apt-get)" >&2
    exit 1
fi

# "command or absolute path" -> Debian package that provides it.
declare -A provider=(
    [pgbackrest]=pgbackrest
    [hyperfine]=hyperfine
    [lz4]=lz4
    [openssl]=openssl
    [jq]=jq
    [runuser]=util-linux
    [/usr/bin/time]=time
    [curl]=curl
    [stunnel4]=stunnel4
    [aws]=awscli
)
# PostgreSQL itself: Debian packages 15; 16, 17 and 18 are the builds make deps unpacks (scripts/postgresql-bin.sh).
if [[ ${BENCH_PG:-15} == 15 ]]; then
    provider[/usr/lib/postgresql/15/bin/pgbench]=postgresql-15
    provider[/usr/lib/postgresql/15/bin/pg_basebackup]=postgresql-15
fi

missing=()
for tool in "${!provider[@]}"; do
    if [[ $tool == /* ]]; then
        [[ -x $tool ]] && continue
    else
        command -v "$tool" >/dev/null 2>&1 && continue
    fi
    missing+=("${provider[$tool]}")
done

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

# De-duplicate; keep the order stable for a readable log line.
mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "bench-deps: installing ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null

#!/usr/bin/env bash
# Installs, with apt-get, what scripts/bench.sh needs and this machine lacks.
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
    [/usr/lib/postgresql/15/bin/pgbench]=postgresql-15
    [pg_config]=postgresql-common
    [curl]=curl
    [stunnel4]=stunnel4
    [aws]=awscli
    [/usr/lib/postgresql/15/bin/pg_basebackup]=postgresql-15
)

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

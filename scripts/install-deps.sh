#!/usr/bin/env bash
# Installs the system packages tailtown-pitr needs to build and test on Debian 12.
# Idempotent and quiet: it runs apt-get only when a package is missing.
set -euo pipefail

packages=(
    liblz4-dev libzstd-dev libcurl4-openssl-dev libssl-dev libpq-dev  # the C libraries the package links
    postgresql-15                                                     # initdb, pg_ctl, pgbench, pg_basebackup for the integration tests
    lz4                                                               # the CLI, to inspect objects by hand
)

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]]; then
    apt=(apt-get)
elif command -v sudo >/dev/null 2>&1; then
    apt=(sudo apt-get)
else
    echo "install-deps: missing packages: ${missing[*]}; run this script as root" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${apt[@]}" update -qq
"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}"

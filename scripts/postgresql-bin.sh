#!/usr/bin/env bash
# Prints the bin folder of PostgreSQL MAJOR (15 to 18): the one place the tests and benchmarks look it up.
#   TAILTOWN_PG_BIN_<major>   a build of your own (for example TAILTOWN_PG_BIN_17=/usr/lib/postgresql/17/bin)
#   15                        Debian's /usr/lib/postgresql/15/bin
#   16, 17, 18                the wheels make deps unpacks into /var/cache/tailtown-pitr/postgresql/<major>/<package>/pginstall*/bin
# Exits 1 with a line naming the major when no postgres binary is there.
set -euo pipefail

major=${1:?usage: postgresql-bin.sh MAJOR}
override=TAILTOWN_PG_BIN_$major
if [[ -n ${!override:-} ]]; then
    bin=${!override}
elif [[ -x /usr/lib/postgresql/$major/bin/postgres ]]; then
    bin=/usr/lib/postgresql/$major/bin
else
    cache=${TAILTOWN_PG_CACHE:-/var/cache/tailtown-pitr/postgresql}/$major
    bin=$(compgen -G "$cache/*/pginstall*/bin" | head -n 1 || true)
    bin=${bin:-$cache/<package>/pginstall/bin}
fi
if [[ ! -x $bin/postgres ]]; then
    echo "postgresql-bin: no PostgreSQL $major server at $bin: run 'make deps' (scripts/postgresql-builds.txt) or set $override" >&2
    exit 1
fi
echo "$bin"

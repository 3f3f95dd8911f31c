#!/usr/bin/env bash
# The install test (a step of make test, as root): packs BINARY (default: the debug build make test has just built)
# with `make deb`, installs the package on this machine, runs `tailtown-pitr --version`, checks the systemd units
# with `systemd-analyze verify` (and that the check fails on a broken unit), purges the package and compares the
# file lists from before and after; then `make install` and `make uninstall` into a staging DESTDIR.
# The release compile itself is not repeated here (make bench and make demo build it): only the packing is tested.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
binary=${BINARY:-$root/.build/debug/tailtown-pitr}
work=$(mktemp -d /tmp/tailtown-package-test.XXXXXX)
fail() { echo "test-package: FAIL: $*" >&2; exit 1; }
trap 'dpkg-query -W tailtown-pitr >/dev/null 2>&1 && dpkg --purge tailtown-pitr >/dev/null; rm -rf "$work"' EXIT

[[ $(id -u) -eq 0 ]] || fail "needs root (it installs a package)"
command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing (make deps installs the systemd package)"
if dpkg-query -W tailtown-pitr >/dev/null 2>&1; then
    fail "a tailtown-pitr package is installed on this machine already (dpkg -l tailtown-pitr); this test installs and purges its own"
fi
[[ ! -e /etc/tailtown-pitr.conf ]] || fail "/etc/tailtown-pitr.conf exists: this test would install the package's over it"

# What --version must say: the version of Sources/tailtown-pitr/VersionText.swift, the checkout's commit (make test
# builds through scripts/with-commit.sh), the majors of Sources/PITR/WAL/PostgreSQLMajor.swift.
version=$(sed -n 's/^ *static let version = "\(.*\)"$/\1/p' "$root/Sources/tailtown-pitr/VersionText.swift")
majors=$(sed -n 's/^ *public static let supported: ClosedRange<Int> = \([0-9]*\)\.\.\.\([0-9]*\)$/\1 \2/p' \
    "$root/Sources/PITR/WAL/PostgreSQLMajor.swift" | { read -r low high; seq -s ', ' "$low" "$high"; })
commit=$(git -C "$root" rev-parse --short=12 HEAD)
[[ -n $version && -n $majors ]] || fail "cannot read the version or the majors from the sources"

snapshot() { find /usr /etc /var/lib/dpkg/info /var/lib/systemd -xdev 2>/dev/null | sort; }
snapshot >"$work/before"

started=$SECONDS
package=$(make -s -C "$root" deb BINARY="$binary") || fail "make deb BINARY=$binary failed"
package=$(tail -1 <<<"$package")
echo "test-package: make deb BINARY=$binary took $((SECONDS - started)) s: $package"
[[ $package == */tailtown-pitr_${version}_amd64.deb && -f $package ]] || fail "make deb did not write tailtown-pitr_${version}_amd64.deb"
depends=$(dpkg-deb --field "$package" Depends)
for needed in libpq5 ca-certificates; do
    [[ ", $depends," == *", $needed,"* ]] || fail "the package's Depends ($depends) does not name $needed"
done
dpkg-deb --contents "$package" | grep >/dev/null '^-rw-r----- root/root .* \./etc/tailtown-pitr\.conf$' \
    || fail "the package's /etc/tailtown-pitr.conf is not 0640 root"
[[ $(dpkg-deb --ctrl-tarfile "$package" | tar -xO ./conffiles) == /etc/tailtown-pitr.conf ]] \
    || fail "the package does not declare /etc/tailtown-pitr.conf a conffile"

dpkg -i "$package" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -i $package failed"; }
[[ $(stat -c '%a %U:%G' /etc/tailtown-pitr.conf) == "640 root:postgres" ]] \
    || fail "/etc/tailtown-pitr.conf is $(stat -c '%a %U:%G' /etc/tailtown-pitr.conf) after dpkg -i, not 640 root:postgres"

# The libraries: each one the installed binary names (NEEDED, found where ldd finds it) or opens with dlopen (libpq)
# belongs to a package in Depends; a debug build's Swift runtime (from the toolchain, linked statically in a
# release build) is the only exception.
libraries=$(ldd /usr/bin/tailtown-pitr | awk -v needed="$(readelf -d /usr/bin/tailtown-pitr | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')" \
    'BEGIN { split(needed, names, "\n"); for (i in names) wanted[names[i]] = 1 } ($1 in wanted) && $3 ~ /^\// { print $3 }')
[[ -n $libraries ]] || fail "ldd found none of the libraries /usr/bin/tailtown-pitr names"
for library in $libraries /usr/lib/x86_64-linux-gnu/libpq.so.5; do
    owner=$(dpkg -S "$(readlink -f "$library")" 2>/dev/null | cut -d: -f1 || true)
    [[ -z $owner ]] && owner=$(dpkg -S "$library" 2>/dev/null | cut -d: -f1 || true)
    if [[ -z $owner ]]; then
        [[ $library == */swift/linux/* ]] || fail "/usr/bin/tailtown-pitr needs $library, which no package provides"
        continue
    fi
    [[ $owner == libc6 || ", $depends," == *", $owner,"* || ", $depends," == *", $owner ("* ]] \
        || fail "/usr/bin/tailtown-pitr needs $library from $owner, which Depends ($depends) does not name"
done

expected=$(printf 'tailtown-pitr %s\ncommit %s\nPostgreSQL %s' "$version" "$commit" "$majors")
shown=$(/usr/bin/tailtown-pitr --version | sed '2s/-dirty$//')
[[ $(head -3 <<<"$shown") == "$expected" ]] || fail "tailtown-pitr --version printed '$shown', expected '$expected' first"
# Then the libraries linked in statically, which only a rebuild updates.
[[ $(sed -n '4,$p' <<<"$shown") =~ ^linked\ in\ libcurl/[0-9.]+\ OpenSSL/[0-9.]+[a-z]*\ liblz4/[0-9.]+\ libzstd/[0-9.]+$ ]] \
    || fail "tailtown-pitr --version does not end with the line of the libraries linked in: '$shown'"
zcat /usr/share/man/man1/tailtown-pitr.1.gz | grep >/dev/null '^\.It Em wal-push' || fail "the man page /usr/share/man/man1/tailtown-pitr.1.gz does not describe wal-push"
grep -q wal-push /usr/share/bash-completion/completions/tailtown-pitr || fail "the bash completion does not complete wal-push"

units=(/usr/lib/systemd/system/tailtown-pitr-*)
[[ ${#units[@]} -eq 12 ]] || fail "expected 6 services and 6 timers, found ${#units[@]} units"
# Any message counts: systemd-analyze warns and exits 0 on a misspelt setting.
verify() { systemd-analyze verify "$@" >"$work/verify.log" 2>&1 && [[ ! -s $work/verify.log ]]; }
verify "${units[@]}" || { cat "$work/verify.log" >&2; fail "systemd-analyze verify found problems in the units"; }
# The check must be able to fail: the backup service with one setting misspelt, then with a binary that is not there.
mkdir "$work/broken"
sed 's/^ProtectSystem=/ProtectSytem=/' /usr/lib/systemd/system/tailtown-pitr-backup.service >"$work/broken/tailtown-pitr-backup.service"
verify "$work/broken/tailtown-pitr-backup.service" && fail "systemd-analyze verify passed a unit with a misspelt setting"
sed 's|^ExecStart=/usr/bin/|ExecStart=/usr/bin/no-|' /usr/lib/systemd/system/tailtown-pitr-backup.service >"$work/broken/tailtown-pitr-backup.service"
verify "$work/broken/tailtown-pitr-backup.service" && fail "systemd-analyze verify passed a unit whose binary is missing"
enabled=$(find /etc/systemd/system -name 'tailtown-pitr-*' 2>/dev/null)
[[ -z $enabled ]] || fail "the package enabled units: $enabled"

dpkg --purge tailtown-pitr >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg --purge tailtown-pitr failed"; }
snapshot >"$work/after"
diff "$work/before" "$work/after" >"$work/left" || { cat "$work/left" >&2; fail "installing and purging the package changed these files (< gone, > left behind)"; }

# make install and make uninstall, into a staging root: the same files, all gone again, and a changed config kept.
staging=$work/staging
make -s -C "$root" install DESTDIR="$staging" PREFIX=/usr/local BINARY="$binary" >/dev/null
[[ -x $staging/usr/local/bin/tailtown-pitr && -f $staging/usr/local/lib/systemd/system/tailtown-pitr-backup.timer ]] \
    || fail "make install did not install the binary and the units under DESTDIR"
grep -q '^ExecStart=/usr/local/bin/tailtown-pitr backup-push$' "$staging/usr/local/lib/systemd/system/tailtown-pitr-backup.service" \
    || fail "make install PREFIX=/usr/local did not point the units at /usr/local/bin"
[[ $(stat -c %a "$staging/etc/tailtown-pitr.conf") == 640 ]] || fail "make install did not install /etc/tailtown-pitr.conf 0640"
make -s -C "$root" uninstall DESTDIR="$staging" PREFIX=/usr/local >/dev/null
left=$(find "$staging" -not -type d)
[[ -z $left ]] || fail "make uninstall left: $left"
make -s -C "$root" install DESTDIR="$staging" PREFIX=/usr/local BINARY="$binary" >/dev/null
echo "TAILTOWN_REPO=file:///var/lib/tailtown-pitr" >>"$staging/etc/tailtown-pitr.conf"
make -s -C "$root" uninstall DESTDIR="$staging" PREFIX=/usr/local >/dev/null
[[ $(find "$staging" -not -type d) == "$staging/etc/tailtown-pitr.conf" ]] || fail "make uninstall removed a changed /etc/tailtown-pitr.conf, or left more"

echo "test-package: passed in $((SECONDS - started)) s (package installed, --version, 12 units verified, purged without a trace; make install/uninstall)"

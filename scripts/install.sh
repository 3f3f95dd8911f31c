#!/usr/bin/env bash
# make install, make uninstall and make deb: puts tailtown-pitr where a system tool goes, takes exactly that away
# again, or packs the same files into a Debian package.
#   scripts/install.sh install|uninstall   PREFIX (/usr/local), DESTDIR (staging root), BINARY (the binary to install)
#   scripts/install.sh deb                 BINARY; writes .build/tailtown-pitr_<version>_amd64.deb
# Installed: the binary, its man page (generated from the help text by swift-argument-parser's generate-manual),
# the bash, zsh and fish completions, the systemd units and timers (disabled: nothing is enabled or started), and
# /etc/tailtown-pitr.conf, 0640 root:postgres (only where there is none: an existing one is never replaced; uninstall
# removes it only while it is still the one installed).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fail() { echo "install: $*" >&2; exit 1; }

action=${1:-}
prefix=${PREFIX:-/usr/local}
destdir=${DESTDIR:-}
binary=${BINARY:-$root/.build/release/tailtown-pitr}
[[ $prefix == /* ]] || fail "PREFIX '$prefix' is not an absolute path"
[[ -z $destdir || $destdir == /* ]] || fail "DESTDIR '$destdir' is not an absolute path"
conf=/etc/tailtown-pitr.conf

# Where each file goes under the prefix. zsh looks in vendor-completions for /usr (Debian's zsh) and in
# site-functions elsewhere; systemd finds units in both /usr/lib/systemd/system and /usr/local/lib/systemd/system.
zsh_dir=share/zsh/site-functions
[[ $prefix == /usr ]] && zsh_dir=share/zsh/vendor-completions
units=("$root"/packaging/systemd/*)
installed_files() {
    echo "$prefix/bin/tailtown-pitr"
    echo "$prefix/share/man/man1/tailtown-pitr.1.gz"
    echo "$prefix/share/bash-completion/completions/tailtown-pitr"
    echo "$prefix/$zsh_dir/_tailtown-pitr"
    echo "$prefix/share/fish/vendor_completions.d/tailtown-pitr.fish"
    for unit in "${units[@]}"; do echo "$prefix/lib/systemd/system/${unit##*/}"; done
}

# Every file into $1 (a staging root): the same tree for make install and for the package.
stage() {
    local to=$1 manual
    [[ -x $binary ]] || fail "no binary at '$binary' (make release builds it, or give BINARY=)"
    "$binary" --version >/dev/null || fail "'$binary --version' failed"
    install -D -m 0755 "$binary" "$to$prefix/bin/tailtown-pitr"

    # swift-argument-parser's generate-manual tool (from the package checkout, no network) reads the help of the very
    # binary installed; its SwiftPM plugin would first build the whole package again in a configuration of its own.
    manual=$(mktemp -d "${TMPDIR:-/tmp}/install-manual.XXXXXX")
    (cd "$root" && swift build --product generate-manual >"$manual/build.log" 2>&1) \
        || { cat "$manual/build.log" >&2; rm -rf "$manual"; fail "cannot build swift-argument-parser's generate-manual"; }
    "$(cd "$root" && swift build --show-bin-path)/generate-manual" "$binary" --output-directory "$manual" >/dev/null
    gzip -9n <"$manual/tailtown-pitr.1" >"$manual/tailtown-pitr.1.gz"
    install -D -m 0644 "$manual/tailtown-pitr.1.gz" "$to$prefix/share/man/man1/tailtown-pitr.1.gz"
    rm -rf "$manual"

    install -d "$to$prefix/share/bash-completion/completions" "$to$prefix/$zsh_dir" "$to$prefix/share/fish/vendor_completions.d"
    "$binary" --generate-completion-script bash >"$to$prefix/share/bash-completion/completions/tailtown-pitr"
    "$binary" --generate-completion-script zsh >"$to$prefix/$zsh_dir/_tailtown-pitr"
    "$binary" --generate-completion-script fish >"$to$prefix/share/fish/vendor_completions.d/tailtown-pitr.fish"

    install -d "$to$prefix/lib/systemd/system"
    for unit in "${units[@]}"; do
        sed "s|@BINDIR@|$prefix/bin|g" "$unit" >"$to$prefix/lib/systemd/system/${unit##*/}"
    done
    chmod 0644 "$to$prefix"/share/bash-completion/completions/tailtown-pitr "$to$prefix/$zsh_dir/_tailtown-pitr" \
        "$to$prefix/share/fish/vendor_completions.d/tailtown-pitr.fish" "$to$prefix"/lib/systemd/system/tailtown-pitr-*
}

case $action in
install)
    stage "$destdir"
    if [[ -e $destdir$conf ]]; then
        echo "install: $destdir$conf exists and is kept"
    else
        # 0640 root:postgres (packaging/tailtown-pitr.conf says why); a staging root leaves the group to the package.
        install -D -m 0640 "$root/packaging/tailtown-pitr.conf" "$destdir$conf"
        if [[ -z $destdir ]]; then
            chgrp postgres "$conf" 2>/dev/null || echo "install: no group postgres: $conf stays 0640 root:root"
        fi
    fi
    echo "install: installed under $destdir$prefix; the timers are disabled (docs/operations.md says which host enables which)"
    ;;
uninstall)
    while read -r file; do rm -f "$destdir$file"; done < <(installed_files)
    if cmp -s "$root/packaging/tailtown-pitr.conf" "$destdir$conf"; then
        rm -f "$destdir$conf"
    elif [[ -e $destdir$conf ]]; then
        echo "install: $destdir$conf holds your settings and is kept"
    fi
    ;;
deb)
    prefix=/usr
    zsh_dir=share/zsh/vendor-completions
    version=$("$binary" --version | sed -n '1s/^tailtown-pitr //p')
    [[ -n $version ]] || fail "'$binary --version' names no version"
    package="$root/.build/tailtown-pitr_${version}_amd64.deb"
    tree=$(mktemp -d "${TMPDIR:-/tmp}/install-deb.XXXXXX")
    trap 'rm -rf "$tree"' EXIT
    chmod 0755 "$tree"  # the package's ./ (mktemp made it 0700)
    stage "$tree"
    install -D -m 0640 "$root/packaging/tailtown-pitr.conf" "$tree$conf"
    install -d "$tree/DEBIAN"
    install -m 0644 "$root/packaging/debian/conffiles" "$tree/DEBIAN/conffiles"
    install -m 0755 "$root/packaging/debian/postinst" "$tree/DEBIAN/postinst"
    # libpq5 is loaded with dlopen (dpkg-shlibdeps cannot see it); liblz4, libzstd, libcrypto, libssl and libcurl are
    # linked in statically, as are the Swift runtime and libstdc++: `ldd` on the release binary shows what remains.
    # The static libcurl trusts the CAs of /etc/ssl/certs, which ca-certificates fills.
    depends="libc6 (>= 2.36), libgcc-s1, libpq5, ca-certificates"
    sed -e "s|@VERSION@|$version|" -e "s|@DEPENDS@|$depends|" -e "s|@SIZE@|$(du -sk --exclude=DEBIAN "$tree" | cut -f1)|" \
        "$root/packaging/debian/control" >"$tree/DEBIAN/control"
    # zstd: 0.7 s against xz's 60 s for the release binary (10% larger than xz); dpkg reads it from 1.21.18 on (Debian 12).
    dpkg-deb -Zzstd --root-owner-group --build "$tree" "$package" >/dev/null
    echo "$package"
    ;;
*)
    fail "usage: scripts/install.sh install|uninstall|deb"
    ;;
esac

#!/usr/bin/env bash
# Builds the libcurl that tailtown-pitr links statically: Debian's own source of the installed libcurl4-openssl-dev
# (the same version, with Debian's patches, fetched and checked by apt-get source), configured for HTTP and HTTPS over
# OpenSSL only, into .build-libcurl/lib/libtailtown-curl.a.
#
# Why: Debian's libcurl.so.4 brings 31 more libraries (LDAP, Kerberos, GnuTLS through RTMP, SSH, IDN, PSL, HTTP/2),
# and loading them took about 7 ms of every wal-push and wal-fetch to S3 (docs/performance.md, "libcurl linked
# statically"). Built static, it also shares the one OpenSSL the binary already links (libcrypto.a).
#
# Idempotent: a build whose stamp names the installed version and this script's digest is left as it is.
# Run by install-deps.sh.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix=$root/.build-libcurl
version=$(dpkg-query -W -f='${Version}' libcurl4-openssl-dev)
stamp="$version $(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"
[[ -f $prefix/stamp && $(cat "$prefix/stamp") == "$stamp" && -f $prefix/lib/libtailtown-curl.a ]] && exit 0

echo "install-deps: building libcurl $version (HTTP and HTTPS over OpenSSL) into $prefix"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The system's own Debian sources, as deb-src, in a private apt state: the system's lists and settings are untouched.
mkdir -p "$work/apt/parts" "$work/apt/lists/partial" "$work/source"
if [[ -f /etc/apt/sources.list ]]; then sed -n 's/^deb /deb-src /p' /etc/apt/sources.list >"$work/apt/sources.list"; fi
touch "$work/apt/sources.list"
for file in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [[ -f $file ]] || continue
    sed -e 's/^Types: deb$/Types: deb-src/' -e 's/^deb /deb-src /' "$file" >"$work/apt/parts/$(basename "$file")"
done
apt=(apt-get -qq -o "Dir::Etc::SourceList=$work/apt/sources.list" -o "Dir::Etc::SourceParts=$work/apt/parts"
    -o "Dir::State::Lists=$work/apt/lists" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=)
# apt's download user cannot enter the private folder (mktemp's 0700).
[[ $(id -u) -eq 0 ]] && apt+=(-o APT::Sandbox::User=root)
"${apt[@]}" update >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; echo "install-deps: apt-get update of the deb-src lists failed" >&2; exit 1; }
# A system not upgraded has a version the archive no longer holds: then the archive's current source (the same upstream
# release within a Debian release, with newer fixes), said so.
if ! (cd "$work/source" && "${apt[@]}" source --download-only "curl=$version") >>"$work/apt.log" 2>&1; then
    (cd "$work/source" && "${apt[@]}" source --download-only curl) >>"$work/apt.log" 2>&1 \
        || { cat "$work/apt.log" >&2; echo "install-deps: apt-get source curl failed" >&2; exit 1; }
    echo "install-deps: the archive no longer holds curl $version's source: built $(basename "$work/source"/curl_*.dsc .dsc);" \
        "with the headers of $version; apt-get install libcurl4-openssl-dev upgrades them to match" >&2
fi
# dpkg-source checks the files against the .dsc (which apt checked against the signed Sources index) and applies
# Debian's patches. The last two (GnuTLS and NSS flavours) rename the library in automake sources, which this build
# does not regenerate, so they change nothing here.
dpkg-source -x "$work/source"/curl_*.dsc "$work/curl" >>"$work/apt.log" 2>&1 \
    || { cat "$work/apt.log" >&2; echo "install-deps: unpacking curl $version failed" >&2; exit 1; }

# Debian's CA settings (the hashed folder lets OpenSSL load only the issuers a chain needs: HTTPClient), its
# hardening flags, position-independent code for the test bundle. Every protocol but HTTP(S) is left out, and so is
# every library but OpenSSL; proxies (http_proxy, https_proxy, no_proxy) stay.
cd "$work/curl"
./configure --quiet --prefix="$work/install" --disable-shared --enable-static --with-pic \
    --with-openssl --with-ca-path=/etc/ssl/certs --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt \
    --enable-threaded-resolver --disable-manual --disable-docs --disable-ldap --disable-ldaps --disable-rtsp \
    --disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp \
    --disable-gopher --disable-mqtt --disable-ftp --disable-file --disable-alt-svc --disable-hsts --disable-ntlm \
    --without-libpsl --without-libidn2 --without-nghttp2 --without-librtmp --without-libssh2 --without-libssh \
    --without-brotli --without-zstd --without-zlib --without-gssapi \
    CFLAGS="-O2 -fstack-protector-strong -D_FORTIFY_SOURCE=2 -DCURL_PATCHSTAMP=\\\"$version\\\"" >"$work/build.log" 2>&1 \
    || { tail -n 30 "$work/build.log" >&2; echo "install-deps: configuring curl $version failed" >&2; exit 1; }
make -j"$(nproc)" -C lib install >>"$work/build.log" 2>&1 \
    || { tail -n 30 "$work/build.log" >&2; echo "install-deps: building libcurl $version failed" >&2; exit 1; }

rm -rf "$prefix"
mkdir -p "$prefix/lib"
cp "$work/install/lib/libcurl.a" "$prefix/lib/libtailtown-curl.a"
chmod -R a+rX "$prefix"
echo "$stamp" >"$prefix/stamp"

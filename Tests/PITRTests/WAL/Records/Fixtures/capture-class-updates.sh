#!/usr/bin/env bash
# Captures the WAL fixtures of ClassTupleTests (and PageImageTests) from a real PostgreSQL MAJOR (run as root from the
# package root):
#   Tests/PITRTests/WAL/Records/Fixtures/capture-class-updates.sh 15
#   Tests/PITRTests/WAL/Records/Fixtures/capture-class-updates.sh 18 pglz     (16+: the images as pg_waldump restores them)
# A throwaway cluster with 1 MiB segments: a checkpoint, then CREATE TABLE b (its pg_class insert carries the page's
# full image), ALTER TABLE b RENAME TO c and TRUNCATE c (updates on the same page, logged with prefix and suffix taken
# from the old row). Writes class-updates-MAJOR[-METHOD].wal (the segment up to its last record) and
# class-updates-MAJOR[-METHOD].txt (the segment's name, and what the server said: the table's OID and its file before
# and after the TRUNCATE). With METHOD (wal_compression = pglz, lz4 or zstd) the full-page images are compressed, and
# pg_waldump --save-fullpage restores them all (the catalogs' pages CREATE TABLE first changes since the checkpoint):
# class-updates-MAJOR-METHOD.pages holds them one after another, and the .txt an `image` line for each (pg_waldump's
# file name: timeline-LSN.tablespace.database.file.block_fork).
set -euo pipefail
major=${1:?usage: capture-class-updates.sh MAJOR [pglz|lz4|zstd]}
method=${2:-}
name=class-updates-$major${method:+-$method}
here=$(cd "$(dirname "$0")" && pwd)
bin=$(scripts/postgresql-bin.sh "$major")
work=$(mktemp -d /tmp/rewrite-capture-XXXXXX)
chown postgres "$work"
trap 'runuser -u postgres -- "$bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
as_pg() { runuser -u postgres -- "$@"; }
as_pg "$bin/initdb" -D "$work/data" --wal-segsize=1 -U postgres >/dev/null
as_pg "$bin/pg_ctl" -D "$work/data" -o "-k $work -c listen_addresses= -c port=54399 ${method:+-c wal_compression=$method}" -w start >/dev/null
sql() { as_pg "$bin/psql" -X -A -t -q -h "$work" -p 54399 -U postgres -d postgres -c "$1"; }
sql "select pg_switch_wal()" >/dev/null
sql "checkpoint"
segment=$(sql "select pg_walfile_name(pg_current_wal_insert_lsn())")
sql "create table b (id int)"
oid=$(sql "select 'b'::regclass::oid")
before=$(sql "select pg_relation_filenode('b')")
sql "alter table b rename to c"
sql "truncate c"
after=$(sql "select pg_relation_filenode('c')")
end=$(sql "select pg_current_wal_insert_lsn()")
sql "select pg_switch_wal()" >/dev/null
python3 - "$work/data/pg_wal/$segment" "$here/$name.wal" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
end = len(data.rstrip(b'\0'))
open(sys.argv[2], 'wb').write(data[:(end + 8191) // 8192 * 8192])
PY
printf 'segment %s\noid %s\nfile %s\nfile_after_truncate %s\n' "$segment" "$oid" "$before" "$after" > "$here/$name.txt"
if [ -n "$method" ]; then
    mkdir "$work/pages"
    chown postgres "$work/pages"
    as_pg "$bin/pg_waldump" -p "$work/data/pg_wal" -e "$end" --save-fullpage="$work/pages" "$segment" >/dev/null
    : > "$here/$name.pages"
    for page in $(ls "$work/pages" | sort); do
        cat "$work/pages/$page" >> "$here/$name.pages"
        printf 'image %s\n' "$page" >> "$here/$name.txt"
    done
fi

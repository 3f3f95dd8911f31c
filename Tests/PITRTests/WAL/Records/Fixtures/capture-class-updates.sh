#!/usr/bin/env bash
# Captures the WAL fixture of ClassTupleTests from a real PostgreSQL MAJOR (run as root from the package root):
#   Tests/PITRTests/WAL/Records/Fixtures/capture-class-updates.sh 15
# A throwaway cluster with 1 MiB segments: a checkpoint, then CREATE TABLE b (its pg_class insert carries the page's
# full image), ALTER TABLE b RENAME TO c and TRUNCATE c (updates on the same page, logged with prefix and suffix taken
# from the old row). Writes class-updates-MAJOR.wal (the segment up to its last record) and class-updates-MAJOR.txt
# (the segment's name, and what the server said: the table's OID and its file before and after the TRUNCATE).
set -euo pipefail
major=${1:?usage: capture-class-updates.sh MAJOR}
here=$(cd "$(dirname "$0")" && pwd)
bin=$(scripts/postgresql-bin.sh "$major")
work=$(mktemp -d /tmp/rewrite-capture-XXXXXX)
chown postgres "$work"
trap 'runuser -u postgres -- "$bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
as_pg() { runuser -u postgres -- "$@"; }
as_pg "$bin/initdb" -D "$work/data" --wal-segsize=1 -U postgres >/dev/null
as_pg "$bin/pg_ctl" -D "$work/data" -o "-k $work -c listen_addresses= -c port=54399" -w start >/dev/null
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
sql "select pg_switch_wal()" >/dev/null
python3 - "$work/data/pg_wal/$segment" "$here/class-updates-$major.wal" <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
end = len(data.rstrip(b'\0'))
open(sys.argv[2], 'wb').write(data[:(end + 8191) // 8192 * 8192])
PY
printf 'segment %s\noid %s\nfile %s\nfile_after_truncate %s\n' "$segment" "$oid" "$before" "$after" > "$here/class-updates-$major.txt"

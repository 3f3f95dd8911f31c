#!/usr/bin/env python3
"""The 8 KiB blocks of a data directory's relation files that changed between two moments (bench/incremental.sh).

  changed-blocks.py snapshot DATADIR FILE     writes a digest of every block of every relation file
  changed-blocks.py changed DATADIR FILE OUT  writes the blocks that differ from the snapshot, or are new, to OUT
                                              (concatenated) and prints: changed-blocks total-blocks

A relation file is one under base/ or global/ whose name is a relfilenode (12345, 12345_fsm, 12345.1). The digest
is BLAKE2b-128: a benchmark's count, not a backup's decision (those use keyed SHA-256 checksums).
"""
import hashlib
import os
import pickle
import re
import sys

BLOCK = 8192
RELATION = re.compile(r"^[0-9]+(_(fsm|vm|init))?(\.[0-9]+)?$")


def relation_files(datadir):
    for top in ("base", "global"):
        for folder, _, names in os.walk(os.path.join(datadir, top)):
            for name in names:
                if RELATION.match(name):
                    path = os.path.join(folder, name)
                    yield os.path.relpath(path, datadir), path


def blocks(path):
    with open(path, "rb") as file:
        while True:
            block = file.read(BLOCK)
            if not block:
                return
            yield block


def digest(block):
    return hashlib.blake2b(block, digest_size=16).digest()


def snapshot(datadir, out):
    sums = {name: b"".join(digest(block) for block in blocks(path)) for name, path in relation_files(datadir)}
    with open(out, "wb") as file:
        pickle.dump(sums, file)


def changed(datadir, before, out):
    with open(before, "rb") as file:
        sums = pickle.load(file)
    count = total = 0
    with open(out, "wb") as sink:
        for name, path in relation_files(datadir):
            old = sums.get(name, b"")
            for number, block in enumerate(blocks(path)):
                total += 1
                if old[16 * number:16 * number + 16] != digest(block):
                    count += 1
                    sink.write(block)
    print(count, total)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "snapshot":
        snapshot(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "changed":
        changed(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)

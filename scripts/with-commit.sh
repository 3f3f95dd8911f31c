#!/usr/bin/env bash
# Runs a build (its arguments) with the checkout's commit written into Sources/tailtown-pitr/BuildCommit.swift, which
# `tailtown-pitr --version` prints, and puts the committed line back afterwards, so a plain `swift build` says
# "unknown commit" and the working tree stays clean. A commit with uncommitted changes on top ends in "-dirty".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

file=Sources/tailtown-pitr/BuildCommit.swift
placeholder='static let id = "unknown commit"'
grep -qF "$placeholder" "$file" || { echo "with-commit: $file does not hold '$placeholder'" >&2; exit 1; }
if commit=$(git rev-parse --short=12 HEAD 2>/dev/null); then
    git diff --quiet HEAD -- . ":(exclude)$file" 2>/dev/null || commit+=-dirty
else
    commit="unknown commit"  # not a git checkout (a source tarball)
fi

original=$(mktemp "${TMPDIR:-/tmp}/with-commit.XXXXXX")
cp -p "$file" "$original"
trap 'cp -p "$original" "$file"; rm -f "$original"' EXIT
sed -i "s/$placeholder/static let id = \"$commit\"/" "$file"
"$@"

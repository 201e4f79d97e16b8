#!/bin/sh
# `make demo`: runs retort on the demo project (examples/demo) against a
# fresh SQLite file: upgrade to head, history, current, a downgrade and an
# upgrade again. Usage: examples/demo.sh PATH/TO/retort
set -eu
RETORT=${1:?usage: demo.sh PATH/TO/retort}
src=$(cd "$(dirname "$0")/demo" && pwd)
work=$(mktemp -d /tmp/retort-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -R "$src/." "$work/"
cd "$work"
step() { printf '\n$ retort %s\n' "$*"; "$RETORT" "$@"; }
step upgrade head
step history
step current
step downgrade -1
step current
step upgrade head
step current -v
printf '\n$ sqlite3 demo.db .tables\n'
sqlite3 demo.db .tables
printf '\nThe demo ran in %s (removed on exit).\n' "$work"

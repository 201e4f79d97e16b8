#!/bin/sh
# `make demo`: runs retort on the demo project (examples/demo) against a
# fresh SQLite file: upgrade to head, history, current, a downgrade and an
# upgrade again; then the developer's loop: check against schema.sql (the
# code wants a new column), revision --autogenerate, upgrade, check, schema,
# and test (every revision up, down, up on a scratch database).
# Usage: examples/demo.sh PATH/TO/retort
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
printf '\n# schema.sql (target_schema) declares workflow.owner, which no revision adds yet:\n'
printf '\n$ retort check    # exit 3: the database differs from schema.sql\n'
"$RETORT" check && { echo "demo: check should have found the new column" >&2; exit 1; } || :
printf '\n$ retort revision --autogenerate -m "workflow owner"\n'
new=$("$RETORT" revision --autogenerate -m "workflow owner")
echo "$new"
printf '\n$ cat %s\n' "$new"
cat "$new"
step upgrade
step check
step schema workflow
step test
printf '\nThe demo ran in %s (removed on exit).\n' "$work"

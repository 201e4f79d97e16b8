#!/bin/sh
# The cost of the run lock (SPEC §7), measured with hyperfine in one run:
#   - a no-op `upgrade` (already at head: connect, lock, read, unlock) with
#     lock = none against the default lock (SQLite flock / PostgreSQL
#     advisory lock) and against lock = table (a lease row);
#   - a 500-revision upgrade from empty with each lock kind, so the
#     per-step cost (the lease is renewed after every revision) shows.
# Prints the ratios locked/unlocked. PostgreSQL rows need
# RETORT_TEST_PG_URL (run it inside tests/support/with-postgres.sh).
# Usage: sh bench/lock.sh [RETORT_BIN]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$(dirname "${1:-build/retort}")" && pwd)/$(basename "${1:-build/retort}")
out=$here/out/lock
mkdir -p "$out"
cp "$bin" "$out/retort.bin"
R=$out/retort.bin
N=${BENCH_LOCK_N:-500}
proj=$out/proj
sh "$here/gen.sh" "$proj" "$N" >/dev/null
cd "$proj"
for k in none advisory table; do
  sed "s/^\\[retort\\]/[retort]\\nlock = $k/" retort.ini >"lock-$k.ini"
done
mean() { python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["mean"]*1000))' "$@"; }
ratio() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print("%.3f" % (r[int(sys.argv[3])]["mean"]/r[int(sys.argv[2])]["mean"]))' "$@"; }

report() { # NAME JSON
  printf '%-34s none %7s ms   advisory %7s ms (x%s)   table %7s ms (x%s)\n' "$1" \
    "$(mean "$2" 0)" "$(mean "$2" 1)" "$(ratio "$2" 0 1)" "$(mean "$2" 2)" "$(ratio "$2" 0 2)"
}

# SQLite
url=sqlite:///$proj/lock.db
rm -f lock.db
"$R" -q -c lock-none.ini -u "$url" upgrade head
hyperfine -N -w 3 -r ${BENCH_LOCK_RUNS:-30} --export-json "$out/sqlite-noop.json" \
  "$R -q -c lock-none.ini -u $url upgrade head" \
  "$R -q -c lock-advisory.ini -u $url upgrade head" \
  "$R -q -c lock-table.ini -u $url upgrade head" >/dev/null
hyperfine -N -r ${BENCH_LOCK_UPGRADE_RUNS:-5} --prepare "rm -f $proj/lock.db" \
  --export-json "$out/sqlite-upgrade.json" \
  "$R -q -c lock-none.ini -u $url upgrade head" \
  "$R -q -c lock-advisory.ini -u $url upgrade head" \
  "$R -q -c lock-table.ini -u $url upgrade head" >/dev/null
echo "lock overhead (mean wall time; x = locked / lock = none)"
report "SQLite, no-op upgrade" "$out/sqlite-noop.json"
report "SQLite, upgrade of $N revisions" "$out/sqlite-upgrade.json"

if [ -n "${RETORT_TEST_PG_URL:-}" ]; then
  base=${RETORT_TEST_PG_URL%/*}
  pg=$base/retort_lockbench
  recreate="psql -X -q -d $RETORT_TEST_PG_URL -c 'DROP DATABASE IF EXISTS retort_lockbench WITH (FORCE)' -c 'CREATE DATABASE retort_lockbench'"
  sh -c "$recreate"
  "$R" -q -c lock-none.ini -u "$pg" upgrade head
  hyperfine -N -w 3 -r ${BENCH_LOCK_RUNS:-30} --export-json "$out/pg-noop.json" \
    "$R -q -c lock-none.ini -u $pg upgrade head" \
    "$R -q -c lock-advisory.ini -u $pg upgrade head" \
    "$R -q -c lock-table.ini -u $pg upgrade head" >/dev/null
  hyperfine -r ${BENCH_LOCK_UPGRADE_RUNS:-5} --prepare "$recreate" \
    --export-json "$out/pg-upgrade.json" \
    "$R -q -c lock-none.ini -u $pg upgrade head" \
    "$R -q -c lock-advisory.ini -u $pg upgrade head" \
    "$R -q -c lock-table.ini -u $pg upgrade head" >/dev/null
  report "PostgreSQL, no-op upgrade" "$out/pg-noop.json"
  report "PostgreSQL, upgrade of $N revisions" "$out/pg-upgrade.json"
fi

#!/bin/sh
# Two retort builds and the floor, upgrade of the N-revision project
# (bench/gen.sh), alternating run by run so that drifting load hits all
# three alike; prints each one's median and the paired ratios (median over
# rounds of one's time / the other's in the same round). Reports only.
#
# Usage: sh bench/pair.sh OLD_RETORT NEW_RETORT [ROUNDS]       (SQLite)
#        tests/support/with-postgres.sh sh bench/pair.sh OLD NEW [ROUNDS]
#        (with RETORT_TEST_PG_URL set: PostgreSQL, the floor is psql -f)
# Knobs: BENCH_UPGRADE_N (500). Work files: bench/out/pair/.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 OLD_RETORT NEW_RETORT [ROUNDS]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
abs() { case $1 in /*) echo "$1" ;; *) echo "$(pwd)/$1" ;; esac; }
OLD=$(abs "$1") NEW=$(abs "$2") ROUNDS=${3:-15} N=${BENCH_UPGRADE_N:-500}
OUT=$here/out/pair
rm -rf "$OUT" && mkdir -p "$OUT"
sh "$here/gen.sh" "$OUT/up" "$N" --floor
cd "$OUT/up"
times=$OUT/times.txt
: >"$times"
if [ -n "${RETORT_TEST_PG_URL:-}" ]; then
	admin=$RETORT_TEST_PG_URL
	url="${admin%/*}/retort_pair"
	prep() { psql -X -q -d "$admin" -c "DROP DATABASE IF EXISTS retort_pair WITH (FORCE)" -c "CREATE DATABASE retort_pair" 2>/dev/null; }
	floor() { psql -X -q -v ON_ERROR_STOP=1 -f floor.sql -d "$url" >/dev/null; }
	echo "pair: PostgreSQL, $N revisions, $ROUNDS rounds" >&2
else
	url=sqlite:///pair.db
	prep() { rm -f pair.db pair.db-journal; }
	floor() { sqlite3 pair.db -init floor.sql .quit; }
	echo "pair: SQLite, $N revisions, $ROUNDS rounds" >&2
fi
k=1
while [ "$k" -le "$ROUNDS" ]; do
	for c in old new floor; do
		prep
		s=$(date +%s%N)
		case $c in
		old) "$OLD" -q -u "$url" upgrade head >/dev/null ;;
		new) "$NEW" -q -u "$url" upgrade head >/dev/null ;;
		floor) floor ;;
		esac
		e=$(date +%s%N)
		echo "$k $c $(((e - s) / 1000))" >>"$times"
	done
	k=$((k + 1))
done
prep
python3 - "$times" <<'PY'
import statistics as S, sys
d = {}
for l in open(sys.argv[1]):
    k, c, t = l.split()
    d.setdefault(c, {})[int(k)] = int(t) / 1000
for c in ("old", "new", "floor"):
    print("%-6s median %8.1f ms" % (c, S.median(d[c].values())))
ks = sorted(d["floor"])
for a, b in (("old", "floor"), ("new", "floor"), ("new", "old")):
    print("%s / %s paired median %.3f" % (a, b, S.median(d[a][k] / d[b][k] for k in ks)))
PY

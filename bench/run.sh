#!/bin/sh
# Runs retort's benchmarks and prints the ratios against their floors and
# against dbmate and Alembic. Reports; does not assert: always exits 0, with
# PASS/MISS per target (see bench/README.md).
#
# Usage: sh bench/run.sh [RETORT_BIN]        (default: build/retort)
#   RETORT_TEST_PG_URL=postgresql://…   also run the PostgreSQL upgrade
#                                       (tests/support/with-postgres.sh sets it)
#   BENCH_UPGRADE_N=500 BENCH_HISTORY_N=10000   sizes
#   BENCH_ROUNDS=3      hyperfine is run this many times per group, so that
#                       the tools' blocks of runs alternate (noisy machines)
#   BENCH_RUNS=N        hyperfine --runs per round (default 4 for upgrades,
#                       10 for history/heads/current); ratios use the median
#   BENCH_ALEMBIC_RUNS=3   runs for Alembic (slow); 0 skips Alembic
#   BENCH_SKIP_DBMATE=1    skip dbmate (no npm / no registry)
#
# Output: bench/out/*.json (hyperfine exports), bench/out/summary.txt.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
RETORT=${1:-$root/build/retort}
case "$RETORT" in /*) ;; *) RETORT=$(pwd)/$RETORT ;; esac
OUT=$here/out
W=$OUT/work
N_UP=${BENCH_UPGRADE_N:-500}
N_HIST=${BENCH_HISTORY_N:-10000}
A_RUNS=${BENCH_ALEMBIC_RUNS:-3}
ROUNDS=${BENCH_ROUNDS:-3}
UP_RUNS=${BENCH_RUNS:-4}
RO_RUNS=${BENCH_RUNS:-10}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
ALEMBIC=$(command -v alembic || true)
SUMMARY=$OUT/summary.txt

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }
[ -x "$RETORT" ] || die "no retort binary at $RETORT (make build)"
command -v hyperfine >/dev/null || die "hyperfine missing (sh scripts/deps.sh bench)"
command -v sqlite3 >/dev/null || die "sqlite3 missing"
[ -x /usr/bin/time ] || die "/usr/bin/time missing (apt-get install time)"
mkdir -p "$OUT" "$W"
: >"$SUMMARY"
rows=$OUT/rows.tsv
: >"$rows"

# hf NAME ROUNDS hyperfine-args…: run the same hyperfine invocation ROUNDS
# times (bench/out/NAME.rK.json), so the commands' blocks of runs alternate
# and a burst of background load hits all of them; then merge every run's
# time into bench/out/NAME.json (per command: times, mean, median, min, max).
# -N: commands run without a shell (those that need one say `sh -c`), so
# nothing needs subtracting from millisecond-scale timings.
hf() {
  name=$1 rounds=$2; shift 2
  rm -f "$OUT/$name".r*.json "$OUT/$name".r*.log "$OUT/$name.json"
  k=1
  while [ "$k" -le "$rounds" ]; do
    note "hyperfine: $name (round $k/$rounds)"
    if ! hyperfine -N --warmup 1 --style basic --export-json "$OUT/$name.r$k.json" "$@" >"$OUT/$name.r$k.log" 2>&1; then
      note "hyperfine $name failed:"; tail -n 15 "$OUT/$name.r$k.log" >&2
      rm -f "$OUT/$name".r*.json "$OUT/$name.json"
      return 1
    fi
    grep -E '^(Benchmark|  Time)' "$OUT/$name.r$k.log" >&2 || true
    k=$((k + 1))
  done
  "$PY" - "$OUT/$name.json" "$OUT/$name".r*.json <<'PYEOF'
import json, statistics, sys
merged = {}
for f in sys.argv[2:]:
    for r in json.load(open(f))["results"]:
        merged.setdefault(r["command"], []).extend(r["times"])
out = {"results": [{"command": c, "runs": len(t), "mean": statistics.mean(t),
                    "stddev": statistics.stdev(t) if len(t) > 1 else 0.0,
                    "median": statistics.median(t), "min": min(t), "max": max(t),
                    "times": t} for c, t in merged.items()]}
json.dump(out, open(sys.argv[1], "w"), indent=1)
PYEOF
}

# median FILE COMMAND-NAME: median seconds over all rounds, or empty.
median() {
  [ -f "$OUT/$1.json" ] || return 0
  "$PY" -c '
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    if r["command"] == sys.argv[2]:
        print("%.6f" % r["median"]); break
' "$OUT/$1.json" "$2"
}

# row LABEL NUM_S DEN_S KIND LIMIT: ratio NUM/DEN; KIND le (ratio <= LIMIT),
# lt (ratio < LIMIT) or info (no target).
row() {
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "${2:--}" "${3:--}" "$4" "$5" >>"$rows"
}

# rss LABEL CMD…: peak resident set size (kB) of one run, from /usr/bin/time.
rss() {
  label=$1; shift
  if /usr/bin/time -v -o "$OUT/time.txt" "$@" >/dev/null 2>"$OUT/rss-stderr.txt"; then
    kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$OUT/time.txt")
  else
    kb=""
    note "$label failed:"; tail -n 5 "$OUT/rss-stderr.txt" >&2
  fi
  printf '%s\t%s\n' "$label" "$kb" >>"$OUT/rss.tsv"
}
: >"$OUT/rss.tsv"
: >"$OUT/checks.tsv"

# ---------------------------------------------------------------- set-up
note "generating $N_UP- and $N_HIST-revision projects under $W"
sh "$here/gen.sh" "$W/up" "$N_UP" --all || die "gen.sh failed"
sh "$here/gen.sh" "$W/hist" "$N_HIST" --alembic || die "gen.sh failed"
HEAD_UP=$(cat "$W/up/HEAD")
HEAD_HIST=$(cat "$W/hist/HEAD")

DBMATE=""
if [ -z "${BENCH_SKIP_DBMATE:-}" ]; then
  DBMATE=$OUT/npm/node_modules/.bin/dbmate
  if [ ! -x "$DBMATE" ]; then
    if command -v npm >/dev/null; then
      note "installing dbmate from npm into $OUT/npm"
      mkdir -p "$OUT/npm"
      (cd "$OUT/npm" && npm install --no-audit --no-fund --silent dbmate >/dev/null 2>&1)
    fi
  fi
  if [ -x "$DBMATE" ] && "$DBMATE" --version >/dev/null 2>&1; then
    note "$("$DBMATE" --version)"
  else
    note "dbmate unavailable (npm install dbmate failed); skipping it"; DBMATE=""
  fi
fi
[ "$A_RUNS" -gt 0 ] 2>/dev/null && [ -n "$ALEMBIC" ] || { ALEMBIC=""; note "skipping Alembic"; }

# sqlite_check DB LABEL: the version row is the head and all tables exist.
sqlite_check() {
  v=$(sqlite3 "$1" 'SELECT version_num FROM retort_version' 2>/dev/null)
  t=$(sqlite3 "$1" "SELECT count(*) FROM sqlite_master WHERE type='table' AND name LIKE 't\_%' ESCAPE '\\'" 2>/dev/null)
  if [ "$v" = "$HEAD_UP" ] && [ "$t" = "$N_UP" ]; then
    return 0
  fi
  note "CHECK FAILED: $2: version '$v' (want $HEAD_UP), $t tables (want $N_UP)"
  return 1
}

# ------------------------------------------------------ upgrade on SQLite
cd "$W/up" || die "no $W/up"
# --prepare for every upgrade run: start from an empty database.
echo 'rm -f retort.db* floor.db* dbmate/dbmate.db* alembic/alembic.db*' >"$OUT/prep-sqlite.sh"
clean="sh $OUT/prep-sqlite.sh"
$clean
retort_ok=1
if ! "$RETORT" -q -u sqlite:///retort.db upgrade head >/dev/null 2>"$OUT/retort-upgrade.err"; then
  note "retort upgrade on SQLite FAILED:"; tail -n 10 "$OUT/retort-upgrade.err" >&2; retort_ok=0
else
  sqlite_check retort.db "retort upgrade (SQLite)" || retort_ok=0
fi
sqlite3 floor.db <floor.sql && sqlite_check floor.db "floor (SQLite)"
$clean

set -- --prepare "$clean" --runs "$UP_RUNS"
[ "$retort_ok" = 1 ] && set -- "$@" -n retort "$RETORT -q -u sqlite:///retort.db upgrade head"
set -- "$@" -n floor "sqlite3 floor.db -init floor.sql .quit"
[ -n "$DBMATE" ] && set -- "$@" -n dbmate \
  "$DBMATE --url sqlite:dbmate/dbmate.db --migrations-dir dbmate/db/migrations --no-dump-schema up"
hf upgrade-sqlite "$ROUNDS" "$@"
r=$(median upgrade-sqlite retort); f=$(median upgrade-sqlite floor); d=$(median upgrade-sqlite dbmate)
row "upgrade $N_UP, SQLite: retort / floor (sqlite3)" "$r" "$f" le 1.1
[ -n "$DBMATE" ] && row "upgrade $N_UP, SQLite: retort / dbmate" "$r" "$d" lt 1
if [ -n "$ALEMBIC" ]; then
  hf upgrade-sqlite-alembic 1 --runs "$A_RUNS" --prepare "$clean" -n alembic \
    "sh -c 'cd alembic && exec $ALEMBIC upgrade head'"
  a=$(median upgrade-sqlite-alembic alembic)
  row "upgrade $N_UP, SQLite: alembic / retort" "$a" "$r" info -
fi
$clean
"$RETORT" -q -u sqlite:///retort.db upgrade head >/dev/null 2>&1 || true
sh -c 'rm -f retort.db*'
rss "upgrade $N_UP SQLite (retort)" "$RETORT" -q -u sqlite:///retort.db upgrade head
$clean

# -------------------------------------------------- upgrade on PostgreSQL
if [ -n "${RETORT_TEST_PG_URL:-}" ]; then
  command -v psql >/dev/null || die "psql missing"
  admin=$RETORT_TEST_PG_URL
  q=""
  case "$admin" in *\?*) q="?${admin#*\?}"; admin_noq=${admin%%\?*} ;; *) admin_noq=$admin ;; esac
  db=retort_bench
  url="${admin_noq%/*}/$db$q"
  dburl="${admin_noq%/*}/$db?sslmode=disable"
  printf '%s\n' "PGOPTIONS='-c client_min_messages=warning' exec psql -X -q -v ON_ERROR_STOP=1 -d '$admin' -c 'DROP DATABASE IF EXISTS $db WITH (FORCE)' -c 'CREATE DATABASE $db'" >"$OUT/prep-pg.sh"
  pgprep="sh $OUT/prep-pg.sh"
  pg_check() {
    v=$(psql -X -qAt -d "$url" -c 'SELECT version_num FROM retort_version' 2>/dev/null)
    t=$(psql -X -qAt -d "$url" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 't\\_%'" 2>/dev/null)
    [ "$v" = "$HEAD_UP" ] && [ "$t" = "$N_UP" ] && return 0
    note "CHECK FAILED: $1: version '$v' (want $HEAD_UP), $t tables (want $N_UP)"; return 1
  }
  pg_ok=1
  $pgprep || die "cannot create database $db"
  if ! "$RETORT" -q -u "$url" upgrade head >/dev/null 2>"$OUT/retort-upgrade-pg.err"; then
    note "retort upgrade on PostgreSQL FAILED:"; tail -n 10 "$OUT/retort-upgrade-pg.err" >&2; pg_ok=0
  else
    pg_check "retort upgrade (PostgreSQL)" || pg_ok=0
  fi
  $pgprep; psql -X -q -v ON_ERROR_STOP=1 -f floor.sql -d "$url" && pg_check "floor (psql)"
  set -- --prepare "$pgprep" --runs "$UP_RUNS"
  [ "$pg_ok" = 1 ] && set -- "$@" -n retort "$RETORT -q -u $url upgrade head"
  set -- "$@" -n floor "psql -X -q -v ON_ERROR_STOP=1 -f floor.sql -d $url"
  [ -n "$DBMATE" ] && set -- "$@" -n dbmate \
    "$DBMATE --url $dburl --migrations-dir dbmate/db/migrations --no-dump-schema up"
  hf upgrade-pg "$ROUNDS" "$@"
  r=$(median upgrade-pg retort); f=$(median upgrade-pg floor); d=$(median upgrade-pg dbmate)
  row "upgrade $N_UP, PostgreSQL: retort / floor (psql)" "$r" "$f" le 1.1
  [ -n "$DBMATE" ] && row "upgrade $N_UP, PostgreSQL: retort / dbmate" "$r" "$d" lt 1
  $pgprep
  rss "upgrade $N_UP PostgreSQL (retort)" "$RETORT" -q -u "$url" upgrade head
  psql -X -q -d "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
else
  note "RETORT_TEST_PG_URL not set: skipping PostgreSQL (use tests/support/with-postgres.sh)"
fi

# Same bytes as Alembic (SPEC §6), on the small project: a sanity check.
if [ -n "$ALEMBIC" ]; then
  for c in history heads; do
    "$RETORT" $c >"$OUT/retort-$c.txt" 2>/dev/null
    (cd alembic && "$ALEMBIC" $c) >"$OUT/alembic-$c.txt" 2>/dev/null
    if cmp -s "$OUT/retort-$c.txt" "$OUT/alembic-$c.txt"; then
      printf '%s\t%s\n' "$c output ($N_UP revisions)" "identical to alembic" >>"$OUT/checks.tsv"
    else
      printf '%s\t%s\n' "$c output ($N_UP revisions)" "DIFFERS from alembic (bench/out/{retort,alembic}-$c.txt)" >>"$OUT/checks.tsv"
    fi
  done
fi

# ------------------------------------- history / heads / current on 10,000
cd "$W/hist" || die "no $W/hist"
rm -f cur.db*
if ! "$RETORT" -q -u sqlite:///cur.db stamp head >/dev/null 2>"$OUT/retort-stamp.err"; then
  note "retort stamp head failed (using sqlite3 to write the version row):"; tail -n 3 "$OUT/retort-stamp.err" >&2
  rm -f cur.db*
  sqlite3 cur.db "CREATE TABLE retort_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT retort_version_pkc PRIMARY KEY (version_num)); INSERT INTO retort_version VALUES ('$HEAD_HIST');"
fi
for c in history heads; do
  "$RETORT" $c >"$OUT/hist-$c.txt" 2>"$OUT/hist-$c.err" || { note "retort $c failed:"; tail -n 5 "$OUT/hist-$c.err" >&2; }
done
"$RETORT" -u sqlite:///cur.db current >"$OUT/hist-current.txt" 2>"$OUT/hist-current.err" ||
  { note "retort current failed:"; tail -n 5 "$OUT/hist-current.err" >&2; }
n=$(wc -l <"$OUT/hist-history.txt")
[ "$n" = "$N_HIST" ] || note "CHECK FAILED: retort history printed $n lines (want $N_HIST)"
grep -q "^$HEAD_HIST (head)" "$OUT/hist-heads.txt" || note "CHECK FAILED: retort heads: $(head -c 200 "$OUT/hist-heads.txt")"
grep -q "^$HEAD_HIST" "$OUT/hist-current.txt" || note "CHECK FAILED: retort current: $(head -c 200 "$OUT/hist-current.txt")"

floor_cmd="find migrations/versions -name '*.sql' -exec head -q -c 4096 {} + >/dev/null"
hf readonly "$ROUNDS" --runs "$RO_RUNS" \
  -n floor "sh -c \"$floor_cmd\"" \
  -n history "$RETORT history" \
  -n heads "$RETORT heads" \
  -n current "$RETORT -u sqlite:///cur.db current"
f=$(median readonly floor)
for c in history heads current; do
  row "$c, $N_HIST revisions: retort / floor (read files)" "$(median readonly $c)" "$f" le 2
done
if [ -n "$ALEMBIC" ]; then
  hf readonly-alembic 1 --runs "$A_RUNS" \
    -n "alembic history" "sh -c 'cd alembic && exec $ALEMBIC history'" \
    -n "alembic heads" "sh -c 'cd alembic && exec $ALEMBIC heads'"
  for c in history heads; do
    row "$c, $N_HIST revisions: alembic / retort" "$(median readonly-alembic "alembic $c")" "$(median readonly $c)" info -
  done
fi
rss "history $N_HIST (retort)" "$RETORT" history
rss "heads $N_HIST (retort)" "$RETORT" heads
rss "current $N_HIST (retort)" "$RETORT" -u sqlite:///cur.db current
[ -n "$ALEMBIC" ] && rss "history $N_HIST (alembic)" sh -c "cd alembic && exec $ALEMBIC history"

# ------------------------------------------------------------------ report
"$PY" - "$rows" "$OUT/rss.tsv" "$OUT/checks.tsv" <<'EOF' | tee "$SUMMARY"
import os, sys
rows, rss, checks = sys.argv[1:4]
print()
print("%-54s %10s %10s %7s %7s  %s" % ("benchmark (median wall time)", "numerator", "denom.", "ratio", "target", "result"))
print("-" * 100)
def fmt(s):
    return "%8.1f ms" % (float(s) * 1000) if s not in ("", "-") else "%10s" % "-"
for line in open(rows):
    label, num, den, kind, lim = line.rstrip("\n").split("\t")
    if num in ("", "-") or den in ("", "-"):
        ratio, res = "-", "MISS (no data)" if kind != "info" else "-"
    else:
        x = float(num) / float(den)
        ratio = "%.2f" % x
        if kind == "le":
            res = "PASS" if x <= float(lim) else "MISS"
        elif kind == "lt":
            res = "PASS" if x < float(lim) else "MISS"
        else:
            res = "-"
    tgt = {"le": "<= " + lim, "lt": "< " + lim, "info": "info"}[kind]
    print("%-54s %s %s %7s %7s  %s" % (label, fmt(num), fmt(den), ratio, tgt, res))
print()
print("%-54s %10s %7s  %s" % ("peak memory (Maximum resident set size)", "MB", "target", "result"))
print("-" * 84)
for line in open(rss):
    label, kb = line.rstrip("\n").split("\t")
    if "retort" in label and ("history" in label or "heads" in label or "current" in label):
        tgt = "< 32"
        res = "PASS" if kb and int(kb) < 32 * 1024 else "MISS"
    else:
        tgt, res = "info", "-"
    mb = "%.1f" % (int(kb) / 1024) if kb else "-"
    print("%-54s %10s %7s  %s" % (label, mb, tgt, res))
if os.path.exists(checks) and os.path.getsize(checks):
    print()
    for line in open(checks):
        label, res = line.rstrip("\n").split("\t")
        print("%-54s %s" % (label, res))
EOF
echo "JSON: $OUT/*.json   summary: $SUMMARY" >&2
exit 0

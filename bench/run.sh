#!/bin/sh
# Runs retort's benchmarks and prints the ratios against their floors and
# against dbmate and Alembic. Reports; does not assert: always exits 0, with
# PASS/MISS per target (see bench/README.md).
#
# Usage: sh bench/run.sh [RETORT_BIN]        (default: build/retort)
#   RETORT_TEST_PG_URL=postgresql://…   also run the PostgreSQL upgrade and downgrade
#                                       (tests/support/with-postgres.sh sets it)
#   BENCH_UPGRADE_N=500 BENCH_HISTORY_N=10000   sizes
#   BENCH_ROUNDS=N      rounds per group (default 10 for up/downgrades, 5 for
#                       history/heads/current): hyperfine is run once per
#                       round, so the tools alternate run by run
#   BENCH_RUNS=N        hyperfine --runs per round (default 1 for upgrades,
#                       5 for history/heads/current)
#   Ratios against the floor and dbmate are paired: the median over rounds
#   of (retort's time / the other's time in the same round).
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
UP_ROUNDS=${BENCH_ROUNDS:-10}
RO_ROUNDS=${BENCH_ROUNDS:-5}
UP_RUNS=${BENCH_RUNS:-1}
RO_RUNS=${BENCH_RUNS:-5}
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
# Benchmark a private copy: a rebuild of build/retort mid-run must not
# swap the binary under test (or make it briefly unexecutable).
cp "$RETORT" "$OUT/retort.bin" || die "cannot copy $RETORT"
RETORT=$OUT/retort.bin
: >"$SUMMARY"
rows=$OUT/rows.tsv
: >"$rows"

# hf NAME ROUNDS RUNS hyperfine-args…: run the same hyperfine invocation
# ROUNDS times with --runs RUNS (--warmup 1 in the first round only), so the
# commands alternate (with RUNS=1: retort, floor, dbmate, retort, floor, …)
# and a burst of background load hits all of them alike. Every time is
# merged into bench/out/NAME.json: per command times, mean, stddev, median,
# min, max, and round_medians (one per round) for paired ratios.
# -N: commands run without a shell (those that need one say `sh -c`), so
# nothing needs subtracting from millisecond-scale timings.
hf() {
  name=$1 rounds=$2 runs=$3; shift 3
  rm -f "$OUT/$name".r*.json "$OUT/$name".r*.log "$OUT/$name.json"
  note "hyperfine: $name ($rounds rounds of $runs runs per command)"
  k=1 wu=1
  while [ "$k" -le "$rounds" ]; do
    if ! hyperfine -N --warmup "$wu" --runs "$runs" --style basic \
        --export-json "$OUT/$name.r$k.json" "$@" >"$OUT/$name.r$k.log" 2>&1; then
      note "hyperfine $name failed:"; tail -n 15 "$OUT/$name.r$k.log" >&2
      rm -f "$OUT/$name".r*.json "$OUT/$name.json"
      return 1
    fi
    k=$((k + 1)) wu=0
  done
  "$PY" - "$OUT/$name.json" "$rounds" "$OUT/$name" <<'PYEOF'
import json, statistics, sys
dest, rounds, base = sys.argv[1], int(sys.argv[2]), sys.argv[3]
times, rmed, order = {}, {}, []
for k in range(1, rounds + 1):
    for r in json.load(open("%s.r%d.json" % (base, k)))["results"]:
        c = r["command"]
        if c not in times:
            order.append(c)
        times.setdefault(c, []).extend(r["times"])
        rmed.setdefault(c, []).append(statistics.median(r["times"]))
res = []
for c in order:
    t = times[c]
    res.append({"command": c, "runs": len(t), "mean": statistics.mean(t),
                "stddev": statistics.stdev(t) if len(t) > 1 else 0.0,
                "median": statistics.median(t), "min": min(t), "max": max(t),
                "round_medians": rmed[c], "times": t})
    print("  %-16s median %9.1f ms  mean %9.1f ms  min %9.1f ms  max %9.1f ms  (%d runs)" % (
        c, res[-1]["median"] * 1e3, res[-1]["mean"] * 1e3, res[-1]["min"] * 1e3,
        res[-1]["max"] * 1e3, len(t)), file=sys.stderr)
json.dump({"results": res}, open(dest, "w"), indent=1)
PYEOF
}

# median FILE COMMAND-NAME: median seconds over all runs, or empty.
median() {
  [ -f "$OUT/$1.json" ] || return 0
  "$PY" -c '
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    if r["command"] == sys.argv[2]:
        print("%.6f" % r["median"]); break
' "$OUT/$1.json" "$2"
}

# paired FILE NUM DEN: median over rounds of NUM's / DEN's time in the same
# round (robust to load that drifts during the run), or empty.
paired() {
  [ -f "$OUT/$1.json" ] || return 0
  "$PY" -c '
import json, statistics, sys
r = {x["command"]: x["round_medians"] for x in json.load(open(sys.argv[1]))["results"]}
if sys.argv[2] in r and sys.argv[3] in r:
    print("%.4f" % statistics.median(a / b for a, b in zip(r[sys.argv[2]], r[sys.argv[3]])))
' "$OUT/$1.json" "$2" "$3"
}

# row LABEL NUM_S DEN_S KIND LIMIT [RATIO]: KIND le (ratio <= LIMIT), lt
# (ratio < LIMIT) or info (no target); RATIO (paired) defaults to NUM/DEN.
row() {
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "${2:--}" "${3:--}" "$4" "$5" "${6:--}" >>"$rows"
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

set -- --prepare "$clean"
[ "$retort_ok" = 1 ] && set -- "$@" -n retort "$RETORT -q -u sqlite:///retort.db upgrade head"
set -- "$@" -n floor "sqlite3 floor.db -init floor.sql .quit"
[ -n "$DBMATE" ] && set -- "$@" -n dbmate \
  "$DBMATE --url sqlite:dbmate/dbmate.db --migrations-dir dbmate/db/migrations --no-dump-schema up"
hf upgrade-sqlite "$UP_ROUNDS" "$UP_RUNS" "$@"
r=$(median upgrade-sqlite retort); f=$(median upgrade-sqlite floor); d=$(median upgrade-sqlite dbmate)
row "upgrade $N_UP, SQLite: retort / floor (sqlite3)" "$r" "$f" le 1.0 "$(paired upgrade-sqlite retort floor)"
[ -n "$DBMATE" ] && row "upgrade $N_UP, SQLite: retort / dbmate" "$r" "$d" lt 1 "$(paired upgrade-sqlite retort dbmate)"
if [ -n "$ALEMBIC" ]; then
  hf upgrade-sqlite-alembic 1 "$A_RUNS" --prepare "$clean" -n alembic \
    "sh -c 'cd alembic && exec $ALEMBIC upgrade head'"
  a=$(median upgrade-sqlite-alembic alembic)
  row "upgrade $N_UP, SQLite: alembic / retort" "$a" "$r" info -
fi
$clean
"$RETORT" -q -u sqlite:///retort.db upgrade head >/dev/null 2>&1 || true
sh -c 'rm -f retort.db*'
rss "upgrade $N_UP SQLite (retort)" "$RETORT" -q -u sqlite:///retort.db upgrade head
$clean

# ---------------------------------------------------- downgrade on SQLite
# head -> base, each run prepared (not timed) by an upgrade of its own
# database: retort's by retort (its history rows exist), the floor's by
# floor.sql. The floor runs floor-down.sql: the same DROP statements and
# version-row changes, one transaction per revision.
echo "rm -f retort.db*; exec $RETORT -q -u sqlite:///retort.db upgrade head >/dev/null" >"$OUT/prep-down-retort.sh"
echo 'rm -f floor.db*; exec sqlite3 floor.db -init floor.sql .quit' >"$OUT/prep-down-floor.sh"
# sqlite_empty DB LABEL: no version row and no revision table left.
sqlite_empty() {
  v=$(sqlite3 "$1" 'SELECT count(*) FROM retort_version' 2>/dev/null)
  t=$(sqlite3 "$1" "SELECT count(*) FROM sqlite_master WHERE name LIKE 't\_%' ESCAPE '\\' OR name LIKE 'i\_%' ESCAPE '\\'" 2>/dev/null)
  [ "$v" = 0 ] && [ "$t" = 0 ] && return 0
  note "CHECK FAILED: $2: $v version rows, $t tables/indexes left (want 0, 0)"; return 1
}
down_ok=0
if [ "$retort_ok" = 1 ]; then
  sh "$OUT/prep-down-retort.sh"
  if ! "$RETORT" -q -u sqlite:///retort.db downgrade base >/dev/null 2>"$OUT/retort-downgrade.err"; then
    note "retort downgrade on SQLite FAILED:"; tail -n 10 "$OUT/retort-downgrade.err" >&2
  else
    sqlite_empty retort.db "retort downgrade (SQLite)" && down_ok=1
  fi
fi
sh "$OUT/prep-down-floor.sh" && sqlite3 floor.db <floor-down.sql && sqlite_empty floor.db "floor downgrade (SQLite)"
set --
[ "$down_ok" = 1 ] && set -- --prepare "sh $OUT/prep-down-retort.sh" -n retort "$RETORT -q -u sqlite:///retort.db downgrade base"
set -- "$@" --prepare "sh $OUT/prep-down-floor.sh" -n floor "sqlite3 floor.db -init floor-down.sql .quit"
hf downgrade-sqlite "$UP_ROUNDS" "$UP_RUNS" "$@"
r=$(median downgrade-sqlite retort); f=$(median downgrade-sqlite floor)
row "downgrade $N_UP, SQLite: retort / floor (sqlite3)" "$r" "$f" le 1.0 "$(paired downgrade-sqlite retort floor)"
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
  set -- --prepare "$pgprep"
  [ "$pg_ok" = 1 ] && set -- "$@" -n retort "$RETORT -q -u $url upgrade head"
  set -- "$@" -n floor "psql -X -q -v ON_ERROR_STOP=1 -f floor.sql -d $url"
  [ -n "$DBMATE" ] && set -- "$@" -n dbmate \
    "$DBMATE --url $dburl --migrations-dir dbmate/db/migrations --no-dump-schema up"
  hf upgrade-pg "$UP_ROUNDS" "$UP_RUNS" "$@"
  r=$(median upgrade-pg retort); f=$(median upgrade-pg floor); d=$(median upgrade-pg dbmate)
  row "upgrade $N_UP, PostgreSQL: retort / floor (psql)" "$r" "$f" le 1.0 "$(paired upgrade-pg retort floor)"
  [ -n "$DBMATE" ] && row "upgrade $N_UP, PostgreSQL: retort / dbmate" "$r" "$d" lt 1 "$(paired upgrade-pg retort dbmate)"
  # downgrade head -> base, each run prepared (not timed) by its tool's
  # upgrade of a fresh database
  printf '%s\n' "sh $OUT/prep-pg.sh && exec $RETORT -q -u '$url' upgrade head >/dev/null" >"$OUT/prep-down-pg-retort.sh"
  printf '%s\n' "sh $OUT/prep-pg.sh && exec psql -X -q -v ON_ERROR_STOP=1 -f floor.sql -d '$url'" >"$OUT/prep-down-pg-floor.sh"
  pg_empty() {
    v=$(psql -X -qAt -d "$url" -c 'SELECT count(*) FROM retort_version' 2>/dev/null)
    t=$(psql -X -qAt -d "$url" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 't\\_%'" 2>/dev/null)
    [ "$v" = 0 ] && [ "$t" = 0 ] && return 0
    note "CHECK FAILED: $1: $v version rows, $t tables left (want 0, 0)"; return 1
  }
  pgd_ok=0
  if [ "$pg_ok" = 1 ]; then
    sh "$OUT/prep-down-pg-retort.sh"
    if ! "$RETORT" -q -u "$url" downgrade base >/dev/null 2>"$OUT/retort-downgrade-pg.err"; then
      note "retort downgrade on PostgreSQL FAILED:"; tail -n 10 "$OUT/retort-downgrade-pg.err" >&2
    else
      pg_empty "retort downgrade (PostgreSQL)" && pgd_ok=1
    fi
  fi
  sh "$OUT/prep-down-pg-floor.sh" && psql -X -q -v ON_ERROR_STOP=1 -f floor-down.sql -d "$url" &&
    pg_empty "floor downgrade (psql)"
  set --
  [ "$pgd_ok" = 1 ] && set -- --prepare "sh $OUT/prep-down-pg-retort.sh" -n retort "$RETORT -q -u $url downgrade base"
  set -- "$@" --prepare "sh $OUT/prep-down-pg-floor.sh" -n floor "psql -X -q -v ON_ERROR_STOP=1 -f floor-down.sql -d $url"
  hf downgrade-pg "$UP_ROUNDS" "$UP_RUNS" "$@"
  r=$(median downgrade-pg retort); f=$(median downgrade-pg floor)
  row "downgrade $N_UP, PostgreSQL: retort / floor (psql)" "$r" "$f" le 1.0 "$(paired downgrade-pg retort floor)"
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
hf readonly "$RO_ROUNDS" "$RO_RUNS" \
  -n floor "sh -c \"$floor_cmd\"" \
  -n history "$RETORT history" \
  -n heads "$RETORT heads" \
  -n current "$RETORT -u sqlite:///cur.db current"
f=$(median readonly floor)
for c in history heads current; do
  row "$c, $N_HIST revisions: retort / floor (read files)" "$(median readonly $c)" "$f" le 2 "$(paired readonly $c floor)"
done
if [ -n "$ALEMBIC" ]; then
  hf readonly-alembic 1 "$A_RUNS" \
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
    label, num, den, kind, lim, paired = line.rstrip("\n").split("\t")
    if num in ("", "-") or den in ("", "-"):
        ratio, res = "-", "MISS (no data)" if kind != "info" else "-"
    else:
        x = float(paired) if paired not in ("", "-") else float(num) / float(den)
        ratio = "%.2f" % x
        if kind == "le":
            res = "PASS" if x <= float(lim) else "MISS"
        elif kind == "lt":
            res = "PASS" if x < float(lim) else "MISS"
        else:
            res = "-"
    tgt = {"le": "<= " + lim, "lt": "< " + lim, "info": "info"}[kind]
    print("%-54s %s %s %7s %7s  %s" % (label, fmt(num), fmt(den), ratio, tgt, res))
print("ratio: vs floor/dbmate, the median over rounds of the paired ratio (same round);")
print("       alembic rows, the ratio of the medians.")
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

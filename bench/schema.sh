#!/bin/sh
# Times `retort check` and `retort revision --autogenerate` against a
# declared target_schema of N generated tables (10 columns each, a foreign
# key, an index and a unique index), on SQLite and on PostgreSQL, and prints
# wall time, peak RSS, the target, the ratio and PASS/MISS, and how the time
# grows from the smallest N to the largest. Reports; does not assert: exits
# 0 (see bench/README.md, "Autogenerate and check").
#
# Usage: sh bench/schema.sh [RETORT_BIN]
#   RETORT_BIN, else $RETORT, else `make build` and build/retort
#   BENCH_SCHEMA_N="1000 10000"     table counts
#   BENCH_SCHEMA_RUNS=3             runs per measured command (best time kept)
#   BENCH_SCHEMA_TIMEOUT=300        seconds before one run is killed (MISS)
#   BENCH_SCHEMA_SETUP_TIMEOUT=120  seconds for the first `revision
#                       --autogenerate` (from an empty database): when it is
#                       killed, or its revision cannot be applied, the script
#                       writes the first revisions itself and goes on
#   BENCH_SCHEMA_SYNC=first         run the in-sync check (exit 0 expected) at
#                       the smallest N only; "all": at every N
#   BENCH_SCHEMA_FLOOR=first        also time loading schema.sql with the
#                       backend's own client (sqlite3 / psql), at the smallest
#                       N; "all": at every N; 0: never
#   BENCH_SCHEMA_CHUNK=1000         tables per revision when the script writes
#                       the first revisions itself
#   BENCH_SCHEMA_BACKENDS="sqlite pg"
#   BENCH_SCHEMA_KEEP=1             keep the PostgreSQL databases afterwards
#   RETORT_TEST_PG_URL=postgresql://…  use this server; when unset, the
#                       PostgreSQL part runs inside tests/support/with-postgres.sh
#                       (a throwaway server), and is skipped if that fails
#
# Output: bench/out/schema/ (projects, per-run times, stderr of failures),
# bench/out/schema/summary.txt (the table printed at the end).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
OUT=$here/out/schema
NS=${BENCH_SCHEMA_N:-1000 10000}
RUNS=${BENCH_SCHEMA_RUNS:-3}
TMO=${BENCH_SCHEMA_TIMEOUT:-300}
SETUP_TMO=${BENCH_SCHEMA_SETUP_TIMEOUT:-120}
SYNC=${BENCH_SCHEMA_SYNC:-first}
FLOOR=${BENCH_SCHEMA_FLOOR:-first}
CHUNK=${BENCH_SCHEMA_CHUNK:-1000}
KEEP=${BENCH_SCHEMA_KEEP:-}
NMIN=$(printf '%s\n' $NS | sort -n | head -n 1)
BACKENDS=${BENCH_SCHEMA_BACKENDS:-sqlite pg}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
rows=$OUT/rows.tsv
SUMMARY=$OUT/summary.txt

die() { echo "bench-schema: $*" >&2; exit 1; }
note() { echo "bench-schema: $*" >&2; }

# ------------------------------------------------------------- schema.sql
# gen_schema FILE N CHANGED: N tables t_1 … t_N. Table i's foreign key
# points at t_(i/2) (t_1 at itself), so the graph is a tree rather than a
# chain. CHANGED=1 adds a column to the tables with i % 100 == 1 and an
# index to those with i % 100 == 51: 1 % of the tables each (at least one).
gen_schema() {
  awk -v n="$2" -v changed="$3" 'BEGIN {
    for (i = 1; i <= n; i++) {
      p = int(i / 2); if (p < 1) p = 1
      printf "CREATE TABLE t_%d (\n", i
      printf "  id INTEGER PRIMARY KEY,\n"
      printf "  parent_id INTEGER REFERENCES t_%d (id) ON DELETE CASCADE,\n", p
      printf "  name VARCHAR(100) NOT NULL DEFAULT '\'''\'',\n"
      printf "  code VARCHAR(32) NOT NULL,\n"
      printf "  qty INTEGER NOT NULL DEFAULT 0,\n"
      printf "  price NUMERIC(10,2) NOT NULL DEFAULT 0,\n"
      printf "  active BOOLEAN NOT NULL DEFAULT TRUE,\n"
      printf "  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
      printf "  score DOUBLE PRECISION,\n"
      if (changed && i % 100 == 1) {
        printf "  note TEXT,\n"
        printf "  extra INTEGER\n"
      } else
        printf "  note TEXT\n"
      printf ");\n"
      printf "CREATE INDEX t_%d_parent_idx ON t_%d (parent_id);\n", i, i
      printf "CREATE UNIQUE INDEX t_%d_code_uq ON t_%d (code);\n", i, i
      if (changed && i % 100 == 51)
        printf "CREATE INDEX t_%d_qty_idx ON t_%d (qty);\n", i, i
    }
  }' >"$1"
}
# The number of tables gen_schema changes of each kind: i % 100 == K, i <= N.
nchanged() { # N K
  awk -v n="$1" -v k="$2" 'BEGIN { c = 0; for (i = 1; i <= n; i++) if (i % 100 == k) c++; print c }'
}

# ------------------------------------------------------------- timing
# target BACKEND N: the target in seconds for check and autogenerate:
# SQLite 2 s per 1,000 tables, PostgreSQL 5 s per 1,000 (issue 7: 2 s and
# 20 s, 5 s and 50 s at 1,000 and 10,000 tables; other N scaled linearly).
target() { awk -v be="$1" -v n="$2" 'BEGIN { print (be == "pg" ? 5 : 2) * n / 1000 }'; }

# timed TAG LIMIT CMD…: one run under /usr/bin/time, killed after LIMIT
# seconds; sets t (seconds), m (peak RSS, kB) and rc (the command's exit
# status; 124: killed). stdout/stderr of the run: $OUT/TAG.out, $OUT/TAG.err.
# timeout runs the command itself (time reports the peak RSS of the
# process tree), so its SIGKILL, 5 s after the SIGTERM, reaches retort:
# retort's first SIGTERM only asks the library to stop at its next
# statement, which a long computation does not reach.
timed() {
  tag=$1 limit=$2; shift 2
  rm -f "$OUT/time.txt"
  /usr/bin/time -o "$OUT/time.txt" -f '%e %M' timeout -k 5 "$limit" "$@" \
    >"$OUT/$tag.out" 2>"$OUT/$tag.err"
  rc=$?
  case $rc in 124 | 137) rc=124; t=""; m=""; return ;; esac
  # GNU time writes "Command exited with non-zero status N" first
  set -- $(tail -n 1 "$OUT/time.txt" 2>/dev/null)
  t=${1:-} m=${2:-}
}

# measure BACKEND N LABEL KIND EXPECT RUNS LIMIT PREP CMD…: up to RUNS runs,
# each killed after LIMIT seconds; keeps the lowest time and the highest
# RSS. PREP (a shell command, or "") runs before every run, untimed. KIND:
# target (compared with `target`; after a run of more than 30 s and 1.5
# times the target the rest are skipped: a best of 3 would not turn that
# into a PASS, and each costs minutes) or info.
# EXPECT: the exit status the command should have; any other makes the row
# FAILED (its stderr is printed). Appends a row to $rows; sets status.
measure() {
  be=$1 n=$2 label=$3 kind=$4 expect=$5 runs=$6 limit=$7 prep=$8; shift 8
  tag=$be-$n-$(echo "$label" | tr -c 'a-z0-9\n' '_')
  tgt=$(target "$be" "$n")
  best="" peak="" status=ok k=0
  while [ "$k" -lt "$runs" ]; do
    k=$((k + 1))
    [ -n "$prep" ] && sh -c "$prep"
    timed "$tag" "$limit" "$@"
    printf '%s\t%s\t%s\t%s\trun %d\t%s s\t%s kB\texit %s\n' "$(date +%T)" "$be" "$n" "$label" \
      "$k" "${t:--}" "${m:--}" "$rc" >>"$OUT/runs.log"
    if [ "$rc" = 124 ]; then
      note "$be N=$n $label: killed after ${limit} s"; status=timeout:$limit; break
    fi
    if [ "$rc" != "$expect" ]; then
      note "$be N=$n $label: exit $rc (want $expect):"; tail -n 8 "$OUT/$tag.err" >&2
      status=failed; break
    fi
    best=$(awk -v a="$best" -v b="$t" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }')
    peak=$(awk -v a="$peak" -v b="$m" 'BEGIN { print (a == "" || b + 0 > a + 0) ? b : a }')
    [ "$kind" = target ] && awk -v t="$t" -v g="$tgt" 'BEGIN { exit !(t > 1.5 * g && t > 30) }' && break
  done
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$be" "$n" "$label" "$kind" "${best:--}" \
    "${peak:--}" "$status" "$k" >>"$rows"
  note "$be N=$n $label: ${best:--} s, ${peak:--} kB, $k run(s) ($status)"
}

# first_revisions SCHEMA: the first revisions written by hand (when
# autogenerate from empty fails or is killed, or its single revision cannot
# be applied): SCHEMA's statements in revisions of $CHUNK tables each, a
# chain initial_1 -> initial_2 -> …, each one transaction; downgrade: the
# revision's tables dropped newest first. Foreign keys point at earlier
# tables, so every revision only needs its predecessors.
first_revisions() {
  rm -f migrations/versions/*.sql
  awk -v chunk="$CHUNK" -v date="$(date '+%Y-%m-%d %H:%M:%S')" '
  function start(k) {
    f = "migrations/versions/initial_" k "_initial.sql"
    parent = k > 1 ? "initial_" (k - 1) : ""
    printf "-- revision: initial_%d\n-- down_revision: %s\n-- message: initial\n", k, parent >f
    printf "-- create_date: %s\n-- branch_labels: \n-- depends_on: \n", date >f
    printf "-- transactional: true\n-- release:\n\n-- +upgrade\n" >f
  }
  function finish(   i) {
    printf "\n-- +downgrade\n" >f
    for (i = nt; i > 0; i--) printf "DROP TABLE %s;\n", t[i] >f
    close(f); nt = 0
  }
  /^CREATE TABLE / {
    if (tables % chunk == 0) { if (k) finish(); start(++k) }
    tables++; t[++nt] = $3
  }
  { print >f }
  END { if (k) finish() }' "$1"
}

# --------------------------------------------------------- one backend, N
# bench_one BACKEND N URL [PGADMIN]: the project, the first revision, the
# upgrade, the in-sync check, the floor, then the changed schema's check
# and autogenerate.
bench_one() {
  be=$1 n=$2 url=$3 admin=${4:-}
  d=$OUT/work/$be-$n
  rm -rf "$d"
  mkdir -p "$d/migrations/versions"
  printf '[retort]\nscript_location = migrations\nurl = %s\ntarget_schema = schema.sql\n' "$url" >"$d/retort.ini"
  gen_schema "$d/schema.sql" "$n" 0
  cp "$d/schema.sql" "$d/schema-initial.sql"
  cd "$d" || die "no $d"
  pgnew() { # DB: drop and create it (untimed)
    PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -d "$admin" \
      -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
  }
  if [ "$be" = pg ]; then
    db=${url##*/}; db=${db%%\?*}
    pgnew "$db" || { note "cannot create database $db"; cd "$root"; return; }
  fi
  R="$RETORT -q"
  # 1. the first revision, from an empty database (autogenerate: every
  #    table added), and its upgrade. Both once.
  first=migrations/versions/initial_initial.sql
  measure "$be" "$n" "revision --autogenerate (from empty)" info 0 1 "$SETUP_TMO" \
    "rm -f migrations/versions/*.sql" $R revision --autogenerate -m initial --rev-id initial
  label="upgrade (first revision)"
  if [ "$status" = ok ] && [ -f "$first" ]; then
    c=$(grep -c '^CREATE TABLE' "$first")
    [ "$c" = "$n" ] || note "CHECK FAILED: $be N=$n: the first revision creates $c tables (want $n)"
    measure "$be" "$n" "$label" info 0 1 "$TMO" "" $R upgrade
  fi
  if [ "$status" != ok ] || [ ! -f "$first" ]; then
    note "$be N=$n: writing the first revisions by hand instead ($CHUNK tables each)"
    first_revisions schema.sql
    label="upgrade ($(ls migrations/versions | wc -l) revisions by hand)"
    measure "$be" "$n" "$label" info 0 1 "$TMO" "" $R upgrade
  fi
  if [ "$be" = sqlite ]; then
    c=$(sqlite3 bench.db "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 't\\_%' ESCAPE '\\'")
  else
    c=$(psql -X -qAt -d "$url" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 't\\_%'")
  fi
  [ "$c" = "$n" ] || { note "CHECK FAILED: $be N=$n: $c tables after upgrade (want $n); skipping"; cd "$root"; return; }
  # 2. in sync: check must exit 0 (any difference listed is a false diff)
  if [ "$SYNC" = all ] || [ "$n" = "$NMIN" ]; then
    measure "$be" "$n" "check (in sync, exit 0)" info 0 1 "$TMO" "" $R check
    if [ "$status" = failed ] && [ -s "$OUT/$tag.out" ]; then
      note "CHECK FAILED: $be N=$n: check reports differences on the schema it generated:"
      head -n 5 "$OUT/$tag.out" >&2
    fi
  fi
  # 3. the floor: the backend's own client loads schema.sql (into an
  #    in-memory database / a new database), as check does with the target
  if [ "$FLOOR" = all ] || { [ "$FLOOR" = first ] && [ "$n" = "$NMIN" ]; }; then
    if [ "$be" = sqlite ]; then
      measure "$be" "$n" "floor: sqlite3 :memory: < schema.sql" info 0 1 "$TMO" "" \
        sh -c 'exec sqlite3 -bail :memory: <schema.sql'
    else
      fdb=${db}_floor furl=$(printf '%s' "$url" | sed "s#/$db#/$fdb#")
      measure "$be" "$n" "floor: psql -f schema.sql (new db)" info 0 1 "$TMO" \
        "PGOPTIONS='-c client_min_messages=warning' psql -X -q -d '$admin' -c 'DROP DATABASE IF EXISTS $fdb WITH (FORCE)' -c 'CREATE DATABASE $fdb'" \
        psql -X -q -v ON_ERROR_STOP=1 -d "$furl" -f schema.sql
      psql -X -q -d "$admin" -c "DROP DATABASE IF EXISTS $fdb WITH (FORCE)" >/dev/null 2>&1
    fi
  fi
  # 4. the changed schema: 1 % of the tables gain a column, 1 % an index
  gen_schema schema.sql "$n" 1
  ncol=$(nchanged "$n" 1) nidx=$(nchanged "$n" 51)
  measure "$be" "$n" "check" target 3 "$RUNS" "$TMO" "" $R check
  if [ "$status" = ok ]; then
    c=$(grep -c . "$OUT/$tag.out")
    [ "$c" = $((ncol + nidx)) ] ||
      note "CHECK FAILED: $be N=$n: check lists $c differences (want $ncol columns + $nidx indexes)"
  fi
  rev=migrations/versions/change_change.sql
  measure "$be" "$n" "revision --autogenerate" target 0 "$RUNS" "$TMO" \
    "rm -f $rev" $R revision --autogenerate -m change --rev-id change
  if [ -f "$rev" ]; then
    a=$(sed -n '/^-- +upgrade/,/^-- +downgrade/p' "$rev" | grep -ci 'ADD COLUMN')
    b=$(sed -n '/^-- +upgrade/,/^-- +downgrade/p' "$rev" | grep -ci '^CREATE INDEX')
    [ "$a" = "$ncol" ] && [ "$b" = "$nidx" ] ||
      note "CHECK FAILED: $be N=$n: the revision adds $a columns and $b indexes (want $ncol, $nidx)"
    rm -f "$rev"
  fi
  if [ "$be" = pg ] && [ -z "$KEEP" ]; then
    psql -X -q -d "$admin" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  fi
  cd "$root" || true
}

# --------------------------------------------------------- the PG phase
# Run (by the outer invocation) inside with-postgres.sh, or directly when
# RETORT_TEST_PG_URL was already set: appends its rows to $rows.
pg_phase() {
  : >"$OUT/pg-started"
  command -v psql >/dev/null || { note "psql missing: skipping PostgreSQL"; return; }
  admin=$RETORT_TEST_PG_URL
  q=""
  case "$admin" in *\?*) q="?${admin#*\?}"; admin_noq=${admin%%\?*} ;; *) admin_noq=$admin ;; esac
  url="${admin_noq%/*}/retort_schema_bench$q"
  for n in $NS; do bench_one pg "$n" "$url" "$admin"; done
}

if [ "${BENCH_SCHEMA_PHASE:-}" = pg ]; then
  # inner invocation: everything was set up by the outer one
  RETORT=$OUT/retort.bin
  pg_phase
  exit 0
fi

# ------------------------------------------------------------- set-up
RETORT=${1:-${RETORT:-}}
if [ -z "$RETORT" ]; then
  note "no binary given: make build"
  make -C "$root" --no-print-directory build >&2 || die "make build failed"
  RETORT=$root/build/retort
fi
case "$RETORT" in /*) ;; *) RETORT=$(pwd)/$RETORT ;; esac
[ -x "$RETORT" ] || die "no retort binary at $RETORT (make build)"
[ -x /usr/bin/time ] || die "/usr/bin/time missing (sh scripts/deps.sh bench)"
command -v timeout >/dev/null || die "timeout (coreutils) missing"
command -v sqlite3 >/dev/null || die "sqlite3 missing (sh scripts/deps.sh build)"
for n in $NS; do case "$n" in '' | *[!0-9]* | 0) die "BENCH_SCHEMA_N: '$n' is not a table count" ;; esac; done
mkdir -p "$OUT/work"
# a private copy, so a rebuild during the run does not change what is measured
cp "$RETORT" "$OUT/retort.bin" || die "cannot copy $RETORT"
RETORT=$OUT/retort.bin
: >"$rows"
: >"$OUT/runs.log"
rm -f "$OUT/pg-started"
start=$(date +%s)

for be in $BACKENDS; do
  case "$be" in
    sqlite)
      for n in $NS; do bench_one sqlite "$n" sqlite:///bench.db; done ;;
    pg)
      if [ -n "${RETORT_TEST_PG_URL:-}" ]; then
        pg_phase
      else
        note "starting a throwaway PostgreSQL (tests/support/with-postgres.sh)"
        BENCH_SCHEMA_PHASE=pg BENCH_SCHEMA_N="$NS" BENCH_SCHEMA_RUNS=$RUNS BENCH_SCHEMA_TIMEOUT=$TMO \
          BENCH_SCHEMA_SETUP_TIMEOUT=$SETUP_TMO BENCH_SCHEMA_SYNC=$SYNC BENCH_SCHEMA_FLOOR=$FLOOR BENCH_SCHEMA_CHUNK=$CHUNK \
          "$root/tests/support/with-postgres.sh" sh "$here/schema.sh"
        [ -f "$OUT/pg-started" ] ||
          note "PostgreSQL: with-postgres.sh could not start a server: skipping PostgreSQL"
      fi ;;
    *) note "unknown backend '$be' (sqlite, pg)" ;;
  esac
done
cd "$root" || true

# ------------------------------------------------------------- report
"$PY" - "$rows" "$NS" "$(($(date +%s) - start))" <<'EOF' | tee "$SUMMARY"
import sys
rows, ns, elapsed = sys.argv[1], [int(x) for x in sys.argv[2].split()], sys.argv[3]
per1k = {"sqlite": 2.0, "pg": 5.0}   # as target() in the script
name = {"sqlite": "SQLite", "pg": "PostgreSQL"}
data = []
for line in open(rows):
    be, n, cmd, kind, t, kb, status, runs = line.rstrip("\n").split("\t")
    data.append((be, int(n), cmd, kind, None if t == "-" else float(t),
                 None if kb == "-" else int(kb), status, int(runs)))
lo, hi = min(ns), max(ns)
times = {(be, n, cmd): t for be, n, cmd, _, t, _, st, _ in data if st == "ok"}
fmt = "%-10s %6s  %-40s %8s %8s %7s %6s  %-15s %s"
hdr = fmt % ("backend", "N", "command", "seconds", "peak MB", "target", "ratio", "result",
             "growth %d->%d" % (lo, hi) if hi > lo else "")
print()
print(hdr)
print("-" * len(hdr))
for be, n, cmd, kind, t, kb, status, runs in data:
    tgt = per1k[be] * n / 1000.0 if kind == "target" else None
    secs = "%.2f" % t if t is not None else "-"
    if status.startswith("timeout"):
        secs = "> " + status.split(":")[1]
        res = "MISS (timeout)" if tgt else "killed"
    elif status == "failed":
        res = "FAILED"
    elif tgt is None:
        res = "info"
    else:
        res = "PASS" if t <= tgt else "MISS"
    ratio = "%.2f" % (t / tgt) if (tgt and t is not None and status == "ok") else "-"
    g = ""
    if n == hi and hi > lo:
        a, b = times.get((be, lo, cmd)), times.get((be, n, cmd))
        g = "%.1f" % (b / a) if a and b else "-"
    print(fmt % (name.get(be, be), n, cmd + ("" if kind == "info" else " [%d]" % runs), secs,
                 "%.1f" % (kb / 1024) if kb else "-",
                 ("%.0f s" if tgt >= 10 else "%.1f s") % tgt if tgt else "-", ratio, res, g))
print("seconds: wall time; [k]: the best of k runs (after a run over 30 s and 1.5 x the")
print("target the rest are skipped); other rows ran once. peak MB: maximum resident set size")
print("(/usr/bin/time), the highest of the runs." + (
      " growth: time at N=%d / time at N=%d (linear: %.0f)." % (hi, lo, hi / lo) if hi > lo else ""))
print("whole script: %s s; load average at the end: %s" % (
      elapsed, open("/proc/loadavg").read().split()[0]))
EOF
echo "per-run times: $OUT/runs.log   summary: $SUMMARY" >&2
exit 0

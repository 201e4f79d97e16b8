#!/bin/sh
# The batched migrate of SPEC §8 (issue 8's benchmark): `retort migrate`
# backfilling a new column of 1,000,000 rows at the default batch size
# (1000), against one plain `UPDATE t SET new_col = old_col` of the same
# rows, measured in the same run, on SQLite and (with RETORT_TEST_PG_URL,
# i.e. inside tests/support/with-postgres.sh) on PostgreSQL. Per migrate
# statement ("variant", see bench/README.md) two targets, PASS/MISS each:
#   throughput: rows/s of migrate / rows/s of the single UPDATE >= 0.7
#               (median over rounds of the ratio within a round);
#   lock hold:  the longest time any batch transaction holds its locks
#               <= 100 ms, over every batch measured.
# Reports; does not assert: exits 0 unless the setup itself fails.
#
# Usage: sh bench/migrate.sh [RETORT_BIN]          (default: build/retort)
#        tests/support/with-postgres.sh sh bench/migrate.sh build/retort
# Knobs: BENCH_MIGRATE_N (1000000 rows), BENCH_MIGRATE_ROUNDS (3),
#        BENCH_MIGRATE_SKIP_SQLITE=1, BENCH_MIGRATE_SKIP_PG=1,
#        BENCH_MIGRATE_SQLITE_WAL=0 (skip the WAL-mode rows),
#        BENCH_MIGRATE_BIG_BATCH=10000 (the SQLite row at a larger batch
#        size, information only; 0 skips it), BENCH_MIGRATE_FIXED=0 (skip
#        the `in-fixed` rows: fixed batches of 1000, --batch-time 0, as
#        migrate did before batches were timed; information only).
# Output: bench/out/migrate/ (runs.tsv, holds-*.tsv, summary.txt, logs).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
RETORT=${1:-$root/build/retort}
case "$RETORT" in /*) ;; *) RETORT=$(pwd)/$RETORT ;; esac
OUT=$here/out/migrate
N=${BENCH_MIGRATE_N:-1000000}
ROUNDS=${BENCH_MIGRATE_ROUNDS:-3}
WAL=${BENCH_MIGRATE_SQLITE_WAL:-1}
BIG=${BENCH_MIGRATE_BIG_BATCH:-10000}
FIXED=${BENCH_MIGRATE_FIXED:-1}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

die() { echo "bench/migrate: $*" >&2; exit 1; }
note() { echo "bench/migrate: $*" >&2; }
[ -x "$RETORT" ] || die "no retort binary at $RETORT (make build)"
command -v sqlite3 >/dev/null || die "sqlite3 missing"
rm -rf "$OUT"
mkdir -p "$OUT"
# a private copy: a rebuild during the run must not change what is measured
cp "$RETORT" "$OUT/retort.bin"
R=$OUT/retort.bin
RUNS=$OUT/runs.tsv
SUMMARY=$OUT/summary.txt
printf 'backend\tround\tkind\tseconds\n' >"$RUNS"
: >"$SUMMARY"

now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }

# ---- the projects ---------------------------------------------------------------------
# t(id, old_col, payload), N rows; the phased revision's expand part adds
# new_col, a partial index over the rows still to do and a one-row cursor
# table; its migrate part is one batched statement, by variant:
#   in:     UPDATE … WHERE id IN (SELECT id … WHERE new_col IS NULL ORDER BY id
#           LIMIT :batch_size): the next batch from the partial index (on
#           SQLite pinned with INDEXED BY: the planner may prefer a scan in
#           rowid order, which makes every batch read all the done rows);
#   keyset: PostgreSQL: the next :batch_size ids after the cursor, by the
#           primary key, updated and the cursor moved in one statement;
#           SQLite: the id range [min(id) still to do, + :batch_size), the
#           minimum from the partial index.
# write_project DIR BACKEND VARIANT
write_project() {
	local d="$1" be="$2" v="$3" idcol="id BIGINT PRIMARY KEY" stmt=""
	# SQLite: the rowid itself, as SQLite schemas have it
	if [ "$be" = sqlite ]; then idcol="id INTEGER PRIMARY KEY"; fi
	case $be/$v in
	pg/in) stmt="UPDATE t SET new_col = old_col
 WHERE id IN (SELECT id FROM t WHERE new_col IS NULL ORDER BY id LIMIT :batch_size);" ;;
	sqlite/in) stmt="UPDATE t SET new_col = old_col
 WHERE id IN (SELECT id FROM t INDEXED BY t_new_col_todo WHERE new_col IS NULL ORDER BY id LIMIT :batch_size);" ;;
	pg/keyset) stmt="WITH b AS (SELECT id FROM t WHERE id > (SELECT pos FROM t_cursor) ORDER BY id LIMIT :batch_size),
     u AS (UPDATE t SET new_col = old_col
            WHERE id > (SELECT pos FROM t_cursor) AND id <= (SELECT max(id) FROM b) AND new_col IS NULL)
UPDATE t_cursor SET pos = (SELECT max(id) FROM b) WHERE EXISTS (SELECT 1 FROM b);" ;;
	sqlite/keyset) stmt="UPDATE t SET new_col = old_col
 WHERE id >= (SELECT min(id) FROM t INDEXED BY t_new_col_todo WHERE new_col IS NULL)
   AND id < (SELECT min(id) FROM t INDEXED BY t_new_col_todo WHERE new_col IS NULL) + :batch_size
   AND new_col IS NULL;" ;;
	esac
	mkdir -p "$d/migrations/versions"
	printf '[retort]\nscript_location = migrations\nlock_timeout = 60\n' >"$d/retort.ini"
	cat >"$d/migrations/versions/b0000000base_base.sql" <<EOF
-- revision: b0000000base
-- down_revision:
-- message: The table.
-- create_date: 2024-01-01 00:00:00

-- +upgrade
CREATE TABLE t ($idcol, old_col TEXT NOT NULL, payload TEXT NOT NULL);

-- +downgrade
DROP TABLE t;
EOF
	cat >"$d/migrations/versions/c0000000copy_copy.sql" <<EOF
-- revision: c0000000copy
-- down_revision: b0000000base
-- message: new_col replaces old_col.
-- create_date: 2024-01-01 00:00:00

-- +expand
ALTER TABLE t ADD COLUMN new_col TEXT;
CREATE INDEX t_new_col_todo ON t (id) WHERE new_col IS NULL;
CREATE TABLE t_cursor (pos BIGINT NOT NULL);
INSERT INTO t_cursor (pos) VALUES (0);

-- +migrate
-- progress: SELECT count(*) FROM t WHERE new_col IS NULL
$stmt

-- +contract
DROP TABLE t_cursor;
DROP INDEX t_new_col_todo;
ALTER TABLE t DROP COLUMN old_col;

-- +downgrade
DROP TABLE t_cursor;
ALTER TABLE t DROP COLUMN new_col;
EOF
}
for be in sqlite pg; do
	for v in in keyset; do write_project "$OUT/proj-$be-$v" "$be" "$v"; done
done
PLAIN_SQL="UPDATE t SET new_col = old_col"
CHECK_SQL="SELECT count(*) FROM t WHERE new_col IS NULL OR new_col <> old_col"

# order ROUND KIND…: the kinds rotated by the round, so none always runs first
order() {
	local r=$1 k
	shift
	local n=$# i=0 out=""
	for k in "$@"; do out="$out $k"; done
	set -- $out
	while [ "$i" -lt $(((r - 1) % n)) ]; do
		k=$1
		shift
		set -- "$@" "$k"
		i=$((i + 1))
	done
	echo "$@"
}

# summarize BACKEND KIND BASELINE HOLDS_TSV: the PASS/MISS lines of one variant.
summarize() {
	"$PY" - "$1" "$2" "$3" "$RUNS" "$4" "$N" <<'EOF' | tee -a "$SUMMARY"
import csv, statistics, sys
be, kind, base, runs, holds, n = sys.argv[1:6] + [int(sys.argv[6])]
t = {}
for r in csv.DictReader(open(runs), delimiter="\t"):
    if r["backend"] == be:
        t.setdefault(int(r["round"]), {})[r["kind"]] = float(r["seconds"])
pairs = [(v[base], v[kind]) for v in t.values() if base in v and kind in v]
ratios = [p / m for p, m in pairs]
pl = statistics.median(p for p, _ in pairs)
mi = statistics.median(m for _, m in pairs)
ratio = statistics.median(ratios)
print("%s %s (baseline %s): %d rows, %d rounds" % (be, kind, base, n, len(pairs)))
print("  single UPDATE   median %7.2f s  %8.0f rows/s   (runs: %s)" %
      (pl, n / pl, ", ".join("%.2f" % p for p, _ in pairs)))
print("  retort migrate  median %7.2f s  %8.0f rows/s   (runs: %s)" %
      (mi, n / mi, ", ".join("%.2f" % m for _, m in pairs)))
print("  throughput ratio %.2f (rounds: %s)  target >= 0.70  %s" %
      (ratio, ", ".join("%.2f" % r for r in ratios), "PASS" if ratio >= 0.7 else "MISS"))
h = sorted(float(l.split("\t")[1]) * 1000 for l in open(holds)
           if l.strip() and not l.startswith("round"))
if h:
    q = lambda p: h[min(len(h) - 1, int(p * len(h)))]
    print("  lock hold, %d batch transactions: median %.1f ms, p99 %.1f ms, max %.1f ms  target <= 100 ms  %s" %
          (len(h), q(0.5), q(0.99), h[-1], "PASS" if h[-1] <= 100 else "MISS"))
else:
    print("  lock hold: not measured  MISS")
EOF
}

# ---- SQLite ---------------------------------------------------------------------------
# Lock hold: SQLite's row locks are the database's write lock, taken by
# BEGIN IMMEDIATE and dropped at the end of COMMIT: with a rollback journal
# the RESERVED lock, an fcntl F_WRLCK on byte 0x40000001 of the database,
# until the F_UNLCK covering it; in WAL mode the WAL write lock, byte 120 of
# the -shm file. One extra run per variant under
# `strace -f --seccomp-bpf -e trace=fcntl -ttt` times every such pair (the
# timed runs are not traced).
sqlite_holds() { # STRACE_FILE MODE(delete|wal) -> holds TSV on stdout
	"$PY" - "$1" "$2" <<'EOF'
import re, sys
lock = 0x40000001 if sys.argv[2] == "delete" else 120
pat = re.compile(r"^(?:\d+\s+)?([\d.]+) fcntl\((\d+), F_SETLKW?, \{l_type=(F_\w+), l_whence=SEEK_SET, l_start=(\d+), l_len=(\d+)\}\) = 0")
start = {}
print("round\tseconds")
for line in open(sys.argv[1]):
    m = pat.match(line)
    if not m:
        continue
    ts, fd, ty, st, ln = float(m.group(1)), m.group(2), m.group(3), int(m.group(4)), int(m.group(5))
    if ty == "F_WRLCK" and st == lock and ln == 1:
        start.setdefault(fd, ts)
    elif ty == "F_UNLCK" and fd in start and st <= lock and (ln == 0 or lock < st + ln):
        print("traced\t%.6f" % (ts - start.pop(fd)))
EOF
}

variant() { case $1 in in*) echo in ;; *) echo keyset ;; esac; }
batch_args() { case $1 in *-big) echo "--batch-size $BIG" ;; *-fixed) echo "--batch-time 0" ;; esac; }
info_line() {
	case $1 in
	in-big) echo "(information: fixed batches, --batch-size $BIG, not the default)" | tee -a "$SUMMARY" ;;
	in-fixed) echo "(information: fixed batches of 1000, --batch-time 0, not the default)" | tee -a "$SUMMARY" ;;
	esac
}

bench_sqlite() {
	note "sqlite: building the $N-row template"
	local tmpl=$OUT/sqlite-tmpl.db run=$OUT/sqlite-run.db r kind t0 t1 bad db proj mode
	(cd "$OUT/proj-sqlite-in" && "$R" -q -u "sqlite:///$tmpl" upgrade b0000000base)
	sqlite3 "$tmpl" "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $N)
	  INSERT INTO t (id, old_col, payload) SELECT i, 'old-' || i, hex(randomblob(24)) FROM c"
	(cd "$OUT/proj-sqlite-in" && "$R" -q -u "sqlite:///$tmpl" expand)
	sqlite3 "$tmpl" "VACUUM"
	kinds="plain in keyset"
	if [ "$WAL" = 1 ]; then
		cp "$tmpl" "$OUT/sqlite-tmpl-wal.db"
		[ "$(sqlite3 "$OUT/sqlite-tmpl-wal.db" 'PRAGMA journal_mode=WAL')" = wal ] || die "no WAL mode"
		kinds="$kinds plain-wal in-wal"
	fi
	[ "$BIG" -gt 0 ] && kinds="$kinds in-big"
	[ "$FIXED" = 1 ] && kinds="$kinds in-fixed"
	for r in $(seq 1 "$ROUNDS"); do
		for kind in $(order "$r" $kinds); do
			db=$tmpl
			case $kind in *-wal) db=$OUT/sqlite-tmpl-wal.db ;; esac
			rm -f "$run" "$run-journal" "$run-wal" "$run-shm"
			cp "$db" "$run"
			sync
			t0=$(now)
			case $kind in
			plain*) sqlite3 "$run" "$PLAIN_SQL" ;;
			*) (cd "$OUT/proj-sqlite-$(variant "$kind")" && "$R" -q -u "sqlite:///$run" migrate $(batch_args "$kind")) \
				2>"$OUT/sqlite-$kind.r$r.err" || die "sqlite: migrate failed: $(cat "$OUT/sqlite-$kind.r$r.err")" ;;
			esac
			t1=$(now)
			bad=$(sqlite3 "$run" "$CHECK_SQL")
			[ "$bad" = 0 ] || die "sqlite: $kind left $bad rows not copied"
			printf 'sqlite\t%s\t%s\t%s\n' "$r" "$kind" "$(secs "$t0" "$t1")" >>"$RUNS"
			note "sqlite round $r: $kind $(secs "$t0" "$t1") s"
		done
	done
	for kind in $kinds; do
		case $kind in plain*) continue ;; esac
		mode=delete db=$tmpl
		case $kind in *-wal) mode=wal db=$OUT/sqlite-tmpl-wal.db ;; esac
		: >"$OUT/holds-sqlite-$kind.tsv"
		if command -v strace >/dev/null; then
			rm -f "$run" "$run-journal" "$run-wal" "$run-shm"
			cp "$db" "$run"
			(cd "$OUT/proj-sqlite-$(variant "$kind")" &&
				strace -f --seccomp-bpf -e trace=fcntl -ttt -o "$OUT/sqlite-$kind.strace" \
					"$R" -q -u "sqlite:///$run" migrate $(batch_args "$kind")) 2>"$OUT/sqlite-$kind.traced.err" ||
				die "sqlite: traced migrate failed: $(cat "$OUT/sqlite-$kind.traced.err")"
			sqlite_holds "$OUT/sqlite-$kind.strace" "$mode" >"$OUT/holds-sqlite-$kind.tsv"
		else
			note "sqlite: no strace: no lock-hold figures"
		fi
		base=plain
		[ "$mode" = wal ] && base=plain-wal
		info_line "$kind"
		summarize sqlite "$kind" "$base" "$OUT/holds-sqlite-$kind.tsv"
	done
	rm -f "$run" "$run-journal" "$run-wal" "$run-shm"
}

# ---- PostgreSQL -------------------------------------------------------------------------
# Every run gets a fresh copy of a template database (CREATE DATABASE …
# TEMPLATE, then CHECKPOINT; not timed), with log_min_duration_statement = 0
# on that database, so the server logs every statement with its duration
# and the backend's pid. Lock hold of a batch: from the start of its
# statement (the log line's time, written at the statement's end, minus its
# duration) to the end of the COMMIT that follows on the same backend;
# that includes the phase-row bookkeeping and the client's round trips
# inside the transaction.
pg_holds() { # LOG_EXTRACT KIND -> holds TSV on stdout, UPDATE durations to $OUT/pg-stmt-ms-KIND.tsv
	"$PY" - "$1" "$OUT/pg-stmt-ms-$2.tsv" <<'EOF'
import re, sys
from datetime import datetime
# default log_line_prefix '%m [%p] ':
# 2026-12-01 20:10:40.217 UTC [1234] LOG:  duration: 0.052 ms  statement: BEGIN
pat = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) \S+ \[(\d+)\] LOG:  duration: ([\d.]+) ms  (?:statement|execute [^:]*): (.*)$")
rnd, cur, txn = "?", {}, {}
stmt = open(sys.argv[2], "w")
print("round\tseconds")
lines = open(sys.argv[1]).read().split("\n")
i = 0
while i < len(lines):
    line = lines[i]
    i += 1
    if line.startswith("#round "):
        rnd = line.split()[1]
        continue
    m = pat.match(line)
    if not m:
        continue
    sql = m.group(4)
    while i < len(lines) and lines[i].startswith("\t"):  # statement continues
        sql += "\n" + lines[i][1:]
        i += 1
    end = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
    pid, dur = m.group(2), float(m.group(3)) / 1000
    if "SET new_col = old_col" in sql:
        txn[pid] = end - dur
        stmt.write("%s\t%.3f\n" % (rnd, dur * 1000))
    elif pid in txn and re.search(r"(?:^|;)\s*(?:COMMIT|ROLLBACK)\s*;?\s*$", sql, re.I):
        # COMMIT alone, or (retort) the last of the phase-row statements
        # sent with it in one query
        print("%s\t%.6f" % (rnd, end - txn.pop(pid)))
EOF
}

bench_pg() {
	local log=${RETORT_TEST_PG_SOCKDIR:-}/server.log admin base r kind t0 t1 bad off
	[ -r "$log" ] || { note "pg: no server log at $log (run inside tests/support/with-postgres.sh)"; return 0; }
	admin=$RETORT_TEST_PG_URL
	base=${RETORT_TEST_PG_URL%/*}
	pq() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
	note "pg: building the $N-row template"
	pq -d "$admin" -c "DROP DATABASE IF EXISTS mig_run WITH (FORCE)" \
		-c "DROP DATABASE IF EXISTS mig_tmpl WITH (FORCE)" -c "CREATE DATABASE mig_tmpl" 2>/dev/null
	(cd "$OUT/proj-pg-in" && "$R" -q -u "$base/mig_tmpl" upgrade b0000000base)
	pq -d "$base/mig_tmpl" -c "INSERT INTO t (id, old_col, payload)
	  SELECT i, 'old-' || i, md5(i::text) || substr(md5((i + 1)::text), 1, 16) FROM generate_series(1, $N) i"
	(cd "$OUT/proj-pg-in" && "$R" -q -u "$base/mig_tmpl" expand)
	pq -d "$base/mig_tmpl" -c "VACUUM (FREEZE, ANALYZE) t"
	pkinds="in keyset"
	[ "$FIXED" = 1 ] && pkinds="$pkinds in-fixed"
	for kind in $pkinds; do : >"$OUT/pg-$kind.log"; done
	for r in $(seq 1 "$ROUNDS"); do
		for kind in $(order "$r" plain $pkinds); do
			pq -d "$admin" -c "DROP DATABASE IF EXISTS mig_run WITH (FORCE)" \
				-c "CREATE DATABASE mig_run TEMPLATE mig_tmpl" \
				-c "ALTER DATABASE mig_run SET log_min_duration_statement = 0" -c "CHECKPOINT"
			off=$(wc -c <"$log")
			t0=$(now)
			case $kind in
			plain) pq -d "$base/mig_run" -c "$PLAIN_SQL" ;;
			*) (cd "$OUT/proj-pg-$(variant "$kind")" && "$R" -q -u "$base/mig_run" migrate $(batch_args "$kind")) 2>"$OUT/pg-$kind.r$r.err" ||
				die "pg: migrate failed: $(cat "$OUT/pg-$kind.r$r.err")" ;;
			esac
			t1=$(now)
			if [ "$kind" != plain ]; then
				sleep 0.3 # the last log lines
				{ printf '#round %s\n' "$r"; tail -c +$((off + 1)) "$log"; } >>"$OUT/pg-$kind.log"
			fi
			bad=$(pq -d "$base/mig_run" -c "$CHECK_SQL")
			[ "$bad" = 0 ] || die "pg: $kind left $bad rows not copied"
			printf 'pg\t%s\t%s\t%s\n' "$r" "$kind" "$(secs "$t0" "$t1")" >>"$RUNS"
			note "pg round $r: $kind $(secs "$t0" "$t1") s"
		done
	done
	pq -d "$admin" -c "DROP DATABASE IF EXISTS mig_run WITH (FORCE)" -c "DROP DATABASE IF EXISTS mig_tmpl WITH (FORCE)"
	for kind in $pkinds; do
		pg_holds "$OUT/pg-$kind.log" "$kind" >"$OUT/holds-pg-$kind.tsv"
		info_line "$kind"
		summarize pg "$kind" plain "$OUT/holds-pg-$kind.tsv"
		"$PY" - "$OUT/pg-stmt-ms-$kind.tsv" <<'EOF' | tee -a "$SUMMARY"
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
v = sorted(float(d) for _, d in rows)
if v:
    first, last = [], []
    for r in sorted(set(r for r, _ in rows)):
        x = [float(d) for rr, d in rows if rr == r]
        k = max(1, len(x) // 10)
        first.append(statistics.median(x[:k]))
        last.append(statistics.median(x[-k - 1:-1] or x[-k:]))  # the last batch changes nothing
    print("  the batch statement alone: median %.1f ms, max %.1f ms; median over the first tenth of a run's batches %.1f ms, over the last tenth %.1f ms" %
          (v[len(v) // 2], v[-1], statistics.mean(first), statistics.mean(last)))
EOF
	done
}

[ -n "${BENCH_MIGRATE_SKIP_SQLITE:-}" ] || bench_sqlite
if [ -n "${RETORT_TEST_PG_URL:-}" ] && [ -z "${BENCH_MIGRATE_SKIP_PG:-}" ]; then
	command -v psql >/dev/null || die "psql missing"
	bench_pg
else
	note "RETORT_TEST_PG_URL unset: PostgreSQL skipped (run inside tests/support/with-postgres.sh)"
fi
echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$SUMMARY"
cat "$SUMMARY"

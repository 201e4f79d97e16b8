#!/usr/bin/env bats
# safety.bats: the safety features of SPEC §7, end to end, on SQLite and
# PostgreSQL: the retort_history audit table (one row per upgrade,
# downgrade and stamp step, in the version table's schema), `verify` and
# `upgrade --strict` against changed or missing applied files (a CRLF copy
# is not a change), dirty non-transactional revisions (refusal, resume at
# the failed statement with a fixed file, `repair`, `repair --applied`),
# the "Applied:" lines of `current -v` / `history -v`, and the run lock
# (waiting, lock_timeout naming the holder, `lock = table` leases).
# PostgreSQL tests get their own database on the throwaway server of
# tests/support/with-postgres.sh and are skipped without one.

load helpers

C1=a1b2c3d4e5f6 C2=b2c3d4e5f6a1 C3=c3d4e5f6a1b2 C4=d4e5f6a1b2c3 C5=e5f6a1b2c3d4
TS_RE='[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}'

setup() {
	common_setup
	WHO="${USER:-$(id -un)}@$(hostname)"
	RVERSION=$("$RETORT_BIN" --version | awk '{print $2}')
	BG_PIDS=()
}

teardown() {
	local pid
	for pid in "${BG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

# ---- helpers ---------------------------------------------------------------

# sq SQL: one query against the test's SQLite database, '|' separated.
sq() {
	sqlite3 -separator '|' "$DB" "$1"
}

# q SQL: one query against the test's PostgreSQL database.
q() {
	pg_psql -d "$PGURL" -c "$1"
}

pg_setup() {
	pg_required
	PGURL=$(pg_url_for_test)
	export DATABASE_URL=$PGURL
}

# The audit columns that are deterministic, one row a line, oldest first:
# revision|operation|from|to|checksum|statements|success|state|failed_line|who|version
HCOLS="revision, operation, from_revisions, to_revisions, checksum, statements, success, state, COALESCE(CAST(failed_line AS TEXT), '-'), who, retort_version"

# make_nontx: the revision file $REV_FILE becomes `transactional: false`.
make_nontx() {
	sed -i 's/^-- depends_on:.*/&\n-- transactional: false/' "$REV_FILE"
}

# write_nontx ID DOWN MSG SQL: a non-transactional revision; its upgrade
# statements start on line 10 of the file (one statement a line).
write_nontx() {
	write_rev "$1" "$2" "$3" "$4" -
	make_nontx
}

# now_ms: wall-clock milliseconds.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# timed_run ARGS: `run --separate-stderr retort ARGS`, setting ELAPSED_MS.
timed_run() {
	local t0
	t0=$(now_ms)
	run --separate-stderr retort "$@"
	ELAPSED_MS=$(($(now_ms) - t0))
}

# Converts a file to CRLF line endings in place.
to_crlf() {
	sed -i 's/$/\r/' "$1"
}

# The four statements of the dirty revisions below: the 3rd fails.
DIRTY_SQL="CREATE TABLE s1 (x INTEGER);
CREATE TABLE s2 (x INTEGER);
INSERT INTO no_such_table VALUES (1);
CREATE TABLE s4 (x INTEGER);"

# ---- retort_history ------------------------------------------------------

@test "history: upgrade, downgrade and stamp each write an audit row" {
	write_rev "$C1" "" "Rev one." "CREATE TABLE t_$C1 (x INTEGER);
INSERT INTO t_$C1 VALUES (1);"
	f1=$REV_FILE
	write_rev "$C2" "$C1" "Rev two."
	f2=$REV_FILE
	write_rev "$C3" "$C2" "Rev three."
	run --separate-stderr retort upgrade "$C2"
	assert_success
	run --separate-stderr retort downgrade -1
	assert_success
	run --separate-stderr retort stamp "$C3"
	assert_success
	assert_equal "$(db_versions)" "$C3"
	run sq "SELECT $HCOLS FROM retort_history ORDER BY id"
	assert_success
	assert_output "$C1|upgrade||$C1|$(file_sum "$f1")|2|1|ok|-|$WHO|$RVERSION
$C2|upgrade|$C1|$C2|$(file_sum "$f2")|1|1|ok|-|$WHO|$RVERSION
$C2|downgrade|$C2|$C1|$(file_sum "$f2")|1|1|ok|-|$WHO|$RVERSION
$C3|stamp|$C1|$C3||0|1|ok|-|$WHO|$RVERSION"
	# no error text on success; started_at is a UTC time of this run
	assert_equal "$(sq "SELECT count(*) FROM retort_history WHERE error IS NOT NULL")" 0
	now=$(date -u +%s)
	while IFS='|' read -r started ms; do
		[[ $started =~ ^$TS_RE$ ]] || fail "started_at '$started' is not 'YYYY-MM-DD HH:MM:SS.mmm'"
		t=$(date -u -d "$started UTC" +%s)
		[ $((now - t)) -ge 0 ] && [ $((now - t)) -lt 120 ] ||
			fail "started_at $started UTC is not the time of this run (now $(date -u))"
		[[ $ms =~ ^[0-9]+$ ]] || fail "duration_ms '$ms' is not a count of milliseconds"
	done < <(sq "SELECT started_at, duration_ms FROM retort_history")
	# the stamp ran nothing: t_C3 was never created
	assert_equal "$(db_tables)" "t_$C1"
}

@test "history: the checksum ignores CRLF line endings" {
	write_rev "$C1" "" "Rev one." "CREATE TABLE t_$C1 (x INTEGER);
INSERT INTO t_$C1 VALUES (1);"
	lf_sum=$(file_sum "$REV_FILE")
	to_crlf "$REV_FILE"
	grep -q $'\r$' "$REV_FILE" || fail "the file was not converted to CRLF"
	[ "$(file_sum "$REV_FILE")" != "$lf_sum" ] || fail "CRLF and LF files hash the same"
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(sq 'SELECT checksum FROM retort_history')" "$lf_sum"
	# and back to LF: still the same file as far as verify is concerned
	sed -i 's/\r$//' "$REV_FILE"
	run --separate-stderr retort verify
	assert_success
	assert_output ""
}

@test "history: a failing transactional revision is rolled back and leaves a 'failed' row" {
	write_rev "$C1" "" "Rev one."
	write_rev "$C2" "$C1" "Rev two." "CREATE TABLE t_$C2 (x INTEGER);
INSERT INTO t_$C1 VALUES (7);
CREATE INDEX t_${C2}_x ON t_$C2 (x);
INSERT INTO no_such_table VALUES (1);"
	bad=$REV_FILE
	write_rev "$C3" "$C2" "Rev three."
	run --separate-stderr retort upgrade head
	assert_failure 1
	assert_stderr --partial "$(basename "$bad"):12:"
	assert_stderr --partial "no such table: no_such_table"
	assert_equal "$(db_versions)" "$C1"
	assert_equal "$(db_tables)" "t_$C1"
	assert_equal "$(sq "SELECT count(*) FROM t_$C1")" 0
	run sq "SELECT $HCOLS FROM retort_history ORDER BY id"
	assert_output "$C1|upgrade||$C1|$(file_sum "$VERSIONS/${C1}_rev_one.sql")|1|1|ok|-|$WHO|$RVERSION
$C2|upgrade|$C1|$C2|$(file_sum "$bad")|0|0|failed|12|$WHO|$RVERSION"
	run sq "SELECT error FROM retort_history WHERE state = 'failed'"
	assert_output --partial "no such table: no_such_table"
	# a failed (not dirty) revision blocks nothing
	run --separate-stderr retort current
	assert_success
	assert_output "$C1"
}

# ---- verify / --strict ---------------------------------------------------

@test "verify: exit 0 when files match (CRLF copies too), exit 3 naming a changed or missing file" {
	make_chain
	run --separate-stderr retort upgrade head
	assert_success
	run --separate-stderr retort verify
	assert_success
	assert_output ""
	assert_stderr --partial "Every applied revision matches its file."
	# a CRLF copy of an applied file is not a change
	f3=$VERSIONS/${C3}_rev_three.sql
	to_crlf "$f3"
	run --separate-stderr retort verify
	assert_success
	assert_output ""
	# an edited file is
	f2=$VERSIONS/${C2}_rev_two.sql
	printf -- '-- an afterthought\n' >>"$f2"
	run --separate-stderr retort verify
	assert_failure 3
	assert_output --regexp "^$C2: migrations/versions/${C2}_rev_two\.sql changed since it was applied $TS_RE UTC by $WHO\$"
	assert_equal "${#lines[@]}" 1
	assert_stderr --partial "FAILED: 1 applied revision differs from its file"
	run --separate-stderr retort --format json verify
	assert_failure 3
	assert_equal "$(printf '%s' "$output" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["ok"], len(d["differences"]), d["differences"][0]["revision"], d["differences"][0]["problem"].split(" changed")[0])')" \
		"False 1 $C2 migrations/versions/${C2}_rev_two.sql"
	# a deleted head file (the version row still names it) as well
	sed -i '$d' "$f2"
	run --separate-stderr retort verify
	assert_success
	run --separate-stderr retort --format json verify
	assert_success
	assert_equal "$(printf '%s' "$output" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["ok"], d["differences"])')" "True []"
	rm "$VERSIONS/${C5}_rev_five.sql"
	run --separate-stderr retort verify
	assert_failure 3
	assert_output "$C5: in the version table, but no revision file has this id (file missing)"
	# verify changes nothing
	assert_equal "$(db_versions)" "$C5"
}

# With the head's file gone the version row no longer leads to its
# ancestors through the graph, but retort_history still says C1..C4 were
# upgraded (and never downgraded): a change to one of them must still show.
@test "verify: a missing head file does not hide a change to another applied file" {
	make_chain
	run --separate-stderr retort upgrade head
	assert_success
	printf -- '-- an afterthought\n' >>"$VERSIONS/${C2}_rev_two.sql"
	rm "$VERSIONS/${C5}_rev_five.sql"
	run --separate-stderr retort verify
	assert_failure 3
	assert_line --regexp "^$C5: .*file missing"
	assert_line --regexp "^$C2: .*${C2}_rev_two\.sql changed since it was applied"
}

# A stamp that moved the version off a revision un-applies it: deleting its
# file afterwards is not a difference (nothing in the database needs it).
@test "verify: the file of a revision stamped off may be edited or deleted" {
	make_chain
	run --separate-stderr retort upgrade head
	assert_success
	run --separate-stderr retort stamp "$C4"
	assert_success
	# nor is an edit to it
	printf -- '-- an afterthought\n' >>"$VERSIONS/${C5}_rev_five.sql"
	run --separate-stderr retort verify
	assert_success
	assert_output ""
	rm "$VERSIONS/${C5}_rev_five.sql"
	run --separate-stderr retort verify
	assert_success
	assert_output ""
	# a still-applied file that goes missing is reported, naming the row
	rm "$VERSIONS/${C4}_rev_four.sql"
	run --separate-stderr retort verify
	assert_failure 3
	assert_line "$C4: in the version table, but no revision file has this id (file missing)"
}

@test "upgrade warns about a changed applied file and proceeds; --strict refuses and changes nothing" {
	make_chain
	run --separate-stderr retort upgrade "$C3"
	assert_success
	printf -- '-- edited after it ran\n' >>"$VERSIONS/${C2}_rev_two.sql"
	before=$(sq "SELECT count(*) FROM retort_history")
	run --separate-stderr retort upgrade head --strict
	assert_failure 1
	assert_stderr_line --regexp "^WARNI \[retort\] $C2: .*${C2}_rev_two\.sql changed since it was applied"
	assert_stderr --partial "FAILED: --strict"
	refute_stderr --partial "Running upgrade"
	assert_equal "$(db_versions)" "$C3"
	assert_equal "$(db_tables)" "t_$C1
t_$C2
t_$C3"
	assert_equal "$(sq "SELECT count(*) FROM retort_history")" "$before"
	run --separate-stderr retort upgrade head
	assert_success
	assert_stderr_line --regexp "^WARNI \[retort\] $C2: .*${C2}_rev_two\.sql changed since it was applied"
	assert_equal "$(running_lines)" "Running upgrade $C3 -> $C4, Rev four.
Running upgrade $C4 -> $C5, Rev five."
	assert_equal "$(db_versions)" "$C5"
	# an unchanged project gives no warning
	run --separate-stderr retort verify
	assert_failure 3
	sed -i '$d' "$VERSIONS/${C2}_rev_two.sql"
	run --separate-stderr retort upgrade head --strict
	assert_success
	refute_stderr --partial "WARNI"
	assert_stderr --partial "Already at $C5; nothing to do."
}

# ---- dirty non-transactional revisions (SQLite) -------------------------

@test "dirty: a non-transactional revision failing at statement 3 of 4 stays dirty; a fixed file resumes at statement 3" {
	write_rev "$C1" "" "Rev one."
	write_nontx "$C2" "$C1" "Rev two." "$DIRTY_SQL"
	f2=$REV_FILE
	write_rev "$C3" "$C2" "Rev three."
	run --separate-stderr retort upgrade head
	assert_failure 1
	assert_stderr --partial "$(basename "$f2"):12:"
	assert_stderr --partial "dirty"
	assert_stderr --partial "INSERT INTO no_such_table"
	# the first two statements' effects stay; the version did not move
	assert_equal "$(db_tables)" "s1
s2
t_$C1"
	assert_equal "$(db_versions)" "$C1"
	run sq "SELECT $HCOLS FROM retort_history WHERE revision = '$C2'"
	assert_output "$C2|upgrade|$C1|$C2|$(file_sum "$f2")|2|0|dirty|12|$WHO|$RVERSION"
	# current shows the version, then refuses
	run --separate-stderr retort current
	assert_failure 1
	assert_output "$C1"
	assert_stderr --partial "FAILED:"
	assert_stderr --partial "$C2 is dirty"
	run --separate-stderr retort --format json current
	assert_failure 1
	assert_equal "$(printf '%s' "$output" | python3 -c 'import json,sys; d=json.load(sys.stdin); x=d["dirty"]; print(d["current"][0]["revision"], x["revision"], x["operation"], x["statements_run"], x["failed_line"])')" \
		"$C1 $C2 upgrade 2 12"
	# upgrade with the unchanged file refuses, naming revision and statement
	run --separate-stderr retort upgrade head
	assert_failure 1
	assert_stderr --partial "$(basename "$f2"):12:"
	assert_stderr --partial "revision $C2 is dirty"
	assert_stderr --partial "INSERT INTO no_such_table"
	refute_stderr --partial "Running upgrade"
	assert_equal "$(db_versions)" "$C1"
	broken_sum=$(file_sum "$f2")
	# fixed: resumes at statement 3; re-running the CREATE TABLEs of
	# statements 1-2 would fail, so success proves they did not run again
	sed -i 's/^INSERT INTO no_such_table VALUES (1);$/CREATE TABLE s3 (x INTEGER);/' "$f2"
	run --separate-stderr retort upgrade head
	assert_success
	assert_stderr --partial "Resuming $C2 at statement 3 of 4"
	assert_equal "$(running_lines)" "Running upgrade $C1 -> $C2, Rev two.
Running upgrade $C2 -> $C3, Rev three."
	assert_equal "$(db_versions)" "$C3"
	assert_equal "$(db_tables)" "s1
s2
s3
s4
t_$C1
t_$C3"
	run sq "SELECT $HCOLS FROM retort_history WHERE revision = '$C2' ORDER BY id"
	assert_output "$C2|upgrade|$C1|$C2|$broken_sum|2|0|resolved|12|$WHO|$RVERSION
$C2|upgrade|$C1|$C2|$(file_sum "$f2")|4|1|ok|-|$WHO|$RVERSION"
	assert_equal "$(sq "SELECT count(*) FROM retort_history WHERE state = 'dirty'")" 0
	run --separate-stderr retort current
	assert_success
	assert_output "$C3 (head)"
	run --separate-stderr retort verify
	assert_success
}

@test "repair: with no dirty revision says 'nothing to repair' and changes nothing" {
	make_chain
	run --separate-stderr retort upgrade "$C2"
	assert_success
	before=$(sq "SELECT count(*) FROM retort_history")
	run --separate-stderr retort repair
	assert_success
	assert_output --partial "nothing to repair"
	run --separate-stderr retort repair --applied
	assert_success
	assert_output --partial "nothing to repair"
	assert_equal "$(db_versions)" "$C2"
	assert_equal "$(sq "SELECT count(*) FROM retort_history")" "$before"
}

@test "repair: clears a dirty revision; the next upgrade runs it again from its first statement" {
	write_rev "$C1" "" "Rev one."
	write_nontx "$C2" "$C1" "Rev two." "$DIRTY_SQL"
	f2=$REV_FILE
	run --separate-stderr retort upgrade head
	assert_failure 1
	assert_equal "$(db_tables)" "s1
s2
t_$C1"
	# the human undoes the partial work, then tells retort
	sq "DROP TABLE s1; DROP TABLE s2;"
	run --separate-stderr retort repair
	assert_success
	assert_output --partial "repaired $C2"
	assert_output --partial "the next upgrade runs it again"
	assert_equal "$(sq "SELECT state FROM retort_history WHERE revision = '$C2' AND success = 0")" resolved
	assert_equal "$(db_versions)" "$C1"
	run --separate-stderr retort current
	assert_success
	assert_output "$C1"
	# the file fixed, the revision runs whole (s1 exists again)
	sed -i 's/^INSERT INTO no_such_table VALUES (1);$/CREATE TABLE s3 (x INTEGER);/' "$f2"
	run --separate-stderr retort upgrade head
	assert_success
	refute_stderr --partial "Resuming"
	assert_equal "$(running_lines)" "Running upgrade $C1 -> $C2, Rev two."
	assert_equal "$(db_tables)" "s1
s2
s3
s4
t_$C1"
	assert_equal "$(db_versions)" "$C2"
	assert_equal "$(sq "SELECT statements FROM retort_history WHERE revision = '$C2' AND operation = 'upgrade' AND state = 'ok'")" 4
}

@test "repair --applied: marks a dirty revision applied; the version moves to it" {
	write_rev "$C1" "" "Rev one."
	write_nontx "$C2" "$C1" "Rev two." "$DIRTY_SQL"
	write_rev "$C3" "$C2" "Rev three."
	run --separate-stderr retort upgrade "$C2"
	assert_failure 1
	# the human finishes the revision by hand
	sq "CREATE TABLE s4 (x INTEGER);"
	run --separate-stderr retort repair --applied
	assert_success
	assert_output --partial "repaired $C2"
	assert_equal "$(db_versions)" "$C2"
	run --separate-stderr retort current
	assert_success
	assert_output "$C2"
	run sq "SELECT operation, state, success FROM retort_history WHERE revision = '$C2' ORDER BY id"
	assert_output "upgrade|resolved|0
repair|ok|1"
	run --separate-stderr retort upgrade "$C2"
	assert_success
	assert_stderr --partial "Already at $C2; nothing to do."
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(running_lines)" "Running upgrade $C2 -> $C3, Rev three."
	assert_equal "$(db_versions)" "$C3"
}

# A resumed run that fails again at a later statement must leave the
# revision dirty at *that* statement: the next run refuses the unchanged
# file, and a fixed file resumes after the last statement that ran.
@test "dirty: a fixed file that also changes the statements that already ran is refused, not resumed" {
	write_rev "$C1" "" "Rev one."
	write_nontx "$C2" "$C1" "Rev two." "$DIRTY_SQL"
	f2=$REV_FILE
	run --separate-stderr retort upgrade head
	assert_failure 1
	# statement 2 (already ran) edited along with the failing statement 3
	sed -i -e 's/^CREATE TABLE s2 (x INTEGER);$/CREATE TABLE s2b (x INTEGER);/' \
		-e 's/^INSERT INTO no_such_table VALUES (1);$/CREATE TABLE s3 (x INTEGER);/' "$f2"
	run --separate-stderr retort upgrade head
	assert_failure 1
	assert_stderr --partial "$(basename "$f2"):"
	assert_stderr --partial "revision $C2 is dirty after 2 statements, and the fixed file changes them"
	refute_stderr --partial "Resuming"
	assert_equal "$(db_tables)" "s1
s2
t_$C1"
	assert_equal "$(db_versions)" "$C1"
	assert_equal "$(sq "SELECT count(*) FROM retort_history WHERE state = 'dirty'")" 1
	# restoring them lets the resume go on at statement 3
	sed -i 's/^CREATE TABLE s2b (x INTEGER);$/CREATE TABLE s2 (x INTEGER);/' "$f2"
	run --separate-stderr retort upgrade head
	assert_success
	assert_stderr --partial "Resuming $C2 at statement 3 of 4"
	assert_equal "$(db_versions)" "$C2"
}

@test "dirty: a resume that fails again at statement 4 records 3 statements run; the next resume starts at 4" {
	write_rev "$C1" "" "Rev one."
	write_nontx "$C2" "$C1" "Rev two." "CREATE TABLE s1 (x INTEGER);
CREATE TABLE s2 (x INTEGER);
INSERT INTO no_such_table VALUES (1);
INSERT INTO other_missing_table VALUES (1);"
	f2=$REV_FILE
	run --separate-stderr retort upgrade head
	assert_failure 1
	assert_stderr --partial "$(basename "$f2"):12:"
	# fix statement 3 only: the resume runs it, then fails at statement 4
	sed -i 's/^INSERT INTO no_such_table VALUES (1);$/CREATE TABLE s3 (x INTEGER);/' "$f2"
	run --separate-stderr retort upgrade head
	assert_failure 1
	assert_stderr --partial "Resuming $C2 at statement 3 of 4"
	assert_stderr --partial "$(basename "$f2"):13:"
	assert_equal "$(db_tables)" "s1
s2
s3
t_$C1"
	# the state retort reports is the latest: 3 statements ran, line 13
	run --separate-stderr retort current
	assert_failure 1
	assert_stderr --partial "$(basename "$f2"):13:"
	assert_stderr --partial "stopped after 3 statements"
	# the unchanged file is refused, not run again
	run --separate-stderr retort upgrade head
	assert_failure 1
	assert_stderr --partial "revision $C2 is dirty"
	refute_stderr --partial "Resuming"
	refute_stderr --partial "already exists"
	# fixed: resumes at statement 4 and completes
	sed -i 's/^INSERT INTO other_missing_table VALUES (1);$/CREATE TABLE s4 (x INTEGER);/' "$f2"
	run --separate-stderr retort upgrade head
	assert_success
	assert_stderr --partial "Resuming $C2 at statement 4 of 4"
	assert_equal "$(db_versions)" "$C2"
	assert_equal "$(sq "SELECT count(*) FROM retort_history WHERE state = 'dirty'")" 0
}

# ---- Applied: lines --------------------------------------------------------

@test "current -v and history -v show when, by whom and how long; history -v creates no database" {
	make_chain
	run --separate-stderr retort -v history
	assert_success
	refute_output --partial "Applied:"
	[ ! -e "$DB" ] || fail "history -v created $DB"
	run --separate-stderr retort history -v
	assert_success
	[ ! -e "$DB" ] || fail "history -v created $DB"
	run --separate-stderr retort upgrade "$C2"
	assert_success
	run --separate-stderr retort current -v
	assert_success
	assert_line --index 1 "Rev: $C2"
	assert_line --regexp "^Applied: $TS_RE UTC by $WHO \([0-9]+ ms\)\$"
	assert_equal "$(grep -c '^Applied:' <<<"$output")" 1
	run --separate-stderr retort history -v
	assert_success
	assert_equal "$(grep -c '^Applied:' <<<"$output")" 2
	# each Applied: line belongs to an applied revision's record
	applied_revs=$(awk '/^Rev: /{r=$2} /^Applied: /{print r}' <<<"$output" | sort)
	assert_equal "$applied_revs" "$C1
$C2"
	started=$(sq "SELECT started_at FROM retort_history WHERE revision = '$C1'")
	ms=$(sq "SELECT duration_ms FROM retort_history WHERE revision = '$C1'")
	assert_line "Applied: $started UTC by $WHO ($ms ms)"
	# a downgraded revision is no longer shown as applied
	run --separate-stderr retort downgrade -1
	assert_success
	run --separate-stderr retort history -v
	assert_success
	assert_equal "$(awk '/^Rev: /{r=$2} /^Applied: /{print r}' <<<"$output")" "$C1"
}

# `stamp` at the current head records a 'stamp' row; verify must still
# check the head's file against the checksum of the upgrade that ran it.
@test "verify: a later stamp does not hide a change to an applied file" {
	make_chain
	run --separate-stderr retort upgrade head
	assert_success
	run --separate-stderr retort stamp head
	assert_success
	printf -- '-- edited after it ran\n' >>"$VERSIONS/${C5}_rev_five.sql"
	run --separate-stderr retort verify
	assert_failure 3
	assert_line --regexp "^$C5: .*${C5}_rev_five\.sql changed since it was applied"
}

# ---- run lock (SQLite) ---------------------------------------------------

# hold_sqlite_lock SECONDS: another process takes the flock on app.db and
# keeps it SECONDS; returns once it holds it. Sets HOLDER.
hold_sqlite_lock() {
	rm -f "$BATS_TEST_TMPDIR/locked"
	python3 -c 'import fcntl, sys, time
f = open("app.db", "a")
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(float(sys.argv[1]))' "$1" "$BATS_TEST_TMPDIR/locked" 3>&- &
	HOLDER=$!
	BG_PIDS+=("$HOLDER")
	local i
	for ((i = 0; i < 100; i++)); do
		[ -e "$BATS_TEST_TMPDIR/locked" ] && return 0
		sleep 0.05
	done
	fail "the lock holder did not start"
}

@test "lock (sqlite): a second run waits for the holder, then runs" {
	make_chain
	# the holder keeps the lock until the run says it is waiting (causal:
	# a slow start, under valgrind, cannot outrun it)
	rm -f "$BATS_TEST_TMPDIR/locked" "$BATS_TEST_TMPDIR/release"
	python3 -c 'import fcntl, os, sys, time
f = open("app.db", "a")
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[1], "w").close()
while not os.path.exists(sys.argv[2]):
    time.sleep(0.05)' "$BATS_TEST_TMPDIR/locked" "$BATS_TEST_TMPDIR/release" 3>&- &
	HOLDER=$!
	BG_PIDS+=("$HOLDER")
	for ((i = 0; i < 200; i++)); do
		[ -e "$BATS_TEST_TMPDIR/locked" ] && break
		sleep 0.05
	done
	"$RETORT_BIN" upgrade head >"$BATS_TEST_TMPDIR/run.out" 2>"$BATS_TEST_TMPDIR/run.err" 3>&- &
	local runner=$!
	BG_PIDS+=("$runner")
	for ((i = 0; i < 1200; i++)); do
		grep -q "Waiting for the run lock" "$BATS_TEST_TMPDIR/run.err" && break
		kill -0 "$runner" 2>/dev/null || break
		sleep 0.05
	done
	# still waiting, and nothing ran while the holder holds the lock
	kill -0 "$runner" || fail "the run ended while the lock was held: $(cat "$BATS_TEST_TMPDIR/run.err")"
	grep -q "Waiting for the run lock" "$BATS_TEST_TMPDIR/run.err" || fail "never said it waits"
	! grep -q "Running upgrade" "$BATS_TEST_TMPDIR/run.err" || fail "ran while the lock was held"
	touch "$BATS_TEST_TMPDIR/release"
	local rc=0
	wait "$runner" || rc=$?
	[ "$rc" -eq 0 ] || fail "the run exited $rc: $(cat "$BATS_TEST_TMPDIR/run.err")"
	grep -q "Running upgrade d4e5f6a1b2c3 -> e5f6a1b2c3d4" "$BATS_TEST_TMPDIR/run.err" || fail "did not run after the holder"
	assert_equal "$(db_versions)" "$C5"
	wait "$HOLDER" || true
	run --separate-stderr retort upgrade head
	assert_success
	assert_stderr --partial "Already at $C5; nothing to do."
}

@test "lock (sqlite): waiting for SQLite's own write lock, held by another program, says so" {
	make_chain
	sqlite3 "$DB" "CREATE TABLE other (a)"
	# another program (not retort) in a write transaction for 2 s
	( sqlite3 "$DB" "BEGIN EXCLUSIVE; INSERT INTO other VALUES (1);" ".system sleep 2" "COMMIT;" >/dev/null 2>&1 ) &
	local other=$!
	for _ in $(seq 50); do
		sqlite3 "$DB" "SELECT count(*) FROM sqlite_master" >/dev/null 2>&1 || break
		sleep 0.1
	done
	run --separate-stderr retort upgrade head
	assert_success
	assert_stderr --regexp "Waiting for SQLite's write lock on [^ ]*app.db: another connection holds it \(lock_timeout 60 s\)"
	assert_equal "$(db_versions)" "$C5"
	wait "$other" || true
}

@test "lock (sqlite): with lock_timeout = 1 a run gives up quickly with exit 1 naming the holder's pid" {
	make_chain
	printf 'lock_timeout = 1\n' >>retort.ini
	hold_sqlite_lock 10
	timed_run upgrade head
	assert_failure 1
	[ "$ELAPSED_MS" -ge 900 ] || fail "gave up before lock_timeout (${ELAPSED_MS} ms)"
	# the holder still has the lock: the run gave up on its own
	kill -0 "$HOLDER" || fail "the lock holder ended before the run gave up"
	assert_stderr --regexp "FAILED: .*run lock.*pid $HOLDER\b"
	refute_stderr --partial "Running upgrade"
	assert_equal "$(sq "SELECT count(*) FROM sqlite_master WHERE name LIKE 'retort%'")" 0
	kill "$HOLDER"
	wait "$HOLDER" || true
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(db_versions)" "$C5"
	run --separate-stderr retort upgrade head
	assert_success
	assert_stderr --partial "Already at $C5; nothing to do."
}

# ---- PostgreSQL ------------------------------------------------------------

@test "pg: history rows go to <version_table_schema>.retort_history, failed rows included" {
	pg_setup
	printf 'version_table_schema = audit\n' >>retort.ini
	write_rev "$C1" "" "Rev one." "CREATE TABLE t_$C1 (x INTEGER);
INSERT INTO t_$C1 VALUES (1);"
	f1=$REV_FILE
	write_rev "$C2" "$C1" "Rev two." "CREATE TABLE t_$C2 (x INTEGER);
INSERT INTO t_$C1 VALUES (2);
SELECT 1;
SELECT 1 / 0;"
	f2=$REV_FILE
	run --separate-stderr retort upgrade head
	assert_failure 1
	assert_stderr --partial "$(basename "$f2"):12:"
	assert_stderr --partial "division by zero"
	assert_equal "$(q 'SELECT version_num FROM audit.retort_version')" "$C1"
	assert_equal "$(q "SELECT to_regclass('public.t_$C2') IS NULL")" t
	assert_equal "$(q "SELECT count(*) FROM t_$C1")" 1
	assert_equal "$(q "SELECT to_regclass('public.retort_history') IS NULL")" t
	run q "SELECT $HCOLS FROM audit.retort_history ORDER BY id"
	assert_success
	assert_output "$C1|upgrade||$C1|$(file_sum "$f1")|2|1|ok|-|$WHO|$RVERSION
$C2|upgrade|$C1|$C2|$(file_sum "$f2")|0|0|failed|12|$WHO|$RVERSION"
	assert_equal "$(q "SELECT error LIKE '%division by zero%' FROM audit.retort_history WHERE state = 'failed'")" t
	# verify reads the schema's history: a CRLF copy is no change, an edit is
	cp "$f1" "$BATS_TEST_TMPDIR/f1.orig"
	to_crlf "$f1"
	run --separate-stderr retort verify
	assert_success
	assert_output ""
	printf -- '-- changed\n' >>"$f1"
	run --separate-stderr retort verify
	assert_failure 3
	assert_output --partial "$C1: migrations/versions/$(basename "$f1") changed since it was applied"
	cp "$BATS_TEST_TMPDIR/f1.orig" "$f1"
	run --separate-stderr retort downgrade base
	assert_success
	run --separate-stderr retort stamp "$C1"
	assert_success
	run q "SELECT revision, operation, from_revisions, to_revisions, checksum, success, state FROM audit.retort_history WHERE id > 2 ORDER BY id"
	assert_output "$C1|downgrade|$C1||$(file_sum "$f1")|1|ok
$C1|stamp||$C1||1|ok"
	assert_equal "$(q 'SELECT version_num FROM audit.retort_version')" "$C1"
	assert_equal "$(q "SELECT to_regclass('public.t_$C1') IS NULL")" t
}

@test "pg: a dirty CREATE INDEX CONCURRENTLY revision refuses, then resumes at the failed statement" {
	pg_setup
	write_rev "$C1" "" "Rev one." "CREATE TABLE big (id INTEGER);
INSERT INTO big SELECT generate_series(1, 1000);" "DROP TABLE big;"
	write_nontx "$C2" "$C1" "Rev two." "CREATE TABLE s1 (id INTEGER);
CREATE INDEX CONCURRENTLY big_id ON big (id);
INSERT INTO no_such_table VALUES (1);
CREATE TABLE s4 (id INTEGER);"
	f2=$REV_FILE
	write_rev "$C3" "$C2" "Rev three."
	run --separate-stderr retort upgrade head
	assert_failure 1
	assert_stderr --partial "$(basename "$f2"):12:"
	assert_stderr --partial "dirty"
	assert_stderr --partial "no_such_table"
	# statements 1-2 ran for real, outside any transaction, and stay
	assert_equal "$(q "SELECT to_regclass('public.s1') IS NOT NULL")" t
	assert_equal "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.big_id'::regclass")" t
	assert_equal "$(q "SELECT to_regclass('public.s4') IS NULL")" t
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$C1"
	run q "SELECT $HCOLS FROM retort_history WHERE revision = '$C2'"
	assert_output "$C2|upgrade|$C1|$C2|$(file_sum "$f2")|2|0|dirty|12|$WHO|$RVERSION"
	run --separate-stderr retort current
	assert_failure 1
	assert_output "$C1"
	assert_stderr --partial "FAILED:"
	assert_stderr --partial "$C2 is dirty"
	run --separate-stderr retort upgrade head
	assert_failure 1
	assert_stderr --partial "revision $C2 is dirty"
	assert_stderr --partial "$(basename "$f2"):12:"
	assert_stderr --partial "INSERT INTO no_such_table"
	refute_stderr --partial "Running upgrade"
	# fixed with another concurrent index build: resumes at statement 3
	# (re-running CREATE TABLE s1 / CREATE INDEX big_id would fail)
	sed -i 's/^INSERT INTO no_such_table VALUES (1);$/CREATE INDEX CONCURRENTLY s1_id ON s1 (id);/' "$f2"
	run --separate-stderr retort upgrade head
	assert_success
	assert_stderr --partial "Resuming $C2 at statement 3 of 4"
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$C3"
	assert_equal "$(q "SELECT to_regclass('public.s1_id') IS NOT NULL AND to_regclass('public.s4') IS NOT NULL")" t
	run q "SELECT state, statements, success FROM retort_history WHERE revision = '$C2' ORDER BY id"
	assert_output "resolved|2|0
ok|4|1"
	run --separate-stderr retort current
	assert_success
	assert_output "$C3 (head)"
}

@test "pg: repair clears a dirty revision (it runs again from statement 1); repair --applied moves the version" {
	pg_setup
	write_rev "$C1" "" "Rev one." "CREATE TABLE big (id INTEGER);" "DROP TABLE big;"
	write_nontx "$C2" "$C1" "Rev two." "CREATE TABLE s1 (id INTEGER);
CREATE INDEX CONCURRENTLY big_id ON big (id);
SELECT 1 / 0;
CREATE TABLE s4 (id INTEGER);"
	f2=$REV_FILE
	write_nontx "$C3" "$C2" "Rev three." "CREATE TABLE u1 (id INTEGER);
CREATE TABLE u2 (id INTEGER);
SELECT 1 / 0;
CREATE TABLE u4 (id INTEGER);"
	run --separate-stderr retort repair
	assert_success
	assert_output --partial "nothing to repair"
	run --separate-stderr retort upgrade head
	assert_failure 1
	assert_stderr --partial "$(basename "$f2"):12:"
	# undo by hand, then repair: the revision is no longer dirty
	q "DROP TABLE s1; DROP INDEX big_id;"
	run --separate-stderr retort repair
	assert_success
	assert_output --partial "repaired $C2"
	assert_equal "$(q "SELECT count(*) FROM retort_history WHERE state = 'dirty'")" 0
	run --separate-stderr retort current
	assert_success
	assert_output "$C1"
	sed -i 's|^SELECT 1 / 0;$|SELECT 1;|' "$f2"
	run --separate-stderr retort upgrade "$C2"
	assert_success
	refute_stderr --partial "Resuming"
	assert_equal "$(q "SELECT to_regclass('public.s1') IS NOT NULL AND to_regclass('public.big_id') IS NOT NULL AND to_regclass('public.s4') IS NOT NULL")" t
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$C2"
	# C3 goes dirty; finished by hand, then repair --applied
	run --separate-stderr retort upgrade head
	assert_failure 1
	assert_stderr --partial "dirty"
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$C2"
	q "CREATE TABLE u4 (id INTEGER);"
	run --separate-stderr retort repair --applied
	assert_success
	assert_output --partial "repaired $C3"
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$C3"
	run --separate-stderr retort current
	assert_success
	assert_output "$C3 (head)"
	run q "SELECT operation, state, success FROM retort_history WHERE revision = '$C3' ORDER BY id"
	assert_output "upgrade|resolved|0
repair|ok|1"
	run --separate-stderr retort upgrade head
	assert_success
	assert_stderr --partial "Already at $C3; nothing to do."
}

@test "pg: current -v shows the Applied: line" {
	pg_setup
	make_chain
	run --separate-stderr retort upgrade "$C3"
	assert_success
	run --separate-stderr retort current -v
	assert_success
	assert_line --regexp "^Applied: $TS_RE UTC by $WHO \([0-9]+ ms\)\$"
	run --separate-stderr retort history -v
	assert_success
	assert_equal "$(awk '/^Rev: /{r=$2} /^Applied: /{print r}' <<<"$output" | sort)" "$C1
$C2
$C3"
}

@test "pg: a second run waits on the advisory lock; lock_timeout = 1 gives up naming the retort holder's pid" {
	pg_setup
	write_rev "$C1" "" "Slow." "CREATE TABLE slow (x INTEGER);
SELECT pg_sleep(8);"
	"$RETORT_BIN" upgrade head >"$BATS_TEST_TMPDIR/holder.out" 2>"$BATS_TEST_TMPDIR/holder.err" 3>&- &
	holder=$!
	BG_PIDS+=("$holder")
	for ((i = 0; i < 100; i++)); do
		[ "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" -ge 1 ] && break
		sleep 0.05
	done
	[ "$i" -lt 100 ] || fail "the holder never took the lock: $(cat "$BATS_TEST_TMPDIR/holder.err")"
	printf 'lock_timeout = 1\n' >>retort.ini
	timed_run upgrade head
	assert_failure 1
	# the holder is still running: the run gave up on its own
	kill -0 "$holder" || fail "the holder ended before the run gave up"
	assert_stderr --partial "Waiting for the run lock"
	assert_stderr --partial "FAILED: could not take the run lock"
	assert_stderr --partial "retort"
	assert_stderr --partial "pid $holder"
	refute_stderr --partial "Running upgrade"
	holder_rc=0
	wait "$holder" || holder_rc=$?
	[ "$holder_rc" -eq 0 ] || fail "the holder exited $holder_rc: $(cat "$BATS_TEST_TMPDIR/holder.err")"
	run --separate-stderr retort upgrade head
	assert_success
	assert_stderr --partial "Already at $C1; nothing to do."
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$C1"
	assert_equal "$(q "SELECT count(*) FROM retort_history WHERE revision = '$C1'")" 1
}

@test "pg: lock = table: the lease is released after a run; a stale lease is taken over" {
	pg_setup
	printf 'lock = table\nlock_timeout = 1\n' >>retort.ini
	make_chain
	run --separate-stderr retort upgrade "$C2"
	assert_success
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$C2"
	assert_equal "$(q 'SELECT count(*) FROM retort_lock')" 0
	# a run that died left its lease; it expired a minute ago
	q "INSERT INTO retort_lock (name, token, holder, pid, acquired_at, expires_at)
	   VALUES ('retort_version', 'dead-token', 'retort ghost@gone pid 999', 999,
	           extract(epoch FROM now())::bigint - 400, extract(epoch FROM now())::bigint - 60)"
	timed_run upgrade head
	assert_success
	refute_stderr --partial "Waiting for the run lock"
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$C5"
	assert_equal "$(q 'SELECT count(*) FROM retort_lock')" 0
}

@test "pg: lock = table: a live lease of another holder makes a run give up with exit 1 naming it" {
	pg_setup
	printf 'lock = table\nlock_timeout = 1\n' >>retort.ini
	make_chain
	run --separate-stderr retort upgrade "$C2"
	assert_success
	q "INSERT INTO retort_lock (name, token, holder, pid, acquired_at, expires_at)
	   VALUES ('retort_version', 'live-token', 'retort deploy@otherhost pid 4242', 4242,
	           extract(epoch FROM now())::bigint, extract(epoch FROM now())::bigint + 3600)"
	timed_run upgrade head
	assert_failure 1
	[ "$ELAPSED_MS" -ge 900 ] || fail "gave up before lock_timeout (${ELAPSED_MS} ms)"
	assert_stderr --partial "FAILED: could not take the run lock"
	assert_stderr --partial "deploy@otherhost pid 4242"
	refute_stderr --partial "Running upgrade"
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$C2"
	# the other holder's lease is left alone
	assert_equal "$(q 'SELECT token FROM retort_lock')" live-token
}

@test "pg: lock = table: repair --lock releases the lease a dead run left; the timeout message says so" {
	pg_setup
	printf 'lock = table\nlock_timeout = 1\n' >>retort.ini
	make_chain
	run --separate-stderr retort repair --lock
	assert_success
	assert_output "nothing to release: no lease on retort_version"
	run --separate-stderr retort upgrade "$C2"
	assert_success
	q "INSERT INTO retort_lock (name, token, holder, pid, acquired_at, expires_at)
	   VALUES ('retort_version', 'dead-token', 'retort ops@deadhost pid 4242', 4242,
	           extract(epoch FROM now())::bigint - 10, extract(epoch FROM now())::bigint + 3600)"
	run --separate-stderr retort upgrade head
	assert_failure 1
	assert_stderr --regexp "held by retort ops@deadhost pid 4242 since [0-9-]+ [0-9:]+ UTC \(lease expires in [0-9]+ s; if that run is gone, 'retort repair --lock' releases it now\)"
	run --separate-stderr retort repair --lock --applied
	assert_failure 2
	run --separate-stderr retort repair --lock
	assert_success
	assert_output --regexp "^released the run lock on retort_version held by retort ops@deadhost pid 4242 since [0-9-]+ [0-9:]+ UTC$"
	assert_equal "$(q 'SELECT count(*) FROM retort_lock')" 0
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$C5"
	# a session lock needs no release
	sed -i 's/^lock = table$/lock = advisory/' retort.ini
	run --separate-stderr retort repair --lock
	assert_success
	assert_output --partial "nothing to release: lock = advisory is held by a session"
}

# chain of N revisions on PostgreSQL, each sleeping S seconds: a run that
# lasts longer than its lease.
slow_chain() {
	local n=$1 s=$2 prev="" i id
	for ((i = 1; i <= n; i++)); do
		id=$(printf 'slow%08d' "$i")
		write_rev "$id" "$prev" "slow $i" "SELECT pg_sleep($s); CREATE TABLE t_$id (x INTEGER);" "DROP TABLE t_$id;"
		prev=$id
	done
}

# Waits (up to 30 s: valgrind runs are slow to start) until a run holds the lease.
wait_for_lease() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(q "SELECT count(*) FROM pg_tables WHERE tablename = 'retort_lock'")" = 1 ] &&
			[ "$(q 'SELECT count(*) FROM retort_lock')" = 1 ] && return 0
		sleep 0.1
	done
	fail "no run took the lease"
}

# outlast_lease N S: a run of N steps of S seconds each holds a 2 s lease;
# 2.5 s after it took the lease (past its first expiry, so only renewal
# keeps it), a second run starts, must wait for it and then find nothing
# to do. Both must exit 0; the first run must still hold the lease when the
# second starts.
outlast_lease() {
	printf 'lock = table\nlock_lease = 2\nlock_timeout = 60\n' >>retort.ini
	slow_chain "$1" "$2"
	"$RETORT_BIN" upgrade head >"$BATS_TEST_TMPDIR/a.out" 2>"$BATS_TEST_TMPDIR/a.err" &
	local a=$! arc=0
	BG_PIDS+=("$a")
	wait_for_lease
	sleep 2.5
	assert_equal "$(q 'SELECT count(*) FROM retort_lock WHERE expires_at >= extract(epoch FROM now())::bigint')" 1
	run --separate-stderr retort upgrade head
	local brc=$status
	wait "$a" || arc=$?
	[ "$arc" = 0 ] || fail "first run failed ($arc): $(cat "$BATS_TEST_TMPDIR/a.err")"
	[ "$brc" = 0 ] || fail "second run failed ($brc): $stderr"
	assert_stderr --partial "Waiting for the run lock"
	assert_stderr --partial "nothing to do"
	refute_stderr --partial "Running upgrade"
	assert_equal "$(grep -c 'Running upgrade' "$BATS_TEST_TMPDIR/a.err")" "$1"
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$(printf 'slow%08d' "$1")"
	assert_equal "$(q "SELECT count(*) FROM retort_history WHERE operation = 'upgrade'")" "$1"
	assert_equal "$(q 'SELECT count(*) FROM retort_lock')" 0
}

@test "pg: lock = table: a run longer than lock_lease renews its lease, so a waiting run does not take it over" {
	pg_setup
	# 12 steps of 0.8 s: the run outlasts the waiting run's start even under
	# valgrind, where starting a process takes seconds
	outlast_lease 12 0.8
}

@test "pg: lock = table: one statement longer than lock_lease keeps the lease (heartbeat connection)" {
	pg_setup
	# one step of 7 s, three leases long: no step boundary to renew at
	outlast_lease 1 7
	# the heartbeat's connection is gone with the run (backends exit
	# asynchronously after the client hangs up: poll)
	local i n
	for ((i = 0; i < 50; i++)); do
		n=$(q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'retort%'")
		[ "$n" = 0 ] && break
		sleep 0.1
	done
	assert_equal "$n" 0
}

@test "pg: lock = table: a run whose lease was taken over stops with exit 1 before its next step" {
	pg_setup
	printf 'lock = table\nlock_lease = 2\n' >>retort.ini
	slow_chain 6 0.8
	"$RETORT_BIN" upgrade head >"$BATS_TEST_TMPDIR/a.out" 2>"$BATS_TEST_TMPDIR/a.err" &
	local a=$!
	BG_PIDS+=("$a")
	wait_for_lease
	# another run took the lease over (as if ours had expired)
	q "UPDATE retort_lock SET token = 'thief', holder = 'retort thief@elsewhere pid 1'"
	local arc=0
	wait "$a" || arc=$?
	assert_equal "$arc" 1
	grep -q "lost the run lock" "$BATS_TEST_TMPDIR/a.err" || fail "$(cat "$BATS_TEST_TMPDIR/a.err")"
	# it stopped between steps: the version names exactly what ran
	local v
	v=$(q 'SELECT version_num FROM retort_version')
	local k=${v#slow}
	k=$((10#$k))
	[ "$k" -ge 1 ] && [ "$k" -lt 6 ] || fail "version $v"
	assert_equal "$(q "SELECT count(*) FROM pg_tables WHERE tablename LIKE 't_slow%'")" "$k"
	# the thief's lease is left alone
	assert_equal "$(q 'SELECT token FROM retort_lock')" thief
}

@test "pg: lock = table: a heartbeat whose connection drops reconnects, so the lease stays with the running run" {
	pg_setup
	printf 'lock = table\nlock_lease = 2\nlock_timeout = 60\n' >>retort.ini
	# one step of 9 s: only the heartbeat can keep the 2 s lease
	slow_chain 1 9
	"$RETORT_BIN" upgrade head >"$BATS_TEST_TMPDIR/a.out" 2>"$BATS_TEST_TMPDIR/a.err" &
	local a=$! arc=0 i
	BG_PIDS+=("$a")
	wait_for_lease
	# the statement is running: the run's own backend is busy in pg_sleep
	for ((i = 0; i < 300; i++)); do
		[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep%' AND state = 'active'")" = 1 ] && break
		sleep 0.1
	done
	# drop the heartbeat's connection: every other idle session of the run
	q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle' AND application_name LIKE 'retort%'" >/dev/null
	# two lease periods later the lease must still be alive and the run's
	sleep 4
	kill -0 "$a" || fail "the run ended early: $(cat "$BATS_TEST_TMPDIR/a.err")"
	assert_equal "$(q 'SELECT count(*) FROM retort_lock WHERE expires_at >= extract(epoch FROM now())::bigint')" 1
	# so a second run waits for it instead of taking it over
	run --separate-stderr retort upgrade head
	wait "$a" || arc=$?
	[ "$arc" = 0 ] || fail "first run failed ($arc): $(cat "$BATS_TEST_TMPDIR/a.err")"
	assert_success
	assert_stderr --partial "Waiting for the run lock"
	assert_stderr --partial "nothing to do"
	assert_equal "$(q "SELECT count(*) FROM retort_history WHERE operation = 'upgrade'")" 1
}

#!/usr/bin/env bats
# faults.bats: what a run leaves behind when something goes wrong under it,
# on SQLite and PostgreSQL:
#   - kill -9 inside a `transactional: false` revision, and its connection
#     terminated by the server: the durable dirty record says how many
#     statements ran and which one had started; nothing runs twice on a
#     resume; `repair` clears it;
#   - transaction control in a transactional revision is refused before
#     connecting (savepoints, trigger and DO bodies are not transaction
#     control; a non-transactional revision may use BEGIN/COMMIT);
#   - a revision's SET search_path does not redirect retort's own writes;
#   - two projects with their own version tables in one database do not
#     see each other's dirty records or checksums;
#   - SIGTERM / SIGINT cancel the running statement on the server, release
#     the run lock (advisory or lease) and exit 128 + signal;
#   - verify after taking over an Alembic database (no checksums yet) and
#     `repair --checksums`; verify after a repaired failed downgrade.
# PostgreSQL tests get their own database on the throwaway server of
# tests/support/with-postgres.sh and are skipped without one.
#
# Waits poll a condition with a generous cap (valgrind runs are slow); no
# test asserts an upper bound on how long something took.

load helpers

C1=a1b2c3d4e5f6 C2=b2c3d4e5f6a1 C3=c3d4e5f6a1b2 C4=d4e5f6a1b2c3

setup_file() {
	# sigrun.py PIDFILE STATUSFILE CMD...: runs CMD with SIGINT and SIGTERM
	# at their default actions (a background job of a non-interactive
	# shell starts with SIGINT ignored, and an ignored signal stays
	# ignored across exec), writes its pid to PIDFILE and, when it ends,
	# "exit N" or "signal N" to STATUSFILE: a CLI that handles the signal
	# exits 128+N, one that does not is killed by it, and a shell's $?
	# cannot tell the two apart.
	SIGRUN="$BATS_FILE_TMPDIR/sigrun.py"
	cat >"$SIGRUN" <<'EOF'
import os, signal, subprocess, sys
pidfile, statusfile, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
def defaults():
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
p = subprocess.Popen(cmd, preexec_fn=defaults)
with open(pidfile + ".tmp", "w") as f:
    f.write(f"{p.pid}\n")
os.rename(pidfile + ".tmp", pidfile)
rc = p.wait()
with open(statusfile + ".tmp", "w") as f:
    f.write(f"signal {-rc}\n" if rc < 0 else f"exit {rc}\n")
os.rename(statusfile + ".tmp", statusfile)
EOF
	export SIGRUN
}

setup() {
	common_setup
	BG_PIDS=()
	RUN_PFXS=()
}

teardown() {
	local pid pfx
	# a run still going (its status not written yet): kill it
	for pfx in "${RUN_PFXS[@]}"; do
		[ -s "$pfx.status" ] || kill -KILL "$(cat "$pfx.pid")" 2>/dev/null || true
	done
	for pid in "${BG_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	# a killed run's backend may still be sleeping: end it
	if [ -n "${PGURL-}" ]; then
		pg_end_others "$PGURL" 2>/dev/null || true
	fi
}

# ---- helpers ---------------------------------------------------------------

# sq SQL: one query against the test's SQLite database (waits for locks).
sq() {
	sqlite3 -cmd '.timeout 10000' -separator '|' "$DB" "$1"
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

# make_nontx: the revision file $REV_FILE becomes `transactional: false`;
# its upgrade statements then start on line 10 (one statement a line).
make_nontx() {
	sed -i 's/^-- depends_on:.*/&\n-- transactional: false/' "$REV_FILE"
}

write_nontx() {
	write_rev "$@"
	make_nontx
}

# start_run PFX ARGS...: `retort ARGS` in the background (under sigrun),
# stdout/stderr to PFX.out/PFX.err; sets RUN_PID to retort's own pid.
start_run() {
	local pfx=$1 i
	shift
	rm -f "$pfx.pid" "$pfx.status"
	python3 "$SIGRUN" "$pfx.pid" "$pfx.status" "$RETORT_BIN" "$@" >"$pfx.out" 2>"$pfx.err" 3>&- &
	BG_PIDS+=("$!")
	for ((i = 0; i < 600; i++)); do
		[ -s "$pfx.pid" ] && break
		sleep 0.1
	done
	[ -s "$pfx.pid" ] || fail "the background run did not start"
	RUN_PID=$(cat "$pfx.pid")
	RUN_PFXS+=("$pfx")
}

# wait_run PFX [CAP_S]: waits (CAP_S, default 120 s, at most) for the run
# of start_run to end; sets RUN_STATUS ("exit N" or "signal N").
wait_run() {
	local pfx=$1 cap=$((${2:-120} * 10)) i
	for ((i = 0; i < cap; i++)); do
		[ -s "$pfx.status" ] && break
		sleep 0.1
	done
	[ -s "$pfx.status" ] ||
		fail "the run had not ended after ${2:-120} s: $(cat "$pfx.err")"
	RUN_STATUS=$(cat "$pfx.status")
}

# fail_if_ended PFX: the background run must still be running.
fail_if_ended() {
	if [ -s "$1.status" ]; then
		fail "the run ended early ($(cat "$1.status")): $(cat "$1.err")"
	fi
}

# pg_sleepers URL: sessions of URL's database (other than this one) that
# are running a pg_sleep.
pg_sleepers() {
	pg_psql -d "$1" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
		AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%pg_sleep(%'"
}

# wait_pg_sleep PFX: waits (60 s at most) until the run of start_run is
# inside its pg_sleep on the server.
wait_pg_sleep() {
	local i
	for ((i = 0; i < 600; i++)); do
		[ "$(pg_sleepers "$PGURL")" -ge 1 ] && return 0
		fail_if_ended "$1"
		sleep 0.1
	done
	fail "the run never reached its pg_sleep: $(cat "$1.err")"
}

# wait_no_pg_sleep: waits (30 s at most) until no session of the test's
# database runs a pg_sleep; fails naming what is still running.
wait_no_pg_sleep() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(pg_sleepers "$PGURL")" = 0 ] && return 0
		sleep 0.1
	done
	fail "pg_sleep still running on the server: $(q "SELECT pid, state, query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")"
}

# pg_end_others URL: terminates every other session of URL's database and
# waits (30 s at most) until they are gone (a kill -9'd client's backend
# keeps running its statement, and its session lock, until it notices).
pg_end_others() {
	local url=$1 i
	pg_psql -d "$url" -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()" >/dev/null
	for ((i = 0; i < 300; i++)); do
		[ "$(pg_psql -d "$url" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_sqlite_progress N: waits (60 s at most) until the dirty record of
# $C2 says N statements ran (its statement N+1 is about to run or running).
wait_sqlite_progress() {
	local i
	for ((i = 0; i < 600; i++)); do
		[ "$(sq "SELECT statements FROM retort_history WHERE revision = '$C2' AND state = 'dirty'" 2>/dev/null)" = "$1" ] && return 0
		fail_if_ended "$BATS_TEST_TMPDIR/run"
		sleep 0.1
	done
	fail "no dirty record with $1 statements: $(cat "$BATS_TEST_TMPDIR/run.err")"
}

# signal_status SIG EXPECTED: after start_run's run got SIG, waits for it
# to end and asserts it exited EXPECTED (128 + SIG). A CLI without a
# handler is killed by the signal instead: the test is skipped then.
signal_status() {
	wait_run "$BATS_TEST_TMPDIR/run"
	if [ "$RUN_STATUS" = "signal $(kill -l "$1")" ]; then
		[ -z "${PGURL-}" ] || pg_end_others "$PGURL" || true
		skip "CLI signal handling not built yet (retort was killed by SIG$1: no handler)"
	fi
	[ "$RUN_STATUS" = "exit $2" ] ||
		fail "expected exit $2 after signal $1, got '$RUN_STATUS': $(cat "$BATS_TEST_TMPDIR/run.err")"
}

# A slow SQLite statement with an effect: a count that takes minutes, then
# one row.
SQLITE_SLOW="INSERT INTO marks SELECT 2 FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) SELECT count(*) FROM c);"

# ---- 1. kill -9 inside a non-transactional revision --------------------------

# kill_nontx SLOW: C1 creates `marks`; C2 (non-transactional) inserts 1,
# runs SLOW, inserts 3. A run is killed with SIGKILL while SLOW runs.
# Sets F2.
kill_nontx() {
	write_rev "$C1" "" "Rev one." "CREATE TABLE marks (n INTEGER);" "DROP TABLE marks;"
	write_nontx "$C2" "$C1" "Rev two." "INSERT INTO marks VALUES (1);
$1
INSERT INTO marks VALUES (3);" -
	F2=$REV_FILE
	run --separate-stderr retort upgrade "$C1"
	assert_success
	start_run "$BATS_TEST_TMPDIR/run" upgrade head
	if [ -n "${PGURL-}" ]; then
		wait_pg_sleep "$BATS_TEST_TMPDIR/run"
	else
		wait_sqlite_progress 1
	fi
	kill -KILL "$RUN_PID"
	wait_run "$BATS_TEST_TMPDIR/run"
	assert_equal "$RUN_STATUS" "signal 9"
	# the dead client's backend still sleeps (holding the advisory lock)
	[ -z "${PGURL-}" ] || pg_end_others "$PGURL" || fail "the killed run's backend did not end"
}

# The state kill_nontx leaves: dirty after statement 1, statement 2 named
# as started, the version at C1.
assert_killed_state() {
	local hist=$1 marks=$2
	run --separate-stderr retort current
	assert_failure 1
	assert_output "$C1"
	assert_stderr --partial "FAILED: migrations/versions/$(basename "$F2"):11: revision $C2 is dirty"
	assert_stderr --partial "stopped after 1 statement "
	assert_stderr --partial "statement 2 of 3 had started"
	assert_stderr --partial "may or may not have taken effect"
	assert_equal "$($hist "SELECT state, statements, failed_line FROM retort_history WHERE revision = '$C2'")" "dirty|1|11"
	assert_equal "$($marks)" 1
	# the unchanged file is refused: statement 1 does not run again
	run --separate-stderr retort upgrade head
	assert_failure 1
	assert_stderr --partial "revision $C2 is dirty"
	refute_stderr --partial "Running upgrade"
	assert_equal "$($marks)" 1
}

sq_marks() { sq "SELECT n FROM marks ORDER BY n"; }
q_marks() { q "SELECT n FROM marks ORDER BY n"; }

@test "sqlite: kill -9 during statement 2 of a non-transactional revision: dirty after 1; a fixed file resumes at 2" {
	kill_nontx "$SQLITE_SLOW"
	assert_killed_state sq sq_marks
	sed -i "s/^INSERT INTO marks SELECT 2 FROM .*/INSERT INTO marks VALUES (2);/" "$F2"
	run --separate-stderr retort upgrade head
	assert_success
	assert_stderr --partial "Resuming $C2 at statement 2 of 3"
	assert_equal "$(sq_marks)" "1
2
3"
	assert_equal "$(db_versions)" "$C2"
	assert_equal "$(sq "SELECT state, statements FROM retort_history WHERE revision = '$C2' ORDER BY id")" "resolved|1
ok|3"
}

@test "sqlite: kill -9 during statement 2 of a non-transactional revision: repair clears it; the revision runs whole" {
	kill_nontx "$SQLITE_SLOW"
	assert_killed_state sq sq_marks
	sq "DELETE FROM marks"
	run --separate-stderr retort repair
	assert_success
	assert_output --partial "repaired $C2: dirty record cleared"
	run --separate-stderr retort current
	assert_success
	assert_output "$C1"
	assert_equal "$(sq "SELECT count(*) FROM retort_history WHERE state = 'dirty'")" 0
	sed -i "s/^INSERT INTO marks SELECT 2 FROM .*/INSERT INTO marks VALUES (2);/" "$F2"
	run --separate-stderr retort upgrade head
	assert_success
	refute_stderr --partial "Resuming"
	assert_equal "$(sq_marks)" "1
2
3"
	assert_equal "$(db_versions)" "$C2"
}

@test "pg: kill -9 during statement 2 (pg_sleep) of a non-transactional revision: dirty after 1; a fixed file resumes at 2" {
	pg_setup
	kill_nontx "SELECT pg_sleep(30);"
	assert_killed_state q q_marks
	sed -i 's/^SELECT pg_sleep(30);$/SELECT pg_sleep(0);/' "$F2"
	run --separate-stderr retort upgrade head
	assert_success
	assert_stderr --partial "Resuming $C2 at statement 2 of 3"
	assert_equal "$(q_marks)" "1
3"
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$C2"
	assert_equal "$(q "SELECT state, statements FROM retort_history WHERE revision = '$C2' ORDER BY id")" "resolved|1
ok|3"
	run --separate-stderr retort current
	assert_success
	assert_output "$C2 (head)"
}

@test "pg: kill -9 during statement 2 of a non-transactional revision: repair clears it" {
	pg_setup
	kill_nontx "SELECT pg_sleep(30);"
	assert_killed_state q q_marks
	q "DELETE FROM marks"
	run --separate-stderr retort repair
	assert_success
	assert_output --partial "repaired $C2: dirty record cleared"
	run --separate-stderr retort current
	assert_success
	assert_output "$C1"
	sed -i 's/^SELECT pg_sleep(30);$/SELECT pg_sleep(0);/' "$F2"
	run --separate-stderr retort upgrade head
	assert_success
	refute_stderr --partial "Resuming"
	assert_equal "$(q_marks)" "1
3"
}

# ---- 2. the revision's connection terminated by the server -------------------

# term_nontx: like kill_nontx, but the server terminates the run's
# connection during the pg_sleep; the run itself reports and exits.
term_nontx() {
	write_rev "$C1" "" "Rev one." "CREATE TABLE marks (n INTEGER);" "DROP TABLE marks;"
	write_nontx "$C2" "$C1" "Rev two." "INSERT INTO marks VALUES (1);
SELECT pg_sleep(30);
INSERT INTO marks VALUES (3);" -
	F2=$REV_FILE
	run --separate-stderr retort upgrade "$C1"
	assert_success
	start_run "$BATS_TEST_TMPDIR/run" upgrade head
	wait_pg_sleep "$BATS_TEST_TMPDIR/run"
	assert_equal "$(q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE '%pg_sleep%' AND pid <> pg_backend_pid() AND datname = current_database()")" 1
	wait_run "$BATS_TEST_TMPDIR/run"
	assert_equal "$RUN_STATUS" "exit 1"
	grep -q "$(basename "$F2"):11:" "$BATS_TEST_TMPDIR/run.err" ||
		fail "no file:line of statement 2: $(cat "$BATS_TEST_TMPDIR/run.err")"
	grep -q "1 of 3 statements ran" "$BATS_TEST_TMPDIR/run.err" ||
		fail "the message does not say how many statements ran: $(cat "$BATS_TEST_TMPDIR/run.err")"
}

@test "pg: the revision's connection terminated during statement 2: exit 1, the dirty record says 1 statement ran; the resume adds no duplicate" {
	pg_setup
	term_nontx
	assert_equal "$(q "SELECT state, statements, failed_line FROM retort_history WHERE revision = '$C2'")" "dirty|1|11"
	assert_equal "$(q "SELECT error LIKE '%terminat%' FROM retort_history WHERE revision = '$C2'")" t
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$C1"
	run --separate-stderr retort current
	assert_failure 1
	assert_stderr --partial "revision $C2 is dirty"
	assert_stderr --partial "stopped after 1 statement "
	assert_equal "$(q_marks)" 1
	sed -i 's/^SELECT pg_sleep(30);$/SELECT pg_sleep(0);/' "$F2"
	run --separate-stderr retort upgrade head
	assert_success
	assert_stderr --partial "Resuming $C2 at statement 2 of 3"
	assert_equal "$(q_marks)" "1
3"
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$C2"
}

# Beyond the dirty record: with `lock = table` the lease must not outlive
# a run that ended on its own (only a killed run's lease waits to expire).
@test "pg: lock = table: the revision's connection terminated: the run releases its lease; the next run does not wait" {
	pg_setup
	printf 'lock = table\nlock_timeout = 1\n' >>retort.ini
	term_nontx
	assert_equal "$(q "SELECT state, statements FROM retort_history WHERE revision = '$C2'")" "dirty|1"
	assert_equal "$(q 'SELECT count(*) FROM retort_lock')" 0
	sed -i 's/^SELECT pg_sleep(30);$/SELECT pg_sleep(0);/' "$F2"
	run --separate-stderr retort upgrade head
	assert_success
	refute_stderr --partial "Waiting for the run lock"
	assert_equal "$(q_marks)" "1
3"
}

# ---- 3. transaction control in a transactional revision ----------------------

# refused SQL LINE: a transactional revision C1 whose upgrade is SQL (one
# statement a line from line 9) is refused before connecting: exit 2,
# FAILED names file:LINE and suggests `transactional: false`.
refused() {
	write_rev "$C1" "" "Rev one." "$1"
	local f=$REV_FILE
	run --separate-stderr retort upgrade head
	assert_failure 2
	assert_stderr --regexp "FAILED: (.*/)?$(basename "$f"):$2: "
	assert_stderr --partial "transactional: false"
	refute_stderr --partial "Running upgrade"
}

sqlite_refused() {
	refused "$@"
	[ ! -e "$DB" ] || fail "the database file was created: $DB"
}

# On PostgreSQL: first against a server that cannot be reached (a refusal
# after connecting would be a connection error, exit 1), then against the
# real one, which must get no version table.
pg_refused() {
	pg_required
	DATABASE_URL="postgresql://nobody:pw@127.0.0.1:1/nodb" refused "$@"
	pg_setup
	run --separate-stderr retort upgrade head
	assert_failure 2
	assert_stderr --regexp ":$2: "
	assert_equal "$(q "SELECT to_regclass('public.retort_version') IS NULL AND to_regclass('public.retort_history') IS NULL AND to_regclass('public.t') IS NULL")" t
}

@test "sqlite: COMMIT in a transactional revision is refused before the database file is created" {
	sqlite_refused "CREATE TABLE t (x INTEGER);
COMMIT;" 10
}

@test "sqlite: ROLLBACK in a transactional revision is refused" {
	sqlite_refused "CREATE TABLE t (x INTEGER);
ROLLBACK;" 10
}

@test "sqlite: END in a transactional revision is refused" {
	sqlite_refused "CREATE TABLE t (x INTEGER);
END;" 10
}

@test "sqlite: BEGIN; ... COMMIT; in a transactional revision is refused at the BEGIN" {
	sqlite_refused "CREATE TABLE t (x INTEGER);
BEGIN;
INSERT INTO t VALUES (1);
COMMIT;" 10
}

@test "sqlite: lower-case commit after a comment is refused" {
	sqlite_refused "CREATE TABLE t (x INTEGER);
-- done
commit;" 11
}

@test "sqlite: COMMIT in the downgrade section of a transactional revision is refused before upgrading" {
	write_rev "$C1" "" "Rev one." "CREATE TABLE t (x INTEGER);" "DROP TABLE t;
COMMIT;"
	run --separate-stderr retort upgrade head
	assert_failure 2
	assert_stderr --regexp "$(basename "$REV_FILE"):13: "
	assert_stderr --partial "transactional: false"
	[ ! -e "$DB" ] || fail "the database file was created"
}

@test "pg: COMMIT in a transactional revision is refused before connecting" {
	pg_refused "CREATE TABLE t (x INTEGER);
COMMIT;" 10
}

@test "pg: ROLLBACK in a transactional revision is refused before connecting" {
	pg_refused "CREATE TABLE t (x INTEGER);
ROLLBACK;" 10
}

@test "pg: END in a transactional revision is refused before connecting" {
	pg_refused "CREATE TABLE t (x INTEGER);
END;" 10
}

@test "pg: BEGIN; ... COMMIT; in a transactional revision is refused before connecting" {
	pg_refused "BEGIN;
CREATE TABLE t (x INTEGER);
COMMIT;" 9
}

@test "pg: START TRANSACTION in a transactional revision is refused before connecting" {
	pg_refused "START TRANSACTION;
CREATE TABLE t (x INTEGER);
COMMIT;" 9
}

@test "sqlite: BEGIN TRANSACTION in a transactional revision is refused" {
	sqlite_refused "BEGIN TRANSACTION;
CREATE TABLE t (x INTEGER);" 9
}

@test "sqlite: savepoints and a CREATE TRIGGER ... BEGIN ... END body are accepted in a transactional revision" {
	write_rev "$C1" "" "Rev one." "CREATE TABLE t (x INTEGER);
CREATE TABLE log (x INTEGER);
SAVEPOINT s1;
INSERT INTO t VALUES (1);
ROLLBACK TO SAVEPOINT s1;
SAVEPOINT s2;
INSERT INTO t VALUES (2);
ROLLBACK TO s2;
RELEASE SAVEPOINT s1;
CREATE TRIGGER t_log AFTER INSERT ON t BEGIN INSERT INTO log VALUES (NEW.x); END;
INSERT INTO t VALUES (3);"
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(db_versions)" "$C1"
	assert_equal "$(sq 'SELECT x FROM t')" 3
	assert_equal "$(sq 'SELECT x FROM log')" 3
}

@test "pg: savepoints and DO \$\$ BEGIN ... END \$\$ are accepted in a transactional revision" {
	pg_setup
	write_rev "$C1" "" "Rev one." "CREATE TABLE t (x INTEGER);
SAVEPOINT s1;
INSERT INTO t VALUES (1);
ROLLBACK TO SAVEPOINT s1;
SAVEPOINT s2;
INSERT INTO t VALUES (2);
ROLLBACK TO s2;
RELEASE SAVEPOINT s1;
DO \$\$ BEGIN INSERT INTO t VALUES (3); END \$\$;
DO \$\$
BEGIN
  INSERT INTO t VALUES (4);
END
\$\$;
CREATE FUNCTION f() RETURNS integer AS \$\$ BEGIN RETURN 5; END \$\$ LANGUAGE plpgsql;"
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$C1"
	assert_equal "$(q 'SELECT x FROM t ORDER BY x')" "3
4"
	assert_equal "$(q 'SELECT f()')" 5
}

@test "sqlite: BEGIN/COMMIT are accepted in a transactional: false revision" {
	write_nontx "$C1" "" "Rev one." "CREATE TABLE t (x INTEGER);
BEGIN;
INSERT INTO t VALUES (1);
INSERT INTO t VALUES (2);
COMMIT;" -
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(db_versions)" "$C1"
	assert_equal "$(sq 'SELECT x FROM t ORDER BY x')" "1
2"
	assert_equal "$(sq "SELECT state, statements FROM retort_history")" "ok|5"
}

@test "pg: BEGIN/COMMIT are accepted in a transactional: false revision" {
	pg_setup
	write_nontx "$C1" "" "Rev one." "CREATE TABLE t (x INTEGER);
BEGIN;
INSERT INTO t VALUES (1);
INSERT INTO t VALUES (2);
COMMIT;
START TRANSACTION;
INSERT INTO t VALUES (3);
ROLLBACK;" -
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$C1"
	assert_equal "$(q 'SELECT x FROM t ORDER BY x')" "1
2"
	assert_equal "$(q "SELECT state, statements FROM retort_history")" "ok|8"
}

# ---- 4. SET search_path in a revision ----------------------------------------

# C1 creates schema `other`; C2 sets search_path to it; C3 (non-
# transactional, run in the same session afterwards) and C4 create tables
# unqualified. retort's writes must all go to public.
search_path_case() {
	write_rev "$C1" "" "Rev one." "CREATE SCHEMA other;" "DROP SCHEMA other;"
	write_rev "$C2" "$C1" "Rev two." "SET search_path = other;
CREATE TABLE in_other (x INTEGER);" "SET search_path = other;
DROP TABLE in_other;"
	write_nontx "$C3" "$C2" "Rev three." "CREATE TABLE t3 (x INTEGER);" "DROP TABLE IF EXISTS t3;
DROP TABLE IF EXISTS other.t3;"
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(q "SELECT to_regclass('other.in_other') IS NOT NULL")" t
	# where the revisions' unqualified tables went does not matter; where
	# retort's went does
	assert_equal "$(q "SELECT count(*) FROM pg_tables WHERE schemaname = 'other' AND tablename LIKE 'retort%'")" 0
	assert_equal "$(q "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'retort%'")" "$1"
	assert_equal "$(q 'SELECT version_num FROM public.retort_version')" "$C3"
	assert_equal "$(q "SELECT string_agg(revision || ':' || state, ',' ORDER BY id) FROM public.retort_history")" "$C1:ok,$C2:ok,$C3:ok"
	run --separate-stderr retort current
	assert_success
	assert_output "$C3 (head)"
	run --separate-stderr retort upgrade head
	assert_success
	assert_stderr --partial "Already at $C3; nothing to do."
	write_rev "$C4" "$C3" "Rev four." "SET search_path = other;
CREATE TABLE t4 (x INTEGER);" "SET search_path = other;
DROP TABLE t4;"
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(running_lines)" "Running upgrade $C3 -> $C4, Rev four."
	assert_equal "$(q 'SELECT version_num FROM public.retort_version')" "$C4"
	assert_equal "$(q "SELECT count(*) FROM pg_tables WHERE schemaname = 'other' AND tablename LIKE 'retort%'")" 0
	run --separate-stderr retort verify
	assert_success
	run --separate-stderr retort downgrade "$C2"
	assert_success
	assert_equal "$(q 'SELECT version_num FROM public.retort_version')" "$C2"
	assert_equal "$(q "SELECT count(*) FROM pg_tables WHERE schemaname = 'other' AND tablename LIKE 'retort%'")" 0
}

@test "pg: SET search_path in a revision does not move retort's tables or rows out of public" {
	pg_setup
	search_path_case "retort_history,retort_version"
}

@test "pg: lock = table: SET search_path in a revision does not redirect the lease either" {
	pg_setup
	printf 'lock = table\nlock_timeout = 1\n' >>retort.ini
	search_path_case "retort_history,retort_lock,retort_version"
	assert_equal "$(q 'SELECT count(*) FROM public.retort_lock')" 0
}

# ---- 5. two projects, one database -------------------------------------------

# two_projects: projects A and B (own dirs, version_table app_a_version
# and app_b_version) on $DATABASE_URL. Both have a revision $C1 (different
# files); A's $C2 is non-transactional and fails at its statement 2 (dirty).
two_projects() {
	A=$BATS_TEST_TMPDIR/a B=$BATS_TEST_TMPDIR/b
	local d
	for d in "$A" "$B"; do
		mkdir -p "$d"
		(cd "$d" && "$RETORT_BIN" init >/dev/null 2>&1) || fail "init $d"
	done
	printf 'version_table = app_a_version\n' >>"$A/retort.ini"
	printf 'version_table = app_b_version\n' >>"$B/retort.ini"
	VERSIONS_DIR=$A/migrations/versions write_rev "$C1" "" "A one." "CREATE TABLE a_one (x INTEGER);"
	FA1=$REV_FILE
	VERSIONS_DIR=$A/migrations/versions write_rev "$C2" "$C1" "A two." "CREATE TABLE a_s1 (x INTEGER);
INSERT INTO no_such_table VALUES (1);
CREATE TABLE a_s3 (x INTEGER);" -
	make_nontx
	VERSIONS_DIR=$B/migrations/versions write_rev "$C1" "" "B one." "CREATE TABLE b_one (x INTEGER);"
	FB1=$REV_FILE
	VERSIONS_DIR=$B/migrations/versions write_rev "$C3" "$C1" "B two."
	cd "$A"
	run --separate-stderr retort upgrade head
	assert_failure 1
	assert_stderr --partial "dirty"
	cd "$B"
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(running_lines)" "Running upgrade  -> $C1, B one.
Running upgrade $C1 -> $C3, B two."
	run --separate-stderr retort current
	assert_success
	assert_output "$C3 (head)"
	run --separate-stderr retort repair
	assert_success
	assert_output --partial "nothing to repair"
	run --separate-stderr retort verify
	assert_success
	assert_output ""
	refute_stderr --partial "changed"
	cd "$A"
	run --separate-stderr retort current
	assert_failure 1
	assert_output "$C1"
	assert_stderr --partial "revision $C2 is dirty"
	run --separate-stderr retort verify
	assert_success
	assert_output ""
	# an edit to B's file shows in B's verify only
	printf -- '-- edited\n' >>"$FB1"
	cd "$B"
	run --separate-stderr retort verify
	assert_failure 3
	assert_output --regexp "^$C1: migrations/versions/$(basename "$FB1") changed since it was applied"
	cd "$A"
	run --separate-stderr retort verify
	assert_success
	assert_output ""
	# and B's repair --applied has nothing to apply either
	cd "$B"
	run --separate-stderr retort repair --applied
	assert_success
	assert_output --partial "nothing to repair"
	cd "$A"
	run --separate-stderr retort current
	assert_failure 1
	assert_stderr --partial "revision $C2 is dirty"
}

@test "sqlite: two projects with their own version tables in one file: A's dirty revision neither blocks B nor is repaired by it; checksums are per project" {
	export DATABASE_URL="sqlite:///$BATS_TEST_TMPDIR/shared.db"
	DB=$BATS_TEST_TMPDIR/shared.db
	two_projects
	assert_equal "$(sq "SELECT version_num FROM app_a_version")" "$C1"
	assert_equal "$(sq "SELECT version_num FROM app_b_version")" "$C3"
	assert_equal "$(sq "SELECT count(*) FROM retort_history WHERE state = 'dirty'")" 1
}

@test "pg: two projects with their own version tables in one database: A's dirty revision neither blocks B nor is repaired by it; checksums are per project" {
	pg_setup
	two_projects
	assert_equal "$(q "SELECT version_num FROM app_a_version")" "$C1"
	assert_equal "$(q "SELECT version_num FROM app_b_version")" "$C3"
	assert_equal "$(q "SELECT count(*) FROM retort_history WHERE state = 'dirty'")" 1
}

# ---- 6./7. SIGTERM and SIGINT during a long statement (PostgreSQL) ------------

# sig_case SIG EXPECTED: C1 applied; `upgrade head` runs C2 (creates t2,
# then sleeps 300 s) and gets SIG during the sleep. It must exit EXPECTED
# with the statement cancelled on the server, C2 rolled back, the version
# at C1 and the run lock released.
sig_case() {
	write_rev "$C1" "" "Rev one."
	write_rev "$C2" "$C1" "Rev two." "CREATE TABLE t2 (x INTEGER);
SELECT pg_sleep(300);"
	F2=$REV_FILE
	run --separate-stderr retort upgrade "$C1"
	assert_success
	start_run "$BATS_TEST_TMPDIR/run" upgrade head
	wait_pg_sleep "$BATS_TEST_TMPDIR/run"
	kill "-$1" "$RUN_PID"
	signal_status "$1" "$2"
	grep -q "interrupted" "$BATS_TEST_TMPDIR/run.err" ||
		fail "no 'interrupted' in: $(cat "$BATS_TEST_TMPDIR/run.err")"
	grep -q "the database is at $C1" "$BATS_TEST_TMPDIR/run.err" ||
		fail "does not say where the database is: $(cat "$BATS_TEST_TMPDIR/run.err")"
	wait_no_pg_sleep
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$C1"
	assert_equal "$(q "SELECT to_regclass('public.t2') IS NULL")" t
	assert_equal "$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")" 0
}

# After sig_case: the next run neither waits for a lock nor finds C2 dirty.
next_run_free() {
	sed -i 's/^SELECT pg_sleep(300);$/SELECT pg_sleep(0);/' "$F2"
	run --separate-stderr retort upgrade head
	assert_success
	refute_stderr --partial "Waiting for the run lock"
	assert_equal "$(running_lines)" "Running upgrade $C1 -> $C2, Rev two."
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$C2"
}

@test "pg: lock = table: SIGTERM during a statement cancels it on the server, exits 143 and deletes the lease" {
	pg_setup
	printf 'lock = table\nlock_timeout = 1\n' >>retort.ini
	sig_case TERM 143
	assert_equal "$(q 'SELECT count(*) FROM retort_lock')" 0
	next_run_free
}

@test "pg: lock = table: SIGINT during a statement cancels it on the server, exits 130 and deletes the lease" {
	pg_setup
	printf 'lock = table\nlock_timeout = 1\n' >>retort.ini
	sig_case INT 130
	assert_equal "$(q 'SELECT count(*) FROM retort_lock')" 0
	next_run_free
}

@test "pg: advisory lock: SIGTERM during a statement cancels it on the server and exits 143" {
	pg_setup
	printf 'lock_timeout = 1\n' >>retort.ini
	sig_case TERM 143
	next_run_free
}

@test "pg: advisory lock: SIGINT during a statement cancels it on the server and exits 130" {
	pg_setup
	printf 'lock_timeout = 1\n' >>retort.ini
	sig_case INT 130
	next_run_free
}

# The header's contract for a non-transactional step: left dirty, recorded.
@test "pg: SIGINT during statement 2 of a non-transactional revision: exit 130, dirty after 1 statement; a fixed file resumes at 2" {
	pg_setup
	write_rev "$C1" "" "Rev one." "CREATE TABLE marks (n INTEGER);" "DROP TABLE marks;"
	write_nontx "$C2" "$C1" "Rev two." "INSERT INTO marks VALUES (1);
SELECT pg_sleep(300);
INSERT INTO marks VALUES (3);" -
	F2=$REV_FILE
	run --separate-stderr retort upgrade "$C1"
	assert_success
	start_run "$BATS_TEST_TMPDIR/run" upgrade head
	wait_pg_sleep "$BATS_TEST_TMPDIR/run"
	kill -INT "$RUN_PID"
	signal_status INT 130
	wait_no_pg_sleep
	assert_equal "$(q "SELECT state, statements, failed_line FROM retort_history WHERE revision = '$C2'")" "dirty|1|11"
	assert_equal "$(q "SELECT error LIKE '%interrupted%' FROM retort_history WHERE revision = '$C2'")" t
	assert_equal "$(q_marks)" 1
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$C1"
	run --separate-stderr retort current
	assert_failure 1
	assert_stderr --partial "revision $C2 is dirty"
	sed -i 's/^SELECT pg_sleep(300);$/SELECT pg_sleep(0);/' "$F2"
	run --separate-stderr retort upgrade head
	assert_success
	assert_stderr --partial "Resuming $C2 at statement 2 of 3"
	assert_equal "$(q_marks)" "1
3"
}

@test "sqlite: SIGTERM during a long statement interrupts it and exits 143; the version did not move" {
	write_rev "$C1" "" "Rev one." "CREATE TABLE marks (n INTEGER);" "DROP TABLE marks;"
	write_rev "$C2" "$C1" "Rev two." "CREATE TABLE t2 (x INTEGER);
$SQLITE_SLOW"
	run --separate-stderr retort upgrade "$C1"
	assert_success
	start_run "$BATS_TEST_TMPDIR/run" upgrade head
	local i
	for ((i = 0; i < 600; i++)); do
		grep -q "Running upgrade $C1 -> $C2" "$BATS_TEST_TMPDIR/run.err" && break
		fail_if_ended "$BATS_TEST_TMPDIR/run"
		sleep 0.1
	done
	grep -q "Running upgrade $C1 -> $C2" "$BATS_TEST_TMPDIR/run.err" || fail "C2 never started"
	# (the signal may land in CREATE TABLE t2 or in the slow statement,
	# which runs for minutes: either way the step must be rolled back)
	kill -TERM "$RUN_PID"
	signal_status TERM 143
	grep -q "interrupted" "$BATS_TEST_TMPDIR/run.err" || fail "$(cat "$BATS_TEST_TMPDIR/run.err")"
	assert_equal "$(db_versions)" "$C1"
	assert_equal "$(db_tables)" "marks"
	assert_equal "$(sq 'SELECT count(*) FROM marks')" 0
	run --separate-stderr retort current
	assert_success
	assert_output "$C1"
}

# ---- 8. verify after taking over an Alembic database -------------------------

# alembic_db URL: an Alembic project in $BATS_TEST_TMPDIR/al whose three
# revisions C1..C3 create t_C1..t_C3, upgraded to head on URL (a
# SQLAlchemy URL); then retort files with the same ids in $VERSIONS and
# version_table = alembic_version.
alembic_db() {
	command -v alembic >/dev/null || skip "alembic is not installed"
	local al=$BATS_TEST_TMPDIR/al prev=None id
	mkdir -p "$al"
	(cd "$al" && alembic init alembic >/dev/null 2>&1) || fail "alembic init failed"
	sed -i "s|^sqlalchemy.url = .*|sqlalchemy.url = $1|" "$al/alembic.ini"
	for id in "$C1" "$C2" "$C3"; do
		cat >"$al/alembic/versions/${id}_rev.py" <<EOF
from alembic import op

revision = '$id'
down_revision = $prev
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE TABLE t_$id (x INTEGER)")


def downgrade():
    op.execute("DROP TABLE t_$id")
EOF
		prev="'$id'"
	done
	(cd "$al" && alembic upgrade head) >"$BATS_TEST_TMPDIR/al.out" 2>&1 ||
		fail "alembic upgrade failed: $(cat "$BATS_TEST_TMPDIR/al.out")"
	write_rev "$C1" "" "Rev one."
	write_rev "$C2" "$C1" "Rev two."
	F2=$REV_FILE
	write_rev "$C3" "$C2" "Rev three."
	printf 'version_table = alembic_version\n' >>retort.ini
}

alembic_takeover() {
	local hist=$1
	run --separate-stderr retort current
	assert_success
	assert_output "$C3 (head)"
	run --separate-stderr retort verify
	assert_success
	assert_output ""
	assert_stderr --partial "3 applied revisions have no recorded checksum"
	assert_stderr --partial "repair --checksums"
	run --separate-stderr retort --format json verify
	assert_success
	assert_equal "$(printf '%s' "$output" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["ok"], d["differences"], d["unchecked"])')" "True [] 3"
	run --separate-stderr retort repair --checksums
	[ "$status" -eq 0 ] || fail "repair --checksums exited $status: $stderr"
	assert_output --partial "accepted $C1"
	assert_output --partial "accepted $C2"
	assert_output --partial "accepted $C3"
	assert_equal "$($hist "SELECT revision || ':' || checksum FROM retort_history WHERE operation = 'accept' ORDER BY revision")" "$C1:$(file_sum "$VERSIONS/${C1}_rev_one.sql")
$C2:$(file_sum "$F2")
$C3:$(file_sum "$VERSIONS/${C3}_rev_three.sql")"
	run --separate-stderr retort verify
	assert_success
	assert_output ""
	refute_stderr --partial "no recorded checksum"
	# the takeover changed nothing Alembic reads
	assert_equal "$($hist 'SELECT version_num FROM alembic_version')" "$C3"
	run --separate-stderr retort repair --checksums
	assert_success
	assert_output --partial "nothing to accept"
	printf -- '-- edited after it was applied\n' >>"$F2"
	run --separate-stderr retort verify
	assert_failure 3
	assert_output --regexp "^$C2: migrations/versions/$(basename "$F2") changed since it was applied"
}

@test "sqlite: verify after taking over an Alembic database counts revisions without a checksum; repair --checksums records them" {
	alembic_db "sqlite:///$DB"
	alembic_takeover sq
}

@test "pg: verify after taking over an Alembic database counts revisions without a checksum; repair --checksums records them" {
	pg_setup
	/usr/bin/python3 -c 'import psycopg2' 2>/dev/null || skip "no psycopg2 for alembic"
	alembic_db "$PGURL"
	alembic_takeover q
}

# ---- 9. verify after a repaired failed non-transactional downgrade ------------

# C2 (non-transactional) downgrades with DROP d2; DROP no_such_table;
# DROP d1 (lines 14-16): the downgrade fails at line 15, dirty. The human
# re-creates d2 and runs repair: C2 is applied again, and verify must keep
# checking its file.
downgrade_repaired() {
	local sql=$1
	write_rev "$C1" "" "Rev one."
	write_rev "$C2" "$C1" "Rev two." "CREATE TABLE d1 (x INTEGER);
CREATE TABLE d2 (x INTEGER);" "DROP TABLE d2;
DROP TABLE no_such_table;
DROP TABLE d1;"
	make_nontx
	F2=$REV_FILE
	run --separate-stderr retort upgrade head
	assert_success
	run --separate-stderr retort downgrade "$C1"
	assert_failure 1
	assert_stderr --partial "$(basename "$F2"):15:"
	assert_stderr --partial "dirty"
	run --separate-stderr retort current
	assert_failure 1
	assert_stderr --partial "revision $C2 is dirty"
	$sql "CREATE TABLE d2 (x INTEGER)"
	run --separate-stderr retort repair
	assert_success
	assert_output --partial "repaired $C2: dirty record cleared; the next downgrade runs it again"
	run --separate-stderr retort current
	assert_success
	assert_output "$C2 (head)"
	run --separate-stderr retort verify
	assert_success
	assert_output ""
	refute_stderr --partial "no recorded checksum"
	printf -- '-- edited after the repair\n' >>"$F2"
	run --separate-stderr retort verify
	assert_failure 3
	assert_output --regexp "^$C2: migrations/versions/$(basename "$F2") changed since it was applied"
}

@test "sqlite: verify keeps checking a revision whose failed non-transactional downgrade was repaired" {
	downgrade_repaired sq
}

@test "pg: verify keeps checking a revision whose failed non-transactional downgrade was repaired" {
	pg_setup
	downgrade_repaired q
}

# ---- found in review ------------------------------------------------------------

@test "pg: SIGTERM while waiting for the run lock stops the wait at once: exit 143, nothing ran" {
	pg_setup
	write_rev "$C1" "" "Rev one." "CREATE TABLE t1 (x INTEGER);
SELECT pg_sleep(30);"
	"$RETORT_BIN" upgrade head >"$BATS_TEST_TMPDIR/holder.out" 2>"$BATS_TEST_TMPDIR/holder.err" 3>&- &
	local holder=$!
	BG_PIDS+=("$holder")
	wait_pg_sleep "$BATS_TEST_TMPDIR/holder"
	start_run "$BATS_TEST_TMPDIR/run" upgrade head
	local i
	for ((i = 0; i < 600; i++)); do
		grep -q "Waiting for the run lock" "$BATS_TEST_TMPDIR/run.err" && break
		sleep 0.1
	done
	grep -q "Waiting for the run lock" "$BATS_TEST_TMPDIR/run.err" || fail "never waited: $(cat "$BATS_TEST_TMPDIR/run.err")"
	kill -TERM "$RUN_PID"
	signal_status TERM 143
	# it stopped while the holder still runs (causal: not after lock_timeout)
	kill -0 "$holder" || fail "the holder ended first"
	grep -q "interrupted while waiting for the run lock" "$BATS_TEST_TMPDIR/run.err" ||
		fail "$(cat "$BATS_TEST_TMPDIR/run.err")"
	kill -TERM "$holder"
	wait "$holder" || true
}

@test "pg: a role without CREATE on the database, owning its schema, can run retort (no CREATE SCHEMA for a schema that exists)" {
	pg_setup
	local role="r_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
	q "CREATE ROLE $role LOGIN PASSWORD 'rolepw'" >/dev/null
	q "CREATE SCHEMA app AUTHORIZATION $role" >/dev/null
	q "ALTER ROLE $role SET search_path = app" >/dev/null
	q "REVOKE CREATE ON DATABASE $(q 'SELECT current_database()') FROM PUBLIC" >/dev/null
	local url
	url=$(sed -E "s#//[^@]*@#//$role:rolepw@#" <<<"$PGURL")
	write_rev "$C1" "" "Rev one." "CREATE TABLE t1 (x INTEGER);"
	run --separate-stderr retort -u "$url" upgrade head
	assert_success
	assert_equal "$(q "SELECT count(*) FROM pg_tables WHERE schemaname = 'app' AND tablename IN ('retort_version', 'retort_history', 't1')")" 3
	# the same with the schema named in retort.ini, and with lock = table
	printf 'version_table_schema = app\nlock = table\n' >>retort.ini
	write_rev "$C2" "$C1" "Rev two." "CREATE TABLE t2 (x INTEGER);"
	run --separate-stderr retort -u "$url" upgrade head
	assert_success
	assert_equal "$(q 'SELECT version_num FROM app.retort_version')" "$C2"
}

@test "sqlite: repair works on a retort_history an older retort made (no version_table column): it adds the column" {
	write_rev "$C1" "" "Rev one."
	sq "CREATE TABLE retort_history (id INTEGER PRIMARY KEY, revision VARCHAR(32) NOT NULL, operation VARCHAR(16) NOT NULL, from_revisions VARCHAR(1024) NOT NULL, to_revisions VARCHAR(1024) NOT NULL, checksum VARCHAR(64) NOT NULL, started_at VARCHAR(32) NOT NULL, duration_ms BIGINT NOT NULL, statements INTEGER NOT NULL, success INTEGER NOT NULL, state VARCHAR(16) NOT NULL, failed_line INTEGER, error TEXT, who VARCHAR(255) NOT NULL, retort_version VARCHAR(32) NOT NULL, done_checksum VARCHAR(64))"
	sq "INSERT INTO retort_history (revision, operation, from_revisions, to_revisions, checksum, started_at, duration_ms, statements, success, state, failed_line, error, who, retort_version) VALUES ('$C1', 'upgrade', '', '$C1', '$(file_sum "$REV_FILE")', '2026-01-01 00:00:00.000', 1, 0, 0, 'dirty', 9, 'boom', 'old@host', '0.0.9')"
	run --separate-stderr retort upgrade head
	assert_failure 1
	assert_stderr --partial "revision $C1 is dirty"
	run --separate-stderr retort repair
	assert_success
	assert_output --partial "repaired $C1"
	assert_equal "$(sq "SELECT count(*) FROM pragma_table_info('retort_history') WHERE name = 'version_table'")" 1
	run --separate-stderr retort upgrade head
	assert_success
}

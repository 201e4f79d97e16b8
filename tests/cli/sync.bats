#!/usr/bin/env bats
# sync.bats: `sync [TARGET] [--baseline REV]` (SPEC §9) on SQLite and,
# when RETORT_TEST_PG_URL is set (tests/support/with-postgres.sh), on
# PostgreSQL: an empty database is created and upgraded; one with tables
# but no version table is refused, untouched, with the commands that say
# where it stands; --baseline stamps and upgrades; a versioned database is
# upgraded. Never a guess.

load helpers

C1=a1b2c3d4e5f6 C2=b2c3d4e5f6a1 C3=c3d4e5f6a1b2 C4=d4e5f6a1b2c3 C5=e5f6a1b2c3d4

setup() {
	common_setup
	make_chain
}

# ---- SQLite ----------------------------------------------------------------

@test "sync: an empty database is created from base and upgraded to heads" {
	run --separate-stderr retort sync
	assert_success
	assert_output ""
	assert_stderr_line "INFO  [retort] The database has no version table and no tables: creating it from base."
	assert_equal "$(running_lines | head -1)" "Running upgrade  -> $C1, Rev one."
	assert_equal "$(db_versions)" "$C5"
	# an existing file without tables is empty too; TARGET is honoured
	rm "$DB"
	sqlite3 "$DB" "PRAGMA user_version = 1"
	run --separate-stderr retort sync "$C3"
	assert_success
	assert_equal "$(db_versions)" "$C3"
}

@test "sync: retort's own tables do not count as the database's tables" {
	sqlite3 "$DB" "CREATE TABLE retort_lock (name TEXT)"
	run --separate-stderr retort sync
	assert_success
	assert_equal "$(db_versions)" "$C5"
}

@test "sync: tables without a version table are refused (exit 1), the database untouched" {
	sqlite3 "$DB" "CREATE TABLE legacy_users (id INTEGER); CREATE TABLE legacy_orders (id INTEGER);
		CREATE VIEW legacy_v AS SELECT 1"
	before=$(file_sum "$DB")
	run --separate-stderr retort sync
	assert_failure 1
	assert_output ""
	assert_stderr_line "FAILED: the database has 2 tables and 1 view (legacy_orders, legacy_users, legacy_v) but no version table retort_version: retort will not guess which revision its schema is at. Run 'retort stamp REV' (then 'retort upgrade'), or 'retort sync --baseline REV', naming the revision its schema matches"
	assert_equal "$(file_sum "$DB")" "$before"
	[ ! -e "$DB-journal" ] && [ ! -e "$DB-wal" ] || fail "sync left a journal behind"
	run --separate-stderr retort --format json sync
	assert_failure 1
	assert_json
	assert_output --partial '"reason": "unversioned"'
	assert_equal "$(file_sum "$DB")" "$before"
}

@test "sync: a long list of tables is cut after five, the count is exact" {
	for i in 1 2 3 4 5 6 7; do sqlite3 "$DB" "CREATE TABLE t$i (x INTEGER)"; done
	run --separate-stderr retort sync
	assert_failure 1
	assert_stderr --partial "the database has 7 tables (t1, t2, t3, t4, t5, and 2 more) but no version table"
}

@test "sync --baseline REV: stamps REV, then upgrades; again: a plain upgrade" {
	# the schema of C1 and C2, made by hand (or by another tool)
	sqlite3 "$DB" "CREATE TABLE t_$C1 (x INTEGER); CREATE TABLE t_$C2 (x INTEGER)"
	run --separate-stderr retort sync --baseline "$C2"
	assert_success
	assert_stderr_line "INFO  [retort] The database has 2 tables and no version table: stamping baseline $C2."
	assert_stderr_line "INFO  [retort] Running stamp_revision  -> $C2"
	assert_equal "$(running_lines)" "Running upgrade $C2 -> $C3, Rev three.
Running upgrade $C3 -> $C4, Rev four.
Running upgrade $C4 -> $C5, Rev five."
	assert_equal "$(db_versions)" "$C5"
	assert_equal "$(db_tables | wc -l)" 5
	# the same command line on the next deployment
	run --separate-stderr retort sync --baseline "$C2"
	assert_success
	assert_stderr_line "INFO  [retort] The database has a version table; --baseline $C2 is not needed."
	assert_stderr_line "INFO  [retort] Already at $C5; nothing to do."
}

@test "sync --baseline REV TARGET: stops at TARGET; JSON says what was done" {
	sqlite3 "$DB" "CREATE TABLE t_$C1 (x INTEGER)"
	run --separate-stderr retort --format json sync --baseline "$C1" "$C3"
	assert_success
	assert_json
	assert_equal "$(printf '%s' "$output" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["operation"], d["state"], d["baseline"], d["tables"], d["stamp"]["to"], d["upgrade"]["to"], len(d["upgrade"]["steps"]))')" \
		"sync unversioned $C1 ['t_$C1'] ['$C1'] ['$C3'] 2"
	assert_equal "$(db_versions)" "$C3"
}

@test "sync --baseline on an empty database creates it from base" {
	run --separate-stderr retort sync --baseline "$C2"
	assert_success
	assert_stderr --partial "creating it from base (--baseline $C2 is for a database that already has its schema)."
	assert_equal "$(running_lines | head -1)" "Running upgrade  -> $C1, Rev one."
	assert_equal "$(db_versions)" "$C5"
}

@test "sync --baseline with an unknown revision is exit 2 and changes nothing" {
	sqlite3 "$DB" "CREATE TABLE legacy (x INTEGER)"
	before=$(file_sum "$DB")
	run --separate-stderr retort sync --baseline ffff
	assert_failure 2
	assert_stderr --partial "FAILED: Can't locate revision identified by 'ffff'"
	assert_equal "$(file_sum "$DB")" "$before"
	run --separate-stderr retort sync --baseline ""
	assert_failure 2
}

@test "sync on a versioned database is a plain upgrade" {
	retort -q upgrade "$C2"
	run --separate-stderr retort sync
	assert_success
	refute_stderr --partial "creating it"
	assert_equal "$(running_lines)" "Running upgrade $C2 -> $C3, Rev three.
Running upgrade $C3 -> $C4, Rev four.
Running upgrade $C4 -> $C5, Rev five."
	assert_equal "$(db_versions)" "$C5"
	run --separate-stderr retort --format json sync
	assert_success
	assert_output --partial '"state": "versioned"'
}

# ---- PostgreSQL ----------------------------------------------------------------

pg_setup() {
	pg_required
	PGURL=$(pg_url_for_test)
	export DATABASE_URL=$PGURL
}

pg_q() {
	pg_psql -d "$PGURL" -c "$1"
}

@test "pg sync: an empty database is created and upgraded" {
	pg_setup
	run --separate-stderr retort sync
	assert_success
	assert_stderr --partial "no version table and no tables: creating it from base."
	assert_equal "$(pg_q 'SELECT version_num FROM retort_version')" "$C5"
}

@test "pg sync: tables without a version table are refused, untouched; --baseline stamps and upgrades" {
	pg_setup
	pg_q "CREATE TABLE t_$C1 (x integer); CREATE TABLE t_$C2 (x integer)"
	run --separate-stderr retort sync
	assert_failure 1
	assert_stderr --partial "FAILED: the database has 2 tables (t_$C1, t_$C2) but no version table retort_version"
	assert_stderr --partial "Run 'retort stamp REV' (then 'retort upgrade'), or 'retort sync --baseline REV'"
	assert_equal "$(pg_q "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'")" "t_$C1,t_$C2"
	run --separate-stderr retort sync --baseline "$C2"
	assert_success
	assert_equal "$(running_lines | head -1)" "Running upgrade $C2 -> $C3, Rev three."
	assert_equal "$(pg_q 'SELECT version_num FROM retort_version')" "$C5"
	run --separate-stderr retort sync
	assert_success
	assert_stderr --partial "Already at $C5; nothing to do."
}

@test "pg sync: a versioned database is upgraded" {
	pg_setup
	retort -q upgrade "$C3"
	run --separate-stderr retort sync
	assert_success
	assert_equal "$(running_lines)" "Running upgrade $C3 -> $C4, Rev four.
Running upgrade $C4 -> $C5, Rev five."
}

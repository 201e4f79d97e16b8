#!/usr/bin/env bats
# postgres.bats: the core flow on PostgreSQL (SPEC §2, §6, §7): upgrade,
# downgrade, current, history --indicate-current, version_table_schema,
# transactional rollback of DDL, dollar quoting, password hygiene and
# failing fast on an unreachable server. Every test gets its own database
# on the throwaway server of tests/support/with-postgres.sh, and is skipped
# without one.

load helpers

C1=a1b2c3d4e5f6 C2=b2c3d4e5f6a1 C3=c3d4e5f6a1b2 C4=d4e5f6a1b2c3 C5=e5f6a1b2c3d4
PW=retort-test-pw

setup() {
	common_setup
	pg_required
	PGURL=$(pg_url_for_test)
	export DATABASE_URL=$PGURL
}

# q SQL: one query against the test's database, unaligned output.
q() {
	pg_psql -d "$PGURL" -c "$1"
}

@test "pg: upgrade, current, downgrade with Alembic's log lines" {
	make_chain
	run --separate-stderr retort upgrade head
	assert_success
	assert_output ""
	assert_equal "$stderr" "INFO  [retort] Context impl PostgresqlImpl.
INFO  [retort] Will assume transactional DDL.
INFO  [retort] Running upgrade  -> $C1, Rev one.
INFO  [retort] Running upgrade $C1 -> $C2, Rev two.
INFO  [retort] Running upgrade $C2 -> $C3, Rev three.
INFO  [retort] Running upgrade $C3 -> $C4, Rev four.
INFO  [retort] Running upgrade $C4 -> $C5, Rev five."
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$C5"
	assert_equal "$(q "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 't\_%'")" 5
	run --separate-stderr retort current
	assert_success
	assert_output "$C5 (head)"
	run --separate-stderr retort downgrade -2
	assert_success
	assert_equal "$(running_lines)" "Running downgrade $C5 -> $C4, Rev five.
Running downgrade $C4 -> $C3, Rev four."
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$C3"
	assert_equal "$(q "SELECT to_regclass('public.t_$C4') IS NULL")" t
	run --separate-stderr retort current
	assert_success
	assert_output "$C3"
	run --separate-stderr retort history --indicate-current
	assert_success
	assert_output "$C4 -> $C5 (head), Rev five.
$C3 -> $C4, Rev four.
$C2 -> $C3 (current), Rev three.
$C1 -> $C2, Rev two.
<base> -> $C1, Rev one."
	run --separate-stderr retort downgrade base
	assert_success
	assert_equal "$(q 'SELECT count(*) FROM retort_version')" 0
	assert_equal "$(q "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 't\_%'")" 0
}

@test "pg: --url and postgres:// scheme, stamp, history -r current:" {
	make_chain
	unset DATABASE_URL
	url="postgres://${PGURL#postgresql://}"
	run --separate-stderr retort -u "$url" stamp "$C2"
	assert_success
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$C2"
	assert_equal "$(q "SELECT to_regclass('public.t_$C1') IS NULL")" t
	run --separate-stderr retort -u "$url" history -r current:
	assert_success
	assert_equal "${#lines[@]}" 4
	assert_line --index 3 "$C1 -> $C2, Rev two."
	run --separate-stderr retort --url "$url" --format json current
	assert_success
	assert_json
	assert_output --partial "\"$C2\""
}

@test "pg: version_table_schema puts the version table in that schema" {
	make_chain
	printf 'version_table_schema = __reana\n' >>retort.ini
	run --separate-stderr retort upgrade "$C3"
	assert_success
	assert_equal "$(q 'SELECT version_num FROM __reana.retort_version')" "$C3"
	assert_equal "$(q "SELECT to_regclass('public.retort_version') IS NULL")" t
	# revisions' own objects still go to the search_path (public)
	assert_equal "$(q "SELECT to_regclass('public.t_$C3') IS NOT NULL")" t
	run --separate-stderr retort current
	assert_success
	assert_output "$C3"
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(q 'SELECT version_num FROM __reana.retort_version')" "$C5"
}

@test "pg: a failing revision is rolled back whole, DDL included" {
	write_rev "$C1" "" "Rev one."
	write_rev "$C2" "$C1" "Rev two." "CREATE TABLE t_$C2 (x INTEGER);
ALTER TABLE t_$C1 ADD COLUMN y INTEGER;
CREATE INDEX t_${C2}_x ON t_$C2 (x);
SELECT 1 / 0;"
	bad=$REV_FILE
	write_rev "$C3" "$C2" "Rev three."
	run --separate-stderr retort upgrade head
	assert_failure 1
	assert_output ""
	assert_stderr --partial "$(basename "$bad"):12:"
	assert_stderr --partial "SELECT 1 / 0"
	assert_stderr --partial "division by zero"
	assert_equal "$(q 'SELECT version_num FROM retort_version')" "$C1"
	assert_equal "$(q "SELECT to_regclass('public.t_$C2') IS NULL")" t
	assert_equal "$(q "SELECT to_regclass('public.t_${C2}_x') IS NULL")" t
	assert_equal "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 't_$C1' AND column_name = 'y'")" 0
	run --separate-stderr retort current
	assert_success
	assert_output "$C1"
}

@test "pg: dollar-quoted function bodies with semicolons" {
	write_rev "$C1" "" "Functions." 'CREATE FUNCTION add_one(i integer) RETURNS integer AS $$
BEGIN
    -- a comment; with a semicolon
    RETURN i + 1;
END;
$$ LANGUAGE plpgsql;
CREATE FUNCTION tagged() RETURNS text AS $body$
    SELECT $$a;b$$ || '\'';c'\'';
$body$ LANGUAGE sql;
CREATE TABLE "semi;colon" ("x;y" text DEFAULT E'\''q\'\'';r'\'');' 'DROP TABLE "semi;colon";
DROP FUNCTION tagged();
DROP FUNCTION add_one(integer);'
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(q 'SELECT add_one(41)')" 42
	assert_equal "$(q 'SELECT tagged()')" "a;b;c"
	assert_equal "$(q 'INSERT INTO "semi;colon" DEFAULT VALUES RETURNING "x;y"')" "q';r"
	run --separate-stderr retort downgrade base
	assert_success
	assert_equal "$(q "SELECT count(*) FROM pg_proc WHERE proname IN ('add_one', 'tagged')")" 0
}

@test "pg: a wrong password fails with exit 1 and is never printed" {
	make_chain
	secret=Wr0ngSecretPw
	bad_url="postgresql://postgres:$secret@127.0.0.1:$RETORT_TEST_PG_PORT/postgres"
	for c in "upgrade head" "current" "-v current" "history -i"; do
		run retort -u "$bad_url" $c
		assert_failure 1
		refute_output --partial "$secret"
		assert_output --partial "FAILED"
	done
}

@test "pg: a failing revision's error does not print the password" {
	write_rev "$C1" "" "Rev one." "SELECT no_such_column FROM pg_class;"
	for c in "upgrade head" "-v upgrade head"; do
		run retort $c
		assert_failure 1
		assert_output --partial "no_such_column"
		refute_output --partial "$PW"
	done
}

@test "pg: a failing statement that quotes the connection password is shown scrubbed" {
	# SPEC §2: the password never appears in any error, even when the
	# failing statement (echoed in the error) contains it
	write_rev "$C1" "" "Rev one." "SELECT 'retort-test-pw'::int;"
	run retort upgrade head
	assert_failure 1
	refute_output --partial "$PW"
}

@test "pg: the URL with its password is never logged, even verbose" {
	make_chain
	run retort -v upgrade head
	assert_success
	refute_output --partial "$PW"
	run retort -v history -i
	assert_success
	refute_output --partial "$PW"
}

@test "pg: an unreachable server fails with exit 1 naming it, password hidden" {
	make_chain
	run --separate-stderr retort -u "postgresql://postgres:$PW@127.0.0.1:1/postgres" upgrade head
	assert_failure 1
	assert_stderr --regexp "FAILED: cannot connect to postgresql://postgres:\*\*\*@127.0.0.1:1/postgres"
	refute_stderr --partial "$PW"
}

@test "pg: transactional: false runs outside any transaction, also with transaction_per_migration = false" {
	printf 'transaction_per_migration = false\n' >>retort.ini
	write_rev aaaa00000001 "" "table" "CREATE TABLE big (id INTEGER);"
	write_rev bbbb00000001 aaaa00000001 "index" "CREATE INDEX CONCURRENTLY big_id ON big (id);" "DROP INDEX CONCURRENTLY big_id;"
	# the header must say transactional: false
	sed -i 's/^-- depends_on:.*/&\n-- transactional: false/' "$REV_FILE"
	write_rev cccc00000001 bbbb00000001 "after"
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(q "SELECT to_regclass('public.big_id') IS NOT NULL")" t
	assert_equal "$(q 'SELECT version_num FROM retort_version')" cccc00000001
	run --separate-stderr retort downgrade aaaa00000001
	assert_success
	assert_equal "$(q "SELECT to_regclass('public.big_id') IS NULL")" t
	assert_equal "$(q 'SELECT version_num FROM retort_version')" aaaa00000001
}

@test "pg: the demo project (examples/demo) runs on PostgreSQL too: upgrade, downgrade base, upgrade" {
	cp -R "$RETORT_SRC/examples/demo/." "$PROJ/demo/" 2>/dev/null || { mkdir -p "$PROJ/demo" && cp -R "$RETORT_SRC/examples/demo/." "$PROJ/demo/"; }
	cd "$PROJ/demo"
	run --separate-stderr retort upgrade head
	assert_success
	assert_stderr --partial "Context impl PostgresqlImpl."
	assert_stderr --partial "Running upgrade f84e17bd6b18 -> 6568d7cb6710, storing full workflow workspace."
	assert_equal "$(q "SELECT workspace_path FROM workflow")" "/var/reana/users/w1"
	run --separate-stderr retort downgrade base
	assert_success
	assert_equal "$(q "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'retort%'")" 0
	run --separate-stderr retort upgrade head
	assert_success
	run --separate-stderr retort current
	assert_output "6568d7cb6710 (head)"
}

@test "pg: CREATE INDEX CONCURRENTLY (or VACUUM) in a transactional revision is exit 2 naming file:line and transactional: false, before connecting" {
	write_rev aaaa00000001 "" "table" "CREATE TABLE big (id INTEGER);"
	write_rev bbbb00000001 aaaa00000001 "index" "CREATE UNIQUE INDEX CONCURRENTLY big_id ON big (id);" "DROP INDEX CONCURRENTLY big_id;"
	run --separate-stderr retort upgrade head
	assert_failure 2
	assert_stderr --regexp "FAILED: .*bbbb00000001_index.sql:[0-9]+: CREATE INDEX CONCURRENTLY cannot run inside a transaction.*'-- transactional: false'"
	assert_equal "$(q "SELECT count(*) FROM pg_tables WHERE tablename IN ('big', 'retort_version')")" 0
	sed -i 's/^CREATE UNIQUE INDEX CONCURRENTLY.*/VACUUM big;/' "$REV_FILE"
	run --separate-stderr retort upgrade head
	assert_failure 2
	assert_stderr --regexp "bbbb00000001_index.sql:[0-9]+: VACUUM cannot run inside a transaction"
	# SQLite cannot VACUUM in a transaction either
	run --separate-stderr retort -u "sqlite:///$PROJ/x.db" upgrade aaaa00000001
	assert_failure 2
	assert_stderr --regexp "bbbb00000001_index.sql:[0-9]+: VACUUM cannot run inside a transaction"
	[ ! -e "$PROJ/x.db" ] || fail "the SQLite database was created"
}

@test "pg: with standard_conforming_strings = off, text holding a backslash and a quote still reaches retort_history intact" {
	q "ALTER DATABASE $(q 'SELECT current_database()') SET standard_conforming_strings = off" >/dev/null
	write_rev aaaa00000001 "" "fails" "SELECT 1 FROM \"no\\'such\";"
	run --separate-stderr retort upgrade head
	assert_failure 1
	assert_stderr --partial "no\\'such"
	assert_equal "$(q "SELECT count(*) FROM retort_history WHERE state = 'failed' AND strpos(error, 'no' || chr(92) || chr(39) || 'such') > 0")" 1
}

@test "pg: a version row changed under the run stops the next step at its first round trip, saying where the database is" {
	# C1's own statement moves the version row away after C1's compare-and-set
	# (which PostgreSQL runs with the BEGIN): the next step's compare-and-set
	# matches no row, and nothing of C2 runs.
	write_rev "$C1" "" "one" "CREATE TABLE t_$C1 (x INTEGER);
UPDATE retort_version SET version_num = 'ffffffffffff';"
	write_rev "$C2" "$C1" "two"
	run --separate-stderr retort --format json upgrade head
	assert_failure 1
	assert_stderr --partial "version table changed by another run (0 rows matched)"
	assert_stderr --partial "the database is at $C1"
	assert_output --partial '"reason": "version-conflict"'
	assert_equal "$(q "SELECT count(*) FROM pg_tables WHERE tablename = 't_$C2'")" 0
}

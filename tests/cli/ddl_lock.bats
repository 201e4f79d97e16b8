#!/usr/bin/env bats
# ddl_lock.bats: ddl_lock_timeout on PostgreSQL (SPEC §8): a revision's
# DDL never queues behind a long transaction for longer than
# ddl_lock_timeout; it is rolled back, retried ddl_lock_retries times with
# backoff, and then fails naming the session that holds the lock, the
# database unchanged. Skipped without a PostgreSQL server.

load helpers

setup() {
	common_setup
	pg_required
	PGURL=$(pg_url_for_test)
	export DATABASE_URL=$PGURL
	write_rev aaaa00000001 "" "Base." "CREATE TABLE users (id int);" "DROP TABLE users;"
	write_rev bbbb00000002 aaaa00000001 "Add x." "ALTER TABLE users ADD COLUMN x int;" \
		"ALTER TABLE users DROP COLUMN x;"
	run --separate-stderr retort upgrade aaaa00000001
	assert_success
}

q() {
	pg_psql -d "$PGURL" -c "$1"
}

# hold SECONDS: an open transaction that has read users (ACCESS SHARE), in
# the background, until SECONDS pass
hold() {
	pg_psql -d "$PGURL" -c "BEGIN; SELECT count(*) FROM users; SELECT pg_sleep($1); COMMIT;" \
		>/dev/null 2>&1 &
	HOLDER=$!
	for _ in $(seq 50); do
		[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep($1)%' AND pid <> pg_backend_pid()")" -ge 1 ] && return
		sleep 0.1
	done
	fail "the holding transaction did not start"
}

@test "ddl_lock_timeout: a blocked revision is retried and succeeds once the lock is free" {
	printf 'ddl_lock_timeout = 1\nddl_lock_retries = 3\n' >>retort.ini
	hold 2
	run --separate-stderr retort upgrade
	assert_success
	assert_stderr --partial "waited more than ddl_lock_timeout (1 s) for a lock"
	assert_stderr --partial "retrying in 1 s (1 of 3)"
	assert_equal "$(q 'SELECT version_num FROM retort_version')" bbbb00000002
	assert_equal "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'x'")" 1
	wait "$HOLDER" || true
}

@test "ddl_lock_timeout: retries exhausted is exit 1 naming the blocking session; nothing changed" {
	printf 'ddl_lock_timeout = 1\nddl_lock_retries = 1\n' >>retort.ini
	hold 15
	start=$SECONDS
	run --separate-stderr retort upgrade
	assert_failure 1
	# 1 s wait, 1 s pause, 1 s wait: far less than the 15 s the holder keeps it
	((SECONDS - start < 10)) || fail "took $((SECONDS - start)) s"
	assert_stderr --partial "gave up after 1 retry: the lock is held by pid"
	assert_stderr --partial "pg_sleep(15)"
	assert_equal "$(q 'SELECT version_num FROM retort_version')" aaaa00000001
	assert_equal "$(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'x'")" 0
	# the failed attempts are in the audit trail
	[ "$(q "SELECT count(*) FROM retort_history WHERE revision = 'bbbb00000002' AND state = 'failed'")" -ge 2 ]
	kill "$HOLDER" 2>/dev/null || true
	q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(15)%' AND pid <> pg_backend_pid()" >/dev/null
}

@test "ddl_lock_timeout = 0 waits as long as it takes (no limit)" {
	printf 'ddl_lock_timeout = 0\n' >>retort.ini
	hold 2
	run --separate-stderr retort upgrade
	assert_success
	refute_stderr --partial "ddl_lock_timeout"
	assert_equal "$(q 'SELECT version_num FROM retort_version')" bbbb00000002
}

@test "ddl_lock_timeout: a bad value is exit 2 naming the key" {
	printf 'ddl_lock_timeout = soon\n' >>retort.ini
	run --separate-stderr retort upgrade
	assert_failure 2
	assert_stderr --partial "ddl_lock_timeout"
}

#!/usr/bin/env bats
# crash.bats: crash consistency (SPEC §7: "after any failure or crash the
# version table names exactly the revisions whose changes are in the
# database"). A 150-revision upgrade is killed with SIGKILL at several
# points; every revision K creates table t_K and inserts K into `applied`
# (no unique constraint). After the kill the version table must name
# exactly the revision K such that t_1..t_K exist, t_(K+1) does not and
# `applied` holds exactly 1..K; rerunning `upgrade head` must exit 0 and
# leave all 150 applied exactly once. On PostgreSQL the killed run's
# session advisory lock must not block the rerun (the server drops it with
# the connection; the rerun may wait up to lock_timeout for that).

load helpers
load race

NREV=150
LOCK_TIMEOUT=10

setup() {
	common_setup
	printf 'lock_timeout = %s\n' "$LOCK_TIMEOUT" >>retort.ini
}

teardown() {
	bg_reap
}

# Kill points, in seconds after the start: fixed ones, and one random in
# [0, 1.5).
kill_points() {
	printf '%s\n' 0.05 0.2 0.5 1.0
	awk -v r="$RANDOM" 'BEGIN { printf "%.2f\n", r / 32768 * 1.5 }'
}

# start_and_kill SECONDS PFX: starts `retort upgrade head` (stdout and
# stderr to PFX.out / PFX.err), sends it SIGKILL after SECONDS and reaps
# it; KILL_RC is its wait status (137 when the kill landed).
start_and_kill() {
	local pid
	"$RETORT_BIN" upgrade head >"$2.out" 2>"$2.err" 3>&- &
	pid=$!
	BG_PIDS+=("$pid")
	sleep "$1"
	kill -KILL "$pid" 2>/dev/null || true
	KILL_RC=0
	wait "$pid" || KILL_RC=$?
}

# check_consistent STATE: STATE is "V|TABLES|MAXTABLE|APPLIED|DISTINCT|MIN|MAX"
# as read from the database (V the version table's rows, comma-separated;
# empty counts as 0). Sets K and fails unless the state is that of exactly
# revisions 1..K applied.
check_consistent() {
	local v tables maxt n distinct mn mx
	IFS='|' read -r v tables maxt n distinct mn mx <<<"$1"
	case "$v" in *,*) fail "the version table has several rows: $v" ;; esac
	K=$(rev_index "$v")
	[ "$tables" = "$K" ] && [ "${maxt:-0}" = "$K" ] ||
		fail "version table names $(rev_id "$K") (K=$K) but t_ tables: $tables, highest t_${maxt}"
	if [ "$K" -eq 0 ]; then
		[ "${n:-0}" = 0 ] || fail "nothing applied per the version table, but applied has $n rows"
	else
		[ "$n|$distinct|$mn|$mx" = "$K|$K|1|$K" ] ||
			fail "K=$K but applied has count|distinct|min|max = $n|$distinct|$mn|$mx"
	fi
}

# After all kill points: at least one kill must have landed mid-run, or
# the test checked nothing.
assert_some_mid_run() {
	[ "$MID_RUN" -gt 0 ] ||
		fail "no kill landed mid-run (K per kill point: $KS); revisions are too fast for the kill points"
}

# ---- SQLite --------------------------------------------------------------------

sqlite_state() {
	local db=$1 v="" n=0 distinct="" mn="" mx=""
	if [ "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_master WHERE name = 'retort_version'")" = 1 ]; then
		v=$(sqlite3 "$db" "SELECT group_concat(version_num, ',') FROM retort_version")
	fi
	local tm
	tm=$(sqlite3 "$db" "SELECT count(*), coalesce(max(CAST(substr(name, 3) AS INTEGER)), 0) FROM sqlite_master WHERE type = 'table' AND name GLOB 't_[0-9]*'")
	if [ "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_master WHERE name = 'applied'")" = 1 ]; then
		IFS='|' read -r n distinct mn mx <<<"$(sqlite3 "$db" 'SELECT count(*), count(DISTINCT rev), min(rev), max(rev) FROM applied')"
	fi
	printf '%s|%s|%s|%s|%s|%s\n' "$v" "$tm" "$n" "$distinct" "$mn" "$mx"
}

@test "sqlite: kill -9 mid-upgrade leaves a consistent database; the rerun completes" {
	write_counting_revs "$NREV" "tables slow-sqlite"
	MID_RUN=0 KS=""
	local -i point=0 # (not `i`: bats' run clobbers a global i)
	for t in $(kill_points); do
		point+=1
		db="$BATS_TEST_TMPDIR/crash$point.db"
		export DATABASE_URL="sqlite:///$db"
		start_and_kill "$t" "$BATS_TEST_TMPDIR/kill$point"
		check_consistent "$(sqlite_state "$db")"
		KS+="${t}s:K=$K(rc $KILL_RC) "
		if [ "$K" -gt 0 ] && [ "$K" -lt "$NREV" ]; then MID_RUN=$((MID_RUN + 1)); fi
		if [ "$K" -gt 0 ]; then
			run --separate-stderr retort current
			assert_success
			assert_output --regexp "^$(rev_id "$K")( \(head\))?$"
		fi
		run --separate-stderr retort upgrade head
		assert_success
		# the killed run left no lock behind: the rerun never waited
		refute_stderr --partial "Waiting for the run lock"
		refute_stderr --partial FAILED
		assert_equal "$(running_lines | wc -l)" $((NREV - K))
		check_consistent "$(sqlite_state "$db")"
		assert_equal "$K" "$NREV"
		assert_equal "$(sqlite3 "$db" 'SELECT count(*) FROM applied GROUP BY rev HAVING count(*) <> 1')" ""
	done
	echo "# kill points: $KS" >&3
	assert_some_mid_run
}

# ---- PostgreSQL ---------------------------------------------------------------------

pg_state() {
	local url=$1
	pg_psql -d "$url" -c "SELECT
		CASE WHEN to_regclass('public.retort_version') IS NULL THEN ''
		     ELSE (SELECT coalesce(string_agg(version_num, ','), '') FROM retort_version) END,
		(SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^t_[0-9]+\$'),
		(SELECT coalesce(max(substr(tablename, 3)::int), 0) FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^t_[0-9]+\$')" |
		tr -d '\n'
	if [ "$(pg_psql -d "$url" -c "SELECT to_regclass('public.applied') IS NULL")" = t ]; then
		printf '|0|||\n'
	else
		printf '|%s\n' "$(pg_psql -d "$url" -c 'SELECT count(*), count(DISTINCT rev), min(rev), max(rev) FROM applied')"
	fi
}

# Waits (5 s at most) until no other session is connected to the database
# of URL: the killed client's backend has noticed and ended (its open
# transaction rolled back, or its COMMIT finished).
pg_wait_orphans() {
	local url=$1 i
	for ((i = 0; i < 50; i++)); do
		[ "$(pg_psql -d "$url" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")" = 0 ] && return 0
		sleep 0.1
	done
	return 0 # a lingering backend is the rerun's problem to wait for (lock_timeout)
}

@test "pg: kill -9 mid-upgrade leaves a consistent database; the rerun is not blocked by the dead run's lock" {
	pg_required
	write_counting_revs "$NREV" "tables slow-pg"
	MID_RUN=0 KS=""
	local -i point=0 # (not `i`: bats' run clobbers a global i)
	for t in $(kill_points); do
		point+=1
		pg_required
		url=$(pg_url_for_test)
		export DATABASE_URL=$url
		start_and_kill "$t" "$BATS_TEST_TMPDIR/kill$point"
		pg_wait_orphans "$url"
		check_consistent "$(pg_state "$url")"
		KS+="${t}s:K=$K(rc $KILL_RC) "
		if [ "$K" -gt 0 ] && [ "$K" -lt "$NREV" ]; then MID_RUN=$((MID_RUN + 1)); fi
		if [ "$K" -gt 0 ]; then
			run --separate-stderr retort current
			assert_success
			assert_output --regexp "^$(rev_id "$K")( \(head\))?$"
		fi
		run --separate-stderr retort upgrade head
		assert_success
		# the killed run left no lock behind: the rerun never waited
		refute_stderr --partial "Waiting for the run lock"
		refute_stderr --partial FAILED
		assert_equal "$(running_lines | wc -l)" $((NREV - K))
		check_consistent "$(pg_state "$url")"
		assert_equal "$K" "$NREV"
		assert_equal "$(pg_psql -d "$url" -c 'SELECT rev FROM applied GROUP BY rev HAVING count(*) <> 1')" ""
	done
	echo "# kill points: $KS" >&3
	assert_some_mid_run
}

@test "pg: kill -9 right after the lock is taken: the rerun gets the lock within lock_timeout" {
	# the killed run holds the session lock while its backend sleeps; the
	# server ends that session only once the statement returns and it
	# notices the client is gone
	pg_required
	url=$(pg_url_for_test)
	export DATABASE_URL=$url
	write_rev rev_001 "" "Sleeps." "CREATE TABLE t_1 (x INTEGER);
SELECT pg_sleep(3);"
	write_rev rev_002 rev_001 "Two."
	"$RETORT_BIN" upgrade head >"$BATS_TEST_TMPDIR/k.out" 2>"$BATS_TEST_TMPDIR/k.err" 3>&- &
	pid=$!
	BG_PIDS+=("$pid")
	for ((i = 0; i < 100; i++)); do
		grep -q 'Running upgrade' "$BATS_TEST_TMPDIR/k.err" && break
		sleep 0.1
	done
	grep -q 'Running upgrade' "$BATS_TEST_TMPDIR/k.err" || fail "the first run did not start: $(cat "$BATS_TEST_TMPDIR/k.err")"
	kill -KILL "$pid"
	wait "$pid" || true
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(pg_psql -d "$url" -c 'SELECT version_num FROM retort_version')" rev_002
	assert_equal "$(pg_psql -d "$url" -c "SELECT to_regclass('public.t_1') IS NOT NULL AND to_regclass('public.t_rev_002') IS NOT NULL")" t
}

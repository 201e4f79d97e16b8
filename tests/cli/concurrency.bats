#!/usr/bin/env bats
# concurrency.bats: concurrent runs (SPEC §3 lock / lock_timeout, §7
# "Concurrent runs"). Eight `retort upgrade head` released at one instant
# over 40 revisions that are NOT idempotent (each inserts its number into
# a table without a unique constraint) must apply each revision exactly
# once and all exit 0: on one SQLite file, on PostgreSQL with the default
# advisory lock, and through PgBouncer in transaction pool mode with
# `lock = table`. A run that cannot get the lock within lock_timeout exits
# 1 and says who holds it; an expired lease of `lock = table` is taken
# over. PostgreSQL tests get their own database on the throwaway server of
# tests/support/with-postgres.sh and are skipped without one.

load helpers
load race

NPROC=8
NREV=40
ROUNDS=3
PW=retort-test-pw

setup_file() {
	PGB_PORT=""
	PGB_ERR=""
	if [ -n "${RETORT_TEST_PG_URL-}" ]; then
		PGB_DIR="$BATS_FILE_TMPDIR/pgbouncer"
		PGB_PORT=$("$BATS_TEST_DIRNAME/../support/pgbouncer.sh" start "$PGB_DIR" 2>"$BATS_FILE_TMPDIR/pgbouncer.err") ||
			PGB_ERR="pgbouncer did not start: $(cat "$BATS_FILE_TMPDIR/pgbouncer.err")"
	fi
	export PGB_PORT PGB_ERR PGB_DIR
}

teardown_file() {
	if [ -n "${PGB_DIR-}" ]; then
		"$BATS_TEST_DIRNAME/../support/pgbouncer.sh" stop "$PGB_DIR" || true
	fi
}

setup() {
	common_setup
}

teardown() {
	bg_reap
	sqlite_holder_stop
}

# q URL SQL: one query, unaligned output.
q() {
	pg_psql -d "$1" -c "$2"
}

# Expected `SELECT rev, count(*) FROM applied GROUP BY rev ORDER BY rev`.
expected_applied() {
	local k
	for ((k = 1; k <= $1; k++)); do printf '%s|1\n' "$k"; done
}

# race_round DIR: releases NPROC `retort upgrade head` at once (with the
# environment as set: DATABASE_URL, retort.ini), waits for all of them
# (60 s in all at most) and checks each exited 0 without printing FAILED,
# and that every revision was run by exactly one of them.
race_round() {
	local dir=$1 i deadline left pids=()
	mkdir -p "$dir"
	gate_open
	for ((i = 1; i <= NPROC; i++)); do
		bg_start "$dir/p$i" "$RETORT_BIN" upgrade head
		pids+=("$BG_PID")
	done
	sleep 0.3 # let them all reach the gate
	gate_release "$NPROC"
	deadline=$((SECONDS + 60))
	local failed=""
	for ((i = 1; i <= NPROC; i++)); do
		left=$((deadline - SECONDS))
		[ "$left" -gt 0 ] || left=1
		bg_wait "${pids[$((i - 1))]}" "$dir/p$i" "$left"
		if [ "$BG_RC" -ne 0 ]; then
			failed+="process $i exited $BG_RC:
$(cat "$dir/p$i.out" "$dir/p$i.err" 2>/dev/null | tail -n 5)
"
		elif grep -q FAILED "$dir/p$i.out" "$dir/p$i.err"; then
			failed+="process $i printed FAILED:
$(grep -h FAILED "$dir/p$i.out" "$dir/p$i.err")
"
		fi
	done
	gate_close
	[ -z "$failed" ] || fail "$failed"
	# each revision's "Running upgrade" line printed by exactly one process
	local runs
	runs=$(cat "$dir"/p*.err | grep -c 'Running upgrade' || true)
	[ "$runs" -eq "$NREV" ] ||
		fail "expected $NREV 'Running upgrade' lines over all processes, got $runs:
$(grep -h 'Running upgrade' "$dir"/p*.err | sort | uniq -c | awk '$1 > 1' | head)"
}

# ---- eight processes at once -----------------------------------------------

@test "8 concurrent upgrades on one SQLite file apply each revision once and all exit 0" {
	write_counting_revs "$NREV"
	local -i round
	for ((round = 1; round <= ROUNDS; round++)); do
		db="$BATS_TEST_TMPDIR/race$round.db"
		export DATABASE_URL="sqlite:///$db"
		race_round "$BATS_TEST_TMPDIR/round$round"
		assert_equal "$(sqlite3 "$db" 'SELECT rev, count(*) FROM applied GROUP BY rev ORDER BY rev')" \
			"$(expected_applied "$NREV")"
		assert_equal "$(db_versions "$db")" "$(rev_id "$NREV")"
	done
}

@test "pg: 8 concurrent upgrades with the default (advisory) lock apply each revision once" {
	pg_required
	write_counting_revs "$NREV"
	local -i round
	for ((round = 1; round <= ROUNDS; round++)); do
		pg_required
		url=$(pg_url_for_test)
		export DATABASE_URL=$url
		race_round "$BATS_TEST_TMPDIR/round$round"
		assert_equal "$(q "$url" 'SELECT rev, count(*) FROM applied GROUP BY rev ORDER BY rev')" \
			"$(expected_applied "$NREV")"
		assert_equal "$(q "$url" 'SELECT version_num FROM retort_version')" "$(rev_id "$NREV")"
	done
}

@test "pg: 8 concurrent upgrades through PgBouncer (transaction pooling) with lock = table" {
	pg_required
	[ -z "$PGB_ERR" ] || fail "$PGB_ERR"
	[ -n "$PGB_PORT" ] || fail "no PgBouncer port"
	printf 'lock = table\nlock_timeout = 60\n' >>retort.ini
	write_counting_revs "$NREV"
	local -i round
	for ((round = 1; round <= ROUNDS; round++)); do
		pg_required
		url=$(pg_url_for_test)
		export DATABASE_URL="postgresql://postgres:$PW@127.0.0.1:$PGB_PORT/${url##*/}"
		race_round "$BATS_TEST_TMPDIR/round$round"
		assert_equal "$(q "$url" 'SELECT rev, count(*) FROM applied GROUP BY rev ORDER BY rev')" \
			"$(expected_applied "$NREV")"
		assert_equal "$(q "$url" 'SELECT version_num FROM retort_version')" "$(rev_id "$NREV")"
		# the lease is given back at the end of every run
		assert_equal "$(q "$url" "SELECT count(*) FROM retort_lock WHERE expires_at > $(lease_time "$url" expires_at 0)")" 0
	done
}

# ---- lock_timeout ----------------------------------------------------------------

# wait_running PFX: waits (10 s at most) until the background retort whose
# stderr is PFX.err has started its first revision, i.e. holds the lock.
wait_running() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q 'Running upgrade' "$1.err" 2>/dev/null && return 0
		[ -e "$1.rc" ] && fail "the lock holder ended early (exit $(cat "$1.rc")): $(cat "$1.err")"
		sleep 0.1
	done
	fail "the lock holder did not start a revision within 10 s: $(cat "$1.err" 2>/dev/null)"
}

# timed_run ARGS: `run --separate-stderr retort ARGS`, setting ELAPSED_MS.
timed_run() {
	local t0
	t0=$(date +%s%N)
	run --separate-stderr retort "$@"
	ELAPSED_MS=$((($(date +%s%N) - t0) / 1000000))
}

# The message of a run that timed out on the lock names the holder: a pid
# or the host.
assert_names_holder() {
	printf '%s\n' "$stderr" | grep -qi 'lock' || fail "the message does not mention the lock: $stderr"
	printf '%s\n' "$stderr" | grep -Eqi "pid[^0-9]{0,4}[0-9]+|$(hostname)" ||
		fail "the message does not say who holds the lock (pid/host): $stderr"
}

# pg_gives_up_on_lock: a run holds the lock (its first revision sleeps
# 8 s); a second run with lock_timeout = 1 must give up with exit 1 while
# the holder still holds it, naming the holder; then the holder finishes.
# Leaves the second run's output in $stderr.
pg_gives_up_on_lock() {
	local holder_ini=${1:-retort.ini}
	write_rev rev_001 "" "Slow." "CREATE TABLE slow (x INTEGER);
SELECT pg_sleep(8);"
	write_rev rev_002 rev_001 "After."
	cp retort.ini impatient.ini
	printf 'lock_timeout = 1\n' >>impatient.ini
	bg_start "$BATS_TEST_TMPDIR/holder" "$RETORT_BIN" -c "$holder_ini" upgrade head
	local holder=$BG_PID
	wait_running "$BATS_TEST_TMPDIR/holder"
	timed_run -c impatient.ini upgrade head
	assert_failure 1
	[ "$ELAPSED_MS" -ge 700 ] || fail "gave up after ${ELAPSED_MS} ms, before lock_timeout (1 s)"
	# it gave up on its own, not because the holder finished
	[ ! -e "$BATS_TEST_TMPDIR/holder.rc" ] || fail "the holder ended before the second run gave up (${ELAPSED_MS} ms)"
	assert_names_holder
	refute_stderr --partial "Running upgrade"
	bg_wait "$holder" "$BATS_TEST_TMPDIR/holder" 30
	[ "$BG_RC" -eq 0 ] || fail "the holder exited $BG_RC: $(cat "$BATS_TEST_TMPDIR/holder.err")"
	assert_equal "$(q "$url" 'SELECT version_num FROM public.retort_version')" rev_002
}

@test "pg: a second run gives up after lock_timeout with exit 1 and names the holder" {
	pg_required
	url=$(pg_url_for_test)
	export DATABASE_URL=$url
	pg_gives_up_on_lock
	refute_stderr --partial "$PW"
}

@test "pg: lock = table: a second run gives up after lock_timeout with exit 1 and names the holder" {
	pg_required
	url=$(pg_url_for_test)
	export DATABASE_URL=$url
	printf 'lock = table\n' >>retort.ini
	pg_gives_up_on_lock
}

# A sqlite3 shell holding an exclusive transaction on $DB, fed through a
# fifo on fd 8 so the test decides when it ends.
SQLITE_HOLDER_PID=""
sqlite_holder_start() {
	local fifo="$BATS_TEST_TMPDIR/holder.fifo" i
	mkfifo "$fifo"
	sqlite3 "$1" <"$fifo" >"$BATS_TEST_TMPDIR/holder.out" 2>&1 3>&- &
	SQLITE_HOLDER_PID=$!
	exec 8>"$fifo"
	printf 'BEGIN EXCLUSIVE;\nCREATE TABLE IF NOT EXISTS holder_mark (x INTEGER);\n' >&8
	for ((i = 0; i < 50; i++)); do
		sqlite3 -cmd '.timeout 0' "$1" 'BEGIN IMMEDIATE; ROLLBACK;' >/dev/null 2>&1 || return 0
		sleep 0.1
	done
	fail "the sqlite3 shell did not take the lock: $(cat "$BATS_TEST_TMPDIR/holder.out")"
}
sqlite_holder_stop() {
	if [ -n "$SQLITE_HOLDER_PID" ]; then
		printf 'ROLLBACK;\n.quit\n' >&8 2>/dev/null || true
		exec 8>&- || true
		local i
		for ((i = 0; i < 30; i++)); do
			kill -0 "$SQLITE_HOLDER_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$SQLITE_HOLDER_PID" 2>/dev/null || true
		wait "$SQLITE_HOLDER_PID" 2>/dev/null || true
		SQLITE_HOLDER_PID=""
	fi
}

@test "sqlite: a run that cannot get the write lock exits 1 after lock_timeout" {
	write_counting_revs 3
	run --separate-stderr retort upgrade rev_001
	assert_success
	printf 'lock_timeout = 1\n' >>retort.ini
	sqlite_holder_start "$DB"
	timed_run upgrade head
	assert_failure 1
	assert_stderr --regexp '[Ll]ock'
	[ "$ELAPSED_MS" -ge 700 ] || fail "gave up after ${ELAPSED_MS} ms, before lock_timeout (1 s)"
	# the shell still holds its transaction: the run gave up on its own
	kill -0 "$SQLITE_HOLDER_PID" || fail "the sqlite3 holder is gone: $stderr"
	sqlite_holder_stop
	assert_equal "$(db_versions)" rev_001
	assert_equal "$(sqlite3 "$DB" 'SELECT group_concat(rev) FROM applied')" 1
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(db_versions)" rev_003
	assert_equal "$(sqlite3 "$DB" 'SELECT rev, count(*) FROM applied GROUP BY rev ORDER BY rev')" "$(expected_applied 3)"
}

@test "sqlite: a second retort gives up after lock_timeout while a long revision runs" {
	# SQLite has no sleep: a recursive CTE counting to 25 million takes seconds
	write_rev rev_001 "" "Slow." "CREATE TABLE slow (x INTEGER);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 25000000) SELECT count(*) FROM c;"
	write_rev rev_002 rev_001 "After."
	cp retort.ini impatient.ini
	printf 'lock_timeout = 1\n' >>impatient.ini
	bg_start "$BATS_TEST_TMPDIR/holder" "$RETORT_BIN" upgrade head
	holder=$BG_PID
	wait_running "$BATS_TEST_TMPDIR/holder"
	sleep 0.2
	timed_run -c impatient.ini upgrade head
	if [ -e "$BATS_TEST_TMPDIR/holder.rc" ]; then
		skip "the long revision ended before the second run (machine too fast)"
	fi
	assert_failure 1
	assert_stderr --regexp '[Ll]ock'
	refute_stderr --partial "Running upgrade"
	bg_wait "$holder" "$BATS_TEST_TMPDIR/holder" 60
	[ "$BG_RC" -eq 0 ] || fail "the holder exited $BG_RC: $(cat "$BATS_TEST_TMPDIR/holder.err")"
	assert_equal "$(db_versions)" rev_002
}

# ---- lock = table: leases ----------------------------------------------------------

# lease_time URL COLUMN OFFSET_S: an SQL expression for "now + OFFSET_S"
# in the type of retort_lock.COLUMN (epoch seconds or a timestamp).
lease_time() {
	local type
	type=$(q "$1" "SELECT data_type FROM information_schema.columns WHERE table_name = 'retort_lock' AND column_name = '$2'")
	case "$type" in
	bigint | integer | numeric | "double precision" | real) printf '(extract(epoch FROM now())::bigint + (%s))' "$3" ;;
	*) printf "(now() + interval '%s seconds')" "$3" ;;
	esac
}

# Starts `retort upgrade head` under lock = table with a revision that
# sleeps, waits until it holds the lease, kills it with SIGKILL and ends
# its server session (as the server eventually would): its lease row
# stays behind.
leave_lease_of_killed_run() {
	local url=$1 holder
	bg_start "$BATS_TEST_TMPDIR/holder" "$RETORT_BIN" upgrade head
	holder=$BG_PID
	wait_running "$BATS_TEST_TMPDIR/holder"
	pkill -KILL -P "$holder"
	bg_wait "$holder" "$BATS_TEST_TMPDIR/holder" 10
	q "$url" "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()" >/dev/null
}

@test "pg: lock = table: the lease of a killed run blocks until lock_timeout; once stale it is taken over" {
	pg_required
	url=$(pg_url_for_test)
	export DATABASE_URL=$url
	printf 'lock = table\n' >>retort.ini
	write_rev rev_001 "" "Slow." "CREATE TABLE slow (x INTEGER);
SELECT pg_sleep(30);"
	write_rev rev_002 rev_001 "After."
	leave_lease_of_killed_run "$url"
	assert_equal "$(q "$url" "SELECT to_regclass('public.retort_lock') IS NOT NULL")" t
	assert_equal "$(q "$url" "SELECT count(*) FROM information_schema.columns WHERE table_name = 'retort_lock' AND column_name IN ('holder', 'pid', 'acquired_at', 'expires_at')")" 4
	assert_equal "$(q "$url" "SELECT count(*) FROM retort_lock WHERE expires_at > $(lease_time "$url" expires_at 0)")" 1
	# still leased: a run with lock_timeout = 1 gives up and names the holder
	cp retort.ini impatient.ini
	printf 'lock_timeout = 1\n' >>impatient.ini
	timed_run -c impatient.ini upgrade head
	assert_failure 1
	[ "$ELAPSED_MS" -ge 700 ] || fail "gave up after ${ELAPSED_MS} ms, before lock_timeout (1 s)"
	assert_names_holder
	assert_equal "$(q "$url" "SELECT count(*) FROM retort_version")" 0
	# a stale lease: its holder's pid is dead and it expired minutes ago
	dead=$(dead_pid)
	q "$url" "UPDATE retort_lock SET pid = $dead,
		acquired_at = $(lease_time "$url" acquired_at -600),
		expires_at = $(lease_time "$url" expires_at -300)"
	printf 'lock_timeout = 10\n' >>retort.ini
	sed -i 's/^SELECT pg_sleep(30);$//' "$VERSIONS"/rev_001_*.sql
	timed_run upgrade head
	assert_success
	refute_stderr --partial FAILED
	assert_equal "$(q "$url" 'SELECT version_num FROM retort_version')" rev_002
	# the run gave its lease back (or left none that is live)
	assert_equal "$(q "$url" "SELECT count(*) FROM retort_lock WHERE expires_at > $(lease_time "$url" expires_at 0)")" 0
}

@test "pg: runs that name the version table's schema and runs that find it on search_path exclude each other" {
	pg_required
	url=$(pg_url_for_test)
	export DATABASE_URL=$url
	# the holder names the schema; the second run finds the same table on search_path
	cp retort.ini named.ini
	printf 'version_table_schema = public\n' >>named.ini
	pg_gives_up_on_lock named.ini
}

# keepalive_ticks PID: for each TCP socket of process PID in ESTABLISHED
# state with a keepalive timer (/proc/net/tcp: st 01, tr 2), the time left
# on that timer in clock ticks (USER_HZ), one a line.
keepalive_ticks() {
	local inodes
	inodes=$(ls -l "/proc/$1/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\].*/\1/p' | tr '\n' ' ')
	[ -n "$inodes" ] || return 0
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v inodes=" $inodes" '
		$4 == "01" && index(inodes, " " $10 " ") {
			split($6, t, ":")
			if (t[1] == "02") print t[2]
		}' | while read -r hex; do echo $((16#$hex)); done
}

@test "pg: retort's connections probe a silent server within a minute (keepalive), unless the URL says otherwise" {
	pg_required
	url=$(pg_url_for_test)
	write_rev rev_001 "" "Slow." "SELECT pg_sleep(4);"
	local sep='?'
	case "$url" in *\?*) sep='&' ;; esac
	for variant in default url; do
		local u=$url
		[ "$variant" = url ] && u="$url${sep}keepalives_idle=900"
		"$RETORT_BIN" -u "$u" upgrade head >"$BATS_TEST_TMPDIR/$variant.out" 2>"$BATS_TEST_TMPDIR/$variant.err" &
		local pid=$! ticks="" i
		for ((i = 0; i < 50; i++)); do
			ticks=$(keepalive_ticks "$pid")
			[ -n "$ticks" ] && break
			sleep 0.1
		done
		wait "$pid" || fail "upgrade ($variant) failed: $(cat "$BATS_TEST_TMPDIR/$variant.err")"
		[ -n "$ticks" ] || fail "no established connection with a keepalive timer seen ($variant)"
		local max
		max=$(printf '%s\n' $ticks | sort -n | tail -n 1)
		if [ "$variant" = default ]; then
			# 30 s idle (3000 ticks at USER_HZ 100), not the kernel's 2 hours
			[ "$max" -le 3100 ] || fail "keepalive timer at $max ticks: not retort's 30 s"
		else
			[ "$max" -gt 3100 ] || fail "keepalives_idle=900 in the URL did not win: $max ticks"
		fi
		"$RETORT_BIN" -u "$url" stamp base >/dev/null 2>&1 || fail "stamp base failed"
	done
}

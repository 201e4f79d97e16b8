#!/usr/bin/env bats
# The command line itself (src/cli): every command's help generated from
# its option table, `retort help`, suggestions for mistyped commands and
# options, and what a terminal sees: SIGINT/SIGTERM stopping a run (exit
# 130/143) and the status line of a long statement (only on a terminal).

load helpers

setup() {
	common_setup
}

# a background run a failed test left behind
teardown() {
	[ -z "${pid-}" ] || kill -KILL "$pid" 2>/dev/null || true
}

COMMANDS=(init revision merge upgrade downgrade stamp current version history heads
	branches show verify repair help sync graph)

# Each command's options (long names) that its -h must explain.
declare -A OPTIONS=(
	[init]=""
	[revision]="--message --autogenerate --rev-id --head --splice --branch-label --depends-on --phased"
	[merge]="--message --rev-id --branch-label"
	[upgrade]="--sql --strict --release"
	[downgrade]="--sql"
	[stamp]="--sql --purge"
	[current]=""
	[version]=""
	[history]="--rev-range --indicate-current"
	[heads]="--resolve-dependencies"
	[branches]=""
	[show]=""
	[verify]=""
	[repair]="--applied --lock --checksums"
	[help]=""
	[sync]="--baseline"
	[graph]="--format"
)
GLOBALS="--config --url --quiet --verbose --format --no-color --help"

# ---- help ------------------------------------------------------------------

@test "help: every command's -h explains each of its options and the global ones, on stdout, exit 0" {
	cd "$BATS_TEST_TMPDIR"
	for c in "${COMMANDS[@]}"; do
		run --separate-stderr retort "$c" -h
		assert_success
		assert_stderr ""
		assert_line --index 0 --partial "usage: retort $c"
		for o in ${OPTIONS[$c]} $GLOBALS; do
			# an option's row: "  -x, --name ARG   sentence" or "      --name ..."
			assert_line --regexp "^  (-[a-z], |    )$o( [^ ]+)?( .*)?$"
		done
		run --separate-stderr retort "$c" --help
		assert_success
	done
}

@test "help: short letters appear in the option rows (-m, -r, -i, -c, -u, -q, -v, -h)" {
	run --separate-stderr retort revision -h
	assert_line --regexp '^  -m, --message MSG '
	run --separate-stderr retort history -h
	assert_line --regexp '^  -r, --rev-range RANGE '
	assert_line --regexp '^  -i, --indicate-current '
	for o in "c, --config FILE" "u, --url URL" "q, --quiet" "v, --verbose" "h, --help"; do
		assert_line --regexp "^  -$o "
	done
}

@test "help: commands with arguments describe their target forms" {
	run retort upgrade -h
	assert_output --partial "TARGET"
	for form in heads "LABEL@head" "+N" "REV+N" "unique prefix" "FROM:TO"; do
		assert_output --partial "$form"
	done
	run retort downgrade -h
	for form in base "-N" "REV-N" "FROM:TO"; do
		assert_output --partial "$form"
	done
	run retort history -h
	for form in "A:B" "current:" "-3:"; do
		assert_output --partial "$form"
	done
	run retort stamp -h
	assert_output --partial "REV"
	run retort merge -h
	assert_output --partial "heads"
	run retort init -h
	assert_output --partial "DIR"
}

@test "help: 'retort help CMD' prints exactly 'retort CMD -h'; 'retort help' is 'retort --help'" {
	for c in "${COMMANDS[@]}"; do
		assert_equal "$(retort help "$c")" "$(retort "$c" -h)"
	done
	assert_equal "$(retort help)" "$(retort --help)"
	assert_equal "$(retort help)" "$(retort -h)"
}

@test "help: version has its own help, saying what it prints" {
	run --separate-stderr retort version -h
	assert_success
	assert_line --index 0 "usage: retort version"
	assert_output --partial "Print the database's version"
	[ "$output" != "$(retort current -h | sed 's/retort current/retort version/')" ] ||
		fail "version -h is current's help"
}

@test "help: 'retort --help' lists every command and the exit codes" {
	run --separate-stderr retort --help
	assert_success
	for c in "${COMMANDS[@]}"; do
		assert_line --regexp "^  $c +[a-z(]"
	done
	assert_output --partial "--version"
	assert_output --partial "130"
}

@test "help: no help line is wider than 79 columns" {
	for c in "${COMMANDS[@]}"; do
		long=$(retort "$c" -h | awk 'length > 79')
		[ -z "$long" ] || fail "retort $c -h: line(s) over 79 columns: $long"
	done
	long=$(retort --help | awk 'length > 79')
	[ -z "$long" ] || fail "retort --help: $long"
}

@test "help: -h needs no project, and wins over everything else on the line" {
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr retort upgrade head --sql -h
	assert_success
	assert_output --partial "usage: retort upgrade"
	run --separate-stderr retort -u "postgresql://u:secret@127.0.0.1:1/x" downgrade -h
	assert_success
	assert_stderr ""
}

@test "help: 'retort help nosuch' is exit 2 with a suggestion when one is close" {
	run --separate-stderr retort help nosuch
	assert_failure 2
	assert_output ""
	assert_stderr --partial "FAILED: unknown command 'nosuch'"
	run --separate-stderr retort help upgarde
	assert_failure 2
	assert_stderr --partial "did you mean 'upgrade'?"
	run --separate-stderr retort help upgrade extra
	assert_failure 2
}

# ---- suggestions -------------------------------------------------------------

@test "suggest: an unknown command close to one is exit 2 naming both" {
	run --separate-stderr retort upgarde
	assert_failure 2
	assert_output ""
	assert_stderr_line "FAILED: unknown command 'upgarde'; did you mean 'upgrade'? (see retort --help)"
	run --separate-stderr retort histroy
	assert_stderr --partial "did you mean 'history'?"
	run --separate-stderr retort hist
	assert_stderr --partial "did you mean 'history'?"
	run --separate-stderr retort downgarde
	assert_stderr --partial "did you mean 'downgrade'?"
	# nothing close: no guess
	run --separate-stderr retort frobnicate
	assert_failure 2
	assert_stderr_line "FAILED: unknown command 'frobnicate' (see retort --help)"
	[ ! -e "$DB" ] || fail "a usage error created $DB"
}

@test "suggest: an unknown long option close to one of the command's is exit 2 naming it" {
	run --separate-stderr retort upgrade --sqll
	assert_failure 2
	assert_stderr_line "FAILED: unknown option '--sqll'; did you mean '--sql'?"
	assert_stderr --partial "usage: retort upgrade"
	run --separate-stderr retort history --indicate-curent
	assert_stderr --partial "did you mean '--indicate-current'?"
	run --separate-stderr retort --formt json heads
	assert_stderr --partial "did you mean '--format'?"
	run --separate-stderr retort stamp --prge base
	assert_stderr --partial "did you mean '--purge'?"
	# an option of another command is not suggested
	run --separate-stderr retort upgrade --bogus
	assert_failure 2
	assert_stderr_line "FAILED: unknown option '--bogus'"
	# an ambiguous abbreviation names the candidates
	run --separate-stderr retort upgrade --s
	assert_failure 2
	assert_stderr --partial "ambiguous option '--s' (--sql, --strict)"
	# a unique abbreviation works, as getopt_long's
	run --separate-stderr retort heads --resolve
	assert_success
	[ ! -e "$DB" ] || fail "a usage error created $DB"
}

@test "usage errors: one FAILED line, then the synopsis with indented continuation lines" {
	for args in "upgrade --bogus" "downgrade" "revision --rev-id" "merge -m x" "heads extra" \
		"stamp --purge --sql" "current -r 1:2" "upgrade --sql=yes"; do
		run --separate-stderr retort $args
		assert_failure 2
		assert_output ""
		n=$(printf '%s\n' "$stderr" | grep -c '^FAILED: ')
		assert_equal "$n" 1
		other=$(printf '%s\n' "$stderr" | awk '/^usage: retort / { u = 1; next }
			u && /^[ \t]/ { next } { u = 0 } /^FAILED: / { next } { print }')
		[ -z "$other" ] || fail "retort $args: unexpected stderr lines: $other"
	done
}

@test "relative targets like -1 are arguments, not options" {
	make_chain
	retort -q upgrade head
	run --separate-stderr retort downgrade -2
	assert_success
	assert_equal "$(db_versions)" "${CHAIN[2]}"
	run --separate-stderr retort -q downgrade -1 --sql
	assert_failure 2 # offline needs FROM:TO, and -1 stayed a target
	refute_stderr --partial "unknown option"
}

# ---- the ladder: parse, open, validate, connect --------------------------------

@test "ladder: upgrade --sql never connects; a broken file is refused before connecting" {
	make_chain
	nowhere="postgresql://u:pw@127.0.0.1:1/nodb"
	run --separate-stderr retort -u "$nowhere" upgrade --sql "${CHAIN[1]}"
	assert_success
	assert_output --partial "CREATE TABLE t_${CHAIN[0]}"
	run --separate-stderr retort -u "$nowhere" stamp --sql head
	assert_success
	# online, a file that cannot be split is reported (exit 2), not the
	# connection (exit 1)
	write_rev f0f0f0f0f0f0 "${CHAIN[4]}" "Broken." "INSERT INTO t VALUES ('unterminated);"
	run --separate-stderr retort -u "$nowhere" upgrade
	assert_failure 2
	assert_stderr --partial "f0f0f0f0f0f0"
	refute_stderr --partial "127.0.0.1"
}

# ---- signals -----------------------------------------------------------------

# A revision on SQLite that runs until it is interrupted.
endless_sqlite_rev() {
	write_rev aaaa00000001 "" "Endless." \
		"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;"
}

# wait_for_line FILE TEXT: up to 10 s for TEXT to appear in FILE.
wait_for_line() {
	local i
	for i in $(seq 100); do
		grep -qF "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "'$2' never appeared in $1: $(cat "$1")"
}

@test "signals: SIGTERM during an upgrade stops it: FAILED line, exit 143, nothing applied" {
	endless_sqlite_rev
	# the binary itself, not the retort() function: $! must be its pid
	"$RETORT_BIN" upgrade >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	wait_for_line "$BATS_TEST_TMPDIR/err" "Running upgrade"
	sleep 0.5
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 143
	grep -q '^FAILED: .*interrupt' "$BATS_TEST_TMPDIR/err" ||
		fail "no FAILED line naming the interruption: $(cat "$BATS_TEST_TMPDIR/err")"
	assert_equal "$(db_versions)" ""
}

@test "signals: SIGINT during an upgrade stops it: exit 130" {
	endless_sqlite_rev
	# a background job of a script ignores SIGINT (and retort keeps it so):
	# give it the default disposition, as an interactive shell would
	env --default-signal=INT "$RETORT_BIN" upgrade >"$BATS_TEST_TMPDIR/out" \
		2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	wait_for_line "$BATS_TEST_TMPDIR/err" "Running upgrade"
	sleep 0.5
	kill -INT "$pid"
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 130
	grep -q '^FAILED: ' "$BATS_TEST_TMPDIR/err" || fail "no FAILED line: $(cat "$BATS_TEST_TMPDIR/err")"
	assert_equal "$(db_versions)" ""
	# and the next run is not blocked by anything the interrupted one left
	rm "$REV_FILE"
	write_rev aaaa00000001 "" "Now quick." "CREATE TABLE t (x INTEGER);"
	run --separate-stderr retort upgrade
	assert_success
	assert_equal "$(db_versions)" aaaa00000001
}

@test "signals: SIGTERM during a PostgreSQL statement cancels it: exit 143, version unchanged" {
	pg_required
	url=$(pg_url_for_test)
	write_rev bbbb00000001 "" "Slow." "SELECT pg_sleep(30);" "SELECT 1;"
	"$RETORT_BIN" -u "$url" upgrade >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	pid=$!
	wait_for_line "$BATS_TEST_TMPDIR/err" "Running upgrade"
	sleep 0.5
	start=$SECONDS
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 143
	((SECONDS - start < 10)) || fail "took $((SECONDS - start)) s to stop"
	grep -q '^FAILED: .*interrupt' "$BATS_TEST_TMPDIR/err" ||
		fail "no FAILED line naming the interruption: $(cat "$BATS_TEST_TMPDIR/err")"
	run --separate-stderr retort -u "$url" current
	assert_success
	assert_output ""
}

# ---- the status line of a long statement ------------------------------------------

# on_pty CMD...: runs CMD with stdin/stdout/stderr on a pseudo-terminal
# (script(1)); what the terminal showed is in $BATS_TEST_TMPDIR/pty.
on_pty() {
	local cmd
	printf -v cmd '%q ' "$@"
	script -q -e -c "$cmd" /dev/null >"$BATS_TEST_TMPDIR/pty" </dev/null
}

@test "status line: a statement running over 2 s shows one on a terminal, never on a file" {
	pg_required
	url=$(pg_url_for_test)
	write_rev cccc00000001 "" "Slow." "SELECT pg_sleep(4);" "SELECT pg_sleep(4);"
	on_pty "$RETORT_BIN" -u "$url" upgrade
	grep -q 'cccc00000001 statement 1/1 ([0-9]* s): SELECT pg_sleep(4)' "$BATS_TEST_TMPDIR/pty" ||
		fail "no status line on the terminal: $(cat -A "$BATS_TEST_TMPDIR/pty")"
	# it was cleared: the last thing on the line is blanks, then \r
	tail -c 200 "$BATS_TEST_TMPDIR/pty" | tr '\r' '\n' | tail -n 1 | grep -qv 'statement' ||
		fail "status line left behind"
	# stderr to a file: never a status line
	run --separate-stderr retort -u "$url" downgrade base
	assert_success
	refute_stderr --partial "statement 1/1"
	[[ $stderr != *$'\r'* ]] || fail "a carriage return on a non-terminal stderr"
	# -q on a terminal: none either
	on_pty "$RETORT_BIN" -q -u "$url" upgrade
	! grep -q 'statement 1/1' "$BATS_TEST_TMPDIR/pty" || fail "status line under -q"
}

@test "status line: a quick statement shows none, even on a terminal" {
	write_rev dddd00000001 "" "Quick." "CREATE TABLE q (x INTEGER);"
	on_pty "$RETORT_BIN" upgrade
	grep -q 'Running upgrade' "$BATS_TEST_TMPDIR/pty" || fail "$(cat "$BATS_TEST_TMPDIR/pty")"
	! grep -q 'statement 1/1' "$BATS_TEST_TMPDIR/pty" || fail "status line for a quick statement"
}

@test "summary: a run ends with 'Done: N revisions in X s.' on a terminal and with -v, never on a plain pipe (Alembic's output)" {
	write_rev eeee00000001 "" "One." "CREATE TABLE a (x INTEGER);" "DROP TABLE a;"
	write_rev eeee00000002 eeee00000001 "Two." "CREATE TABLE b (x INTEGER);" "DROP TABLE b;"
	on_pty "$RETORT_BIN" upgrade
	grep -q 'INFO  \[retort\] Done: 2 revisions in [0-9.]* s\.' "$BATS_TEST_TMPDIR/pty" ||
		fail "no summary on the terminal: $(cat -A "$BATS_TEST_TMPDIR/pty")"
	run --separate-stderr retort downgrade base
	assert_success
	refute_stderr --partial "Done:"
	run --separate-stderr retort -v upgrade head
	assert_success
	assert_stderr --regexp "INFO  \[retort\] Done: 2 revisions in [0-9.]+ s\.$"
	# nothing to do: no summary
	run --separate-stderr retort -v upgrade head
	refute_stderr --partial "Done:"
}

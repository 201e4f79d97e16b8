#!/usr/bin/env bats
# bad_inputs.bats: a catalogue of bad inputs (SPEC §2, §3, §4, §5). Every
# case asserts all of:
#   - the exact exit code: 2 for usage, configuration, a bad revision file
#     or an unknown target; 1 for runtime failures (unreachable database,
#     wrong password, failing statement);
#   - stderr holds exactly one "FAILED: " line and nothing else but
#     Alembic-style log lines (and the one-line "usage:" hint after a bad
#     flag): no multi-line dumps, no stack traces, no sanitizer reports;
#   - the FAILED line names the offending file:line or value;
#   - nothing was written: the SQLite file's checksum is unchanged (or the
#     file was not created); on PostgreSQL, no table was created;
#   - no password appears on stdout or stderr.
# A case that hangs is killed after $RT_TIMEOUT seconds (exit 124).
#
# Each test starts from a project whose database has one applied revision
# (A) and one valid pending revision (B, child of A), so a tool that skips
# the bad input and carries on would visibly write to the database.

load helpers

A=a1b2c3d4e5f6 B=b2c3d4e5f6a1
PW=secretpw # the password in every URL below; must never be printed
RT_TIMEOUT=10

setup() {
	common_setup
	write_rev "$A" "" "Applied."
	"$RETORT_BIN" -q upgrade head || fail "priming upgrade failed"
	write_rev "$B" "$A" "Pending."
	BEFORE=$(file_sum "$DB")
	[ "$BEFORE" != absent ] || fail "priming upgrade did not create $DB"
}

# rt ARGS: the binary under test with a time limit, so a hang fails the
# case quickly instead of stalling the suite.
rt() {
	timeout -k 2 "$RT_TIMEOUT" "$RETORT_BIN" "$@"
}

# bad FILE: writes stdin to $VERSIONS/FILE (byte for byte).
bad() {
	cat >"$VERSIONS/$1"
}

# assert_rejected CODE REGEX: the checks every case shares, on the result
# of `run --separate-stderr rt ...`. REGEX (bash ERE) must match the
# FAILED line.
assert_rejected() {
	local code=$1 re=$2 n other msg
	if [ "$status" -ne "$code" ]; then
		fail "exit status $status, expected $code
--- stderr ---
$(printf '%s' "$stderr" | head -c 2000)"
	fi
	n=$(printf '%s\n' "$stderr" | grep -ac '^FAILED: ' || true)
	if [ "$n" -ne 1 ]; then
		fail "expected exactly one 'FAILED: ' line on stderr, got $n
--- stderr ---
$(printf '%s' "$stderr" | head -c 2000)"
	fi
	# allowed besides the FAILED line: log lines, and after a usage error a
	# "usage: retort ..." block (its continuation lines are indented)
	other=$(printf '%s\n' "$stderr" | awk '
		/^usage: retort / { u = 1; next }
		u && /^[ \t]/ { next }
		{ u = 0 }
		/^FAILED: / || /^[A-Z]+ +\[retort\] / { next }
		{ n++ }
		END { print n + 0 }')
	if [ "$other" -ne 0 ]; then
		fail "stderr has $other line(s) besides the FAILED line and log lines
--- stderr ---
$(printf '%s' "$stderr" | head -c 2000)"
	fi
	msg=$(printf '%s\n' "$stderr" | grep -a '^FAILED: ')
	[ -z "${SHOW_FAILED-}" ] || printf '# %s\n' "$msg" >&3
	if ! [[ $msg =~ $re ]]; then
		fail "the FAILED line does not match /$re/:
$msg"
	fi
	assert_no_password
}

# assert_no_password [EXTRA...]: neither stdout nor stderr holds a password.
assert_no_password() {
	local pw
	for pw in "$PW" retort-test-pw "$@"; do
		case "$output$stderr" in
		*"$pw"*) fail "password '$pw' echoed:
--- stdout ---
$output
--- stderr ---
$stderr" ;;
		esac
	done
}

# The SQLite database is byte for byte what it was, and still at A.
assert_db_untouched() {
	assert_equal "$(file_sum "$DB")" "$BEFORE"
	assert_equal "$(db_versions)" "$A"
	assert_equal "$(db_tables)" "t_$A"
}

# write_ini LINE...: a retort.ini with the given lines after [retort].
write_ini() {
	{
		echo '[retort]'
		printf '%s\n' "$@"
	} >"$PROJ/retort.ini"
}

# The public tables of a PostgreSQL database (by URL), one a line.
pg_tables() {
	pg_psql -d "$1" -c "SELECT tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
}

# ---- revision headers (SPEC §4) ----------------------------------------------

@test "header: no '-- revision:' line is exit 2 naming the file" {
	bad norev.sql <<-EOF
		-- down_revision: $A
		-- message: No id.

		-- +upgrade
		CREATE TABLE t_noid (x INTEGER);
	EOF
	run --separate-stderr rt upgrade head
	assert_rejected 2 'norev\.sql(:[0-9]+)?: .*revision'
	assert_db_untouched
}

@test "phased: ':batch_size' cannot be rendered by upgrade --sql: exit 2 naming file:line" {
	bad batch.sql <<-EOF
		-- revision: bbbb00000001
		-- down_revision: $B

		-- +expand
		ALTER TABLE t_a ADD COLUMN y INTEGER;

		-- +migrate
		UPDATE t_a SET y = x WHERE rowid IN (SELECT rowid FROM t_a WHERE y IS NULL LIMIT :batch_size);

		-- +contract

		-- +downgrade
	EOF
	run --separate-stderr rt upgrade --sql head
	assert_rejected 2 "batch\.sql:8: ':batch_size' \(a batched migrate\) runs only through"
	assert_db_untouched
}

@test "header: a duplicate key is exit 2 naming file:line and the key" {
	bad dupkey.sql <<-EOF
		-- revision: d0d0d0d0d0d0
		-- down_revision: $B
		-- message: one
		-- message: two

		-- +upgrade
		CREATE TABLE t_dup (x INTEGER);
	EOF
	run --separate-stderr rt upgrade head
	assert_rejected 2 'dupkey\.sql:4: .*message'
	assert_db_untouched
}

@test "header: an unknown key is exit 2 naming file:line and the key" {
	bad unkkey.sql <<-EOF
		-- revision: d1d1d1d1d1d1
		-- down_revision: $B
		-- author: bob
		-- message: Unknown key.

		-- +upgrade
		CREATE TABLE t_unk (x INTEGER);
	EOF
	run --separate-stderr rt upgrade head
	assert_rejected 2 'unkkey\.sql:3: .*author'
	assert_db_untouched
}

@test "header: 'transactional: maybe' is exit 2 naming file:line and the value" {
	bad trans.sql <<-EOF
		-- revision: d2d2d2d2d2d2
		-- down_revision: $B
		-- transactional: maybe
		-- message: Bad transactional.

		-- +upgrade
		CREATE TABLE t_tr (x INTEGER);
	EOF
	run --separate-stderr rt upgrade head
	assert_rejected 2 'trans\.sql:3: .*maybe'
	assert_db_untouched
}

@test "header: a revision id with invalid characters is exit 2 naming file:line and the id" {
	bad badid.sql <<-EOF
		-- revision: abc-def!
		-- down_revision: $B
		-- message: Bad id.

		-- +upgrade
		CREATE TABLE t_badid (x INTEGER);
	EOF
	run --separate-stderr rt upgrade head
	assert_rejected 2 'badid\.sql:1: .*abc-def!'
	assert_db_untouched
}

@test "header: a 33-character revision id is exit 2 naming file:line" {
	long=abcdefabcdefabcdefabcdefabcdefabc # 33 characters
	bad longid.sql <<-EOF
		-- revision: $long
		-- down_revision: $B
		-- message: Long id.

		-- +upgrade
		CREATE TABLE t_long (x INTEGER);
	EOF
	run --separate-stderr rt upgrade head
	assert_rejected 2 'longid\.sql:1: '
	assert_db_untouched
}

@test "header: an empty revision id is exit 2 naming the file" {
	bad emptyid.sql <<-EOF
		-- revision:
		-- down_revision: $B
		-- message: Empty id.

		-- +upgrade
		CREATE TABLE t_emptyid (x INTEGER);
	EOF
	run --separate-stderr rt upgrade head
	assert_rejected 2 'emptyid\.sql(:1)?: '
	assert_db_untouched
}

@test "header: a reserved word (head, heads, base, current) as revision id is exit 2 naming file:line and the id" {
	for word in head heads base current; do
		bad reserved.sql <<-EOF
			-- message: Reserved id.
			-- revision: $word
			-- down_revision: $B

			-- +upgrade
			CREATE TABLE t_reserved (x INTEGER);
		EOF
		run --separate-stderr rt upgrade heads
		assert_rejected 2 "reserved\.sql:2: .*'$word'.*reserved"
		assert_db_untouched
	done
}

@test "header: an empty element in down_revision ('A,,B') is exit 2 naming file:line" {
	bad emptyparent.sql <<-EOF
		-- revision: d3d3d3d3d3d3
		-- down_revision: $A,,$B
		-- message: Empty parent.

		-- +upgrade
		CREATE TABLE t_ep (x INTEGER);
	EOF
	run --separate-stderr rt upgrade heads
	assert_rejected 2 'emptyparent\.sql:2: '
	assert_db_untouched
}

# ---- the revision graph --------------------------------------------------------

@test "graph: a 2-cycle is exit 2 naming both revisions" {
	write_rev e1e1e1e1e1e1 f1f1f1f1f1f1 "Cycle one."
	write_rev f1f1f1f1f1f1 e1e1e1e1e1e1 "Cycle two."
	run --separate-stderr rt upgrade heads
	assert_rejected 2 'e1e1e1e1e1e1.*f1f1f1f1f1f1|f1f1f1f1f1f1.*e1e1e1e1e1e1'
	assert_db_untouched
}

@test "graph: a revision that is its own parent is exit 2 naming it" {
	write_rev selfparent01 selfparent01 "Self parent."
	run --separate-stderr rt upgrade heads
	assert_rejected 2 'selfparent01'
	assert_db_untouched
}

@test "graph: the same id in two files is exit 2 naming the id and both files" {
	cp "$VERSIONS/${B}_pending.sql" "$VERSIONS/zz_copy.sql"
	run --separate-stderr rt upgrade head
	assert_rejected 2 "$B"
	assert_stderr --partial "${B}_pending.sql"
	assert_stderr --partial 'zz_copy.sql'
	assert_db_untouched
}

@test "graph: a dangling down_revision is exit 2 naming the file and the missing id" {
	write_rev d4d4d4d4d4d4 deadbeef0000 "Dangling parent."
	run --separate-stderr rt upgrade heads
	assert_rejected 2 'd4d4d4d4d4d4_dangling_parent\.sql.*deadbeef0000|deadbeef0000.*d4d4d4d4d4d4_dangling_parent\.sql'
	assert_db_untouched
}

@test "graph: a dangling depends_on is exit 2 naming the file and the missing id" {
	DEPENDS=cafebabe0000 write_rev d5d5d5d5d5d5 "$B" "Dangling dep."
	run --separate-stderr rt upgrade head
	assert_rejected 2 'd5d5d5d5d5d5_dangling_dep\.sql.*cafebabe0000|cafebabe0000.*d5d5d5d5d5d5_dangling_dep\.sql'
	assert_db_untouched
}

@test "graph: the same branch label on two revisions is exit 2 naming the label" {
	LABELS=featx write_rev d6d6d6d6d6d6 "$A" "Label one."
	LABELS=featx write_rev d7d7d7d7d7d7 "$A" "Label two."
	run --separate-stderr rt upgrade heads
	assert_rejected 2 'featx'
	assert_db_untouched
}

# ---- bytes that are not a revision file ----------------------------------------

@test "bytes: 4 KiB of (seeded) random garbage is exit 2 naming the file" {
	python3 -c 'import random, sys; random.seed(20240102); sys.stdout.buffer.write(bytes(random.getrandbits(8) for _ in range(65536)))' \
		>"$BATS_TEST_TMPDIR/random.bin"
	head -c 4096 "$BATS_TEST_TMPDIR/random.bin" | bad garbage.sql
	run --separate-stderr rt upgrade heads
	assert_rejected 2 'garbage\.sql'
	assert_db_untouched
}

@test "bytes: a NUL byte in the upgrade SQL is exit 2 naming file:line" {
	{
		printf -- '-- revision: d8d8d8d8d8d8\n-- down_revision: %s\n-- message: NUL.\n\n' "$B"
		printf -- '-- +upgrade\nCREATE TABLE t_nul (x INTEGER);\nDROP TABLE t_%s;\0 SELECT 1;\n' "$A"
	} | bad nul.sql
	run --separate-stderr rt upgrade head
	assert_rejected 2 'nul\.sql:7: '
	assert_db_untouched
}

@test "bytes: invalid UTF-8 in a header is exit 2 naming file:line" {
	{
		printf -- '-- revision: d9d9d9d9d9d9\n-- down_revision: %s\n' "$B"
		printf -- '-- message: caf\xe9 cr\xe8me\n\n-- +upgrade\nCREATE TABLE t_latin1 (x INTEGER);\n'
	} | bad latin1.sql
	run --separate-stderr rt upgrade head
	assert_rejected 2 'latin1\.sql:3: '
	assert_db_untouched
}

@test "bytes: invalid UTF-8 in the SQL body is exit 2 naming file:line" {
	{
		printf -- '-- revision: dadadadadada\n-- down_revision: %s\n-- message: Latin-1 body.\n\n' "$B"
		printf -- '-- +upgrade\nCREATE TABLE t_body (x TEXT);\nINSERT INTO t_body VALUES (\x27\xff\xfe\x27);\n'
	} | bad latin1body.sql
	run --separate-stderr rt upgrade head
	assert_rejected 2 'latin1body\.sql:7: '
	assert_db_untouched
}

@test "bytes: a 10 MB single line in a revision body does not crash: it runs, or fails cleanly" {
	{
		printf -- '-- revision: dbdbdbdbdbdb\n-- down_revision: %s\n-- message: Huge line.\n\n' "$B"
		printf -- '-- +upgrade\nCREATE TABLE t_huge (x TEXT); INSERT INTO t_huge VALUES ('"'"
		head -c 10485760 /dev/zero | tr '\0' 'x'
		printf "'"'); -- the end\n\n-- +downgrade\nDROP TABLE t_huge;\n'
	} | bad huge.sql
	[ "$(wc -c <"$VERSIONS/huge.sql")" -gt 10485760 ]
	run --separate-stderr rt upgrade head
	if [ "$status" -eq 0 ]; then
		assert_equal "$(db_versions)" dbdbdbdbdbdb
		assert_equal "$(sqlite3 "$DB" 'SELECT length(x) FROM t_huge')" 10485760
		refute_stderr --partial 'FAILED'
		assert_no_password
	else
		assert_rejected "$status" 'huge\.sql'
		[ "$status" -eq 1 ] || [ "$status" -eq 2 ] || fail "exit $status"
		assert_equal "$(db_versions)" "$A"
	fi
}

@test "bytes: a *.sql symlink that loops is exit 2 naming it" {
	ln -s loop.sql "$VERSIONS/loop.sql"
	run --separate-stderr rt upgrade head
	assert_rejected 2 'loop\.sql'
	assert_db_untouched
}

# ---- statements and sections -----------------------------------------------------

@test "sql: an unterminated string is exit 2 naming file:line where it opens, before the DB is touched" {
	bad unterminated.sql <<-EOF
		-- revision: dcdcdcdcdcdc
		-- down_revision: $B
		-- message: Unterminated string.

		-- +upgrade
		CREATE TABLE t_str (x TEXT);
		INSERT INTO t_str VALUES ('never closed);
		CREATE TABLE t_after (x TEXT);
	EOF
	run --separate-stderr rt upgrade head
	assert_rejected 2 'unterminated\.sql:7: '
	assert_db_untouched
}

@test "sql: an unterminated block comment is exit 2 naming file:line where it opens" {
	bad comment.sql <<-EOF
		-- revision: dddddddddddd
		-- down_revision: $B
		-- message: Unterminated comment.

		-- +upgrade
		CREATE TABLE t_cmt (x TEXT);
		/* never closed
		CREATE TABLE t_after (x TEXT);
	EOF
	run --separate-stderr rt upgrade head
	assert_rejected 2 'comment\.sql:7: '
	assert_db_untouched
}

@test "sql: an unterminated string in a fresh project: exit 2, the database file is not even created" {
	rm -f "$DB"
	bad unterminated.sql <<-EOF
		-- revision: dcdcdcdcdcdc
		-- down_revision: $B
		-- message: Unterminated string.

		-- +upgrade
		INSERT INTO t_str VALUES ('never closed);
	EOF
	run --separate-stderr rt upgrade head
	assert_rejected 2 'unterminated\.sql:6: '
	[ ! -e "$DB" ] || fail "$DB was created (tables: $(sqlite3 "$DB" .tables))"
}

@test "sql: an unknown section marker is exit 2 naming file:line and the marker" {
	bad marker.sql <<-EOF
		-- revision: dededededede
		-- down_revision: $B
		-- message: Unknown marker.

		-- +upgrade
		CREATE TABLE t_mark (x TEXT);

		-- +sideways
		DROP TABLE t_mark;
	EOF
	run --separate-stderr rt upgrade head
	assert_rejected 2 'marker\.sql:8: .*sideways'
	assert_db_untouched
}

@test "sql: SQL before the first section marker is exit 2 naming file:line" {
	bad early.sql <<-EOF
		-- revision: dfdfdfdfdfdf
		-- down_revision: $B
		-- message: Early SQL.

		CREATE TABLE t_early (x TEXT);

		-- +upgrade
		CREATE TABLE t_late (x TEXT);
	EOF
	run --separate-stderr rt upgrade head
	assert_rejected 2 'early\.sql:5: '
	assert_db_untouched
}

@test "sql: an empty file is exit 2 naming the file" {
	: | bad empty.sql
	run --separate-stderr rt upgrade head
	assert_rejected 2 'empty\.sql'
	assert_db_untouched
}

@test "sql: a failing statement is exit 1 naming file:line; the revision is rolled back" {
	rm "$VERSIONS/${B}_pending.sql"
	write_rev "$B" "$A" "Pending." "CREATE TABLE t_ok (x INTEGER);
INSERT INTO no_such_table VALUES (1);"
	run --separate-stderr rt upgrade head
	assert_rejected 1 "${B}_pending\.sql:10"
	# retort_history may record the failure; the schema and version may not change
	assert_equal "$(db_versions)" "$A"
	assert_equal "$(db_tables)" "t_$A"
}

@test "sql: a bad revision file is reported (exit 2) before connecting to the database" {
	bad unterminated.sql <<-EOF
		-- revision: e0e0e0e0e0e0
		-- down_revision: $B
		-- message: Unterminated string.

		-- +upgrade
		INSERT INTO t VALUES ('never closed);
	EOF
	# an unreachable server: connecting first would be exit 1
	run --separate-stderr rt -u "postgresql://u:$PW@127.0.0.1:1/db" upgrade head
	assert_rejected 2 'unterminated\.sql:6: '
	assert_db_untouched
}

# ---- URLs (SPEC §2) ----------------------------------------------------------------

@test "url: no scheme is exit 2 naming the URL without its password" {
	run --separate-stderr rt -u "u:$PW@localhost/db" upgrade head
	assert_rejected 2 'localhost'
	assert_db_untouched
}

@test "url: an unknown scheme is exit 2 naming the scheme" {
	run --separate-stderr rt -u "oracle://scott:$PW@db.example/orcl" upgrade head
	assert_rejected 2 'oracle'
	assert_db_untouched
}

@test "url: postgresql:// with port 99999 is exit 2 naming the port" {
	run --separate-stderr rt -u "postgresql://u:$PW@127.0.0.1:99999/db" upgrade head
	assert_rejected 2 '99999'
	assert_db_untouched
}

@test "url: postgres:// with a non-numeric port is exit 2 naming the port" {
	run --separate-stderr rt -u "postgres://u:$PW@127.0.0.1:5x32/db" upgrade head
	assert_rejected 2 '5x32'
	assert_db_untouched
}

@test "url: an sslpassword query parameter is masked like password= (exit 1 on an unreachable host)" {
	run --separate-stderr rt -u "postgresql://u@127.0.0.1:1/db?sslmode=disable&sslpassword=$PW" current
	assert_rejected 1 "sslpassword=\*\*\*"
	assert_db_untouched
}

@test "url: user:password with the host forgotten is exit 2 about the port, without the password" {
	run --separate-stderr rt -u "postgresql://postgres:$PW" current
	assert_rejected 2 "invalid port in database URL 'postgresql://postgres:\*\*\*'"
	# the same with a path and a query after the would-be port
	run --separate-stderr rt -u "postgres://postgres:$PW/db?sslmode=disable" upgrade head
	assert_rejected 2 "invalid port in database URL 'postgres://postgres:\*\*\*'"
	assert_db_untouched
}

@test "url: a sqlite URL with a query string is exit 2 naming the query" {
	run --separate-stderr rt -u "sqlite:///app.db?mode=ro" upgrade head
	assert_rejected 2 'mode=ro'
	assert_db_untouched
	[ "$(ls "$PROJ" | grep -c 'app\.db.')" -eq 0 ] || fail "created: $(ls "$PROJ")"
}

@test "url: mysql:// (no driver yet) is exit 2 naming mysql, without the password" {
	run --separate-stderr rt -u "mysql://u:$PW@127.0.0.1:3306/db" upgrade head
	assert_rejected 2 '[Mm]y[Ss][Qq][Ll]'
	assert_db_untouched
}

@test "url: an unreachable PostgreSQL host is exit 1 within seconds, naming the host, no password" {
	start=$SECONDS
	run --separate-stderr rt -u "postgresql://u:$PW@127.0.0.1:1/db" upgrade head
	assert_rejected 1 '127\.0\.0\.1'
	[ $((SECONDS - start)) -le 5 ] || fail "took $((SECONDS - start)) s"
	assert_db_untouched
}

@test "url: a sqlite path in a directory that does not exist is exit 1 naming the path; nothing created" {
	run --separate-stderr rt -u "sqlite:///no/such/dir/app.db" upgrade head
	assert_rejected 1 'no/such/dir'
	[ ! -e "$PROJ/no" ] || fail "created $PROJ/no"
	assert_db_untouched
}

@test "url: a wrong password against PostgreSQL is exit 1 and prints no password" {
	pg_required
	url=$(pg_url_for_test)
	# postgresql://postgres:retort-test-pw@host:port/db -> wrong password
	bad_url=${url/:retort-test-pw@/:$PW@}
	[ "$bad_url" != "$url" ] || fail "cannot rewrite the password in $url"
	run --separate-stderr rt -u "$bad_url" upgrade head
	assert_rejected 1 'postgres|password|authentication'
	assert_equal "$(pg_tables "$url")" ""
	assert_db_untouched
}

@test "pg: an unterminated dollar quote is exit 2 naming file:line; no table created" {
	pg_required
	url=$(pg_url_for_test)
	rm "$VERSIONS"/*.sql
	write_rev "$A" "" "Base." "CREATE TABLE t_first (x INTEGER);"
	bad dollar.sql <<-EOF
		-- revision: e1e1e1e1e1e2
		-- down_revision: $A
		-- message: Unterminated dollar quote.

		-- +upgrade
		CREATE TABLE t_second (x INTEGER);
		CREATE FUNCTION f() RETURNS integer AS \$body\$
		  SELECT 1;
		\$bodx\$ LANGUAGE sql;
	EOF
	run --separate-stderr rt -u "$url" upgrade head
	assert_rejected 2 'dollar\.sql:7: '
	assert_equal "$(pg_tables "$url")" ""
}

# ---- retort.ini (SPEC §3) ------------------------------------------------------------

@test "config: an unknown key is exit 2 naming retort.ini:line and the key" {
	write_ini 'script_location = migrations' 'url = sqlite:///app.db' 'colour = always'
	run --separate-stderr rt upgrade head
	assert_rejected 2 'retort\.ini:4: .*colour'
	assert_db_untouched
}

@test "config: 'allow_downgrade = perhaps' is exit 2 naming retort.ini:line and the value" {
	write_ini 'script_location = migrations' 'url = sqlite:///app.db' 'allow_downgrade = perhaps'
	run --separate-stderr rt downgrade base
	assert_rejected 2 'retort\.ini:4: .*perhaps'
	assert_db_untouched
}

@test "config: 'lock = sometimes' is exit 2 naming retort.ini:line and the value" {
	write_ini 'script_location = migrations' 'url = sqlite:///app.db' 'lock = sometimes'
	run --separate-stderr rt upgrade head
	assert_rejected 2 'retort\.ini:4: .*sometimes'
	assert_db_untouched
}

@test "config: 'lock_timeout = soon' is exit 2 naming retort.ini:line, before connecting, no password" {
	write_ini 'script_location = migrations' "url = postgresql://u:$PW@127.0.0.1:1/db" 'lock_timeout = soon'
	run --separate-stderr rt upgrade head
	assert_rejected 2 'retort\.ini:4: .*soon'
	assert_db_untouched
}

@test "config: 'lock_timeout = -5' is exit 2 naming retort.ini:line and the value" {
	write_ini 'script_location = migrations' 'url = sqlite:///app.db' 'lock_timeout = -5'
	run --separate-stderr rt upgrade head
	assert_rejected 2 'retort\.ini:4: .*-5'
	assert_db_untouched
}

@test "config: a line that is not 'key = value' is exit 2 naming retort.ini:line" {
	write_ini 'script_location = migrations' 'url = sqlite:///app.db' 'this is not ini'
	run --separate-stderr rt upgrade head
	assert_rejected 2 'retort\.ini:4: '
	assert_db_untouched
}

@test "config: a script_location that does not exist is exit 2 naming it" {
	write_ini 'script_location = no_such_migrations' 'url = sqlite:///app.db'
	run --separate-stderr rt upgrade head
	assert_rejected 2 'no_such_migrations'
	assert_db_untouched
}

@test "config: -c with a missing file is exit 2 naming the file" {
	run --separate-stderr rt -c "$PROJ/nope.ini" upgrade head
	assert_rejected 2 'nope\.ini'
	assert_db_untouched
}

@test "config: \$RETORT_CONFIG naming a missing file is exit 2 naming the file" {
	RETORT_CONFIG="$PROJ/gone.ini" run --separate-stderr rt upgrade head
	assert_rejected 2 'gone\.ini'
	assert_db_untouched
}

# ---- command line (SPEC §5) ------------------------------------------------------------

@test "cli: an unknown command is exit 2 naming it" {
	run --separate-stderr rt frobnicate
	assert_rejected 2 'frobnicate'
	assert_db_untouched
}

@test "cli: an unknown option is exit 2 naming it" {
	run --separate-stderr rt upgrade --frob head
	assert_rejected 2 '--frob'
	assert_db_untouched
}

@test "cli: -u without its argument is exit 2 naming the option as missing its argument" {
	run --separate-stderr rt -u
	assert_rejected 2 "'-u'.*(argument|requires|missing)|(argument|requires|missing).*'-u'"
	assert_db_untouched
}

@test "cli: revision -m without its argument is exit 2; no file written" {
	before_files=$(ls "$VERSIONS")
	run --separate-stderr rt revision -m
	assert_rejected 2 "'-m'.*(argument|requires|missing)|(argument|requires|missing).*'-m'"
	assert_equal "$(ls "$VERSIONS")" "$before_files"
	assert_db_untouched
}

@test "cli: revision --rev-id with a reserved word is exit 2 naming the id; no file written" {
	before_files=$(ls "$VERSIONS")
	for word in head heads base current; do
		run --separate-stderr rt revision -m "Reserved." --rev-id "$word"
		assert_rejected 2 "'$word'.*reserved"
		assert_equal "$(ls "$VERSIONS")" "$before_files"
	done
	assert_db_untouched
}

@test "cli: --format yaml is exit 2 naming the value" {
	run --separate-stderr rt --format yaml current
	assert_rejected 2 'yaml'
	assert_db_untouched
}

# ---- targets (SPEC §5) ----------------------------------------------------------------

@test "target: an unknown revision is exit 2 naming it" {
	run --separate-stderr rt upgrade ffff0000
	assert_rejected 2 'ffff0000'
	assert_db_untouched
}

@test "target: an ambiguous prefix is exit 2 naming the candidates" {
	write_rev b2c3ffff0000 "$A" "Same prefix."
	run --separate-stderr rt upgrade b2c3
	assert_rejected 2 "$B.*b2c3ffff0000|b2c3ffff0000.*$B"
	assert_db_untouched
}

@test "target: a prefix shorter than 4 characters is exit 2 saying it is too short" {
	run --separate-stderr rt show a1b
	assert_rejected 2 "'a1b'.*too short"
	run --separate-stderr rt upgrade b
	assert_rejected 2 "'b'.*too short"
	run --separate-stderr rt downgrade a1-1
	assert_rejected 2 "'a1'.*too short"
	assert_db_untouched
}

@test "target: a full id shorter than 4 characters still resolves exactly" {
	write_rev ab1 "$B" "Short id."
	run --separate-stderr rt show ab1
	assert_success
	assert_line --index 0 'Rev: ab1 (head)'
	run --separate-stderr rt upgrade ab1
	assert_success
	assert_equal "$(db_versions)" ab1
}

# empty_rejected ARGS...: ARGS (ending in the empty target) are exit 2
# naming the empty target (or the range), and no revision file is written.
empty_rejected() {
	local before_files
	before_files=$(ls "$VERSIONS")
	run --separate-stderr rt "$@"
	assert_rejected 2 '[Ee]mpty target|History range requires'
	assert_equal "$(ls "$VERSIONS")" "$before_files"
}

@test "target: an empty target is exit 2 for every command taking one; nothing written" {
	empty_rejected show ""
	empty_rejected upgrade ""
	empty_rejected upgrade --sql ""
	empty_rejected upgrade --sql "$A:"
	empty_rejected downgrade ""
	empty_rejected stamp ""
	empty_rejected merge -m "Merge." "$A" ""
	empty_rejected revision -m "New." --head ""
	empty_rejected revision -m "New." --depends-on ""
	empty_rejected history -r ""
	assert_db_untouched
}

@test "target: upgrade head with two heads is exit 2 pointing at 'heads'" {
	write_rev c3c3c3c3c3c3 "$A" "Second head."
	run --separate-stderr rt upgrade head
	assert_rejected 2 'heads'
	assert_db_untouched
}

@test "target: downgrade with no target is exit 2" {
	run --separate-stderr rt downgrade
	assert_rejected 2 '[Tt]arget|TARGET|downgrade'
	assert_db_untouched
}

@test "target: a malformed relative target (+x) is exit 2 naming it" {
	run --separate-stderr rt upgrade +x
	assert_rejected 2 '\+x'
	assert_db_untouched
}

@test "target: stamp with an unknown revision is exit 2 naming it" {
	run --separate-stderr rt stamp ffff0001
	assert_rejected 2 'ffff0001'
	assert_db_untouched
}

@test "target: a malformed history range (a:b:c) is exit 2 naming it" {
	run --separate-stderr rt history -r a:b:c
	# Alembic's own message does not quote the range; accept it or the value
	assert_rejected 2 'a:b:c|History range requires'
	assert_db_untouched
}

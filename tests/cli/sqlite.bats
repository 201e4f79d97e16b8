#!/usr/bin/env bats
# sqlite.bats: the database commands end to end on real SQLite files:
# upgrade, downgrade, current, history, heads, branches, show, stamp; every
# target and range form of SPEC §5; the safety rules of §4 and §7; URL
# precedence (§2); JSON output; taking over an Alembic version table.

load helpers

setup() {
	common_setup
}

C1=a1b2c3d4e5f6 C2=b2c3d4e5f6a1 C3=c3d4e5f6a1b2 C4=d4e5f6a1b2c3 C5=e5f6a1b2c3d4

# A small branchy graph with a labelled branch:
#   <base> -> r00000000001 -> f00000000001 (feature) -> f00000000002
#                         \-> m00000000001
make_labelled() {
	write_rev r00000000001 "" "root"
	LABELS=feature write_rev f00000000001 r00000000001 "feature one"
	write_rev f00000000002 f00000000001 "feature two"
	write_rev m00000000001 r00000000001 "mainline"
}

# ---- upgrade / downgrade / current -----------------------------------------

@test "upgrade head: Alembic's log lines on stderr, nothing on stdout, all applied" {
	make_chain
	run --separate-stderr retort upgrade head
	assert_success
	assert_output ""
	assert_equal "$stderr" "INFO  [retort] Context impl SQLiteImpl.
INFO  [retort] Will assume transactional DDL.
INFO  [retort] Running upgrade  -> $C1, Rev one.
INFO  [retort] Running upgrade $C1 -> $C2, Rev two.
INFO  [retort] Running upgrade $C2 -> $C3, Rev three.
INFO  [retort] Running upgrade $C3 -> $C4, Rev four.
INFO  [retort] Running upgrade $C4 -> $C5, Rev five."
	assert_equal "$(db_versions)" "$C5"
	assert_equal "$(db_tables | tr '\n' ' ')" "t_$C1 t_$C2 t_$C3 t_$C4 t_$C5 "
	# results on stdout, log lines on stderr
	run --separate-stderr retort current
	assert_success
	assert_output "$C5 (head)"
	refute_stderr --partial "$C5"
	# a second upgrade has nothing to do
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(running_lines)" ""
	assert_equal "$(db_versions)" "$C5"
}

@test "upgrade without a target goes to head; -q silences the log" {
	make_chain
	run --separate-stderr retort -q upgrade
	assert_success
	assert_output ""
	assert_stderr ""
	assert_equal "$(db_versions)" "$C5"
}

@test "current on a database without a version table prints nothing" {
	make_chain
	run --separate-stderr retort current
	assert_success
	assert_output ""
	assert_equal "$(db_tables 2>/dev/null)" ""
}

@test "downgrade -1, REV and base revert in order and drop what they created" {
	make_chain
	retort -q upgrade head
	run --separate-stderr retort downgrade -1
	assert_success
	assert_output ""
	assert_equal "$(running_lines)" "Running downgrade $C5 -> $C4, Rev five."
	assert_equal "$(db_versions)" "$C4"
	run --separate-stderr retort downgrade "$C2"
	assert_success
	assert_equal "$(running_lines)" "Running downgrade $C4 -> $C3, Rev four.
Running downgrade $C3 -> $C2, Rev three."
	assert_equal "$(db_versions)" "$C2"
	assert_equal "$(db_tables | tr '\n' ' ')" "t_$C1 t_$C2 "
	run --separate-stderr retort current
	assert_output "$C2"
	run --separate-stderr retort downgrade base
	assert_success
	assert_equal "$(running_lines)" "Running downgrade $C2 -> $C1, Rev two.
Running downgrade $C1 -> , Rev one."
	assert_equal "$(db_versions)" ""
	assert_equal "$(db_tables)" ""
	run --separate-stderr retort current
	assert_success
	assert_output ""
}

@test "downgrade to a revision above the current one is an error (exit 2)" {
	make_chain
	retort -q upgrade "$C2"
	before=$(file_sum "$DB")
	run --separate-stderr retort downgrade "$C4"
	assert_failure 2
	assert_equal "$(file_sum "$DB")" "$before"
}

# ---- targets (SPEC §5) -----------------------------------------------------

@test "target: full id, and a unique prefix of 4+ characters" {
	make_chain
	run --separate-stderr retort upgrade "$C2"
	assert_success
	assert_equal "$(db_versions)" "$C2"
	run --separate-stderr retort upgrade c3d4
	assert_success
	assert_equal "$(running_lines)" "Running upgrade $C2 -> $C3, Rev three."
	assert_equal "$(db_versions)" "$C3"
	run --separate-stderr retort downgrade b2c3d
	assert_success
	assert_equal "$(db_versions)" "$C2"
}

@test "target: an ambiguous prefix is exit 2 listing the candidates, nothing applied" {
	write_rev abcd11112222 "" "one"
	write_rev abcd33334444 abcd11112222 "two"
	run --separate-stderr retort upgrade abcd
	assert_failure 2
	assert_stderr --partial "abcd11112222"
	assert_stderr --partial "abcd33334444"
	assert_equal "$(running_lines)" ""
	[ ! -e "$DB" ] || assert_equal "$(db_versions 2>/dev/null)" ""
}

@test "target: an unknown revision is exit 2 naming it, nothing applied" {
	make_chain
	run --separate-stderr retort upgrade ffff0000
	assert_failure 2
	assert_stderr --partial "ffff0000"
	assert_equal "$(running_lines)" ""
	[ ! -e "$DB" ] || assert_equal "$(db_versions 2>/dev/null)" ""
	run --separate-stderr retort show ffff0000
	assert_failure 2
	assert_stderr --partial "ffff0000"
}

@test "target: +N and -N are relative to the current revision" {
	make_chain
	run --separate-stderr retort upgrade +2
	assert_success
	assert_equal "$(db_versions)" "$C2"
	run --separate-stderr retort upgrade +1
	assert_success
	assert_equal "$(running_lines)" "Running upgrade $C2 -> $C3, Rev three."
	run --separate-stderr retort downgrade -2
	assert_success
	assert_equal "$(db_versions)" "$C1"
	run --separate-stderr retort upgrade +9
	assert_failure 2
	assert_equal "$(db_versions)" "$C1"
}

@test "target: head-N, REV+N and REV-N" {
	make_chain
	run --separate-stderr retort upgrade head-2
	assert_success
	assert_equal "$(db_versions)" "$C3"
	run --separate-stderr retort upgrade "$C2+2"
	assert_success
	assert_equal "$(running_lines)" "Running upgrade $C3 -> $C4, Rev four."
	assert_equal "$(db_versions)" "$C4"
	run --separate-stderr retort upgrade b2c3+3
	assert_success
	assert_equal "$(db_versions)" "$C5"
	run --separate-stderr retort downgrade "$C4-2"
	assert_success
	assert_equal "$(db_versions)" "$C2"
	assert_equal "$(db_tables | tr '\n' ' ')" "t_$C1 t_$C2 "
}

@test "target: heads, and head with two heads is exit 2 mentioning 'heads'" {
	make_labelled
	run --separate-stderr retort upgrade head
	assert_failure 2
	assert_stderr --partial "heads"
	assert_equal "$(running_lines)" ""
	[ ! -e "$DB" ] || assert_equal "$(db_versions 2>/dev/null)" ""
	# the default target is heads (SPEC §5), like `upgrade heads`
	run --separate-stderr retort upgrade
	assert_success
	assert_equal "$(db_versions | tr '\n' ' ')" "f00000000002 m00000000001 "
	run --separate-stderr retort downgrade base
	assert_success
	run --separate-stderr retort upgrade heads
	assert_success
	assert_equal "$(db_versions | tr '\n' ' ')" "f00000000002 m00000000001 "
	assert_equal "$(db_tables | wc -l)" 4
	run --separate-stderr retort current
	assert_success
	assert_line "f00000000002 (head)"
	assert_line "m00000000001 (head)"
	assert_equal "${#lines[@]}" 2
}

@test "target: label@head and label@REV stay on the labelled branch" {
	make_labelled
	run --separate-stderr retort upgrade feature@f00000000001
	assert_success
	assert_equal "$(running_lines)" "Running upgrade  -> r00000000001, root
Running upgrade r00000000001 -> f00000000001, feature one"
	assert_equal "$(db_versions)" "f00000000001"
	run --separate-stderr retort upgrade feature@head
	assert_success
	assert_equal "$(running_lines)" "Running upgrade f00000000001 -> f00000000002, feature two"
	assert_equal "$(db_versions)" "f00000000002"
	refute_output --partial m00000000001
	assert_equal "$(db_tables | tr '\n' ' ')" "t_f00000000001 t_f00000000002 t_r00000000001 "
	run --separate-stderr retort downgrade feature@-1
	assert_success
	assert_equal "$(db_versions)" "f00000000001"
	run --separate-stderr retort upgrade nolabel@head
	assert_failure 2
	assert_stderr --partial "nolabel"
}

# ---- history, heads, branches, show ------------------------------------------

@test "history lists revisions newest first, Alembic's format" {
	make_chain
	run --separate-stderr retort history
	assert_success
	assert_output "$C4 -> $C5 (head), Rev five.
$C3 -> $C4, Rev four.
$C2 -> $C3, Rev three.
$C1 -> $C2, Rev two.
<base> -> $C1, Rev one."
	[ ! -e "$DB" ] || fail "history without current created the database"
}

@test "history ranges A:B, A:, :B" {
	make_chain
	run --separate-stderr retort history -r "$C2:$C4"
	assert_success
	assert_output "$C3 -> $C4, Rev four.
$C2 -> $C3, Rev three.
$C1 -> $C2, Rev two."
	run --separate-stderr retort history -r c3d4:
	assert_success
	assert_output "$C4 -> $C5 (head), Rev five.
$C3 -> $C4, Rev four.
$C2 -> $C3, Rev three."
	run --separate-stderr retort history --rev-range :b2c3
	assert_success
	assert_output "$C1 -> $C2, Rev two.
<base> -> $C1, Rev one."
	run --separate-stderr retort history -r base:head
	assert_success
	assert_equal "${#lines[@]}" 5
	run --separate-stderr retort history -r ffff0000:
	assert_failure 2
}

@test "history range current: reads the database; -3: counts from the heads without one" {
	make_chain
	retort -q upgrade "$C3"
	run --separate-stderr retort history -r current:
	assert_success
	assert_output "$C4 -> $C5 (head), Rev five.
$C3 -> $C4, Rev four.
$C2 -> $C3, Rev three."
	# as in Alembic, -3: is relative to the heads, and needs no database
	run --separate-stderr retort -u sqlite:////nonexistent/dir/x.db history -r -3:
	assert_success
	assert_output "$C4 -> $C5 (head), Rev five.
$C3 -> $C4, Rev four.
$C2 -> $C3, Rev three.
$C1 -> $C2, Rev two."
}

@test "history --indicate-current marks the database's revision" {
	make_chain
	retort -q upgrade "$C3"
	run --separate-stderr retort history --indicate-current
	assert_success
	assert_line --index 2 "$C2 -> $C3 (current), Rev three."
	assert_equal "$(grep -c '(current)' <<<"$output")" 1
	run --separate-stderr retort history -i
	assert_success
	assert_line --index 2 "$C2 -> $C3 (current), Rev three."
}

@test "show current shows the revision the database is at (Alembic's show current)" {
	make_chain
	run --separate-stderr retort upgrade "$C3"
	assert_success
	run --separate-stderr retort show "$C3"
	assert_success
	local expected=$output
	run --separate-stderr retort show current
	assert_success
	assert_output "$expected"
	assert_line "Rev: $C3"
	# at base there is nothing to show
	run --separate-stderr retort downgrade base
	assert_success
	run --separate-stderr retort show current
	assert_success
	assert_output ""
}

@test "heads, branches and show on a branchy graph" {
	make_labelled
	run --separate-stderr retort heads
	assert_success
	assert_line "f00000000002 (feature) (head)"
	assert_line "m00000000001 (head)"
	assert_equal "${#lines[@]}" 2
	run --separate-stderr retort branches
	assert_success
	assert_line --index 0 "r00000000001 (branchpoint)"
	# children indented by the width of the branch point's id, as Alembic does
	assert_line "             -> f00000000001 (feature)"
	assert_line "             -> m00000000001 (head)"
	run --separate-stderr retort show f00000000001
	assert_success
	assert_line --index 0 "Rev: f00000000001"
	assert_line "Parent: r00000000001"
	assert_line "Branch names: feature"
	assert_line --regexp "^Path: .*f00000000001_feature_one\.sql$"
	assert_line "    feature one"
	run --separate-stderr retort show r000
	assert_success
	assert_line --index 0 "Rev: r00000000001 (branchpoint)"
	assert_line "Parent: <base>"
	# f000 matches f00000000001 and f00000000002
	run --separate-stderr retort show f000
	assert_failure 2
	assert_stderr --partial f00000000001
	assert_stderr --partial f00000000002
}

@test "branches on a linear history prints nothing" {
	make_chain
	run --separate-stderr retort branches
	assert_success
	assert_output ""
}

# ---- stamp -------------------------------------------------------------------

@test "stamp sets the version without running anything" {
	make_chain
	run --separate-stderr retort stamp c3d4
	assert_success
	assert_stderr --partial "Running stamp_revision  -> $C3"
	assert_equal "$(db_versions)" "$C3"
	assert_equal "$(db_tables)" ""
	run --separate-stderr retort current
	assert_output "$C3"
	run --separate-stderr retort stamp head
	assert_success
	assert_equal "$(db_versions)" "$C5"
	assert_equal "$(db_tables)" ""
	run --separate-stderr retort stamp base
	assert_success
	assert_equal "$(db_versions)" ""
	run --separate-stderr retort stamp nosuchrev
	assert_failure 2
	assert_equal "$(db_versions)" ""
}

@test "stamp --purge replaces rows retort does not know" {
	make_chain
	retort -q stamp "$C2"
	sqlite3 "$DB" "INSERT INTO retort_version VALUES ('zzzz9999zzzz')"
	run --separate-stderr retort stamp "$C4"
	assert_failure
	assert_equal "$(db_versions | tr '\n' ' ')" "$C2 zzzz9999zzzz "
	run --separate-stderr retort stamp --purge "$C4"
	assert_success
	assert_equal "$(db_versions)" "$C4"
	assert_equal "$(db_tables)" ""
}

# ---- failures and safety (SPEC §4, §7) ---------------------------------------

@test "a failing statement: exit 1, file:line, statement, SQLite's message; failing revision rolled back whole" {
	write_rev "$C1" "" "Rev one."
	write_rev "$C2" "$C1" "Rev two."
	write_rev "$C3" "$C2" "Rev three." "CREATE TABLE t_$C3 (x INTEGER);
INSERT INTO t_$C3 VALUES (1);
INSERT INTO no_such_table VALUES (1);"
	bad=$REV_FILE
	write_rev "$C4" "$C3" "Rev four."
	# header 6 lines, blank, "-- +upgrade" at 8: the INSERT is line 11
	run --separate-stderr retort upgrade head
	assert_failure 1
	assert_output ""
	assert_stderr --partial "$(basename "$bad"):11:"
	assert_stderr --partial "INSERT INTO no_such_table VALUES (1)"
	assert_stderr --partial "no such table: no_such_table"
	assert_equal "$(running_lines)" "Running upgrade  -> $C1, Rev one.
Running upgrade $C1 -> $C2, Rev two.
Running upgrade $C2 -> $C3, Rev three."
	assert_equal "$(db_versions)" "$C2"
	assert_equal "$(db_tables | tr '\n' ' ')" "t_$C1 t_$C2 "
	run --separate-stderr retort current
	assert_success
	assert_output "$C2"
}

@test "a failing downgrade keeps the version and the schema" {
	make_chain
	retort -q upgrade head
	write_rev "$C5" "$C4" "Rev five." "CREATE TABLE t_$C5 (x INTEGER);" "DROP TABLE t_$C5;
DROP TABLE no_such_table;"
	run --separate-stderr retort downgrade base
	assert_failure 1
	assert_stderr --partial "no such table"
	assert_stderr --partial "DROP TABLE no_such_table"
	assert_equal "$(db_versions)" "$C5"
	assert_equal "$(db_tables | wc -l)" 5
}

@test "a revision without +downgrade cannot be downgraded past (exit 2, nothing changed)" {
	write_rev "$C1" "" "Rev one."
	write_rev "$C2" "$C1" "Rev two." "CREATE TABLE t_$C2 (x INTEGER);" -
	write_rev "$C3" "$C2" "Rev three."
	retort -q upgrade head
	before=$(file_sum "$DB")
	run --separate-stderr retort downgrade base
	assert_failure 2
	assert_stderr --partial "$C2"
	assert_stderr --partial "downgrade"
	assert_equal "$(running_lines)" ""
	assert_equal "$(file_sum "$DB")" "$before"
	assert_equal "$(db_versions)" "$C3"
	# down to the revision itself is fine
	run --separate-stderr retort downgrade "$C2"
	assert_success
	assert_equal "$(db_versions)" "$C2"
}

@test "upgrade --sql prints the SQL and does not create the database" {
	make_chain
	run --separate-stderr retort upgrade --sql
	assert_success
	assert_output --partial "CREATE TABLE t_$C1 (x INTEGER);"
	assert_output --partial "CREATE TABLE t_$C5 (x INTEGER);"
	assert_output --partial "retort_version"
	assert_output --partial "'$C5'"
	assert_output --partial "BEGIN;"
	assert_output --partial "COMMIT;"
	assert_stderr --partial "Context impl SQLiteImpl."
	[ ! -e "$DB" ] || fail "--sql created $DB"
	# the script it prints runs and leaves the database at head
	printf '%s\n' "$output" | sqlite3 "$BATS_TEST_TMPDIR/replay.db"
	assert_equal "$(db_versions "$BATS_TEST_TMPDIR/replay.db")" "$C5"
	assert_equal "$(db_tables "$BATS_TEST_TMPDIR/replay.db" | wc -l)" 5
}

@test "upgrade/downgrade --sql with from:to render only that span" {
	make_chain
	run --separate-stderr retort upgrade --sql "$C3:$C4"
	assert_success
	assert_output --partial "CREATE TABLE t_$C4"
	refute_output --partial "CREATE TABLE t_$C3"
	refute_output --partial "CREATE TABLE t_$C5"
	run --separate-stderr retort downgrade --sql "$C5:$C3"
	assert_success
	assert_output --partial "DROP TABLE t_$C5;"
	assert_output --partial "DROP TABLE t_$C4;"
	refute_output --partial "DROP TABLE t_$C3;"
	# like Alembic's offline mode, one "Running" log line per step
	assert_equal "$(grep -c 'INFO  \[retort\] Running downgrade' <<<"$stderr")" 2
	assert_stderr --partial "Running downgrade $C5 -> $C4, Rev five."
	assert_stderr --partial "Running downgrade $C4 -> $C3, Rev four."
	run --separate-stderr retort upgrade --sql "$C3:$C4"
	assert_stderr --partial "Running upgrade $C3 -> $C4, Rev four."
	run --separate-stderr retort downgrade --sql "$C3"
	assert_failure 2
	[ ! -e "$DB" ] || fail "--sql created $DB"
}

# ---- bad revision files (SPEC §4): exit 2, file:line, database untouched -----

# Applies the first two revisions of the chain, adds a bad file with
# add_bad (a function the test defines), then checks that `upgrade` and
# `history` fail with exit 2, a "FAILED: <file>:[<line>:] " message
# matching $1 (a regexp), and that the database file is unchanged.
bad_file_case() {
	local want_re=$1
	make_chain
	retort -q upgrade "$C2"
	local before
	before=$(file_sum "$DB")
	add_bad
	for c in "upgrade head" "history" "current"; do
		run --separate-stderr retort $c
		assert_failure 2
		assert_stderr --regexp "FAILED: [^ ]*$want_re"
		assert_equal "$(running_lines)" ""
	done
	assert_equal "$(file_sum "$DB")" "$before"
	assert_equal "$(db_versions)" "$C2"
}

@test "bad file: missing revision header" {
	add_bad() { printf -- '-- down_revision: %s\n-- message: x\n\n-- +upgrade\nCREATE TABLE t_bad (x INTEGER);\n' "$C5" >"$VERSIONS/ffff_missing.sql"; }
	bad_file_case 'ffff_missing\.sql:([0-9]+:)? .*revision'
}

@test "bad file: duplicate revision id" {
	add_bad() { cp "$VERSIONS/${C3}_rev_three.sql" "$VERSIONS/ffff_copy.sql"; }
	bad_file_case "(${C3}_rev_three|ffff_copy)\.sql:([0-9]+:)? .*$C3"
}

@test "bad file: unknown parent" {
	add_bad() { write_rev ffff00000001 ffff99999999 "orphan"; }
	bad_file_case 'ffff00000001_orphan\.sql:([0-9]+:)? .*ffff99999999'
}

@test "bad file: cycle" {
	add_bad() {
		write_rev ffff00000001 ffff00000002 "cycle one"
		write_rev ffff00000002 ffff00000001 "cycle two"
	}
	bad_file_case 'ffff0000000[12]_cycle_(one|two)\.sql:([0-9]+:)? .*[Cc]ycle'
}

@test "bad file: unknown header key (with its line)" {
	add_bad() {
		printf -- '-- revision: ffff00000001\n-- down_revision: %s\n-- author: me\n\n-- +upgrade\nSELECT 1;\n' "$C5" >"$VERSIONS/ffff00000001_x.sql"
	}
	bad_file_case 'ffff00000001_x\.sql:3: .*author'
}

@test "bad file: unknown section marker (with its line)" {
	add_bad() {
		printf -- '-- revision: ffff00000001\n-- down_revision: %s\n\n-- +upgrade\nSELECT 1;\n-- +downgrad\nSELECT 2;\n' "$C5" >"$VERSIONS/ffff00000001_x.sql"
	}
	bad_file_case 'ffff00000001_x\.sql:6: .*downgrad'
}

@test "bad file: invalid revision id (with its line)" {
	add_bad() {
		printf -- '-- message: m\n-- revision: bad-id!\n-- down_revision: %s\n\n-- +upgrade\nSELECT 1;\n' "$C5" >"$VERSIONS/ffff_badid.sql"
	}
	bad_file_case 'ffff_badid\.sql:2: .*bad-id!'
}

@test "bad file: empty file" {
	add_bad() { : >"$VERSIONS/ffff_empty.sql"; }
	bad_file_case 'ffff_empty\.sql:([0-9]+:)? .*empty'
}

@test "bad file: binary file" {
	add_bad() { printf 'SQLite format 3\000\001\002\003\377' >"$VERSIONS/ffff_binary.sql"; }
	bad_file_case 'ffff_binary\.sql:([0-9]+:)? '
}

@test "bad file: invalid UTF-8 (with its line)" {
	add_bad() {
		printf -- '-- revision: ffff00000001\n-- down_revision: %s\n\n-- +upgrade\nSELECT '\''\351t\351'\'';\n' "$C5" >"$VERSIONS/ffff00000001_x.sql"
	}
	bad_file_case 'ffff00000001_x\.sql:5: .*UTF-8'
}

@test "bad file: statement outside a section (with its line)" {
	add_bad() {
		printf -- '-- revision: ffff00000001\n-- down_revision: %s\n\nCREATE TABLE oops (x INTEGER);\n-- +upgrade\nSELECT 1;\n' "$C5" >"$VERSIONS/ffff00000001_x.sql"
	}
	bad_file_case 'ffff00000001_x\.sql:4: '
}

@test "a bad file in a later revision stops upgrade before the first statement" {
	# the SQL of every step is split before anything runs (run.c): an
	# unterminated string in revision 4 must not leave revisions 1-3 applied
	write_rev "$C1" "" "Rev one."
	write_rev "$C2" "$C1" "Rev two."
	write_rev "$C3" "$C2" "Rev three." "CREATE TABLE t_$C3 (x TEXT);
INSERT INTO t_$C3 VALUES ('unterminated);"
	run --separate-stderr retort upgrade head
	assert_failure 2
	assert_stderr --regexp "${C3}_rev_three\.sql:[0-9]+: "
	assert_equal "$(running_lines)" ""
	[ ! -e "$DB" ] || assert_equal "$(db_versions 2>/dev/null)" ""
	[ ! -e "$DB" ] || assert_equal "$(db_tables)" ""
}

# ---- URL precedence (SPEC §2) ------------------------------------------------

@test "--url beats \$DATABASE_URL beats the config's url" {
	make_chain
	DATABASE_URL="sqlite:///env.db" run --separate-stderr retort -u "sqlite:///cli.db" upgrade +1
	assert_success
	assert_equal "$(db_versions cli.db)" "$C1"
	[ ! -e env.db ] && [ ! -e app.db ] || fail "wrong database used"
	DATABASE_URL="sqlite:///env.db" run --separate-stderr retort upgrade +2
	assert_success
	assert_equal "$(db_versions env.db)" "$C2"
	[ ! -e app.db ] || fail "config url used despite DATABASE_URL"
	run --separate-stderr retort upgrade +3
	assert_success
	assert_equal "$(db_versions app.db)" "$C3"
	# --url after the command, long form, absolute path
	DATABASE_URL="sqlite:///env.db" run --separate-stderr retort current --url "sqlite:///$PROJ/cli.db"
	assert_success
	assert_output "$C1"
	assert_equal "$(db_versions cli.db)" "$C1"
	assert_equal "$(db_versions env.db)" "$C2"
}

@test "no URL anywhere: exit 2 saying where to put one" {
	make_chain
	sed -i '/^url *=/d' retort.ini
	run --separate-stderr retort upgrade head
	assert_failure 2
	assert_stderr --partial "DATABASE_URL"
	run --separate-stderr retort -u "mongodb://localhost/x" upgrade head
	assert_failure 2
	assert_stderr --partial "mongodb"
}

# ---- JSON output -------------------------------------------------------------

@test "--format json: current, history, heads, branches, show each print one JSON document" {
	make_labelled
	retort -q upgrade feature@head
	for c in "current" "history" "history -i" "history -r r000:" "heads" "branches" "show f00000000001"; do
		run --separate-stderr retort --format json $c
		assert_success
		assert_json
		run --separate-stderr retort $c --format json
		assert_success
		assert_json
	done
	run --separate-stderr retort --format json current
	assert_output --partial '"f00000000002"'
	run --separate-stderr retort --format json heads
	assert_output --partial '"m00000000001"'
	assert_output --partial '"f00000000002"'
	# an empty database and an empty project are still JSON
	sqlite3 "$DB" "DELETE FROM retort_version"
	run --separate-stderr retort --format json current
	assert_success
	assert_json
}

# ---- version table options ---------------------------------------------------

@test "version_table = alembic_version takes over an Alembic-managed database" {
	make_chain
	printf 'version_table = alembic_version\n' >>retort.ini
	# what Alembic leaves behind after `alembic upgrade c3d4e5f6a1b2`
	sqlite3 "$DB" "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
INSERT INTO alembic_version VALUES ('$C3');
CREATE TABLE t_$C1 (x INTEGER); CREATE TABLE t_$C2 (x INTEGER); CREATE TABLE t_$C3 (x INTEGER);"
	run --separate-stderr retort current
	assert_success
	assert_output "$C3"
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(running_lines)" "Running upgrade $C3 -> $C4, Rev four.
Running upgrade $C4 -> $C5, Rev five."
	assert_equal "$(db_versions "$DB" alembic_version)" "$C5"
	run sqlite3 "$DB" "SELECT name FROM sqlite_master WHERE name = 'retort_version'"
	assert_output ""
}

@test "a custom version_table name is used and created on first upgrade" {
	make_chain
	printf 'version_table = my_versions\n' >>retort.ini
	run --separate-stderr retort upgrade +1
	assert_success
	assert_equal "$(db_versions "$DB" my_versions)" "$C1"
}

@test "allow_downgrade = false refuses downgrades (exit 2)" {
	make_chain
	retort -q upgrade head
	printf 'allow_downgrade = false\n' >>retort.ini
	before=$(file_sum "$DB")
	run --separate-stderr retort downgrade -1
	assert_failure 2
	assert_stderr --partial "allow_downgrade"
	assert_equal "$(file_sum "$DB")" "$before"
}

# ---- SQL splitting on SQLite ---------------------------------------------------

@test "triggers, quotes and comments with semicolons run as whole statements" {
	write_rev "$C1" "" "Tricky SQL." "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); -- a ; comment
/* block ; comment */
INSERT INTO t (v) VALUES ('a;b'), ('it''s; fine');
CREATE TRIGGER t_touch AFTER UPDATE ON t
BEGIN
    UPDATE t SET v = v || ';' WHERE id = NEW.id AND v NOT LIKE '%;';
END;" "DROP TRIGGER t_touch;
DROP TABLE t;"
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(sqlite3 "$DB" "SELECT v FROM t ORDER BY id" | tr '\n' '|')" "a;b|it's; fine|"
	sqlite3 "$DB" "UPDATE t SET v = 'x' WHERE id = 1"
	assert_equal "$(sqlite3 "$DB" "SELECT v FROM t WHERE id = 1")" "x;"
	run --separate-stderr retort downgrade base
	assert_success
	assert_equal "$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_master WHERE name IN ('t', 't_touch')")" 0
}

# ---- a database file that does not exist yet --------------------------------

@test "read-only commands on a SQLite file that does not exist read it as empty and create nothing" {
	make_chain
	[ ! -e "$DB" ]
	run --separate-stderr retort current
	assert_success
	assert_output ""
	run --separate-stderr retort -v history
	assert_success
	run --separate-stderr retort verify
	assert_success
	run --separate-stderr retort check
	assert_failure 3
	assert_output --partial "pending $C1"
	run --separate-stderr retort schema
	assert_success
	run --separate-stderr retort --format json current
	assert_success
	[ ! -e "$DB" ] || fail "a read-only command created $DB ($(stat -c %s "$DB") bytes)"
	[ ! -e "$DB-journal" ]
	# --sql writes to stdout, never to the database
	run --separate-stderr retort upgrade head --sql
	assert_success
	[ ! -e "$DB" ] || fail "upgrade --sql created $DB"
	# the first write creates it, and the run is whole
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(db_versions)" "$C5"
	assert_equal "$(db_tables | wc -l)" 5
}

@test "a missing directory in a SQLite path is still an error naming it, for reads too" {
	run --separate-stderr retort -u "sqlite:///$PROJ/no/such/dir/app.db" current
	assert_failure 1
	assert_stderr --partial "directory '$PROJ/no/such/dir' does not exist"
	[ ! -e "$PROJ/no" ]
}

# ---- the rollback journal while a run holds the lock -------------------------

@test "a writing run uses journal_mode PERSIST on a DELETE-mode file and leaves no journal behind" {
	write_rev "$C1" "" "mode" "CREATE TABLE jm AS SELECT journal_mode AS m FROM pragma_journal_mode;" "DROP TABLE jm;"
	write_rev "$C2" "$C1" "two"
	run --separate-stderr retort upgrade head
	assert_success
	# inside the run's transactions the connection journals with PERSIST
	assert_equal "$(sqlite3 "$DB" "SELECT m FROM jm")" "persist"
	# and switches back when the run lock goes: no journal file stays
	[ ! -e "$DB-journal" ] || fail "upgrade left $DB-journal ($(stat -c %s "$DB-journal") bytes)"
	assert_equal "$(db_versions)" "$C2"
	run --separate-stderr retort downgrade base
	assert_success
	[ ! -e "$DB-journal" ] || fail "downgrade left $DB-journal"
	assert_equal "$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_master WHERE name = 'jm'")" 0
}

@test "a WAL database keeps its journal mode: retort never changes the file's persistent mode" {
	write_rev "$C1" "" "mode" "CREATE TABLE jm AS SELECT journal_mode AS m FROM pragma_journal_mode;" "DROP TABLE jm;"
	sqlite3 "$DB" "PRAGMA journal_mode = WAL; CREATE TABLE app (x INTEGER);" >/dev/null
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(sqlite3 "$DB" "SELECT m FROM jm")" "wal"
	assert_equal "$(sqlite3 "$DB" "PRAGMA journal_mode")" "wal"
	[ ! -e "$DB-journal" ]
	assert_equal "$(db_versions)" "$C1"
}

@test "a run killed inside a revision under PERSIST leaves a hot journal that the next opener rolls back" {
	# The revision's second statement would run for ages; kill -9 lands inside it.
	write_rev "$C1" "" "one"
	write_rev "$C2" "$C1" "slow" "CREATE TABLE big (x INTEGER);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 1000000000) INSERT INTO big SELECT i FROM n;" "DROP TABLE big;"
	retort upgrade "$C1" 2>/dev/null
	"$RETORT_BIN" upgrade head 2>/dev/null &
	local pid=$!
	# wait until a transaction's journal is live: its header starts with
	# SQLite's magic (0xd9d505f9); a committed one under PERSIST is zeroed
	local k=0
	while [ "$(od -An -tx1 -N1 "$DB-journal" 2>/dev/null | tr -d ' ')" != d9 ] && [ $k -lt 1500 ]; do
		sleep 0.02
		k=$((k + 1))
	done
	sleep 0.3
	kill -9 $pid
	wait $pid || true
	assert_equal "$(od -An -tx1 -N1 "$DB-journal" | tr -d ' ')" d9 # hot
	# the next reader rolls the half-done revision back
	assert_equal "$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_master WHERE name = 'big'")" 0
	assert_equal "$(db_versions)" "$C1"
	# with a quick revision in its place the run completes and leaves no journal
	write_rev "$C2" "$C1" "slow" "CREATE TABLE big (x INTEGER);" "DROP TABLE big;"
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(db_versions)" "$C2"
	[ ! -e "$DB-journal" ]
}

@test "a revision that turns the file to WAL keeps it WAL: the run's PERSIST is undone only while it is PERSIST" {
	write_rev "$C1" "" "wal" "PRAGMA journal_mode = WAL;" "PRAGMA journal_mode = DELETE;"
	sed -i 's/^-- message: wal$/-- message: wal\n-- transactional: false/' "$REV_FILE"
	write_rev "$C2" "$C1" "two"
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(sqlite3 "$DB" "PRAGMA journal_mode")" "wal"
	assert_equal "$(db_versions)" "$C2"
	[ ! -e "$DB-journal" ]
}

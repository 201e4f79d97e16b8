#!/usr/bin/env bats
# basics.bats: the commands that need no database (init, revision, merge,
# help, version) and the command line's error handling (SPEC §3-§5).

load helpers

setup() {
	common_setup
}

# ---- init ----------------------------------------------------------------

@test "init creates retort.ini and migrations/versions/" {
	mkdir "$BATS_TEST_TMPDIR/fresh"
	cd "$BATS_TEST_TMPDIR/fresh"
	run --separate-stderr retort init
	assert_success
	assert_output ""
	assert_stderr --partial "INFO  [retort] Created"
	[ -f retort.ini ] || fail "no retort.ini"
	[ -d migrations/versions ] || fail "no migrations/versions/"
	grep -qx '\[retort\]' retort.ini
	grep -qE '^script_location *= *migrations$' retort.ini
	# a fresh project is usable at once: no revisions, no heads
	run --separate-stderr retort heads
	assert_success
	assert_output ""
}

@test "init DIR creates the project in DIR" {
	run --separate-stderr retort init "$BATS_TEST_TMPDIR/sub/dir"
	assert_success
	[ -f "$BATS_TEST_TMPDIR/sub/dir/retort.ini" ] || fail "no retort.ini in DIR"
	[ -d "$BATS_TEST_TMPDIR/sub/dir/migrations/versions" ] || fail "no versions dir in DIR"
}

@test "init refuses to overwrite an existing retort.ini (exit 2)" {
	echo "# mine" >>retort.ini
	before=$(file_sum retort.ini)
	run --separate-stderr retort init
	assert_failure 2
	assert_stderr --partial "retort.ini"
	assert_stderr --partial "already exists"
	assert_equal "$(file_sum retort.ini)" "$before"
}

@test "init with two directories is a usage error (exit 2)" {
	run --separate-stderr retort init a b
	assert_failure 2
	assert_stderr --partial "usage: retort init"
	[ ! -e a ] && [ ! -e b ] || fail "init created something"
}

# ---- revision --------------------------------------------------------------

@test "revision writes <12hex>_<slug>.sql with the full header and prints its path" {
	run --separate-stderr retort revision -m "Add users table!"
	assert_success
	assert_output --regexp '(^|/)migrations/versions/[0-9a-f]{12}_add_users_table\.sql$'
	path=$output
	[ -f "$path" ] || fail "printed path $path does not exist"
	id=$(basename "$path" | cut -c1-12)
	run cat "$path"
	assert_line --index 0 "-- revision: $id"
	assert_line --index 1 --regexp '^-- down_revision: ?$'
	assert_line --index 2 "-- message: Add users table!"
	assert_line --index 3 --regexp '^-- create_date: [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$'
	assert_line --index 4 --regexp '^-- branch_labels: ?$'
	assert_line --index 5 --regexp '^-- depends_on: ?$'
	assert_line --index 6 "-- transactional: true"
	assert_line --index 7 --regexp '^-- release: ?$'
	assert_line "-- +upgrade"
	assert_line "-- +downgrade"
	# the new file is the only head, and a base
	run --separate-stderr retort history
	assert_success
	assert_output "<base> -> $id (head), Add users table!"
}

@test "revision's parent is the previous head; the new one becomes head" {
	run --separate-stderr retort revision -m "first"
	assert_success
	first=$(basename "$output" | cut -c1-12)
	run --separate-stderr retort revision -m "second"
	assert_success
	second=$(basename "$output" | cut -c1-12)
	[ "$first" != "$second" ] || fail "same id twice: $first"
	grep -qx -- "-- down_revision: $first" "$output" || fail "parent is not $first: $(head -3 "$output")"
	run --separate-stderr retort heads
	assert_success
	assert_output "$second (head)"
	run --separate-stderr retort history
	assert_success
	assert_output "$first -> $second (head), second
<base> -> $first, first"
}

@test "revision --rev-id uses the given id, and rejects bad or duplicate ids (exit 2)" {
	run --separate-stderr retort revision -m "Custom id" --rev-id my_rev_01
	assert_success
	assert_output --regexp '(^|/)migrations/versions/my_rev_01_custom_id\.sql$'
	grep -qx -- "-- revision: my_rev_01" "$output"
	run --separate-stderr retort revision -m "again" --rev-id my_rev_01
	assert_failure 2
	assert_stderr --partial "my_rev_01"
	run --separate-stderr retort revision -m "bad" --rev-id "bad-id!"
	assert_failure 2
	assert_stderr --partial "bad-id!"
	run --separate-stderr retort revision -m "too long" --rev-id "$(printf 'a%.0s' {1..33})"
	assert_failure 2
	assert_equal "$(ls "$VERSIONS" | wc -l)" 1
}

@test "revision --head REV on a non-head needs --splice; --splice makes a branch" {
	make_chain
	run --separate-stderr retort revision -m "off three" --head c3d4e5f6a1b2
	assert_failure 2
	assert_stderr --partial "c3d4e5f6a1b2"
	assert_stderr --partial "--splice"
	assert_equal "$(ls "$VERSIONS" | wc -l)" 5
	# a prefix works as --head, with --splice
	run --separate-stderr retort revision -m "off three" --head c3d4 --splice --rev-id aa00aa00aa00
	assert_success
	grep -qx -- "-- down_revision: c3d4e5f6a1b2" "$output" || fail "$(cat "$output")"
	run --separate-stderr retort heads
	assert_success
	assert_line "aa00aa00aa00 (head)"
	assert_line "e5f6a1b2c3d4 (head)"
	assert_equal "${#lines[@]}" 2
	# --head naming a head needs no --splice
	run --separate-stderr retort revision -m "on five" --head e5f6a1b2c3d4 --rev-id bb00bb00bb00
	assert_success
	grep -qx -- "-- down_revision: e5f6a1b2c3d4" "$output"
}

@test "revision with several heads and no --head is refused (exit 2)" {
	write_rev aaaa00000001 "" "root"
	write_rev bbbb00000001 aaaa00000001 "left"
	write_rev cccc00000001 aaaa00000001 "right"
	run --separate-stderr retort revision -m "which parent"
	assert_failure 2
	assert_stderr --partial "Multiple heads"
	assert_equal "$(ls "$VERSIONS" | wc -l)" 3
}

@test "revision --head base starts a new independent base" {
	make_chain
	run --separate-stderr retort revision -m "new root" --head base --rev-id ff00ff00ff00
	assert_success
	grep -qE -- '^-- down_revision: ?$' "$output" || fail "$(cat "$output")"
	run --separate-stderr retort heads
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_line "ff00ff00ff00 (head)"
}

@test "revision --branch-label writes the label; a label used twice is refused (exit 2)" {
	run --separate-stderr retort revision -m "feature base" --branch-label feature --rev-id f00000000001
	assert_success
	grep -qx -- "-- branch_labels: feature" "$output" || fail "$(cat "$output")"
	run --separate-stderr retort heads
	assert_success
	assert_output "f00000000001 (feature) (head)"
	run --separate-stderr retort revision -m "again" --branch-label feature
	assert_failure 2
	assert_stderr --partial "feature"
	assert_equal "$(ls "$VERSIONS" | wc -l)" 1
}

@test "revision --depends-on resolves a prefix to the full id; unknown is exit 2" {
	write_rev aaaa11112222 "" "main root"
	write_rev bbbb11112222 "" "lib root"
	run --separate-stderr retort revision -m "needs lib" --head aaaa11112222 --depends-on bbbb --rev-id cccc11112222
	assert_success
	grep -qx -- "-- depends_on: bbbb11112222" "$output" || fail "$(cat "$output")"
	grep -qx -- "-- down_revision: aaaa11112222" "$output"
	run --separate-stderr retort history
	assert_success
	assert_line --index 0 "aaaa11112222 (bbbb11112222) -> cccc11112222 (head), needs lib"
	run --separate-stderr retort revision -m "x" --head cccc11112222 --depends-on nosuchrev
	assert_failure 2
	assert_stderr --partial "nosuchrev"
	assert_equal "$(ls "$VERSIONS" | wc -l)" 3
}

@test "revision --autogenerate without target_schema: exit 2 naming the setting, no file" {
	run --separate-stderr retort revision -m "auto" --autogenerate
	assert_failure 2
	assert_stderr --partial "target_schema"
	assert_equal "$(ls "$VERSIONS" | wc -l)" 0
}

# ---- merge ---------------------------------------------------------------

@test "merge writes a revision whose parents are the given heads" {
	write_rev aaaa00000001 "" "root"
	write_rev bbbb00000001 aaaa00000001 "left"
	write_rev cccc00000001 aaaa00000001 "right"
	run --separate-stderr retort merge -m "merge left and right" bbbb cccc00000001 --rev-id dddd00000001
	assert_success
	assert_output --regexp '(^|/)migrations/versions/dddd00000001_merge_left_and_right\.sql$'
	grep -qx -- "-- down_revision: bbbb00000001, cccc00000001" "$output" || fail "$(cat "$output")"
	run --separate-stderr retort heads
	assert_success
	assert_output "dddd00000001 (head)"
	run --separate-stderr retort history
	assert_success
	assert_line --index 0 "bbbb00000001, cccc00000001 -> dddd00000001 (head) (mergepoint), merge left and right"
	assert_line "aaaa00000001 -> bbbb00000001, left"
	assert_line "aaaa00000001 -> cccc00000001, right"
	assert_line "<base> -> aaaa00000001 (branchpoint), root"
	# a revision after the merge has the merge as its only parent
	run --separate-stderr retort revision -m "after"
	assert_success
	grep -qx -- "-- down_revision: dddd00000001" "$output"
}

@test "merge heads merges every head" {
	write_rev aaaa00000001 "" "root"
	write_rev bbbb00000001 aaaa00000001 "left"
	write_rev cccc00000001 aaaa00000001 "right"
	run --separate-stderr retort merge -m "all" heads
	assert_success
	grep -qx -- "-- down_revision: bbbb00000001, cccc00000001" "$output" ||
		grep -qx -- "-- down_revision: cccc00000001, bbbb00000001" "$output" ||
		fail "$(cat "$output")"
}

@test "merge needs two or more revisions (exit 2)" {
	make_chain
	run --separate-stderr retort merge -m "none"
	assert_failure 2
	assert_stderr --partial "usage: retort merge"
	run --separate-stderr retort merge -m "one" e5f6a1b2c3d4
	assert_failure 2
	assert_stderr --partial "at least two distinct revisions"
	run --separate-stderr retort merge -m "same twice" e5f6a1b2c3d4 e5f6
	assert_failure 2
	run --separate-stderr retort merge -m "unknown" e5f6a1b2c3d4 nosuchrev
	assert_failure 2
	assert_stderr --partial "nosuchrev"
	assert_equal "$(ls "$VERSIONS" | wc -l)" 5
}

# ---- help and version ------------------------------------------------------

@test "--help, -h and help list the commands on stdout, exit 0" {
	for h in --help -h help; do
		run --separate-stderr retort $h
		assert_success
		assert_line --index 0 --partial "usage: retort"
		for c in init revision merge upgrade downgrade stamp current history heads branches show; do
			assert_line --regexp "^  $c "
		done
		assert_stderr ""
	done
}

@test "COMMAND -h prints that command's usage on stdout, exit 0, without a project" {
	cd "$BATS_TEST_TMPDIR"
	for c in init revision merge upgrade downgrade stamp current history heads branches show; do
		run --separate-stderr retort "$c" -h
		assert_success
		assert_output --partial "usage: retort $c"
	done
	run --separate-stderr retort history --help
	assert_success
	assert_output --partial "-r RANGE"
}

@test "--version prints retort's version" {
	run --separate-stderr retort --version
	assert_success
	want=$(sed -n 's/^#define RETORT_VERSION "\(.*\)"$/\1/p' "$RETORT_SRC/include/retort.h")
	assert_output "retort $want"
}

# ---- usage errors ----------------------------------------------------------

@test "no command: usage on stderr, exit 2" {
	run --separate-stderr retort
	assert_failure 2
	assert_output ""
	assert_stderr --partial "usage: retort"
}

@test "unknown command: exit 2 naming it" {
	run --separate-stderr retort frobnicate
	assert_failure 2
	assert_output ""
	assert_stderr --partial "unknown command 'frobnicate'"
}

@test "unknown options and bad arguments: exit 2 with the usage" {
	run --separate-stderr retort --bogus heads
	assert_failure 2
	assert_stderr --partial "--bogus"
	run --separate-stderr retort upgrade --bogus
	assert_failure 2
	assert_stderr --partial "--bogus"
	assert_stderr --partial "usage: retort upgrade"
	run --separate-stderr retort downgrade
	assert_failure 2
	assert_stderr --partial "usage: retort downgrade"
	run --separate-stderr retort stamp
	assert_failure 2
	run --separate-stderr retort show
	assert_failure 2
	assert_stderr --partial "usage: retort show"
	run --separate-stderr retort upgrade head extra
	assert_failure 2
	run --separate-stderr retort heads extra
	assert_failure 2
	run --separate-stderr retort revision -m
	assert_failure 2
	run --separate-stderr retort upgrade --purge
	assert_failure 2
	assert_stderr --partial "--purge"
	run --separate-stderr retort current -r 1:2
	assert_failure 2
	run --separate-stderr retort --format xml heads
	assert_failure 2
	assert_stderr --partial "xml"
	# none of these touched the database
	[ ! -e "$DB" ] || fail "a usage error created $DB"
}

@test "missing retort.ini: exit 2 with a clear message" {
	mkdir "$BATS_TEST_TMPDIR/empty"
	cd "$BATS_TEST_TMPDIR/empty"
	for c in heads current history "upgrade head" "revision -m x"; do
		run --separate-stderr retort $c
		assert_failure 2
		assert_stderr --partial "retort.ini"
		assert_stderr --partial "retort init"
	done
	[ -z "$(ls -A)" ] || fail "created files: $(ls -A)"
}

@test "-c FILE and \$RETORT_CONFIG pick the config; a missing one is exit 2" {
	make_chain
	mkdir "$BATS_TEST_TMPDIR/elsewhere"
	cd "$BATS_TEST_TMPDIR/elsewhere"
	run --separate-stderr retort -c "$PROJ/retort.ini" heads
	assert_success
	assert_output "e5f6a1b2c3d4 (head)"
	RETORT_CONFIG="$PROJ/retort.ini" run --separate-stderr retort heads
	assert_success
	assert_output "e5f6a1b2c3d4 (head)"
	run --separate-stderr retort -c "$PROJ/nope.ini" heads
	assert_failure 2
	assert_stderr --partial "nope.ini"
}

@test "unknown key in retort.ini is a configuration error with file:line (exit 2)" {
	printf 'alow_downgrade = false\n' >>retort.ini
	n=$(wc -l <retort.ini)
	run --separate-stderr retort heads
	assert_failure 2
	assert_stderr --partial "retort.ini:$n:"
	assert_stderr --partial "alow_downgrade"
}

@test "commands that need no database do not create one" {
	make_chain
	for c in heads history branches "show c3d4" "revision -m more"; do
		run --separate-stderr retort $c
		assert_success
	done
	[ ! -e "$DB" ] || fail "$DB was created"
}

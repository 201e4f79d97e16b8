#!/usr/bin/env bats
# releases.bats: the `release: X.Y.Z` header (SPEC §4, §9): upgrade
# --release to the newest revision of a release, refusing a release the
# database is already past (or older, as versions compare, than its own);
# version printing the release next to the revision; history marking the
# revisions that carry one (and nothing else: without release headers
# history stays Alembic's, which alembic_oracle.bats checks).

load helpers

setup() {
	common_setup
}

C1=a1b2c3d4e5f6 C2=b2c3d4e5f6a1 C3=c3d4e5f6a1b2 C4=d4e5f6a1b2c3 C5=e5f6a1b2c3d4

# set_release FILE X.Y.Z: adds the header line to a file write_rev wrote.
set_release() {
	sed -i "s/^-- depends_on:.*/&\n-- release: $2/" "$1"
}

# The chain, with C1 and C2 in release 0.8.0 (C2 completes it) and C4 in
# 0.9.0.
make_released_chain() {
	make_chain
	set_release "$VERSIONS/${C1}_rev_one.sql" 0.8.0
	set_release "$VERSIONS/${C2}_rev_two.sql" 0.8.0
	set_release "$VERSIONS/${C4}_rev_four.sql" 0.9.0
}

@test "upgrade --release: to the newest revision of the release, then the next release" {
	make_released_chain
	run --separate-stderr retort upgrade --release 0.8.0
	assert_success
	assert_stderr_line "INFO  [retort] Release 0.8.0 is revision $C2."
	assert_equal "$(running_lines)" "Running upgrade  -> $C1, Rev one.
Running upgrade $C1 -> $C2, Rev two."
	assert_equal "$(db_versions)" "$C2"
	run --separate-stderr retort upgrade --release 0.9.0
	assert_success
	assert_equal "$(db_versions)" "$C4"
	run --separate-stderr retort --format json upgrade --release 0.9.0
	assert_success
	assert_json
}

@test "upgrade --release: the same release again is 'already at', exit 0" {
	make_released_chain
	retort -q upgrade "$C4"
	run --separate-stderr retort upgrade --release 0.9.0
	assert_success
	assert_stderr_line "INFO  [retort] Already at release 0.9.0 ($C4); nothing to do."
	assert_equal "$(db_versions)" "$C4"
}

@test "upgrade --release: an older release than the database's is exit 1, nothing changed" {
	make_released_chain
	retort -q upgrade "$C5"
	run --separate-stderr retort upgrade --release 0.8.0
	assert_failure 1
	assert_stderr_line "FAILED: the database is at release 0.9.0 ($C5), newer than 0.8.0 ($C2); nothing to do (use 'retort downgrade $C2' to go back to 0.8.0)"
	assert_equal "$(db_versions)" "$C5"
	run --separate-stderr retort --format json upgrade --release 0.8.0
	assert_failure 1
	assert_json
	assert_output --partial '"reason": "older-release"'
}

@test "upgrade --release: past the release with no newer one is exit 1 too" {
	make_released_chain
	retort -q upgrade "$C3"
	run --separate-stderr retort upgrade --release 0.8.0
	assert_failure 1
	assert_stderr_line "FAILED: the database is past release 0.8.0 ($C2): it is at $C3 (release 0.8.0); nothing to do (use 'retort downgrade $C2' to go back to 0.8.0)"
	assert_equal "$(db_versions)" "$C3"
}

@test "upgrade --release: releases compare as versions (0.10.0 is newer than 0.9.1)" {
	# two branches from a base: 0.10.0 on one, 0.9.1 on the other
	write_rev aaaa00000001 "" "Base."
	write_rev bbbb00000002 aaaa00000001 "Ten."
	set_release "$REV_FILE" 0.10.0
	write_rev cccc00000003 aaaa00000001 "Nine."
	set_release "$REV_FILE" 0.9.1
	# an unknown release lists the known ones, oldest first
	run --separate-stderr retort upgrade --release 1.0
	assert_failure 2
	assert_stderr_line "FAILED: unknown release '1.0': no revision's header says 'release: 1.0'; known releases: 0.9.1, 0.10.0"
	retort -q upgrade bbbb00000002
	# 0.9.1 is on another branch, not below the database, but older: refused
	run --separate-stderr retort upgrade --release 0.9.1
	assert_failure 1
	assert_stderr_line "FAILED: the database is at release 0.10.0 (bbbb00000002), newer than 0.9.1 (cccc00000003, which is on another branch); not upgrading to an older release"
	assert_equal "$(db_versions)" bbbb00000002
	# the other way round is an upgrade
	rm -f "$DB"
	retort -q upgrade cccc00000003
	run --separate-stderr retort upgrade --release 0.10.0
	assert_success
	assert_equal "$(db_versions)" "bbbb00000002
cccc00000003"
}

@test "upgrade --release: unknown release is exit 2 listing the known ones; none known says so" {
	make_released_chain
	run --separate-stderr retort upgrade --release 0.7.0
	assert_failure 2
	assert_stderr_line "FAILED: unknown release '0.7.0': no revision's header says 'release: 0.7.0'; known releases: 0.8.0, 0.9.0"
	assert_equal "$(db_versions 2>/dev/null)" ""
	rm -f "$VERSIONS"/*.sql
	make_chain
	run --separate-stderr retort upgrade --release 0.8.0
	assert_failure 2
	assert_stderr_line "FAILED: unknown release '0.8.0': no revision file has a 'release:' header"
}

@test "upgrade --release: with a TARGET too, or empty, is a usage error" {
	make_released_chain
	run --separate-stderr retort upgrade head --release 0.8.0
	assert_failure 2
	assert_stderr --partial "give a TARGET or --release, not both"
	run --separate-stderr retort upgrade --release ""
	assert_failure 2
	assert_stderr --partial "empty release"
	[ ! -s "$DB" ] || assert_equal "$(db_versions)" ""
}

@test "upgrade --release --sql: the SQL up to the release's revision, offline" {
	make_released_chain
	run --separate-stderr retort upgrade --release 0.8.0 --sql
	assert_success
	assert_output --partial "CREATE TABLE t_$C2"
	refute_output --partial "t_$C3"
	[ ! -e "$DB" ] || fail "--sql created $DB"
}

@test "version: the release next to the revision, its own or its nearest ancestor's" {
	make_released_chain
	retort -q upgrade "$C2"
	run --separate-stderr retort version
	assert_success
	assert_output "$C2 (release 0.8.0)"
	retort -q upgrade "$C3"
	run --separate-stderr retort version
	assert_output "$C3 (release 0.8.0)"
	retort -q upgrade head
	run --separate-stderr retort version
	assert_output "$C5 (head) (release 0.9.0)"
	# current stays Alembic's
	run --separate-stderr retort current
	assert_output "$C5 (head)"
	run --separate-stderr retort --format json version
	assert_success
	assert_json
	assert_equal "$(printf '%s' "$output" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["release"], d["release_revision"])')" "0.9.0 $C4"
	run --separate-stderr retort -v version
	assert_line "Rev: $C5 (head) (release 0.9.0)"
}

@test "version: no release anywhere prints current's lines, JSON release null" {
	make_chain
	retort -q upgrade "$C3"
	run --separate-stderr retort version
	assert_success
	assert_output "$C3"
	run --separate-stderr retort --format json version
	assert_json
	assert_equal "$(printf '%s' "$output" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["release"], d["release_revision"])')" "None None"
	# below the first release, a revision has none
	set_release "$VERSIONS/${C4}_rev_four.sql" 0.9.0
	run --separate-stderr retort version
	assert_output "$C3"
}

@test "history: a revision with a release is marked after the markers; the others are Alembic's" {
	make_released_chain
	run --separate-stderr retort history
	assert_success
	assert_output "$C4 -> $C5 (head), Rev five.
$C3 -> $C4 (release 0.9.0), Rev four.
$C2 -> $C3, Rev three.
$C1 -> $C2 (release 0.8.0), Rev two.
<base> -> $C1 (release 0.8.0), Rev one."
	retort -q upgrade "$C2"
	run --separate-stderr retort history -i -r "$C1:$C2"
	assert_output "$C1 -> $C2 (current) (release 0.8.0), Rev two.
<base> -> $C1 (release 0.8.0), Rev one."
	run --separate-stderr retort history -v -r "$C2:$C2"
	assert_line --index 0 "Rev: $C2 (release 0.8.0)"
	run --separate-stderr retort --format json history
	assert_json
	assert_equal "$(printf '%s' "$output" | python3 -c 'import json,sys; print(" ".join(str(r["release"]) for r in json.load(sys.stdin)["history"]))')" "None 0.9.0 None 0.8.0 0.8.0"
}

@test "history: without release headers, lines carry no release mark" {
	make_chain
	run --separate-stderr retort history
	assert_success
	refute_output --partial "release"
}

#!/usr/bin/env bats
# messages.bats: messages that would otherwise leave the user stuck. Each
# case asserts that the command fails with the usage exit code (2), that
# stderr holds exactly one "FAILED: " line which keeps Alembic's wording
# first (scripts grep for it) and then says what is wrong and what to type
# instead, that nothing was written, and, where the message suggests a
# command, that the suggested command works.

load helpers

setup() {
	common_setup
}

# A fork with one labelled branch:
#   a1 -> b2 (branchpoint) -> c3 (feature) -> d4
#                         \-> e5
A1=a1000000000a B2=b2000000000b C3=c3000000000c D4=d4000000000d E5=e5000000000e
make_fork() {
	write_rev $A1 "" "initial"
	write_rev $B2 $A1 "branch point"
	LABELS=feature write_rev $C3 $B2 "feature start"
	write_rev $D4 $C3 "feature more"
	write_rev $E5 $B2 "mainline"
}

# run_fails CMD...: runs retort, expects exit 2, one FAILED line and an
# unchanged database (or none). Sets $msg to the FAILED line without its prefix.
run_fails() {
	local before
	before=$(file_sum "$DB")
	run --separate-stderr retort "$@"
	assert_failure 2
	local failed
	failed=$(grep -c '^FAILED: ' <<<"$stderr" || true)
	[ "$failed" = 1 ] || fail "expected one FAILED line, got $failed: $stderr"
	msg=$(sed -n 's/^FAILED: //p' <<<"$stderr")
	# connecting may leave an empty SQLite file where there was none
	if [ "$before" = absent ] && [ -e "$DB" ] && [ ! -s "$DB" ]; then
		return
	fi
	assert_equal "$(file_sum "$DB")" "$before"
}

# assert_msg TEXT: $msg contains TEXT.
assert_msg() {
	[[ $msg == *"$1"* ]] || fail "message lacks '$1': $msg"
}

@test "upgrade +1 at a fork names both branches and the label form, which works" {
	make_fork
	retort -q upgrade $B2
	run_fails upgrade +1
	assert_msg "Ambiguous walk: '+1' forks at $B2 into $C3, $E5"
	assert_msg "use 'retort upgrade feature@+1'"
	assert_msg "or a revision id: one of $C3, $E5"
	run --separate-stderr retort upgrade feature@+1
	assert_success
	assert_equal "$(db_versions)" "$C3"
}

@test "REV+1 at a fork: the label goes in front of the whole target" {
	make_fork
	run_fails upgrade $B2+1
	assert_msg "use 'retort upgrade feature@$B2+1'"
	run --separate-stderr retort upgrade "feature@$B2+1"
	assert_success
	assert_equal "$(db_versions)" "$C3"
}

@test "downgrade -1 with two heads is refused (Alembic picks one): names both and how to pick" {
	make_fork
	retort -q upgrade heads
	run_fails downgrade -1
	assert_msg "Relative revision -1 is ambiguous: the database has 2 heads"
	assert_msg "$D4"
	assert_msg "$E5"
	assert_msg "'retort downgrade <head>@-1'"
	assert_msg "'retort downgrade feature@-1'"
	assert_equal "$(db_tables | wc -l)" 5
	# the suggested forms step down one branch only
	local example
	example=$(grep -o "e.g. 'retort downgrade [^']*'" <<<"$msg" | sed "s/^e.g. 'retort //; s/'$//")
	[ -n "$example" ] || fail "no example in: $msg"
	# shellcheck disable=SC2086
	run --separate-stderr retort $example
	assert_success
	assert_equal "$(running_lines | wc -l)" 1
	retort -q upgrade heads
	run --separate-stderr retort downgrade feature@-1
	assert_success
	assert_equal "$(running_lines)" "Running downgrade $D4 -> $C3, feature more"
	assert_equal "$(db_versions | tr '\n' ' ')" "$C3 $E5 "
}

@test "downgrade -5 with 3 revisions below says how many and that base reverts all" {
	make_chain
	retort -q upgrade "${CHAIN[2]}"
	run_fails downgrade -5
	assert_msg "Relative revision -5 didn't produce 5 migrations: ${CHAIN[2]} is only 3 revisions above base"
	assert_msg "'retort downgrade base' reverts all"
	run --separate-stderr retort downgrade base
	assert_success
	assert_equal "$(db_versions)" ""
}

@test "upgrade +9 says how many are above and that heads applies all" {
	make_chain
	retort -q upgrade "${CHAIN[1]}"
	run_fails upgrade +9
	assert_msg "Relative revision +9 didn't produce 9 migrations: only 3 revisions are above ${CHAIN[1]}"
	assert_msg "'retort upgrade heads' applies all"
	retort -q upgrade head
	run_fails upgrade +1
	assert_msg "${CHAIN[4]} is a head: nothing is above it"
}

@test "signs the wrong way round say which command goes that way" {
	make_chain
	retort -q upgrade "${CHAIN[1]}"
	run_fails upgrade -1
	assert_msg "'retort downgrade -1' goes down"
	run_fails downgrade +1
	assert_msg "'retort upgrade +1' goes up"
}

@test "downgrade -1 into a merge names the parents" {
	write_rev $A1 "" "initial"
	write_rev $B2 $A1 "left"
	write_rev $C3 $A1 "right"
	write_rev $D4 "$B2, $C3" "merge"
	retort -q upgrade head
	run_fails downgrade -2
	assert_msg "Ambiguous walk: '-2' reaches the merge point $D4, which has 2 parents ($B2, $C3)"
	assert_msg "e.g. 'retort downgrade $B2'"
	run --separate-stderr retort downgrade $B2
	assert_success
}

@test "upgrade +1 from two current heads names them and the REV+1 form, which works" {
	make_fork
	retort -q upgrade $C3
	retort -q upgrade $E5
	run_fails upgrade +1
	assert_msg "Ambiguous upgrade from multiple current revisions: the database has 2 heads"
	assert_msg "'retort upgrade <head>+1'"
	run --separate-stderr retort upgrade $C3+1
	assert_success
	assert_equal "$(db_versions | tr '\n' ' ')" "$D4 $E5 "
}

@test "an unknown revision suggests the nearest id, or where to look" {
	make_chain
	run_fails upgrade c3d4e5f6a1b3
	assert_msg "Can't locate revision identified by 'c3d4e5f6a1b3': did you mean '${CHAIN[2]}'?"
	run_fails show C3D4E5F6A1B2
	assert_msg "did you mean '${CHAIN[2]}'?"
	run_fails upgrade zzzzzzzz
	assert_msg "Can't locate revision identified by 'zzzzzzzz'"
	assert_msg "'retort history' lists them"
	run_fails stamp nosuchrev
	assert_msg "'retort history' lists them"
}

@test "an unknown branch label suggests the nearest label" {
	make_fork
	run_fails upgrade featrue@head
	assert_msg "Can't locate revision identified by 'featrue': did you mean 'feature'?"
}

@test "an ambiguous prefix lists every candidate" {
	write_rev abcd00000001 "" "one"
	write_rev abcd00000002 abcd00000001 "two"
	write_rev abcd00000003 abcd00000002 "three"
	write_rev abcd00000004 abcd00000003 "four"
	run_fails upgrade abcd
	assert_msg "Multiple revisions start with 'abcd': 'abcd00000001', 'abcd00000002', 'abcd00000003', 'abcd00000004'; type more of the id"
}

@test "head with several heads names them" {
	make_fork
	run_fails upgrade head
	assert_msg "Multiple head revisions are present for given argument 'head'"
	assert_msg "(the heads: $D4, $E5)"
	run_fails stamp head
	assert_msg "Multiple heads are present; please specify a single target revision"
	assert_msg "(the heads: $D4, $E5)"
}

@test "a revision outside the named branch says how to name one on it" {
	make_fork
	run_fails upgrade feature@$E5
	assert_msg "Revision $E5 is not a member of branch 'feature': name a revision on that branch (e.g. 'feature@head')"
}

@test "downgrade to a revision above the current one points to upgrade" {
	make_chain
	retort -q upgrade "${CHAIN[1]}"
	run_fails downgrade "${CHAIN[3]}"
	assert_msg "Destination ${CHAIN[3]} is not a valid downgrade target from current head(s): ${CHAIN[3]} is above the current head(s) ${CHAIN[1]}; use 'retort upgrade' to go there"
}

@test "a version row no file defines: current and stamp say how to get out" {
	make_chain
	retort -q upgrade head
	sqlite3 "$DB" "UPDATE retort_version SET version_num = 'ffff00000000'"
	run_fails current
	assert_msg "'ffff00000000'"
	assert_msg "'retort stamp --purge REV' replaces the version rows"
	run_fails stamp "${CHAIN[0]}"
	assert_msg "'retort stamp --purge REV' replaces the version rows"
	run --separate-stderr retort stamp --purge "${CHAIN[0]}"
	assert_success
	assert_equal "$(db_versions)" "${CHAIN[0]}"
}

@test "a mistyped down_revision names the file and the nearest id" {
	make_chain
	write_rev f6a1b2c3d4e5 e5f6a1b2c3d5 "Rev six."
	run_fails heads
	assert_msg "f6a1b2c3d4e5_rev_six.sql: Revision e5f6a1b2c3d5 referenced from f6a1b2c3d4e5 is not present"
	assert_msg "did you mean '${CHAIN[4]}'?"
}

@test "a cycle says which line to change" {
	write_rev e1e1e1e1e1e1 f1f1f1f1f1f1 "Cycle one."
	write_rev f1f1f1f1f1f1 e1e1e1e1e1e1 "Cycle two."
	run_fails history
	assert_msg "Cycle is detected in revisions (e1e1e1e1e1e1, f1f1f1f1f1f1): change the down_revision of one of them"
}

@test "history -r with the ends swapped says which way round" {
	make_chain
	run_fails history -r "${CHAIN[3]}:${CHAIN[1]}"
	assert_msg "the lower end must be below the upper one"
}

#!/usr/bin/env bats
# --format json beyond the read-only reports (sqlite.bats has those):
# init, revision and merge print a document describing what they wrote;
# upgrade, downgrade, stamp and repair print the library's result
# document; and a failure prints {"error": {...}} on stdout while the
# FAILED line still goes to stderr and the exit code does not change.

load helpers

setup() {
	common_setup
}

# jq_ EXPR [TEXT]: evaluates a Python expression over the JSON document
# in TEXT (default $output) bound to d, and prints the result.
jq_() {
	printf '%s' "${2-$output}" | python3 -c '
import json, sys
d = json.load(sys.stdin)
r = eval(sys.argv[1])
print(json.dumps(r) if isinstance(r, (dict, list)) or r is None else r)' "$1"
}

# assert_error_doc CODE REASON: $output is exactly one document, an error
# with that code and reason, and stderr has the FAILED line.
assert_error_doc() {
	assert_json
	assert_equal "$(jq_ 'sorted(d.keys())')" '["error"]'
	assert_equal "$(jq_ 'd["error"]["code"]')" "$1"
	assert_equal "$(jq_ 'd["error"]["reason"]')" "$2"
	assert_equal "$(jq_ 'sorted(d["error"].keys())')" '["code", "file", "line", "message", "reason"]'
	assert_stderr_line --partial "FAILED: "
}

# ---- documents of the commands that write files -----------------------------

@test "json: init prints the files it created" {
	mkdir "$BATS_TEST_TMPDIR/new"
	run --separate-stderr retort --format json init "$BATS_TEST_TMPDIR/new"
	assert_success
	assert_json
	assert_equal "$(jq_ 'd["config"]')" "$BATS_TEST_TMPDIR/new/retort.ini"
	assert_equal "$(jq_ 'd["versions"]')" "$BATS_TEST_TMPDIR/new/migrations/versions"
	[ -f "$BATS_TEST_TMPDIR/new/retort.ini" ] || fail "no retort.ini"
	# the log line still goes to stderr
	assert_stderr --partial "Created"
}

@test "json: revision prints the new file's path, id and header fields" {
	make_chain
	run --separate-stderr retort revision -m "Add a column." --rev-id f00d00000001 \
		--branch-label side --depends-on "${CHAIN[0]}" --format json
	assert_success
	assert_json
	path=$(jq_ 'd["path"]')
	[ -f "$path" ] || fail "path '$path' is not the new file"
	assert_equal "$(jq_ 'd["revision"]')" f00d00000001
	assert_equal "$(jq_ 'd["down_revisions"]')" "[\"${CHAIN[4]}\"]"
	assert_equal "$(jq_ 'd["message"]')" "Add a column."
	assert_equal "$(jq_ 'd["branch_labels"]')" '["side"]'
	assert_equal "$(jq_ 'd["depends_on"]')" "[\"${CHAIN[0]}\"]"
	assert_equal "$(jq_ 'd["transactional"]')" True
	assert_equal "$(jq_ 'd["release"]')" null
	# ISO-8601
	[[ $(jq_ 'd["create_date"]') =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2} ]] ||
		fail "create_date is not ISO-8601: $(jq_ 'd["create_date"]')"
	# a generated id is read back from the file too
	run --separate-stderr retort --format json revision -m "Generated."
	assert_success
	id=$(jq_ 'd["revision"]')
	[[ $id =~ ^[0-9a-f]{12}$ ]] || fail "id '$id'"
	grep -q "^-- revision: $id\$" "$(jq_ 'd["path"]')" || fail "the file does not hold $id"
	# text output is unchanged: the path, one line
	run --separate-stderr retort revision -m "Text."
	assert_success
	assert_output --regexp '^migrations/versions/[0-9a-f]{12}_text\.sql$'
}

@test "json: merge prints the merge revision with its parents" {
	write_rev aaaa00000001 "" "Base."
	write_rev bbbb00000001 aaaa00000001 "Left."
	write_rev cccc00000001 aaaa00000001 "Right."
	run --separate-stderr retort --format json merge -m "Join." heads --rev-id dddd00000001
	assert_success
	assert_json
	assert_equal "$(jq_ 'd["revision"]')" dddd00000001
	assert_equal "$(jq_ 'sorted(d["down_revisions"])')" '["bbbb00000001", "cccc00000001"]'
	[ -f "$(jq_ 'd["path"]')" ] || fail "no file"
}

# ---- the library's result documents -------------------------------------------

@test "json: upgrade, downgrade, stamp and repair each print one JSON document" {
	make_chain
	for args in "upgrade head" "downgrade -2" "stamp head" "stamp --purge base" "repair" \
		"upgrade --sql ${CHAIN[1]}"; do
		run --separate-stderr retort --format json $args
		assert_success
		assert_json
	done
	rm "$DB" # the tables are there, the version (stamped) at base
	run --separate-stderr retort --format json upgrade head
	assert_success
	assert_equal "$(jq_ 'd["operation"]')" upgrade
	run --separate-stderr retort --format json downgrade base
	assert_equal "$(jq_ 'd["operation"]')" downgrade
	# the log lines stay on stderr
	assert_stderr --partial "Running downgrade"
}

# ---- failures -----------------------------------------------------------------------

@test "json: a usage error is an error document (code 2, reason usage) on stdout" {
	for args in "upgrade --bogus" "upgarde" "downgrade" "heads extra" "help nosuch" \
		"revision -m" "stamp --purge --lock"; do
		run --separate-stderr retort --format json $args
		assert_failure 2
		assert_error_doc 2 usage
		assert_equal "$(jq_ 'd["error"]["file"]')" null
		assert_equal "$(jq_ 'd["error"]["line"]')" null
	done
	run --separate-stderr retort --format json history -r ""
	assert_failure 2
	assert_error_doc 2 usage
	# --format json anywhere on the line counts, even after the mistake
	run --separate-stderr retort upgrade --bogus --format json
	assert_failure 2
	assert_error_doc 2 usage
	assert_equal "$(jq_ 'd["error"]["message"]')" "unknown option '--bogus'"
	# text: nothing on stdout
	run --separate-stderr retort upgrade --bogus
	assert_failure 2
	assert_output ""
}

@test "json: a failed statement is an error document with file and line; exit 1" {
	write_rev aaaa00000001 "" "Broken." "CREATE TABLE ok (x INTEGER);
INSERT INTO nosuch VALUES (1);"
	run --separate-stderr retort --format json upgrade
	assert_failure 1
	assert_json
	assert_equal "$(jq_ 'd["error"]["code"]')" 1
	assert_equal "$(jq_ 'd["error"]["reason"]')" statement
	assert_equal "$(jq_ 'd["error"]["file"]')" "migrations/versions/aaaa00000001_broken.sql"
	assert_equal "$(jq_ 'd["error"]["line"]')" 10
	assert_stderr_line --partial "FAILED: migrations/versions/aaaa00000001_broken.sql:10: "
	assert_equal "$(db_versions)" ""
}

@test "json: a bad revision file and a bad URL are error documents; exit 2" {
	printf -- '-- revision: aaaa00000001\n-- bogus_key: 1\n\n-- +upgrade\nSELECT 1;\n' \
		>"$VERSIONS/aaaa00000001_bad.sql"
	run --separate-stderr retort --format json heads
	assert_failure 2
	assert_json
	assert_equal "$(jq_ 'd["error"]["code"]')" 2
	assert_equal "$(jq_ 'd["error"]["file"]')" "migrations/versions/aaaa00000001_bad.sql"
	assert_equal "$(jq_ 'd["error"]["line"]')" 2
	rm "$VERSIONS/aaaa00000001_bad.sql"
	run --separate-stderr retort --format json -u "mongodb://x/y" upgrade
	assert_failure 2
	assert_json
	assert_equal "$(jq_ 'd["error"]["code"]')" 2
	assert_output --partial mongodb
}

@test "json: verify finding a difference is its document plus an error member; exit 3" {
	make_chain
	retort -q upgrade head
	echo "-- edited" >>"$VERSIONS/${CHAIN[1]}_rev_two.sql"
	run --separate-stderr retort --format json verify
	assert_failure 3
	assert_json
	assert_equal "$(jq_ 'd["ok"]')" False
	assert_equal "$(jq_ 'd["differences"][0]["revision"]')" "${CHAIN[1]}"
	assert_equal "$(jq_ 'd["error"]["code"]')" 3
	assert_equal "$(jq_ 'd["error"]["reason"]')" changed-file
}

@test "json: a missing config is an error document; the password never appears" {
	mkdir "$BATS_TEST_TMPDIR/empty"
	cd "$BATS_TEST_TMPDIR/empty"
	run --separate-stderr retort --format json current
	assert_failure 2
	assert_json
	assert_equal "$(jq_ 'd["error"]["code"]')" 2
	cd "$PROJ"
	run --separate-stderr retort --format json -u "postgresql://u:s3cr3t@127.0.0.1:1/db" upgrade
	assert_failure
	assert_json
	[[ $output$stderr != *s3cr3t* ]] || fail "password in the output"
}

@test "json: -v reports carry when and by whom each revision was applied (ISO-8601, UTC); dates ISO-8601; absent values null" {
	write_rev aaaa00000001 "" "First."
	write_rev aaaa00000002 aaaa00000001 "Second."
	sed -i '/^-- create_date: /d' "$REV_FILE"
	run --separate-stderr retort upgrade aaaa00000001
	assert_success
	run --separate-stderr retort -v --format json history
	assert_success
	local d=$output
	# the applied revision: at (UTC, Z), by, duration
	assert_regex "$(jq_ '[r for r in d["history"] if r["revision"] == "aaaa00000001"][0]["applied"]["at"]' "$d")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$'
	assert_regex "$(jq_ '[r for r in d["history"] if r["revision"] == "aaaa00000001"][0]["applied"]["by"]' "$d")" '^[^@]+@.+$'
	assert_regex "$(jq_ '[r for r in d["history"] if r["revision"] == "aaaa00000001"][0]["create_date"]' "$d")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$'
	# not applied: null; no create_date, no release: null
	assert_equal "$(jq_ '[r for r in d["history"] if r["revision"] == "aaaa00000002"][0]["applied"]' "$d")" null
	assert_equal "$(jq_ '[r for r in d["history"] if r["revision"] == "aaaa00000002"][0]["create_date"]' "$d")" null
	assert_equal "$(jq_ '[r for r in d["history"] if r["revision"] == "aaaa00000002"][0]["release"]' "$d")" null
	# current -v: the same member
	run --separate-stderr retort -v --format json current
	assert_success
	assert_regex "$(jq_ 'd["current"][0]["applied"]["at"]')" 'Z$'
	# without -v the member is left out
	run --separate-stderr retort --format json current
	assert_equal "$(jq_ '"applied" in d["current"][0]')" False
}

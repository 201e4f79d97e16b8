#!/usr/bin/env bats
# retort lint (SPEC §8): named rules over the revision files, without a
# database: destructive operations in expand parts are errors (exit 3),
# PostgreSQL locking hazards are warnings (exit 0; --strict: 3), contract
# parts may be destructive, `-- lint: allow RULE` overrides and is listed,
# --format json for CI, --explain RULE for a rule's documentation, exit 2
# for a file that does not split, an unknown target or rule.
#
# The URL is a PostgreSQL one nobody listens on: lint never connects.

load helpers

PGURL=postgresql://lint@127.0.0.1:1/nowhere

setup() {
	common_setup
	sed -i "s|^url = .*|url = $PGURL|" retort.ini
}

# rev FILE ID DOWN [HEADER...]: a revision file whose sections come from
# stdin; extra header lines (e.g. "transactional: false") after DOWN.
rev() {
	local file=$1 id=$2 down=$3 h
	shift 3
	{
		printf -- '-- revision: %s\n-- down_revision: %s\n-- message: %s\n' "$id" "$down" "$file"
		for h in "$@"; do printf -- '-- %s\n' "$h"; done
		printf '\n'
		cat
	} >"$VERSIONS/$file.sql"
}

# A base revision that creates what the others change (exempt: its own).
base_rev() {
	rev 0001_base aaaa00000001 "" <<-'EOF'
		-- +upgrade
		CREATE TABLE users (id bigint PRIMARY KEY, email text, name text, age int);
		CREATE INDEX users_email ON users (email);
		ALTER TABLE users ADD CONSTRAINT users_age CHECK (age > 0);
		CREATE TYPE mood AS ENUM ('happy', 'sad');

		-- +downgrade
		DROP TABLE users;
		DROP TYPE mood;
	EOF
}

# jq_ EXPR: a Python expression over the JSON document in $output (d).
jq_() {
	printf '%s' "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
r = eval(sys.argv[1])
print(json.dumps(r) if isinstance(r, (dict, list)) or r is None else r)' "$1"
}

F=migrations/versions

@test "lint: safe revisions are exit 0 with nothing on stdout; the log says the dialect" {
	base_rev
	rev 0002_safe aaaa00000002 aaaa00000001 "transactional: false" <<-'EOF'
		-- +upgrade
		ALTER TABLE users ADD COLUMN nick text;
		ALTER TABLE users ADD COLUMN score int NOT NULL DEFAULT 0;
		ALTER TABLE users ADD COLUMN seen timestamptz DEFAULT now();
		CREATE INDEX CONCURRENTLY users_nick ON users (nick);
		ALTER TABLE users ADD CONSTRAINT users_score CHECK (score >= 0) NOT VALID;
		ALTER TABLE users VALIDATE CONSTRAINT users_score;
		ALTER TYPE mood ADD VALUE 'meh';

		-- +downgrade
		ALTER TABLE users DROP COLUMN nick;
	EOF
	run --separate-stderr retort lint
	assert_success
	assert_output ""
	assert_stderr --partial "Linted 2 revisions for PostgreSQL: 0 errors, 0 warnings, 0 allowed."
}

@test "lint: each destructive operation in an expand part is an error naming file:line and rule; exit 3" {
	base_rev
	rev 0002_destroy aaaa00000002 aaaa00000001 <<-'EOF'
		-- +expand
		ALTER TABLE users DROP COLUMN name;
		DROP TABLE legacy;
		ALTER TABLE users DROP CONSTRAINT users_age;
		DROP INDEX users_email;
		ALTER TABLE users RENAME TO people;
		ALTER TABLE users RENAME COLUMN email TO mail;
		ALTER TABLE users ALTER COLUMN age TYPE bigint;
		ALTER TABLE users ALTER COLUMN email SET NOT NULL;
		ALTER TABLE users ADD COLUMN nick text NOT NULL;
		ALTER TYPE mood RENAME VALUE 'sad' TO 'blue';
		TRUNCATE users;
		DROP VIEW user_view;

		-- +migrate

		-- +contract
	EOF
	run --separate-stderr retort lint
	assert_failure 3
	local f=$F/0002_destroy.sql
	assert_line --partial "$f:6: error[drop-column]: ALTER TABLE users DROP COLUMN name"
	assert_line --partial "$f:7: error[drop-table]: DROP TABLE legacy"
	assert_line --partial "$f:8: error[drop-constraint]:"
	assert_line --partial "$f:9: error[drop-index]:"
	assert_line --partial "$f:9: warning[drop-index-not-concurrent]:"
	assert_line --partial "$f:10: error[rename-table]:"
	assert_line --partial "$f:11: error[rename-column]:"
	assert_line --partial "$f:12: error[change-column-type]:"
	assert_line --partial "$f:12: warning[type-change-rewrite]:"
	assert_line --partial "$f:13: error[set-not-null]:"
	assert_line --partial "$f:14: error[add-not-null-without-default]:"
	assert_line --partial "$f:15: error[rename-enum-value]:"
	assert_line --partial "$f:16: error[truncate]:"
	assert_line --partial "$f:17: error[drop-object]:"
	# every line is a finding with a hint in parentheses
	assert_equal "$(printf '%s\n' "$output" | grep -cv '^migrations/versions/.*:[0-9]*: \(error\|warning\)\[[a-z-]*\]: .* (.*)$')" 0
	assert_stderr --partial "FAILED: lint: 12 errors and 2 warnings"
}

@test "lint: a plain +upgrade counts as expand; the same statements in +contract are allowed" {
	base_rev
	rev 0002_plain aaaa00000002 aaaa00000001 <<-'EOF'
		-- +upgrade
		ALTER TABLE users DROP COLUMN name;
	EOF
	run --separate-stderr retort lint aaaa00000002
	assert_failure 3
	assert_output --partial "error[drop-column]"

	rev 0002_plain aaaa00000002 aaaa00000001 <<-'EOF'
		-- +expand
		ALTER TABLE users ADD COLUMN full_name text;

		-- +migrate
		UPDATE users SET full_name = name WHERE id IN (SELECT id FROM users WHERE full_name IS NULL LIMIT :batch_size);

		-- +contract
		ALTER TABLE users DROP COLUMN name;
		DROP TABLE legacy;
		ALTER TABLE users RENAME COLUMN email TO mail;
	EOF
	run --separate-stderr retort lint aaaa00000002
	assert_success
	assert_output ""
}

@test "lint: locking hazards are warnings (exit 0); --strict makes them fail (exit 3)" {
	base_rev
	rev 0002_hazards aaaa00000002 aaaa00000001 <<-'EOF'
		-- +expand
		CREATE INDEX users_name ON users (name);
		ALTER TABLE users ADD CONSTRAINT users_fk FOREIGN KEY (id) REFERENCES accounts (id);
		ALTER TABLE users ADD CONSTRAINT users_len CHECK (length(name) < 100);
		ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();
		ALTER TABLE users ADD CONSTRAINT users_name_key UNIQUE (name);
		UPDATE users SET email = lower(email);

		-- +contract
		DROP INDEX users_email;
		ALTER TABLE users ALTER COLUMN age TYPE text USING age::text;
	EOF
	run --separate-stderr retort lint
	assert_success
	local f=$F/0002_hazards.sql
	assert_line --partial "$f:6: warning[index-not-concurrent]:"
	assert_line --partial "$f:7: warning[fk-not-valid]:"
	assert_line --partial "$f:8: warning[check-not-valid]:"
	assert_line --partial "$f:9: warning[volatile-default]:"
	assert_line --partial "$f:10: warning[unique-on-existing]:"
	assert_line --partial "$f:11: warning[backfill-in-expand]:"
	assert_line --partial "$f:14: warning[drop-index-not-concurrent]:"
	assert_line --partial "$f:15: warning[type-change-rewrite]:"
	refute_output --partial "error["
	assert_equal "${#lines[@]}" 8

	run --separate-stderr retort lint --strict
	assert_failure 3
	assert_stderr --partial "FAILED: lint: 0 errors and 8 warnings (--strict: warnings fail too)"
}

@test "lint: CONCURRENTLY in a transactional revision is an error; transactional: false is clean" {
	base_rev
	rev 0002_conc aaaa00000002 aaaa00000001 <<-'EOF'
		-- +upgrade
		CREATE INDEX CONCURRENTLY users_name ON users (name);
	EOF
	run --separate-stderr retort lint
	assert_failure 3
	assert_line --partial "$F/0002_conc.sql:6: error[concurrently-in-transaction]: CREATE INDEX CONCURRENTLY cannot run inside a transaction block"
	rev 0002_conc aaaa00000002 aaaa00000001 "transactional: false" <<-'EOF'
		-- +upgrade
		CREATE INDEX CONCURRENTLY users_name ON users (name);
	EOF
	run --separate-stderr retort lint
	assert_success
	assert_output ""
}

@test "lint: '-- lint: allow RULE' overrides (above, inside, after); every override in use is listed last" {
	base_rev
	rev 0002_allowed aaaa00000002 aaaa00000001 <<-'EOF'
		-- +upgrade
		-- lint: allow drop-column
		ALTER TABLE users DROP COLUMN name;
		DROP TABLE legacy; -- lint: allow drop-table (empty since 2.0)
		ALTER TABLE users
		  -- lint: allow rename-column
		  RENAME COLUMN email TO mail;
		CREATE INDEX users_age ON users (age); -- lint: allow index-not-concurrent
	EOF
	run --separate-stderr retort lint
	assert_success
	local f=$F/0002_allowed.sql
	assert_equal "$output" "$f:7: allowed drop-column
$f:8: allowed drop-table
$f:9: allowed rename-column
$f:12: allowed index-not-concurrent"
	assert_stderr --partial "0 errors, 0 warnings, 4 allowed."
}

@test "lint: an override that overrides nothing, or names no rule, is a warning" {
	base_rev
	rev 0002_unused aaaa00000002 aaaa00000001 <<-'EOF'
		-- +upgrade
		-- lint: allow drop-table
		ALTER TABLE users ADD COLUMN nick text;
		-- lint: allow drop-colum
		ALTER TABLE users DROP COLUMN name;
	EOF
	run --separate-stderr retort lint
	assert_failure 3
	local f=$F/0002_unused.sql
	assert_line --partial "$f:6: warning[unused-override]: '-- lint: allow drop-table' but drop-table reports nothing"
	assert_line --partial "$f:8: warning[unused-override]: '-- lint: allow drop-colum' names no rule"
	assert_line --partial "$f:9: error[drop-column]:"
}

@test "lint: --format json lists findings and overrides; ok is false exactly when the exit is 3" {
	base_rev
	rev 0002_json aaaa00000002 aaaa00000001 <<-'EOF'
		-- +upgrade
		ALTER TABLE users DROP COLUMN name; -- lint: allow drop-column
		CREATE INDEX users_name ON users (name);
	EOF
	run --separate-stderr retort --format json lint
	assert_success
	assert_equal "$(jq_ 'd["ok"]')" True
	assert_equal "$(jq_ 'd["dialect"]')" postgresql
	assert_equal "$(jq_ 'd["revisions"]')" 2
	assert_equal "$(jq_ 'list(d.keys())')" '["ok", "dialect", "revisions", "findings", "overrides"]'
	assert_equal "$(jq_ '[(f["rule"], f["severity"], f["line"], f["allowed"]) for f in d["findings"]]')" \
		'[["drop-column", "error", 6, true], ["index-not-concurrent", "warning", 7, false]]'
	assert_equal "$(jq_ 'sorted(d["findings"][0].keys())')" '["allowed", "file", "hint", "line", "message", "rule", "severity"]'
	assert_equal "$(jq_ 'd["findings"][0]["file"]')" "$F/0002_json.sql"
	assert_equal "$(jq_ 'd["overrides"]')" \
		"[{\"rule\": \"drop-column\", \"file\": \"$F/0002_json.sql\", \"line\": 6, \"comment_line\": 6}]"

	run --separate-stderr retort --format json lint --strict
	assert_failure 3
	assert_equal "$(jq_ 'd["ok"]')" False
	assert_equal "$(jq_ 'd["error"]["code"]')" 3
	assert_equal "$(jq_ 'len(d["findings"])')" 2
}

@test "lint: REV arguments pick revisions; an unknown one is exit 2" {
	base_rev
	rev 0002_a aaaa00000002 aaaa00000001 <<-'EOF'
		-- +upgrade
		DROP TABLE a;
	EOF
	rev 0003_b aaaa00000003 aaaa00000002 <<-'EOF'
		-- +upgrade
		DROP TABLE b;
	EOF
	run --separate-stderr retort lint aaaa00000002
	assert_failure 3
	assert_output --partial "DROP TABLE a"
	refute_output --partial "DROP TABLE b"
	run --separate-stderr retort lint head aaaa00000001
	assert_failure 3
	assert_output --partial "DROP TABLE b"
	refute_output --partial "DROP TABLE a"
	assert_stderr --partial "Linted 2 revisions"
	run --separate-stderr retort lint aaaa00000001
	assert_success
	run --separate-stderr retort lint nosuchrev
	assert_failure 2
	assert_stderr --partial "FAILED:"
}

@test "lint: --explain RULE prints its documentation (no project needed); an unknown rule is exit 2 listing them" {
	run --separate-stderr retort lint --explain drop-column
	assert_success
	assert_line --index 0 "drop-column (error): DROP COLUMN in an expand part"
	assert_output --partial "contract"
	cd "$BATS_TEST_TMPDIR"
	rm -f retort.ini
	run --separate-stderr retort lint --explain fk-not-valid
	assert_success
	assert_output --partial "NOT VALID"
	run --separate-stderr retort --format json lint --explain volatile-default
	assert_success
	assert_equal "$(jq_ 'sorted(d.keys())')" '["doc", "rule", "severity", "summary"]'
	assert_equal "$(jq_ 'd["severity"]')" warning
	run --separate-stderr retort lint --explain drop-colum
	assert_failure 2
	assert_stderr --partial "unknown lint rule 'drop-colum'; the rules are: drop-table, drop-column,"
	assert_stderr --partial "concurrently-in-transaction"
	# every listed rule explains itself
	local names
	names=$(printf '%s' "$stderr" | sed -n 's/.*the rules are: //p' | tr -d ',')
	for r in $names; do
		run retort lint --explain "$r"
		assert_success
	done
}

@test "lint: SQLite projects use the tokenizer: destructive rules only, quotes and comments respected" {
	sed -i "s|^url = .*|url = sqlite:///app.db|" retort.ini
	rev 0001_base aaaa00000001 "" <<-'EOF'
		-- +upgrade
		CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT);
	EOF
	rev 0002_sqlite aaaa00000002 aaaa00000001 <<-'EOF'
		-- +upgrade
		ALTER TABLE users DROP COLUMN name;
		ALTER TABLE "users" RENAME COLUMN email TO mail;
		ALTER TABLE users ADD COLUMN n INTEGER NOT NULL;
		CREATE INDEX users_mail ON users (mail);
		INSERT INTO log VALUES ('DROP TABLE users');
		-- DROP TABLE users;
		DROP TABLE [old stuff];
	EOF
	run --separate-stderr retort lint
	assert_failure 3
	local f=$F/0002_sqlite.sql
	assert_line --partial "$f:6: error[drop-column]:"
	assert_line --partial "$f:7: error[rename-column]:"
	assert_line --partial "$f:8: error[add-not-null-without-default]:"
	assert_line --partial "$f:12: error[drop-table]: DROP TABLE old stuff"
	assert_equal "${#lines[@]}" 4
	assert_stderr --partial "for SQLite"
	# nothing was created: lint never connects
	[ ! -e app.db ] || fail "lint created the database"
}

@test "lint: without a URL the rules are PostgreSQL's, and the log says so" {
	sed -i "s|^url = .*||" retort.ini
	base_rev
	run --separate-stderr retort lint
	assert_success
	assert_stderr --partial "No database URL: linting for PostgreSQL."
}

@test "lint: a file that does not split is exit 2 naming file:line" {
	base_rev
	rev 0002_broken aaaa00000002 aaaa00000001 <<-'EOF'
		-- +upgrade
		INSERT INTO users (name) VALUES ('unterminated);
	EOF
	run --separate-stderr retort lint
	assert_failure 2
	assert_stderr --partial "FAILED: $F/0002_broken.sql:6: unterminated string"
}

@test "lint: -h documents the options" {
	run --separate-stderr retort lint -h
	assert_success
	assert_line --index 0 --partial "usage: retort lint"
	assert_output --partial "--strict"
	assert_output --partial "--explain RULE"
	assert_output --partial "-- lint: allow RULE"
}

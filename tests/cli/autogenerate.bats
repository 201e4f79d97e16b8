#!/usr/bin/env bats
# autogenerate.bats: the developer's loop of issue 7 on SQLite, as a user
# runs it, with rows in the tables: write schema.sql, `revision
# --autogenerate`, `upgrade`, `check`, `downgrade -1` (the previous
# schema is back, the rows are still there), `upgrade` again. Also the
# rename annotations and the hint for an unannotated drop + add, `test`
# on a good and a bad project, `check --format json`, `schema [TABLE]`,
# errors in schema.sql, and autogenerate refusing when not at head.

load helpers

setup() {
	common_setup
	sed -i 's/^\[retort\]$/[retort]\ntarget_schema = schema.sql/' retort.ini
	grep -q '^target_schema = schema.sql$' retort.ini || fail "could not set target_schema"
	STEPS="$BATS_TEST_TMPDIR/steps"
	mkdir -p "$STEPS"
	: >"$STEPS/prev.sql"
}

# sq SQL...: sqlite3 on the project's database.
sq() {
	sqlite3 "$DB" "$@"
}

# autogen MSG: `revision --autogenerate -m MSG` must succeed and print the
# path of the file it wrote. Sets REV (that path), REV_ID and AUTO_ERR
# (its stderr).
autogen() {
	run --separate-stderr retort revision --autogenerate -m "$1"
	assert_success
	REV=$output
	AUTO_ERR=$stderr
	[ -f "$REV" ] || fail "autogenerate printed '$REV', which is not a file (stderr: $stderr)"
	REV_ID=$(sed -n 's/^-- revision: //p' "$REV")
}

# assert_check_ok: `check` exits 0 and prints nothing on stdout.
assert_check_ok() {
	run --separate-stderr retort check
	if [ "$status" -ne 0 ]; then
		fail "check exited $status; stdout:
$output
stderr:
$stderr
schema.sql:
$(cat schema.sql)"
	fi
	assert_output ""
}

# upgrade_ok / downgrade_ok ARGS: the command succeeds.
upgrade_ok() {
	run --separate-stderr retort upgrade "$@"
	[ "$status" -eq 0 ] || fail "upgrade $* exited $status: $stderr
revision:
$(cat "${REV:-/dev/null}")"
}
downgrade_ok() {
	run --separate-stderr retort downgrade "$@"
	[ "$status" -eq 0 ] || fail "downgrade $* exited $status: $stderr
revision:
$(cat "${REV:-/dev/null}")"
}

# assert_auto_line / refute_auto_line ARGS: bats-assert's assert_line and
# refute_line on the stderr of the last autogen.
auto_assert_line() {
	local output=$AUTO_ERR
	local -a lines
	mapfile -t lines <<<"$AUTO_ERR"
	assert_line "$@"
}
auto_refute_line() {
	local output=$AUTO_ERR
	local -a lines
	mapfile -t lines <<<"$AUTO_ERR"
	refute_line "$@"
}

# describe: `retort schema` of the project's database (the whole of it).
describe() {
	"$RETORT_BIN" -q schema 2>/dev/null
}

# evolve MSG < new schema.sql: keeps the current schema.sql (and the
# description of the database) as the previous one, writes the new one,
# autogenerates, upgrades, and `check` passes.
evolve() {
	cp schema.sql "$STEPS/prev.sql" 2>/dev/null || : >"$STEPS/prev.sql"
	describe >"$STEPS/prev.describe"
	cat >schema.sql
	autogen "$1"
	upgrade_ok
	assert_check_ok
	describe >"$STEPS/next.describe"
}

# go_back: `downgrade -1`; the previous schema is back: `retort schema`
# describes the database as before the upgrade, and with the previous
# schema.sql put back (and the newest revision set aside, so the database
# is at head) `check` passes.
go_back() {
	cp schema.sql "$STEPS/next.sql"
	downgrade_ok -1
	assert_equal "$(describe)" "$(cat "$STEPS/prev.describe")"
	cp "$STEPS/prev.sql" schema.sql
	mv "$REV" "$STEPS/rev.sql"
	assert_check_ok
	mv "$STEPS/rev.sql" "$REV"
}

# go_forward: `upgrade` again; the database matches the new schema.sql and
# is described as after the first upgrade.
go_forward() {
	cp "$STEPS/next.sql" schema.sql
	upgrade_ok
	assert_check_ok
	assert_equal "$(describe)" "$(cat "$STEPS/next.describe")"
}

# The SQL of a schema object in the project's database ("" when absent).
obj_sql() {
	sq "SELECT sql FROM sqlite_master WHERE name = '$1'"
}

# Column names of a table, comma-separated, in order.
cols() {
	sq "SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('$1') ORDER BY cid)"
}

USERS_V1='CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  age INTEGER
);'

USERS_ROWS='1|ann|31
2|bob|17
3|cy|45'

# users_base: the first revision (users), applied, with three rows.
users_base() {
	evolve "create users" <<<"$USERS_V1"
	BASE_ID=$REV_ID
	sq "INSERT INTO users (id, name, age) VALUES (1, 'ann', 31), (2, 'bob', 17), (3, 'cy', 45)"
}

assert_users_rows() {
	assert_equal "$(sq 'SELECT id, name, age FROM users ORDER BY id')" "$USERS_ROWS"
}

# ---- the round trips ---------------------------------------------------------------

@test "create tables from empty: both created, check passes, downgrade leaves nothing" {
	evolve "create users and posts" <<'EOF'
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  title TEXT
);
EOF
	auto_assert_line "INFO  [retort] Detected added table 'users'"
	auto_assert_line "INFO  [retort] Detected added table 'posts'"
	assert_equal "$(db_tables | tr '\n' ' ')" "posts users "
	sq "INSERT INTO users VALUES (1, 'ann'), (2, 'bob'); INSERT INTO posts VALUES (10, 1, 'hi'), (11, 2, 'yo')"
	# the downgrade drops posts before users and leaves an empty database
	go_back
	assert_equal "$(db_tables)" ""
	go_forward
	assert_equal "$(db_tables | tr '\n' ' ')" "posts users "
	assert_equal "$(sq 'PRAGMA foreign_key_list(posts)' | cut -d'|' -f3,4,5)" "users|user_id|id"
}

@test "add a column with a unique index: rows kept, index enforced, downgrade keeps the rows" {
	users_base
	evolve "add email" <<'EOF'
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  age INTEGER,
  email TEXT
);
CREATE UNIQUE INDEX users_email ON users (email);
EOF
	auto_assert_line "INFO  [retort] Detected added column 'users.email'"
	auto_assert_line --partial "INFO  [retort] Detected added unique index 'users_email'"
	assert_users_rows
	assert_equal "$(cols users)" "id,name,age,email"
	sq "UPDATE users SET email = 'ann@example.org' WHERE id = 1"
	run sq "UPDATE users SET email = 'ann@example.org' WHERE id = 2"
	assert_failure
	assert_output --partial "UNIQUE"
	go_back
	assert_users_rows
	assert_equal "$(cols users)" "id,name,age"
	assert_equal "$(obj_sql users_email)" ""
	go_forward
	assert_users_rows
	assert_equal "$(cols users)" "id,name,age,email"
	assert_equal "$(sq "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'users_email'")" 1
}

@test "drop a column: the other columns' rows kept; downgrade adds it back" {
	users_base
	evolve "drop age" <<'EOF'
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL
);
EOF
	auto_assert_line "INFO  [retort] Detected removed column 'users.age'"
	assert_equal "$(sq 'SELECT id, name FROM users ORDER BY id' | tr '\n' ' ')" "1|ann 2|bob 3|cy "
	assert_equal "$(cols users)" "id,name"
	go_back
	assert_equal "$(cols users)" "id,name,age"
	assert_equal "$(sq 'SELECT id, name FROM users ORDER BY id' | tr '\n' ' ')" "1|ann 2|bob 3|cy "
	go_forward
	assert_equal "$(sq 'SELECT count(*) FROM users')" 3
}

@test "relax and tighten NOT NULL: rows kept both ways, the constraint follows" {
	users_base
	evolve "relax name" <<'EOF'
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT,
  age INTEGER
);
EOF
	auto_assert_line --regexp "^INFO  \[retort\] Detected NULL on column 'users.name'"
	assert_users_rows
	sq "INSERT INTO users (id, name, age) VALUES (4, NULL, 1)"
	sq "DELETE FROM users WHERE id = 4"
	go_back
	assert_users_rows
	run sq "INSERT INTO users (id, name, age) VALUES (4, NULL, 1)"
	assert_failure
	assert_output --partial "NOT NULL"
	go_forward
	assert_users_rows
	# and tighten again, in a revision of its own
	evolve "tighten name" <<<"$USERS_V1"
	auto_assert_line --regexp "^INFO  \[retort\] Detected NOT NULL on column 'users.name'"
	assert_users_rows
	run sq "INSERT INTO users (id, name, age) VALUES (4, NULL, 1)"
	assert_failure
	go_back
	assert_users_rows
	sq "INSERT INTO users (id, name, age) VALUES (4, NULL, 1)"
	sq "DELETE FROM users WHERE id = 4"
	go_forward
	assert_users_rows
}

@test "change a type: values converted, and back on downgrade" {
	users_base
	evolve "age real" <<'EOF'
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  age REAL
);
EOF
	auto_assert_line --regexp "^INFO  \[retort\] Detected type change from '[^']*' to '[^']*' on 'users.age'"
	assert_equal "$(sq 'SELECT id, name, age, typeof(age) FROM users ORDER BY id' | tr '\n' ' ')" \
		"1|ann|31.0|real 2|bob|17.0|real 3|cy|45.0|real "
	go_back
	assert_equal "$(sq 'SELECT typeof(age) FROM users GROUP BY 1')" integer
	assert_users_rows
	go_forward
	assert_equal "$(sq 'SELECT typeof(age) FROM users GROUP BY 1')" real
}

@test "a table with a foreign key to a table that is then rebuilt: the key still points at it" {
	users_base
	evolve "add posts" <<'EOF'
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  age INTEGER
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  title TEXT NOT NULL
);
CREATE INDEX posts_user ON posts (user_id);
EOF
	sq "INSERT INTO posts VALUES (10, 1, 'a'), (11, 1, 'b'), (12, 3, 'c')"
	# users.name NOT NULL -> NULL needs a rebuild of users
	evolve "relax users.name" <<'EOF'
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT,
  age INTEGER
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  title TEXT NOT NULL
);
CREATE INDEX posts_user ON posts (user_id);
EOF
	grep -q '_retort_new_users' "$REV" || fail "expected a rebuild of users in $(cat "$REV")"
	assert_users_rows
	assert_equal "$(sq 'SELECT id, user_id, title FROM posts ORDER BY id' | tr '\n' ' ')" "10|1|a 11|1|b 12|3|c "
	assert_fk_intact() {
		assert_equal "$(sq 'PRAGMA foreign_key_list(posts)' | cut -d'|' -f3,4,5,7)" "users|user_id|id|CASCADE"
		assert_equal "$(sq 'PRAGMA foreign_key_check')" ""
		run obj_sql posts
		refute_output --partial _retort
		assert_equal "$(sq "SELECT count(*) FROM sqlite_master WHERE instr(sql, '_retort') > 0")" 0
	}
	assert_fk_intact
	go_back
	assert_users_rows
	assert_equal "$(sq 'SELECT count(*) FROM posts')" 3
	assert_fk_intact
	go_forward
	assert_fk_intact
	# the key works: deleting a user takes its posts along
	assert_equal "$(sq 'PRAGMA foreign_keys = ON; DELETE FROM users WHERE id = 1; SELECT id FROM posts ORDER BY id' | tr '\n' ' ')" "12 "
}

@test "add and drop an index: rows kept, the index comes and goes with the revisions" {
	users_base
	evolve "index name" <<EOF
$USERS_V1
CREATE INDEX users_name ON users (name);
EOF
	auto_assert_line --partial "INFO  [retort] Detected added index 'users_name'"
	assert_equal "$(sq "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'users_name'")" 1
	assert_users_rows
	go_back
	assert_equal "$(obj_sql users_name)" ""
	assert_users_rows
	go_forward
	assert_equal "$(sq "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'users_name'")" 1
	evolve "drop the index" <<<"$USERS_V1"
	auto_assert_line --partial "INFO  [retort] Detected removed index 'users_name'"
	assert_equal "$(obj_sql users_name)" ""
	assert_users_rows
	go_back
	assert_equal "$(sq "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'users_name'")" 1
	assert_users_rows
	go_forward
	assert_equal "$(obj_sql users_name)" ""
}

@test "a view over a table that is rebuilt: the view survives and reads the rows" {
	users_base
	evolve "adults view" <<EOF
$USERS_V1
CREATE VIEW adults AS SELECT id, name FROM users WHERE age >= 18;
EOF
	assert_equal "$(sq 'SELECT name FROM adults ORDER BY id' | tr '\n' ' ')" "ann cy "
	evolve "users.age real" <<'EOF'
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  age REAL
);
CREATE VIEW adults AS SELECT id, name FROM users WHERE age >= 18;
EOF
	grep -q '_retort_new_users' "$REV" || fail "expected a rebuild of users in $(cat "$REV")"
	assert_equal "$(sq 'SELECT name FROM adults ORDER BY id' | tr '\n' ' ')" "ann cy "
	assert_equal "$(sq 'SELECT count(*) FROM users')" 3
	go_back
	assert_equal "$(sq 'SELECT name FROM adults ORDER BY id' | tr '\n' ' ')" "ann cy "
	assert_users_rows
	go_forward
	assert_equal "$(sq 'SELECT name FROM adults ORDER BY id' | tr '\n' ' ')" "ann cy "
}

@test "an annotated column rename keeps its data, both ways" {
	users_base
	evolve "rename name" <<'EOF'
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  full_name TEXT NOT NULL, -- renamed from: name
  age INTEGER
);
EOF
	auto_assert_line "INFO  [retort] Detected renamed column 'users.name' -> 'users.full_name'"
	auto_refute_line --partial "WARN"
	grep -qi 'RENAME COLUMN name TO full_name' "$REV" || fail "no RENAME COLUMN in $(cat "$REV")"
	run grep -i 'DROP COLUMN' "$REV"
	assert_failure
	assert_equal "$(cols users)" "id,full_name,age"
	assert_equal "$(sq 'SELECT id, full_name, age FROM users ORDER BY id')" "$USERS_ROWS"
	go_back
	assert_equal "$(cols users)" "id,name,age"
	assert_users_rows
	go_forward
	assert_equal "$(sq 'SELECT id, full_name, age FROM users ORDER BY id')" "$USERS_ROWS"
}

@test "an annotated table rename keeps its data, its index and the keys that point at it" {
	evolve "users and posts" <<'EOF'
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  age INTEGER
);
CREATE INDEX users_name ON users (name);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER REFERENCES users(id)
);
EOF
	sq "INSERT INTO users VALUES (1, 'ann', 31), (2, 'bob', 17), (3, 'cy', 45); INSERT INTO posts VALUES (10, 2)"
	evolve "rename users to members" <<'EOF'
CREATE TABLE members ( -- renamed from: users
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  age INTEGER
);
CREATE INDEX users_name ON members (name);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER REFERENCES members(id)
);
EOF
	auto_assert_line "INFO  [retort] Detected renamed table 'users' -> 'members'"
	auto_refute_line --partial "WARN"
	grep -qi 'ALTER TABLE users RENAME TO members' "$REV" || fail "no RENAME TO in $(cat "$REV")"
	assert_equal "$(db_tables | tr '\n' ' ')" "members posts "
	assert_equal "$(sq 'SELECT id, name, age FROM members ORDER BY id')" "$USERS_ROWS"
	assert_equal "$(sq 'PRAGMA foreign_key_list(posts)' | cut -d'|' -f3)" members
	go_back
	assert_equal "$(db_tables | tr '\n' ' ')" "posts users "
	assert_users_rows
	assert_equal "$(sq 'PRAGMA foreign_key_list(posts)' | cut -d'|' -f3)" users
	assert_equal "$(sq 'SELECT * FROM posts')" "10|2"
	go_forward
	assert_equal "$(sq 'SELECT id, name, age FROM members ORDER BY id')" "$USERS_ROWS"
}

@test "an unannotated drop + add of a same-typed column: WARN, a commented hint, nothing dropped" {
	users_base
	cp schema.sql "$STEPS/prev.sql"
	cat >schema.sql <<'EOF'
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  full_name TEXT NOT NULL,
  age INTEGER
);
EOF
	autogen "full name"
	auto_assert_line --regexp "^WARNI? \[retort\] Column 'users.name' removed and 'users.full_name' added .*renamed from: name"
	auto_refute_line "INFO  [retort] Detected removed column 'users.name'"
	# the hint is in the revision, commented out
	run grep -n 'full_name' "$REV"
	assert_success
	run grep -E '^[[:space:]]*[^-[:space:]].*(DROP COLUMN|ADD COLUMN|_retort_new_)' "$REV"
	assert_failure
	run grep -E '^[[:space:]]*--.*DROP COLUMN name' "$REV"
	assert_success
	upgrade_ok
	assert_equal "$(cols users)" "id,name,age"
	assert_users_rows
	# with the annotation, the next autogenerate renames it
	downgrade_ok -1
	rm "$REV"
	sed -i 's/^  full_name TEXT NOT NULL,$/  full_name TEXT NOT NULL, -- renamed from: name/' schema.sql
	autogen "full name, renamed"
	upgrade_ok
	assert_check_ok
	assert_equal "$(sq 'SELECT id, full_name, age FROM users ORDER BY id')" "$USERS_ROWS"
}

@test "server defaults spelled differently in schema.sql and the database give no difference" {
	write_rev a00000000001 "" "hand-written" "CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  at TEXT DEFAULT CURRENT_TIMESTAMP,
  status TEXT DEFAULT 'x',
  n INTEGER DEFAULT 0
);" "DROP TABLE events;"
	upgrade_ok
	cat >schema.sql <<'EOF'
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  at TEXT DEFAULT (current_timestamp),
  status TEXT DEFAULT ('x'),
  n INTEGER DEFAULT (0)
);
EOF
	assert_check_ok
	run --separate-stderr retort revision --autogenerate -m "nothing"
	assert_success
	refute_stderr --partial "Detected"
	assert_stderr --partial "No changes in schema detected."
}

@test "a rebuild keeps an AUTOINCREMENT table's counter: ids of deleted rows are not handed out again" {
	evolve "tickets" <<'EOF'
CREATE TABLE tickets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  title TEXT NOT NULL
);
EOF
	sq "INSERT INTO tickets (title) VALUES ('a'), ('b'), ('c'); DELETE FROM tickets WHERE id = 3"
	assert_equal "$(sq "SELECT seq FROM sqlite_sequence WHERE name = 'tickets'")" 3
	evolve "relax title" <<'EOF'
CREATE TABLE tickets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  title TEXT
);
EOF
	grep -q '_retort_new_tickets' "$REV" || fail "expected a rebuild of tickets in $(cat "$REV")"
	assert_equal "$(sq 'SELECT id, title FROM tickets ORDER BY id' | tr '\n' ' ')" "1|a 2|b "
	assert_equal "$(sq "SELECT seq FROM sqlite_sequence WHERE name = 'tickets'")" 3
	assert_equal "$(sq "INSERT INTO tickets (title) VALUES ('d') RETURNING id")" 4
}

@test "a rename annotation naming a table that does not exist is not turned into a silent drop" {
	users_base
	cat >schema.sql <<'EOF'
CREATE TABLE members ( -- renamed from: userz
  id INTEGER PRIMARY KEY,
  full_name TEXT NOT NULL,
  age INTEGER
);
EOF
	run --separate-stderr retort revision --autogenerate -m "typo"
	# either refused, or written with a warning about the annotation; never
	# a plain DROP TABLE users that nobody was told about
	assert_stderr --partial userz
	if [ "$status" -eq 0 ]; then
		run grep -E '^[[:space:]]*DROP TABLE users' "$output"
		assert_failure
	fi
	assert_users_rows
}

# ---- test --------------------------------------------------------------------------

@test "test: every autogenerated revision passes up, down, up; the project's database untouched" {
	users_base
	evolve "add email" <<'EOF'
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  age INTEGER,
  email TEXT
);
CREATE UNIQUE INDEX users_email ON users (email);
EOF
	local id2=$REV_ID
	evolve "posts, a view, users rebuilt" <<'EOF'
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT,
  age REAL,
  email TEXT
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  title TEXT
);
CREATE VIEW adults AS SELECT id, name FROM users WHERE age >= 18;
EOF
	local id3=$REV_ID
	local before
	before=$(file_sum "$DB")
	run --separate-stderr retort test
	assert_success
	assert_line --index 0 "ok 1 - $BASE_ID create users"
	assert_line --index 1 "ok 2 - $id2 add email"
	assert_line --index 2 "ok 3 - $id3 posts, a view, users rebuilt"
	assert_line --regexp "^ok 4 - head matches schema.sql"
	assert_line "1..4"
	refute_output --partial "not ok"
	assert_equal "$(file_sum "$DB")" "$before"
	assert_equal "$(sq 'SELECT id, name FROM users ORDER BY id' | tr '\n' ' ')" "1|ann 2|bob 3|cy "
}

@test "test: a revision whose downgrade forgets its index fails, naming the revision and the index" {
	users_base
	write_rev b00000000002 "$BASE_ID" "index without a way back" \
		"CREATE INDEX users_age ON users (age);" \
		"SELECT 1;"
	write_rev c00000000003 b00000000002 "fine" \
		"CREATE TABLE notes (id INTEGER PRIMARY KEY);" \
		"DROP TABLE notes;"
	run --separate-stderr retort test
	assert_failure 3
	assert_line "ok 1 - $BASE_ID create users"
	assert_line "not ok 2 - b00000000002 index without a way back"
	assert_line --regexp '^#   .*users_age'
	refute_line --regexp '^ok 2 '
	assert_stderr --partial "FAILED:"
	# the diagnostics sit under the failing revision's line
	local block
	block=$(printf '%s\n' "$output" | sed -n '/^not ok 2 /,/^\(not \)\?ok 3 /p' | grep '^#   ')
	[[ $block == *users_age* ]] || fail "no diagnostic naming users_age under 'not ok 2': $output"
}

@test "test: at head, a schema that differs from schema.sql fails (exit 3) and names the object" {
	users_base
	printf '%s\nCREATE INDEX users_age ON users (age);\n' "$USERS_V1" >schema.sql
	run --separate-stderr retort test
	assert_failure 3
	assert_line "ok 1 - $BASE_ID create users"
	assert_line "not ok 2 - head matches schema.sql"
	assert_line --regexp "^#   .*users_age"
}

# ---- check, schema -------------------------------------------------------------------

@test "check: pending revisions (exit 3), then differences, in text and JSON" {
	users_base
	write_rev b00000000002 "$BASE_ID" "notes" \
		"CREATE TABLE notes (id INTEGER PRIMARY KEY);" "DROP TABLE notes;"
	run --separate-stderr retort check
	assert_failure 3
	assert_output "pending b00000000002"
	run --separate-stderr retort --format json check
	assert_failure 3
	assert_json
	assert_equal "$(jq -r '.ok, .up_to_date, (.pending | join(","))' <<<"$output" | tr '\n' ' ')" "false false b00000000002 "
	upgrade_ok
	cat >schema.sql <<'EOF'
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  age INTEGER,
  email TEXT
);
CREATE TABLE notes (id INTEGER PRIMARY KEY);
EOF
	run --separate-stderr retort check
	assert_failure 3
	assert_output "added column 'users.email'"
	run --separate-stderr retort --format json check
	assert_failure 3
	assert_json
	assert_equal "$(jq -r '.ok, .up_to_date, (.pending | length), (.differences | length)' <<<"$output" | tr '\n' ' ')" "false true 0 1 "
	assert_equal "$(jq -r '.differences[0] | "\(.kind) \(.table) \(.name)"' <<<"$output")" "add_column users email"
	# matching: ok
	sed -i '/email TEXT/d; s/age INTEGER,/age INTEGER/' schema.sql
	run --separate-stderr retort --format json check
	assert_success
	assert_json
	assert_equal "$(jq -r '.ok, (.differences | length), (.current | join(","))' <<<"$output" | tr '\n' ' ')" "true 0 b00000000002 "
}

@test "schema: the \\d-like description of a table; an unknown table exits 2" {
	users_base
	evolve "index" <<EOF
$USERS_V1
CREATE INDEX users_name ON users (name);
EOF
	run --separate-stderr retort schema users
	assert_success
	assert_line --index 0 'Table "users"'
	assert_line --regexp '^ *Column *\| *Type *\| *Nullable *\| *Default *$'
	assert_line --regexp '^ id +\| integer +\| +\| *$'
	assert_line --regexp '^ name +\| text +\| not null +\| *$'
	assert_line --regexp '^ age +\| integer +\| +\| *$'
	assert_line --partial '"users_name"'
	run --separate-stderr retort schema
	assert_success
	assert_line 'Table "users"'
	refute_output --partial retort_version
	run --separate-stderr retort --format json schema users
	assert_success
	assert_json
	assert_equal "$(jq -r '.tables[0].columns | map(.name + ":" + .type) | join(" ")' <<<"$output")" "id:integer name:text age:integer"
	run --separate-stderr retort schema nosuch
	assert_failure 2
	assert_output ""
	assert_stderr --partial nosuch
}

# ---- errors ----------------------------------------------------------------------

BAD_SCHEMA='-- the schema
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE posts (id INTEGER PRIMARY KEY,, title TEXT);
'

@test "a syntax error in schema.sql on line 3: exit 2 naming schema.sql:3, the database untouched" {
	printf '%s' "$BAD_SCHEMA" >schema.sql
	# a project without a database yet
	for cmd in "revision --autogenerate -m bad" "check"; do
		run --separate-stderr retort $cmd
		assert_failure 2
		assert_stderr --regexp "FAILED: ([^ ]*/)?schema\.sql:3: "
	done
	assert_equal "$(ls "$VERSIONS")" ""
	if [ -e "$DB" ]; then
		assert_equal "$(sq "SELECT count(*) FROM sqlite_master")" 0
	fi
	# a project at a revision with rows
	printf '%s\n' "$USERS_V1" >schema.sql
	users_base
	local sum
	sum=$(file_sum "$DB")
	printf '%s' "$BAD_SCHEMA" >schema.sql
	for cmd in "revision --autogenerate -m bad" "check" "test"; do
		run --separate-stderr retort $cmd
		assert_failure 2
		assert_stderr --regexp "FAILED: ([^ ]*/)?schema\.sql:3: "
	done
	assert_equal "$(ls "$VERSIONS" | wc -l)" 1
	assert_equal "$(file_sum "$DB")" "$sum"
	run --separate-stderr retort current
	assert_output "$BASE_ID (head)"
	assert_users_rows
}

@test "an error inside a multi-line CREATE TABLE is reported on its own line (schema.sql:3)" {
	cat >schema.sql <<'EOF'
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,,
  age INTEGER
);
EOF
	run --separate-stderr retort check
	assert_failure 2
	assert_stderr --regexp "FAILED: ([^ ]*/)?schema\.sql:3: "
	if [ -e "$DB" ]; then
		assert_equal "$(sq "SELECT count(*) FROM sqlite_master")" 0
	fi
}

@test "autogenerate when the database is not at head: exit 1 naming the pending revision" {
	users_base
	write_rev b00000000002 "$BASE_ID" "notes" \
		"CREATE TABLE notes (id INTEGER PRIMARY KEY);" "DROP TABLE notes;"
	printf '%s\nCREATE TABLE notes (id INTEGER PRIMARY KEY);\nCREATE TABLE tags (id INTEGER);\n' "$USERS_V1" >schema.sql
	run --separate-stderr retort revision --autogenerate -m "too early"
	assert_failure 1
	assert_output ""
	assert_stderr --partial b00000000002
	assert_equal "$(ls "$VERSIONS" | wc -l)" 2
	run --separate-stderr retort current
	assert_output "$BASE_ID"
	# at head it works
	upgrade_ok
	autogen "tags"
	auto_assert_line "INFO  [retort] Detected added table 'tags'"
}

# big_schema N: schema.sql of N tables that a large file's split into
# scratch databases (sql/route.c) must keep whole where it matters: foreign
# keys to far tables (with and without columns), views and triggers that
# read tables hundreds of statements apart, ALTER TABLE ADD COLUMN, seed
# rows copied across tables, partial and expression indexes.
big_schema() {
	awk -v n="$1" 'BEGIN {
	  for (i = 1; i <= n; i++) {
	    p = int(i / 3); if (p < 1) p = 1
	    printf "CREATE TABLE t_%d (\n  id INTEGER PRIMARY KEY,\n", i
	    if (i % 2) printf "  parent_id INTEGER REFERENCES t_%d ON DELETE CASCADE,\n", p
	    else printf "  parent_id INTEGER REFERENCES t_%d (id),\n", p
	    printf "  code VARCHAR(32) NOT NULL DEFAULT '\''x'\'',\n  qty INTEGER CHECK (qty >= 0)\n);\n"
	    printf "CREATE INDEX t_%d_parent ON t_%d (parent_id) WHERE parent_id IS NOT NULL;\n", i, i
	    if (i % 7 == 0) printf "CREATE INDEX t_%d_lower ON t_%d (lower(code));\n", i, i
	    if (i % 11 == 0) printf "ALTER TABLE t_%d ADD COLUMN note TEXT;\n", i
	    if (i > 400 && i % 50 == 0)
	      printf "CREATE VIEW v_%d AS SELECT a.id, b.code FROM t_%d a JOIN t_%d b ON b.id = a.parent_id;\n", i, i, i - 400
	    if (i > 300 && i % 70 == 0)
	      printf "CREATE TRIGGER g_%d AFTER INSERT ON t_%d BEGIN\n  INSERT INTO t_%d (code) VALUES (new.code);\nEND;\n", i, i, i - 300
	    if (i > 500 && i % 90 == 0)
	      printf "INSERT INTO t_%d (code, qty) SELECT code, 1 FROM t_%d;\n", i, i - 500
	  }
	}' >schema.sql
}

@test "a large schema.sql is loaded into several scratch databases and describes the same schema as one" {
	big_schema 900
	sqlite3 -bail "$DB" <schema.sql || fail "sqlite3 could not load the generated schema"
	run --separate-stderr retort -v check
	[ "$status" -eq 0 ] || fail "check exited $status: $output $stderr"
	[[ "$stderr" =~ loaded\ into\ ([0-9]+)\ scratch\ databases ]] || fail "no split: $stderr"
	[ "${BASH_REMATCH[1]}" -gt 4 ] || fail "only ${BASH_REMATCH[1]} databases"
	# a difference far into the file is found, and only it
	sed -i 's/^CREATE TABLE t_850 (/CREATE TABLE t_850 (\n  extra INTEGER,/' schema.sql
	run --separate-stderr retort check
	assert_failure 3
	assert_output --partial "extra"
	assert_equal "$(grep -c . <<<"$output")" 1
	# from an empty database: autogenerate, upgrade, check
	rm -f "$DB"
	big_schema 900
	autogen "everything"
	upgrade_ok
	assert_check_ok
	assert_equal "$(sq 'SELECT count(*) FROM sqlite_master WHERE type = '\''view'\''')" 10
	assert_equal "$(sq 'SELECT count(*) FROM sqlite_master WHERE type = '\''trigger'\''')" 8
}

@test "an error in a large schema.sql names its line, whichever scratch database it lands in" {
	big_schema 900
	printf 'CREATE INDEX bad ON t_850 (no_such_column);\n' >>schema.sql
	local line
	line=$(wc -l <schema.sql)
	run --separate-stderr retort check
	assert_failure 2
	assert_stderr --partial "schema.sql:$line: "
	assert_stderr --partial "no_such_column"
	[ ! -e "$DB" ] || assert_equal "$(sq 'SELECT count(*) FROM sqlite_master')" 0
}

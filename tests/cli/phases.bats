#!/usr/bin/env bats
# phases.bats: zero-downtime upgrades, expand / migrate / contract (SPEC §8,
# issue 8), on SQLite and, under tests/support/with-postgres.sh, on
# PostgreSQL (those tests skip without RETORT_TEST_PG_URL).
#
# The project is Glance-style: a base revision creates `images` (name, size;
# every row has name = 'n' || size); a phased revision replaces `name` by
# `title`. Its expand part adds `title`, a one-row table `image_audit`, a
# partial index over the rows still to do, and a trigger (on PostgreSQL a
# plpgsql function) that fills `title` for rows the old release writes
# (INSERTs and UPDATEs of `name` only); its migrate part writes an audit
# row once and then backfills in batches (:batch_size) with a progress
# query; its contract part drops the trigger, the index and `name`. So at
# every moment title IS NULL or title = 'n' || size, and at the end every
# row has title = 'n' || size.

load helpers
load race

A=aaaa00000001 B=bbbb00000002 C=cccc00000003

setup() {
	common_setup
	printf 'lock_timeout = 20\n' >>retort.ini
	STOP="$BATS_TEST_TMPDIR/stop-writer"
}

teardown() {
	touch "$STOP"
	bg_reap
}

# ---- backends --------------------------------------------------------------

use_sqlite() {
	BK=sqlite
	NTRIG=2 # an INSERT and an UPDATE OF name trigger
}

use_pg() {
	pg_required
	BK=pg
	NTRIG=1 # one BEFORE INSERT OR UPDATE OF name trigger
	PGURL=$(pg_url_for_test)
	export DATABASE_URL=$PGURL
}

# dbq SQL: one query on the test's database; columns joined by '|'.
dbq() {
	case $BK in
	sqlite) sqlite3 -cmd '.timeout 20000' "$DB" "$1" ;;
	pg) pg_psql -d "$PGURL" -c "$1" ;;
	esac
}

has_column() { # TABLE COLUMN -> 1 or 0
	case $BK in
	sqlite) dbq "SELECT count(*) FROM pragma_table_info('$1') WHERE name = '$2'" ;;
	pg) dbq "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '$1' AND column_name = '$2'" ;;
	esac
}

has_table() { # TABLE -> 1 or 0
	case $BK in
	sqlite) dbq "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '$1'" ;;
	pg) dbq "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = '$1'" ;;
	esac
}

n_triggers() { # on images
	case $BK in
	sqlite) dbq "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'images'" ;;
	pg) dbq "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'images'::regclass AND NOT tgisinternal" ;;
	esac
}

# load_rows N: rows 1..N as the old release wrote them (name = 'n' || size).
load_rows() {
	case $BK in
	sqlite) dbq "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $1) INSERT INTO images (id, name, size) SELECT i, 'n' || i, i FROM c" ;;
	pg) dbq "INSERT INTO images (id, name, size) SELECT i, 'n' || i, i FROM generate_series(1, $1) i; SELECT setval('images_id_seq', $1)" >/dev/null ;;
	esac
}

# old_inserts FROM COUNT: rows written by the old release (no title).
old_inserts() {
	case $BK in
	sqlite) dbq "WITH RECURSIVE c(i) AS (SELECT $1 UNION ALL SELECT i + 1 FROM c WHERE i < $1 + $2 - 1) INSERT INTO images (name, size) SELECT 'n' || i, i FROM c" ;;
	pg) dbq "INSERT INTO images (name, size) SELECT 'n' || i, i FROM generate_series($1, $1 + $2 - 1) i" ;;
	esac
}

phase_row() { # state|migrate_done|batches|rows_done of revision $1, or nothing
	dbq "SELECT phase || '|' || migrate_done || '|' || batches || '|' || rows_done FROM retort_phase WHERE revision = '$1'"
}

version() {
	dbq "SELECT version_num FROM retort_version ORDER BY 1"
}

ops_of() { # the history operations of revision $1, oldest first, space-separated
	dbq "SELECT operation FROM retort_history WHERE revision = '$1' ORDER BY id" | xargs
}

# Rows whose title is filled but wrong (must always be 0).
bad_titles() {
	dbq "SELECT count(*) FROM images WHERE title IS NOT NULL AND title <> 'n' || size"
}

# What contract/downgrade refusals must leave alone.
snapshot() {
	printf 'version=%s phase=%s name=%s title=%s trig=%s hist=%s filled=%s\n' \
		"$(version | xargs)" "$(phase_row "$B")" "$(has_column images name)" \
		"$(has_column images title)" "$(n_triggers)" \
		"$(dbq 'SELECT count(*) FROM retort_history')" \
		"$(dbq 'SELECT count(*) FROM images WHERE title IS NOT NULL')"
}

# The "Running <op> ..." lines of $stderr, logger name stripped.
op_lines() {
	printf '%s\n' "$stderr" | sed -n 's/^INFO  \[[^]]*\] \(Running \(upgrade\|downgrade\|expand\|migrate\|contract\) .*\)$/\1/p'
}

# ---- revision files ----------------------------------------------------------

write_base() {
	local idcol="id INTEGER PRIMARY KEY"
	[ "$BK" = pg ] && idcol="id BIGSERIAL PRIMARY KEY"
	write_rev "$A" "" "Images table." \
		"CREATE TABLE images ($idcol, name TEXT NOT NULL, size BIGINT NOT NULL);" \
		"DROP TABLE images;"
}

# write_phased [DOWN]: the phased revision B (parent DOWN, default A).
write_phased() {
	local down=${1-$A} trig untrig
	if [ "$BK" = sqlite ]; then
		trig='CREATE TRIGGER images_title_ins AFTER INSERT ON images
  FOR EACH ROW WHEN NEW.title IS NULL
BEGIN
  UPDATE images SET title = NEW.name WHERE id = NEW.id;
END;
CREATE TRIGGER images_title_upd AFTER UPDATE OF name ON images
  FOR EACH ROW
BEGIN
  UPDATE images SET title = NEW.name WHERE id = NEW.id;
END;'
		untrig='DROP TRIGGER images_title_upd;
DROP TRIGGER images_title_ins;'
	else
		trig='CREATE FUNCTION images_title_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- the old release sets only name: keep title in step with it
  IF TG_OP = '"'INSERT'"' AND NEW.title IS NULL THEN
    NEW.title := NEW.name;
  ELSIF TG_OP = '"'UPDATE'"' AND NEW.name IS DISTINCT FROM OLD.name THEN
    NEW.title := NEW.name;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER images_title_fill BEFORE INSERT OR UPDATE OF name ON images
  FOR EACH ROW EXECUTE FUNCTION images_title_fill();'
		untrig='DROP TRIGGER images_title_fill ON images;
DROP FUNCTION images_title_fill();'
	fi
	REV_FILE="$VERSIONS/${B}_title.sql"
	cat >"$REV_FILE" <<EOF
-- revision: $B
-- down_revision: $down
-- message: Title replaces name.
-- create_date: 2024-01-02 03:04:05
-- branch_labels:
-- depends_on:

-- +expand
ALTER TABLE images ADD COLUMN title TEXT;
CREATE TABLE image_audit (note TEXT NOT NULL);
CREATE INDEX images_title_todo ON images (id) WHERE title IS NULL;
$trig

-- +migrate
-- progress: SELECT count(*) FROM images WHERE title IS NULL
INSERT INTO image_audit (note) VALUES ('title backfill');
UPDATE images SET title = name
 WHERE id IN (SELECT id FROM images WHERE title IS NULL ORDER BY id LIMIT :batch_size);

-- +contract
$untrig
DROP INDEX images_title_todo;
ALTER TABLE images DROP COLUMN name;

-- +downgrade
ALTER TABLE images ADD COLUMN name TEXT;
UPDATE images SET name = title;
ALTER TABLE images DROP COLUMN title;
DROP TABLE image_audit;
EOF
}

# A plain revision C after B.
write_plain() {
	write_rev "$C" "$B" "Plain table."
}

# ---- background work -----------------------------------------------------------

# The old release, writing until $STOP exists: one old-style row every
# 50 ms, sizes from 3000001 on. Sets WRITER_PID.
start_old_writer() {
	rm -f "$STOP"
	(
		k=3000001
		while [ ! -e "$STOP" ]; do
			old_inserts "$k" 1 >/dev/null 2>&1 && k=$((k + 1))
			sleep 0.05
		done
	) 3>&- &
	WRITER_PID=$!
	BG_PIDS+=("$WRITER_PID")
}

stop_old_writer() {
	touch "$STOP"
	wait "$WRITER_PID" 2>/dev/null || true
}

# PostgreSQL: wait until no other session is connected to the test's
# database (the backend of a killed retort finishes or rolls back first).
pg_wait_idle() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(dbq "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")" = 0 ] && return 0
		sleep 0.1
	done
	fail "sessions still connected to the test database after 10 s"
}

# ---- the Glance-style cycle ------------------------------------------------------

# glance_cycle N RESUME_BATCH: the whole scenario of issue 8's Tests section.
glance_cycle() {
	local n=$1 resume_bs=$2 mpid rc s r prev t0 el filled left w r1 b1 st md
	write_base
	write_phased

	# sync to the base release and load the old release's rows
	run --separate-stderr retort sync "$A"
	assert_success
	assert_equal "$(version)" "$A"
	load_rows "$n"

	# expand: additive only; the version table stays at the base
	run --separate-stderr retort expand
	assert_success
	assert_equal "$(op_lines)" "Running expand $A -> $B, Title replaces name."
	assert_equal "$(version)" "$A"
	assert_equal "$(phase_row "$B")" "expanded|0|0|0"
	assert_equal "$(has_column images title)$(has_column images name)$(n_triggers)" "11$NTRIG"
	assert_equal "$(ops_of "$B")" "expand"
	run --separate-stderr retort current
	assert_success
	assert_output "expand: $B, contract: $A"

	# the old release keeps writing: new rows, and renames of old ones
	old_inserts 2000001 100
	dbq "UPDATE images SET size = size + 1000000, name = 'n' || (size + 1000000) WHERE id <= 50"
	assert_equal "$(dbq 'SELECT count(*) FROM images WHERE title IS NOT NULL')" 150
	assert_equal "$(bad_titles)" 0

	# contract before migrate: refused, naming the revision, nothing changed
	local before
	before=$(snapshot)
	run --separate-stderr retort contract
	assert_failure 1
	assert_stderr --partial "$B"
	assert_stderr --partial "not finished migrating"
	assert_equal "$(snapshot)" "$before"
	assert_equal "$(has_table image_audit)" 1

	# migrate in small batches while the old release writes; kill -9 midway
	start_old_writer
	"$RETORT_BIN" migrate --batch-size 5 >"$BATS_TEST_TMPDIR/m1.out" 2>"$BATS_TEST_TMPDIR/m1.err" 3>&- &
	mpid=$!
	BG_PIDS+=("$mpid")
	t0=$(date +%s%N)
	prev=0
	while :; do
		s=$(phase_row "$B")
		r=$(cut -d'|' -f4 <<<"$s")
		[ "${r:-0}" -ge "$prev" ] || fail "rows_done went back from $prev to $r (first run)"
		prev=${r:-0}
		el=$((($(date +%s%N) - t0) / 1000000))
		[ "$prev" -gt 0 ] && [ "$el" -ge 1000 ] && break
		kill -0 "$mpid" 2>/dev/null || break
		[ "$el" -lt 30000 ] || break
		sleep 0.05
	done
	kill -0 "$mpid" 2>/dev/null ||
		fail "migrate ended before the kill (after $el ms, rows_done $prev): $(cat "$BATS_TEST_TMPDIR/m1.err")"
	kill -KILL "$mpid"
	rc=0
	wait "$mpid" || rc=$?
	assert_equal "$rc" 137
	stop_old_writer
	[ "$BK" = pg ] && pg_wait_idle

	# retort_phase shows the committed batches, exactly what is in the table
	s=$(phase_row "$B")
	IFS='|' read -r st md b1 r1 <<<"$s"
	assert_equal "$st|$md" "expanded|1" # the audit statement done, the batches under way
	[ "$b1" -ge 1 ] && [ "$r1" -ge 1 ] || fail "no progress recorded: $s"
	assert_equal "$r1" $((5 * b1))
	w=$(($(dbq 'SELECT count(*) FROM images') - n - 100))
	[ "$w" -ge 1 ] || fail "the old release could not write during migrate"
	filled=$(dbq 'SELECT count(*) FROM images WHERE title IS NOT NULL')
	assert_equal "$filled" $((r1 + 150 + w))
	left=$(dbq 'SELECT count(*) FROM images WHERE title IS NULL')
	assert_equal "$left" $((n - 50 - r1))
	[ "$left" -gt 0 ] || fail "nothing left to migrate: the kill came too late"
	assert_equal "$(bad_titles)" 0
	assert_equal "$(dbq 'SELECT count(*) FROM image_audit')" 1
	assert_equal "$(ops_of "$B")" "expand"
	assert_equal "$(version)" "$A"

	# migrate again: resumes; rows done never go back; no row lost
	"$RETORT_BIN" migrate --batch-size "$resume_bs" >"$BATS_TEST_TMPDIR/m2.out" 2>"$BATS_TEST_TMPDIR/m2.err" 3>&- &
	mpid=$!
	BG_PIDS+=("$mpid")
	# (migrate_done, rows_done) only grows: rows_done counts the rows of the
	# statement under way, and starts again at 0 when the next one is due
	prev=$((1000000000 + r1))
	while kill -0 "$mpid" 2>/dev/null; do
		s=$(phase_row "$B")
		case $s in
		expanded\|*)
			IFS='|' read -r st md _ r <<<"$s"
			[ $((md * 1000000000 + r)) -ge "$prev" ] ||
				fail "progress went back from $prev to $md|$r on resume"
			prev=$((md * 1000000000 + r))
			;;
		esac
		sleep 0.05
	done
	rc=0
	wait "$mpid" || rc=$?
	[ "$rc" = 0 ] || fail "resumed migrate exited $rc: $(cat "$BATS_TEST_TMPDIR/m2.err")"
	grep -q "Resuming migrate of $B at statement 2 of 2" "$BATS_TEST_TMPDIR/m2.err" ||
		fail "no resume message: $(cat "$BATS_TEST_TMPDIR/m2.err")"
	assert_equal "$(cut -d'|' -f1,2 <<<"$(phase_row "$B")")" "migrated|2"
	assert_equal "$(dbq 'SELECT count(*) FROM images WHERE title IS NULL')" 0
	assert_equal "$(bad_titles)" 0
	assert_equal "$(dbq 'SELECT count(*) FROM images')" $((n + 100 + w))
	assert_equal "$(dbq "SELECT count(*) FROM images WHERE id BETWEEN 1 AND $n")" "$n"
	assert_equal "$(dbq 'SELECT count(*) FROM image_audit')" 1
	assert_equal "$(ops_of "$B")" "expand migrate"
	assert_equal "$(version)" "$A"
	run --separate-stderr retort current
	assert_output "expand: $B, contract: $A"

	# migrate after it finished: a no-op
	run --separate-stderr retort migrate
	assert_success
	assert_stderr --partial "Nothing to migrate."
	assert_equal "$(dbq 'SELECT count(*) FROM image_audit')" 1
	assert_equal "$(ops_of "$B")" "expand migrate"

	# contract: the old column and the trigger go; every row is there
	run --separate-stderr retort contract
	assert_success
	assert_equal "$(op_lines)" "Running contract $A -> $B, Title replaces name."
	assert_equal "$(has_column images name)$(has_column images title)$(n_triggers)" "010"
	assert_equal "$(dbq 'SELECT count(*) FROM images')" $((n + 100 + w))
	assert_equal "$(dbq "SELECT count(*) FROM images WHERE title IS NULL OR title <> 'n' || size")" 0
	assert_equal "$(version)" "$B"
	assert_equal "$(dbq 'SELECT count(*) FROM retort_phase')" 0
	assert_equal "$(ops_of "$B")" "expand migrate contract"
	run --separate-stderr retort current
	assert_success
	assert_output "$B (head)"
	run --separate-stderr retort migrate
	assert_success
	assert_stderr --partial "Nothing to migrate."
	# the new release writes title only
	dbq "INSERT INTO images (title, size) VALUES ('n9', 9)"
}

@test "sqlite: Glance-style cycle: expand, old writes, contract refused, migrate killed and resumed, contract" {
	use_sqlite
	glance_cycle 60000 500
}

@test "pg: Glance-style cycle: expand, old writes, contract refused, migrate killed and resumed, contract" {
	use_pg
	glance_cycle 50000 500
}

# ---- composite version -------------------------------------------------------------

# check_composite EXPAND CONTRACT: $output is JSON naming both (contract
# may be a string or a list of the contract-side revisions).
check_composite() {
	assert_json
	printf '%s' "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
e, c = sys.argv[1], sys.argv[2]
assert d.get("expand") == e, "expand: %r" % (d.get("expand"),)
assert d.get("contract") in (c, [c]), "contract: %r" % (d.get("contract"),)
' "$1" "$2" || fail "composite JSON wrong: $output"
}

composite_version() {
	write_base
	write_phased
	run --separate-stderr retort upgrade "$A"
	assert_success
	load_rows 10
	run --separate-stderr retort expand
	assert_success
	for cmd in current version; do
		run --separate-stderr retort "$cmd"
		assert_success
		assert_output "expand: $B, contract: $A"
		run --separate-stderr retort --format json "$cmd"
		assert_success
		check_composite "$B" "$A"
	done
	# still composite once migrated, until contract
	run --separate-stderr retort migrate
	assert_success
	run --separate-stderr retort version
	assert_output "expand: $B, contract: $A"
	run --separate-stderr retort contract
	assert_success
	run --separate-stderr retort current
	assert_output "$B (head)"
	run --separate-stderr retort --format json current
	assert_json
	printf '%s' "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert not d.get("expand") and not d.get("contract"), d
assert [r["revision"] for r in d["current"]] == [sys.argv[1]], d["current"]
' "$B" || fail "JSON after the cycle: $output"
}

@test "sqlite: current and version print the composite version during a cycle, text and JSON" {
	use_sqlite
	composite_version
}

@test "pg: current and version print the composite version during a cycle, text and JSON" {
	use_pg
	composite_version
}

# ---- downgrade during a cycle ----------------------------------------------------------

downgrade_refused() {
	write_base
	write_phased
	run --separate-stderr retort upgrade "$A"
	assert_success
	load_rows 20
	run --separate-stderr retort expand
	assert_success
	local before
	before=$(snapshot)
	for t in base -1 "$A"; do
		run --separate-stderr retort downgrade "$t"
		assert_failure 1
		assert_stderr --partial "cycle"
		assert_equal "$(snapshot)" "$before"
	done
	run --separate-stderr retort migrate
	assert_success
	before=$(snapshot)
	run --separate-stderr retort downgrade base
	assert_failure 1
	assert_equal "$(snapshot)" "$before"
	assert_equal "$(has_table images)" 1
	# once contracted the cycle is closed: B's +downgrade runs
	run --separate-stderr retort contract
	assert_success
	run --separate-stderr retort downgrade "$A"
	assert_success
	assert_equal "$(op_lines)" "Running downgrade $B -> $A, Title replaces name."
	assert_equal "$(version)" "$A"
	assert_equal "$(has_column images name)$(has_column images title)" "10"
	assert_equal "$(dbq "SELECT count(*) FROM images WHERE name = 'n' || size")" 20
}

@test "sqlite: downgrade is refused (exit 1) while a cycle is open, nothing changed" {
	use_sqlite
	downgrade_refused
}

@test "pg: downgrade is refused (exit 1) while a cycle is open, nothing changed" {
	use_pg
	downgrade_refused
}

# ---- upgrade over phased revisions ---------------------------------------------------------

upgrade_from_scratch() {
	write_base
	write_phased
	run --separate-stderr retort upgrade
	assert_success
	assert_equal "$(op_lines)" "Running upgrade  -> $A, Images table.
Running expand $A -> $B, Title replaces name.
Running migrate $B, Title replaces name.
Running contract $A -> $B, Title replaces name."
	assert_equal "$(version)" "$B"
	assert_equal "$(dbq 'SELECT count(*) FROM retort_phase')" 0
	assert_equal "$(has_column images name)$(has_column images title)$(n_triggers)" "010"
	assert_equal "$(ops_of "$A")" "upgrade"
	assert_equal "$(ops_of "$B")" "expand migrate contract"
	assert_equal "$(dbq 'SELECT count(*) FROM image_audit')" 1
	run --separate-stderr retort current
	assert_output "$B (head)"
}

upgrade_with_rows() {
	write_base
	write_phased
	run --separate-stderr retort upgrade "$A"
	assert_success
	load_rows 3500 # four batches at the default batch size
	run --separate-stderr retort upgrade head
	assert_success
	assert_equal "$(op_lines)" "Running expand $A -> $B, Title replaces name.
Running migrate $B, Title replaces name.
Running contract $A -> $B, Title replaces name."
	assert_equal "$(version)" "$B"
	assert_equal "$(dbq "SELECT count(*) FROM images WHERE title = 'n' || size")" 3500
	assert_equal "$(has_column images name)" 0
}

@test "sqlite: upgrade over a phased revision from scratch runs expand, migrate and contract" {
	use_sqlite
	upgrade_from_scratch
}

@test "pg: upgrade over a phased revision from scratch runs expand, migrate and contract" {
	use_pg
	upgrade_from_scratch
}

@test "sqlite: upgrade over a phased revision with rows moves them all" {
	use_sqlite
	upgrade_with_rows
}

@test "pg: upgrade over a phased revision with rows moves them all" {
	use_pg
	upgrade_with_rows
}

@test "sqlite: upgrade finishes a cycle that expand opened" {
	use_sqlite
	write_base
	write_phased
	run --separate-stderr retort upgrade "$A"
	load_rows 100
	run --separate-stderr retort expand
	assert_success
	run --separate-stderr retort upgrade
	assert_success
	assert_equal "$(op_lines)" "Running migrate $B, Title replaces name.
Running contract $A -> $B, Title replaces name."
	assert_equal "$(version)" "$B"
	assert_equal "$(ops_of "$B")" "expand migrate contract"
	assert_equal "$(dbq "SELECT count(*) FROM images WHERE title = 'n' || size")" 100
}

# ---- a plain revision after an unfinished phased one -------------------------------------------

plain_after_phased() {
	write_base
	write_phased
	write_plain
	run --separate-stderr retort upgrade "$A"
	assert_success
	load_rows 30
	run --separate-stderr retort expand
	assert_success
	assert_equal "$(op_lines)" "Running expand $A -> $B, Title replaces name.
Running upgrade $B -> $C, Plain table."
	assert_equal "$(has_table "t_$C")" 1
	assert_equal "$(version)" "$A" # not past the unfinished phased revision
	run --separate-stderr retort current
	assert_output "expand: $C, contract: $A"
	# contract names the phased revision only
	run --separate-stderr retort contract
	assert_failure 1
	assert_stderr --partial "$B"
	refute_stderr --partial "$C"
	run --separate-stderr retort migrate
	assert_success
	assert_equal "$(version)" "$A"
	run --separate-stderr retort current
	assert_output "expand: $C, contract: $A"
	run --separate-stderr retort contract
	assert_success
	assert_equal "$(version)" "$C" # straight to the newest
	assert_equal "$(dbq 'SELECT count(*) FROM retort_phase')" 0
	run --separate-stderr retort current
	assert_output "$C (head)"
	run --separate-stderr retort expand
	assert_success
	assert_stderr --partial "Nothing to expand."
	run --separate-stderr retort contract
	assert_success
	assert_stderr --partial "Nothing to contract."
	assert_equal "$(version)" "$C"
}

@test "sqlite: a plain revision after an unfinished phased one: the version waits for contract" {
	use_sqlite
	plain_after_phased
}

@test "pg: a plain revision after an unfinished phased one: the version waits for contract" {
	use_pg
	plain_after_phased
}

# ---- options ---------------------------------------------------------------------------

@test "migrate: --batch-size 0 / abc and a bad --batch-pause are usage errors (exit 2), touching nothing" {
	use_sqlite
	write_base
	write_phased
	run --separate-stderr retort upgrade "$A"
	load_rows 10
	run --separate-stderr retort expand
	assert_success
	for bad in "--batch-size 0" "--batch-size abc" "--batch-size -3" "--batch-size 1.5" \
		"--batch-size=" "--batch-pause abc" "--batch-pause -1"; do
		# shellcheck disable=SC2086
		run --separate-stderr retort migrate $bad
		[ "$status" -eq 2 ] || fail "migrate $bad: exit $status, stderr: $stderr"
	done
	assert_equal "$(phase_row "$B")" "expanded|0|0|0"
	assert_equal "$(dbq 'SELECT count(*) FROM images WHERE title IS NULL')" 10
}

@test "migrate --batch-pause MS pauses between batches" {
	use_sqlite
	write_base
	write_phased
	run --separate-stderr retort upgrade "$A"
	load_rows 30
	run --separate-stderr retort expand
	local t0 ms
	t0=$(date +%s%N)
	run --separate-stderr retort migrate --batch-size 10 --batch-pause 250
	ms=$((($(date +%s%N) - t0) / 1000000))
	assert_success
	[ "$ms" -ge 700 ] || fail "three batches with 250 ms pauses took $ms ms"
	assert_equal "$(dbq "SELECT count(*) FROM images WHERE title = 'n' || size")" 30
}

@test "migrate on a terminal shows a live progress line (rows done, remaining)" {
	command -v script >/dev/null || skip "no script(1)"
	use_sqlite
	write_base
	write_phased
	run --separate-stderr retort upgrade "$A"
	load_rows 400
	run --separate-stderr retort expand
	# 40 batches, 100 ms apart: about 4 s, past the 2 s a line waits for
	script -qec "$RETORT_BIN migrate --batch-size 10 --batch-pause 100" "$BATS_TEST_TMPDIR/tty" >/dev/null
	assert_equal "$(dbq "SELECT count(*) FROM images WHERE title = 'n' || size")" 400
	# a line painted over with \r, naming the revision, the rows done and
	# (the part has a -- progress: query) the rows left
	tr '\r' '\n' <"$BATS_TEST_TMPDIR/tty" | grep -v '^INFO' | grep "$B" | grep -i "rows" | grep -Eqi "left|remaining" ||
		fail "no progress line on the terminal: $(cat -v "$BATS_TEST_TMPDIR/tty")"
}

# write_logged BODY: a phased revision B whose one batched statement logs the
# size of every batch it is given (a row per batch in batch_log, at most
# 12, then it changes nothing and the migrate part ends). BODY, if set, is
# a SELECT whose work grows with :batch_size, run inside each batch.
write_logged() {
	local work=${1:-"SELECT 1"}
	write_rev "$A" "" "Log table." "CREATE TABLE batch_log (k INTEGER PRIMARY KEY, n INTEGER NOT NULL);" \
		"DROP TABLE batch_log;"
	cat >"$VERSIONS/${B}_logged.sql" <<EOF
-- revision: $B
-- down_revision: $A
-- message: Logged batches.
-- create_date: 2024-01-02 03:04:05

-- +expand
CREATE TABLE seen (x INTEGER);

-- +migrate
INSERT INTO batch_log (n)
SELECT :batch_size FROM ($work) AS w
 WHERE (SELECT count(*) FROM batch_log) < 12;

-- +contract
DROP TABLE seen;
EOF
	run --separate-stderr retort upgrade "$A"
	assert_success
	run --separate-stderr retort expand
	assert_success
}

batch_sizes() { dbq "SELECT n FROM batch_log ORDER BY k" | xargs; }

# expand_again: back to before B's expand (its log emptied), then expand.
expand_again() {
	dbq "DELETE FROM retort_phase; DELETE FROM batch_log; DELETE FROM retort_version; INSERT INTO retort_version VALUES ('$A'); DROP TABLE seen"
	run --separate-stderr retort expand
	assert_success
}

@test "sqlite: migrate times its batches by default: the first has 1000 rows, each next at most 1.5 times the last" {
	use_sqlite
	write_logged
	run --separate-stderr retort migrate
	assert_success
	local sizes prev="" n max=0
	sizes=$(batch_sizes)
	[ "$(echo "$sizes" | wc -w)" -eq 12 ] || fail "batches: $sizes"
	for n in $sizes; do
		if [ -z "$prev" ]; then
			[ "$n" -eq 1000 ] || fail "the first batch has $n rows, not 1000: $sizes"
		else
			[ "$((n * 2))" -le $((prev * 3)) ] || fail "$n after $prev: more than 1.5 times the last ($sizes)"
		fi
		[ "$n" -gt "$max" ] && max=$n
		prev=$n
	done
	# batches that take far less than 50 ms grow
	[ "$max" -gt 1000 ] || fail "the batches never grew: $sizes"
	assert_equal "$(phase_row "$B" | cut -d'|' -f1)" "migrated"
}

@test "sqlite: --batch-size alone and --batch-time 0 give fixed batches; --batch-size with --batch-time starts there" {
	use_sqlite
	write_logged
	run --separate-stderr retort migrate --batch-size 7
	assert_success
	assert_equal "$(batch_sizes)" "7 7 7 7 7 7 7 7 7 7 7 7"
	expand_again
	run --separate-stderr retort migrate --batch-time 0
	assert_success
	assert_equal "$(batch_sizes)" "1000 1000 1000 1000 1000 1000 1000 1000 1000 1000 1000 1000"
	expand_again
	run --separate-stderr retort migrate --batch-size 7 --batch-time 200
	assert_success
	assert_equal "$(batch_sizes | cut -d' ' -f1)" 7
	[ "$(batch_sizes | tr ' ' '\n' | sort -n | tail -1)" -gt 7 ] || fail "never grew: $(batch_sizes)"
}

@test "sqlite: a batch that takes far longer than --batch-time makes the next one smaller at once, never below --batch-size" {
	use_sqlite
	# five rows logged already: seven batches log theirs. The first four
	# do nothing; from the fifth on a batch counts to :batch_size x 5000
	# (hundreds of thousands of steps: far more than 20 ms anywhere).
	write_logged "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < CASE WHEN (SELECT count(*) FROM batch_log) >= 9 THEN :batch_size * 5000 ELSE 1 END) SELECT count(*) FROM c"
	dbq "INSERT INTO batch_log (n) VALUES (0), (0), (0), (0), (0)"
	run --separate-stderr retort migrate --batch-size 100 --batch-time 20
	assert_success
	local s
	s=($(dbq "SELECT n FROM batch_log WHERE n > 0 ORDER BY k" | xargs))
	[ "${#s[@]}" -eq 7 ] || fail "batches: ${s[*]}"
	assert_equal "${s[0]}" 100
	# fast batches grew it; the first slow one (the fifth) shrinks the sixth
	[ "${s[4]}" -gt 100 ] || fail "the fast batches did not grow: ${s[*]}"
	[ "${s[5]}" -lt "${s[4]}" ] || fail "after a slow batch of ${s[4]} rows the next had ${s[5]}: ${s[*]}"
	# and no batch is smaller than --batch-size
	for n in "${s[@]}"; do [ "$n" -ge 100 ] || fail "a batch of $n rows: ${s[*]}"; done
}

@test "migrate: --batch-time takes milliseconds from 0 to 3600000; anything else is a usage error (exit 2)" {
	use_sqlite
	write_logged
	for bad in "--batch-time -1" "--batch-time abc" "--batch-time 3600001" "--batch-time 1.5" "--batch-time="; do
		# shellcheck disable=SC2086
		run --separate-stderr retort migrate $bad
		[ "$status" -eq 2 ] || fail "migrate $bad: exit $status, stderr: $stderr"
		assert_stderr --partial "batch-time"
	done
	assert_equal "$(dbq 'SELECT count(*) FROM batch_log')" 0
}

# ---- stopping, failing, racing -----------------------------------------------------------

@test "sqlite: SIGTERM stops migrate between batches; the state is exact and a rerun finishes" {
	use_sqlite
	write_base
	write_phased
	run --separate-stderr retort upgrade "$A"
	load_rows 3000
	run --separate-stderr retort expand
	"$RETORT_BIN" migrate --batch-size 10 --batch-pause 10 >"$BATS_TEST_TMPDIR/t.out" 2>"$BATS_TEST_TMPDIR/t.err" 3>&- &
	local pid=$! rc=0 s i
	BG_PIDS+=("$pid")
	for ((i = 0; i < 200; i++)); do
		s=$(phase_row "$B")
		[ "$(cut -d'|' -f4 <<<"$s")" -ge 100 ] 2>/dev/null && break
		sleep 0.05
	done
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -ne 0 ] || fail "migrate exited 0 after SIGTERM"
	grep -q 'run `retort migrate` again' "$BATS_TEST_TMPDIR/t.err" || fail "$(cat "$BATS_TEST_TMPDIR/t.err")"
	IFS='|' read -r st md b r <<<"$(phase_row "$B")"
	assert_equal "$st|$md" "expanded|1"
	assert_equal "$(dbq 'SELECT count(*) FROM images WHERE title IS NOT NULL')" "$r"
	[ "$r" -lt 3000 ] || fail "migrate finished before the signal"
	run --separate-stderr retort migrate
	assert_success
	assert_stderr --partial "Resuming migrate of $B at statement 2 of 2"
	assert_equal "$(dbq "SELECT count(*) FROM images WHERE title = 'n' || size")" 3000
	assert_equal "$(dbq 'SELECT count(*) FROM image_audit')" 1
}

@test "sqlite: a batch that fails stops migrate (exit 1, file:line), keeps the batches before it, and resumes once fixed" {
	use_sqlite
	write_base
	write_phased
	run --separate-stderr retort upgrade "$A"
	load_rows 500
	run --separate-stderr retort expand
	# a fault the data set off: row 251 cannot be written
	dbq "CREATE TRIGGER boom BEFORE UPDATE OF title ON images WHEN NEW.id = 251 BEGIN SELECT RAISE(ABORT, 'row 251 is broken'); END"
	run --separate-stderr retort migrate --batch-size 50
	assert_failure 1
	assert_stderr --partial "${B}_title.sql:"
	assert_stderr --partial "row 251 is broken"
	assert_equal "$(phase_row "$B")" "expanded|1|5|250"
	assert_equal "$(dbq 'SELECT count(*) FROM images WHERE title IS NOT NULL')" 250
	assert_equal "$(ops_of "$B")" "expand"
	dbq "DROP TRIGGER boom"
	run --separate-stderr retort migrate --batch-size 50
	assert_success
	assert_equal "$(dbq "SELECT count(*) FROM images WHERE title = 'n' || size")" 500
	assert_equal "$(dbq 'SELECT count(*) FROM image_audit')" 1
	assert_equal "$(ops_of "$B")" "expand migrate"
}

@test "sqlite: two migrates at once: both succeed, every statement runs once" {
	use_sqlite
	write_base
	write_phased
	run --separate-stderr retort upgrade "$A"
	load_rows 2000
	run --separate-stderr retort expand
	bg_start "$BATS_TEST_TMPDIR/m1" "$RETORT_BIN" migrate --batch-size 20 --batch-pause 5
	local p1=$BG_PID
	bg_start "$BATS_TEST_TMPDIR/m2" "$RETORT_BIN" migrate --batch-size 20 --batch-pause 5
	local p2=$BG_PID
	bg_wait "$p1" "$BATS_TEST_TMPDIR/m1"
	[ "$BG_RC" = 0 ] || fail "first migrate: exit $BG_RC: $(cat "$BATS_TEST_TMPDIR/m1.err")"
	bg_wait "$p2" "$BATS_TEST_TMPDIR/m2"
	[ "$BG_RC" = 0 ] || fail "second migrate: exit $BG_RC: $(cat "$BATS_TEST_TMPDIR/m2.err")"
	assert_equal "$(dbq "SELECT count(*) FROM images WHERE title = 'n' || size")" 2000
	assert_equal "$(dbq 'SELECT count(*) FROM image_audit')" 1
	assert_equal "$(ops_of "$B")" "expand migrate"
}

@test "sqlite: :batch_size inside a string literal is not a placeholder" {
	use_sqlite
	write_rev "$A" "" "Notes." "CREATE TABLE notes (note TEXT);" "DROP TABLE notes;"
	cat >"$VERSIONS/${B}_note.sql" <<EOF
-- revision: $B
-- down_revision: $A
-- message: A note.
-- create_date: 2024-01-02 03:04:05

-- +expand
ALTER TABLE notes ADD COLUMN kind TEXT;

-- +migrate
INSERT INTO notes (note, kind) VALUES ('copied in :batch_size chunks', 'doc');

-- +contract
EOF
	run --separate-stderr retort upgrade "$A"
	run --separate-stderr retort expand
	assert_success
	run --separate-stderr timeout 5 "$RETORT_BIN" migrate
	assert_success
	assert_equal "$(dbq "SELECT count(*) || '|' || min(note) FROM notes")" "1|copied in :batch_size chunks"
}

@test "sqlite: stamp during a cycle does not leave a cycle that nothing can close" {
	use_sqlite
	write_base
	write_phased
	run --separate-stderr retort upgrade "$A"
	run --separate-stderr retort expand
	assert_success
	run --separate-stderr retort stamp head
	if [ "$status" -eq 0 ]; then
		# stamped: the database is said to be at head, so no cycle is open
		assert_equal "$(version)" "$B"
		run --separate-stderr retort current
		assert_output "$B (head)"
		run --separate-stderr retort downgrade "$A"
		refute_stderr --partial "cycle is open"
	else
		# or refused, naming the cycle, with nothing changed
		assert_failure 1
		assert_stderr --partial "cycle"
		assert_equal "$(version)" "$A"
		assert_equal "$(phase_row "$B")" "expanded|0|0|0"
	fi
}

# expand_refuses_drop: a DROP placed in an expand part is refused by the
# lint that expand runs first (exit 2, naming the rule and file:line),
# nothing is touched; allowed explicitly, it runs; upgrade does not lint.
expand_refuses_drop() {
	write_base
	run --separate-stderr retort upgrade "$A"
	assert_success
	write_rev_phased_drop() {
		local allow=$1
		cat >"$VERSIONS/${C}_drop_size.sql" <<-SQL
			-- revision: $C
			-- down_revision: $A
			-- message: Drop size.

			-- +expand
			ALTER TABLE images DROP COLUMN size;$allow

			-- +contract

			-- +downgrade
			ALTER TABLE images ADD COLUMN size BIGINT NOT NULL DEFAULT 0;
		SQL
	}
	write_rev_phased_drop ""
	run --separate-stderr retort expand
	assert_failure 2
	assert_stderr --partial "error[drop-column]"
	assert_stderr --partial "${C}_drop_size.sql:6"
	assert_stderr --partial "expand refused"
	assert_equal "$(version)" "$A"
	assert_equal "$(has_column images size)" 1
	assert_equal "$(phase_row "$C")" ""
	write_rev_phased_drop " -- lint: allow drop-column"
	run --separate-stderr retort expand
	assert_success
	assert_equal "$(has_column images size)" 0
}

@test "sqlite: expand refuses a DROP in an expand part (lint), touching nothing; an allow runs it" {
	C=cccc00000003
	use_sqlite
	expand_refuses_drop
}

@test "pg: expand refuses a DROP in an expand part (lint), touching nothing; an allow runs it" {
	C=cccc00000003
	use_pg
	expand_refuses_drop
}

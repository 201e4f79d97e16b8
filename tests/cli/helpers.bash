# helpers.bash: what every tests/cli/*.bats file shares.
#
# Each test gets a fresh project in its own temp directory ($PROJ, created
# with `retort init`, current directory), and the environment variables
# that retort reads are cleared so a developer's shell cannot leak into a
# test. CTest sets RETORT_BIN (the built binary) and RETORT_SRC (the source
# tree); run by hand, the defaults point into this checkout's build/.

bats_require_minimum_version 1.5.0
load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

: "${RETORT_SRC:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
: "${RETORT_BIN:=$RETORT_SRC/build/retort}"
export RETORT_BIN RETORT_SRC

# Fresh project per test; call from setup().
common_setup() {
	unset DATABASE_URL RETORT_CONFIG NO_COLOR PGPASSWORD PGHOST PGPORT PGUSER PGDATABASE
	[ -x "$RETORT_BIN" ] || fail "RETORT_BIN=$RETORT_BIN is not an executable (build first)"
	PROJ="$BATS_TEST_TMPDIR/proj"
	mkdir -p "$PROJ"
	cd "$PROJ" || return 1
	"$RETORT_BIN" init >/dev/null 2>&1 || fail "retort init failed in $PROJ"
	VERSIONS="$PROJ/migrations/versions"
	DB="$PROJ/app.db" # the url that `init` writes: sqlite:///app.db
}

# `run retort ARGS` runs the binary under test.
retort() {
	"$RETORT_BIN" "$@"
}

# Alembic's slug of a message, enough for test file names.
slug() {
	printf '%s' "$1" | tr -c 'A-Za-z0-9_' ' ' | tr 'A-Z' 'a-z' | xargs | tr ' ' '_'
}

# write_rev ID DOWN MSG [UPGRADE_SQL [DOWNGRADE_SQL]]
#   DOWN: "" for a base, "a, b" for a merge.
#   UPGRADE_SQL defaults to "CREATE TABLE t_ID (x INTEGER);" and
#   DOWNGRADE_SQL to "DROP TABLE t_ID;", so the tables in the database
#   show which revisions are applied. DOWNGRADE_SQL "-" omits the
#   "-- +downgrade" section.
#   Environment: LABELS (branch_labels), DEPENDS (depends_on),
#   VERSIONS_DIR (default $VERSIONS).
# Sets REV_FILE to the path written.
write_rev() {
	local id=$1 down=$2 msg=$3
	local up=${4-"CREATE TABLE t_$id (x INTEGER);"}
	local dn=${5-"DROP TABLE t_$id;"}
	local dir=${VERSIONS_DIR:-$VERSIONS}
	local s
	s=$(slug "$msg")
	REV_FILE="$dir/${id}${s:+_$s}.sql"
	{
		printf -- '-- revision: %s\n' "$id"
		printf -- '-- down_revision: %s\n' "$down"
		printf -- '-- message: %s\n' "$msg"
		printf -- '-- create_date: 2024-01-02 03:04:05\n'
		printf -- '-- branch_labels: %s\n' "${LABELS-}"
		printf -- '-- depends_on: %s\n' "${DEPENDS-}"
		printf '\n-- +upgrade\n%s\n' "$up"
		if [ "$dn" != "-" ]; then
			printf '\n-- +downgrade\n%s\n' "$dn"
		fi
	} >"$REV_FILE"
}

# A linear chain of five revisions with distinct first characters (so
# every 4-character prefix is unique):
#   <base> -> a1b2c3d4e5f6 -> b2c3d4e5f6a1 -> c3d4e5f6a1b2 -> d4e5f6a1b2c3 -> e5f6a1b2c3d4
CHAIN=(a1b2c3d4e5f6 b2c3d4e5f6a1 c3d4e5f6a1b2 d4e5f6a1b2c3 e5f6a1b2c3d4)
CHAIN_MSG=("Rev one." "Rev two." "Rev three." "Rev four." "Rev five.")
make_chain() {
	local prev="" i
	for i in "${!CHAIN[@]}"; do
		write_rev "${CHAIN[$i]}" "$prev" "${CHAIN_MSG[$i]}"
		prev=${CHAIN[$i]}
	done
}

# The rows of the version table, sorted, one a line.
# db_versions [DBFILE [TABLE]]
db_versions() {
	sqlite3 "${1:-$DB}" "SELECT version_num FROM ${2:-retort_version} ORDER BY 1"
}

# The user tables of a SQLite database (not retort's), sorted, one a line.
db_tables() {
	sqlite3 "${1:-$DB}" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'retort%' AND name NOT LIKE 'sqlite%' AND name <> 'alembic_version' ORDER BY 1"
}

# Checksum of a file, or "absent".
file_sum() {
	if [ -e "$1" ]; then sha256sum "$1" | cut -d' ' -f1; else echo absent; fi
}

# Assertions on $stderr (from `run --separate-stderr`), with bats-assert's
# options (--partial, --regexp, ...).
assert_stderr() {
	local output=$stderr
	assert_output "$@"
}
refute_stderr() {
	local output=$stderr
	refute_output "$@"
}
assert_stderr_line() {
	local output=$stderr
	local -a lines=("${stderr_lines[@]}")
	assert_line "$@"
}

# The "Running upgrade/downgrade ..." lines of $stderr, logger name
# stripped, one a line.
running_lines() {
	printf '%s\n' "$stderr" | sed -n 's/^INFO  \[[^]]*\] \(Running \(upgrade\|downgrade\) .*\)$/\1/p'
}

# Checks that $output (or the argument) is one JSON document.
assert_json() {
	local text=${1-$output}
	printf '%s' "$text" | python3 -c 'import json,sys; json.load(sys.stdin)' ||
		fail "not valid JSON: $text"
}

# ---- PostgreSQL ----------------------------------------------------------

pg_required() {
	[ -n "${RETORT_TEST_PG_URL-}" ] ||
		skip "RETORT_TEST_PG_URL is unset (run under tests/support/with-postgres.sh)"
}

# psql against the server's maintenance database, or against URL with -d.
pg_psql() {
	psql -X -q -v ON_ERROR_STOP=1 -At "$@"
}

# Creates a fresh database t_<random> on the throwaway server and prints
# its URL. Skips the test when there is no server.
pg_url_for_test() {
	pg_required
	local name
	name="t_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
	pg_psql -d "$RETORT_TEST_PG_URL" -c "CREATE DATABASE $name" >/dev/null ||
		fail "cannot create database $name"
	printf '%s\n' "${RETORT_TEST_PG_URL%/*}/$name"
}

#!/bin/sh
# retort lint against squawk (npm package squawk-cli, a PostgreSQL
# migration linter with a native binary), on the same statements: each
# case below is written twice, as a retort revision (a plain +upgrade,
# which counts as an expand part: everything destructive is in scope) and
# as the plain .sql file squawk reads (with --assume-in-transaction when
# the revision is transactional, as retort runs it). For every hazard
# squawk reports that matters on a live database, retort must report one
# of the rules the table below maps it to; squawk's style and robustness
# rules (prefer-*, timeouts: retort's ddl_lock_timeout setting, ...) are
# listed but not counted, and so is ban-drop-not-null (DROP NOT NULL is
# the expand step of the zero-downtime model, not a hazard). Cases where
# retort finds what squawk does not are shown too.
#
# Prints one row per case (PASS / MISS) and a summary; exits 1 when
# retort missed a hazard squawk reported, 0 otherwise, and 0 with SKIP
# when neither $SQUAWK, squawk on PATH nor npm (to install squawk-cli
# under bench/out/) is available.
# Usage: sh bench/lint-vs-squawk.sh [RETORT_BIN]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$(dirname "${1:-build/retort}")" && pwd)/$(basename "${1:-build/retort}")
out=$here/out/lint-vs-squawk
[ -x "$bin" ] || { echo "lint-vs-squawk: $bin is not an executable (build first)" >&2; exit 2; }

# ---- squawk ---------------------------------------------------------------
squawk=${SQUAWK:-}
if [ -z "$squawk" ] && command -v squawk >/dev/null 2>&1; then
	squawk=$(command -v squawk)
fi
if [ -z "$squawk" ] && [ -x "$here/out/squawk-npm/node_modules/.bin/squawk" ]; then
	squawk=$here/out/squawk-npm/node_modules/.bin/squawk
fi
if [ -z "$squawk" ]; then
	if ! command -v npm >/dev/null 2>&1; then
		echo "SKIP lint-vs-squawk: no squawk and no npm to install squawk-cli"
		exit 0
	fi
	mkdir -p "$here/out/squawk-npm"
	if ! npm install --silent --no-audit --no-fund --prefix "$here/out/squawk-npm" squawk-cli \
		>"$here/out/squawk-npm/install.log" 2>&1 ||
		! [ -x "$here/out/squawk-npm/node_modules/.bin/squawk" ]; then
		echo "SKIP lint-vs-squawk: npm install squawk-cli failed (see $here/out/squawk-npm/install.log)"
		exit 0
	fi
	squawk=$here/out/squawk-npm/node_modules/.bin/squawk
fi
"$squawk" --version >/dev/null 2>&1 || { echo "SKIP lint-vs-squawk: $squawk does not run"; exit 0; }

# ---- the cases --------------------------------------------------------------
rm -rf "$out"
mkdir -p "$out/proj/migrations/versions" "$out/squawk"
cat >"$out/proj/retort.ini" <<EOF
[retort]
script_location = migrations
url = postgresql://lint@127.0.0.1:1/never_connected
EOF
n=0
prev=
# case NAME TRANSACTIONAL(1|0) < statements
case_() {
	n=$((n + 1))
	id=$(printf 'c%011d' "$n")
	f=$(printf '%04d_%s' "$n" "$1")
	body=$(cat)
	{
		printf -- '-- revision: %s\n-- down_revision: %s\n-- message: %s\n' "$id" "$prev" "$1"
		[ "$2" = 1 ] || printf -- '-- transactional: false\n'
		printf '\n-- +upgrade\n%s\n' "$body"
	} >"$out/proj/migrations/versions/$f.sql"
	printf '%s\n' "$body" >"$out/squawk/$f.sql"
	printf '%s %s %s\n' "$f" "$2" "$1" >>"$out/cases"
	prev=$id
}
: >"$out/cases"

case_ add_volatile_default 1 <<'EOF'
ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();
EOF
case_ add_default_user_function 1 <<'EOF'
ALTER TABLE users ADD COLUMN code text DEFAULT make_code();
EOF
case_ add_generated_stored 1 <<'EOF'
ALTER TABLE users ADD COLUMN total int GENERATED ALWAYS AS (a + b) STORED;
EOF
case_ add_foreign_key 1 <<'EOF'
ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
EOF
case_ add_column_references 1 <<'EOF'
ALTER TABLE orders ADD COLUMN account_id bigint REFERENCES accounts (id);
EOF
case_ set_not_null 1 <<'EOF'
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
EOF
case_ add_required_field 1 <<'EOF'
ALTER TABLE users ADD COLUMN tenant bigint NOT NULL;
EOF
case_ add_serial_primary_key 1 <<'EOF'
ALTER TABLE items ADD COLUMN id serial PRIMARY KEY;
EOF
case_ alter_domain_add_check 1 <<'EOF'
ALTER DOMAIN positive ADD CONSTRAINT positive_check CHECK (VALUE > 0);
EOF
case_ concurrently_in_transaction 1 <<'EOF'
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);
EOF
case_ concurrently_in_begin_block 0 <<'EOF'
BEGIN;
CREATE INDEX CONCURRENTLY users_name_idx2 ON users (name);
COMMIT;
EOF
case_ drop_column 1 <<'EOF'
ALTER TABLE users DROP COLUMN legacy;
EOF
case_ drop_database 0 <<'EOF'
DROP DATABASE old_app;
EOF
case_ drop_table 1 <<'EOF'
DROP TABLE audit_old;
EOF
case_ truncate_cascade 1 <<'EOF'
TRUNCATE users CASCADE;
EOF
case_ change_column_type 1 <<'EOF'
ALTER TABLE users ALTER COLUMN age TYPE bigint;
EOF
case_ widen_varchar 1 <<'EOF'
ALTER TABLE users ALTER COLUMN name TYPE varchar(500);
EOF
case_ check_without_not_valid 1 <<'EOF'
ALTER TABLE users ADD CONSTRAINT users_age_check CHECK (age >= 0);
EOF
case_ unique_constraint 1 <<'EOF'
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
EOF
case_ rename_column 1 <<'EOF'
ALTER TABLE users RENAME COLUMN email TO email_address;
EOF
case_ rename_table 1 <<'EOF'
ALTER TABLE users RENAME TO accounts;
EOF
case_ create_index 1 <<'EOF'
CREATE INDEX users_name_idx ON users (name);
EOF
case_ drop_index 1 <<'EOF'
DROP INDEX users_name_idx;
EOF
case_ reindex 1 <<'EOF'
REINDEX INDEX users_name_idx;
EOF
case_ detach_partition 1 <<'EOF'
ALTER TABLE measurements DETACH PARTITION measurements_2020;
EOF
case_ transaction_nesting 1 <<'EOF'
BEGIN;
ALTER TABLE users ADD COLUMN note text;
COMMIT;
EOF
case_ uncommitted_transaction 0 <<'EOF'
BEGIN;
ALTER TABLE users ADD COLUMN note2 text;
EOF
case_ drop_not_null 1 <<'EOF'
ALTER TABLE users ALTER COLUMN nickname DROP NOT NULL;
EOF
case_ backfill 1 <<'EOF'
UPDATE users SET email = lower(email);
EOF
case_ rename_enum_value 1 <<'EOF'
ALTER TYPE mood RENAME VALUE 'sad' TO 'blue';
EOF
case_ drop_constraint 1 <<'EOF'
ALTER TABLE users DROP CONSTRAINT users_age_check;
EOF
case_ safe_expand 0 <<'EOF'
ALTER TABLE users ADD COLUMN bio text;
ALTER TABLE users ADD COLUMN score int NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN seen_at timestamptz DEFAULT now();
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_bio_idx ON users (bio);
ALTER TABLE users ADD CONSTRAINT users_score_check CHECK (score >= 0) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT users_score_check;
EOF

# ---- run both ---------------------------------------------------------------
(cd "$out/proj" && "$bin" -q --format json lint >"$out/retort.json" 2>"$out/retort.err") || true
while read -r f tx name; do
	flag=
	[ "$tx" = 1 ] && flag=--assume-in-transaction
	# shellcheck disable=SC2086 # $flag is one word or none
	"$squawk" --reporter json $flag "$out/squawk/$f.sql" >"$out/squawk/$f.json" 2>/dev/null || true
done <"$out/cases"

python3 - "$out" "$("$squawk" --version 2>&1 | head -1)" <<'EOF'
import json, os, sys
out, version = sys.argv[1], sys.argv[2]
# squawk rule -> the retort rules that cover it
COVER = {
    "adding-field-with-default": {"volatile-default"},
    "adding-foreign-key-constraint": {"fk-not-valid"},
    "adding-not-nullable-field": {"set-not-null"},
    "adding-required-field": {"add-not-null-without-default"},
    "adding-serial-primary-key-field": {"unique-on-existing"},
    "ban-alter-domain-with-add-constraint": {"check-not-valid"},
    "ban-concurrent-index-creation-in-transaction": {"concurrently-in-transaction"},
    "ban-drop-column": {"drop-column"},
    "ban-drop-database": {"drop-object"},
    "ban-drop-table": {"drop-table"},
    "ban-truncate-cascade": {"truncate"},
    "changing-column-type": {"change-column-type", "type-change-rewrite"},
    # squawk asks NOT VALID of UNIQUE too, which cannot have it: USING INDEX is the way
    "constraint-missing-not-valid": {"check-not-valid", "fk-not-valid", "unique-on-existing"},
    "disallowed-unique-constraint": {"unique-on-existing"},
    "renaming-column": {"rename-column"},
    "renaming-table": {"rename-table"},
    "require-concurrent-index-creation": {"index-not-concurrent"},
    "require-concurrent-index-deletion": {"drop-index-not-concurrent"},
    "require-concurrent-reindex": {"index-not-concurrent"},
    "require-concurrent-partition-detach": {"detach-partition-not-concurrent"},
    "transaction-nesting": {"transaction-control"},
    "ban-uncommitted-transaction": {"transaction-control"},
}
# not hazards of a live database (style, re-runnability, timeouts that
# retort's ddl_lock_timeout sets), or deliberately not one (drop-not-null)
NOT_COUNTED = {
    "prefer-robust-stmts", "prefer-bigint-over-int", "prefer-bigint-over-smallint",
    "prefer-big-int", "prefer-identity", "prefer-text-field", "prefer-timestamptz",
    "ban-char-field", "require-timeout-settings", "require-lock-timeout",
    "require-statement-timeout", "identifier-too-long", "require-enum-value-ordering",
    "require-table-schema", "ban-create-domain-with-constraint", "ban-drop-not-null",
}
retort = {}
try:
    doc = json.load(open(os.path.join(out, "retort.json")))
except Exception as e:
    sys.exit("lint-vs-squawk: retort lint printed no JSON document: %s\n%s"
             % (e, open(os.path.join(out, "retort.err")).read()))
for f in doc["findings"]:
    key = os.path.basename(f["file"])[:-4]
    retort.setdefault(key, set()).add(f["rule"])
miss = review = 0
counted = caught = 0
extra_cases = []
print("squawk: %s; retort: %s" % (version, "lint --format json"))
print("%-32s %-5s %-52s %s" % ("case", "", "squawk (counted)", "retort"))
for line in open(os.path.join(out, "cases")):
    f, tx, name = line.split()
    sq = {x["rule_name"] for x in json.load(open(os.path.join(out, "squawk", f + ".json")))}
    rt = retort.get(f, set())
    verdict = "PASS"
    shown = []
    for r in sorted(sq):
        if r in NOT_COUNTED:
            continue
        if r not in COVER:
            shown.append(r + "?")
            review += 1
            verdict = "REVIEW"
            continue
        counted += 1
        if COVER[r] & rt:
            caught += 1
            shown.append(r)
        else:
            shown.append(r + " (MISSED)")
            miss += 1
            verdict = "MISS"
    if rt and not shown:
        extra_cases.append(name)
    ignored = sorted(sq & NOT_COUNTED)
    print("%-32s %-5s %-52s %s%s" % (name, verdict, ", ".join(shown) or "-",
                                     ", ".join(sorted(rt)) or "-",
                                     ("   [squawk also: %s]" % ", ".join(ignored)) if ignored else ""))
print()
print("squawk hazards that matter on a live database: %d reported, %d caught by retort, %d missed"
      % (counted, caught, miss))
if review:
    print("squawk rules this script does not know (review the mapping): %d" % review)
print("cases only retort flags: %s" % (", ".join(extra_cases) or "none"))
sys.exit(1 if miss else 0)
EOF

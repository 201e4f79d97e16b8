#!/bin/sh
# Generates a benchmark project with N linear revisions, each creating one
# table and one index (2 DDL statements):
#
#   DIR/retort.ini                          script_location = migrations
#   DIR/migrations/versions/<id>_r<N>.sql   retort revisions (SPEC §4)
#   DIR/floor.sql        (--floor)   the same statements as one plain script:
#                                    BEGIN; stmt; stmt; <version row>; COMMIT;
#                                    per revision (for `sqlite3` / `psql -f`)
#   DIR/floor-down.sql   (--floor)   the downgrade head -> base the same way:
#                                    BEGIN; stmt; stmt; <version row>; COMMIT;
#                                    per revision, newest first
#   DIR/alembic/         (--alembic) alembic.ini, migrations/env.py and
#                                    migrations/versions/<id>_r<N>.py doing the same
#   DIR/dbmate/db/migrations/ (--dbmate) <NNNNNN>_r<N>.sql in dbmate's format
#
# Usage: bench/gen.sh DIR N [--floor] [--alembic] [--dbmate] [--all]
#
# Revision ids are 12 lowercase hex digits, deterministic: (N * 0x9E3779B97F4B)
# mod 2^48, an odd multiplier, so distinct for every N and spread over the
# id space like generated ids are. Revision N's parent is revision N-1.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 DIR N [--floor] [--alembic] [--dbmate] [--all]" >&2; exit 2; }
dir=$1 n=$2
shift 2
floor=0 alembic=0 dbmate=0
for a in "$@"; do
  case "$a" in
    --floor) floor=1 ;;
    --alembic) alembic=1 ;;
    --dbmate) dbmate=1 ;;
    --all) floor=1 alembic=1 dbmate=1 ;;
    *) echo "gen.sh: unknown option $a" >&2; exit 2 ;;
  esac
done
case "$n" in ''|*[!0-9]*) echo "gen.sh: N must be a number" >&2; exit 2 ;; esac

rm -rf "$dir"
mkdir -p "$dir/migrations/versions"
printf '[retort]\nscript_location = migrations\n' >"$dir/retort.ini"
if [ "$alembic" = 1 ]; then
  mkdir -p "$dir/alembic/migrations/versions"
  cat >"$dir/alembic/alembic.ini" <<'EOF'
[alembic]
script_location = migrations
sqlalchemy.url = sqlite:///alembic.db
EOF
  # Online mode, one transaction per revision (like retort and the floor).
  # No logging config: alembic prints nothing but the command's result.
  cat >"$dir/alembic/migrations/env.py" <<'EOF'
from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
connectable = engine_from_config(
    config.get_section(config.config_ini_section),
    prefix="sqlalchemy.",
    poolclass=pool.NullPool,
)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=None,
                      transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
EOF
fi
[ "$dbmate" = 1 ] && mkdir -p "$dir/dbmate/db/migrations"

# One awk process writes every file (10,000 revisions in well under a second).
awk -v n="$n" -v dir="$dir" -v floor="$floor" -v alembic="$alembic" -v dbmate="$dbmate" '
function rid(i,   lo, hi) {
  # (i * 0x9E3779B97F4B) mod 2^48 in two 24-bit halves, so that every
  # product stays exact in a double (awk has no 64-bit integers).
  lo = i * 12156747                     # 0xB97F4B
  hi = (i * 10368889 + int(lo / 16777216)) % 16777216   # 0x9E3779
  return sprintf("%06x%06x", hi, lo % 16777216)
}
BEGIN {
  prev = ""
  fl = dir "/floor.sql"
  if (floor)
    print "CREATE TABLE retort_version (\n    version_num VARCHAR(32) NOT NULL, \n    CONSTRAINT retort_version_pkc PRIMARY KEY (version_num)\n);" > fl
  for (i = 1; i <= n; i++) {
    id = rid(i)
    up1 = sprintf("CREATE TABLE t_%d (id INTEGER PRIMARY KEY);", i)
    up2 = sprintf("CREATE INDEX i_%d ON t_%d (id);", i, i)
    dn1 = sprintf("DROP INDEX i_%d;", i)
    dn2 = sprintf("DROP TABLE t_%d;", i)
    f = sprintf("%s/migrations/versions/%s_r%d.sql", dir, id, i)
    printf "-- revision: %s\n-- down_revision: %s\n-- message: r%d\n", id, prev, i > f
    printf "-- create_date: 2024-01-01 00:00:00\n-- branch_labels:\n-- depends_on:\n" > f
    printf "-- transactional: true\n-- release:\n\n" > f
    printf "-- +upgrade\n%s\n%s\n\n-- +downgrade\n%s\n%s\n", up1, up2, dn1, dn2 > f
    close(f)
    if (floor) {
      if (prev == "")
        ver = sprintf("INSERT INTO retort_version (version_num) VALUES (\047%s\047);", id)
      else
        ver = sprintf("UPDATE retort_version SET version_num = \047%s\047 WHERE version_num = \047%s\047;", id, prev)
      printf "BEGIN;\n%s\n%s\n%s\nCOMMIT;\n", up1, up2, ver > fl
      # The downgrade, head first: the same statements as retort runs.
      if (prev == "")
        ver = sprintf("DELETE FROM retort_version WHERE version_num = \047%s\047;", id)
      else
        ver = sprintf("UPDATE retort_version SET version_num = \047%s\047 WHERE version_num = \047%s\047;", prev, id)
      down[i] = sprintf("BEGIN;\n%s\n%s\n%s\nCOMMIT;\n", dn1, dn2, ver)
    }
    if (alembic) {
      f = sprintf("%s/alembic/migrations/versions/%s_r%d.py", dir, id, i)
      printf "\"\"\"r%d\n\nRevision ID: %s\nRevises: %s\nCreate Date: 2024-01-01 00:00:00\n\n\"\"\"\n", i, id, prev > f
      printf "from alembic import op\n\nrevision = \047%s\047\n", id > f
      if (prev == "") printf "down_revision = None\n" > f
      else printf "down_revision = \047%s\047\n", prev > f
      printf "branch_labels = None\ndepends_on = None\n\n\n" > f
      printf "def upgrade():\n    op.execute(\"%s\")\n    op.execute(\"%s\")\n\n\n", substr(up1, 1, length(up1) - 1), substr(up2, 1, length(up2) - 1) > f
      printf "def downgrade():\n    op.execute(\"%s\")\n    op.execute(\"%s\")\n", substr(dn1, 1, length(dn1) - 1), substr(dn2, 1, length(dn2) - 1) > f
      close(f)
    }
    if (dbmate) {
      f = sprintf("%s/dbmate/db/migrations/%06d_r%d.sql", dir, i, i)
      printf "-- migrate:up\n%s\n%s\n\n-- migrate:down\n%s\n%s\n", up1, up2, dn1, dn2 > f
      close(f)
    }
    prev = id
  }
  if (floor) {
    close(fl)
    fd = dir "/floor-down.sql"
    printf "" > fd
    for (i = n; i >= 1; i--)
      printf "%s", down[i] > fd
    close(fd)
  }
  # The head id, for the callers sanity checks.
  print prev > (dir "/HEAD")
}'

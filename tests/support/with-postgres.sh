#!/bin/sh
# Runs a command with a throwaway PostgreSQL server: initdb in a temp
# directory, loopback only, password authentication over TCP. Exports
# RETORT_TEST_PG_URL (and PG_BINDIR) for the command, and always stops and
# removes the server afterwards. PostgreSQL refuses to run as root, so as
# root the server runs as the `postgres` user.
set -eu
PG_BINDIR=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$PG_BINDIR" ] || [ ! -x "$PG_BINDIR/initdb" ]; then
  echo "with-postgres: no PostgreSQL server found (run scripts/deps.sh test)" >&2
  exit 1
fi
tmp=$(mktemp -d /tmp/retort-pg.XXXXXX)
as_pg() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
  chown postgres "$tmp"
  as_pg() { runuser -u postgres -- "$@"; }
fi
cleanup() {
  as_pg "$PG_BINDIR/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
PGPASSWORD_TEST=retort-test-pw
echo "$PGPASSWORD_TEST" >"$tmp/pw"
[ "$(id -u)" -eq 0 ] && chown postgres "$tmp/pw"
as_pg "$PG_BINDIR/initdb" -D "$tmp/data" -U postgres --pwfile="$tmp/pw" \
  --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-sync >"$tmp/initdb.log" 2>&1 ||
  { cat "$tmp/initdb.log" >&2; exit 1; }
started=
for try in 1 2 3 4 5 6 7 8; do
  port=$(sh "$(dirname "$0")/free-port.sh")
  if as_pg "$PG_BINDIR/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $tmp -c fsync=off -c max_connections=200" \
      start >/dev/null 2>&1; then
    started=1; break
  fi
done
[ -n "$started" ] || { echo "with-postgres: could not start PostgreSQL" >&2; cat "$tmp/server.log" >&2; exit 1; }
export PG_BINDIR
export RETORT_TEST_PG_URL="postgresql://postgres:$PGPASSWORD_TEST@127.0.0.1:$port/postgres"
export RETORT_TEST_PG_PORT=$port RETORT_TEST_PG_SOCKDIR=$tmp
set +e
"$@"
rc=$?
exit $rc

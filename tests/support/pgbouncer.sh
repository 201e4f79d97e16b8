#!/bin/sh
# pgbouncer.sh start DIR | stop DIR
#
# Runs Debian's PgBouncer in transaction pool mode in front of the
# throwaway server of with-postgres.sh ($RETORT_TEST_PG_PORT), so tests can
# check retort behind a pooler that shares server sessions between clients
# (SPEC §3 `lock = table`). Fewer server connections (default_pool_size)
# than clients, so sessions really are shared: session state such as an
# advisory lock does not belong to one client.
#
#   start DIR  writes DIR/pgbouncer.ini, DIR/userlist.txt, starts a daemon
#              listening on a free loopback port (pidfile and log in DIR)
#              and prints that port. Clients log in as postgres /
#              retort-test-pw, to any database of the server.
#   stop DIR   stops the daemon started in DIR (by its pid); silent and
#              successful when none is running.
#
# PgBouncer refuses to run as root, so as root it runs as `postgres`; its
# runtime files then live in a directory that user can reach, and DIR
# holds a symlink to it (DIR/run).
set -eu
PGBOUNCER=${PGBOUNCER:-/usr/sbin/pgbouncer}
here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

as_pgb() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
  as_pgb() { runuser -u postgres -- "$@"; }
fi

stop() {
  run="$dir/run"
  [ -f "$run/pgbouncer.pid" ] || return 0
  pid=$(cat "$run/pgbouncer.pid" 2>/dev/null || true)
  case "$pid" in '' | *[!0-9]*) return 0 ;; esac
  kill -TERM "$pid" 2>/dev/null || return 0
  i=0
  while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
    sleep 0.1; i=$((i + 1))
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$run/pgbouncer.pid"
}

start() {
  [ -n "${RETORT_TEST_PG_PORT:-}" ] || { echo "pgbouncer.sh: RETORT_TEST_PG_PORT is unset (run under with-postgres.sh)" >&2; exit 1; }
  [ -x "$PGBOUNCER" ] || { echo "pgbouncer.sh: $PGBOUNCER not found (run scripts/deps.sh test)" >&2; exit 1; }
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    run=$(mktemp -d /tmp/retort-pgbouncer.XXXXXX)
    chown postgres "$run"
    ln -sfn "$run" "$dir/run"
  else
    mkdir -p "$dir/run"
    run="$dir/run"
  fi
  printf '"postgres" "retort-test-pw"\n' >"$run/userlist.txt"
  chmod 600 "$run/userlist.txt"
  [ "$(id -u)" -eq 0 ] && chown postgres "$run/userlist.txt"
  tries=0
  while :; do
    tries=$((tries + 1))
    port=$(FREE_PORT_AVOID=$RETORT_TEST_PG_PORT sh "$here/free-port.sh")
    cat >"$run/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=$RETORT_TEST_PG_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $run/userlist.txt
pool_mode = transaction
max_client_conn = 100
default_pool_size = 4
min_pool_size = 0
reserve_pool_size = 0
max_db_connections = 4
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = $run/pgbouncer.log
pidfile = $run/pgbouncer.pid
admin_users = postgres
EOF
    rm -f "$run/pgbouncer.pid"
    rm -f "$run/pgbouncer.log"
    if as_pgb "$PGBOUNCER" -d -q "$run/pgbouncer.ini" 2>>"$run/start.err"; then
      # -d returns once the daemon forked; wait until it listens.
      i=0
      while [ $i -lt 50 ]; do
        if [ -s "$run/pgbouncer.pid" ] && kill -0 "$(cat "$run/pgbouncer.pid")" 2>/dev/null &&
           pg_isready -q -h 127.0.0.1 -p "$port" -t 1 >/dev/null 2>&1; then
          echo "$port"
          return 0
        fi
        # A daemon that could not bind says so in its log and exits: try
        # another port at once rather than wait out the loop.
        grep -q FATAL "$run/pgbouncer.log" 2>/dev/null && break
        sleep 0.1; i=$((i + 1))
      done
      cat "$run/pgbouncer.log" >>"$run/attempts.log" 2>/dev/null || true
      dir=$dir stop
    fi
    if [ $tries -ge 8 ]; then
      echo "pgbouncer.sh: could not start pgbouncer in $tries tries" >&2
      cat "$run/start.err" "$run/attempts.log" >&2 2>/dev/null || true
      exit 1
    fi
  done
}

case "$cmd" in
  start) start ;;
  stop) stop; if [ -L "$dir/run" ]; then rm -rf "$(readlink "$dir/run")"; rm -f "$dir/run"; fi ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac

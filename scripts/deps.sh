#!/bin/sh
# Installs the Debian packages retort needs, and only those missing.
# Usage: scripts/deps.sh [build|test|bench]   (each level includes the previous)
# Idempotent and silent when everything is already installed.
set -eu
level=${1:-build}
pkgs="build-essential cmake pkg-config sqlite3 libsqlite3-dev libpq-dev libpg-query-dev libinih-dev libjansson-dev libssl-dev"
case "$level" in
  test|bench) pkgs="$pkgs libcmocka-dev bats bats-assert bats-support postgresql alembic python3-psycopg2 valgrind clang libclang-rt-14-dev pgbouncer" ;;
esac
case "$level" in
  bench) pkgs="$pkgs hyperfine time npm" ;;
esac
missing=""
for p in $pkgs; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists once if they are empty or a package is unknown.
if ! apt-cache show $missing >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null
fi
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null

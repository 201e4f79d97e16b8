#!/bin/sh
# Installs the Debian packages retort needs, and only those missing.
# Usage: scripts/deps.sh [build|test|bench|fresh]
#   build, test, bench: each level includes the previous one;
#   fresh: what `make check-fresh` needs on the host (mmdebstrap).
# Idempotent and silent when everything is already installed. Runs
# apt-get as root, or through sudo.
#
# The package lists are refreshed (apt-get update) first when they are
# empty (a fresh machine or container) or when any missing package has no
# installation candidate in them (stale or partial lists), and once more
# if the install still fails with lists that this run did not refresh.
# Tools used only as commands (npm, hyperfine) count as present when the
# command exists, however it was installed (e.g. a nodejs from outside
# Debian, whose npm conflicts with Debian's package).
set -eu
level=${1:-build}
build="build-essential cmake pkg-config sqlite3 libsqlite3-dev libpq-dev libpg-query-dev libinih-dev libjansson-dev libssl-dev"
test="libcmocka-dev bats bats-assert bats-support jq postgresql alembic python3-psycopg2 valgrind clang libclang-rt-14-dev pgbouncer"
bench="hyperfine time npm"
case "$level" in
  build) pkgs=$build ;;
  test) pkgs="$build $test" ;;
  bench) pkgs="$build $test $bench" ;;
  fresh) pkgs="mmdebstrap" ;;
  *) echo "usage: scripts/deps.sh [build|test|bench|fresh]" >&2; exit 2 ;;
esac
commands="npm hyperfine"

present() { # package
  case " $commands " in
    *" $1 "*) command -v "$1" >/dev/null 2>&1 && return 0 ;;
  esac
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}
missing=""
for p in $pkgs; do
  present "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "deps: missing Debian packages:$missing" >&2
    echo "deps: not root and no sudo: as root, run: apt-get update && apt-get install$missing" >&2
    exit 1
  fi
  SUDO=sudo
fi
echo "deps: installing$missing (apt-get, this can take a few minutes)" >&2

log=$(mktemp "${TMPDIR:-/tmp}/retort-deps.XXXXXX")
trap 'rm -f "$log"' EXIT
# apt-get's output goes to $log; it is printed, with a hint, if it fails.
# env: sudo would drop DEBIAN_FRONTEND from the environment.
run_apt() { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get "$@" >"$log" 2>&1; }
fail() { # hint
  cat "$log" >&2
  echo "deps: $1" >&2
  exit 1
}
update() {
  run_apt -q update ||
    fail "'apt-get update' failed (output above): check the network and the sources in /etc/apt/sources.list and /etc/apt/sources.list.d/"
  updated=1
}
# True when the lists hold no Packages index at all (fresh machine).
lists_empty() { ! ls /var/lib/apt/lists/ 2>/dev/null | grep -q '_Packages'; }
# True when some missing package is unknown or has "Candidate: (none)".
no_candidate() {
  for p in $missing; do
    c=$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
    case "$c" in '' | '(none)') return 0 ;; esac
  done
  return 1
}

updated=""
if lists_empty || no_candidate; then
  update
fi
do_install() { run_apt -q -y --no-install-recommends install $missing; }
if ! do_install; then
  [ -z "$updated" ] && update && do_install && exit 0
  fail "could not install$missing (apt-get's output above); fix the error it names, or install them by hand: apt-get install$missing"
fi

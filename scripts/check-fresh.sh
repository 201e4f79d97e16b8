#!/bin/sh
# `make check-fresh`: the two README commands on a really fresh Debian 12.
# Builds a minimal Debian 12 root with mmdebstrap (minbase plus git, make
# and ca-certificates), and in a pristine copy of it for each command runs,
# chrooted as root, `make demo` and then (in another copy) `make test`, each
# as the first command in a fresh clone, from empty package lists, so each
# must install what it needs itself (scripts/deps.sh). Prints PASS or FAIL
# per command and exits 1 if any failed. It downloads packages, so it is
# not part of .ci/run. Needs root (or sudo): mmdebstrap, mount, chroot.
#
#   CHECK_FRESH_WORKTREE=1  copy the working tree (tracked files and new
#                           files git does not ignore, as they are now)
#                           instead of cloning the committed HEAD
#   CHECK_FRESH_DIR=DIR     work there (default: a new /tmp/retort-fresh.*);
#                           logs stay in DIR/logs/, and downloaded .debs in
#                           DIR/archives/ (shared by both roots, reused by a
#                           later run with the same DIR)
#   CHECK_FRESH_ONLY=LIST   run only these of "demo test"
#   CHECK_FRESH_KEEP=1      keep the roots (DIR/root-demo, DIR/root-test)
#   CHECK_FRESH_VERBOSE=1   stream each command's output (default: to its
#                           log, with the last lines shown on failure)
#
# Inside each root: /proc, /sys (read-only), /dev, /dev/pts and a /dev/shm
# tmpfs are mounted, and unmounted on exit, pass or fail. A policy-rc.d
# keeps package scripts from starting services (the postgresql package's
# own cluster), which would outlive the command; the tests start their own
# server (tests/support/with-postgres.sh, as the `postgres` user).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "check-fresh: needs root (mmdebstrap, mount, chroot)" >&2; exit 1; }
  exec sudo env CHECK_FRESH_WORKTREE="${CHECK_FRESH_WORKTREE:-}" CHECK_FRESH_DIR="${CHECK_FRESH_DIR:-}" \
    CHECK_FRESH_ONLY="${CHECK_FRESH_ONLY:-}" CHECK_FRESH_KEEP="${CHECK_FRESH_KEEP:-}" \
    CHECK_FRESH_VERBOSE="${CHECK_FRESH_VERBOSE:-}" sh "$0" "$@"
fi
only=${CHECK_FRESH_ONLY:-demo test}
flag() { # value: 1 when set to anything but "", 0, no or false
  case "$1" in '' | 0 | no | false) echo "" ;; *) echo 1 ;; esac
}
worktree=$(flag "${CHECK_FRESH_WORKTREE:-}")
keep=$(flag "${CHECK_FRESH_KEEP:-}")
verbose=$(flag "${CHECK_FRESH_VERBOSE:-}")
for c in $only; do
  case "$c" in demo | test) ;; *) echo "check-fresh: CHECK_FRESH_ONLY: unknown command '$c' (demo, test)" >&2; exit 2 ;; esac
done

say() { echo "check-fresh: $*"; }
elapsed() { # seconds -> 4m05s
  printf '%dm%02ds' $(($1 / 60)) $(($1 % 60))
}

sh "$src/scripts/deps.sh" fresh

own_work=""
if [ -n "${CHECK_FRESH_DIR:-}" ]; then
  work=$CHECK_FRESH_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d /tmp/retort-fresh.XXXXXX)
  own_work=1
fi
work=$(cd "$work" && pwd)
case "$work" in *[[:space:]]*) echo "check-fresh: CHECK_FRESH_DIR must not contain spaces" >&2; exit 2 ;; esac
mkdir -p "$work/logs" "$work/archives/partial"

# ---- cleanup: unmount (even on failure), then remove the roots ----
mounts="" # most recent first
current_root=""
kill_inside() { # root: end what was started in it (by pid)
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$1" ] || continue
    kill -KILL "${p#/proc/}" 2>/dev/null || true
  done
}
unmount_all() {
  for m in $mounts; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || echo "check-fresh: could not unmount $m" >&2
  done
  mounts=""
}
remove_root() { # root
  [ -d "$1" ] || return 0
  # Never remove through a mount (a bind of the host's /dev).
  if grep -q " $1/" /proc/self/mounts; then
    echo "check-fresh: $1 still has mounts; not removing it" >&2
    return 0
  fi
  rm -rf --one-file-system "$1"
}
cleanup() {
  rc=$?
  trap - EXIT INT TERM
  [ -n "$current_root" ] && kill_inside "$current_root"
  unmount_all
  if [ -z "$keep" ]; then
    for c in demo test; do remove_root "$work/root-$c"; done
    rm -f "$work/base.tar" "$work/src.tar" "$work/src.list" "$work/logs/rc"
    # A directory of our own is not reused: its downloads go, its logs stay.
    [ -n "$own_work" ] && rm -rf "$work/archives"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'say "interrupted" >&2; exit 130' INT
trap 'say "terminated" >&2; exit 143' TERM
mnt() { # mount args... target (last)
  for target; do :; done
  mount "$@" || return 1
  mounts="$target $mounts"
}

# ---- the source: HEAD (git clone) or the working tree ----
if [ -n "$worktree" ]; then
  (
    cd "$src"
    git ls-files --cached --others --exclude-standard | while IFS= read -r f; do
      if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\n' "$f"; fi # not deleted ones
    done >"$work/src.list"
    tar -cf "$work/src.tar" --verbatim-files-from -T "$work/src.list"
  )
  say "source: the working tree of $src ($(wc -l <"$work/src.list") files, uncommitted changes included)"
else
  say "source: git clone of $src at $(git -C "$src" rev-parse --short HEAD) (committed HEAD only; CHECK_FRESH_WORKTREE=1 for the working tree)"
fi

# ---- the base root ----
t0=$(date +%s)
say "building a minimal Debian 12 root (mmdebstrap, log: $work/logs/mmdebstrap.log)"
if ! mmdebstrap --variant=minbase --include=git,make,ca-certificates bookworm "$work/base.tar" \
    >"$work/logs/mmdebstrap.log" 2>&1; then
  cat "$work/logs/mmdebstrap.log" >&2
  say "FAIL  mmdebstrap (output above)"
  exit 1
fi
say "root built in $(elapsed $(($(date +%s) - t0)))"

# ---- one command in a pristine root ----
run_in_fresh_root() { # demo|test
  cmd=$1
  root=$work/root-$cmd
  log=$work/logs/make-$cmd.log
  unmount_all
  remove_root "$root"
  [ -e "$root" ] && { say "FAIL  make $cmd: $root exists and could not be removed"; return 1; }
  mkdir -p "$root"
  tar -C "$root" --numeric-owner -xf "$work/base.tar"
  # Empty package lists (and no package cache), like a fresh machine.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  [ -s "$root/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
  if [ -n "$worktree" ]; then
    mkdir -p "$root/root/retort"
    tar -C "$root/root/retort" -xf "$work/src.tar"
  else
    git -c safe.directory="$src" -c safe.directory="$src/.git" clone -q "$src" "$root/root/retort"
  fi

  current_root=$root
  mnt -t proc proc "$root/proc"
  mnt -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys" || say "note: /sys not mounted in the root"
  mnt --bind /dev "$root/dev"
  mnt --bind /dev/pts "$root/dev/pts"
  mnt -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
  mnt --bind "$work/archives" "$root/var/cache/apt/archives"

  say "make $cmd: running in $root/root/retort (log: $log)"
  t0=$(date +%s)
  set +e
  if [ -n "$verbose" ]; then
    { chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        sh -c "cd /root/retort && make $cmd" </dev/null 2>&1; echo $? >"$work/logs/rc"; } | tee "$log"
    rc=$(cat "$work/logs/rc")
  else
    chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root TERM=dumb \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      sh -c "cd /root/retort && make $cmd" </dev/null >"$log" 2>&1
    rc=$?
  fi
  set -e
  took=$(elapsed $(($(date +%s) - t0)))
  kill_inside "$root"
  current_root=""
  unmount_all
  if [ "$rc" -eq 0 ]; then
    say "PASS  make $cmd ($took)"
  else
    if [ -z "$verbose" ]; then
      echo "---- last 60 lines of $log ----" >&2
      tail -n 60 "$log" >&2
      echo "----" >&2
    fi
    say "FAIL  make $cmd (exit $rc, $took; log: $log)"
  fi
  [ -n "$keep" ] || remove_root "$root"
  return "$rc"
}

failed=""
for c in $only; do
  run_in_fresh_root "$c" || failed="$failed make $c"
done
if [ -n "$failed" ]; then
  say "FAILED:$failed (logs in $work/logs/)"
  exit 1
fi
say "all passed:$(for c in $only; do printf ' make %s' "$c"; done) (logs in $work/logs/)"

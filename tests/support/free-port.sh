#!/bin/sh
# free-port.sh: prints a loopback TCP port that nothing is bound to now.
#
# Picked at random below the kernel's ephemeral range
# (/proc/sys/net/ipv4/ip_local_port_range), so the outgoing connections of
# busy parallel tests, which take their local ports from that range, cannot
# have taken it between the check and the listen; and checked against the
# ports bound now (/proc/net/tcp and tcp6). The caller still retries when
# its bind fails: this narrows the race, it does not close it.
set -eu
lo=10000
hi=32767
if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then
  read -r eph_lo _ </proc/sys/net/ipv4/ip_local_port_range || true
  case "${eph_lo:-}" in '' | *[!0-9]*) ;; *) [ "$eph_lo" -gt $((lo + 1000)) ] && hi=$((eph_lo - 1)) ;; esac
fi
bound() {
  hex=$(printf '%04X' "$1")
  cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v h="$hex" '
    NR > 0 { split($2, a, ":"); if (a[2] == h) { found = 1 } } END { exit found ? 0 : 1 }'
}
i=0
while [ $i -lt 200 ]; do
  i=$((i + 1))
  port=$(( lo + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % (hi - lo + 1) ))
  [ -n "${FREE_PORT_AVOID:-}" ] && [ "$port" -eq "$FREE_PORT_AVOID" ] && continue
  bound "$port" && continue
  echo "$port"
  exit 0
done
echo "free-port.sh: no free port found in $lo-$hi" >&2
exit 1

#!/usr/bin/env bash
# Runs a real avahi-daemon (with its own D-Bus system bus) and our publisher in a private network
# and mount namespace with a veth pair, so the publisher has a non-loopback interface and
# announces A/AAAA records; then prints what avahi-browse resolves and what python-zeroconf hears.
# Usage (as root): avahi-interop.sh ENDPOINT_JSON NAME (the endpoint's name). Output: the avahi-browse -rpt lines, a line
# "--", then zeroconf-records.py's JSON.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../../../.."
exec unshare -n -m bash -s "$here" "$root" "$1" "$2" <<'INNER'
set -euo pipefail
here="$1" root="$2" endpoint="$3" name="$4"
pids=()
publisher=""
cleanup() {
  # The publisher ends on end of input (sending its goodbye); the daemons by their PIDs.
  if [[ -n "$publisher" ]]; then
    exec {PUBLISHER[1]}>&- || true
    wait "$publisher" 2>/dev/null || true
  fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  done
}
trap cleanup EXIT
mount --make-rprivate /
mount -t tmpfs tmpfs /run
mkdir -p /run/dbus /run/avahi-daemon
ip link set lo up
ip link add syfv0 type veth peer name syfv1
ip addr add 10.77.0.1/24 dev syfv0
ip link set syfv1 up
ip link set syfv0 multicast on
ip link set syfv0 up
conf="$(mktemp -d)"
cat > "$conf/avahi.conf" <<CONF
[server]
use-ipv4=yes
use-ipv6=no
allow-interfaces=syfv0
host-name=syfala-avahi-peer
[publish]
publish-hinfo=no
publish-workstation=no
CONF
dbus-daemon --system --fork --print-pid > "$conf/dbus.pid"
pids+=("$(cat "$conf/dbus.pid")")
avahi-daemon --no-drop-root --no-chroot --no-rlimits -f "$conf/avahi.conf" > "$conf/avahi.log" 2>&1 &
pids+=($!)
coproc PUBLISHER { "$root/node_modules/.bin/tsx" "$here/publish-endpoint.ts" "$endpoint" 10.77.0.1; }
publisher="$PUBLISHER_PID"
read -r ready _ <&"${PUBLISHER[0]}"
[[ "$ready" == ready ]]
for _ in $(seq 50); do avahi-browse -at -p >/dev/null 2>&1 && break; sleep 0.1; done
avahi-browse -rpt _syfala._udp
echo --
/usr/bin/python3 "$here/zeroconf-records.py" "$name" 3 10.77.0.1
INNER

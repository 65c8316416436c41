#!/usr/bin/env bash
# Runs a command in a private network namespace that has only loopback, with multicast on, so
# tests that broadcast or multicast (discovery, mDNS) can never reach the machine's interfaces.
# Sets SYFALA_NETNS=1 inside; tests that need it skip (and say why) when it is not set.
set -euo pipefail
if [[ "$(id -u)" -eq 0 ]] && unshare -n true 2>/dev/null; then
  exec unshare -n bash -c '
    ip link set lo up
    ip link set lo multicast on
    ip route add 224.0.0.0/4 dev lo
    SYFALA_NETNS=1 exec "$@"' in-netns "$@"
fi
echo "in-netns: no private network namespace here (needs root and unshare -n);" \
  "multicast and broadcast tests will be skipped" >&2
exec "$@"

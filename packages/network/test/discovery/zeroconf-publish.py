"""Publishes one _syfala._udp service with python-zeroconf, an mDNS implementation independent of ours.

Usage: zeroconf-publish.py SPEC_JSON LIMIT_S
SPEC_JSON: {"instance": str, "port": int, "txt": {key: value}, "ttl": int or null}.
Prints "ready" once registered, then unregisters (sending the goodbye) and exits when a line or
EOF arrives on stdin, or after LIMIT_S seconds. Uses the loopback interface only.
"""
import json
import select
import socket
import sys

from zeroconf import IPVersion, ServiceInfo, Zeroconf

SERVICE_TYPE = "_syfala._udp.local."
spec, limit_s = json.loads(sys.argv[1]), float(sys.argv[2])
ttls = {} if spec.get("ttl") is None else {"host_ttl": spec["ttl"], "other_ttl": spec["ttl"]}
info = ServiceInfo(
    SERVICE_TYPE,
    f"{spec['instance']}.{SERVICE_TYPE}",
    port=spec["port"],
    properties=spec["txt"],
    server="zeroconf-peer.local.",
    addresses=[socket.inet_aton("127.0.0.1")],
    **ttls,
)
zc = Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
zc.register_service(info)
print("ready", flush=True)
select.select([sys.stdin], [], [], limit_s)
zc.unregister_service(info)
zc.close()

"""Browses _syfala._udp with python-zeroconf, an mDNS implementation independent of ours.

Usage: zeroconf-browse.py ENDPOINT_ID LIMIT_S
Prints the instance whose TXT id is ENDPOINT_ID as JSON ({"name", "port", "txt"}) and exits 0,
or prints {} and exits 1 after LIMIT_S seconds. Uses the loopback interface only.
"""
import json
import sys
import threading

from zeroconf import IPVersion, ServiceBrowser, ServiceInfo, ServiceStateChange, Zeroconf

SERVICE_TYPE = "_syfala._udp.local."
want_id, limit_s = sys.argv[1], float(sys.argv[2])
found = {}
done = threading.Event()


def on_change(zeroconf, service_type, name, state_change):
    if state_change is ServiceStateChange.Removed or done.is_set():
        return
    info = ServiceInfo(service_type, name)
    # A host that publishes only on loopback has no A record, so the info never counts as
    # complete: take what the browse answers put in the cache, and ask once if that is nothing.
    if not info.load_from_cache(zeroconf) and not info.properties:
        info.request(zeroconf, 1500)
    txt = {k.decode(): None if v is None else v.decode() for k, v in info.properties.items()}
    if txt.get("id") == want_id:
        found.update(name=name, port=info.port, txt=txt)
        done.set()


zc = Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
browser = ServiceBrowser(zc, SERVICE_TYPE, handlers=[on_change])
ok = done.wait(limit_s)
browser.cancel()
zc.close()
print(json.dumps(found))
sys.exit(0 if ok else 1)

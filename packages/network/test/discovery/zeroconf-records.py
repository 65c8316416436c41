"""Lists the mDNS records python-zeroconf hears for _syfala._udp, with its `unique` flag: the
cache-flush bit of RFC 6762 §10.2, as zeroconf's own packet parser reads it.

Usage: zeroconf-records.py INSTANCE_PREFIX LIMIT_S [INTERFACE]
Browses _syfala._udp on INTERFACE (default loopback) for LIMIT_S seconds, then prints a JSON list of
{"name", "type", "unique"} for every record whose name is the service type, an instance starting
with INSTANCE_PREFIX, or the host an SRV of that instance points at.
"""
import json
import sys
import time

from zeroconf import IPVersion, RecordUpdateListener, ServiceBrowser, Zeroconf
from zeroconf.const import _TYPES

SERVICE_TYPE = "_syfala._udp.local."
prefix, limit_s = sys.argv[1], float(sys.argv[2])
interface = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
heard = []


class Collect(RecordUpdateListener):
    def async_update_records(self, zc, now, records):
        heard.extend(update.new for update in records)


zc = Zeroconf(interfaces=[interface], ip_version=IPVersion.V4Only)
zc.add_listener(Collect(), None)
browser = ServiceBrowser(zc, SERVICE_TYPE, handlers=[lambda **_: None])
time.sleep(limit_s)
browser.cancel()
zc.close()

targets = {r.server for r in heard if _TYPES.get(r.type) == "srv" and r.name.startswith(prefix)}
seen = {}
for r in heard:
    if r.name == SERVICE_TYPE or r.name.startswith(prefix) or r.name in targets:
        seen[(r.name, _TYPES.get(r.type), r.unique)] = True
print(json.dumps([{"name": n, "type": t.upper(), "unique": u} for n, t, u in seen]))

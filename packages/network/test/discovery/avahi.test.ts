import { execFile, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { instanceNameFor } from '../../src/index.js';

// A real avahi-daemon resolves what we publish, and python-zeroconf reads the cache-flush bit on
// every unique record, A and AAAA included: avahi-interop.sh gives the publisher a veth interface
// (on loopback alone it announces no address) in a network and mount namespace of its own.
const SCRIPT = fileURLToPath(new URL('./avahi-interop.sh', import.meta.url));
const missing = [
  ['avahi-daemon', '--version', 'avahi-daemon'],
  ['avahi-browse', '--version', 'avahi-utils'],
  ['dbus-daemon', '--version', 'dbus'],
  ['/usr/bin/python3', '-c', 'import zeroconf', 'python3-zeroconf'],
].filter(([command, ...rest]) => spawnSync(command!, rest.slice(0, -1)).status !== 0);
const canUnshare = spawnSync('unshare', ['-n', '-m', 'true']).status === 0;
const skipReason = !canUnshare
  ? ' [skipped: needs root to make a network namespace (unshare -n -m)]'
  : missing.length > 0
    ? ` [skipped: apt-get install ${missing.map((entry) => entry.at(-1)).join(' ')}]`
    : '';

describe.skipIf(skipReason !== '')(`interop with avahi${skipReason}`, () => {
  it('avahi-browse resolves our service; zeroconf sees cache-flush on SRV, TXT, A, AAAA, not PTR', async () => {
    const endpoint = { id: randomUUID(), name: 'Avahi peer', udpPort: 6914, controlPort: 6915 };
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        'bash',
        [SCRIPT, JSON.stringify(endpoint), endpoint.name],
        { timeout: 40_000 },
        (error, out, err) =>
          error === null ? resolve(out) : reject(new Error(`${error.message}\n${err}`)),
      );
    });
    const [browse, records] = stdout.split('\n--\n') as [string, string];
    // avahi-browse -p: "=;iface;proto;name;type;domain;host;address;port;txt" per resolved service.
    const resolved = browse
      .split('\n')
      .filter((line) => line.startsWith('='))
      .map((line) => line.split(';'));
    expect(resolved).toHaveLength(1);
    const [, iface, , , type, , , address, port, txt] = resolved[0]!;
    expect({ iface, type, address, port }).toEqual({
      iface: 'syfv0',
      type: '_syfala._udp',
      address: '10.77.0.1',
      port: '6914',
    });
    expect(txt).toContain(`"id=${endpoint.id}"`);
    expect(txt).toContain('"ctl=6915"');

    const instance = `${instanceNameFor(endpoint.name, endpoint.id)}._syfala._udp.local.`;
    const heard = JSON.parse(records) as { name: string; type: string; unique: boolean }[];
    const byType = (type: string) => heard.filter((record) => record.type === type);
    expect(byType('PTR')).toEqual([{ name: '_syfala._udp.local.', type: 'PTR', unique: false }]);
    expect(byType('SRV')).toEqual([{ name: instance, type: 'SRV', unique: true }]);
    expect(byType('TXT')).toEqual([{ name: instance, type: 'TXT', unique: true }]);
    // zeroconf names AAAA "quada".
    for (const type of ['A', 'QUADA']) {
      expect(byType(type).length).toBeGreaterThan(0);
      expect(byType(type).every((record) => record.unique)).toBe(true);
    }
  }, 60_000);
});

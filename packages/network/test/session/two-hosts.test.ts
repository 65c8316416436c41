import { spawn, spawnSync, execFileSync } from 'node:child_process';
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DEFAULT_DISCOVERY_GROUP, Discovery, connect, type Endpoint } from '../../src/index.js';
import { EventLog, NETNS, NETNS_REASON } from '../discovery/event-log.js';

/** The link between the test's namespace (this host) and the server's (the other host). */
const HERE = '10.77.0.1';
const THERE = '10.77.0.2';

interface Report {
  type: string;
  [key: string]: unknown;
}

/** The server process's JSON lines, as they come. */
function reports(child: { stdout: Readable }): (type: string) => Promise<Report> {
  const seen: Report[] = [];
  const waiting = new Map<string, (report: Report) => void>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    const report = JSON.parse(line) as Report;
    seen.push(report);
    waiting.get(report.type)?.(report);
  });
  return (type) => {
    const already = seen.find((r) => r.type === type);
    return already
      ? Promise.resolve(already)
      : new Promise((resolve) => waiting.set(type, resolve));
  };
}

const ip = (...args: string[]): void => void execFileSync('ip', args);
const ipThere = (pid: number, ...args: string[]): void =>
  void execFileSync('nsenter', ['-t', String(pid), '-n', 'ip', ...args]);

describe.skipIf(!NETNS)(`two hosts joined by a veth link ${NETNS ? '' : NETNS_REASON}`, () => {
  it(
    'finds the other host by multicast beacon and mDNS, and runs a session across the link',
    { timeout: 20_000 },
    async () => {
      const script = fileURLToPath(new URL('../fixtures/remote-server.mjs', import.meta.url));
      const child = spawn('unshare', ['-n', process.execPath, script], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const link = `syf${process.pid % 100_000}`;
      onTestFinished(() => {
        child.kill();
        // The kernel deletes the pair itself once the child's namespace is gone, at times just
        // before this del ("Cannot find device"): what matters is that the link is gone after.
        spawnSync('ip', ['link', 'del', `${link}a`], { stdio: 'ignore' });
        expect(spawnSync('ip', ['link', 'show', `${link}a`], { stdio: 'ignore' }).status).not.toBe(
          0,
        );
      });
      const next = reports(child);
      await next('waiting'); // the child is in its own namespace now
      const pid = child.pid!;
      ip('link', 'add', `${link}a`, 'type', 'veth', 'peer', 'name', `${link}b`);
      ip('link', 'set', `${link}b`, 'netns', String(pid));
      ip('addr', 'add', `${HERE}/24`, 'dev', `${link}a`);
      ip('link', 'set', `${link}a`, 'up');
      ipThere(pid, 'link', 'set', 'lo', 'up');
      ipThere(pid, 'addr', 'add', `${THERE}/24`, 'dev', `${link}b`);
      ipThere(pid, 'link', 'set', `${link}b`, 'up');
      ipThere(pid, 'route', 'add', '224.0.0.0/4', 'dev', `${link}b`);
      child.stdin.write(`go ${THERE}\n`);
      const server = await next('listening');

      const discovery = new Discovery({
        beacon: {
          address: DEFAULT_DISCOVERY_GROUP,
          port: server['udpPort'] as number,
          intervalMs: 200,
        },
        interface: HERE,
      });
      const log = new EventLog(discovery.events$);
      onTestFinished(() => discovery.close());
      const found = (await log.waitFor(
        (event) =>
          event.type !== 'removed' &&
          event.endpoint.id === server['id'] &&
          event.endpoint.via.length === 2,
        5000,
        'the remote server by both methods',
      )) as { endpoint: Endpoint };
      expect(found.endpoint).toMatchObject({
        host: THERE,
        name: 'remote host',
        via: ['beacon', 'mdns'],
      });

      for (const transport of ['tcp', 'udp'] as const) {
        const connected = await connect(found.endpoint, { transport, localAddress: HERE });
        const streaming = await connected.startIo();
        const idle = await streaming.stopIo();
        await idle.disconnect();
      }
      const closed = await next('closed');
      expect(closed).toMatchObject({ client: HERE, end: { reason: 'normal', by: 'peer' } });

      child.stdin.write('stop\n');
      await next('stopped');
    },
  );
});

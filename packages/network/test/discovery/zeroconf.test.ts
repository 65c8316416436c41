import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '@syfala/proto';
import { Discovery, encodeEndpointTxt, publishEndpoint } from '../../src/index.js';
import { EventLog, NETNS, NETNS_REASON } from './event-log.js';

/** Debian's python3-zeroconf lives with the system interpreter, not with a pyenv one on PATH. */
const PYTHON = '/usr/bin/python3';
const HAS_ZEROCONF = spawnSync(PYTHON, ['-c', 'import zeroconf']).status === 0;
const BROWSE = fileURLToPath(new URL('./zeroconf-browse.py', import.meta.url));
const PUBLISH = fileURLToPath(new URL('./zeroconf-publish.py', import.meta.url));
const RECORDS = fileURLToPath(new URL('./zeroconf-records.py', import.meta.url));
/** The scripts' own time limit; they exit by then whatever happens. */
const SCRIPT_LIMIT_S = 8;

/** Starts zeroconf-publish.py and resolves once the service is registered. */
async function zeroconfPublish(spec: {
  instance: string;
  port: number;
  txt: Record<string, string>;
  ttl: number | null;
}): Promise<ChildProcess> {
  const child = spawn(PYTHON, [PUBLISH, JSON.stringify(spec), String(SCRIPT_LIMIT_S)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [line] = (await Promise.race([
    once(child.stdout!, 'data'),
    once(child, 'exit').then(() => {
      throw new Error('zeroconf-publish.py exited before it was ready');
    }),
  ])) as [Buffer];
  expect(line.toString().trim()).toBe('ready');
  return child;
}

/** Ends a publisher: gracefully (it sends the goodbye) or by SIGKILL (it vanishes without one). */
async function stopPublisher(child: ChildProcess, how: 'goodbye' | 'kill'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  if (how === 'goodbye') child.stdin!.end();
  else child.kill('SIGKILL');
  await exited;
}

const skipReason = !NETNS
  ? NETNS_REASON
  : '(skipped: /usr/bin/python3 cannot import zeroconf; apt-get install python3-zeroconf)';

describe.skipIf(!NETNS || !HAS_ZEROCONF)(`interop with python-zeroconf ${skipReason}`, () => {
  it('python-zeroconf sees our published service with its TXT record', async () => {
    const endpoint = {
      id: randomUUID(),
      name: 'Interop — published by us',
      udpPort: 6910,
      controlPort: 6911,
      formats: {
        inputs: [{ sampleType: 'f32' as const, sampleRate: 48_000, channels: 2, bufferFrames: 32 }],
        outputs: [],
      },
    };
    const publication = await publishEndpoint(endpoint, { interface: '127.0.0.1' });
    try {
      const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
        execFile(
          PYTHON,
          [BROWSE, endpoint.id, String(SCRIPT_LIMIT_S)],
          { timeout: (SCRIPT_LIMIT_S + 5) * 1000 },
          (error, out) => (error === null ? resolve({ stdout: out }) : reject(error)),
        );
      });
      const seen = JSON.parse(stdout) as {
        name: string;
        port: number;
        txt: Record<string, string>;
      };
      expect(seen.name).toBe(`${publication.instanceName}._syfala._udp.local.`);
      expect(seen.port).toBe(6910);
      expect(seen.txt).toEqual({
        v: String(PROTOCOL_VERSION),
        id: endpoint.id,
        name: 'Interop — published by us',
        ctl: '6911',
        in: 'f32/48000/2/32',
        out: '',
      });
      expect(seen.txt).toEqual(
        encodeEndpointTxt({ ...endpoint, protocolVersion: PROTOCOL_VERSION }),
      );
    } finally {
      await publication.close();
    }
  }, 20_000);

  it('python-zeroconf reads the cache-flush bit on our SRV and TXT records, not on the PTR', async () => {
    // RFC 6762 §10.2; zeroconf's DNSRecord.unique is that bit as its packet parser reads it. A/AAAA
    // carry it too, but a host publishing on loopback alone announces none (DISCOVERY.md §3.3).
    const endpoint = { id: randomUUID(), name: 'Flush bits', udpPort: 6912, controlPort: 6913 };
    const publication = await publishEndpoint(endpoint, { interface: '127.0.0.1' });
    try {
      const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
        execFile(
          PYTHON,
          [RECORDS, publication.instanceName, '3'],
          { timeout: (SCRIPT_LIMIT_S + 5) * 1000 },
          (error, out) => (error === null ? resolve({ stdout: out }) : reject(error)),
        );
      });
      const instance = `${publication.instanceName}._syfala._udp.local.`;
      expect(JSON.parse(stdout)).toEqual(
        expect.arrayContaining([
          { name: '_syfala._udp.local.', type: 'PTR', unique: false },
          { name: instance, type: 'SRV', unique: true },
          { name: instance, type: 'TXT', unique: true },
        ]),
      );
      const flags = (JSON.parse(stdout) as { type: string; unique: boolean }[]).map(
        (record) => `${record.type} ${record.unique}`,
      );
      expect(flags).not.toContain('SRV false');
      expect(flags).not.toContain('TXT false');
      expect(flags).not.toContain('PTR true');
    } finally {
      await publication.close();
    }
  }, 20_000);

  it('we see a service python-zeroconf publishes, with every field, and its goodbye', async () => {
    const id = randomUUID();
    const discovery = new Discovery({ beacon: false, interface: '127.0.0.1' });
    const log = new EventLog(discovery.events$);
    const publisher = await zeroconfPublish({
      instance: 'Interop peer',
      port: 7010,
      txt: {
        v: '1',
        id,
        name: 'Zeroconf peer',
        ctl: '0',
        in: '2*f32/48000/1/64,i24/44100.5/6/0',
        out: 'u8/8000/1/16',
        extra: 'ignored',
      },
      ttl: null,
    });
    try {
      const added = await log.waitFor(
        (event) => event.type === 'added' && event.endpoint.id === id,
        2000,
        'added event',
      );
      expect(added.endpoint).toEqual({
        id,
        name: 'Zeroconf peer',
        host: '127.0.0.1',
        udpPort: 7010,
        controlPort: 0,
        protocolVersion: 1,
        formats: {
          inputs: [
            { sampleType: 'f32', sampleRate: 48_000, channels: 1, bufferFrames: 64 },
            { sampleType: 'f32', sampleRate: 48_000, channels: 1, bufferFrames: 64 },
            { sampleType: 'i24', sampleRate: 44_100.5, channels: 6, bufferFrames: 0 },
          ],
          outputs: [{ sampleType: 'u8', sampleRate: 8000, channels: 1, bufferFrames: 16 }],
        },
        via: ['mdns'],
      });
      await stopPublisher(publisher, 'goodbye');
      const removed = await log.waitFor(
        (event) => event.type === 'removed' && event.endpoint.id === id,
        2000,
        'removed event',
      );
      expect(removed).toMatchObject({ reason: 'goodbye' });
    } finally {
      await stopPublisher(publisher, 'kill');
      log.unsubscribe();
      await discovery.close();
    }
  }, 20_000);

  it('expires a service whose publisher vanished without a goodbye when its TTL runs out', async () => {
    const id = randomUUID();
    const discovery = new Discovery({ beacon: false, interface: '127.0.0.1' });
    const log = new EventLog(discovery.events$);
    const ttlS = 2;
    const publisher = await zeroconfPublish({
      instance: 'Short-lived peer',
      port: 7011,
      txt: { v: '1', id, name: 'Short-lived', ctl: '6911' },
      ttl: ttlS,
    });
    try {
      await log.waitFor((e) => e.type === 'added' && e.endpoint.id === id, 2000, 'added event');
      // Alive, it answers our refresh queries, so it outlives its TTL.
      await new Promise((resolve) => setTimeout(resolve, ttlS * 1000 * 1.5));
      expect(log.about(id).map((event) => event.type)).toEqual(['added']);

      await stopPublisher(publisher, 'kill');
      const removed = await log.waitFor(
        (event) => event.type === 'removed' && event.endpoint.id === id,
        ttlS * 1000 + 2000,
        'removed event',
      );
      expect(removed).toMatchObject({ reason: 'expired' });
      expect(removed.endpoint.formats).toBeUndefined();
    } finally {
      await stopPublisher(publisher, 'kill');
      log.unsubscribe();
      await discovery.close();
    }
  }, 20_000);
});

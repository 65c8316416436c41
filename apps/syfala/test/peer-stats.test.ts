import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { EngineStats, StreamEngine } from '@syfala/audio';
import type { ControlStatsCounters } from '@syfala/proto';
import { openSession } from '@syfala/remote';
import { ImpairmentRelay } from '@syfala/relay';
import { Daemon, defaultPlayout, peerId } from '../src/index.js';
import { startEngine } from '../src/engines.js';
import { BIN, LOOPBACK_SERVE, ROOT, expectOneSentence, jsonLines, syfala } from './cli-process.js';
import { sleep } from './fixtures.js';

const FORMAT = { sampleType: 'f32', sampleRate: 48_000, channels: 2, bufferFrames: 32 } as const;
const VIRTUAL = { backend: 'virtual', options: {} } as const;
/** 100 ms of jitter buffer, as in cli.test.ts: the checks must not hang on scheduling. */
const LATENCY = 4800;
const RESOLVE = ['--timeout', '300'];

type Counters = Record<string, number>;

async function startDaemon(): Promise<Daemon> {
  const daemon = await Daemon.start({
    name: 'studio',
    formats: { inputs: [FORMAT], outputs: [FORMAT] },
    host: '127.0.0.1',
    udpPort: 0,
    controlPort: 0,
    discovery: { group: false, mdns: false },
    device: VIRTUAL,
    playout: { latency: LATENCY, driftCompensation: false },
  });
  onTestFinished(() => daemon.close());
  return daemon;
}

/** Polls `read` until it gives a value, for at most 10 s. */
async function eventually<T>(what: string, read: () => T | undefined): Promise<T> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(50)) {
    const value = read();
    if (value !== undefined) return value;
  }
  throw new Error(`never saw ${what}`);
}

const lost = <T extends { session: ControlStatsCounters }>(report: T | undefined): T | undefined =>
  (report?.session.lostFrames ?? 0) > 0 ? report : undefined;

const lostOf = (stats: EngineStats): number =>
  stats.peers[0]!.received.reduce((total, s) => total + s.lostFrames, 0);

describe('Stats both ways between the daemon and a client', () => {
  it(
    'each side learns what the other loses, through a relay that drops audio both ways',
    { timeout: 30_000 },
    async () => {
      const daemon = await startDaemon();
      let relay: ImpairmentRelay | undefined;
      // The client's audio goes through the relay, in front of the daemon's audio socket: it
      // announces the relay's port as its own and sends there, so each side sees the relay.
      const session = await openSession(
        {
          host: '127.0.0.1',
          udpPort: daemon.server.udpPort,
          controlPort: daemon.server.controlPort,
        },
        {
          playout: defaultPlayout('virtual'),
          startEngine: async (bind) => {
            const started = await startEngine(VIRTUAL, bind);
            const { engine } = started;
            relay = await ImpairmentRelay.start({
              target: { address: '127.0.0.1', port: daemon.engine.port },
              impairments: { toTarget: { loss: 0.05 }, toSource: { loss: 0.05 } },
              seed: 17,
            });
            onTestFinished(() => relay!.close());
            const port = relay.port;
            const viaRelay: StreamEngine = {
              port,
              get device() {
                return engine.device;
              },
              deviceLost: engine.deviceLost,
              addPeer: (spec) => engine.addPeer({ ...spec, port }),
              setSending: (id, enabled) => engine.setSending(id, enabled),
              removePeer: (id) => engine.removePeer(id),
              stats: () => engine.stats(),
              close: () => engine.close(),
            };
            return { ...started, engine: viaRelay };
          },
        },
      );
      onTestFinished(() => session.close());
      const server = daemon.server.sessions[0]!;

      // The daemon hears of the client's loss from its Stats; what it heard is what the client
      // had counted by then.
      const clientView = await eventually('the client’s loss', () => lost(server.peerStats()));
      expect(clientView.streams.map((s) => [s.direction, s.streamIndex])).toEqual([
        ['output', 0],
        ['input', 0],
      ]);
      expect(lostOf(await session.stats())).toBeGreaterThanOrEqual(clientView.session.lostFrames!);
      // And the client of the daemon's.
      const daemonView = await eventually('the daemon’s loss', () => lost(session.peerStats()));
      const daemonStats = await daemon.engine.stats();
      expect(daemonStats.peers[0]!.id).toBe(peerId(server));
      expect(lostOf(daemonStats)).toBeGreaterThanOrEqual(daemonView.session.lostFrames!);
      expect(relay!.report().toTarget.dropped).toBeGreaterThan(0);

      // As I/O stops, the last Stats go both ways: the totals outlive the session.
      const ended = server.ended;
      await session.close();
      await ended;
      expect(server.peerStats()!.session.lostFrames).toBeGreaterThanOrEqual(
        clientView.session.lostFrames!,
      );
      expect(daemon.localView(server)!.session.lostFrames).toBeGreaterThanOrEqual(
        daemonView.session.lostFrames!,
      );
    },
  );
});

describe('both views through the CLI', () => {
  it(
    'serve logs the client’s view and per-session totals of both sides; connect’s summary has the server’s',
    { timeout: 30_000 },
    async () => {
      const daemon = syfala([
        'serve',
        ...LOOPBACK_SERVE,
        '--latency',
        String(LATENCY),
        '--log',
        'json',
      ]);
      const listening = await daemon.logEvent('listening');
      const client = syfala([
        'connect',
        `127.0.0.1:${listening['udpPort'] as number}`,
        ...RESOLVE,
        '--latency',
        String(LATENCY),
        '--client-name',
        'Stage left',
        '--duration',
        '6',
        '--json',
      ]);
      const stats = await daemon.jsonLine(
        'stderr',
        (line) => line['event'] === 'stats' && 'peerView' in (line['peers'] as object[])[0]!,
        15_000,
      );
      const [peer] = stats['peers'] as { client: string; peerView: Counters }[];
      expect(peer!.client).toBe('Stage left');
      expect(peer!.peerView.packetsReceived).toBeGreaterThan(0);
      expect(peer!.peerView.packetsSent).toBeGreaterThan(0);

      expect((await client.exited).code).toBe(0);
      const summary = jsonLines(client.stdout).find((line) => line['type'] === 'summary')!;
      const closed = await daemon.logEvent('session-closed');
      expect(closed['client']).toBe('Stage left');
      const totals = closed['totals'] as { local: Counters; peer: Counters };
      // Each side's own count of the client's audio: the daemon received what the client sent,
      // but for datagrams still queued when it read its counters (the client's are final: it
      // stopped sending before its last Stats).
      expect(totals.local.packetsReceived).toBeGreaterThan(0);
      expect(totals.local.packetsReceived).toBeLessThanOrEqual(totals.peer.packetsSent!);
      expect(totals.peer.packetsReceived).toBeGreaterThan(0);
      const serverView = summary['serverView'] as Counters;
      expect(serverView.packetsReceived).toBeGreaterThan(0);
      expect(serverView.packetsReceived).toBeLessThanOrEqual(totals.local.packetsReceived!);
      expect(serverView.lostFrames).toBeLessThanOrEqual(totals.local.lostFrames!);
    },
  );

  it(
    'connect’s text summary on a terminal says what the server got from us',
    { timeout: 30_000 },
    async () => {
      const daemon = syfala(['serve', ...LOOPBACK_SERVE, '--name', 'Studio', '--log', 'json']);
      const listening = await daemon.logEvent('listening');
      // script(1) gives connect a terminal: the summary is then text for a person.
      const command = [
        process.execPath,
        BIN,
        'connect',
        `127.0.0.1:${listening['udpPort'] as number}`,
        ...RESOLVE,
        '--duration',
        '2',
      ].join(' ');
      const terminal = spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT });
      onTestFinished(() => void (terminal.exitCode === null && terminal.kill('SIGKILL')));
      let output = '';
      terminal.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      const [code] = (await once(terminal, 'close')) as [number];
      expect(code).toBe(0);
      expect(output).toMatch(
        /^Studio says: sent \d+, received [1-9]\d* datagrams, lost \d+ frames, late \d+, duplicate \d+, underruns \d+, skipped \d+ frames\r?$/m,
      );
    },
  );

  it.each([
    ['empty', '', '""'],
    ['blank', '   ', '"   "'],
    ['with a tab', 'tab\there', '"tab\\there"'],
    ['of 256 bytes', 'x'.repeat(256), `"${'x'.repeat(256)}"`],
  ])('connect refuses a --client-name %s in one sentence naming it', async (_what, name, shown) => {
    const client = syfala(['connect', '127.0.0.1:9', ...RESOLVE, '--client-name', name]);
    const exit = await client.exited;
    expectOneSentence(
      { code: exit.code, stderr: client.stderr },
      /--client-name must be 1 to 255 UTF-8 bytes of printable text/,
    );
    expect(client.stderr).toContain(`got ${shown}`);
  });
});

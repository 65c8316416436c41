import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AudioEngine, type EngineStats, type PeerSpec, type StreamEngine } from '@syfala/audio';
import type { ConnectTarget } from '@syfala/network';
import { ImpairmentRelay, type DirectionReport, type Impairments } from '@syfala/relay';
import { openSession, type RemoteSession } from '@syfala/remote';
import { ROOT, expectOneSentence, syfala, LOOPBACK_SERVE } from './cli-process.js';
import { tempDir } from './fixtures.js';
import type { SessionStatus } from '../src/observe/status.js';
import { serveWithMetrics, statusOf } from './observe.js';
import { sleep } from './fixtures.js';

/**
 * The real checkers (.ci/run installs both): promtool from Debian's prometheus package, and the
 * Prometheus project's Python client (python3-prometheus-client), whose parsers read both formats.
 */
const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
const hasParser =
  spawnSync('/usr/bin/python3', ['-c', 'import prometheus_client.openmetrics.parser']).status === 0;
const needsTools =
  hasPromtool && hasParser
    ? ''
    : ' [skipped: needs promtool and the Python Prometheus client; apt-get install prometheus python3-prometheus-client]';

/** f32, 2 channels: the daemon's default streams. */
const FRAME_BYTES = 8;
const OPENMETRICS = 'application/openmetrics-text; version=1.0.0';

describe('syfala serve --metrics', () => {
  it(
    `serves what promtool and the OpenMetrics parser accept, with the counters of a lossy stream as the daemon, the client and the relay count them${needsTools}`,
    { timeout: 40_000, skip: needsTools !== '' },
    async () => {
      // 200 ms of buffer: on a busy machine the virtual card's timer stalls, and a jitter buffer
      // that runs dry conceals more than the relay spoiled. The client adapts its latency, so its
      // Stats carry jitter too.
      const { base, udpPort, controlPort } = await serveWithMetrics([
        '--latency',
        '9600',
        '--drift-compensation',
      ]);
      // The client's audio to the daemon loses 3% of its datagrams, and 1% arrive with a bit
      // flipped: the encrypted audio fails authentication there.
      const { session, relay } = await relayedClient(
        { host: '127.0.0.1', udpPort, controlPort },
        {
          loss: 0.03,
          corrupt: { probability: 0.01, maxBits: 1 },
        },
      );
      await sleep(3000);
      const relayEarlier = relay.report().toSource;
      await sleep(1500);

      const before = await statusOf(base);
      const openMetrics = await scrape(base, OPENMETRICS);
      const prometheus = await scrape(base, 'text/plain');
      const after = await statusOf(base);
      const relayLater = relay.report().toSource;
      const clientStats = await session.stats();
      await session.close();
      await relay.close();

      expect(openMetrics.contentType).toBe(
        'application/openmetrics-text; version=1.0.0; charset=utf-8',
      );
      expect(openMetrics.body.endsWith('# EOF\n')).toBe(true);
      expect(prometheus.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await promtool(prometheus.body)).toEqual(ok);
      // Both formats carry the same series (OpenMetrics names counters' families without _total).
      const samples = await parseSamples(prometheus.body, 'prometheus');
      const openMetricsSamples = await parseSamples(openMetrics.body, 'openmetrics');
      expect([...openMetricsSamples.keys()]).toEqual([...samples.keys()]);

      // Every name of OBSERVABILITY.md §4 is served, and nothing else.
      const served = new Set([...samples.keys()].map((key) => key.split('{')[0]!));
      expect([...served].sort()).toEqual(section4Names().sort());

      const sessionBefore = before.sessions[0]!;
      const sessionAfter = after.sessions[0]!;
      const id = sessionBefore.id;
      const labels = (direction: string, view: string): string =>
        `{client="${sessionBefore.client}",direction="${direction}",session="${id}",stream="1",view="${view}"}`;
      const value = (name: string, labelText = ''): number => {
        const found = samples.get(`${name}${labelText}`);
        if (found === undefined) throw new Error(`no sample ${name}${labelText}`);
        return found;
      };
      const received = labels('receive', 'local');
      const stream = (status: SessionStatus) =>
        status.local!.streams.find((s) => s.direction === 'receive')!;

      // The daemon's counters, read between two reads of /status.json.
      for (const [metric, field] of [
        ['syfala_stream_packets_total', 'packets'],
        ['syfala_stream_bytes_total', 'bytes'],
        ['syfala_stream_lost_frames_total', 'lostFrames'],
        ['syfala_stream_missing_frames_total', 'missingFrames'],
        ['syfala_stream_underruns_total', 'underruns'],
        ['syfala_stream_skipped_frames_total', 'skippedFrames'],
      ] as const) {
        expect(value(metric, received)).toBeGreaterThanOrEqual(stream(sessionBefore)[field]!);
        expect(value(metric, received)).toBeLessThanOrEqual(stream(sessionAfter)[field]!);
      }
      expect(value('syfala_sessions', '{state="streaming"}')).toBe(1);
      expect(value('syfala_stream_target_latency_seconds', received)).toBeGreaterThan(0);

      // What the daemon received is what the relay passed on (but for the last few in flight).
      const packets = value('syfala_stream_packets_total', received);
      expect(packets).toBeGreaterThanOrEqual(relayEarlier.sent);
      expect(packets).toBeLessThanOrEqual(relayLater.sent);
      expect(relayLater.dropped).toBeGreaterThan(0);
      // Every datagram that failed authentication is one the relay corrupted (or a decode
      // error, where the flip hit the clear header).
      const authFailures = value(
        'syfala_session_auth_failures_total',
        `{client="${sessionBefore.client}",session="${id}"}`,
      );
      const rejected = ['truncated', 'bad_magic', 'bad_version', 'unknown_tag', 'bad_field']
        .map((reason) => value('syfala_socket_rejected_datagrams_total', `{reason="${reason}"}`))
        .reduce((a, b) => a + b, 0);
      expect(relayEarlier.corrupted).toBeGreaterThan(0);
      expect(authFailures + rejected).toBeGreaterThanOrEqual(relayEarlier.corrupted);
      expect(authFailures + rejected).toBeLessThanOrEqual(relayLater.corrupted);
      // Lost frames: those the relay did not deliver, once due (the jitter buffer holds the latest
      // 0.2 s, which the 1.5 s between the relay's two reports covers). The client's first
      // datagrams, sent before the daemon's first reached the relay, are undelivered too.
      const lost = value('syfala_stream_lost_frames_total', received);
      expect(lost).toBeGreaterThanOrEqual(undeliveredFrames(relayEarlier));
      expect(lost).toBeLessThanOrEqual(undeliveredFrames(relayLater));

      // The client's view, from its Stats (sent once a second): what it sent, what it got.
      const clientSent = clientStats.peers[0]!.sent[0]!.datagrams;
      const peerSent = value('syfala_stream_packets_total', labels('receive', 'peer'));
      expect(peerSent).toBeLessThanOrEqual(clientSent);
      expect(peerSent).toBeGreaterThanOrEqual(relayEarlier.received);
      const peerReceived = value('syfala_stream_packets_total', labels('send', 'peer'));
      expect(peerReceived).toBeGreaterThan(0);
      expect(peerReceived).toBeLessThanOrEqual(
        value('syfala_stream_packets_total', labels('send', 'local')),
      );
    },
  );

  it('refuses a bad --metrics value or config key in one sentence, and a port in use', async () => {
    const bad = async (args: string[], pattern: RegExp): Promise<void> => {
      const cli = syfala(['serve', ...LOOPBACK_SERVE, ...args]);
      await cli.exited;
      expectOneSentence({ code: (await cli.exited).code, stderr: cli.stderr }, pattern);
    };
    await bad(
      ['--metrics', '70000'],
      /^syfala: --metrics's port must be an integer from 0 to 65535, got "70000"$/,
    );
    await bad(
      ['--metrics', 'localhost:9464'],
      /^syfala: --metrics: "localhost" is not an IP address \(in "localhost:9464"\)$/,
    );
    await bad(
      ['--metrics', '::1:9464'],
      /^syfala: --metrics must be \[ADDRESS:\]PORT \(9464, 127\.0\.0\.1:9464 or \[::1\]:9464\), got "::1:9464"$/,
    );
    const config = join(tempDir(), 'serve.json');
    writeFileSync(config, JSON.stringify({ metrics: '127.0.0.1:x' }));
    await bad(
      ['--config', config],
      /^syfala: metrics in .*serve\.json's port must be an integer from 0 to 65535, got "x"$/,
    );

    const { base } = await serveWithMetrics();
    const port = new URL(base).port;
    await bad(
      ['--metrics', port],
      new RegExp(`^syfala: --metrics: 127\\.0\\.0\\.1:${port} is in use$`),
    );
  });

  it('takes its address from a config file, as [::1]:PORT too', async () => {
    const config = join(tempDir(), 'serve.json');
    writeFileSync(config, JSON.stringify({ metrics: '[::1]:0' }));
    const cli = syfala(['serve', ...LOOPBACK_SERVE, '--config', config, '--log', 'json']);
    const listening = await cli.logEvent('metrics-listening');
    expect(listening['address']).toBe('::1');
    const response = await fetch(`${listening['url'] as string}metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^syfala_sessions\{state="streaming"\} 0$/m);
    expect((await fetch(`${listening['url'] as string}nothing`)).status).toBe(404);
    expect((await fetch(`${listening['url'] as string}metrics`, { method: 'POST' })).status).toBe(
      405,
    );
  });
});

const ok = { status: 0, stderr: '' };

/** `promtool check metrics` on a scrape: exit status and complaints (lint problems included). */
async function promtool(body: string): Promise<{ status: number | null; stderr: string }> {
  const run = await runWith(body, 'promtool', ['check', 'metrics']);
  return { status: run.status, stderr: run.stderr + run.stdout };
}

/** Runs a tool on `input` without blocking the event loop (the test's client lives on it). */
async function runWith(
  input: string,
  command: string,
  args: readonly string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(input);
  const [status] = (await once(child, 'close')) as [number | null];
  return { status, stdout, stderr };
}

async function scrape(
  base: string,
  accept: string,
): Promise<{ contentType: string; body: string }> {
  const response = await fetch(`${base}/metrics`, { headers: { accept } });
  expect(response.status).toBe(200);
  return { contentType: response.headers.get('content-type')!, body: await response.text() };
}

/**
 * The samples of a scrape as the Prometheus project's own Python client parses them (its strict
 * OpenMetrics parser, or the Prometheus text one): `name{label="value",…}` (labels sorted) → value.
 */
async function parseSamples(
  text: string,
  format: 'openmetrics' | 'prometheus',
): Promise<Map<string, number>> {
  const module =
    format === 'openmetrics' ? 'prometheus_client.openmetrics.parser' : 'prometheus_client.parser';
  const script =
    `import json, sys\nfrom ${module} import text_string_to_metric_families as parse\n` +
    'print(json.dumps([[s.name, s.labels, s.value] for f in parse(sys.stdin.read()) for s in f.samples]))';
  const run = await runWith(text, '/usr/bin/python3', ['-c', script]);
  if (run.status !== 0) throw new Error(`the ${format} parser refused the scrape: ${run.stderr}`);
  const samples = new Map<string, number>();
  for (const [name, labels, value] of JSON.parse(run.stdout) as [
    string,
    Record<string, string>,
    number,
  ][]) {
    const text = Object.keys(labels)
      .sort()
      .map((key) => `${key}="${labels[key]}"`)
      .join(',');
    samples.set(text === '' ? name : `${name}{${text}}`, value);
  }
  return samples;
}

/** The metric names of docs/OBSERVABILITY.md §4's table (first column, in backquotes). */
function section4Names(): string[] {
  const doc = readFileSync(join(ROOT, 'docs/OBSERVABILITY.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## 4. Metric names'));
  return [...section.matchAll(/^\| `(syfala_[a-z_]+)`/gm)].map((match) => match[1]!);
}

/** Frames of stream 0 the relay did not deliver: dropped, unroutable, or corrupted (sealed: refused). */
function undeliveredFrames(report: DirectionReport): number {
  const bytes = report.streams[0]!.undelivered.reduce(
    (total, [start, end]) => total + end - start,
    0,
  );
  return bytes / FRAME_BYTES;
}

/**
 * A client of the library's own (openSession, a TS engine on the virtual card) whose audio
 * socket sits behind an impairment relay: it announces the relay's port, so the daemon sends
 * there, and sends there itself, so what it sends is impaired on the way (`toSource`).
 */
async function relayedClient(
  target: ConnectTarget,
  toDaemon: Impairments,
): Promise<{ session: RemoteSession; relay: ImpairmentRelay }> {
  let relay: ImpairmentRelay | undefined;
  const session = await openSession(target, {
    playout: { latency: 'auto', driftCompensation: true },
    startEngine: async (bind) => {
      const engine = await AudioEngine.start({ bind });
      relay = await ImpairmentRelay.start({
        target: { address: '127.0.0.1', port: engine.port },
        impairments: { toSource: toDaemon },
        seed: 17,
      });
      return {
        engine: new RelayedEngine(engine, relay.port),
        openDevice: (streams) => engine.openDevice({ backend: 'virtual', streams, options: {} }),
      };
    },
  });
  return { session, relay: relay! };
}

/** An engine seen through a relay at `port`: announced as its own, and where it sends. */
class RelayedEngine implements StreamEngine {
  readonly #engine: StreamEngine;
  readonly port: number;

  constructor(engine: StreamEngine, port: number) {
    this.#engine = engine;
    this.port = port;
  }

  get device(): StreamEngine['device'] {
    return this.#engine.device;
  }

  get deviceLost(): Promise<Error> {
    return this.#engine.deviceLost;
  }

  addPeer(peer: PeerSpec): Promise<void> {
    return this.#engine.addPeer({ ...peer, port: this.port });
  }

  setSending(id: string, enabled: boolean): Promise<void> {
    return this.#engine.setSending(id, enabled);
  }

  removePeer(id: string): void {
    this.#engine.removePeer(id);
  }

  stats(): Promise<EngineStats> {
    return this.#engine.stats();
  }

  close(): Promise<void> {
    return this.#engine.close();
  }
}

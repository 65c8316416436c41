/**
 * Flood bench (issue #7): does hostile traffic starve a running session? One `syfala serve`
 * (its Daemon, in a child process) streams both ways with one real client (this process) while a
 * third process floods it from many source ports: (a) junk datagrams to the audio and UDP
 * control ports, (b) TCP connections that hang, send garbage or half a frame, reset, or say Hello
 * and vanish, (c) UDP control handshake spam; then all three at once. A quiet phase before and
 * after is the baseline from the same run. Everything stays on 127.0.0.1.
 *
 *   bash scripts/pnpm.sh exec tsx bench/flood.ts [--seconds 10] [--sockets 200]
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { EngineStats, ReceivedStreamStats } from '@syfala/audio';
import { connect } from '@syfala/network';
import { machineLine, median, mib, sleep, table } from './bench-report.js';
import { zeroFloodCounts, type FloodCounts } from './flood-sources.js';
import { LoadProcess, type FloodKind } from './load-process.js';
import { ServerProcess, type ServerPorts, type ServerSample } from './server-process.js';
import { StreamSession } from './stream-session.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    sockets: { type: 'string', default: '200' },
  },
});
const PHASE_MS = Number(args.seconds) * 1000;
const SOCKETS = Number(args.sockets);
const SAMPLE_MS = 1000;
/** Each phase's window runs on this long after its flood: the backlog drains where it was made. */
const TAIL_MS = 2000;
/** A fresh client tries to connect this often while a phase's flood runs. */
const PROBE_MS = 1000;

const PHASES: ReadonlyArray<{ name: string; kinds: FloodKind[] }> = [
  { name: 'quiet (baseline)', kinds: [] },
  { name: '(a) junk datagrams', kinds: ['datagrams'] },
  { name: '(b) TCP connections', kinds: ['tcp'] },
  { name: '(c) UDP handshake spam', kinds: ['handshakes'] },
  { name: '(a)+(b)+(c) at once', kinds: ['datagrams', 'tcp', 'handshakes'] },
  { name: 'quiet (after)', kinds: [] },
];

/** What a streaming direction lost, late or ran dry during a phase. */
interface Glitches {
  lostFrames: number;
  late: number;
  underruns: number;
  overruns: number;
  datagrams: number;
}

interface PhaseResult {
  readonly name: string;
  readonly sent: FloodCounts;
  /** The whole machine's CPU busy over the phase, in cores (every process, not just ours). */
  readonly machineBusyCores: number;
  /** Deltas of the server's counters over the phase. */
  readonly server: ServerSample;
  readonly kernelDrops: { audio: number; control: number };
  readonly down: Glitches;
  readonly up: Glitches;
  readonly xruns: number;
  /** The last one taken after a full garbage collection. */
  readonly ticks: readonly ServerSample[];
  readonly sessionEnded: string | undefined;
  /** New clients that connected while the flood ran, of those that tried. */
  readonly probes: { ok: number; tried: number };
}

/** Jiffies the machine's CPUs have been busy and in all, since boot (/proc/stat). */
function machineCpu(): { busy: number; total: number } {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number);
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { busy, total: busy + idle! + iowait! };
}

/** Datagrams the kernel dropped at each local 127.0.0.1 UDP port (its receive buffer was full). */
function kernelDrops(): Map<number, number> {
  const drops = new Map<number, number>();
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const [address, port] = (fields[1] ?? '').split(':');
    if (address !== '0100007F' || port === undefined) continue;
    drops.set(parseInt(port, 16), Number(fields.at(-1)));
  }
  return drops;
}

/** `after - before` for every number in a tree of counters (gauges come out as differences too). */
function delta<T>(after: T, before: T): T {
  if (typeof after === 'number') return (after - (before as number)) as T;
  if (after === null || typeof after !== 'object') return after;
  if (Array.isArray(after)) return after;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(after)) {
    out[key] = delta(value, (before as Record<string, unknown>)?.[key] ?? 0);
  }
  return out as T;
}

const sum = (counts: Partial<Record<string, number>>): number =>
  Object.values(counts).reduce<number>((a, b) => a + (b ?? 0), 0);

function glitches(stats: EngineStats, peer: string | undefined): Glitches {
  const found = peer === undefined ? stats.peers[0] : stats.peers.find((p) => p.id === peer);
  const streams: readonly ReceivedStreamStats[] = found?.received ?? [];
  const total = (key: keyof ReceivedStreamStats): number =>
    streams.reduce((a, s) => a + (s[key] as number), 0);
  return {
    lostFrames: total('lostFrames'),
    late: total('late'),
    underruns: total('underruns'),
    overruns: total('overrunDatagrams'),
    datagrams: total('datagrams'),
  };
}

/** A fresh client every PROBE_MS while `running()`, connecting and leaving at once. */
async function probeNewSessions(
  ports: ServerPorts,
  running: () => boolean,
): Promise<{ ok: number; tried: number }> {
  const probes = { ok: 0, tried: 0 };
  while (running()) {
    probes.tried++;
    try {
      const target = { host: '127.0.0.1', ...ports };
      await (await connect(target, { transport: 'tcp', clientName: 'probe' })).disconnect();
      probes.ok++;
    } catch {
      // Dropped, refused or timed out: not ok.
    }
    await sleep(PROBE_MS);
  }
  return probes;
}

async function runPhase(
  phase: (typeof PHASES)[number],
  server: ServerProcess,
  session: StreamSession,
  load: LoadProcess,
): Promise<PhaseResult> {
  const clientPeer = `127.0.0.1:${session.audioPort}`;
  const first = await server.sample(false);
  const clientBefore = await session.stats();
  const dropsBefore = kernelDrops();
  const cpuBefore = machineCpu();
  const ticks: ServerSample[] = [first];
  const ticker = setInterval(() => void server.sample(false).then((s) => ticks.push(s)), SAMPLE_MS);
  let flooding = true;
  const probing = probeNewSessions(server.ports, () => flooding);
  const sent =
    phase.kinds.length === 0
      ? await sleep(PHASE_MS).then(zeroFloodCounts)
      : await load.run({
          kinds: phase.kinds,
          durationMs: PHASE_MS,
          ports: server.ports,
          sockets: SOCKETS,
        });
  flooding = false;
  const probes = await probing;
  await sleep(TAIL_MS);
  clearInterval(ticker);
  const last = await server.sample(true);
  ticks.push(last);
  const clientAfter = await session.stats();
  const dropsAfter = kernelDrops();
  const cpuAfter = machineCpu();
  const { audioPort, udpPort } = server.ports;
  const dropped = (port: number): number =>
    (dropsAfter.get(port) ?? 0) - (dropsBefore.get(port) ?? 0);
  return {
    name: phase.name,
    sent,
    machineBusyCores:
      ((cpuAfter.busy - cpuBefore.busy) / (cpuAfter.total - cpuBefore.total)) * cpus().length,
    server: delta(last, first),
    kernelDrops: { audio: dropped(audioPort), control: dropped(udpPort) },
    down: delta(glitches(clientAfter, undefined), glitches(clientBefore, undefined)),
    up: delta(glitches(last.engine, clientPeer), glitches(first.engine, clientPeer)),
    xruns: delta(
      (clientAfter.device?.xruns ?? 0) + (last.engine.device?.xruns ?? 0),
      (clientBefore.device?.xruns ?? 0) + (first.engine.device?.xruns ?? 0),
    ),
    ticks,
    sessionEnded:
      session.end === undefined ? undefined : `${session.end.reason} (${session.end.text})`,
    probes,
  };
}

function report(results: readonly PhaseResult[]): void {
  const n = (value: number): string => value.toLocaleString('en-US');
  console.log('\nWhat the flood sent, and what the server counted as rejected:\n');
  console.log(
    table(
      [
        'phase',
        'datagrams sent (audio / UDP ctl / handshake; send errors)',
        'offers the spam got',
        'TCP attempts / connected / ended by the server / errors',
        'engine: rejected / unknown source',
        'kernel drops (audio / UDP ctl)',
        'UDP ctl: decode errors / unknown peer / DSCV rate-limited / sessions',
        'TCP: accepted / dropped (pending full) / timeouts / decode errors / sessions',
      ],
      results.map((r) => {
        const { udp, tcp } = r.server.server;
        const s = r.sent;
        return [
          r.name,
          `${n(s.audioPortDatagrams)} / ${n(s.controlPortDatagrams)} / ${n(s.handshakeDatagrams)}; ${n(s.udpSendErrors)}`,
          n(s.offersReceived),
          `${n(s.tcpAttempts)} / ${n(s.tcpConnected)} / ${n(s.tcpEndedByServer)} / ${n(s.tcpErrors)}`,
          `${n(sum(r.server.engine.socket.rejected))} / ${n(r.server.engine.socket.unknownSource)}`,
          `${n(r.kernelDrops.audio)} / ${n(r.kernelDrops.control)}`,
          `${n(sum(udp.decodeErrors))} / ${n(udp.unknownPeer)} / ${n(udp.discoveryRateLimited)} / ${n(udp.handshakesCompleted)}`,
          `${n(tcp!.connectionsAccepted)} / ${n(tcp!.droppedTooManyPending)} / ${n(tcp!.handshakeTimeouts)} / ${n(sum(tcp!.decodeErrors))} / ${n(tcp!.handshakesCompleted)}`,
        ];
      }),
    ),
  );

  console.log('\nThe streaming session (down: server → client, up: client → server):\n');
  const g = (x: Glitches): string => `${x.lostFrames} / ${x.late} / ${x.underruns} / ${x.overruns}`;
  console.log(
    table(
      [
        'phase',
        'down datagrams',
        'down lost frames / late / underruns / overruns',
        'up datagrams',
        'up lost frames / late / underruns / overruns',
        'device xruns',
        'session',
        'new sessions during the flood (ok / tried)',
      ],
      results.map((r) => [
        r.name,
        n(r.down.datagrams),
        g(r.down),
        n(r.up.datagrams),
        g(r.up),
        String(r.xruns),
        r.sessionEnded === undefined ? 'streaming' : `ended: ${r.sessionEnded}`,
        `${r.probes.ok} / ${r.probes.tried}`,
      ]),
    ),
  );

  console.log(`\nThe server process, per ${SAMPLE_MS / 1000} s sample (median, and max):\n`);
  console.log(
    table(
      [
        'phase',
        'CPU % (all threads)',
        'RSS MiB',
        'fds',
        'event-loop delay p99 ms',
        'max ms',
        'heap MiB at the end, after GC',
        'machine CPU busy (cores, all processes)',
      ],
      results.map((r) => {
        const cpu: number[] = [];
        for (let i = 1; i < r.ticks.length; i++) {
          const [a, b] = [r.ticks[i - 1]!, r.ticks[i]!];
          // Samples a moment apart (the phase's last) say little about a rate.
          if (b.timeMs - a.timeMs < SAMPLE_MS / 2) continue;
          cpu.push(
            ((b.process.cpuMicros - a.process.cpuMicros) / ((b.timeMs - a.timeMs) * 1000)) * 100,
          );
        }
        const rss = r.ticks.map((t) => t.process.rssBytes);
        const fds = r.ticks.map((t) => t.process.fds);
        const p99 = r.ticks.slice(1).map((t) => t.eventLoop.p99Ms);
        const max = Math.max(...r.ticks.slice(1).map((t) => t.eventLoop.maxMs));
        return [
          r.name,
          `${median(cpu).toFixed(0)} (${Math.max(...cpu).toFixed(0)})`,
          `${mib(median(rss))} (${mib(Math.max(...rss))})`,
          `${median(fds)} (${Math.max(...fds)})`,
          median(p99).toFixed(1),
          max.toFixed(1),
          mib(r.ticks.at(-1)!.process.heapUsedBytes),
          r.machineBusyCores.toFixed(2),
        ];
      }),
    ),
  );
}

async function main(): Promise<void> {
  console.log(machineLine());
  console.log(
    `Phases of ${PHASE_MS / 1000} s (+ ${TAIL_MS / 1000} s for the backlog to drain); ` +
      `${SOCKETS} source ports per datagram flood; the server's ` +
      `streams: f32 48 kHz stereo each way, 32-frame periods, 480-frame jitter target\n`,
  );
  const server = await ServerProcess.start();
  const load = await LoadProcess.start();
  let session: StreamSession | undefined;
  try {
    session = await StreamSession.start(server.ports);
    await sleep(1000); // past priming: the baseline starts on a settled stream
    const results: PhaseResult[] = [];
    for (const phase of PHASES) {
      process.stderr.write(`  ${phase.name} …\n`);
      results.push(await runPhase(phase, server, session, load));
    }
    report(results);
  } finally {
    await session?.close();
    await Promise.all([load.close(), server.close()]);
  }
}

await main();

/**
 * Glitches under impairment, syfala's native engine beside JackTrip in the same run (issue #7):
 *
 *   bash scripts/pnpm.sh --filter @syfala/bench impairment [--seconds 60] [--runs 3]
 *        [--queues 4,16] [--latency 32,128] [--order reorder,keep] [--seed 42]
 *
 * Per bridge and run: fresh dummy servers A and B (48 kHz, 64 frames); one syfala-relay process
 * between the bridge's two sides, the same seed for every bridge of a run, impairing both
 * directions with 1 % loss, 1 % reordering (one position) and 2 ± 2 ms jitter, the jitter
 * reordering as netem's does or keeping order (--order). On B, jack_simple_client's 240 Hz sine goes into the bridge's channel 2, A
 * loops it back, and jack_rec records it on B beside the sine itself (the rig's own glitches);
 * meanwhile jack_iodelay measures the round trip on channel 1. Both the recording and each
 * system's own counters cover the same window, after a warm-up.
 *
 * syfala runs as the library (engine-side.ts, one process per side), since only the engine's
 * peer API lets the audio go to the relay's port; JackTrip's client is told the relay's port (-P).
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { EngineStats } from '@syfala/audio';
import {
  ManagedProcess,
  measureRoundTrip,
  sleep,
  startJackServer,
  uniqueServerName,
  type JackServer,
  type RoundTrip,
} from '@syfala/jack-rig';
import type { RelayReport } from '@syfala/relay';
import { median } from '../bench-report.js';
import { freeUdpPort, JACKTRIP, jacktrip, range } from './bridges.js';
import { fmt, machine, numberList, SAMPLE_RATE, table, track, untrackAndStop } from './rig.js';
import type { SineGlitches } from '@syfala/jack-rig';
import { ToneProbe } from './tone-probe.js';

const PERIOD_FRAMES = 64;
/** Channel 1 carries jack_iodelay's round trip, channel 2 the tone. */
const CHANNELS = 2;
const TONE_CHANNEL = 2;
/** Buffers fill and counters start printing before the window opens. */
const WARMUP_SECONDS = 3;
const RELAY_BIN = fileURLToPath(
  new URL('../../packages/relay/bin/syfala-relay.mjs', import.meta.url),
);
/** Both directions: issue #7's impairments. */
const IMPAIRMENTS = ['--loss', '1%', '--reorder', '1%', '--delay', '2ms', '--jitter', '2ms'];
/**
 * How the jitter treats order. `reorder`: as netem's, a copy leaves when its delay is up, so
 * datagrams 1.3 ms apart overtake each other all the time. `keep`: a FIFO whose service time
 * varies (--keep-order), closer to a router's queue; only the 1 % reordering reorders.
 */
const JITTER_ORDERS = { reorder: [], keep: ['--keep-order'] } as const;
type JitterOrder = keyof typeof JITTER_ORDERS;
const ENGINE_SIDE = fileURLToPath(new URL('./engine-side.ts', import.meta.url));
const SIDE_START_TIMEOUT_MS = 15_000;
const IMPAIRMENT_TEXT = '1 % loss, 1 % reordering (one position), 2 ± 2 ms jitter, both ways';

/** What a system says of the audio it received, summed over both sides, cumulative. */
interface OwnCounters {
  underruns: number;
  /** Frames played without their data: concealed, or silence while priming again. */
  concealedFrames: number;
}

interface ContenderRun {
  sendB(channel: number): string;
  receiveB(channel: number): string;
  /** The latest the system printed (once a second). */
  counters(): OwnCounters;
  stop(): Promise<void>;
}

/** A bridge between A and B whose datagrams go through the relay. */
interface Contender {
  /** Its name and latency option, as its own command line or API says it. */
  readonly label: string;
  /** `relay(port)` starts the relay in front of A's `port` and gives the port B must send to. */
  start(
    a: JackServer,
    b: JackServer,
    relay: (port: number) => Promise<number>,
  ): Promise<ContenderRun>;
}

// ---------------------------------------------------------------------------------------------

/** JackTrip P2P (bridges.ts), its client sending to the relay. */
function jacktripContender(queue: number): Contender {
  return {
    label: `JackTrip -q ${queue}`,
    async start(a, b, relay) {
      const run = await jacktrip(queue, undefined, await relay(JACKTRIP.serverPort)).start(
        a,
        b,
        CHANNELS,
      );
      return {
        sendB: run.sendB,
        receiveB: run.receiveB,
        counters: () => {
          const { a: atA, b: atB } = run.counters();
          // JackTrip's JitterBuffer (every --bufstrategy of 1.7) counts underruns in packets'
          // worth of audio it filled in (lost packets zeroed, short reads repeated).
          const underruns = (atA?.underruns ?? 0) + (atB?.underruns ?? 0);
          return { underruns, concealedFrames: underruns * PERIOD_FRAMES };
        },
        stop: () => run.stop(),
      };
    },
  };
}

/**
 * syfala's native engine, one JackEngine per side, each in its own process (engine-side.ts), each
 * streaming with "the peer" at the relay's port.
 */
function syfalaContender(latency: number): Contender {
  return {
    label: `syfala, target ${latency} frames`,
    async start(a, b, relay) {
      const portA = await freeUdpPort();
      const peerPort = await relay(portA);
      const sides: EngineSide[] = [];
      const stop = async (): Promise<void> => {
        for (const side of sides.reverse()) await side.process.stop();
      };
      try {
        const side = async (server: JackServer, client: string, bindPort: number) => {
          const started = new EngineSide(server, client, { bindPort, peerPort, latency });
          sides.push(started);
          return started.ready();
        };
        const atA = await side(a, 'syfala-a', portA);
        const atB = await side(b, 'syfala-b', 0);
        for (const c of range(CHANNELS)) {
          await a.connect(atA.outputPorts[c - 1]!, atA.inputPorts[c - 1]!);
        }
        return {
          sendB: (c) => atB.inputPorts[c - 1]!,
          receiveB: (c) => atB.outputPorts[c - 1]!,
          counters: () => sumReceived(sides.map((s) => s.received)),
          stop,
        };
      } catch (err) {
        await stop();
        throw err;
      }
    },
  };
}

type ReceivedStats = EngineStats['peers'][number]['received'];
/** A side's JACK ports: inputs carry what it sends, outputs what it received. */
interface SidePorts {
  inputPorts: string[];
  outputPorts: string[];
}

/** engine-side.ts in a child process: its ports once ready, and its latest stats line. */
class EngineSide {
  readonly process: ManagedProcess;
  received: ReceivedStats = [];
  #ports: SidePorts | undefined;

  constructor(
    server: JackServer,
    client: string,
    options: { bindPort: number; peerPort: number; latency: number },
  ) {
    const args = [
      ...['--import', 'tsx', ENGINE_SIDE],
      ...['--server', server.name, '--client', client],
      ...['--bind-port', String(options.bindPort), '--peer-port', String(options.peerPort)],
      ...['--latency', String(options.latency), '--channels', String(CHANNELS)],
      ...['--period', String(PERIOD_FRAMES)],
    ];
    this.process = new ManagedProcess(process.execPath, args, {
      onLine: (line) => {
        if (!line.startsWith('{"event"')) return;
        const event = JSON.parse(line) as { event: string } & Record<string, unknown>;
        if (event.event === 'ready') this.#ports = event as unknown as SidePorts;
        if (event.event === 'stats') this.received = (event.received as ReceivedStats) ?? [];
      },
    });
  }

  async ready(): Promise<SidePorts> {
    const deadline = Date.now() + SIDE_START_TIMEOUT_MS;
    while (this.#ports === undefined) {
      if (this.process.exit || Date.now() > deadline) {
        throw new Error(`engine-side.ts did not start: ${this.process.tail(6)}`);
      }
      await sleep(20);
    }
    return this.#ports;
  }
}

function sumReceived(received: readonly ReceivedStats[]): OwnCounters {
  const total: OwnCounters = { underruns: 0, concealedFrames: 0 };
  for (const s of received.flat()) {
    total.underruns += s.underruns;
    total.concealedFrames += s.lostFrames + s.primingFrames;
  }
  return total;
}

// ---------------------------------------------------------------------------------------------

/** syfala-relay as a child process: the same relay, in its own process, for every bridge. */
class RelayProcess {
  readonly port: number;
  /** What the relay did, once stopped. */
  report: RelayReport | undefined;
  readonly #process: ManagedProcess;

  private constructor(process: ManagedProcess, port: number) {
    this.#process = process;
    this.port = port;
  }

  static async start(targetPort: number, seed: number, order: JitterOrder): Promise<RelayProcess> {
    let port: number | undefined;
    const relay = new ManagedProcess(
      process.execPath,
      [
        ...[RELAY_BIN, '--target', `127.0.0.1:${targetPort}`, '--seed', String(seed)],
        ...IMPAIRMENTS,
        ...JITTER_ORDERS[order],
      ],
      {
        onLine: (line) => {
          const listening = /"event":"listening","listen":"[^"]*:(\d+)"/.exec(line);
          if (listening) port = Number(listening[1]);
        },
      },
    );
    while (port === undefined) {
      if (relay.exit) throw new Error(`syfala-relay exited: ${relay.tail(4)}`);
      await sleep(20);
    }
    return new RelayProcess(relay, port);
  }

  /** SIGINT: the relay prints its report on stdout and exits. */
  async stop(): Promise<void> {
    await this.#process.stop(5_000, 'SIGINT');
    const line = this.#process.lines.find((l) => l.startsWith('{"seed"'));
    if (line !== undefined) this.report = JSON.parse(line) as RelayReport;
  }
}

// ---------------------------------------------------------------------------------------------

interface Measurement {
  contender: Contender;
  order: JitterOrder;
  seed: number;
  roundTrip: RoundTrip;
  /** The tone after the bridge (there and back), and the tone itself on B meanwhile. */
  bridged: SineGlitches;
  direct: SineGlitches;
  /** Over the window. */
  own: OwnCounters;
  /** Over the whole run. */
  relay: RelayReport | undefined;
}

/**
 * One contender, one run: servers, relay, bridge, tone and recorder, each stopped in the reverse
 * order it started (clients before their server, DESIGN §7), whatever happens.
 */
async function measure(
  contender: Contender,
  order: JitterOrder,
  seconds: number,
  seed: number,
): Promise<Measurement> {
  const started: { stop(): Promise<unknown> }[] = [];
  const start = async <T extends { stop(): Promise<unknown> }>(thing: Promise<T>): Promise<T> => {
    const t = await track(thing);
    started.push(t);
    return t;
  };
  const server = (prefix: string): Promise<JackServer> =>
    start(
      startJackServer({
        name: uniqueServerName(prefix),
        sampleRate: SAMPLE_RATE,
        periodFrames: PERIOD_FRAMES,
      }),
    );
  try {
    const a = await server('imp-a');
    const b = await server('imp-b');
    let relay: RelayProcess | undefined;
    const run = await start(
      contender.start(a, b, async (port) => {
        relay = await start(RelayProcess.start(port, seed, order));
        return relay.port;
      }),
    );
    const probe = await start(
      ToneProbe.start(b, run.sendB(TONE_CHANNEL), run.receiveB(TONE_CHANNEL), PERIOD_FRAMES),
    );
    let first: OwnCounters | undefined;
    let last: OwnCounters | undefined;
    const roundTrip = await measureRoundTrip(b, {
      sendPort: run.sendB(1),
      receivePort: run.receiveB(1),
      seconds,
      warmupSeconds: WARMUP_SECONDS,
      onWindow: (edge) => {
        if (edge === 'end') {
          last = run.counters();
          return;
        }
        first = run.counters();
        probe.record(seconds);
      },
    });
    const { bridged, direct } = await probe.glitches();
    while (started.length > 2) await untrackAndStop(started.pop()!);
    return {
      contender,
      order,
      seed,
      roundTrip,
      bridged,
      direct,
      own: {
        underruns: last!.underruns - first!.underruns,
        concealedFrames: last!.concealedFrames - first!.concealedFrames,
      },
      relay: relay?.report,
    };
  } finally {
    while (started.length > 0) await untrackAndStop(started.pop()!);
  }
}

// ---------------------------------------------------------------------------------------------

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    runs: { type: 'string', default: '3' },
    queues: { type: 'string', default: '4,16' },
    latency: { type: 'string', default: '32,128' },
    order: { type: 'string', default: 'reorder,keep' },
    seed: { type: 'string', default: '42' },
  },
});
const seconds = Number(values.seconds);
const [runs = 1] = numberList(values.runs, '--runs');
const seed = Number(values.seed);
if (!(seconds > 0) || !Number.isInteger(seed) || seed < 0) {
  throw new Error(
    `--seconds, --seed: expected a positive number and an integer, got ${seconds}, ${seed}`,
  );
}
const orders = values.order.split(',').map((order) => {
  if (!(order in JITTER_ORDERS)) throw new Error(`--order: reorder or keep, got "${order}"`);
  return order as JitterOrder;
});
const contenders = [
  ...numberList(values.queues, '--queues').map(jacktripContender),
  ...numberList(values.latency, '--latency').map(syfalaContender),
];

const perMinute = (count: number): number => (count * 60) / seconds;
const msPerMinute = (frames: number): number => perMinute((frames * 1000) / SAMPLE_RATE);

function describe(m: Measurement): string {
  const relay = m.relay && {
    dropped: m.relay.toTarget.dropped + m.relay.toSource.dropped,
    lateMs: Math.max(
      m.relay.toTarget.timing.lateness.maxMs,
      m.relay.toSource.timing.lateness.maxMs,
    ),
  };
  return (
    `round trip ${fmt(m.roundTrip.median)}, glitches ${m.bridged.events} (rig ${m.direct.events}), ` +
    `clicks ${m.bridged.clicks}, disturbed ${fmt(msPerMinute(m.bridged.disturbedFrames))} ms/min, ` +
    `own: ${m.own.underruns} underruns, ${fmt(msPerMinute(m.own.concealedFrames))} ms/min concealed; ` +
    `relay: ${relay ? `${relay.dropped} dropped, copies up to ${fmt(relay.lateMs, 1)} ms late` : 'no report'}`
  );
}

console.log(machine());
console.log(
  `${IMPAIRMENT_TEXT}, syfala-relay seeds ${seed}..${seed + runs - 1}; ${CHANNELS} channels, ` +
    `${PERIOD_FRAMES}-frame periods, ${seconds} s windows, ${runs} runs\n`,
);

// Runs take turns, so a busy spell on the shared machine falls on every contender alike.
const results: Measurement[] = [];
for (let r = 0; r < runs; r++) {
  for (const order of orders) {
    for (const contender of contenders) {
      process.stderr.write(`run ${r + 1}/${runs}, jitter ${order}: ${contender.label} …\n`);
      const m = await measure(contender, order, seconds, seed + r);
      process.stderr.write(`  ${describe(m)}\n`);
      results.push(m);
    }
  }
}

const rows = orders.flatMap((order) =>
  contenders.map((contender) => {
    const mine = results.filter((m) => m.contender === contender && m.order === order);
    const med = (value: (m: Measurement) => number): string => fmt(median(mine.map(value)));
    return [
      order === 'reorder' ? 'reorders' : 'keeps order',
      contender.label,
      med((m) => m.roundTrip.median),
      med((m) => perMinute(m.bridged.events)),
      med((m) => perMinute(m.bridged.clicks)),
      med((m) => msPerMinute(m.bridged.disturbedFrames)),
      med((m) => perMinute(m.own.underruns)),
      med((m) => msPerMinute(m.own.concealedFrames)),
      med((m) => perMinute(m.direct.events)),
    ];
  }),
);
console.log(
  table(
    [
      'jitter',
      'bridge (latency setting)',
      'round trip (frames)',
      'glitch events/min',
      'clicks/min',
      'disturbed ms/min',
      'own underruns/min',
      'own concealed ms/min',
      'rig glitches/min',
    ],
    rows,
  ),
);
console.log(`\nMedians of ${runs} runs. Per run:`);
for (const m of results) {
  console.log(`- ${m.order}, ${m.contender.label}, seed ${m.seed}: ${describe(m)}`);
}

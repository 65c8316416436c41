/**
 * What encrypted audio costs (issue #16, docs/SECURITY.md): CPU per side and round trip, each
 * configuration encrypted (the default) and clear (`--no-encryption` on serve and connect), in
 * one invocation:
 *
 *   bash scripts/pnpm.sh exec tsx bench/encryption.ts [--seconds 15] [--runs 3] [--period 64]
 *        [--jack-channels 2,64,256] [--ts-channels 2,64] [--syfala-latency 128] [--realtime]
 *
 * Native path: the JACK rig of bench/jack (two dummy JACK servers, `serve --backend jack` on A,
 * `connect --backend jack` on B, A's received channels looped back, jack_iodelay on B's channel
 * 1): each side's CPU over the window and the round trip. TS path: `serve` and `connect` on the
 * virtual card over loopback, one stream of N channels each way: each side's CPU over the window.
 * CPU is the process's and its descendants' (utime + stime from /proc) per second of wall time,
 * in % of one core. The configurations take turns, run after run, so a noisy stretch of a shared
 * machine hits all of them alike; the table gives each one's median and spread (min–max) over the
 * runs, and encrypted / clear of the medians (target ≤ 1.1× at 64 channels, no added round trip).
 * --syfala-latency gives both sides a fixed target without drift compensation (steadier round
 * trips than the CLI's default `auto`, which adapts to the machine's noise).
 */
import { parseArgs } from 'node:util';
import { ManagedProcess, sleep, treeCpuSeconds } from '@syfala/jack-rig';
import { median, table as markdownTable } from './bench-report.js';
import {
  SYFALA,
  freeUdpPort,
  syfala,
  syfalaCounters,
  type BridgeCounters,
} from './jack/bridges.js';
import { fmt, machine, numberList, runRig, track, untrackAndStop } from './jack/rig.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    runs: { type: 'string', default: '3' },
    period: { type: 'string', default: '64' },
    'jack-channels': { type: 'string', default: '2,64,256' },
    'ts-channels': { type: 'string', default: '2,64' },
    'syfala-latency': { type: 'string' },
    realtime: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
if (!(seconds > 0)) throw new Error(`--seconds: expected a positive number, got ${values.seconds}`);
const [runs] = numberList(values.runs, '--runs');
const [period] = numberList(values.period, '--period');
const WARMUP_MS = 2000;
const START_TIMEOUT_MS = 20_000;

type Path = 'jack' | 'ts';
type Audio = 'encrypted' | 'clear';
interface Configuration {
  path: Path;
  channels: number;
  audio: Audio;
}
/** One run of a configuration: CPU seconds per second of wall time per side, and what it lost. */
interface Sample {
  cpuA: number;
  cpuB: number;
  /** Round-trip median of the run, frames (JACK only). */
  roundTrip?: number;
  underruns: number;
  lost: number;
}

const audios: Audio[] = ['encrypted', 'clear'];
const latencyFlags = values['syfala-latency']
  ? [
      '--latency',
      String(numberList(values['syfala-latency'], '--syfala-latency')[0]),
      '--no-drift-compensation',
    ]
  : [];
const flagsOf = (audio: Audio): string[] => [
  ...latencyFlags,
  ...(audio === 'clear' ? ['--no-encryption'] : []),
];
const configurations: Configuration[] = [
  ...numberList(values['jack-channels'], '--jack-channels').map((channels) => ({
    path: 'jack' as const,
    channels,
  })),
  ...numberList(values['ts-channels'], '--ts-channels').map((channels) => ({
    path: 'ts' as const,
    channels,
  })),
].flatMap((c) => audios.map((audio) => ({ ...c, audio })));

const sum = (a: BridgeCounters | null, b: BridgeCounters | null, key: 'underruns' | 'lost') =>
  (a?.[key] ?? 0) + (b?.[key] ?? 0);

async function runJack(c: Configuration): Promise<Sample> {
  const r = await runRig(syfala(flagsOf(c.audio)), {
    period: period!,
    channels: c.channels,
    seconds,
    realtime: values.realtime,
  });
  if (r.roundTrip.readings.length === 0) throw new Error('jack_iodelay found no signal');
  return {
    cpuA: r.cpuA / r.seconds,
    cpuB: r.cpuB / r.seconds,
    roundTrip: r.roundTrip.median,
    underruns: sum(r.a, r.b, 'underruns'),
    lost: sum(r.a, r.b, 'lost'),
  };
}

/** Waits until `ready`, failing if `proc` exits first or it takes too long. */
async function waitFor(ready: () => boolean, proc: ManagedProcess, what: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!ready()) {
    if (proc.exit || Date.now() > deadline) {
      throw new Error(`${what}: ${proc.exit ? 'exited' : 'timed out'}: ${proc.tail(6)}`);
    }
    await sleep(50);
  }
}

/** serve and connect on the virtual card, one f32 stream of `channels` each way. */
async function runTs(c: Configuration): Promise<Sample> {
  const flags = flagsOf(c.audio);
  const format = SYFALA.format(c.channels, period!);
  const udpPort = await freeUdpPort();
  const counters = { a: null as BridgeCounters | null, b: null as BridgeCounters | null };
  const serve = await track(
    Promise.resolve(
      new ManagedProcess(
        process.execPath,
        [
          SYFALA.bin,
          'serve',
          ...['--bind', '127.0.0.1', '--no-mdns', '--no-multicast'],
          ...['--udp-port', String(udpPort), '--control-port', '0'],
          ...['--inputs', format, '--outputs', format, '--log', 'json'],
          ...flags,
        ],
        { onLine: (line) => (counters.a = syfalaCounters(line) ?? counters.a) },
      ),
    ),
  );
  let connect: ManagedProcess | undefined;
  try {
    await waitFor(() => serve.lines.some((l) => l.includes('"listening"')), serve, 'serve');
    connect = await track(
      Promise.resolve(
        new ManagedProcess(
          process.execPath,
          [SYFALA.bin, 'connect', `127.0.0.1:${udpPort}`, '--json', ...flags],
          { onLine: (line) => (counters.b = syfalaCounters(line) ?? counters.b) },
        ),
      ),
    );
    const client = connect;
    await waitFor(() => counters.b !== null, client, 'connect');
    await sleep(WARMUP_MS);
    const start = { ...counters };
    const cpu = (): [number, number] => [treeCpuSeconds(serve.pid!), treeCpuSeconds(client.pid!)];
    const [a0, b0] = cpu();
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const [a1, b1] = cpu();
    const wall = (performance.now() - t0) / 1000;
    const delta = (key: 'underruns' | 'lost') =>
      sum(counters.a, counters.b, key) - sum(start.a, start.b, key);
    return {
      cpuA: (a1 - a0) / wall,
      cpuB: (b1 - b0) / wall,
      underruns: delta('underruns'),
      lost: delta('lost'),
    };
  } finally {
    if (connect) await untrackAndStop(connect);
    await untrackAndStop(serve);
  }
}

const label = (c: Configuration): string =>
  `${c.path === 'jack' ? 'native (JACK)' : 'TS (virtual card)'}, ${c.channels} ch, ${c.audio}`;

console.log(machine(values.realtime));
console.log(
  `Encryption cost: f32 48 kHz, period ${period} frames, ${seconds} s windows, ${runs} runs per configuration taking turns, ` +
    `syfala ${latencyFlags.join(' ') || 'default flags'}\n`,
);

const samples = new Map<Configuration, Sample[]>(configurations.map((c) => [c, []]));
const failures: string[] = [];
for (let run = 1; run <= runs!; run++) {
  for (const c of configurations) {
    process.stderr.write(`run ${run}/${runs}, ${label(c)}: measuring ${seconds} s …\n`);
    try {
      samples.get(c)!.push(await (c.path === 'jack' ? runJack(c) : runTs(c)));
    } catch (err) {
      failures.push(`run ${run}, ${label(c)}: ${(err as Error).message}`);
      process.stderr.write(`  failed: ${(err as Error).message}\n`);
    }
  }
}

/** "12.3 (11.9–13.0)": the median and the spread over the runs. */
function spread(xs: readonly number[], scale: number, digits: number): string {
  if (xs.length === 0) return '—';
  const s = xs.map((x) => x * scale);
  return `${fmt(median(s), digits)} (${fmt(Math.min(...s), digits)}–${fmt(Math.max(...s), digits)})`;
}
const medianOf = (c: Configuration, key: 'cpuA' | 'cpuB' | 'roundTrip'): number =>
  median(samples.get(c)!.map((s) => s[key] ?? Number.NaN));
const clearOf = (c: Configuration): Configuration | undefined =>
  configurations.find((o) => o.path === c.path && o.channels === c.channels && o.audio === 'clear');

const rows = configurations.map((c) => {
  const runsOf = samples.get(c)!;
  const clear = c.audio === 'encrypted' ? clearOf(c) : undefined;
  const times = (x: number): string => (Number.isFinite(x) ? `${fmt(x, 2)}×` : '—');
  const ratio = (key: 'cpuA' | 'cpuB'): string =>
    clear ? times(medianOf(c, key) / medianOf(clear, key)) : '—';
  const total = (s: Sample): number => s.cpuA + s.cpuB;
  const totalRatio = clear
    ? times(median(runsOf.map(total)) / median(samples.get(clear)!.map(total)))
    : '—';
  const roundTrips = runsOf.flatMap((s) => (s.roundTrip === undefined ? [] : [s.roundTrip]));
  const addedPeriods =
    clear && c.path === 'jack'
      ? fmt((medianOf(c, 'roundTrip') - medianOf(clear, 'roundTrip')) / period!, 2)
      : '—';
  return [
    c.path === 'jack' ? 'native (JACK)' : 'TS (virtual card)',
    String(c.channels),
    c.audio,
    String(runsOf.length),
    spread(
      runsOf.map((s) => s.cpuA),
      100,
      1,
    ),
    spread(
      runsOf.map((s) => s.cpuB),
      100,
      1,
    ),
    ratio('cpuA'),
    ratio('cpuB'),
    totalRatio,
    c.path === 'jack' ? spread(roundTrips, 1, 0) : '—',
    addedPeriods,
    String(runsOf.reduce((n, s) => n + s.underruns, 0)),
    String(runsOf.reduce((n, s) => n + s.lost, 0)),
  ];
});
console.log(
  markdownTable(
    [
      'path',
      'channels',
      'audio',
      'runs',
      'CPU A: serve, % of a core (min–max)',
      'CPU B: connect, % (min–max)',
      'A enc / clear',
      'B enc / clear',
      'A + B enc / clear',
      'round trip, frames (min–max)',
      'added round trip, periods',
      'underruns (all runs)',
      'lost frames (all runs)',
    ],
    rows,
    (name) => name === 'path' || name === 'audio',
  ),
);
if (failures.length > 0) {
  console.log(`\nFailed:\n${failures.map((f) => `- ${f}`).join('\n')}`);
  process.exitCode = 1;
}

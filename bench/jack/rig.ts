/**
 * The two-server rig of DESIGN §7 shared by the JACK benches: servers A and B, a bridge between
 * them, the loop on A, jack_iodelay on B; plus the machine description and table printing.
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import {
  measureRoundTrip,
  startJackServer,
  uniqueServerName,
  xrunsBetween,
  type JackServer,
  type JackXruns,
  type RoundTrip,
} from '@syfala/jack-rig';
import { table as markdownTable } from '../bench-report.js';
import type { Bridge, BridgeCounters, BridgeRun, BufferSample } from './bridges.js';
import { ToneProbe, type ToneGlitches } from './tone-probe.js';

export const SAMPLE_RATE = 48_000;
const TAIL_LINES = 6;

/** Whatever is running now, stopped in reverse order on exit or Ctrl-C. */
const running: { stop(): Promise<unknown> }[] = [];
let interrupted = false;

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping bridges, then servers`);
    void (async () => {
      for (const thing of running.reverse()) await thing.stop().catch(() => undefined);
      process.exit(130);
    })();
  });
}

/** Awaits `thing`; SIGINT or SIGTERM stops it, unless untrackAndStop() already has. */
export async function track<T extends { stop(): Promise<unknown> }>(thing: Promise<T>): Promise<T> {
  const t = await thing;
  running.push(t);
  return t;
}

/** Stops what track() started (clients before their server: call in reverse order). */
export async function untrackAndStop(thing: { stop(): Promise<unknown> }): Promise<void> {
  const i = running.indexOf(thing);
  if (i >= 0) running.splice(i, 1);
  await thing.stop();
}

/** One measured run of a bridge. */
export interface RigResult {
  bridge: Bridge;
  period: number;
  channels: number;
  seconds: number;
  roundTrip: RoundTrip;
  /** Counter deltas over the measurement window, per side (null: the side printed none). */
  a: BridgeCounters | null;
  b: BridgeCounters | null;
  /** The receive buffers' stats samples within the window (syfala), oldest first. */
  buffers: readonly BufferSample[];
  /** CPU seconds per side over the window. */
  cpuA: number;
  cpuB: number;
  /** The last output lines of each side's bridge process, at the end of the window. */
  tails: { a: string[]; b: string[] };
  /** With `tone`: the glitches of a tone through the bridge's channel 2 over the window. */
  tone: ToneGlitches | null;
  /** What each server reported of its own xruns over the window (jackd's output). */
  xrunsA: JackXruns | null;
  xrunsB: JackXruns | null;
}

function delta(end: BridgeCounters | null, start: BridgeCounters | null): BridgeCounters | null {
  if (!end) return null;
  return {
    underruns: end.underruns - (start?.underruns ?? 0),
    overflows: end.overflows === null ? null : end.overflows - (start?.overflows ?? 0),
    lost: end.lost - (start?.lost ?? 0),
  };
}

/**
 * Starts A and B, the bridge, wires the loop and jack_iodelay, measures `seconds`, then stops
 * the bridge before the servers (DESIGN §7: clients before their server). With `tone` (and two
 * channels or more), a tone goes there and back on channel 2 meanwhile (tone-probe.ts).
 */
export async function runRig(
  bridge: Bridge,
  options: {
    period: number;
    channels: number;
    seconds: number;
    realtime?: boolean;
    /** Server A's rate, when not B's SAMPLE_RATE (the bridge converts). */
    sampleRateA?: number;
    /** Seconds the bridge runs before the window (default 2: longer than its counters' second). */
    warmupSeconds?: number;
    tone?: boolean;
  },
): Promise<RigResult> {
  const { period, channels, seconds, realtime = false, sampleRateA = SAMPLE_RATE } = options;
  if (options.tone === true && channels < 2) throw new Error('a tone needs a second channel');
  const serverOptions = { sampleRate: SAMPLE_RATE, periodFrames: period, realtime };
  const a = await track(
    startJackServer({
      name: uniqueServerName('bench-a'),
      ...serverOptions,
      sampleRate: sampleRateA,
    }),
  );
  let b: JackServer | undefined;
  let run: BridgeRun | undefined;
  let probe: ToneProbe | undefined;
  try {
    b = await track(startJackServer({ name: uniqueServerName('bench-b'), ...serverOptions }));
    run = await track(bridge.start(a, b, channels));
    const active = run;
    if (options.tone === true) {
      probe = await track(ToneProbe.start(b, run.sendB(2), run.receiveB(2), period));
    }
    let start: ReturnType<BridgeRun['counters']> = { a: null, b: null };
    let end = start;
    let cpuStart = { a: 0, b: 0 };
    let cpuEnd = cpuStart;
    let tails: RigResult['tails'] = { a: [], b: [] };
    let buffersFrom = 0;
    let buffers: readonly BufferSample[] = [];
    const serverB = b;
    let xrunsStart = { a: a.xruns, b: serverB.xruns };
    let xrunsEnd = xrunsStart;
    const roundTrip = await measureRoundTrip(b, {
      sendPort: active.sendB(1),
      receivePort: active.receiveB(1),
      seconds,
      warmupSeconds: options.warmupSeconds ?? 2,
      onWindow: (edge) => {
        if (edge === 'start') {
          start = active.counters();
          cpuStart = active.cpu();
          buffersFrom = active.buffers?.().length ?? 0;
          probe?.record(seconds);
          xrunsStart = { a: a.xruns, b: serverB.xruns };
        } else {
          xrunsEnd = { a: a.xruns, b: serverB.xruns };
          end = active.counters();
          cpuEnd = active.cpu();
          buffers = active.buffers?.().slice(buffersFrom) ?? [];
          tails = active.tails(TAIL_LINES);
        }
      },
    });
    return {
      bridge,
      period,
      channels,
      seconds,
      roundTrip,
      a: delta(end.a, start.a),
      b: delta(end.b, start.b),
      buffers,
      cpuA: cpuEnd.a - cpuStart.a,
      cpuB: cpuEnd.b - cpuStart.b,
      tails,
      tone: (await probe?.glitches()) ?? null,
      xrunsA: xrunsBetween(xrunsStart.a, xrunsEnd.a),
      xrunsB: xrunsBetween(xrunsStart.b, xrunsEnd.b),
    };
  } finally {
    if (probe) await untrackAndStop(probe);
    if (run) await untrackAndStop(run);
    if (b) await untrackAndStop(b);
    await untrackAndStop(a);
  }
}

function command(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string };
    return e.stdout ?? '';
  }
}

/** "AMD EPYC …, 2 cores, Node v20…, JackTrip 1.7.0, jackd 1.9.21" */
export function machine(realtime = false): string {
  const model =
    /Model name:\s*(.+)/.exec(command('lscpu', []))?.[1]?.trim() ?? cpus()[0]?.model ?? '?';
  const jacktrip = /VERSION:\s*(\S+)/.exec(command('jacktrip', ['--version']))?.[1] ?? 'missing';
  const jackd = /jackdmp version (\S+)/.exec(command('jackd', ['--version']))?.[1] ?? 'missing';
  return (
    `Machine: ${model}, ${cpus().length} cores, Node ${process.version}, ` +
    `JackTrip ${jacktrip}, jackd ${jackd} (dummy driver, ${realtime ? 'real-time: jackd -R' : '--no-realtime'}), ${SAMPLE_RATE} Hz`
  );
}

/** A markdown table, the bridge and steady-state columns left-aligned. */
export function table(header: string[], rows: string[][]): string {
  return markdownTable(header, rows, (name) => /^(bridge$|steady)/.test(name));
}

export const fmt = (n: number | null | undefined, digits = 0): string =>
  n === null || n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits);

/** "3 (1 + 2)": the two sides' sum and split; "—" where a side reported nothing. */
export function perSide(
  a: BridgeCounters | null,
  b: BridgeCounters | null,
  key: keyof BridgeCounters,
): string {
  const va = a?.[key] ?? null;
  const vb = b?.[key] ?? null;
  if (va === null && vb === null) return '—';
  return `${(va ?? 0) + (vb ?? 0)} (${va ?? '—'} + ${vb ?? '—'})`;
}

/** Parses "--name value" flags shared by the benches. */
export function numberList(text: string, what: string): number[] {
  const list = text.split(',').map(Number);
  if (list.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new Error(`${what}: expected positive integers separated by commas, got "${text}"`);
  }
  return list;
}

/** --bridge: which bridges a script runs. */
export function bridgeChoice(text: string): 'jacktrip' | 'syfala' | 'all' {
  if (text !== 'jacktrip' && text !== 'syfala' && text !== 'all') {
    throw new Error(`--bridge: expected jacktrip, syfala or all, got "${text}"`);
  }
  return text;
}

/** --verbose: each bridge side's last output lines. */
export function printTails(results: readonly RigResult[]): void {
  for (const r of results) {
    const label = `${r.bridge.label}, ${r.channels} ch, period ${r.period}`;
    // In order, a reading every 0.25 s or so: steps, slopes and spikes show how latency moves.
    const readings = r.roundTrip.readings.map((x) => x.toFixed(0)).join(' ');
    console.log(`\n${label}, jack_iodelay readings in order:\n  ${readings}`);
    console.log(`${label}, side A (server) said:\n  ${r.tails.a.join('\n  ')}`);
    console.log(`${label}, side B (client) said:\n  ${r.tails.b.join('\n  ')}`);
  }
}

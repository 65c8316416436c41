// The data plane's cost per period, as the TS engine runs it (engine-core.ts): receive (push the
// period's datagram, pull, decode, conceal or resample, mix) and send (encode, packetize), for
// 2 and 64 channels, clean and with 5 % loss. With --baseline-ref REF the same workload also runs
// on the @syfala/dataplane of another commit (built in a temporary git worktree), in the same
// process, taking turns: how the twin-data-plane decision was measured (docs/ARCHITECTURE.md).
//   bash scripts/pnpm.sh exec tsx bench/dataplane.ts [--baseline-ref 4278d6e] [--runs 5]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import type * as dataplane from '@syfala/dataplane';
import { bytesPerSample, type Format, type SampleType } from '@syfala/proto';

import { machineLine, median, table } from './bench-report.js';

type Dataplane = typeof dataplane;

interface Workload {
  readonly name: string;
  readonly channels: number;
  readonly type: SampleType;
  readonly loss: number;
  readonly driftCompensation: boolean;
}

const PERIOD = 64;
const RATE = 48_000;
const WORKLOADS: readonly Workload[] = [
  { name: '2 ch f32, clean', channels: 2, type: 'f32', loss: 0, driftCompensation: false },
  {
    name: '2 ch i24, 5 % loss, fade',
    channels: 2,
    type: 'i24',
    loss: 0.05,
    driftCompensation: false,
  },
  {
    name: '2 ch f32, drift compensation',
    channels: 2,
    type: 'f32',
    loss: 0,
    driftCompensation: true,
  },
  {
    name: '64 ch i24, 5 % loss, fade',
    channels: 64,
    type: 'i24',
    loss: 0.05,
    driftCompensation: false,
  },
  {
    name: '64 ch f32, drift compensation',
    channels: 64,
    type: 'f32',
    loss: 0,
    driftCompensation: true,
  },
];

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const runs = Number(arg('--runs') ?? 5);
const baselineRef = arg('--baseline-ref');

/** Which periods lose their datagram: a fixed hash, the same for every implementation. */
const lost = (period: number, loss: number): boolean =>
  loss > 0 && (Math.imul(period, 0x9e3779b1) >>> 0) % 1000 < loss * 1000;

/** A workload's stream: its format, its frame size on the wire and a period of its signal. */
function stream(w: Workload): { format: Format; frameBytes: number; signal: Float32Array } {
  return {
    format: { sampleType: w.type, channels: w.channels, sampleRate: RATE, bufferFrames: 0 },
    frameBytes: w.channels * bytesPerSample(w.type),
    signal: Float32Array.from({ length: PERIOD * w.channels }, (_, i) => 0.5 * Math.sin(i / 7)),
  };
}

/** Nanoseconds per period of receiving and playing one stream. */
function receive(dp: Dataplane, w: Workload, periods: number): number {
  const { format, frameBytes, signal } = stream(w);
  const payload = new Uint8Array(PERIOD * frameBytes);
  dp.encodeSamples(w.type, signal, 0, payload, 0, signal.length);
  const buffer = new dp.JitterBuffer({
    format,
    targetLatencyFrames: 2 * PERIOD,
    capacityFrames: RATE / 5,
    ...(w.driftCompensation && { skipSurplus: false }),
  });
  const concealer = new dp.LossConcealer({ channels: w.channels, sampleRate: RATE });
  const compensated = w.driftCompensation
    ? new dp.DriftCompensatedStream({
        buffer,
        format,
        maxPeriodFrames: PERIOD,
        deviceSampleRate: RATE,
        concealer,
      })
    : undefined;
  const wire = new Uint8Array(PERIOD * frameBytes);
  const samples = new Float32Array(PERIOD * w.channels);
  const missing = new Uint8Array(PERIOD);
  const output = new Float32Array(PERIOD * w.channels);
  const start = process.hrtime.bigint();
  for (let k = 0; k < periods; k++) {
    if (!lost(k, w.loss)) buffer.push(k * payload.length, payload, 0, payload.length);
    if (compensated) compensated.pull(samples, 0, PERIOD);
    else {
      const pulled = buffer.pull(wire, 0, PERIOD, missing);
      dp.decodeSamples(w.type, wire, 0, samples, 0, samples.length);
      concealer.conceal(samples, 0, PERIOD, pulled, missing);
    }
    for (let i = 0; i < output.length; i++) output[i]! += samples[i]!;
  }
  return Number(process.hrtime.bigint() - start) / periods;
}

/** Nanoseconds per period of encoding and packetizing one stream (into a reused buffer). */
function send(dp: Dataplane, w: Workload, periods: number): number {
  const { format, frameBytes, signal } = stream(w);
  const packetizer = new dp.StreamPacketizer({
    streamIndex: 0,
    format,
    datagramBudgetBytes: 1400,
    redundancy: 0,
    maxPeriodBytes: PERIOD * frameBytes,
    sealed: false,
  });
  const wire = new Uint8Array(PERIOD * frameBytes);
  const datagram = new Uint8Array(1400);
  const sink = { claim: () => datagram, send: () => {} };
  const start = process.hrtime.bigint();
  for (let k = 0; k < periods; k++) {
    const bytes = dp.encodeSamples(w.type, signal, 0, wire, 0, signal.length);
    packetizer.packetize(wire, 0, bytes, sink);
  }
  return Number(process.hrtime.bigint() - start) / periods;
}

/** Builds @syfala/dataplane (and its @syfala/proto) at `ref` in a temporary worktree. */
function buildBaseline(ref: string): { dir: string; url: string; dataplane: Promise<Dataplane> } {
  const repo = fileURLToPath(new URL('..', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'syfala-baseline-'));
  execFileSync('git', ['-C', repo, 'worktree', 'add', '--detach', dir, ref], { stdio: 'ignore' });
  execFileSync(
    'bash',
    ['scripts/pnpm.sh', 'install', '--frozen-lockfile', '--offline', '--ignore-scripts'],
    {
      cwd: dir,
      stdio: 'ignore',
    },
  );
  // Before the rename the package was @syfala/utils.
  const dataplaneDir = ['packages/dataplane', 'packages/utils'].find((d) =>
    existsSync(join(dir, d)),
  )!;
  execFileSync('bash', ['scripts/pnpm.sh', 'exec', 'tsc', '-b', dataplaneDir], {
    cwd: dir,
    stdio: 'ignore',
  });
  const url = pathToFileURL(join(dir, dataplaneDir, 'dist/index.js')).href;
  return { dir, url, dataplane: import(url) as Promise<Dataplane> };
}

/**
 * Milliseconds from a fresh Node process's import of the package to its first converted sample
 * (which instantiates the WebAssembly core, if it has one): median of 9 processes.
 */
function startUpMs(url: string): number {
  const script =
    `const t = performance.now(); const dp = await import(${JSON.stringify(url)});` +
    `dp.decodeSamples('i24', new Uint8Array(3), 0, new Float32Array(1), 0, 1);` +
    `console.log(performance.now() - t);`;
  const times = Array.from({ length: 9 }, () =>
    Number(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }),
    ),
  );
  return median(times);
}

const current = await import('@syfala/dataplane');
const baseline = baselineRef === undefined ? undefined : buildBaseline(baselineRef);
try {
  const implementations: [string, Dataplane][] = [['now', current]];
  if (baseline) implementations.push([`at ${baselineRef}`, await baseline.dataplane]);
  const rows: string[][] = [];
  for (const w of WORKLOADS) {
    for (const [path, run] of [
      ['receive', receive],
      ['send', send],
    ] as const) {
      const periods = w.channels > 2 ? 20_000 : 100_000;
      const times = implementations.map(() => [] as number[]);
      for (let r = 0; r < runs; r++) {
        implementations.forEach(([, dp], i) => times[i]!.push(run(dp, w, periods)));
      }
      const medians = times.map((t) => median(t));
      rows.push([
        `${w.name}, ${path}`,
        ...medians.map(
          (m, i) =>
            `${(m / 1000).toFixed(2)} (${(Math.min(...times[i]!) / 1000).toFixed(2)}–${(Math.max(...times[i]!) / 1000).toFixed(2)})`,
        ),
        ...(medians.length > 1 ? [`${(medians[1]! / medians[0]!).toFixed(2)}×`] : []),
      ]);
    }
  }
  console.log(machineLine());
  console.log(
    `${runs} runs taking turns; µs per ${PERIOD}-frame period at ${RATE} Hz, median (min–max).\n`,
  );
  const currentUrl = import.meta.resolve('@syfala/dataplane');
  rows.push([
    'start-up: import + first conversion, ms',
    startUpMs(currentUrl).toFixed(1),
    ...(baseline ? [startUpMs(baseline.url).toFixed(1), ''] : []),
  ]);
  console.log(
    table(
      [
        'workload',
        ...implementations.map(([name]) => `${name} µs`),
        ...(implementations.length > 1 ? ['baseline / now'] : []),
      ],
      rows,
    ),
  );
} finally {
  if (baseline) {
    const repo = fileURLToPath(new URL('..', import.meta.url));
    execFileSync('git', ['-C', repo, 'worktree', 'remove', '--force', baseline.dir]);
    rmSync(baseline.dir, { recursive: true, force: true });
  }
}

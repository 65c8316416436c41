// Adaptive target latency (issue #7) against fixed targets, on virtual clocks: the real
// packetizer, jitter buffer (played straight, or drift-compensated) and LatencyAdapter
// (packages/dataplane/test/fixtures/drifting-link.ts), i16 mono 48 kHz, 64-frame periods, 8 ms base
// delay, sender 10 ppm fast, seed 7. Figures are over the run after its first minute.
//   bash scripts/pnpm.sh --filter @syfala/bench latency-adapter [--seconds 600]
import type { DriftingLinkOptions } from '../packages/dataplane/test/fixtures/drifting-link.js';
import { runDriftingLink } from '../packages/dataplane/test/fixtures/drifting-link.js';
import { machineLine, median, table } from './bench-report.js';

const at = process.argv.indexOf('--seconds');
const seconds = at > 0 ? Number(process.argv[at + 1]) : 600;
const FS = 48_000;
const P = 64;
const SETTLE_SECONDS = 60;
const ms = (frames: number): string => ((frames * 1000) / FS).toFixed(2);

const impairments: { name: string; link: Partial<DriftingLinkOptions> }[] = [
  { name: 'none', link: { jitterMs: 0 } },
  { name: '±1 ms', link: { jitterMs: 1 } },
  { name: '±2 ms', link: { jitterMs: 2 } },
  { name: '±5 ms', link: { jitterMs: 5 } },
  {
    name: '±1 ms, 0.1 % spikes +10 ms',
    link: { jitterMs: 1, spikes: { probability: 0.001, extraMs: 10 } },
  },
];
/** Fixed targets to compare against, ms. */
const FIXED_MS = [2, 5, 10];

console.log(`${machineLine()}\n`);
console.log(
  `${seconds} s of virtual time per row; rates and means after the first ${SETTLE_SECONDS} s.\n`,
);
for (const compensateDrift of [false, true]) {
  const rows: string[][] = [];
  for (const { name, link } of impairments) {
    const targets: (number | 'adaptive')[] = ['adaptive', ...FIXED_MS.map((t) => (t * FS) / 1000)];
    for (const target of targets) {
      const started = performance.now();
      const run = runDriftingLink({
        skewPpm: 10,
        baseDelayMs: 8,
        jitterMs: 0,
        seconds,
        periodFrames: P,
        targetLatencyFrames: target === 'adaptive' ? P : target,
        capacityFrames: FS / 4,
        compensateDrift,
        adaptive: target === 'adaptive',
        seed: 7,
        ...link,
      }).seconds;
      const settled = run.filter((s) => s.at > SETTLE_SECONDS);
      const first = run.find((s) => s.at === SETTLE_SECONDS)!;
      const last = run.at(-1)!;
      const minutes = (last.at - first.at) / 60;
      const targetFrames = settled.map((s) => s.targetFrames);
      const fill = settled.reduce((sum, s) => sum + s.fillFrames, 0) / settled.length;
      rows.push([
        name,
        target === 'adaptive' ? 'adaptive' : `fixed ${ms(target)}`,
        `${ms(median(targetFrames))} (${ms(Math.min(...targetFrames))}..${ms(Math.max(...targetFrames))})`,
        target === 'adaptive' ? ms(median(settled.map((s) => s.jitterFrames))) : '—',
        String(first.underruns),
        ((last.underruns - first.underruns) / minutes).toFixed(2),
        ms((last.lostFrames - first.lostFrames) / minutes),
        ms(fill),
        `${((performance.now() - started) / 1000).toFixed(0)} s`,
      ]);
    }
  }
  console.log(
    `\n${compensateDrift ? 'Drift-compensated (DriftCompensatedStream)' : 'Straight from the jitter buffer (skipSurplus)'}\n`,
  );
  console.log(
    table(
      [
        'jitter',
        'target',
        'target ms: median (min..max)',
        'measured jitter ms',
        'underruns, first minute',
        'underruns/min',
        'concealed ms/min',
        'mean fill ms',
        'run time',
      ],
      rows,
      (_, column) => column < 2,
    ),
  );
}

// An accelerated hour of clock drift: sender ±500 ppm against the receiver, ±2 ms arrival jitter,
// through the real packetizer, jitter buffer, resampler and controller on virtual clocks
// (packages/dataplane/test/fixtures/drifting-link.ts). Prints underruns, overruns, slips, loss and the
// measured drift over the last quarter.
//   bash scripts/pnpm.sh exec tsx bench/drift.ts [--seconds 3600]
import { runDriftingLink } from '../packages/dataplane/test/fixtures/drifting-link.js';
import { table } from './bench-report.js';

const at = process.argv.indexOf('--seconds');
const seconds = at > 0 ? Number(process.argv[at + 1]) : 3600;
const rows: string[][] = [];
for (const skewPpm of [500, -500, 100, 0]) {
  const started = performance.now();
  const r = runDriftingLink({
    skewPpm,
    baseDelayMs: 3,
    jitterMs: 2,
    seconds,
    periodFrames: 128,
    targetLatencyFrames: 480,
    seed: 7,
  });
  const d = r.driftPpm;
  rows.push([
    `${skewPpm} ppm`,
    String(r.underruns),
    String(r.overrunDatagrams),
    String(r.skippedFrames),
    String(r.lostFrames),
    `${d.mean.toFixed(2)} (${d.min.toFixed(2)}..${d.max.toFixed(2)})`,
    `${r.fill.min}..${r.fill.max}`,
    `${((performance.now() - started) / 1000).toFixed(0)} s`,
  ]);
}
console.log(
  table(
    [
      'injected',
      'underruns',
      'overruns',
      'skipped',
      'lost frames',
      'drift measured (last quarter: mean, min..max)',
      'fill (frames)',
      'run time',
    ],
    rows,
    (name) => name.startsWith('drift') || name.startsWith('fill'),
  ),
);

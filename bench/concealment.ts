// Concealment against silence: a held note and a chord streamed through the real packetizer,
// a lossy link and the real jitter buffer (packages/dataplane/test/fixtures/lossy-tone.ts), the gaps
// filled with silence or by the LossConcealer. Prints clicks per minute (steps and kinks past
// three times the signal's own largest curvature) and how close the fill is to what was lost;
// then what the first period of a gap costs (the cycle search, on the audio thread), through the
// WebAssembly build of the C++ core (a library-level figure, not the native build's).
//   bash scripts/pnpm.sh exec tsx bench/concealment.ts [--seconds 60]
import { performance } from 'node:perf_hooks';

import { SeededRandom } from '@syfala/proto';

import { LossConcealer } from '../packages/dataplane/src/index.js';
import { machineLine, median, table } from './bench-report.js';
import {
  chord,
  glitchReport,
  runLossyStream,
  tone,
} from '../packages/dataplane/test/fixtures/lossy-tone.js';

const at = process.argv.indexOf('--seconds');
const seconds = at > 0 ? Number(process.argv[at + 1]) : 60;
const RATE = 48_000;
const rows: string[][] = [];
for (const [name, signal] of [
  ['note (220 Hz + 2 harmonics)', tone(RATE)],
  ['chord (C–E–G)', chord(RATE)],
] as const) {
  for (const [lossRate, burstPeriods] of [
    [0.01, 1],
    [0.05, 1],
    [0.01, 4],
  ] as const) {
    const reports = (['silence', 'fade'] as const).map((concealment) => {
      const result = runLossyStream({
        signal,
        concealment,
        seconds,
        lossRate,
        burstPeriods,
        seed: 11,
      });
      return { ...glitchReport(result, signal), underruns: result.underruns };
    });
    const [silence, fade] = reports as [(typeof reports)[0], (typeof reports)[0]];
    const perMinute = (clicks: number): string => ((clicks * 60) / seconds).toFixed(0);
    rows.push([
      name,
      `${(lossRate * 100).toFixed(0)} %${burstPeriods > 1 ? `, bursts of ${burstPeriods}` : ''}`,
      `${(((silence.gapFrames * 1000) / RATE / seconds) * 60).toFixed(0)} ms/min`,
      perMinute(silence.clicks),
      perMinute(fade.clicks),
      `${(fade.clicks / silence.clicks).toFixed(3)}`,
      `${silence.gapSnrDb.toFixed(1)} dB`,
      `${fade.gapSnrDb.toFixed(1)} dB`,
    ]);
  }
}
console.log(machineLine());
console.log(
  table(
    [
      'signal',
      'loss',
      'gaps',
      'clicks/min silence',
      'clicks/min fade',
      'ratio',
      'gap SNR silence',
      'gap SNR fade',
    ],
    rows,
    (_, column) => column < 2,
  ),
);

/** Microseconds of each gap's first period: 40 periods of noise played, then one lost. */
function gapCosts(channels: number, gaps: number): number[] {
  const PERIOD = 64;
  const concealer = new LossConcealer({ channels, sampleRate: RATE });
  const random = new SeededRandom(5);
  const samples = new Float32Array(PERIOD * channels);
  const played = new Uint8Array(PERIOD);
  const lost = new Uint8Array(PERIOD).fill(1);
  const pull = { playing: true, skippedFrames: 0 };
  const costs: number[] = [];
  for (let g = 0; g < gaps; g++) {
    for (let p = 0; p < 40; p++) {
      for (let i = 0; i < samples.length; i++) samples[i] = random.next() - 0.5;
      concealer.conceal(samples, 0, PERIOD, pull, played);
    }
    const start = performance.now();
    concealer.conceal(samples, 0, PERIOD, pull, lost);
    costs.push((performance.now() - start) * 1000);
  }
  return costs;
}

const costRows = [2, 64].map((channels) => {
  const costs = gapCosts(channels, 500).sort((a, b) => a - b);
  const p99 = costs[Math.floor(costs.length * 0.99)]!;
  return [String(channels), median(costs).toFixed(0), p99.toFixed(0)];
});
console.log(
  '\nThe first period of a gap (64 frames at 48 kHz, 1,333 µs), 500 gaps, WebAssembly build:',
);
console.log(table(['channels', 'median µs', 'p99 µs'], costRows, (_, column) => column < 1));

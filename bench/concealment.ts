// Concealment against silence: a held note and a chord streamed through the real packetizer,
// a lossy link and the real jitter buffer (packages/dataplane/test/fixtures/lossy-tone.ts), the gaps
// filled with silence or by the LossConcealer. Prints clicks per minute (steps and kinks past
// three times the signal's own largest curvature) and how close the fill is to what was lost.
//   bash scripts/pnpm.sh exec tsx bench/concealment.ts [--seconds 60]
import { machineLine, table } from './bench-report.js';
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

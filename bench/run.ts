/**
 * `npm run bench`: the wire and sample-conversion benchmarks, printed as markdown with the machine
 * they ran on, ready to paste into bench/RESULTS.md. Targets (issue #2): ≥ 5 M audio headers
 * decoded per second, ≥ 300 MB/s for i24 → f32, on one core.
 */
import { machineLine, table } from './bench-report.js';
import { runConversionBench } from './conversion.js';
import { runWireBench } from './wire.js';
import { runChannelsBench } from './ts-channels.js';

const million = (n: number): string => (n / 1e6).toFixed(2);
const left = (_: string, column: number): boolean => column === 0;

console.log(`${machineLine()}\n`);

const wire = runWireBench();
console.log(
  table(
    ['audio header path', 'M headers/s'],
    wire.map((row) => [row.path, million(row.headersPerSecond)]),
    left,
  ),
);
const [, hot, general] = wire;
console.log(
  `\nRatio write + read, hot path / general codec: ${(hot!.headersPerSecond / general!.headersPerSecond).toFixed(1)}×\n`,
);

console.log(
  table(
    [
      'sample type',
      'wire → f32 MB/s',
      'f32 → wire MB/s',
      'peer wire → f32 MB/s (DataView/Buffer)',
      'ratio',
    ],
    runConversionBench().map((row) => {
      const peer = row.peerDecodeMBps;
      return [
        row.type,
        row.decodeMBps.toFixed(0),
        row.encodeMBps.toFixed(0),
        peer?.toFixed(0) ?? '—',
        peer ? `${(row.decodeMBps / peer).toFixed(1)}×` : '—',
      ];
    }),
    left,
  ),
);

console.log(
  `\n${table(
    [
      'f32 48 kHz channels (TS path, loopback, 32-frame periods)',
      'lost frames',
      'late',
      'underruns',
      'overruns',
      'device xruns',
      'CPU load (process)',
      'CPU µs per channel-second',
    ],
    (await runChannelsBench()).map((row) => [
      String(row.channels),
      String(row.lostFrames),
      String(row.late),
      String(row.underruns),
      String(row.overruns),
      String(row.xruns),
      `${(row.cpuLoad * 100).toFixed(1)} %`,
      row.cpuPerChannelUs.toFixed(0),
    ]),
    () => false,
  )}`,
);

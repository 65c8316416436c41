/**
 * `npm run bench`: the wire and sample-conversion benchmarks, printed as markdown with the machine
 * they ran on, ready to paste into bench/RESULTS.md. Targets (issue #2): ≥ 5 M audio headers
 * decoded per second, ≥ 300 MB/s for i24 → f32, on one core.
 */
import { cpus, totalmem } from 'node:os';
import { runConversionBench } from './conversion.js';
import { runWireBench } from './wire.js';
import { runChannelsBench } from './ts-channels.js';

const million = (n: number): string => (n / 1e6).toFixed(2);

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(
  `Machine: ${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}\n`,
);

const wire = runWireBench();
console.log('| audio header path | M headers/s |');
console.log('| --- | ---: |');
for (const row of wire) console.log(`| ${row.path} | ${million(row.headersPerSecond)} |`);
const [, hot, general] = wire;
console.log(
  `\nRatio write + read, hot path / general codec: ${(hot!.headersPerSecond / general!.headersPerSecond).toFixed(1)}×\n`,
);

console.log(
  '| sample type | wire → f32 MB/s | f32 → wire MB/s | peer wire → f32 MB/s (DataView/Buffer) | ratio |',
);
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const row of runConversionBench()) {
  const peer = row.peerDecodeMBps;
  console.log(
    `| ${row.type} | ${row.decodeMBps.toFixed(0)} | ${row.encodeMBps.toFixed(0)} | ${peer?.toFixed(0) ?? '—'} | ${peer ? `${(row.decodeMBps / peer).toFixed(1)}×` : '—'} |`,
  );
}

console.log(
  '\n| f32 48 kHz channels (TS path, loopback, 32-frame periods) | lost frames | late | underruns | overruns | device xruns | CPU load (process) | CPU µs per channel-second |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const row of await runChannelsBench()) {
  console.log(
    `| ${row.channels} | ${row.lostFrames} | ${row.late} | ${row.underruns} | ${row.overruns} | ${row.xruns} | ${(row.cpuLoad * 100).toFixed(1)} % | ${row.cpuPerChannelUs.toFixed(0)} |`,
  );
}

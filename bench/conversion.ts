/**
 * Sample conversion throughput, in MB/s of wire bytes (1 MB = 10^6 bytes): the median of
 * several timed repetitions, each converting a 1 MiB wire buffer 16 times. Target: ≥ 300 MB/s
 * for i24 → f32 on one core.
 *
 *   bash scripts/pnpm.sh exec tsx bench/conversion.ts [--json]
 *
 * Prints a markdown table; with --json, also a last line of JSON for a bench runner.
 */
import { pathToFileURL } from 'node:url';

import { SAMPLE_TYPES, SAMPLE_TYPE_INFO } from '@syfala/proto';
import type { SampleType } from '@syfala/proto';
import { decodeSamples, encodeSamples } from '@syfala/utils';

import { medianRate } from './measure.js';

const WIRE_BYTES = 1 << 20;
/** Each timed repetition converts this much, so a measurement dwarfs timer resolution. */
const BYTES_PER_REPETITION = 16 * WIRE_BYTES;

export interface ConversionBenchRow {
  readonly type: SampleType;
  /** Wire → Float32, MB/s of wire bytes. */
  readonly decodeMBps: number;
  /** Float32 → wire, MB/s of wire bytes. */
  readonly encodeMBps: number;
}

export function runConversionBench(
  types: readonly SampleType[] = SAMPLE_TYPES,
): ConversionBenchRow[] {
  return types.map((type) => {
    const count = Math.floor(WIRE_BYTES / SAMPLE_TYPE_INFO[type].bytes);
    const wire = new Uint8Array(WIRE_BYTES);
    const samples = new Float32Array(count);
    // A sine slightly over full scale, so encoding takes the clipping branches too.
    for (let i = 0; i < count; i++) samples[i] = 1.1 * Math.sin(i * 0.01);
    const passes = Math.round(BYTES_PER_REPETITION / (count * SAMPLE_TYPE_INFO[type].bytes));
    const decode = (): number => {
      let bytes = 0;
      for (let i = 0; i < passes; i++) bytes += decodeSamples(type, wire, 0, samples, 0, count);
      return bytes;
    };
    const encode = (): number => {
      let bytes = 0;
      for (let i = 0; i < passes; i++) bytes += encodeSamples(type, samples, 0, wire, 0, count);
      return bytes;
    };
    // Decoding a realistic signal, not zeros.
    encodeSamples(type, samples, 0, wire, 0, count);
    return {
      type,
      decodeMBps: medianRate(decode) / 1e6,
      encodeMBps: medianRate(encode) / 1e6,
    };
  });
}

function toMarkdown(rows: readonly ConversionBenchRow[]): string {
  const lines = ['| type | decode → f32 (MB/s) | encode f32 → (MB/s) |', '| --- | ---: | ---: |'];
  for (const row of rows) {
    lines.push(`| ${row.type} | ${row.decodeMBps.toFixed(0)} | ${row.encodeMBps.toFixed(0)} |`);
  }
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = runConversionBench();
  console.log(toMarkdown(rows));
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ bench: 'conversion', unit: 'MB/s', rows }));
  }
}

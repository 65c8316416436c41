/**
 * Sample conversion throughput, in MB/s of wire bytes (1 MB = 10^6 bytes): the median of
 * several timed repetitions, each converting a 1 MiB wire buffer 16 times. Target: ≥ 300 MB/s
 * for i24 → f32 on one core. For i16, i24 and f32, a peer in the same run: the per-sample
 * DataView / Buffer reads that a first implementation would use.
 */
import { SAMPLE_TYPES, SAMPLE_TYPE_INFO } from '@syfala/proto';
import type { SampleType } from '@syfala/proto';
import { decodeSamples, encodeSamples } from '@syfala/dataplane';

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
  /** The DataView/Buffer peer's wire → Float32, where there is one. */
  readonly peerDecodeMBps?: number;
}

/** Per-sample reads through Node's own accessors: the peer the specialised loops are measured against. */
const PEER_DECODERS: Partial<
  Record<SampleType, (wire: Buffer, out: Float32Array, count: number) => void>
> = {
  i16: (wire, out, count) => {
    for (let i = 0; i < count; i++) out[i] = wire.readInt16LE(i * 2) / 32_768;
  },
  i24: (wire, out, count) => {
    for (let i = 0; i < count; i++) out[i] = wire.readIntLE(i * 3, 3) / 8_388_608;
  },
  f32: (wire, out, count) => {
    const view = new DataView(wire.buffer, wire.byteOffset, wire.byteLength);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  },
};

export function runConversionBench(
  types: readonly SampleType[] = SAMPLE_TYPES,
): ConversionBenchRow[] {
  return types.map((type) => {
    const bytesPerSample = SAMPLE_TYPE_INFO[type].bytes;
    const count = Math.floor(WIRE_BYTES / bytesPerSample);
    const wire = Buffer.alloc(WIRE_BYTES);
    const samples = new Float32Array(count);
    // A sine slightly over full scale, so encoding takes the clipping branches too.
    for (let i = 0; i < count; i++) samples[i] = 1.1 * Math.sin(i * 0.01);
    const passes = Math.round(BYTES_PER_REPETITION / (count * bytesPerSample));
    const repeat = (pass: () => void) => (): number => {
      for (let i = 0; i < passes; i++) pass();
      return passes * count * bytesPerSample;
    };
    // Decoding a realistic signal, not zeros.
    encodeSamples(type, samples, 0, wire, 0, count);
    const decodeMBps =
      medianRate(repeat(() => decodeSamples(type, wire, 0, samples, 0, count))) / 1e6;
    const encodeMBps =
      medianRate(repeat(() => encodeSamples(type, samples, 0, wire, 0, count))) / 1e6;
    const peer = PEER_DECODERS[type];
    return {
      type,
      decodeMBps,
      encodeMBps,
      ...(peer && { peerDecodeMBps: medianRate(repeat(() => peer(wire, samples, count))) / 1e6 }),
    };
  });
}

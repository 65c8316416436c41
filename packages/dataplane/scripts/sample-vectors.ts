/**
 * The content of vectors/samples.json: for every wire sample type, f32 inputs with the exact
 * wire bytes encodeSamples writes for them, and wire bytes with the exact f32 decodeSamples gives.
 * The native core must match every one bit for bit (native/test/test_sample_convert.cpp).
 */
import { SAMPLE_TYPES, SAMPLE_TYPE_INFO } from '@syfala/proto';
import type { SampleType } from '@syfala/proto';

import { decodeSamples, encodeSamples } from '../src/index.js';
import { SeededRandom } from '@syfala/proto';
import { hex } from './vector-json.js';

/** An f32 as its IEEE 754 bits, 8 hex digits, most significant first ("3f800000" is 1.0). */
function f32Bits(value: number): string {
  const bits = new Uint32Array(new Float32Array([value]).buffer)[0]!;
  return bits.toString(16).padStart(8, '0');
}

const fromF32Bits = (bits: number): number => new Float32Array(new Uint32Array([bits]).buffer)[0]!;

const isNaNBits = (bits: number): boolean =>
  (bits & 0x7f80_0000) === 0x7f80_0000 && (bits & 0x7f_ffff) !== 0;

const FLT_MAX = 3.4028234663852886e38;

/**
 * Edge cases for every type (±1, beyond range, ±0, ±∞, NaN, subnormals), the halves that test
 * round-half-to-even at each bit depth, near-extreme values, then seeded random ones. NaN is
 * only the canonical quiet NaN: the TS keeps no other payload.
 */
function encodeInputs(random: SeededRandom): number[] {
  const values = [
    0,
    -0,
    1,
    -1,
    0.5,
    -0.5,
    1.5,
    -1.5,
    2,
    -2,
    Infinity,
    -Infinity,
    NaN,
    2 ** -149,
    -(2 ** -149),
    2 ** -126,
    FLT_MAX,
    -FLT_MAX,
    0.1,
    -0.1,
    1e-3,
    -1e-3,
    1 - 2 ** -24,
    -(1 - 2 ** -24),
    1 + 2 ** -23,
    -1 - 2 ** -23,
  ];
  for (const bits of [8, 16, 24, 32, 64]) {
    const full = 2 ** (bits - 1);
    for (const k of [0, 1, 2, 3, 126, 127]) values.push((k + 0.5) / full, -(k + 0.5) / full);
    values.push(1 / full, -1 / full, (full - 1) / full, (full - 1.5) / full, (full - 0.5) / full);
    values.push(-(full - 0.5) / full, -(full + 0.5) / full);
  }
  for (let i = 0; i < 48; i++) values.push(random.next() * 3 - 1.5);
  for (let i = 0; i < 16; i++) values.push(random.next() * 2 ** -20 - 2 ** -21);
  for (let added = 0; added < 16;) {
    const bits = random.nextUint32();
    if (isNaNBits(bits)) continue;
    values.push(fromF32Bits(bits));
    added++;
  }
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = f32Bits(v);
    return !seen.has(key) && seen.add(key);
  });
}

/** Little-endian two's complement bytes of `value` on `bytes` bytes. */
function intBytes(value: bigint, bytes: number): Uint8Array {
  let v = BigInt.asUintN(bytes * 8, value);
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

/** Wire patterns of an integer type: extremes, f32 rounding ties, then seeded random words. */
function integerPatterns(bytes: number, random: SeededRandom): Uint8Array[] {
  const bits = bytes * 8;
  if (bits === 8) return Array.from({ length: 256 }, (_, v) => Uint8Array.of(v));
  const min = -(1n << BigInt(bits - 1));
  const max = -min - 1n;
  const values = [min, min + 1n, -2n, -1n, 0n, 1n, 2n, max - 1n, max];
  // Above 2^24 an f32 keeps 24 bits: v = 2^k + 2^(k−24) is a tie (rounds to even), ±1 is not.
  for (let k = 24; k < bits - 1; k++) {
    const tie = (1n << BigInt(k)) + (1n << BigInt(k - 24));
    values.push(tie, tie + 1n, tie - 1n, -tie, -tie - 1n, tie + (3n << BigInt(k - 24)));
  }
  if (bits === 64) {
    // The TS reads 64-bit words as two halves; these sit on its sticky-bit boundaries.
    for (const low of [1n, 0x7ffn, 0x800n, 0x801n, 0xfffn]) {
      values.push((1n << 52n) + low, (1n << 62n) + (1n << 38n) + low, -(1n << 62n) - low);
    }
  }
  const patterns = values.map((v) => intBytes(v, bytes));
  for (let i = 0; i < 48; i++) patterns.push(random.bytes(bytes));
  return patterns;
}

function f32Patterns(random: SeededRandom): Uint8Array[] {
  const bits = [
    0x0000_0000, 0x8000_0000, 0x3f80_0000, 0xbf80_0000, 0x7f7f_ffff, 0xff7f_ffff, 0x0000_0001,
    0x8000_0001, 0x0080_0000, 0x007f_ffff, 0x7f80_0000, 0xff80_0000, 0x7fc0_0000, 0x3fc0_0000,
  ];
  while (bits.length < 46) {
    const b = random.nextUint32();
    if (!isNaNBits(b)) bits.push(b);
  }
  return bits.map((b) => new Uint8Array(new Uint32Array([b]).buffer));
}

function f64Patterns(random: SeededRandom): Uint8Array[] {
  const values = [
    0,
    -0,
    1,
    -1,
    0.1,
    Infinity,
    -Infinity,
    NaN,
    1e39,
    -1e39,
    1e-50,
    -1e-50,
    // Ties between two f32 go to the even one; a hair above goes up.
    1 + 2 ** -24,
    1 + 3 * 2 ** -24,
    1 + 2 ** -24 + 2 ** -52,
    -(1 + 2 ** -24),
    2 ** -150,
    3 * 2 ** -150,
    2 ** -150 + 2 ** -200,
    2 ** -140,
    // FLT_MAX plus half an ulp is a tie whose even neighbour is 2^128: infinity.
    FLT_MAX + 2 ** 103,
    FLT_MAX + 2 ** 103 - 2 ** 75,
    -(FLT_MAX + 2 ** 103),
  ];
  for (let i = 0; i < 32; i++)
    values.push((random.nextUint32() * 2 ** 21 + (random.nextUint32() >>> 11)) / 2 ** 51 - 2);
  return values.map((v) => new Uint8Array(new Float64Array([v]).buffer));
}

function decodePatterns(type: SampleType, random: SeededRandom): Uint8Array[] {
  if (type === 'f32') return f32Patterns(random);
  if (type === 'f64') return f64Patterns(random);
  return integerPatterns(SAMPLE_TYPE_INFO[type].bytes, random);
}

export function sampleVectors(): object {
  const random = new SeededRandom('dataplane vectors', 0x5af1_a001);
  const inputs = encodeInputs(random);
  const types = SAMPLE_TYPES.map((type) => {
    const { bytes, code } = SAMPLE_TYPE_INFO[type];
    const wire = new Uint8Array(bytes);
    const encode = inputs.map((value) => {
      encodeSamples(type, Float32Array.of(value), 0, wire, 0, 1);
      return [f32Bits(value), hex(wire)];
    });
    const sample = new Float32Array(1);
    const decode = decodePatterns(type, random).map((pattern) => {
      decodeSamples(type, pattern, 0, sample, 0, 1);
      return [hex(pattern), f32Bits(sample[0]!)];
    });
    return { type, code, bytes, encode, decode };
  });
  return {
    description:
      'Sample conversion vectors generated by running the data plane core (native/src/core, through the WebAssembly build of @syfala/dataplane; scripts/generate-vectors.ts). For each wire sample type: encode = [f32 input, wire bytes encodeSamples writes], decode = [wire bytes, f32 decodeSamples gives]. f32 values are their IEEE 754 bits as 8 hex digits, most significant first (3f800000 = 1.0); wire bytes are hex in wire order (little-endian).',
    types,
  };
}

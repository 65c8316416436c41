import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { SAMPLE_TYPES, SAMPLE_TYPE_INFO, ValueError } from '@syfala/proto';
import type { SampleType } from '@syfala/proto';

import { BoundsError } from '../src/errors.js';
import { decodeSamples, encodeSamples } from '../src/sample-conversion.js';

const hex = (text: string): Uint8Array =>
  Uint8Array.from(text.split(' ').map((byte) => Number.parseInt(byte, 16)));

const toHex = (bytes: Uint8Array): string =>
  Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join(' ');

function decodeOne(type: SampleType, bytes: Uint8Array): number {
  const out = new Float32Array(1);
  decodeSamples(type, bytes, 0, out, 0, 1);
  return out[0]!;
}

function encodeOne(type: SampleType, value: number): string {
  const out = new Uint8Array(SAMPLE_TYPE_INFO[type].bytes);
  encodeSamples(type, Float32Array.of(value), 0, out, 0, 1);
  return toHex(out);
}

/** Decodes then re-encodes every sample in `bytes`; returns the re-encoded bytes. */
function roundTrip(type: SampleType, bytes: Uint8Array): Uint8Array {
  const count = bytes.length / SAMPLE_TYPE_INFO[type].bytes;
  const floats = new Float32Array(count);
  decodeSamples(type, bytes, 0, floats, 0, count);
  const again = new Uint8Array(bytes.length);
  encodeSamples(type, floats, 0, again, 0, count);
  return again;
}

/** The f32 nearest to the integer `v` (ties to even), computed exactly with BigInt. */
function nearestF32(v: bigint): number {
  const magnitude = v < 0n ? -v : v;
  if (magnitude < 2n ** 53n) return Math.fround(Number(v));
  const shift = BigInt(magnitude.toString(2).length - 24);
  let q = magnitude >> shift;
  const rest = magnitude - (q << shift);
  const half = 1n << (shift - 1n);
  if (rest > half || (rest === half && (q & 1n) === 1n)) q += 1n;
  const rounded = Number(q << shift);
  return v < 0n ? -rounded : rounded;
}

function int64Bytes(v: bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigInt64(0, v, true);
  return bytes;
}

describe('decodeSamples', () => {
  // [type, wire bytes, expected float]. Offset binary: unsigned zero is the top bit alone.
  const vectors: [SampleType, string, number][] = [
    ['u8', '80', 0],
    ['u8', '00', -1],
    ['u8', 'ff', 127 / 128],
    ['u8', '81', 1 / 128],
    ['i8', '00', 0],
    ['i8', '80', -1],
    ['i8', 'ff', -1 / 128],
    ['i8', '7f', 127 / 128],
    ['u16', '00 80', 0],
    ['u16', '00 00', -1],
    ['u16', 'ff ff', 32_767 / 32_768],
    ['i16', '00 80', -1],
    ['i16', 'ff ff', -1 / 32_768],
    ['i16', 'ff 7f', 32_767 / 32_768],
    ['i16', '01 00', 1 / 32_768],
    ['i16', '00 40', 0.5],
    ['u24', '00 00 80', 0],
    ['u24', '00 00 00', -1],
    ['u24', 'ff ff ff', 8_388_607 / 8_388_608],
    ['i24', 'ff ff ff', -1 / 8_388_608],
    ['i24', '00 00 80', -1],
    ['i24', 'ff ff 7f', 8_388_607 / 8_388_608],
    ['i24', '56 34 12', 0x12_3456 / 8_388_608],
    ['i24', '00 00 c0', -0.5],
    ['u32', '00 00 00 80', 0],
    ['u32', '00 00 00 00', -1],
    ['u32', '00 00 00 c0', 0.5],
    ['i32', '00 00 00 80', -1],
    ['i32', 'ff ff ff ff', -(2 ** -31)],
    ['i32', '00 00 00 40', 0.5],
    ['i32', '80 00 00 00', 2 ** -24],
    // 2^31 − 1 is not an f32; it rounds up to 1.0.
    ['i32', 'ff ff ff 7f', 1],
    ['u64', '00 00 00 00 00 00 00 80', 0],
    ['u64', '00 00 00 00 00 00 00 00', -1],
    ['i64', '00 00 00 00 00 00 00 80', -1],
    ['i64', 'ff ff ff ff ff ff ff ff', -(2 ** -63)],
    ['i64', '00 00 00 00 00 00 00 40', 0.5],
    ['i64', '00 00 00 00 00 00 00 c0', -0.5],
    ['i64', '01 00 00 00 00 00 00 00', 2 ** -63],
    ['i64', 'ff ff ff ff ff ff ff 7f', 1],
    ['f32', '00 00 80 3f', 1],
    ['f32', '00 00 c0 bf', -1.5],
    ['f32', '00 00 80 7f', Infinity],
    ['f32', '01 00 00 00', 2 ** -149],
    ['f64', '00 00 00 00 00 00 f0 3f', 1],
    ['f64', '00 00 00 00 00 00 f8 bf', -1.5],
    ['f64', '9a 99 99 99 99 99 b9 3f', Math.fround(0.1)],
  ];

  it.each(vectors)('decodes %s %s as %d', (type, bytes, expected) => {
    expect(decodeOne(type, hex(bytes))).toBe(expected);
  });

  it('decodes f32 NaN as NaN', () => {
    expect(decodeOne('f32', hex('00 00 c0 7f'))).toBeNaN();
    expect(decodeOne('f64', hex('00 00 00 00 00 00 f8 7f'))).toBeNaN();
  });

  it('rounds f64 to the nearest f32, ties to even', () => {
    const f64 = (value: number): Uint8Array => {
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setFloat64(0, value, true);
      return bytes;
    };
    expect(decodeOne('f64', f64(1 + 2 ** -24))).toBe(1);
    expect(decodeOne('f64', f64(1 + 3 * 2 ** -24))).toBe(1 + 2 ** -22);
    expect(decodeOne('f64', f64(1 + 2 ** -24 + 2 ** -40))).toBe(1 + 2 ** -23);
    expect(decodeOne('f64', f64(1e300))).toBe(Infinity);
  });

  it('rounds i64 to the nearest f32 once, where f64 then f32 would round twice', () => {
    // 2^62 + 2^38 + 1: a tie for f32 to the 53-bit grid, just above it in truth.
    const v = 2n ** 62n + 2n ** 38n + 1n;
    expect(Math.fround(Number(v))).toBe(2 ** 62);
    expect(decodeOne('i64', int64Bytes(v))).toBe((2 ** 62 + 2 ** 39) * 2 ** -63);
  });

  it('matches exact BigInt rounding for any i64', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
        expect(decodeOne('i64', int64Bytes(v))).toBe(nearestF32(v) * 2 ** -63);
      }),
      { numRuns: 5_000 },
    );
  });

  it('reads at unaligned offsets and leaves the rest of the destination alone', () => {
    for (const type of SAMPLE_TYPES) {
      const bytes = SAMPLE_TYPE_INFO[type].bytes;
      const wire = new Uint8Array(3 + 5 * bytes);
      for (let i = 0; i < wire.length; i++) wire[i] = (i * 37 + 11) & 0xff;
      const aligned = new Float32Array(5);
      decodeSamples(type, wire.slice(3), 0, aligned, 0, 5);

      const out = new Float32Array(9).fill(7);
      expect(decodeSamples(type, wire, 3, out, 1, 5)).toBe(5 * bytes);
      expect(Array.from(out.subarray(1, 6))).toEqual(Array.from(aligned));
      expect([out[0], ...out.subarray(6)]).toEqual([7, 7, 7, 7]);
    }
  });

  it('reads each of several views over one ArrayBuffer from its own start', () => {
    // Float types cache a DataView per buffer; views sharing an ArrayBuffer must not share it.
    const memory = new Float32Array([0.25, 0.5, 0.75, 1]);
    const whole = new Uint8Array(memory.buffer);
    const tail = new Uint8Array(memory.buffer, 8, 8);
    const out = new Float32Array(2);
    for (let pass = 0; pass < 2; pass++) {
      decodeSamples('f32', whole, 0, out, 0, 2);
      expect(Array.from(out)).toEqual([0.25, 0.5]);
      decodeSamples('f32', tail, 0, out, 0, 2);
      expect(Array.from(out)).toEqual([0.75, 1]);
    }
  });

  it('rejects an unknown type and out-of-range arguments', () => {
    const wire = new Uint8Array(6);
    const out = new Float32Array(3);
    const unknown = 'i12' as SampleType;
    expect(() => decodeSamples(unknown, wire, 0, out, 0, 1)).toThrow(ValueError);
    expect(() => decodeSamples('i16', wire, 2, out, 0, 3)).toThrow(BoundsError);
    expect(() => decodeSamples('i16', wire, 0, out, 1, 3)).toThrow(BoundsError);
    expect(() => decodeSamples('i16', wire, -1, out, 0, 1)).toThrow(BoundsError);
    expect(() => decodeSamples('i16', wire, 0, out, 0, 1.5)).toThrow(BoundsError);
    expect(() => decodeSamples('i16', wire, 0, out, 0, 3)).not.toThrow();
    expect(() => decodeSamples('i24', wire, 1, out, 0, 2)).toThrow(
      expect.objectContaining({
        code: 'OUT_OF_BOUNDS',
        message: 'decodeSamples: source bytes: expected offset + count ≤ 6, got offset 1, count 6',
      }),
    );
  });
});

describe('encodeSamples', () => {
  // [type, float, expected wire bytes]: full scale, clipping of ±1.5 and ±∞, NaN.
  const vectors: [SampleType, number, string][] = [
    ['u8', 0, '80'],
    ['u8', -1, '00'],
    ['u8', 1, 'ff'],
    ['u8', 1.5, 'ff'],
    ['u8', -1.5, '00'],
    ['u8', NaN, '80'],
    ['i8', 1, '7f'],
    ['i8', -1, '80'],
    ['i8', 1.5, '7f'],
    ['i8', -1.5, '80'],
    ['i8', -1 / 128, 'ff'],
    ['i8', NaN, '00'],
    ['u16', 0, '00 80'],
    ['u16', 1.5, 'ff ff'],
    ['u16', -1.5, '00 00'],
    ['u16', NaN, '00 80'],
    ['i16', 1, 'ff 7f'],
    ['i16', -1, '00 80'],
    ['i16', 1.5, 'ff 7f'],
    ['i16', -1.5, '00 80'],
    ['i16', Infinity, 'ff 7f'],
    ['i16', -Infinity, '00 80'],
    ['i16', 0.5, '00 40'],
    ['i16', -1 / 32_768, 'ff ff'],
    ['i16', NaN, '00 00'],
    ['u24', 0, '00 00 80'],
    ['u24', 1.5, 'ff ff ff'],
    ['u24', -1.5, '00 00 00'],
    ['u24', NaN, '00 00 80'],
    ['i24', -1 / 8_388_608, 'ff ff ff'],
    ['i24', -1, '00 00 80'],
    ['i24', 1, 'ff ff 7f'],
    ['i24', 1.5, 'ff ff 7f'],
    ['i24', -1.5, '00 00 80'],
    ['i24', 0x12_3456 / 8_388_608, '56 34 12'],
    ['i24', NaN, '00 00 00'],
    ['u32', 0, '00 00 00 80'],
    ['u32', 1.5, 'ff ff ff ff'],
    ['u32', -1.5, '00 00 00 00'],
    ['u32', NaN, '00 00 00 80'],
    ['i32', 1, 'ff ff ff 7f'],
    ['i32', -1, '00 00 00 80'],
    ['i32', 1.5, 'ff ff ff 7f'],
    ['i32', -1.5, '00 00 00 80'],
    ['i32', -(2 ** -31), 'ff ff ff ff'],
    ['i32', NaN, '00 00 00 00'],
    ['u64', 0, '00 00 00 00 00 00 00 80'],
    ['u64', 1.5, 'ff ff ff ff ff ff ff ff'],
    ['u64', -1.5, '00 00 00 00 00 00 00 00'],
    ['u64', NaN, '00 00 00 00 00 00 00 80'],
    ['i64', 1, 'ff ff ff ff ff ff ff 7f'],
    ['i64', -1, '00 00 00 00 00 00 00 80'],
    ['i64', 1.5, 'ff ff ff ff ff ff ff 7f'],
    ['i64', -1.5, '00 00 00 00 00 00 00 80'],
    ['i64', -0.5, '00 00 00 00 00 00 00 c0'],
    ['i64', -(2 ** -63), 'ff ff ff ff ff ff ff ff'],
    ['i64', 2 ** -32, '00 00 00 80 00 00 00 00'],
    ['i64', NaN, '00 00 00 00 00 00 00 00'],
    // Floats are never clipped.
    ['f32', 1.5, '00 00 c0 3f'],
    ['f32', -Infinity, '00 00 80 ff'],
    ['f64', 1.5, '00 00 00 00 00 00 f8 3f'],
    ['f64', Math.fround(0.1), '00 00 00 a0 99 99 b9 3f'],
  ];

  it.each(vectors)('encodes %s %d as %s', (type, value, expected) => {
    expect(encodeOne(type, value)).toBe(expected);
  });

  it('rounds half to even', () => {
    const i16 = (lsb: number): string => encodeOne('i16', lsb / 32_768);
    expect([0.5, 1.5, 2.5, 2.5000002, -0.5, -1.5, -2.5].map(i16)).toEqual([
      '00 00',
      '02 00',
      '02 00',
      '03 00',
      '00 00',
      'fe ff',
      'fe ff',
    ]);
    expect(encodeOne('i8', 0.5 / 128)).toBe('00');
    expect(encodeOne('u8', 1.5 / 128)).toBe('82');
    expect(encodeOne('i24', 2.5 / 8_388_608)).toBe('02 00 00');
    expect(encodeOne('i32', 3.5 / 2 ** 31)).toBe('04 00 00 00');
    expect(encodeOne('i64', 0.5 * 2 ** -63)).toBe('00 00 00 00 00 00 00 00');
    expect(encodeOne('i64', -1.5 * 2 ** -63)).toBe('fe ff ff ff ff ff ff ff');
  });

  it('keeps f32 bits, NaN stays NaN', () => {
    expect(decodeOne('f32', hex(encodeOne('f32', NaN)))).toBeNaN();
    expect(decodeOne('f64', hex(encodeOne('f64', NaN)))).toBeNaN();
    expect(encodeOne('f32', -0)).toBe('00 00 00 80');
  });

  it('writes at unaligned offsets and touches no other byte', () => {
    const samples = Float32Array.of(0.25, -0.75, 1.5, NaN, -3e-5, 0.999);
    for (const type of SAMPLE_TYPES) {
      const bytes = SAMPLE_TYPE_INFO[type].bytes;
      const aligned = new Uint8Array(5 * bytes);
      encodeSamples(type, samples, 1, aligned, 0, 5);

      const out = new Uint8Array(3 + 5 * bytes + 2).fill(0xaa);
      expect(encodeSamples(type, samples, 1, out, 3, 5)).toBe(5 * bytes);
      expect(toHex(out.subarray(3, 3 + 5 * bytes))).toBe(toHex(aligned));
      expect(toHex(out.subarray(0, 3))).toBe('aa aa aa');
      expect(toHex(out.subarray(3 + 5 * bytes))).toBe('aa aa');
    }
  });

  it('rejects out-of-range arguments', () => {
    const src = new Float32Array(4);
    expect(() => encodeSamples('i24', src, 0, new Uint8Array(11), 0, 4)).toThrow(BoundsError);
    expect(() => encodeSamples('i24', src, 1, new Uint8Array(12), 0, 4)).toThrow(BoundsError);
    expect(() => encodeSamples('i24', src, 0, new Uint8Array(12), 0, -1)).toThrow(BoundsError);
    expect(encodeSamples('i24', src, 0, new Uint8Array(12), 0, 0)).toBe(0);
  });
});

describe('round trips', () => {
  it.each(['u8', 'i8', 'u16', 'i16'] as const)(
    '%s → f32 → back is exact for every value',
    (type) => {
      const bytes = SAMPLE_TYPE_INFO[type].bytes;
      const wire = new Uint8Array(2 ** (8 * bytes) * bytes);
      for (let k = 0; k < 2 ** (8 * bytes); k++) {
        for (let b = 0; b < bytes; b++) wire[k * bytes + b] = k >> (8 * b);
      }
      expect(roundTrip(type, wire)).toEqual(wire);
    },
  );

  it.each(['u24', 'i24'] as const)('%s → f32 → back is exact for every value', (type) => {
    const chunkSamples = 1 << 16;
    const wire = new Uint8Array(chunkSamples * 3);
    for (let high = 0; high < 256; high++) {
      for (let i = 0; i < chunkSamples; i++) {
        wire[3 * i] = i;
        wire[3 * i + 1] = i >> 8;
        wire[3 * i + 2] = high;
      }
      const again = roundTrip(type, wire);
      const firstDiff = again.findIndex((byte, i) => byte !== wire[i]);
      expect(firstDiff, `top byte ${high.toString(16)}`).toBe(-1);
    }
  });

  it('decodes every i16 as s / 2^15', () => {
    const wire = new Uint8Array(2 * 65_536);
    for (let s = -32_768; s < 32_768; s++) {
      wire[2 * (s + 32_768)] = s;
      wire[2 * (s + 32_768) + 1] = s >> 8;
    }
    const out = new Float32Array(65_536);
    decodeSamples('i16', wire, 0, out, 0, 65_536);
    expect(out.findIndex((value, i) => value !== (i - 32_768) / 32_768)).toBe(-1);
  });

  it('keeps 32-bit values to within half an f32 ulp, exactly below 2^24', () => {
    const check = (s: number): void => {
      const wire = new Uint8Array(4);
      new DataView(wire.buffer).setInt32(0, s, true);
      const back = new DataView(roundTrip('i32', wire).buffer).getInt32(0, true);
      const error = Math.abs(back - s);
      expect(error).toBeLessThanOrEqual(Math.abs(s) < 2 ** 24 ? 0 : 64);
    };
    for (const s of [
      -(2 ** 31),
      2 ** 31 - 1,
      2 ** 31 - 64,
      2 ** 31 - 65,
      -(2 ** 24),
      2 ** 24 + 1,
      0,
    ])
      check(s);
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (s) => check(s)),
      {
        numRuns: 10_000,
      },
    );
  });

  it('keeps 64-bit values to within half an f32 ulp, exactly below 2^24', () => {
    const check = (v: bigint): void => {
      const back = new DataView(roundTrip('i64', int64Bytes(v)).buffer).getBigInt64(0, true);
      const error = back > v ? back - v : v - back;
      const magnitude = v < 0n ? -v : v;
      expect(error <= (magnitude < 2n ** 24n ? 0n : 2n ** 38n)).toBe(true);
    };
    for (const v of [-(2n ** 63n), 2n ** 63n - 1n, 2n ** 24n - 1n, -(2n ** 24n), 1n, -1n, 0n])
      check(v);
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => check(v)),
      { numRuns: 10_000 },
    );
  });

  it('f32 → f64 → f32 is exact', () => {
    fc.assert(
      fc.property(fc.float32Array({ maxLength: 64 }), (samples) => {
        const wire = new Uint8Array(samples.length * 8);
        encodeSamples('f64', samples, 0, wire, 0, samples.length);
        const back = new Float32Array(samples.length);
        decodeSamples('f64', wire, 0, back, 0, samples.length);
        expect(Array.from(back)).toEqual(Array.from(samples));
      }),
    );
  });

  it('decode ∘ encode is stable: a second pass reproduces the first bytes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SAMPLE_TYPES),
        fc.float32Array({ maxLength: 64, noNaN: true }),
        (type, samples) => {
          const wire = new Uint8Array(samples.length * SAMPLE_TYPE_INFO[type].bytes);
          encodeSamples(type, samples, 0, wire, 0, samples.length);
          expect(toHex(roundTrip(type, wire))).toBe(toHex(wire));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('encode ∘ decode is stable on arbitrary wire bytes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SAMPLE_TYPES),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        (type, wire) => {
          const count = Math.floor(64 / SAMPLE_TYPE_INFO[type].bytes);
          const first = new Float32Array(count);
          const second = new Float32Array(count);
          decodeSamples(type, wire, 0, first, 0, count);
          const again = new Uint8Array(64);
          encodeSamples(type, first, 0, again, 0, count);
          decodeSamples(type, again, 0, second, 0, count);
          // toEqual treats NaN as equal to NaN, as f32 payloads need not survive.
          expect(Array.from(second)).toEqual(Array.from(first));
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

import type { SeededRandom } from '../../src/index.js';

/**
 * A field worth tampering with, found by a target in the bytes at hand: a fixed-width
 * little-endian integer (`size` bytes) or a protobuf varint (`size` bytes long as encoded).
 * `candidates` are values that mean something there (valid tags, enum codes, field keys).
 */
export interface Field {
  readonly offset: number;
  readonly size: number;
  readonly kind: 'le' | 'varint';
  readonly value: number;
  readonly candidates?: readonly number[];
}

export type FieldFinder = (bytes: Uint8Array) => readonly Field[];

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function writeLe(bytes: Uint8Array, offset: number, size: number, value: number): void {
  for (let i = 0; i < size && offset + i < bytes.length; i++) {
    bytes[offset + i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
  }
}

/** `value` as a protobuf varint, `padding` bytes longer than needed (valid, but not canonical). */
function varint(value: number, padding: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  do {
    out.push(v % 128);
    v = Math.floor(v / 128);
  } while (v > 0);
  for (let i = 0; i < padding; i++) out.push(0);
  for (let i = 0; i < out.length - 1; i++) out[i]! |= 0x80;
  return Uint8Array.from(out);
}

/** Boundaries and near misses: the values where length and range checks go wrong. */
function tamperedValue(rng: SeededRandom, field: Field): number {
  const max = field.kind === 'le' ? 2 ** (8 * field.size) - 1 : 2 ** 53 - 1;
  const { value } = field;
  const choices = [0, 1, value - 1, value + 1, value - 2, value + 2, value * 2, max, max - 1];
  const pick =
    field.candidates !== undefined && rng.chance(0.5)
      ? rng.pick(field.candidates)
      : rng.chance(0.85)
        ? rng.pick(choices)
        : rng.below(Math.min(max, 2 ** 32) + 1);
  return Math.min(max, Math.max(0, pick));
}

function tamper(rng: SeededRandom, bytes: Uint8Array, field: Field): Uint8Array {
  const value = tamperedValue(rng, field);
  if (field.kind === 'le') {
    const out = Uint8Array.from(bytes);
    writeLe(out, field.offset, field.size, value);
    return out;
  }
  const encoded = varint(value, rng.chance(0.1) ? rng.int(1, 4) : 0);
  return concat(
    bytes.subarray(0, field.offset),
    encoded,
    bytes.subarray(field.offset + field.size),
  );
}

/** One blind mutation of `bytes`; `donors` are other valid inputs to splice with. */
function mutateOnce(
  rng: SeededRandom,
  bytes: Uint8Array,
  donors: readonly Uint8Array[],
): Uint8Array {
  const at = rng.below(bytes.length + 1);
  const span = rng.int(1, 8);
  switch (rng.below(9)) {
    case 0: {
      const out = Uint8Array.from(bytes);
      if (at < out.length) out[at]! ^= 1 << rng.below(8);
      return out;
    }
    case 1: {
      const out = Uint8Array.from(bytes);
      if (at < out.length) out[at] = rng.chance(0.7) ? rng.pick(INTERESTING_BYTES) : rng.below(256);
      return out;
    }
    case 2:
      return bytes.subarray(0, rng.below(bytes.length + 1));
    case 3:
      return concat(bytes, rng.chance(0.5) ? rng.bytes(rng.int(1, 16)) : bytes.subarray(at));
    case 4:
      return concat(bytes.subarray(0, at), rng.bytes(span), bytes.subarray(at));
    case 5:
      return concat(bytes.subarray(0, at), bytes.subarray(at + span));
    case 6: {
      const from = rng.below(bytes.length + 1);
      return concat(
        bytes.subarray(0, at),
        bytes.subarray(from, from + span * 4),
        bytes.subarray(at),
      );
    }
    case 7: {
      const out = Uint8Array.from(bytes);
      const size = rng.pick([1, 2, 4, 8]);
      writeLe(
        out,
        at,
        size,
        rng.chance(0.5) ? 2 ** (8 * size) - 1 - rng.below(3) : rng.nextUint32(),
      );
      return out;
    }
    default: {
      // Splice: two whole messages back to back, or this input's head with another's tail.
      const donor = rng.pick(donors);
      if (rng.chance(0.25)) return concat(bytes, donor);
      return concat(bytes.subarray(0, at), donor.subarray(rng.below(donor.length + 1)));
    }
  }
}

/**
 * One to four stacked mutations. About 40% tamper with a field the target found (lengths, counts,
 * tags, enums): blind mutations alone rarely get past the first length check.
 */
export function mutate(
  rng: SeededRandom,
  bytes: Uint8Array,
  donors: readonly Uint8Array[],
  fields: FieldFinder,
): Uint8Array {
  let out = bytes;
  const count = rng.int(1, 4);
  for (let i = 0; i < count; i++) {
    const found = rng.chance(0.4) ? fields(out) : [];
    out = found.length > 0 ? tamper(rng, out, rng.pick(found)) : mutateOnce(rng, out, donors);
  }
  return out;
}

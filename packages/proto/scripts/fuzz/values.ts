import {
  MAX_BUFFER_FRAMES,
  MAX_CHANNELS,
  MAX_SAMPLE_RATE,
  MIN_BUFFER_FRAMES,
  MIN_SAMPLE_RATE,
  SAMPLE_TYPES,
  makeFormat,
  type Format,
  type SeededRandom,
} from '../../src/index.js';

/** Field values for seed messages: valid, with their boundaries drawn often. */

export function u32(rng: SeededRandom): number {
  return rng.chance(0.3)
    ? rng.pick([0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff])
    : rng.nextUint32();
}

/** Below 2^53, as every u64 on either wire. */
export function u53(rng: SeededRandom): number {
  return rng.chance(0.3)
    ? rng.pick([0, 1, 0xffff_ffff, 0x1_0000_0000, Number.MAX_SAFE_INTEGER])
    : rng.below(0x20_0000) * 0x1_0000_0000 + rng.nextUint32();
}

/** A sample rate in range, its bounds and fractional rates included. */
function sampleRate(rng: SeededRandom): number {
  if (rng.chance(0.5)) return rng.pick([MIN_SAMPLE_RATE, 44_100, 48_000, MAX_SAMPLE_RATE]);
  return MIN_SAMPLE_RATE + (MAX_SAMPLE_RATE - MIN_SAMPLE_RATE) * (rng.nextUint32() / 0xffff_ffff);
}

function bufferFrames(rng: SeededRandom): number {
  return rng.chance(0.3)
    ? rng.pick([0, MIN_BUFFER_FRAMES, MAX_BUFFER_FRAMES])
    : rng.int(MIN_BUFFER_FRAMES, MAX_BUFFER_FRAMES);
}

export function format(rng: SeededRandom): Format {
  return makeFormat({
    sampleType: rng.pick(SAMPLE_TYPES),
    channels: rng.chance(0.3) ? rng.pick([1, 2, MAX_CHANNELS]) : rng.int(1, MAX_CHANNELS),
    bufferFrames: bufferFrames(rng),
    sampleRate: sampleRate(rng),
  });
}

export function formats(rng: SeededRandom, most: number): Format[] {
  const count = rng.chance(0.01) ? most : rng.below(5);
  return Array.from({ length: count }, () => format(rng));
}

// Multi-byte UTF-8 of every length, a BOM (which a UTF-8 decoder may strip), NUL, U+FFFD.
const TEXT_PIECES = ['a', 'Z', ' ', 'é', '—', '\u07ff', '\u0800', '\uffff', '𝄞', '\u{10ffff}'];
const TEXT_TRAPS = ['\ufeff', '\u0000', '\ufffd'];

/** Well-formed text of at most 4 × `most` UTF-8 bytes. */
export function text(rng: SeededRandom, most: number): string {
  let out = '';
  const length = rng.below(most + 1);
  for (let i = 0; i < length; i++) {
    out += rng.pick(rng.chance(0.1) ? TEXT_TRAPS : TEXT_PIECES);
  }
  return out;
}

export function uuid(rng: SeededRandom): string {
  const hex = Array.from(rng.bytes(16), (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** The same bytes as a Node Buffer, which is what sockets hand to the decoders. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The same bytes as a plain Uint8Array. */
export function asPlain(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

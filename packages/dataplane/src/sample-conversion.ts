/**
 * Wire samples ↔ Float32, in caller-owned buffers.
 *
 * Wire layout: packed, little-endian, interleaved; 24-bit types take exactly 3 bytes.
 *
 * Scaling (N = bits per sample, F = 2^(N-1)):
 *
 *   signed   iN  s → s / F              so iN min → −1.0, iN max → 1 − 1/F
 *   unsigned uN  u → (u − F) / F         offset binary: u8 0x80 → 0.0, u8 0x00 → −1.0
 *   float    f32 passes through bit-exact (NaN payloads not guaranteed); f64 → f32 rounds
 *            to nearest even and overflows to ±∞
 *
 * Float → integer: multiply by F, clip to [−F, F − 1] (so +1.0 becomes max), round half to even
 * (what C's lrintf does in the default FP mode, so a native path can match us bit for bit),
 * NaN → 0 (uN: F, the offset-binary zero). Floats going to f32/f64 are never clipped.
 *
 * Precision: every 8-, 16- and 24-bit value survives int → f32 → int exactly. 32- and 64-bit
 * values keep f32's 24 significant bits: a round trip is exact for |s| < 2^24 and otherwise
 * off by at most half an f32 ulp (≤ 2^6 LSB for 32-bit, ≤ 2^38 LSB for 64-bit).
 * 64-bit words are read as two 32-bit halves without BigInt and rounded to f32 once, correctly.
 *
 * Each type has its own loop so the hot path never dispatches per sample; signed and unsigned
 * share a loop because offset binary is two's complement with the top bit flipped.
 */
import { SAMPLE_TYPE_INFO, ValueError, isSampleType } from '@syfala/proto';
import type { SampleType } from '@syfala/proto';

import { checkRange } from './errors.js';

/** XOR on the top byte that turns offset binary into two's complement and back. */
const SIGNED = 0;
const UNSIGNED = 0x80;

/** (v + 1.5·2^52) − 1.5·2^52 rounds v to an integer, half to even, for |v| ≤ 2^51. */
const ROUND_MAGIC = 6_755_399_441_055_744;

const TWO_POW_32 = 4_294_967_296;
const TWO_POW_63 = 9_223_372_036_854_775_808;

/**
 * Floats go through a DataView, which V8 compiles to plain loads and stores (about 4× faster
 * here than assembling bytes). Views are cached, one per direction: a receive or send loop
 * converts from or into the same buffer over and over, so after the first call no view is made.
 */
class ViewCache {
  #view: DataView | undefined;

  of(bytes: Uint8Array): DataView {
    const view = this.#view;
    if (
      view !== undefined &&
      view.buffer === bytes.buffer &&
      view.byteOffset === bytes.byteOffset &&
      view.byteLength === bytes.byteLength
    ) {
      return view;
    }
    return (this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
}

const decodeViews = new ViewCache();
const encodeViews = new ViewCache();

/**
 * Decodes `count` wire samples of `type` from `src` at byte `srcOffset` into `dst` at
 * `dstOffset`. Returns the number of wire bytes read.
 */
export function decodeSamples(
  type: SampleType,
  src: Uint8Array,
  srcOffset: number,
  dst: Float32Array,
  dstOffset: number,
  count: number,
): number {
  const bytes = wireBytes(type);
  checkRange('decodeSamples: destination', dst.length, dstOffset, count);
  checkRange('decodeSamples: source bytes', src.length, srcOffset, count * bytes);
  switch (type) {
    case 'u8':
      decode8(src, srcOffset, dst, dstOffset, count, UNSIGNED);
      break;
    case 'i8':
      decode8(src, srcOffset, dst, dstOffset, count, SIGNED);
      break;
    case 'u16':
      decode16(src, srcOffset, dst, dstOffset, count, UNSIGNED);
      break;
    case 'i16':
      decode16(src, srcOffset, dst, dstOffset, count, SIGNED);
      break;
    case 'u24':
      decode24(src, srcOffset, dst, dstOffset, count, UNSIGNED);
      break;
    case 'i24':
      decode24(src, srcOffset, dst, dstOffset, count, SIGNED);
      break;
    case 'u32':
      decode32(src, srcOffset, dst, dstOffset, count, UNSIGNED);
      break;
    case 'i32':
      decode32(src, srcOffset, dst, dstOffset, count, SIGNED);
      break;
    case 'u64':
      decode64(src, srcOffset, dst, dstOffset, count, UNSIGNED);
      break;
    case 'i64':
      decode64(src, srcOffset, dst, dstOffset, count, SIGNED);
      break;
    case 'f32':
      decodeF32(src, srcOffset, dst, dstOffset, count);
      break;
    case 'f64':
      decodeF64(src, srcOffset, dst, dstOffset, count);
      break;
  }
  return count * bytes;
}

/**
 * Encodes `count` samples from `src` at `srcOffset` as wire samples of `type` into `dst` at
 * byte `dstOffset`, clipping as described above. Returns the number of wire bytes written.
 */
export function encodeSamples(
  type: SampleType,
  src: Float32Array,
  srcOffset: number,
  dst: Uint8Array,
  dstOffset: number,
  count: number,
): number {
  const bytes = wireBytes(type);
  checkRange('encodeSamples: source', src.length, srcOffset, count);
  checkRange('encodeSamples: destination bytes', dst.length, dstOffset, count * bytes);
  switch (type) {
    case 'u8':
      encode8(src, srcOffset, dst, dstOffset, count, UNSIGNED);
      break;
    case 'i8':
      encode8(src, srcOffset, dst, dstOffset, count, SIGNED);
      break;
    case 'u16':
      encode16(src, srcOffset, dst, dstOffset, count, UNSIGNED);
      break;
    case 'i16':
      encode16(src, srcOffset, dst, dstOffset, count, SIGNED);
      break;
    case 'u24':
      encode24(src, srcOffset, dst, dstOffset, count, UNSIGNED);
      break;
    case 'i24':
      encode24(src, srcOffset, dst, dstOffset, count, SIGNED);
      break;
    case 'u32':
      encode32(src, srcOffset, dst, dstOffset, count, UNSIGNED);
      break;
    case 'i32':
      encode32(src, srcOffset, dst, dstOffset, count, SIGNED);
      break;
    case 'u64':
      encode64(src, srcOffset, dst, dstOffset, count, UNSIGNED);
      break;
    case 'i64':
      encode64(src, srcOffset, dst, dstOffset, count, SIGNED);
      break;
    case 'f32':
      encodeF32(src, srcOffset, dst, dstOffset, count);
      break;
    case 'f64':
      encodeF64(src, srcOffset, dst, dstOffset, count);
      break;
  }
  return count * bytes;
}

/**
 * Interleaves `frames` frames from one array per channel into `out` (frame-major: L R L R …).
 * Returns the number of samples written, `frames × planar.length`.
 */
export function interleave(
  planar: readonly Float32Array[],
  frames: number,
  out: Float32Array,
): number {
  const channels = planar.length;
  checkRange('interleave: output', out.length, 0, frames * channels);
  for (let c = 0; c < channels; c++) {
    const channel = planar[c]!;
    checkRange(`interleave: channel ${c}`, channel.length, 0, frames);
    for (let f = 0, o = c; f < frames; f++, o += channels) out[o] = channel[f]!;
  }
  return frames * channels;
}

/**
 * Splits `frames` interleaved frames into one array per channel; the channel count is
 * `out.length`. Returns the number of samples read, `frames × out.length`.
 */
export function deinterleave(
  interleaved: Float32Array,
  frames: number,
  out: readonly Float32Array[],
): number {
  const channels = out.length;
  checkRange('deinterleave: input', interleaved.length, 0, frames * channels);
  for (let c = 0; c < channels; c++) {
    const channel = out[c]!;
    checkRange(`deinterleave: channel ${c}`, channel.length, 0, frames);
    for (let f = 0, i = c; f < frames; f++, i += channels) channel[f] = interleaved[i]!;
  }
  return frames * channels;
}

function wireBytes(type: SampleType): number {
  if (!isSampleType(type)) {
    throw new ValueError(
      'BAD_SAMPLE_TYPE',
      `sample conversion: unknown sample type ${String(type)}`,
    );
  }
  return SAMPLE_TYPE_INFO[type].bytes;
}

// Decoders: assemble the two's-complement value (top byte XOR `flip`), sign-extend with a
// shift pair, scale by 1/F. Every result below 2^24 in magnitude is exact in f32.

function decode8(
  src: Uint8Array,
  s: number,
  dst: Float32Array,
  d: number,
  n: number,
  flip: number,
): void {
  for (let end = d + n; d < end; d++, s++) dst[d] = (((src[s]! ^ flip) << 24) >> 24) * (1 / 128);
}

function decode16(
  src: Uint8Array,
  s: number,
  dst: Float32Array,
  d: number,
  n: number,
  flip: number,
): void {
  for (let end = d + n; d < end; d++, s += 2) {
    dst[d] = (((src[s]! | ((src[s + 1]! ^ flip) << 8)) << 16) >> 16) * (1 / 32_768);
  }
}

function decode24(
  src: Uint8Array,
  s: number,
  dst: Float32Array,
  d: number,
  n: number,
  flip: number,
): void {
  for (let end = d + n; d < end; d++, s += 3) {
    const v = src[s]! | (src[s + 1]! << 8) | ((src[s + 2]! ^ flip) << 16);
    dst[d] = ((v << 8) >> 8) * (1 / 8_388_608);
  }
}

function decode32(
  src: Uint8Array,
  s: number,
  dst: Float32Array,
  d: number,
  n: number,
  flip: number,
): void {
  for (let end = d + n; d < end; d++, s += 4) {
    const v = src[s]! | (src[s + 1]! << 8) | (src[s + 2]! << 16) | ((src[s + 3]! ^ flip) << 24);
    // Exact in f64; the Float32Array store is the only rounding.
    dst[d] = v * (1 / 2_147_483_648);
  }
}

function decode64(
  src: Uint8Array,
  s: number,
  dst: Float32Array,
  d: number,
  n: number,
  flip: number,
): void {
  for (let end = d + n; d < end; d++, s += 8) {
    let lo = (src[s]! | (src[s + 1]! << 8) | (src[s + 2]! << 16) | (src[s + 3]! << 24)) >>> 0;
    const hi =
      src[s + 4]! | (src[s + 5]! << 8) | (src[s + 6]! << 16) | ((src[s + 7]! ^ flip) << 24);
    // Below 2^52 in magnitude hi·2^32 + lo is exact. Above, rounding to f64 and then to f32
    // could round twice; rounding to odd at bit 11 first (truncate, keep a sticky bit) leaves an
    // exact f64 whose nearest f32 is the nearest f32 of the true value.
    if (hi >= 0x10_0000 || hi < -0x10_0000) lo = (lo & 0x7ff ? lo | 0x800 : lo) & ~0x7ff;
    dst[d] = (hi * TWO_POW_32 + (lo >>> 0)) * (1 / TWO_POW_63);
  }
}

function decodeF32(src: Uint8Array, s: number, dst: Float32Array, d: number, n: number): void {
  const view = decodeViews.of(src);
  for (let end = d + n; d < end; d++, s += 4) dst[d] = view.getFloat32(s, true);
}

function decodeF64(src: Uint8Array, s: number, dst: Float32Array, d: number, n: number): void {
  const view = decodeViews.of(src);
  // The Float32Array store rounds to nearest even.
  for (let end = d + n; d < end; d++, s += 8) dst[d] = view.getFloat64(s, true);
}

// Encoders: scale, clip, round half to even. NaN fails both clip comparisons and `| 0` turns
// it into 0. Uint8Array stores keep the low 8 bits, so shifted values need no masking.

function encode8(
  src: Float32Array,
  s: number,
  dst: Uint8Array,
  d: number,
  n: number,
  flip: number,
): void {
  for (let end = s + n; s < end; s++, d++) {
    let v = src[s]! * 128;
    if (v > 127) v = 127;
    else if (v < -128) v = -128;
    dst[d] = ((v + ROUND_MAGIC - ROUND_MAGIC) | 0) ^ flip;
  }
}

function encode16(
  src: Float32Array,
  s: number,
  dst: Uint8Array,
  d: number,
  n: number,
  flip: number,
): void {
  for (let end = s + n; s < end; s++, d += 2) {
    let v = src[s]! * 32_768;
    if (v > 32_767) v = 32_767;
    else if (v < -32_768) v = -32_768;
    const i = (v + ROUND_MAGIC - ROUND_MAGIC) | 0;
    dst[d] = i;
    dst[d + 1] = (i >> 8) ^ flip;
  }
}

function encode24(
  src: Float32Array,
  s: number,
  dst: Uint8Array,
  d: number,
  n: number,
  flip: number,
): void {
  for (let end = s + n; s < end; s++, d += 3) {
    let v = src[s]! * 8_388_608;
    if (v > 8_388_607) v = 8_388_607;
    else if (v < -8_388_608) v = -8_388_608;
    const i = (v + ROUND_MAGIC - ROUND_MAGIC) | 0;
    dst[d] = i;
    dst[d + 1] = i >> 8;
    dst[d + 2] = (i >> 16) ^ flip;
  }
}

function encode32(
  src: Float32Array,
  s: number,
  dst: Uint8Array,
  d: number,
  n: number,
  flip: number,
): void {
  for (let end = s + n; s < end; s++, d += 4) {
    let v = src[s]! * 2_147_483_648;
    if (v > 2_147_483_647) v = 2_147_483_647;
    else if (v < -2_147_483_648) v = -2_147_483_648;
    const i = (v + ROUND_MAGIC - ROUND_MAGIC) | 0;
    dst[d] = i;
    dst[d + 1] = i >> 8;
    dst[d + 2] = i >> 16;
    dst[d + 3] = (i >> 24) ^ flip;
  }
}

function encode64(
  src: Float32Array,
  s: number,
  dst: Uint8Array,
  d: number,
  n: number,
  flip: number,
): void {
  for (let end = s + n; s < end; s++, d += 8) {
    const x = src[s]!;
    let hi: number;
    let lo: number;
    if (x >= 1) {
      // 2^63 − 1 has no f64; write max directly.
      hi = 0x7fff_ffff;
      lo = 0xffff_ffff;
    } else if (x <= -1) {
      hi = -0x8000_0000;
      lo = 0;
    } else {
      let v = x * TWO_POW_63;
      // f32 · 2^63 has a fractional part only below 2^24, well inside the magic range.
      if (v < 2_251_799_813_685_248 && v > -2_251_799_813_685_248) {
        v = v + ROUND_MAGIC - ROUND_MAGIC;
      }
      // Both exact: v is an integer and 2^32 a power of two. NaN gives NaN, stored as 0.
      hi = Math.floor(v / TWO_POW_32);
      lo = v - hi * TWO_POW_32;
    }
    dst[d] = lo;
    dst[d + 1] = lo >>> 8;
    dst[d + 2] = lo >>> 16;
    dst[d + 3] = lo >>> 24;
    dst[d + 4] = hi;
    dst[d + 5] = hi >> 8;
    dst[d + 6] = hi >> 16;
    dst[d + 7] = (hi >> 24) ^ flip;
  }
}

function encodeF32(src: Float32Array, s: number, dst: Uint8Array, d: number, n: number): void {
  const view = encodeViews.of(dst);
  for (let end = s + n; s < end; s++, d += 4) view.setFloat32(d, src[s]!, true);
}

function encodeF64(src: Float32Array, s: number, dst: Uint8Array, d: number, n: number): void {
  const view = encodeViews.of(dst);
  for (let end = s + n; s < end; s++, d += 8) view.setFloat64(d, src[s]!, true);
}

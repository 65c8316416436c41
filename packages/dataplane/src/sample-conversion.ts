/**
 * Wire samples ↔ Float32, in caller-owned buffers: the core's sample_convert.hpp (its header says
 * how each type is scaled, clipped and rounded), through the WebAssembly core.
 *
 * Wire layout: packed, little-endian, interleaved; 24-bit types take exactly 3 bytes. Integers
 * scale by 2^(N−1) (unsigned types are offset binary), float → integer clips and rounds half to
 * even, NaN → 0; f32 passes through bit-exact.
 */
import { SAMPLE_TYPE_INFO, ValueError, isSampleType } from '@syfala/proto';
import type { SampleType } from '@syfala/proto';

import { ArgumentCopy, core, coreView, scratch } from './core/wasm-core.js';
import { checkRange } from './errors.js';

// The copies in and out of the core keep their views while a caller converts the same buffers
// every period (the engine's receive and send loops): after the first call nothing is allocated.
const decodeInput = new ArgumentCopy<Uint8Array>();
const encodeInput = new ArgumentCopy<Float32Array>();
let decodeOutput: Float32Array | undefined;
let encodeOutput: Uint8Array | undefined;

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
  const info = typeInfo(type);
  const bytes = count * info.bytes;
  checkRange('decodeSamples: destination', dst.length, dstOffset, count);
  checkRange('decodeSamples: source bytes', src.length, srcOffset, bytes);
  const at = scratch(samplesAt(bytes) + count * 4);
  decodeInput.copy(src, srcOffset, bytes, at);
  const out = at + samplesAt(bytes);
  core().decode_samples!(info.code, at, count, out);
  decodeOutput = coreView(Float32Array, decodeOutput, out, count);
  dst.set(decodeOutput, dstOffset);
  return bytes;
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
  const info = typeInfo(type);
  const bytes = count * info.bytes;
  checkRange('encodeSamples: source', src.length, srcOffset, count);
  checkRange('encodeSamples: destination bytes', dst.length, dstOffset, bytes);
  const at = scratch(count * 4 + bytes);
  encodeInput.copy(src, srcOffset, count, at);
  const out = at + count * 4;
  core().encode_samples!(info.code, at, count, out);
  encodeOutput = coreView(Uint8Array, encodeOutput, out, bytes);
  dst.set(encodeOutput, dstOffset);
  return bytes;
}

/** Where Float32 samples may start after `bytes` wire bytes: 4-byte aligned. */
function samplesAt(bytes: number): number {
  return (bytes + 3) & ~3;
}

function typeInfo(type: SampleType): { readonly code: number; readonly bytes: number } {
  if (!isSampleType(type)) {
    throw new ValueError(
      'BAD_SAMPLE_TYPE',
      `sample conversion: unknown sample type ${String(type)}`,
    );
  }
  return SAMPLE_TYPE_INFO[type];
}

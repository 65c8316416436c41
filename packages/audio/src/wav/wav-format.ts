/**
 * RIFF/WAVE headers: what we write, what we accept.
 *
 * What WavWriter writes (all fields little-endian):
 *
 *   offset  size  field
 *   0       4     "RIFF"
 *   4       4     RIFF size: file bytes − 8 (placeholder 0xffffffff until close)
 *   8       4     "WAVE"
 *   12      4     "fmt "
 *   16      4     fmt size: 16 plain PCM, 18 float, 40 extensible
 *   20      2     format tag: 1 PCM, 3 IEEE float, or 0xfffe WAVE_FORMAT_EXTENSIBLE
 *   22      2     channels
 *   24      4     sample rate, frames per second
 *   28      4     byte rate = sample rate × block align
 *   32      2     block align = channels × bytes per sample
 *   34      2     bits per sample (the container: 8, 16, 24, 32, 64)
 *   -- float: --
 *   36      2     cbSize = 0 (every non-PCM fmt chunk has this field)
 *   -- extensible PCM: --
 *   36      2     cbSize = 22
 *   38      2     valid bits per sample (= bits per sample)
 *   40      4     channel mask = 0: channels are network channels, not speaker positions
 *   44      16    sub-format GUID {00000001-0000-0010-8000-00AA00389B71} (PCM)
 *   -- float only (the spec asks for a fact chunk with every non-PCM format): --
 *   +0      4     "fact"
 *   +4      4     4
 *   +8      4     frames (placeholder 0xffffffff until close)
 *   -- then --
 *   +0      4     "data"
 *   +4      4     data bytes (placeholder 0xffffffff until close)
 *   +8      …     interleaved samples; one pad byte after them if their count of bytes is odd
 *
 * PCM is extensible, as Microsoft asks, for more than 2 channels or more than 16 bits: i24 and
 * i32 always, u8 and i16 beyond stereo. Float stays plain format 3 at any channel count, as sox
 * and libsndfile write it: sox 14.4.2 warns about extensible float ("wave header missing
 * extended part of fmt chunk"). The reader takes both forms of either.
 */
import { bytesPerSample, isSampleType } from '@syfala/proto';
import type { SampleType } from '@syfala/proto';

import { AudioError } from '../errors.js';

/** Sample types a WAV file holds. WAV's 8-bit PCM is unsigned offset binary, like our u8. */
export const WAV_SAMPLE_TYPES = ['u8', 'i16', 'i24', 'i32', 'f32', 'f64'] as const;

export type WavSampleType = (typeof WAV_SAMPLE_TYPES)[number];

/** A WAV file's audio format. */
export interface WavFormat {
  /** Frames per second: an integer from 1 to 2^32 − 1 (the header field is a u32). */
  readonly sampleRate: number;
  /** Samples per frame, interleaved. */
  readonly channels: number;
  readonly sampleType: WavSampleType;
}

export function isWavSampleType(value: unknown): value is WavSampleType {
  return typeof value === 'string' && (WAV_SAMPLE_TYPES as readonly string[]).includes(value);
}

/**
 * The WAV sample type that records a wire type without losing what the device carries: signed
 * 16/24/32-bit for u16/u24/u32 (same resolution, WAV has no unsigned wider than 8 bits), u8 for
 * i8, and i32 for i64/u64 (devices work in Float32, so no sample has more than 24 significant
 * bits). The six WAV types map to themselves.
 */
export function wavSampleType(type: SampleType): WavSampleType {
  switch (type) {
    case 'u8':
    case 'i8':
      return 'u8';
    case 'u16':
    case 'i16':
      return 'i16';
    case 'u24':
    case 'i24':
      return 'i24';
    case 'u32':
    case 'i32':
    case 'u64':
    case 'i64':
      return 'i32';
    case 'f32':
      return 'f32';
    case 'f64':
      return 'f64';
  }
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** Bytes 2–15 of KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT; bytes 0–1 hold the format code. */
const SUBFORMAT_GUID_TAIL = [
  0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
];

const U16_MAX = 0xffff;
const U32_MAX = 0xffff_ffff;
/** Written into the size fields until close(): "unknown, read to the end of the file". */
export const SIZE_PLACEHOLDER = U32_MAX;

const PLAIN_FMT_BYTES = 16;
const FLOAT_FMT_BYTES = 18;
const EXTENSIBLE_FMT_BYTES = 40;
const FACT_CHUNK_BYTES = 12;

/** Bytes one frame takes in the file. */
export function blockAlign(format: WavFormat): number {
  return format.channels * bytesPerSample(format.sampleType);
}

function isFloat(type: WavSampleType): boolean {
  return type === 'f32' || type === 'f64';
}

function isExtensible(format: WavFormat): boolean {
  return (
    !isFloat(format.sampleType) && (format.channels > 2 || bytesPerSample(format.sampleType) > 2)
  );
}

function fmtBytes(format: WavFormat): number {
  if (isFloat(format.sampleType)) return FLOAT_FMT_BYTES;
  return isExtensible(format) ? EXTENSIBLE_FMT_BYTES : PLAIN_FMT_BYTES;
}

/** Bytes before the first sample. */
export function headerBytes(format: WavFormat): number {
  return 12 + 8 + fmtBytes(format) + (isFloat(format.sampleType) ? FACT_CHUNK_BYTES : 0) + 8;
}

/**
 * The most frames a file of this format can hold: the RIFF size field is a u32 and counts
 * everything after itself, including the data chunk's pad byte.
 */
export function maxWavFrames(format: WavFormat): number {
  return Math.floor((U32_MAX - (headerBytes(format) - 8) - 1) / blockAlign(format));
}

/** Throws unless a file of `format` can be written: the header fields must fit. */
export function checkWavFormat(format: WavFormat, where: string): void {
  const { sampleRate, channels, sampleType } = format;
  if (!isWavSampleType(sampleType)) {
    throw new AudioError(
      'UNSUPPORTED',
      `${where}: sampleType must be one of ${WAV_SAMPLE_TYPES.join(', ')}, got ${String(sampleType)}` +
        (isSampleType(sampleType)
          ? ` (WAV has no ${sampleType}; the closest is ${wavSampleType(sampleType)})`
          : ''),
    );
  }
  if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > U32_MAX) {
    throw new AudioError(
      'BAD_OPTION',
      `${where}: sampleRate must be an integer from 1 to ${U32_MAX}, got ${String(sampleRate)}`,
    );
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > U16_MAX) {
    throw new AudioError(
      'BAD_OPTION',
      `${where}: channels must be an integer from 1 to ${U16_MAX}, got ${String(channels)}`,
    );
  }
  const align = blockAlign(format);
  if (align > U16_MAX) {
    throw new AudioError(
      'BAD_OPTION',
      `${where}: channels × bytes per sample must be at most ${U16_MAX} (the block-align field), got ${align}`,
    );
  }
  if (sampleRate * align > U32_MAX) {
    throw new AudioError(
      'BAD_OPTION',
      `${where}: sampleRate × channels × bytes per sample must be at most ${U32_MAX} (the byte-rate field), got ${sampleRate * align}`,
    );
  }
}

/**
 * The header for `frames` frames of `format` (see the layout above), or with placeholder sizes
 * when `frames` is undefined.
 */
export function buildWavHeader(format: WavFormat, frames: number | undefined): Uint8Array {
  const { sampleRate, channels, sampleType } = format;
  const bytes = new Uint8Array(headerBytes(format));
  const view = new DataView(bytes.buffer);
  const align = blockAlign(format);
  const bits = bytesPerSample(sampleType) * 8;
  const extensible = isExtensible(format);
  const float = isFloat(sampleType);
  const dataBytes = frames === undefined ? undefined : frames * align;

  const ascii = (offset: number, text: string): void => {
    for (let i = 0; i < 4; i++) bytes[offset + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(
    4,
    dataBytes === undefined ? SIZE_PLACEHOLDER : bytes.length - 8 + dataBytes + (dataBytes % 2),
    true,
  );
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, fmtBytes(format), true);
  view.setUint16(
    20,
    float ? WAVE_FORMAT_IEEE_FLOAT : extensible ? WAVE_FORMAT_EXTENSIBLE : WAVE_FORMAT_PCM,
    true,
  );
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * align, true);
  view.setUint16(32, align, true);
  view.setUint16(34, bits, true);
  let offset = 20 + fmtBytes(format);
  if (extensible) {
    view.setUint16(36, EXTENSIBLE_FMT_BYTES - 18, true);
    view.setUint16(38, bits, true);
    view.setUint32(40, 0, true);
    view.setUint16(44, WAVE_FORMAT_PCM, true);
    bytes.set(SUBFORMAT_GUID_TAIL, 46);
  }
  if (float) {
    // cbSize at 36 stays 0.
    ascii(offset, 'fact');
    view.setUint32(offset + 4, 4, true);
    view.setUint32(offset + 8, frames ?? SIZE_PLACEHOLDER, true);
    offset += FACT_CHUNK_BYTES;
  }
  ascii(offset, 'data');
  view.setUint32(offset + 4, dataBytes ?? SIZE_PLACEHOLDER, true);
  return bytes;
}

/**
 * Reads a fmt chunk's body. Accepts PCM with 8-, 16-, 24- or 32-bit containers (narrower valid
 * bits are left-justified in the container, so they decode as the container type) and IEEE
 * float 32/64, either plain or as WAVE_FORMAT_EXTENSIBLE. Anything else is UNSUPPORTED; fields
 * that contradict each other are BAD_WAV.
 */
export function parseFmtChunk(body: Uint8Array, where: string): WavFormat {
  if (body.length < PLAIN_FMT_BYTES) {
    throw new AudioError(
      'BAD_WAV',
      `${where}: fmt chunk: expected at least ${PLAIN_FMT_BYTES} bytes, got ${body.length}`,
    );
  }
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const tag = view.getUint16(0, true);
  const channels = view.getUint16(2, true);
  const sampleRate = view.getUint32(4, true);
  const align = view.getUint16(12, true);
  const bits = view.getUint16(14, true);
  let code = tag;
  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    if (body.length < EXTENSIBLE_FMT_BYTES) {
      throw new AudioError(
        'BAD_WAV',
        `${where}: fmt chunk: WAVE_FORMAT_EXTENSIBLE needs ${EXTENSIBLE_FMT_BYTES} bytes, got ${body.length}`,
      );
    }
    code = view.getUint16(24, true);
    if (SUBFORMAT_GUID_TAIL.some((byte, i) => body[26 + i] !== byte)) {
      throw new AudioError(
        'UNSUPPORTED',
        `${where}: fmt chunk: extensible sub-format is not a KSDATAFORMAT_SUBTYPE GUID`,
      );
    }
  }
  if (channels < 1) {
    throw new AudioError('BAD_WAV', `${where}: fmt chunk: expected ≥ 1 channel, got 0`);
  }
  if (sampleRate < 1) {
    throw new AudioError('BAD_WAV', `${where}: fmt chunk: expected a sample rate ≥ 1, got 0`);
  }
  const container = align / channels;
  let sampleType: WavSampleType | undefined;
  if (code === WAVE_FORMAT_PCM && bits >= 1 && bits <= container * 8) {
    sampleType = ([undefined, 'u8', 'i16', 'i24', 'i32'] as const)[container];
  } else if (code === WAVE_FORMAT_IEEE_FLOAT && bits === container * 8) {
    sampleType = container === 4 ? 'f32' : container === 8 ? 'f64' : undefined;
  } else if (code !== WAVE_FORMAT_PCM && code !== WAVE_FORMAT_IEEE_FLOAT) {
    throw new AudioError(
      'UNSUPPORTED',
      `${where}: format code 0x${code.toString(16).padStart(4, '0')} is not PCM (1) or IEEE float (3)`,
    );
  }
  if (sampleType === undefined) {
    throw new AudioError(
      Number.isInteger(container) && bits <= container * 8 ? 'UNSUPPORTED' : 'BAD_WAV',
      `${where}: fmt chunk: ${code === WAVE_FORMAT_PCM ? 'PCM' : 'float'} with ${bits} bits in ` +
        `${align}-byte frames of ${channels} channels is not one of 8/16/24/32-bit PCM or 32/64-bit float`,
    );
  }
  return { sampleRate, channels, sampleType };
}

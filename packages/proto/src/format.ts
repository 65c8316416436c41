import { ValueError } from './errors.js';

/**
 * Sample encodings carried on the wire: packed, little-endian, interleaved.
 * 24-bit types take exactly 3 bytes. The wire code is the position in this list plus one, so that
 * 0 stays "unspecified" as in the protobuf control schema (PROTOCOL.md §5.3).
 */
export const SAMPLE_TYPES = [
  'u8',
  'u16',
  'u24',
  'u32',
  'u64',
  'i8',
  'i16',
  'i24',
  'i32',
  'i64',
  'f32',
  'f64',
] as const;

export type SampleType = (typeof SAMPLE_TYPES)[number];

export interface SampleTypeInfo {
  /** Bytes one sample occupies on the wire. */
  readonly bytes: 1 | 2 | 3 | 4 | 8;
  readonly kind: 'unsigned' | 'signed' | 'float';
  /** Wire code: index in SAMPLE_TYPES + 1 (0 is never valid). */
  readonly code: number;
}

const BYTES: Record<SampleType, SampleTypeInfo['bytes']> = {
  u8: 1,
  u16: 2,
  u24: 3,
  u32: 4,
  u64: 8,
  i8: 1,
  i16: 2,
  i24: 3,
  i32: 4,
  i64: 8,
  f32: 4,
  f64: 8,
};

export const SAMPLE_TYPE_INFO: Readonly<Record<SampleType, SampleTypeInfo>> = Object.fromEntries(
  SAMPLE_TYPES.map((type, index) => [
    type,
    {
      bytes: BYTES[type],
      kind: type[0] === 'u' ? 'unsigned' : type[0] === 'i' ? 'signed' : 'float',
      code: index + 1,
    },
  ]),
) as Record<SampleType, SampleTypeInfo>;

export function isSampleType(value: unknown): value is SampleType {
  return typeof value === 'string' && (SAMPLE_TYPES as readonly string[]).includes(value);
}

/** The sample type with wire code `code`, or undefined for an unknown code. */
export function sampleTypeFromCode(code: number): SampleType | undefined {
  return code >= 1 ? SAMPLE_TYPES[code - 1] : undefined;
}

/** A stream's fixed format for the life of a connection. */
export interface Format {
  /** Frames per second, MIN_SAMPLE_RATE to MAX_SAMPLE_RATE. */
  readonly sampleRate: number;
  /** Samples per frame, 1 to MAX_CHANNELS. */
  readonly channels: number;
  /**
   * Preferred frames per period, MIN_BUFFER_FRAMES to MAX_BUFFER_FRAMES; 0 = unspecified. A
   * hint, not a contract.
   */
  readonly bufferFrames: number;
  readonly sampleType: SampleType;
}

/** What a server offers: the streams it captures (inputs) and the streams it plays (outputs). */
export interface StreamFormats {
  readonly inputs: readonly Format[];
  readonly outputs: readonly Format[];
}

/*
 * Format limits (PROTOCOL.md §5.3): what real hardware needs, and no more, since every stream
 * costs its engine memory and CPU in proportion (a rate of 2^32 Hz or 65,535 channels left an
 * idle server spinning a core). The same bounds hold for formats configured and received.
 */
/** Sample rates in Hz: telephone audio to the fastest studio converters (DXD, 8 × 48 kHz). */
export const MIN_SAMPLE_RATE = 8000;
export const MAX_SAMPLE_RATE = 384_000;
/** Channels per stream: the native engine's limit (1024), past the 256-channel bench target. */
export const MAX_CHANNELS = 1024;
/** Frames per period, when given: JACK's and CoreAudio's range (16 to 8192). */
export const MIN_BUFFER_FRAMES = 16;
export const MAX_BUFFER_FRAMES = 8192;

/**
 * How far makeFormat checks: `protocol` holds a format to the limits above (what an endpoint may
 * offer, configure or accept); `any` only to what the data plane can run at (a positive rate,
 * what the wire fields hold), for the jitter buffer and packetizer, whose tests and shared vectors
 * run at a few hertz to keep their time windows small.
 */
export type FormatLimits = 'protocol' | 'any';

const BOUNDS: Record<
  FormatLimits,
  { rate: [number, number]; channels: number; frames: [number, number] }
> = {
  protocol: {
    rate: [MIN_SAMPLE_RATE, MAX_SAMPLE_RATE],
    channels: MAX_CHANNELS,
    frames: [MIN_BUFFER_FRAMES, MAX_BUFFER_FRAMES],
  },
  any: { rate: [Number.MIN_VALUE, Number.MAX_VALUE], channels: 0xffff, frames: [1, 0xffff_ffff] },
};

/** Validates a format (see FormatLimits); returns it frozen so a valid Format stays valid. */
export function makeFormat(format: Format, limits: FormatLimits = 'protocol'): Format {
  const { sampleRate, channels, bufferFrames, sampleType } = format;
  const bounds = BOUNDS[limits];
  if (!isSampleType(sampleType)) {
    throw new ValueError(
      'BAD_SAMPLE_TYPE',
      `format: sample type must be one of ${SAMPLE_TYPES.join(', ')}, got ${String(sampleType)}`,
    );
  }
  if (
    typeof sampleRate !== 'number' ||
    !(sampleRate >= bounds.rate[0] && sampleRate <= bounds.rate[1])
  ) {
    throw new ValueError(
      'BAD_SAMPLE_RATE',
      `format: sample rate must be ${limits === 'any' ? 'a positive finite number' : `from ${bounds.rate[0]} to ${bounds.rate[1]} Hz`}, got ${String(sampleRate)}`,
    );
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > bounds.channels) {
    throw new ValueError(
      'BAD_CHANNEL_COUNT',
      `format: channel count must be an integer from 1 to ${bounds.channels}, got ${String(channels)}`,
    );
  }
  const [minFrames, maxFrames] = bounds.frames;
  if (
    !Number.isInteger(bufferFrames) ||
    (bufferFrames !== 0 && (bufferFrames < minFrames || bufferFrames > maxFrames))
  ) {
    throw new ValueError(
      'BAD_BUFFER_SIZE',
      `format: buffer size must be an integer from ${minFrames} to ${maxFrames} frames (0: unspecified), got ${String(bufferFrames)}`,
    );
  }
  return Object.freeze({ sampleRate, channels, bufferFrames, sampleType });
}

/** f32, 48 kHz, stereo, 32-frame periods: the format every endpoint should accept. */
export const STANDARD_FORMAT: Format = makeFormat({
  sampleRate: 48_000,
  channels: 2,
  bufferFrames: 32,
  sampleType: 'f32',
});

export function bytesPerSample(sampleType: SampleType): number {
  return SAMPLE_TYPE_INFO[sampleType].bytes;
}

export function bytesPerFrame(format: Format): number {
  return format.channels * bytesPerSample(format.sampleType);
}

/** Bytes in one period of `frames` frames (default: the format's buffer-size hint). */
export function bytesPerChunk(format: Format, frames: number = format.bufferFrames): number {
  return frames * bytesPerFrame(format);
}

export function formatsEqual(a: Format, b: Format): boolean {
  return (
    a.sampleRate === b.sampleRate &&
    a.channels === b.channels &&
    a.bufferFrames === b.bufferFrames &&
    a.sampleType === b.sampleType
  );
}

/** "f32/48000Hz/2ch/32" — how formats appear in logs and the CLI. */
export function describeFormat(format: Format): string {
  return `${format.sampleType}/${format.sampleRate}Hz/${format.channels}ch/${format.bufferFrames}`;
}

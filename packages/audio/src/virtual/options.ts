import { SyfalaError, describeFormat, makeFormat, mustBe } from '@syfala/proto';
import type { Format } from '@syfala/proto';

import type { DeviceStreams } from '../backend.js';
import { AudioError } from '../errors.js';
import {
  WAV_SAMPLE_TYPES,
  checkWavFormat,
  isWavSampleType,
  wavSampleType,
} from '../wav/wav-format.js';
import type { WavSampleType } from '../wav/wav-format.js';

/** A sine on every channel: `levelDbfs` is its peak, 0 dBFS = full scale. */
export interface ToneSource {
  readonly kind: 'tone';
  /** Default 440; above 0 and below half the stream's rate. */
  readonly frequencyHz?: number;
  /** Default −12 (peak 0.251); at most 0. */
  readonly levelDbfs?: number;
}

/** Uniform white noise in ±level, every sample drawn independently from `SeededRandom(seed)`. */
export interface NoiseSource {
  readonly kind: 'noise';
  /** Default −12; the peak, at most 0. */
  readonly levelDbfs?: number;
  /** Default 1; an integer from 0 to 2^32 − 1. The same seed gives the same samples. */
  readonly seed?: number;
}

export interface SilenceSource {
  readonly kind: 'silence';
}

/** A WAV file with the stream's rate and channel count (no resampling or remixing). */
export interface WavFileSource {
  readonly kind: 'wav';
  readonly path: string;
  /** Default true: start over at the end. False: silence after the end. */
  readonly loop?: boolean;
}

/**
 * Frames another thread writes into an SpscRing (its `buffer`), e.g. audio piped in on stdin:
 * silence where the ring is empty, counted in the RingStatus at `status` until it ends.
 */
export interface RingSource {
  readonly kind: 'ring';
  readonly buffer: SharedArrayBuffer;
  readonly status: SharedArrayBuffer;
}

/** What an input stream captures. */
export type VirtualSource = ToneSource | NoiseSource | SilenceSource | WavFileSource | RingSource;

export interface NullSink {
  readonly kind: 'null';
}

/** Records what the callback played, at the stream's rate and channel count. */
export interface WavFileSink {
  readonly kind: 'wav';
  readonly path: string;
  /** Default: the stream's sample type, or the closest WAV holds (wavSampleType). */
  readonly sampleType?: WavSampleType;
}

/**
 * Frames for another thread to drain from an SpscRing (its `buffer`), e.g. to pipe them to
 * stdout: frames that do not fit are dropped and counted in the RingStatus at `status`.
 */
export interface RingSink {
  readonly kind: 'ring';
  readonly buffer: SharedArrayBuffer;
  readonly status: SharedArrayBuffer;
}

/** Where an output stream's frames go. */
export type VirtualSink = NullSink | WavFileSink | RingSink;

/**
 * 'realtime': periods run on the host's monotonic clock (scaled by `speed`). 'fast': periods run
 * back to back as fast as the callback allows; timestamps still advance as if in real time.
 */
export type VirtualClock = 'realtime' | 'fast';

export interface VirtualDeviceOptions {
  /** The device clock's nominal rate, Hz. Default: the first stream's rate, else 48000. */
  readonly sampleRate?: number;
  /** Frames per period at `sampleRate`. Default: the first stream's bufferFrames if > 0, else 32. */
  readonly periodFrames?: number;
  /** One per input stream, in order; missing entries are the default tone (440 Hz, −12 dBFS). */
  readonly sources?: readonly VirtualSource[];
  /** One per output stream, in order; missing entries are null sinks. */
  readonly sinks?: readonly VirtualSink[];
  /** The clock runs at nominal × (1 + skewPpm / 10^6) against the host clock. Default 0. */
  readonly skewPpm?: number;
  /** Default 'realtime'. */
  readonly clock?: VirtualClock;
  /** Realtime clock only: run this many times faster than real time (drift tests). Default 1. */
  readonly speed?: number;
}

const DEFAULT_SAMPLE_RATE = 48_000;
const DEFAULT_PERIOD_FRAMES = 32;
const MAX_PERIOD_FRAMES = 65_536;
const DEFAULT_TONE_FREQUENCY_HZ = 440;
const DEFAULT_LEVEL_DBFS = -12;
const DEFAULT_NOISE_SEED = 1;
/** ±10 %: far beyond any crystal (tens of ppm), and keeps the clock's rate positive. */
export const MAX_SKEW_PPM = 100_000;
const MAX_SPEED = 1_000;

export type ResolvedSource =
  | { readonly kind: 'tone'; readonly frequencyHz: number; readonly levelDbfs: number }
  | { readonly kind: 'noise'; readonly levelDbfs: number; readonly seed: number }
  | { readonly kind: 'silence' }
  | { readonly kind: 'wav'; readonly path: string; readonly loop: boolean }
  | RingSource;

export type ResolvedSink =
  | { readonly kind: 'null' }
  | { readonly kind: 'wav'; readonly path: string; readonly sampleType: WavSampleType }
  | RingSink;

/** Options with every default filled in: one source per input, one sink per output. */
export interface ResolvedOptions {
  readonly streams: DeviceStreams;
  readonly sampleRate: number;
  readonly periodFrames: number;
  readonly skewPpm: number;
  readonly clock: VirtualClock;
  readonly speed: number;
  readonly sources: readonly ResolvedSource[];
  readonly sinks: readonly ResolvedSink[];
}

const OPTION_KEYS = [
  'sampleRate',
  'periodFrames',
  'sources',
  'sinks',
  'skewPpm',
  'clock',
  'speed',
] as const;

/**
 * Checks streams and options (plain data, possibly from another thread or a command line) and
 * fills in the defaults. Throws AudioError BAD_OPTION naming the field at fault.
 */
export function resolveOptions(streams: unknown, options: unknown): ResolvedOptions {
  const checked = resolveStreams(streams);
  const given = object(options ?? {}, 'options', OPTION_KEYS);
  const first = checked.inputs[0] ?? checked.outputs[0];

  const sampleRate = optional(given, 'sampleRate', first?.sampleRate ?? DEFAULT_SAMPLE_RATE);
  if (typeof sampleRate !== 'number' || !Number.isFinite(sampleRate) || sampleRate <= 0) {
    throw bad('sampleRate', 'a positive finite number', sampleRate);
  }
  const periodFrames = optional(
    given,
    'periodFrames',
    first !== undefined && first.bufferFrames > 0 ? first.bufferFrames : DEFAULT_PERIOD_FRAMES,
  );
  if (!isInteger(periodFrames, 1, MAX_PERIOD_FRAMES)) {
    throw bad('periodFrames', `an integer from 1 to ${MAX_PERIOD_FRAMES}`, periodFrames);
  }
  const skewPpm = optional(given, 'skewPpm', 0);
  if (typeof skewPpm !== 'number' || !(Math.abs(skewPpm) <= MAX_SKEW_PPM)) {
    throw bad('skewPpm', `a number from −${MAX_SKEW_PPM} to ${MAX_SKEW_PPM}`, skewPpm);
  }
  const clock = optional(given, 'clock', 'realtime');
  if (clock !== 'realtime' && clock !== 'fast') {
    throw bad('clock', "'realtime' or 'fast'", clock);
  }
  const speed = optional(given, 'speed', 1);
  if (typeof speed !== 'number' || !(speed > 0 && speed <= MAX_SPEED)) {
    throw bad('speed', `a number above 0 and at most ${MAX_SPEED}`, speed);
  }
  if (clock === 'fast' && given['speed'] !== undefined) {
    throw bad('speed', "left out with clock 'fast' (it runs as fast as it can)", speed);
  }

  const sources = list(given, 'sources', checked.inputs.length, 'input');
  const sinks = list(given, 'sinks', checked.outputs.length, 'output');
  return {
    streams: checked,
    sampleRate,
    periodFrames,
    skewPpm,
    clock,
    speed,
    sources: checked.inputs.map((format, i) => resolveSource(sources[i], `sources[${i}]`, format)),
    sinks: checked.outputs.map((format, i) => resolveSink(sinks[i], `sinks[${i}]`, format)),
  };
}

function resolveStreams(streams: unknown): DeviceStreams {
  const given = object(streams, 'streams', ['inputs', 'outputs']);
  const formats = (key: 'inputs' | 'outputs'): readonly Format[] => {
    const value = given[key];
    if (!Array.isArray(value)) throw bad(`streams.${key}`, 'an array of formats', value);
    return value.map((format: unknown, i) => {
      const field = `streams.${key}[${i}]`;
      if (typeof format !== 'object' || format === null) throw bad(field, 'a format', format);
      try {
        return makeFormat(format as Format);
      } catch (error) {
        if (!(error instanceof SyfalaError)) throw error;
        throw new AudioError('BAD_OPTION', `virtual device: ${field}: ${error.message}`, {
          cause: error,
        });
      }
    });
  };
  return { inputs: formats('inputs'), outputs: formats('outputs') };
}

function resolveSource(value: unknown, field: string, format: Format): ResolvedSource {
  if (value === undefined) {
    return { kind: 'tone', frequencyHz: DEFAULT_TONE_FREQUENCY_HZ, levelDbfs: DEFAULT_LEVEL_DBFS };
  }
  const kind = kindOf(value, field, ['tone', 'noise', 'silence', 'wav', 'ring']);
  switch (kind) {
    case 'tone': {
      const given = object(value, field, ['kind', 'frequencyHz', 'levelDbfs']);
      const frequencyHz = optional(given, 'frequencyHz', DEFAULT_TONE_FREQUENCY_HZ);
      const nyquist = format.sampleRate / 2;
      if (typeof frequencyHz !== 'number' || !(frequencyHz > 0 && frequencyHz < nyquist)) {
        throw bad(
          `${field}.frequencyHz`,
          `above 0 and below ${nyquist} (half the stream's rate)`,
          frequencyHz,
        );
      }
      return { kind, frequencyHz, levelDbfs: level(given, field) };
    }
    case 'noise': {
      const given = object(value, field, ['kind', 'levelDbfs', 'seed']);
      const seed = optional(given, 'seed', DEFAULT_NOISE_SEED);
      if (!isInteger(seed, 0, 0xffff_ffff)) {
        throw bad(`${field}.seed`, 'an integer from 0 to 2^32 − 1', seed);
      }
      return { kind, levelDbfs: level(given, field), seed };
    }
    case 'silence':
      object(value, field, ['kind']);
      return { kind };
    case 'wav': {
      const given = object(value, field, ['kind', 'path', 'loop']);
      const loop = optional(given, 'loop', true);
      if (typeof loop !== 'boolean') throw bad(`${field}.loop`, 'a boolean', loop);
      return { kind, path: path(given, field), loop };
    }
    case 'ring':
      return ring(value, field);
  }
}

function resolveSink(value: unknown, field: string, format: Format): ResolvedSink {
  if (value === undefined) return { kind: 'null' };
  const kind = kindOf(value, field, ['null', 'wav', 'ring']);
  switch (kind) {
    case 'null':
      object(value, field, ['kind']);
      return { kind };
    case 'wav': {
      const given = object(value, field, ['kind', 'path', 'sampleType']);
      const sampleType = optional(given, 'sampleType', wavSampleType(format.sampleType));
      if (!isWavSampleType(sampleType)) {
        throw bad(`${field}.sampleType`, `one of ${WAV_SAMPLE_TYPES.join(', ')}`, sampleType);
      }
      const { sampleRate, channels } = format;
      checkWavFormat(
        { sampleRate, channels, sampleType },
        `virtual device: ${field} (a WAV file for ${describeFormat(format)})`,
      );
      return { kind, path: path(given, field), sampleType };
    }
    case 'ring':
      return ring(value, field);
  }
}

/** A ring source or sink: its two buffers are checked when the device attaches them. */
function ring(value: unknown, field: string): RingSource & RingSink {
  const given = object(value, field, ['kind', 'buffer', 'status']);
  const shared = (key: 'buffer' | 'status'): SharedArrayBuffer => {
    const buffer = given[key];
    if (!(buffer instanceof SharedArrayBuffer)) {
      throw bad(`${field}.${key}`, 'a SharedArrayBuffer', buffer);
    }
    return buffer;
  };
  return { kind: 'ring', buffer: shared('buffer'), status: shared('status') };
}

function level(given: Record<string, unknown>, field: string): number {
  const levelDbfs = optional(given, 'levelDbfs', DEFAULT_LEVEL_DBFS);
  if (typeof levelDbfs !== 'number' || !Number.isFinite(levelDbfs) || levelDbfs > 0) {
    throw bad(`${field}.levelDbfs`, 'a finite number ≤ 0', levelDbfs);
  }
  return levelDbfs;
}

function path(given: Record<string, unknown>, field: string): string {
  const value = given['path'];
  if (typeof value !== 'string' || value === '') throw bad(`${field}.path`, 'a file path', value);
  return value;
}

function kindOf<Kind extends string>(value: unknown, field: string, kinds: readonly Kind[]): Kind {
  const kind = object(value, field, ['kind'], false)['kind'];
  if (!kinds.includes(kind as Kind)) {
    throw bad(`${field}.kind`, `one of ${kinds.map((k) => `'${k}'`).join(', ')}`, kind);
  }
  return kind as Kind;
}

function list(
  given: Record<string, unknown>,
  key: 'sources' | 'sinks',
  streams: number,
  direction: string,
): readonly unknown[] {
  const value = given[key] ?? [];
  if (!Array.isArray(value)) throw bad(key, 'an array', value);
  if (value.length > streams) {
    throw new AudioError(
      'BAD_OPTION',
      `virtual device: ${key} must have at most one entry per ${direction} stream (${streams}), got ${value.length}`,
    );
  }
  return value;
}

/** Checks that `value` is a plain object and, when `strict`, that it has no unknown keys. */
function object(
  value: unknown,
  field: string,
  known: readonly string[],
  strict = true,
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad(field, 'an object', value);
  }
  if (strict) {
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      const near = known.find((k) => k.toLowerCase() === key.toLowerCase());
      const name = field === 'options' ? key : `${field}.${key}`;
      throw new AudioError(
        'BAD_OPTION',
        `virtual device: unknown option ${name}${near === undefined ? '' : ` (did you mean ${near}?)`}`,
      );
    }
  }
  return value as Record<string, unknown>;
}

function optional(given: Record<string, unknown>, key: string, fallback: unknown): unknown {
  return given[key] === undefined ? fallback : given[key];
}

function isInteger(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function bad(field: string, expected: string, got: unknown): AudioError {
  return new AudioError('BAD_OPTION', mustBe(`virtual device: ${field}`, expected, got));
}

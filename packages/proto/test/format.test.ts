import { describe, expect, it } from 'vitest';
import {
  MAX_BUFFER_FRAMES,
  MAX_CHANNELS,
  MAX_SAMPLE_RATE,
  MIN_BUFFER_FRAMES,
  MIN_SAMPLE_RATE,
  STANDARD_FORMAT,
  SAMPLE_TYPES,
  ValueError,
  bytesPerChunk,
  bytesPerFrame,
  describeFormat,
  makeFormat,
  sampleTypeFromCode,
} from '../src/index.js';

const f32 = { sampleRate: 48_000, channels: 2, bufferFrames: 32, sampleType: 'f32' } as const;

describe('format model', () => {
  it('has the standard format f32 / 48 kHz / stereo / 32 frames', () => {
    expect(STANDARD_FORMAT).toEqual(f32);
    expect(describeFormat(STANDARD_FORMAT)).toBe('f32/48000Hz/2ch/32');
  });

  it('computes bytes per frame and per chunk, 24-bit being 3 bytes', () => {
    expect(bytesPerFrame(STANDARD_FORMAT)).toBe(8);
    expect(bytesPerChunk(STANDARD_FORMAT)).toBe(256);
    expect(bytesPerFrame({ ...f32, sampleType: 'i24', channels: 8 })).toBe(24);
    expect(bytesPerChunk({ ...f32, sampleType: 'u64' }, 10)).toBe(160);
  });

  it.each([
    [{ sampleRate: 0 }, 'BAD_SAMPLE_RATE'],
    [{ sampleRate: -44_100 }, 'BAD_SAMPLE_RATE'],
    [{ sampleRate: Number.NaN }, 'BAD_SAMPLE_RATE'],
    [{ sampleRate: Number.POSITIVE_INFINITY }, 'BAD_SAMPLE_RATE'],
    // Accepted before, an idle server spun a core on these (issue #13).
    [{ sampleRate: 7999 }, 'BAD_SAMPLE_RATE'],
    [{ sampleRate: 384_001 }, 'BAD_SAMPLE_RATE'],
    [{ sampleRate: 2 ** 32 }, 'BAD_SAMPLE_RATE'],
    [{ channels: 0 }, 'BAD_CHANNEL_COUNT'],
    [{ channels: 1.5 }, 'BAD_CHANNEL_COUNT'],
    [{ channels: 1025 }, 'BAD_CHANNEL_COUNT'],
    [{ channels: 65_535 }, 'BAD_CHANNEL_COUNT'],
    [{ bufferFrames: -1 }, 'BAD_BUFFER_SIZE'],
    [{ bufferFrames: 15 }, 'BAD_BUFFER_SIZE'],
    [{ bufferFrames: 8193 }, 'BAD_BUFFER_SIZE'],
    [{ sampleType: 'f16' }, 'BAD_SAMPLE_TYPE'],
  ])('rejects %o with %s', (patch, code) => {
    let thrown: unknown;
    try {
      makeFormat({ ...f32, ...patch } as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValueError);
    expect((thrown as ValueError).code).toBe(code);
  });

  it.each([
    { sampleRate: MIN_SAMPLE_RATE, channels: 1, bufferFrames: MIN_BUFFER_FRAMES },
    { sampleRate: 44_100.5, channels: 256, bufferFrames: 0 },
    { sampleRate: MAX_SAMPLE_RATE, channels: MAX_CHANNELS, bufferFrames: MAX_BUFFER_FRAMES },
  ])('accepts the limits and what lies between: %o', (patch) => {
    expect(makeFormat({ ...f32, ...patch })).toEqual({ ...f32, ...patch });
  });

  it('accepts 0 as an unspecified buffer size and freezes the result', () => {
    const format = makeFormat({ ...f32, bufferFrames: 0 });
    expect(Object.isFrozen(format)).toBe(true);
  });

  it('maps wire codes 1..12 to sample types and 0 to nothing', () => {
    expect(SAMPLE_TYPES.map((_, i) => sampleTypeFromCode(i + 1))).toEqual([...SAMPLE_TYPES]);
    expect(sampleTypeFromCode(0)).toBeUndefined();
    expect(sampleTypeFromCode(13)).toBeUndefined();
  });
});

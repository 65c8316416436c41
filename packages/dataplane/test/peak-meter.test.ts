import { describe, expect, it } from 'vitest';

import { BoundsError } from '../src/errors.js';
import { METER_BLOCK_MS, PeakMeter } from '../src/peak-meter.js';

const RATE = 48_000;
const BLOCK_FRAMES = (RATE * METER_BLOCK_MS) / 1000;

/** One period of stereo frames: channel 0 at `left`, channel 1 at -`right` (negative: |x| counts). */
const period = (frames: number, left: number, right: number): Float32Array => {
  const samples = new Float32Array(frames * 2);
  for (let f = 0; f < frames; f++) {
    samples[2 * f] = f === frames >> 1 ? left : left / 2;
    samples[2 * f + 1] = -right;
  }
  return samples;
};

describe('PeakMeter', () => {
  it('shows 0 until a block of METER_BLOCK_MS ends, then that block’s peak per channel', () => {
    const meter = new PeakMeter({ channels: 2, sampleRate: RATE });
    const frames = 64;
    const periods = Math.ceil(BLOCK_FRAMES / frames);
    for (let p = 0; p < periods - 1; p++) {
      meter.measure(period(frames, 0.5, 0.25), 0, frames);
      meter.endPeriod();
    }
    expect(meter.peaks()).toEqual([0, 0]);
    meter.measure(period(frames, 0.75, 0.125), 0, frames);
    meter.endPeriod();
    expect(meter.peaks()).toEqual([0.75, 0.25]);
  });

  it('forgets a block once the next ends: a loud block followed by a quiet one shows the quiet', () => {
    const meter = new PeakMeter({ channels: 2, sampleRate: RATE });
    meter.measure(period(BLOCK_FRAMES, 1, 1), 0, BLOCK_FRAMES);
    meter.endPeriod();
    expect(meter.peaks()).toEqual([1, 1]);
    meter.measure(period(BLOCK_FRAMES, 0.5, 0.125), 0, BLOCK_FRAMES);
    meter.endPeriod();
    expect(meter.peaks()).toEqual([0.5, 0.125]);
  });

  it('makes a period longer than the block a block of its own, and reads from an offset', () => {
    const meter = new PeakMeter({ channels: 2, sampleRate: RATE });
    const frames = 3 * BLOCK_FRAMES;
    const samples = new Float32Array(2 + frames * 2);
    samples.set([1, 1]); // before the offset: not measured
    samples.set(period(frames, 0.5, 0.25), 2);
    meter.measure(samples, 2, frames);
    expect(meter.peaks()).toEqual([0, 0]);
    meter.endPeriod();
    expect(meter.peaks()).toEqual([0.5, 0.25]);
  });

  it('refuses frames beyond the samples it is given, naming the counts', () => {
    const meter = new PeakMeter({ channels: 2, sampleRate: RATE });
    expect(() => meter.measure(period(8, 1, 1), 4, 7)).toThrow(BoundsError);
    expect(() => meter.measure(period(8, 1, 1), 4, 7)).toThrow(/offset 4, count 14/);
  });
});

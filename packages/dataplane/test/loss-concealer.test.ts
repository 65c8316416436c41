import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@syfala/proto';

import { ConcealerError } from '../src/errors.js';
import { FADE_SECONDS, HOLD_SECONDS, LossConcealer } from '../src/loss-concealer.js';
import { chord, glitchReport, runLossyStream, tone } from './fixtures/lossy-tone.js';

const RATE = 48_000;
const CHANNELS = 2;
const PLAYED = { playing: true, skippedFrames: 0 };
const UNDERRUN = { playing: false, skippedFrames: 0 };

/** `frames` frames of `signal` from `start`, interleaved. */
const render = (signal: ReturnType<typeof tone>, start: number, frames: number): Float32Array => {
  const out = new Float32Array(frames * CHANNELS);
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < CHANNELS; c++) out[f * CHANNELS + c] = signal(start + f, c);
  }
  return out;
};

const stereo = (): LossConcealer => new LossConcealer({ channels: CHANNELS, sampleRate: RATE });

/** Plays `periods` whole periods of `signal` through `concealer`, nothing lost. */
const playNote = (
  concealer: LossConcealer,
  signal: ReturnType<typeof tone>,
  periods: number,
  period: number,
): void => {
  const none = new Uint8Array(period);
  for (let p = 0; p < periods; p++) {
    concealer.conceal(render(signal, p * period, period), 0, period, PLAYED, none);
  }
};

/** Largest step between neighbouring frames of one channel. */
const largestStep = (samples: Float32Array, from = 1, to = samples.length / CHANNELS): number => {
  let step = 0;
  for (let f = Math.max(1, from); f < to; f++) {
    for (let c = 0; c < CHANNELS; c++) {
      step = Math.max(
        step,
        Math.abs(samples[f * CHANNELS + c]! - samples[(f - 1) * CHANNELS + c]!),
      );
    }
  }
  return step;
};

describe('LossConcealer', () => {
  it('passes a stream that loses nothing through bit for bit, priming included', () => {
    const result = runLossyStream({
      signal: tone(RATE),
      concealment: 'fade',
      seconds: 1,
      lossRate: 0,
      seed: 1,
    });
    const plain = runLossyStream({
      signal: tone(RATE),
      concealment: 'silence',
      seconds: 1,
      lossRate: 0,
      seed: 1,
    });
    expect(result.lostFrames).toBe(0);
    expect(result.output).toEqual(plain.output);
  });

  it('fills a lost period of a held note in phase, with no step at either edge', () => {
    const signal = tone(RATE);
    const period = 64;
    const concealer = stereo();
    const none = new Uint8Array(period);
    const all = new Uint8Array(period).fill(1);
    const periods = 40;
    const lostAt = 30;
    const out = new Float32Array(periods * period * CHANNELS);
    for (let p = 0; p < periods; p++) {
      const block = render(signal, p * period, period);
      if (p === lostAt) block.fill(0);
      concealer.conceal(block, 0, period, PLAYED, p === lostAt ? all : none);
      out.set(block, p * period * CHANNELS);
    }
    const original = render(signal, 0, periods * period);
    const naturalStep = largestStep(original);
    // Around the gap (and the crossfade after it), no step larger than the note's own, where
    // silence would have stepped by the whole amplitude at both edges.
    expect(largestStep(out, lostAt * period - 4, (lostAt + 3) * period)).toBeLessThan(
      1.5 * naturalStep,
    );
    // Close to what was lost: the repetition found the note's cycle.
    let error = 0;
    let energy = 0;
    for (let i = lostAt * period * CHANNELS; i < (lostAt + 1) * period * CHANNELS; i++) {
      error += (out[i]! - original[i]!) ** 2;
      energy += original[i]! ** 2;
    }
    expect(10 * Math.log10(energy / error)).toBeGreaterThan(20);
    expect(concealer.gaps).toBe(1);
    // Away from the gap, the stream is untouched.
    expect(out.subarray(0, lostAt * period * CHANNELS)).toEqual(
      original.subarray(0, lostAt * period * CHANNELS),
    );
  });

  it('fades a long gap to exact silence, then fades the stream back in without a step', () => {
    const signal = tone(RATE);
    const period = 64;
    const concealer = stereo();
    const all = new Uint8Array(period).fill(1);
    const none = new Uint8Array(period);
    playNote(concealer, signal, 20, period);
    // 100 ms of nothing: the buffer underran (played false), then primed.
    const gap = new Float32Array((RATE / 10) * CHANNELS);
    const gapPeriods = gap.length / CHANNELS / period;
    for (let p = 0; p < gapPeriods; p++) {
      concealer.conceal(gap, p * period * CHANNELS, period, UNDERRUN, all);
    }
    const silentFrom = Math.ceil(RATE * (HOLD_SECONDS + FADE_SECONDS));
    expect(gap.subarray(silentFrom * CHANNELS).every((s) => s === 0)).toBe(true);
    expect(gap.subarray(0, period * CHANNELS).some((s) => s !== 0)).toBe(true);
    // The fade itself steps no more than the note does.
    expect(largestStep(gap)).toBeLessThan(1.5 * largestStep(render(signal, 0, RATE / 10)));
    // The stream resumes mid-waveform: ramped in, not switched on.
    const resumed = render(signal, 12_345, period);
    const first = Math.abs(resumed[0]!);
    concealer.conceal(resumed, 0, period, PLAYED, none);
    expect(Math.abs(resumed[0]!)).toBeLessThan(first / 10);
    expect(largestStep(resumed)).toBeLessThan(1.5 * largestStep(render(signal, 0, RATE / 10)));
    expect(concealer.gaps).toBe(1);
  });

  it('conceals only the masked frames of a period, leaving the rest as they came', () => {
    const signal = tone(RATE);
    const period = 64;
    const concealer = stereo();
    playNote(concealer, signal, 20, period);
    const mask = new Uint8Array(period);
    mask.fill(1, 10, 20);
    const block = render(signal, 20 * period, period);
    const original = block.slice();
    block.fill(0, 10 * CHANNELS, 20 * CHANNELS);
    concealer.conceal(block, 0, period, PLAYED, mask);
    expect(block.subarray(0, 10 * CHANNELS)).toEqual(original.subarray(0, 10 * CHANNELS));
    expect(block.subarray(10 * CHANNELS, 20 * CHANNELS).some((s) => s !== 0)).toBe(true);
    // After the crossfade the stream is its own again.
    const crossfadeEnd = 20 + Math.round(RATE * 0.002);
    if (crossfadeEnd < period) {
      expect(block.subarray(crossfadeEnd * CHANNELS)).toEqual(
        original.subarray(crossfadeEnd * CHANNELS),
      );
    }
  });

  it('crossfades across a slip instead of jumping in the waveform', () => {
    const signal = tone(RATE);
    const period = 64;
    const none = new Uint8Array(period);
    const natural = largestStep(render(signal, 0, RATE / 10));
    const across = (skippedFrames: number): number => {
      const concealer = stereo();
      const out = new Float32Array(21 * period * CHANNELS);
      for (let p = 0; p < 21; p++) {
        // The buffer skipped 37 frames after period 19: period 20 starts 37 frames later.
        const block = render(signal, p * period + (p === 20 ? 37 : 0), period);
        concealer.conceal(
          block,
          0,
          period,
          { playing: true, skippedFrames: p === 19 ? skippedFrames : 0 },
          none,
        );
        out.set(block, p * period * CHANNELS);
      }
      return largestStep(out, 20 * period - 2, 20 * period + 4);
    };
    // Told of the slip, no step beyond the note's own; not told, the jump shows.
    expect(across(37)).toBeLessThan(1.5 * natural);
    expect(across(0)).toBeGreaterThan(2 * natural);
  });

  it('never conceals above the level of what was played, even after noise', () => {
    const period = 64;
    const none = new Uint8Array(period);
    const all = new Uint8Array(period).fill(1);
    let worst = 0;
    // Seeded white noise at ±0.5, then a lost period: its repetition eases from the noise's slope.
    for (let seed = 1; seed <= 50; seed++) {
      const concealer = stereo();
      const random = new SeededRandom(seed);
      const noise = new Float32Array(period * CHANNELS);
      for (let p = 0; p < 20; p++) {
        for (let i = 0; i < noise.length; i++) noise[i] = random.next() - 0.5;
        concealer.conceal(noise, 0, period, PLAYED, none);
      }
      const gap = new Float32Array(period * CHANNELS);
      concealer.conceal(gap, 0, period, PLAYED, all);
      for (const sample of gap) worst = Math.max(worst, Math.abs(sample));
    }
    expect(worst).toBeGreaterThan(0.25);
    expect(worst).toBeLessThanOrEqual(0.5);
  });

  it('conceals with fewer clicks and a closer fill than silence, through a lossy link', () => {
    for (const [name, signal] of [
      ['note', tone(RATE)],
      ['chord', chord(RATE)],
    ] as const) {
      const run = (concealment: 'silence' | 'fade') =>
        runLossyStream({ signal, concealment, seconds: 4, lossRate: 0.02, seed: 3 });
      const silence = glitchReport(run('silence'), signal);
      const fade = glitchReport(run('fade'), signal);
      // Same losses either way; silence clicks at the edges of nearly every gap.
      expect(fade.gapFrames, name).toBe(silence.gapFrames);
      expect(silence.clicks, name).toBeGreaterThan(20);
      expect(fade.clicks, name).toBeLessThan(silence.clicks / 20);
      expect(fade.gapSnrDb, name).toBeGreaterThan(silence.gapSnrDb + 3);
    }
  });

  it('refuses channel counts and rates out of range, and short masks', () => {
    const make = (channels: number, sampleRate: number) => () =>
      new LossConcealer({ channels, sampleRate });
    expect(make(0, RATE)).toThrow(ConcealerError);
    expect(make(2, 0)).toThrow(expect.objectContaining({ code: 'BAD_SAMPLE_RATE' }));
    expect(make(2, Number.NaN)).toThrow(expect.objectContaining({ code: 'BAD_SAMPLE_RATE' }));
    expect(make(70_000, RATE)).toThrow(expect.objectContaining({ code: 'BAD_CHANNELS' }));
    const concealer = make(2, RATE)();
    expect(() =>
      concealer.conceal(new Float32Array(128), 0, 64, PLAYED, new Uint8Array(8)),
    ).toThrow(expect.objectContaining({ code: 'OUT_OF_BOUNDS' }));
    expect(() =>
      concealer.conceal(new Float32Array(100), 0, 64, PLAYED, new Uint8Array(64)),
    ).toThrow(expect.objectContaining({ code: 'OUT_OF_BOUNDS' }));
  });
});

import { describe, expect, it } from 'vitest';
import { DriftController, DriftResampler, MAX_DRIFT_PPM } from '../src/index.js';
import { runDriftingLink } from './fixtures/drifting-link.js';

describe('DriftResampler', () => {
  it('passes samples through unchanged at ratio 1, reading two frames ahead', () => {
    const resampler = new DriftResampler(2, 64, 1.001);
    const input = Float32Array.from({ length: 2 * 210 }, (_, i) => Math.sin(i * 0.37));
    const out = new Float32Array(2 * 200);
    let written = 0;
    for (let done = 0; done < 200; done += 50) {
      const needed = resampler.inputFramesNeeded(50, 1);
      resampler.write(input, written * 2, needed);
      written += needed;
      resampler.read(out, done * 2, 50, 1);
    }
    expect(out).toEqual(input.subarray(0, 2 * 200));
    // The cubic's lookahead: two frames more than it played.
    expect(written).toBe(202);
  });

  it.each([1 + 500e-6, 1 - 500e-6, 1 + MAX_DRIFT_PPM / 1e6])(
    'at ratio %f reads a sine where the ratio puts it, and consumes ratio × frames',
    (ratio) => {
      const resampler = new DriftResampler(1, 128, 1.001);
      const w = (2 * Math.PI * 1000) / 48000; // 1 kHz at 48 kHz
      const input = Float32Array.from({ length: 100_000 }, (_, i) => Math.sin(w * i));
      const out = new Float32Array(128);
      let written = 0;
      let produced = 0;
      let worst = 0;
      while (produced < 40_000) {
        const needed = resampler.inputFramesNeeded(128, ratio);
        resampler.write(input, written, needed);
        written += needed;
        resampler.read(out, 0, 128, ratio);
        for (let k = 0; k < 128; k++) {
          // Output frame n reads input position n·ratio.
          const position = (produced + k) * ratio;
          worst = Math.max(worst, Math.abs(out[k]! - Math.sin(w * position)));
        }
        produced += 128;
      }
      // Cubic interpolation of a 1 kHz tone at 48 kHz: errors near 1e-4 (−80 dB).
      expect(worst).toBeLessThan(3e-4);
      expect(Math.abs(written - produced * ratio - 2)).toBeLessThan(2);
    },
  );

  it('refuses to read past what was written', () => {
    const resampler = new DriftResampler(1, 16, 1.001);
    expect(() => resampler.read(new Float32Array(16), 0, 16, 1)).toThrow(/not enough input/);
  });
});

describe('DriftController', () => {
  it('settles on a sender that runs 300 ppm fast, holding the fill at its setpoint', () => {
    const fs = 48000;
    const controller = new DriftController({ sampleRate: fs, setpointFrames: 480 });
    let fill = 480;
    for (let period = 0; period < (600 * fs) / 64; period++) {
      // The sender adds 64 × (1 + 300 ppm) frames per period, we take 64 × ratio.
      fill += 64 * (1 + 300e-6) - 64 * controller.ratio;
      controller.update(fill, 64);
    }
    expect(controller.driftPpm).toBeCloseTo(300, 1);
    expect(Math.abs(fill - 480)).toBeLessThan(1);
  });

  it(`holds the ratio within ±${MAX_DRIFT_PPM} ppm whatever the fill says`, () => {
    const controller = new DriftController({ sampleRate: 48000, setpointFrames: 480 });
    for (let i = 0; i < 100_000; i++) controller.update(48_000, 64);
    expect(controller.ratio).toBeCloseTo(1 + MAX_DRIFT_PPM / 1e6, 12);
  });
});

describe('a drifting link (virtual clocks, real buffer, resampler and controller)', () => {
  it.each([500, -500])(
    'at %d ppm with ±2 ms jitter: no underrun, overrun, slip or loss, drift measured within 5 ppm',
    (skewPpm) => {
      const result = runDriftingLink({
        skewPpm,
        baseDelayMs: 3,
        jitterMs: 2,
        seconds: 240,
        periodFrames: 128,
        targetLatencyFrames: 480,
        seed: 7,
      });
      expect(result).toMatchObject({
        underruns: 0,
        overrunDatagrams: 0,
        lostFrames: 0,
        skippedFrames: 0,
      });
      expect(Math.abs(result.driftPpm.min - skewPpm)).toBeLessThan(5);
      expect(Math.abs(result.driftPpm.max - skewPpm)).toBeLessThan(5);
    },
    30_000,
  );
});

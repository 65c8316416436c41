import { describe, expect, it } from 'vitest';
import {
  DRIFT_ACQUIRE_SECONDS,
  DriftCompensatedStream,
  DriftController,
  DriftResampler,
  JitterBuffer,
  MAX_DRIFT_PPM,
  MAX_PROPORTIONAL_PPM,
  RateConverter,
  ResamplerError,
} from '../src/index.js';
import { makeFormat } from '@syfala/proto';
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

  it('says exactly how many output frames the input written allows', () => {
    const resampler = new DriftResampler(1, 64, 1.1);
    const input = new Float32Array(64);
    for (const ratio of [1, 1 + 700e-6, 48000 / 44100, 44100 / 48000]) {
      for (let i = 0; i < 50; i++) {
        const available = resampler.outputFramesAvailable(ratio);
        expect(resampler.inputFramesNeeded(available, ratio)).toBe(0);
        expect(resampler.inputFramesNeeded(available + 1, ratio)).toBeGreaterThan(0);
        resampler.read(new Float32Array(available), 0, available, ratio);
        expect(resampler.outputFramesAvailable(ratio)).toBe(0);
        resampler.write(input, 0, 1 + (i % 50));
      }
    }
  });

  it('refuses to read past what was written', () => {
    const resampler = new DriftResampler(1, 16, 1.001);
    expect(() => resampler.read(new Float32Array(16), 0, 16, 1)).toThrow(/not enough input/);
  });
});

describe('RateConverter', () => {
  it.each([
    [44100, 48000],
    [48000, 44100],
  ])(
    'turns a %d Hz tone into one at %d Hz, as many frames as the rates say',
    (inputRate, outputRate) => {
      const converter = new RateConverter({
        channels: 1,
        inputSampleRate: inputRate,
        outputSampleRate: outputRate,
        maxWriteFrames: 64,
      });
      const hz = 1000;
      const period = new Float32Array(64);
      const out = new Float32Array(128);
      let written = 0;
      let produced = 0;
      let worst = 0;
      for (let p = 0; p < 1000; p++) {
        for (let i = 0; i < 64; i++) {
          period[i] = Math.sin((2 * Math.PI * hz * (written + i)) / inputRate);
        }
        converter.write(period, 0, 64);
        written += 64;
        const available = converter.outputFramesAvailable;
        converter.read(out, 0, available);
        for (let k = 0; k < available; k++) {
          // Output frame n is input position n × inputRate / outputRate, one frame behind the
          // first input (the resampler's frame of history).
          const expected = Math.sin((2 * Math.PI * hz * (produced + k)) / outputRate);
          worst = Math.max(worst, Math.abs(out[k]! - expected));
        }
        produced += available;
      }
      expect(worst).toBeLessThan(1e-3);
      // All but the cubic's lookahead (2 input frames) has come out.
      expect(Math.abs(produced - ((written - 2) * outputRate) / inputRate)).toBeLessThan(1);
    },
  );

  it('refuses a sample rate that is not positive and finite', () => {
    const bad = { channels: 1, outputSampleRate: 48000, maxWriteFrames: 64 };
    expect(() => new RateConverter({ ...bad, inputSampleRate: 0 })).toThrow(ResamplerError);
    expect(() => new RateConverter({ ...bad, inputSampleRate: Number.NaN })).toThrow(
      ResamplerError,
    );
  });
});

describe('DriftCompensatedStream', () => {
  it('refuses a device sample rate that is not positive and finite', () => {
    const format = makeFormat({
      sampleType: 'f32',
      channels: 1,
      sampleRate: 48000,
      bufferFrames: 0,
    });
    const buffer = new JitterBuffer({ format, capacityFrames: 64, targetLatencyFrames: 8 });
    for (const deviceSampleRate of [0, -44100, Number.POSITIVE_INFINITY]) {
      expect(
        () => new DriftCompensatedStream({ buffer, format, maxPeriodFrames: 16, deviceSampleRate }),
      ).toThrow(ResamplerError);
    }
  });

  describe('a target raised while playing', () => {
    const PERIOD = 32;
    /** A stream playing at a 64-frame target, fed a period per period on one clock. */
    const playing = () => {
      const format = makeFormat({
        sampleType: 'f32',
        channels: 1,
        sampleRate: 48000,
        bufferFrames: 0,
      });
      const buffer = new JitterBuffer({
        format,
        capacityFrames: 4096,
        targetLatencyFrames: 64,
        skipSurplus: false,
      });
      const stream = new DriftCompensatedStream({
        buffer,
        format,
        maxPeriodFrames: PERIOD,
        deviceSampleRate: 48000,
      });
      const payload = new Uint8Array(PERIOD * 4).fill(0x3e);
      const out = new Float32Array(PERIOD);
      let sent = 0;
      const period = () => {
        buffer.push(sent, payload, 0, payload.length);
        sent += payload.length;
        return { ...stream.pull(out, 0, PERIOD) };
      };
      for (let i = 0; i < 100; i++) period();
      expect(period().playing).toBe(true);
      return { buffer, period };
    };

    it('by more than a period primes again at once: the fill is there within its frames', () => {
      const { buffer, period } = playing();
      const primingBefore = buffer.stats().primingFrames;
      buffer.targetLatencyFrames = 64 + 1000;
      // The playhead waits while the sender's periods fill the buffer up to the new target.
      const waited = Array.from({ length: Math.ceil(1000 / PERIOD) }, period);
      expect(waited.every((pulled) => !pulled.playing && !pulled.underrun)).toBe(true);
      expect(period().playing).toBe(true);
      expect(buffer.stats().primingFrames - primingBefore).toBe(waited.length * PERIOD);
      expect(buffer.stats().bufferedFrames).toBeGreaterThanOrEqual(64 + 1000 - PERIOD);
      expect(buffer.stats().underruns).toBe(0);
    });

    it('by less than a period is left to the resampler: it plays on', () => {
      const { buffer, period } = playing();
      buffer.targetLatencyFrames = 64 + PERIOD - 1;
      expect(Array.from({ length: 50 }, period).every((pulled) => pulled.playing)).toBe(true);
    });
  });
});

/**
 * A DriftController holding a simulated buffer at 480 frames for `seconds`: each 64-frame period
 * the sender adds 64 × (1 + drift(seconds so far)) frames and the controller's ratio takes 64 ×
 * ratio. Calls `period` after each update; returns the controller and the fill at the end.
 */
function heldFill(
  drift: (seconds: number) => number,
  seconds: number,
  period: (controller: DriftController, fill: number, seconds: number) => void = () => {},
): { controller: DriftController; fill: number } {
  const fs = 48000;
  const controller = new DriftController({ sampleRate: fs, setpointFrames: 480 });
  let fill = 480;
  for (let n = 0; n < (seconds * fs) / 64; n++) {
    const at = (n * 64) / fs;
    fill += 64 * (1 + drift(at)) - 64 * controller.ratio;
    controller.update(fill, 64);
    period(controller, fill, at);
  }
  return { controller, fill };
}

describe('DriftController', () => {
  it('settles on a sender that runs 300 ppm fast, holding the fill at its setpoint', () => {
    const { controller, fill } = heldFill(() => 300e-6, 600);
    expect(controller.driftPpm).toBeCloseTo(300, 1);
    expect(Math.abs(fill - 480)).toBeLessThan(1);
  });

  it(`follows a device whose lost time grows to ${MAX_PROPORTIONAL_PPM * 1.5} ppm, beyond what the proportional term reaches`, () => {
    // A JACK server's xruns lose more and more time as its machine gets busy, over 1000 ppm in
    // a bad stretch (issue #14): the integral follows it as drift, up to ±MAX_DRIFT_PPM, while
    // the proportional term stays within its own limit.
    const most = (MAX_PROPORTIONAL_PPM * 1.5) / 1e6;
    let worst = 0;
    const { controller } = heldFill(
      (at) => most * Math.min(1, at / 120),
      600,
      (_, fill, at) => {
        if (at > 60) worst = Math.max(worst, Math.abs(fill - 480));
      },
    );
    expect(controller.driftPpm).toBeCloseTo(most * 1e6, 1);
    expect(worst).toBeLessThan(64);
  });

  it(`holds the ratio within ±${MAX_DRIFT_PPM} ppm when the lost time grows past it`, () => {
    let highest = 1;
    const { controller } = heldFill(
      (at) => ((MAX_DRIFT_PPM * 1.5) / 1e6) * Math.min(1, at / 120),
      300,
      (c) => {
        highest = Math.max(highest, c.ratio);
      },
    );
    expect(highest).toBeCloseTo(1 + MAX_DRIFT_PPM / 1e6, 12);
    expect(controller.ratio).toBeCloseTo(1 + MAX_DRIFT_PPM / 1e6, 12);
  });

  it(`holds the proportional term within ±${MAX_PROPORTIONAL_PPM} ppm whatever the fill says, the integral unwound`, () => {
    const controller = new DriftController({ sampleRate: 48000, setpointFrames: 480 });
    for (let i = 0; i < 100_000; i++) controller.update(48_000, 64);
    expect(controller.ratio).toBeCloseTo(1 + MAX_PROPORTIONAL_PPM / 1e6, 12);
    expect(MAX_PROPORTIONAL_PPM).toBeLessThan(MAX_DRIFT_PPM);
  });
});

describe('a drifting link (virtual clocks, real buffer, resampler and controller)', () => {
  it.each([
    [500, 48000],
    [-500, 48000],
    [500, 44100],
    [-500, 44100],
  ])(
    'at %d ppm, a 48 kHz stream to a %d Hz device, ±2 ms jitter: no underrun, overrun, slip or loss, drift measured within 5 ppm',
    (skewPpm, deviceSampleRate) => {
      const result = runDriftingLink({
        skewPpm,
        baseDelayMs: 3,
        jitterMs: 2,
        seconds: 240,
        periodFrames: 128,
        targetLatencyFrames: 480,
        deviceSampleRate,
        seed: 7,
      });
      expect(result).toMatchObject({
        underruns: 0,
        reprimes: 0,
        overrunDatagrams: 0,
        lostFrames: 0,
        skippedFrames: 0,
      });
      expect(Math.abs(result.driftPpm.min - skewPpm)).toBeLessThan(5);
      expect(Math.abs(result.driftPpm.max - skewPpm)).toBeLessThan(5);
    },
    30_000,
  );

  it.each([300, -300])(
    'at %d ppm without jitter, holds the fill a period finds when due at the target (as priming does), not a period more',
    (skewPpm) => {
      const target = 128;
      const result = runDriftingLink({
        skewPpm,
        baseDelayMs: 3,
        jitterMs: 0,
        seconds: 60,
        periodFrames: 64,
        targetLatencyFrames: target,
        seed: 1,
      });
      const settled = result.seconds.filter((s) => s.at > 30);
      const dueFill = settled.reduce((sum, s) => sum + s.dueFillFrames, 0) / settled.length;
      // Measured 127.9 (held after the pull, it was 191.9: the target and a period).
      expect(Math.abs(dueFill - target)).toBeLessThan(2);
      expect(result.underruns).toBe(0);
    },
  );

  it.each([500, -500])(
    'at %d ppm with jitter spikes and concealed underruns: latency held at the target, never re-primed',
    (skewPpm) => {
      // Two periods of fill when due plus the jitter's spread (±1.5 ms: 144 frames, rounded up).
      const target = 176;
      const period = 64;
      const result = runDriftingLink({
        skewPpm,
        baseDelayMs: 3,
        jitterMs: 1.5,
        // A datagram now and then comes 4 ms (192 frames) late, past the target: an underrun.
        spikes: { probability: 0.003, extraMs: 4 },
        seconds: 180,
        periodFrames: period,
        targetLatencyFrames: target,
        concealUnderruns: true,
        seed: 5,
      });
      const settled = result.seconds.filter((s) => s.at > 30);
      // Underruns happened after settling, and each was concealed: the playhead moved on.
      expect(settled.at(-1)!.underruns).toBeGreaterThan(settled[0]!.underruns);
      expect(result.reprimes).toBe(0);
      for (const second of settled) {
        expect(Math.abs(second.dueFillFrames - target)).toBeLessThan(period);
      }
      expect(Math.abs(result.driftPpm.mean - skewPpm)).toBeLessThan(10);
    },
    30_000,
  );

  /** ±1.5 ms of jitter, 64-frame periods, a fill of 3 periods when due, underruns concealed. */
  const jitteryLink = (skewPpm: number, seconds: number, seed: number) =>
    runDriftingLink({
      skewPpm,
      baseDelayMs: 3,
      jitterMs: 1.5,
      seconds,
      periodFrames: 64,
      targetLatencyFrames: 192,
      concealUnderruns: true,
      seed,
    });

  // The loop acquires at 0.1 Hz and narrows to 0.02 Hz over 25 s (DriftController). On this
  // link, measured: settled after 10 s (+500 ppm) and 10 s (−500 ppm), 0 and 9 concealed
  // underruns in 120 s. One fixed 0.02 Hz loop holding the same fill (its target 128, held after
  // the pull) settled after 69 and 61 s, with 37 and 1,613 underruns.
  it.each([500, -500])(
    'at %d ppm, ±1.5 ms jitter, a fill of 3 periods: acquires the drift within 15 s, few concealed underruns',
    (skewPpm) => {
      const target = 192;
      const period = 64;
      const result = jitteryLink(skewPpm, 120, 7);
      const settledSince = Math.max(
        0,
        ...result.seconds
          .filter(
            (s) =>
              Math.abs(s.dueFillFrames - target) >= period || Math.abs(s.driftPpm - skewPpm) >= 50,
          )
          .map((s) => s.at),
      );
      expect(settledSince).toBeLessThan(15);
      expect(result.underruns).toBeLessThan(20);
      expect(result.reprimes).toBe(0);
    },
    30_000,
  );

  it('without drift, ±1.5 ms jitter: once acquired, the ratio stays within ±50 ppm', () => {
    const result = jitteryLink(0, 90, 6);
    // Measured −29..+34 ppm after the 25 s of acquisition (±1,000 at the start, ±70 10 s in).
    for (const second of result.seconds.filter((s) => s.at > DRIFT_ACQUIRE_SECONDS)) {
      expect(Math.abs(second.ratioPpm.min)).toBeLessThan(50);
      expect(Math.abs(second.ratioPpm.max)).toBeLessThan(50);
    }
    expect(result.underruns).toBe(0);
  });
});

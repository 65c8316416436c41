import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

import { makeFormat } from '@syfala/proto';
import type { Format, SampleType } from '@syfala/proto';
import { SpscRing, decodeSamples, encodeSamples } from '@syfala/dataplane';
import { describe, expect, it } from 'vitest';

import type { AudioDevice, DeviceStreams, PeriodInfo, ProcessCallback } from '../src/backend.js';
import { RingStatus, virtualBackend } from '../src/virtual/index.js';
import type { VirtualDeviceOptions } from '../src/virtual/index.js';
import { readWavFile } from '../src/wav/wav-reader.js';
import { tempFiles } from './temp-files.js';
import { WavWriter } from '../src/wav/wav-writer.js';

const hasSox = spawnSync('sox', ['--version']).status === 0;
const needsSox = hasSox ? '' : ' [sox checks skipped: sox is not installed; apt-get install sox]';

const format = (
  sampleRate: number,
  channels: number,
  sampleType: SampleType = 'f32',
  bufferFrames = 0,
) => makeFormat({ sampleRate, channels, sampleType, bufferFrames });

const streams = (inputs: Format[], outputs: Format[] = []): DeviceStreams => ({ inputs, outputs });

const open = (s: DeviceStreams, options: VirtualDeviceOptions = {}): Promise<AudioDevice> =>
  virtualBackend.open(s, { clock: 'fast', ...options });

interface Run {
  /** Per input stream, every captured sample in order. */
  readonly captured: Float32Array[];
  /** Per input stream, then per output stream: frames in each period. */
  readonly inputFrames: number[][];
  readonly outputFrames: number[][];
  /** Copies: the device hands the same object to every call. */
  readonly infos: PeriodInfo[];
}

/** Runs `periods` periods (the last callback stops the device) and records what it saw. */
function run(
  device: AudioDevice,
  periods: number,
  play: ProcessCallback = () => undefined,
): Promise<Run> {
  const chunks: Float32Array[][] = device.streams.inputs.map(() => []);
  const inputFrames: number[][] = device.streams.inputs.map(() => []);
  const outputFrames: number[][] = device.streams.outputs.map(() => []);
  const infos: PeriodInfo[] = [];
  return new Promise((resolve) => {
    device.start((inputs, outputs, info) => {
      inputs.forEach((samples, i) => {
        chunks[i]!.push(samples.slice());
        inputFrames[i]!.push(samples.length / device.streams.inputs[i]!.channels);
      });
      outputs.forEach((samples, i) => {
        outputFrames[i]!.push(samples.length / device.streams.outputs[i]!.channels);
      });
      infos.push({ ...info });
      play(inputs, outputs, info);
      if (infos.length === periods) {
        void device.stop().then(() => {
          const captured = chunks.map((list) => concat(list));
          resolve({ captured, inputFrames, outputFrames, infos });
        });
      }
    });
  });
}

function concat(list: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(list.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of list) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const amplitude = (dbfs: number) => 10 ** (dbfs / 20);

/** The largest |a[i] − b[i]|; lengths must match. */
function maxError(a: Float32Array, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** A sine, the same on every channel, as the device's tone source defines it. */
function tone(frames: number, channels: number, rate: number, hz: number, peak: number) {
  const out = new Float32Array(frames * channels);
  for (let k = 0; k < frames; k++) {
    out.fill(peak * Math.sin((2 * Math.PI * hz * k) / rate), k * channels, (k + 1) * channels);
  }
  return out;
}

function rms(samples: Float32Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / samples.length);
}

const file = tempFiles('virtual');

describe('virtualBackend', () => {
  it('is the duplex virtual card', () => {
    expect(virtualBackend.info).toEqual({ name: 'virtual', duplex: true });
  });

  it.each([
    [streams([format(44_100, 2, 'i16', 128)], [format(48_000, 1)]), {}, 44_100, 128],
    [streams([], [format(96_000, 1, 'f32', 64)]), {}, 96_000, 64],
    [streams([format(22_050, 1)]), {}, 22_050, 32],
    [streams([]), {}, 48_000, 32],
    [streams([format(44_100, 2, 'i16', 128)]), { sampleRate: 48_000, periodFrames: 7 }, 48_000, 7],
  ])('takes its clock from the first stream unless told (%#)', async (s, options, rate, period) => {
    const device = await open(s, options);
    expect(device.sampleRate).toBe(rate);
    expect(device.periodFrames).toBe(period);
    expect(device.streams).toEqual(s);
    await device.close();
  });
});

describe('virtual sources', () => {
  it('captures a 440 Hz sine at −12 dBFS on every channel by default, seamless across periods', async () => {
    const device = await open(streams([format(48_000, 2), format(48_000, 1)]));
    const { captured } = await run(device, 100);
    await device.close();
    const expected = tone(3200, 2, 48_000, 440, amplitude(-12));
    expect(maxError(captured[0]!, expected)).toBeLessThan(1e-7);
    expect(
      maxError(
        captured[1]!,
        expected.filter((_, i) => i % 2 === 0),
      ),
    ).toBeLessThan(1e-7);
  });

  it('plays a tone at the stream’s own rate when the device runs at another', async () => {
    const device = await open(streams([format(44_100, 3)]), {
      sampleRate: 48_000,
      periodFrames: 64,
      sources: [{ kind: 'tone', frequencyHz: 1000, levelDbfs: -3 }],
    });
    const { captured, inputFrames } = await run(device, 500);
    await device.close();
    const frames = inputFrames[0]!.reduce((a, b) => a + b, 0);
    expect(frames).toBe(Math.floor((500 * 64 * 44_100) / 48_000));
    expect(maxError(captured[0]!, tone(frames, 3, 44_100, 1000, amplitude(-3)))).toBeLessThan(1e-7);
  });

  it('captures noise within its level, independent per channel, the same for the same seed', async () => {
    const capture = async (seed: number) => {
      const device = await open(streams([format(48_000, 2)]), {
        sources: [{ kind: 'noise', levelDbfs: -6, seed }],
      });
      const { captured } = await run(device, 200);
      await device.close();
      return captured[0]!;
    };
    const [a, b, c] = [await capture(7), await capture(7), await capture(8)];
    const peak = amplitude(-6);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(Math.max(...a.map(Math.abs))).toBeLessThan(peak);
    expect(Math.max(...a.map(Math.abs))).toBeGreaterThan(0.99 * peak);
    // Uniform in ±A: RMS A/√3, mean 0.
    expect(rms(a) / (peak / Math.sqrt(3))).toBeCloseTo(1, 1);
    // Mean 0: 6 standard errors (A/√3/√12800 each) at most.
    expect(Math.abs(a.reduce((s, x) => s + x, 0) / a.length)).toBeLessThan(0.03 * peak);
    const left = a.filter((_, i) => i % 2 === 0);
    const right = a.filter((_, i) => i % 2 === 1);
    expect(left).not.toEqual(right);
  });

  it('captures silence', async () => {
    const device = await open(streams([format(48_000, 4)]), { sources: [{ kind: 'silence' }] });
    const { captured } = await run(device, 20);
    await device.close();
    expect(captured[0]!.length).toBe(20 * 32 * 4);
    expect(captured[0]!.every((s) => s === 0)).toBe(true);
  });

  /** A file of `frames` frames whose every sample is different. */
  async function rampFile(path: string, rate: number, channels: number, type: 'f32' | 'i24') {
    const frames = 1000;
    const samples = Float32Array.from(
      { length: frames * channels },
      (_, i) => (i - frames * channels) / (frames * channels),
    );
    const writer = await WavWriter.create(path, { sampleRate: rate, channels, sampleType: type });
    writer.write(samples, frames);
    await writer.close();
    return samples;
  }

  it('plays a WAV file in a loop, seamlessly', async () => {
    const path = file('source');
    const samples = await rampFile(path, 48_000, 2, 'f32');
    const device = await open(streams([format(48_000, 2)]), {
      periodFrames: 64,
      sources: [{ kind: 'wav', path }],
    });
    const { captured } = await run(device, 40);
    await device.close();
    const expected = Array.from({ length: 40 * 64 * 2 }, (_, i) => samples[i % samples.length]!);
    expect([...captured[0]!]).toEqual(expected);
  });

  it('plays a 24-bit file at 44.1 kHz on a 48 kHz device, looped', async () => {
    const path = file('source');
    const samples = await rampFile(path, 44_100, 1, 'i24');
    const bytes = new Uint8Array(samples.length * 3);
    encodeSamples('i24', samples, 0, bytes, 0, samples.length);
    const stored = new Float32Array(samples.length);
    decodeSamples('i24', bytes, 0, stored, 0, samples.length);
    const device = await open(streams([format(44_100, 1, 'i24')]), {
      sampleRate: 48_000,
      sources: [{ kind: 'wav', path, loop: true }],
    });
    const { captured } = await run(device, 150);
    await device.close();
    expect(captured[0]!.length).toBe(Math.floor((150 * 32 * 44_100) / 48_000));
    expect([...captured[0]!]).toEqual(
      Array.from({ length: captured[0]!.length }, (_, i) => stored[i % stored.length]!),
    );
  });

  it('plays a WAV file once, then silence, when loop is false', async () => {
    const path = file('source');
    const samples = await rampFile(path, 48_000, 2, 'f32');
    const device = await open(streams([format(48_000, 2)]), {
      sources: [{ kind: 'wav', path, loop: false }],
    });
    const { captured } = await run(device, 50);
    await device.close();
    expect(captured[0]!.subarray(0, 2000)).toEqual(samples);
    expect(captured[0]!.length).toBe(3200);
    expect(captured[0]!.subarray(2000).every((s) => s === 0)).toBe(true);
  });

  it.each([
    [48_000, 1, /is 48000 Hz, 2 channels; the stream is 48000 Hz, 1 channels/],
    [44_100, 2, /is 48000 Hz, 2 channels; the stream is 44100 Hz, 2 channels/],
  ])('refuses a WAV source that is not %d Hz × %d channels', async (rate, channels, message) => {
    const path = file('source');
    await rampFile(path, 48_000, 2, 'f32');
    await expect(
      open(streams([format(rate, channels)]), { sources: [{ kind: 'wav', path }] }),
    ).rejects.toThrow(
      expect.objectContaining({
        code: 'BAD_OPTION',
        message: expect.stringMatching(new RegExp(`sources\\[0\\]\\.path: .*${message.source}`)),
      }),
    );
  });

  it('captures what another thread writes into a ring, silence where it is dry, counted until it ends', async () => {
    const ring = SpscRing.create(256);
    const status = new RingStatus();
    const written = Float32Array.from({ length: 100 }, (_, i) => (i + 1) / 128);
    expect(ring.write(written)).toBe(100);
    const device = await open(streams([format(48_000, 2, 'f32', 32)]), {
      sources: [{ kind: 'ring', buffer: ring.buffer, status: status.buffer }],
    });
    // 50 frames, then the producer ends: 3 periods (96 frames) see 46 frames missing.
    const { captured } = await run(device, 3);
    expect(captured[0]!.subarray(0, 100)).toEqual(written);
    expect(captured[0]!.subarray(100).every((s) => s === 0)).toBe(true);
    expect(status.shortfallFrames).toBe(46);
    status.end();
    await run(device, 2);
    await device.close();
    expect(status.shortfallFrames).toBe(46);
  });

  it('rejects a missing WAV source with FILE_ERROR', async () => {
    await expect(
      open(streams([format(48_000, 2)]), { sources: [{ kind: 'wav', path: file('no') }] }),
    ).rejects.toThrow(expect.objectContaining({ code: 'FILE_ERROR' }));
  });
});

describe('virtual sinks', () => {
  it(`records exactly what the callback played, in each stream's format${needsSox}`, async () => {
    const paths = [file('sink'), file('sink'), file('sink')];
    const device = await open(
      streams(
        [],
        [
          format(48_000, 2, 'f32'),
          format(44_100, 1, 'i16'),
          format(48_000, 2, 'u24'),
          format(48_000, 1),
        ],
      ),
      {
        sinks: [
          { kind: 'wav', path: paths[0]! },
          { kind: 'wav', path: paths[1]! },
          { kind: 'wav', path: paths[2]!, sampleType: 'f64' },
          { kind: 'null' },
        ],
      },
    );
    const played: Float32Array[][] = [[], [], []];
    const positions = [0, 0, 0];
    const rates = [48_000, 44_100, 48_000];
    await run(device, 750, (_, outputs) => {
      for (let i = 0; i < 3; i++) {
        const out = outputs[i]!;
        const channels = device.streams.outputs[i]!.channels;
        for (let f = 0; f < out.length / channels; f++, positions[i]!++) {
          const x = 0.5 * Math.sin((2 * Math.PI * 1000 * positions[i]!) / rates[i]!);
          out.fill(x, f * channels, (f + 1) * channels);
        }
        played[i]!.push(out.slice());
      }
      outputs[3]!.fill(1);
    });
    await device.close();

    const expectedFrames = [24_000, 22_050, 24_000];
    const files = await Promise.all(paths.map((path) => readWavFile(path)));
    expect(files.map((f) => f.format)).toEqual([
      { sampleRate: 48_000, channels: 2, sampleType: 'f32' },
      { sampleRate: 44_100, channels: 1, sampleType: 'i16' },
      { sampleRate: 48_000, channels: 2, sampleType: 'f64' },
    ]);
    expect(files[0]!.samples).toEqual(concat(played[0]!));
    expect(files[2]!.samples).toEqual(concat(played[2]!));
    const i16 = concat(played[1]!);
    expect(maxError(files[1]!.samples, i16)).toBeLessThanOrEqual(0.5 / 32_768);
    files.forEach((f, i) => expect(f.samples.length).toBe(expectedFrames[i]! * (i === 1 ? 1 : 2)));

    if (!hasSox) return;
    paths.forEach((path, i) => {
      const info = (flag: string) =>
        spawnSync('sox', ['--i', flag, path], { encoding: 'utf8' }).stdout.trim();
      expect([info('-r'), info('-c'), info('-b'), info('-e'), info('-s'), info('-D')]).toEqual([
        String(rates[i]),
        i === 1 ? '1' : '2',
        ['32', '16', '64'][i],
        i === 1 ? 'Signed Integer PCM' : 'Floating Point PCM',
        String(expectedFrames[i]),
        '0.500000',
      ]);
      const { stderr } = spawnSync('sox', [path, '-n', 'stat'], { encoding: 'utf8' });
      const field = (name: string) =>
        Number(new RegExp(`^${name}:\\s+(\\S+)`, 'm').exec(stderr)?.[1]);
      expect(field('Maximum amplitude')).toBeCloseTo(0.5, 4);
      expect(field('RMS {5}amplitude')).toBeCloseTo(0.5 / Math.SQRT2, 4);
    });
  });

  it('plays silence in periods where the callback writes nothing', async () => {
    const path = file('sink');
    const device = await open(streams([], [format(48_000, 1)]), {
      sinks: [{ kind: 'wav', path }],
    });
    await run(device, 10, (_, outputs, info) => {
      if (info.frameIndex % 64 === 0) outputs[0]!.fill(0.25);
    });
    await device.close();
    const { samples } = await readWavFile(path);
    expect([...samples]).toEqual(
      Array.from({ length: 320 }, (_, i) => (Math.floor(i / 32) % 2 === 0 ? 0.25 : 0)),
    );
  });

  it('plays into a ring another thread drains, dropping and counting the frames that do not fit', async () => {
    const ring = SpscRing.create(256);
    const status = new RingStatus();
    const device = await open(streams([], [format(48_000, 2, 'f32', 32)]), {
      sinks: [{ kind: 'ring', buffer: ring.buffer, status: status.buffer }],
    });
    // 5 periods of 32 stereo frames (320 samples) into 128 frames of room.
    await run(device, 5, (_, outputs, info) => {
      for (let i = 0; i < outputs[0]!.length; i++) outputs[0]![i] = (info.frameIndex * 2 + i) / 512;
    });
    await device.close();
    const drained = new Float32Array(256);
    expect(ring.read(drained)).toBe(256);
    expect(drained).toEqual(Float32Array.from({ length: 256 }, (_, i) => i / 512));
    expect(status.shortfallFrames).toBe(32);
  });

  it('records every period run when the callback closes the device', async () => {
    const path = file('sink');
    const device = await open(streams([], [format(48_000, 2)]), {
      sinks: [{ kind: 'wav', path }],
    });
    let calls = 0;
    await new Promise<void>((resolve) => {
      device.start((_, outputs) => {
        outputs[0]!.fill(++calls / 100);
        if (calls === 5) void device.close().then(resolve);
      });
    });
    await sleep(20);
    expect(calls).toBe(5);
    const { samples } = await readWavFile(path);
    expect(samples.length).toBe(5 * 32 * 2);
    expect(samples[samples.length - 1]).toBeCloseTo(0.05, 6);
  });
});

describe('virtual clock', () => {
  it('gives each stream its share of every period, losing no frame at any rate', async () => {
    const rates = [48_000, 44_100, 96_000, 8_000, 44_100.7, 22_050, 11_025];
    const device = await open(
      streams(
        [
          format(48_000, 2),
          format(44_100, 1),
          format(96_000, 1),
          format(8_000, 3),
          format(44_100.7, 1),
        ],
        [format(22_050, 2), format(11_025, 1)],
      ),
      { sampleRate: 48_000, periodFrames: 32 },
    );
    const periods = 3000;
    const { inputFrames, outputFrames, infos } = await run(device, periods);
    await device.close();
    [...inputFrames, ...outputFrames].forEach((frames, i) => {
      const perPeriod = (32 * rates[i]!) / 48_000;
      let total = 0;
      frames.forEach((n, p) => {
        expect(n === Math.floor(perPeriod) || n === Math.floor(perPeriod) + 1).toBe(true);
        total += n;
        expect(Math.abs(total - (p + 1) * perPeriod)).toBeLessThan(1);
      });
      expect(Math.abs(total - Math.round(periods * perPeriod))).toBeLessThanOrEqual(1);
    });
    expect(inputFrames[1]!.reduce((a, b) => a + b)).toBe(88_200); // 2 s at 44.1 kHz
    expect(infos.map((i) => i.frameIndex)).toEqual(infos.map((_, n) => n * 32));
    expect(infos.every((i) => i.sampleRate === 48_000)).toBe(true);
  });

  it.each([0, 500, -500, 20])('timestamps periods on a clock skewed by %d ppm', async (skewPpm) => {
    const device = await open(streams([format(48_000, 2)]), { skewPpm });
    const periods = 20_000;
    const { infos, inputFrames } = await run(device, periods);
    await device.close();
    const periodNs = ((32 / 48_000) * 1e9) / (1 + skewPpm / 1e6);
    const t0 = infos[0]!.inputTimeNs;
    infos.forEach((info, n) => {
      expect(Math.abs(info.inputTimeNs - t0 - n * periodNs)).toBeLessThan(1);
      expect(Math.abs(info.outputTimeNs - info.inputTimeNs - periodNs)).toBeLessThan(1);
    });
    // The rate the engine would measure: device frames per host second.
    const last = infos[periods - 1]!;
    const measured = (last.frameIndex / (last.inputTimeNs - t0)) * 1e9;
    expect(measured / 48_000 - 1).toBeCloseTo(skewPpm / 1e6, 9);
    // Streams still get nominal frame counts per period.
    expect(inputFrames[0]!.every((n) => n === 32)).toBe(true);
  });

  it('runs in real time: no period before its capture is complete', async () => {
    const device = await virtualBackend.open(streams([format(48_000, 1)]), { periodFrames: 480 });
    const started = performance.now();
    const { infos } = await run(device, 12);
    const elapsedMs = performance.now() - started;
    // Period n runs once its 10 ms of capture is over: the 12th at 120 ms or later.
    expect(elapsedMs).toBeGreaterThanOrEqual(119.9);
    infos.forEach((info, n) => {
      expect(Math.abs(info.inputTimeNs - infos[0]!.inputTimeNs - n * 1e7)).toBeLessThan(1);
    });
    await sleep(30);
    expect(device.stats().periods).toBe(12);
    await device.close();
  });

  it('runs faster than real time by `speed`, timestamps on the scaled clock', async () => {
    const device = await virtualBackend.open(streams([format(48_000, 1)]), {
      periodFrames: 480,
      speed: 10,
    });
    const started = performance.now();
    const { infos } = await run(device, 30);
    expect(performance.now() - started).toBeGreaterThanOrEqual(29.9);
    infos.forEach((info, n) => {
      expect(Math.abs(info.inputTimeNs - infos[0]!.inputTimeNs - n * 1e7)).toBeLessThan(1);
    });
    await device.close();
  });

  it('catches up after a stall, running the missed periods back to back: one xrun per stall', async () => {
    const device = await virtualBackend.open(streams([format(48_000, 1)]), { periodFrames: 480 });
    const { infos, captured } = await run(device, 12, (_, __, info) => {
      if (info.frameIndex === 2 * 480) {
        const until = performance.now() + 60;
        while (performance.now() < until); // a 60 ms stall in the third period
      }
    });
    // Periods 3 to 6 were due 40 to 70 ms in, and could only run after 90 ms: more than a
    // period (10 ms) late, all of them in one stall, which a card reports as one xrun (before,
    // each late period counted: 329 "xruns" a second on a loaded machine with nothing lost).
    const late = infos.filter((info) => info.lateNs > 10e6).length;
    expect(late).toBeGreaterThanOrEqual(4);
    expect(device.stats()).toEqual({ periods: 12, xruns: expect.any(Number) });
    expect(device.stats().xruns).toBeGreaterThanOrEqual(1);
    expect(device.stats().xruns).toBeLessThanOrEqual(late - 3);
    expect(infos.map((i) => i.frameIndex)).toEqual(infos.map((_, n) => n * 480));
    expect(maxError(captured[0]!, tone(12 * 480, 1, 48_000, 440, amplitude(-12)))).toBeLessThan(
      1e-7,
    );
    await device.close();
  });

  it('stops within the callback that calls stop(), and resumes where it stopped', async () => {
    const device = await open(streams([format(48_000, 2)]));
    const first = await run(device, 10);
    await sleep(20);
    expect(device.stats().periods).toBe(10);
    const second = await run(device, 10);
    await device.close();
    expect(second.infos.map((i) => i.frameIndex)).toEqual(
      second.infos.map((_, n) => (10 + n) * 32),
    );
    const both = concat([first.captured[0]!, second.captured[0]!]);
    expect(maxError(both, tone(640, 2, 48_000, 440, amplitude(-12)))).toBeLessThan(1e-7);
  });

  it('runs with no streams at all', async () => {
    const device = await open(streams([], []));
    const { infos } = await run(device, 5);
    expect(infos.map((i) => i.frameIndex)).toEqual([0, 32, 64, 96, 128]);
    await device.close();
  });
});

describe('virtual device lifecycle', () => {
  it('stop() and close() are idempotent, before and after start', async () => {
    const device = await open(streams([format(48_000, 2)]));
    await device.stop();
    device.start(() => undefined);
    await Promise.all([device.stop(), device.stop()]);
    await Promise.all([device.close(), device.close()]);
    await device.stop();
    await device.close();
  });

  it('refuses start() while running and after close() with BAD_STATE', async () => {
    const device = await open(streams([format(48_000, 2)]));
    device.start(() => undefined);
    expect(() => device.start(() => undefined)).toThrow(
      expect.objectContaining({
        name: 'AudioError',
        code: 'BAD_STATE',
        message: expect.stringMatching(/already started/),
      }),
    );
    await device.close();
    expect(() => device.start(() => undefined)).toThrow(
      expect.objectContaining({ code: 'BAD_STATE', message: expect.stringMatching(/after close/) }),
    );
  });

  const s = streams([format(48_000, 2)], [format(44_100.5, 1)]);
  it.each([
    [{ sampleRate: 0 }, /sampleRate must be a positive finite number, got 0/],
    [{ sampleRate: '48000' }, /sampleRate must be .*, got "48000"/],
    [{ periodFrames: 0 }, /periodFrames must be an integer from 1 to 65536, got 0/],
    [{ periodFrames: 1.5 }, /periodFrames .* got 1.5/],
    [{ periodframes: 64 }, /unknown option periodframes \(did you mean periodFrames\?\)/],
    [{ latency: 3 }, /unknown option latency$/],
    [{ skewPpm: 200_000 }, /skewPpm must be a number from −100000 to 100000, got 200000/],
    [{ skewPpm: NaN }, /skewPpm .* got NaN/],
    [{ clock: 'slow' }, /clock must be 'realtime' or 'fast', got "slow"/],
    [{ clock: 'fast', speed: 2 }, /speed must be left out with clock 'fast'/],
    [{ speed: 0 }, /speed must be a number above 0/],
    [{ sources: {} }, /sources must be an array, got an object/],
    [
      { sources: [{ kind: 'tone' }, { kind: 'tone' }] },
      /sources must have at most one entry per input stream \(1\), got 2/,
    ],
    [{ sources: [null] }, /sources\[0\] must be an object, got null/],
    [
      { sources: [{ kind: 'sine' }] },
      /sources\[0\]\.kind must be one of 'tone', 'noise', 'silence', 'wav', 'ring', got "sine"/,
    ],
    [
      { sinks: [{ kind: 'ring', buffer: new ArrayBuffer(8), status: new SharedArrayBuffer(8) }] },
      /sinks\[0\]\.buffer must be a SharedArrayBuffer, got an object/,
    ],
    [
      { sources: [{ kind: 'tone', frequencyHz: 24_000 }] },
      /sources\[0\]\.frequencyHz must be above 0 and below 24000/,
    ],
    [{ sources: [{ kind: 'tone', freq: 1 }] }, /unknown option sources\[0\]\.freq$/],
    [
      { sources: [{ kind: 'tone', levelDbfs: 3 }] },
      /sources\[0\]\.levelDbfs must be a finite number ≤ 0, got 3/,
    ],
    [{ sources: [{ kind: 'noise', seed: -1 }] }, /sources\[0\]\.seed must be an integer from 0/],
    [
      { sources: [{ kind: 'noise', Seed: 3 }] },
      /unknown option sources\[0\]\.Seed \(did you mean seed\?\)/,
    ],
    [{ sources: [{ kind: 'wav', path: '' }] }, /sources\[0\]\.path must be a file path, got ""/],
    [
      { sources: [{ kind: 'wav', path: 'a.wav', loop: 'yes' }] },
      /sources\[0\]\.loop must be a boolean/,
    ],
    [{ sinks: [{ kind: 'file', path: 'x' }] }, /sinks\[0\]\.kind must be one of 'null', 'wav'/],
    [
      { sinks: [{ kind: 'wav', path: 'x', sampleType: 'u16' }] },
      /sinks\[0\]\.sampleType must be one of u8, i16, i24, i32, f32, f64/,
    ],
    [
      { sinks: [{ kind: 'wav', path: 'x' }] },
      /sinks\[0\] \(a WAV file for f32\/44100.5Hz\/1ch\/0\): sampleRate must be an integer/,
    ],
  ])('refuses %o with BAD_OPTION naming the field', async (options, message) => {
    // @ts-expect-error: deliberately invalid options
    await expect(virtualBackend.open(s, options)).rejects.toThrow(
      expect.objectContaining({
        name: 'AudioError',
        code: 'BAD_OPTION',
        message: expect.stringMatching(message),
      }),
    );
  });

  it.each([
    [
      {
        inputs: [{ sampleRate: 48_000, channels: 0, bufferFrames: 0, sampleType: 'f32' }],
        outputs: [],
      },
      /streams\.inputs\[0\]: format: channel count/,
    ],
    [{ inputs: [], outputs: [null] }, /streams\.outputs\[0\] must be a format, got null/],
    [{ inputs: [] }, /streams\.outputs must be an array of formats, got undefined/],
  ])('refuses bad streams with BAD_OPTION naming the stream (%#)', async (bad, message) => {
    // @ts-expect-error: deliberately invalid streams
    await expect(virtualBackend.open(bad, {})).rejects.toThrow(
      expect.objectContaining({ code: 'BAD_OPTION', message: expect.stringMatching(message) }),
    );
  });
});

import { describe, expect, it } from 'vitest';
import type { Format } from '@syfala/proto';
import {
  AudioError,
  openDuplexStream,
  virtualBackend,
  type AudioBackend,
  type PeriodInfo,
} from '../src/index.js';

const STEREO: Format = { sampleType: 'f32', sampleRate: 48_000, channels: 2, bufferFrames: 32 };

describe('openDuplexStream', () => {
  it('hands each period its captured inputs and its outputs on one clock, with timing', async () => {
    const infos: PeriodInfo[] = [];
    let echoed = 0;
    let sameAsCaptured = true;
    const stream = await openDuplexStream({
      streams: { inputs: [STEREO], outputs: [STEREO] },
      options: { clock: 'fast' },
      process: (inputs, outputs, info) => {
        // Play back what was captured in the same period: zero added latency on one clock.
        outputs[0]!.set(inputs[0]!);
        sameAsCaptured &&= outputs[0]!.every((v, i) => v === inputs[0]![i]);
        echoed += inputs[0]!.length / 2;
        if (infos.length < 100) infos.push({ ...info });
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await stream.close();

    expect(sameAsCaptured).toBe(true);
    expect(echoed).toBeGreaterThan(100 * 32);
    const periodNs = (32 / 48_000) * 1e9;
    for (const [n, info] of infos.entries()) {
      expect(info.frameIndex).toBe(n * 32);
      expect(info.sampleRate).toBe(48_000);
      expect(info.outputTimeNs - info.inputTimeNs).toBeCloseTo(periodNs, 0);
    }
  });

  it('refuses a backend that cannot run both directions on one clock', async () => {
    // A backend with separate input and output clocks, as some hardware has.
    const simplex: AudioBackend = {
      info: { name: 'simplex', duplex: false },
      open: virtualBackend.open.bind(virtualBackend),
    };
    let thrown: unknown;
    try {
      await openDuplexStream({
        backend: simplex,
        streams: { inputs: [STEREO], outputs: [STEREO] },
        process: () => {},
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AudioError);
    expect(thrown).toMatchObject({ code: 'UNSUPPORTED' });
    expect((thrown as Error).message).toMatch(/cannot capture and play on one clock/);
  });
});

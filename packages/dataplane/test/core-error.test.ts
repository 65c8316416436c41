import { describe, expect, it } from 'vitest';
import { CoreError, DriftResampler, decodeSamples } from '../src/index.js';

describe('a refusal from the WebAssembly core', () => {
  it('is a CoreError (REFUSED) with the C++ sentence, and the core goes on working', () => {
    // No wrapper check stands in front of this size: the C++ one refuses it (on wasm32 the
    // buffer's size would wrap to 8 floats).
    let caught: unknown;
    try {
      new DriftResampler(2, 2 ** 31, 1);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CoreError);
    expect(caught).toMatchObject({
      code: 'REFUSED',
      message: expect.stringMatching(/^drift resampler: /),
    });
    // The exception unwound through the core's frames; its heap and state are still usable.
    const resampler = new DriftResampler(2, 64, 1.001);
    expect(resampler.capacityFrames).toBeGreaterThanOrEqual(64);
    const out = new Float32Array(2);
    decodeSamples('i16', Uint8Array.of(0x00, 0x40, 0x00, 0xc0), 0, out, 0, 2);
    expect([...out]).toEqual([0.5, -0.5]);
  });
});

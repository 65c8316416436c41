import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, it } from 'vitest';

import { makeFormat } from '@syfala/proto';

import { DriftCompensatedStream, JitterBuffer, LossConcealer } from '../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const format = makeFormat({ sampleType: 'f32', channels: 1, sampleRate: 48_000, bufferFrames: 0 });
const sizes = { capacityFrames: 512, targetLatencyFrames: 128 } as const;

function bufferHolding(value: number): JitterBuffer {
  const buffer = new JitterBuffer({ format, ...sizes, skipSurplus: false });
  const samples = new Float32Array(256).map((_, i) => value + i / 256);
  buffer.push(0, new Uint8Array(samples.buffer), 0, samples.byteLength);
  return buffer;
}

/** A stream over a buffer holding a ramp from 0.5; only the stream is kept. */
function stream(): DriftCompensatedStream {
  const concealer = new LossConcealer({ channels: 1, sampleRate: format.sampleRate });
  return new DriftCompensatedStream({
    buffer: bufferHolding(0.5),
    format,
    maxPeriodFrames: 64,
    concealer,
  });
}

it("keeps a stream's jitter buffer and concealer while the stream lives, however they were dropped", async () => {
  const kept = stream();
  const expected = new Float32Array(64);
  kept.pull(expected, 0, 64);

  const alone = stream();
  for (let i = 0; i < 5; i++) {
    gc();
    // Finalizers run in a task of their own.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  // Had the stream's buffer been freed, these would take its place on the core's heap.
  for (let i = 0; i < 8; i++) bufferHolding(-i);
  const played = new Float32Array(64);
  expect(alone.pull(played, 0, 64).playing).toBe(true);
  expect(played).toEqual(expected);
});

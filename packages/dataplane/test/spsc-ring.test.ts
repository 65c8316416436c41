import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { BoundsError } from '../src/errors.js';
import { SpscRing } from '../src/spsc-ring.js';

const seq = (from: number, count: number): Float32Array =>
  Float32Array.from({ length: count }, (_, i) => from + i);

describe('SpscRing', () => {
  it.each([0, 3, 6, -4, 1.5, NaN, 2 ** 31])('rejects capacity %d', (capacity) => {
    expect(() => SpscRing.create(capacity)).toThrow(
      expect.objectContaining({ name: 'RingError', code: 'BAD_CAPACITY' }),
    );
  });

  it('starts empty', () => {
    const ring = SpscRing.create(8);
    expect(ring.capacity).toBe(8);
    expect(ring.availableToRead()).toBe(0);
    expect(ring.availableToWrite()).toBe(8);
    expect(ring.fillLevel()).toBe(0);
    expect(ring.read(new Float32Array(4))).toBe(0);
  });

  it('writes only what fits and reports full', () => {
    const ring = SpscRing.create(8);
    expect(ring.write(seq(0, 5))).toBe(5);
    expect(ring.fillLevel()).toBe(5 / 8);
    expect(ring.write(seq(5, 5))).toBe(3);
    expect(ring.availableToWrite()).toBe(0);
    expect(ring.fillLevel()).toBe(1);
    expect(ring.write(seq(8, 1))).toBe(0);

    const out = new Float32Array(10);
    expect(ring.read(out)).toBe(8);
    expect(Array.from(out.subarray(0, 8))).toEqual(Array.from(seq(0, 8)));
    expect(ring.availableToRead()).toBe(0);
  });

  it('honours offset and count on both sides', () => {
    const ring = SpscRing.create(16);
    expect(ring.write(seq(0, 10), 4, 3)).toBe(3);
    expect(ring.write(seq(0, 10), 9)).toBe(1);
    const out = new Float32Array(6).fill(-1);
    expect(ring.read(out, 1, 2)).toBe(2);
    expect(ring.read(out, 4)).toBe(2);
    expect(Array.from(out)).toEqual([-1, 4, 5, -1, 6, 9]);
  });

  it('keeps order across the end of the data area', () => {
    const ring = SpscRing.create(4);
    const out = new Float32Array(3);
    for (let round = 0; round < 10; round++) {
      expect(ring.write(seq(round * 3, 3))).toBe(3);
      expect(ring.read(out)).toBe(3);
      expect(Array.from(out)).toEqual(Array.from(seq(round * 3, 3)));
    }
  });

  it('keeps order and fill level across the 2^32 wrap of its indices', () => {
    const ring = SpscRing.create(8);
    // Layout knowledge: the write index is at byte 0, the read index at byte 64.
    const header = new Int32Array(ring.buffer, 0, 32);
    header[0] = -3;
    header[16] = -3;
    const out = new Float32Array(6);
    for (let round = 0; round < 3; round++) {
      expect(ring.write(seq(round * 6, 6))).toBe(6);
      expect(ring.availableToRead()).toBe(6);
      expect(ring.read(out)).toBe(6);
      expect(Array.from(out)).toEqual(Array.from(seq(round * 6, 6)));
    }
    expect(header[0]).toBe(15);
  });

  it('behaves like a bounded queue under any sequence of reads and writes', () => {
    const op = fc.record({ write: fc.boolean(), count: fc.integer({ min: 0, max: 40 }) });
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 16, 32), fc.array(op, { maxLength: 60 }), (cap, ops) => {
        const ring = SpscRing.create(cap);
        const model: number[] = [];
        let next = 0;
        for (const { write, count } of ops) {
          if (write) {
            const n = ring.write(seq(next, count));
            expect(n).toBe(Math.min(count, cap - model.length));
            for (let i = 0; i < n; i++) model.push(next + i);
            next += n;
          } else {
            const out = new Float32Array(count);
            const n = ring.read(out);
            expect(Array.from(out.subarray(0, n))).toEqual(model.splice(0, count));
          }
          expect(ring.availableToRead()).toBe(model.length);
          expect(ring.availableToWrite()).toBe(cap - model.length);
        }
      }),
    );
  });

  it('rejects a range outside the caller’s array', () => {
    const ring = SpscRing.create(8);
    expect(() => ring.write(new Float32Array(4), 2, 3)).toThrow(BoundsError);
    expect(() => ring.write(new Float32Array(4), 5)).toThrow(BoundsError);
    expect(() => ring.read(new Float32Array(4), 0, 5)).toThrow(BoundsError);
    expect(() => ring.read(new Float32Array(4), -1, 1)).toThrow(BoundsError);
  });

  it('attaches to the buffer of another ring and shares its contents', () => {
    const producer = SpscRing.create(8);
    const consumer = SpscRing.attach(producer.buffer);
    expect(consumer.capacity).toBe(8);
    producer.write(seq(1, 3));
    const out = new Float32Array(3);
    expect(consumer.read(out)).toBe(3);
    expect(Array.from(out)).toEqual([1, 2, 3]);
    expect(producer.availableToRead()).toBe(0);
  });

  it('refuses to attach to a buffer that holds no ring', () => {
    const bad = [
      new ArrayBuffer(160) as unknown as SharedArrayBuffer,
      new SharedArrayBuffer(16),
      new SharedArrayBuffer(160),
      SpscRing.create(8).buffer.slice(0, 140),
    ];
    for (const buffer of bad) {
      expect(() => SpscRing.attach(buffer)).toThrow(
        expect.objectContaining({ name: 'RingError', code: 'BAD_BUFFER' }),
      );
    }
  });
});

describe('SpscRing across worker threads', () => {
  const TOTAL_SAMPLES = 10_000_000;
  const RING_CAPACITY_SAMPLES = 4096;
  const MAX_CHUNK_SAMPLES = 1500;

  function report(worker: Worker): Promise<unknown> {
    return new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) =>
        reject(new Error(`worker exited with ${code} before reporting`)),
      );
    });
  }

  it(`moves ${TOTAL_SAMPLES} samples from one worker to another intact and in order`, async () => {
    // The fixtures import @syfala/dataplane by name, which resolves to dist/.
    const built = new URL('../dist/index.js', import.meta.url);
    expect(existsSync(built), 'packages/dataplane/dist is missing: run `tsc -b` first').toBe(true);

    const ring = SpscRing.create(RING_CAPACITY_SAMPLES);
    const workerData = {
      ringBuffer: ring.buffer,
      bellBuffer: new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT),
      totalSamples: TOTAL_SAMPLES,
      maxChunkSamples: MAX_CHUNK_SAMPLES,
    };
    const producer = new Worker(new URL('./fixtures/ring-producer.mjs', import.meta.url), {
      workerData,
    });
    const consumer = new Worker(new URL('./fixtures/ring-consumer.mjs', import.meta.url), {
      workerData,
    });
    try {
      const [sent, received] = await Promise.all([report(producer), report(consumer)]);
      expect(sent).toEqual({ sent: TOTAL_SAMPLES });
      expect(received).toEqual({ received: TOTAL_SAMPLES, mismatch: null });
      expect(ring.availableToRead()).toBe(0);
    } finally {
      await Promise.all([producer.terminate(), consumer.terminate()]);
    }
  }, 30_000);
});

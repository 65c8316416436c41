/**
 * Worker thread standing in for a device callback: takes one period at a time from the SPSC ring
 * and checks every sample against the tone the server rendered. It never touches the network.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SpscRing } from '@syfala/utils';
import { renderTone, type Tone } from './tone.js';

interface ConsumerData {
  ringBuffer: SharedArrayBuffer;
  /** Int32 [samples produced so far, 1 when the producer is done]. */
  progressBuffer: SharedArrayBuffer;
  tone: Tone;
  periodFrames: number;
}

const { ringBuffer, progressBuffer, tone, periodFrames } = workerData as ConsumerData;
const ring = SpscRing.attach(ringBuffer);
const progress = new Int32Array(progressBuffer);
const period = new Float32Array(periodFrames * tone.channels);
const expected = new Float32Array(period.length);

let frames = 0;
let mismatches = 0;
let sumSquares = 0;
let peak = 0;
for (;;) {
  const seen = Atomics.load(progress, 0);
  const got = ring.read(period);
  if (got === 0) {
    if (Atomics.load(progress, 1) === 1 && ring.availableToRead() === 0) break;
    Atomics.wait(progress, 0, seen, 50);
    continue;
  }
  // Partial periods only happen at the very end; compare whole frames.
  const gotFrames = got / tone.channels;
  renderTone(tone, frames, gotFrames, expected);
  for (let i = 0; i < got; i++) {
    const sample = period[i]!;
    if (sample !== expected[i]) mismatches++;
    sumSquares += sample * sample;
    peak = Math.max(peak, Math.abs(sample));
  }
  frames += gotFrames;
}
parentPort!.postMessage({
  frames,
  mismatches,
  rms: Math.sqrt(sumSquares / (frames * tone.channels)),
  peak,
});

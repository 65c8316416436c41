/**
 * The content of vectors/concealment.json: seeded runs of a signal over a lossy link into a
 * JitterBuffer, each period pulled with its missing-frame mask and concealed by a LossConcealer, as an engine plays a stream with 'fade' concealment. Recorded op by op: each
 * push (the run's byte index and f32 wire bytes) and, after each pull, the PullResult, the mask
 * and the exact f32 bits of the concealed period. The scenarios lose single frames and parts of
 * frames inside a period, whole periods, gaps long enough to fade to silence; the sender stalls
 * (underruns: periods that do not play), runs fast (slips) and restarts (reset).
 * native/test/test_loss_concealer.cpp replays the pushes through the C++ JitterBuffer and
 * LossConcealer and compares it all, bit for bit.
 */
import { SeededRandom, bytesPerFrame, makeFormat } from '@syfala/proto';

import { JitterBuffer, LossConcealer, decodeSamples, encodeSamples } from '../src/index.js';
import { chord, tone } from '../test/fixtures/lossy-tone.js';
import type { Signal } from '../test/fixtures/lossy-tone.js';
import { hex } from './vector-json.js';

type Op =
  | { op: 'push'; at: number; payload: string }
  | {
      op: 'pull';
      frames: number;
      playing: boolean;
      underrun: boolean;
      skippedFrames: number;
      /** One digit per frame, the mask the pull wrote: 1 where a byte was missing. */
      missing: string;
      /** The concealed period, interleaved f32, little-endian. */
      out: string;
    }
  /** An I/O restart: the jitter buffer and the concealer start again, the sender at byte 0. */
  | { op: 'reset' };

/** What becomes of one frame on the way: it arrives, is lost, or loses only its last sample. */
type Fate = 'kept' | 'lost' | 'partial';

interface Setup {
  readonly name: string;
  readonly seed: number;
  readonly channels: number;
  readonly sampleRate: number;
  readonly periodFrames: number;
  readonly capacityFrames: number;
  readonly targetLatencyFrames: number;
  readonly signal: (sampleRate: number) => Signal;
}

const F32_BYTES = 4;

/** One scenario's sender, link and receiver, one device period per tick. */
class Stream {
  readonly ops: Op[] = [];
  readonly random: SeededRandom;
  readonly #setup: Setup;
  readonly #signal: Signal;
  readonly #bytesPerFrame: number;
  readonly #buffer: JitterBuffer;
  readonly #concealer: LossConcealer;
  readonly #wire: Uint8Array;
  readonly #samples: Float32Array;
  readonly #missing: Uint8Array;
  /** Next stream frame the sender sends (0 again after a reset); the signal's clock goes on. */
  #frame = 0;
  #signalFrame = 0;

  constructor(setup: Setup) {
    this.#setup = setup;
    this.random = new SeededRandom('dataplane vectors', setup.seed);
    this.#signal = setup.signal(setup.sampleRate);
    const { channels, sampleRate, periodFrames } = setup;
    const format = makeFormat({ sampleType: 'f32', channels, sampleRate, bufferFrames: 0 }, 'any');
    this.#bytesPerFrame = bytesPerFrame(format);
    this.#buffer = new JitterBuffer({
      format,
      capacityFrames: setup.capacityFrames,
      targetLatencyFrames: setup.targetLatencyFrames,
    });
    this.#concealer = new LossConcealer({ channels, sampleRate });
    this.#wire = new Uint8Array(periodFrames * this.#bytesPerFrame);
    this.#samples = new Float32Array(periodFrames * channels);
    this.#missing = new Uint8Array(periodFrames);
  }

  get frame(): number {
    return this.#frame;
  }

  /** The sender's next `frames` frames go out; `fate(n)` says what becomes of stream frame n. */
  send(frames: number, fate: (n: number) => Fate): void {
    const { channels } = this.#setup;
    const bpf = this.#bytesPerFrame;
    const samples = new Float32Array(frames * channels);
    for (let f = 0; f < frames; f++) {
      for (let c = 0; c < channels; c++) {
        samples[f * channels + c] = this.#signal(this.#signalFrame + f, c);
      }
    }
    const wire = new Uint8Array(frames * bpf);
    encodeSamples('f32', samples, 0, wire, 0, samples.length);
    const arrives = new Uint8Array(wire.length).fill(1);
    for (let f = 0; f < frames; f++) {
      const end = (f + 1) * bpf;
      const kind = fate(this.#frame + f);
      if (kind === 'lost') arrives.fill(0, f * bpf, end);
      if (kind === 'partial') arrives.fill(0, end - F32_BYTES, end);
    }
    // What arrives goes in runs of contiguous bytes, one push each.
    const from = this.#frame * bpf;
    let start = -1;
    for (let i = 0; i <= wire.length; i++) {
      if (i < wire.length && arrives[i] === 1) {
        if (start < 0) start = i;
      } else if (start >= 0) {
        const payload = wire.subarray(start, i);
        this.#buffer.push(from + start, payload, 0, payload.length);
        this.ops.push({ op: 'push', at: from + start, payload: hex(payload) });
        start = -1;
      }
    }
    this.#frame += frames;
    this.#signalFrame += frames;
  }

  /** One device period: pulled with the mask, decoded, concealed. */
  pull(): void {
    const frames = this.#setup.periodFrames;
    const count = frames * this.#setup.channels;
    const result = this.#buffer.pull(this.#wire, 0, frames, this.#missing);
    const { playing, underrun, skippedFrames } = result;
    const missing = this.#missing.join('');
    decodeSamples('f32', this.#wire, 0, this.#samples, 0, count);
    this.#concealer.conceal(this.#samples, 0, frames, result, this.#missing);
    const out = new Uint8Array(count * F32_BYTES);
    encodeSamples('f32', this.#samples, 0, out, 0, count);
    this.ops.push({ op: 'pull', frames, playing, underrun, skippedFrames, missing, out: hex(out) });
  }

  reset(): void {
    this.#buffer.reset();
    this.#concealer.reset();
    this.#frame = 0;
    this.ops.push({ op: 'reset' });
  }

  /** One tick: the sender hands over `frames` frames (maybe none), the device plays a period. */
  tick(frames: number, fate: (n: number) => Fate = () => 'kept'): void {
    if (frames > 0) this.send(frames, fate);
    this.pull();
  }

  result(): object {
    const { name, channels, sampleRate, periodFrames, capacityFrames, targetLatencyFrames } =
      this.#setup;
    return {
      name,
      channels,
      sampleRate,
      periodFrames,
      capacityFrames,
      targetLatencyFrames,
      ops: this.ops,
      gaps: this.#concealer.gaps,
    };
  }
}

/** Frames in [start, end) are lost; `random` frames elsewhere with probability `rate`. */
const losing =
  (start: number, end: number, random?: SeededRandom, rate = 0) =>
  (n: number): Fate =>
    (n >= start && n < end) || (random !== undefined && random.chance(rate)) ? 'lost' : 'kept';

function stereoTone48k(): object {
  // Two periods of target latency: a lost period plays concealed, two in a row underrun.
  const stream = new Stream({
    name: 'stereo 48 kHz tone: lost frames in the first period, single frames, a run and a partial frame inside periods, whole periods, an underrun, a stall that fades out, a restart',
    seed: 11,
    channels: 2,
    sampleRate: 48_000,
    periodFrames: 32,
    capacityFrames: 512,
    targetLatencyFrames: 64,
    signal: tone,
  });
  const period = 32;
  for (let tick = 0; tick < 160; tick++) {
    if (tick === 140) stream.reset();
    const at = stream.frame;
    let fate: (n: number) => Fate = () => 'kept';
    // In the first period played: little to repeat. After the restart: nothing yet.
    if (tick === 0) fate = losing(at + 2, at + 3);
    else if (tick === 140) fate = losing(at, at + 1);
    else if (tick >= 10 && tick < 40) fate = losing(0, 0, stream.random, 0.01);
    else if (tick === 45) fate = losing(at + 10, at + 15);
    else if (tick === 50 || tick === 60 || tick === 61) fate = losing(at, at + period);
    else if (tick === 75) fate = (n) => (n === at + 7 || n === at + 8 ? 'partial' : 'kept');
    // The sender stalls: the buffer drains, underruns and primes again, 1280 frames unplayed.
    const stalled = tick >= 90 && tick < 130;
    stream.tick(stalled ? 0 : period, fate);
  }
  return stream.result();
}

function monoTone8k(): object {
  // Sixteen periods of target latency: a 300-frame gap (longer than hold and fade) plays on.
  const stream = new Stream({
    name: 'mono 8 kHz tone: scattered losses, a 300-frame gap that fades to silence while playing, a stall',
    seed: 12,
    channels: 1,
    sampleRate: 8000,
    periodFrames: 32,
    capacityFrames: 2048,
    targetLatencyFrames: 512,
    signal: tone,
  });
  const period = 32;
  const gapStart = 70 * period + 7;
  for (let tick = 0; tick < 170; tick++) {
    if (tick >= 20 && tick < 60) stream.tick(period, losing(0, 0, stream.random, 0.02));
    else if (tick >= 110 && tick < 130) stream.tick(0);
    else stream.tick(period, losing(gapStart, gapStart + 300));
  }
  return stream.result();
}

function stereoChord1k(): object {
  // 1 kHz: the slip window is 500 frames, 50 periods. The sender runs 20 % fast, so the fill
  // climbs 2 frames a period and every window but the first after priming ends in a slip.
  const stream = new Stream({
    name: 'stereo 1 kHz chord: faster sender (slips), single and partial losses, three lost periods, a restart',
    seed: 13,
    channels: 2,
    sampleRate: 1000,
    periodFrames: 10,
    capacityFrames: 400,
    targetLatencyFrames: 40,
    signal: chord,
  });
  for (let tick = 0; tick < 260; tick++) {
    if (tick === 170) stream.reset();
    const at = stream.frame;
    if (tick >= 120 && tick < 123) {
      stream.tick(12, losing(at, at + 12));
    } else {
      stream.tick(12, () => {
        const draw = stream.random.next();
        return draw < 0.02 ? 'lost' : draw < 0.03 ? 'partial' : 'kept';
      });
    }
  }
  return stream.result();
}

export function concealmentVectors(): object {
  return {
    description:
      'Loss concealment scenarios generated by running the data plane core (native/src/core, through the WebAssembly build of @syfala/dataplane; scripts/generate-vectors.ts). Per scenario: a JitterBuffer(f32 of channels and sampleRate, capacityFrames, targetLatencyFrames) and a LossConcealer(channels, sampleRate). Replay ops in order. push: push `payload` (hex) at byte index `at`; pull: pull `frames` with a missing-frame mask, expect `playing`, `underrun`, `skippedFrames` and the mask (`missing`, one digit per frame), decode the f32 frames, conceal them with the pull result and the mask, expect `out` (the concealed frames, interleaved f32 little-endian, hex); reset: reset both. At the end, the concealer has counted `gaps`.',
    scenarios: [stereoTone48k(), monoTone8k(), stereoChord1k()],
  };
}

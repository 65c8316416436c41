import { Readable, Writable } from 'node:stream';
import type { Format } from '@syfala/proto';
import { SpscRing } from '@syfala/dataplane';
import { RemoteError } from './errors.js';
import {
  COUNTER_SLOTS,
  OVERRUN_SLOT,
  SENDING_SLOT,
  UNDERRUN_SLOT,
  type RingSetup,
} from './ring-layout.js';

/**
 * One block of audio: one Float32Array per stream, interleaved (frame by frame, channel by
 * channel within a frame), every stream holding the same number of frames.
 */
export type Block = Float32Array[];

/** What the rings lost, in frames: counted by the engine's thread, read at any time. */
export interface RingStats {
  /** Received frames dropped because `received` was not read in time (its ring was full). */
  readonly receiveOverrunFrames: number;
  /** Silent frames sent, after the first write to `sent`, because it ran dry. */
  readonly sendUnderrunFrames: number;
}

/** The smallest power of two that holds `samples`. */
const ringCapacity = (samples: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, samples)));

/**
 * The main thread's ends of streams mode's rings: a Readable of received blocks and a Writable of
 * blocks to send, polled every `pollMs` (the engine's thread never waits on them).
 */
export class BlockStreams {
  readonly setup: RingSetup;
  readonly received: Readable;
  readonly sent: Writable;
  readonly #receiveRings: SpscRing[];
  readonly #sendRings: SpscRing[];
  readonly #receivedChannels: readonly number[];
  readonly #blockFrames: number;
  readonly #counters: Int32Array;
  readonly #poll: NodeJS.Timeout;
  #wanted = false;
  #stopped = false;

  constructor(
    formats: { readonly received: readonly Format[]; readonly sent: readonly Format[] },
    latencyFrames: number,
    blockFrames: number,
    pollMs: number,
  ) {
    const receivedChannels = formats.received.map((format) => format.channels);
    this.#receivedChannels = receivedChannels;
    this.#blockFrames = blockFrames;
    const sentChannels = formats.sent.map((format) => format.channels);
    const ring = (channels: number): SpscRing =>
      SpscRing.create(ringCapacity(latencyFrames * channels));
    this.#receiveRings = receivedChannels.map(ring);
    this.#sendRings = sentChannels.map(ring);
    const counters = new SharedArrayBuffer(COUNTER_SLOTS * Int32Array.BYTES_PER_ELEMENT);
    this.#counters = new Int32Array(counters);
    this.setup = {
      received: this.#receiveRings.map((r) => r.buffer),
      sent: this.#sendRings.map((r) => r.buffer),
      counters,
    };
    this.received = new Readable({
      objectMode: true,
      read: () => {
        this.#wanted = true;
        this.#drain(this.#blockFrames);
      },
    });
    this.sent = new Writable({
      objectMode: true,
      write: (chunk: Block | Float32Array, _encoding, done) => {
        let block: Block;
        try {
          block = this.#checkBlock(chunk, sentChannels);
        } catch (error) {
          done(error as Error);
          return;
        }
        Atomics.store(this.#counters, SENDING_SLOT, 1);
        this.#fill(block, sentChannels, 0, pollMs, done);
      },
    });
    this.#poll = setInterval(() => this.#drain(this.#blockFrames), pollMs);
  }

  stats(): RingStats {
    return {
      receiveOverrunFrames: Atomics.load(this.#counters, OVERRUN_SLOT),
      sendUnderrunFrames: Atomics.load(this.#counters, UNDERRUN_SLOT),
    };
  }

  /**
   * The stream stopped: `received` ends after what it holds; `sent` is destroyed, so a write
   * under way or queued is dropped, and later ones call back with ERR_STREAM_DESTROYED (Node's
   * way: no 'error' event for a loop that was still writing).
   */
  end(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#poll);
    this.#wanted = true;
    this.#drain(Infinity);
    this.received.push(null);
    this.sent.destroy();
  }

  /** Pushes blocks of up to `blockFrames` while the reader wants them and the rings hold some. */
  #drain(blockFrames: number): void {
    const rings = this.#receiveRings;
    const channels = this.#receivedChannels;
    while (this.#wanted && rings.length > 0) {
      let frames = blockFrames;
      for (let i = 0; i < rings.length; i++) {
        frames = Math.min(frames, Math.floor(rings[i]!.availableToRead() / channels[i]!));
      }
      if (frames === 0) return;
      const block = rings.map((r, i) => {
        const samples = new Float32Array(frames * channels[i]!);
        r.read(samples);
        return samples;
      });
      this.#wanted = this.received.push(block);
    }
  }

  /** Writes what fits from frame `from` on, then again every `pollMs` until all of it is in. */
  #fill(
    block: Block,
    channels: readonly number[],
    from: number,
    pollMs: number,
    done: (error?: Error) => void,
  ): void {
    if (this.#stopped) {
      done();
      return;
    }
    const rings = this.#sendRings;
    const total = block[0]!.length / channels[0]!;
    let frames = total - from;
    for (let i = 0; i < rings.length; i++) {
      frames = Math.min(frames, Math.floor(rings[i]!.availableToWrite() / channels[i]!));
    }
    for (let i = 0; i < rings.length; i++) {
      rings[i]!.write(block[i]!, from * channels[i]!, frames * channels[i]!);
    }
    if (from + frames === total) done();
    else setTimeout(() => this.#fill(block, channels, from + frames, pollMs, done), pollMs);
  }

  /** One Float32Array per sent stream, whole frames, the same number in each. */
  #checkBlock(chunk: Block | Float32Array, channels: readonly number[]): Block {
    if (channels.length === 0) {
      throw new RemoteError('BAD_OPTION', 'remote stream: the endpoint takes no streams to send');
    }
    const block = chunk instanceof Float32Array ? [chunk] : chunk;
    if (
      !Array.isArray(block) ||
      block.length !== channels.length ||
      !block.every((samples) => samples instanceof Float32Array)
    ) {
      throw new RemoteError(
        'BAD_OPTION',
        `remote stream: write one Float32Array per sent stream (${channels.length}), got ${describe(chunk)}`,
      );
    }
    const frames = block[0]!.length / channels[0]!;
    if (!Number.isInteger(frames)) {
      throw new RemoteError(
        'BAD_OPTION',
        `remote stream: sent stream 0 has ${channels[0]} channels: ${block[0]!.length} samples are not whole frames`,
      );
    }
    block.forEach((samples, i) => {
      if (samples.length !== frames * channels[i]!) {
        throw new RemoteError(
          'BAD_OPTION',
          `remote stream: sent stream ${i} holds ${samples.length} samples, not stream 0's ${frames} frames (${frames * channels[i]!} samples at ${channels[i]} channels)`,
        );
      }
    });
    return block;
  }
}

function describe(chunk: unknown): string {
  if (Array.isArray(chunk)) return `an array of ${chunk.length}`;
  return chunk === null
    ? 'null'
    : typeof chunk === 'object'
      ? chunk.constructor.name
      : typeof chunk;
}

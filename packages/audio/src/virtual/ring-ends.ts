import { SpscRing } from '@syfala/dataplane';

import type { Source } from './sources.js';

/*
 * A ring's shared status, beside its SpscRing (both SharedArrayBuffers, posted to the engine's
 * worker inside the device options):
 *
 *     0  shortfall   int32, frames the device side could not move (a full ring dropped them,
 *                    an empty one played silence for them); only the device side adds to it
 *     1  ended       int32, 1 once the other side will write no more (a source's producer)
 */
const SHORTFALL_SLOT = 0;
const ENDED_SLOT = 1;
const STATUS_BYTES = 2 * Int32Array.BYTES_PER_ELEMENT;

/** The counters a ring's two ends share across threads: read and set from either. */
export class RingStatus {
  readonly buffer: SharedArrayBuffer;
  readonly #slots: Int32Array;

  /** A new status, or a view of `buffer` made by another RingStatus. */
  constructor(buffer = new SharedArrayBuffer(STATUS_BYTES)) {
    this.buffer = buffer;
    this.#slots = new Int32Array(buffer, 0, 2);
  }

  /**
   * Frames the device side dropped (a sink's full ring) or filled with silence (a source's empty
   * ring before it ended). Wraps at 2^32 (a day of 48 kHz audio dropped).
   */
  get shortfallFrames(): number {
    return Atomics.load(this.#slots, SHORTFALL_SLOT) >>> 0;
  }

  addShortfall(frames: number): void {
    Atomics.add(this.#slots, SHORTFALL_SLOT, frames);
  }

  /** Whether the producer said it will write no more. */
  get ended(): boolean {
    return Atomics.load(this.#slots, ENDED_SLOT) === 1;
  }

  end(): void {
    Atomics.store(this.#slots, ENDED_SLOT, 1);
  }
}

/** The device's end of a ring of whole interleaved frames; another thread holds the other. */
abstract class RingEnd {
  protected readonly ring: SpscRing;
  protected readonly status: RingStatus;
  protected readonly channels: number;

  constructor(ring: SharedArrayBuffer, status: SharedArrayBuffer, channels: number) {
    this.ring = SpscRing.attach(ring);
    this.status = new RingStatus(status);
    this.channels = channels;
  }

  /** The other thread owns the buffers: nothing to release. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Captures what another thread writes into a ring: where the ring runs dry the period is
 * completed with silence, counted as shortfall until the producer ends.
 */
export class RingReader extends RingEnd implements Source {
  render(out: Float32Array, frames: number): void {
    const wanted = frames * this.channels;
    // Loaded before reading: what the producer wrote before it ended is all in the ring.
    const ended = this.status.ended;
    const got = this.ring.read(out, 0, wanted);
    if (got === wanted) return;
    out.fill(0, got, wanted);
    if (!ended) this.status.addShortfall(frames - got / this.channels);
  }
}

/**
 * Plays an output stream into a ring another thread drains: whole frames that do not fit are
 * dropped and counted, so a slow consumer never holds the period up.
 */
export class RingWriter extends RingEnd {
  /** A ring cannot fail as a file can (VirtualDevice takes failed sinks out). */
  readonly failure = undefined;

  /** Appends the frames that fit; returns how many. */
  write(samples: Float32Array, frames: number): number {
    const fits = Math.min(frames, Math.floor(this.ring.availableToWrite() / this.channels));
    this.ring.write(samples, 0, fits * this.channels);
    if (fits < frames) this.status.addShortfall(frames - fits);
    return fits;
  }
}

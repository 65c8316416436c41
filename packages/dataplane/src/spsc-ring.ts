import { RingError, checkRange } from './errors.js';

/*
 * Shared memory layout (byte offsets):
 *
 *     0  write index   int32, stored only by the producer
 *     4  capacity      int32, samples, constant after create()
 *    64  read index    int32, stored only by the consumer
 *   128  data          capacity × float32
 *
 * Each index gets its own 64-byte cache line so the producer's stores don't invalidate the
 * line the consumer polls, and vice versa.
 *
 * The indices are free-running counters (total samples ever written / read) that wrap at 2^32.
 * Because the capacity is a power of two it divides 2^32, so `index & (capacity − 1)` stays the
 * right slot across the wrap, and `(write − read) | 0` is the fill level as long as it never
 * exceeds 2^31 (capacity ≤ 2^30). Counters, unlike masked positions, tell full from empty
 * without sacrificing a slot, and each side stores only its own counter.
 */
const WRITE_SLOT = 0;
const CAPACITY_SLOT = 1;
const READ_SLOT = 16;
const HEADER_BYTES = 128;
const SAMPLE_BYTES = Float32Array.BYTES_PER_ELEMENT;

/** Largest capacity, in samples, for which the wrapping fill level fits in an int32. */
export const MAX_RING_CAPACITY_SAMPLES = 2 ** 30;

/**
 * Wait-free single-producer/single-consumer ring of Float32 samples over a SharedArrayBuffer.
 *
 * One thread (or worker) may call `write`, one other may call `read`; the query methods are
 * safe from either. Neither side ever blocks or allocates: `write` stores what fits and `read`
 * takes what is there, and both return the count. Pass `buffer` to another worker and
 * `SpscRing.attach()` it there to get the other end.
 */
export class SpscRing {
  readonly #buffer: SharedArrayBuffer;
  readonly #header: Int32Array;
  readonly #data: Float32Array;
  readonly #capacity: number;
  readonly #mask: number;

  private constructor(buffer: SharedArrayBuffer, capacity: number) {
    this.#buffer = buffer;
    this.#header = new Int32Array(buffer, 0, HEADER_BYTES / Int32Array.BYTES_PER_ELEMENT);
    this.#data = new Float32Array(buffer, HEADER_BYTES, capacity);
    this.#capacity = capacity;
    this.#mask = capacity - 1;
  }

  /** A new, empty ring holding up to `capacitySamples` (a power of two, at most 2^30). */
  static create(capacitySamples: number): SpscRing {
    if (
      !Number.isInteger(capacitySamples) ||
      capacitySamples < 1 ||
      capacitySamples > MAX_RING_CAPACITY_SAMPLES ||
      (capacitySamples & (capacitySamples - 1)) !== 0
    ) {
      throw new RingError(
        'BAD_CAPACITY',
        `ring: capacity must be a power of two from 1 to 2^30 samples, got ${String(capacitySamples)}`,
      );
    }
    const buffer = new SharedArrayBuffer(HEADER_BYTES + capacitySamples * SAMPLE_BYTES);
    const ring = new SpscRing(buffer, capacitySamples);
    Atomics.store(ring.#header, CAPACITY_SLOT, capacitySamples);
    return ring;
  }

  /** The other end of a ring made by `create()`, typically in another worker. */
  static attach(buffer: SharedArrayBuffer): SpscRing {
    if (!(buffer instanceof SharedArrayBuffer)) {
      throw new RingError(
        'BAD_BUFFER',
        'ring: expected a SharedArrayBuffer from SpscRing.create()',
      );
    }
    const capacity =
      buffer.byteLength >= HEADER_BYTES ? new Int32Array(buffer, 0, 2)[CAPACITY_SLOT]! : 0;
    const expectedBytes = HEADER_BYTES + capacity * SAMPLE_BYTES;
    if (capacity < 1 || (capacity & (capacity - 1)) !== 0 || buffer.byteLength !== expectedBytes) {
      throw new RingError(
        'BAD_BUFFER',
        `ring: buffer of ${buffer.byteLength} bytes does not hold a ring (header capacity ${capacity})`,
      );
    }
    return new SpscRing(buffer, capacity);
  }

  /** The shared memory; post it to the worker that holds the other end. */
  get buffer(): SharedArrayBuffer {
    return this.#buffer;
  }

  /** Samples the ring holds when full. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Samples ready to read. */
  availableToRead(): number {
    return (Atomics.load(this.#header, WRITE_SLOT) - Atomics.load(this.#header, READ_SLOT)) | 0;
  }

  /** Free slots, in samples. */
  availableToWrite(): number {
    return this.#capacity - this.availableToRead();
  }

  /** Fraction of the capacity holding unread samples, from 0 (empty) to 1 (full). */
  fillLevel(): number {
    return this.availableToRead() / this.#capacity;
  }

  /**
   * Producer side: copies up to `count` samples from `src` at `offset`; returns how many fit.
   */
  write(src: Float32Array, offset = 0, count = src.length - offset): number {
    checkRange('ring write: source', src.length, offset, count);
    const header = this.#header;
    const write = Atomics.load(header, WRITE_SLOT);
    // Loading the consumer's index before touching data: any slot it reports as free, it has
    // finished reading (its store came after its copy).
    const read = Atomics.load(header, READ_SLOT);
    const n = Math.min(count, this.#capacity - ((write - read) | 0));
    const data = this.#data;
    const start = write & this.#mask;
    const first = Math.min(n, this.#capacity - start);
    for (let i = 0; i < first; i++) data[start + i] = src[offset + i]!;
    for (let i = first; i < n; i++) data[i - first] = src[offset + i]!;
    // Publishing after the copy: a consumer that sees the new index also sees the samples.
    Atomics.store(header, WRITE_SLOT, (write + n) | 0);
    return n;
  }

  /** Consumer side: copies up to `count` samples into `dst` at `offset`; returns how many. */
  read(dst: Float32Array, offset = 0, count = dst.length - offset): number {
    checkRange('ring read: destination', dst.length, offset, count);
    const header = this.#header;
    const read = Atomics.load(header, READ_SLOT);
    // Loading the producer's index before touching data: every sample it counts is written.
    const write = Atomics.load(header, WRITE_SLOT);
    const n = Math.min(count, (write - read) | 0);
    const data = this.#data;
    const start = read & this.#mask;
    const first = Math.min(n, this.#capacity - start);
    for (let i = 0; i < first; i++) dst[offset + i] = data[start + i]!;
    for (let i = first; i < n; i++) dst[offset + i] = data[i - first]!;
    // Releasing the slots only after the copy, so the producer cannot overwrite unread samples.
    Atomics.store(header, READ_SLOT, (read + n) | 0);
    return n;
  }
}

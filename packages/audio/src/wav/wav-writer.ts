import { writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

import { BoundsError, encodeSamples } from '@syfala/dataplane';

import { AudioError, fileError } from '../errors.js';
import {
  blockAlign,
  buildWavHeader,
  checkWavFormat,
  headerBytes,
  maxWavFrames,
} from './wav-format.js';
import type { WavFormat } from './wav-format.js';

/** Encoded bytes buffered before they go to the file system (rounded down to whole frames). */
const CHUNK_BYTES = 64 * 1024;
/** Chunk buffers per writer: one being filled while the others are written. */
const POOL_CHUNKS = 4;

export interface WavWriterOptions extends WavFormat {
  /**
   * Accept at most this many frames; write() takes what fits and drops the rest. Default and
   * ceiling: what the 4 GiB RIFF size field allows (about 6 hours of 48 kHz stereo f32).
   */
  readonly maxFrames?: number;
}

/** A full chunk waiting for its background write. */
interface QueuedChunk {
  readonly chunk: Uint8Array;
  readonly bytes: number;
  readonly position: number;
}

/**
 * Streams a WAV file to disk: write() encodes interleaved Float32 frames (encodeSamples: clipped,
 * rounded half to even) into 64 KiB chunks, and full chunks are written in the background, in
 * order (positional async writes on the libuv pool, one at a time), so write() itself only
 * encodes and copies. If every pooled chunk is still queued (the disk is behind), the queued
 * ones are written synchronously instead, still in order: audio is never dropped and memory
 * stays fixed, at the cost of that one call blocking. No allocation per write() beyond one I/O
 * request per flushed chunk. The file grows in order, so a full disk leaves every byte before
 * the failure in place.
 *
 * The header is written with placeholder sizes at create() and patched by close(), so a file
 * cut short by a crash still plays in readers that clamp the data size to the file (ours, sox).
 * An I/O failure (a full disk) is kept in `failure`: later writes are dropped, and close() still
 * finalises the file for the frames that reached it (header patched, the rest cut off: neither
 * needs a new block) before it rejects with FILE_ERROR.
 */
export class WavWriter {
  readonly path: string;
  readonly format: WavFormat;
  readonly maxFrames: number;
  readonly #handle: FileHandle;
  readonly #align: number;
  readonly #chunkFrames: number;
  readonly #free: Uint8Array[] = [];
  /** Full chunks not yet being written, oldest first. */
  readonly #queue: QueuedChunk[] = [];
  /** The background writer, while it runs: it writes the queue's chunks one by one. */
  #draining: Promise<void> | undefined;
  /** The chunk the background writer is writing now. */
  #writing: QueuedChunk | undefined;
  #current: Uint8Array;
  #fillFrames = 0;
  /** File offset where the chunk being filled goes. */
  #position: number;
  #frames = 0;
  #error: unknown;
  /** Where the file's data stops being whole: the lowest offset a failed write reached. */
  #failedAt = Infinity;
  #failure: AudioError | undefined;
  #savedFrames: number | undefined;
  #closing: Promise<void> | undefined;

  private constructor(path: string, format: WavFormat, maxFrames: number, handle: FileHandle) {
    this.path = path;
    this.format = format;
    this.maxFrames = maxFrames;
    this.#handle = handle;
    this.#align = blockAlign(format);
    this.#chunkFrames = Math.max(1, Math.floor(CHUNK_BYTES / this.#align));
    this.#position = headerBytes(format);
    this.#current = new Uint8Array(this.#chunkFrames * this.#align);
    for (let i = 1; i < POOL_CHUNKS; i++) this.#free.push(new Uint8Array(this.#current.length));
  }

  /** Creates (or truncates) `path` and writes the header. Rejects with BAD_OPTION, UNSUPPORTED or FILE_ERROR. */
  static async create(path: string, options: WavWriterOptions): Promise<WavWriter> {
    const where = `WavWriter ${path}`;
    const format: WavFormat = {
      sampleRate: options.sampleRate,
      channels: options.channels,
      sampleType: options.sampleType,
    };
    checkWavFormat(format, where);
    const limit = maxWavFrames(format);
    const { maxFrames = limit } = options;
    if (!Number.isInteger(maxFrames) || maxFrames < 0 || maxFrames > limit) {
      throw new AudioError(
        'BAD_OPTION',
        `${where}: maxFrames must be an integer from 0 to ${limit}, got ${String(maxFrames)}`,
      );
    }
    let handle: FileHandle;
    try {
      handle = await open(path, 'w');
    } catch (error) {
      throw fileError(`${where}: cannot create the file`, error);
    }
    try {
      const header = buildWavHeader(format, undefined);
      await writeFully(handle, header, header.length, 0);
    } catch (failure) {
      await handle.close().catch(() => undefined);
      throw fileError(`${where}: cannot write the header`, (failure as WriteFailure).cause);
    }
    return new WavWriter(path, format, maxFrames, handle);
  }

  /** Frames accepted so far. */
  get frames(): number {
    return this.#frames;
  }

  /** FILE_ERROR once a write has failed (write() then accepts nothing); undefined until then. */
  get failure(): AudioError | undefined {
    return this.#failure;
  }

  /**
   * Once close() has settled: the frames the file holds, all accepted frames or, after a
   * failure, those written before it. Undefined before.
   */
  get savedFrames(): number | undefined {
    return this.#savedFrames;
  }

  /**
   * Appends `frames` interleaved frames from `samples` (at least frames × channels long).
   * Returns the frames accepted: fewer once maxFrames is reached, 0 after an I/O failure.
   */
  write(samples: Float32Array, frames: number): number {
    if (this.#closing !== undefined) {
      throw new AudioError('BAD_STATE', `WavWriter ${this.path}: write() after close()`);
    }
    const { channels, sampleType } = this.format;
    if (!Number.isInteger(frames) || frames < 0 || frames * channels > samples.length) {
      throw new BoundsError(
        'OUT_OF_BOUNDS',
        `WavWriter.write: expected frames × ${channels} ≤ ${samples.length} samples, got frames ${String(frames)}`,
      );
    }
    if (this.#error !== undefined) return 0;
    const accepted = Math.min(frames, this.maxFrames - this.#frames);
    for (let done = 0; done < accepted;) {
      const take = Math.min(accepted - done, this.#chunkFrames - this.#fillFrames);
      encodeSamples(
        sampleType,
        samples,
        done * channels,
        this.#current,
        this.#fillFrames * this.#align,
        take * channels,
      );
      this.#fillFrames += take;
      done += take;
      if (this.#fillFrames === this.#chunkFrames) this.#flush();
    }
    this.#frames += accepted;
    return accepted;
  }

  /**
   * Writes what is buffered, patches the RIFF, fact and data sizes, and closes the file.
   * Idempotent; rejects with FILE_ERROR (`failure`) if any write failed, once the file holds a
   * valid WAV of the `savedFrames` frames written before the failure.
   */
  close(): Promise<void> {
    return (this.#closing ??= this.#finish());
  }

  #flush(): void {
    this.#queue.push({
      chunk: this.#current,
      bytes: this.#fillFrames * this.#align,
      position: this.#position,
    });
    this.#position += this.#fillFrames * this.#align;
    this.#fillFrames = 0;
    const next = this.#free.pop();
    if (next === undefined) {
      // In order, from the chunk being written in the background (the same bytes again): were
      // it left behind, a disk filling up now would take its space first.
      const queued = this.#queue.splice(0);
      for (const { chunk, bytes, position } of [this.#writing ?? [], queued].flat()) {
        if (this.#error !== undefined) break;
        try {
          writeFullySync(this.#handle.fd, chunk, bytes, position);
        } catch (failure) {
          this.#fail(failure as WriteFailure);
        }
      }
      for (const { chunk } of queued) this.#free.push(chunk);
      this.#current = this.#free.pop()!;
      return;
    }
    this.#current = next;
    this.#draining ??= this.#drain();
  }

  /** Writes queued chunks until none is left; after a failure, the rest is only released. */
  async #drain(): Promise<void> {
    for (let queued; (queued = this.#queue.shift()) !== undefined;) {
      // After a failure the rest is not written: it would only leave a hole before it.
      if (this.#error === undefined) {
        this.#writing = queued;
        try {
          await writeFully(this.#handle, queued.chunk, queued.bytes, queued.position);
        } catch (failure) {
          this.#fail(failure as WriteFailure);
        }
        this.#writing = undefined;
      }
      this.#free.push(queued.chunk);
    }
    this.#draining = undefined;
  }

  #fail(failure: WriteFailure): void {
    this.#failedAt = Math.min(this.#failedAt, failure.end);
    this.#error ??= failure.cause;
    this.#failure ??= fileError(`WavWriter ${this.path}: cannot write`, failure.cause);
  }

  async #finish(): Promise<void> {
    // The background writer never rejects: a failure is kept in #error.
    await this.#draining;
    if (this.#error === undefined) {
      const bytes = this.#fillFrames * this.#align;
      // RIFF chunks are word-aligned: an odd-sized data chunk is followed by a pad byte.
      const dataBytes = this.#frames * this.#align;
      if (dataBytes % 2 === 1) this.#current[bytes] = 0;
      const tail = bytes + (dataBytes % 2);
      try {
        if (tail > 0) await writeFully(this.#handle, this.#current, tail, this.#position);
      } catch (failure) {
        this.#fail(failure as WriteFailure);
      }
    }
    const frames = this.#error === undefined ? this.#frames : this.#framesBeforeFailure();
    try {
      if (this.#error !== undefined) {
        // Cut what follows the whole frames (a partial write, chunks written past the failure).
        await this.#handle.truncate(headerBytes(this.format) + frames * this.#align);
      }
      // Overwrites the placeholders in place: no new block, so it works on a full disk too.
      const header = buildWavHeader(this.format, frames);
      await writeFully(this.#handle, header, header.length, 0);
    } catch (failure) {
      this.#error ??= failure instanceof WriteFailure ? failure.cause : failure;
    }
    try {
      await this.#handle.close();
    } catch (error) {
      this.#error ??= error;
    }
    this.#savedFrames = frames;
    if (this.#error !== undefined) {
      this.#failure ??= fileError(`WavWriter ${this.path}: writing failed`, this.#error);
      throw this.#failure;
    }
  }

  /**
   * The whole frames in the file before the first failed write, fewer by one if that would
   * leave an odd-sized data chunk: its pad byte could need a block the disk no longer has.
   */
  #framesBeforeFailure(): number {
    const written = Math.max(0, this.#failedAt - headerBytes(this.format));
    const frames = Math.min(this.#frames, Math.floor(written / this.#align));
    return (frames * this.#align) % 2 === 1 ? frames - 1 : frames;
  }
}

/** A write that failed after `end − position` of its bytes had reached the file. */
class WriteFailure {
  constructor(
    readonly cause: unknown,
    /** The file offset the write reached. */
    readonly end: number,
  ) {}
}

/** Writes `length` bytes at `position`; rejects with a WriteFailure saying how far it got. */
async function writeFully(
  handle: FileHandle,
  buffer: Uint8Array,
  length: number,
  position: number,
): Promise<void> {
  let done = 0;
  try {
    while (done < length) {
      const { bytesWritten } = await handle.write(buffer, done, length - done, position + done);
      if (bytesWritten === 0) throw new Error('the file system wrote 0 bytes');
      done += bytesWritten;
    }
  } catch (error) {
    throw new WriteFailure(error, position + done);
  }
}

function writeFullySync(fd: number, buffer: Uint8Array, length: number, position: number): void {
  let done = 0;
  try {
    while (done < length) {
      const bytesWritten = writeSync(fd, buffer, done, length - done, position + done);
      if (bytesWritten === 0) throw new Error('the file system wrote 0 bytes');
      done += bytesWritten;
    }
  } catch (error) {
    throw new WriteFailure(error, position + done);
  }
}

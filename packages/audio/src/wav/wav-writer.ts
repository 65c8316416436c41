import { writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

import { BoundsError, encodeSamples } from '@syfala/utils';

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

/**
 * Streams a WAV file to disk: write() encodes interleaved Float32 frames (encodeSamples: clipped,
 * rounded half to even) into 64 KiB chunks, and each full chunk is written in the background
 * (positional async writes on the libuv pool), so write() itself only encodes and copies. If all
 * pooled chunks are still in flight (the disk is behind), the full one is written synchronously
 * instead: audio is never dropped and memory stays fixed, at the cost of that one call blocking.
 * No allocation per write() beyond one I/O request per flushed chunk.
 *
 * The header is written with placeholder sizes at create() and patched by close(), so a file
 * cut short by a crash still plays in readers that clamp the data size to the file (ours, sox).
 * An I/O failure is kept: later writes are dropped and close() rejects with FILE_ERROR.
 */
export class WavWriter {
  readonly path: string;
  readonly format: WavFormat;
  readonly maxFrames: number;
  readonly #handle: FileHandle;
  readonly #align: number;
  readonly #chunkFrames: number;
  readonly #free: Uint8Array[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #current: Uint8Array;
  #fillFrames = 0;
  /** File offset where the chunk being filled goes. */
  #position: number;
  #frames = 0;
  #error: unknown;
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
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw fileError(`${where}: cannot write the header`, error);
    }
    return new WavWriter(path, format, maxFrames, handle);
  }

  /** Frames accepted so far. */
  get frames(): number {
    return this.#frames;
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
   * Idempotent; rejects with FILE_ERROR if any write failed.
   */
  close(): Promise<void> {
    return (this.#closing ??= this.#finish());
  }

  #flush(): void {
    const chunk = this.#current;
    const bytes = this.#fillFrames * this.#align;
    const position = this.#position;
    this.#position += bytes;
    this.#fillFrames = 0;
    const next = this.#free.pop();
    if (next === undefined) {
      try {
        writeFullySync(this.#handle.fd, chunk, bytes, position);
      } catch (error) {
        this.#error ??= error;
      }
      return;
    }
    this.#current = next;
    const done: Promise<void> = writeFully(this.#handle, chunk, bytes, position).then(
      () => this.#release(chunk, done),
      (error: unknown) => {
        this.#error ??= error;
        this.#release(chunk, done);
      },
    );
    this.#inFlight.add(done);
  }

  #release(chunk: Uint8Array, write: Promise<void>): void {
    this.#free.push(chunk);
    this.#inFlight.delete(write);
  }

  async #finish(): Promise<void> {
    // In-flight writes never reject: their failure is kept in #error.
    await Promise.all(this.#inFlight);
    if (this.#error === undefined) {
      try {
        const bytes = this.#fillFrames * this.#align;
        // RIFF chunks are word-aligned: an odd-sized data chunk is followed by a pad byte.
        const dataBytes = this.#frames * this.#align;
        if (dataBytes % 2 === 1) this.#current[bytes] = 0;
        const tail = bytes + (dataBytes % 2);
        if (tail > 0) await writeFully(this.#handle, this.#current, tail, this.#position);
        const header = buildWavHeader(this.format, this.#frames);
        await writeFully(this.#handle, header, header.length, 0);
      } catch (error) {
        this.#error ??= error;
      }
    }
    try {
      await this.#handle.close();
    } catch (error) {
      this.#error ??= error;
    }
    if (this.#error !== undefined) {
      throw fileError(`WavWriter ${this.path}: writing failed`, this.#error);
    }
  }
}

async function writeFully(
  handle: FileHandle,
  buffer: Uint8Array,
  length: number,
  position: number,
): Promise<void> {
  for (let done = 0; done < length;) {
    const { bytesWritten } = await handle.write(buffer, done, length - done, position + done);
    if (bytesWritten === 0) throw new Error('the file system wrote 0 bytes');
    done += bytesWritten;
  }
}

function writeFullySync(fd: number, buffer: Uint8Array, length: number, position: number): void {
  for (let done = 0; done < length;) {
    const bytesWritten = writeSync(fd, buffer, done, length - done, position + done);
    if (bytesWritten === 0) throw new Error('the file system wrote 0 bytes');
    done += bytesWritten;
  }
}

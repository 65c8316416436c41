import { readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

import { BoundsError, decodeSamples } from '@syfala/dataplane';

import { AudioError, fileError } from '../errors.js';
import { blockAlign } from './wav-format.js';
import type { WavFormat } from './wav-format.js';
import { walkToData, type ByteSource } from './wav-header-walk.js';

/** Bytes read from the file at a time (rounded down to whole frames). */
const CHUNK_BYTES = 64 * 1024;

/**
 * Reads a WAV file in chunks: read() decodes interleaved frames into Float32 (decodeSamples;
 * 8/16/24/32-bit PCM and 32/64-bit float, plain or WAVE_FORMAT_EXTENSIBLE). Reads are
 * synchronous, 64 KiB at a time: sequential reads are served from the kernel's read-ahead, and a
 * file of up to 64 KiB of samples stays in the buffer, so a looped short file is read once.
 *
 * A data size larger than the file (a recording cut short, an "unknown" placeholder) is
 * clamped to the whole frames present; `missingFrames` says how many the header claimed beyond
 * them. Chunks other than fmt and data are skipped.
 */
export class WavReader {
  readonly path: string;
  readonly format: WavFormat;
  /** Frames in the file. */
  readonly frames: number;
  /**
   * Frames the header's data size claims beyond those in the file (a file cut short): 0 when it
   * holds them all, or when the size says "unknown" (walkToData): the 0xffffffff placeholder of a
   * recording never finalised, or the size sox writes to a pipe.
   */
  readonly missingFrames: number;
  readonly #handle: FileHandle;
  readonly #align: number;
  readonly #dataOffset: number;
  readonly #chunk: Uint8Array;
  readonly #chunkFrames: number;
  /** The buffer holds frames [#bufferStart, #bufferStart + #bufferFrames). */
  #bufferStart = 0;
  #bufferFrames = 0;
  #position = 0;
  #closing: Promise<void> | undefined;

  private constructor(path: string, header: WavHeader, handle: FileHandle) {
    const { format, frames, dataOffset } = header;
    this.path = path;
    this.format = format;
    this.frames = frames;
    this.missingFrames = header.missingFrames;
    this.#handle = handle;
    this.#align = blockAlign(format);
    this.#dataOffset = dataOffset;
    this.#chunkFrames = Math.max(1, Math.floor(CHUNK_BYTES / this.#align));
    this.#chunk = new Uint8Array(this.#chunkFrames * this.#align);
  }

  /** Opens `path` and reads its header. Rejects with FILE_ERROR, BAD_WAV or UNSUPPORTED. */
  static async open(path: string): Promise<WavReader> {
    const where = `WavReader ${path}`;
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      throw fileError(`${where}: cannot open the file`, error);
    }
    try {
      return new WavReader(path, await readHeader(handle, where), handle);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error instanceof AudioError ? error : fileError(`${where}: cannot read`, error);
    }
  }

  /** The next frame read() returns. */
  get position(): number {
    return this.#position;
  }

  /**
   * Decodes up to `frames` frames into `out` from frame `offsetFrames` on (interleaved, so
   * sample (offsetFrames + i) × channels + c). Returns the frames read: fewer at the end of the
   * file, 0 past it. If the file shrank since open(), the missing frames read as silence.
   */
  read(out: Float32Array, frames: number, offsetFrames = 0): number {
    if (this.#closing !== undefined) {
      throw new AudioError('BAD_STATE', `WavReader ${this.path}: read() after close()`);
    }
    const { channels, sampleType } = this.format;
    if (
      !Number.isInteger(frames) ||
      !Number.isInteger(offsetFrames) ||
      frames < 0 ||
      offsetFrames < 0 ||
      (offsetFrames + frames) * channels > out.length
    ) {
      throw new BoundsError(
        'OUT_OF_BOUNDS',
        `WavReader.read: expected (offsetFrames + frames) × ${channels} ≤ ${out.length} samples, ` +
          `got offsetFrames ${String(offsetFrames)}, frames ${String(frames)}`,
      );
    }
    const count = Math.min(frames, this.frames - this.#position);
    for (let done = 0; done < count;) {
      let index = this.#position - this.#bufferStart;
      if (index < 0 || index >= this.#bufferFrames) {
        this.#fill(this.#position);
        index = 0;
      }
      const take = Math.min(count - done, this.#bufferFrames - index);
      decodeSamples(
        sampleType,
        this.#chunk,
        index * this.#align,
        out,
        (offsetFrames + done) * channels,
        take * channels,
      );
      done += take;
      this.#position += take;
    }
    return count;
  }

  /** Moves to frame `frame` (0 to frames): the next read() starts there. */
  seek(frame: number): void {
    if (!Number.isInteger(frame) || frame < 0 || frame > this.frames) {
      throw new BoundsError(
        'OUT_OF_BOUNDS',
        `WavReader.seek: expected a frame from 0 to ${this.frames}, got ${String(frame)}`,
      );
    }
    this.#position = frame;
  }

  /** Closes the file. Idempotent. */
  close(): Promise<void> {
    return (this.#closing ??= this.#handle.close().catch((error: unknown) => {
      throw fileError(`WavReader ${this.path}: cannot close`, error);
    }));
  }

  /** Loads the chunk starting at frame `start`. */
  #fill(start: number): void {
    const frames = Math.min(this.#chunkFrames, this.frames - start);
    const length = frames * this.#align;
    const position = this.#dataOffset + start * this.#align;
    let done = 0;
    try {
      while (done < length) {
        const bytesRead = readSync(
          this.#handle.fd,
          this.#chunk,
          done,
          length - done,
          position + done,
        );
        if (bytesRead === 0) break;
        done += bytesRead;
      }
    } catch (error) {
      throw fileError(`WavReader ${this.path}: cannot read`, error);
    }
    // Zero bytes are silence in every type but u8, whose silence is 0x80.
    this.#chunk.fill(this.format.sampleType === 'u8' ? 0x80 : 0, done, length);
    this.#bufferStart = start;
    this.#bufferFrames = frames;
  }
}

interface WavHeader {
  readonly format: WavFormat;
  readonly frames: number;
  readonly missingFrames: number;
  readonly dataOffset: number;
}

/** The header, read forward from the start of the file (walkToData). */
async function readHeader(handle: FileHandle, where: string): Promise<WavHeader> {
  const { size: fileSize } = await handle.stat();
  let position = 0;
  const file: ByteSource = {
    read: async (length) => {
      const bytes = new Uint8Array(length);
      const { bytesRead } = await handle.read(bytes, 0, length, position);
      position += bytesRead;
      return bytes.subarray(0, bytesRead);
    },
    skip: (length) => {
      position += length;
      return Promise.resolve();
    },
  };
  const { format, dataOffset, dataBytes } = await walkToData(file, where);
  const align = blockAlign(format);
  const frames = Math.floor(
    Math.max(0, Math.min(dataBytes ?? Infinity, fileSize - dataOffset)) / align,
  );
  const declared = dataBytes === undefined ? frames : Math.floor(dataBytes / align);
  return { format, frames, missingFrames: declared - frames, dataOffset };
}

/** A whole WAV file as interleaved Float32: for tests, tools and short files, not streaming. */
export async function readWavFile(
  path: string,
): Promise<{ format: WavFormat; frames: number; samples: Float32Array }> {
  const reader = await WavReader.open(path);
  try {
    const samples = new Float32Array(reader.frames * reader.format.channels);
    const frames = reader.read(samples, reader.frames);
    return { format: reader.format, frames, samples };
  } finally {
    await reader.close();
  }
}
